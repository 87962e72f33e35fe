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

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Render `pub mod spec { ... }` for the fragment `spec`.
pub fn render(spec: &Value) -> Result<String> {
    let version = spec
        .pointer("/info/version")
        .and_then(Value::as_str)
        .context("the spec has no info.version")?;
    let operations = operations(spec)?;
    let history = find_operation(spec, "get", "/2/connections")?;
    let by_endpoint = find_operation(spec, "delete", "/2/connections/{endpoint_id}")?;
    let by_uuids = find_operation(spec, "delete", "/2/connections")?;

    let endpoints = string_enum(spec, param_schema(spec, history, "endpoints")?)
        .context("GET /2/connections `endpoints`")?;
    let endpoint_ids = string_enum(spec, param_schema(spec, by_endpoint, "endpoint_id")?)
        .context("DELETE /2/connections/{endpoint_id} `endpoint_id`")?;
    let status_schema = param_schema(spec, history, "status")?;
    let statuses = string_enum(spec, status_schema).context("GET /2/connections `status`")?;
    let status_default = status_schema
        .get("default")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let fields = string_enum(spec, param_schema(spec, history, "connection.fields")?)
        .context("GET /2/connections `connection.fields`")?;
    let max_results = param_schema(spec, history, "max_results")?;
    let int = |key: &str| -> Result<i64> {
        max_results
            .get(key)
            .and_then(Value::as_i64)
            .with_context(|| format!("GET /2/connections `max_results` has no integer `{key}`"))
    };
    let (min, max) = (int("minimum")?, int("maximum")?);
    let max_results_default = max_results.get("default").and_then(Value::as_i64);
    let uuids = request_body_property(spec, by_uuids, "uuids")?;
    let max_uuids = uuids
        .get("maxItems")
        .and_then(Value::as_u64)
        .context("DELETE /2/connections `uuids` has no maxItems")?;
    let connection = history_record_schema(spec, history)?;
    let properties: BTreeSet<&str> = connection
        .get("properties")
        .and_then(Value::as_object)
        .context("the connection record schema has no properties")?
        .keys()
        .map(String::as_str)
        .collect();
    let problem_types = problem_types(spec);
    if problem_types.is_empty() {
        bail!("the spec names no problem type URIs (`.../2/problems/<slug>`)");
    }

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
    out.push_str("/// Every operation of the fragment, by path then method.\npub const OPERATIONS: &[Operation] = &[\n");
    for op in &operations {
        let _ = writeln!(
            out,
            "Operation {{ id: {:?}, method: {:?}, path: {:?}, query_params: &[{}], path_params: &[{}], has_body: {} }},",
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
        list(&endpoints)
    );
    let _ = writeln!(
        out,
        "/// `DELETE /2/connections/{{endpoint_id}}` `endpoint_id`, in the spec's order.\n\
         pub const ENDPOINT_IDS: &[&str] = &[{}];",
        list(&endpoint_ids)
    );
    let _ = writeln!(
        out,
        "/// `GET /2/connections` `status`, in the spec's order.\n\
         pub const STATUSES: &[&str] = &[{}];",
        list(&statuses)
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
        list(&fields)
    );
    let _ = writeln!(
        out,
        "/// The properties of a connection record, sorted.\n\
         pub const CONNECTION_PROPERTIES: &[&str] = &[{}];",
        list(&properties.into_iter().map(str::to_owned).collect::<Vec<_>>())
    );
    let _ = writeln!(
        out,
        "/// The smallest `max_results` the API accepts.\npub const MAX_RESULTS_MIN: u32 = {min};\n\
         /// The largest `max_results` the API accepts.\npub const MAX_RESULTS_MAX: u32 = {max};\n\
         /// The page size the API uses when none is sent.\n\
         pub const MAX_RESULTS_DEFAULT: Option<u32> = {max_results_default:?};"
    );
    let _ = writeln!(
        out,
        "/// The most UUIDs one `DELETE /2/connections` takes.\n\
         pub const MAX_UUIDS_PER_REQUEST: usize = {max_uuids};"
    );
    let slugs: Vec<String> = problem_types
        .iter()
        .filter_map(|uri| problem_slug(uri).map(str::to_owned))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let _ = writeln!(
        out,
        "/// Every problem `type` URI the spec names, sorted.\n\
         pub const PROBLEM_TYPES: &[&str] = &[{}];",
        list(&problem_types.into_iter().collect::<Vec<_>>())
    );
    let _ = writeln!(
        out,
        "/// The slugs of [`PROBLEM_TYPES`] (`<slug>` of `/2/problems/<slug>`), sorted.\n\
         pub const PROBLEM_SLUGS: &[&str] = &[{}];",
        list(&slugs)
    );
    let _ = writeln!(
        out,
        "/// The path every problem type URI has before its slug, whatever the host.\n\
         pub const PROBLEM_PATH_PREFIX: &str = {PROBLEM_PATH_PREFIX:?};"
    );
    out.push_str("}\n");
    Ok(out)
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

fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(target) => target
            .strip_prefix('#')
            .and_then(|p| spec.pointer(p))
            .unwrap_or(node),
        None => node,
    }
}

