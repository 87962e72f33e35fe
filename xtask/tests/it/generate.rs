//! `extract` and `generate` end to end: the previous upstream release must
//! still produce a client (regeneration has to survive a spec bump, not just
//! the spec it was written against), and `generate` must be deterministic
//! because `check` compares its output byte for byte.

use std::fs;

use crate::common::{
    GENERATED, PREVIOUS_FIXTURE, assert_success, copy_of_workspace, extract_and_generate, fixture,
    fixtures_dir, path_str, workspace_root, xtask, xtask_at,
};

const OPERATIONS: [&str; 4] = [
    "get_connection_history",
    "delete_connections_by_uuids",
    "delete_all_connections",
    "delete_connections_by_endpoint",
];

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
    let root = copy_of_workspace();
    let from = fixture(PREVIOUS_FIXTURE);
    let upstream = fixtures_dir();
    extract_and_generate(root.path(), &from, &upstream);
    // What was just written passes `check`, upstream comparison included.
    let output = xtask_at(root.path(), &["check"], &upstream);
    assert_success(&output);
    assert!(!crate::common::stdout(&output).contains("skipped"));

    let code = fs::read_to_string(root.path().join(GENERATED)).unwrap();
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
    // between releases (and so a rename is breaking: see the diff tests).
    let types = type_names(&file);
    for name in ["Get2ConnectionsResponse", "KillConnectionsByUuidsRequest"] {
        assert!(types.iter().any(|t| t == name), "no types::{name}");
    }
    assert!(code.contains("pub const SPEC_VERSION: &str = \"2.159\";"));
}

#[test]
fn generate_twice_is_byte_identical() {
    let out = tempfile::tempdir().unwrap();
    let spec = workspace_root().join("openapi/connections.json");
    let run = |name: &str| {
        let target = out.path().join(name);
        assert_success(&xtask(
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
        ));
        fs::read(target).unwrap()
    };
    let (first, second) = (run("a.rs"), run("b.rs"));
    assert!(!first.is_empty());
    assert!(first == second, "two generate runs differ");
    // With --spec/--out it is a one-off rendering: nothing else is written.
    let written: Vec<_> = fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(written.len(), 2, "{written:?}");
}
