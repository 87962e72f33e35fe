//! `xconn terminate`: the prompt, dry runs, duplicates, and honest outcomes
//! (partial reports, exit 6).

use super::*;

#[test]
fn sandbox_terminate_endpoint_with_yes_reports() {
    let summary = sandbox_summary();
    let active = count(&summary["by_endpoint"]["firehose_stream"]["active"]);
    assert!(active > 0);

    let run = run_ok(xconn_sandbox().args(["terminate", "--endpoint", "firehose_stream", "--yes"]));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], format!("terminated {active}, failed 0"));
    assert_eq!(lines.len() as u64, 1 + active, "{}", run.stdout);
    for line in &lines[1..] {
        let (uuid, outcome) = line.split_once("  ").expect("uuid and outcome");
        assert_eq!(uuid.len(), 36, "{line:?}");
        assert_eq!(outcome, "ok", "{line:?}");
    }

    let run = run_ok(xconn_sandbox().args([
        "terminate",
        "--endpoint",
        "firehose_stream",
        "-y",
        "--format",
        "json",
    ]));
    let report = run.json();
    assert_eq!(count(&report["successful"]), active);
    assert_eq!(count(&report["failed"]), 0);
    assert_eq!(
        report["results"].as_array().map(Vec::len),
        Some(active as usize)
    );
}

#[test]
fn sandbox_terminate_unknown_uuid_reports_the_failure() {
    let uuid = "00000000-0000-4000-8000-000000000001";
    let run = run_code(
        xconn_sandbox().args(["terminate", "--uuid", uuid, "--yes"]),
        6,
    );
    assert_eq!(
        run.stderr.trim_end(),
        "error: 1 connection(s) were not terminated (0 were)"
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"terminated 0, failed 1"), "{run:#?}");
    let (id, outcome) = lines[1].split_once("  ").expect("uuid and outcome");
    assert_eq!(id, uuid);
    assert!(outcome.starts_with("failed: "), "{outcome}");
    assert!(
        outcome.len() > "failed: ".len(),
        "the reason is shown: {outcome}"
    );
}

#[test]
fn terminate_without_yes_and_without_a_terminal_refuses_and_sends_nothing() {
    let server = MockServer::start();
    // What would end may be read (GET): something is active.
    let get = server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        json_ok(then, page(2, None).to_string());
    });
    let any = catch_all(&server);
    for target in [
        &["--all"][..],
        &["--endpoint", "filtered_stream"],
        &["--uuid", "00000000-0000-4000-8000-000000000001"],
    ] {
        // stdin is a pipe, so even a "y" on it is no confirmation.
        let run = run_code(
            xconn_mock(&server)
                .arg("terminate")
                .args(target)
                .write_stdin("y\n"),
            2,
        );
        run.error_says(&["refusing", "--yes"]);
        assert_eq!(run.stdout, "");
    }
    assert_eq!(any.calls(), 0, "no DELETE, nothing but the reading GETs");
    assert_eq!(
        get.calls(),
        2,
        "--all and --endpoint read; --uuid needs not"
    );
}

#[test]
fn nothing_to_terminate_exits_0_without_a_terminal() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        json_ok(then, page(0, None).to_string());
    });
    let delete = server.mock(|when, then| {
        when.method(DELETE);
        then.status(500);
    });
    for target in [
        &["--all"][..],
        &["--endpoint", "filtered_stream"],
        &["--duplicates"],
    ] {
        let run = run_ok(
            xconn_mock(&server)
                .arg("terminate")
                .args(target)
                .write_stdin(""),
        );
        assert!(run.stdout.starts_with("nothing to terminate"), "{run:#?}");
    }
    assert_eq!(delete.calls(), 0);
}

/// A UUID for batch tests: `u-000`, `u-001`...
fn batch_uuid(i: usize) -> String {
    format!("u-{i:03}")
}

/// A `DELETE /2/connections` answer ending these UUIDs.
fn ended(range: std::ops::Range<usize>) -> Value {
    json!({"data": {
        "successful_kills": range.len(),
        "failed_kills": 0,
        "results": range.map(|i| json!({"uuid": batch_uuid(i), "success": true})).collect::<Vec<_>>(),
    }})
}

