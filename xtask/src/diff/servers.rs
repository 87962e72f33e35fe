//! What a client is pointed at and how it authenticates: the document's
//! `servers` (the first is `xconn_sdk::spec::SERVER_URL`, the default base
//! URL) and each operation's security requirements.

use serde_json::{Value, json};

use super::{Differ, Kind, Section};
use crate::openapi::Operation;

impl<'a> Differ<'a> {
    pub(super) fn servers(&mut self) {
        let urls = |spec: &Value| -> Vec<String> {
            spec.get("servers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|s| s.get("url").and_then(Value::as_str))
                .map(|u| u.trim_end_matches('/').to_owned())
                .collect()
        };
        let (old, new) = (urls(self.old), urls(self.new));
        if old.first() != new.first() {
            self.push(
                Section::Servers,
                Kind::DefaultServerChanged,
                "servers[0]",
                format!(
                    "default base URL {} -> {}",
                    old.first().map_or("(none)", String::as_str),
                    new.first().map_or("(none)", String::as_str)
                ),
                true,
            )
            .values(old.first().map(|u| json!(u)), new.first().map(|u| json!(u)))
            .because(
                "xconn_sdk::spec::SERVER_URL and so xconn_ext::DEFAULT_BASE_URL follow on \
                 regeneration; clients of the old release keep calling the old host",
            );
        } else if old != new {
            self.push(
                Section::Servers,
                Kind::ServersChanged,
                "servers",
                "other servers changed (the default is the same)",
                false,
            )
            .values(Some(json!(old)), Some(json!(new)));
        }
    }

    /// An operation's security requirements (its own, else the document's),
    /// with the schemes they name as defined. Breaking when a way of
    /// authenticating that worked before is no longer accepted.
    pub(super) fn security(&mut self, label: &str, old: &Operation<'a>, new: &Operation<'a>) {
        let (o, n) = (requirements(self.old, old), requirements(self.new, new));
        if o == n {
            return;
        }
        let breaking = o.iter().any(|req| !n.contains(req));
        self.push(
            Section::Operations,
            Kind::SecurityChanged,
            format!("{label} security"),
            if breaking {
                "security requirements changed: a way of authenticating it accepted is gone"
            } else {
                "security requirements changed: a way of authenticating was added"
            },
            breaking,
        )
        .values(Some(json!(o)), Some(json!(n)))
        .because(
            "xconn-ext authenticates with an app-only bearer token (xconn_sdk::Credentials); \
             a new scheme must be supported there",
        );
    }
}

/// Each alternative requirement as the schemes it names, each resolved to
/// its definition in `components.securitySchemes`, with its scopes.
fn requirements(spec: &Value, op: &Operation<'_>) -> Vec<Value> {
    // No `security` anywhere is OpenAPI's "no authentication": no
    // alternatives at all, which is what an empty list says.
    let Some(reqs) = op
        .op
        .get("security")
        .or_else(|| spec.get("security"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    reqs.iter()
        .map(|req| {
            let schemes: serde_json::Map<String, Value> = req
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, scopes)| {
                    let scheme = spec
                        .pointer(&format!("/components/securitySchemes/{name}"))
                        .cloned()
                        .unwrap_or(Value::Null);
                    (name.clone(), json!({"scheme": scheme, "scopes": scopes}))
                })
                .collect();
            Value::Object(schemes)
        })
        .collect()
}
