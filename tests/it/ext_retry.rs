//! Retries over real HTTP, with the client's injectable sleep recording each
//! wait (no real sleeping): what is retried, how long the client waits, when
//! it stops, and that usage caps, client errors and (by default) DELETEs are
//! never sent twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::TryStreamExt;
use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse, Mock};
use xconn_ext::{Client, Connection, Error, ProblemKind, RetryPolicy, StreamEndpoint};

use crate::support::fixtures::{
    BAD_GATEWAY, CLIENT_FORBIDDEN, INVALID_REQUEST, KILLED, LEGACY_429, TOO_MANY, UNAUTHORIZED,
    USAGE_CAPPED,
};
use crate::support::mock::{first_page, page_json};
use crate::support::{RecordingSleep, assert_no_token, builder, client_with, unix_now};

/// One canned response.
#[derive(Clone, Debug)]
struct Reply {
    status: u16,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn reply(status: u16, content_type: &'static str, body: impl Into<String>) -> Reply {
    Reply {
        status,
        content_type,
        headers: Vec::new(),
        body: body.into(),
    }
}

impl Reply {
    fn header(mut self, name: &'static str, value: impl ToString) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }
}

fn ok_page() -> Reply {
    reply(
        200,
        "application/json",
        page_json(&["c1".to_owned(), "c2".to_owned()], None),
    )
}

fn killed() -> Reply {
    reply(200, "application/json", KILLED)
}

fn unavailable() -> Reply {
    reply(503, "text/plain", "")
}

/// Answers the n-th request with `replies[n]` (the last one from then on).
fn sequence(replies: Vec<Reply>) -> impl Fn(&HttpMockRequest) -> HttpMockResponse + Send + Sync {
    let next = Arc::new(AtomicUsize::new(0));
    move |_req| {
        let n = next.fetch_add(1, Ordering::SeqCst);
        let r = &replies[n.min(replies.len() - 1)];
        let mut response = HttpMockResponse::builder()
            .status(r.status)
            .header("content-type", r.content_type);
        for (name, value) in &r.headers {
            response = response.header(*name, value.clone());
        }
        response.body(r.body.as_bytes()).build()
    }
}

/// A server whose `method path` answers `replies` in turn.
async fn serve<'a>(
    server: &'a MockServer,
    method: httpmock::Method,
    path: &str,
    replies: Vec<Reply>,
) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(method).path(path);
            then.respond_with(sequence(replies));
        })
        .await
}

/// The three termination paths (by UUID, all, `sample_stream`), each
/// answering `failure` once and then a success.
async fn fail_once_then_kill<'a>(server: &'a MockServer, failure: &Reply) -> [Mock<'a>; 3] {
    let path = |path: &'static str| serve(server, DELETE, path, vec![failure.clone(), killed()]);
    [
        path("/2/connections").await,
        path("/2/connections/all").await,
        path("/2/connections/sample_stream").await,
    ]
}

/// A server whose listing answers `replies` in turn.
async fn serve_list(server: &MockServer, replies: Vec<Reply>) -> Mock<'_> {
    serve(server, GET, "/2/connections", replies).await
}

fn policy(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(attempts)
        .with_backoff(Duration::from_millis(100), Duration::from_secs(10))
}

/// A listing under `policy` against a server that answers `replies` in
/// turn: its result, the requests the server saw, and the waits slept.
async fn list_replies(
    replies: Vec<Reply>,
    policy: RetryPolicy,
) -> (Result<Vec<Connection>, Error>, usize, Vec<Duration>) {
    let server = MockServer::start_async().await;
    let mock = serve_list(&server, replies).await;
    let (client, sleep) = client_with(&server, policy);
    let result = list(&client).await;
    (result, mock.calls_async().await, sleep.waits())
}

async fn list(client: &Client) -> Result<Vec<Connection>, Error> {
    client.connections().send().await.map(|p| p.connections)
}

