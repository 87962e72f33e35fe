//! The `xconn` binary, run as a user runs it.
//!
//! * Against the embedded sandbox (`--sandbox`): `summary` (text and JSON) agrees with
//!   what `list` yields record by record; `list` in its three formats, with `--fields`,
//!   `--limit`, `--status` and `--endpoint`; `endpoints`; `terminate`.
//! * Against an `httpmock` server: every exit code (2 usage, 3 API problem, 4 transport or
//!   timeout, 5 undecodable), each with one clear stderr line and never a panic; a usage
//!   error or a refused confirmation sends nothing (the mock counts zero requests).
//! * Token hygiene: every run with the secret token (verbose, failing, `--help`) is checked
//!   for the token on stdout and stderr; the mock proves it was sent as `Bearer <token>`.
//! * A reader that goes away (`xconn list | head -1`) is not a crash.
//!
//! No test touches anything but 127.0.0.1, none sleeps, every process is bounded by a
//! timeout.

mod timeline;
mod watch;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use httpmock::Then;
use httpmock::prelude::*;
use serde_json::{Value, json};
use xconn_ext::sandbox::{DISCONNECT_REASONS, ENDPOINTS};

/// The token given to the mock runs; it must never be printed.
const SECRET: &str = "tok-SECRET-12345";
/// The safety bound on one process.
const BOUND: Duration = Duration::from_secs(60);
const TABLE_HEADERS: [&str; 8] = [
    "ID",
    "ENDPOINT",
    "STATUS",
    "CONNECTED AT",
    "DISCONNECTED AT",
    "DURATION",
    "REASON",
    "CLIENT IP",
];

/// A config file that does not exist: no test reads the real user's config.
const NO_CONFIG: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/xconn-no-such-config.toml");

/// `xconn` with a clean environment (no token, no base URL, no profile, no
/// config file, no log filter).
fn xconn() -> Command {
    let mut cmd = Command::from_std(xconn_std());
    cmd.timeout(BOUND);
    cmd
}

/// [`xconn`] as a plain `std::process::Command`, for tests that spawn it and
/// talk to it while it runs (signals, live output).
fn xconn_std() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_xconn"));
    cmd.env_remove("X_BEARER_TOKEN")
        .env_remove("X_BEARER_TOKEN_FILE")
        .env_remove("X_API_BASE_URL")
        .env_remove("XCONN_PROFILE")
        .env("XCONN_CONFIG", NO_CONFIG)
        .env_remove("RUST_LOG")
        .env_remove("RUST_BACKTRACE");
    cmd
}

/// `xconn --base-url <mock> --token <SECRET>`.
fn xconn_mock(server: &MockServer) -> Command {
    let mut cmd = xconn();
    cmd.args(["--base-url", &server.base_url(), "--token", SECRET]);
    cmd
}

/// `xconn --sandbox`.
fn xconn_sandbox() -> Command {
    let mut cmd = xconn();
    cmd.arg("--sandbox");
    cmd
}

/// What one run gave.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The stderr of a failed run: exactly one line, starting `error: `.
    fn error_line(&self) -> &str {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one stderr line expected: {self:#?}");
        assert!(lines[0].starts_with("error: "), "{self:#?}");
        lines[0]
    }

    /// The [`error_line`](Self::error_line), which must say each of `parts`.
    fn error_says(&self, parts: &[&str]) -> &str {
        let line = self.error_line();
        for part in parts {
            assert!(line.contains(part), "{part:?} not in {line}");
        }
        line
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {self:#?}"))
    }

    fn ndjson(&self) -> Vec<serde_json::Map<String, Value>> {
        self.stdout
            .lines()
            .map(|line| match serde_json::from_str(line) {
                Ok(Value::Object(map)) => map,
                other => panic!("not a JSON object line ({other:?}): {line:?}"),
            })
            .collect()
    }
}

/// Run to completion and check what every run must satisfy: it finished within the
/// bound, it did not panic, and the secret token appears nowhere in its output.
fn run(cmd: &mut Command) -> Run {
    let output = cmd.output().expect("xconn starts");
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    };
    assert!(
        run.code.is_some(),
        "killed (timeout bound or signal): {run:#?}"
    );
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(SECRET), "the token was printed: {run:#?}");
        assert!(!text.contains("panicked"), "panic: {run:#?}");
        assert!(!text.contains("RUST_BACKTRACE"), "panic: {run:#?}");
    }
    run
}

