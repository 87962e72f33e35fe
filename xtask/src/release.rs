//! The release bookkeeping that names the upstream spec version: the crate
//! versions' build metadata (`0.1.0+2.167`), the README's "Supported X API
//! spec" line and the table in `openapi/README.md`.
//!
//! `openapi/upstream.json` is the one place the version is recorded; every
//! slot here is derived from it. `generate` rewrites them, `check` fails
//! while any disagrees. One function computes both, so they cannot drift.

use std::path::Path;

use anyhow::{Context, Result, bail};
use toml_edit::DocumentMut;

use crate::record::UpstreamRecord;
use crate::workspace;

/// The crates whose version carries the spec as build metadata.
const VERSIONED_CRATES: [(&str, &str); 2] = [
    ("xconn-sdk", "xconn-sdk/Cargo.toml"),
    ("xconn-ext", "xconn-ext/Cargo.toml"),
];
const ROOT_MANIFEST: &str = "Cargo.toml";
const README: &str = "README.md";
const SUPPORTED_LINE: &str = "Supported X API spec: **";
const OPENAPI_README: &str = "openapi/README.md";

/// One file as it is and as the record wants it.
#[derive(Debug)]
pub struct FileUpdate {
    /// Relative to the workspace root.
    pub file: &'static str,
    pub before: String,
    pub after: String,
    /// What disagrees, one entry per slot, in words (`version 0.1.0+2.167,
    /// expected 0.1.0+2.168`). Empty when the file is up to date.
    pub mismatches: Vec<String>,
}

/// Every file that names the upstream version, with what it should say.
pub fn plan(root: &Path, record: &UpstreamRecord) -> Result<Vec<FileUpdate>> {
    let mut out = Vec::new();
    for (name, manifest) in VERSIONED_CRATES {
        out.push(update(root, manifest, |text, m| {
            crate_version(text, name, &record.version, m)
        })?);
    }
    out.push(update(root, ROOT_MANIFEST, |text, m| {
        workspace_dependencies(text, &record.version, m)
    })?);
    out.push(update(root, README, |text, m| {
        supported_line(text, &record.version, m)
    })?);
    out.push(update(root, OPENAPI_README, |text, m| {
        openapi_table(text, record, m)
    })?);
    Ok(out)
}

/// Write every file of `plan` that changes; returns their names.
pub fn apply(root: &Path, plan: &[FileUpdate]) -> Result<Vec<&'static str>> {
    let mut written = Vec::new();
    for update in plan.iter().filter(|u| u.before != u.after) {
        workspace::write(&root.join(update.file), &update.after)?;
        written.push(update.file);
    }
    Ok(written)
}

fn update(
    root: &Path,
    file: &'static str,
    edit: impl FnOnce(&str, &mut Vec<String>) -> Result<String>,
) -> Result<FileUpdate> {
    let before = workspace::read(&root.join(file))?;
    let mut mismatches = Vec::new();
    let after = edit(&before, &mut mismatches).with_context(|| format!("in {file}"))?;
    Ok(FileUpdate {
        file,
        before,
        after,
        mismatches,
    })
}

/// `0.1.0+2.167` with the spec version `spec` as its build metadata.
fn with_metadata(version: &str, spec: &str) -> String {
    let core = version.split_once('+').map_or(version, |(core, _)| core);
    format!("{core}+{spec}")
}

fn crate_version(text: &str, name: &str, spec: &str, m: &mut Vec<String>) -> Result<String> {
    let mut doc: DocumentMut = text.parse().context("not valid TOML")?;
    let Some(found) = doc
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
    else {
        bail!("[package] has no version string");
    };
    let expected = with_metadata(&found, spec);
    if found == expected {
        return Ok(text.to_owned());
    }
    m.push(format!(
        "{name} version {found}, expected {expected} (build metadata names the spec)"
    ));
    doc["package"]["version"] = toml_edit::value(expected);
    Ok(doc.to_string())
}

/// The workspace's dependency lines on the versioned crates, where they
/// carry build metadata at all (cargo ignores it in requirements, so
/// carrying it is optional; when carried, it must agree).
fn workspace_dependencies(text: &str, spec: &str, m: &mut Vec<String>) -> Result<String> {
    let mut doc: DocumentMut = text.parse().context("not valid TOML")?;
    let mut changed = false;
    for (name, _) in VERSIONED_CRATES {
        let Some(dep) = doc
            .get_mut("workspace")
            .and_then(|w| w.get_mut("dependencies"))
            .and_then(|d| d.get_mut(name))
            .and_then(|d| d.as_table_like_mut())
        else {
            continue;
        };
        let Some(found) = dep.get("version").and_then(|v| v.as_str()) else {
            continue;
        };
        if !found.contains('+') {
            continue;
        }
        let expected = with_metadata(found, spec);
        if found != expected {
            m.push(format!(
                "[workspace.dependencies] {name} version {found}, expected {expected}"
            ));
            dep.insert("version", toml_edit::value(expected));
            changed = true;
        }
    }
    Ok(if changed {
        doc.to_string()
    } else {
        text.to_owned()
    })
}

