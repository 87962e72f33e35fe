//! A hostile server on 127.0.0.1 (raw TCP, so it can break HTTP on purpose)
//! against the client: bodies cut short, trickled, endless or declared
//! huge; `429` forever; redirects to another server; HTML with `200`;
//! pagination tokens that cycle. Each case must end in the right typed
//! error, within a bound, without panicking, buffering without limit or
//! looping.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::channel::oneshot;
use serde_json::json;
use xconn_ext::{Client, Error, ProblemKind, RetryPolicy};

use crate::support::raw_server::{RawServer, head_bytes, response_bytes};
use crate::support::{TOKEN, bounded, builder, unix_now};

const JSON: (&str, &str) = ("Content-Type", "application/json");
const PROBLEM: (&str, &str) = ("Content-Type", "application/problem+json");

fn page(ids: &[&str], next: Option<&str>) -> Vec<u8> {
    let data: Vec<_> = ids
        .iter()
        .map(|id| json!({"id": id, "endpoint_name": "filtered_stream"}))
        .collect();
    let mut meta = json!({ "result_count": ids.len() });
    if let Some(next) = next {
        meta["next_token"] = next.into();
    }
    json!({ "data": data, "meta": meta })
        .to_string()
        .into_bytes()
}

/// What a hostile handler reports when its connection ends.
#[derive(Debug)]
struct Written {
    bytes: usize,
    /// The client closed the connection (a write failed).
    client_closed: bool,
}

// ---------------------------------------------------------------- cut short

/// Every way of ending a response early is a typed error, at once.
#[tokio::test]
async fn a_response_cut_short_is_a_typed_error_not_a_panic_or_a_hang() {
    // (name, the bytes written before the server closes)
    let body = page(&["a", "b", "c"], None);
    let half = &body[..body.len() / 2];
    let mut declared = head_bytes(200, &[JSON, ("Content-Length", "1000")]);
    declared.extend_from_slice(half);
    let mut chunked = head_bytes(200, &[JSON, ("Transfer-Encoding", "chunked")]);
    chunked.extend(format!("{:x}\r\n", half.len()).bytes());
    chunked.extend_from_slice(half);
    chunked.extend(b"\r\n");
    let mut error_cut = head_bytes(503, &[PROBLEM, ("Content-Length", "500")]);
    error_cut.extend(br#"{"title":"Service Unava"#);
    let mut close_delimited = head_bytes(200, &[JSON, ("Connection", "close")]);
    close_delimited.extend_from_slice(half);
    let half_head = b"HTTP/1.1 200 OK\r\nCont".to_vec();

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("content-length body cut", declared),
        ("chunked body without the last chunk", chunked),
        ("503 body cut", error_cut),
        ("nothing at all", Vec::new()),
        ("half a status line", half_head),
        ("not HTTP", b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec()),
        ("bad content-length", {
            let mut r = head_bytes(200, &[JSON, ("Content-Length", "-1")]);
            r.extend_from_slice(&body);
            r
        }),
        // A close-delimited body is complete when the server closes: the
        // half document then fails to decode instead.
        ("close-delimited half body", close_delimited),
    ];
    for (name, bytes) in cases {
        let bytes = Arc::new(bytes);
        let server = RawServer::start(move |mut conn| {
            let bytes = bytes.clone();
            async move {
                let _ = conn.write(&bytes).await;
                // Dropping the stream closes the connection.
            }
        })
        .await;
        let (builder, _) = builder(&server.base_url());
        let client = builder.build().unwrap();
        let started = Instant::now();
        let err = bounded(5, client.connections().send())
            .await
            .expect_err(name);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{name}: took {:?}",
            started.elapsed()
        );
        match name {
            "close-delimited half body" => {
                let Error::Decode(d) = &err else {
                    panic!("{name}: {err:?}")
                };
                assert_eq!(d.status, 200, "{name}");
            }
            // The status arrived whole: a broken error body does not hide it.
            "503 body cut" => {
                assert!(
                    matches!(&err, Error::Api(api) if api.status == 503),
                    "{name}: {err:?}"
                );
            }
            _ => {
                assert!(matches!(err, Error::Transport(_)), "{name}: {err:?}");
            }
        }
        assert_eq!(server.hits(), 1, "{name}");
    }
}