/// Run and require `code`.
fn run_code(cmd: &mut Command, code: i32) -> Run {
    let run = run(cmd);
    assert_eq!(run.code, Some(code), "{run:#?}");
    run
}

/// Run and require success with a clean stderr.
fn run_ok(cmd: &mut Command) -> Run {
    let run = run_code(cmd, 0);
    assert_eq!(run.stderr, "", "{run:#?}");
    run
}

/// A mock answering anything with 500, to count requests that must not happen.
fn catch_all(server: &MockServer) -> httpmock::Mock<'_> {
    server.mock(|when, then| {
        when.any_request();
        then.status(500);
    })
}

/// One connection as the API sends it.
fn wire_connection(i: usize) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{i:012}"),
        "endpoint_name": "filtered_stream",
        "client_ip": "203.0.113.7",
        "connected_at": "2025-05-01T00:00:00.000Z",
    })
}

/// A `GET /2/connections` page of `n` connections.
fn page(n: usize, next_token: Option<&str>) -> Value {
    let mut meta = json!({ "result_count": n });
    if let Some(token) = next_token {
        meta["next_token"] = json!(token);
    }
    json!({
        "data": (0..n).map(wire_connection).collect::<Vec<_>>(),
        "meta": meta,
    })
}

/// Answer 200 with the JSON `body`.
fn json_ok(then: Then, body: impl AsRef<[u8]>) -> Then {
    then.status(200)
        .header("content-type", "application/json")
        .body(body)
}

/// Answer `status` with the problem (RFC 7807) `body`.
fn problem_json(then: Then, status: u16, body: impl AsRef<[u8]>) -> Then {
    then.status(status)
        .header("content-type", "application/problem+json")
        .body(body)
}

/// The `x-rate-limit-*` headers of a window of `limit` requests with
/// `remaining` left, resetting `reset_in` seconds from now.
fn window(then: Then, limit: u32, remaining: u32, reset_in: u64) -> Then {
    then.header("x-rate-limit-limit", limit.to_string())
        .header("x-rate-limit-remaining", remaining.to_string())
        .header("x-rate-limit-reset", (unix_now() + reset_in).to_string())
}

/// A port nothing listens on: bound, read, released.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// `xconn --sandbox summary --format json`.
fn sandbox_summary() -> Value {
    run_ok(xconn_sandbox().args(["summary", "--format", "json"])).json()
}

/// A full connection UUID (8-4-4-4-12 hex digits), not a cut one.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// RFC 3339 in UTC with `Z`, as every format prints timestamps.
fn is_rfc3339_utc(s: &str) -> bool {
    s.ends_with('Z') && s.contains('T') && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

fn count(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("not a count: {value}"))
}

// ---------------------------------------------------------------------------------------
// Sandbox
// ---------------------------------------------------------------------------------------

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
        assert_eq!(keys, ["endpoint_name", "id"], "{r:?}");
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
fn endpoints_prints_the_14_names() {
    // Needs neither a token nor a server.
    let run = run_ok(xconn().arg("endpoints"));
    let names: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(names, ENDPOINTS);
}

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
fn terminate_without_yes_and_without_a_terminal_refuses_and_sends_nothing() {
    let server = MockServer::start();
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
    assert_eq!(any.calls(), 0, "nothing may be sent");
}

// ---------------------------------------------------------------------------------------
// Exit codes against a mock
// ---------------------------------------------------------------------------------------

