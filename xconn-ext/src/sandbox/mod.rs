//! An in-process, stateful fake of the X API v2 Stream Connections API.
//!
//! [`Sandbox::start`] binds an HTTP server to `127.0.0.1` (a free port unless
//! [`SandboxConfig::port`] says otherwise) on the current tokio runtime. It serves the four
//! Stream Connections operations over seeded, deterministic data, and can inject the failures
//! the real API produces (rate limits, usage caps, 503s from the edge, latency). Think
//! stripe-mock or LocalStack, but inside your test process.
//!
//! ```
//! use xconn_ext::futures::TryStreamExt;
//! use xconn_ext::sandbox::{Sandbox, SandboxConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::start(SandboxConfig::default().connections(50).seed(7)).await?;
//! // A client already pointed at the sandbox, with its token.
//! let client = sandbox.client()?;
//! let active: Vec<_> = client.connections().stream().try_collect().await?;
//! assert!(!active.is_empty());
//! # Ok(()) }
//! ```
//!
//! # Behaviour
//!
//! * `GET /2/connections`: `status` (`active` by default, `inactive`, `all`), `endpoints`
//!   (comma-separated endpoint names), `connection.fields` (comma-separated), `max_results`
//!   (`xconn_sdk::spec::MAX_RESULTS_MIN..=MAX_RESULTS_MAX`, default `MAX_RESULTS_DEFAULT`:
//!   1..=100 and 10 in spec 2.167) and `pagination_token`. Every list and bound comes from
//!   the typed enums and `xconn_sdk::spec`, so the sandbox follows a regenerated spec.
//!   Without `connection.fields` a connection shows [`DEFAULT_CONNECTION_FIELDS`] (the fields of the documented example: everything but
//!   `id`); with it, exactly the asked fields (the library's `connections()` always sends it:
//!   every field unless `.fields()` narrows them). A field without a value (`disconnected_at` and
//!   `disconnect_reason` of an active connection) is omitted, never `null`. Connections are
//!   listed newest `connected_at` first. `data` is omitted on an empty page, `meta.next_token`
//!   on the last page. Tokens are opaque and bound to the `status`/`endpoints` filter (and the
//!   seed); `max_results` and `connection.fields` may change between pages. Pages are keyed
//!   on position, so terminating connections while paging never duplicates an item. Unknown
//!   and repeated query parameters are refused, like the real API does.
//! * `DELETE /2/connections` with `{"uuids": [...]}` (1 to
//!   `xconn_sdk::spec::MAX_UUIDS_PER_REQUEST` strings): terminates the
//!   listed active connections. Unknown or already inactive ids are counted in `failed_kills`
//!   with an `error_message`.
//! * `DELETE /2/connections/all` and `DELETE /2/connections/{endpoint_name}`: terminate every
//!   active connection (of that endpoint). An unknown endpoint name is a 400.
//! * A terminated connection becomes inactive with `disconnect_reason` `operator_disconnect`
//!   and `disconnected_at` the sandbox's "now".
//! * Other ended connections carry the reasons in [`DISCONNECT_REASONS`]: besides
//!   `operator_disconnect` (the one value X documents), these are the sandbox's **inventions**,
//!   marked by the prefix [`INVENTED_REASON_PREFIX`] (`sandbox_stall`...), so that tests meet
//!   reasons this version does not know. X does not send them: do not match on them in code
//!   that runs against the real API.
//! * The sandbox's "now" starts at [`SANDBOX_EPOCH`] (2025-06-01T00:00:00Z; see
//!   [`SandboxConfig::epoch`]) and advances one
//!   second per API operation served, so the same requests always give the same answers. All
//!   seeded timestamps lie before the epoch.
//! * With [`SandboxConfig::churn`], connections start and end as that clock moves (seeded,
//!   reproducible); [`Sandbox::advance`] moves it on, so a test drives a watch's time.
//! * Errors are RFC 7807 problems (`application/problem+json`), in the shapes X really sends:
//!   400 `https://api.x.com/2/problems/invalid-request` with an `errors` array naming the
//!   parameters; 401 and 404 `about:blank`. Successful responses are
//!   `application/json; charset=utf-8`.
//!
//! # Order of checks
//!
//! For each request: count it ([`Sandbox::request_count`]); the unavailable burst (503);
//! routing (404); authentication (401); the rate limit (429); the usage cap (429); then the
//! operation and its own validation (400). The configured latency is added to every response.
//! The rate limit counts only requests that reach it.

