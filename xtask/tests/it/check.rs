//! `cargo xtask check` on a copy of this workspace's checked-in files: green
//! as committed, red after a hand edit of the fragment or of the generated
//! code (naming the file and the fixing command) with or without the
//! upstream file at hand.

use std::path::Path;
use std::process::Output;

use crate::common::{
    CURRENT_FIXTURE, FRAGMENT, GENERATED, RECORD, assert_failure, assert_success,
    copy_of_workspace, edit, extract_and_generate, fixture, fixtures_dir, no_upstream, stdout,
    xtask_at,
};

fn check(root: &Path, upstream: &Path) -> Output {
    xtask_at(root, &["check"], upstream)
}

fn hand_edit_generated(root: &Path) {
    edit(&root.join(GENERATED), |text| {
        text.replacen(
            "pub mod types {",
            "pub mod types {\n    // tweaked by hand",
            1,
        )
    });
}

/// Any description will do: the point is a plausible "small fix by hand".
fn hand_edit_fragment(root: &Path) {
    edit(&root.join(FRAGMENT), |text| {
        text.replacen("\"description\": \"", "\"description\": \"Edited: ", 1)
    });
}

/// A copy whose fragment was extracted from the checked-in fixture, so the
/// upstream comparison can run on a clone alone.
fn copy_extracted_from_fixture() -> tempfile::TempDir {
    let root = copy_of_workspace();
    let from = fixture(CURRENT_FIXTURE);
    let upstream = no_upstream();
    extract_and_generate(root.path(), &from, upstream.path());
    root
}

#[test]
fn checked_in_files_are_fresh_without_the_upstream_file() {
    let root = copy_of_workspace();
    let empty = no_upstream();
    let output = check(root.path(), empty.path());
    assert_success(&output);
    let out = stdout(&output);
    assert!(out.contains("skipped the upstream comparison"), "{out}");
    assert!(out.contains("checked against its recorded sha256"), "{out}");
    assert!(out.contains("fresh: "), "{out}");
}

#[test]
fn upstream_comparison_runs_when_the_upstream_file_is_at_hand() {
    let root = copy_extracted_from_fixture();
    let output = check(root.path(), &fixtures_dir());
    assert_success(&output);
    assert!(!stdout(&output).contains("skipped"), "{}", stdout(&output));

    // With the upstream at hand, a hand edit is shown as a diff against it.
    hand_edit_fragment(root.path());
    let err = assert_failure(&check(root.path(), &fixtures_dir()));
    assert!(
        err.contains(&format!(
            "stale: {FRAGMENT}; run `cargo xtask extract --from "
        )),
        "{err}"
    );
    assert!(
        err.contains("Edited: "),
        "the diff should show the edit: {err}"
    );
}

#[test]
fn hand_edited_generated_code_is_stale() {
    let root = copy_of_workspace();
    hand_edit_generated(root.path());
    let empty = no_upstream();
    let err = assert_failure(&check(root.path(), empty.path()));
    assert!(err.contains(&format!("stale: {GENERATED}")), "{err}");
    assert!(err.contains("run `cargo xtask generate`"), "{err}");
    assert!(
        err.contains("-    // tweaked by hand"),
        "the diff should show the edit: {err}"
    );
    // The fragment itself is untouched and must not be blamed.
    assert!(!err.contains(&format!("stale: {FRAGMENT}")), "{err}");
}

#[test]
fn hand_edited_fragment_is_caught_without_the_upstream_file() {
    let root = copy_of_workspace();
    hand_edit_fragment(root.path());
    let empty = no_upstream();
    let err = assert_failure(&check(root.path(), empty.path()));
    assert!(
        err.contains(&format!(
            "stale: {FRAGMENT} was edited after `cargo xtask extract` wrote it"
        )),
        "{err}"
    );
    assert!(err.contains(&format!("git checkout {FRAGMENT}")), "{err}");
    assert!(
        err.contains("cargo xtask extract --from <path of x-api-v2-openapi-2.167.json>"),
        "{err}"
    );
    // generated.rs records the fragment's sha256, so it is stale as well.
    assert!(err.contains(&format!("stale: {GENERATED}")), "{err}");

    // Regenerating does not launder the edit: the fragment is still caught.
    assert_success(&xtask_at(root.path(), &["generate"], empty.path()));
    let err = assert_failure(&check(root.path(), empty.path()));
    assert!(
        err.contains(&format!("stale: {FRAGMENT} was edited")),
        "{err}"
    );
    assert!(!err.contains(&format!("stale: {GENERATED}")), "{err}");
}

#[test]
fn a_missing_or_edited_record_is_an_error() {
    let root = copy_of_workspace();
    let empty = no_upstream();
    edit(&root.path().join(RECORD), |text| {
        text.replace("\"fragment_sha256\"", "\"fragment_sha\"")
    });
    let err = assert_failure(&check(root.path(), empty.path()));
    assert!(err.contains(&format!("{RECORD} is not a record")), "{err}");

    std::fs::remove_file(root.path().join(RECORD)).unwrap();
    let err = assert_failure(&check(root.path(), empty.path()));
    assert!(err.contains("cannot read") && err.contains(RECORD), "{err}");
}

#[test]
fn missing_generated_code_is_stale() {
    let root = copy_of_workspace();
    std::fs::remove_file(root.path().join(GENERATED)).unwrap();
    let empty = no_upstream();
    let err = assert_failure(&check(root.path(), empty.path()));
    assert!(
        err.contains(&format!("stale: {GENERATED} is missing")),
        "{err}"
    );
    assert!(err.contains("run `cargo xtask generate`"), "{err}");
}
