//! Each scenario spec change of `scenarios.rs` ends in the right release:
//! `cargo xtask release` (against the checked-in fragment as the last
//! release's) bumps each crate's version, writes the workspace's dependency
//! lines and drafts the changelog.
//!
//! The verdicts here come from the spec diff, which is what `release`
//! decides from by default, and is cheap: no crate is built. The compiler's
//! rules (`cargo-semver-checks`, minutes per crate and version) are applied
//! by CI's `cargo xtask semver-checks` to the real workspace, and would only
//! confirm here what `scenarios.rs` already shows by building `xconn-ext`:
//! the breaking changes break the generated types that `xconn-ext` both
//! destructures and exposes (`Client::sdk()`).

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{
    FRAGMENT, SpecChange, assert_success, copy_of_workspace, core_version, no_upstream,
    package_version, path_str, read_json, stdout, workspace_root, write_json, xtask_at,
};

/// The versions after `release`: xconn-sdk's, xconn-ext's (with their
/// build metadata) and the workspace's requirement lines on them.
#[derive(Debug, PartialEq, Eq)]
struct Released {
    /// The last release's versions (xconn-sdk's, xconn-ext's) it started from.
    from: (String, String),
    sdk: String,
    ext: String,
    requirements: (String, String),
    changelog: String,
    printed: String,
}

fn release_after(change: SpecChange) -> Released {
    release_with(change, &[])
}

