//! `cargo-semver-checks`, run on each published crate against its last
//! release's commit (from `releases.toml`): the compiler's rules, through
//! rustdoc JSON, for what breaks a dependent.
//!
//! The rustdoc JSON of both sides is built here, into the workspace's own
//! target directory, rather than by `cargo-semver-checks --baseline-rev`,
//! which builds every dependency afresh for each crate and each side (four
//! times the TLS stack's C build: tens of minutes on CI's two cores). Here
//! the dependencies are built once and shared by both crates and both
//! sides, against each side's own `Cargo.lock`; the baseline is the release
//! commit's tree (`git archive`), kept under `target/` for the next run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use super::record::{PUBLISHED, Release};
use super::version::Version;
use crate::workspace;

/// Whether `cargo semver-checks` is installed.
pub fn installed() -> bool {
    Command::new("cargo-semver-checks")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Check `release.name` in the working tree against `release.commit`.
///
/// `next` is the version to hold the change to: `None` for the manifest's
/// (CI: is the bump in the manifest enough?), or the next patch release to
/// ask whether anything broke at all.
pub fn check(root: &Path, release: &Release, next: Option<Version>) -> Result<bool> {
    let target = target_dir(root);
    let current = rustdoc_json(root, &target, release.name, "current")?;
    let baseline_tree = baseline_tree(root, &target, &release.commit)?;
    let baseline = rustdoc_json(&baseline_tree, &target, release.name, &release.commit[..12])?;
    let next = match next {
        Some(next) => next,
        None => manifest_version(root, release.name)?,
    };
    if next < release.version {
        bail!(
            "{} is {next} in its manifest, below its last release {}",
            release.name,
            release.version
        );
    }
    let release_type = release.version.release_type(next);
    println!(
        "{}: {} -> {next} may make {release_type}-level changes (cargo's semver rules); \
         checking against {}",
        release.name, release.version, release.commit
    );
    let status = Command::new(cargo())
        .args([
            "semver-checks",
            "check-release",
            "--release-type",
            release_type,
        ])
        .arg("--baseline-rustdoc")
        .arg(&baseline)
        .arg("--current-rustdoc")
        .arg(&current)
        .current_dir(root)
        .status()
        .context("cannot run `cargo semver-checks` (cargo install cargo-semver-checks --locked)")?;
    Ok(status.success())
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn manifest_version(root: &Path, name: &str) -> Result<Version> {
    let manifest = PUBLISHED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, m)| *m)
        .with_context(|| format!("{name} is not a published crate"))?;
    let doc: toml_edit::DocumentMut = workspace::read(&root.join(manifest))?
        .parse()
        .with_context(|| format!("{manifest} is not valid TOML"))?;
    doc.get("package")
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .with_context(|| format!("{manifest} has no [package] version"))?
        .parse()
}

/// The release commit's tree, unpacked once under the target directory.
fn baseline_tree(root: &Path, target: &Path, commit: &str) -> Result<PathBuf> {
    let dir = target.join("semver-baseline").join(commit);
    if dir.join("Cargo.toml").exists() {
        return Ok(dir);
    }
    let partial = dir.with_extension("partial");
    if partial.exists() {
        std::fs::remove_dir_all(&partial)
            .with_context(|| format!("cannot remove {}", partial.display()))?;
    }
    std::fs::create_dir_all(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let mut archive = Command::new("git")
        .args(["archive", "--format=tar", commit])
        .current_dir(root)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run git archive")?;
    let stdout = archive.stdout.take().context("git archive has no stdout")?;
    let untar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(&partial)
        .stdin(stdout)
        .status()
        .context("cannot run tar")?;
    let archived = archive.wait().context("git archive did not finish")?;
    if !archived.success() || !untar.success() {
        bail!("cannot unpack commit {commit} (is the history there? a shallow clone lacks it)");
    }
    std::fs::rename(&partial, &dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// `cargo rustdoc --output-format json` of `package` in the workspace at
/// `workspace`, copied to a file named after `side`.
fn rustdoc_json(workspace: &Path, target: &Path, package: &str, side: &str) -> Result<PathBuf> {
    let status = Command::new(cargo())
        .args([
            "rustdoc",
            "--lib",
            "--all-features",
            "--locked",
            "-p",
            package,
        ])
        .arg("--target-dir")
        .arg(target)
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        // rustdoc's JSON output is unstable; this is how cargo-semver-checks
        // itself gets it from a stable toolchain.
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(workspace)
        .status()
        .with_context(|| format!("cannot run cargo rustdoc -p {package}"))?;
    if !status.success() {
        bail!(
            "cargo rustdoc -p {package} failed in {}",
            workspace.display()
        );
    }
    let json = target
        .join("doc")
        .join(format!("{}.json", package.replace('-', "_")));
    let kept = target
        .join("semver-baseline")
        .join(format!("{package}-{side}.json"));
    std::fs::create_dir_all(kept.parent().expect("has a parent"))
        .context("cannot create the semver-baseline directory")?;
    std::fs::copy(&json, &kept).with_context(|| format!("cannot copy {}", json.display()))?;
    Ok(kept)
}