#[test]
fn a_failed_later_batch_prints_the_partial_report_and_exits_with_its_code() {
    let server = MockServer::start();
    let first = server.mock(|when, then| {
        when.method(DELETE)
            .path("/2/connections")
            .body_includes("\"u-000\"");
        json_ok(then, ended(0..100).to_string());
    });
    let second = server.mock(|when, then| {
        when.method(DELETE)
            .path("/2/connections")
            .body_includes("\"u-100\"");
        problem_json(then, 401, unauthorized_body());
    });
    let mut args = vec!["terminate".to_owned(), "--yes".to_owned()];
    for i in 0..150 {
        args.extend(["--uuid".to_owned(), batch_uuid(i)]);
    }
    let run = run_code(xconn_mock(&server).args(&args).args(["-o", "json"]), 3);
    let doc = run.json();
    assert_eq!(doc["successful"], 100, "{doc}");
    assert_eq!(doc["results"].as_array().map(Vec::len), Some(100));
    let not_attempted: Vec<String> = (100..150).map(batch_uuid).collect();
    assert_eq!(doc["not_attempted"], json!(not_attempted));
    assert_eq!(doc["error"]["exit_code"], 3);
    assert!(doc["error"]["message"].as_str().unwrap().contains("401"));
    let line = run.error_line();
    assert!(
        line.contains("100 connection(s) had already been ended"),
        "{line}"
    );
    assert_eq!((first.calls(), second.calls()), (1, 1));

    // The text report says the same.
    let run = run_code(xconn_mock(&server).args(&args), 3);
    assert!(
        run.stdout.starts_with("terminated 100, failed 0\n"),
        "{run:#?}"
    );
    assert!(run.stdout.contains("not attempted (50)"), "{run:#?}");
    assert!(run.stdout.contains("u-149  not attempted"), "{run:#?}");
}

#[test]
fn terminate_exits_6_when_the_api_answered_but_not_every_connection_ended() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(DELETE).path("/2/connections/all");
        json_ok(
            then,
            json!({"data": {"successful_kills": 0, "failed_kills": 2, "results": [
                {"uuid": "a", "success": false, "error_message": "already ended"},
                {"uuid": "b", "success": false, "error_message": "not found"},
            ]}})
            .to_string(),
        );
    });
    let run = run_code(xconn_mock(&server).args(["terminate", "--all", "--yes"]), 6);
    assert!(run.stdout.contains("a  failed: already ended"), "{run:#?}");
    assert!(run.stdout.contains("b  failed: not found"), "{run:#?}");
    assert!(
        run.error_line()
            .contains("2 connection(s) were not terminated")
    );
    let run = run_code(
        xconn_mock(&server).args(["terminate", "--all", "--yes", "-o", "json"]),
        6,
    );
    assert_eq!(run.json()["failed"], 2);
}

/// The GET of active connections with the fields a dry run shows.
fn mock_active_for_dry_run(server: &MockServer) -> httpmock::Mock<'_> {
    server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param("status", "active")
            .query_param("connection.fields", DRY_RUN_FIELDS)
            .query_param_missing("endpoints");
        json_ok(then, active_page().to_string());
    })
}

/// The fields `terminate --dry-run` asks for.
pub(crate) const DRY_RUN_FIELDS: &str =
    "id,endpoint_name,client_ip,connected_at,disconnected_at,disconnect_reason";

/// Active connections as the duplicates reader asks for them.
fn active_page() -> Value {
    let c = |id: &str, endpoint: &str, at: &str| json!({"id": id, "endpoint_name": endpoint, "connected_at": at});
    json!({
        "data": [
            c("f-new", "filtered_stream", "2025-05-03T00:00:00.000Z"),
            c("s-only", "sample_stream", "2025-05-01T00:00:00.000Z"),
            c("f-old", "filtered_stream", "2025-05-01T00:00:00.000Z"),
            c("f-mid", "filtered_stream", "2025-05-02T00:00:00.000Z"),
        ],
        "meta": {"result_count": 4},
    })
}

/// The mock's GET of active connections with exactly the duplicates fields.
fn mock_active(server: &MockServer) -> httpmock::Mock<'_> {
    server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param("status", "active")
            .query_param("connection.fields", "id,endpoint_name,connected_at")
            .query_param_missing("endpoints");
        json_ok(then, active_page().to_string());
    })
}

