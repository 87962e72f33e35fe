//! The facts of the spec that hand-written code relies on, emitted as
//! `xconn_sdk::spec` beside the generated client.
//!
//! `xconn-ext`, its sandbox, its CLI and the tests read endpoint names,
//! statuses, fields, limits, problem types and operations from this module
//! instead of keeping lists of their own, so a spec change reaches them on
//! regeneration (or fails their build where a hand-written type must change).
//! A fact that cannot be found is an error naming it: generation stops
//! rather than emitting a guess.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use crate::openapi::{self, resolve};

/// Render `pub mod spec { ... }` for the fragment `spec`.
pub fn render(spec: &Value) -> Result<String> {
    Ok(Facts::gather(spec)?.to_rust())
}

/// Every fact `xconn_sdk::spec` carries, as found in the fragment.
struct Facts {
    version: String,
    /// The first of `servers`: the production API, the default base URL.
    server_url: String,
    operations: Vec<Op>,
    endpoints: Vec<String>,
    endpoint_ids: Vec<String>,
    statuses: Vec<String>,
    status_default: Option<String>,
    fields: Vec<String>,
    /// Sorted.
    connection_properties: Vec<String>,
    max_results_min: u32,
    max_results_max: u32,
    max_results_default: Option<u32>,
    max_uuids: usize,
    /// Sorted.
    problem_types: Vec<String>,
    /// Sorted, deduplicated.
    problem_slugs: Vec<String>,
}

impl Facts {
    fn gather(spec: &Value) -> Result<Self> {
        let version = spec
            .pointer("/info/version")
            .and_then(Value::as_str)
            .context("the spec has no info.version")?
            .to_owned();
        let history = find_operation(spec, "get", "/2/connections")?;
        let by_endpoint = find_operation(spec, "delete", "/2/connections/{endpoint_id}")?;
        let by_uuids = find_operation(spec, "delete", "/2/connections")?;

        let status_schema = param_schema(spec, history, "status")?;
        let max_results = param_schema(spec, history, "max_results")?;
        let bound = |key: &str| -> Result<Option<u32>> {
            max_results
                .get(key)
                .map(|v| {
                    v.as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .with_context(|| {
                            format!("GET /2/connections `max_results` `{key}` is not a u32: {v}")
                        })
                })
                .transpose()
        };
        let required_bound = |key: &str| -> Result<u32> {
            bound(key)?.with_context(|| format!("GET /2/connections `max_results` has no `{key}`"))
        };
        let max_uuids = request_body_property(spec, by_uuids, "uuids")?
            .get("maxItems")
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
            .context("DELETE /2/connections `uuids` has no maxItems")?;
        let connection_properties = history_record_schema(spec, history)?
            .get("properties")
            .and_then(Value::as_object)
            .context("the connection record schema has no properties")?
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let problem_types: Vec<String> = problem_types(spec).into_iter().collect();
        if problem_types.is_empty() {
            bail!("the spec names no problem type URIs (`.../2/problems/<slug>`)");
        }
        let problem_slugs = problem_types
            .iter()
            .filter_map(|uri| problem_slug(uri).map(str::to_owned))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();

        let server_url = spec
            .pointer("/servers/0/url")
            .and_then(Value::as_str)
            .context("the spec has no servers[0].url (the default base URL)")?
            .trim_end_matches('/')
            .to_owned();

        Ok(Facts {
            version,
            server_url,
            operations: operations(spec)?,
            endpoints: string_enum(spec, param_schema(spec, history, "endpoints")?)
                .context("GET /2/connections `endpoints`")?,
            endpoint_ids: string_enum(spec, param_schema(spec, by_endpoint, "endpoint_id")?)
                .context("DELETE /2/connections/{endpoint_id} `endpoint_id`")?,
            statuses: string_enum(spec, status_schema).context("GET /2/connections `status`")?,
            status_default: status_schema
                .get("default")
                .and_then(Value::as_str)
                .map(str::to_owned),
            fields: string_enum(spec, param_schema(spec, history, "connection.fields")?)
                .context("GET /2/connections `connection.fields`")?,
            connection_properties,
            max_results_min: required_bound("minimum")?,
            max_results_max: required_bound("maximum")?,
            max_results_default: bound("default")?,
            max_uuids,
            problem_types,
            problem_slugs,
        })
    }

