//! RFC 7807 problem details as X sends them, and their classification.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// An RFC 7807 problem, with X's extension members.
///
/// Decoding is lenient on purpose: every member is optional (as in the RFC),
/// a member of an unexpected JSON type is kept in [`Problem::extra`] rather
/// than failing, and members this version does not know are kept there too.
/// A problem therefore always round-trips without loss.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Problem {
    /// `type`: a URI naming the kind of problem; `about:blank` when absent.
    pub type_uri: String,
    /// `title`: a short summary of the kind.
    pub title: Option<String>,
    /// `detail`: what went wrong this time.
    pub detail: Option<String>,
    /// `status`: the HTTP status the server meant (not always sent).
    pub status: Option<u16>,
    /// `instance`: a URI for this occurrence.
    pub instance: Option<String>,
    /// `parameter`: the request parameter at fault.
    pub parameter: Option<String>,
    /// `value`: the offending value.
    pub value: Option<String>,
    /// `resource_type`: the kind of resource concerned.
    pub resource_type: Option<String>,
    /// `resource_id`: the resource concerned.
    pub resource_id: Option<String>,
    /// `field`: the field concerned.
    pub field: Option<String>,
    /// `section`: the response section concerned.
    pub section: Option<String>,
    /// `errors`: the per-parameter messages of an invalid request, or the
    /// items of X's legacy `{"errors":[{code,message}]}` shape.
    pub errors: Vec<ErrorDetail>,
    /// Every other member, as sent (`reason`, `registration_url`, `period`...).
    pub extra: Map<String, Value>,
}

/// One item of a problem's `errors` array.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct ErrorDetail {
    /// The message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The legacy numeric code (`32` bad credentials, `88` rate limit...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// The offending parameters and their values.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub parameters: Map<String, Value>,
    /// Every other member, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `about:blank`: "no kind beyond the HTTP status" (RFC 7807 §4.2).
pub const ABOUT_BLANK: &str = "about:blank";

impl Problem {
    /// A problem with no body to go on: `about:blank` and the status.
    pub fn from_status(status: u16) -> Self {
        Self {
            type_uri: ABOUT_BLANK.to_owned(),
            title: reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .map(str::to_owned),
            status: Some(status),
            ..Self::default()
        }
    }

