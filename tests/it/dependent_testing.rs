//! What a service that depends on `xconn-ext` can do in its own tests,
//! using the crate only through its public API (and its re-exports, with
//! no `chrono`, `futures`, `reqwest` or `xconn-sdk` line of its own), and
//! none of this workspace's test helpers:
//!
//! - build the response types it receives (builders that keep compiling
//!   when a field is added);
//! - drive a watch on the sandbox's clock, without waiting;
//! - name the re-exported crates' types;
//! - derive schemas with schemars' current major;
//! - configure a client from `X_BEARER_TOKEN_FILE` (in a child process:
//!   the environment is the process's, and setting it is `unsafe`);
//! - rely on the sandbox never passing off an invented disconnect reason
//!   as one of X's.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use httpmock::prelude::*;
use xconn_ext::chrono::{DateTime, TimeZone, Utc};
use xconn_ext::futures::{StreamExt, TryStreamExt};
use xconn_ext::sandbox::{Churn, INVENTED_REASON_PREFIX, Sandbox, SandboxConfig};
use xconn_ext::{
    Client, Connection, ConnectionEvent, ConnectionStatus, DisconnectReason, ErrorDetail,
    EventKind, Page, PollSummary, Problem, ProblemKind, RateLimit, SharedSleep, StreamEndpoint,
    TOKEN_ENV, TOKEN_FILE_ENV, TerminateReport, TerminateResult, WatchEvent,
};

/// The bound on anything a test awaits.
const BOUND: Duration = Duration::from_secs(30);

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap()
}

/// A service's logic under test: the endpoints whose connections ended
/// other than by an operator.
fn unplanned_drops(connections: &[Connection]) -> Vec<StreamEndpoint> {
    connections
        .iter()
        .filter(|c| !c.is_active())
        .filter(|c| c.disconnect_reason != Some(DisconnectReason::OperatorDisconnect))
        .filter_map(|c| c.endpoint.clone())
        .collect()
}

#[test]
fn response_types_are_built_without_struct_literals() {
    let ended = Connection::builder()
        .id("1f0c")
        .endpoint(StreamEndpoint::FilteredStream)
        .client_ip("203.0.113.7")
        .connected_at(at(1_000))
        .disconnected_at(at(1_600))
        .disconnect_reason(DisconnectReason::from_wire("sandbox_stall"))
        .build();
    let terminated = Connection::builder()
        .endpoint(StreamEndpoint::SampleStream)
        .disconnected_at(at(1_700))
        .disconnect_reason(DisconnectReason::OperatorDisconnect)
        .build();
    let active = Connection::builder()
        .endpoint(StreamEndpoint::SampleStream)
        .build();
    assert_eq!(ended.id.as_deref(), Some("1f0c"));
    assert_eq!(ended.duration(at(9_999)), Some(Duration::from_secs(600)));
    assert!(ended.ip().unwrap().is_ipv4());
    assert!(active.is_active() && active.id.is_none(), "unset is None");
    assert_eq!(
        unplanned_drops(&[ended.clone(), terminated, active]),
        [StreamEndpoint::FilteredStream]
    );

    let problem = Problem::builder()
        .title("Partial failure")
        .detail("one endpoint could not be read")
        .member("reason", "example")
        .errors([ErrorDetail::builder()
            .message("try again")
            .code(131)
            .build()])
        .build();
    assert_eq!(problem.type_uri, xconn_ext::ABOUT_BLANK, "the absent type");
    assert_eq!(problem.extra["reason"], "example");
    assert_eq!(problem.messages().collect::<Vec<_>>(), ["try again"]);
    let rate_limit = RateLimit::builder()
        .limit(50u64)
        .remaining(0u64)
        .reset(at(1_060))
        .build();
    assert_eq!(
        rate_limit.wait_until_reset(at(1_000)),
        Some(Duration::from_secs(60))
    );
    let page = Page::builder()
        .connections([ended.clone()])
        .result_count(1u64)
        .next_token("next")
        .errors([problem.clone()])
        .rate_limit(rate_limit)
        .build();
    assert_eq!(
        (page.connections.len(), page.errors.len()),
        (1, 1),
        "{page:?}"
    );
    assert_eq!(page.next_token.as_deref(), Some("next"));

    let report = TerminateReport::builder()
        .successful(1u64)
        .failed(1u64)
        .results([
            TerminateResult::builder().uuid("a").success(true).build(),
            TerminateResult::builder()
                .uuid("b")
                .error_message("not found")
                .build(),
        ])
        .build();
    assert!(!report.is_complete());
    assert_eq!(
        report
            .not_terminated()
            .map(|r| &r.uuid[..])
            .collect::<Vec<_>>(),
        ["b"]
    );

    // Watch items: the event takes the API's time when the connection has it.
    let event = ConnectionEvent::new(EventKind::Disconnected, ended, at(5_000));
    assert_eq!(event.at, at(1_600));
    let summary = PollSummary::builder()
        .poll(3u64)
        .active(BTreeMap::from([(StreamEndpoint::FilteredStream, 2)]))
        .next_poll_in(Duration::from_secs(60))
        .build();
    assert_eq!((summary.poll, summary.requests), (3, 0));
}

