//! Drift guards: the checked-in spec fragment, the facts generated from it
//! (`xconn_sdk::spec`) and the hand-written typed layer must agree. Most
//! of the typed layer is tied to `xconn_sdk::spec` at compile time (the
//! enums, the limits, the problem slugs, the operations in
//! `xconn-ext/src/wire/mod.rs`); these tests check what the compiler cannot and
//! say, in one message per test, what to change and where.

use std::collections::BTreeSet;

use serde_json::Value;
use xconn_ext::coverage::{self, Coverage};
use xconn_ext::sandbox;
use xconn_ext::{ConnectionField, ConnectionStatus, ProblemKind, StreamEndpoint};
use xconn_sdk::spec;

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
        .unwrap_or_else(|| {
            panic!(
                "{method} {path} has no parameter `{name}` in openapi/connections.json: if it was \
                 renamed, update xconn-ext (ListConnections in xconn-ext/src/list.rs, \
                 xconn-ext/src/wire/coverage.rs) and this test"
            )
        })
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

/// Collects every disagreement of one test, to fail once naming them all.
#[derive(Default)]
struct Drift(Vec<String>);

impl Drift {
    /// Record each value present on one side only.
    fn same(&mut self, what: &str, fix: &str, spec: BTreeSet<String>, ours: &[&str]) {
        let ours: BTreeSet<String> = ours.iter().map(|s| (*s).to_owned()).collect();
        let missing: Vec<_> = spec.difference(&ours).collect();
        let extra: Vec<_> = ours.difference(&spec).collect();
        if !missing.is_empty() || !extra.is_empty() {
            self.0.push(format!(
                "{what}: the spec has {missing:?} that we lack, we have {extra:?} that the spec \
                 lacks; {fix}"
            ));
        }
    }

    /// Record `ours != spec`, with what to change.
    fn equal<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, fix: &str, spec: T, ours: T) {
        if spec != ours {
            self.0.push(format!(
                "{what}: the spec says {spec:?}, we have {ours:?}; {fix}"
            ));
        }
    }

    fn check(self) {
        assert!(
            self.0.is_empty(),
            "the hand-written layer drifted from the spec ({} problems):\n- {}\n(after \
             `cargo xtask extract` + `cargo xtask generate`, see README \"When X publishes a \
             new spec\")",
            self.0.len(),
            self.0.join("\n- ")
        );
    }
}

/// Where the coverage table lives, for the drift message.
const COVERAGE_FILE: &str = "xconn-ext/src/wire/coverage.rs";

const ENUMS_RS: &str = "edit the variants in xconn-ext/src/types/enums.rs";

#[test]
fn enums_match_the_fragment() {
    let fragment = fragment();
    let mut drift = Drift::default();
    let query = parameter(&fragment, "/2/connections", "get", "endpoints");
    drift.same(
        "StreamEndpoint (query `endpoints`)",
        ENUMS_RS,
        enum_values(&query["schema"]),
        StreamEndpoint::NAMES,
    );
    let path = parameter(
        &fragment,
        "/2/connections/{endpoint_id}",
        "delete",
        "endpoint_id",
    );
    drift.same(
        "StreamEndpoint (path `endpoint_id`)",
        ENUMS_RS,
        enum_values(&path["schema"]),
        StreamEndpoint::NAMES,
    );
    drift.same(
        "the sandbox's endpoints",
        "they come from StreamEndpoint::NAMES (xconn-ext/src/sandbox/data.rs)",
        enum_values(&query["schema"]),
        sandbox::ENDPOINTS,
    );

    let status = parameter(&fragment, "/2/connections", "get", "status");
    drift.same(
        "ConnectionStatus",
        ENUMS_RS,
        enum_values(&status["schema"]),
        ConnectionStatus::NAMES,
    );
    drift.equal(
        "ConnectionStatus::default()",
        "edit `impl Default for ConnectionStatus` in xconn-ext/src/types/enums.rs",
        status["schema"]["default"].as_str(),
        Some(ConnectionStatus::default().as_str()),
    );

    let fields = parameter(&fragment, "/2/connections", "get", "connection.fields");
    drift.same(
        "ConnectionField",
        ENUMS_RS,
        enum_values(&fields["schema"]),
        ConnectionField::NAMES,
    );
    drift.same(
        "the sandbox's fields",
        "they come from ConnectionField::NAMES (xconn-ext/src/sandbox/data.rs)",
        enum_values(&fields["schema"]),
        sandbox::CONNECTION_FIELDS,
    );
    // Every field is one the Connection record has.
    let record: BTreeSet<String> = fragment["components"]["schemas"]["Connection"]["properties"]
        .as_object()
        .expect("Connection has properties")
        .keys()
        .cloned()
        .collect();
    drift.same(
        "Connection's properties vs ConnectionField",
        "surface the property in xconn_ext::Connection (xconn-ext/src/types/connection.rs, \
         the conversion in xconn-ext/src/wire/convert.rs) and ConnectionField",
        record,
        ConnectionField::NAMES,
    );
    drift.check();
}

