//! `summary` says what it knows (issue 21, item 5): what its median is,
//! duplicates as not read when the active connections were not listed,
//! and only suggestions that run.

use super::*;

/// A GET answering `records` to any listing.
fn mock_records(server: &MockServer, records: Value) -> httpmock::Mock<'_> {
    let body = json!({"data": records, "meta": {"result_count": 0}}).to_string();
    server.mock(move |when, then| {
        when.method(GET).path("/2/connections");
        json_ok(then, body.clone());
    })
}

/// An ended `filtered_stream` connection that lasted `secs`.
fn ended(id: usize, secs: i64) -> Value {
    let start = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let end = start + chrono::TimeDelta::seconds(secs);
    json!({"id": format!("e-{id}"), "endpoint_name": "filtered_stream",
           "connected_at": start.to_rfc3339(), "disconnected_at": end.to_rfc3339(),
           "disconnect_reason": "stall"})
}

#[test]
fn the_median_says_whether_it_is_exact_or_how_close() {
    let server = MockServer::start();
    mock_records(&server, json!([ended(1, 10), ended(2, 20), ended(3, 30)]));
    let doc = run_ok(xconn_mock(&server).args(["summary", "-o", "json"])).json();
    assert_eq!(doc["duration_secs"]["median"], 20);
    assert_eq!(doc["duration_secs"]["median_precision"], "exact");
    let text = run_ok(xconn_mock(&server).arg("summary")).stdout;
    assert!(text.contains("median 20s (exact)"), "{text}");

    let server = MockServer::start();
    mock_records(
        &server,
        json!([ended(1, 100_000), ended(2, 123_068), ended(3, 150_000)]),
    );
    let doc = run_ok(xconn_mock(&server).args(["summary", "-o", "json"])).json();
    let median = count(&doc["duration_secs"]["median"]);
    assert_eq!(doc["duration_secs"]["median_precision"], "within 0.05%");
    assert!(median.abs_diff(123_068) * 2_000 <= 123_068, "{median}");
    let text = run_ok(xconn_mock(&server).arg("summary")).stdout;
    assert!(text.contains("(within 0.05%)"), "{text}");
}

#[test]
fn duplicates_are_not_read_when_active_connections_were_not_listed() {
    let server = MockServer::start();
    mock_records(&server, json!([ended(1, 10)]));
    for filters in [&["--status", "inactive"][..], &["--reason", "stall"]] {
        let doc = run_ok(
            xconn_mock(&server)
                .args(["summary", "-o", "json"])
                .args(filters),
        )
        .json();
        assert_eq!(doc["duplicates"], Value::Null, "{doc:#}");
        assert!(doc["duplicates_note"].is_string(), "{doc:#}");
        let text = run_ok(xconn_mock(&server).arg("summary").args(filters)).stdout;
        assert!(text.contains("duplicates: not read ("), "{text}");
    }
    // Everything read: no duplicates is an empty list, and no note.
    let doc = run_ok(xconn_mock(&server).args(["summary", "-o", "json"])).json();
    assert_eq!(doc["duplicates"], json!([]));
    assert!(doc.get("duplicates_note").is_none(), "{doc:#}");
}

#[test]
fn summary_suggests_only_commands_that_run() {
    let server = MockServer::start();
    let active = |id: &str, endpoint: &str| json!({"id": id, "endpoint_name": endpoint, "connected_at": "2025-05-01T00:00:00Z"});
    mock_records(
        &server,
        json!([
            active("k-1", "filtered_stream"),
            active("k-2", "filtered_stream"),
            active("n-1", "new_stream"),
            active("n-2", "new_stream"),
        ]),
    );
    let text = run_ok(xconn_mock(&server).arg("summary")).stdout;
    let known = text
        .lines()
        .find(|l| l.starts_with("duplicates: filtered_stream"))
        .expect(&text);
    let unknown = text
        .lines()
        .find(|l| l.starts_with("duplicates: new_stream"))
        .expect(&text);
    assert!(!unknown.contains("--endpoint new_stream"), "{unknown}");
    assert!(unknown.contains("xconn terminate --uuid"), "{unknown}");

    // The suggested command runs (as a dry run, on the same API).
    let suggested = known
        .split_once("(xconn ")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .expect(known);
    let args: Vec<&str> = suggested.split_whitespace().collect();
    run_ok(xconn_mock(&server).args(&args).arg("--dry-run"));
    // What the unknown one's suggestion starts from runs too.
    run_ok(xconn_mock(&server).arg("list"));
}