#[test]
fn usage_errors_exit_2_and_send_nothing() {
    let server = MockServer::start();
    let any = catch_all(&server);
    let cases: &[(&[&str], &str)] = &[
        (&["list", "--max-results", "0"], "invalid --max-results"),
        (&["list", "--max-results", "101"], "invalid --max-results"),
        (&["list", "--endpoint", "nope_stream"], "nope_stream"),
        (&["summary", "--endpoint", "nope_stream"], "nope_stream"),
        (
            &["terminate", "--endpoint", "nope_stream", "--yes"],
            "nope_stream",
        ),
        (&["list", "--fields", "id,nope"], "nope"),
        (&["list", "--status", "bogus"], "bogus"),
        (&["list", "--limit", "0"], "0"),
        (&["list", "--timeout", "0"], "0"),
        (&["list", "--format", "xml"], "xml"),
        (&["terminate", "--yes"], "--all"),
        (
            &[
                "terminate",
                "--all",
                "--endpoint",
                "filtered_stream",
                "--yes",
            ],
            "--all",
        ),
        (&["frobnicate"], "frobnicate"),
        (
            &[
                "terminate",
                "--endpoint",
                "filtered_stream",
                "--endpoint",
                "sample_stream",
                "--yes",
            ],
            "--duplicates",
        ),
        (
            &["terminate", "--all", "--keep", "2", "--yes"],
            "--duplicates",
        ),
        (
            &["terminate", "--duplicates", "--keep", "0", "--yes"],
            "--keep",
        ),
        (
            &[
                "list",
                "--endpoint",
                "filtered_stream",
                "--endpoint",
                "filtered_stream",
            ],
            "twice",
        ),
        (&["list", "--fields", "id,id"], "twice"),
    ];
    for (args, mentions) in cases {
        let run = run_code(xconn_mock(&server).args(*args), 2);
        assert!(run.stderr.contains(mentions), "{args:?}: {run:#?}");
        assert_eq!(run.stdout, "", "{args:?}");
    }
    assert_eq!(any.calls(), 0, "nothing may be sent");
}

#[test]
fn a_missing_or_unusable_token_exits_2_and_sends_nothing() {
    let server = MockServer::start();
    let any = catch_all(&server);
    for args in [
        &["list"][..],
        &["summary"],
        &["terminate", "--all", "--yes"],
    ] {
        let run = run_code(
            xconn().args(["--base-url", &server.base_url()]).args(args),
            2,
        );
        run.error_says(&["token", "X_BEARER_TOKEN"]);
    }
    // An empty token from the environment is no token.
    let run = run_code(
        xconn()
            .env("X_BEARER_TOKEN", "  ")
            .args(["--base-url", &server.base_url(), "list"]),
        2,
    );
    assert_eq!(
        run.error_line(),
        "error: the bearer token from X_BEARER_TOKEN is empty"
    );
    // A token that cannot be a header line is refused without echoing it,
    // naming where it came from.
    let run = run_code(
        xconn().args([
            "--base-url",
            &server.base_url(),
            "--token",
            &format!("{SECRET}\nX-Evil: 1"),
            "list",
        ]),
        2,
    );
    assert!(
        run.error_line()
            .contains("invalid bearer token from --token: contains characters"),
        "{run:#?}"
    );
    assert_eq!(any.calls(), 0, "nothing may be sent");
}

#[test]
fn plain_http_to_a_remote_host_exits_2() {
    let run = run_code(
        xconn().args([
            "--base-url",
            "http://example.invalid",
            "--token",
            SECRET,
            "list",
        ]),
        2,
    );
    run.error_says(&["invalid --base-url", "--allow-insecure-http"]);
}

