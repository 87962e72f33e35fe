//! `cargo xtask release` and `cargo xtask semver-checks`: a spec change
//! becomes a release that dependents can trust.
//!
//! `release` decides each published crate's next version from what changed
//! since its last release (`releases.toml`), writes it into the manifests,
//! the workspace's dependency lines and `Cargo.lock`, and drafts the
//! `CHANGELOG.md` section from `cargo xtask diff`'s report. The decision:
//! - `xconn-sdk`'s public API is generated from the spec, so a change that
//!   `diff` marks breaking is a breaking release of it;
//! - `xconn-ext` exposes `xconn-sdk`'s types (`Client::sdk()`), so a
//!   breaking release of `xconn-sdk` is one of `xconn-ext` too (its
//!   dependents would meet a new, incompatible `xconn_sdk::Client`);
//! - with `--semver-checks`, `cargo-semver-checks` is asked as well, which
//!   catches hand-written breaks the spec cannot show (minutes per crate).
//!
//! A breaking release bumps the minor while 0.x, the major from 1.0;
//! anything else the patch. `semver-checks` (CI) then holds the manifests'
//! versions to the compiler's rules, whatever the decision was.

mod changelog;
mod manifests;
mod record;
mod semver_checks;
mod version;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::diff;
use crate::record::UpstreamRecord;
use crate::workspace::{self, FRAGMENT};
pub use manifests::refresh_lockfile;
pub use record::RELEASES;
use record::{PUBLISHED, Release};
use version::{Bump, Version};

/// What `cargo xtask release` was asked to do.
pub struct Options {
    /// The fragment of the last release; by default the one at its commit.
    pub old_spec: Option<PathBuf>,
    /// Ask `cargo-semver-checks` too.
    pub semver_checks: bool,
    /// Print the decision, write nothing.
    pub dry_run: bool,
    /// Crates the maintainer declares broken: a break neither the spec
    /// diff nor cargo-semver-checks can see (a changed return type, which
    /// cargo-semver-checks has no lint for; a changed behaviour).
    pub breaking: Vec<String>,
}

/// One crate's decided release.
#[derive(Debug)]
struct Verdict {
    last: Release,
    bump: Bump,
    next: Version,
    reasons: Vec<String>,
}

pub fn release(root: &Path, options: &Options) -> Result<bool> {
    let last = record::read(root)?;
    if let Some(unknown) = options
        .breaking
        .iter()
        .find(|name| !last.iter().any(|r| r.name == name.as_str()))
    {
        bail!(
            "--breaking {unknown}: not a published crate of this workspace ({RELEASES} lists them)"
        );
    }
    let old_text = match &options.old_spec {
        Some(path) => workspace::read(path)?,
        None => git_show(root, &last[0].commit, FRAGMENT)?,
    };
    let parse = |text: &str, what: &str| -> Result<Value> {
        serde_json::from_str(text).with_context(|| format!("{what} is not JSON"))
    };
    let old = parse(&old_text, "the last release's fragment")?;
    let new = parse(&workspace::read(&root.join(FRAGMENT))?, FRAGMENT)?;
    let report = diff::diff(&old, &new)?;
    let spec = UpstreamRecord::read(root)?.version;

    let verdicts = decide(
        root,
        &last,
        &report,
        options.semver_checks,
        &options.breaking,
    )?;
    let lines: Vec<String> = verdicts
        .iter()
        .map(|v| {
            format!(
                "{} {} -> {}+{spec}: {} ({})",
                v.last.name,
                v.last.version,
                v.next,
                match v.bump {
                    Bump::Breaking => "breaking",
                    Bump::Patch => "patch",
                },
                v.reasons.join("; ")
            )
        })
        .collect();
    for line in &lines {
        println!("{line}");
    }
    if !options.semver_checks {
        println!(
            "(from the spec alone: add --semver-checks to hold hand-written changes to the \
             compiler's rules too)"
        );
    }
    if options.dry_run {
        return Ok(true);
    }

    let versions: Vec<Version> = verdicts.iter().map(|v| v.next).collect();
    for file in manifests::write(root, &versions, &spec)? {
        println!("wrote {file}");
    }
    if manifests::refresh_lockfile(root)? {
        println!("updated Cargo.lock (the workspace's own crates only)");
    }
    let title = verdicts
        .iter()
        .map(|v| format!("{} {}", v.last.name, v.next))
        .collect::<Vec<_>>()
        .join(", ");
    let title = format!("{title} (X API spec {spec}) - {}", changelog::today());
    let path = root.join("CHANGELOG.md");
    let text = changelog::draft(&workspace::read(&path)?, &title, &report, &lines)?;
    workspace::write(&path, &text)?;
    println!("drafted CHANGELOG.md `## {title}`: edit it, then `cargo xtask semver-checks`");
    Ok(true)
}

