//! The API's string enums as Rust types, in their wire spelling.
//!
//! Values that come back from the server ([`StreamEndpoint`],
//! [`DisconnectReason`]) are *open*: a value this version does not know
//! decodes into the last, `#[serde(untagged)]` variant and round-trips
//! unchanged, so X adding an endpoint or a reason never breaks decoding.
//! Values only ever sent ([`ConnectionStatus`], [`ConnectionField`]) are
//! closed. In every case [`FromStr`](std::str::FromStr) accepts only the
//! known values, because a request may name only what the API accepts.

use std::fmt;

use serde::{Deserialize, Serialize};

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

/// Generates a wire enum: variants with their wire names, `ALL`, `as_str`,
/// `Display` and a `FromStr` that accepts only the known names. With
/// `open Name(String)` it adds the lossless catch-all variant.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
        $( open $(#[$ometa:meta])* $other:ident(String) )?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )+
            $( $(#[$ometa])* #[serde(untagged)] $other(String), )?
        }

        impl $name {
            /// Every value this version knows, in the spec's order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The wire names of [`Self::ALL`].
            pub const NAMES: &'static [&'static str] = &[ $( $wire, )+ ];

            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $( $name::$other(raw) => raw.as_str(), )?
                }
            }

            /// Whether this is one of the values this version knows.
            pub fn is_known(&self) -> bool {
                match self {
                    $( $name::$other(_) => false, )?
                    #[allow(unreachable_patterns)]
                    _ => true,
                }
            }

            /// The value for a known wire name.
            fn from_known(s: &str) -> Option<Self> {
                match s {
                    $( $wire => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

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

/// Marks the open enums: any string converts losslessly.
macro_rules! open_from_wire {
    ($name:ident, $other:ident) => {
        impl $name {
            /// The value for any wire string: a known variant, or the raw
            /// string kept as it is. This is what decoding a response does.
            pub fn from_wire(s: &str) -> Self {
                Self::from_known(s).unwrap_or_else(|| $name::$other(s.to_owned()))
            }

            /// [`Self::from_wire`] for an owned string: an unknown value
            /// keeps it without copying.
            pub(crate) fn from_wire_owned(s: String) -> Self {
                Self::from_known(&s).unwrap_or($name::$other(s))
            }
        }
    };
}

wire_enum! {
    /// A streaming endpoint whose connections the API reports and terminates.
    StreamEndpoint, "stream endpoint" {
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
    open
    /// An endpoint name this version does not know, kept as sent.
    Unknown(String)
}
open_from_wire!(StreamEndpoint, Unknown);

wire_enum! {
    /// Which connections to list.
    ConnectionStatus, "connection status" {
        /// `active`: connections open now (the API's default).
        Active = "active",
        /// `inactive`: connections that ended.
        Inactive = "inactive",
        /// `all`: both.
        All = "all",
    }
}

impl Default for ConnectionStatus {
    /// The API's default, [`ConnectionStatus::Active`].
    fn default() -> Self {
        ConnectionStatus::Active
    }
}

wire_enum! {
    /// A field of a connection record that `connection.fields` can ask for.
    ConnectionField, "connection field" {
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

wire_enum! {
    /// Why a connection ended.
    ///
    /// The spec leaves this a free string and documents only
    /// `operator_disconnect`; every other reason is kept verbatim in
    /// [`DisconnectReason::Other`], so nothing the server says is lost.
    DisconnectReason, "disconnect reason" {
        /// `operator_disconnect`: ended by a terminate call (or by X).
        OperatorDisconnect = "operator_disconnect",
    }
    open
    /// A reason this version does not model, kept as sent.
    Other(String)
}
open_from_wire!(DisconnectReason, Other);

#[cfg(test)]
mod tests {
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
        assert_eq!(e, StreamEndpoint::Unknown("new_stream".into()));
        assert!(!e.is_known());
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"new_stream\"");
        assert!("new_stream".parse::<StreamEndpoint>().is_err());
    }
}
