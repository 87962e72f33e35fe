//! The spec version is recorded in one place (`openapi/upstream.json`); the
//! crate versions' build metadata, the README's "Supported X API spec" line
//! and `openapi/README.md`'s table follow it through `generate`, and `check`
//! fails while any of them disagrees.

use std::fs;
use std::path::Path;

use crate::common::{
    CURRENT_FIXTURE, GENERATED, assert_failure, assert_success, copy_of_workspace, core_version,
    edit, fixture, no_upstream, package_version, path_str, read_json, stdout, write_json, xtask_at,
};

const SLOTS: [&str; 4] = [
    "xconn-sdk/Cargo.toml",
    "xconn-ext/Cargo.toml",
    "README.md",
    "openapi/README.md",
];

fn read(root: &Path, rel: &str) -> String {
    fs::read_to_string(root.join(rel)).unwrap()
}

#[test]
fn each_disagreeing_slot_is_named_and_generate_fixes_them_all() {
    let root = copy_of_workspace();
    let r = root.path();
    let empty = no_upstream();
    let sdk = core_version(r, "xconn-sdk/Cargo.toml");
    for manifest in ["xconn-sdk/Cargo.toml", "xconn-ext/Cargo.toml"] {
        let version = core_version(r, manifest);
        edit(&r.join(manifest), |t| {
            t.replace(
                &format!("version = \"{version}+2.167\""),
                &format!("version = \"{version}+2.166\""),
            )
        });
    }
    edit(&r.join("README.md"), |t| {
        t.replace(
            "Supported X API spec: **2.167**",
            "Supported X API spec: **2.166**",
        )
    });
    edit(&r.join("openapi/README.md"), |t| {
        t.replace(
            "| upstream version | 2.167 |",
            "| upstream version | 2.166 |",
        )
    });
    // A workspace dependency line carrying build metadata must agree too.
    edit(&r.join("Cargo.toml"), |t| {
        t.replace(
            &format!("xconn-sdk = {{ path = \"xconn-sdk\", version = \"{sdk}\" }}"),
            &format!("xconn-sdk = {{ path = \"xconn-sdk\", version = \"{sdk}+2.166\" }}"),
        )
    });

    let err = assert_failure(&xtask_at(r, &["check"], empty.path()));
    for file in SLOTS.iter().chain(&["Cargo.toml"]) {
        assert!(
            err.contains(&format!("stale: {file}: ")),
            "{file} is not named in:\n{err}"
        );
    }
    assert!(err.contains(&format!("expected {sdk}+2.167")), "{err}");
    assert!(err.contains("openapi/upstream.json records 2.167"), "{err}");
    assert_eq!(
        err.matches("run `cargo xtask generate`").count(),
        5,
        "one line per disagreeing slot, each naming the fix:\n{err}"
    );

    assert_success(&xtask_at(r, &["generate"], empty.path()));
    assert_success(&xtask_at(r, &["check"], empty.path()));
    let workspace = crate::common::workspace_root();
    for file in SLOTS {
        assert_eq!(read(r, file), read(&workspace, file), "{file} restored");
    }
    assert!(
        read(r, "Cargo.toml").contains(&format!("version = \"{sdk}+2.167\" }}")),
        "{}",
        read(r, "Cargo.toml")
    );
}

#[test]
fn a_new_upstream_version_flows_from_extract_through_generate() {
    let root = copy_of_workspace();
    let r = root.path();
    let empty = no_upstream();
    let mut spec = read_json(&fixture(CURRENT_FIXTURE));
    spec["info"]["version"] = "2.168".into();
    let from = tempfile::tempdir().unwrap();
    let from = from.path().join("x-api-v2-openapi-2.168.json");
    write_json(&from, &spec);

    assert_success(&xtask_at(
        r,
        &["extract", "--from", path_str(&from)],
        empty.path(),
    ));
    assert_eq!(
        read_json(&r.join("openapi/upstream.json"))["version"],
        "2.168"
    );
    // Extracted but not generated: everything derived is named as stale.
    let err = assert_failure(&xtask_at(r, &["check"], empty.path()));
    for file in SLOTS.iter().chain(&[GENERATED]) {
        assert!(err.contains(&format!("stale: {file}")), "{file}:\n{err}");
    }

    let output = xtask_at(r, &["generate"], empty.path());
    assert_success(&output);
    for file in SLOTS {
        assert!(
            stdout(&output).contains(&format!("wrote {file}")),
            "{}",
            stdout(&output)
        );
    }
    assert_success(&xtask_at(r, &["check"], empty.path()));
    for manifest in ["xconn-sdk/Cargo.toml", "xconn-ext/Cargo.toml"] {
        let core = core_version(&crate::common::workspace_root(), manifest);
        assert_eq!(
            package_version(r, manifest),
            format!("{core}+2.168"),
            "{manifest}: the spec version moves, the crate's own does not"
        );
    }
    assert!(read(r, "README.md").contains("- Supported X API spec: **2.168** ("));
    let table = read(r, "openapi/README.md");
    assert!(table.contains("| upstream version | 2.168 |"), "{table}");
    assert!(
        table.contains("| upstream file | `x-api-v2-openapi-2.168.json` |"),
        "{table}"
    );
    let sha = read_json(&r.join("openapi/upstream.json"))["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        table.contains(&format!("| upstream sha256 | `{sha}` |")),
        "{table}"
    );
    assert!(read(r, GENERATED).contains("(X API v2 2.168)"));
}

#[test]
fn generate_refuses_a_fragment_whose_version_disagrees_with_the_record() {
    let root = copy_of_workspace();
    let r = root.path();
    let empty = no_upstream();
    edit(&r.join("openapi/connections.json"), |t| {
        t.replacen("\"version\": \"2.167\"", "\"version\": \"2.168\"", 1)
    });
    let err = assert_failure(&xtask_at(r, &["generate"], empty.path()));
    assert!(err.contains("records \"2.167\""), "{err}");
    assert!(err.contains("run `cargo xtask extract --from"), "{err}");
    // Nothing derived was rewritten.
    assert!(read(r, "README.md").contains("**2.167**"));
}
