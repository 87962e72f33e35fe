//! `cargo-semver-checks`, run on each published crate against its last
//! release's commit (from `releases.toml`): the compiler's rules, through
//! rustdoc JSON, for what breaks a dependent.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use super::record::Release;

/// Whether `cargo semver-checks` is installed.
pub fn installed() -> bool {
    Command::new("cargo-semver-checks")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Check `release.name` in the working tree against `release.commit`.
///
/// `release_type` is `None` to let the tool infer it from the manifest's
/// version against the baseline's (CI: is the bump in the manifest enough?),
/// or `Some("patch")` to ask whether anything broke at all.
pub fn check(root: &Path, release: &Release, release_type: Option<&str>) -> Result<bool> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args(["semver-checks", "check-release", "--package", release.name])
        .args(["--baseline-rev", &release.commit])
        .current_dir(root);
    if let Some(kind) = release_type {
        cmd.args(["--release-type", kind]);
    }
    let status = cmd.status().context(
        "cannot run `cargo semver-checks` (install: cargo install cargo-semver-checks --locked)",
    )?;
    Ok(status.success())
}