    /// The module's source; prettyplease formats it with the rest.
    fn to_rust(&self) -> String {
        let Facts {
            version,
            server_url,
            operations,
            endpoints,
            endpoint_ids,
            statuses,
            status_default,
            fields,
            connection_properties,
            max_results_min,
            max_results_max,
            max_results_default,
            max_uuids,
            problem_types,
            problem_slugs,
        } = self;
        let mut out = String::new();
        out.push_str(
            "\n/// The facts of the spec that hand-written code relies on, generated from \
             the same fragment as the client.\n///\n/// `xconn-ext`, its sandbox, CLI and tests \
             read these instead of keeping their own lists; `cargo xtask generate` rewrites them.\n\
             pub mod spec {\n",
        );
        let _ = writeln!(
            out,
            "/// The spec's `info.version`.\npub const SPEC_VERSION: &str = {version:?};"
        );
        let _ = writeln!(
            out,
            "/// The spec's first `servers` URL (no trailing `/`): the production API, \
             the default base URL.\npub const SERVER_URL: &str = {server_url:?};"
        );
        out.push_str(
            "/// One operation of the fragment.\n\
             #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n\
             pub struct Operation {\n\
             /// Its `operationId`.\npub id: &'static str,\n\
             /// The HTTP method, upper case.\npub method: &'static str,\n\
             /// The path template.\npub path: &'static str,\n\
             /// Its query parameters, in the spec's order.\npub query_params: &'static [&'static str],\n\
             /// Its path parameters, in the spec's order.\npub path_params: &'static [&'static str],\n\
             /// Whether it takes a request body.\npub has_body: bool,\n\
             }\n",
        );
        out.push_str(
            "/// Every operation of the fragment, by path then method.\n\
             pub const OPERATIONS: &[Operation] = &[\n",
        );
        for op in operations {
            let _ = writeln!(
                out,
                "Operation {{ id: {:?}, method: {:?}, path: {:?}, query_params: &[{}], \
                 path_params: &[{}], has_body: {} }},",
                op.id,
                op.method,
                op.path,
                list(&op.query),
                list(&op.path_params),
                op.has_body
            );
        }
        out.push_str("];\n");
        let _ = writeln!(
            out,
            "/// `GET /2/connections` `endpoints`: the stream endpoints, in the spec's order.\n\
             pub const ENDPOINTS: &[&str] = &[{}];",
            list(endpoints)
        );
        let _ = writeln!(
            out,
            "/// `DELETE /2/connections/{{endpoint_id}}` `endpoint_id`, in the spec's order.\n\
             pub const ENDPOINT_IDS: &[&str] = &[{}];",
            list(endpoint_ids)
        );
        let _ = writeln!(
            out,
            "/// `GET /2/connections` `status`, in the spec's order.\n\
             pub const STATUSES: &[&str] = &[{}];",
            list(statuses)
        );
        let _ = writeln!(
            out,
            "/// The `status` the API assumes when none is sent.\n\
             pub const STATUS_DEFAULT: Option<&str> = {status_default:?};"
        );
        let _ = writeln!(
            out,
            "/// `GET /2/connections` `connection.fields`, in the spec's order.\n\
             pub const CONNECTION_FIELDS: &[&str] = &[{}];",
            list(fields)
        );
        let _ = writeln!(
            out,
            "/// The properties of a connection record, sorted.\n\
             pub const CONNECTION_PROPERTIES: &[&str] = &[{}];",
            list(connection_properties)
        );
        let _ = writeln!(
            out,
            "/// The smallest `max_results` the API accepts.\n\
             pub const MAX_RESULTS_MIN: u32 = {max_results_min};\n\
             /// The largest `max_results` the API accepts.\n\
             pub const MAX_RESULTS_MAX: u32 = {max_results_max};\n\
             /// The page size the API uses when none is sent.\n\
             pub const MAX_RESULTS_DEFAULT: Option<u32> = {max_results_default:?};"
        );
        let _ = writeln!(
            out,
            "/// The most UUIDs one `DELETE /2/connections` takes.\n\
             pub const MAX_UUIDS_PER_REQUEST: usize = {max_uuids};"
        );
        let _ = writeln!(
            out,
            "/// Every problem `type` URI the spec names, sorted.\n\
             pub const PROBLEM_TYPES: &[&str] = &[{}];",
            list(problem_types)
        );
        let _ = writeln!(
            out,
            "/// The slugs of [`PROBLEM_TYPES`] (`<slug>` of `/2/problems/<slug>`), sorted.\n\
             pub const PROBLEM_SLUGS: &[&str] = &[{}];",
            list(problem_slugs)
        );
        let _ = writeln!(
            out,
            "/// The path every problem type URI has before its slug, whatever the host.\n\
             pub const PROBLEM_PATH_PREFIX: &str = {PROBLEM_PATH_PREFIX:?};"
        );
        out.push_str("}\n");
        out
    }
}

