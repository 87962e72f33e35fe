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
//! "Breaking" means someone has to react: a public type or method of
//! `xconn-sdk` (itself a published crate) changes in a way that stops code
//! compiling, `xconn-ext` (whose wire adapter names generated types and
//! destructures them exhaustively) stops building, or a client built from the
//! old spec misbehaves against a server that follows the new one. So schema
//! renames and removals, added or renamed properties, and enum values added
//! or removed are breaking; an added optional query parameter or operation
//! is not, but its note says what xconn-ext must do about it.
//!
//! The walk is split by concern: `servers` (the default base URL),
//! `operations` (their security, request bodies and responses), `parameters`, `schemas` (compared by position),
//! `keywords` (what each schema keyword means for compatibility),
//! `schema_names` (renames, additions, removals), `problem_types`, with the
//! findings in `report` and their rendering in `output`.

mod keywords;
mod operations;
mod output;
mod parameters;
mod problem_types;
mod report;
mod schema_names;
mod schemas;
mod servers;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use serde_json::{Value, json};

pub use output::Format;
pub use report::{Change, Kind, Report, Section, Summary};

use crate::{adjust, extract};
use keywords::is_true;

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
    differ.servers();
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

    /// Reports a parameter or request body whose `required` flipped between
    /// `old` and `new` (breaking when it becomes required).
    fn required_changed(
        &mut self,
        section: Section,
        kind: Kind,
        location: &str,
        old: &Value,
        new: &Value,
    ) {
        let (o_req, n_req) = (is_true(old, "required"), is_true(new, "required"));
        if o_req != n_req {
            let summary = if n_req {
                "now required"
            } else {
                "now optional"
            };
            self.push(section, kind, location, summary, n_req)
                .values(Some(json!(o_req)), Some(json!(n_req)));
        }
    }
}

#[cfg(test)]
mod tests;
