//! `Client::watch` against the sandbox (with churn) and a local mock.
//!
//! Time is the test's: a [`ManualTime`] is the watch's clock and sleep, and
//! its sleeps move the sandbox's clock, so a long watch runs at once and the
//! same seed always gives the same events. Where a test must look between
//! two steps of the watch, the sleep is gated: the watch cannot send its next
//! request until the test lets it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use httpmock::prelude::*;
use httpmock::{Mock, Then, When};
use serde_json::json;
use tokio::sync::Semaphore;
use xconn_ext::sandbox::{Churn, Sandbox, SandboxConfig};
use xconn_ext::{
    Client, Clock, Connection, ConnectionStatus, DuplicatesPlan, Error, EventKind, ProblemKind,
    RetryPolicy, Sleep, StreamEndpoint, WarningKind, WatchEvent,
};

use crate::support::http;
use crate::support::mock::json_ok;

/// The bound on any single wait for the stream.
const BOUND: Duration = Duration::from_secs(30);

type Hook = Box<dyn Fn(Duration) + Send + Sync>;

/// The watch's clock and sleep: a sleep moves the clock (and runs the hook)
/// at once, after taking a permit (unlimited unless the test gates it).
struct ManualTime {
    now: Mutex<DateTime<Utc>>,
    sleeps: Mutex<Vec<Duration>>,
    permits: Arc<Semaphore>,
    hook: Option<Hook>,
}

impl std::fmt::Debug for ManualTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManualTime").finish_non_exhaustive()
    }
}

impl ManualTime {
    fn new(start: DateTime<Utc>, gated: bool, hook: Option<Hook>) -> Arc<Self> {
        let permits = if gated { 0 } else { Semaphore::MAX_PERMITS };
        Arc::new(Self {
            now: Mutex::new(start),
            sleeps: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(permits)),
            hook,
        })
    }

    fn release(&self) {
        self.permits.add_permits(1);
    }

    fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }
}

impl Clock for ManualTime {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap()
    }
}

impl Sleep for ManualTime {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.sleeps.lock().unwrap().push(duration);
        let permits = Arc::clone(&self.permits);
        let advance = {
            let mut now = self.now.lock().unwrap();
            *now += chrono::Duration::from_std(duration).unwrap();
            duration
        };
        if let Some(hook) = &self.hook {
            hook(advance);
        }
        Box::pin(async move {
            permits.acquire().await.unwrap().forget();
        })
    }
}

type Events = BoxStream<'static, Result<WatchEvent, Error>>;

/// The stream of `watch`, with `time` as its clock and its sleep.
fn timed(watch: xconn_ext::Watch, time: &Arc<ManualTime>) -> Events {
    watch.clock(time.clone()).sleep_impl(time.clone()).stream()
}

async fn next(stream: &mut Events) -> Option<Result<WatchEvent, Error>> {
    tokio::time::timeout(BOUND, stream.next())
        .await
        .expect("the watch yields within the bound")
}

/// Items up to and including the `polls`-th poll summary.
async fn until_polls(stream: &mut Events, polls: u64) -> Vec<WatchEvent> {
    let mut items = Vec::new();
    let mut seen = 0;
    while seen < polls {
        let item = next(stream)
            .await
            .expect("the watch goes on")
            .expect("no error");
        if matches!(item, WatchEvent::Polled(_)) {
            seen += 1;
        }
        items.push(item);
    }
    items
}

fn events(items: &[WatchEvent]) -> Vec<(EventKind, Connection, DateTime<Utc>)> {
    items
        .iter()
        .filter_map(|item| match item {
            WatchEvent::Connection(e) => Some((e.kind, e.connection.clone(), e.at)),
            _ => None,
        })
        .collect()
}

fn id(c: &Connection) -> String {
    c.id.clone().expect("the watch asks for ids")
}

/// A sandbox whose clock the watch's sleeps move, and a watch of it.
async fn sandbox_watch(config: SandboxConfig) -> (Arc<Sandbox>, Client, Arc<ManualTime>) {
    let sandbox = Arc::new(Sandbox::start(config).await.unwrap());
    let client = sandbox.client().unwrap();
    let moved = Arc::clone(&sandbox);
    let time = ManualTime::new(
        sandbox.now(),
        false,
        Some(Box::new(move |by| moved.advance(by))),
    );
    (sandbox, client, time)
}

