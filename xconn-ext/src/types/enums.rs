//! The API's string enums as Rust types, in their wire spelling.
//!
//! Values that come back from the server ([`StreamEndpoint`],
//! [`DisconnectReason`]) are *open*: a value this version does not know
//! decodes into the last variant, `Unknown`, holding an opaque
//! [`UnknownVariantValue`], and round-trips unchanged, so X adding an
//! endpoint or a reason never breaks decoding. (`ProblemKind::Unknown` is
//! the same.) An [`UnknownVariantValue`] can be read
//! ([`UnknownVariantValue::as_str`]) but not built or matched by value: a known string always becomes its known
//! variant (through serde and `from_wire` alike), so a later release that
//! adds a variant cannot change which arm of your `match` a value takes.
//! Values only ever sent ([`ConnectionStatus`], [`ConnectionField`]) are
//! closed. In every case [`FromStr`](std::str::FromStr) accepts only the
//! known values, because a request may name only what the API accepts.
//!
//! Every list of known values is tied to `xconn_sdk::spec` at compile time:
//! when a regeneration changes one, the build fails here.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use crate::const_str::same_names;

/// A wire value of an open enum that this version does not know, kept as
/// sent: the `Unknown` case of every open enum ([`StreamEndpoint`],
/// [`DisconnectReason`], [`crate::ProblemKind`]). Readable, comparable and
/// serializable (through its enum), but without a public constructor, so
/// no `match` arm can name a particular unknown value. (The name is
/// smithy-rs's, for the same design.)
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownVariantValue(String);

/// The earlier name of [`UnknownVariantValue`].
#[deprecated(since = "0.1.0", note = "renamed `UnknownVariantValue`")]
pub type UnknownValue = UnknownVariantValue;

impl UnknownVariantValue {
    /// Keep a value as sent (only this crate decides what is unknown).
    pub(crate) fn new(value: String) -> Self {
        Self(value)
    }

    /// The value as the server sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UnknownVariantValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for UnknownVariantValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for UnknownVariantValue {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Why a string did not parse into one of this crate's enums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseEnumError {
    kind: &'static str,
    value: String,
    valid: &'static [&'static str],
}

impl ParseEnumError {
    /// The string that was rejected.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The values that would have been accepted.
    pub fn valid_values(&self) -> &'static [&'static str] {
        self.valid
    }
}

impl fmt::Display for ParseEnumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} `{}`; expected one of: {}",
            self.kind,
            self.value,
            self.valid.join(", ")
        )
    }
}

impl std::error::Error for ParseEnumError {}