const PROBLEM_PATH_PREFIX: &str = "/2/problems/";

struct Op {
    id: String,
    method: String,
    path: String,
    query: Vec<String>,
    path_params: Vec<String>,
    has_body: bool,
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn operations(spec: &Value) -> Result<Vec<Op>> {
    openapi::operations(spec)
        .into_iter()
        .map(|op| {
            let id = op
                .id()
                .with_context(|| format!("{} has no operationId", op.label()))?;
            let names_in = |place: &str| -> Vec<String> {
                op.parameters(spec)
                    .into_iter()
                    .filter(|p| p.get("in").and_then(Value::as_str) == Some(place))
                    .filter_map(|p| p.get("name").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect()
            };
            Ok(Op {
                id: id.to_owned(),
                method: op.method.to_uppercase(),
                path: op.path.to_owned(),
                query: names_in("query"),
                path_params: names_in("path"),
                has_body: op.op.get("requestBody").is_some(),
            })
        })
        .collect()
}

fn find_operation<'a>(spec: &'a Value, method: &str, path: &str) -> Result<openapi::Operation<'a>> {
    openapi::find_operation(spec, method, path)
        .ok_or_else(|| anyhow!("the spec has no {} {path}", method.to_uppercase()))
}

fn param_schema<'a>(spec: &'a Value, op: openapi::Operation<'a>, name: &str) -> Result<&'a Value> {
    op.parameter(spec, name)
        .and_then(|p| p.get("schema"))
        .map(|s| resolve(spec, s))
        .ok_or_else(|| anyhow!("{} has no parameter `{name}` with a schema", op.label()))
}

/// The string enum of a schema, or of its array items.
fn string_enum(spec: &Value, schema: &Value) -> Result<Vec<String>> {
    let schema = match schema.get("items") {
        Some(items) => resolve(spec, items),
        None => schema,
    };
    schema
        .get("enum")
        .and_then(Value::as_array)
        .context("has no enum")?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .context("a value is not a string")
        })
        .collect()
}

fn request_body_property<'a>(
    spec: &'a Value,
    op: openapi::Operation<'a>,
    name: &str,
) -> Result<&'a Value> {
    let body = op
        .op
        .pointer("/requestBody/content/application~1json/schema")
        .map(|s| resolve(spec, s))
        .context("DELETE /2/connections has no JSON request body")?;
    body.pointer(&format!("/properties/{name}"))
        .map(|s| resolve(spec, s))
        .with_context(|| format!("DELETE /2/connections' body has no `{name}`"))
}

