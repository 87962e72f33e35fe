//! `cargo xtask diff`: what changed in the Stream Connections part of X's API
//! between two releases of the full spec, and which changes break clients.
//!
//! A spec bump is reviewed as a diff of `openapi/connections.json`, but that
//! diff is dominated by noise (sorted keys, renamed schemas, moved
//! descriptions) and says nothing about consequences. This report compares
//! what clients observe instead: operations, parameters, and the schemas an
//! operation's request body and responses reach. Schemas are matched by
//! *position* (the same operation, status, media type, property path), not by
//! name, because X renames schemas between releases while the wire shape
//! stays; renames are then reported once, as such.
//!
//! "Breaking" means a client of this crate has to react: either a client
//! built from the old spec misbehaves against a server that follows the new
//! one, or code written against the regenerated `xconn-sdk` stops compiling
//! because a field, its type, its `Option`-ness, a parameter or a method
//! changed. Two things are deliberately *not* counted, each with its note in
//! the report: generated type *names* (`xconn-ext` reaches types through
//! operation ids, which survive renames), and values added to response enums
//! (xconn treats them as open; a new value must be expected anyway).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::{adjust, extract};

/// Output format of `cargo xtask diff`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// A grouped report for people.
    Text,
    /// The same report as JSON, for scripts and CI.
    Json,
}

/// Where a change belongs in the report; the order is the report's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    Operations,
    Parameters,
    Request,
    Responses,
    ProblemTypes,
    Schemas,
}

impl Section {
    fn title(self) -> &'static str {
        match self {
            Section::Operations => "Operations",
            Section::Parameters => "Parameters",
            Section::Request => "Request bodies",
            Section::Responses => "Responses",
            Section::ProblemTypes => "Problem types",
            Section::Schemas => "Schemas",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    OperationAdded,
    OperationRemoved,
    OperationIdChanged,
    ParameterAdded,
    ParameterRemoved,
    ParameterRequiredChanged,
    ParameterStyleChanged,
    RequestBodyAdded,
    RequestBodyRemoved,
    RequestBodyRequiredChanged,
    ResponseAdded,
    ResponseRemoved,
    MediaTypeAdded,
    MediaTypeRemoved,
    TypeChanged,
    CompositionChanged,
    EnumValuesAdded,
    EnumValuesRemoved,
    BoundChanged,
    DefaultChanged,
    PropertyAdded,
    PropertyRemoved,
    BecameRequired,
    BecameOptional,
    AdditionalPropertiesChanged,
    SchemaRenamed,
    SchemaAdded,
    SchemaRemoved,
    SchemaReferenceChanged,
    ProblemTypeAdded,
    ProblemTypeRemoved,
    ProblemTypeMoved,
}

/// One observed difference.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    pub section: Section,
    pub kind: Kind,
    /// An operation (`GET /2/connections`), a parameter (`... query:status`),
    /// a schema path (`Connection.id`, `X.data[]`) or a problem type.
    pub location: String,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    pub breaking: bool,
    /// Why the change is (or is not) breaking, where the kind does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Change {
    fn values(&mut self, old: Option<Value>, new: Option<Value>) -> &mut Self {
        self.old = old;
        self.new = new;
        self
    }

    fn because(&mut self, note: impl Into<String>) -> &mut Self {
        self.note = Some(note.into());
        self
    }
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub changes: usize,
    pub breaking: usize,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub old_version: Option<String>,
    pub new_version: Option<String>,
    pub summary: Summary,
    pub changes: Vec<Change>,
}

/// Compare the Stream Connections parts of two full specs.
pub fn diff(old_full: &Value, new_full: &Value) -> Result<Report> {
    let old = extract::fragment(old_full).context("in the old spec")?;
    let new = extract::fragment(new_full).context("in the new spec")?;
    Ok(diff_fragments(&old, &new))
}

