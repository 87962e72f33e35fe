//! `xconn timeline`, run as a user runs it.
//!
//! * Against the embedded sandbox: `-o -` writes one SVG document on stdout
//!   (a lane per endpoint the sandbox seeds, the reasons it seeds in the
//!   legend, the window `--since` asked for); `-o FILE.svg` and
//!   `-o FILE.html` write files, the page holding the same picture.
//! * Usage errors exit 2 naming the flag, before anything is sent (a mock
//!   counts zero requests): no `-o`, an `-o` name that says no format, a
//!   `--since` that cannot be read or is not before `--until`.
//! * An error after the first page: what was read is drawn and marked
//!   incomplete, and the exit code is the error's, as `list` does.

use std::collections::BTreeSet;

use httpmock::MockServer;
use roxmltree::{Document, Node};
use xconn_ext::sandbox::{DISCONNECT_REASONS, ENDPOINTS};

use super::{catch_all, refused_after_first_page, run_code, run_ok, xconn_mock, xconn_sandbox};

fn with_class<'a, 'i>(doc: &'a Document<'i>, class: &str) -> Vec<Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split(' ').any(|part| part == class))
        })
        .collect()
}

fn attr<'a>(node: &Node<'a, '_>, name: &str) -> &'a str {
    node.attribute(name).unwrap_or_default()
}

#[test]
fn sandbox_timeline_on_stdout_is_one_svg_of_every_endpoint() {
    let run = run_ok(xconn_sandbox().args(["timeline", "-o", "-"]));
    assert!(
        run.stdout.starts_with("<svg "),
        "{}",
        &run.stdout[..80.min(run.stdout.len())]
    );
    let doc = Document::parse(&run.stdout).expect("stdout is one XML document");
    assert_eq!(doc.root_element().tag_name().name(), "svg");

    let lanes: BTreeSet<&str> = with_class(&doc, "lane")
        .iter()
        .map(|l| attr(l, "data-endpoint"))
        .collect();
    assert_eq!(lanes, ENDPOINTS.iter().copied().collect());
    let bars = with_class(&doc, "bar").len();
    let aggregated = with_class(&doc, "lane")
        .iter()
        .filter(|l| attr(l, "data-aggregated") == "true")
        .count();
    assert!(bars > 0 || aggregated > 0);

    // The legend names only reasons the sandbox sent, each once.
    let legend: Vec<&str> = with_class(&doc, "legend-reason")
        .iter()
        .flat_map(|l| attr(l, "data-key").split(' '))
        .collect();
    assert!(!legend.is_empty());
    assert!(
        legend.iter().all(|r| DISCONNECT_REASONS.contains(r)),
        "{legend:?}"
    );
    assert_eq!(legend.len(), legend.iter().collect::<BTreeSet<_>>().len());
}

/// `--reason` (shared with `list`) keeps only connections that ended with
/// it: the legend then names that reason alone.
#[test]
fn reason_keeps_only_the_connections_that_ended_with_it() {
    let reason = DISCONNECT_REASONS[1];
    let run = run_ok(xconn_sandbox().args(["timeline", "--reason", reason, "-o", "-"]));
    let doc = Document::parse(&run.stdout).unwrap();
    let legend: BTreeSet<&str> = with_class(&doc, "legend-reason")
        .iter()
        .flat_map(|l| attr(l, "data-key").split(' '))
        .collect();
    assert_eq!(legend, BTreeSet::from([reason]));
}

#[test]
fn since_sets_the_start_of_the_window() {
    let run = run_ok(xconn_sandbox().args(["timeline", "--since", "2d", "-o", "-"]));
    let doc = Document::parse(&run.stdout).unwrap();
    let axis = with_class(&doc, "axis")[0];
    let parse = |name| {
        attr(&axis, name)
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    let span = parse("data-end") - parse("data-start");
    assert_eq!(span, chrono::TimeDelta::days(2));
}

#[test]
fn files_are_written_in_the_format_their_name_says() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("t.svg");
    let html = dir.path().join("t.html");
    let run = run_ok(
        xconn_sandbox()
            .args(["timeline", "--endpoint", "filtered_stream", "-o"])
            .arg(&svg),
    );
    assert_eq!(run.stdout, "");
    let svg_text = std::fs::read_to_string(&svg).unwrap();
    let doc = Document::parse(&svg_text).unwrap();
    let lanes: Vec<&str> = with_class(&doc, "lane")
        .iter()
        .map(|l| attr(l, "data-endpoint"))
        .collect();
    assert_eq!(lanes, ["filtered_stream"]);

    run_ok(
        xconn_sandbox()
            .args(["timeline", "--endpoint", "filtered_stream", "-o"])
            .arg(&html),
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    let (start, end) = (page.find("<svg ").unwrap(), page.find("</svg>").unwrap());
    let embedded = Document::parse(&page[start..end + "</svg>".len()]).unwrap();
    assert_eq!(with_class(&embedded, "lane").len(), 1);
    assert!(!page.contains("<script"));
}

#[test]
fn usage_errors_exit_2_naming_the_flag_and_send_nothing() {
    let server = MockServer::start();
    let mock = catch_all(&server);
    let run = run_code(xconn_mock(&server).arg("timeline"), 2);
    run.error_says(&["-o", "nothing was sent"]);
    let run = run_code(xconn_mock(&server).args(["timeline", "-o", "t.png"]), 2);
    assert!(run.stderr.contains(".svg or .html"), "{run:#?}");
    let run = run_code(
        xconn_mock(&server).args(["timeline", "--since", "yesterday", "-o", "-"]),
        2,
    );
    assert!(run.stderr.contains("--since"), "{run:#?}");
    let run = run_code(
        xconn_mock(&server).args(["timeline", "--since", "1h", "--until", "2h", "-o", "-"]),
        2,
    );
    run.error_says(&["--since", "--until"]);
    assert_eq!(mock.calls(), 0);
}

#[test]
fn an_error_after_the_first_page_draws_what_was_read_and_says_so() {
    let server = MockServer::start();
    refused_after_first_page(&server, 4);
    let run = run_code(xconn_mock(&server).args(["timeline", "-o", "-"]), 3);
    run.error_says(&["Unauthorized", "incomplete", "4 connection(s)"]);
    let doc = Document::parse(&run.stdout).unwrap();
    assert_eq!(with_class(&doc, "bar").len(), 4);
    let notes: Vec<&str> = with_class(&doc, "note")
        .iter()
        .filter_map(|n| n.text())
        .collect();
    assert!(
        notes.iter().any(|n| n.starts_with("Incomplete:")),
        "{notes:?}"
    );
}

#[test]
fn a_status_other_than_all_is_said_in_the_picture() {
    let run = run_ok(xconn_sandbox().args(["timeline", "--status", "active", "-o", "-"]));
    let doc = Document::parse(&run.stdout).unwrap();
    assert_eq!(with_class(&doc, "ended").len(), 0);
    let notes: Vec<&str> = with_class(&doc, "note")
        .iter()
        .filter_map(|n| n.text())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("--status active")),
        "{notes:?}"
    );
    let run = run_ok(xconn_sandbox().args(["timeline", "-o", "-"]));
    let doc = Document::parse(&run.stdout).unwrap();
    assert!(!with_class(&doc, "ended").is_empty());
    assert!(
        with_class(&doc, "note")
            .iter()
            .all(|n| !n.text().unwrap_or("").contains("--status"))
    );
}
