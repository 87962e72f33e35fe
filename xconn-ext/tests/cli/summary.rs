//! `xconn summary`: text and JSON agree with what `list` yields record by record.

use super::*;

#[test]
fn sandbox_summary_json_adds_up_and_matches_the_listed_records() {
    let summary = sandbox_summary();
    let (total, active, inactive) = (
        count(&summary["total"]),
        count(&summary["active"]),
        count(&summary["inactive"]),
    );
    assert_eq!(total, 250, "the default sandbox has 250 connections");
    assert_eq!(total, active + inactive);
    assert!(active > 0 && inactive > 0, "{summary}");

    let by_endpoint = summary["by_endpoint"].as_object().expect("by_endpoint");
    let mut sums = (0, 0, 0);
    for (name, c) in by_endpoint {
        assert!(
            ENDPOINTS.contains(&name.as_str()),
            "unknown endpoint {name}"
        );
        let (t, a, i) = (
            count(&c["total"]),
            count(&c["active"]),
            count(&c["inactive"]),
        );
        assert_eq!(t, a + i, "{name}: {c}");
        sums = (sums.0 + t, sums.1 + a, sums.2 + i);
    }
    assert_eq!(sums, (total, active, inactive));
    let by_reason = summary["by_reason"].as_object().expect("by_reason");
    let reasons: u64 = by_reason.values().map(count).sum();
    assert_eq!(
        reasons, inactive,
        "every inactive connection has one reason"
    );
    for reason in by_reason.keys() {
        assert!(DISCONNECT_REASONS.contains(&reason.as_str()), "{reason}");
    }
    let durations = &summary["duration_secs"];
    assert!(count(&durations["median"]) <= count(&durations["max"]));

    // Recount from the records `list` yields, one per NDJSON line.
    let listed = run_ok(xconn_sandbox().args(["list", "--status", "all", "--format", "ndjson"]));
    let records = listed.ndjson();
    assert_eq!(records.len() as u64, total);
    let mut per_endpoint: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    let mut per_reason: BTreeMap<String, u64> = BTreeMap::new();
    for r in &records {
        let name = r["endpoint_name"]
            .as_str()
            .expect("endpoint_name")
            .to_owned();
        let e = per_endpoint.entry(name).or_default();
        e.0 += 1;
        match r.get("disconnect_reason") {
            None => {
                assert!(!r.contains_key("disconnected_at"), "{r:?}");
                e.1 += 1;
            }
            Some(reason) => {
                assert!(r.contains_key("disconnected_at"), "{r:?}");
                e.2 += 1;
                *per_reason
                    .entry(reason.as_str().expect("reason").to_owned())
                    .or_default() += 1;
            }
        }
    }
    let from_summary: BTreeMap<String, (u64, u64, u64)> = by_endpoint
        .iter()
        .map(|(k, c)| {
            (
                k.clone(),
                (
                    count(&c["total"]),
                    count(&c["active"]),
                    count(&c["inactive"]),
                ),
            )
        })
        .collect();
    assert_eq!(per_endpoint, from_summary);
    let reasons_from_summary: BTreeMap<String, u64> = by_reason
        .iter()
        .map(|(k, v)| (k.clone(), count(v)))
        .collect();
    assert_eq!(per_reason, reasons_from_summary);

    // Without --status, `list` shows the API's default: the active ones.
    let default = run_ok(xconn_sandbox().args(["list", "--format", "json"])).json();
    assert_eq!(count(&default["meta"]["result_count"]), active);
}

#[test]
fn sandbox_summary_text_has_totals_and_both_sections() {
    let summary = sandbox_summary();
    let run = run_ok(xconn_sandbox().arg("summary"));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "{} connections: {} active, {} inactive",
            summary["total"], summary["active"], summary["inactive"]
        )
    );
    assert_eq!(
        lines[1],
        format!(
            "window: {} to {}",
            summary["window"]["from"].as_str().expect("from"),
            summary["window"]["to"].as_str().expect("to")
        )
    );
    assert_eq!(summary["duration_secs"]["covers"], "ended");
    assert!(
        lines[2].starts_with(&format!(
            "duration of the {} ended connections: median ",
            summary["duration_secs"]["count"]
        )),
        "{}",
        run.stdout
    );

    let header = lines
        .iter()
        .position(|l| {
            l.split_whitespace()
                .eq(["ENDPOINT", "TOTAL", "ACTIVE", "INACTIVE"])
        })
        .unwrap_or_else(|| panic!("no endpoint section: {}", run.stdout));
    let by_endpoint = summary["by_endpoint"].as_object().expect("by_endpoint");
    for (i, (name, c)) in by_endpoint.iter().enumerate() {
        let cells: Vec<&str> = lines[header + 1 + i].split_whitespace().collect();
        let expected = [
            name.clone(),
            c["total"].to_string(),
            c["active"].to_string(),
            c["inactive"].to_string(),
        ];
        assert_eq!(cells, expected, "{}", run.stdout);
    }

    let header = lines
        .iter()
        .position(|l| l.split_whitespace().eq(["DISCONNECT", "REASON", "COUNT"]))
        .unwrap_or_else(|| panic!("no reason section: {}", run.stdout));
    let by_reason = summary["by_reason"].as_object().expect("by_reason");
    let rows = &lines[header + 1..header + 1 + by_reason.len()];
    let mut last = u64::MAX;
    for row in rows {
        let cells: Vec<&str> = row.split_whitespace().collect();
        let [reason, n] = cells[..] else {
            panic!("{row:?}")
        };
        let n: u64 = n.parse().expect("a count");
        assert_eq!(count(&by_reason[reason]), n, "{row}");
        assert!(n <= last, "reasons are sorted by count, descending");
        last = n;
    }
}