async fn truth(client: &Client) -> HashMap<String, Connection> {
    client
        .connections()
        .status(ConnectionStatus::All)
        .fields(xconn_ext::ConnectionField::ALL.iter().cloned())
        .max_results(100)
        .stream()
        .map_ok(|c| (id(&c), c))
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn baseline_then_every_change_once_with_the_apis_reason() {
    let (sandbox, client, time) = sandbox_watch(
        SandboxConfig::default()
            .connections(60)
            .seed(3)
            .churn(Churn::default().seed(9)),
    )
    .await;
    let epoch = sandbox.now();
    let mut stream = timed(client.watch().interval(Duration::from_secs(10)), &time);
    let items = until_polls(&mut stream, 30).await;
    drop(stream);
    // The sandbox time when the 30th poll ended: before its sleep, if any.
    let sleeps = time.sleeps();
    let slept: Duration = sleeps.iter().take(29).sum();
    let polls_time = sandbox.now();
    let events = events(&items);
    let truth = truth(&client).await;

    // No event twice.
    let mut seen = HashSet::new();
    for (kind, c, _) in &events {
        assert!(seen.insert((*kind, id(c))), "{kind} {} twice", id(c));
    }
    // The baseline is exactly what was active when the watch started: the
    // truth's connections that had started by then (two requests in) and
    // had not ended.
    let base_time = epoch + chrono::Duration::seconds(2);
    let baseline: HashSet<String> = events
        .iter()
        .filter(|(k, ..)| *k == EventKind::Active)
        .map(|(_, c, _)| id(c))
        .collect();
    let expected: HashSet<String> = truth
        .values()
        .filter(|c| c.connected_at.unwrap() <= base_time)
        .filter(|c| c.disconnected_at.is_none_or(|d| d > base_time))
        .map(id)
        .collect();
    assert_eq!(baseline, expected);
    assert!(!baseline.is_empty());

    // Every disconnect carries the API's own time and reason.
    let mut disconnected = 0;
    for (kind, c, at) in &events {
        if *kind == EventKind::Disconnected {
            let real = &truth[&id(c)];
            assert_eq!(c.disconnect_reason, real.disconnect_reason);
            assert_eq!(c.disconnected_at, real.disconnected_at);
            assert_eq!(Some(*at), real.disconnected_at);
            disconnected += 1;
        }
    }
    // Whatever changed well inside the watched time was reported: each
    // start as `connected`, each end as `disconnected`.
    let settled =
        epoch + chrono::Duration::from_std(slept).unwrap() - chrono::Duration::seconds(10);
    assert!(polls_time > settled);
    let reported = |kind: EventKind, cid: &str| seen.contains(&(kind, cid.to_owned()));
    let mut started = 0;
    for c in truth.values() {
        let cid = id(c);
        let connected_at = c.connected_at.unwrap();
        if connected_at > base_time && connected_at <= settled {
            assert!(
                reported(EventKind::Connected, &cid),
                "start of {cid} missed"
            );
            started += 1;
        }
        let watched = baseline.contains(&cid) || connected_at > base_time;
        if watched && c.disconnected_at.is_some_and(|d| d <= settled) {
            assert!(
                reported(EventKind::Disconnected, &cid),
                "end of {cid} missed"
            );
        }
    }
    assert!(
        started > 10 && disconnected > 10,
        "{started} started, {disconnected} ended"
    );
}

#[tokio::test]
async fn a_long_watch_never_sends_into_a_spent_window() {
    // 5 requests per minute of sandbox time, for a watch that would poll
    // every 10 s: the windows run dry again and again.
    let churn = Churn::default().seed(2).rate_limit(5);
    let (sandbox, client, time) =
        sandbox_watch(SandboxConfig::default().connections(60).churn(churn)).await;
    let interval = Duration::from_secs(10);
    let mut stream = timed(client.watch().interval(interval), &time);
    let items = until_polls(&mut stream, 40).await;
    drop(stream);
    let mut sent = 0;
    let mut stretched = 0;
    for item in &items {
        match item {
            WatchEvent::Polled(summary) => {
                sent += u64::from(summary.requests);
                if summary.next_poll_in > interval {
                    stretched += 1;
                }
            }
            WatchEvent::Warning(warning) => {
                assert!(
                    !warning.message.contains("429"),
                    "sent into a spent window: {warning}"
                );
                assert_eq!(warning.kind, WarningKind::RateLimitWait);
            }
            WatchEvent::Connection(_) => {}
            other => panic!("{other:?}"),
        }
    }
    // Every request the sandbox saw is one the watch counted (none hidden).
    assert_eq!(sandbox.request_count(), sent);
    assert!(stretched > 10, "{stretched} polls stretched");
    assert!(
        events(&items)
            .iter()
            .any(|(k, ..)| *k == EventKind::Disconnected)
    );
}

#[tokio::test]
async fn a_quiet_poll_is_two_requests_and_reads_no_more_history() {
    let (sandbox, client, time) = sandbox_watch(SandboxConfig::default().seed(1)).await;
    let mut stream = timed(client.watch(), &time);
    let items = until_polls(&mut stream, 4).await;
    let summaries: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            WatchEvent::Polled(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    // Baseline: one history page, then the active list (one page of 100).
    // Then: the active list and one history page (of the probe's size, see
    // `a_quiet_poll_asks_the_history_for_a_small_page`), though the history
    // of 250 connections is many pages more.
    assert_eq!(
        summaries.iter().map(|s| s.requests).collect::<Vec<_>>(),
        [2, 2, 2, 2]
    );
    assert_eq!(sandbox.request_count(), 8);
    assert!(events(&items).iter().all(|(k, ..)| *k == EventKind::Active));
    // Every endpoint is in the counts, zeros included, and the default
    // interval stands without a rate limit.
    assert_eq!(summaries[0].active.len(), StreamEndpoint::ALL.len());
    assert_eq!(time.sleeps()[0], xconn_ext::watch::DEFAULT_INTERVAL);
    // Quiet polls carry the counts over (worked out once): they still add
    // up to the connections listed.
    let active = events(&items).len();
    assert!(active > 0);
    for summary in &summaries {
        assert_eq!(summary.active, summaries[0].active);
        assert_eq!(summary.active.values().sum::<u64>(), active as u64);
    }
}

#[tokio::test]
async fn an_ended_connection_is_looked_up_as_far_back_as_it_started() {
    let (sandbox, client, time) =
        sandbox_watch(SandboxConfig::default().connections(1000).seed(2)).await;
    let oldest = client
        .connections()
        .fields(xconn_ext::ConnectionField::ALL.iter().cloned())
        .max_results(100)
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .min_by_key(|c| c.connected_at)
        .unwrap();
    let gated = ManualTime::new(sandbox.now(), true, None);
    let mut stream = timed(client.watch(), &gated);
    until_polls(&mut stream, 1).await;
    client.terminate([id(&oldest)]).await.unwrap();
    let truth = truth(&client).await;
    let inactive = truth
        .values()
        .filter(|c| c.disconnected_at.is_some())
        .count();
    let active_pages = (truth.len() - inactive).div_ceil(100);
    let newer = truth
        .values()
        .filter(|c| c.disconnected_at.is_some() && c.connected_at >= oldest.connected_at)
        .count();
    let before = sandbox.request_count();
    gated.release();
    let items = until_polls(&mut stream, 1).await;
    let events = events(&items);
    assert_eq!(events.len(), 1, "{events:?}");
    let (kind, c, _) = &events[0];
    assert_eq!((*kind, id(c)), (EventKind::Disconnected, id(&oldest)));
    assert_eq!(
        c.disconnect_reason.as_ref().unwrap().as_str(),
        "operator_disconnect"
    );
    // The history was read page by page down to where the ended connection
    // started, and no further: the active pages, then the history pages: a
    // first one sized for the one connection that left, then 100 a page.
    let probe = 1 + xconn_ext::watch::HISTORY_PROBE_MARGIN as usize;
    let history_pages = |records: usize| 1 + records.saturating_sub(probe).div_ceil(100);
    let pages = history_pages(newer);
    assert!(
        pages >= 2 && pages < history_pages(inactive),
        "{pages} of {inactive}"
    );
    let WatchEvent::Polled(summary) = items.last().unwrap() else {
        panic!()
    };
    assert_eq!(summary.requests as usize, active_pages + pages);
    assert_eq!(
        sandbox.request_count() - before,
        (active_pages + pages) as u64
    );
    drop(time);
}

#[tokio::test]
async fn the_guard_ends_the_least_recently_connected_extras() {
    let (sandbox, client, time) = sandbox_watch(SandboxConfig::default().seed(4)).await;
    let plan = client.plan_duplicates(1, &[]).await.unwrap();
    assert!(plan.to_end().len() > 5);
    let mut stream = timed(client.watch().terminate_duplicates(1), &time);
    let items = until_polls(&mut stream, 2).await;
    let events = events(&items);
    let terminated: Vec<String> = events
        .iter()
        .filter(|(k, ..)| *k == EventKind::Terminated)
        .map(|(_, c, _)| id(c))
        .collect();
    let planned: Vec<String> = plan.uuids().map(str::to_owned).collect();
    assert_eq!(terminated, planned);
    // The next poll sees them end, with the API's reason.
    let ended: Vec<String> = events
        .iter()
        .filter(|(k, c, _)| {
            *k == EventKind::Disconnected
                && c.disconnect_reason.as_ref().unwrap().as_str() == "operator_disconnect"
        })
        .map(|(_, c, _)| id(c))
        .collect();
    assert_eq!(
        ended.iter().collect::<HashSet<_>>(),
        terminated.iter().collect::<HashSet<_>>()
    );
    let WatchEvent::Polled(last) = items.last().unwrap() else {
        panic!()
    };
    assert!(last.active.values().all(|&n| n <= 1), "{:?}", last.active);
    // Nothing more to end: a plan now is empty.
    let again = DuplicatesPlan::from_active(truth(&client).await.into_values(), 1, &[]).unwrap();
    assert!(again.is_empty());
    drop(sandbox);
}

/// As documented on `WatchEvent`: a poll's `Terminated` events come before
/// its `Polled` summary, whose counts are from before the guard ran.
#[tokio::test]
async fn a_polls_terminations_precede_its_summary_which_counts_before_the_guard() {
    let (sandbox, client, time) = sandbox_watch(SandboxConfig::default().seed(4)).await;
    let before = client.plan_duplicates(1, &[]).await.unwrap();
    assert!(!before.is_empty());
    let mut stream = timed(client.watch().terminate_duplicates(1), &time);
    let items = until_polls(&mut stream, 1).await;
    let terminated = items
        .iter()
        .filter(|item| matches!(item, WatchEvent::Connection(e) if e.kind == EventKind::Terminated))
        .count();
    assert_eq!(terminated, before.to_end().len());
    let Some(WatchEvent::Polled(summary)) = items.last() else {
        panic!("the poll ends with its summary: {items:?}")
    };
    for (endpoint, counts) in before.counts() {
        assert_eq!(
            summary.active.get(endpoint).copied(),
            Some(counts.active as u64),
            "{endpoint}: the count from before the guard ended any"
        );
    }
    drop(sandbox);
}

/// Matches `GET /2/connections?status={status}`.
fn asks_for(when: When, status: &str) -> When {
    when.method(GET)
        .path("/2/connections")
        .query_param("status", status)
}

/// The `x-rate-limit-*` headers of a 50-request window with `remaining`
/// left until `reset` (seconds since the epoch).
fn window(then: Then, remaining: u32, reset: i64) -> Then {
    then.header("x-rate-limit-limit", "50")
        .header("x-rate-limit-remaining", remaining.to_string())
        .header("x-rate-limit-reset", reset.to_string())
}

/// `GET /2/connections?status={status}` answers 200 with the JSON `body`.
async fn listing<'a>(server: &'a MockServer, status: &str, body: serde_json::Value) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            asks_for(when, status);
            json_ok(then, body.to_string());
        })
        .await
}