fn diff_fragments(old: &Value, new: &Value) -> Report {
    // Structure is compared on `Problem` as the crate generates it: a `oneOf`
    // of constant-typed objects becomes one open object (see adjust.rs).
    // Compared raw, the move from an `allOf` base (2.159) to a `oneOf` (2.167)
    // would only say "composition changed", which tells a reviewer nothing.
    let (mut old_open, mut new_open) = (old.clone(), new.clone());
    adjust::open_problem_union(&mut old_open);
    adjust::open_problem_union(&mut new_open);

    let mut differ = Differ::new(&old_open, &new_open);
    differ.operations();
    differ.schemas(old, new);
    differ.problem_types(old, new);

    let mut changes = differ.changes;
    // Structural changes read best grouped by what they touch; the other
    // sections are already in a meaningful order (moved/removed/added).
    changes.sort_by(|a, b| {
        a.section.cmp(&b.section).then_with(|| match a.section {
            Section::Parameters | Section::Request | Section::Responses => {
                a.location.cmp(&b.location)
            }
            _ => std::cmp::Ordering::Equal,
        })
    });
    let version = |spec: &Value| {
        spec.pointer("/info/version")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Report {
        old_version: version(old),
        new_version: version(new),
        summary: Summary {
            changes: changes.len(),
            breaking: changes.iter().filter(|c| c.breaking).count(),
        },
        changes,
    }
}

impl Report {
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Text => self.to_text(),
            Format::Json => {
                extract::to_pretty(&serde_json::to_value(self).expect("reports serialize"))
            }
        }
    }

    fn to_text(&self) -> String {
        let version = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".to_owned());
        let mut out = format!(
            "Stream Connections API: {} -> {}  (! = breaking)\n",
            version(&self.old_version),
            version(&self.new_version)
        );
        let mut section = None;
        for change in &self.changes {
            if section != Some(change.section) {
                section = Some(change.section);
                let _ = write!(out, "\n{}\n", change.section.title());
            }
            let mark = if change.breaking { '!' } else { '-' };
            let _ = writeln!(out, "  {mark} {}: {}", change.location, change.summary);
            if let Some(note) = &change.note {
                let _ = writeln!(out, "      {note}");
            }
        }
        let _ = write!(
            out,
            "\n{} changes, {} breaking\n",
            self.summary.changes, self.summary.breaking
        );
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Direction {
    /// Data the client sends: tightening breaks callers.
    Request,
    /// Data the client decodes: shape changes break decoding or user code.
    Response,
}

/// How a schema is used: the direction decides what breaks, the section is
/// where its changes are filed (a named schema under its first use).
#[derive(Clone, Copy)]
struct Ctx {
    dir: Direction,
    section: Section,
}

struct Differ<'a> {
    old: &'a Value,
    new: &'a Value,
    changes: Vec<Change>,
    /// Named schema pairs already compared, so each is reported once and
    /// recursive schemas terminate.
    visited: BTreeSet<(String, String, Direction)>,
    /// `(old name, new name)` met at the same position, with the first one.
    ref_pairs: BTreeMap<(String, String), String>,
    /// Old named schemas now written inline, and where.
    inlined: BTreeMap<String, String>,
    /// New named schemas that were inline before, and where.
    extracted: BTreeMap<String, String>,
}

impl<'a> Differ<'a> {
    fn new(old: &'a Value, new: &'a Value) -> Self {
        Differ {
            old,
            new,
            changes: Vec::new(),
            visited: BTreeSet::new(),
            ref_pairs: BTreeMap::new(),
            inlined: BTreeMap::new(),
            extracted: BTreeMap::new(),
        }
    }

    fn push(
        &mut self,
        section: Section,
        kind: Kind,
        location: impl Into<String>,
        summary: impl Into<String>,
        breaking: bool,
    ) -> &mut Change {
        self.changes.push(Change {
            section,
            kind,
            location: location.into(),
            summary: summary.into(),
            old: None,
            new: None,
            breaking,
            note: None,
        });
        self.changes.last_mut().expect("just pushed")
    }

    // ----- operations -------------------------------------------------------

    fn operations(&mut self) {
        let (old_ops, new_ops) = (operations(self.old), operations(self.new));
        for (key, old_op) in &old_ops {
            let Some(new_op) = new_ops.get(key) else {
                self.push(
                    Section::Operations,
                    Kind::OperationRemoved,
                    old_op.label(),
                    format!("removed (operationId {})", old_op.id()),
                    true,
                )
                .values(Some(json!(old_op.id())), None);
                continue;
            };
            self.operation(old_op, new_op);
        }
        for (key, new_op) in &new_ops {
            if !old_ops.contains_key(key) {
                self.push(
                    Section::Operations,
                    Kind::OperationAdded,
                    new_op.label(),
                    format!("added (operationId {})", new_op.id()),
                    false,
                )
                .values(None, Some(json!(new_op.id())));
            }
        }
    }

