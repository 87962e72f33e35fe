//! `cargo xtask check`: verify, writing nothing, that every generated or
//! derived file agrees with its source, and say for each stale one which
//! command fixes it.
//!
//! What is verified, with or without the upstream file at hand:
//! - `openapi/connections.json` against the sha256 `extract` recorded in
//!   `openapi/upstream.json` (a hand edit of the fragment), and its
//!   `info.version` against the record;
//! - when the upstream file is found (`XCONN_UPSTREAM_DIR`, by default
//!   `../shared/upstream`), the fragment and the record against what
//!   `extract` would write from it;
//! - `xconn-sdk/src/generated.rs` against what `generate` renders from the
//!   fragment (its header carries the fragment's sha256);
//! - the crate versions' build metadata, the README's "Supported X API spec"
//!   line and `openapi/README.md`'s table against the recorded version.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::record::UpstreamRecord;
use crate::workspace::{self, FRAGMENT, GENERATED, UPSTREAM_DIR, UPSTREAM_RECORD, sha256_hex};
use crate::{extract, generate, release, source};

/// Returns whether everything is fresh; staleness is reported on stderr.
pub fn run(root: &Path) -> Result<bool> {
    let mut fresh = true;
    let record = UpstreamRecord::read(root)?;
    let fragment = workspace::read(&root.join(FRAGMENT))?;
    let extract_cmd = record.extract_command();

    // 1. The fragment is what extract wrote: no upstream file needed.
    let sha = sha256_hex(fragment.as_bytes());
    if sha != record.fragment_sha256 {
        eprintln!(
            "stale: {FRAGMENT} was edited after `cargo xtask extract` wrote it \
             (sha256 {sha}, {UPSTREAM_RECORD} records {}); the fragment is never edited by \
             hand: restore it (`git checkout {FRAGMENT}`) or run `{extract_cmd}` \
             and commit the result",
            record.fragment_sha256
        );
        fresh = false;
    }
    let version = serde_json::from_str::<Value>(&fragment)
        .with_context(|| format!("{FRAGMENT} is not JSON"))?
        .pointer("/info/version")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if version.as_deref() != Some(record.version.as_str()) {
        eprintln!(
            "stale: {FRAGMENT} has info.version {version:?}, {UPSTREAM_RECORD} records {:?}; \
             run `{extract_cmd}` and commit the result",
            record.version
        );
        fresh = false;
    }

    // 2. Against the upstream file itself, when it is at hand.
    match local_upstream(root, &record) {
        Some(path) => {
            let upstream = source::load(path.to_str().context("non-UTF-8 upstream path")?)?;
            if sha256_hex(upstream.text.as_bytes()) != record.sha256 {
                bail!(
                    "{} does not match the sha256 recorded in {UPSTREAM_RECORD}; \
                     the upstream copy changed",
                    path.display()
                );
            }
            let (expected_fragment, expected_record) = extract::extract(&upstream)?;
            let fix = format!("cargo xtask extract --from {}", path.display());
            fresh &= compare(FRAGMENT, &fragment, &expected_fragment, &fix);
            fresh &= compare(
                UPSTREAM_RECORD,
                &record.to_text(),
                &expected_record.to_text(),
                &fix,
            );
        }
        None => println!(
            "skipped the upstream comparison: {} not found (set XCONN_UPSTREAM_DIR); \
             the fragment was checked against its recorded sha256",
            record.url.as_deref().unwrap_or(&record.file)
        ),
    }

    // 3. generated.rs is what generate renders from the fragment.
    let expected = generate::render(&fragment, FRAGMENT)?;
    let generated = root.join(GENERATED);
    let actual = if generated.is_file() {
        workspace::read(&generated)?
    } else {
        eprintln!("stale: {GENERATED} is missing");
        String::new()
    };
    fresh &= compare(GENERATED, &actual, &expected, "cargo xtask generate");

    // 4. Everything that names the spec version agrees with the record.
    for update in release::plan(root, &record)? {
        for mismatch in &update.mismatches {
            eprintln!(
                "stale: {}: {mismatch} ({UPSTREAM_RECORD} records {}); \
                 run `cargo xtask generate` and commit the result",
                update.file, record.version
            );
            fresh = false;
        }
    }

    if fresh {
        println!(
            "fresh: {FRAGMENT}, {UPSTREAM_RECORD}, {GENERATED}, and the spec version {} \
             everywhere it is named",
            record.version
        );
    }
    Ok(fresh)
}

/// The recorded upstream file in the upstream directory, if it is there.
/// A downloaded spec is not looked for: its last path segment
/// (`openapi.json`) names no particular release.
fn local_upstream(root: &Path, record: &UpstreamRecord) -> Option<PathBuf> {
    if record.url.is_some() {
        return None;
    }
    let dir = std::env::var_os("XCONN_UPSTREAM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(UPSTREAM_DIR));
    let path = dir.join(&record.file);
    path.is_file().then_some(path)
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