/// The history (`status=inactive`) is one empty page.
async fn no_history(server: &MockServer) -> Mock<'_> {
    listing(server, "inactive", page(json!([]))).await
}

fn page(data: serde_json::Value) -> serde_json::Value {
    json!({ "data": data, "meta": { "result_count": data.as_array().map_or(0, Vec::len) } })
}

fn one_active() -> serde_json::Value {
    page(json!([{
        "id": "1f0d8b1e-0000-4000-8000-000000000001",
        "endpoint_name": "filtered_stream",
        "client_ip": "203.0.113.9",
        "connected_at": "2026-01-01T00:00:00Z"
    }]))
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 1, 0).unwrap()
}

/// A client builder for `base_url` with `token`, over an HTTP client that
/// never uses a proxy (nothing leaves 127.0.0.1).
fn client_of(base_url: impl Into<String>, token: &str) -> xconn_ext::ClientBuilder {
    Client::builder()
        .http_client(http())
        .bearer_token(token)
        .base_url(base_url)
}

/// A client of `server`, without retries.
fn mock_client(server: &MockServer) -> Client {
    client_of(server.base_url(), "t")
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap()
}

/// An ended connection as the history lists it.
fn ended_record(n: u32, connected_at: &str, disconnected_at: &str) -> serde_json::Value {
    json!({
        "id": format!("1f0d8b1e-0000-4000-8000-{n:012}"),
        "endpoint_name": "filtered_stream",
        "client_ip": "203.0.113.9",
        "connected_at": connected_at,
        "disconnected_at": disconnected_at,
        "disconnect_reason": "stall"
    })
}

