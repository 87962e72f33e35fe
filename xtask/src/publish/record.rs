//! `releases.toml`: the last release of each published crate (version and
//! commit), the baseline that `release` bumps from and `semver-checks`
//! compares against. Kept in the repository because tags do not travel
//! with every clone.

use std::path::Path;

use anyhow::{Context, Result, bail};
use toml_edit::DocumentMut;

use super::version::Version;
use crate::workspace;

/// The record, relative to the workspace root.
pub const RELEASES: &str = "releases.toml";

/// The crates that are published, with their manifests, in dependency order.
pub const PUBLISHED: [(&str, &str); 2] = [
    ("xconn-sdk", "xconn-sdk/Cargo.toml"),
    ("xconn-ext", "xconn-ext/Cargo.toml"),
];

/// One crate's last release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub name: &'static str,
    pub version: Version,
    /// The full commit hash it was cut from.
    pub commit: String,
}

/// Every published crate's last release, in [`PUBLISHED`]'s order.
pub fn read(root: &Path) -> Result<Vec<Release>> {
    let text = workspace::read(&root.join(RELEASES))?;
    let doc: DocumentMut = text
        .parse()
        .with_context(|| format!("{RELEASES} is not valid TOML"))?;
    PUBLISHED
        .iter()
        .map(|(name, _)| {
            let table = doc
                .get(name)
                .with_context(|| format!("{RELEASES} has no [{name}]"))?;
            let field = |key: &str| {
                table
                    .get(key)
                    .and_then(|v| v.as_str())
                    .with_context(|| format!("{RELEASES} [{name}] has no `{key}` string"))
            };
            let version = field("version")?;
            let commit = field("commit")?;
            if commit.len() != 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
                bail!("{RELEASES} [{name}] commit `{commit}` is not a full 40-hex commit hash");
            }
            Ok(Release {
                name,
                version: version
                    .parse()
                    .with_context(|| format!("{RELEASES} [{name}] version"))?,
                commit: commit.to_owned(),
            })
        })
        .collect()
}

/// The text of the record for `releases` (comments kept from `previous`).
pub fn render(previous: &str, releases: &[Release]) -> Result<String> {
    let mut doc: DocumentMut = previous
        .parse()
        .with_context(|| format!("{RELEASES} is not valid TOML"))?;
    for release in releases {
        let mut table = toml_edit::Table::new();
        table.insert("version", toml_edit::value(release.version.to_string()));
        table.insert("commit", toml_edit::value(release.commit.clone()));
        match doc.get_mut(release.name).and_then(|t| t.as_table_mut()) {
            Some(existing) => {
                existing.insert("version", toml_edit::value(release.version.to_string()));
                existing.insert("commit", toml_edit::value(release.commit.clone()));
            }
            None => {
                doc.insert(release.name, toml_edit::Item::Table(table));
            }
        }
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_keeps_comments_and_rewrites_entries() {
        let before = "# why\n\n[xconn-sdk]\nversion = \"0.1.0\"\ncommit = \"a\"\n";
        let release = Release {
            name: "xconn-sdk",
            version: "0.2.0".parse().unwrap(),
            commit: "b".repeat(40),
        };
        let after = render(before, &[release]).unwrap();
        assert!(after.starts_with("# why\n"), "{after}");
        assert!(after.contains("version = \"0.2.0\""), "{after}");
        assert!(
            after.contains(&format!("commit = \"{}\"", "b".repeat(40))),
            "{after}"
        );
    }
}
