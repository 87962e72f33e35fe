//! Token hygiene. A distinctive token, [`TOKEN`], is sent with every
//! request (each server checks it arrived); then:
//!
//! - with a TRACE `fmt` subscriber over every target (hyper-util's and
//!   reqwest's records included; the subscriber's `log` bridge is installed
//!   too) writing into a buffer, successes, retries and every kind of failure (401, 429, usage
//!   cap, 503, decode, timeout, transport, body over the cap, repeated
//!   token, invalid input, terminations) are logged with their
//!   `xconn.request` spans, and the token is nowhere in the output;
//! - the `Debug` and `Display` of every value involved (`Client`,
//!   `ClientBuilder`, `ListConnections`, `Page`, `Connection`, each `Error`
//!   and its sources, `TerminateReport`, `Sandbox`, `SandboxConfig`) never
//!   contain it.
//!
//! The subscriber is the process's global default (so `log` records and
//! every thread reach it). It hears the other tests of this binary too,
//! which only widens the "token nowhere" check.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::util::SubscriberInitExt;
use xconn_ext::sandbox::{Sandbox, SandboxConfig};
use xconn_ext::{ClientBuilder, ConnectionStatus, Error, ProblemKind, RetryPolicy, StreamEndpoint};

use crate::support::raw_server::{RawServer, head_bytes};
use crate::support::{TOKEN, bounded, builder, closed_port};

use crate::support::log_capture::{self, Captured};

/// The global TRACE subscriber and its buffer, installed once.
fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        log_capture::consult_every_subscriber();
        let captured = Captured::default();
        tracing_subscriber::fmt()
            // Everything the client side logs, at every level; not the
            // test servers' own logs (httpmock records each request it
            // receives, Authorization header included, and other tests of
            // this binary run httpmock servers concurrently).
            .with_env_filter(EnvFilter::new("trace,httpmock=off"))
            .with_ansi(false)
            .with_span_events(FmtSpan::FULL)
            .with_writer({
                let captured = captured.clone();
                move || captured.clone()
            })
            .finish()
            // Also installs the `log` -> `tracing` bridge.
            .try_init()
            .expect("the only global subscriber of this binary");
        captured
    })
}

/// The error of one listing from `base_url` with `retry`.
async fn list_error(base_url: &str, retry: &RetryPolicy) -> Error {
    let (builder, _) = builder(base_url);
    list_error_from(builder.retry_policy(retry.clone())).await
}

/// The error of one listing by the client `builder` builds.
async fn list_error_from(builder: ClientBuilder) -> Error {
    builder
        .build()
        .unwrap()
        .connections()
        .send()
        .await
        .unwrap_err()
}

/// Panics if `shown` contains the token.
fn clean(what: &str, shown: &str) {
    assert!(
        !shown.contains(TOKEN),
        "the token is in the {what}: {shown}"
    );
}

/// `Debug` and `Display` of an error and of every source below it.
fn clean_error(what: &str, error: &Error) {
    clean(what, &format!("{error:?}"));
    clean(what, &format!("{error:#?}"));
    clean(what, &error.to_string());
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        clean(what, &format!("{s:?}"));
        clean(what, &s.to_string());
        source = s.source();
    }
}

/// A sandbox that expects `TOKEN` unless `token` says otherwise.
async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox")
}

fn sandbox_config() -> SandboxConfig {
    SandboxConfig::default().connections(40).token(TOKEN)
}

/// A raw server answering every request with `response`, recording what
/// it got (so the test can see the token did arrive).
async fn raw(response: Vec<u8>) -> RawServer {
    let response = Arc::new(response);
    RawServer::start(move |mut conn| {
        let response = response.clone();
        async move {
            let _ = conn.write(&response).await;
        }
    })
    .await
}