/// A gated watch of `server` past its baseline (an empty history), in which
/// the two connections it found active (ids ending `001` and `002`,
/// connected at midnight) have left the active list: its next poll, once
/// released, looks for them in the history.
async fn two_left_after_the_baseline(server: &MockServer) -> (Events, Arc<ManualTime>) {
    let baseline_history = history_page(server, 100, None, page(json!([]))).await;
    let two = page(json!([
        {
            "id": "1f0d8b1e-0000-4000-8000-000000000001",
            "endpoint_name": "filtered_stream",
            "connected_at": "2026-01-01T00:00:00Z"
        },
        {
            "id": "1f0d8b1e-0000-4000-8000-000000000002",
            "endpoint_name": "sample_stream",
            "connected_at": "2026-01-01T00:00:00Z"
        }
    ]));
    let active = listing(server, "active", two).await;
    let time = ManualTime::new(start(), true, None);
    let mut stream = timed(mock_client(server).watch(), &time);
    until_polls(&mut stream, 1).await;
    baseline_history.delete_async().await;
    active.delete_async().await;
    listing(server, "active", page(json!([]))).await;
    (stream, time)
}

/// Connections `n` in `range` that came and went after midnight, as the
/// history lists them (newest first): connected at `00:01:{n}`, gone a
/// second later.
fn came_and_went(range: std::ops::Range<u32>) -> Vec<serde_json::Value> {
    range
        .rev()
        .map(|n| {
            ended_record(
                n,
                &format!("2026-01-01T00:01:{n:02}Z"),
                &format!("2026-01-01T00:01:{:02}Z", n + 1),
            )
        })
        .collect()
}

