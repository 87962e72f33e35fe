//! `cargo xtask check` on a copy of this workspace's checked-in files: green
//! as committed, red (naming the stale file and the fixing command) after a
//! hand edit, and still useful when the upstream specs are not available.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{assert_success, stderr, stdout, upstream_dir, workspace_root, xtask};
use tempfile::TempDir;

const FRAGMENT: &str = "openapi/connections.json";
const RECORD: &str = "openapi/upstream.json";
const GENERATED: &str = "xconn-sdk/src/generated.rs";

/// A temporary workspace root laid out like the real one, holding copies of
/// the files `check` reads, so that tests can break them freely.
fn copy_of_workspace() -> TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for rel in [FRAGMENT, RECORD, GENERATED] {
        let to = tmp.path().join(rel);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(workspace_root().join(rel), &to).unwrap();
    }
    tmp
}

/// An upstream directory with nothing in it: `check` must skip the fragment
/// comparison but still verify `generated.rs`.
fn no_upstream() -> TempDir {
    tempfile::tempdir().unwrap()
}

fn check(root: &Path, upstream: &Path) -> Output {
    xtask(&["--root", root.to_str().unwrap(), "check"], upstream)
}

/// The real upstream directory when present, otherwise an empty one (kept
/// alive by the returned guard).
fn upstream_or_empty() -> (PathBuf, Option<TempDir>) {
    match upstream_dir() {
        Some(dir) => (dir, None),
        None => {
            eprintln!("upstream specs not found: checking generated.rs only");
            let empty = no_upstream();
            (empty.path().to_path_buf(), Some(empty))
        }
    }
}

fn edit(path: &Path, f: impl FnOnce(&str) -> String) {
    let before = fs::read_to_string(path).unwrap();
    let after = f(&before);
    assert_ne!(
        before,
        after,
        "the edit of {} changed nothing",
        path.display()
    );
    fs::write(path, after).unwrap();
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

#[test]
fn copy_of_workspace_is_fresh() {
    let root = copy_of_workspace();
    let (upstream, _guard) = upstream_or_empty();
    let output = check(root.path(), &upstream);
    assert_success(&output);
    assert!(stdout(&output).contains("fresh"), "{}", stdout(&output));
    if upstream_dir().is_some() {
        assert!(
            !stdout(&output).contains("skipped"),
            "the upstream comparison should have run: {}",
            stdout(&output)
        );
    }
}

#[test]
fn hand_edited_generated_code_is_stale() {
    let root = copy_of_workspace();
    hand_edit_generated(root.path());
    let (upstream, _guard) = upstream_or_empty();
    let output = check(root.path(), &upstream);
    let err = stderr(&output);
    assert!(!output.status.success(), "check passed on an edited file");
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
fn hand_edited_fragment_is_stale() {
    let root = copy_of_workspace();
    // Any description will do: the point is a plausible "small fix by hand".
    edit(&root.path().join(FRAGMENT), |text| {
        text.replacen("\"description\": \"", "\"description\": \"Edited: ", 1)
    });
    let (upstream, _guard) = upstream_or_empty();
    let output = check(root.path(), &upstream);
    let err = stderr(&output);
    assert!(
        !output.status.success(),
        "check passed on an edited fragment"
    );
    if upstream_dir().is_some() {
        assert!(err.contains(&format!("stale: {FRAGMENT}")), "{err}");
        assert!(err.contains("run `cargo xtask extract --from "), "{err}");
        assert!(
            err.contains("Edited: "),
            "the diff should show the edit: {err}"
        );
    }
    // generated.rs records the fragment's sha256, so it is stale as well.
    assert!(err.contains(&format!("stale: {GENERATED}")), "{err}");
}

#[test]
fn without_upstream_specs_it_skips_and_still_checks_generated_code() {
    let root = copy_of_workspace();
    let empty = no_upstream();

    let output = check(root.path(), empty.path());
    assert_success(&output);
    let out = stdout(&output);
    assert!(out.contains("skipped the upstream comparison"), "{out}");
    assert!(out.contains("fresh"), "{out}");

    hand_edit_generated(root.path());
    let output = check(root.path(), empty.path());
    assert!(!output.status.success(), "check passed on an edited file");
    assert!(stdout(&output).contains("skipped the upstream comparison"));
    let err = stderr(&output);
    assert!(err.contains(&format!("stale: {GENERATED}")), "{err}");
    assert!(err.contains("run `cargo xtask generate`"), "{err}");
}