#[test]
fn unauthorized_exits_3_with_one_line_and_is_not_retried() {
    let server = MockServer::start();
    let unauthorized = server.mock(|when, then| {
        when.any_request();
        problem_json(then, 401, unauthorized_body());
    });
    // Default retries: a 401 is final.
    for args in [
        &["list"][..],
        &["summary"],
        &["terminate", "--all", "--yes"],
    ] {
        let run = run_code(xconn_mock(&server).args(args), 3);
        run.error_says(&["Unauthorized", "401"]);
    }
    assert_eq!(unauthorized.calls(), 3, "one request per command, no retry");
}

#[test]
fn rate_limited_exits_3_and_says_when_to_retry() {
    let server = MockServer::start();
    let limited = server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        let then = then
            .status(429)
            .header("content-type", "application/json; charset=utf-8");
        let body = r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#;
        window(then, 50, 0, 30).body(body);
    });
    let run = run_code(xconn_mock(&server).args(["--max-retries", "0", "list"]), 3);
    run.error_says(&["rate limited", "retry", "Too Many Requests"]);
    assert_eq!(limited.calls(), 1);
}

#[test]
fn usage_capped_exits_3_says_waiting_will_not_help_and_is_not_retried() {
    let server = MockServer::start();
    let capped = server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        let body = r#"{"account_id":"1","product_name":"standard-basic","title":"UsageCapExceeded","period":"Monthly","scope":"Product","detail":"Usage cap exceeded: Monthly product cap","type":"https://api.twitter.com/2/problems/usage-capped"}"#;
        window(problem_json(then, 429, body), 500, 499, 5);
    });
    // Default retries (2): a spent cap must not be retried.
    let run = run_code(xconn_mock(&server).arg("summary"), 3);
    let line = run.error_says(&["usage cap", "waiting will not help"]);
    assert!(!line.contains("retry in"), "{line}");
    assert!(!line.contains("rate limited"), "{line}");
    assert_eq!(capped.calls(), 1, "a usage cap is never retried");
}

#[test]
fn invalid_request_exits_3_and_surfaces_the_errors_messages() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        let body = r#"{"errors":[{"parameters":{"max_results":["1000"]},"message":"The `max_results` query parameter value [1000] is not between 1 and 100"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}"#;
        problem_json(then, 400, body);
    });
    let run = run_code(xconn_mock(&server).arg("list"), 3);
    run.error_says(&[
        "Invalid Request",
        "The `max_results` query parameter value [1000] is not between 1 and 100",
    ]);
}

/// A listing whose first page holds `n` connections (with 41 requests left
/// in the rate-limit window) and points to `p2`, which the API refuses (401).
fn refused_after_first_page(server: &MockServer, n: usize) {
    server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param_missing("pagination_token");
        json_ok(then, page(n, Some("p2")).to_string()).header("x-rate-limit-remaining", "41");
    });
    server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param("pagination_token", "p2");
        problem_json(then, 401, unauthorized_body());
    });
}

#[test]
fn an_error_after_the_first_page_still_prints_a_valid_json_document() {
    let server = MockServer::start();
    refused_after_first_page(&server, 4);
    let run = run_code(xconn_mock(&server).args(["list", "--format", "json"]), 3);
    assert!(run.error_line().contains("Unauthorized"));
    let doc = run.json();
    assert_eq!(doc["data"].as_array().map(Vec::len), Some(4));
    assert_eq!(doc["meta"]["result_count"], 4);
    assert_eq!(doc["error"]["exit_code"], 3, "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("401")),
        "{doc}"
    );
    assert!(run.error_line().contains("incomplete: 4 connection(s)"));

    // ndjson and csv: the records read, then the error on stderr.
    let run = run_code(xconn_mock(&server).args(["list", "-o", "ndjson"]), 3);
    assert_eq!(run.ndjson().len(), 4);
    assert!(run.error_line().contains("Unauthorized"));
    let run = run_code(xconn_mock(&server).args(["list", "-o", "csv"]), 3);
    assert_eq!(run.stdout.lines().count(), 1 + 4, "{run:#?}");
    assert!(run.error_line().contains("incomplete"));
}

