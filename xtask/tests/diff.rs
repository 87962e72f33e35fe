//! `cargo xtask diff` end to end: on the two real upstream releases it must
//! find the differences we know about (see shared/upstream/README.md), and
//! as a command it reports (exit 0) unless it cannot compare at all.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{CURRENT_SPEC, PREVIOUS_SPEC, assert_success, stderr, stdout, upstream_dir, xtask};
use serde_json::{Value, json};

fn diff(old: &Path, new: &Path, format: &str) -> Output {
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    // The upstream directory plays no part in `diff`; point it anywhere.
    xtask(&["diff", old, new, "--format", format], Path::new("."))
}

fn json_report(old: &Path, new: &Path) -> Value {
    let output = diff(old, new, "json");
    assert_success(&output);
    serde_json::from_str(&stdout(&output)).expect("--format json prints JSON")
}

/// The changes of `kind` at `location`.
fn find<'r>(report: &'r Value, kind: &str, location: &str) -> Vec<&'r Value> {
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == kind && c["location"] == location)
        .collect()
}

#[track_caller]
fn one<'r>(report: &'r Value, kind: &str, location: &str) -> &'r Value {
    match find(report, kind, location).as_slice() {
        [change] => change,
        other => panic!(
            "expected one {kind} at {location}, found {other:#?} in\n{:#}",
            report["changes"]
        ),
    }
}

#[test]
fn previous_to_current_release_reports_the_known_differences() {
    let Some(upstream) = upstream_dir() else {
        eprintln!("skipped: upstream specs not found next to the workspace");
        return;
    };
    let report = json_report(&upstream.join(PREVIOUS_SPEC), &upstream.join(CURRENT_SPEC));
    assert_eq!(report["old_version"], "2.159");
    assert_eq!(report["new_version"], "2.167");

    // Connection gained `id` and lost its `required` list.
    let id = one(&report, "property-added", "Connection.id");
    assert_eq!(id["breaking"], false);
    let dropped = one(&report, "became-optional", "Connection");
    assert_eq!(
        dropped["breaking"], true,
        "fields become Option in the raw sdk"
    );
    assert_eq!(dropped["old"], json!(["connected_at", "endpoint_name"]));
    assert_eq!(dropped["new"], json!([]));
    assert!(
        dropped["summary"]
            .as_str()
            .unwrap()
            .contains("required list dropped")
    );

    // Schemas renamed, recognised by position, and not breaking.
    for (old, new) in [
        (
            "KillConnectionsByUuidsRequest",
            "DeleteConnectionsByUuidsRequest",
        ),
        (
            "KillConnectionsByUuidsResponse",
            "DeleteConnectionsByUuidsResponse",
        ),
        ("Get2ConnectionsResponse", "GetConnectionHistoryResponse"),
    ] {
        let renamed = one(&report, "schema-renamed", new);
        assert_eq!(renamed["old"], old);
        assert_eq!(renamed["breaking"], false);
        assert!(find(&report, "schema-removed", old).is_empty());
        assert!(find(&report, "schema-added", new).is_empty());
    }

    // Problem types moved from api.twitter.com to api.x.com.
    for path in [
        "/2/problems/invalid-request",
        "/2/problems/resource-not-found",
    ] {
        let moved = one(&report, "problem-type-moved", path);
        assert_eq!(moved["old"], format!("https://api.twitter.com{path}"));
        assert_eq!(moved["new"], format!("https://api.x.com{path}"));
    }
    let moved = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "problem-type-moved")
        .count();
    assert!(moved >= 6, "only {moved} problem types moved");

    // Operation ids (and so xconn's method names) did not change.
    for kind in [
        "operation-added",
        "operation-removed",
        "operation-id-changed",
    ] {
        assert!(
            !report["changes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["kind"] == kind),
            "unexpected {kind}"
        );
    }

    let summary = &report["summary"];
    let count = |k: &str| summary[k].as_u64().unwrap();
    assert_eq!(
        count("changes"),
        report["changes"].as_array().unwrap().len() as u64
    );
    assert!(count("breaking") > 0 && count("breaking") < count("changes"));
}

#[test]
fn text_report_is_grouped_and_summarised() {
    let Some(upstream) = upstream_dir() else {
        eprintln!("skipped: upstream specs not found next to the workspace");
        return;
    };
    // Breaking changes are found, and the exit code is still 0: it is a report.
    let output = diff(
        &upstream.join(PREVIOUS_SPEC),
        &upstream.join(CURRENT_SPEC),
        "text",
    );
    assert_success(&output);
    let text = stdout(&output);
    for heading in ["\nResponses\n", "\nProblem types\n", "\nSchemas\n"] {
        assert!(text.contains(heading), "no {heading:?} in\n{text}");
    }
    assert!(
        text.contains(
            "  - DeleteConnectionsByUuidsRequest: renamed from KillConnectionsByUuidsRequest"
        ),
        "{text}"
    );
    assert!(
        text.contains("  ! Connection: no longer required"),
        "{text}"
    );
    let last = text.lines().last().unwrap();
    let words: Vec<&str> = last.split(' ').collect();
    assert!(
        matches!(words.as_slice(), [n, "changes,", m, "breaking"]
            if n.parse::<u32>().is_ok() && m.parse::<u32>().unwrap() > 0),
        "summary line: {last:?}"
    );

    // The other way round, the renames are reported backwards.
    let output = diff(
        &upstream.join(CURRENT_SPEC),
        &upstream.join(PREVIOUS_SPEC),
        "text",
    );
    assert_success(&output);
    assert!(
        stdout(&output)
            .contains("  - Get2ConnectionsResponse: renamed from GetConnectionHistoryResponse"),
        "{}",
        stdout(&output)
    );
}

/// A minimal full spec with one connections operation.
fn write_spec(dir: &Path, name: &str, paths: Value) -> std::path::PathBuf {
    let spec = json!({
        "openapi": "3.0.0",
        "info": {"title": "t", "version": name},
        "servers": [],
        "paths": paths,
        "components": {"securitySchemes": {"BearerToken": {"type": "http"}}}
    });
    let path = dir.join(format!("{name}.json"));
    fs::write(&path, spec.to_string()).unwrap();
    path
}

#[test]
fn identical_specs_report_no_changes() {
    let dir = tempfile::tempdir().unwrap();
    let paths = json!({"/2/connections": {"get": {"operationId": "x", "responses": {}}}});
    let spec = write_spec(dir.path(), "same", paths);
    let output = diff(&spec, &spec, "text");
    assert_success(&output);
    assert!(
        stdout(&output).ends_with("\n0 changes, 0 breaking\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn failing_to_compare_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_spec(
        dir.path(),
        "good",
        json!({"/2/connections": {"get": {"operationId": "x", "responses": {}}}}),
    );
    let unrelated = write_spec(dir.path(), "unrelated", json!({"/2/tweets": {}}));
    let not_json = dir.path().join("not.json");
    fs::write(&not_json, "{").unwrap();
    let missing = dir.path().join("missing.json");

    for (old, new, message) in [
        (&missing, &good, "cannot read"),
        (&good, &not_json, "is not JSON"),
        (&good, &unrelated, "no path under /2/connections"),
    ] {
        let output = diff(old, new, "text");
        assert!(
            !output.status.success(),
            "diff succeeded on {}",
            new.display()
        );
        assert!(stderr(&output).contains(message), "{}", stderr(&output));
    }

    let output = diff(&good, &good, "yaml");
    assert!(!output.status.success(), "an unknown --format is rejected");
}