mod churn;
mod data;
mod query;
mod responses;
mod server;
mod time;

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::SharedClock;
use tokio::task::JoinHandle;

pub use churn::Churn;
pub use data::{
    CONNECTION_FIELDS, DEFAULT_CONNECTION_FIELDS, DISCONNECT_REASONS, ENDPOINTS,
    INVENTED_REASON_PREFIX, SANDBOX_EPOCH,
};
pub use time::{RecordingSleep, SandboxClock, SandboxSleep};

/// The bearer token a sandbox accepts unless configured otherwise.
pub const DEFAULT_TOKEN: &str = "sandbox-token";

/// How a [`Sandbox`] behaves: its data, its token and the faults it injects.
///
/// Build one from [`SandboxConfig::default`] with the setters. Its `Debug` output does not
/// show the token.
#[derive(Clone)]
pub struct SandboxConfig {
    connections: usize,
    seed: u64,
    token: String,
    host: IpAddr,
    port: u16,
    rate_limit_after: Option<u32>,
    unavailable_burst: u32,
    latency: Duration,
    usage_capped: bool,
    epoch: i64,
    churn: Option<Churn>,
}

impl Default for SandboxConfig {
    /// 250 connections from seed 0, token [`DEFAULT_TOKEN`], a free port and no faults.
    fn default() -> Self {
        Self {
            connections: 250,
            seed: 0,
            token: DEFAULT_TOKEN.to_owned(),
            host: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            rate_limit_after: None,
            unavailable_burst: 0,
            latency: Duration::ZERO,
            usage_capped: false,
            epoch: SANDBOX_EPOCH,
            churn: None,
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("connections", &self.connections)
            .field("seed", &self.seed)
            .field("token", &"<redacted>")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("rate_limit_after", &self.rate_limit_after)
            .field("unavailable_burst", &self.unavailable_burst)
            .field("latency", &self.latency)
            .field("usage_capped", &self.usage_capped)
            .field("epoch", &self.epoch)
            .field("churn", &self.churn)
            .finish()
    }
}

impl SandboxConfig {
    /// How many connections to seed (default 250).
    ///
    /// From 28 on, every endpoint has at least one active and one inactive connection; the
    /// rest are spread over the endpoints at random, about one in five active.
    #[must_use]
    pub fn connections(mut self, connections: usize) -> Self {
        self.connections = connections;
        self
    }

    /// The seed of the generated data (default 0). The same seed gives the same data.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The bearer token requests must carry (default [`DEFAULT_TOKEN`]).
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
        self
    }

    /// The port to bind on 127.0.0.1 (default 0: a free port chosen by the OS).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The address to bind instead of 127.0.0.1 (`xconn sandbox serve
    /// --addr`, for programs in other containers); the sandbox has no
    /// secrets, but anyone who reaches it can change its state.
    #[must_use]
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// Rate-limits the API: within a 60-second window the first `n` authenticated requests
    /// are served and later ones get `429` with X's `about:blank` body and
    /// `x-rate-limit-limit`, `x-rate-limit-remaining` and `x-rate-limit-reset` (unix seconds,
    /// wall clock) headers. The window starts with the first counted request. Every
    /// authenticated response carries the headers while this is set. `None` (the default)
    /// turns the limit off.
    #[must_use]
    pub fn rate_limit_after(mut self, n: impl Into<Option<u32>>) -> Self {
        self.rate_limit_after = n.into();
        self
    }

    /// The first `n` requests get `503 Service Unavailable`, as from a load balancer: the
    /// 1st, 3rd, ... with a small HTML page, the 2nd, 4th, ... with an empty body.
    #[must_use]
    pub fn unavailable_burst(mut self, n: u32) -> Self {
        self.unavailable_burst = n;
        self
    }

