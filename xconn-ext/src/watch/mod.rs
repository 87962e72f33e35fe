//! Watching connections: a live stream of what starts and ends, with an
//! optional guard against duplicates. See [`Client::watch`].
//!
//! ```no_run
//! use futures::TryStreamExt;
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

mod clock;
mod event;
pub mod metrics;
mod pacer;
mod tracker;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::channel::mpsc;
use futures::stream::{self, BoxStream};
use futures::{SinkExt, StreamExt};
use rand::Rng;
use xconn_sdk::spec::{MAX_RESULTS_MAX, MAX_RESULTS_MIN};

pub use clock::{Clock, SharedClock, SystemClock};
pub use event::{ConnectionEvent, EventKind, PollSummary, WarningKind, WatchEvent, WatchWarning};

use crate::client::Client;
use crate::client::retry::{RetryPolicy, SharedSleep, TokioSleep};
use crate::error::Error;
use crate::terminate::duplicates::DuplicatesPlan;
use crate::types::connection::Connection;
use crate::types::enums::{ConnectionField, ConnectionStatus, StreamEndpoint};
use crate::types::page::Page;
use pacer::Pacer;
use tracker::Tracker;

/// The poll interval unless configured otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// The first backoff after a transient failure; it doubles up to the
/// poll interval.
const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
/// The shortest wait after a `429` whose reset has (by our clock) passed.
const MIN_RATE_LIMIT_WAIT_SECS: i64 = 1;
const MIN_RATE_LIMIT_WAIT: Duration = Duration::from_secs(MIN_RATE_LIMIT_WAIT_SECS as u64);

/// The records the first history page of a poll asks for beyond the
/// connections that left the active list. The history lists newest
/// `connected_at` first, so connections that came and went since the last
/// poll come before (most of) those that left; this room lets a few of them
/// fit without a second page, while a quiet poll decodes a tenth of a full
/// page. A busier history is read on at 100 a page, so no event depends on
/// this number.
pub const HISTORY_PROBE_MARGIN: u32 = 10;

// `history_probe` clamps to this range.
const _: () = assert!(MAX_RESULTS_MIN <= MAX_RESULTS_MAX);

/// `max_results` of the first history page of a (non-baseline) poll that
/// looks for `vanished` connections.
fn history_probe(vanished: usize) -> u32 {
    u32::try_from(vanished)
        .unwrap_or(u32::MAX)
        .saturating_add(HISTORY_PROBE_MARGIN)
        .clamp(MAX_RESULTS_MIN, MAX_RESULTS_MAX)
}

impl Client {
    /// Watch the app's connections: a stream of [`WatchEvent`]s, polling
    /// every [`Watch::interval`]. See the [`watch`](crate::watch) module for
    /// what each poll sends and how rate limits and failures are handled.
    pub fn watch(&self) -> Watch {
        Watch {
            client: self.clone(),
            interval: DEFAULT_INTERVAL,
            endpoints: None,
            keep: None,
            sleep: None,
            clock: None,
        }
    }
}

/// A watch of the app's connections; see [`Client::watch`].
#[derive(Clone)]
#[must_use = "a watch does nothing until `.stream()` is polled"]
pub struct Watch {
    client: Client,
    interval: Duration,
    endpoints: Option<Vec<StreamEndpoint>>,
    keep: Option<usize>,
    sleep: Option<SharedSleep>,
    clock: Option<SharedClock>,
}

impl fmt::Debug for Watch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch")
            .field("client", &self.client)
            .field("interval", &self.interval)
            .field("endpoints", &self.endpoints)
            .field("keep", &self.keep)
            .finish_non_exhaustive()
    }
}

impl Watch {
    /// Time between polls (default 60 s; more than zero). It is stretched
    /// when the rate window would not last.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Watch only these endpoints (at least one, no repeats).
    pub fn endpoints(mut self, endpoints: impl IntoIterator<Item = StreamEndpoint>) -> Self {
        self.endpoints = Some(endpoints.into_iter().collect());
        self
    }

    /// Turn on the duplicates guard: whenever an endpoint has more than
    /// `keep` active connections (at least 1), end the least recently
    /// connected extras (`DELETE /2/connections`) and report each as
    /// [`EventKind::Terminated`]. The next poll reports them
    /// [`EventKind::Disconnected`] too, with the API's reason and time.
    pub fn terminate_duplicates(mut self, keep: usize) -> Self {
        self.keep = Some(keep);
        self
    }

