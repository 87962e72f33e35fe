//! `cargo xtask msrv`: the workspace's `rust-version` is honoured by what
//! the lockfile resolves. Clippy's `incompatible_msrv` holds our own code to
//! it; this holds every locked dependency's declared `rust-version` to it
//! (the resolver = "3" prefers such versions, but `cargo update` of one
//! package, or a dependency with no compatible release, can still pull in a
//! newer one, and only Rust's newest toolchain is at hand to build with).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Returns whether every locked package supports the workspace's MSRV;
/// each one that does not is named on stderr.
pub fn run(root: &Path) -> Result<bool> {
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--all-features",
            "--locked",
        ])
        .current_dir(root)
        .output()
        .context("cannot run `cargo metadata`")?;
    if !out.status.success() {
        bail!(
            "`cargo metadata --locked` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let metadata: Value =
        serde_json::from_slice(&out.stdout).context("`cargo metadata` printed no JSON")?;
    let (msrv, too_new) = check(&metadata)?;
    for (name, version, needs) in &too_new {
        eprintln!(
            "{name} {version} needs Rust {needs}, above the workspace's rust-version {msrv}: \
             `cargo update -p {name} --precise <older>` (the resolver picks MSRV-compatible \
             versions), or raise rust-version with the reason in CHANGELOG.md"
        );
    }
    if too_new.is_empty() {
        println!("every locked dependency supports Rust {msrv} (the workspace's rust-version)");
    }
    Ok(too_new.is_empty())
}

/// A locked package that declares a higher `rust-version` than ours:
/// `(name, version, rust_version)`.
type TooNew = (String, String, RustVersion);

/// The workspace's MSRV (its members' highest `rust-version`) and the
/// packages that declare a higher one.
fn check(metadata: &Value) -> Result<(RustVersion, Vec<TooNew>)> {
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .context("no workspace_members")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let packages = metadata["packages"].as_array().context("no packages")?;
    let rust_version = |p: &Value| -> Result<Option<RustVersion>> {
        p["rust_version"]
            .as_str()
            .map(|v| {
                v.parse()
                    .with_context(|| format!("{}'s rust_version", p["name"]))
            })
            .transpose()
    };
    let mut msrv = None;
    for p in packages
        .iter()
        .filter(|p| members.contains(&p["id"].as_str().unwrap_or("")))
    {
        msrv = msrv.max(rust_version(p)?);
    }
    let msrv = msrv.context("no workspace member declares a rust-version")?;
    let mut too_new = Vec::new();
    for p in packages {
        if let Some(needs) = rust_version(p)?
            && needs > msrv
        {
            too_new.push((
                p["name"].as_str().unwrap_or("?").to_owned(),
                p["version"].as_str().unwrap_or("?").to_owned(),
                needs,
            ));
        }
    }
    Ok((msrv, too_new))
}

/// A `rust-version`: `1.88` or `1.88.1` (a missing patch is 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RustVersion([u64; 3]);

impl std::str::FromStr for RustVersion {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        let mut parts = [0; 3];
        let mut count = 0;
        for (slot, part) in parts.iter_mut().zip(s.split('.')) {
            *slot = part
                .parse()
                .with_context(|| format!("`{s}` is not a Rust version"))?;
            count += 1;
        }
        if !(2..=3).contains(&count) || s.split('.').count() != count {
            bail!("`{s}` is not a Rust version");
        }
        Ok(RustVersion(parts))
    }
}

impl std::fmt::Display for RustVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [major, minor, patch] = self.0;
        write!(f, "{major}.{minor}.{patch}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn packages_above_the_members_rust_version_are_named() {
        let metadata = json!({
            "workspace_members": ["m"],
            "packages": [
                {"id": "m", "name": "xconn", "version": "0.1.0", "rust_version": "1.88"},
                {"id": "a", "name": "old", "version": "1.0.0", "rust_version": "1.70.0"},
                {"id": "b", "name": "none", "version": "1.0.0", "rust_version": null},
                {"id": "c", "name": "new", "version": "2.0.0", "rust_version": "1.88.1"},
            ]
        });
        let (msrv, too_new) = check(&metadata).unwrap();
        assert_eq!(msrv.to_string(), "1.88.0");
        assert_eq!(too_new.len(), 1, "{too_new:?}");
        assert_eq!(too_new[0].0, "new");
        assert!("1".parse::<RustVersion>().is_err());
        assert!("1.2.3.4".parse::<RustVersion>().is_err());
    }
}