#[test]
fn a_closed_port_exits_4() {
    let port = closed_port();
    let run = run_code(
        xconn().args([
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "--token",
            SECRET,
            "--max-retries",
            "0",
            "list",
        ]),
        4,
    );
    assert!(run.error_line().contains("transport"), "{run:#?}");
}

#[test]
fn a_slow_server_exits_4_after_the_timeout() {
    let server = MockServer::start();
    let slow = server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        // A good answer, too late: without the timeout the run would succeed.
        then.status(200)
            .header("content-type", "application/json")
            .body(page(1, None).to_string())
            .delay(Duration::from_secs(3));
    });
    let run = run_code(
        xconn_mock(&server).args(["--timeout", "0.2", "--max-retries", "0", "list"]),
        4,
    );
    assert!(run.error_line().contains("timed out"), "{run:#?}");
    assert_eq!(slow.calls(), 1);
}

#[test]
fn an_html_200_exits_5() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        then.status(200)
            .header("content-type", "text/html")
            .body("<html><body><h1>Welcome</h1>\n<p>captive portal</p></body></html>");
    });
    let run = run_code(xconn_mock(&server).arg("list"), 5);
    let line = run.error_line();
    assert!(line.contains("could not decode"), "{line}");
    assert!(line.contains("<html>"), "the body excerpt helps: {line}");
}

#[test]
fn a_json_200_of_the_wrong_shape_exits_5_and_names_the_path() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        json_ok(then, r#"{"data":[{"endpoint_name":"filtered_stream","connected_at":12345}],"meta":{"result_count":1}}"#);
    });
    for args in [&["list"][..], &["summary"]] {
        let run = run_code(xconn_mock(&server).args(args), 5);
        run.error_says(&["data[0].connected_at"]);
    }
}

// ---------------------------------------------------------------------------------------
// Token hygiene
// ---------------------------------------------------------------------------------------

#[test]
fn the_token_is_sent_as_a_bearer_header_and_never_printed() {
    let server = MockServer::start();
    let authorized = server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .header("authorization", format!("Bearer {SECRET}"));
        then.status(200)
            .header("content-type", "application/json; charset=utf-8")
            .body(page(2, None).to_string());
    });
    let run = run_ok(xconn_mock(&server).args(["list", "--format", "ndjson"]));
    assert_eq!(run.ndjson().len(), 2);

    // Verbose runs log to stderr, still without the token; so does a catch-all filter.
    let run = run_code(xconn_mock(&server).args(["-vv", "list"]), 0);
    assert_eq!(run.stdout.lines().count(), 1 + 2);
    let run = run_code(
        xconn_mock(&server)
            .env("RUST_LOG", "trace")
            .args(["-vv", "summary"]),
        0,
    );
    assert!(!run.stderr.is_empty(), "trace logging is on");

    // From the environment too.
    run_ok(
        xconn()
            .env("X_BEARER_TOKEN", SECRET)
            .env("X_API_BASE_URL", server.base_url())
            .arg("list"),
    );
    assert_eq!(
        authorized.calls(),
        4,
        "every request carried the bearer token"
    );
}

#[test]
fn verbose_failing_runs_do_not_print_the_token() {
    let server = MockServer::start();
    let unauthorized = server.mock(|when, then| {
        when.any_request()
            .header("authorization", format!("Bearer {SECRET}"));
        problem_json(then, 401, unauthorized_body());
    });
    for args in [&["-vv", "list"][..], &["-v", "terminate", "--all", "--yes"]] {
        let run = run_code(xconn_mock(&server).env("RUST_LOG", "trace").args(args), 3);
        assert!(run.stderr.contains("Unauthorized"), "{run:#?}");
    }
    assert_eq!(unauthorized.calls(), 2);

    // Transport failures and timeouts name the URL, never the token.
    let port = closed_port();
    let run = run_code(
        xconn().args([
            "-vv",
            "--max-retries",
            "0",
            "--token",
            SECRET,
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "list",
        ]),
        4,
    );
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{port}")),
        "{run:#?}"
    );
}

