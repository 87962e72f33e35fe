//! Parameters of an operation, keyed by location and name: added, removed,
//! required or not, serialization style, and their schemas.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::keywords::is_true;
use super::{Ctx, Differ, Direction, Kind, Section};
use crate::openapi::{Operation, param_key};

impl<'a> Differ<'a> {
    pub(super) fn parameters(&mut self, label: &str, old: &Operation<'a>, new: &Operation<'a>) {
        let (old_params, new_params) = (by_key(old, self.old), by_key(new, self.new));
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
            self.required_changed(
                Section::Parameters,
                Kind::ParameterRequiredChanged,
                &loc,
                o,
                n,
            );
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
                } else {
                    change.because(
                        "xconn-ext's typed client must wrap it, or list it with a reason in its \
                         table of unwrapped parameters (a drift test names it until then); \
                         until then it is reachable only through client.sdk()",
                    );
                }
            }
        }
    }
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

/// An operation's parameters keyed by `(in, name)`, their identity in OpenAPI.
fn by_key<'a>(op: &Operation<'a>, spec: &'a Value) -> BTreeMap<(String, String), &'a Value> {
    op.parameters(spec)
        .into_iter()
        .map(|p| {
            let (place, name) = param_key(p);
            ((place.to_owned(), name.to_owned()), p)
        })
        .collect()
}
