//! The checked-in response bodies under `tests/fixtures/`, each loaded once.

/// The response example of the spec's `GET /2/connections` page, as it stands.
pub const SEED: &str = include_str!("../../fixtures/seed-get-connection-history.json");
/// A 200 page carrying both `data` and partial `errors`.
pub const DATA_AND_ERRORS: &str = include_str!("../../fixtures/history-data-and-errors.json");
/// A terminate response: one killed, failures listed.
pub const KILLED: &str = include_str!("../../fixtures/terminate-connections.json");
/// A terminate response with members the spec does not name.
pub const KILLED_UNKNOWN_FIELDS: &str =
    include_str!("../../fixtures/terminate-connections-unknown-fields.json");
/// 400 `invalid-request` problem.
pub const INVALID_REQUEST: &str = include_str!("../../fixtures/error-400-invalid-request.json");
/// 401 `about:blank` problem.
pub const UNAUTHORIZED: &str = include_str!("../../fixtures/error-401-about-blank.json");
/// 401 in X's legacy error shape.
pub const LEGACY_401: &str = include_str!("../../fixtures/error-401-legacy.json");
/// 403 `client-forbidden` problem.
pub const CLIENT_FORBIDDEN: &str = include_str!("../../fixtures/error-403-client-forbidden.json");
/// 429 `about:blank` problem.
pub const TOO_MANY: &str = include_str!("../../fixtures/error-429-about-blank.json");
/// 429 in X's legacy error shape.
pub const LEGACY_429: &str = include_str!("../../fixtures/error-429-legacy.json");
/// 429 `usage-capped` problem.
pub const USAGE_CAPPED: &str = include_str!("../../fixtures/error-429-usage-capped.json");
/// 502 HTML page from a proxy.
pub const BAD_GATEWAY: &str = include_str!("../../fixtures/error-502-bad-gateway.html");
