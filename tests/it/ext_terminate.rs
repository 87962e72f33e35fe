//! Terminations over real HTTP: de-duplication and batches of at most 100
//! (bodies checked), merged reports, the endpoint and `all` paths, unknown
//! response members tolerated, and errors mapped as for listings.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse};
use serde_json::{Value, json};
use xconn_ext::{
    Client, Error, MAX_UUIDS_PER_REQUEST, ProblemKind, StreamEndpoint, TerminateReport,
};

use crate::support::fixtures::{
    BAD_GATEWAY, CLIENT_FORBIDDEN, INVALID_REQUEST, KILLED_UNKNOWN_FIELDS, TOO_MANY, UNAUTHORIZED,
    USAGE_CAPPED,
};
use crate::support::mock::{authorized, terminated};
use crate::support::{TOKEN, assert_no_token, client, unix_now};

fn uuid(i: usize) -> String {
    format!("{i:08x}-0d1e-4b7a-9c7e-{:012x}", i * 7919)
}

/// Whether the fake server fails to end this connection.
fn fails(uuid: &str) -> bool {
    uuid.starts_with("0000000a") || uuid.starts_with("00000064") || uuid.starts_with("000000c8")
}

/// Records each request's `uuids` and answers with a report for them.
fn recording_killer(
    batches: Arc<Mutex<Vec<Vec<String>>>>,
) -> impl Fn(&HttpMockRequest) -> HttpMockResponse + Send + Sync {
    move |req| {
        let body: Value = serde_json::from_slice(req.body_ref()).expect("JSON body");
        let uuids: Vec<String> = serde_json::from_value(body["uuids"].clone()).expect("uuids");
        let results: Vec<Value> = uuids
            .iter()
            .map(|u| {
                if fails(u) {
                    json!({ "uuid": u, "success": false, "error_message": "Connection not found" })
                } else {
                    json!({ "uuid": u, "success": true })
                }
            })
            .collect();
        let failed = uuids.iter().filter(|u| fails(u)).count();
        let answer = json!({
            "data": {
                "successful_kills": uuids.len() - failed,
                "failed_kills": failed,
                "results": results,
            }
        });
        batches.lock().unwrap().push(uuids);
        HttpMockResponse::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(answer.to_string().into_bytes())
            .build()
    }
}

async fn killer(server: &MockServer) -> (httpmock::Mock<'_>, Arc<Mutex<Vec<Vec<String>>>>) {
    let batches = Arc::new(Mutex::new(Vec::new()));
    let mock = server
        .mock_async(|when, then| {
            authorized(when, DELETE, "/2/connections")
                .header("content-type", "application/json")
                .is_true(|req| {
                    serde_json::from_slice::<Value>(req.body_ref())
                        .is_ok_and(|v| v.as_object().is_some_and(|o| o.len() == 1))
                });
            then.respond_with(recording_killer(batches.clone()));
        })
        .await;
    (mock, batches)
}

#[tokio::test]
async fn two_hundred_fifty_uuids_with_repeats_go_in_three_unique_batches() {
    // 230 distinct UUIDs; 20 of them repeated later on, scattered: 250 in all.
    let unique: Vec<String> = (1..=230).map(uuid).collect();
    let mut input = Vec::new();
    for (i, u) in unique.iter().enumerate() {
        input.push(u.clone());
        if i % 11 == 10 && input.len() < 250 {
            input.push(unique[i / 2].clone());
        }
    }
    while input.len() < 250 {
        input.push(unique[0].clone());
    }
    assert_eq!(input.len(), 250);
    assert_eq!(input.iter().collect::<HashSet<_>>().len(), 230);

    let server = MockServer::start_async().await;
    let (mock, batches) = killer(&server).await;
    let report = client(&server).terminate(input).await.expect("terminated");

    assert_eq!(mock.calls_async().await, 3);
    let batches = batches.lock().unwrap().clone();
    let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
    assert_eq!(sizes, [100, 100, 30]);
    for batch in &batches {
        assert!(batch.len() <= MAX_UUIDS_PER_REQUEST);
        assert_eq!(batch.iter().collect::<HashSet<_>>().len(), batch.len());
    }
    // Every UUID sent exactly once, in first-seen order.
    assert_eq!(batches.concat(), unique);

    // The reports are merged: 3 connections (10, 100, 200) could not be ended.
    assert_eq!(report.successful, 227);
    assert_eq!(report.failed, 3);
    assert_eq!(report.results.len(), 230);
    let order: Vec<&str> = report.results.iter().map(|r| r.uuid.as_str()).collect();
    assert_eq!(order, unique.iter().map(String::as_str).collect::<Vec<_>>());
    let failed: Vec<&str> = report
        .results
        .iter()
        .filter(|r| !r.success)
        .map(|r| r.uuid.as_str())
        .collect();
    assert_eq!(failed, [uuid(10), uuid(100), uuid(200)]);
    assert!(
        report
            .results
            .iter()
            .all(|r| r.success == r.error_message.is_none())
    );
    assert!(report.errors.is_empty());
    assert!(!format!("{report:?}").contains(TOKEN));
}

