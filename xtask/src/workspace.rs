//! The files of the workspace that xtask reads and writes, and the small
//! file helpers every command shares.

use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// The Stream Connections fragment, cut unchanged out of X's spec.
pub const FRAGMENT: &str = "openapi/connections.json";
/// Where the fragment came from: the one place that records the upstream
/// version (see `record.rs`).
pub const UPSTREAM_RECORD: &str = "openapi/upstream.json";
/// The client progenitor writes.
pub const GENERATED: &str = "xconn-sdk/src/generated.rs";
/// Where the upstream specs live relative to the workspace root, unless
/// `XCONN_UPSTREAM_DIR` says otherwise. Optional: `check` verifies the
/// fragment against its recorded sha256 without them.
pub const UPSTREAM_DIR: &str = "../shared/upstream";

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Read a UTF-8 file, naming it in the error.
pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Write a file, creating its directory, naming it in the error.
pub fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Pretty JSON with sorted keys (serde_json's map is a `BTreeMap` here) and a
/// final newline, so checked-in files diff line by line.
pub fn to_pretty_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON values serialize");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_lower_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
