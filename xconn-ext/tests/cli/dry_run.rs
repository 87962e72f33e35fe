//! `terminate --dry-run` checks what the real run would (issue 21, item 2):
//! `--uuid` values parsed alike, the connections read, each target shown as
//! `would end`, `not active` or `not found`, the real run's exit code; the
//! duplicates dry run shows the kept connection of each endpoint.

use super::terminate::DRY_RUN_FIELDS;
use super::*;

/// Every connection (`status=all`): `a-1` active, `e-1` ended.
fn mock_all(server: &MockServer) -> httpmock::Mock<'_> {
    server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param("status", "all")
            .query_param("connection.fields", DRY_RUN_FIELDS);
        json_ok(
            then,
            json!({
                "data": [
                    {"id": "a-1", "endpoint_name": "filtered_stream",
                     "connected_at": "2025-05-01T00:00:00.000Z"},
                    {"id": "e-1", "endpoint_name": "filtered_stream",
                     "connected_at": "2025-05-01T00:00:00.000Z",
                     "disconnected_at": "2025-05-01T01:00:00.000Z",
                     "disconnect_reason": "operator_disconnect"},
                ],
                "meta": {"result_count": 2},
            })
            .to_string(),
        );
    })
}

#[test]
fn a_uuid_dry_run_says_what_would_happen_to_each_and_exits_as_the_real_run() {
    let server = MockServer::start();
    let all = mock_all(&server);
    let delete = server.mock(|when, then| {
        when.method(DELETE).path("/2/connections");
        json_ok(
            then,
            json!({"data": {"successful_kills": 1, "failed_kills": 2, "results": [
                {"uuid": "a-1", "success": true},
                {"uuid": "e-1", "success": false, "error_message": "not active"},
                {"uuid": "zz", "success": false, "error_message": "not found"},
            ]}})
            .to_string(),
        );
    });
    let named = [
        "--uuid", "a-1", "--uuid", "e-1", "--uuid", "zz", "--uuid", "a-1",
    ];

    let run = run_code(
        xconn_mock(&server)
            .arg("terminate")
            .args(named)
            .arg("--dry-run"),
        6,
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("dry run: would terminate 1 connection(s) at 127.0.0.1:"),
        "{run:#?}"
    );
    assert_eq!(
        lines[1..4],
        ["  a-1  would end", "  e-1  not active", "  zz  not found"]
    );
    run.error_says(&["2 of the named connection(s) would not be terminated"]);

    let run = run_code(
        xconn_mock(&server)
            .arg("terminate")
            .args(named)
            .args(["--dry-run", "-o", "json"]),
        6,
    );
    let doc = run.json();
    assert_eq!(doc["count"], 1);
    assert_eq!(
        doc["targets"],
        json!([
            {"uuid": "a-1", "outcome": "would_end"},
            {"uuid": "e-1", "outcome": "not_active"},
            {"uuid": "zz", "outcome": "not_found"},
        ])
    );
    // Only the active one named: the real run would end it, exit 0.
    let run = run_ok(xconn_mock(&server).args(["terminate", "--uuid", "a-1", "--dry-run"]));
    assert!(run.stdout.contains("  a-1  would end"), "{run:#?}");
    assert_eq!(
        (all.calls(), delete.calls()),
        (3, 0),
        "dry runs send no DELETE"
    );

    // The real run gives the same exit code.
    run_code(
        xconn_mock(&server)
            .arg("terminate")
            .args(named)
            .arg("--yes"),
        6,
    );
    assert_eq!(delete.calls(), 1);
}

#[test]
fn a_bad_uuid_is_refused_alike_by_the_dry_run_and_the_real_run() {
    let server = MockServer::start();
    let any = catch_all(&server);
    for bad in ["a b", "", " ", "x\ty"] {
        for mode in ["--dry-run", "--yes"] {
            let run = run_code(
                xconn_mock(&server).args(["terminate", "--uuid", "ok-1", "--uuid", bad, mode]),
                2,
            );
            assert!(
                run.stderr.contains("is not a connection UUID"),
                "{bad:?} {mode}: {run:#?}"
            );
        }
    }
    assert_eq!(any.calls(), 0, "nothing was sent");
}

#[test]
fn the_duplicates_dry_run_shows_the_kept_connection_with_its_time_and_ip() {
    let run =
        run_ok(xconn_sandbox().args(["terminate", "--duplicates", "--dry-run", "-o", "json"]));
    let doc = run.json();
    let kept = doc["kept"].as_array().expect("kept connections");
    assert!(!kept.is_empty(), "{doc:#}");
    for c in kept {
        assert!(is_uuid(c["id"].as_str().unwrap()), "{c}");
        assert!(is_rfc3339_utc(c["connected_at"].as_str().unwrap()), "{c}");
        assert!(
            c["client_ip"].as_str().is_some_and(|ip| !ip.is_empty()),
            "{c}"
        );
    }

    let run = run_ok(xconn_sandbox().args(["terminate", "--duplicates", "--dry-run"]));
    let text = &run.stdout;
    let kept_at = text
        .find("kept (the newest of each endpoint):")
        .expect(text);
    let ending_at = text.find("would end:").expect(text);
    let kept_table = &text[kept_at..ending_at];
    // The sandbox's seed is fixed: the same kept connections, now in a table.
    let again =
        run_ok(xconn_sandbox().args(["terminate", "--duplicates", "--dry-run", "-o", "json"]))
            .json();
    for c in again["kept"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let ip = c["client_ip"].as_str().unwrap();
        let row = kept_table
            .lines()
            .find(|line| line.starts_with(id))
            .unwrap_or_else(|| panic!("{id} not in {kept_table}"));
        assert!(row.contains(ip), "{row}");
    }
}

#[test]
fn duplicates_with_nothing_to_end_exit_0_without_a_terminal() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        json_ok(
            then,
            json!({"data": [
                {"id": "s-only", "endpoint_name": "sample_stream",
                 "connected_at": "2025-05-01T00:00:00.000Z"},
            ], "meta": {"result_count": 1}})
            .to_string(),
        );
    });
    let delete = server.mock(|when, then| {
        when.method(DELETE);
        then.status(500);
    });
    // stdin is a pipe: no one to ask, and nothing to ask about.
    let run = run_ok(
        xconn_mock(&server)
            .args(["terminate", "--duplicates"])
            .write_stdin(""),
    );
    assert!(run.stdout.starts_with("nothing to terminate"), "{run:#?}");
    assert_eq!(delete.calls(), 0);
}
