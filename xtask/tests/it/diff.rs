//! `cargo xtask diff` end to end, on checked-in fixtures: between the two
//! real releases it finds the differences we know about, and for each
//! realistic change a maintainer may meet it says what changed, whether it
//! breaks (a public type of xconn-sdk, or xconn-ext's build) and what to do.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

use crate::common::{
    CURRENT_FIXTURE, NEW_PROBLEM_HOST, PREVIOUS_FIXTURE, SpecChange, TERMINATE_DATA,
    assert_success, fixture, path_str, read_json, stderr, stdout, write_json, xtask,
};

fn diff(old: &Path, new: &Path, format: &str) -> Output {
    // The upstream directory plays no part in `diff`; point it anywhere.
    xtask(
        &["diff", path_str(old), path_str(new), "--format", format],
        Path::new("."),
    )
}

fn json_report(old: &Path, new: &Path) -> Value {
    let output = diff(old, new, "json");
    assert_success(&output);
    serde_json::from_str(&stdout(&output)).expect("--format json prints JSON")
}

fn changes(report: &Value) -> &Vec<Value> {
    report["changes"].as_array().unwrap()
}

/// The changes of `kind` at `location`.
fn find<'r>(report: &'r Value, kind: &str, location: &str) -> Vec<&'r Value> {
    changes(report)
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
    let report = json_report(&fixture(PREVIOUS_FIXTURE), &fixture(CURRENT_FIXTURE));
    assert_eq!(report["old_version"], "2.159");
    assert_eq!(report["new_version"], "2.167");

    // Connection gained `id` (a new field of a public struct) and lost its
    // `required` list.
    let id = one(&report, "property-added", "Connection.id");
    assert_eq!(id["breaking"], true);
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

    // Schemas renamed, recognised by position: public types of xconn-sdk
    // are renamed, so each is breaking.
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
        assert_eq!(renamed["breaking"], true);
        assert!(
            renamed["note"]
                .as_str()
                .unwrap()
                .contains(&format!("xconn_sdk::types::{old}"))
        );
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
    let moved = changes(&report)
        .iter()
        .filter(|c| c["kind"] == "problem-type-moved")
        .count();
    assert!(moved >= 6, "only {moved} problem types moved");

    // Operation ids (and so the generated method names) did not change.
    assert_none_of(
        &report,
        &[
            "operation-added",
            "operation-removed",
            "operation-id-changed",
        ],
    );

    let summary = &report["summary"];
    let count = |k: &str| summary[k].as_u64().unwrap();
    assert_eq!(count("changes"), changes(&report).len() as u64);
    assert!(count("breaking") > 0 && count("breaking") < count("changes"));
}