    /// How the watch waits (default: tokio's timer). Use with
    /// [`Watch::clock`] to drive time in tests.
    pub fn sleep_impl(mut self, sleep: SharedSleep) -> Self {
        self.sleep = Some(sleep);
        self
    }

    /// Where the watch reads the time (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    fn validate(&self) -> Result<(), Error> {
        if self.interval.is_zero() {
            return Err(Error::invalid("interval", "must be more than zero"));
        }
        if let Some(keep) = self.keep {
            // The guard plans like `terminate --duplicates`; it checks `keep`.
            DuplicatesPlan::from_active([], keep, &[])?;
        }
        // The endpoints are checked by the first request, before it is
        // sent (empty, repeated, unknown): that error ends the stream.
        Ok(())
    }

    fn request(
        &self,
        client: &Client,
        status: ConnectionStatus,
        max_results: u32,
    ) -> crate::ListConnections {
        let mut request = client
            .connections()
            .status(status)
            .fields(ConnectionField::ALL.iter().cloned())
            .max_results(max_results);
        if let Some(endpoints) = &self.endpoints {
            request = request.endpoints(endpoints.iter().cloned());
        }
        request
    }

    /// Start watching: a stream that runs until it is dropped or ends with
    /// an error it cannot get over (its last item). Nothing is sent until
    /// it is polled; invalid settings are its first and only item.
    pub fn stream(self) -> BoxStream<'static, Result<WatchEvent, Error>> {
        if let Err(error) = self.validate() {
            return stream::once(async move { Err(error) }).boxed();
        }
        // Room for one item: the watch runs only as fast as it is read.
        let (tx, rx) = mpsc::channel(0);
        let driver = Driver {
            // The watch retries itself so that every failure is reported.
            client: self.client.with_retry_policy(RetryPolicy::disabled()),
            watched: match &self.endpoints {
                Some(endpoints) => endpoints.clone(),
                None => StreamEndpoint::ALL.to_vec(),
            },
            sleep: self.sleep.clone().unwrap_or_else(|| Arc::new(TokioSleep)),
            clock: self.clock.clone().unwrap_or_else(|| Arc::new(SystemClock)),
            watch: self,
            tracker: Tracker::default(),
            pacer: Pacer::default(),
            requests: 0,
            last_active_len: 0,
            last_counts: None,
            tx,
        };
        let run = stream::once(driver.run()).filter_map(|()| futures::future::ready(None));
        stream::select(rx, run).boxed()
    }
}

/// Refused credentials or a spent usage cap: no later request can succeed.
fn ends_the_watch(error: &Error) -> bool {
    matches!(error.status(), Some(401 | 403))
        || error.problem_kind() == Some(&crate::ProblemKind::UsageCapped)
}

/// The oldest `connected_at` of a history page listed newest first, as X
/// lists it; `None` (read on) when the page is out of that order or a
/// record lacks the time, since then nothing can be concluded from where
/// the page ends.
fn oldest_if_ordered(page: &[Connection]) -> Option<chrono::DateTime<chrono::Utc>> {
    let times: Option<Vec<_>> = page.iter().map(|c| c.connected_at).collect();
    let times = times?;
    times
        .windows(2)
        .all(|pair| pair[0] >= pair[1])
        .then(|| times.last().copied())
        .flatten()
}

/// Active connections per endpoint: every one in `watched`, and every one
/// seen during the watch, which joins `watched` (an endpoint this version
/// does not know keeps reporting, as 0, once its connections are gone).
fn count(
    watched: &mut Vec<StreamEndpoint>,
    active: &[Connection],
) -> BTreeMap<StreamEndpoint, u64> {
    // Tallied in a list (a handful of endpoints, compared by variant), and
    // made a map once: a map lookup per connection was a measurable share
    // of a poll (BENCHMARKS.md). An endpoint is cloned only when new.
    let mut counts: Vec<(StreamEndpoint, u64)> = watched.iter().map(|e| (e.clone(), 0)).collect();
    for endpoint in active.iter().filter_map(|c| c.endpoint.as_ref()) {
        match counts.iter_mut().find(|(known, _)| known == endpoint) {
            Some((_, count)) => *count += 1,
            None => {
                watched.push(endpoint.clone());
                counts.push((endpoint.clone(), 1));
            }
        }
    }
    counts.into_iter().collect()
}