#[test]
fn the_problem_builder_classifies_like_a_decoded_problem() {
    let problem = Problem::builder()
        .type_uri("https://api.x.com/2/problems/usage-capped")
        .build();
    assert_eq!(problem.kind(Some(429)), ProblemKind::UsageCapped);
}

#[tokio::test]
async fn the_sandbox_clock_moves_only_with_its_sleep() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let clock = sandbox.clock();
    let start = clock.now();
    assert_eq!(start, sandbox.now());

    // Sub-second waits add up: the fraction is carried, not dropped.
    let sleep = sandbox.sleep();
    let shared: SharedSleep = sleep.clone();
    for _ in 0..3 {
        tokio::time::timeout(
            Duration::from_millis(100),
            shared.sleep(Duration::from_millis(1_500)),
        )
        .await
        .expect("the sandbox's sleep does not wait");
    }
    assert_eq!(clock.now() - start, xconn_ext::chrono::Duration::seconds(4));
    assert_eq!(sleep.waits(), [Duration::from_millis(1_500); 3]);
    assert_eq!(sleep.total(), Duration::from_millis(4_500));
}

#[tokio::test]
async fn a_watch_runs_hours_on_the_sandbox_clock_at_once() {
    let sandbox = Sandbox::start(
        SandboxConfig::default()
            .connections(30)
            .seed(11)
            .churn(Churn::default().seed(4)),
    )
    .await
    .unwrap();
    let sleep = sandbox.sleep();
    let mut stream = sandbox
        .client()
        .unwrap()
        .watch()
        .interval(Duration::from_secs(3_600))
        .clock(sandbox.clock())
        .sleep_impl(sleep.clone())
        .stream();

    let mut items = Vec::new();
    let mut polls = 0;
    while polls < 6 {
        let item = tokio::time::timeout(BOUND, stream.next())
            .await
            .expect("no real waiting")
            .expect("the watch goes on")
            .unwrap();
        polls += u32::from(matches!(item, WatchEvent::Polled(_)));
        items.push(item);
    }
    let kinds: Vec<EventKind> = items
        .iter()
        .filter_map(|item| match item {
            WatchEvent::Connection(e) => Some(e.kind),
            _ => None,
        })
        .collect();
    for kind in [
        EventKind::Active,
        EventKind::Connected,
        EventKind::Disconnected,
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert_eq!(sleep.waits(), [Duration::from_secs(3_600); 5]);
}

#[tokio::test]
async fn one_dependency_line_names_every_type_of_the_api() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let http = xconn_ext::reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .bearer_token(sandbox.token())
        .http_client(http)
        .build()
        .unwrap();
    let _sdk: &xconn_ext::xconn_sdk::Client = client.sdk();
    let ended: Vec<Connection> = client
        .connections()
        .status(ConnectionStatus::Inactive)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let newest: Option<DateTime<Utc>> = ended.iter().filter_map(|c| c.disconnected_at).max();
    assert!(newest.unwrap() <= sandbox.now());
}

#[test]
fn schemas_derive_with_schemars_1() {
    fn schema<T: schemars::JsonSchema>() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(T)).unwrap()
    }
    let connection = schema::<Connection>();
    let properties = connection["properties"].as_object().unwrap();
    for field in ["id", "endpoint_name", "disconnect_reason", "connected_at"] {
        assert!(properties.contains_key(field), "{field}: {connection:#}");
    }
    assert_eq!(schema::<TerminateReport>()["type"], "object");
    assert_eq!(schema::<DisconnectReason>()["type"], "string");
}

