//! The problem types [`ProblemKind`] knows, by the slug of their URI path
//! (`/2/problems/<slug>`): the spec's, tied to `xconn_sdk::spec` at compile
//! time, and those X sends that the spec fragment does not list.

use super::ProblemKind;
use crate::const_str::same;

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
         xconn-ext/src/types/problem/slugs.rs; a slug the spec dropped but X still sends moves to \
         UNDOCUMENTED_SLUGS with its reason"
    );
    let mut i = 0;
    while i < spec.len() {
        assert!(
            same(SPEC_SLUGS[i].0, spec[i]),
            "xconn_sdk::spec::PROBLEM_SLUGS changed: edit SPEC_SLUGS (and ProblemKind) in \
             xconn-ext/src/types/problem/slugs.rs, in the spec's sorted order"
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

/// The kind of a type URI whose path is `/2/problems/<slug>` with a slug
/// of either table; `None` for any other URI.
pub(super) fn kind_of(type_uri: &str) -> Option<ProblemKind> {
    let slug = slug_of(type_uri)?;
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
