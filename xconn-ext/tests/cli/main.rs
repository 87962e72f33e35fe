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
//!
//! One module per command (`list`, `summary`, `terminate`, `watch`; `help` for
//! `endpoints`, help, completions and the man page), and two across commands
//! (`exit_codes`, `credentials`); this file holds the helpers they share, and
//! `xconn-test-support` those shared with the workspace's `tests/it`.

mod credentials;
mod dry_run;
mod exit_codes;
mod filters;
mod help;
mod list;
mod operator_credentials;
mod pty;
mod sandbox_serve;
mod summary;
mod summary_honesty;
mod terminate;
mod timeline;
mod usage;
mod watch;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::Command;
use httpmock::Then;
use httpmock::prelude::*;
use serde_json::{Value, json};
use xconn_ext::sandbox::{DISCONNECT_REASONS, ENDPOINTS};
use xconn_test_support::{closed_port, json_ok, unix_now};

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

/// Write a token file readable only by its owner (as the README asks), so
/// that no permission warning is printed.
fn write_secret(path: &std::path::Path, content: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, content).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
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

/// A 401 problem (RFC 7807) body.
fn unauthorized_body() -> &'static str {
    r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#
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
