//! The watch's driver: the poll loop, the rate-window waits (through the
//! [`Pacer`]), recovery from failed requests, and the reading of the
//! active list and the history through the list's own [`PageCursor`].

use std::collections::BTreeMap;
use std::time::Duration;

use futures::channel::mpsc;
use futures::stream::{self, BoxStream};
use futures::{SinkExt, StreamExt};
use xconn_sdk::spec::{MAX_RESULTS_MAX, MAX_RESULTS_MIN};

use super::clock::SharedClock;
use super::event::{PollSummary, WarningKind, WatchEvent, WatchWarning};
use super::guard::{self, Outcome};
use super::metrics;
use super::pacer::Pacer;
use super::tracker::Tracker;
use crate::client::Client;
use crate::client::retry::{RetryPolicy, SharedSleep};
use crate::error::Error;
use crate::list::PageCursor;
use crate::terminate::duplicates::DuplicatesPlan;
use crate::types::connection::Connection;
use crate::types::enums::{ConnectionField, ConnectionStatus, StreamEndpoint};
use crate::types::page::Page;

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

/// What a watch was configured with, its defaults filled in.
pub(super) struct Settings {
    /// The client the watch was made from (retries and all).
    pub(super) client: Client,
    pub(super) interval: Duration,
    /// `None`: every endpoint.
    pub(super) endpoints: Option<Vec<StreamEndpoint>>,
    /// The duplicates guard's `keep`; `None`: no guard.
    pub(super) keep: Option<usize>,
    /// The watch's own sleep, or else the client's.
    pub(super) sleep: SharedSleep,
    pub(super) clock: SharedClock,
}

