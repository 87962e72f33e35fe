//! A typed, async client for the X API v2 **Stream Connections** endpoints:
//! see which of your app's streaming connections are active, which dropped,
//! when and why, and end the ones you do not want.
//!
//! This example runs as it stands (it is a doctest): it starts the in-process
//! `sandbox` fake of the API on 127.0.0.1, so it needs no account, token or
//! network.
//!
#![cfg_attr(feature = "sandbox", doc = "```")]
#![cfg_attr(not(feature = "sandbox"), doc = "```ignore")]
//! use xconn_ext::futures::TryStreamExt;
//! use xconn_ext::sandbox::{Sandbox, SandboxConfig};
//! use xconn_ext::{ConnectionStatus, StreamEndpoint};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::start(SandboxConfig::default().connections(60).seed(7)).await?;
//! // Against the real API: `Client::from_env()?` (reads `X_BEARER_TOKEN` or
//! // `X_BEARER_TOKEN_FILE`).
//! let client = sandbox.client()?;
//!
//! // Every ended filtered-stream connection, across all pages, lazily,
//! // with every field (`id` included) unless `.fields(..)` narrows them.
//! // Partial errors the API sends beside the data are not dropped: the
//! // stream ends with `Err(Error::PartialErrors(..))` after the last record
//! // (`.allow_partial_errors()` accepts them; `ended.partial_errors()`
//! // shows them at any time).
//! let mut ended = client
//!     .connections()
//!     .status(ConnectionStatus::Inactive)
//!     .endpoints([StreamEndpoint::FilteredStream])
//!     .max_results(100)
//!     .stream();
//! while let Some(connection) = ended.try_next().await? {
//!     assert!(!connection.is_active() && connection.id.is_some());
//!     println!(
//!         "{:?} ended at {:?}: {:?}",
//!         connection.id, connection.disconnected_at, connection.disconnect_reason
//!     );
//! }
//!
//! // End every active connection of one endpoint; the report says what failed.
//! let report = client.terminate_endpoint(StreamEndpoint::FilteredStream).await?;
//! println!("ended {}, failed {}", report.successful, report.failed);
//! let still_active: Vec<_> = client
//!     .connections()
//!     .endpoints([StreamEndpoint::FilteredStream])
//!     .stream()
//!     .try_collect()
//!     .await?;
//! assert!(still_active.is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! # Adding it to a project
//!
//! ```toml
//! [dependencies]
//! xconn-ext = "0.2"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//!
//! [dev-dependencies]
//! # The sandbox, for your own tests (see the `sandbox_in_tests` example).
//! xconn-ext = { version = "0.2", features = ["sandbox"] }
//! ```
//!
//! The crates whose types this API uses are re-exported at matching
//! versions, so they need no line of their own: [`chrono`] (timestamps),
//! [`futures`] (the streams, e.g. `xconn_ext::futures::TryStreamExt`),
//! [`reqwest`] (for [`ClientBuilder::http_client`]) and [`xconn_sdk`] (the
//! generated client, [`Client::sdk`]).
//!
//! # Features
//!
//! None is on by default.
//!
//! - `sandbox`: `sandbox::Sandbox`, an in-process, stateful fake of the API
//!   that injects the failures the real one produces (rate limits, usage
//!   caps, 503s, latency), and `sandbox::RecordingSleep`, to drive retries
//!   in tests without waiting.
//! - `cli`: the `xconn` command-line tool (`cargo install xconn-ext
//!   --features cli,sandbox`).
//! - `schemars`: `schemars::JsonSchema` for the public data types, for
//!   services that re-expose connection data in their own OpenAPI documents.
//!
//! # Examples
//!
//! Each runs against the sandbox: `cargo run -p xconn-ext --features sandbox
//! --example NAME`.
//!
//! - [`list_active`](https://github.com/xconn-rs/xconn/blob/main/xconn-ext/examples/list_active.rs): the app's active connections.
//! - [`disconnect_reasons`](https://github.com/xconn-rs/xconn/blob/main/xconn-ext/examples/disconnect_reasons.rs): why streams dropped,
//!   counted over every page.
//! - [`terminate_duplicates`](https://github.com/xconn-rs/xconn/blob/main/xconn-ext/examples/terminate_duplicates.rs): keep the newest
//!   connection of an endpoint and end the others.
//! - [`sandbox_in_tests`](https://github.com/xconn-rs/xconn/blob/main/xconn-ext/examples/sandbox_in_tests.rs): the sandbox in a
//!   downstream service's own tests.
//!
//! # What you get over the raw generated client (`xconn-sdk`)
//!
//! - open [`enums`] for endpoints and disconnect reasons that
//!   never fail on a value X adds, and closed ones for what you send;
//! - one [`Error`] with distinct cases, RFC 7807 [`Problem`]s classified
//!   by [`ProblemKind`] (by path, whatever the host; `about:blank`, X's legacy
//!   shape, HTML from proxies), and [`Error::is_retryable`];
//! - input checked before anything is sent;
//! - [pagination](ListConnections::pages) that cannot loop forever;
//! - [duplicates](DuplicatesPlan): keep the newest connections per
//!   endpoint and end the rest, with the plan inspectable before anything
//!   is sent, and terminations that report what a failed batch left undone
//!   ([`TerminateError`]);
//! - [retries](RetryPolicy) that honour X's rate-limit reset, never retrying
//!   a usage cap or (by default) a termination;
//! - a bearer token that never appears in `Debug`, errors or logs;
//! - a [watch](Client::watch): a stream of connection events (the baseline,
//!   connects, disconnects with the API's reason, the duplicates guard's
//!   terminations) that keeps inside the rate limit.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The layers, bottom up; each file imports only from the layers below it
// (checked by `module-cycles.py`, see the README's "Layout"):
// `const_str` (const helpers) <- `types/` (the data: enums, connection,
// page, problem, rate limit, terminate report) <- `error/` (the error
// type, and classifying a failed response) <- `wire/` (the one seam with
// the generated `xconn-sdk`) <- `client/` (sending: retries, rate limits,
// tracing) <- `list.rs`, `terminate/`, `watch/` (what the API is used
// for) <- `sandbox/` (a fake of the API) and `bin/xconn/` (the CLI).
mod const_str;
mod types;