    /// Delay added to every response (default none).
    #[must_use]
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// When `true`, every authenticated request gets `429` with X's usage-capped problem
    /// (`https://api.twitter.com/2/problems/usage-capped`) while `x-rate-limit-remaining`
    /// stays far from 0: the monthly cap is spent, waiting does not help.
    #[must_use]
    pub fn usage_capped(mut self, capped: bool) -> Self {
        self.usage_capped = capped;
        self
    }

    /// The sandbox's "now" at start, in unix seconds (default
    /// [`SANDBOX_EPOCH`]): seeded times lie before it. The data stays the
    /// same for a given seed, shifted in time; a demo may pass the current
    /// time so that durations read naturally.
    #[must_use]
    pub fn epoch(mut self, unix_seconds: i64) -> Self {
        self.epoch = unix_seconds;
        self
    }

    /// Connections start and end as the sandbox's clock moves (seeded,
    /// reproducible): for watching. New connections are listed first, so
    /// a listing paged while they arrive may show one record twice.
    /// Off by default.
    #[must_use]
    pub fn churn(mut self, churn: impl Into<Option<Churn>>) -> Self {
        self.churn = churn.into();
        self
    }
}

/// A running sandbox server. Dropping it stops the server and frees the port.
pub struct Sandbox {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<server::Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .field("config", &self.shared.config)
            .field("request_count", &self.request_count())
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Binds 127.0.0.1 (or [`SandboxConfig::host`]) and serves the sandbox on a task of the current tokio runtime.
    ///
    /// # Errors
    ///
    /// When called outside a tokio runtime, or when the port cannot be bound.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let runtime = tokio::runtime::Handle::try_current().map_err(std::io::Error::other)?;
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::new(config.host, config.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(server::Shared::new(config));
        let router = server::router(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
            // Resolves on an explicit stop and when the sender is dropped.
            let _ = stopped.await;
        });
        let task = runtime.spawn(async move {
            if let Err(error) = serve.await {
                tracing::warn!(%error, "sandbox server failed");
            }
        });
        tracing::debug!(%addr, "sandbox listening");
        Ok(Sandbox {
            addr,
            base_url: format!("http://{addr}"),
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The server's root URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bearer token the sandbox accepts.
    pub fn token(&self) -> &str {
        &self.shared.config.token
    }

    /// A [`Client`](crate::Client) for this sandbox: its URL and token, and
    /// retries that wait as the sandbox asks.
    ///
    /// # Errors
    ///
    /// Never in practice; the settings are those of a running sandbox.
    pub fn client(&self) -> Result<crate::Client, crate::Error> {
        crate::Client::builder()
            .base_url(self.base_url())
            .bearer_token(self.token())
            .build()
    }

    /// Moves the sandbox's clock on, applying the [`Churn`] due: what a
    /// test does to make time pass for a watch.
    pub fn advance(&self, by: Duration) {
        self.shared
            .advance(i64::try_from(by.as_secs()).unwrap_or(i64::MAX));
    }

    /// The sandbox's "now" as a watch's [`Clock`](crate::Clock): pass it to
    /// [`Watch::clock`](crate::Watch::clock), with [`Sandbox::sleep`] to
    /// [`Watch::sleep_impl`](crate::Watch::sleep_impl), and a test drives a
    /// watch without waiting (see the `sandbox_in_tests` example).
    pub fn clock(&self) -> SharedClock {
        Arc::new(SandboxClock::new(Arc::clone(&self.shared)))
    }

    /// A [`Sleep`](crate::Sleep) that moves the sandbox's clock on by each
    /// wait (as [`Sandbox::advance`] does) and returns at once. Keep the
    /// [`Arc`] to read [`SandboxSleep::waits`]; it converts to a
    /// [`SharedSleep`](crate::SharedSleep) where one is asked for.
    #[must_use]
    pub fn sleep(&self) -> Arc<SandboxSleep> {
        Arc::new(SandboxSleep::new(Arc::clone(&self.shared)))
    }

    /// The sandbox's "now" (see the module's behaviour notes).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(self.shared.now(), 0).unwrap_or_default()
    }

    /// How many HTTP requests the server has received, whatever their outcome.
    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Stops the server and waits until it has stopped and the port is free.
    ///
    /// In-flight requests are finished first. Dropping the sandbox stops it too, without
    /// waiting.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