/// The watch's stream: the driver runs as the stream is polled.
pub(super) fn stream(settings: Settings) -> BoxStream<'static, Item> {
    // Room for one item: the watch runs only as fast as it is read.
    let (tx, rx) = mpsc::channel(0);
    let driver = Driver {
        // The watch retries itself so that every failure is reported.
        client: settings.client.with_retry_policy(RetryPolicy::disabled()),
        // Its backoff is the client's retry backoff, from 1 s up to the
        // poll interval.
        backoff: RetryPolicy::default().with_backoff(INITIAL_BACKOFF, settings.interval),
        watched: match &settings.endpoints {
            Some(endpoints) => endpoints.clone(),
            None => StreamEndpoint::ALL.to_vec(),
        },
        settings,
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

/// Why the loop stopped.
enum Stop {
    /// The stream was dropped.
    Closed,
    /// An error the watch cannot get over.
    Fatal(Error),
}

type Item = Result<WatchEvent, Error>;

struct Driver {
    settings: Settings,
    /// The settings' client without retries: each failure comes back to
    /// the driver, which reports it.
    client: Client,
    /// The backoff policy after a transient failure.
    backoff: RetryPolicy,
    /// The endpoints reported in [`PollSummary::active`].
    watched: Vec<StreamEndpoint>,
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
            let mut history = self.cursor(ConnectionStatus::Inactive)?;
            if let Some(page) = self.next_page(&mut history, None).await? {
                self.tracker.baseline_history(&page.connections);
            }
        }
        let active = self.fetch_all_active().await?;
        let unchanged = self.tracker.active(active, self.now());
        // The list as the tracker keeps it: each id once.
        let active = self.tracker.listed();
        let active_counts = match self.last_counts.take() {
            // The same connections as last poll: the same counts.
            Some(counts) if unchanged => counts,
            _ => count(&mut self.watched, active),
        };
        self.last_counts = Some(active_counts.clone());
        let plan = guard::plan(
            self.settings.keep,
            active,
            self.settings.endpoints.as_deref().unwrap_or(&[]),
        )
        .map_err(Stop::Fatal)?;
        if !baseline {
            self.read_history().await?;
        }
        let (events, warnings) = self.tracker.finish(self.now());
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
        let now = self.now();
        let next_poll_in = self
            .pacer
            .next_interval(self.settings.interval, self.requests, now);
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
        self.settings.sleep.sleep(next_poll_in).await;
        Ok(())
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.settings.clock.now()
    }

    /// Every page of the active list, as listed (the tracker drops a
    /// connection listed twice).
    async fn fetch_all_active(&mut self) -> Result<Vec<Connection>, Stop> {
        let mut active = Vec::with_capacity(self.last_active_len);
        let mut cursor = self.cursor(ConnectionStatus::Active)?;
        while let Some(page) = self.next_page(&mut cursor, None).await? {
            active.extend(page.connections);
        }
        self.last_active_len = active.len();
        Ok(active)
    }

    /// The history, newest first, until the tracker has what it needs: the
    /// first page sized to the connections that left the active list, every
    /// further one full.
    async fn read_history(&mut self) -> Result<(), Stop> {
        let mut cursor = self.cursor(ConnectionStatus::Inactive)?;
        let mut max_results = Some(history_probe(self.tracker.vanished()));
        while let Some(page) = self.next_page(&mut cursor, max_results.take()).await? {
            self.tracker.history(&page.connections, self.now());
            if !self
                .tracker
                .needs_more_history(oldest_if_ordered(&page.connections))
            {
                break;
            }
        }
        Ok(())
    }

    /// A cursor over every record of the connections with `status`, 100 a
    /// page, on the retry-free client.
    fn cursor(&self, status: ConnectionStatus) -> Result<PageCursor, Stop> {
        let mut request = self
            .client
            .connections()
            .status(status)
            .fields(ConnectionField::ALL.iter().cloned())
            .max_results(MAX_RESULTS_MAX);
        if let Some(endpoints) = &self.settings.endpoints {
            request = request.endpoints(endpoints.iter().cloned());
        }
        request.cursor().map_err(|error| {
            // Invalid settings, found before anything is sent.
            metrics::error();
            Stop::Fatal(error)
        })
    }

    /// The cursor's next page (`None` after the last), of `max_results`
    /// when given, sent only inside the rate window, retried until it
    /// arrives or fails for good. A repeated `next_token` ends the watch.
    async fn next_page(
        &mut self,
        cursor: &mut PageCursor,
        max_results: Option<u32>,
    ) -> Result<Option<Page>, Stop> {
        if !cursor.more().map_err(Stop::Fatal)? {
            return Ok(None);
        }
        let mut failures = 0u32;
        loop {
            self.wait_for_window().await?;
            self.requests += 1;
            // A failed request leaves the cursor on the same page.
            match cursor.next_page(max_results).await {
                Ok(page) => {
                    if let Some(rate_limit) = page.as_ref().map(|page| page.rate_limit) {
                        self.pacer.observe(rate_limit);
                        if let Some(remaining) = rate_limit.and_then(|rl| rl.remaining) {
                            metrics::rate_limit(remaining);
                        }
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
        while let Some(wait) = self.pacer.wait_before_request(self.now()) {
            self.warn(
                WarningKind::RateLimitWait,
                "rate-limit window spent (x-rate-limit-remaining: 0); waiting for its reset"
                    .to_owned(),
                Some(wait),
            )
            .await?;
            self.settings.sleep.sleep(wait).await;
        }
        Ok(())
    }

    /// After a failed request: wait and let the caller send it again, or
    /// stop for good.
    async fn recover(&mut self, error: Error, failures: u32) -> Result<(), Stop> {
        if let Error::RateLimited(limited) = &error {
            let now = self.now();
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
            self.settings.sleep.sleep(wait).await;
            return Ok(());
        }
        if !error.is_retryable() {
            return Err(Stop::Fatal(error));
        }
        let wait = self.backoff.backoff(failures);
        self.warn(
            WarningKind::Retrying,
            format!("request failed ({error}); retrying (failure {failures})"),
            Some(wait),
        )
        .await?;
        self.settings.sleep.sleep(wait).await;
        Ok(())
    }

    /// Carry out the duplicates plan inside the rate window; report each
    /// connection as terminated or as a warning.
    async fn guard(&mut self, plan: &DuplicatesPlan) -> Result<(), Stop> {
        self.wait_for_window().await?;
        self.requests += guard::requests(plan);
        let clock = self.settings.clock.clone();
        match guard::end(&self.client, plan, || clock.now()).await {
            Ok(outcomes) => {
                for outcome in outcomes {
                    match outcome {
                        Outcome::Ended(event) => self.emit(WatchEvent::Connection(event)).await?,
                        Outcome::Failed(message) => {
                            self.warn(WarningKind::GuardFailed, message, None).await?;
                        }
                    }
                }
                Ok(())
            }
            Err(error) => {
                metrics::error();
                if guard::ends_the_watch(&error) {
                    return Err(Stop::Fatal(error));
                }
                self.warn(
                    WarningKind::GuardFailed,
                    format!("could not end duplicate connections ({error}); next poll tries again"),
                    None,
                )
                .await
            }
        }
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
