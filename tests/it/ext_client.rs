//! The client itself: what the builder accepts and refuses, where requests
//! go (path prefixes), the `Authorization` header actually sent, the
//! per-attempt timeout, and the token kept out of every `Debug`.

use std::time::{Duration, Instant};

use httpmock::prelude::*;
use xconn_ext::{Client, DEFAULT_BASE_URL, Error, RetryPolicy, USER_AGENT};

use crate::support::fixtures::{KILLED, UNAUTHORIZED};
use crate::support::mock::{json_ok, list_page};
use crate::support::{BEARER, TOKEN, assert_no_token, builder, client, http};

const EMPTY_PAGE: &str = r#"{"meta":{"result_count":0}}"#;

fn invalid_field(result: Result<Client, Error>) -> String {
    match result {
        Err(Error::InvalidInput(input)) => input.field().to_owned(),
        Err(other) => panic!("expected InvalidInput, got {other:?}"),
        Ok(client) => panic!("expected an error, built {client:?}"),
    }
}

#[test]
fn a_token_is_required_and_must_be_a_header_value() {
    let error = Client::builder()
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap_err();
    assert!(matches!(&error, Error::InvalidInput(i) if i.field() == "bearer_token"));
    assert!(error.to_string().contains("X_BEARER_TOKEN"), "{error}");

    for blank in ["", "   ", "\t\n"] {
        let result = Client::builder()
            .bearer_token(blank)
            .base_url("http://127.0.0.1:9")
            .build();
        assert_eq!(invalid_field(result), "bearer_token", "{blank:?}");
    }

    // A token that cannot be a header: refused, and not echoed back.
    let secret = "sekrit-part-one\r\nX-Evil: sekrit-part-two";
    let result = Client::builder()
        .bearer_token(secret)
        .base_url("http://127.0.0.1:9")
        .build();
    let error = result.unwrap_err();
    assert!(matches!(&error, Error::InvalidInput(i) if i.field() == "bearer_token"));
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("sekrit"), "{shown}");
}

#[test]
fn plain_http_to_a_remote_host_is_refused_unless_allowed() {
    let build = |url: &str, allow: bool| {
        Client::builder()
            .bearer_token(TOKEN)
            .base_url(url)
            .http_client(http())
            .allow_insecure_http(allow)
            .build()
    };
    for remote in [
        "http://api.x.com",
        "http://10.0.0.1:8080",
        "http://192.168.1.1/x",
        "http://[2001:db8::1]",
    ] {
        let error = build(remote, false).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidInput(i) if i.field() == "base_url"),
            "{remote}: {error}"
        );
        assert!(error.to_string().contains("allow_insecure_http"), "{error}");
        assert_no_token(&error);
        // Opting in builds it (nothing is sent here).
        let client = build(remote, true).expect("allowed when opted in");
        assert_eq!(client.base_url(), remote.trim_end_matches('/'));
    }
    // Loopback and https need no opt-in; the URL is normalised.
    for (url, normalised) in [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://127.8.9.10:1", "http://127.8.9.10:1"),
        ("http://localhost:1/p/", "http://localhost:1/p"),
        ("http://[::1]:1", "http://[::1]:1"),
        ("https://api.x.com/", "https://api.x.com"),
        ("  https://proxy.example/x/  ", "https://proxy.example/x"),
    ] {
        let client = build(url, false).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(client.base_url(), normalised);
    }
    for bad in [
        "ftp://api.x.com",
        "not a url",
        "https://api.x.com/?q=1",
        "https://api.x.com/#frag",
        "https://user:pw@api.x.com",
        "",
    ] {
        assert_eq!(invalid_field(build(bad, true)), "base_url", "{bad:?}");
    }
    // The default is production.
    let client = Client::builder().bearer_token(TOKEN).build().unwrap();
    assert_eq!(client.base_url(), DEFAULT_BASE_URL);
}

#[test]
fn a_zero_timeout_is_refused() {
    let (builder, _) = builder("http://127.0.0.1:9");
    assert_eq!(
        invalid_field(builder.timeout(Duration::ZERO).build()),
        "timeout"
    );
}

#[test]
fn debug_never_shows_the_token() {
    let (b, _) = builder("http://127.0.0.1:9");
    let shown = format!("{b:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
    let client = b.build().unwrap();
    for shown in [
        format!("{client:?}"),
        format!("{client:#?}"),
        format!("{:?}", client.sdk()),
        format!("{:?}", client.connections().max_results(5)),
        format!("{:?}", Client::builder().bearer_token(TOKEN)),
    ] {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(!shown.contains("7Hq2pZvK"), "{shown}");
    }
    assert!(format!("{client:?}").contains("127.0.0.1:9"));
}

#[tokio::test]
async fn the_bearer_token_is_sent_on_every_operation() {
    let server = MockServer::start_async().await;
    let list = list_page(&server, EMPTY_PAGE).await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path_matches(r"^/2/connections(/all|/filtered_stream)?$")
                .header("authorization", BEARER);
            json_ok(then, KILLED);
        })
        .await;
    // Anything without the exact header lands here and fails the call.
    let unauthenticated = server
        .mock_async(|when, then| {
            when.is_true(|req| {
                req.headers()
                    .get("authorization")
                    .is_none_or(|v| v.as_bytes() != BEARER.as_bytes())
            });
            then.status(401)
                .header("content-type", "application/problem+json")
                .body(UNAUTHORIZED);
        })
        .await;

    let c = client(&server);
    c.connections().send().await.unwrap();
    c.terminate_all().await.unwrap();
    c.terminate_endpoint(xconn_ext::StreamEndpoint::FilteredStream)
        .await
        .unwrap();
    c.terminate(["6f3c1a52-0d1e-4b7a-9c7e-2f4a8b1d9e10"])
        .await
        .unwrap();
    assert_eq!(list.calls_async().await, 1);
    assert_eq!(delete.calls_async().await, 3);
    assert_eq!(unauthenticated.calls_async().await, 0);
}