#[test]
fn help_never_shows_the_token_from_the_environment() {
    for args in [
        &["--help"][..],
        &["list", "--help"],
        &["terminate", "--help"],
        &["-h"],
    ] {
        let run = run_ok(xconn().env("X_BEARER_TOKEN", SECRET).args(args));
        assert!(run.stdout.contains("X_BEARER_TOKEN"), "{args:?}: {run:#?}");
    }
    // A usage error with the token in the environment: clap's message, no token.
    let run = run_code(
        xconn()
            .env("X_BEARER_TOKEN", SECRET)
            .args(["list", "--max-results", "many"]),
        2,
    );
    assert!(run.stderr.contains("many"), "{run:#?}");
    run_ok(xconn().env("X_BEARER_TOKEN", SECRET).arg("--version"));
}

// ---------------------------------------------------------------------------------------
// A reader that goes away
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// Operating: honest terminate outcomes, duplicates, dry runs (issue 14)
// ---------------------------------------------------------------------------------------

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

fn unauthorized_body() -> &'static str {
    r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#
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
    let get = mock_active(&server);
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

    let run = run_ok(xconn_mock(&server).args([
        "terminate",
        "--uuid",
        "x-1",
        "--uuid",
        "x-2",
        "--uuid",
        "x-1",
        "--dry-run",
    ]));
    assert!(
        run.stdout
            .starts_with("dry run: would terminate 2 connection(s) at 127.0.0.1:"),
        "{run:#?}"
    );
    assert!(run.stdout.contains("x-2"), "{run:#?}");

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

// ---------------------------------------------------------------------------------------
// Listing: fields, UUIDs, timestamps, csv, -o
// ---------------------------------------------------------------------------------------

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
    let chosen = asked("connected_at,id,endpoint_name");
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
            "id,endpoint_name,status,connected_at,disconnected_at,duration_secs,disconnect_reason,client_ip",
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

// ---------------------------------------------------------------------------------------
// Troubleshooting: summary
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------

/// A mock that answers one empty page only to `Bearer <token>`.
fn mock_for_token<'a>(server: &'a MockServer, token: &str) -> httpmock::Mock<'a> {
    let header = format!("Bearer {token}");
    server.mock(move |when, then| {
        when.method(GET)
            .path("/2/connections")
            .header("authorization", header.clone());
        json_ok(then, json!({"meta": {"result_count": 0}}).to_string());
    })
}

#[test]
fn the_token_comes_from_a_file_stdin_or_the_environment_flags_first() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{SECRET}-file \n\n")).unwrap();
    let file = file.to_str().unwrap();
    let server = MockServer::start();
    let from_file = mock_for_token(&server, &format!("{SECRET}-file"));
    let from_env = mock_for_token(&server, &format!("{SECRET}-env"));
    let from_stdin = mock_for_token(&server, &format!("{SECRET}-stdin"));
    let base = ["--base-url".to_owned(), server.base_url()];

    run_ok(xconn().args(&base).args(["--token-file", file, "list"]));
    // A flag beats the environment.
    run_ok(
        xconn()
            .env("X_BEARER_TOKEN", format!("{SECRET}-env"))
            .args(&base)
            .args(["--token-file", file, "list"]),
    );
    run_ok(
        xconn()
            .env("X_BEARER_TOKEN_FILE", file)
            .args(&base)
            .arg("list"),
    );
    run_ok(
        xconn()
            .env("X_BEARER_TOKEN", format!("{SECRET}-env"))
            .args(&base)
            .arg("list"),
    );
    run_ok(
        xconn()
            .args(&base)
            .args(["--token-file", "-", "list"])
            .write_stdin(format!("{SECRET}-stdin\n")),
    );
    assert_eq!(
        (from_file.calls(), from_env.calls(), from_stdin.calls()),
        (3, 1, 1)
    );

    let run = run_code(
        xconn()
            .args(&base)
            .args(["--token", SECRET, "--token-file", file, "list"]),
        2,
    );
    assert!(run.stderr.contains("--token-file"), "{run:#?}");
    let run = run_code(
        xconn().args(&base).args([
            "--token-file",
            dir.path().join("none").to_str().unwrap(),
            "list",
        ]),
        2,
    );
    assert!(run.error_line().contains("cannot read --token-file"));
}

