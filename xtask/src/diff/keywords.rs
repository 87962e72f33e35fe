//! What a schema's keywords mean when two versions are compared: `allOf`
//! merged into one schema, type labels, enums, required lists, bounds and
//! what an object accepts beyond its properties.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::openapi::deref;

/// Merge `allOf` members into one schema: properties and required lists
/// from every member, so that a schema refactored into (or out of) an
/// `allOf` compares by what it accepts.
pub(super) fn effective(spec: &Value, node: &Value) -> Value {
    let Some(parts) = node.get("allOf").and_then(Value::as_array) else {
        return node.clone();
    };
    let mut merged = node.as_object().cloned().unwrap_or_default();
    merged.remove("allOf");
    for part in parts {
        let Value::Object(part) = effective(spec, deref(spec, part).1) else {
            continue;
        };
        for (key, value) in part {
            match (key.as_str(), merged.get_mut(&key)) {
                ("properties", Some(Value::Object(props))) => {
                    for (name, prop) in value.as_object().into_iter().flatten() {
                        props.entry(name.clone()).or_insert_with(|| prop.clone());
                    }
                }
                ("required", Some(Value::Array(list))) => {
                    for name in value.as_array().into_iter().flatten() {
                        if !list.contains(name) {
                            list.push(name.clone());
                        }
                    }
                }
                (_, Some(_)) => {}
                (_, None) => {
                    merged.insert(key, value);
                }
            }
        }
    }
    Value::Object(merged)
}

pub(super) fn composition(schema: &Value) -> Option<&'static str> {
    ["oneOf", "anyOf"]
        .into_iter()
        .find(|k| schema.get(*k).is_some())
}

/// `type` with its `format`, inferring the type OpenAPI lets authors omit.
pub(super) fn type_label(schema: &Value) -> String {
    let ty = match schema.get("type").and_then(Value::as_str) {
        Some(ty) => ty,
        None if schema.get("properties").is_some()
            || schema.get("additionalProperties").is_some() =>
        {
            "object"
        }
        None if schema.get("items").is_some() => "array",
        None => "any",
    };
    match schema.get("format").and_then(Value::as_str) {
        Some(format) => format!("{ty} ({format})"),
        None => ty.to_owned(),
    }
}

pub(super) fn enum_values(schema: &Value) -> Option<BTreeSet<String>> {
    let values = schema.get("enum")?.as_array()?;
    Some(
        values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect(),
    )
}

pub(super) fn required(schema: &Value) -> BTreeSet<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

#[derive(Clone, Copy)]
pub(super) enum Bound {
    /// Raising it, or adding it, rejects values that were valid.
    Lower,
    /// Lowering it, or adding it, rejects values that were valid.
    Upper,
    /// Turning it on rejects values that were valid (OpenAPI 3.0's boolean
    /// `exclusiveMinimum`, `uniqueItems`).
    Flag,
    /// Any new or changed pattern may reject values that were valid.
    Pattern,
}

pub(super) const BOUNDS: [(&str, Bound); 10] = [
    ("minimum", Bound::Lower),
    ("exclusiveMinimum", Bound::Flag),
    ("minLength", Bound::Lower),
    ("minItems", Bound::Lower),
    ("maximum", Bound::Upper),
    ("exclusiveMaximum", Bound::Flag),
    ("maxLength", Bound::Upper),
    ("maxItems", Bound::Upper),
    ("uniqueItems", Bound::Flag),
    ("pattern", Bound::Pattern),
];

impl Bound {
    pub(super) fn tightens(self, old: Option<&Value>, new: Option<&Value>) -> bool {
        let num = |v: Option<&Value>| v.and_then(Value::as_f64);
        match (self, num(old), num(new)) {
            (Bound::Lower | Bound::Upper, None, Some(_)) => true,
            (Bound::Lower, Some(o), Some(n)) => n > o,
            (Bound::Upper, Some(o), Some(n)) => n < o,
            (Bound::Lower | Bound::Upper, _, None) => false,
            (Bound::Flag, _, _) => is_true_value(new) && !is_true_value(old),
            (Bound::Pattern, _, _) => new.is_some(),
        }
    }
}

pub(super) fn is_one(v: Option<&Value>) -> bool {
    v.and_then(Value::as_f64) == Some(1.0)
}

pub(super) fn is_true_value(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool).unwrap_or(false)
}

pub(super) fn is_true(node: &Value, key: &str) -> bool {
    is_true_value(node.get(key))
}

/// What an object accepts beyond its declared properties.
#[derive(Clone, Copy)]
pub(super) enum Extra<'v> {
    Open,
    Closed,
    Typed(&'v Value),
}

impl Extra<'_> {
    pub(super) fn label(self) -> &'static str {
        match self {
            Extra::Open => "allowed",
            Extra::Closed => "forbidden",
            Extra::Typed(_) => "typed",
        }
    }
}

pub(super) fn extra(schema: &Value) -> Extra<'_> {
    match schema.get("additionalProperties") {
        None | Some(Value::Bool(true)) => Extra::Open,
        Some(Value::Object(m)) if m.is_empty() => Extra::Open,
        Some(Value::Bool(false)) => Extra::Closed,
        Some(schema) => Extra::Typed(schema),
    }
}

/// A schema with its names and prose removed: documentation keywords are
/// dropped, `$ref` targets blanked, `required` and `enum` sorted. Two
/// schemas with equal canonical forms accept the same documents, up to what
/// their references point at.
pub(super) fn canonical(schema: &Value) -> Value {
    const PROSE: [&str; 6] = [
        "description",
        "example",
        "examples",
        "title",
        "externalDocs",
        "discriminator",
    ];
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !PROSE.contains(&k.as_str()))
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "$ref" => Value::String(String::new()),
                        // Property names are data here, not keywords to drop.
                        "properties" => Value::Object(
                            v.as_object()
                                .into_iter()
                                .flatten()
                                .map(|(name, prop)| (name.clone(), canonical(prop)))
                                .collect(),
                        ),
                        "required" | "enum" => {
                            let mut items: Vec<String> = v
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(Value::to_string)
                                .collect();
                            items.sort();
                            json!(items)
                        }
                        _ => canonical(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}