fn decide(
    root: &Path,
    last: &[Release],
    report: &diff::Report,
    ask_tool: bool,
    declared: &[String],
) -> Result<Vec<Verdict>> {
    let mut verdicts: Vec<Verdict> = Vec::new();
    for release in last {
        let mut reasons = Vec::new();
        match release.name {
            "xconn-sdk" if report.summary.breaking > 0 => reasons.push(format!(
                "{} breaking spec change(s) reach its generated API (cargo xtask diff)",
                report.summary.breaking
            )),
            "xconn-ext" if verdicts.iter().any(|v| v.bump == Bump::Breaking) => reasons.push(
                "its public API exposes xconn-sdk's types (Client::sdk()), whose release is breaking"
                    .to_owned(),
            ),
            _ => {}
        }
        if declared.iter().any(|name| name == release.name) {
            reasons.push("declared breaking by the maintainer (--breaking)".to_owned());
        }
        let patch = release.version.bumped(Bump::Patch);
        if ask_tool && !semver_checks::check(root, release, Some(patch))? {
            reasons.push("cargo-semver-checks finds a breaking change".to_owned());
        }
        let bump = if reasons.is_empty() {
            reasons.push(
                if ask_tool {
                    "nothing breaking in the spec or by cargo-semver-checks"
                } else {
                    "nothing breaking in the spec"
                }
                .to_owned(),
            );
            Bump::Patch
        } else {
            Bump::Breaking
        };
        verdicts.push(Verdict {
            last: release.clone(),
            bump,
            next: release.version.bumped(bump),
            reasons,
        });
    }
    Ok(verdicts)
}

/// `cargo xtask release --record-baseline`: the manifests' versions at
/// `commit` become each crate's last release.
pub fn record_baseline(root: &Path, commit: &str) -> Result<bool> {
    let commit = git(
        root,
        &["rev-parse", "--verify", &format!("{commit}^{{commit}}")],
    )?;
    let mut releases = Vec::new();
    for (name, manifest) in PUBLISHED {
        let text = git_show(root, &commit, manifest)?;
        let doc: toml_edit::DocumentMut = text
            .parse()
            .with_context(|| format!("{manifest} at {commit}"))?;
        let version = doc
            .get("package")
            .and_then(|p| p.get("version"))
            .and_then(|v| v.as_str())
            .with_context(|| format!("{manifest} at {commit} has no [package] version"))?;
        releases.push(Release {
            name,
            version: version.parse()?,
            commit: commit.clone(),
        });
    }
    let path = root.join(RELEASES);
    let text = record::render(&workspace::read(&path)?, &releases)?;
    workspace::write(&path, &text)?;
    for r in &releases {
        println!("recorded {} {} at {}", r.name, r.version, r.commit);
    }
    Ok(true)
}

/// `cargo xtask semver-checks`: every published crate against its last
/// release, the release type read from the manifest's version (CI).
pub fn semver_checks(root: &Path) -> Result<bool> {
    if !semver_checks::installed() {
        bail!("cargo-semver-checks is not installed: cargo install cargo-semver-checks --locked");
    }
    let mut ok = true;
    for release in record::read(root)? {
        println!(
            "== {} against {} ({})",
            release.name, release.version, release.commit
        );
        if !semver_checks::check(root, &release, None)? {
            eprintln!(
                "{}: its public API changed more than its version says; run `cargo xtask release \
                 --semver-checks` to bump it, or undo the break",
                release.name
            );
            ok = false;
        }
    }
    Ok(ok)
}

fn git(root: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}

fn git_show(root: &Path, commit: &str, file: &str) -> Result<String> {
    git(root, &["show", &format!("{commit}:{file}")])
        .with_context(|| format!("{file} at the last release ({commit}); is the history there?"))
}