/// Generates a wire enum: variants with their wire names, `ALL`, `NAMES`,
/// `as_str`, `Display` and a `FromStr` that accepts only the known names.
/// Closed enums derive serde; open ones (see `open_enum!`) implement it
/// by hand so that a known string always decodes to its variant.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal, spec = $spec:expr, {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )+
        }

        wire_enum!(@common $name, $kind, $spec, { $( $variant = $wire, )+ });

        impl $name {
            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                }
            }

            /// Whether this is one of the values this version knows
            /// (always, for a closed enum).
            pub fn is_known(&self) -> bool {
                true
            }
        }
    };
    (@common $name:ident, $kind:literal, $spec:expr, { $( $variant:ident = $wire:literal, )+ }) => {
        impl $name {
            /// Every value this version knows, in the spec's order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The wire names of [`Self::ALL`].
            pub const NAMES: &'static [&'static str] = &[ $( $wire, )+ ];

            /// The value for a known wire name.
            fn from_known(s: &str) -> Option<Self> {
                match s {
                    $( $wire => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        // Regenerating from a spec that adds, removes or renames a value
        // fails the build here, instead of the enum silently drifting.
        const _: () = assert!(
            same_names($name::NAMES, $spec),
            concat!(
                "`", stringify!($name), "` no longer matches `",
                stringify!($spec),
                "`: edit the variants in xconn-ext/src/types/enums.rs (same values, same order)"
            )
        );

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = ParseEnumError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::from_known(s).ok_or_else(|| ParseEnumError {
                    kind: $kind,
                    value: s.to_owned(),
                    valid: Self::NAMES,
                })
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
    };
}

/// Generates an open wire enum: the known variants plus `$other` holding an
/// [`UnknownVariantValue`]; equality and hashing by wire string; serde by hand.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal, spec = $spec:expr, {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
        $(#[$ometa:meta])* $other:ident
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            $(#[$ometa])* $other(UnknownVariantValue),
        }

        wire_enum!(@common $name, $kind, $spec, { $( $variant = $wire, )+ });

        impl $name {
            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::$other(raw) => raw.as_str(),
                }
            }

            /// Whether this is one of the values this version knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::$other(_))
            }

            /// The value for any wire string: a known variant, or the raw
            /// string kept as it is. This is what decoding a response does.
            pub fn from_wire(s: &str) -> Self {
                Self::from_known(s).unwrap_or_else(|| $name::$other(UnknownVariantValue(s.to_owned())))
            }

            /// [`Self::from_wire`] for an owned string: an unknown value
            /// keeps it without copying.
            pub(crate) fn from_wire_owned(s: String) -> Self {
                Self::from_known(&s).unwrap_or($name::$other(UnknownVariantValue(s)))
            }
        }

        // Equal wire strings, decided without comparing strings for known
        // values: the constructors keep "known string => known variant", so
        // two known values are equal exactly when their variants are, and a
        // known value never equals an unknown one. (Compared per record in
        // `xconn summary`; the string comparison was a measurable share of
        // it, see BENCHMARKS.md.) Hashing stays by wire string, which agrees.
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                match (self, other) {
                    ($name::$other(a), $name::$other(b)) => a == b,
                    _ => std::mem::discriminant(self) == std::mem::discriminant(other),
                }
            }
        }

        impl Eq for $name {}

        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.as_str().hash(state);
            }
        }

        /// A string: the known values are listed as examples, but any
        /// string is valid (a later API version may add values).
        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "description": concat!(
                        "A ", $kind, ": one of the examples, or a value a later API ",
                        "version adds (kept as sent)."
                    ),
                    "examples": $name::NAMES,
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a ", $kind, " (a string)"))
                    }

                    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<$name, E> {
                        Ok($name::from_wire(s))
                    }

                    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<$name, E> {
                        Ok($name::from_wire_owned(s))
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    };
}

open_enum! {
    /// A streaming endpoint whose connections the API reports and terminates.
    ///
    /// The same list is the `endpoints` filter of `GET /2/connections` and
    /// the `endpoint_id` of `DELETE /2/connections/{endpoint_id}`; both are
    /// checked against the spec at compile time.
    StreamEndpoint, "stream endpoint", spec = xconn_sdk::spec::ENDPOINTS, {
        /// `filtered_stream`: the filtered stream (`/2/tweets/search/stream`).
        FilteredStream = "filtered_stream",
        /// `sample_stream`: the 1% sample stream.
        SampleStream = "sample_stream",
        /// `sample10_stream`: the 10% sample stream.
        Sample10Stream = "sample10_stream",
        /// `firehose_stream`: the full firehose.
        FirehoseStream = "firehose_stream",
        /// `tweets_compliance_stream`: Post compliance events.
        TweetsComplianceStream = "tweets_compliance_stream",
        /// `users_compliance_stream`: user compliance events.
        UsersComplianceStream = "users_compliance_stream",
        /// `tweet_label_stream`: Post label events.
        TweetLabelStream = "tweet_label_stream",
        /// `firehose_stream_lang_en`: the English firehose.
        FirehoseStreamLangEn = "firehose_stream_lang_en",
        /// `firehose_stream_lang_ja`: the Japanese firehose.
        FirehoseStreamLangJa = "firehose_stream_lang_ja",
        /// `firehose_stream_lang_ko`: the Korean firehose.
        FirehoseStreamLangKo = "firehose_stream_lang_ko",
        /// `firehose_stream_lang_pt`: the Portuguese firehose.
        FirehoseStreamLangPt = "firehose_stream_lang_pt",
        /// `likes_firehose_stream`: the likes firehose.
        LikesFirehoseStream = "likes_firehose_stream",
        /// `likes_sample10_stream`: the 10% likes sample.
        LikesSample10Stream = "likes_sample10_stream",
        /// `likes_compliance_stream`: likes compliance events.
        LikesComplianceStream = "likes_compliance_stream",
    }
    /// An endpoint name this version does not know, kept as sent.
    Unknown
}