/// `release` after `change`, with `extra` arguments.
fn release_with(change: SpecChange, extra: &[&str]) -> Released {
    let root = copy_of_workspace();
    let r = root.path();
    for file in ["releases.toml", "CHANGELOG.md"] {
        fs::copy(workspace_root().join(file), r.join(file)).unwrap();
    }
    let from = record_as_released(r);
    let old = r.join("last-release.json");
    fs::copy(r.join(FRAGMENT), &old).unwrap();
    let mut spec = read_json(&r.join(FRAGMENT));
    change.apply(&mut spec);
    write_json(&r.join(FRAGMENT), &spec);

    let empty = no_upstream();
    let mut args = vec!["release", "--old-spec", path_str(&old)];
    args.extend_from_slice(extra);
    let output = xtask_at(r, &args, empty.path());
    assert_success(&output);
    let manifest = |rel: &str| -> toml_edit::DocumentMut {
        fs::read_to_string(r.join(rel)).unwrap().parse().unwrap()
    };
    let root_manifest = manifest("Cargo.toml");
    let requirement = |name: &str| {
        root_manifest["workspace"]["dependencies"][name]["version"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    Released {
        from,
        sdk: package_version(r, "xconn-sdk/Cargo.toml"),
        ext: package_version(r, "xconn-ext/Cargo.toml"),
        requirements: (requirement("xconn-sdk"), requirement("xconn-ext")),
        changelog: fs::read_to_string(r.join("CHANGELOG.md")).unwrap(),
        printed: stdout(&output),
    }
}

/// `release` after `change` writes the versions `expected` derives from
/// the last release's (spec version as metadata).
#[track_caller]
fn assert_release(
    change: SpecChange,
    expected: impl FnOnce(&(String, String)) -> (String, String),
) {
    let released = release_after(change);
    let (sdk, ext) = expected(&released.from);
    let (sdk, ext) = (sdk.as_str(), ext.as_str());
    let spec = crate::common::read_json(&workspace_root().join("openapi/upstream.json"))["version"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        (released.sdk.as_str(), released.ext.as_str()),
        (
            format!("{sdk}+{spec}").as_str(),
            format!("{ext}+{spec}").as_str()
        ),
        "{change:?}: {}",
        released.printed
    );
    assert_eq!(
        released.requirements,
        (sdk.to_owned(), ext.to_owned()),
        "{change:?}: the workspace's dependency lines"
    );
    let heading = format!("## xconn-sdk {sdk}, xconn-ext {ext} (X API spec {spec}) - ");
    assert!(
        released.changelog.contains(&heading),
        "{change:?}: no `{heading}` in the drafted changelog:\n{}",
        released.changelog
    );
}

/// Make the copy at `r` a workspace whose manifests' versions are its last
/// release's (as after step 9 of the README's release steps), and return
/// them. The real workspace may be between a release's step 6 (versions
/// bumped, section drafted) and its step 9 (tagged, recorded); a scenario
/// must not depend on which, and must not draft that pending release again.
fn record_as_released(r: &Path) -> (String, String) {
    let mut record: toml_edit::DocumentMut = fs::read_to_string(r.join("releases.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let mut released = |name: &str| {
        let version = core_version(r, &format!("{name}/Cargo.toml"));
        record[name]["version"] = toml_edit::value(version.as_str());
        version
    };
    let versions = (released("xconn-sdk"), released("xconn-ext"));
    fs::write(r.join("releases.toml"), record.to_string()).unwrap();
    versions
}

/// `0.y.z` -> `0.(y+1).0` for a breaking release, `0.y.(z+1)` otherwise.
fn next(version: &str, breaking: bool) -> String {
    let parts: Vec<u64> = version.split('.').map(|p| p.parse().unwrap()).collect();
    assert_eq!(
        parts[0], 0,
        "the crates are 0.x: a breaking release bumps the minor"
    );
    if breaking {
        format!("0.{}.0", parts[1] + 1)
    } else {
        format!("0.{}.{}", parts[1], parts[2] + 1)
    }
}

#[track_caller]
fn assert_bumps(change: SpecChange, sdk_breaks: bool, ext_breaks: bool) {
    assert_release(change, |(sdk, ext)| {
        (next(sdk, sdk_breaks), next(ext, ext_breaks))
    });
}

#[test]
fn renamed_successful_kills_is_a_breaking_release_of_both() {
    assert_bumps(SpecChange::SuccessfulKillsRenamed, true, true);
}

#[test]
fn new_connection_field_is_a_breaking_release_of_both() {
    let released = release_after(SpecChange::ConnectionTagAdded);
    // The draft says what breaks, under its own heading.
    let breaking = released
        .changelog
        .split("#### Breaking\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no Breaking list:\n{}", released.changelog));
    assert!(breaking.contains("tag"), "{}", released.changelog);
    assert_bumps(SpecChange::ConnectionTagAdded, true, true);
}

#[test]
fn renamed_connection_schema_is_a_breaking_release_of_both() {
    assert_bumps(SpecChange::ConnectionRenamed, true, true);
}

/// xconn-ext still builds (it classifies problems by path), but the
/// generated problem types' variants are named after the full URI
/// (`HttpsApiXCom2ProblemsInvalidRequest`): a breaking release of xconn-sdk,
/// and so of xconn-ext, whose public API exposes xconn-sdk's.
#[test]
fn moved_problem_host_is_a_breaking_release_of_both() {
    assert_bumps(SpecChange::ProblemHostMoved, true, true);
}

#[test]
fn raised_max_results_is_a_patch_release_of_both() {
    assert_bumps(SpecChange::MaxResultsRaised, false, false);
}

#[test]
fn new_optional_query_parameter_is_a_patch_release_of_both() {
    let released = release_after(SpecChange::SinceParameterAdded);
    let added = released
        .changelog
        .split("#### Added\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no Added list:\n{}", released.changelog));
    assert!(added.contains("query:since"), "{}", released.changelog);
    assert_bumps(SpecChange::SinceParameterAdded, false, false);
}

/// A break the spec diff and cargo-semver-checks cannot see (a changed
/// return type, a changed behaviour) is declared with `--breaking`: that
/// crate's release is breaking, the other's follows its own changes.
#[test]
fn a_declared_break_bumps_that_crate_alone() {
    let released = release_with(SpecChange::MaxResultsRaised, &["--breaking", "xconn-ext"]);
    let (sdk, ext) = &released.from;
    assert!(
        released.sdk.starts_with(&format!("{}+", next(sdk, false))),
        "{}",
        released.printed
    );
    assert!(
        released.ext.starts_with(&format!("{}+", next(ext, true))),
        "{}",
        released.printed
    );
    assert!(
        released.printed.contains("--breaking"),
        "{}",
        released.printed
    );
}

#[test]
fn a_declared_break_of_an_unknown_crate_is_refused() {
    let root = copy_of_workspace();
    fs::copy(
        workspace_root().join("releases.toml"),
        root.path().join("releases.toml"),
    )
    .unwrap();
    let empty = no_upstream();
    let err = crate::common::assert_failure(&xtask_at(
        root.path(),
        &["release", "--dry-run", "--breaking", "xconn-nope"],
        empty.path(),
    ));
    assert!(err.contains("--breaking xconn-nope"), "{err}");
}

/// Re-recording the last release is one command, reading the versions at
/// the commit it is given (after the release is tagged).
#[test]
fn record_baseline_records_the_versions_at_a_commit() {
    let root = copy_of_workspace();
    let r = root.path();
    fs::copy(
        workspace_root().join("releases.toml"),
        r.join("releases.toml"),
    )
    .unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@127.0.0.1"])
            .args(args)
            .current_dir(r)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "released"]);
    let released = git(&["rev-parse", "HEAD"]);
    let manifest = fs::read_to_string(r.join("xconn-sdk/Cargo.toml")).unwrap();
    let sdk = core_version(r, "xconn-sdk/Cargo.toml");
    let bumped = manifest.replacen("version = \"0.", "version = \"7.", 1);
    fs::write(r.join("xconn-sdk/Cargo.toml"), bumped).unwrap();
    git(&["commit", "-qam", "later work"]);

    let empty = no_upstream();
    assert_success(&xtask_at(
        r,
        &["release", "--record-baseline", "--commit", &released[..12]],
        empty.path(),
    ));
    let record: toml_edit::DocumentMut = fs::read_to_string(r.join("releases.toml"))
        .unwrap()
        .parse()
        .unwrap();
    for name in ["xconn-sdk", "xconn-ext"] {
        assert_eq!(
            record[name]["commit"].as_str(),
            Some(released.as_str()),
            "{name}"
        );
    }
    // The version at the recorded commit, not the later one.
    assert_eq!(record["xconn-sdk"]["version"].as_str(), Some(sdk.as_str()));
}