    fn operation(&mut self, old: &Operation<'a>, new: &Operation<'a>) {
        let label = new.label();
        if old.id() != new.id() {
            self.push(
                Section::Operations,
                Kind::OperationIdChanged,
                &label,
                format!("operationId {} -> {}", old.id(), new.id()),
                true,
            )
            .values(Some(json!(old.id())), Some(json!(new.id())))
            .because("the generated method is named after the operationId, and xconn-ext calls it");
        }
        self.parameters(&label, old, new);
        self.request_body(&label, old, new);
        self.responses(&label, old, new);
    }

    fn parameters(&mut self, label: &str, old: &Operation<'a>, new: &Operation<'a>) {
        let (old_params, new_params) = (old.parameters(self.old), new.parameters(self.new));
        for ((place, name), o) in &old_params {
            let loc = format!("{label} {place}:{name}");
            let Some(n) = new_params.get(&(place.clone(), name.clone())) else {
                self.push(
                    Section::Parameters,
                    Kind::ParameterRemoved,
                    loc,
                    "removed",
                    true,
                )
                .because("its builder method disappears, and servers may reject it");
                continue;
            };
            let (o_req, n_req) = (is_true(o, "required"), is_true(n, "required"));
            if o_req != n_req {
                let summary = if n_req {
                    "now required"
                } else {
                    "now optional"
                };
                self.push(
                    Section::Parameters,
                    Kind::ParameterRequiredChanged,
                    &loc,
                    summary,
                    n_req,
                )
                .values(Some(json!(o_req)), Some(json!(n_req)));
            }
            let (o_style, n_style) = (style(o), style(n));
            if o_style != n_style {
                let show = |(s, e): &(String, bool)| format!("style {s}, explode {e}");
                self.push(
                    Section::Parameters,
                    Kind::ParameterStyleChanged,
                    &loc,
                    format!("{} -> {}", show(&o_style), show(&n_style)),
                    true,
                )
                .values(Some(json!(show(&o_style))), Some(json!(show(&n_style))))
                .because(
                    "the wire format changes: clients built from the old spec send the old form",
                );
            }
            if let (Some(os), Some(ns)) = (o.get("schema"), n.get("schema")) {
                let ctx = Ctx {
                    dir: Direction::Request,
                    section: Section::Parameters,
                };
                self.schema(os, ns, &loc, ctx);
            }
        }
        for ((place, name), n) in &new_params {
            if !old_params.contains_key(&(place.clone(), name.clone())) {
                let required = is_true(n, "required");
                let change = self.push(
                    Section::Parameters,
                    Kind::ParameterAdded,
                    format!("{label} {place}:{name}"),
                    if required {
                        "added, required"
                    } else {
                        "added, optional"
                    },
                    required,
                );
                if required {
                    change.because("existing calls do not send it");
                }
            }
        }
    }

    fn request_body(&mut self, label: &str, old: &Operation<'a>, new: &Operation<'a>) {
        let loc = format!("{label} request body");
        let body = |spec: &'a Value, op: &Operation<'a>| {
            op.op.get("requestBody").map(|b| deref(spec, b).1)
        };
        match (body(self.old, old), body(self.new, new)) {
            (None, None) => {}
            (Some(_), None) => {
                self.push(
                    Section::Request,
                    Kind::RequestBodyRemoved,
                    loc,
                    "removed",
                    true,
                );
            }
            (None, Some(n)) => {
                let required = is_true(n, "required");
                self.push(
                    Section::Request,
                    Kind::RequestBodyAdded,
                    loc,
                    if required {
                        "added, required"
                    } else {
                        "added, optional"
                    },
                    required,
                );
            }
            (Some(o), Some(n)) => {
                let (o_req, n_req) = (is_true(o, "required"), is_true(n, "required"));
                if o_req != n_req {
                    let summary = if n_req {
                        "now required"
                    } else {
                        "now optional"
                    };
                    self.push(
                        Section::Request,
                        Kind::RequestBodyRequiredChanged,
                        &loc,
                        summary,
                        n_req,
                    )
                    .values(Some(json!(o_req)), Some(json!(n_req)));
                }
                let ctx = Ctx {
                    dir: Direction::Request,
                    section: Section::Request,
                };
                self.content(o.get("content"), n.get("content"), &loc, ctx, true);
            }
        }
    }

