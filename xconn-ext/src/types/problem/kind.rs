//! [`ProblemKind`]: what kind of problem the server reported.

use std::fmt;

use super::ABOUT_BLANK;
use super::slugs;
use crate::types::enums::UnknownVariantValue;

/// What kind of problem the server reported.
///
/// A problem `type` URI is classified by its path, `/2/problems/<slug>`,
/// whatever the host: X sends both `https://api.x.com/2/problems/` (spec
/// 2.167) and `https://api.twitter.com/2/problems/` (spec 2.159 and many
/// live responses), and may move again. The slugs come from
/// `xconn_sdk::spec::PROBLEM_SLUGS` (checked at compile time) plus those X
/// sends that the spec fragment does not list (each with its reason, in
/// `types/problem/slugs.rs`). `about:blank` has no kind of its own, so the HTTP status
/// decides.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// `invalid-request`: a parameter was invalid; see [`Problem::errors`](super::Problem::errors).
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
    /// Any other type URI (or `about:blank` with another status), kept as
    /// sent; read it with [`UnknownVariantValue::as_str`].
    Unknown(UnknownVariantValue),
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
                _ => Self::Unknown(UnknownVariantValue::new(ABOUT_BLANK.to_owned())),
            };
        }
        slugs::kind_of(type_uri)
            .unwrap_or_else(|| Self::Unknown(UnknownVariantValue::new(type_uri.to_owned())))
    }

    /// Whether the same request may succeed later without any change.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::InternalError | Self::ServerError | Self::TooManyRequests
        )
    }

    /// Whether this version knows the kind (it is not
    /// [`ProblemKind::Unknown`]).
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Unknown(_))
    }

    /// `about:blank` with a status that says nothing more.
    pub(super) fn is_unknown_about_blank(&self) -> bool {
        matches!(self, Self::Unknown(uri) if uri.as_str() == ABOUT_BLANK)
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(uri) => f.write_str(uri.as_str()),
            other => write!(f, "{other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unknown case for `uri`, as a caller sees it.
    fn unknown(kind: &ProblemKind) -> Option<&str> {
        match kind {
            ProblemKind::Unknown(uri) => Some(uri.as_str()),
            _ => None,
        }
    }

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
                unknown(&ProblemKind::classify(uri, Some(400))),
                Some(uri),
                "{uri}"
            );
        }
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
        let other = ProblemKind::classify(ABOUT_BLANK, Some(400));
        assert_eq!(unknown(&other), Some(ABOUT_BLANK));
        assert_eq!(other.to_string(), ABOUT_BLANK);
        assert!(!other.is_known());
    }
}