mod error;
mod wire;

mod client;

mod list;
mod terminate;
pub mod watch;

#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;

pub use types::enums;

// The crates whose types appear in this API, re-exported so that one
// dependency line is enough and the versions always match.
/// `chrono` (timestamps: [`Connection::connected_at`], [`Clock::now`]...).
pub use chrono;
/// `futures` (the streams [`ListConnections::stream`] and [`Watch::stream`]
/// return, and [`Sleep`]'s future).
pub use futures;
/// `reqwest` (for [`ClientBuilder::http_client`]).
pub use reqwest;
pub use wire::coverage;
/// The generated client underneath (for [`Client::sdk`]).
pub use xconn_sdk;

pub use client::env_token::{EnvToken, TOKEN_ENV, TOKEN_FILE_ENV, read_token_file};
pub use client::retry::{RetryPolicy, SharedSleep, Sleep, TokioSleep};
pub use client::{
    BASE_URL_ENV, Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES,
    HTTP_LOG_TARGET, USER_AGENT,
};
pub use error::{
    ApiError, DecodeError, Error, InvalidInput, PartialErrors, RateLimited, TerminateError,
};
pub use list::{ConnectionStream, ListConnections, MAX_RESULTS_LIMIT};
pub use terminate::MAX_UUIDS_PER_REQUEST;
pub use terminate::duplicates::{DuplicatesPlan, EndpointCounts};
pub use types::connection::{Connection, ConnectionBuilder};
#[allow(deprecated)]
pub use types::enums::UnknownValue;
pub use types::enums::{
    ConnectionField, ConnectionStatus, DisconnectReason, ParseEnumError, StreamEndpoint,
    UnknownVariantValue,
};
pub use types::page::{Page, PageBuilder};
pub use types::problem::{
    ABOUT_BLANK, ErrorDetail, ErrorDetailBuilder, Problem, ProblemBuilder, ProblemKind,
};
pub use types::rate_limit::{RateLimit, RateLimitBuilder};
pub use types::terminate_report::{
    TerminateReport, TerminateReportBuilder, TerminateResult, TerminateResultBuilder,
};
pub use watch::{
    Clock, ConnectionEvent, EventKind, PollSummary, PollSummaryBuilder, SharedClock, SystemClock,
    WarningKind, Watch, WatchEvent, WatchWarning,
};
