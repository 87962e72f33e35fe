//! What a dependent downloads: `cargo package --list` of each published
//! crate holds the code it builds from (the generated client included), its
//! README and licence, and none of the workspace's test fixtures, test
//! suites or benches' data. (CI's `cargo package --workspace` builds the
//! packaged crates the way the registry would serve them.)

use std::process::Command;

use crate::common::workspace_root;

fn packaged(name: &str) -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args(["package", "--list", "--locked", "--allow-dirty", "-p", name])
        .current_dir(workspace_root())
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo package --list -p {name} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[track_caller]
fn assert_ships(name: &str, files: &[String], needed: &[&str]) {
    let missing: Vec<&&str> = needed
        .iter()
        .filter(|f| !files.iter().any(|have| have == *f))
        .collect();
    assert!(
        missing.is_empty(),
        "{name}'s package lacks {missing:?} (set `include` in {name}/Cargo.toml): {files:#?}"
    );
    let unwanted: Vec<&String> = files
        .iter()
        .filter(|f| {
            f.starts_with("tests/")
                || f.starts_with("benches/")
                || f.contains("fixtures")
                || f.ends_with(".test.yml")
                || f.ends_with(".json") && !f.starts_with(".cargo_vcs_info")
        })
        .collect();
    assert!(
        unwanted.is_empty(),
        "{name}'s package ships test or bench data {unwanted:?} (narrow `include` in \
         {name}/Cargo.toml)"
    );
}

#[test]
fn xconn_sdk_ships_its_generated_code_readme_and_licence_only() {
    let files = packaged("xconn-sdk");
    assert_ships(
        "xconn-sdk",
        &files,
        &[
            "Cargo.toml",
            "README.md",
            "LICENSE",
            "src/lib.rs",
            "src/generated.rs",
        ],
    );
}

#[test]
fn xconn_ext_ships_its_code_examples_readme_and_licence_only() {
    let files = packaged("xconn-ext");
    assert_ships(
        "xconn-ext",
        &files,
        &[
            "Cargo.toml",
            "README.md",
            "LICENSE",
            "src/lib.rs",
            "examples/prometheus-rules.yml",
        ],
    );
}
