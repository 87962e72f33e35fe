//! A spec change the way a maintainer meets it: each realistic change is
//! applied to the checked-in fragment in a scratch copy of the workspace,
//! `cargo xtask generate` runs there, and `cargo check -p xconn-ext
//! --all-features` shows whether xconn-ext still builds and, if not, which
//! of its files the compiler names.
//!
//! A change that alters what reaches users through a generated type must
//! fail the build in `xconn-ext/src/wire/`, the one seam with the generated
//! crate (or, for a list of values, in the compile-time assertions against
//! `xconn_sdk::spec`), and nowhere else: that is where the adapter must
//! change. The others must build, and are caught by the drift tests of the
//! tests crate.
//!
//! The scratch workspace and its target directory live under this
//! workspace's target directory (`xtask-scenarios/`), so dependencies are
//! checked once and reused by every scenario and every later run; the
//! scenarios run one at a time because they share them.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::common::{
    FRAGMENT, SpecChange, assert_success, no_upstream, read_json, workspace_root, write_json,
    xtask_at,
};

/// One scenario at a time: they share the scratch workspace and its target.
static SCRATCH: Mutex<()> = Mutex::new(());

#[derive(Debug)]
struct Outcome {
    builds: bool,
    /// Files the compiler's errors point at, relative to the workspace.
    files: BTreeSet<String>,
    errors: String,
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&src, &dst);
            }
        } else {
            fs::copy(&src, &dst).unwrap();
        }
    }
}

/// A workspace of just the crates that ship, as committed here, and the
/// test helpers xconn-ext names as a path dev-dependency (cargo reads that
/// manifest to load xconn-ext's).
fn scratch_workspace(root: &Path) {
    if root.exists() {
        fs::remove_dir_all(root).unwrap();
    }
    let real = workspace_root();
    for dir in ["xconn-sdk", "xconn-ext", "openapi", "tests/support"] {
        copy_dir(&real.join(dir), &root.join(dir));
    }
    for file in ["Cargo.lock", "README.md"] {
        fs::copy(real.join(file), root.join(file)).unwrap();
    }
    let manifest = fs::read_to_string(real.join("Cargo.toml")).unwrap();
    let members = "[\"xconn-sdk\", \"xconn-ext\"]";
    let rewritten: String = manifest
        .lines()
        .map(|line| {
            if line.starts_with("members = ") {
                format!("members = {members}\n")
            } else if line.starts_with("default-members = ") {
                format!("default-members = {members}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    assert_eq!(
        rewritten.matches(members).count(),
        2,
        "the root Cargo.toml's member lists have moved"
    );
    fs::write(root.join("Cargo.toml"), rewritten).unwrap();
}

/// Apply `change` to the fragment, regenerate, and check xconn-ext.
fn build_with(change: SpecChange) -> Outcome {
    let _one_at_a_time = SCRATCH.lock().unwrap_or_else(|e| e.into_inner());
    let scratch = target_dir().join("xtask-scenarios");
    let root = scratch.join("workspace");
    scratch_workspace(&root);

    let fragment = root.join(FRAGMENT);
    let mut spec = read_json(&fragment);
    change.apply(&mut spec);
    write_json(&fragment, &spec);
    let empty = no_upstream();
    assert_success(&xtask_at(&root, &["generate"], empty.path()));

    let output = Command::new(env!("CARGO"))
        .args([
            "check",
            "-p",
            "xconn-ext",
            "--all-features",
            "--offline",
            "--message-format",
            "short",
        ])
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", scratch.join("target"))
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .expect("cargo runs");
    let errors = String::from_utf8_lossy(&output.stderr).into_owned();
    // `--message-format short`: `path:line:col: error[...]: message`.
    let files = errors
        .lines()
        .filter(|line| line.contains(": error"))
        .filter_map(|line| line.split(':').next())
        .filter(|path| path.ends_with(".rs"))
        .map(str::to_owned)
        .collect();
    Outcome {
        builds: output.status.success(),
        files,
        errors,
    }
}

/// Where a spec change may fail the build: the seam, and the files that
/// assert lists of values against `xconn_sdk::spec` at compile time.
const SEAM: &[&str] = &[
    "xconn-ext/src/wire/",
    "xconn-ext/src/types/enums.rs",
    "xconn-ext/src/types/problem/slugs.rs",
];

#[track_caller]
fn assert_fails_in_xconn_ext(change: SpecChange) {
    let outcome = build_with(change);
    assert!(
        !outcome.builds,
        "{change:?}: xconn-ext still builds, so the change would pass silently"
    );
    assert!(
        !outcome.files.is_empty()
            && outcome
                .files
                .iter()
                .all(|f| SEAM.iter().any(|seam| f.starts_with(seam))),
        "{change:?}: the errors should point into the seam {SEAM:?}, not {:?}\n{}",
        outcome.files,
        outcome.errors
    );
}

#[track_caller]
fn assert_builds(change: SpecChange) {
    let outcome = build_with(change);
    assert!(
        outcome.builds,
        "{change:?}: xconn-ext no longer builds ({:?})\n{}",
        outcome.files, outcome.errors
    );
}

#[test]
fn renamed_successful_kills_fails_the_build_in_xconn_ext() {
    assert_fails_in_xconn_ext(SpecChange::SuccessfulKillsRenamed);
}

#[test]
fn new_connection_field_fails_the_build_in_xconn_ext() {
    assert_fails_in_xconn_ext(SpecChange::ConnectionTagAdded);
}

#[test]
fn problem_host_moved_builds() {
    assert_builds(SpecChange::ProblemHostMoved);
}

#[test]
fn max_results_raised_builds() {
    assert_builds(SpecChange::MaxResultsRaised);
}

#[test]
fn new_query_parameter_builds() {
    assert_builds(SpecChange::SinceParameterAdded);
}

#[test]
fn renamed_connection_schema_fails_the_build_in_xconn_ext() {
    assert_fails_in_xconn_ext(SpecChange::ConnectionRenamed);
}