/// `GET /2/connections?status=inactive&max_results={max_results}`, with
/// `pagination_token={token}` or without one, answers `body`.
async fn history_page<'a>(
    server: &'a MockServer,
    max_results: u32,
    token: Option<&str>,
    body: serde_json::Value,
) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            let when =
                asks_for(when, "inactive").query_param("max_results", max_results.to_string());
            match token {
                Some(token) => when.query_param("pagination_token", token),
                None => when.query_param_missing("pagination_token"),
            };
            json_ok(then, body.to_string());
        })
        .await
}

#[tokio::test]
async fn a_quiet_poll_asks_the_history_for_a_small_page() {
    let server = MockServer::start_async().await;
    let history = page(json!([
        ended_record(7, "2025-12-31T10:00:00Z", "2025-12-31T11:00:00Z"),
        ended_record(8, "2025-12-31T09:00:00Z", "2025-12-31T12:00:00Z"),
    ]));
    let full = history_page(&server, 100, None, history.clone()).await;
    let probe = xconn_ext::watch::HISTORY_PROBE_MARGIN;
    let small = history_page(&server, probe, None, history).await;
    let active = server
        .mock_async(|when, then| {
            asks_for(when, "active").query_param("max_results", "100");
            json_ok(then, one_active().to_string());
        })
        .await;
    let time = ManualTime::new(start(), false, None);
    let mut stream = timed(mock_client(&server).watch(), &time);
    let items = until_polls(&mut stream, 3).await;
    drop(stream);
    let requests: Vec<u32> = items
        .iter()
        .filter_map(|i| match i {
            WatchEvent::Polled(s) => Some(s.requests),
            _ => None,
        })
        .collect();
    assert_eq!(requests, [2, 2, 2]);
    // The baseline's history page is a full one; a quiet poll's asks for
    // the margin alone (nothing left the active list).
    assert_eq!(full.calls_async().await, 1);
    assert_eq!(small.calls_async().await, 2);
    assert_eq!(active.calls_async().await, 3);
    assert!(events(&items).iter().all(|(k, ..)| *k == EventKind::Active));
}

#[tokio::test]
async fn a_busy_history_is_read_on_past_the_probe_at_full_pages() {
    let server = MockServer::start_async().await;
    let (mut stream, time) = two_left_after_the_baseline(&server).await;
    // Both connections ended, and 28 more came and went since (newer, so
    // listed first): 30 records, more than the probe for two holds.
    let mut records = came_and_went(10..38);
    records.push(ended_record(
        1,
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:01:50Z",
    ));
    records.push(ended_record(
        2,
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:01:51Z",
    ));
    let probe = 2 + xconn_ext::watch::HISTORY_PROBE_MARGIN;
    let (first, rest) = records.split_at(probe as usize);
    let mut first_page = page(json!(first));
    first_page["meta"]["next_token"] = json!("h1");
    let first = history_page(&server, probe, None, first_page).await;
    let second = history_page(&server, 100, Some("h1"), page(json!(rest))).await;
    time.release();
    let items = until_polls(&mut stream, 1).await;
    assert_eq!(
        (first.calls_async().await, second.calls_async().await),
        (1, 1)
    );
    let WatchEvent::Polled(summary) = items.last().unwrap() else {
        panic!()
    };
    assert_eq!(
        summary.requests, 3,
        "the active page, the probe, one full page"
    );
    let reported: Vec<(EventKind, String)> = events(&items)
        .iter()
        .map(|(kind, c, _)| (*kind, id(c)))
        .collect();
    let mut expected = HashSet::new();
    for record in &records {
        let rid = record["id"].as_str().unwrap().to_owned();
        if !rid.ends_with("001") && !rid.ends_with("002") {
            expected.insert((EventKind::Connected, rid.clone()));
        }
        expected.insert((EventKind::Disconnected, rid));
    }
    assert_eq!(reported.len(), expected.len(), "{reported:?}");
    assert_eq!(reported.into_iter().collect::<HashSet<_>>(), expected);
}

