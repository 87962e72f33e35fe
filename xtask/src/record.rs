//! `openapi/upstream.json`: where the fragment came from, written by
//! `extract` and read by `check` and `generate`.
//!
//! It is the one place that records the upstream spec version; the crate
//! versions' build metadata and the READMEs are derived from it (see
//! `release.rs`). It also records the fragment's own sha256, so that `check`
//! notices a hand edit of the fragment even when the upstream file is not at
//! hand.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::workspace::{self, UPSTREAM_RECORD, sha256_hex};

/// Keys are declared in sorted order, so the file reads like the fragment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamRecord {
    /// The upstream file's name (for a URL, the last segment of its path).
    pub file: String,
    /// sha256 of `openapi/connections.json` as `extract` wrote it.
    pub fragment_sha256: String,
    /// sha256 of the upstream document, byte for byte.
    pub sha256: String,
    /// Where it was downloaded from, when `--from` was a URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The upstream spec's `info.version`.
    pub version: String,
}

impl UpstreamRecord {
    /// What `extract --from <source>` records for `upstream` and the
    /// fragment text it wrote.
    pub fn new(upstream: &crate::source::Upstream, version: &str, fragment_text: &str) -> Self {
        UpstreamRecord {
            file: upstream.file.clone(),
            fragment_sha256: sha256_hex(fragment_text.as_bytes()),
            sha256: sha256_hex(upstream.text.as_bytes()),
            url: upstream.url.clone(),
            version: version.to_owned(),
        }
    }

    pub fn read(root: &Path) -> Result<Self> {
        let text = workspace::read(&root.join(UPSTREAM_RECORD))?;
        serde_json::from_str(&text).with_context(|| {
            format!(
                "{UPSTREAM_RECORD} is not a record written by `cargo xtask extract` \
                 (file, fragment_sha256, sha256, version, optional url)"
            )
        })
    }

    pub fn to_text(&self) -> String {
        workspace::to_pretty_json(self)
    }

    /// Where the fragment came from: the URL, or the file's name.
    pub fn source(&self) -> &str {
        self.url.as_deref().unwrap_or(&self.file)
    }

    /// The `extract` command that reproduces the fragment, as far as the
    /// record knows: a file is recorded by name only, not by where it was.
    pub fn extract_command(&self) -> String {
        match &self.url {
            Some(url) => format!("cargo xtask extract --from {url}"),
            None => format!("cargo xtask extract --from <path of {}>", self.file),
        }
    }
}