#[tokio::test]
async fn batch_boundaries() {
    for (n, expected) in [
        (1, vec![1]),
        (100, vec![100]),
        (101, vec![100, 1]),
        (200, vec![100, 100]),
        (201, vec![100, 100, 1]),
    ] {
        let server = MockServer::start_async().await;
        let (mock, batches) = killer(&server).await;
        let uuids: Vec<String> = (1000..1000 + n).map(uuid).collect();
        let report = client(&server)
            .terminate(uuids.iter().map(String::as_str))
            .await
            .unwrap();
        let sizes: Vec<usize> = batches.lock().unwrap().iter().map(Vec::len).collect();
        assert_eq!(sizes, expected, "{n}");
        assert_eq!(mock.calls_async().await, expected.len());
        assert_eq!(report.results.len(), n);
    }

    // Only repeats of one UUID: one request with one UUID.
    let server = MockServer::start_async().await;
    let (mock, batches) = killer(&server).await;
    client(&server).terminate(vec![uuid(1); 300]).await.unwrap();
    assert_eq!(mock.calls_async().await, 1);
    assert_eq!(*batches.lock().unwrap(), [vec![uuid(1)]]);
}

#[tokio::test]
async fn terminate_endpoint_uses_the_endpoint_path() {
    let server = MockServer::start_async().await;
    let mut mocks = Vec::new();
    for endpoint in StreamEndpoint::ALL {
        let path = format!("/2/connections/{}", endpoint.as_str());
        mocks.push(terminated(&server, path).await);
    }
    let c = client(&server);
    for (endpoint, mock) in StreamEndpoint::ALL.iter().zip(&mocks) {
        let report = c.terminate_endpoint(endpoint.clone()).await.unwrap();
        assert_eq!((report.successful, report.failed), (1, 1));
        assert_eq!(mock.calls_async().await, 1, "{endpoint}");
    }
    for mock in &mocks {
        assert_eq!(mock.calls_async().await, 1);
    }
}

#[tokio::test]
async fn terminate_all_uses_the_all_path() {
    let server = MockServer::start_async().await;
    let all = terminated(&server, "/2/connections/all").await;
    let by_uuid = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/2/connections");
            then.status(500);
        })
        .await;
    let report = client(&server).terminate_all().await.unwrap();
    assert_eq!(all.calls_async().await, 1);
    assert_eq!(by_uuid.calls_async().await, 0);
    assert_eq!(report.successful, 1);
    assert_eq!(report.failed, 1);
    assert_eq!(report.results.len(), 2);
    assert!(report.results[0].success);
    assert!(!report.results[1].success);
    assert_eq!(
        report.results[1].error_message.as_deref(),
        Some("Connection not found")
    );
    // The report serializes for output.
    let shown = serde_json::to_value(&report).unwrap();
    assert_eq!(shown["successful"], json!(1));
    assert_eq!(
        shown["results"][1]["error_message"],
        json!("Connection not found")
    );
}

/// Runs each of the three terminations against a server answering `status`
/// with `body` on every DELETE path, returning the three results.
async fn each_termination(
    status: u16,
    content_type: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Vec<Result<TerminateReport, Error>> {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path_matches("^/2/connections");
            let mut then = then.status(status).header("content-type", content_type);
            for (name, value) in headers {
                then = then.header(*name, value);
            }
            then.body(body);
        })
        .await;
    let c: Client = client(&server);
    let results = vec![
        c.terminate(["6f3c1a52-0d1e-4b7a-9c7e-2f4a8b1d9e10"]).await,
        c.terminate_endpoint(StreamEndpoint::FilteredStream).await,
        c.terminate_all().await,
    ];
    assert_eq!(mock.calls_async().await, 3, "one request each");
    results
}

#[tokio::test]
async fn unknown_response_members_are_tolerated() {
    for result in each_termination(200, "application/json", &[], KILLED_UNKNOWN_FIELDS).await {
        let report = result.expect("unknown members do not fail decoding");
        assert_eq!((report.successful, report.failed), (2, 0));
        let uuids: Vec<&str> = report.results.iter().map(|r| r.uuid.as_str()).collect();
        assert_eq!(
            uuids,
            [
                "6f3c1a52-0d1e-4b7a-9c7e-2f4a8b1d9e10",
                "0b9d2e4f-7a61-4c38-8e25-5d1f3a6c7b92"
            ]
        );
    }
    // Partial errors in a 200 come back in the report.
    let body = json!({
        "data": { "successful_kills": 0, "failed_kills": 1, "results": [] },
        "errors": [{
            "type": "https://api.x.com/2/problems/resource-not-found",
            "title": "Not Found Error",
            "detail": "no such connection",
            "extension_member": 7
        }]
    })
    .to_string();
    for result in each_termination(200, "application/json", &[], &body).await {
        let report = result.unwrap();
        assert_eq!(report.failed, 1);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].kind(None), ProblemKind::ResourceNotFound);
        assert_eq!(report.errors[0].extra["extension_member"], json!(7));
    }
}