/// A connection that breaks in the middle of the body is a connection
/// failure: retryable, and retried.
#[tokio::test]
async fn a_body_cut_short_is_retried() {
    for status in [200u16, 503] {
        let server = RawServer::start(move |mut conn| async move {
            let mut bytes = head_bytes(status, &[JSON, ("Content-Length", "1000")]);
            bytes.extend(br#"{"data":[{"id":"#);
            let _ = conn.write(&bytes).await;
        })
        .await;
        let (builder, sleep) = builder(&server.base_url());
        let client = builder
            .retry_policy(RetryPolicy::default().with_max_attempts(3))
            .build()
            .unwrap();
        let err = bounded(5, client.connections().send()).await.unwrap_err();
        if status == 200 {
            assert!(matches!(err, Error::Transport(_)), "{status}: {err:?}");
        } else {
            // An error status stays itself when its body breaks off.
            assert!(
                matches!(&err, Error::Api(api) if api.status == status),
                "{status}: {err:?}"
            );
        }
        assert!(err.is_retryable(), "{status}: {err:?}");
        assert_eq!(server.hits(), 3, "{status}");
        assert_eq!(sleep.waits().len(), 2, "{status}");
    }
}

/// A server that accepts and then sends headers that never end is cut off
/// by the client's header limit, not read forever.
#[tokio::test]
async fn headers_that_never_end_are_a_transport_error() {
    let written = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = oneshot::channel();
    let tx = Arc::new(std::sync::Mutex::new(Some(tx)));
    let server = {
        let written = written.clone();
        RawServer::start(move |mut conn| {
            let written = written.clone();
            let tx = tx.clone();
            async move {
                let _ = conn.write(b"HTTP/1.1 200 OK\r\n").await;
                let line = format!("X-Pad: {}\r\n", "a".repeat(1000));
                let mut closed = false;
                // At most 64 MiB, in case the client never stops reading.
                for _ in 0..64 * 1024 {
                    if conn.write_counted(line.as_bytes(), &written).await.is_err() {
                        closed = true;
                        break;
                    }
                }
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(closed);
                }
            }
        })
        .await
    };
    let err = list_error(&server, None).await;
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    let closed = bounded(5, rx).await.unwrap();
    assert!(closed, "the client kept reading headers");
    assert!(
        written.load(Ordering::SeqCst) < 16 * 1024 * 1024,
        "{} header bytes written",
        written.load(Ordering::SeqCst)
    );
}

// ---------------------------------------------------------------- trickle