    fn responses(&mut self, label: &str, old: &Operation<'a>, new: &Operation<'a>) {
        let empty = Map::new();
        let responses = |op: &Operation<'a>| {
            op.op
                .get("responses")
                .and_then(Value::as_object)
                .unwrap_or(&empty)
        };
        let (old_responses, new_responses) = (responses(old), responses(new));
        let ctx = Ctx {
            dir: Direction::Response,
            section: Section::Responses,
        };
        for (status, o) in old_responses {
            let loc = format!("{label} {status}");
            let success = status.starts_with('2');
            match new_responses.get(status) {
                None => {
                    let change = self.push(
                        Section::Responses,
                        Kind::ResponseRemoved,
                        loc,
                        "removed",
                        success,
                    );
                    if success {
                        change.because("the generated method's success type changes");
                    }
                }
                Some(n) => {
                    let (o, n) = (deref(self.old, o).1, deref(self.new, n).1);
                    self.content(o.get("content"), n.get("content"), &loc, ctx, success);
                }
            }
        }
        for status in new_responses.keys() {
            if !old_responses.contains_key(status) {
                let success = status.starts_with('2');
                let change = self.push(
                    Section::Responses,
                    Kind::ResponseAdded,
                    format!("{label} {status}"),
                    "added",
                    success,
                );
                if success {
                    change.because("the generated method's success type changes");
                } else {
                    change.because("error bodies reach callers as raw bytes (adjust.rs)");
                }
            }
        }
    }

    /// Compare a `content` map; `removal_breaks` when a client relies on it.
    fn content(
        &mut self,
        old: Option<&Value>,
        new: Option<&Value>,
        loc: &str,
        ctx: Ctx,
        removal_breaks: bool,
    ) {
        let empty = Map::new();
        let old = old.and_then(Value::as_object).unwrap_or(&empty);
        let new = new.and_then(Value::as_object).unwrap_or(&empty);
        for (media, o) in old {
            match new.get(media) {
                None => {
                    self.push(
                        ctx.section,
                        Kind::MediaTypeRemoved,
                        format!("{loc} {media}"),
                        "removed",
                        removal_breaks,
                    );
                }
                Some(n) => {
                    if let (Some(os), Some(ns)) = (o.get("schema"), n.get("schema")) {
                        self.schema(os, ns, &format!("{loc} {media}"), ctx);
                    }
                }
            }
        }
        for media in new.keys() {
            if !old.contains_key(media) {
                self.push(
                    ctx.section,
                    Kind::MediaTypeAdded,
                    format!("{loc} {media}"),
                    "added",
                    false,
                );
            }
        }
    }

    // ----- schemas, compared by position -----------------------------------

    fn schema(&mut self, old: &Value, new: &Value, loc: &str, ctx: Ctx) {
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
        if !removed.is_empty() {
            let breaking = ctx.dir == Direction::Request;
            let note = if breaking {
                "calls passing these values no longer compile or are rejected"
            } else {
                "the server stops sending them"
            };
            self.push(
                ctx.section,
                Kind::EnumValuesRemoved,
                loc,
                format!("enum values removed: {}", list(&removed)),
                breaking,
            )
            .values(Some(json!(removed)), None)
            .because(note);
        }
        if !added.is_empty() {
            let note = if ctx.dir == Direction::Request {
                "callers may now send them"
            } else {
                "xconn treats response enums as open: new values must be expected anyway"
            };
            self.push(
                ctx.section,
                Kind::EnumValuesAdded,
                loc,
                format!("enum values added: {}", list(&added)),
                false,
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
                (None, Direction::Request) => (false, "requests that were valid stay valid"),
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

        for name in old_props.keys().filter(|n| !new_props.contains_key(*n)) {
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
        for (name, n) in &new_props {
            if old_props.contains_key(name) {
                continue;
            }
            let is_required = new_required.contains(name.as_str());
            let ty = type_label(deref(self.new, n).1);
            let summary = format!(
                "property added ({ty}{})",
                if is_required { ", required" } else { "" }
            );
            let breaking = request && is_required;
            let change = self.push(
                ctx.section,
                Kind::PropertyAdded,
                format!("{loc}.{name}"),
                summary,
                breaking,
            );
            if breaking {
                change.because("existing callers do not send it");
            } else if !request && is_required {
                change.because("a new field; clients built from the old spec ignore it");
            }
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

    // ----- schema names ----------------------------------------------------

    /// Report renamed, added and removed schemas. Runs after the walk, which
    /// recorded which names met at the same position.
    fn schemas(&mut self, old: &Value, new: &Value) {
        let names = |spec: &Value| -> BTreeSet<String> {
            spec.pointer("/components/schemas")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        let (old_names, new_names) = (names(old), names(new));
        let mut removed: BTreeSet<String> = old_names.difference(&new_names).cloned().collect();
        let mut added: BTreeSet<String> = new_names.difference(&old_names).cloned().collect();

        let note =
            "the type's name in xconn_sdk::types changes; xconn-ext depends on operation ids only";
        for ((a, b), position) in std::mem::take(&mut self.ref_pairs) {
            if removed.contains(&a) && added.contains(&b) {
                removed.remove(&a);
                added.remove(&b);
                self.push(
                    Section::Schemas,
                    Kind::SchemaRenamed,
                    &b,
                    format!("renamed from {a} (same position: {position})"),
                    false,
                )
                .values(Some(json!(a)), Some(json!(b)))
                .because(note);
            } else {
                self.push(
                    Section::Schemas,
                    Kind::SchemaReferenceChanged,
                    &position,
                    format!("now {b}, was {a} (compared by position)"),
                    false,
                )
                .values(Some(json!(a)), Some(json!(b)));
            }
        }

        // Whatever is left: a removed and an added schema with the same shape,
        // each the only one with that shape, are one schema renamed.
        let shape = |spec: &Value, name: &str| canonical(&spec["components"]["schemas"][name]);
        let mut by_shape: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in &added {
            by_shape
                .entry(shape(new, name).to_string())
                .or_default()
                .push(name.clone());
        }
        let mut old_by_shape: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in &removed {
            old_by_shape
                .entry(shape(old, name).to_string())
                .or_default()
                .push(name.clone());
        }
        for (key, olds) in &old_by_shape {
            if let ([a], Some([b])) = (olds.as_slice(), by_shape.get(key).map(Vec::as_slice)) {
                removed.remove(a);
                added.remove(b);
                self.push(
                    Section::Schemas,
                    Kind::SchemaRenamed,
                    b,
                    format!("renamed from {a} (same shape)"),
                    false,
                )
                .values(Some(json!(a)), Some(json!(b)))
                .because(note);
            }
        }

        for name in removed {
            let summary = match self.inlined.get(&name) {
                Some(at) => format!("removed; now written inline at {at}"),
                None => "removed".to_owned(),
            };
            self.push(Section::Schemas, Kind::SchemaRemoved, &name, summary, false)
                .because("what used it is compared by position above");
        }
        for name in added {
            let summary = match self.extracted.get(&name) {
                Some(at) => format!("added; was written inline at {at}"),
                None => "added".to_owned(),
            };
            self.push(Section::Schemas, Kind::SchemaAdded, &name, summary, false);
        }
    }

    // ----- problem types ---------------------------------------------------

    fn problem_types(&mut self, old: &Value, new: &Value) {
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
            .because("code comparing full type URIs stops matching; compare the path instead");
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
            .because("problem types are open strings in xconn (adjust.rs)");
        }
    }
}

// ----- operations --------------------------------------------------------

struct Operation<'a> {
    method: &'static str,
    path: &'a str,
    item: &'a Value,
    op: &'a Value,
}

impl<'a> Operation<'a> {
    fn label(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }

    fn id(&self) -> &'a str {
        self.op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("none")
    }

    /// Path-item parameters overridden by the operation's own, keyed by
    /// location and name (their identity in OpenAPI).
    fn parameters(&self, spec: &'a Value) -> BTreeMap<(String, String), &'a Value> {
        let mut out = BTreeMap::new();
        for list in [self.item.get("parameters"), self.op.get("parameters")] {
            for param in list.and_then(Value::as_array).into_iter().flatten() {
                let param = deref(spec, param).1;
                let field = |k: &str| {
                    param
                        .get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                out.insert((field("in"), field("name")), param);
            }
        }
        out
    }
}

/// Operations keyed by method and path *template*: a renamed path parameter
/// (`{id}` -> `{endpoint_id}`) is the same operation.
fn operations(spec: &Value) -> BTreeMap<(String, &'static str), Operation<'_>> {
    let mut out = BTreeMap::new();
    for (path, item) in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in adjust::METHODS {
            if let Some(op) = item.get(method) {
                out.insert(
                    (path_template(path), method),
                    Operation {
                        method,
                        path,
                        item,
                        op,
                    },
                );
            }
        }
    }
    out
}

fn path_template(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') && seg.ends_with('}') {
                "{}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Effective `(style, explode)`, with OpenAPI's defaults filled in so that
/// writing out a default is not reported as a change.
fn style(param: &Value) -> (String, bool) {
    let default = match param.get("in").and_then(Value::as_str) {
        Some("query" | "cookie") => "form",
        _ => "simple",
    };
    let style = param
        .get("style")
        .and_then(Value::as_str)
        .unwrap_or(default)
        .to_owned();
    let explode = param
        .get("explode")
        .and_then(Value::as_bool)
        .unwrap_or(style == "form");
    (style, explode)
}

// ----- schema helpers ----------------------------------------------------

/// Follow `$ref`s; returns the last schema name met and the target.
fn deref<'v>(spec: &'v Value, node: &'v Value) -> (Option<&'v str>, &'v Value) {
    let (mut name, mut node) = (None, node);
    // The fragment was validated by `extract`, so targets exist; the bound
    // only guards against a reference cycle.
    for _ in 0..32 {
        let Some(target) = node.get("$ref").and_then(Value::as_str) else {
            break;
        };
        name = target.rsplit('/').next();
        node = target
            .strip_prefix('#')
            .and_then(|p| spec.pointer(p))
            .unwrap_or(&Value::Null);
    }
    (name, node)
}

/// Merge `allOf` members into one schema: properties and required lists
/// from every member, so that a schema refactored into (or out of) an
/// `allOf` compares by what it accepts.
fn effective(spec: &Value, node: &Value) -> Value {
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

fn composition(schema: &Value) -> Option<&'static str> {
    ["oneOf", "anyOf"]
        .into_iter()
        .find(|k| schema.get(*k).is_some())
}

/// `type` with its `format`, inferring the type OpenAPI lets authors omit.
fn type_label(schema: &Value) -> String {
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

fn enum_values(schema: &Value) -> Option<BTreeSet<String>> {
    let values = schema.get("enum")?.as_array()?;
    Some(
        values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect(),
    )
}

fn required(schema: &Value) -> BTreeSet<String> {
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
enum Bound {
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

const BOUNDS: [(&str, Bound); 10] = [
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
    fn tightens(self, old: Option<&Value>, new: Option<&Value>) -> bool {
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

fn is_one(v: Option<&Value>) -> bool {
    v.and_then(Value::as_f64) == Some(1.0)
}

fn is_true_value(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool).unwrap_or(false)
}

fn is_true(node: &Value, key: &str) -> bool {
    is_true_value(node.get(key))
}

/// What an object accepts beyond its declared properties.
#[derive(Clone, Copy)]
enum Extra<'v> {
    Open,
    Closed,
    Typed(&'v Value),
}

impl Extra<'_> {
    fn label(self) -> &'static str {
        match self {
            Extra::Open => "allowed",
            Extra::Closed => "forbidden",
            Extra::Typed(_) => "typed",
        }
    }
}

fn extra(schema: &Value) -> Extra<'_> {
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
fn canonical(schema: &Value) -> Value {
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

// ----- problem types -----------------------------------------------------

/// Problem type URIs, with the schema that documents each: discriminator
/// mapping keys of every schema discriminated on `type`, and the `type`
/// enum values of that schema family (its mapping targets, `oneOf`/`anyOf`
/// members, and the schemas that extend it through `allOf`).
fn problem_types(spec: &Value) -> BTreeMap<String, String> {
    let empty = Map::new();
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let ref_name = |v: &Value| -> Option<String> {
        Some(v.get("$ref")?.as_str()?.rsplit('/').next()?.to_owned())
    };
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
                .and_then(|t| t.rsplit('/').next())
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

#[cfg(test)]
mod tests;