#[tokio::test]
async fn a_base_url_path_prefix_is_kept() {
    for suffix in ["/prefix", "/prefix/", "/a/b"] {
        let server = MockServer::start_async().await;
        let prefix = suffix.trim_end_matches('/');
        let list = server
            .mock_async(|when, then| {
                when.method(GET).path(format!("{prefix}/2/connections"));
                json_ok(then, EMPTY_PAGE);
            })
            .await;
        let all = server
            .mock_async(|when, then| {
                when.method(DELETE)
                    .path(format!("{prefix}/2/connections/all"));
                json_ok(then, KILLED);
            })
            .await;
        let unprefixed = server
            .mock_async(|when, then| {
                when.path_matches("^/2/");
                then.status(404);
            })
            .await;
        let (b, _) = builder(&format!("{}{suffix}", server.base_url()));
        let c = b.build().unwrap();
        assert_eq!(c.base_url(), format!("{}{prefix}", server.base_url()));
        c.connections().send().await.unwrap();
        c.terminate_all().await.unwrap();
        assert_eq!(list.calls_async().await, 1, "{suffix}");
        assert_eq!(all.calls_async().await, 1, "{suffix}");
        assert_eq!(unprefixed.calls_async().await, 0, "{suffix}");
    }
}

/// The default `reqwest` client (not the test's no-proxy one) sends the
/// crate's User-Agent; a configured one replaces it. Skipped when a proxy is
/// configured in the environment, so nothing could leave 127.0.0.1.
#[tokio::test]
async fn the_user_agent_is_sent() {
    let proxied = [
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some());
    if proxied {
        eprintln!("skipped: a proxy is configured in the environment");
        return;
    }
    for (custom, expected) in [(None, USER_AGENT), (Some("my-app/2.0"), "my-app/2.0")] {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path("/2/connections")
                    .header("user-agent", expected)
                    .header("authorization", BEARER);
                json_ok(then, EMPTY_PAGE);
            })
            .await;
        let mut builder = Client::builder()
            .bearer_token(TOKEN)
            .base_url(server.base_url())
            .retry_policy(RetryPolicy::disabled());
        if let Some(ua) = custom {
            builder = builder.user_agent(ua);
        }
        builder.build().unwrap().connections().send().await.unwrap();
        assert_eq!(mock.calls_async().await, 1, "{expected}");
    }
}

/// The API never redirects; the client built without `http_client` must not
/// follow one (it could carry the request, and the token, elsewhere).
/// Skipped when a proxy is configured in the environment.
#[tokio::test]
async fn redirects_are_not_followed() {
    if ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
    {
        eprintln!("skipped: a proxy is configured in the environment");
        return;
    }
    let server = MockServer::start_async().await;
    let elsewhere = server
        .mock_async(|when, then| {
            when.path("/elsewhere");
            json_ok(then, EMPTY_PAGE);
        })
        .await;
    for status in [301, 302, 307, 308] {
        let redirect = server
            .mock_async(|when, then| {
                when.method(GET).path("/2/connections");
                then.status(status)
                    .header("location", server.url("/elsewhere"));
            })
            .await;
        let client = Client::builder()
            .bearer_token(TOKEN)
            .base_url(server.base_url())
            .retry_policy(RetryPolicy::default())
            .build()
            .unwrap();
        let error = client.connections().send().await.unwrap_err();
        assert!(
            matches!(&error, Error::Decode(d) if d.status == status),
            "{status}: {error:?}"
        );
        assert!(!error.is_retryable());
        assert_no_token(&error);
        assert_eq!(redirect.calls_async().await, 1, "{status}: not retried");
        redirect.delete_async().await;
    }
    assert_eq!(elsewhere.calls_async().await, 0, "never followed");
}

/// The only real-time wait in these tests: a server that answers after 2 s,
/// a client that gives up after 100 ms.
#[tokio::test]
async fn an_attempt_that_takes_too_long_is_a_timeout() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/2/connections");
            then.status(200)
                .header("content-type", "application/json")
                .body(EMPTY_PAGE)
                .delay(Duration::from_secs(2));
        })
        .await;
    let (b, sleep) = builder(&server.base_url());
    let c = b
        .timeout(Duration::from_millis(100))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let started = Instant::now();
    let error = c.connections().send().await.unwrap_err();
    let took = started.elapsed();
    match &error {
        Error::Timeout { elapsed, .. } => {
            assert_eq!(*elapsed, Some(Duration::from_millis(100)))
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    assert!(error.is_retryable());
    assert_eq!(error.status(), None);
    assert_no_token(&error);
    assert!(sleep.waits().is_empty());
    assert_eq!(mock.calls_async().await, 1);

    // A timeout is retried like any transient failure (GET).
    let (b, sleep) = builder(&server.base_url());
    let c = b
        .timeout(Duration::from_millis(100))
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(2)
                .with_backoff(Duration::from_millis(10), Duration::from_millis(10)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let error = c.connections().send().await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert_eq!(sleep.waits().len(), 1, "one wait between two attempts");
    assert_eq!(mock.calls_async().await, 3);
}
