//! `xconn list`: its formats (table, JSON, ndjson, CSV), `--fields`, `--limit`,
//! `--status`, `--endpoint`, timestamps, and a reader that goes away.

use super::*;

#[test]
fn sandbox_list_table_has_the_columns_aligned() {
    let run = run_ok(xconn_sandbox().args(["list", "--status", "all"]));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1 + 250, "a header and one row per connection");
    let header = lines[0];
    let starts: Vec<usize> = TABLE_HEADERS
        .iter()
        .map(|h| {
            header
                .find(h)
                .unwrap_or_else(|| panic!("no {h} in {header:?}"))
        })
        .collect();
    assert_eq!(starts[0], 0);
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{header:?}");
    let (mut active, mut inactive) = (0, 0);
    for line in &lines {
        let cells: Vec<&str> = starts
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                assert!(
                    line.is_char_boundary(start) && line.len() > start,
                    "{line:?}"
                );
                if i > 0 {
                    assert_eq!(
                        &line[start - 2..start],
                        "  ",
                        "column {i} not aligned: {line:?}"
                    );
                }
                assert_ne!(
                    &line[start..=start],
                    " ",
                    "column {i} not aligned: {line:?}"
                );
                let end = starts.get(i + 1).map_or(line.len(), |&next| next);
                line[start..end].trim()
            })
            .collect();
        assert!(cells.iter().all(|c| !c.is_empty()), "{line:?}");
        if *line == header {
            continue;
        }
        assert!(is_uuid(cells[0]), "the full UUID: {line:?}");
        assert!(is_rfc3339_utc(cells[3]), "{line:?}");
        ENDPOINTS
            .iter()
            .find(|e| **e == cells[1])
            .unwrap_or_else(|| panic!("endpoint: {line:?}"));
        match cells[2] {
            "active" => {
                active += 1;
                assert_eq!((cells[4], cells[6]), ("-", "-"), "{line:?}");
            }
            "inactive" => {
                inactive += 1;
                assert!(is_rfc3339_utc(cells[4]), "{line:?}");
                assert!(DISCONNECT_REASONS.contains(&cells[6]), "{line:?}");
            }
            other => panic!("status {other:?}: {line:?}"),
        }
    }
    let summary = sandbox_summary();
    assert_eq!(
        (active, inactive),
        (count(&summary["active"]), count(&summary["inactive"]))
    );
}

#[test]
fn sandbox_list_json_is_one_document() {
    let run = run_ok(xconn_sandbox().args(["list", "--status", "all", "--format", "json"]));
    assert_eq!(run.stdout.trim_end().lines().count(), 1, "{}", run.stdout);
    let doc = run.json();
    let data = doc["data"].as_array().expect("data");
    assert_eq!(data.len(), 250);
    assert_eq!(count(&doc["meta"]["result_count"]), data.len() as u64);
    assert_eq!(doc["errors"], json!([]));
    for c in data {
        assert!(
            c["endpoint_name"].is_string() && c["connected_at"].is_string(),
            "{c}"
        );
    }
}

#[test]
fn sandbox_list_ndjson_projects_the_asked_fields() {
    let run = run_ok(xconn_sandbox().args([
        "list",
        "--status",
        "all",
        "--format",
        "ndjson",
        "--fields",
        "id,endpoint_name",
    ]));
    let records = run.ndjson();
    assert_eq!(records.len(), 250);
    let mut ids = BTreeSet::new();
    for r in &records {
        let keys: Vec<&str> = r.keys().map(String::as_str).collect();
        // The asked fields, and the two derived ones every format carries.
        assert_eq!(
            keys,
            ["duration_s", "endpoint_name", "id", "status"],
            "{r:?}"
        );
        assert!(
            ids.insert(r["id"].as_str().expect("id").to_owned()),
            "{r:?}"
        );
    }
}

