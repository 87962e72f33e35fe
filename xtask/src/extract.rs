//! `cargo xtask extract`: cut the Stream Connections fragment out of a full X spec.
//!
//! The fragment keeps upstream content unchanged; it only drops what the
//! connections operations do not reach, so that reviews of a spec bump show
//! exactly the part of the API this workspace depends on.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use crate::openapi;
use crate::record::UpstreamRecord;
use crate::source::Upstream;
use crate::workspace;

/// Every path under this prefix belongs to the fragment.
pub const PATH_PREFIX: &str = "/2/connections";

/// The security scheme the connections operations use (app-only bearer token).
pub const SECURITY_SCHEME: &str = "BearerToken";

/// Build the fragment from a full spec document.
pub fn fragment(full: &Value) -> Result<Value> {
    let paths = full
        .get("paths")
        .and_then(Value::as_object)
        .context("spec has no `paths` object")?;

    let selected: Map<String, Value> = paths
        .iter()
        .filter(|(path, _)| is_connections_path(path))
        .map(|(path, item)| (path.clone(), item.clone()))
        .collect();
    if selected.is_empty() {
        bail!("spec has no path under {PATH_PREFIX}");
    }

    // Walk references transitively, starting from the selected paths.
    let components = full.get("components").cloned().unwrap_or(Value::Null);
    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    let mut queue: Vec<(String, String)> = Vec::new();
    for item in selected.values() {
        collect_refs(item, &mut queue);
    }
    while let Some((section, name)) = queue.pop() {
        if !wanted.insert((section.clone(), name.clone())) {
            continue;
        }
        let target = components
            .get(&section)
            .and_then(|s| s.get(&name))
            .with_context(|| format!("dangling reference #/components/{section}/{name}"))?;
        collect_refs(target, &mut queue);
    }

    let mut out_components: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for (section, name) in &wanted {
        let value = components[section.as_str()][name.as_str()].clone();
        out_components
            .entry(section.clone())
            .or_default()
            .insert(name.clone(), value);
    }
    let scheme = components
        .get("securitySchemes")
        .and_then(|s| s.get(SECURITY_SCHEME))
        .with_context(|| format!("spec has no security scheme {SECURITY_SCHEME}"))?;
    out_components
        .entry("securitySchemes".to_owned())
        .or_default()
        .insert(SECURITY_SCHEME.to_owned(), scheme.clone());

    let mut doc = Map::new();
    for key in ["openapi", "info", "servers"] {
        let value = full
            .get(key)
            .with_context(|| format!("spec has no `{key}`"))?;
        doc.insert(key.to_owned(), value.clone());
    }
    doc.insert("paths".to_owned(), Value::Object(selected));
    doc.insert(
        "components".to_owned(),
        serde_json::to_value(out_components).expect("maps of JSON values serialize"),
    );
    Ok(Value::Object(doc))
}

/// `/2/connections` itself and everything below it, not `/2/connectionsfoo`.
fn is_connections_path(path: &str) -> bool {
    path == PATH_PREFIX
        || path
            .strip_prefix(PATH_PREFIX)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Collect `#/components/<section>/<name>` references: `$ref` values and
/// discriminator mappings (which are references written as plain strings).
fn collect_refs(value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => out.extend(parse_ref(target)),
                    ("discriminator", Value::Object(d)) => {
                        if let Some(Value::Object(mapping)) = d.get("mapping") {
                            out.extend(
                                mapping
                                    .values()
                                    .filter_map(Value::as_str)
                                    .filter_map(parse_ref),
                            );
                        }
                    }
                    _ => collect_refs(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, out)),
        _ => {}
    }
}

fn parse_ref(target: &str) -> Option<(String, String)> {
    let (section, name) = openapi::component_ref(target)?;
    Some((section.to_owned(), name.to_owned()))
}

/// What `extract` writes for `upstream`: the fragment's text and the record
/// of where it came from.
pub fn extract(upstream: &Upstream) -> Result<(String, UpstreamRecord)> {
    let full: Value = serde_json::from_str(&upstream.text)
        .with_context(|| format!("{} is not JSON", upstream.file))?;
    let version = full
        .pointer("/info/version")
        .and_then(Value::as_str)
        .with_context(|| format!("{} has no info.version", upstream.file))?;
    let fragment_text = workspace::to_pretty_json(&fragment(&full)?);
    let record = UpstreamRecord::new(upstream, version, &fragment_text);
    Ok((fragment_text, record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_only_connections_paths_and_what_they_reach() {
        let full = json!({
            "openapi": "3.0.0",
            "info": {"title": "t", "version": "9.9"},
            "servers": [{"url": "https://api.x.com"}],
            "paths": {
                "/2/connections": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}},
                "/2/connectionsx": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Unrelated"}}}}}}},
                "/2/tweets": {"get": {}}
            },
            "components": {
                "schemas": {
                    "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}}},
                    "B": {"discriminator": {"mapping": {"x": "#/components/schemas/C"}}},
                    "C": {"type": "string"},
                    "Unrelated": {"type": "string"}
                },
                "securitySchemes": {"BearerToken": {"type": "http"}, "Other": {}}
            }
        });
        let frag = fragment(&full).unwrap();
        let paths: Vec<_> = frag["paths"].as_object().unwrap().keys().collect();
        assert_eq!(paths, ["/2/connections"]);
        let schemas: Vec<_> = frag["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(schemas, ["A", "B", "C"]);
        let schemes: Vec<_> = frag["components"]["securitySchemes"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(schemes, ["BearerToken"]);
    }

    #[test]
    fn dangling_reference_is_an_error() {
        let full = json!({
            "openapi": "3.0.0", "info": {}, "servers": [],
            "paths": {"/2/connections": {"get": {"x": {"$ref": "#/components/schemas/Missing"}}}},
            "components": {"securitySchemes": {"BearerToken": {}}}
        });
        let err = fragment(&full).unwrap_err().to_string();
        assert!(err.contains("Missing"), "{err}");
    }
}
