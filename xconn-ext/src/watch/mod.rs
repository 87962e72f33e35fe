//! Watching connections: a live stream of what starts and ends, with an
//! optional guard against duplicates. See
//! [`Client::watch`](crate::Client::watch).
//!
//! ```no_run
//! use xconn_ext::futures::TryStreamExt;
//! use xconn_ext::{Client, EventKind, WatchEvent};
//!
//! # async fn demo() -> Result<(), xconn_ext::Error> {
//! let client = Client::from_env()?;
//! let mut events = client
//!     .watch()
//!     .interval(std::time::Duration::from_secs(30))
//!     .terminate_duplicates(1)
//!     .stream();
//! // Runs until dropped, or until an error it cannot get over.
//! while let Some(item) = events.try_next().await? {
//!     match item {
//!         WatchEvent::Connection(e) if e.kind == EventKind::Disconnected => println!(
//!             "{:?} ended at {}: {:?}",
//!             e.connection.id, e.at, e.connection.disconnect_reason
//!         ),
//!         WatchEvent::Connection(e) => println!("{} {:?}", e.kind, e.connection.id),
//!         WatchEvent::Warning(w) => eprintln!("warning: {w}"),
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # What a poll sends
//!
//! Every poll reads all pages of the active connections (`status=active`,
//! 100 a page), then the history (`status=inactive`) only as far as it must
//! to explain what ended (see below); with the guard on, one
//! `DELETE /2/connections` when an endpoint has too many. The baseline
//! (poll 0) reads the first history page (100 records) *before* the active
//! list, to tell what ended before the watch from what ends during it.
//!
//! After the baseline, the first history page of a poll is sized to the
//! need: the connections that left the active list, plus
//! [`HISTORY_PROBE_MARGIN`] for those that came and went between two polls
//! (within `max_results`' range); every further page is 100 records. How
//! far the history is read does not depend on that size: a busy history is
//! read on, page by page. In a quiet steady state a poll is two requests:
//! one active page and a history page of [`HISTORY_PROBE_MARGIN`] records.
//!
//! The history is read newest `connected_at` first (the order X lists it
//! in) until every connection that left the active list is found, and past
//! the point where a connection could have come and gone since the last
//! poll. Ended connections are remembered only that far back, so memory
//! stays flat however long the watch runs.
//!
//! # Rate limits and failures
//!
//! No request is sent while the last response said
//! `x-rate-limit-remaining: 0` and its `x-rate-limit-reset` has not passed:
//! the watch waits for the reset (and says so with a
//! [`WarningKind::RateLimitWait`]). Polls are spread so that the remaining
//! requests last the window. A `429` waits for the reset and carries on.
//! Transient failures (5xx, timeouts, connection errors) are retried with
//! backoff, each reported as a [`WarningKind::Retrying`], and the stream goes
//! on; any other error (401, 403, a spent usage cap, a bad request, an
//! undecodable response) ends the stream with that error.

//!
//! # Layout
//!
//! [`Watch`] (`builder`) holds the settings; `driver` runs the polls: it
//! pages through the list's own cursor, waits through `pacer` and the
//! client's [`Sleep`](crate::Sleep), backs off as the client's retries do,
//! and hands each page to `tracker`, which turns them into events; `guard`
//! plans and ends duplicates.

mod builder;
mod clock;
mod driver;
mod event;
mod guard;
pub mod metrics;
mod pacer;
mod tracker;

pub use builder::{DEFAULT_INTERVAL, Watch};
pub use clock::{Clock, SharedClock, SystemClock};
pub use driver::HISTORY_PROBE_MARGIN;
pub use event::{
    ConnectionEvent, EventKind, PollSummary, PollSummaryBuilder, WarningKind, WatchEvent,
    WatchWarning,
};