/// The `next_token`s of one listing: a repeated one would loop forever.
#[derive(Default)]
struct Tokens(HashSet<String>);

impl Tokens {
    fn next(&mut self, next: Option<String>) -> Result<Option<String>, Stop> {
        match next {
            Some(token) if !self.0.insert(token.clone()) => {
                Err(Stop::Fatal(Error::RepeatedToken { token }))
            }
            other => Ok(other),
        }
    }
}

/// Why the loop stopped.
enum Stop {
    /// The stream was dropped.
    Closed,
    /// An error the watch cannot get over.
    Fatal(Error),
}

type Item = Result<WatchEvent, Error>;

struct Driver {
    watch: Watch,
    client: Client,
    /// The endpoints reported in [`PollSummary::active`].
    watched: Vec<StreamEndpoint>,
    sleep: SharedSleep,
    clock: SharedClock,
    tracker: Tracker,
    pacer: Pacer,
    /// Requests sent in the poll under way.
    requests: u32,
    /// How many active connections the last poll listed: the next list is
    /// allocated that large at once, instead of grown (and copied) page by
    /// page.
    last_active_len: usize,
    /// The active connections per endpoint the last poll reported.
    last_counts: Option<BTreeMap<StreamEndpoint, u64>>,
    tx: mpsc::Sender<Item>,
}

impl Driver {
    async fn run(mut self) {
        metrics::start();
        let Stop::Fatal(error) = self.polls().await else {
            return;
        };
        let _ = self.tx.send(Err(error)).await;
    }

    async fn emit(&mut self, event: WatchEvent) -> Result<(), Stop> {
        if let WatchEvent::Connection(event) = &event {
            metrics::event(event);
        }
        self.tx.send(Ok(event)).await.map_err(|_| Stop::Closed)
    }

    async fn warn(
        &mut self,
        kind: WarningKind,
        message: String,
        wait: Option<Duration>,
    ) -> Result<(), Stop> {
        tracing::warn!(
            ?kind,
            wait_ms = wait.map(|w| w.as_millis() as u64),
            "{message}"
        );
        self.emit(WatchEvent::Warning(WatchWarning {
            kind,
            message,
            wait,
        }))
        .await
    }

    async fn polls(&mut self) -> Stop {
        let mut poll = 0u64;
        loop {
            if let Err(stop) = self.poll(poll).await {
                return stop;
            }
            poll += 1;
        }
    }

    async fn poll(&mut self, poll: u64) -> Result<(), Stop> {
        self.requests = 0;
        let baseline = !self.tracker.started();
        if baseline {
            let page = self
                .fetch(ConnectionStatus::Inactive, None, MAX_RESULTS_MAX)
                .await?;
            self.tracker.baseline_history(&page.connections);
        }
        let active = self.fetch_all_active().await?;
        let unchanged = self.tracker.active(active, self.clock.now());
        // The list as the tracker keeps it: each id once.
        let active = self.tracker.listed();
        let active_counts = match self.last_counts.take() {
            // The same connections as last poll: the same counts.
            Some(counts) if unchanged => counts,
            _ => count(&mut self.watched, active),
        };
        self.last_counts = Some(active_counts.clone());
        let plan = match self.watch.keep {
            Some(keep) => Some(
                DuplicatesPlan::from_active(
                    active.iter().cloned(),
                    keep,
                    self.watch.endpoints.as_deref().unwrap_or(&[]),
                )
                .map_err(Stop::Fatal)?,
            ),
            None => None,
        };
        if !baseline {
            let mut tokens = Tokens::default();
            let mut token = None;
            let mut max_results = history_probe(self.tracker.vanished());
            loop {
                let page = self
                    .fetch(ConnectionStatus::Inactive, token, max_results)
                    .await?;
                max_results = MAX_RESULTS_MAX;
                self.tracker.history(&page.connections, self.clock.now());
                if !self
                    .tracker
                    .needs_more_history(oldest_if_ordered(&page.connections))
                {
                    break;
                }
                match tokens.next(page.next_token)? {
                    Some(next) => token = Some(next),
                    None => break,
                }
            }
        }
        let (events, warnings) = self.tracker.finish(self.clock.now());
        for warning in warnings {
            self.warn(warning.kind, warning.message, warning.wait)
                .await?;
        }
        for event in events {
            self.emit(WatchEvent::Connection(event)).await?;
        }
        if let Some(plan) = plan.filter(|plan| !plan.is_empty()) {
            self.guard(&plan).await?;
        }
        let now = self.clock.now();
        let next_poll_in = self
            .pacer
            .next_interval(self.watch.interval, self.requests, now);
        let summary = PollSummary {
            poll,
            requests: self.requests,
            active: active_counts,
            rate_limit: self.pacer.last(),
            next_poll_in,
        };
        tracing::debug!(
            poll,
            requests = summary.requests,
            next_poll_in_ms = next_poll_in.as_millis() as u64,
            "poll done"
        );
        metrics::poll(&summary);
        self.emit(WatchEvent::Polled(summary)).await?;
        self.sleep.sleep(next_poll_in).await;
        Ok(())
    }

