//! `xconn watch`, run as a user runs it.
//!
//! * Usage errors (interval below 1 s, `--terminate-duplicates` without
//!   `--yes`) exit 2 naming the flag, before anything is sent.
//! * Against the embedded sandbox (with churn): ndjson events in the
//!   issue's shape, written as they happen; the guard's terminations;
//!   `/metrics` on a port the OS chose, its values, and Prometheus's own
//!   linter (`promtool check metrics`); clean exit 0 on SIGINT and SIGTERM.
//! * Against a mock: a refused token ends the watch with exit 3.
//! * The shipped alert rules pass `promtool check rules` and their unit tests
//!   (`promtool test rules`).
//!
//! Nothing waits by sleeping: each step waits for a line of the process's
//! output, every wait is bounded, and a process that outlives its test is
//! killed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use httpmock::prelude::*;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use xconn_ext::StreamEndpoint;
use xconn_test_support::sorted_keys;

/// The bound on any one wait.
const BOUND: Duration = Duration::from_secs(30);

/// A running `xconn` whose output arrives line by line on channels.
pub(super) struct Running {
    child: Option<Child>,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

fn lines(source: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn xconn(args: &[&str]) -> Command {
    let mut cmd = super::xconn_std();
    cmd.args(args);
    cmd
}

pub(super) fn start(args: &[&str]) -> Running {
    let mut child = xconn(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xconn starts");
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = lines(child.stderr.take().unwrap());
    Running {
        child: Some(child),
        stdout,
        stderr,
    }
}

/// The first line from `lines` that `accept`s, within the bound.
fn first_line_where(lines: &mpsc::Receiver<String>, accept: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + BOUND;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines.recv_timeout(left).expect("the line within the bound");
        if accept(&line) {
            return line;
        }
    }
}

impl Running {
    pub(super) fn line(&self) -> String {
        self.stdout
            .recv_timeout(BOUND)
            .expect("a line on stdout within the bound")
    }

    /// The first stdout line that `accept`s, within the bound.
    fn line_where(&self, accept: impl Fn(&str) -> bool) -> String {
        first_line_where(&self.stdout, accept)
    }

    /// The first stderr line that `accept`s, within the bound.
    fn stderr_line_where(&self, accept: impl Fn(&str) -> bool) -> String {
        first_line_where(&self.stderr, accept)
    }

    pub(super) fn signal(&self, signal: Signal) {
        let pid = self.child.as_ref().unwrap().id();
        kill(Pid::from_raw(i32::try_from(pid).unwrap()), signal).expect("signal sent");
    }

    /// Wait for the exit, within the bound.
    pub(super) fn exit(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let pid = child.id();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        match rx.recv_timeout(BOUND) {
            Ok(status) => status.unwrap(),
            Err(_) => {
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
                panic!("xconn did not exit within {BOUND:?}");
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn rfc3339(value: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(value.as_str().expect("a string"))
        .unwrap_or_else(|e| panic!("{value} is not RFC 3339: {e}"))
}

#[test]
fn usage_errors_exit_2_and_name_the_flag() {
    let server = MockServer::start();
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(200);
    });
    let base = server.base_url();
    for (args, flag) in [
        (vec!["watch", "--interval", "0.5"], "--interval"),
        (vec!["watch", "--interval", "soon"], "--interval"),
        (vec!["watch", "--terminate-duplicates"], "--yes"),
        (vec!["watch", "--keep", "2"], "--terminate-duplicates"),
        (
            vec!["watch", "--terminate-duplicates", "--yes", "--keep", "0"],
            "--keep",
        ),
        (vec!["watch", "--endpoint", "nope_stream"], "--endpoint"),
        (
            vec!["watch", "--metrics-addr", "256.0.0.1:0"],
            "--metrics-addr",
        ),
    ] {
        let output = xconn(&["--base-url", &base, "--token", "t"])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
    assert_eq!(any.calls(), 0, "nothing was sent");
}

#[test]
fn ndjson_events_as_they_happen_then_sigint_exits_0() {
    let run = start(&["--sandbox", "watch", "--interval", "1", "-o", "ndjson"]);
    // The baseline.
    let first: Value = serde_json::from_str(&run.line()).unwrap();
    assert_eq!(first["event"], "active");
    rfc3339(&first["at"]);
    let connection = first["connection"].as_object().unwrap();
    for field in ["id", "endpoint_name", "client_ip", "connected_at"] {
        assert!(connection.contains_key(field), "{first}");
    }
    assert!(!connection.contains_key("disconnected_at"), "{first}");
    // The sandbox churns: a disconnect arrives within seconds, with the
    // API's time and reason.
    let line = run.line_where(|l| l.contains(r#""event":"disconnected""#));
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(sorted_keys(&event), ["at", "connection", "event"]);
    assert!(
        line.starts_with(r#"{"event":"disconnected","at":"#),
        "{line}"
    );
    let c = &event["connection"];
    assert_eq!(rfc3339(&event["at"]), rfc3339(&c["disconnected_at"]));
    assert!(
        c["disconnect_reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    assert!(rfc3339(&c["connected_at"]) < rfc3339(&c["disconnected_at"]));
    run.signal(Signal::SIGINT);
    assert_eq!(run.exit().code(), Some(0));
}

#[test]
fn text_lines_then_sigterm_exits_0() {
    let run = start(&["--sandbox", "watch", "--interval", "1"]);
    let line = run.line();
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[1], "active", "{line}");
    assert!(fields[2].parse::<StreamEndpoint>().is_ok(), "{line}");
    run.signal(Signal::SIGTERM);
    assert_eq!(run.exit().code(), Some(0));
}

#[test]
fn the_guard_terminates_duplicates() {
    let run = start(&[
        "--sandbox",
        "watch",
        "--interval",
        "1",
        "--terminate-duplicates",
        "--keep",
        "1",
        "--yes",
        "-o",
        "ndjson",
    ]);
    let line = run.line_where(|l| l.contains(r#""event":"terminated""#));
    let event: Value = serde_json::from_str(&line).unwrap();
    let id = event["connection"]["id"].as_str().unwrap().to_owned();
    // The next poll sees it end, as an operator's disconnect.
    let ended = run.line_where(|l| l.contains(r#""event":"disconnected""#) && l.contains(&id));
    assert!(ended.contains("operator_disconnect"), "{ended}");
    // Its time never goes back: the watch dates the termination on the
    // sandbox's clock, the one the sandbox dates the disconnect by.
    let ended: Value = serde_json::from_str(&ended).unwrap();
    assert!(
        rfc3339(&ended["at"]) >= rfc3339(&event["at"]),
        "terminated at {}, disconnected at {}",
        event["at"],
        ended["at"]
    );
    run.signal(Signal::SIGTERM);
    assert_eq!(run.exit().code(), Some(0));
}

#[test]
fn a_refused_token_or_a_spent_cap_ends_the_watch_with_exit_3() {
    let usage_capped = r#"{"title":"UsageCapExceeded","type":"https://api.twitter.com/2/problems/usage-capped","period":"Monthly","scope":"Product","detail":"Usage cap exceeded: Monthly product cap"}"#;
    let unauthorized =
        r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#;
    for (status, body, says) in [(401, unauthorized, "401"), (429, usage_capped, "usage cap")] {
        let server = MockServer::start();
        let refused = server.mock(|when, then| {
            when.method(GET).path("/2/connections");
            then.status(status)
                .header("content-type", "application/problem+json")
                .body(body);
        });
        let output = xconn(&[
            "--base-url",
            &server.base_url(),
            "--token",
            "wrong",
            "watch",
        ])
        .output()
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert!(!stderr.contains("wrong"), "the token is never printed");
        assert_eq!(refused.calls(), 1, "not retried");
    }
}

/// `GET /metrics` over a plain socket.
fn scrape(url: &str) -> String {
    let authority = url
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .expect("an http://HOST:PORT/metrics URL");
    let mut stream = TcpStream::connect(authority).unwrap();
    stream.set_read_timeout(Some(BOUND)).unwrap();
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {authority}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain"),
        "{head}"
    );
    body.to_owned()
}

/// The value of the sample `name{labels}` (exact label text), if present.
fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let (key, value) = line.rsplit_once(' ')?;
        (key == series).then(|| value.parse().ok()).flatten()
    })
}

/// Runs `promtool args` (fed `stdin`), requires success, and gives its stdout.
/// Whether Prometheus's `promtool` is here. In CI (`CI` set) it must be:
/// `.ci/run` installs it, and its absence fails the test. On a
/// developer's machine without it, the promtool checks are skipped with a
/// notice, so that `cargo test --workspace` works on a new machine.
fn have_promtool() -> bool {
    let found = Command::new("promtool")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool (Debian's `prometheus` package) must be installed in CI; .ci/run installs it"
        );
        eprintln!("skipped: promtool is not installed (apt-get install prometheus)");
    }
    found
}

fn promtool(args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new("promtool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let output = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "promtool {}:\n{out}{}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr),
        stdin.unwrap_or_default()
    );
    out
}

#[test]
fn metrics_are_served_right_and_pass_promtool() {
    let run = start(&[
        "--sandbox",
        "watch",
        "--interval",
        "1",
        "-o",
        "ndjson",
        "--metrics-addr",
        "127.0.0.1:0",
    ]);
    let announced = run.stderr_line_where(|l| l.contains("/metrics"));
    let url = announced
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    assert!(!url.ends_with(":0/metrics"), "the bound port: {url}");
    // Counted before it is printed: once this line is out, it is in.
    let line = run.line_where(|l| l.contains(r#""event":"disconnected""#));
    let event: Value = serde_json::from_str(&line).unwrap();
    let endpoint = event["connection"]["endpoint_name"].as_str().unwrap();
    let reason = event["connection"]["disconnect_reason"].as_str().unwrap();
    let exposition = scrape(&url);

    let series = format!(r#"xconn_disconnects_total{{endpoint="{endpoint}",reason="{reason}"}}"#);
    assert!(
        sample(&exposition, &series).is_some_and(|n| n >= 1.0),
        "{series} in\n{exposition}"
    );
    // A poll was completed before the disconnect was seen (the baseline).
    assert!(sample(&exposition, "xconn_polls_total").is_some_and(|n| n >= 1.0));
    assert_eq!(sample(&exposition, "xconn_poll_errors_total"), Some(0.0));
    let remaining = sample(&exposition, "xconn_rate_limit_remaining").expect("the gauge");
    assert!((0.0..300.0).contains(&remaining), "{remaining}");
    // Every known endpoint has its gauge, zeros included.
    let mut total = 0.0;
    for name in StreamEndpoint::NAMES {
        let value = sample(
            &exposition,
            &format!(r#"xconn_active_connections{{endpoint="{name}"}}"#),
        )
        .unwrap_or_else(|| panic!("no gauge for {name} in\n{exposition}"));
        total += value;
    }
    assert!(total > 0.0);
    for metric in [
        "xconn_active_connections gauge",
        "xconn_disconnects_total counter",
        "xconn_polls_total counter",
        "xconn_poll_errors_total counter",
        "xconn_rate_limit_remaining gauge",
    ] {
        assert!(exposition.contains(&format!("# TYPE {metric}")), "{metric}");
    }

    if have_promtool() {
        promtool(&["check", "metrics"], Some(&exposition));
    }
    run.signal(Signal::SIGINT);
    assert_eq!(run.exit().code(), Some(0));
}

#[test]
fn the_shipped_alert_rules_pass_promtool() {
    if !have_promtool() {
        return;
    }
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/prometheus-rules.yml");
    let out = promtool(&["check", "rules", rules], None);
    assert!(out.contains("SUCCESS: 5 rules found"), "{out}");
    // And they fire when they should, and only then.
    let tests = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/prometheus-rules.test.yml"
    );
    promtool(&["test", "rules", tests], None);
}