#[tokio::test]
async fn nothing_is_sent_while_the_window_is_spent() {
    let server = MockServer::start_async().await;
    let reset = start().timestamp() + 60;
    let history = server
        .mock_async(|when, then| {
            asks_for(when, "inactive");
            window(json_ok(then, page(json!([])).to_string()), 0, reset);
        })
        .await;
    let active = server
        .mock_async(|when, then| {
            asks_for(when, "active");
            window(json_ok(then, one_active().to_string()), 4, reset + 60);
        })
        .await;
    let time = ManualTime::new(start(), true, None);
    let mut stream = timed(
        mock_client(&server)
            .watch()
            .interval(Duration::from_secs(5)),
        &time,
    );
    let Some(Ok(WatchEvent::Warning(warning))) = next(&mut stream).await else {
        panic!("a rate-limit wait first")
    };
    assert_eq!(warning.kind, WarningKind::RateLimitWait);
    assert_eq!(warning.wait, Some(Duration::from_secs(60)));
    // The watch is asleep until the reset: nothing else was sent.
    assert_eq!(
        (history.calls_async().await, active.calls_async().await),
        (1, 0)
    );
    time.release();
    let Some(Ok(WatchEvent::Connection(event))) = next(&mut stream).await else {
        panic!()
    };
    assert_eq!(event.kind, EventKind::Active);
    assert_eq!(active.calls_async().await, 1);
    // 4 requests left for the 60 s still to go, 2 a poll: the 5 s interval
    // is stretched to 30 s.
    let Some(Ok(WatchEvent::Polled(summary))) = next(&mut stream).await else {
        panic!()
    };
    assert_eq!(summary.next_poll_in, Duration::from_secs(30));
    assert_eq!(summary.rate_limit.unwrap().remaining, Some(4));
}

#[tokio::test]
async fn a_429_waits_for_the_reset_and_carries_on() {
    let server = MockServer::start_async().await;
    let reset = start().timestamp() + 30;
    no_history(&server).await;
    let limited = server
        .mock_async(|when, then| {
            asks_for(when, "active");
            let then = then
                .status(429)
                .header("content-type", "application/problem+json");
            window(then, 0, reset).json_body(json!({"title": "Too Many Requests", "type": "about:blank", "status": 429, "detail": "Too Many Requests"}));
        })
        .await;
    let time = ManualTime::new(start(), true, None);
    let mut stream = timed(mock_client(&server).watch(), &time);
    let Some(Ok(WatchEvent::Warning(warning))) = next(&mut stream).await else {
        panic!()
    };
    assert_eq!(warning.kind, WarningKind::RateLimitWait);
    assert_eq!(warning.wait, Some(Duration::from_secs(30)));
    assert_eq!(limited.calls_async().await, 1);
    limited.delete_async().await;
    listing(&server, "active", one_active()).await;
    time.release();
    let Some(Ok(WatchEvent::Connection(event))) = next(&mut stream).await else {
        panic!()
    };
    assert_eq!(event.kind, EventKind::Active);
    assert_eq!(time.sleeps(), [Duration::from_secs(30)]);
}

#[tokio::test]
async fn a_5xx_is_retried_reported_and_the_watch_goes_on() {
    let server = MockServer::start_async().await;
    no_history(&server).await;
    let failing = server
        .mock_async(|when, then| {
            asks_for(when, "active");
            then.status(503)
                .header("content-type", "text/html")
                .body("<html>503</html>");
        })
        .await;
    let time = ManualTime::new(start(), true, None);
    let mut stream = timed(
        mock_client(&server)
            .watch()
            .interval(Duration::from_secs(10)),
        &time,
    );
    let Some(Ok(WatchEvent::Warning(warning))) = next(&mut stream).await else {
        panic!()
    };
    assert_eq!(warning.kind, WarningKind::Retrying);
    assert!(warning.message.contains("503"), "{}", warning.message);
    let wait = warning.wait.unwrap();
    assert!(
        wait >= Duration::from_millis(500) && wait <= Duration::from_secs(1),
        "{wait:?}"
    );
    assert_eq!(failing.calls_async().await, 1);
    failing.delete_async().await;
    listing(&server, "active", one_active()).await;
    time.release();
    let Some(Ok(WatchEvent::Connection(event))) = next(&mut stream).await else {
        panic!()
    };
    assert_eq!(event.kind, EventKind::Active);
}

#[tokio::test]
async fn refused_credentials_and_a_spent_cap_end_the_stream() {
    for (config, status, kind) in [
        (SandboxConfig::default().token("other"), 401, None),
        (
            SandboxConfig::default().usage_capped(true),
            429,
            Some(ProblemKind::UsageCapped),
        ),
    ] {
        let sandbox = Sandbox::start(config).await.unwrap();
        let client = client_of(sandbox.base_url(), "sandbox-token")
            .build()
            .unwrap();
        let time = ManualTime::new(sandbox.now(), false, None);
        let mut stream = timed(client.watch(), &time);
        let Some(Err(error)) = next(&mut stream).await else {
            panic!("an error")
        };
        assert_eq!(error.status(), Some(status));
        if let Some(kind) = kind {
            assert_eq!(error.problem_kind(), Some(&kind));
        }
        assert!(next(&mut stream).await.is_none(), "the stream ends");
        assert_eq!(sandbox.request_count(), 1, "not retried");
        assert!(time.sleeps().is_empty());
    }
}