#[test]
fn terminate_duplicates_keeps_the_newest_per_endpoint_and_ends_the_rest() {
    let server = MockServer::start();
    let get = mock_active(&server);
    let delete = server.mock(|when, then| {
        when.method(DELETE)
            .path("/2/connections")
            .json_body(json!({"uuids": ["f-old", "f-mid"]}));
        json_ok(
            then,
            json!({"data": {"successful_kills": 2, "failed_kills": 0, "results": [
                    {"uuid": "f-old", "success": true}, {"uuid": "f-mid", "success": true}]}})
            .to_string(),
        );
    });
    let run =
        run_ok(xconn_mock(&server).args(["terminate", "--duplicates", "--yes", "-o", "json"]));
    assert_eq!(run.json()["successful"], 2);
    assert_eq!((get.calls(), delete.calls()), (1, 1));

    // --keep 2: only the oldest goes.
    let keep2 = server.mock(|when, then| {
        when.method(DELETE)
            .path("/2/connections")
            .json_body(json!({"uuids": ["f-old"]}));
        json_ok(
            then,
            json!({"data": {"successful_kills": 1, "failed_kills": 0}}).to_string(),
        );
    });
    run_ok(xconn_mock(&server).args(["terminate", "--duplicates", "--keep", "2", "--yes"]));
    assert_eq!(keep2.calls(), 1);
}

#[test]
fn terminate_duplicates_with_nothing_to_end_sends_no_delete() {
    let server = MockServer::start();
    let get = server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param("endpoints", "sample_stream");
        json_ok(
            then,
            json!({"data": [active_page()["data"][1]]}).to_string(),
        );
    });
    let delete = server.mock(|when, then| {
        when.method(DELETE);
        then.status(500);
    });
    let run = run_ok(xconn_mock(&server).args([
        "terminate",
        "--duplicates",
        "--endpoint",
        "sample_stream",
        "--yes",
    ]));
    assert!(run.stdout.starts_with("nothing to terminate"), "{run:#?}");
    let run = run_code(
        xconn_mock(&server).args(["terminate", "--duplicates", "--keep", "0"]),
        2,
    );
    assert!(run.stderr.contains("--keep"), "{run:#?}");
    assert_eq!(delete.calls(), 0);
    assert_eq!(get.calls(), 1, "the endpoint filter is sent to the API");
}

#[test]
fn dry_run_sends_no_delete_needs_no_yes_and_prints_what_would_end() {
    let server = MockServer::start();
    let get = mock_active_for_dry_run(&server);
    let filtered = server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param("status", "active")
            .query_param("endpoints", "filtered_stream");
        json_ok(then, page(2, None).to_string());
    });
    let delete = server.mock(|when, then| {
        when.method(DELETE);
        then.status(500);
    });
    let host = server.base_url();

    let run = run_ok(xconn_mock(&server).args(["terminate", "--all", "--dry-run", "-o", "json"]));
    let doc = run.json();
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["count"], 4);
    assert_eq!(doc["api"], host.as_str());

    let run = run_ok(xconn_mock(&server).args([
        "terminate",
        "--endpoint",
        "filtered_stream",
        "--dry-run",
        "-o",
        "json",
    ]));
    assert_eq!(run.json()["count"], 2);
    assert_eq!(filtered.calls(), 1);

    let run =
        run_ok(xconn_mock(&server).args(["terminate", "--duplicates", "--dry-run", "-o", "json"]));
    let doc = run.json();
    let ids: Vec<&str> = doc["would_terminate"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["f-old", "f-mid"], "least recently connected first");
    assert_eq!(doc["by_endpoint"]["filtered_stream"]["to_end"], 2);
    assert_eq!(doc["keep"], 1);

    assert_eq!(delete.calls(), 0, "a dry run sends no DELETE");
    assert_eq!(get.calls(), 2);
}

