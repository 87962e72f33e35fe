//! Drift guards: the checked-in spec fragment and the hand-written typed
//! layer must agree. When X adds an endpoint, a status or a field, or a new
//! operation, regeneration alone is not enough; these tests say what to add.

use std::collections::BTreeSet;

use serde_json::Value;
use xconn_ext::sandbox;
use xconn_ext::{ConnectionField, ConnectionStatus, StreamEndpoint};

fn fragment() -> Value {
    serde_json::from_str(include_str!("../../openapi/connections.json")).expect("fragment is JSON")
}

/// Follow one local `$ref`.
fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => spec.pointer(&r[1..]).expect("reference resolves"),
        None => node,
    }
}

fn parameter<'a>(spec: &'a Value, path: &str, method: &str, name: &str) -> &'a Value {
    let op = &spec["paths"][path][method];
    op["parameters"]
        .as_array()
        .expect("operation has parameters")
        .iter()
        .map(|p| resolve(spec, p))
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{method} {path} has no parameter `{name}`"))
}

fn enum_values(schema: &Value) -> BTreeSet<String> {
    let schema = if schema["type"] == "array" {
        &schema["items"]
    } else {
        schema
    };
    schema["enum"]
        .as_array()
        .expect("schema has an enum")
        .iter()
        .map(|v| v.as_str().expect("string enum").to_owned())
        .collect()
}

/// Fails naming every value present on one side only.
fn assert_same(what: &str, spec: BTreeSet<String>, ours: &[&str]) {
    let ours: BTreeSet<String> = ours.iter().map(|s| (*s).to_owned()).collect();
    let missing: Vec<_> = spec.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&spec).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what} drifted from openapi/connections.json: add {missing:?} to the enum; \
         remove or justify {extra:?}"
    );
}

#[test]
fn endpoint_enums_match_the_spec() {
    let spec = fragment();
    let query = parameter(&spec, "/2/connections", "get", "endpoints");
    assert_same(
        "StreamEndpoint (query `endpoints`)",
        enum_values(&query["schema"]),
        StreamEndpoint::NAMES,
    );
    let path = parameter(
        &spec,
        "/2/connections/{endpoint_id}",
        "delete",
        "endpoint_id",
    );
    assert_same(
        "StreamEndpoint (path `endpoint_id`)",
        enum_values(&path["schema"]),
        StreamEndpoint::NAMES,
    );
    assert_same(
        "the sandbox's endpoints",
        enum_values(&query["schema"]),
        &sandbox::ENDPOINTS,
    );
}

#[test]
fn status_enum_matches_the_spec() {
    let spec = fragment();
    let status = parameter(&spec, "/2/connections", "get", "status");
    assert_same(
        "ConnectionStatus",
        enum_values(&status["schema"]),
        ConnectionStatus::NAMES,
    );
    assert_eq!(
        status["schema"]["default"].as_str(),
        Some(ConnectionStatus::default().as_str()),
        "ConnectionStatus::default() must be the API's default"
    );
}

#[test]
fn field_enum_matches_the_spec() {
    let spec = fragment();
    let fields = parameter(&spec, "/2/connections", "get", "connection.fields");
    assert_same(
        "ConnectionField",
        enum_values(&fields["schema"]),
        ConnectionField::NAMES,
    );
    assert_same(
        "the sandbox's fields",
        enum_values(&fields["schema"]),
        &sandbox::CONNECTION_FIELDS,
    );
    // And every field is one the Connection record has.
    let record: BTreeSet<String> = spec["components"]["schemas"]["Connection"]["properties"]
        .as_object()
        .expect("Connection has properties")
        .keys()
        .cloned()
        .collect();
    assert_same("Connection's properties", record, ConnectionField::NAMES);
}

#[test]
fn max_results_bounds_match_the_spec() {
    let spec = fragment();
    let max = parameter(&spec, "/2/connections", "get", "max_results");
    assert_eq!(max["schema"]["minimum"], 1);
    assert_eq!(
        max["schema"]["maximum"],
        u64::from(xconn_ext::MAX_RESULTS_LIMIT)
    );
    let uuids =
        &spec["components"]["schemas"]["DeleteConnectionsByUuidsRequest"]["properties"]["uuids"];
    assert_eq!(uuids["maxItems"], xconn_ext::MAX_UUIDS_PER_REQUEST as u64);
}

/// Every operation of the fragment and the typed method that wraps it. A new
/// operation fails here until it gets a wrapper (and a line in this table).
#[test]
fn every_operation_has_a_typed_wrapper() {
    let wrapped: &[(&str, &str)] = &[
        ("getConnectionHistory", "Client::connections"),
        ("deleteConnectionsByUuids", "Client::terminate"),
        ("deleteAllConnections", "Client::terminate_all"),
        ("deleteConnectionsByEndpoint", "Client::terminate_endpoint"),
    ];
    // Name the wrappers so that a rename or removal fails to compile.
    let _ = xconn_ext::Client::connections;
    let _ = xconn_ext::Client::terminate::<Vec<String>, String>;
    let _ = xconn_ext::Client::terminate_all;
    let _ = xconn_ext::Client::terminate_endpoint;

    let spec = fragment();
    let mut unwrapped = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"].as_str().expect("operationId");
            if !wrapped.iter().any(|(op_id, _)| *op_id == id) {
                unwrapped.push(format!("{} {path} ({id})", method.to_uppercase()));
            }
        }
    }
    assert!(
        unwrapped.is_empty(),
        "operations without a typed wrapper in xconn-ext: {unwrapped:?}"
    );
}