#[test]
fn profiles_come_after_flags_and_environment_and_never_hold_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start();
    std::fs::write(dir.path().join("prod.token"), format!("{SECRET}-prod\n")).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles.prod]\nbase_url = \"{}\"\ntoken_file = \"prod.token\"\n",
            server.base_url()
        ),
    )
    .unwrap();
    let prod = mock_for_token(&server, &format!("{SECRET}-prod"));
    let env = mock_for_token(&server, &format!("{SECRET}-env"));
    let with_config = || {
        let mut cmd = xconn();
        cmd.env("XCONN_CONFIG", &config);
        cmd
    };
    run_ok(with_config().args(["--profile", "prod", "list"]));
    run_ok(with_config().env("XCONN_PROFILE", "prod").arg("list"));
    // The environment beats the profile.
    run_ok(
        with_config()
            .env("X_BEARER_TOKEN", format!("{SECRET}-env"))
            .args(["--profile", "prod", "list"]),
    );
    assert_eq!((prod.calls(), env.calls()), (2, 1));

    let run = run_code(with_config().args(["--profile", "staging", "list"]), 2);
    let line = run.error_line();
    assert!(
        line.contains("unknown profile `staging`") && line.contains("prod"),
        "{line}"
    );

    std::fs::write(&config, format!("[profiles.prod]\ntoken = \"{SECRET}\"\n")).unwrap();
    let run = run_code(with_config().args(["--profile", "prod", "list"]), 2);
    assert!(run.error_line().contains("never stored in clear"));
}

#[test]
fn sandbox_refuses_credentials_flags_and_ignores_the_environment() {
    for flags in [
        &["--base-url", "https://api.x.com"][..],
        &["--token", SECRET],
        &["--token-file", "/dev/null"],
    ] {
        let run = run_code(xconn().arg("--sandbox").args(flags).arg("list"), 2);
        assert!(run.stderr.contains("--sandbox"), "{run:#?}");
    }
    run_ok(
        xconn()
            .env("X_BEARER_TOKEN", SECRET)
            .env("X_BEARER_TOKEN_FILE", "/no/such/file")
            .env("X_API_BASE_URL", "http://example.invalid")
            .args(["--sandbox", "list", "--limit", "1"]),
    );
}

#[test]
fn allow_insecure_http_lets_a_plain_http_proxy_carry_the_token() {
    let server = MockServer::start();
    let ok = mock_for_token(&server, SECRET);
    // 0.0.0.0 is not loopback to the URL check, yet reaches this machine.
    let url = format!("http://0.0.0.0:{}", server.port());
    let run = run_code(
        xconn().args(["--base-url", &url, "--token", SECRET, "list"]),
        2,
    );
    assert!(run.error_line().contains("--allow-insecure-http"));
    run_ok(xconn().args([
        "--base-url",
        &url,
        "--token",
        SECRET,
        "--allow-insecure-http",
        "list",
    ]));
    assert_eq!(ok.calls(), 1);
}

#[test]
fn a_401_says_where_the_token_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, SECRET).unwrap();
    let server = MockServer::start();
    server.mock(|when, then| {
        when.any_request();
        problem_json(then, 401, unauthorized_body());
    });
    let run = run_code(
        xconn().args([
            "--base-url",
            &server.base_url(),
            "--token-file",
            file.to_str().unwrap(),
            "list",
        ]),
        3,
    );
    let line = run.error_line();
    assert!(
        line.contains(&format!(
            "the token came from --token-file {}",
            file.display()
        )),
        "{line}"
    );
    let run = run_code(
        xconn()
            .env("X_BEARER_TOKEN", SECRET)
            .args(["--base-url", &server.base_url(), "list"]),
        3,
    );
    assert!(
        run.error_line()
            .contains("the token came from X_BEARER_TOKEN")
    );
}