    /// Build from a JSON object; `None` when it is not shaped like a problem
    /// (RFC 7807 or X's legacy `errors` array).
    pub fn from_object(mut map: Map<String, Value>) -> Option<Self> {
        let looks_rfc7807 = ["type", "title", "detail"]
            .iter()
            .any(|k| map.get(*k).is_some_and(Value::is_string));
        let legacy = !looks_rfc7807 && map.get("errors").is_some_and(Value::is_array);
        if !looks_rfc7807 && !legacy {
            return None;
        }
        let mut take = |key: &str| match map.remove(key) {
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                // Keep a member of an unexpected type rather than lose it.
                map.insert(key.to_owned(), other);
                None
            }
            None => None,
        };
        let type_uri = take("type").unwrap_or_else(|| ABOUT_BLANK.to_owned());
        let title = take("title");
        let detail = take("detail");
        let instance = take("instance");
        let parameter = take("parameter");
        let value = take("value");
        let resource_type = take("resource_type");
        let resource_id = take("resource_id");
        let field = take("field");
        let section = take("section");
        let status = match map.remove("status") {
            Some(Value::Number(n)) if n.as_u64().is_some_and(|s| s <= u64::from(u16::MAX)) => {
                n.as_u64().map(|s| s as u16)
            }
            Some(other) => {
                map.insert("status".to_owned(), other);
                None
            }
            None => None,
        };
        let errors = match map.remove("errors") {
            Some(Value::Array(items)) => {
                match serde_json::from_value::<Vec<ErrorDetail>>(Value::Array(items.clone())) {
                    Ok(errors) => errors,
                    Err(_) => {
                        map.insert("errors".to_owned(), Value::Array(items));
                        Vec::new()
                    }
                }
            }
            Some(other) => {
                map.insert("errors".to_owned(), other);
                Vec::new()
            }
            None => Vec::new(),
        };
        let mut problem = Self {
            type_uri,
            title,
            detail,
            status,
            instance,
            parameter,
            value,
            resource_type,
            resource_id,
            field,
            section,
            errors,
            extra: map,
        };
        if legacy && problem.title.is_none() {
            problem.title = problem.errors.iter().find_map(|e| e.message.clone());
        }
        Some(problem)
    }

    /// Any JSON object as a problem: inside a page's `errors` array every
    /// object is one, so one not shaped like a problem is kept whole in
    /// [`Problem::extra`] under `about:blank`.
    pub(crate) fn from_any_object(map: Map<String, Value>) -> Self {
        let fallback = map.clone();
        Self::from_object(map).unwrap_or_else(|| Self {
            type_uri: ABOUT_BLANK.to_owned(),
            extra: fallback,
            ..Self::default()
        })
    }

    /// Parse a response body; `None` unless it is a JSON object shaped like a
    /// problem.
    pub fn from_slice(body: &[u8]) -> Option<Self> {
        match serde_json::from_slice::<Value>(body).ok()? {
            Value::Object(map) => Self::from_object(map),
            _ => None,
        }
    }

    /// The kind, from `type` (and from `status` for `about:blank`).
    pub fn kind(&self, http_status: Option<u16>) -> ProblemKind {
        let status = http_status.or(self.status);
        let kind = ProblemKind::classify(&self.type_uri, status);
        // X's legacy shape says "rate limit" with code 88 rather than a type.
        if kind == ProblemKind::Other(ABOUT_BLANK.to_owned()) && self.legacy_code() == Some(88) {
            return ProblemKind::TooManyRequests;
        }
        kind
    }

    /// The first legacy error code, if the body was X's legacy shape.
    pub fn legacy_code(&self) -> Option<i64> {
        self.errors.iter().find_map(|e| e.code)
    }

    /// The messages of the `errors` array, e.g. which parameter was invalid.
    pub fn messages(&self) -> impl Iterator<Item = &str> {
        self.errors.iter().filter_map(|e| e.message.as_deref())
    }

    fn to_object(&self) -> Map<String, Value> {
        let mut map = self.extra.clone();
        map.insert("type".to_owned(), Value::String(self.type_uri.clone()));
        let strings = [
            ("title", &self.title),
            ("detail", &self.detail),
            ("instance", &self.instance),
            ("parameter", &self.parameter),
            ("value", &self.value),
            ("resource_type", &self.resource_type),
            ("resource_id", &self.resource_id),
            ("field", &self.field),
            ("section", &self.section),
        ];
        for (key, value) in strings {
            if let Some(v) = value {
                map.insert(key.to_owned(), Value::String(v.clone()));
            }
        }
        if let Some(status) = self.status {
            map.insert("status".to_owned(), Value::from(status));
        }
        if !self.errors.is_empty() {
            map.insert(
                "errors".to_owned(),
                serde_json::to_value(&self.errors).unwrap_or(Value::Null),
            );
        }
        map
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title.as_deref().unwrap_or(&self.type_uri))?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        for message in self.messages() {
            write!(f, "; {message}")?;
        }
        Ok(())
    }
}

impl Serialize for Problem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_object().serialize(serializer)
    }
}

/// The wire shape of [`Problem`] (which serializes by hand), for its schema.
#[cfg(feature = "schemars")]
#[derive(schemars::JsonSchema)]
#[schemars(rename = "Problem")]
#[allow(dead_code, reason = "only its schema is used")]
struct ProblemSchema {
    /// A URI naming the kind of problem; `about:blank` when absent.
    #[schemars(rename = "type")]
    type_uri: String,
    /// A short summary of the kind.
    title: Option<String>,
    /// What went wrong this time.
    detail: Option<String>,
    /// The HTTP status the server meant.
    status: Option<u16>,
    /// A URI for this occurrence.
    instance: Option<String>,
    /// The request parameter at fault.
    parameter: Option<String>,
    /// The offending value.
    value: Option<String>,
    /// The kind of resource concerned.
    resource_type: Option<String>,
    /// The resource concerned.
    resource_id: Option<String>,
    /// The field concerned.
    field: Option<String>,
    /// The response section concerned.
    section: Option<String>,
    /// Per-parameter messages, or X's legacy `{code, message}` items.
    errors: Option<Vec<ErrorDetail>>,
    /// Every other member, as sent.
    #[schemars(flatten)]
    extra: Map<String, Value>,
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Problem {
    fn schema_name() -> String {
        "Problem".to_owned()
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        ProblemSchema::json_schema(generator)
    }
}

impl<'de> Deserialize<'de> for Problem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::from_any_object(Map::deserialize(deserializer)?))
    }
}