    /// Every page of the active list, as listed (the tracker drops a
    /// connection listed twice).
    async fn fetch_all_active(&mut self) -> Result<Vec<Connection>, Stop> {
        let mut active = Vec::with_capacity(self.last_active_len);
        let mut tokens = Tokens::default();
        let mut token = None;
        loop {
            let page = self
                .fetch(ConnectionStatus::Active, token, MAX_RESULTS_MAX)
                .await?;
            active.extend(page.connections);
            match tokens.next(page.next_token)? {
                Some(next) => token = Some(next),
                None => {
                    self.last_active_len = active.len();
                    return Ok(active);
                }
            }
        }
    }

    /// One page of at most `max_results`, sent only inside the rate
    /// window, retried until it arrives or fails for good.
    async fn fetch(
        &mut self,
        status: ConnectionStatus,
        token: Option<String>,
        max_results: u32,
    ) -> Result<Page, Stop> {
        let mut failures = 0u32;
        loop {
            self.wait_for_window().await?;
            // The retry-free client: each failure comes back here.
            let mut request = self
                .watch
                .request(&self.client, status.clone(), max_results);
            if let Some(token) = &token {
                request = request.pagination_token(token.clone());
            }
            self.requests += 1;
            match request.send().await {
                Ok(page) => {
                    self.pacer.observe(page.rate_limit);
                    if let Some(remaining) = page.rate_limit.and_then(|rl| rl.remaining) {
                        metrics::rate_limit(remaining);
                    }
                    return Ok(page);
                }
                Err(error) => {
                    metrics::error();
                    failures += 1;
                    self.recover(error, failures).await?;
                }
            }
        }
    }

    /// Wait while the last response said the window is spent.
    async fn wait_for_window(&mut self) -> Result<(), Stop> {
        while let Some(wait) = self.pacer.wait_before_request(self.clock.now()) {
            self.warn(
                WarningKind::RateLimitWait,
                "rate-limit window spent (x-rate-limit-remaining: 0); waiting for its reset"
                    .to_owned(),
                Some(wait),
            )
            .await?;
            self.sleep.sleep(wait).await;
        }
        Ok(())
    }

    /// After a failed request: wait and let the caller send it again, or
    /// stop for good.
    async fn recover(&mut self, error: Error, failures: u32) -> Result<(), Stop> {
        if let Error::RateLimited(limited) = &error {
            let now = self.clock.now();
            let reset = limited
                .rate_limit
                .and_then(|rl| rl.reset)
                .or_else(|| {
                    let wait = limited.retry_after?;
                    Some(now + chrono::Duration::from_std(wait).ok()?)
                })
                .filter(|reset| *reset > now)
                .unwrap_or_else(|| now + chrono::TimeDelta::seconds(MIN_RATE_LIMIT_WAIT_SECS));
            self.pacer.exhausted_until(reset);
            let wait = (reset - now).to_std().unwrap_or(MIN_RATE_LIMIT_WAIT);
            self.warn(
                WarningKind::RateLimitWait,
                "the API answered 429 (rate limited); waiting for the window to reset".to_owned(),
                Some(wait),
            )
            .await?;
            self.sleep.sleep(wait).await;
            return Ok(());
        }
        if !error.is_retryable() {
            return Err(Stop::Fatal(error));
        }
        let wait = self.backoff(failures);
        self.warn(
            WarningKind::Retrying,
            format!("request failed ({error}); retrying (failure {failures})"),
            Some(wait),
        )
        .await?;
        self.sleep.sleep(wait).await;
        Ok(())
    }

