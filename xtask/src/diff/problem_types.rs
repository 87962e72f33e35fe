//! Problem type URIs: added, removed, and moved (the same path under another
//! host).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Differ, Kind, Section};
use crate::openapi;

impl<'a> Differ<'a> {
    pub(super) fn problem_types(&mut self, old: &Value, new: &Value) {
        let (old_types, new_types) = (openapi::problem_types(old), openapi::problem_types(new));
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
            .filter_map(|uri| Some((openapi::uri_path(uri)?, *uri)))
            .collect();
        let moves: Vec<(&String, &String)> = removed
            .keys()
            .filter_map(|uri| Some((*uri, *added_by_path.get(openapi::uri_path(uri)?)?)))
            .collect();
        for (from, to) in moves {
            removed.remove(from);
            added.remove(to);
            self.push(
                Section::ProblemTypes,
                Kind::ProblemTypeMoved,
                openapi::uri_path(to).unwrap_or(to),
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