#[tokio::test]
async fn errors_are_mapped_as_for_listings() {
    let json = "application/json; charset=utf-8";
    let problem = "application/problem+json";
    let reset = unix_now() + 30;
    let rate = [
        ("x-rate-limit-remaining", "0".to_owned()),
        ("x-rate-limit-reset", reset.to_string()),
    ];
    let capped_headers = [
        ("x-rate-limit-remaining", "450".to_owned()),
        ("x-rate-limit-reset", reset.to_string()),
    ];
    type Check = fn(&Error) -> bool;
    /// Status, content type, headers, body, and what the error must be.
    type Case<'a> = (u16, &'a str, &'a [(&'a str, String)], &'a str, Check);
    let cases: [Case<'_>; 7] = [
        (400, json, &[], INVALID_REQUEST, |e| {
            matches!(e, Error::Api(a) if a.kind == ProblemKind::InvalidRequest
                && a.problem.messages().any(|m| m.contains("max_results")))
        }),
        (
            401,
            problem,
            &[],
            UNAUTHORIZED,
            |e| matches!(e, Error::Api(a) if a.kind == ProblemKind::Unauthorized),
        ),
        (403, json, &[], CLIENT_FORBIDDEN, |e| {
            matches!(e, Error::Api(a) if a.kind == ProblemKind::ClientForbidden
                && a.problem.extra["reason"] == json!("client-not-enrolled"))
        }),
        (
            429,
            json,
            &rate,
            TOO_MANY,
            |e| matches!(e, Error::RateLimited(r) if r.retry_after.is_some()),
        ),
        (
            429,
            json,
            &capped_headers,
            USAGE_CAPPED,
            |e| matches!(e, Error::Api(a) if a.kind == ProblemKind::UsageCapped && a.retry_after.is_none()),
        ),
        (502, "text/html", &[], BAD_GATEWAY, |e| {
            matches!(e, Error::Api(a) if a.kind == ProblemKind::ServerError
                && a.body_excerpt.as_deref().is_some_and(|x| x.contains("502 Bad Gateway")))
        }),
        (
            503,
            "text/plain",
            &[],
            "",
            |e| matches!(e, Error::Api(a) if a.kind == ProblemKind::ServerError && a.body_excerpt.is_none()),
        ),
    ];
    for (status, content_type, headers, body, check) in cases {
        for result in each_termination(status, content_type, headers, body).await {
            let error = result.expect_err("an error status is an Err");
            assert!(check(&error), "{status}: {error:?}");
            assert_eq!(error.status(), Some(status));
            assert_no_token(&error);
        }
    }

    // A 200 that is not a report is a decode error.
    for result in each_termination(200, "text/html", &[], BAD_GATEWAY).await {
        let error = result.unwrap_err();
        assert!(
            matches!(&error, Error::Decode(d) if d.status == 200),
            "{error:?}"
        );
    }
}

/// A later batch failing: the error carries what the earlier batches did
/// and what was not attempted, and no batch after the failing one is sent.
#[tokio::test]
async fn a_failing_batch_stops_the_rest() {
    let server = MockServer::start_async().await;
    let batches = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let ok = recording_killer(batches.clone());
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/2/connections");
            let calls = calls.clone();
            then.respond_with(move |req| {
                if calls.fetch_add(1, Ordering::SeqCst) == 1 {
                    HttpMockResponse::builder()
                        .status(503)
                        .header("content-type", "text/plain")
                        .build()
                } else {
                    ok(req)
                }
            });
        })
        .await;
    let uuids: Vec<String> = (0..250).map(uuid).collect();
    let error = client(&server).terminate(uuids).await.unwrap_err();
    // Batch 1 took effect: the error says so and carries what it did.
    let Error::PartialTermination(partial) = &error else {
        panic!("expected a partial termination: {error:?}")
    };
    assert!(matches!(&partial.source, Error::Api(a) if a.kind == ProblemKind::ServerError));
    assert_eq!(partial.completed.results.len(), 100);
    assert_eq!(
        partial.not_attempted,
        (100..250).map(uuid).collect::<Vec<_>>()
    );
    assert_eq!(mock.calls_async().await, 2, "the third batch is not sent");
    assert_eq!(batches.lock().unwrap().len(), 1);
}
