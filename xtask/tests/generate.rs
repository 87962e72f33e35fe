//! `extract` and `generate` end to end: the previous upstream release must
//! still produce a client (regeneration has to survive a spec bump, not just
//! the spec it was written against), and both commands must be deterministic
//! because `check` compares their output byte for byte.

mod common;

use std::fs;
use std::path::Path;

use common::{PREVIOUS_SPEC, assert_success, upstream_dir, workspace_root, xtask};

const OPERATIONS: [&str; 4] = [
    "get_connection_history",
    "delete_connections_by_uuids",
    "delete_all_connections",
    "delete_connections_by_endpoint",
];

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// Inherent methods of `Client`, however progenitor spreads its impl blocks.
fn client_methods(file: &syn::File) -> Vec<String> {
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(block) if block.trait_.is_none() => Some(block),
            _ => None,
        })
        .filter(|block| matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident("Client")))
        .flat_map(|block| &block.items)
        .filter_map(|item| match item {
            syn::ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// Names of the structs and enums in the generated `types` module.
fn type_names(file: &syn::File) -> Vec<String> {
    let types = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref(),
        _ => None,
    });
    types
        .into_iter()
        .flat_map(|(_, items)| items)
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            syn::Item::Enum(e) => Some(e.ident.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn previous_spec_extracts_and_generates_a_client() {
    let Some(upstream) = upstream_dir() else {
        eprintln!("skipped: upstream specs not found next to the workspace");
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let root_arg = path_str(root.path());
    let from = upstream.join(PREVIOUS_SPEC);

    assert_success(&xtask(
        &["--root", root_arg, "extract", "--from", path_str(&from)],
        &upstream,
    ));
    assert_success(&xtask(&["--root", root_arg, "generate"], &upstream));
    // What was just written must also pass `check` against its own upstream.
    assert_success(&xtask(&["--root", root_arg, "check"], &upstream));

    let code = fs::read_to_string(root.path().join("xconn-sdk/src/generated.rs")).unwrap();
    assert!(
        code.contains("(X API v2 2.159)"),
        "header names the version"
    );
    let file = syn::parse_file(&code).expect("generated code parses as Rust");

    let methods = client_methods(&file);
    for op in OPERATIONS {
        assert!(
            methods.iter().any(|m| m == op),
            "no Client::{op} in {methods:?}"
        );
    }
    // Generated type names follow the spec's schema names, which differ
    // between releases; method names follow operation ids, which do not.
    let types = type_names(&file);
    for name in ["Get2ConnectionsResponse", "KillConnectionsByUuidsRequest"] {
        assert!(types.iter().any(|t| t == name), "no types::{name}");
    }
}

#[test]
fn generate_twice_is_byte_identical() {
    let out = tempfile::tempdir().unwrap();
    let spec = workspace_root().join("openapi/connections.json");
    let run = |name: &str| {
        let target = out.path().join(name);
        let output = xtask(
            &[
                "--root",
                path_str(out.path()),
                "generate",
                "--spec",
                path_str(&spec),
                "--out",
                path_str(&target),
            ],
            out.path(),
        );
        assert_success(&output);
        fs::read(target).unwrap()
    };
    let (first, second) = (run("a.rs"), run("b.rs"));
    assert!(!first.is_empty());
    assert!(first == second, "two generate runs differ");
}

#[test]
fn extract_twice_is_byte_identical() {
    let Some(upstream) = upstream_dir() else {
        eprintln!("skipped: upstream specs not found next to the workspace");
        return;
    };
    let from = upstream.join(common::CURRENT_SPEC);
    let out = tempfile::tempdir().unwrap();
    let run = |dir: &str| {
        let target = out.path().join(dir).join("connections.json");
        let output = xtask(
            &[
                "extract",
                "--from",
                path_str(&from),
                "--out",
                path_str(&target),
            ],
            &upstream,
        );
        assert_success(&output);
        let record = target.with_file_name("upstream.json");
        (fs::read(&target).unwrap(), fs::read(record).unwrap())
    };
    let (first, second) = (run("a"), run("b"));
    assert!(
        first.0 == second.0,
        "two extract runs wrote different fragments"
    );
    assert!(
        first.1 == second.1,
        "two extract runs wrote different records"
    );
}