#[tokio::test]
async fn get_is_retried_after_a_503_and_then_succeeds() {
    let (result, calls, waits) = list_replies(vec![unavailable(), ok_page()], policy(3)).await;
    let connections = result.expect("second attempt succeeds");
    assert_eq!(connections.len(), 2);
    assert_eq!(calls, 2);
    assert_eq!(waits.len(), 1);
    // First backoff: half fixed, half jitter of the initial 100 ms.
    assert!(
        waits[0] >= Duration::from_millis(50) && waits[0] <= Duration::from_millis(100),
        "{waits:?}"
    );
}

#[tokio::test]
async fn the_wait_after_a_429_is_the_rate_limit_reset() {
    let reset = unix_now() + 20;
    let limited = reply(429, "application/json; charset=utf-8", TOO_MANY)
        .header("x-rate-limit-limit", 50)
        .header("x-rate-limit-remaining", 0)
        .header("x-rate-limit-reset", reset);
    let (result, calls, waits) = list_replies(vec![limited, ok_page()], policy(3)).await;
    result.expect("retried after the reset");
    assert_eq!(calls, 2);
    assert_eq!(waits.len(), 1, "{waits:?}");
    let expected = Duration::from_secs(reset - unix_now());
    let diff = waits[0].abs_diff(expected);
    assert!(diff <= Duration::from_secs(1), "{waits:?} vs {expected:?}");
    assert!(waits[0] <= Duration::from_secs(20));

    // X's legacy rate-limit body (code 88) is honoured the same way.
    let reset = unix_now() + 5;
    let limited = reply(429, "application/json", LEGACY_429)
        .header("x-rate-limit-remaining", 0)
        .header("x-rate-limit-reset", reset);
    let (result, calls, waits) = list_replies(vec![limited, ok_page()], policy(3)).await;
    result.expect("retried after the reset");
    assert_eq!(calls, 2);
    assert_eq!(waits.len(), 1);
    assert!(waits[0] > Duration::from_secs(3) && waits[0] <= Duration::from_secs(5));
}

#[tokio::test]
async fn retry_after_is_honoured_exactly() {
    for (value, expected) in [("3", 3), ("0", 0)] {
        let first = unavailable().header("retry-after", value);
        let (result, calls, waits) = list_replies(vec![first, ok_page()], policy(3)).await;
        result.unwrap();
        assert_eq!(calls, 2);
        assert_eq!(waits, [Duration::from_secs(expected)]);
    }
    // A reset already past: retried at once.
    let limited = reply(429, "application/json", TOO_MANY)
        .header("x-rate-limit-remaining", 0)
        .header("x-rate-limit-reset", unix_now() - 10);
    let (result, calls, waits) = list_replies(vec![limited, ok_page()], policy(3)).await;
    result.unwrap();
    assert_eq!(calls, 2);
    assert_eq!(waits, [Duration::ZERO]);
}

#[tokio::test]
async fn retries_stop_at_max_attempts_with_growing_backoff() {
    let (result, calls, waits) = list_replies(vec![unavailable()], policy(4)).await;
    let error = result.unwrap_err();
    assert!(
        matches!(&error, Error::Api(e) if e.kind == ProblemKind::ServerError && e.status == 503)
    );
    assert_no_token(&error);
    assert_eq!(calls, 4);
    assert_eq!(waits.len(), 3);
    for (i, wait) in waits.iter().enumerate() {
        let cap = Duration::from_millis(100 << i);
        assert!(*wait >= cap / 2 && *wait <= cap, "retry {i}: {wait:?}");
    }

    // One attempt means no retry at all.
    let (result, calls, waits) = list_replies(vec![unavailable()], policy(1)).await;
    result.unwrap_err();
    assert_eq!(calls, 1);
    assert!(waits.is_empty());

    // The default policy makes three attempts.
    let (result, calls, waits) = list_replies(vec![unavailable()], RetryPolicy::default()).await;
    result.unwrap_err();
    assert_eq!(calls, 3);
    assert_eq!(waits.len(), 2);
}