#[test]
fn limits_match_the_fragment() {
    let fragment = fragment();
    let mut drift = Drift::default();
    let max = &parameter(&fragment, "/2/connections", "get", "max_results")["schema"];
    drift.equal(
        "max_results minimum",
        "regenerate (`cargo xtask generate`): xconn_sdk::spec::MAX_RESULTS_MIN is stale",
        max["minimum"].as_u64(),
        Some(u64::from(spec::MAX_RESULTS_MIN)),
    );
    drift.equal(
        "max_results maximum",
        "regenerate (`cargo xtask generate`): xconn_sdk::spec::MAX_RESULTS_MAX, which \
         xconn_ext::MAX_RESULTS_LIMIT, the sandbox and the CLI use, is stale",
        max["maximum"].as_u64(),
        Some(u64::from(xconn_ext::MAX_RESULTS_LIMIT)),
    );
    let uuids = &fragment["components"]["schemas"]["DeleteConnectionsByUuidsRequest"]["properties"]
        ["uuids"];
    drift.equal(
        "uuids maxItems",
        "regenerate (`cargo xtask generate`): xconn_sdk::spec::MAX_UUIDS_PER_REQUEST, which \
         xconn_ext::MAX_UUIDS_PER_REQUEST and the sandbox use, is stale",
        uuids["maxItems"].as_u64(),
        Some(xconn_ext::MAX_UUIDS_PER_REQUEST as u64),
    );
    drift.check();
}

