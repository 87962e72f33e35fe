//! `list` and `summary` filters the API does not have (issue 21, item 4):
//! `--reason`, `--since`, `--until`, applied to what the API returns; and
//! the derived `status` and `duration_s` in every format of `list`.

use super::*;

/// Three connections, timed from now: one active for 3h, one that stalled
/// an hour ago after 1h, one ended by the operator 5h ago after 1h.
fn mock_three(server: &MockServer) -> httpmock::Mock<'_> {
    let now = chrono::Utc::now();
    let at = |hours_ago: i64| {
        (now - chrono::TimeDelta::hours(hours_ago))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let body = json!({
        "data": [
            {"id": "active-1", "endpoint_name": "filtered_stream", "client_ip": "203.0.113.1",
             "connected_at": at(3)},
            {"id": "stall-1", "endpoint_name": "filtered_stream", "client_ip": "203.0.113.2",
             "connected_at": at(2), "disconnected_at": at(1), "disconnect_reason": "stall"},
            {"id": "op-1", "endpoint_name": "sample_stream", "client_ip": "203.0.113.3",
             "connected_at": at(6), "disconnected_at": at(5),
             "disconnect_reason": "operator_disconnect"},
        ],
        "meta": {"result_count": 3},
    });
    server.mock(move |when, then| {
        when.method(GET).path("/2/connections");
        json_ok(then, body.to_string());
    })
}

/// The ids `list -o ndjson` prints with `filters`.
fn listed(server: &MockServer, filters: &[&str]) -> Vec<String> {
    let run = run_ok(
        xconn_mock(server)
            .args(["list", "-o", "ndjson"])
            .args(filters),
    );
    run.ndjson()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn list_filters_by_reason_and_time_on_what_the_api_returned() {
    let server = MockServer::start();
    let get = mock_three(&server);
    assert_eq!(listed(&server, &[]), ["active-1", "stall-1", "op-1"]);
    assert_eq!(listed(&server, &["--reason", "stall"]), ["stall-1"]);
    assert_eq!(
        listed(
            &server,
            &["--reason", "stall", "--reason", "operator_disconnect"]
        ),
        ["stall-1", "op-1"]
    );
    assert_eq!(
        listed(&server, &["--since", "90m"]),
        ["active-1", "stall-1"]
    );
    assert_eq!(listed(&server, &["--since", "30m"]), ["active-1"]);
    assert_eq!(listed(&server, &["--until", "4h"]), ["op-1"]);
    let since = (chrono::Utc::now() - chrono::TimeDelta::hours(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(
        listed(&server, &["--since", &since, "--reason", "stall"]),
        ["stall-1"]
    );
    assert_eq!(
        listed(&server, &["--since", "2d", "--until", "1d"]),
        [] as [&str; 0]
    );
    // --limit counts what is printed, after the filter.
    assert_eq!(
        listed(&server, &["--since", "90m", "--limit", "1"]),
        ["active-1"]
    );
    // The table shows the same selection.
    let run = run_ok(xconn_mock(&server).args(["list", "--reason", "stall"]));
    assert_eq!(run.stdout.lines().count(), 2, "{run:#?}");
    assert!(run.stdout.contains("stall-1"), "{run:#?}");
    assert_eq!(get.calls(), 10, "one GET per run: filters are not sent");
}

#[test]
fn summary_counts_only_what_the_filters_keep() {
    let server = MockServer::start();
    mock_three(&server);
    let doc =
        run_ok(xconn_mock(&server).args(["summary", "-o", "json", "--reason", "stall"])).json();
    assert_eq!(doc["total"], 1, "{doc:#}");
    assert_eq!(doc["by_reason"], json!({"stall": 1}), "{doc:#}");
    let doc = run_ok(xconn_mock(&server).args(["summary", "-o", "json", "--since", "90m"])).json();
    assert_eq!(
        (doc["total"].clone(), doc["active"].clone()),
        (json!(2), json!(1)),
        "{doc:#}"
    );
}

#[test]
fn bad_times_and_an_empty_window_are_usage_errors_before_any_request() {
    let server = MockServer::start();
    let any = catch_all(&server);
    for command in ["list", "summary"] {
        let run = run_code(
            xconn_mock(&server).args([command, "--since", "yesterday"]),
            2,
        );
        assert!(
            run.stderr.contains("RFC 3339") && run.stderr.contains("90m"),
            "{run:#?}"
        );
        let run = run_code(
            xconn_mock(&server).args([command, "--since", "1h", "--until", "2h"]),
            2,
        );
        run.error_says(&["--since", "is after --until"]);
        let run = run_code(xconn_mock(&server).args([command, "--reason", "a b"]), 2);
        assert!(run.stderr.contains("not a disconnect reason"), "{run:#?}");
    }
    assert_eq!(any.calls(), 0);
}

#[test]
fn every_list_format_carries_the_derived_status_and_duration() {
    let server = MockServer::start();
    mock_three(&server);
    for record in run_ok(xconn_mock(&server).args(["list", "-o", "ndjson"])).ndjson() {
        let expected = if record.contains_key("disconnect_reason") {
            "inactive"
        } else {
            "active"
        };
        assert_eq!(record["status"], expected, "{record:?}");
        let secs = record["duration_s"].as_u64().expect("duration_s");
        let hours = if record["id"] == "active-1" { 3 } else { 1 };
        assert!(
            (hours * 3600..hours * 3600 + 60).contains(&secs),
            "{record:?}"
        );
    }
    let doc = run_ok(xconn_mock(&server).args(["list", "-o", "json"])).json();
    for record in doc["data"].as_array().unwrap() {
        assert!(
            record["status"].is_string() && record["duration_s"].is_u64(),
            "{record}"
        );
    }
    // Without connected_at the duration is unknown: null, not zero.
    let bare = MockServer::start();
    bare.mock(|when, then| {
        when.method(GET).path("/2/connections");
        json_ok(
            then,
            json!({"data": [{"id": "x", "endpoint_name": "filtered_stream",
                             "client_ip": "203.0.113.9"}],
                   "meta": {"result_count": 1}})
            .to_string(),
        );
    });
    let run = run_ok(xconn_mock(&bare).args(["list", "-o", "ndjson", "--fields", "client_ip"]));
    let records = run.ndjson();
    assert_eq!(records.len(), 1);
    assert!(records[0]["duration_s"].is_null(), "{records:?}");
    assert_eq!(records[0]["status"], "active", "{records:?}");
    let csv = run_ok(xconn_mock(&server).args(["list", "-o", "csv"]));
    let header = csv.stdout.lines().next().unwrap();
    assert!(
        header.contains(",status,") && header.contains(",duration_s,"),
        "{header}"
    );

    let help = run_ok(xconn().args(["list", "--help"])).stdout;
    for said in [
        "derived `status`",
        "the API has no such filter",
        "--reason",
        "--since",
        "--until",
    ] {
        assert!(help.contains(said), "{said:?} not in list --help");
    }
    let help = run_ok(xconn().args(["summary", "--help"])).stdout;
    assert!(help.contains("the API has no such filter"), "{help}");
}
