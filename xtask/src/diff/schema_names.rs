//! Schema names: renamed (met at the same position, or alone with the same
//! shape), added and removed. Runs after the positional walk, which records
//! which names met where.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::keywords::canonical;
use super::{Differ, Kind, Section};

impl<'a> Differ<'a> {
    /// Report renamed, added and removed schemas. Runs after the walk, which
    /// recorded which names met at the same position.
    pub(super) fn schemas(&mut self, old: &Value, new: &Value) {
        let names = |spec: &Value| -> BTreeSet<String> {
            spec.pointer("/components/schemas")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        let (old_names, new_names) = (names(old), names(new));
        let mut removed: BTreeSet<String> = old_names.difference(&new_names).cloned().collect();
        let mut added: BTreeSet<String> = new_names.difference(&old_names).cloned().collect();

        // Generated type names follow schema names, and xconn_sdk::types is
        // public: a rename breaks every user naming the type, xconn-ext's wire
        // adapter first.
        let note = |a: &str, b: &str| {
            format!(
                "the public type xconn_sdk::types::{a} is now xconn_sdk::types::{b}: code naming \
                 it (xconn-ext's wire adapter) stops compiling"
            )
        };
        for ((a, b), position) in std::mem::take(&mut self.ref_pairs) {
            if removed.contains(&a) && added.contains(&b) {
                removed.remove(&a);
                added.remove(&b);
                self.push(
                    Section::Schemas,
                    Kind::SchemaRenamed,
                    &b,
                    format!("renamed from {a} (same position: {position})"),
                    true,
                )
                .values(Some(json!(a)), Some(json!(b)))
                .because(note(&a, &b));
            } else {
                self.push(
                    Section::Schemas,
                    Kind::SchemaReferenceChanged,
                    &position,
                    format!("now {b}, was {a} (compared by position)"),
                    true,
                )
                .values(Some(json!(a)), Some(json!(b)))
                .because(format!(
                    "the generated field's type changes from {a} to {b}"
                ));
            }
        }

        // Whatever is left: a removed and an added schema with the same shape,
        // each the only one with that shape, are one schema renamed.
        let new_by_shape = by_shape(new, &added);
        let old_by_shape = by_shape(old, &removed);
        for (key, olds) in &old_by_shape {
            if let ([a], Some([b])) = (olds.as_slice(), new_by_shape.get(key).map(Vec::as_slice)) {
                removed.remove(a);
                added.remove(b);
                self.push(
                    Section::Schemas,
                    Kind::SchemaRenamed,
                    b,
                    format!("renamed from {a} (same shape)"),
                    true,
                )
                .values(Some(json!(a)), Some(json!(b)))
                .because(note(a, b));
            }
        }

        for name in removed {
            let summary = match self.inlined.get(&name) {
                Some(at) => format!("removed; now written inline at {at}"),
                None => "removed".to_owned(),
            };
            self.push(Section::Schemas, Kind::SchemaRemoved, &name, summary, true)
                .because(format!(
                    "the public type xconn_sdk::types::{name} disappears; what used it is \
                     compared by position above"
                ));
        }
        for name in added {
            let summary = match self.extracted.get(&name) {
                Some(at) => format!("added; was written inline at {at}"),
                None => "added".to_owned(),
            };
            self.push(Section::Schemas, Kind::SchemaAdded, &name, summary, false);
        }
    }
}

/// The named schemas of `spec` in `names`, grouped by their canonical shape.
fn by_shape<'n>(
    spec: &Value,
    names: impl IntoIterator<Item = &'n String>,
) -> BTreeMap<String, Vec<String>> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in names {
        let shape = canonical(&spec["components"]["schemas"][name.as_str()]);
        groups
            .entry(shape.to_string())
            .or_default()
            .push(name.clone());
    }
    groups
}