fn operations(spec: &Value) -> Result<Vec<Op>> {
    let paths = spec
        .get("paths")
        .and_then(Value::as_object)
        .context("the spec has no paths")?;
    let mut out = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .with_context(|| format!("{} {path} has no operationId", method.to_uppercase()))?;
            let mut query = Vec::new();
            let mut path_params = Vec::new();
            for param in op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let param = resolve(spec, param);
                let name = param.get("name").and_then(Value::as_str).unwrap_or_default();
                match param.get("in").and_then(Value::as_str) {
                    Some("query") => query.push(name.to_owned()),
                    Some("path") => path_params.push(name.to_owned()),
                    _ => {}
                }
            }
            out.push(Op {
                id: id.to_owned(),
                method: method.to_uppercase(),
                path: path.clone(),
                query,
                path_params,
                has_body: op.get("requestBody").is_some(),
            });
        }
    }
    Ok(out)
}

fn find_operation<'a>(spec: &'a Value, method: &str, path: &str) -> Result<&'a Value> {
    spec.pointer(&format!(
        "/paths/{}/{method}",
        path.replace('~', "~0").replace('/', "~1")
    ))
    .ok_or_else(|| anyhow!("the spec has no {} {path}", method.to_uppercase()))
}

fn param_schema<'a>(spec: &'a Value, op: &'a Value, name: &str) -> Result<&'a Value> {
    op.get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| resolve(spec, p))
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
        .and_then(|p| p.get("schema"))
        .map(|s| resolve(spec, s))
        .ok_or_else(|| anyhow!("the operation has no parameter `{name}` with a schema"))
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
        .map(|v| v.as_str().map(str::to_owned).context("a value is not a string"))
        .collect()
}

fn request_body_property<'a>(spec: &'a Value, op: &'a Value, name: &str) -> Result<&'a Value> {
    let body = op
        .pointer("/requestBody/content/application~1json/schema")
        .map(|s| resolve(spec, s))
        .context("DELETE /2/connections has no JSON request body")?;
    body.pointer(&format!("/properties/{name}"))
        .map(|s| resolve(spec, s))
        .with_context(|| format!("DELETE /2/connections' body has no `{name}`"))
}

/// The schema of one record of `GET /2/connections`' `data`.
fn history_record_schema<'a>(spec: &'a Value, op: &'a Value) -> Result<&'a Value> {
    let body = op
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

/// Every string of the document, in an `enum` or a discriminator mapping,
/// that is a problem type URI.
fn problem_types(spec: &Value) -> BTreeSet<String> {
    fn walk(node: &Value, out: &mut BTreeSet<String>) {
        match node {
            Value::Object(map) => {
                for (key, value) in map {
                    if key == "enum"
                        && let Some(values) = value.as_array()
                    {
                        out.extend(
                            values
                                .iter()
                                .filter_map(Value::as_str)
                                .filter(|s| problem_slug(s).is_some())
                                .map(str::to_owned),
                        );
                    }
                    if key == "mapping"
                        && let Some(mapping) = value.as_object()
                    {
                        out.extend(
                            mapping
                                .keys()
                                .filter(|k| problem_slug(k).is_some())
                                .cloned(),
                        );
                    }
                    walk(value, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(spec, &mut out);
    out
}

/// `https://host/2/problems/<slug>` -> `<slug>`.
fn problem_slug(uri: &str) -> Option<&str> {
    let rest = uri.split_once("://")?.1;
    let path = &rest[rest.find('/')?..];
    let slug = path.strip_prefix(PROBLEM_PATH_PREFIX)?;
    (!slug.is_empty() && !slug.contains('/')).then_some(slug)
}
