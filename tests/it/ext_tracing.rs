//! Token hygiene in logs: with a TRACE-level `fmt` subscriber capturing
//! everything into a buffer, a run of requests (successes, retries, errors,
//! terminations) logs the `xconn.request` spans and `retrying` events, and
//! the bearer token appears nowhere. The subscriber is scoped to the test's
//! thread; see [`log_capture::consult_every_subscriber`] for why it still
//! sees every callsite beside the other tests.

use std::sync::Mutex;
use std::time::Duration;

use futures::TryStreamExt;
use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse};
use tracing_subscriber::fmt::format::FmtSpan;
use xconn_ext::{Connection, RetryPolicy, StreamEndpoint};

use crate::support::fixtures::UNAUTHORIZED;
use crate::support::mock::{authorized, page_json};
use crate::support::{BEARER, TOKEN, client_with, unix_now};

use crate::support::log_capture::{self, Captured};

/// Fails the first request of each path with `status`, then succeeds.
fn flaky(
    status: u16,
    headers: Vec<(&'static str, String)>,
    ok_body: String,
) -> impl Fn(&HttpMockRequest) -> HttpMockResponse + Send + Sync {
    let seen = Mutex::new(std::collections::HashSet::new());
    move |req| {
        let first = seen.lock().unwrap().insert(req.uri().to_string());
        if first {
            let mut r = HttpMockResponse::builder()
                .status(status)
                .header("content-type", "application/problem+json");
            for (k, v) in &headers {
                r = r.header(*k, v.clone());
            }
            r.body(r#"{"type":"about:blank","title":"try later"}"#.as_bytes())
                .build()
        } else {
            HttpMockResponse::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(ok_body.as_bytes())
                .build()
        }
    }
}

#[tokio::test]
async fn trace_output_has_spans_and_retries_but_never_the_token() {
    log_capture::consult_every_subscriber();
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .with_writer({
            let captured = captured.clone();
            move || captured.clone()
        })
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start_async().await;
    // Two pages, each failing once with 503 first.
    server
        .mock_async(|when, then| {
            authorized(when, GET, "/2/connections")
                .query_param_missing("pagination_token")
                .query_param_exists("max_results");
            then.respond_with(flaky(
                503,
                Vec::new(),
                page_json(&["one".to_owned()], Some("next-page")),
            ));
        })
        .await;
    server
        .mock_async(|when, then| {
            authorized(when, GET, "/2/connections").query_param("pagination_token", "next-page");
            then.respond_with(flaky(
                429,
                vec![
                    ("x-rate-limit-remaining", "0".into()),
                    ("x-rate-limit-reset", (unix_now() + 3).to_string()),
                ],
                page_json(&["two".to_owned()], None),
            ));
        })
        .await;
    // A listing without max_results: always 401.
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/2/connections")
                .query_param_missing("max_results")
                .query_param_missing("pagination_token");
            then.status(401)
                .header("content-type", "application/problem+json")
                .body(UNAUTHORIZED);
        })
        .await;
    // Terminations: 503, not retried.
    server
        .mock_async(|when, then| {
            when.method(DELETE).path_matches("^/2/connections");
            then.status(503).body("");
        })
        .await;

    let policy = RetryPolicy::default()
        .with_max_attempts(3)
        .with_backoff(Duration::from_millis(10), Duration::from_millis(20));
    let (client, sleep) = client_with(&server, policy);
    let all: Vec<Connection> = client
        .connections()
        .max_results(1)
        .stream()
        .try_collect()
        .await
        .expect("both pages after one retry each");
    assert_eq!(all.len(), 2);
    assert_eq!(sleep.waits().len(), 2);
    let unauthorized = client.connections().send().await.unwrap_err();
    let terminate = client.terminate(["some-uuid"]).await.unwrap_err();
    let by_endpoint = client
        .terminate_endpoint(StreamEndpoint::FilteredStream)
        .await
        .unwrap_err();
    drop(guard);

    let log = captured.text();
    assert!(!log.is_empty(), "nothing was captured");
    assert!(log.contains("xconn.request"), "{log}");
    assert!(log.contains("retrying"), "{log}");
    assert!(log.contains("attempt=2"), "{log}");
    assert!(log.contains("status=503"), "{log}");
    assert!(log.contains("status=429"), "{log}");
    assert!(log.contains("status=401"), "{log}");
    assert!(log.contains("request failed"), "{log}");
    assert!(log.contains("DELETE"), "{log}");
    // One DEBUG event per HTTP attempt, target `xconn_ext::http`: method,
    // path, query, status, latency, rate limit and what happens next.
    let attempts: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("xconn_ext::http") && l.contains("http attempt"))
        .collect();
    // 2 pages x 2 attempts, the 401, one DELETE by UUIDs, one by endpoint.
    assert_eq!(attempts.len(), 7, "{log}");
    for line in &attempts {
        assert!(line.contains("DEBUG"), "{line}");
        assert!(line.contains("latency_ms="), "{line}");
        assert!(line.contains("path=\"/2/connections"), "{line}");
    }
    let find = |needles: &[&str]| {
        attempts
            .iter()
            .any(|line| needles.iter().all(|needle| line.contains(needle)))
    };
    // Every connection field by default (the spec's list, in its order).
    let default_query = format!(
        "query=\"connection.fields={}&max_results=1\"",
        xconn_sdk::spec::CONNECTION_FIELDS.join(",")
    );
    assert!(
        find(&[
            "method=\"GET\"",
            &default_query,
            "status=503",
            "retry=\"retry\"",
            "retry_delay_ms="
        ]),
        "{attempts:#?}"
    );
    assert!(
        find(&[
            "pagination_token=next-page",
            "status=429",
            "rate_limit_remaining=0",
            "retry=\"retry\""
        ]),
        "{attempts:#?}"
    );
    assert!(find(&["status=200", "retry=\"done\""]), "{attempts:#?}");
    assert!(find(&["status=401", "retry=\"give_up\""]), "{attempts:#?}");
    assert!(
        find(&[
            "method=\"DELETE\"",
            "path=\"/2/connections/{endpoint_id}\"",
            "status=503",
            "retry=\"give_up\""
        ]),
        "{attempts:#?}"
    );
    // The token, or any recognisable part of it, is nowhere.
    assert!(!log.contains(TOKEN), "token leaked into the log");
    assert!(!log.contains("7Hq2pZvK"), "token leaked into the log");
    assert!(!log.contains(BEARER), "token leaked into the log");
    for error in [&unauthorized, &terminate, &by_endpoint] {
        crate::support::assert_no_token(error);
    }
}