/// `- Supported X API spec: **2.167** (...)`.
fn supported_line(text: &str, spec: &str, m: &mut Vec<String>) -> Result<String> {
    let mut found_line = false;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let Some(start) = line.find(SUPPORTED_LINE).map(|i| i + SUPPORTED_LINE.len()) else {
            out.push_str(line);
            continue;
        };
        let len = line[start..]
            .find("**")
            .with_context(|| format!("the `{SUPPORTED_LINE}` line has no closing `**`"))?;
        found_line = true;
        let found = &line[start..start + len];
        if found != spec {
            m.push(format!(
                "\"Supported X API spec: **{found}**\", expected **{spec}**"
            ));
        }
        out.push_str(&line[..start]);
        out.push_str(spec);
        out.push_str(&line[start + len..]);
    }
    if !found_line {
        bail!("no `{SUPPORTED_LINE}<version>**` line");
    }
    Ok(out)
}

/// The `| upstream version | ... |` rows of `openapi/README.md`.
fn openapi_table(text: &str, record: &UpstreamRecord, m: &mut Vec<String>) -> Result<String> {
    let rows = [
        ("upstream version", record.version.clone()),
        ("upstream file", format!("`{}`", record.source())),
        ("upstream sha256", format!("`{}`", record.sha256)),
    ];
    let mut seen = [false; 3];
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let row = rows
            .iter()
            .position(|(key, _)| line.starts_with(&format!("| {key} |")));
        let Some(i) = row else {
            out.push_str(line);
            continue;
        };
        let (key, expected) = &rows[i];
        seen[i] = true;
        let found = line
            .trim_end()
            .trim_end_matches('|')
            .rsplit('|')
            .next()
            .unwrap_or_default()
            .trim();
        if found != expected {
            m.push(format!(
                "table row `{key}` says {found}, expected {expected}"
            ));
        }
        let newline = if line.ends_with('\n') { "\n" } else { "" };
        out.push_str(&format!("| {key} | {expected} |{newline}"));
    }
    if let Some(i) = seen.iter().position(|s| !s) {
        bail!("no `| {} | ... |` table row", rows[i].0);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_metadata_is_replaced_or_added() {
        assert_eq!(with_metadata("0.1.0+2.167", "2.168"), "0.1.0+2.168");
        assert_eq!(with_metadata("0.1.0", "2.168"), "0.1.0+2.168");
    }

    #[test]
    fn workspace_dependency_lines_are_kept_unless_they_carry_metadata() {
        let plain =
            "[workspace.dependencies]\nxconn-sdk = { path = \"xconn-sdk\", version = \"0.1.0\" }\n";
        let mut m = Vec::new();
        assert_eq!(
            workspace_dependencies(plain, "2.168", &mut m).unwrap(),
            plain
        );
        assert!(m.is_empty());

        let carried = plain.replace("0.1.0", "0.1.0+2.167");
        let after = workspace_dependencies(&carried, "2.168", &mut m).unwrap();
        assert!(after.contains("version = \"0.1.0+2.168\""), "{after}");
        assert!(after.contains("path = \"xconn-sdk\""), "{after}");
        assert_eq!(m.len(), 1, "{m:?}");
    }

    #[test]
    fn supported_line_and_table_rows_are_rewritten_in_place() {
        let mut m = Vec::new();
        let readme =
            "# x\n\n- Supported X API spec: **2.167** (`openapi/connections.json`)\n- MSRV\n";
        let after = supported_line(readme, "2.168", &mut m).unwrap();
        assert_eq!(
            after,
            "# x\n\n- Supported X API spec: **2.168** (`openapi/connections.json`)\n- MSRV\n"
        );
        assert_eq!(m.len(), 1);
        assert!(supported_line("# nothing\n", "2.168", &mut m).is_err());

        let record = UpstreamRecord {
            file: "new.json".into(),
            fragment_sha256: "f".into(),
            sha256: "abc".into(),
            url: None,
            version: "2.168".into(),
        };
        let table = "| | |\n|---|---|\n| upstream version | 2.167 |\n| upstream file | `old.json` |\n| upstream sha256 | `def` |\n\nafter\n";
        let mut m = Vec::new();
        let after = openapi_table(table, &record, &mut m).unwrap();
        assert_eq!(
            after,
            "| | |\n|---|---|\n| upstream version | 2.168 |\n| upstream file | `new.json` |\n| upstream sha256 | `abc` |\n\nafter\n"
        );
        assert_eq!(m.len(), 3, "{m:?}");
        let mut m = Vec::new();
        assert_eq!(openapi_table(&after, &record, &mut m).unwrap(), after);
        assert!(m.is_empty(), "{m:?}");
    }
}