/// A server that trickles one byte every 100 ms, head or body, runs into
/// the 200 ms per-attempt timeout; the error says so and comes in time.
#[tokio::test]
async fn a_trickled_response_times_out_within_the_bound() {
    for trickle_head in [false, true] {
        let server = RawServer::start(move |mut conn| async move {
            // Either the whole response a byte at a time, or the head at
            // once and then the body a byte at a time.
            let trickled = if trickle_head {
                response_bytes(200, &[JSON], &[b' '; 1000])
            } else {
                let head = head_bytes(200, &[JSON, ("Content-Length", "1000")]);
                if conn.write(&head).await.is_err() {
                    return;
                }
                vec![b' '; 1000]
            };
            for byte in trickled {
                if conn.write(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        let (builder, sleep) = builder(&server.base_url());
        let client = builder
            .timeout(Duration::from_millis(200))
            .retry_policy(RetryPolicy::default().with_max_attempts(3))
            .build()
            .unwrap();
        let started = Instant::now();
        let err = bounded(5, client.connections().send()).await.unwrap_err();
        let took = started.elapsed();
        let Error::Timeout { elapsed, .. } = &err else {
            panic!("trickle_head={trickle_head}: {err:?}")
        };
        assert_eq!(*elapsed, Some(Duration::from_millis(200)));
        assert!(err.is_retryable());
        // Three attempts of 200 ms, waits instant: well under 2 s.
        assert_eq!(server.hits(), 3, "trickle_head={trickle_head}");
        assert_eq!(sleep.waits().len(), 2);
        assert!(
            took >= Duration::from_millis(600) && took < Duration::from_secs(2),
            "trickle_head={trickle_head}: took {took:?}"
        );
    }
}

/// A server that reads the request and never answers is a timeout too.
#[tokio::test]
async fn a_silent_server_times_out() {
    let server = RawServer::start(|conn| async move {
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(conn);
    })
    .await;
    let (builder, _) = builder(&server.base_url());
    let client = builder.timeout(Duration::from_millis(200)).build().unwrap();
    let err = bounded(5, client.connections().send()).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { elapsed, .. } if elapsed == Some(Duration::from_millis(200))),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- too large

const CAP: usize = 64 * 1024;
const TEN_MIB: usize = 10 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Framing {
    /// `Transfer-Encoding: chunked`, 10 MiB.
    Chunked,
    /// `Transfer-Encoding: chunked`, without end (until the client goes).
    EndlessChunked,
    /// No length: the body ends when the connection does.
    CloseDelimited,
    /// `Content-Length: 10485760`, and that many bytes.
    Declared,
}

/// Serve a `status` response with a 10 MiB (or endless) body of
/// `[`-free filler in `framing`, reporting what was written.
async fn huge_body_server(
    status: u16,
    framing: Framing,
) -> (RawServer, oneshot::Receiver<Written>) {
    let (tx, rx) = oneshot::channel();
    let tx = Arc::new(std::sync::Mutex::new(Some(tx)));
    // A small send buffer, so bytes written is close to bytes the client
    // accepted.
    let server = RawServer::start_with(Some(16 * 1024), move |mut conn| {
        let tx = tx.clone();
        async move {
            let written = AtomicUsize::new(0);
            let length = TEN_MIB.to_string();
            let headers: Vec<(&str, &str)> = match framing {
                Framing::Chunked | Framing::EndlessChunked => {
                    vec![JSON, ("Transfer-Encoding", "chunked")]
                }
                Framing::CloseDelimited => vec![JSON, ("Connection", "close")],
                Framing::Declared => vec![JSON, ("Content-Length", &length)],
            };
            let mut closed = conn.write(&head_bytes(status, &headers)).await.is_err();
            let block = vec![b' '; 16 * 1024];
            let mut chunk = format!("{:x}\r\n", block.len()).into_bytes();
            chunk.extend_from_slice(&block);
            chunk.extend(b"\r\n");
            let piece: &[u8] = match framing {
                Framing::Chunked | Framing::EndlessChunked => &chunk,
                _ => &block,
            };
            let mut body = 0;
            // Endless means 1 GiB here: far beyond any buffer, finite if
            // the client were to read it all.
            let total = match framing {
                Framing::EndlessChunked => 1024 * 1024 * 1024,
                _ => TEN_MIB,
            };
            while !closed && body < total {
                closed = conn.write_counted(piece, &written).await.is_err();
                body += block.len();
            }
            if !closed && matches!(framing, Framing::Chunked | Framing::EndlessChunked) {
                closed = conn.write(b"0\r\n\r\n").await.is_err();
            }
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(Written {
                    bytes: written.load(Ordering::SeqCst),
                    client_closed: closed,
                });
            }
        }
    })
    .await;
    (server, rx)
}

/// The error of a listing from `server` by a client whose response cap is
/// `cap` (the default when `None`).
async fn list_error(server: &RawServer, cap: Option<usize>) -> Error {
    let (builder, _) = builder(&server.base_url());
    let builder = match cap {
        Some(cap) => builder.max_response_bytes(cap),
        None => builder,
    };
    let client = builder.build().unwrap();
    bounded(5, client.connections().send()).await.unwrap_err()
}

const FRAMINGS: [Framing; 4] = [
    Framing::Chunked,
    Framing::EndlessChunked,
    Framing::CloseDelimited,
    Framing::Declared,
];

/// A `200` body past `max_response_bytes` fails the request, and the client
/// stops reading and closes: the server gets nowhere near 10 MiB (memory
/// stays bounded). Which error it is: see the test below.
#[tokio::test]
async fn a_body_past_the_cap_stops_the_reading() {
    for framing in FRAMINGS {
        let (server, written) = huge_body_server(200, framing).await;
        let err = list_error(&server, Some(CAP)).await;
        assert!(
            matches!(err, Error::ResponseTooLarge { .. } | Error::Transport(_)),
            "{framing:?}: {err:?}"
        );
        assert!(!err.is_retryable(), "{framing:?}: {err:?}");
        let written = bounded(5, written).await.unwrap();
        assert!(written.client_closed, "{framing:?}: {written:?}");
        // Kernel buffers on both sides hold some; 10 MiB would mean the
        // client read it all.
        assert!(
            written.bytes < 1024 * 1024,
            "{framing:?}: the server wrote {written:?}"
        );
        assert_eq!(server.hits(), 1);
    }
}

/// ... and that error is `ResponseTooLarge { limit }`, as documented.
#[tokio::test]
async fn a_body_past_the_cap_is_response_too_large() {
    for framing in FRAMINGS {
        let (server, _written) = huge_body_server(200, framing).await;
        let err = list_error(&server, Some(CAP)).await;
        assert!(
            matches!(err, Error::ResponseTooLarge { limit } if limit == CAP),
            "{framing:?}: {err:?}"
        );
        assert!(err.to_string().contains(&CAP.to_string()), "{err}");
    }
}

/// An error status with an endless body: only the start is read (64 KiB),
/// the status still decides the error, and the connection is dropped.
#[tokio::test]
async fn an_error_status_with_an_endless_body_is_still_an_api_error() {
    for framing in [Framing::EndlessChunked, Framing::CloseDelimited] {
        let (server, written) = huge_body_server(503, framing).await;
        let err = list_error(&server, None).await; // the default 8 MiB cap
        let Error::Api(api) = &err else {
            panic!("{framing:?}: {err:?}")
        };
        assert_eq!(api.status, 503);
        assert_eq!(api.kind, ProblemKind::ServerError);
        assert!(err.is_retryable());
        let excerpt = api.body_excerpt.as_deref().unwrap_or_default();
        assert!(
            excerpt.len() <= 512 && excerpt.starts_with(' '),
            "{excerpt:?}"
        );
        let written = bounded(5, written).await.unwrap();
        assert!(written.client_closed, "{framing:?}: {written:?}");
        assert!(written.bytes < 4 * 1024 * 1024, "{framing:?}: {written:?}");
    }
}

/// The status of an error response is known before its body: a `503`
/// whose body is larger than the cap (declared, or streamed past it before
/// the 64 KiB error excerpt is read) is still a retryable `503`.
#[tokio::test]
async fn an_error_status_larger_than_the_cap_keeps_its_status() {
    for framing in [Framing::Declared, Framing::EndlessChunked] {
        let (server, _written) = huge_body_server(503, framing).await;
        let err = list_error(&server, Some(32 * 1024)).await;
        assert!(
            matches!(&err, Error::Api(api) if api.status == 503 && api.kind == ProblemKind::ServerError),
            "{framing:?}: {err:?}"
        );
        assert!(err.is_retryable());
    }
}

// ---------------------------------------------------------------- 429 forever

/// A server that answers `429` forever: the retry budget ends it. Each
/// wait is what the server asked (or the backoff), never past `max_wait`.
#[tokio::test]
async fn rate_limited_forever_ends_at_the_retry_budget() {
    let max_wait = Duration::from_secs(2);
    let attempts = 4u32;
    // (name, extra headers, expected hits)
    type Case = (&'static str, Vec<(&'static str, String)>, usize);
    let reset_soon = (unix_now() + 1).to_string();
    let cases: Vec<Case> = vec![
        ("retry-after 1", vec![("Retry-After", "1".into())], 4),
        (
            "reset in ~1 s",
            vec![
                ("x-rate-limit-remaining", "0".into()),
                ("x-rate-limit-reset", reset_soon),
            ],
            4,
        ),
        ("no hint: backoff", vec![], 4),
        (
            "retry-after past max_wait",
            vec![("Retry-After", "3600".into())],
            1,
        ),
        (
            "absurd retry-after",
            vec![("Retry-After", u64::MAX.to_string())],
            1,
        ),
        (
            "unparsable retry-after",
            vec![("Retry-After", "soon".into())],
            4,
        ),
    ];
    for (name, headers, expected_hits) in cases {
        let headers = Arc::new(headers);
        let server = {
            let headers = headers.clone();
            RawServer::start(move |conn| {
                let headers = headers.clone();
                async move {
                    let mut all: Vec<(&str, &str)> = vec![PROBLEM];
                    all.extend(headers.iter().map(|(k, v)| (*k, v.as_str())));
                    let body = br#"{"title":"Too Many Requests","type":"about:blank","status":429,"detail":"Too Many Requests"}"#;
                    conn.respond(429, &all, body).await;
                }
            })
            .await
        };
        let (builder, sleep) = builder(&server.base_url());
        let client = builder
            .retry_policy(
                RetryPolicy::default()
                    .with_max_attempts(attempts)
                    .with_max_wait(max_wait)
                    .with_backoff(Duration::from_millis(100), Duration::from_millis(400)),
            )
            .build()
            .unwrap();
        let err = bounded(5, client.connections().send()).await.unwrap_err();
        let Error::RateLimited(rl) = &err else {
            panic!("{name}: {err:?}")
        };
        assert_eq!(rl.status, 429, "{name}");
        assert_eq!(server.hits(), expected_hits, "{name}");
        let waits = sleep.waits();
        assert_eq!(waits.len(), expected_hits - 1, "{name}: {waits:?}");
        assert!(
            waits.iter().all(|w| *w <= max_wait),
            "{name}: a wait past max_wait: {waits:?}"
        );
        assert!(sleep.total() <= max_wait * attempts, "{name}: {waits:?}");
        if name == "retry-after 1" {
            assert!(
                waits.iter().all(|w| *w == Duration::from_secs(1)),
                "{waits:?}"
            );
            assert_eq!(rl.retry_after, Some(Duration::from_secs(1)));
        }
    }
}

/// The same through `pages()`: one error, then the stream ends.
#[tokio::test]
async fn rate_limited_forever_ends_a_page_stream() {
    let server = RawServer::start(|conn| async move {
        conn.respond(429, &[PROBLEM, ("Retry-After", "0")], b"{}")
            .await;
    })
    .await;
    let (builder, sleep) = builder(&server.base_url());
    let client = builder
        .retry_policy(RetryPolicy::default().with_max_attempts(5))
        .build()
        .unwrap();
    let mut pages = client.connections().pages();
    let first = bounded(5, pages.next()).await;
    assert!(
        matches!(first, Some(Err(Error::RateLimited(_)))),
        "{first:?}"
    );
    assert!(bounded(5, pages.next()).await.is_none());
    assert_eq!(server.hits(), 5);
    assert_eq!(sleep.waits(), vec![Duration::ZERO; 4]);
}

// ---------------------------------------------------------------- redirects

/// A redirect to another server is not followed: the `3xx` is a decode
/// error, the other server is never contacted, so it never sees the token.
#[tokio::test]
async fn redirects_are_not_followed_and_the_token_goes_nowhere_else() {
    for status in [301u16, 302, 303, 307, 308] {
        let elsewhere = RawServer::start(|conn| async move {
            conn.respond(200, &[JSON], &page(&["stolen"], None)).await;
        })
        .await;
        let location = Arc::new(format!("{}/2/connections", elsewhere.base_url()));
        let server = RawServer::start(move |conn| {
            let location = location.clone();
            async move {
                conn.respond(status, &[("Location", &location)], b"").await;
            }
        })
        .await;
        let client = retrying_client(&server);
        let err = bounded(5, client.connections().send()).await.unwrap_err();
        let Error::Decode(d) = &err else {
            panic!("{status}: {err:?}")
        };
        assert_eq!(d.status, status);
        assert!(d.reason.contains(&status.to_string()), "{}", d.reason);
        assert!(!err.is_retryable());
        assert_eq!(server.hits(), 1, "{status}: retried a redirect");
        assert_eq!(elsewhere.hits(), 0, "{status}: the redirect was followed");
        // The token did go where it was meant to.
        let sent = server.requests();
        assert_eq!(
            sent[0].header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
}

/// Even with a caller's own `reqwest::Client` that follows redirects, a
/// cross-origin hop does not carry the token.
#[tokio::test]
async fn a_redirect_following_http_client_still_keeps_the_token_home() {
    let elsewhere = RawServer::start(|conn| async move {
        conn.respond(200, &[JSON], &page(&["x"], None)).await;
    })
    .await;
    let location = Arc::new(format!("{}/2/connections", elsewhere.base_url()));
    let server = RawServer::start(move |conn| {
        let location = location.clone();
        async move {
            conn.respond(302, &[("Location", &location)], b"").await;
        }
    })
    .await;
    let (builder, _) = builder(&server.base_url());
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let client = builder.http_client(http).build().unwrap();
    let page = bounded(5, client.connections().send()).await.unwrap();
    assert_eq!(page.connections.len(), 1);
    assert_eq!(elsewhere.hits(), 1);
    let seen = elsewhere.requests();
    assert_eq!(seen[0].header("authorization"), None, "{}", seen[0].head);
    assert!(!seen[0].head.contains(TOKEN));
}

// ---------------------------------------------------------------- HTML 200

/// An HTML page with `200` (a captive portal, a misrouted proxy) is a
/// decode error that shows the start of the page, and is not retried.
#[tokio::test]
async fn html_with_200_is_a_decode_error_with_an_excerpt() {
    let html = "<!DOCTYPE html><html><body>Please sign in to the Wi-Fi</body></html>";
    let server = RawServer::start(move |conn| async move {
        conn.respond(200, &[("Content-Type", "text/html")], html.as_bytes())
            .await;
    })
    .await;
    let client = retrying_client(&server);
    let err = bounded(5, client.connections().send()).await.unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(d.status, 200);
    assert!(d.excerpt.starts_with('<'), "{:?}", d.excerpt);
    assert_eq!(d.excerpt, html);
    assert!(!err.is_retryable());
    assert_eq!(server.hits(), 1);
}

// ---------------------------------------------------------------- token cycles

/// Serve pages whose `next_token` follows `next`: the token received (or
/// none) maps to the token to give next.
async fn token_server(next: fn(Option<&str>) -> Option<&'static str>) -> RawServer {
    RawServer::start(move |conn| async move {
        let token = conn
            .request
            .query_param("pagination_token")
            .map(str::to_owned);
        let body = page(&[&format!("c{}", conn.index)], next(token.as_deref()));
        conn.respond(200, &[JSON], &body).await;
    })
    .await
}

/// `next_token` A -> B -> A: the three pages (the third is good data; it
/// only points back), then `RepeatedToken`, then the stream ends. Exactly
/// three requests, with the tokens the server gave, in order.
#[tokio::test]
async fn a_token_cycle_is_repeated_token_after_exactly_three_requests() {
    let server = token_server(|token| match token {
        None => Some("A"),
        Some("A") => Some("B"),
        Some("B") => Some("A"),
        Some(_) => None,
    })
    .await;
    let (builder, _) = builder(&server.base_url());
    let client = builder.build().unwrap();
    let mut pages = client.connections().pages();
    let mut results = Vec::new();
    while let Some(result) = bounded(5, pages.next()).await {
        results.push(result);
        assert!(results.len() <= 10, "no end: {results:?}");
    }
    assert_eq!(results.len(), 4, "{results:?}");
    let nexts: Vec<_> = results[..3]
        .iter()
        .map(|r| r.as_ref().unwrap().next_token.clone().unwrap())
        .collect();
    assert_eq!(nexts, ["A", "B", "A"]);
    assert!(
        matches!(&results[3], Err(Error::RepeatedToken { token }) if token == "A"),
        "{:?}",
        results[3]
    );
    assert_eq!(server.hits(), 3);
    let sent: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.query_param("pagination_token").map(str::to_owned))
        .collect();
    assert_eq!(sent, [None, Some("A".into()), Some("B".into())]);

    // Through `stream()`: the three pages' records, then the error.
    let before = server.hits();
    let items: Vec<_> = bounded(5, client.connections().stream().collect()).await;
    assert_eq!(items.len(), 4, "{items:?}");
    assert!(items[..3].iter().all(Result::is_ok));
    assert!(matches!(items[3], Err(Error::RepeatedToken { .. })));
    assert_eq!(server.hits() - before, 3);
}

/// A token that points at itself stops after two requests; a token equal
/// to the one the listing started from stops after one.
#[tokio::test]
async fn a_self_loop_stops_at_once() {
    let server = token_server(|_| Some("A")).await;
    let (builder, _) = builder(&server.base_url());
    let client = builder.build().unwrap();

    let results: Vec<_> = bounded(5, client.connections().pages().collect()).await;
    assert_eq!(results.len(), 3, "{results:?}");
    assert!(results[..2].iter().all(Result::is_ok));
    assert!(matches!(&results[2], Err(Error::RepeatedToken { token }) if token == "A"));
    assert_eq!(server.hits(), 2);

    let results: Vec<_> = bounded(
        5,
        client.connections().pagination_token("A").pages().collect(),
    )
    .await;
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(results[0].is_ok());
    assert!(matches!(&results[1], Err(Error::RepeatedToken { token }) if token == "A"));
    assert_eq!(server.hits(), 3);
}

/// Endless distinct tokens are bounded by `max_pages`.
#[tokio::test]
async fn endless_distinct_tokens_stop_at_max_pages() {
    let server = RawServer::start(|conn| async move {
        let next = format!("t{}", conn.index);
        conn.respond(200, &[JSON], &page(&["x"], Some(&next))).await;
    })
    .await;
    let (builder, _) = builder(&server.base_url());
    let client = builder.build().unwrap();
    let results: Vec<_> = bounded(5, client.connections().max_pages(7).pages().collect()).await;
    assert_eq!(results.len(), 7);
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(server.hits(), 7);
}

/// A client of `server` with three attempts, so a test can show that what
/// it serves is not retried.
fn retrying_client(server: &RawServer) -> Client {
    let (builder, _) = builder(&server.base_url());
    builder
        .retry_policy(RetryPolicy::default().with_max_attempts(3))
        .build()
        .unwrap()
}
