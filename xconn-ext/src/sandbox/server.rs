//! The sandbox's HTTP handling: routing, faults, auth and the four operations.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::SandboxConfig;
use super::churn::ChurnState;
use super::data::{self, Connection, ENDPOINTS};
use super::query::{self, ListQuery, ParamError, StatusFilter};
use super::responses::{about_blank, invalid_request, ok, unavailable, usage_capped};

/// The largest request body read; bigger ones are refused.
const BODY_LIMIT: usize = 1 << 20;
/// The length of a rate-limit window.
const RATE_WINDOW: Duration = Duration::from_secs(60);
/// The `x-rate-limit-limit` shown with the usage-capped fault when no rate limit is set.
const NOMINAL_LIMIT: u32 = 300;

/// State shared by the server task and the [`super::Sandbox`] handle.
pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    pub(crate) requests: AtomicU64,
    state: Mutex<Store>,
}

struct Store {
    /// Newest `connected_at` first; the position is the pagination key.
    connections: Vec<Connection>,
    by_id: HashMap<String, usize>,
    /// Seconds past [`SANDBOX_EPOCH`].
    clock: i64,
    window: Option<RateWindow>,
    churn: Option<ChurnState>,
}

impl Store {
    /// Moves the sandbox's clock on by `secs`, applying the churn due.
    fn tick(&mut self, epoch: i64, secs: i64) {
        self.clock += secs;
        if let Some(churn) = &mut self.churn {
            churn.catch_up(epoch + self.clock, &mut self.connections, &mut self.by_id);
        }
    }
}

struct RateWindow {
    started: Instant,
    reset_unix: u64,
    used: u32,
}

/// The `x-rate-limit-*` header values for one response.
struct RateHeaders {
    limit: u32,
    remaining: u32,
    reset_unix: u64,
}