fn assert_token_arrived(server: &RawServer) {
    let requests = server.requests();
    assert!(!requests.is_empty());
    for r in requests {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
}

#[test]
fn nothing_logged_or_shown_ever_contains_the_token() {
    let captured = captured();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bounded(30, async {
        let mut errors: Vec<(&str, Error)> = Vec::new();
        let mut shown: Vec<(&str, String)> = Vec::new();
        let retry = RetryPolicy::default().with_max_attempts(2);

        // Success, with paging, and the values it gives.
        let config = sandbox_config().unavailable_burst(2);
        shown.push(("SandboxConfig", format!("{config:?}")));
        let ok = sandbox(config).await;
        shown.push(("Sandbox", format!("{ok:?}")));
        let (b, sleep) = builder(ok.base_url());
        let b = b.retry_policy(RetryPolicy::default().with_max_attempts(3));
        shown.push(("ClientBuilder", format!("{b:?}")));
        shown.push(("ClientBuilder", format!("{b:#?}")));
        let client = b.build().unwrap();
        shown.push(("Client", format!("{client:?}")));
        shown.push(("xconn_sdk::Client", format!("{:?}", client.sdk())));
        let request = client
            .connections()
            .status(ConnectionStatus::All)
            .max_results(7);
        shown.push(("ListConnections", format!("{request:?}")));
        // The first two answers are 503s: retried, logged as retries.
        let pages: Vec<_> = request.pages().try_collect().await.unwrap();
        assert_eq!(sleep.waits().len(), 2);
        assert!(pages.len() > 1);
        for page in &pages {
            shown.push(("Page", format!("{page:?}")));
            for c in &page.connections {
                shown.push(("Connection", format!("{c:?}")));
            }
        }
        // Terminations.
        let some: Vec<String> = pages[0]
            .connections
            .iter()
            .filter_map(|c| c.id.clone())
            .collect();
        let with_ids: Vec<_> = client
            .connections()
            .status(ConnectionStatus::Active)
            .fields([xconn_ext::ConnectionField::Id])
            .max_results(3)
            .send()
            .await
            .unwrap()
            .connections
            .into_iter()
            .filter_map(|c| c.id)
            .chain(some)
            .chain(["no-such-connection".to_owned()])
            .collect();
        let report = client.terminate(with_ids).await.unwrap();
        shown.push(("TerminateReport", format!("{report:?}")));
        let report = client
            .terminate_endpoint(StreamEndpoint::FilteredStream)
            .await
            .unwrap();
        shown.push(("TerminateReport", format!("{report:?}")));
        let report = client.terminate_all().await.unwrap();
        shown.push(("TerminateReport", format!("{report:?}")));
        shown.push(("Sandbox", format!("{ok:?}")));
        ok.shutdown().await;

        // 401: the sandbox wants another token.
        let wrong = sandbox(sandbox_config().token("some-other-token")).await;
        let err = list_error(wrong.base_url(), &RetryPolicy::disabled()).await;
        assert!(
            matches!(&err, Error::Api(api) if api.kind == ProblemKind::Unauthorized),
            "{err:?}"
        );
        errors.push(("401", err));
        let (b, _) = builder(wrong.base_url());
        let err = b.build().unwrap().terminate_all().await.unwrap_err();
        errors.push(("401 terminate", err));

        // 429 (rate window; retried once, waiting what the server says).
        let limited = sandbox(sandbox_config().rate_limit_after(0)).await;
        let (b, sleep) = builder(limited.base_url());
        let b = b.retry_policy(retry.clone().with_max_wait(Duration::from_secs(120)));
        let err = b.build().unwrap().connections().send().await.unwrap_err();
        assert!(matches!(err, Error::RateLimited(_)), "{err:?}");
        assert_eq!(sleep.waits().len(), 1);
        errors.push(("429", err));

        // 429 usage cap (never retried).
        let capped = sandbox(sandbox_config().usage_capped(true)).await;
        let err = list_error(capped.base_url(), &retry).await;
        assert!(
            matches!(&err, Error::Api(api) if api.kind == ProblemKind::UsageCapped),
            "{err:?}"
        );
        errors.push(("usage cap", err));

        // 503 every time: retried, then given up.
        let down = sandbox(sandbox_config().unavailable_burst(100)).await;
        let err = list_error(down.base_url(), &retry).await;
        assert!(
            matches!(&err, Error::Api(api) if api.status == 503),
            "{err:?}"
        );
        errors.push(("503", err));

        // 400 from the sandbox (a token from nowhere).
        let healthy = sandbox(sandbox_config()).await;
        let (b, _) = builder(healthy.base_url());
        let err = b
            .build()
            .unwrap()
            .connections()
            .pagination_token("ffffffffffffffffffffffffffffffff")
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Api(api) if api.status == 400),
            "{err:?}"
        );
        errors.push(("400", err));

        // Decode: HTML with 200.
        let html = raw(response(200, "text/html", b"<html>portal</html>")).await;
        let err = list_error(&html.base_url(), &RetryPolicy::disabled()).await;
        assert!(matches!(err, Error::Decode(_)), "{err:?}");
        assert_token_arrived(&html);
        errors.push(("decode", err));

        // Timeout: a server that never answers, retried once.
        let silent = RawServer::start(|conn| async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(conn);
        })
        .await;
        let (b, _) = builder(&silent.base_url());
        let err = list_error_from(
            b.timeout(Duration::from_millis(200))
                .retry_policy(retry.clone()),
        )
        .await;
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
        assert_token_arrived(&silent);
        errors.push(("timeout", err));

        // Transport: the server hangs up; and nobody listening at all.
        let rude = raw(Vec::new()).await;
        let err = list_error(&rude.base_url(), &retry).await;
        assert!(matches!(err, Error::Transport(_)), "{err:?}");
        assert_token_arrived(&rude);
        errors.push(("transport", err));
        let refused = format!("http://127.0.0.1:{}", closed_port());
        let err = list_error(&refused, &RetryPolicy::disabled()).await;
        assert!(matches!(err, Error::Transport(_)), "{err:?}");
        errors.push(("refused", err));

        // A body past the cap; a body cut short.
        let mut endless = head_bytes(200, &[("Content-Length", "10000000")]);
        endless.extend(vec![b' '; 200_000]);
        let big = raw(endless).await;
        let (b, _) = builder(&big.base_url());
        let err = list_error_from(b.max_response_bytes(1024)).await;
        assert!(
            matches!(err, Error::ResponseTooLarge { .. } | Error::Transport(_)),
            "{err:?}"
        );
        errors.push(("too large", err));
        let mut cut = head_bytes(503, &[("Content-Length", "100")]);
        cut.extend(b"{\"ti");
        let cut = raw(cut).await;
        let (b, _) = builder(&cut.base_url());
        let err = b.build().unwrap().connections().send().await.unwrap_err();
        errors.push(("cut", err));

        // A repeated pagination token.
        let looping = raw(response(
            200,
            "application/json",
            br#"{"data":[{"id":"1"}],"meta":{"next_token":"same"}}"#,
        ))
        .await;
        let (b, _) = builder(&looping.base_url());
        let results: Vec<_> = b.build().unwrap().connections().pages().collect().await;
        let err = results.into_iter().find_map(Result::err).unwrap();
        assert!(matches!(err, Error::RepeatedToken { .. }), "{err:?}");
        errors.push(("repeated token", err));

        // Invalid input, and a builder error.
        let (b, _) = builder(&looping.base_url());
        let err = b
            .build()
            .unwrap()
            .connections()
            .max_results(0)
            .send()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        errors.push(("invalid input", err));
        let (b, _) = builder("http://example.com");
        errors.push(("insecure base url", b.build().unwrap_err()));
        let err = xconn_ext::Client::builder()
            .bearer_token(format!("{TOKEN}\nX-Injected: 1"))
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap_err();
        errors.push(("token with a newline", err));

        for (what, error) in &errors {
            clean_error(what, error);
        }
        for (what, text) in &shown {
            clean(what, text);
        }
    }));

    let log = captured.text();
    clean("log", &log);
    // What must be there, so that the absence above means something.
    for expected in [
        "xconn.request",
        "method=\"GET\"",
        "path=\"/2/connections\"",
        "method=\"DELETE\"",
        "status=401",
        "status=429",
        "status=503",
        "retrying",
        "request failed",
    ] {
        assert!(
            log.contains(expected),
            "`{expected}` not in the log:\n{log}"
        );
    }
    // The dependencies' own records are captured too (connection pool,
    // connects, reqwest's retry layer): the capture is not xconn's alone.
    assert!(
        log.contains("hyper_util") || log.contains("reqwest"),
        "no dependency records captured:\n{log}"
    );
}

fn response(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    crate::support::raw_server::response_bytes(status, &[("Content-Type", content_type)], body)
}