#[tokio::test]
async fn bad_settings_are_the_only_item_and_nothing_is_sent() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let client = sandbox.client().unwrap();
    let cases: [(xconn_ext::Watch, &str); 3] = [
        (client.watch().interval(Duration::ZERO), "interval"),
        (client.watch().terminate_duplicates(0), "keep"),
        (client.watch().endpoints([]), "endpoints"),
    ];
    for (watch, field) in cases {
        let items: Vec<_> = watch.stream().collect().await;
        assert_eq!(items.len(), 1);
        let Err(Error::InvalidInput(invalid)) = &items[0] else {
            panic!("{:?}", items[0])
        };
        assert_eq!(invalid.field(), field);
    }
    assert_eq!(sandbox.request_count(), 0);
}

#[tokio::test]
async fn an_endpoint_this_version_does_not_know_is_counted_and_falls_back_to_0() {
    let server = MockServer::start_async().await;
    no_history(&server).await;
    let new_stream = page(json!([{
        "id": "1f0d8b1e-0000-4000-8000-000000000002",
        "endpoint_name": "brand_new_stream",
        "connected_at": "2026-01-01T00:00:00Z"
    }]));
    let active = listing(&server, "active", new_stream).await;
    let time = ManualTime::new(start(), true, None);
    let mut stream = timed(mock_client(&server).watch(), &time);
    let unknown = StreamEndpoint::from_wire("brand_new_stream");
    let items = until_polls(&mut stream, 1).await;
    let WatchEvent::Polled(first) = items.last().unwrap() else {
        panic!()
    };
    assert_eq!(first.active.get(&unknown), Some(&1));
    assert_eq!(first.active.len(), StreamEndpoint::ALL.len() + 1);
    active.delete_async().await;
    listing(&server, "active", page(json!([]))).await;
    time.release();
    let items = until_polls(&mut stream, 1).await;
    let WatchEvent::Polled(second) = items.last().unwrap() else {
        panic!()
    };
    assert_eq!(second.active.get(&unknown), Some(&0), "not a stale 1");
}

#[tokio::test]
async fn a_record_on_two_pages_counts_once_and_a_token_cycle_ends_the_watch() {
    for last_token in [None, Some("t1")] {
        let server = MockServer::start_async().await;
        no_history(&server).await;
        // The same connection on all three pages (a listing that shifted).
        let mut first = one_active();
        first["meta"]["next_token"] = json!("t1");
        let mut second = one_active();
        second["meta"]["next_token"] = json!("t2");
        let mut third = one_active();
        if let Some(token) = last_token {
            third["meta"]["next_token"] = json!(token);
        }
        let page1 = server
            .mock_async(|when, then| {
                asks_for(when, "active").query_param_missing("pagination_token");
                json_ok(then, first.to_string());
            })
            .await;
        for (token, body) in [("t1", second), ("t2", third)] {
            server
                .mock_async(|when, then| {
                    asks_for(when, "active").query_param("pagination_token", token);
                    json_ok(then, body.to_string());
                })
                .await;
        }
        let time = ManualTime::new(start(), false, None);
        let mut stream = timed(mock_client(&server).watch(), &time);
        match last_token {
            None => {
                let items = until_polls(&mut stream, 1).await;
                assert_eq!(events(&items).len(), 1, "{items:?}");
                let WatchEvent::Polled(summary) = items.last().unwrap() else {
                    panic!()
                };
                assert_eq!(summary.active[&StreamEndpoint::FilteredStream], 1);
            }
            Some(_) => {
                let Some(Err(error)) = next(&mut stream).await else {
                    panic!("the cycle ends the watch before the baseline is out")
                };
                assert!(
                    matches!(&error, Error::RepeatedToken { token } if token == "t1"),
                    "{error}"
                );
                assert!(next(&mut stream).await.is_none());
                assert_eq!(page1.calls_async().await, 1);
            }
        }
    }
}