    /// Exponential backoff from 1 s up to the poll interval, half fixed and
    /// half random so that many watchers do not retry in step.
    fn backoff(&self, failures: u32) -> Duration {
        let cap = self.watch.interval.max(INITIAL_BACKOFF);
        let exp = INITIAL_BACKOFF.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
        let half = exp.min(cap) / 2;
        let jitter =
            rand::rng().random_range(0..=half.as_millis().min(u128::from(u64::MAX)) as u64);
        half + Duration::from_millis(jitter)
    }

    /// Carry out the duplicates plan, as `terminate --duplicates` does;
    /// report each connection as terminated or as a warning.
    async fn guard(&mut self, plan: &DuplicatesPlan) -> Result<(), Stop> {
        self.wait_for_window().await?;
        let batches = plan.to_end().len().div_ceil(crate::MAX_UUIDS_PER_REQUEST);
        self.requests += u32::try_from(batches).unwrap_or(u32::MAX);
        let report = match self.client.end_duplicates(plan).await {
            Ok(report) => report,
            Err(error) => {
                metrics::error();
                if ends_the_watch(&error) {
                    return Err(Stop::Fatal(error));
                }
                return self
                    .warn(
                        WarningKind::GuardFailed,
                        format!(
                            "could not end duplicate connections ({error}); next poll tries again"
                        ),
                        None,
                    )
                    .await;
            }
        };
        let now = self.clock.now();
        for connection in plan.to_end().iter().cloned() {
            let outcome = report
                .results
                .iter()
                .find(|r| Some(&r.uuid) == connection.id.as_ref());
            match outcome {
                Some(result) if result.success => {
                    self.emit(WatchEvent::Connection(ConnectionEvent::new(
                        EventKind::Terminated,
                        connection,
                        now,
                    )))
                    .await?;
                }
                other => {
                    let why = other
                        .and_then(|r| r.error_message.clone())
                        .unwrap_or_else(|| "not in the API's answer".to_owned());
                    let id = connection.id.as_deref().unwrap_or("(no id)");
                    self.warn(
                        WarningKind::GuardFailed,
                        format!("could not end duplicate connection {id}: {why}"),
                        None,
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Connection {
        Connection {
            connected_at: chrono::DateTime::from_timestamp(secs, 0),
            ..Connection::default()
        }
    }

    #[test]
    fn the_history_is_trusted_to_end_a_read_only_when_in_order() {
        let oldest = oldest_if_ordered(&[at(30), at(20), at(20), at(10)]);
        assert_eq!(oldest, chrono::DateTime::from_timestamp(10, 0));
        assert_eq!(oldest_if_ordered(&[at(10), at(30)]), None);
        assert_eq!(oldest_if_ordered(&[at(30), Connection::default()]), None);
        assert_eq!(oldest_if_ordered(&[]), None);
    }

    #[test]
    fn counts_every_watched_endpoint_and_adopts_new_ones() {
        let on = |endpoint: StreamEndpoint| Connection {
            endpoint: Some(endpoint),
            ..Connection::default()
        };
        let unknown = StreamEndpoint::from_wire("x_stream");
        let mut watched = vec![StreamEndpoint::FilteredStream, StreamEndpoint::SampleStream];
        let active = [
            on(StreamEndpoint::FilteredStream),
            on(unknown.clone()),
            on(StreamEndpoint::FilteredStream),
            Connection::default(),
            on(unknown.clone()),
        ];
        let counts = count(&mut watched, &active);
        let expected: BTreeMap<StreamEndpoint, u64> = [
            (StreamEndpoint::FilteredStream, 2),
            (StreamEndpoint::SampleStream, 0),
            (unknown.clone(), 2),
        ]
        .into_iter()
        .collect();
        assert_eq!(counts, expected);
        assert_eq!(watched.len(), 3, "the new endpoint joins once");
        assert_eq!(count(&mut watched, &[])[&unknown], 0);
    }
}