impl RateHeaders {
    fn apply(&self, headers: &mut HeaderMap) {
        headers.insert("x-rate-limit-limit", HeaderValue::from(self.limit));
        headers.insert("x-rate-limit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-rate-limit-reset", HeaderValue::from(self.reset_unix));
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Shared {
    pub(crate) fn new(config: SandboxConfig) -> Self {
        let connections = data::generate(config.connections, config.seed, config.epoch);
        let by_id = connections
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        let churn = config
            .churn
            .map(|churn| ChurnState::new(churn, config.epoch, &connections));
        Self {
            config,
            requests: AtomicU64::new(0),
            state: Mutex::new(Store {
                connections,
                by_id,
                clock: 0,
                window: None,
                churn,
            }),
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // Nothing panics while holding the lock; recover anyway rather than propagate.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the sandbox's clock on by `secs` (churn included).
    pub(crate) fn advance(&self, secs: i64) {
        self.store().tick(self.config.epoch, secs);
    }

    /// The sandbox's "now", in unix seconds.
    pub(crate) fn now(&self) -> i64 {
        self.config.epoch + self.store().clock
    }

    /// Counts one request against the [`super::Churn::rate_limit`] window,
    /// which runs on the sandbox's clock; `None` without one.
    fn take_churn_rate(&self) -> Option<Result<RateHeaders, RateHeaders>> {
        let mut store = self.store();
        let now = self.config.epoch + store.clock;
        let taken = store.churn.as_mut()?.take_rate(now)?;
        let headers = |(limit, remaining, reset): (u32, u32, i64)| RateHeaders {
            limit,
            remaining,
            reset_unix: u64::try_from(reset).unwrap_or(0),
        };
        Some(taken.map(headers).map_err(headers))
    }

    /// Counts one request against the rate limit; `Err` when it is exhausted.
    fn take_rate(&self, limit: u32) -> Result<RateHeaders, RateHeaders> {
        let mut store = self.store();
        let now = Instant::now();
        let window = match &mut store.window {
            Some(w) if now.duration_since(w.started) < RATE_WINDOW => w,
            slot => slot.insert(RateWindow {
                started: now,
                reset_unix: unix_now() + RATE_WINDOW.as_secs(),
                used: 0,
            }),
        };
        if window.used >= limit {
            return Err(RateHeaders {
                limit,
                remaining: 0,
                reset_unix: window.reset_unix,
            });
        }
        window.used += 1;
        Ok(RateHeaders {
            limit,
            remaining: limit - window.used,
            reset_unix: window.reset_unix,
        })
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let n = shared.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let response = respond(&shared, n, request).await;
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    response
}

enum Route {
    List,
    DeleteByUuids,
    DeleteAll,
    DeleteByEndpoint(String),
}

fn route(method: &Method, path: &str) -> Option<Route> {
    let rest = path.strip_prefix("/2/connections")?;
    match (method, rest) {
        (&Method::GET, "") => Some(Route::List),
        (&Method::DELETE, "") => Some(Route::DeleteByUuids),
        (&Method::DELETE, "/all") => Some(Route::DeleteAll),
        (&Method::DELETE, rest) => {
            let segment = rest.strip_prefix('/')?;
            (!segment.is_empty() && !segment.contains('/'))
                .then(|| Route::DeleteByEndpoint(query::percent_decode(segment)))
        }
        _ => None,
    }
}

async fn respond(shared: &Shared, n: u64, request: Request) -> Response {
    let config = &shared.config;
    if n <= u64::from(config.unavailable_burst) {
        return unavailable(n);
    }
    let Some(route) = route(request.method(), request.uri().path()) else {
        return about_blank(StatusCode::NOT_FOUND, "Not Found");
    };
    if !authorized(request.headers(), &config.token) {
        return about_blank(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let taken = shared
        .take_churn_rate()
        .or_else(|| config.rate_limit_after.map(|limit| shared.take_rate(limit)));
    let rate = match taken {
        Some(Ok(headers)) => Some(headers),
        Some(Err(headers)) => {
            let mut response = about_blank(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
            headers.apply(response.headers_mut());
            return response;
        }
        None => None,
    };
    let mut response = if config.usage_capped {
        let mut response = usage_capped();
        if rate.is_none() {
            RateHeaders {
                limit: NOMINAL_LIMIT,
                remaining: NOMINAL_LIMIT - 1,
                reset_unix: unix_now() + RATE_WINDOW.as_secs(),
            }
            .apply(response.headers_mut());
        }
        response
    } else {
        let raw_query = request.uri().query().map(str::to_owned);
        match route {
            Route::List => list(shared, raw_query.as_deref()),
            Route::DeleteByUuids => {
                match axum::body::to_bytes(request.into_body(), BODY_LIMIT).await {
                    Ok(body) => delete_by_uuids(shared, &body),
                    Err(_) => invalid_request(vec![ParamError::new(
                        "",
                        Vec::new(),
                        format!("The request body could not be read or is over {BODY_LIMIT} bytes"),
                    )]),
                }
            }
            Route::DeleteAll => terminate_where(shared, |_| true),
            Route::DeleteByEndpoint(name) => match ENDPOINTS.iter().position(|e| *e == name) {
                Some(endpoint) => terminate_where(shared, |c| c.endpoint == endpoint),
                None => invalid_request(vec![ParamError::new(
                    "endpoint_id",
                    vec![name.clone()],
                    format!(
                        "The `endpoint_id` path parameter value [{name}] is not one of [{}]",
                        ENDPOINTS.join(",")
                    ),
                )]),
            },
        }
    };
    if let Some(rate) = rate {
        rate.apply(response.headers_mut());
    }
    response
}

fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    match value.split_once(' ') {
        Some((scheme, given)) => scheme.eq_ignore_ascii_case("bearer") && given.trim() == token,
        None => false,
    }
}

fn matches(query: &ListQuery, connection: &Connection) -> bool {
    let status = match query.status {
        StatusFilter::Active => connection.is_active(),
        StatusFilter::Inactive => !connection.is_active(),
        StatusFilter::All => true,
    };
    status && query.endpoints & (1 << connection.endpoint) != 0
}

fn list(shared: &Shared, raw_query: Option<&str>) -> Response {
    let query = match query::parse_list_query(raw_query, shared.config.seed) {
        Ok(query) => query,
        Err(errors) => return invalid_request(errors),
    };
    let mut store = shared.store();
    store.tick(shared.config.epoch, 1);
    let mut hits = store
        .connections
        .iter()
        .enumerate()
        .skip(query.start)
        .filter(|(_, c)| matches(&query, c));
    let page: Vec<Value> = hits
        .by_ref()
        .take(query.max_results)
        .map(|(_, c)| Value::Object(c.project(&query.fields)))
        .collect();
    let next = hits.next().map(|(i, _)| i);
    drop(store);

    let mut meta = json!({ "result_count": page.len() });
    if let Some(next) = next {
        let fingerprint = ListQuery::fingerprint(query.status, query.endpoints, shared.config.seed);
        meta["next_token"] = Value::String(query::encode_token(next, fingerprint));
    }
    let mut body = json!({});
    if !page.is_empty() {
        body["data"] = Value::Array(page);
    }
    body["meta"] = meta;
    ok(&body)
}

/// One `results` item of a terminate response.
fn kill_result(uuid: &str, error: Option<&str>) -> Value {
    match error {
        None => json!({ "uuid": uuid, "success": true }),
        Some(message) => json!({ "uuid": uuid, "success": false, "error_message": message }),
    }
}

fn kill_response(results: Vec<Value>) -> Response {
    let successful = results.iter().filter(|r| r["success"] == true).count();
    let failed = results.len() - successful;
    ok(&json!({
        "data": {
            "successful_kills": successful,
            "failed_kills": failed,
            "results": results,
        }
    }))
}

fn terminate(connection: &mut Connection, now: i64) {
    connection.disconnected_at = Some(now);
    connection.disconnect_reason = Some(data::TERMINATED_REASON);
}

fn terminate_where(shared: &Shared, select: impl Fn(&Connection) -> bool) -> Response {
    let mut store = shared.store();
    store.tick(shared.config.epoch, 1);
    let now = shared.config.epoch + store.clock;
    let mut results = Vec::new();
    for connection in &mut store.connections {
        if connection.is_active() && select(connection) {
            terminate(connection, now);
            results.push(kill_result(&connection.id, None));
        }
    }
    drop(store);
    kill_response(results)
}

/// Validates a `DeleteConnectionsByUuidsRequest` body.
fn parse_uuids(body: &Bytes) -> Result<Vec<String>, ParamError> {
    let body_error = |message: String| ParamError::new("", Vec::new(), message);
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| body_error(format!("The request body is not valid JSON: {e}")))?;
    let Value::Object(object) = value else {
        return Err(body_error(
            "The request body must be a JSON object".to_owned(),
        ));
    };
    if let Some(key) = object.keys().find(|k| *k != "uuids") {
        return Err(body_error(format!(
            "The request body property [{key}] is not one of [uuids]"
        )));
    }
    let Some(uuids) = object.get("uuids") else {
        return Err(body_error(
            "The `uuids` request body property is required".to_owned(),
        ));
    };
    let Value::Array(items) = uuids else {
        return Err(ParamError::new(
            "uuids",
            vec![uuids.to_string()],
            "The `uuids` request body property must be an array of strings".to_owned(),
        ));
    };
    let shown: Vec<String> = items
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        .collect();
    if let Some(i) = items.iter().position(|v| !v.is_string()) {
        return Err(ParamError::new(
            "uuids",
            shown,
            format!("The `uuids` request body property item [{i}] is not a string"),
        ));
    }
    const MAX: usize = xconn_sdk::spec::MAX_UUIDS_PER_REQUEST;
    if !(1..=MAX).contains(&items.len()) {
        let len = items.len();
        return Err(ParamError::new(
            "uuids",
            shown,
            format!(
                "The `uuids` request body property has {len} items; it must have between 1 and \
                 {MAX}"
            ),
        ));
    }
    Ok(shown)
}

fn delete_by_uuids(shared: &Shared, body: &Bytes) -> Response {
    let uuids = match parse_uuids(body) {
        Ok(uuids) => uuids,
        Err(error) => return invalid_request(vec![error]),
    };
    let mut store = shared.store();
    store.tick(shared.config.epoch, 1);
    let now = shared.config.epoch + store.clock;
    let mut results = Vec::with_capacity(uuids.len());
    for uuid in &uuids {
        let index = store.by_id.get(uuid).copied();
        let outcome = match index.and_then(|i| store.connections.get_mut(i)) {
            None => Some("Connection not found"),
            Some(c) if !c.is_active() => Some("Connection is not active"),
            Some(c) => {
                terminate(c, now);
                None
            }
        };
        results.push(kill_result(uuid, outcome));
    }
    drop(store);
    kill_response(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert!(matches!(
            route(&Method::GET, "/2/connections"),
            Some(Route::List)
        ));
        assert!(matches!(
            route(&Method::DELETE, "/2/connections/all"),
            Some(Route::DeleteAll)
        ));
        assert!(matches!(
            route(&Method::DELETE, "/2/connections/sample%5Fstream"),
            Some(Route::DeleteByEndpoint(e)) if e == "sample_stream"
        ));
        assert!(route(&Method::GET, "/2/connections/all").is_none());
        assert!(route(&Method::POST, "/2/connections").is_none());
        assert!(route(&Method::DELETE, "/2/connections/").is_none());
        assert!(route(&Method::DELETE, "/2/connections/a/b").is_none());
        assert!(route(&Method::GET, "/2/connectionsx").is_none());
        assert!(route(&Method::GET, "/").is_none());
    }

    #[test]
    fn auth_header() {
        let mut h = HeaderMap::new();
        assert!(!authorized(&h, "t"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        assert!(authorized(&h, "t"));
        assert!(!authorized(&h, "u"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer t"));
        assert!(authorized(&h, "t"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic t"));
        assert!(!authorized(&h, "t"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer"));
        assert!(!authorized(&h, "t"));
    }

    #[test]
    fn uuid_bodies() {
        let parse = |s: &str| parse_uuids(&Bytes::copy_from_slice(s.as_bytes()));
        assert_eq!(parse(r#"{"uuids":["a","b"]}"#).unwrap(), ["a", "b"]);
        for bad in [
            "",
            "{",
            "[]",
            "null",
            "{}",
            r#"{"uuids":[]}"#,
            r#"{"uuids":"a"}"#,
            r#"{"uuids":[1]}"#,
            r#"{"uuids":["a"],"x":1}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let many = format!(r#"{{"uuids":[{}]}}"#, vec![r#""a""#; 101].join(","));
        assert!(parse(&many).is_err());
    }

    #[test]
    fn rate_window() {
        let shared = Shared::new(SandboxConfig::default().connections(0));
        assert_eq!(shared.take_rate(2).map(|h| h.remaining).ok(), Some(1));
        assert_eq!(shared.take_rate(2).map(|h| h.remaining).ok(), Some(0));
        assert!(shared.take_rate(2).is_err());
    }
}
