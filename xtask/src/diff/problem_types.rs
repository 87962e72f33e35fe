//! Problem type URIs: added, removed, and moved (the same path under another
//! host).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::{Differ, Kind, Section};
use crate::openapi;

impl<'a> Differ<'a> {
    pub(super) fn problem_types(&mut self, old: &Value, new: &Value) {
        let (old_types, new_types) = (problem_types(old), problem_types(new));
        let mut removed: BTreeMap<&String, &String> = old_types
            .iter()
            .filter(|(uri, _)| !new_types.contains_key(*uri))
            .collect();
        let mut added: BTreeMap<&String, &String> = new_types
            .iter()
            .filter(|(uri, _)| !old_types.contains_key(*uri))
            .collect();

        // The same problem under another host is one type that moved.
        let added_by_path: BTreeMap<&str, &String> = added
            .keys()
            .filter_map(|uri| Some((uri_path(uri)?, *uri)))
            .collect();
        let moves: Vec<(&String, &String)> = removed
            .keys()
            .filter_map(|uri| Some((*uri, *added_by_path.get(uri_path(uri)?)?)))
            .collect();
        for (from, to) in moves {
            removed.remove(from);
            added.remove(to);
            self.push(
                Section::ProblemTypes,
                Kind::ProblemTypeMoved,
                uri_path(to).unwrap_or(to),
                format!("moved from {from} to {to}"),
                true,
            )
            .values(Some(json!(from)), Some(json!(to)))
            .because(
                "the generated problem types' `type` enums change value, and code comparing \
                 full type URIs stops matching; xconn-ext classifies by the path, whatever the host",
            );
        }
        for (uri, schema) in removed {
            self.push(
                Section::ProblemTypes,
                Kind::ProblemTypeRemoved,
                uri,
                format!("removed (was {schema})"),
                false,
            )
            .values(Some(json!(uri)), None)
            .because("no longer documented; problem types stay open strings in xconn");
        }
        for (uri, schema) in added {
            self.push(
                Section::ProblemTypes,
                Kind::ProblemTypeAdded,
                uri,
                format!("added ({schema})"),
                false,
            )
            .values(None, Some(json!(uri)))
            .because(
                "problem types are open strings in xconn (adjust.rs); \
                 xconn_sdk::spec::PROBLEM_SLUGS lists it after `cargo xtask generate`",
            );
        }
    }
}

/// Problem type URIs, with the schema that documents each: discriminator
/// mapping keys of every schema discriminated on `type`, and the `type`
/// enum values of that schema family (its mapping targets, `oneOf`/`anyOf`
/// members, and the schemas that extend it through `allOf`).
pub(super) fn problem_types(spec: &Value) -> BTreeMap<String, String> {
    let empty = Map::new();
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let ref_name = |v: &Value| openapi::ref_name(v).map(str::to_owned);
    let mut types = BTreeMap::new();
    let mut family = BTreeSet::new();
    for (name, schema) in schemas {
        if schema
            .pointer("/discriminator/propertyName")
            .and_then(Value::as_str)
            != Some("type")
        {
            continue;
        }
        family.insert(name.clone());
        for (uri, target) in schema
            .pointer("/discriminator/mapping")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let target = target
                .as_str()
                .and_then(openapi::component_ref)
                .map(|(_, name)| name)
                .unwrap_or_default();
            types.insert(uri.clone(), target.to_owned());
            family.insert(target.to_owned());
        }
        for keyword in ["oneOf", "anyOf"] {
            family.extend(
                schema
                    .get(keyword)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(ref_name),
            );
        }
        for (other, schema) in schemas {
            let extends = schema
                .get("allOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|part| ref_name(part).as_deref() == Some(name.as_str()));
            if extends {
                family.insert(other.clone());
            }
        }
    }
    for name in &family {
        let schema = &schemas[name.as_str()];
        let parts = schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for part in std::iter::once(schema).chain(parts) {
            for uri in part
                .pointer("/properties/type/enum")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(uri) = uri.as_str() {
                    types.entry(uri.to_owned()).or_insert_with(|| name.clone());
                }
            }
        }
    }
    types
}

/// `https://host/2/problems/x` -> `/2/problems/x`; `None` for URIs without a
/// host (`about:blank`), which cannot have moved hosts.
fn uri_path(uri: &str) -> Option<&str> {
    let rest = uri.split_once("://")?.1;
    rest.find('/').map(|i| &rest[i..])
}
