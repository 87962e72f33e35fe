//! Writing the decided versions: each published crate's `[package] version`
//! (`0.2.0+2.168`: the build metadata keeps naming the spec) and the
//! workspace's dependency lines on them (`version = "0.2.0"`, the
//! requirement a packaged crate carries).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use toml_edit::DocumentMut;

use super::record::PUBLISHED;
use super::version::Version;
use crate::workspace;

const ROOT_MANIFEST: &str = "Cargo.toml";

/// Write `versions` (in [`PUBLISHED`]'s order) with the spec version `spec`
/// as build metadata; returns the files that changed.
pub fn write(root: &Path, versions: &[Version], spec: &str) -> Result<Vec<&'static str>> {
    let mut written = Vec::new();
    for ((name, manifest), version) in PUBLISHED.iter().zip(versions) {
        let path = root.join(manifest);
        let before = workspace::read(&path)?;
        let after = package_version(&before, &format!("{version}+{spec}"))
            .with_context(|| format!("in {manifest} ({name})"))?;
        if after != before {
            workspace::write(&path, &after)?;
            written.push(*manifest);
        }
    }
    let path = root.join(ROOT_MANIFEST);
    let before = workspace::read(&path)?;
    let after = dependency_lines(&before, versions).context("in the root Cargo.toml")?;
    if after != before {
        workspace::write(&path, &after)?;
        written.push(ROOT_MANIFEST);
    }
    Ok(written)
}

/// Bring `Cargo.lock` in line with the new versions of the workspace's own
/// crates (and nothing else), so that `--locked` builds keep passing.
pub fn refresh_lockfile(root: &Path) -> Result<bool> {
    if !root.join("Cargo.lock").exists() {
        return Ok(false);
    }
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["update", "--workspace", "--offline", "--quiet"])
        .current_dir(root)
        .status()
        .context("cannot run `cargo update --workspace`")?;
    if !status.success() {
        bail!("`cargo update --workspace --offline` failed ({status})");
    }
    Ok(true)
}

fn package_version(text: &str, version: &str) -> Result<String> {
    let mut doc: DocumentMut = text.parse().context("not valid TOML")?;
    let Some(slot) = doc.get_mut("package").and_then(|p| p.get_mut("version")) else {
        bail!("[package] has no version");
    };
    if slot.as_str() == Some(version) {
        return Ok(text.to_owned());
    }
    set_keeping_decor(slot, version)?;
    Ok(doc.to_string())
}

fn dependency_lines(text: &str, versions: &[Version]) -> Result<String> {
    let mut doc: DocumentMut = text.parse().context("not valid TOML")?;
    let mut changed = false;
    for ((name, _), version) in PUBLISHED.iter().zip(versions) {
        let dep = doc
            .get_mut("workspace")
            .and_then(|w| w.get_mut("dependencies"))
            .and_then(|d| d.get_mut(name))
            .and_then(|d| d.as_table_like_mut())
            .with_context(|| format!("[workspace.dependencies] has no table for {name}"))?;
        let wanted = version.to_string();
        let slot = dep
            .get_mut("version")
            .with_context(|| format!("[workspace.dependencies] {name} has no version"))?;
        if slot.as_str() != Some(wanted.as_str()) {
            set_keeping_decor(slot, &wanted)?;
            changed = true;
        }
    }
    Ok(if changed {
        doc.to_string()
    } else {
        text.to_owned()
    })
}

/// Replace a string value, keeping the spaces and comment around it.
fn set_keeping_decor(slot: &mut toml_edit::Item, text: &str) -> Result<()> {
    let value = slot.as_value_mut().context("the version is not a value")?;
    let decor = value.decor().clone();
    *value = text.into();
    *value.decor_mut() = decor;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_dependency_lines_are_rewritten_in_place() {
        let manifest = "[package]\nname = \"xconn-sdk\"\nversion = \"0.1.0+2.167\" # spec\n";
        let after = package_version(manifest, "0.2.0+2.168").unwrap();
        assert_eq!(
            after,
            "[package]\nname = \"xconn-sdk\"\nversion = \"0.2.0+2.168\" # spec\n"
        );
        assert_eq!(package_version(&after, "0.2.0+2.168").unwrap(), after);

        let root = "[workspace.dependencies]\n\
                    xconn-sdk = { path = \"xconn-sdk\", version = \"0.1.0\" }\n\
                    xconn-ext = { path = \"xconn-ext\", version = \"0.1.0\" }\n";
        let versions = ["0.2.0".parse().unwrap(), "0.1.1".parse().unwrap()];
        let after = dependency_lines(root, &versions).unwrap();
        assert!(
            after.contains("xconn-sdk = { path = \"xconn-sdk\", version = \"0.2.0\" }"),
            "{after}"
        );
        assert!(
            after.contains("xconn-ext = { path = \"xconn-ext\", version = \"0.1.1\" }"),
            "{after}"
        );
    }
}
