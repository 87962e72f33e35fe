//! Extras that need X's real releases in `../shared/upstream` and skip on a
//! clone alone: the checked-in fixtures must cut to exactly what the real
//! releases cut to, and `check` must pass against the real file.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{
    CURRENT_FIXTURE, PREVIOUS_FIXTURE, assert_success, copy_of_workspace, fixture, path_str,
    stdout, xtask, xtask_at,
};

const RELEASES: [(&str, &str); 2] = [
    ("x-api-v2-openapi-2.167.json", CURRENT_FIXTURE),
    ("x-api-v2-openapi-2.159.json", PREVIOUS_FIXTURE),
];

fn upstream_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/upstream");
    let dir = dir.canonicalize().unwrap_or(dir);
    dir.join(RELEASES[0].0).is_file().then_some(dir)
}

fn fragment_of(from: &Path, out: &Path) -> String {
    let target = out.join("connections.json");
    assert_success(&xtask(
        &[
            "extract",
            "--from",
            path_str(from),
            "--out",
            path_str(&target),
        ],
        out,
    ));
    fs::read_to_string(target).unwrap()
}

#[test]
fn fixtures_cut_to_what_the_real_releases_cut_to() {
    let Some(upstream) = upstream_dir() else {
        eprintln!("skipped: ../shared/upstream not found (the fixtures stand in for it)");
        return;
    };
    for (release, fixture_name) in RELEASES {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        assert_eq!(
            fragment_of(&upstream.join(release), a.path()),
            fragment_of(&fixture(fixture_name), b.path()),
            "{fixture_name} no longer stands in for {release}"
        );
    }
}

#[test]
fn checked_in_files_pass_check_against_the_real_release() {
    let Some(upstream) = upstream_dir() else {
        eprintln!("skipped: ../shared/upstream not found");
        return;
    };
    let root = copy_of_workspace();
    let output = xtask_at(root.path(), &["check"], &upstream);
    assert_success(&output);
    assert!(!stdout(&output).contains("skipped"), "{}", stdout(&output));
}
