//! `cargo xtask`: the only writer of xconn's generated files.
//!
//! - `extract`  cuts `openapi/connections.json` out of a full X spec;
//! - `generate` runs progenitor on it and writes `xconn-sdk/src/generated.rs`;
//! - `check`    writes nothing and fails, with a diff, when either is stale;
//! - `diff`     reports what changed between two upstream releases, and what breaks.

mod adjust;
mod diff;
mod extract;
mod generate;
mod spec_facts;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const FRAGMENT: &str = "openapi/connections.json";
const UPSTREAM_RECORD: &str = "openapi/upstream.json";
const GENERATED: &str = "xconn-sdk/src/generated.rs";
/// Where the upstream specs live relative to the workspace root, unless
/// `XCONN_UPSTREAM_DIR` says otherwise.
const UPSTREAM_DIR: &str = "../shared/upstream";

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
    /// (Re)write the Stream Connections fragment from a full X spec.
    Extract {
        /// The full upstream spec (JSON).
        #[arg(long)]
        from: PathBuf,
        /// Where to write the fragment.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Generate the raw client from the fragment.
    Generate {
        /// The fragment to generate from.
        #[arg(long)]
        spec: Option<PathBuf>,
        /// Where to write the generated code.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify the fragment and the generated code are fresh; writes nothing.
    Check,
    /// Report what changed in the Stream Connections API between two full
    /// specs, marking what breaks clients. Exits 0 whatever it finds.
    Diff {
        /// The older full upstream spec (JSON).
        old: PathBuf,
        /// The newer full upstream spec (JSON).
        new: PathBuf,
        /// How to print the report.
        #[arg(long, value_enum, default_value_t = diff::Format::Text)]
        format: diff::Format,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli.root.clone().unwrap_or_else(default_root);
    let result = match cli.command {
        Command::Extract { from, out } => cmd_extract(&root, &from, out),
        Command::Generate { spec, out } => cmd_generate(&root, spec, out),
        Command::Check => cmd_check(&root),
        Command::Diff { old, new, format } => cmd_diff(&old, &new, format),
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

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Extract the fragment text and the record of where it came from.
fn extract_texts(full_text: &str, upstream_name: &str) -> Result<(String, String)> {
    let full: Value = serde_json::from_str(full_text).context("upstream spec is not JSON")?;
    let fragment = extract::fragment(&full)?;
    let record = json!({
        "file": upstream_name,
        "sha256": sha256_hex(full_text.as_bytes()),
        "version": full.pointer("/info/version").cloned().unwrap_or(Value::Null),
    });
    Ok((extract::to_pretty(&fragment), extract::to_pretty(&record)))
}

fn cmd_extract(root: &Path, from: &Path, out: Option<PathBuf>) -> Result<bool> {
    let out = out.unwrap_or_else(|| root.join(FRAGMENT));
    let full_text = read(from)?;
    let name = from
        .file_name()
        .and_then(|n| n.to_str())
        .context("--from has no file name")?;
    let (fragment, record) = extract_texts(&full_text, name)?;
    write(&out, &fragment)?;
    let record_path = out.with_file_name("upstream.json");
    write(&record_path, &record)?;
    println!("wrote {} and {}", out.display(), record_path.display());
    Ok(true)
}

fn cmd_generate(root: &Path, spec: Option<PathBuf>, out: Option<PathBuf>) -> Result<bool> {
    let spec = spec.unwrap_or_else(|| root.join(FRAGMENT));
    let out = out.unwrap_or_else(|| root.join(GENERATED));
    let code = generate::render(&read(&spec)?, &display_name(root, &spec))?;
    write(&out, &code)?;
    println!("wrote {}", out.display());
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

fn cmd_diff(old: &Path, new: &Path, format: diff::Format) -> Result<bool> {
    let parse = |path: &Path| -> Result<Value> {
        serde_json::from_str(&read(path)?)
            .with_context(|| format!("{} is not JSON", path.display()))
    };
    let report = diff::diff(&parse(old)?, &parse(new)?)?;
    print!("{}", report.render(format));
    // A report, not a gate: breaking changes are expected on a spec bump and
    // are for a person to weigh, so only a failure to compare is an error.
    Ok(true)
}

fn cmd_check(root: &Path) -> Result<bool> {
    let mut fresh = true;
    let fragment_path = root.join(FRAGMENT);
    let fragment = read(&fragment_path)?;

    // 1. The fragment against what `extract` would write from the recorded upstream.
    let record: Value = serde_json::from_str(&read(&root.join(UPSTREAM_RECORD))?)
        .context("openapi/upstream.json is not JSON")?;
    let file = record["file"]
        .as_str()
        .context("openapi/upstream.json has no `file`")?;
    let upstream_dir = std::env::var_os("XCONN_UPSTREAM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(UPSTREAM_DIR));
    let upstream_path = upstream_dir.join(file);
    if upstream_path.is_file() {
        let full_text = read(&upstream_path)?;
        let (expected_fragment, expected_record) = extract_texts(&full_text, file)?;
        if record["sha256"].as_str() != Some(sha256_hex(full_text.as_bytes()).as_str()) {
            bail!(
                "{} does not match the sha256 recorded in {UPSTREAM_RECORD}; \
                 the upstream copy changed",
                upstream_path.display()
            );
        }
        fresh &= compare(
            FRAGMENT,
            &fragment,
            &expected_fragment,
            &format!("cargo xtask extract --from {}", upstream_path.display()),
        );
        fresh &= compare(
            UPSTREAM_RECORD,
            &read(&root.join(UPSTREAM_RECORD))?,
            &expected_record,
            &format!("cargo xtask extract --from {}", upstream_path.display()),
        );
    } else {
        println!(
            "skipped the upstream comparison: {} not found (set XCONN_UPSTREAM_DIR)",
            upstream_path.display()
        );
    }

    // 2. generated.rs against what `generate` would write from the fragment.
    let expected = generate::render(&fragment, FRAGMENT)?;
    let actual = std::fs::read_to_string(root.join(GENERATED)).unwrap_or_default();
    fresh &= compare(GENERATED, &actual, &expected, "cargo xtask generate");

    if fresh {
        println!("fresh: {FRAGMENT}, {GENERATED}");
    }
    Ok(fresh)
}

/// Print a bounded unified diff and the fixing command when texts differ.
fn compare(name: &str, actual: &str, expected: &str, fix: &str) -> bool {
    if actual == expected {
        return true;
    }
    const MAX_LINES: usize = 200;
    let diff = similar::TextDiff::from_lines(actual, expected);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{name} (checked in)"),
            &format!("{name} (expected)"),
        )
        .to_string();
    eprintln!("stale: {name}; run `{fix}` and commit the result");
    for line in text.lines().take(MAX_LINES) {
        eprintln!("{line}");
    }
    let total = text.lines().count();
    if total > MAX_LINES {
        eprintln!("... ({} more diff lines)", total - MAX_LINES);
    }
    false
}