#[test]
fn text_report_is_grouped_and_summarised() {
    let (previous, current) = (fixture(PREVIOUS_FIXTURE), fixture(CURRENT_FIXTURE));
    // Breaking changes are found, and the exit code is still 0: it is a report.
    let output = diff(&previous, &current, "text");
    assert_success(&output);
    let text = stdout(&output);
    for heading in ["\nResponses\n", "\nProblem types\n", "\nSchemas\n"] {
        assert!(text.contains(heading), "no {heading:?} in\n{text}");
    }
    assert!(
        text.contains(
            "  ! DeleteConnectionsByUuidsRequest: renamed from KillConnectionsByUuidsRequest"
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
    let output = diff(&current, &previous, "text");
    assert_success(&output);
    assert!(
        stdout(&output)
            .contains("  ! Get2ConnectionsResponse: renamed from GetConnectionHistoryResponse"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn identical_specs_report_no_changes() {
    let spec = fixture(CURRENT_FIXTURE);
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
    let good = fixture(CURRENT_FIXTURE);
    let mut unrelated = read_json(&good);
    unrelated["paths"] = json!({"/2/tweets": {}});
    let unrelated_path = dir.path().join("unrelated.json");
    write_json(&unrelated_path, &unrelated);
    let not_json = dir.path().join("not.json");
    fs::write(&not_json, "{").unwrap();
    let missing = dir.path().join("missing.json");

    for (old, new, message) in [
        (&missing, &good, "cannot read"),
        (&good, &not_json, "is not JSON"),
        (&good, &unrelated_path, "no path under /2/connections"),
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

// ----- one realistic change at a time, on the current release ---------------

/// The report for the current release against itself with `change` applied.
fn report_for(change: SpecChange) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = read_json(&fixture(CURRENT_FIXTURE));
    change.apply(&mut spec);
    let new: PathBuf = dir.path().join("new.json");
    write_json(&new, &spec);
    json_report(&fixture(CURRENT_FIXTURE), &new)
}

/// The report's one change.
#[track_caller]
fn only_change(report: &Value) -> &Value {
    let [change] = changes(report).as_slice() else {
        panic!("expected exactly one change: {report:#}");
    };
    change
}

/// The change carries a note, and the note says `text`.
#[track_caller]
fn assert_note(change: &Value, text: &str) {
    let note = change["note"]
        .as_str()
        .unwrap_or_else(|| panic!("no note on {change:#}"));
    assert!(note.contains(text), "{change:#}");
}

/// The report has no change of any of these `kinds`.
#[track_caller]
fn assert_none_of(report: &Value, kinds: &[&str]) {
    for c in changes(report) {
        assert!(
            !kinds.contains(&c["kind"].as_str().unwrap_or("")),
            "unexpected {c:#}\n{report:#}"
        );
    }
}

#[test]
fn renamed_property_is_one_breaking_rename() {
    let report = report_for(SpecChange::SuccessfulKillsRenamed);
    for schema in TERMINATE_DATA {
        let renamed = one(
            &report,
            "property-renamed",
            &format!("{schema}.successful_kills"),
        );
        assert_eq!(renamed["breaking"], true);
        assert_eq!(renamed["new"], "succeeded");
        assert_note(renamed, "xconn-ext's wire adapter");
    }
    assert_none_of(&report, &["property-added", "property-removed"]);
}

#[test]
fn new_optional_connection_field_is_breaking_and_says_why() {
    let report = report_for(SpecChange::ConnectionTagAdded);
    let added = one(&report, "property-added", "Connection.tag");
    assert_eq!(added["breaking"], true, "a public struct gains a field");
    assert_note(added, "xconn-ext must surface it");
    let field = one(
        &report,
        "enum-values-added",
        "GET /2/connections query:connection.fields[]",
    );
    assert_eq!(field["new"], json!(["tag"]));
    assert_eq!(
        field["breaking"], true,
        "the generated enum gains a variant"
    );
}

#[test]
fn problem_host_moved_is_reported_per_type() {
    let report = report_for(SpecChange::ProblemHostMoved);
    let moved: Vec<&Value> = changes(&report)
        .iter()
        .filter(|c| c["kind"] == "problem-type-moved")
        .collect();
    assert_eq!(moved.len(), 9, "{report:#}");
    let one_move = one(&report, "problem-type-moved", "/2/problems/invalid-request");
    assert_eq!(
        one_move["old"],
        "https://api.x.com/2/problems/invalid-request"
    );
    assert_eq!(
        one_move["new"],
        format!("{NEW_PROBLEM_HOST}/2/problems/invalid-request")
    );
    assert_eq!(one_move["breaking"], true);
    assert_note(one_move, "classifies by the path");
}

#[test]
fn raised_max_results_is_a_looser_bound_and_not_breaking() {
    let report = report_for(SpecChange::MaxResultsRaised);
    let bound = only_change(&report);
    assert_eq!(bound["kind"], "bound-changed");
    assert_eq!(bound["location"], "GET /2/connections query:max_results");
    assert_eq!(bound["summary"], "maximum 100 -> 500 (looser)");
    assert_eq!(bound["breaking"], false);
    assert_note(bound, "xconn_sdk::spec");
}

#[test]
fn new_query_parameter_says_xconn_ext_must_wrap_or_list_it() {
    let report = report_for(SpecChange::SinceParameterAdded);
    let added = only_change(&report);
    assert_eq!(added["kind"], "parameter-added");
    assert_eq!(added["location"], "GET /2/connections query:since");
    assert_eq!(
        added["breaking"], false,
        "a new builder method breaks nothing"
    );
    assert_note(added, "typed client must wrap it");
    assert_note(added, "table of unwrapped parameters");
}

#[test]
fn renamed_connection_schema_is_breaking() {
    let report = report_for(SpecChange::ConnectionRenamed);
    let renamed = one(&report, "schema-renamed", "StreamConnection");
    assert_eq!(renamed["old"], "Connection");
    assert_eq!(renamed["breaking"], true);
    assert_note(renamed, "xconn_sdk::types::Connection");
    assert_none_of(&report, &["schema-added", "schema-removed"]);
}

#[test]
fn enum_values_added_and_removed_are_breaking() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = read_json(&fixture(CURRENT_FIXTURE));
    let status = spec
        .pointer_mut("/paths/~12~1connections/get/parameters/0/schema/enum")
        .and_then(Value::as_array_mut)
        .unwrap();
    assert_eq!(status[1], "inactive");
    status[1] = "dropped".into();
    let new = dir.path().join("new.json");
    write_json(&new, &spec);
    let report = json_report(&fixture(CURRENT_FIXTURE), &new);
    let at = "GET /2/connections query:status";
    let added = one(&report, "enum-values-added", at);
    assert_eq!(
        (added["new"].clone(), added["breaking"].clone()),
        (json!(["dropped"]), json!(true))
    );
    let removed = one(&report, "enum-values-removed", at);
    assert_eq!(
        (removed["old"].clone(), removed["breaking"].clone()),
        (json!(["inactive"]), json!(true))
    );
    assert_note(added, "typed enum must learn them");
}

#[test]
fn the_checked_in_fragment_is_the_old_side_on_a_clone_alone() {
    // What the README's workflow runs: the fragment against a new full spec.
    let fragment = crate::common::workspace_root().join(crate::common::FRAGMENT);
    let report = json_report(&fragment, &fixture(CURRENT_FIXTURE));
    assert_eq!(report["summary"]["changes"], 0, "{report:#}");
    assert_eq!(report["old_version"], "2.167");
}