/// The schema of one record of `GET /2/connections`' `data`.
fn history_record_schema<'a>(spec: &'a Value, op: openapi::Operation<'a>) -> Result<&'a Value> {
    let body = op
        .op
        .pointer("/responses/200/content/application~1json/schema")
        .map(|s| resolve(spec, s))
        .context("GET /2/connections has no JSON 200 response")?;
    let data = body
        .pointer("/properties/data")
        .map(|s| resolve(spec, s))
        .context("GET /2/connections' response has no `data`")?;
    data.get("items")
        .map(|s| resolve(spec, s))
        .context("GET /2/connections' `data` is not an array")
}

/// The problem type URIs of the document (`openapi::problem_types`, which
/// `diff` also reads) whose path is `/2/problems/<slug>`.
fn problem_types(spec: &Value) -> BTreeSet<String> {
    openapi::problem_types(spec)
        .into_keys()
        .filter(|uri| problem_slug(uri).is_some())
        .collect()
}

/// `https://host/2/problems/<slug>` -> `<slug>`.
fn problem_slug(uri: &str) -> Option<&str> {
    let slug = openapi::uri_path(uri)?.strip_prefix(PROBLEM_PATH_PREFIX)?;
    (!slug.is_empty() && !slug.contains('/')).then_some(slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checked-in fragment: in every clone, unlike the upstream files.
    fn fragment() -> Value {
        serde_json::from_str(include_str!("../../openapi/connections.json")).unwrap()
    }

    fn max_results(spec: &mut Value) -> &mut Value {
        spec.pointer_mut("/paths/~12~1connections/get/parameters")
            .and_then(Value::as_array_mut)
            .unwrap()
            .iter_mut()
            .find(|p| p["name"] == "max_results")
            .unwrap()
    }

    #[test]
    fn facts_of_the_checked_in_fragment() {
        let facts = Facts::gather(&fragment()).unwrap();
        assert_eq!(facts.operations.len(), 4);
        assert_eq!(facts.statuses, ["active", "inactive", "all"]);
        assert_eq!(facts.status_default.as_deref(), Some("active"));
        assert_eq!((facts.max_results_min, facts.max_results_max), (1, 100));
        assert_eq!(facts.server_url, "https://api.x.com");
        assert!(facts.problem_slugs.iter().any(|s| s == "invalid-request"));
        assert!(
            facts
                .connection_properties
                .iter()
                .any(|p| p == "endpoint_name")
        );
        let code = facts.to_rust();
        assert!(
            code.contains("pub const MAX_RESULTS_MAX: u32 = 100;"),
            "{code}"
        );
    }

    #[test]
    fn a_missing_or_unusable_fact_is_an_error_naming_it() {
        let mut spec = fragment();
        max_results(&mut spec)["schema"]
            .as_object_mut()
            .unwrap()
            .remove("maximum");
        let err = format!("{:#}", Facts::gather(&spec).err().unwrap());
        assert!(err.contains("`max_results` has no `maximum`"), "{err}");

        let mut spec = fragment();
        max_results(&mut spec)["schema"]["minimum"] = (-1).into();
        let err = format!("{:#}", Facts::gather(&spec).err().unwrap());
        assert!(err.contains("`minimum` is not a u32: -1"), "{err}");

        let mut spec = fragment();
        spec["servers"] = serde_json::json!([]);
        let err = format!("{:#}", Facts::gather(&spec).err().unwrap());
        assert!(err.contains("no servers[0].url"), "{err}");

        let mut spec = fragment();
        max_results(&mut spec)["name"] = "page_size".into();
        let err = format!("{:#}", Facts::gather(&spec).err().unwrap());
        assert!(
            err.contains("GET /2/connections has no parameter `max_results`"),
            "{err}"
        );
    }

    #[test]
    fn problem_slugs_are_found_whatever_the_host() {
        assert_eq!(
            problem_slug("https://problems.example/2/problems/usage-capped"),
            Some("usage-capped")
        );
        assert_eq!(problem_slug("https://api.x.com/2/problems/"), None);
        assert_eq!(problem_slug("https://api.x.com/2/other/x"), None);
        assert_eq!(problem_slug("about:blank"), None);
    }
}