// ---------------------------------------------------------------------------------------
// Diagnostics and documentation
// ---------------------------------------------------------------------------------------

#[test]
fn verbose_logs_one_line_per_http_attempt() {
    let server = MockServer::start();
    refused_after_first_page(&server, 1);
    let run = run_code(xconn_mock(&server).args(["-v", "list", "-o", "ndjson"]), 3);
    let attempts: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("xconn_ext::http"))
        .collect();
    assert_eq!(attempts.len(), 2, "{run:#?}");
    assert!(
        attempts[0].contains("method=\"GET\"") || attempts[0].contains("method=GET"),
        "{}",
        attempts[0]
    );
    assert!(attempts[0].contains("status=200"), "{}", attempts[0]);
    assert!(
        attempts[0].contains("rate_limit_remaining=41"),
        "{}",
        attempts[0]
    );
    assert!(attempts[0].contains("latency_ms="), "{}", attempts[0]);
    assert!(attempts[1].contains("status=401"), "{}", attempts[1]);
    assert!(
        attempts[1].contains("pagination_token=p2"),
        "path and query: {}",
        attempts[1]
    );
    assert!(attempts[1].contains("retry=\"give_up\""), "{}", attempts[1]);
    assert!(!run.stderr.contains(SECRET), "the token is never logged");
    // Without -v: nothing but the error.
    let run = run_code(xconn_mock(&server).args(["list", "-o", "ndjson"]), 3);
    assert!(!run.stderr.contains("xconn_ext::http"));
}

#[test]
fn an_unknown_endpoint_suggests_the_closest() {
    let run = run_code(xconn().args(["list", "--endpoint", "filtred_stream"]), 2);
    assert!(
        run.stderr.contains("did you mean `filtered_stream`"),
        "{run:#?}"
    );
}

#[test]
fn help_documents_exit_codes_examples_and_global_options() {
    let help = run_ok(xconn().arg("--help")).stdout;
    for code in 0..=6 {
        assert!(
            help.contains(&format!("\n  {code}  ")),
            "exit code {code}: {help}"
        );
    }
    assert!(help.contains("Global options:"), "{help}");
    for command in [
        "list",
        "summary",
        "terminate",
        "endpoints",
        "completions",
        "man",
    ] {
        let help = run_ok(xconn().args([command, "--help"])).stdout;
        assert!(help.contains("Examples:"), "{command}: {help}");
        let global = help.find("Global options:").expect("global heading");
        let own = help.find("Options:").expect("own options");
        assert!(
            own < global,
            "{command}: the command's own options come first"
        );
    }
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = run_ok(xconn().args(["completions", shell]));
        assert!(run.stdout.contains("terminate"), "{shell}");
        assert!(run.stdout.contains("--duplicates"), "{shell}");
    }
    let man = run_ok(xconn().arg("man")).stdout;
    assert!(man.starts_with(".ie") || man.contains(".TH xconn"), "{man}");
    assert!(man.contains("terminate"));
}

/// The `list` help takes its facts from the spec and the typed enums: the
/// `--max-results` range and the `--status` values.
#[test]
fn list_help_states_the_spec_facts() {
    let output = xconn().args(["list", "--help"]).output().expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).expect("utf-8");
    let range = format!(
        "Records per page ({}-{})",
        xconn_sdk::spec::MAX_RESULTS_MIN,
        xconn_sdk::spec::MAX_RESULTS_MAX
    );
    assert!(help.contains(&range), "{help}");
    let values = format!(
        "[possible values: {}]",
        xconn_ext::ConnectionStatus::NAMES.join(", ")
    );
    assert!(help.contains(&values), "{help}");
}