#[test]
fn sandbox_terminate_duplicates_leaves_one_per_endpoint() {
    let summary = sandbox_summary();
    let extra: u64 = summary["duplicates"]
        .as_array()
        .expect("duplicates")
        .iter()
        .map(|d| count(&d["active"]) - 1)
        .sum();
    assert!(extra > 0);
    let run = run_ok(xconn_sandbox().args(["terminate", "--duplicates", "--yes", "-o", "json"]));
    let report = run.json();
    assert_eq!(count(&report["successful"]), extra);
    assert_eq!(count(&report["failed"]), 0);
}

/// [`active_page`] with a partial error beside its data.
fn mock_active_with_partial_errors(server: &MockServer) -> httpmock::Mock<'_> {
    let mut body = active_page();
    body["errors"] = json!([{
        "type": "https://api.twitter.com/2/problems/resource-not-found",
        "title": "Not Found Error",
        "detail": "some connections could not be listed",
    }]);
    server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param("status", "active");
        json_ok(then, body.to_string());
    })
}

#[test]
fn terminate_duplicates_refuses_a_listing_with_partial_errors_with_exit_5() {
    let server = MockServer::start();
    let get = mock_active_with_partial_errors(&server);
    let delete = server.mock(|when, then| {
        when.method(DELETE);
        then.status(500);
    });
    for extra in [&["--yes"][..], &["--dry-run"], &["--dry-run", "-o", "json"]] {
        let run = run_code(
            xconn_mock(&server)
                .args(["terminate", "--duplicates"])
                .args(extra),
            5,
        );
        run.error_says(&[
            "1 partial error(s)",
            "some connections could not be listed",
            "nothing was sent",
            "--allow-partial-errors",
        ]);
        assert_eq!(run.stdout, "", "no plan is printed: {run:#?}");
    }
    assert_eq!((get.calls(), delete.calls()), (3, 0));
}

#[test]
fn allow_partial_errors_plans_anyway_and_warns_about_each_error() {
    let server = MockServer::start();
    mock_active_with_partial_errors(&server);
    let delete = server.mock(|when, then| {
        when.method(DELETE)
            .path("/2/connections")
            .json_body(json!({"uuids": ["f-old", "f-mid"]}));
        json_ok(
            then,
            json!({"data": {"successful_kills": 2, "failed_kills": 0}}).to_string(),
        );
    });
    let run = run_code(
        xconn_mock(&server).args([
            "terminate",
            "--duplicates",
            "--allow-partial-errors",
            "--dry-run",
            "-o",
            "json",
        ]),
        0,
    );
    let doc = run.json();
    assert_eq!(doc["count"], 2, "{doc}");
    assert_eq!(
        doc["errors"][0]["detail"], "some connections could not be listed",
        "{doc}"
    );
    assert_eq!(
        run.stderr.trim_end(),
        "warning: Not Found Error: some connections could not be listed"
    );
    let run = run_code(
        xconn_mock(&server).args([
            "terminate",
            "--duplicates",
            "--allow-partial-errors",
            "--yes",
        ]),
        0,
    );
    assert!(run.stderr.starts_with("warning: "), "{run:#?}");
    assert_eq!(delete.calls(), 1);
}

#[test]
fn every_preview_read_from_a_listing_with_partial_errors_needs_the_flag() {
    let server = MockServer::start();
    mock_active_with_partial_errors(&server);
    let delete = catch_all_deletes(&server);
    for target in [&["--all"][..], &["--endpoint", "filtered_stream"]] {
        let run = run_code(
            xconn_mock(&server)
                .arg("terminate")
                .args(target)
                .arg("--dry-run"),
            5,
        );
        run.error_says(&[
            "some connections could not be listed",
            "--allow-partial-errors",
        ]);
        let run = run_code(
            xconn_mock(&server).arg("terminate").args(target).args([
                "--dry-run",
                "--allow-partial-errors",
                "-o",
                "json",
            ]),
            0,
        );
        assert_eq!(run.json()["count"], 4, "{run:#?}");
        assert!(run.stderr.starts_with("warning: "), "{run:#?}");
    }
    assert_eq!(delete.calls(), 0);
}

/// Any DELETE answers 500: a test that must send none counts them.
fn catch_all_deletes(server: &MockServer) -> httpmock::Mock<'_> {
    server.mock(|when, then| {
        when.method(DELETE);
        then.status(500);
    })
}