#[test]
fn sandbox_list_limit_gives_exactly_that_many() {
    let ndjson = run_ok(xconn_sandbox().args(["list", "--limit", "3", "--format", "ndjson"]));
    assert_eq!(ndjson.ndjson().len(), 3);
    let json = run_ok(xconn_sandbox().args(["list", "--limit", "3", "--format", "json"])).json();
    assert_eq!(json["data"].as_array().map(Vec::len), Some(3));
    assert_eq!(json["meta"]["result_count"], 3);
    let table = run_ok(xconn_sandbox().args(["list", "--status", "all", "--limit", "3"]));
    assert_eq!(table.stdout.lines().count(), 1 + 3, "{}", table.stdout);
}

#[test]
fn sandbox_list_status_inactive_lists_only_ended_connections() {
    let summary = sandbox_summary();
    let run = run_ok(xconn_sandbox().args(["list", "--status", "inactive", "--format", "ndjson"]));
    let records = run.ndjson();
    assert_eq!(records.len() as u64, count(&summary["inactive"]));
    for r in &records {
        assert!(
            r.contains_key("disconnected_at") && r.contains_key("disconnect_reason"),
            "{r:?}"
        );
    }
    let table = run_ok(xconn_sandbox().args(["list", "--status", "inactive"]));
    for line in table.stdout.lines().skip(1) {
        assert_eq!(line.split_whitespace().nth(2), Some("inactive"), "{line:?}");
    }
}

#[test]
fn sandbox_list_table_status_is_right_whatever_the_fields() {
    let run = run_ok(xconn_sandbox().args([
        "list",
        "--status",
        "inactive",
        "--fields",
        "id,endpoint_name",
    ]));
    for line in run.stdout.lines().skip(1) {
        assert_ne!(line.split_whitespace().nth(1), Some("active"), "{line:?}");
    }
}

#[test]
fn sandbox_list_endpoint_filter() {
    let summary = sandbox_summary();
    let run = run_ok(xconn_sandbox().args([
        "list",
        "--status",
        "all",
        "--endpoint",
        "filtered_stream",
        "--format",
        "ndjson",
    ]));
    let records = run.ndjson();
    assert_eq!(
        records.len() as u64,
        count(&summary["by_endpoint"]["filtered_stream"]["total"])
    );
    assert!(
        records
            .iter()
            .all(|r| r["endpoint_name"] == "filtered_stream")
    );

    // Repeated --endpoint: the union.
    let run = run_ok(xconn_sandbox().args([
        "list",
        "--status",
        "all",
        "--endpoint",
        "filtered_stream",
        "--endpoint",
        "sample_stream",
        "--format",
        "ndjson",
    ]));
    let records = run.ndjson();
    let both = ["filtered_stream", "sample_stream"]
        .map(|e| count(&summary["by_endpoint"][e]["total"]))
        .iter()
        .sum::<u64>();
    assert_eq!(records.len() as u64, both);
    let seen: BTreeSet<&str> = records
        .iter()
        .map(|r| r["endpoint_name"].as_str().expect("endpoint_name"))
        .collect();
    assert_eq!(seen, BTreeSet::from(["filtered_stream", "sample_stream"]));
}

#[test]
fn list_json_prints_no_document_when_nothing_was_listed() {
    let server = MockServer::start();
    let run = run_code(
        xconn_mock(&server).args(["list", "--format", "json", "--max-results", "0"]),
        2,
    );
    assert_eq!(
        run.stdout, "",
        "no data was read, so no document claims any"
    );
}

#[test]
fn a_closed_stdout_is_not_a_crash() {
    // Far more than a pipe buffers, so xconn writes into a closed pipe.
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        json_ok(then, page(3000, None).to_string());
    });
    for format in ["ndjson", "table", "json"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_xconn"))
            .env_remove("X_BEARER_TOKEN")
            .env_remove("X_API_BASE_URL")
            .env_remove("RUST_LOG")
            .env("XCONN_CONFIG", NO_CONFIG)
            .args(["--base-url", &server.base_url(), "--token", SECRET])
            .args(["list", "--format", format])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("xconn starts");
        let pid = child.id();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("a first line");
        assert!(!first.is_empty() && !first.contains(SECRET), "{first:?}");
        drop(stdout);

        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        let output = match rx.recv_timeout(BOUND) {
            Ok(output) => output.expect("wait"),
            Err(_) => {
                let _ = std::process::Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status();
                panic!("{format}: xconn did not stop after its reader went away");
            }
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{format}: {stderr}");
        assert_eq!(stderr, "", "{format}: a closed pipe is not worth a message");
    }
}

