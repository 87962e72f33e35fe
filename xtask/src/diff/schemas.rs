//! Schemas compared by position (the same operation, status, media type and
//! property path), not by name: types, compositions, enums, bounds,
//! defaults, properties and what an object accepts beyond them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::keywords::{
    BOUNDS, Extra, canonical, composition, effective, enum_values, extra, is_one, is_true_value,
    required, type_label,
};
use super::{Ctx, Differ, Direction, Kind};
use crate::openapi::deref;

impl<'a> Differ<'a> {
    /// Removed and added properties of one object that are one property
    /// renamed: the only removed and the only added one with the same schema
    /// (prose aside). A shape shared by several is never guessed.
    fn renamed_properties(
        &self,
        removed: &[&String],
        added: &[&String],
        old_props: &Map<String, Value>,
        new_props: &Map<String, Value>,
    ) -> Vec<(String, String)> {
        let shape = |spec: &Value, node: &Value| canonical(deref(spec, node).1).to_string();
        let group = |names: &[&String], spec: &Value, props: &Map<String, Value>| {
            let mut by_shape: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for name in names {
                by_shape
                    .entry(shape(spec, &props[name.as_str()]))
                    .or_default()
                    .push((*name).clone());
            }
            by_shape
        };
        let (olds, news) = (
            group(removed, self.old, old_props),
            group(added, self.new, new_props),
        );
        olds.iter()
            .filter_map(
                |(key, from)| match (from.as_slice(), news.get(key)?.as_slice()) {
                    ([from], [to]) => Some((from.clone(), to.clone())),
                    _ => None,
                },
            )
            .collect()
    }

    pub(super) fn schema(&mut self, old: &Value, new: &Value, loc: &str, ctx: Ctx) {
        let (old_name, old_node) = deref(self.old, old);
        let (new_name, new_node) = deref(self.new, new);
        let mut loc = loc.to_owned();
        match (old_name, new_name) {
            (Some(a), Some(b)) => {
                if !self.visited.insert((a.to_owned(), b.to_owned(), ctx.dir)) {
                    return;
                }
                if a != b {
                    self.ref_pairs
                        .entry((a.to_owned(), b.to_owned()))
                        .or_insert_with(|| loc.clone());
                }
                loc = b.to_owned();
            }
            (Some(a), None) => {
                self.inlined
                    .entry(a.to_owned())
                    .or_insert_with(|| loc.clone());
            }
            (None, Some(b)) => {
                self.extracted
                    .entry(b.to_owned())
                    .or_insert_with(|| loc.clone());
                loc = b.to_owned();
            }
            (None, None) => {}
        }
        let old = effective(self.old, old_node);
        let new = effective(self.new, new_node);
        self.nodes(&old, &new, &loc, ctx);
    }

    fn nodes(&mut self, old: &Value, new: &Value, loc: &str, ctx: Ctx) {
        let (old_comp, new_comp) = (composition(old), composition(new));
        if old_comp != new_comp {
            let show = |c: Option<&str>| c.unwrap_or("a plain schema").to_owned();
            self.push(
                ctx.section,
                Kind::CompositionChanged,
                loc,
                format!("{} -> {}", show(old_comp), show(new_comp)),
                true,
            )
            .because("the generated type changes shape");
            return;
        }
        if let Some(keyword) = old_comp {
            let members = |s: &Value| s[keyword].as_array().cloned().unwrap_or_default();
            let (om, nm) = (members(old), members(new));
            if om.len() != nm.len() {
                self.push(
                    ctx.section,
                    Kind::CompositionChanged,
                    loc,
                    format!("{keyword} of {} -> {} members", om.len(), nm.len()),
                    true,
                )
                .because("the generated enum gains or loses variants");
            }
            for (i, (o, n)) in om.iter().zip(&nm).enumerate() {
                self.schema(o, n, &format!("{loc}<{keyword} {i}>"), ctx);
            }
        }

        let (old_type, new_type) = (type_label(old), type_label(new));
        if old_type != new_type {
            self.push(
                ctx.section,
                Kind::TypeChanged,
                loc,
                format!("type {old_type} -> {new_type}"),
                true,
            )
            .values(Some(json!(old_type)), Some(json!(new_type)))
            .because("the generated type changes");
            return;
        }
        self.enums(old, new, loc, ctx);
        self.bounds(old, new, loc, ctx, &new_type);
        self.default(old, new, loc, ctx);
        if new_type == "object" {
            self.additional_properties(old, new, loc, ctx);
            self.properties(old, new, loc, ctx);
        }
        if let (Some(o), Some(n)) = (old.get("items"), new.get("items")) {
            self.schema(o, n, &format!("{loc}[]"), ctx);
        }
    }

