//! Operations: added, removed, renamed (operationId), and each one's request
//! body and responses, down to the schemas of their media types.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::keywords::is_true;
use super::{Ctx, Differ, Direction, Kind, Section};
use crate::openapi::{self, Operation, deref};

impl<'a> Differ<'a> {
    pub(super) fn operations(&mut self) {
        let (old_ops, new_ops) = (operations(self.old), operations(self.new));
        for (key, old_op) in &old_ops {
            let Some(new_op) = new_ops.get(key) else {
                self.push(
                    Section::Operations,
                    Kind::OperationRemoved,
                    old_op.label(),
                    format!("removed (operationId {})", op_id(old_op)),
                    true,
                )
                .values(Some(json!(op_id(old_op))), None);
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
                    format!("added (operationId {})", op_id(new_op)),
                    false,
                )
                .values(None, Some(json!(op_id(new_op))))
                .because(
                    "xconn-ext's typed client must wrap it, or list it with a reason in its \
                     table of unwrapped operations (a drift test names it until then)",
                );
            }
        }
    }

    fn operation(&mut self, old: &Operation<'a>, new: &Operation<'a>) {
        let label = new.label();
        if op_id(old) != op_id(new) {
            self.push(
                Section::Operations,
                Kind::OperationIdChanged,
                &label,
                format!("operationId {} -> {}", op_id(old), op_id(new)),
                true,
            )
            .values(Some(json!(op_id(old))), Some(json!(op_id(new))))
            .because("the generated method is named after the operationId, and xconn-ext calls it");
        }
        self.security(&label, old, new);
        self.parameters(&label, old, new);
        self.request_body(&label, old, new);
        self.responses(&label, old, new);
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
                self.required_changed(
                    Section::Request,
                    Kind::RequestBodyRequiredChanged,
                    &loc,
                    o,
                    n,
                );
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
    pub(super) fn content(
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
}

/// Operations keyed by method and path *template*: a renamed path parameter
/// (`{id}` -> `{endpoint_id}`) is the same operation.
fn operations(spec: &Value) -> BTreeMap<(String, &'static str), Operation<'_>> {
    openapi::operations(spec)
        .into_iter()
        .map(|op| ((path_template(op.path), op.method), op))
        .collect()
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

/// The operationId, or `none` (extract's fragment does not require one).
fn op_id<'a>(op: &Operation<'a>) -> &'a str {
    op.id().unwrap_or("none")
}