const _: () = assert!(
    same_names(StreamEndpoint::NAMES, xconn_sdk::spec::ENDPOINT_IDS),
    "`StreamEndpoint` no longer matches `xconn_sdk::spec::ENDPOINT_IDS` (what \
     DELETE /2/connections/{{endpoint_id}} takes): edit xconn-ext/src/types/enums.rs; if the spec's \
     ENDPOINTS and ENDPOINT_IDS now differ, terminating needs a type of its own"
);

wire_enum! {
    /// Which connections to list.
    ConnectionStatus, "connection status", spec = xconn_sdk::spec::STATUSES, {
        /// `active`: connections open now (the API's default).
        Active = "active",
        /// `inactive`: connections that ended.
        Inactive = "inactive",
        /// `all`: both.
        All = "all",
    }
}

const _: () = assert!(
    match xconn_sdk::spec::STATUS_DEFAULT {
        Some(default) => crate::const_str::same(default, "active"),
        None => false,
    },
    "the spec's default `status` is no longer `active`: edit `impl Default for \
     ConnectionStatus` in xconn-ext/src/types/enums.rs (and this check)"
);

impl Default for ConnectionStatus {
    /// The API's default, [`ConnectionStatus::Active`].
    fn default() -> Self {
        ConnectionStatus::Active
    }
}

wire_enum! {
    /// A field of a connection record that `connection.fields` can ask for.
    ConnectionField, "connection field", spec = xconn_sdk::spec::CONNECTION_FIELDS, {
        /// `client_ip`: the address the client connected from.
        ClientIp = "client_ip",
        /// `connected_at`: when the connection opened.
        ConnectedAt = "connected_at",
        /// `disconnect_reason`: why it ended.
        DisconnectReason = "disconnect_reason",
        /// `disconnected_at`: when it ended.
        DisconnectedAt = "disconnected_at",
        /// `endpoint_name`: which stream it was connected to.
        EndpointName = "endpoint_name",
        /// `id`: the connection's UUID, needed to terminate it.
        Id = "id",
    }
}

/// The reasons X documents. The spec (2.167) types `disconnect_reason` as a
/// free string with no enum, so there is no generated list to check
/// against; X's API reference shows one value, `operator_disconnect`, in
/// the example response of "Get Connection History"
/// (<https://docs.x.com/x-api/connections/get-connection-history>). X's
/// "Handling disconnections" guide describes causes in prose and stream
/// error bodies, not `disconnect_reason` values. Every other reason decodes
/// as [`DisconnectReason::Unknown`] (the sandbox's invented ones are marked
/// `sandbox_`).
const DOCUMENTED_DISCONNECT_REASONS: &[&str] = &["operator_disconnect"];