    fn enums(&mut self, old: &Value, new: &Value, loc: &str, ctx: Ctx) {
        let (old_values, new_values) = (enum_values(old), enum_values(new));
        let (old_values, new_values) = match (old_values, new_values) {
            (None, None) => return,
            (Some(o), Some(n)) => (o, n),
            (o, n) => {
                let summary = if n.is_some() {
                    "now an enum"
                } else {
                    "no longer an enum"
                };
                self.push(ctx.section, Kind::TypeChanged, loc, summary, true)
                    .values(o.map(|v| json!(v)), n.map(|v| json!(v)))
                    .because("the generated type changes between a string and an enum");
                return;
            }
        };
        let removed: Vec<&String> = old_values.difference(&new_values).collect();
        let added: Vec<&String> = new_values.difference(&old_values).collect();
        let list = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        // Every enum of the spec is a public enum of xconn-sdk (progenitor
        // generates exhaustive ones), so a value added or removed changes a
        // public type either way.
        let request = ctx.dir == Direction::Request;
        if !removed.is_empty() {
            let note = if request {
                "the generated enum loses these variants: calls passing them stop compiling; \
                 xconn-ext's typed enum must drop them (its drift test names them)"
            } else {
                "the generated enum loses these variants: code matching them stops compiling"
            };
            self.push(
                ctx.section,
                Kind::EnumValuesRemoved,
                loc,
                format!("enum values removed: {}", list(&removed)),
                true,
            )
            .values(Some(json!(removed)), None)
            .because(note);
        }
        if !added.is_empty() {
            let note = if request {
                "the generated enum gains variants: exhaustive matches on it stop compiling; \
                 xconn-ext's typed enum must learn them (its drift test names them)"
            } else {
                "the generated enum gains variants: exhaustive matches on it stop compiling, and \
                 clients built from the old spec fail to decode them; xconn-ext's enums stay open"
            };
            self.push(
                ctx.section,
                Kind::EnumValuesAdded,
                loc,
                format!("enum values added: {}", list(&added)),
                true,
            )
            .values(None, Some(json!(added)))
            .because(note);
        }
    }

    fn bounds(&mut self, old: &Value, new: &Value, loc: &str, ctx: Ctx, ty: &str) {
        for (key, bound) in BOUNDS {
            let (o, n) = (old.get(key), new.get(key));
            if o == n {
                continue;
            }
            let tighter = bound.tightens(o, n);
            let show = |v: Option<&Value>| v.map_or_else(|| "none".to_owned(), Value::to_string);
            let summary = format!(
                "{key} {} -> {} ({})",
                show(o),
                show(n),
                if tighter { "tighter" } else { "looser" }
            );
            // Some bounds decide the Rust type typify generates; those break
            // user code whatever the direction.
            let type_note = match key {
                "minimum" if ty.starts_with("integer") && is_one(o) != is_one(n) => {
                    Some("typify generates a NonZero integer exactly when minimum is 1")
                }
                "uniqueItems" if is_true_value(o) != is_true_value(n) => {
                    Some("typify generates a set for uniqueItems arrays, a Vec otherwise")
                }
                _ => None,
            };
            let (breaking, note) = match (type_note, ctx.dir) {
                (Some(note), _) => (true, note),
                (None, Direction::Request) if tighter => {
                    (true, "requests that were valid may now be rejected")
                }
                (None, Direction::Request) => (
                    false,
                    "requests that were valid stay valid; hand-written code reads the limits \
                     from xconn_sdk::spec, which `cargo xtask generate` rewrites",
                ),
                (None, Direction::Response) => (
                    false,
                    "the generated client does not enforce response bounds",
                ),
            };
            self.push(ctx.section, Kind::BoundChanged, loc, summary, breaking)
                .values(o.cloned(), n.cloned())
                .because(note);
        }
    }

    fn default(&mut self, old: &Value, new: &Value, loc: &str, ctx: Ctx) {
        let (o, n) = (old.get("default"), new.get("default"));
        if o == n {
            return;
        }
        let show = |v: Option<&Value>| v.map_or_else(|| "none".to_owned(), Value::to_string);
        let change = self.push(
            ctx.section,
            Kind::DefaultChanged,
            loc,
            format!("default {} -> {}", show(o), show(n)),
            false,
        );
        change.values(o.cloned(), n.cloned());
        if ctx.dir == Direction::Request {
            change.because(
                "callers that leave it out get different results (the server applies the default)",
            );
        }
    }