#[tokio::test]
async fn connection_failures_are_retried_with_growing_backoff_and_the_watch_goes_on() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client_of(format!("http://127.0.0.1:{port}"), "t")
        .build()
        .unwrap();
    let time = ManualTime::new(start(), false, None);
    let mut stream = timed(client.watch().interval(Duration::from_secs(60)), &time);
    let mut waits = Vec::new();
    for _ in 0..8 {
        let Some(Ok(WatchEvent::Warning(warning))) = next(&mut stream).await else {
            panic!("a warning, and the watch goes on")
        };
        assert_eq!(warning.kind, WarningKind::Retrying);
        waits.push(warning.wait.unwrap());
    }
    // Equal jitter: between half and all of 1 s, 2 s, 4 s ... capped at the interval.
    for (n, wait) in waits.iter().enumerate() {
        let cap = Duration::from_secs(1 << n).min(Duration::from_secs(60));
        assert!(
            *wait >= cap / 2 && *wait <= cap,
            "failure {}: {wait:?}",
            n + 1
        );
    }
    // The watch slept what it said (the last wait may still be under way).
    assert_eq!(time.sleeps()[..7], waits[..7]);
}

#[tokio::test]
async fn the_watch_waits_through_the_clients_sleep_unless_given_its_own() {
    let server = MockServer::start_async().await;
    no_history(&server).await;
    listing(&server, "active", one_active()).await;
    // The client's sleep, and a clock that only it moves: were the watch to
    // wait on tokio's timer, its first 60 s wait would outlast the bound.
    let clients = ManualTime::new(start(), false, None);
    let client = client_of(server.base_url(), "t")
        .retry_policy(RetryPolicy::disabled())
        .sleep_impl(clients.clone())
        .build()
        .unwrap();
    let mut stream = client.watch().clock(clients.clone()).stream();
    until_polls(&mut stream, 2).await;
    drop(stream);
    let waits = clients.sleeps();
    assert_eq!(waits[0], xconn_ext::watch::DEFAULT_INTERVAL, "{waits:?}");

    // A watch's own sleep wins over the client's.
    let own = ManualTime::new(start(), false, None);
    let mut stream = timed(client.watch(), &own);
    until_polls(&mut stream, 2).await;
    drop(stream);
    assert_eq!(own.sleeps()[0], xconn_ext::watch::DEFAULT_INTERVAL);
    assert_eq!(clients.sleeps(), waits, "the client's sleep was not used");
}

#[tokio::test]
async fn a_token_cycle_in_the_history_ends_the_watch_after_one_lap() {
    let server = MockServer::start_async().await;
    let (mut stream, time) = two_left_after_the_baseline(&server).await;
    // Both connections ended; the history lists only newer ones, so the
    // watch reads on, and its second page points back at itself.
    let probe = 2 + xconn_ext::watch::HISTORY_PROBE_MARGIN;
    let mut first_page = page(json!(came_and_went(30..30 + probe)));
    first_page["meta"]["next_token"] = json!("h1");
    let mut second_page = page(json!(came_and_went(20..24)));
    second_page["meta"]["next_token"] = json!("h1");
    let first = history_page(&server, probe, None, first_page).await;
    let second = history_page(&server, 100, Some("h1"), second_page).await;
    time.release();
    let Some(Err(error)) = next(&mut stream).await else {
        panic!("the cycle ends the watch before the poll is out")
    };
    assert!(
        matches!(&error, Error::RepeatedToken { token } if token == "h1"),
        "{error}"
    );
    assert!(next(&mut stream).await.is_none());
    assert_eq!(
        (first.calls_async().await, second.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn a_failed_page_is_sent_again_at_its_own_token() {
    let server = MockServer::start_async().await;
    no_history(&server).await;
    let mut first = one_active();
    first["meta"]["next_token"] = json!("t1");
    let page1 = server
        .mock_async(|when, then| {
            asks_for(when, "active").query_param_missing("pagination_token");
            json_ok(then, first.to_string());
        })
        .await;
    let failing = server
        .mock_async(|when, then| {
            asks_for(when, "active").query_param("pagination_token", "t1");
            then.status(503)
                .header("content-type", "text/html")
                .body("<html>503</html>");
        })
        .await;
    let time = ManualTime::new(start(), true, None);
    let mut stream = timed(mock_client(&server).watch(), &time);
    let Some(Ok(WatchEvent::Warning(warning))) = next(&mut stream).await else {
        panic!("the failed second page is reported")
    };
    assert_eq!(warning.kind, WarningKind::Retrying);
    failing.delete_async().await;
    let page2 = server
        .mock_async(|when, then| {
            asks_for(when, "active").query_param("pagination_token", "t1");
            json_ok(then, page(json!([])).to_string());
        })
        .await;
    time.release();
    let items = until_polls(&mut stream, 1).await;
    let WatchEvent::Polled(summary) = items.last().unwrap() else {
        panic!()
    };
    assert_eq!(
        summary.requests, 4,
        "the history, page 1, page 2 failed, page 2 again"
    );
    // The retry resumed at the failed page, not at the first.
    assert_eq!(
        (page1.calls_async().await, page2.calls_async().await),
        (1, 1)
    );
    assert_eq!(events(&items).len(), 1, "{items:?}");
}