/// Every problem slug of the spec classifies to its own kind on any host.
#[test]
fn every_spec_problem_slug_has_a_kind_on_any_host() {
    let unknown: Vec<&str> = spec::PROBLEM_SLUGS
        .iter()
        .copied()
        .filter(|slug| {
            let uri = format!("https://problems.new-host.example/2/problems/{slug}");
            matches!(
                ProblemKind::classify(&uri, Some(400)),
                ProblemKind::Unknown(_)
            )
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "problem slugs of xconn_sdk::spec::PROBLEM_SLUGS without a ProblemKind: {unknown:?}; add \
         a variant and a row of SPEC_SLUGS in xconn-ext/src/types/problem/slugs.rs"
    );
}

/// What the spec has that the coverage table lacks, and the table's rows
/// the spec no longer has.
fn coverage_gaps(operations: &[spec::Operation]) -> (Vec<String>, Vec<String>) {
    let mut missing = Vec::new();
    let mut stale = Vec::new();
    for op in operations {
        if !coverage::OPERATIONS.iter().any(|(id, _)| *id == op.id) {
            missing.push(format!("operation {} {} ({})", op.method, op.path, op.id));
        }
        for param in op.query_params {
            if !coverage::QUERY_PARAMETERS
                .iter()
                .any(|(id, name, _)| *id == op.id && name == param)
            {
                missing.push(format!("query parameter `{param}` of {}", op.id));
            }
        }
    }
    for (id, _) in coverage::OPERATIONS {
        if !operations.iter().any(|op| op.id == *id) {
            stale.push(format!("operation {id}"));
        }
    }
    for (id, name, _) in coverage::QUERY_PARAMETERS {
        if !operations
            .iter()
            .any(|op| op.id == *id && op.query_params.contains(name))
        {
            stale.push(format!("query parameter `{name}` of {id}"));
        }
    }
    (missing, stale)
}

/// A spec with a new query parameter and a new operation (as a 2.168
/// might have) is reported, every gap at once.
#[test]
fn a_new_parameter_or_operation_is_reported_by_name() {
    let mut operations = spec::OPERATIONS.to_vec();
    let list = operations
        .iter_mut()
        .find(|op| op.id == "getConnectionHistory")
        .expect("the listing operation");
    list.query_params = &[
        "status",
        "endpoints",
        "max_results",
        "pagination_token",
        "connection.fields",
        "since",
    ];
    operations.push(spec::Operation {
        id: "getConnectionCounts",
        method: "GET",
        path: "/2/connections/counts",
        query_params: &["granularity"],
        path_params: &[],
        has_body: false,
    });
    operations.retain(|op| op.id != "deleteAllConnections");
    let (missing, stale) = coverage_gaps(&operations);
    assert_eq!(
        missing,
        [
            "query parameter `since` of getConnectionHistory",
            "operation GET /2/connections/counts (getConnectionCounts)",
            "query parameter `granularity` of getConnectionCounts",
        ]
    );
    assert_eq!(stale, ["operation deleteAllConnections"]);
}

/// Every operation and query parameter of the spec is in the coverage
/// table, and every row of the table is in the spec.
#[test]
fn every_operation_and_query_parameter_is_covered() {
    // Name the wrappers so that a rename or removal fails to compile.
    let _ = xconn_ext::Client::connections;
    let _ = xconn_ext::Client::terminate::<Vec<String>, String>;
    let _ = xconn_ext::Client::terminate_all;
    let _ = xconn_ext::Client::terminate_endpoint;
    let _ = xconn_ext::ListConnections::status;
    let _ = xconn_ext::ListConnections::max_results;
    let _ = |request: xconn_ext::ListConnections| {
        request
            .endpoints([StreamEndpoint::FilteredStream])
            .fields([ConnectionField::Id])
            .pagination_token("token")
    };

    let (missing, stale) = coverage_gaps(spec::OPERATIONS);
    let reasons_given = coverage::OPERATIONS
        .iter()
        .map(|(_, c)| c)
        .chain(coverage::QUERY_PARAMETERS.iter().map(|(_, _, c)| c))
        .all(|c| match c {
            Coverage::Wrapped(by) | Coverage::NotWrapped(by) => !by.trim().is_empty(),
            _ => true,
        });
    assert!(
        missing.is_empty() && stale.is_empty() && reasons_given,
        "{file} is out of date.\n  not covered (wrap each in the typed client and add a row \
         naming the method, or add a row saying why it is not wrapped): {missing:#?}\n  listed \
         but gone from the spec (remove the row, and the wrapper if any): {stale:#?}\n  every \
         row names a method or a reason: {reasons_given}",
        file = COVERAGE_FILE,
    );
}

/// The default base URL is the spec's first server, wherever it is named:
/// `xconn_sdk::spec::SERVER_URL` (generated), `xconn_ext::DEFAULT_BASE_URL`
/// (which reads it) and the README's configuration example.
#[test]
fn the_default_base_url_is_the_spec_server() {
    let fragment = fragment();
    let mut drift = Drift::default();
    let server = fragment
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .map(|u| u.trim_end_matches('/').to_owned());
    drift.equal(
        "servers[0].url",
        "regenerate (`cargo xtask generate`): xconn_sdk::spec::SERVER_URL is stale",
        server.as_deref(),
        Some(spec::SERVER_URL),
    );
    drift.equal(
        "the default base URL",
        "xconn_ext::DEFAULT_BASE_URL in xconn-ext/src/client/mod.rs must be \
         xconn_sdk::spec::SERVER_URL",
        spec::SERVER_URL,
        xconn_ext::DEFAULT_BASE_URL,
    );
    let readme = include_str!("../../README.md");
    let example = readme
        .lines()
        .find_map(|l| l.strip_prefix("base_url = \""))
        .and_then(|rest| rest.strip_suffix('"'));
    drift.equal(
        "the README's `base_url = \"...\"` example",
        "edit README.md (\"Against the real API\")",
        Some(spec::SERVER_URL),
        example,
    );
    drift.check();
}

/// Query parameters xconn-ext sends on every call of the operation, by
/// operation id. A parameter the spec makes required must be one of them,
/// or existing calls fail with 400 (`xtask diff` marks the change breaking).
const ALWAYS_SENT: &[(&str, &[&str])] = &[];

#[test]
fn every_required_query_parameter_is_always_sent() {
    let fragment = fragment();
    let mut unsent = Vec::new();
    for (path, methods) in fragment["paths"].as_object().expect("paths") {
        for (method, op) in methods.as_object().expect("methods") {
            let id = op["operationId"].as_str().unwrap_or("?");
            let sent = ALWAYS_SENT
                .iter()
                .find(|(op_id, _)| *op_id == id)
                .map_or(&[][..], |(_, names)| *names);
            for p in op["parameters"].as_array().into_iter().flatten() {
                let p = resolve(&fragment, p);
                let name = p["name"].as_str().unwrap_or("?");
                if p["in"] == "query" && p["required"] == true && !sent.contains(&name) {
                    unsent.push(format!("{} {path} `{name}`", method.to_uppercase()));
                }
            }
        }
    }
    assert!(
        unsent.is_empty(),
        "required query parameters that xconn-ext does not always send: {unsent:?}; make its \
         request builder take and send them (xconn-ext/src/wire/mod.rs and the operation's \
         module, e.g. xconn-ext/src/list.rs), then add them to ALWAYS_SENT in \
         tests/it/drift.rs"
    );
}