/// What kind of problem the server reported.
///
/// A problem `type` URI is classified by its path, `/2/problems/<slug>`,
/// whatever the host: X sends both `https://api.x.com/2/problems/` (spec
/// 2.167) and `https://api.twitter.com/2/problems/` (spec 2.159 and many
/// live responses), and may move again. The slugs come from
/// `xconn_sdk::spec::PROBLEM_SLUGS` (checked at compile time) plus those X
/// sends that the spec fragment does not list (each with its reason in
/// this module). `about:blank` has no kind of its own, so the HTTP status
/// decides.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// `invalid-request`: a parameter was invalid; see [`Problem::errors`].
    InvalidRequest,
    /// `resource-not-found`.
    ResourceNotFound,
    /// `not-authorized-for-resource`.
    NotAuthorizedForResource,
    /// `not-authorized-for-field`.
    NotAuthorizedForField,
    /// `field-unauthorized`.
    FieldUnauthorized,
    /// `field-hydration-failure`.
    FieldHydrationFailure,
    /// `resource-unavailable`.
    ResourceUnavailable,
    /// `disallowed-resource`.
    DisallowedResource,
    /// `internal-error`: X failed; retryable.
    InternalError,
    /// `client-forbidden`: the app is not enrolled for this product.
    ClientForbidden,
    /// `usage-capped`: the usage cap is spent. Waiting for the rate-limit
    /// reset does not help; do not retry.
    UsageCapped,
    /// `unsupported-authentication`: wrong kind of token for this endpoint.
    UnsupportedAuthentication,
    /// `client-disconnected`.
    ClientDisconnected,
    /// `operational-disconnect`.
    OperationalDisconnect,
    /// `streaming-connection`.
    StreamingConnection,
    /// `conflict`.
    Conflict,
    /// `duplicate-rules`.
    DuplicateRules,
    /// `invalid-rules`.
    InvalidRules,
    /// `noncompliant-rules`.
    NoncompliantRules,
    /// `rule-cap`.
    RuleCap,
    /// `about:blank` with 401: missing or bad token.
    Unauthorized,
    /// `about:blank` with 403.
    Forbidden,
    /// `about:blank` with 404.
    NotFound,
    /// `about:blank` with 429: the rate window is spent; retry after reset.
    TooManyRequests,
    /// `about:blank` with a 5xx status.
    ServerError,
    /// Any other type URI (or `about:blank` with another status), as sent.
    Other(String),
}

/// The kinds of the spec's problem slugs, in `xconn_sdk::spec::PROBLEM_SLUGS`'
/// (sorted) order.
const SPEC_SLUGS: &[(&str, ProblemKind)] = &[
    ("disallowed-resource", ProblemKind::DisallowedResource),
    (
        "field-hydration-failure",
        ProblemKind::FieldHydrationFailure,
    ),
    ("field-unauthorized", ProblemKind::FieldUnauthorized),
    ("internal-error", ProblemKind::InternalError),
    ("invalid-request", ProblemKind::InvalidRequest),
    (
        "not-authorized-for-field",
        ProblemKind::NotAuthorizedForField,
    ),
    (
        "not-authorized-for-resource",
        ProblemKind::NotAuthorizedForResource,
    ),
    ("resource-not-found", ProblemKind::ResourceNotFound),
    ("resource-unavailable", ProblemKind::ResourceUnavailable),
];

const _: () = {
    let spec = xconn_sdk::spec::PROBLEM_SLUGS;
    assert!(
        SPEC_SLUGS.len() == spec.len(),
        "xconn_sdk::spec::PROBLEM_SLUGS changed: edit SPEC_SLUGS (and ProblemKind) in \
         xconn-ext/src/error/problem.rs; a slug the spec dropped but X still sends moves to \
         UNDOCUMENTED_SLUGS with its reason"
    );
    let mut i = 0;
    while i < spec.len() {
        assert!(
            crate::wire::same(SPEC_SLUGS[i].0, spec[i]),
            "xconn_sdk::spec::PROBLEM_SLUGS changed: edit SPEC_SLUGS (and ProblemKind) in \
             xconn-ext/src/error/problem.rs, in the spec's sorted order"
        );
        i += 1;
    }
};