    fn properties(&mut self, old: &Value, new: &Value, loc: &str, ctx: Ctx) {
        let empty = Map::new();
        let props = |s: &Value| {
            s.get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_else(|| empty.clone())
        };
        let (old_props, new_props) = (props(old), props(new));
        let (old_required, new_required) = (required(old), required(new));
        let request = ctx.dir == Direction::Request;

        let removed: Vec<&String> = old_props
            .keys()
            .filter(|n| !new_props.contains_key(*n))
            .collect();
        let added: Vec<&String> = new_props
            .keys()
            .filter(|n| !old_props.contains_key(*n))
            .collect();
        let renames = self.renamed_properties(&removed, &added, &old_props, &new_props);

        for (from, to) in &renames {
            let note = if request {
                "the generated type's field is renamed: code that sets it stops compiling, and \
                 clients built from the old spec send the old name"
            } else {
                "the generated type's field is renamed: code that reads it (xconn-ext's wire \
                 adapter) stops compiling, and clients built from the old spec miss the field"
            };
            self.push(
                ctx.section,
                Kind::PropertyRenamed,
                format!("{loc}.{from}"),
                format!("property renamed to {to} (same schema)"),
                true,
            )
            .values(Some(json!(from)), Some(json!(to)))
            .because(note);
        }
        for name in removed
            .iter()
            .filter(|n| !renames.iter().any(|(f, _)| f == **n))
        {
            let note = if request {
                "its builder method disappears, and servers may reject it"
            } else {
                "the field disappears from the generated type"
            };
            self.push(
                ctx.section,
                Kind::PropertyRemoved,
                format!("{loc}.{name}"),
                "property removed",
                true,
            )
            .because(note);
        }
        for name in added
            .iter()
            .filter(|n| !renames.iter().any(|(_, t)| t == **n))
        {
            let is_required = new_required.contains(name.as_str());
            let ty = type_label(deref(self.new, &new_props[name.as_str()]).1);
            let summary = format!(
                "property added ({ty}{})",
                if is_required { ", required" } else { "" }
            );
            let note = match (request, is_required) {
                (true, true) => "existing callers do not send it",
                _ => {
                    "the generated struct gains a field: struct literals and exhaustive \
                     destructuring (as in xconn-ext's wire adapter) stop compiling until they \
                     name it; xconn-ext must surface it or say why not"
                }
            };
            self.push(
                ctx.section,
                Kind::PropertyAdded,
                format!("{loc}.{name}"),
                summary,
                true,
            )
            .because(note);
        }

        let common = |set: &BTreeSet<String>| -> Vec<String> {
            set.iter()
                .filter(|n| old_props.contains_key(*n) && new_props.contains_key(*n))
                .cloned()
                .collect()
        };
        let became_optional = common(&old_required.difference(&new_required).cloned().collect());
        let became_required = common(&new_required.difference(&old_required).cloned().collect());
        let values = (Some(json!(old_required)), Some(json!(new_required)));
        if !became_optional.is_empty() {
            let dropped = if new_required.is_empty() {
                " (required list dropped)"
            } else {
                ""
            };
            let (breaking, note) = if request {
                (false, "the generated builder accepts the same calls")
            } else {
                (
                    true,
                    "these fields become Option in the raw sdk, and clients built from the old \
                     spec fail to decode a response that omits them",
                )
            };
            self.push(
                ctx.section,
                Kind::BecameOptional,
                loc,
                format!(
                    "no longer required: {}{dropped}",
                    became_optional.join(", ")
                ),
                breaking,
            )
            .values(values.0.clone(), values.1.clone())
            .because(note);
        }
        if !became_required.is_empty() {
            let note = if request {
                "callers that left them out now send invalid requests"
            } else {
                "these fields lose their Option in the raw sdk"
            };
            self.push(
                ctx.section,
                Kind::BecameRequired,
                loc,
                format!("now required: {}", became_required.join(", ")),
                true,
            )
            .values(values.0, values.1)
            .because(note);
        }

        // The object's own changes first, then what changed inside it.
        for (name, o) in &old_props {
            if let Some(n) = new_props.get(name) {
                self.schema(o, n, &format!("{loc}.{name}"), ctx);
            }
        }
    }

    fn additional_properties(&mut self, old: &Value, new: &Value, loc: &str, ctx: Ctx) {
        let (o, n) = (extra(old), extra(new));
        match (o, n) {
            (Extra::Typed(o), Extra::Typed(n)) => {
                return self.schema(o, n, &format!("{loc}.*"), ctx);
            }
            (o, n) if o.label() == n.label() => return,
            _ => {}
        }
        let (breaking, note) = match (o, n, ctx.dir) {
            (Extra::Typed(_), _, _) | (_, Extra::Typed(_), _) => (
                true,
                "the generated type changes between a struct and a map",
            ),
            (_, _, Direction::Request) => {
                (false, "the generated client sends only declared fields")
            }
            (_, _, Direction::Response) => (
                false,
                "adjust.rs drops `additionalProperties: false`, so decoding stays tolerant of new fields",
            ),
        };
        self.push(
            ctx.section,
            Kind::AdditionalPropertiesChanged,
            loc,
            format!("additionalProperties {} -> {}", o.label(), n.label()),
            breaking,
        )
        .values(Some(json!(o.label())), Some(json!(n.label())))
        .because(note);
    }
}