#[tokio::test]
async fn a_wait_longer_than_max_wait_is_returned_not_slept() {
    let reset = unix_now() + 600;
    let limited = reply(429, "application/json", TOO_MANY)
        .header("x-rate-limit-remaining", 0)
        .header("x-rate-limit-reset", reset);
    let (result, calls, waits) = list_replies(
        vec![limited, ok_page()],
        policy(3).with_max_wait(Duration::from_secs(60)),
    )
    .await;
    let error = result.unwrap_err();
    assert!(matches!(error, Error::RateLimited(_)), "{error:?}");
    let wait = error.retry_after().expect("the caller learns when");
    assert!(
        wait > Duration::from_secs(598) && wait <= Duration::from_secs(600),
        "{wait:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(calls, 1);
    assert!(waits.is_empty());

    // Same with Retry-After on a 503.
    let first = unavailable().header("retry-after", 120);
    let (result, calls, waits) = list_replies(
        vec![first, ok_page()],
        policy(3).with_max_wait(Duration::from_secs(60)),
    )
    .await;
    let error = result.unwrap_err();
    assert_eq!(error.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(calls, 1);
    assert!(waits.is_empty());
}

#[tokio::test]
async fn a_usage_cap_is_never_retried() {
    let capped = reply(429, "application/json; charset=utf-8", USAGE_CAPPED)
        .header("x-rate-limit-limit", 500)
        .header("x-rate-limit-remaining", 450)
        .header("x-rate-limit-reset", unix_now() + 5)
        .header("retry-after", 5);
    let (result, calls, waits) = list_replies(vec![capped, ok_page()], policy(5)).await;
    let error = result.unwrap_err();
    assert!(matches!(&error, Error::Api(e) if e.kind == ProblemKind::UsageCapped));
    assert_eq!(calls, 1);
    assert!(waits.is_empty());
}

#[tokio::test]
async fn client_errors_and_undecodable_200s_are_never_retried() {
    let cases = [
        reply(400, "application/json; charset=utf-8", INVALID_REQUEST),
        reply(401, "application/problem+json", UNAUTHORIZED),
        reply(403, "application/json", CLIENT_FORBIDDEN),
        reply(404, "application/problem+json", r#"{"type":"about:blank"}"#),
        reply(200, "text/html", BAD_GATEWAY),
        reply(
            200,
            "application/json",
            r#"{"data":[{"connected_at":"not a date"}]}"#,
        ),
    ];
    for case in cases {
        let (result, calls, waits) = list_replies(vec![case.clone(), ok_page()], policy(5)).await;
        let error = result.unwrap_err();
        assert!(!error.is_retryable(), "{case:?}: {error:?}");
        assert_eq!(calls, 1, "{case:?}");
        assert!(waits.is_empty(), "{case:?}");
    }
}

#[tokio::test]
async fn an_internal_error_problem_and_a_bad_gateway_are_retried() {
    for first in [
        reply(
            500,
            "application/problem+json",
            r#"{"type":"https://api.x.com/2/problems/internal-error","title":"Internal Error"}"#,
        ),
        reply(502, "text/html", BAD_GATEWAY),
        reply(504, "text/plain", ""),
    ] {
        let (result, calls, waits) = list_replies(vec![first.clone(), ok_page()], policy(3)).await;
        result.unwrap_or_else(|e| panic!("{first:?}: {e}"));
        assert_eq!(calls, 2);
        assert_eq!(waits.len(), 1);
    }
}

/// A 5xx whose body is a problem of a type this version does not know (or a
/// typed problem other than `internal-error`) is classified by its type only,
/// so the 5xx status no longer counts: the GET is not retried, unlike the
/// same 503 with `about:blank`, an HTML page or no body.
#[tokio::test]
async fn a_503_with_an_unknown_problem_type_is_still_retried() {
    let first = reply(
        503,
        "application/problem+json",
        r#"{"type":"https://api.x.com/2/problems/service-unavailable","title":"Service Unavailable"}"#,
    );
    let (result, calls, waits) = list_replies(vec![first, ok_page()], policy(3)).await;
    assert_eq!(calls, 2, "{result:?}");
    assert_eq!(waits.len(), 1);
    result.unwrap();
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    // A port that was free a moment ago: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (b, sleep) = builder(&format!("http://127.0.0.1:{port}"));
    let client = b.retry_policy(policy(3)).build().unwrap();
    let error = list(&client).await.unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert!(error.is_retryable());
    assert_no_token(&error);
    assert_eq!(sleep.waits().len(), 2);
}

#[tokio::test]
async fn deletes_are_not_retried_unless_opted_in() {
    let uuid = "6f3c1a52-0d1e-4b7a-9c7e-2f4a8b1d9e10";
    let limited = reply(429, "application/json", TOO_MANY)
        .header("x-rate-limit-remaining", 0)
        .header("x-rate-limit-reset", unix_now() + 2);
    for failure in [unavailable(), limited] {
        // Default policy: three attempts for GET, one for DELETE. Opted in:
        // retried like a GET.
        for (policy, retried) in [
            (RetryPolicy::default(), false),
            (policy(3).with_retry_deletes(true), true),
        ] {
            let server = MockServer::start_async().await;
            let mocks = fail_once_then_kill(&server, &failure).await;
            let (client, sleep) = client_with(&server, policy);
            let by_uuid = client.terminate([uuid]).await;
            let all = client.terminate_all().await;
            let by_endpoint = client
                .terminate_endpoint(StreamEndpoint::SampleStream)
                .await;
            if retried {
                assert_eq!(by_uuid.unwrap().successful, 1);
                all.unwrap();
                by_endpoint.unwrap();
            } else {
                let error = by_uuid.unwrap_err();
                assert!(error.is_retryable(), "retryable in itself: {error:?}");
                all.unwrap_err();
                by_endpoint.unwrap_err();
            }
            for mock in mocks {
                assert_eq!(mock.calls_async().await, if retried { 2 } else { 1 });
            }
            assert_eq!(sleep.waits().len(), if retried { 3 } else { 0 });
        }
    }
}

#[tokio::test]
async fn a_page_is_retried_in_the_middle_of_a_stream() {
    let server = MockServer::start_async().await;
    let first = first_page(&server, page_json(&["a".to_owned()], Some("second"))).await;
    let second = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/2/connections")
                .query_param("pagination_token", "second");
            then.respond_with(sequence(vec![
                unavailable(),
                reply(200, "application/json", page_json(&["b".to_owned()], None)),
            ]));
        })
        .await;
    let (client, sleep) = client_with(&server, policy(3));
    let all: Vec<Connection> = client.connections().stream().try_collect().await.unwrap();
    let ids: Vec<_> = all.iter().map(|c| c.id.as_deref().unwrap()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(first.calls_async().await, 1);
    assert_eq!(second.calls_async().await, 2);
    assert_eq!(sleep.waits().len(), 1);
}

/// The sleep is the one the client was given, shared by clones.
#[tokio::test]
async fn clones_share_the_injected_sleep() {
    let server = MockServer::start_async().await;
    serve_list(&server, vec![unavailable()]).await;
    let sleep = Arc::new(RecordingSleep::default());
    let (b, _) = builder(&server.base_url());
    let client = b
        .sleep_impl(sleep.clone())
        .retry_policy(policy(2))
        .build()
        .unwrap();
    let clone = client.clone();
    list(&client).await.unwrap_err();
    list(&clone).await.unwrap_err();
    assert_eq!(sleep.waits().len(), 2);
}