/// Problem slugs X sends that the connections fragment of the spec does not
/// list: `(slug, kind, why it is known)`. The one place for them.
const UNDOCUMENTED_SLUGS: &[(&str, ProblemKind, &str)] = &[
    (
        "usage-capped",
        ProblemKind::UsageCapped,
        "X's 429 when the monthly usage cap is spent (X's full spec; observed on these endpoints)",
    ),
    (
        "client-forbidden",
        ProblemKind::ClientForbidden,
        "X's 403 for an app not enrolled for the product (X's full spec; observed on these endpoints)",
    ),
    (
        "unsupported-authentication",
        ProblemKind::UnsupportedAuthentication,
        "X's full spec: the wrong kind of token for an endpoint",
    ),
    (
        "client-disconnected",
        ProblemKind::ClientDisconnected,
        "X's full spec: streaming endpoints, whose connections these are",
    ),
    (
        "operational-disconnect",
        ProblemKind::OperationalDisconnect,
        "X's full spec: streaming endpoints, whose connections these are",
    ),
    (
        "streaming-connection",
        ProblemKind::StreamingConnection,
        "X's full spec: streaming endpoints (too many connections)",
    ),
    (
        "conflict",
        ProblemKind::Conflict,
        "X's full spec: other operations",
    ),
    (
        "duplicate-rules",
        ProblemKind::DuplicateRules,
        "X's full spec: filtered-stream rules",
    ),
    (
        "invalid-rules",
        ProblemKind::InvalidRules,
        "X's full spec: filtered-stream rules",
    ),
    (
        "noncompliant-rules",
        ProblemKind::NoncompliantRules,
        "X's full spec: filtered-stream rules",
    ),
    (
        "rule-cap",
        ProblemKind::RuleCap,
        "X's full spec: filtered-stream rules",
    ),
];

/// The `<slug>` of a problem type URI whose path is `/2/problems/<slug>`,
/// whatever the scheme and host (a relative reference counts too).
fn slug_of(type_uri: &str) -> Option<&str> {
    let path = match type_uri.split_once("://") {
        Some((_, rest)) => &rest[rest.find('/')?..],
        None if type_uri.starts_with('/') => type_uri,
        None => return None,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let slug = path
        .strip_prefix(xconn_sdk::spec::PROBLEM_PATH_PREFIX)?
        .trim_end_matches('/');
    (!slug.is_empty() && !slug.contains('/')).then_some(slug)
}

/// The spec's type URI for `slug` (with whatever host the spec uses); a
/// compile error in a `const` when the spec has no such problem type.
#[cfg(any(test, feature = "sandbox"))]
pub(crate) const fn spec_type_uri(slug: &str) -> &'static str {
    let types = xconn_sdk::spec::PROBLEM_TYPES;
    let mut i = 0;
    while i < types.len() {
        let uri = types[i].as_bytes();
        let tail = slug.as_bytes();
        if uri.len() > tail.len() && uri[uri.len() - tail.len() - 1] == b'/' {
            let mut k = 0;
            while k < tail.len() && uri[uri.len() - tail.len() + k] == tail[k] {
                k += 1;
            }
            if k == tail.len() {
                return types[i];
            }
        }
        i += 1;
    }
    panic!("a problem type the sandbox sends is not in xconn_sdk::spec::PROBLEM_TYPES")
}

impl ProblemKind {
    /// Classify a problem `type` URI; `status` decides for `about:blank`.
    pub fn classify(type_uri: &str, status: Option<u16>) -> Self {
        if type_uri == ABOUT_BLANK || type_uri.is_empty() {
            return match status {
                Some(401) => Self::Unauthorized,
                Some(403) => Self::Forbidden,
                Some(404) => Self::NotFound,
                Some(429) => Self::TooManyRequests,
                Some(500..=599) => Self::ServerError,
                _ => Self::Other(ABOUT_BLANK.to_owned()),
            };
        }
        let known = slug_of(type_uri).and_then(|slug| {
            SPEC_SLUGS
                .iter()
                .map(|(known, kind)| (known, kind))
                .chain(
                    UNDOCUMENTED_SLUGS
                        .iter()
                        .map(|(known, kind, _)| (known, kind)),
                )
                .find(|(known, _)| **known == slug)
                .map(|(_, kind)| kind.clone())
        });
        known.unwrap_or_else(|| Self::Other(type_uri.to_owned()))
    }

