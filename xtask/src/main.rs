//! `cargo xtask`: the only writer of xconn's generated files.
//!
//! - `extract`  cuts `openapi/connections.json` out of a full X spec (a file
//!   or an `https://` URL) and records where it came from;
//! - `generate` runs progenitor on it, writes `xconn-sdk/src/generated.rs`,
//!   and brings every place that names the spec version in line;
//! - `check`    writes nothing and fails, naming the fixing command, when any
//!   of those is stale or was edited by hand;
//! - `diff`     reports what changed between two upstream releases, and what breaks;
//! - `release`  decides and writes the crates' next versions and drafts the
//!   changelog (`--record-baseline` records a release once it is tagged);
//! - `semver-checks` holds the versions to the compiler's rules (CI);
//! - `msrv`     fails when a locked dependency needs a newer Rust than ours.

mod adjust;
mod check;
mod diff;
mod extract;
mod generate;
mod msrv;
mod openapi;
mod publish;
mod record;
mod release;
mod source;
mod spec_facts;
mod workspace;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use serde_json::Value;

use crate::record::UpstreamRecord;
use crate::workspace::{FRAGMENT, GENERATED, UPSTREAM_RECORD, read, write};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Regenerate and check xconn's generated code"
)]
struct Cli {
    /// Workspace root to operate on (defaults to this workspace).
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// (Re)write the Stream Connections fragment, and the record of where it
    /// came from, from a full X spec.
    Extract {
        /// The full upstream spec (JSON): a file path, or an https:// URL
        /// such as `https://api.x.com/2/openapi.json`.
        #[arg(long)]
        from: String,
        /// Where to write the fragment (the record goes beside it as
        /// upstream.json).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Generate the raw client from the fragment, and write the recorded spec
    /// version into the crate versions and the READMEs.
    Generate {
        /// The fragment to generate from (then only the code is written).
        #[arg(long)]
        spec: Option<PathBuf>,
        /// Where to write the generated code (then only the code is written).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify the fragment, the generated code and the version bookkeeping
    /// are fresh; writes nothing.
    Check,
    /// Report what changed in the Stream Connections API between two full
    /// specs, marking what breaks clients. Exits 0 whatever it finds.
    Diff {
        /// The older spec (JSON): a full upstream spec, or the checked-in
        /// fragment `openapi/connections.json`; a file path or an https:// URL.
        old: String,
        /// The newer spec (JSON), likewise.
        new: String,
        /// How to print the report.
        #[arg(long, value_enum, default_value_t = diff::Format::Text)]
        format: diff::Format,
    },
    /// Decide each published crate's next version from what changed since
    /// its last release (releases.toml), write it into the manifests and
    /// Cargo.lock, and draft the CHANGELOG.md section.
    Release {
        /// Compare the spec against this fragment instead of the one at the
        /// last release's commit.
        #[arg(long)]
        old_spec: Option<PathBuf>,
        /// Ask cargo-semver-checks too (catches hand-written breaks; slow).
        #[arg(long)]
        semver_checks: bool,
        /// Print the decision only.
        #[arg(long)]
        dry_run: bool,
        /// Declare this crate's release breaking (repeatable): a break the
        /// spec diff and cargo-semver-checks cannot see, such as a changed
        /// return type or behaviour. Say what breaks in the changelog.
        #[arg(long, value_name = "CRATE")]
        breaking: Vec<String>,
        /// Instead: record the manifests' versions at `--commit` as the last
        /// release of each crate (after tagging it).
        #[arg(long, conflicts_with_all = ["old_spec", "semver_checks", "dry_run", "breaking"])]
        record_baseline: bool,
        /// The commit `--record-baseline` records.
        #[arg(long, default_value = "HEAD", requires = "record_baseline")]
        commit: String,
    },
    /// Compare each published crate's public API with its last release
    /// (releases.toml) with cargo-semver-checks; fails when a crate broke
    /// without the version bump that needs.
    SemverChecks,
    /// Fail when a locked dependency declares a rust-version above the
    /// workspace's.
    Msrv,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli.root.clone().unwrap_or_else(default_root);
    let result = match cli.command {
        Command::Extract { from, out } => cmd_extract(&root, &from, out),
        Command::Generate { spec, out } => cmd_generate(&root, spec, out),
        Command::Check => check::run(&root),
        Command::Diff { old, new, format } => cmd_diff(&old, &new, format),
        Command::Release {
            record_baseline: true,
            commit,
            ..
        } => publish::record_baseline(&root, &commit),
        Command::Release {
            old_spec,
            semver_checks,
            dry_run,
            breaking,
            ..
        } => publish::release(
            &root,
            &publish::Options {
                old_spec,
                semver_checks,
                dry_run,
                breaking,
            },
        ),
        Command::SemverChecks => publish::semver_checks(&root),
        Command::Msrv => msrv::run(&root),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn default_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

fn cmd_extract(root: &Path, from: &str, out: Option<PathBuf>) -> Result<bool> {
    let out = out.unwrap_or_else(|| root.join(FRAGMENT));
    let upstream = source::load(from)?;
    let (fragment, record) = extract::extract(&upstream)?;
    write(&out, &fragment)?;
    let record_path = out.with_file_name("upstream.json");
    write(&record_path, &record.to_text())?;
    println!(
        "wrote {} and {} (X API v2 {}); next: `cargo xtask generate`",
        out.display(),
        record_path.display(),
        record.version
    );
    Ok(true)
}

fn cmd_generate(root: &Path, spec: Option<PathBuf>, out: Option<PathBuf>) -> Result<bool> {
    // With the workspace's own files, the release bookkeeping follows; a
    // fragment or output given by hand is a one-off rendering.
    let own_files = spec.is_none() && out.is_none();
    let spec = spec.unwrap_or_else(|| root.join(FRAGMENT));
    let out = out.unwrap_or_else(|| root.join(GENERATED));
    let text = read(&spec)?;
    // Everything is checked before anything is written.
    let release_plan = if own_files {
        let record = UpstreamRecord::read(root)?;
        let version = serde_json::from_str::<Value>(&text)
            .context("the fragment is not JSON")?
            .pointer("/info/version")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if version.as_deref() != Some(record.version.as_str()) {
            bail!(
                "{FRAGMENT} has info.version {version:?} but {UPSTREAM_RECORD} records {:?}; \
                 run `cargo xtask extract --from <spec>` rather than editing either",
                record.version
            );
        }
        Some((release::plan(root, &record)?, record.version))
    } else {
        None
    };
    let code = generate::render(&text, &display_name(root, &spec))?;
    write(&out, &code)?;
    println!("wrote {}", out.display());
    if let Some((plan, version)) = release_plan {
        let written = release::apply(root, &plan)?;
        for file in &written {
            println!("wrote {file} (spec version {version})");
        }
        // The manifests' versions are in Cargo.lock too: keep it in line, so
        // that CI's `--locked` builds pass with what is committed.
        if written.iter().any(|f| f.ends_with("Cargo.toml")) && publish::refresh_lockfile(root)? {
            println!("updated Cargo.lock (the workspace's own crates only)");
        }
    }
    Ok(true)
}

/// The spec's name as it appears in the header: relative to the workspace
/// when inside it, else the bare file name (never a machine-specific path).
fn display_name(root: &Path, spec: &Path) -> String {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    match canonical(spec).strip_prefix(canonical(root)) {
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => spec
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

fn cmd_diff(old: &str, new: &str, format: diff::Format) -> Result<bool> {
    let parse = |from: &str| -> Result<Value> {
        let upstream = source::load(from)?;
        serde_json::from_str(&upstream.text).with_context(|| format!("{from} is not JSON"))
    };
    let report = diff::diff(&parse(old)?, &parse(new)?)?;
    print!("{}", report.render(format));
    // A report, not a gate: breaking changes are expected on a spec bump and
    // are for a person to weigh, so only a failure to compare is an error.
    Ok(true)
}