#[test]
fn sandbox_summary_has_window_breakdowns_last_disconnects_and_duplicates() {
    let summary = sandbox_summary();
    let records =
        run_ok(xconn_sandbox().args(["list", "--status", "all", "-o", "ndjson"])).ndjson();
    let mut by_endpoint_reason: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut last: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut active: BTreeMap<String, u64> = BTreeMap::new();
    let mut times = Vec::new();
    for r in &records {
        let endpoint = r["endpoint_name"].as_str().unwrap().to_owned();
        times.push(r["connected_at"].as_str().unwrap().to_owned());
        match (r.get("disconnected_at"), r.get("disconnect_reason")) {
            (Some(at), Some(reason)) => {
                let (at, reason) = (at.as_str().unwrap(), reason.as_str().unwrap());
                times.push(at.to_owned());
                *by_endpoint_reason
                    .entry(endpoint.clone())
                    .or_default()
                    .entry(reason.to_owned())
                    .or_default() += 1;
                let entry = last.entry(endpoint).or_default();
                if at > entry.0.as_str() {
                    *entry = (at.to_owned(), reason.to_owned());
                }
            }
            _ => *active.entry(endpoint).or_default() += 1,
        }
    }
    times.sort();
    // Same format, same width: text order is time order.
    assert_eq!(summary["window"]["from"], times[0].as_str());
    assert_eq!(summary["window"]["to"], times[times.len() - 1].as_str());
    assert_eq!(summary["by_endpoint_reason"], json!(by_endpoint_reason));
    for (endpoint, (at, reason)) in &last {
        assert_eq!(summary["last_disconnect"][endpoint]["at"], at.as_str());
        assert_eq!(
            summary["last_disconnect"][endpoint]["reason"],
            reason.as_str()
        );
    }
    let duplicates: Vec<Value> = active
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(e, n)| json!({"endpoint": e, "active": n}))
        .collect();
    assert_eq!(summary["duplicates"], json!(duplicates));
    let text = run_ok(xconn_sandbox().arg("summary")).stdout;
    for d in &duplicates {
        assert!(
            text.contains(&format!(
                "duplicates: {} has {} active connections",
                d["endpoint"].as_str().unwrap(),
                d["active"]
            )),
            "{text}"
        );
    }
}

/// Two pages, each with a partial error beside its data.
fn pages_with_partial_errors(server: &MockServer) {
    let with_error = |mut body: Value, detail: &str| {
        body["errors"] = json!([{
            "type": "https://api.twitter.com/2/problems/resource-not-found",
            "title": "Not Found Error",
            "detail": detail,
        }]);
        body.to_string()
    };
    let first = with_error(page(2, Some("p2")), "first page");
    let second = with_error(page(1, None), "second page");
    server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param_missing("pagination_token");
        json_ok(then, first);
    });
    server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param("pagination_token", "p2");
        json_ok(then, second);
    });
}

#[test]
fn summary_reports_partial_errors_as_list_does() {
    let server = MockServer::start();
    pages_with_partial_errors(&server);
    let warnings = "warning: Not Found Error: first page\n\
                    warning: Not Found Error: second page\n";

    // Text: one warning per error on stderr, the exit code `list` gives.
    let list = run(xconn_mock(&server).args(["list", "--format", "ndjson"]));
    let summary = run(xconn_mock(&server).arg("summary"));
    assert_eq!(list.stderr, warnings, "{list:#?}");
    assert_eq!(summary.stderr, warnings, "{summary:#?}");
    assert_eq!(summary.code, list.code);
    assert_eq!(summary.code, Some(0));
    assert!(summary.stdout.starts_with("3 connections:"), "{summary:#?}");

    // JSON: the same `errors` array as `list --format json`.
    let list = run_code(xconn_mock(&server).args(["list", "--format", "json"]), 0);
    let summary = run_code(xconn_mock(&server).args(["summary", "--format", "json"]), 0);
    let doc = summary.json();
    assert_eq!(doc["total"], 3, "{doc}");
    assert_eq!(doc["errors"], list.json()["errors"]);
    assert_eq!(doc["errors"][1]["detail"], "second page", "{doc}");
}