#[tokio::test]
async fn the_sandbox_marks_every_reason_it_invents() {
    let sandbox = Sandbox::start(
        SandboxConfig::default()
            .connections(200)
            .seed(8)
            .churn(Churn::default().seed(1)),
    )
    .await
    .unwrap();
    // Seeded history, the churn's endings, and terminations.
    sandbox.advance(Duration::from_secs(3_600));
    let client = sandbox.client().unwrap();
    client.terminate_all().await.unwrap();
    let ended: Vec<Connection> = client
        .connections()
        .status(ConnectionStatus::Inactive)
        .max_results(100)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for c in &ended {
        let reason = c
            .disconnect_reason
            .as_ref()
            .expect("an ended one has a reason");
        assert!(
            reason.is_known() || reason.as_str().starts_with(INVENTED_REASON_PREFIX),
            "the sandbox passes off {reason} as X's"
        );
        seen.insert(reason.is_known());
    }
    assert_eq!(seen.len(), 2, "both typed and invented reasons are served");
}

/// `Client::from_env` in a child process of this test binary: the child
/// runs [`from_env_probe`] with the environment given, and prints what it
/// got. The token never appears in what it prints.
fn probe(env: &[(&str, &str)]) -> String {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--ignored", "--exact", "--nocapture", "--test-threads=1"])
        .arg("dependent_testing::from_env_probe")
        .env_remove(TOKEN_ENV)
        .env_remove(TOKEN_FILE_ENV)
        .env_remove(xconn_ext::BASE_URL_ENV);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    stdout
        .lines()
        // libtest may print the test's name on the same line first.
        .find_map(|l| l.split_once("PROBE ").map(|(_, line)| line))
        .unwrap_or_else(|| panic!("no probe line: {stdout}"))
        .to_owned()
}

/// The child of [`probe`]; ignored, so that it runs only there.
#[tokio::test]
#[ignore = "run by `probe` in a child process, with the environment it sets"]
async fn from_env_probe() {
    let line = match Client::from_env() {
        Ok(client) => match client.connections().send().await {
            Ok(_) => "ok".to_owned(),
            Err(e) => format!("request failed: {e}"),
        },
        Err(e) => format!("refused: {e}"),
    };
    println!("PROBE {line}");
}

#[tokio::test]
async fn from_env_reads_the_token_file_as_the_cli_does() {
    const SECRET: &str = "dependent-secret-token";
    let server = MockServer::start_async().await;
    let listing = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/2/connections")
                .header("authorization", format!("Bearer {SECRET}"));
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"meta":{"result_count":0}}"#);
        })
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    // An editor's trailing newline is trimmed.
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    let path = file.to_str().unwrap();
    let base = server.base_url();
    let base = ("X_API_BASE_URL", base.as_str());

    assert_eq!(probe(&[(TOKEN_FILE_ENV, path), base]), "ok");
    assert_eq!(listing.calls_async().await, 1);
    assert_eq!(probe(&[(TOKEN_ENV, SECRET), base]), "ok");
    assert_eq!(listing.calls_async().await, 2);

    // Both set: ambiguous, refused before any request.
    let both = probe(&[(TOKEN_ENV, SECRET), (TOKEN_FILE_ENV, path), base]);
    assert!(
        both.starts_with("refused:") && both.contains(TOKEN_FILE_ENV),
        "{both}"
    );
    // Unreadable: the variable and the path, never the token.
    let missing = dir.path().join("missing");
    let missing = missing.to_str().unwrap();
    let unreadable = probe(&[(TOKEN_FILE_ENV, missing), base]);
    assert!(
        unreadable.starts_with("refused:")
            && unreadable.contains(TOKEN_FILE_ENV)
            && unreadable.contains(missing),
        "{unreadable}"
    );
    std::fs::write(&file, " \n").unwrap();
    let empty = probe(&[(TOKEN_FILE_ENV, path), base]);
    assert!(
        empty.contains("is empty") && empty.contains(path),
        "{empty}"
    );
    for line in [both, unreadable, empty] {
        assert!(!line.contains(SECRET), "{line}");
    }
    assert_eq!(listing.calls_async().await, 2, "nothing sent when refused");
}
