//! A typed, async client for the X API v2 **Stream Connections** endpoints:
//! see which of your app's streaming connections are active, which dropped,
//! when and why, and end the ones you do not want.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use xconn_ext::{Client, ConnectionStatus, StreamEndpoint};
//!
//! # async fn demo() -> Result<(), xconn_ext::Error> {
//! // X_BEARER_TOKEN (and optionally X_API_BASE_URL) from the environment.
//! let client = Client::from_env()?;
//!
//! // Every ended filtered-stream connection, across all pages, lazily.
//! let mut ended = client
//!     .connections()
//!     .status(ConnectionStatus::Inactive)
//!     .endpoints([StreamEndpoint::FilteredStream])
//!     .max_results(100)
//!     .stream();
//! while let Some(connection) = ended.try_next().await? {
//!     println!(
//!         "{:?} ended at {:?}: {:?}",
//!         connection.id, connection.disconnected_at, connection.disconnect_reason
//!     );
//! }
//! # Ok(())
//! # }
//! ```
//!
//! What you get over the raw generated client (`xconn-sdk`):
//!
//! - open [`enums`] for endpoints and disconnect reasons that
//!   never fail on a value X adds, and closed ones for what you send;
//! - one [`Error`] with distinct cases, RFC 7807 [`Problem`]s classified
//!   by [`ProblemKind`] (both problem URI hosts, `about:blank`, X's legacy
//!   shape, HTML from proxies), and [`Error::is_retryable`];
//! - input checked before anything is sent;
//! - [pagination](ListConnections::pages) that cannot loop forever;
//! - [retries](RetryPolicy) that honour X's rate-limit reset, never retrying
//!   a usage cap or (by default) a termination;
//! - a bearer token that never appears in `Debug`, errors or logs;
//! - a [watch](Client::watch): a stream of connection events (the baseline,
//!   connects, disconnects with the API's reason, the duplicates guard's
//!   terminations) that keeps inside the rate limit.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod connection;
mod duplicates;
pub mod enums;
mod error;
mod pagination;
mod problem;
mod rate_limit;
mod response;
mod retry;
mod terminate;
pub mod watch;

#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;

pub use client::{
    BASE_URL_ENV, Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES, TOKEN_ENV,
    USER_AGENT,
};
pub use connection::Connection;
pub use duplicates::{DuplicatesPlan, EndpointCounts};
pub use enums::{
    ConnectionField, ConnectionStatus, DisconnectReason, ParseEnumError, StreamEndpoint,
};
pub use error::{ApiError, DecodeError, Error, InvalidInput, RateLimited};
pub use pagination::{ListConnections, MAX_RESULTS_LIMIT, Page};
pub use problem::{ABOUT_BLANK, ErrorDetail, Problem, ProblemKind};
pub use rate_limit::RateLimit;
pub use retry::{RetryPolicy, SharedSleep, Sleep, TokioSleep};
pub use terminate::{MAX_UUIDS_PER_REQUEST, TerminateReport, TerminateResult};
pub use watch::{
    Clock, ConnectionEvent, EventKind, PollSummary, SharedClock, SystemClock, WarningKind, Watch,
    WatchEvent, WatchWarning,
};