#[test]
fn every_get_asks_for_id_and_endpoint_name() {
    let server = MockServer::start();
    let asked = |fields: &'static str| {
        server.mock(move |when, then| {
            when.method(GET)
                .path("/2/connections")
                .query_param("connection.fields", fields);
            json_ok(then, page(1, None).to_string());
        })
    };
    let all = asked("client_ip,connected_at,disconnect_reason,disconnected_at,endpoint_name,id");
    // With the fields the derived `status` needs, in every format.
    let chosen = asked("connected_at,id,endpoint_name,disconnected_at,disconnect_reason");
    let for_table = asked("client_ip,id,endpoint_name,disconnected_at,disconnect_reason");
    run_ok(xconn_mock(&server).args(["list"]));
    run_ok(xconn_mock(&server).args(["summary"]));
    let run =
        run_ok(xconn_mock(&server).args(["list", "--fields", "connected_at", "-o", "ndjson"]));
    let record = &run.ndjson()[0];
    assert!(record.contains_key("id") && record.contains_key("endpoint_name"));
    run_ok(xconn_mock(&server).args(["list", "--fields", "client_ip"]));
    assert_eq!((all.calls(), chosen.calls(), for_table.calls()), (2, 1, 1));
}

#[test]
fn timestamps_are_rfc3339_utc_in_every_format_and_csv_quotes() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        json_ok(
            then,
            json!({"data": [{
                "id": "00000000-0000-4000-8000-000000000001",
                "endpoint_name": "filtered_stream",
                "client_ip": "203.0.113.7, \"proxy\"",
                "connected_at": "2025-05-01T02:00:00+02:00",
                "disconnected_at": "2025-05-01T01:00:00.500Z",
                "disconnect_reason": "operator_disconnect",
            }]})
            .to_string(),
        );
    });
    let json = run_ok(xconn_mock(&server).args(["list", "-o", "json"])).json();
    assert_eq!(json["data"][0]["connected_at"], "2025-05-01T00:00:00Z");
    assert_eq!(
        json["data"][0]["disconnected_at"],
        "2025-05-01T01:00:00.500Z"
    );
    let ndjson = run_ok(xconn_mock(&server).args(["list", "-o", "ndjson"])).ndjson();
    assert_eq!(ndjson[0]["connected_at"], "2025-05-01T00:00:00Z");
    let csv = run_ok(xconn_mock(&server).args(["list", "-o", "csv"]));
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "id,endpoint_name,status,connected_at,disconnected_at,duration_s,disconnect_reason,client_ip",
            "00000000-0000-4000-8000-000000000001,filtered_stream,inactive,2025-05-01T00:00:00Z,\
             2025-05-01T01:00:00.500Z,3600,operator_disconnect,\"203.0.113.7, \"\"proxy\"\"\"",
        ]
    );
    let table = run_ok(xconn_mock(&server).args(["list"]));
    assert!(
        table
            .stdout
            .contains("00000000-0000-4000-8000-000000000001  filtered_stream")
    );
    assert!(table.stdout.contains("2025-05-01T00:00:00Z"), "{table:#?}");
    let summary = run_ok(xconn_mock(&server).args(["summary", "-o", "json"])).json();
    assert_eq!(summary["window"]["from"], "2025-05-01T00:00:00Z");
    assert_eq!(summary["window"]["to"], "2025-05-01T01:00:00.500Z");
}

#[test]
fn o_is_the_short_form_of_format_everywhere() {
    assert_eq!(
        run_ok(xconn().args(["endpoints", "-o", "json"])).json(),
        json!(ENDPOINTS)
    );
    run_ok(xconn_sandbox().args(["summary", "-o", "json"])).json();
    run_ok(xconn_sandbox().args(["list", "--limit", "1", "-o", "json"])).json();
    run_ok(xconn_sandbox().args(["terminate", "--all", "--dry-run", "-o", "json"])).json();
}