    /// Whether the same request may succeed later without any change.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::InternalError | Self::ServerError | Self::TooManyRequests
        )
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Other(uri) => f.write_str(uri),
            other => write!(f, "{other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_hosts_give_the_same_kind() {
        for host in ["https://api.x.com", "https://api.twitter.com"] {
            let uri = format!("{host}/2/problems/usage-capped");
            assert_eq!(
                ProblemKind::classify(&uri, Some(429)),
                ProblemKind::UsageCapped
            );
        }
    }

    #[test]
    fn the_path_decides_whatever_the_host() {
        for uri in [
            "https://api.x.com/2/problems/invalid-request",
            "https://problems.example.net/2/problems/invalid-request",
            "http://api.twitter.com:8443/2/problems/invalid-request/",
            "/2/problems/invalid-request",
        ] {
            assert_eq!(
                ProblemKind::classify(uri, Some(400)),
                ProblemKind::InvalidRequest,
                "{uri}"
            );
        }
        for uri in [
            "https://api.x.com/3/problems/invalid-request",
            "https://api.x.com/2/problems/",
            "https://api.x.com/2/problems/a/b",
            "invalid-request",
            "https://api.x.com/2/problems/not-a-kind",
        ] {
            assert_eq!(
                ProblemKind::classify(uri, Some(400)),
                ProblemKind::Other(uri.to_owned()),
                "{uri}"
            );
        }
    }

    #[test]
    fn every_spec_and_undocumented_slug_has_its_kind() {
        for (slug, kind) in SPEC_SLUGS
            .iter()
            .map(|(s, k)| (s, k))
            .chain(UNDOCUMENTED_SLUGS.iter().map(|(s, k, _)| (s, k)))
        {
            let uri = format!("https://elsewhere.example/2/problems/{slug}");
            assert_eq!(&ProblemKind::classify(&uri, None), kind, "{slug}");
        }
        // No slug is in both tables.
        for (slug, _, _) in UNDOCUMENTED_SLUGS {
            assert!(!xconn_sdk::spec::PROBLEM_SLUGS.contains(slug), "{slug}");
        }
        assert_eq!(
            spec_type_uri("invalid-request"),
            "https://api.x.com/2/problems/invalid-request"
        );
    }

    /// The schemas of a terminate report and its problems use wire names.
    #[cfg(feature = "schemars")]
    #[test]
    fn schemas_use_the_wire_names() {
        let report = serde_json::to_value(schemars::schema_for!(crate::TerminateReport)).unwrap();
        let problem = &report["definitions"]["Problem"];
        assert_eq!(
            problem["properties"]["type"]["type"], "string",
            "{report:#}"
        );
        assert!(
            problem["properties"].get("type_uri").is_none(),
            "{report:#}"
        );
        assert_eq!(
            report["definitions"]["TerminateResult"]["required"],
            serde_json::json!(["success", "uuid"]),
            "{report:#}"
        );
        // Closed enums: exactly the wire names (one documented `oneOf` arm each).
        let status = serde_json::to_value(schemars::schema_for!(crate::ConnectionStatus)).unwrap();
        let names: Vec<&Value> = status["oneOf"]
            .as_array()
            .expect("oneOf")
            .iter()
            .flat_map(|arm| arm["enum"].as_array().expect("enum"))
            .collect();
        assert_eq!(names, crate::ConnectionStatus::NAMES, "{status:#}");
        // Open enums are any string.
        let endpoint = serde_json::to_value(schemars::schema_for!(crate::StreamEndpoint)).unwrap();
        assert_eq!(endpoint["type"], "string");
        assert!(endpoint.get("enum").is_none());
    }

    #[test]
    fn about_blank_is_classified_by_status() {
        assert_eq!(
            ProblemKind::classify(ABOUT_BLANK, Some(401)),
            ProblemKind::Unauthorized
        );
        assert_eq!(
            ProblemKind::classify(ABOUT_BLANK, Some(503)),
            ProblemKind::ServerError
        );
        assert_eq!(
            ProblemKind::classify(ABOUT_BLANK, Some(400)),
            ProblemKind::Other(ABOUT_BLANK.into())
        );
    }

    #[test]
    fn odd_member_types_are_kept_not_fatal() {
        let p =
            Problem::from_slice(br#"{"type":"about:blank","status":"429","detail":7}"#).unwrap();
        assert_eq!(p.status, None);
        assert_eq!(p.detail, None);
        assert_eq!(p.extra["status"], Value::from("429"));
        assert_eq!(p.extra["detail"], Value::from(7));
    }
}
