//! What a watch yields: connection events, warnings and poll summaries.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::types::builder::builder;
use crate::types::connection::Connection;
use crate::types::enums::StreamEndpoint;
use crate::types::rate_limit::RateLimit;

/// One item of a [`crate::Client::watch`] stream.
///
/// The order within one poll: its warnings, then its connection events
/// (connects and disconnects), then the duplicates guard's
/// [`EventKind::Terminated`] events (and its [`WarningKind::GuardFailed`]
/// warnings), and last the poll's [`WatchEvent::Polled`] summary. The
/// summary's [`PollSummary::active`] counts are the active list as read,
/// *before* the guard ran: connections it just ended are still counted,
/// and leave the counts at the next poll (which also reports them
/// [`EventKind::Disconnected`] with the API's reason).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WatchEvent {
    /// Something happened to a connection.
    Connection(ConnectionEvent),
    /// Something went wrong that the watch got over (a retried failure, a
    /// wait for the rate window): worth telling an operator, not fatal.
    Warning(WatchWarning),
    /// A poll finished: what is active now and when the next poll is.
    Polled(PollSummary),
}

/// What happened to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// It was already active when the watch started (the baseline).
    Active,
    /// It appeared.
    Connected,
    /// It ended; the connection carries the API's `disconnected_at` and
    /// `disconnect_reason` when the API reported them.
    Disconnected,
    /// The duplicates guard ended it.
    Terminated,
}

impl EventKind {
    /// The name used on the wire (`"active"`, `"connected"`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            EventKind::Active => "active",
            EventKind::Connected => "connected",
            EventKind::Disconnected => "disconnected",
            EventKind::Terminated => "terminated",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A connection event, in the shape `xconn watch --format ndjson` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ConnectionEvent {
    /// What happened.
    #[serde(rename = "event")]
    pub kind: EventKind,
    /// When: the API's time for it when it gave one (`connected_at` for
    /// [`EventKind::Connected`], `disconnected_at` for
    /// [`EventKind::Disconnected`]), else the time the watch observed it.
    pub at: DateTime<Utc>,
    /// The connection, with the fields the API reported.
    pub connection: Connection,
}

impl ConnectionEvent {
    /// The event a watch makes of `connection` (and what a service's tests
    /// can make): its [`at`](Self::at) is the API's time for `kind` when
    /// the connection carries it (`connected_at` for
    /// [`EventKind::Connected`], `disconnected_at` for
    /// [`EventKind::Disconnected`]), else `observed`.
    pub fn new(kind: EventKind, connection: Connection, observed: DateTime<Utc>) -> Self {
        let at = match kind {
            EventKind::Connected => connection.connected_at,
            EventKind::Disconnected => connection.disconnected_at,
            EventKind::Active | EventKind::Terminated => None,
        }
        .unwrap_or(observed);
        Self {
            kind,
            at,
            connection,
        }
    }
}

/// Why a watch is waiting or retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WarningKind {
    /// A request failed in a way that may pass (5xx, timeout, connection
    /// error); it is sent again after [`WatchWarning::wait`].
    Retrying,
    /// The rate window is spent (`x-rate-limit-remaining: 0`, or a `429`);
    /// nothing is sent until it resets.
    RateLimitWait,
    /// The duplicates guard could not end a connection; the next poll
    /// tries again.
    GuardFailed,
    /// A connection left the active list but the history does not show it
    /// (yet); after a few polls it is reported disconnected without a
    /// reason rather than kept forever.
    Unexplained,
    /// A page the watch read carried partial errors (`errors` beside
    /// `data`): one warning per error. When the active list carried them,
    /// the duplicates guard ends nothing that poll (the list may be
    /// incomplete, and a connection it left out could be the newest), and
    /// one more warning says so; the next complete poll acts.
    PartialErrors,
}

/// A problem the watch got over.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WatchWarning {
    /// What kind of problem.
    pub kind: WarningKind,
    /// One line for people (never contains the token).
    pub message: String,
    /// How long the watch waits before it goes on, when it waits.
    pub wait: Option<Duration>,
}

impl fmt::Display for WatchWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(wait) = self.wait {
            write!(f, "; waiting {:.1}s", wait.as_secs_f64())?;
        }
        Ok(())
    }
}

/// The outcome of one poll, the last item the poll yields (after its
/// [`EventKind::Terminated`] events; see [`WatchEvent`] for the order).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PollSummary {
    /// The poll's number; the baseline is poll 0.
    pub poll: u64,
    /// HTTP requests the poll sent, retries and the guard's included.
    pub requests: u32,
    /// Active connections per watched endpoint (zeros included), as the
    /// poll listed them: *before* the duplicates guard ended any.
    pub active: BTreeMap<StreamEndpoint, u64>,
    /// The last rate-limit headers seen.
    pub rate_limit: Option<RateLimit>,
    /// The wait before the next poll: the interval, stretched when the
    /// rate window would not last otherwise.
    pub next_poll_in: Duration,
}

builder! {
    /// Builds a [`PollSummary`], e.g. to test what a service does with one.
    PollSummaryBuilder => PollSummary {
        /// The poll's number.
        poll: val u64,
        /// HTTP requests the poll sent.
        requests: val u32,
        /// Active connections per endpoint.
        active: val BTreeMap<StreamEndpoint, u64>,
        /// The last rate-limit headers seen.
        rate_limit: opt RateLimit,
        /// The wait before the next poll.
        next_poll_in: val Duration,
    }
}

impl WatchWarning {
    /// A warning, e.g. to test what a service does with one.
    pub fn new(kind: WarningKind, message: impl Into<String>, wait: Option<Duration>) -> Self {
        Self {
            kind,
            message: message.into(),
            wait,
        }
    }
}