open_enum! {
    /// Why a connection ended.
    ///
    /// X documents one value, `operator_disconnect` (see the variant); the
    /// spec leaves the field a free string. Every other reason is kept
    /// verbatim in [`DisconnectReason::Unknown`], so nothing the server says
    /// is lost, and a match on one should not assume X sends it.
    DisconnectReason, "disconnect reason", spec = DOCUMENTED_DISCONNECT_REASONS, {
        /// `operator_disconnect`: ended by a terminate call (or by X).
        /// Documented in the example response of X's API reference "Get
        /// Connection History"
        /// (<https://docs.x.com/x-api/connections/get-connection-history>).
        OperatorDisconnect = "operator_disconnect",
    }
    /// A reason this version does not model, kept as sent.
    Unknown
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::str::FromStr;

    use super::*;

    #[test]
    fn from_str_error_lists_valid_values() {
        let err = "nope".parse::<ConnectionStatus>().unwrap_err();
        assert_eq!(err.value(), "nope");
        assert_eq!(
            err.to_string(),
            "unknown connection status `nope`; expected one of: active, inactive, all"
        );
    }

    #[test]
    fn unknown_wire_values_are_kept() {
        let e: StreamEndpoint = serde_json::from_str("\"new_stream\"").unwrap();
        assert!(matches!(&e, StreamEndpoint::Unknown(raw) if raw.as_str() == "new_stream"));
        assert_eq!(e, StreamEndpoint::from_wire("new_stream"));
        assert!(!e.is_known());
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"new_stream\"");
        assert!("new_stream".parse::<StreamEndpoint>().is_err());
    }

    /// serde, `FromStr` and `Display` agree on every value (as
    /// async-stripe checks its enums).
    fn serde_and_strings_agree<T>(all: &[T])
    where
        T: fmt::Display + FromStr + Serialize + for<'de> Deserialize<'de> + PartialEq + fmt::Debug,
        T::Err: fmt::Debug,
    {
        for value in all {
            let text = value.to_string();
            let json = serde_json::to_string(value).unwrap();
            assert_eq!(json, format!("{text:?}"), "{value:?}");
            assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), value, "{json}");
            assert_eq!(&text.parse::<T>().unwrap(), value, "{text}");
        }
    }

    #[test]
    fn every_value_agrees_across_serde_from_str_and_display() {
        serde_and_strings_agree(StreamEndpoint::ALL);
        serde_and_strings_agree(DisconnectReason::ALL);
        serde_and_strings_agree(ConnectionStatus::ALL);
        serde_and_strings_agree(ConnectionField::ALL);
    }

    #[test]
    fn a_known_string_is_always_the_known_variant() {
        assert_eq!(
            StreamEndpoint::from_wire("filtered_stream"),
            StreamEndpoint::FilteredStream
        );
        for (value, name) in StreamEndpoint::ALL.iter().zip(StreamEndpoint::NAMES) {
            for decoded in [
                StreamEndpoint::from_wire(name),
                StreamEndpoint::from_wire_owned((*name).to_owned()),
                serde_json::from_value(serde_json::json!(name)).unwrap(),
            ] {
                assert!(decoded.is_known(), "{name}");
                assert!(std::mem::discriminant(&decoded) == std::mem::discriminant(value));
            }
        }
        let reason: DisconnectReason =
            serde_json::from_value(serde_json::json!("operator_disconnect")).unwrap();
        assert!(matches!(reason, DisconnectReason::OperatorDisconnect));
    }

    #[test]
    fn open_values_compare_and_hash_by_wire_string() {
        let set: HashSet<StreamEndpoint> = [
            StreamEndpoint::from_wire("x_stream"),
            StreamEndpoint::from_wire("x_stream"),
            StreamEndpoint::FilteredStream,
            StreamEndpoint::from_wire("filtered_stream"),
        ]
        .into_iter()
        .collect();
        assert_eq!(set.len(), 2);
        assert_ne!(
            StreamEndpoint::from_wire("x_stream"),
            StreamEndpoint::from_wire("y_stream")
        );
    }

    /// `==` compares variants, not strings; it must still say exactly what
    /// comparing the wire strings says, for every pair of known and
    /// unknown values.
    #[test]
    fn equality_is_equality_of_wire_strings() {
        fn check<T: PartialEq + std::fmt::Debug>(
            names: &[&str],
            from_wire: impl Fn(&str) -> T,
            as_str: impl Fn(&T) -> &str,
        ) {
            let wires: Vec<&str> = names
                .iter()
                .copied()
                .chain(["x_new", "y_new", ""])
                .collect();
            for a in &wires {
                for b in &wires {
                    let (va, vb) = (from_wire(a), from_wire(b));
                    assert_eq!(va == vb, as_str(&va) == as_str(&vb), "{a:?} == {b:?}");
                    assert_eq!(va == vb, a == b, "{a:?} == {b:?}");
                }
            }
        }
        check(
            StreamEndpoint::NAMES,
            StreamEndpoint::from_wire,
            StreamEndpoint::as_str,
        );
        check(
            DisconnectReason::NAMES,
            DisconnectReason::from_wire,
            DisconnectReason::as_str,
        );
    }

    /// Closed enums' schemas list exactly the wire names; open ones are
    /// any string.
    #[cfg(feature = "schemars")]
    #[test]
    fn schemas_use_the_wire_names() {
        // Closed enums: exactly the wire names (one documented `oneOf` arm
        // each, a `const` string in schemars 1).
        let status = serde_json::to_value(schemars::schema_for!(ConnectionStatus)).unwrap();
        let names: Vec<&serde_json::Value> = status["oneOf"]
            .as_array()
            .expect("oneOf")
            .iter()
            .map(|arm| &arm["const"])
            .collect();
        assert_eq!(names, ConnectionStatus::NAMES, "{status:#}");
        // Open enums are any string.
        let endpoint = serde_json::to_value(schemars::schema_for!(StreamEndpoint)).unwrap();
        assert_eq!(endpoint["type"], "string");
        assert!(endpoint.get("enum").is_none());
        assert_eq!(
            endpoint["examples"],
            serde_json::json!(StreamEndpoint::NAMES)
        );
    }
}
