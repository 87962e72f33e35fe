//! Reading an OpenAPI 3.0 document held as JSON: `$ref` resolution and the
//! walk over operations and their parameters. `adjust`, `diff`, `extract` and
//! `spec_facts` all go through these, so they agree on what an operation and
//! its parameters are.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// The HTTP methods a path item may hold, in OpenAPI's order.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// What a dangling reference resolves to.
static NULL: Value = Value::Null;

/// Follow local `$ref`s; returns the last component name met (the name of
/// the schema, parameter, ... the node stands for) and the target. A
/// dangling reference resolves to `null`; the bound only guards against a
/// reference cycle.
pub fn deref<'v>(spec: &'v Value, node: &'v Value) -> (Option<&'v str>, &'v Value) {
    let (mut name, mut node) = (None, node);
    for _ in 0..32 {
        let Some(target) = node.get("$ref").and_then(Value::as_str) else {
            break;
        };
        name = target.rsplit('/').next();
        node = target
            .strip_prefix('#')
            .and_then(|p| spec.pointer(p))
            .unwrap_or(&NULL);
    }
    (name, node)
}

/// `#/components/<section>/<name>` as `(section, name)`.
pub fn component_ref(target: &str) -> Option<(&str, &str)> {
    target.strip_prefix("#/components/")?.split_once('/')
}

/// The name of the component a `$ref` node points at directly.
pub fn ref_name(node: &Value) -> Option<&str> {
    component_ref(node.get("$ref")?.as_str()?).map(|(_, name)| name)
}

/// The node a (possibly `$ref`) node stands for.
pub fn resolve<'v>(spec: &'v Value, node: &'v Value) -> &'v Value {
    deref(spec, node).1
}

/// One operation: a method of a path item.
#[derive(Clone, Copy)]
pub struct Operation<'a> {
    /// Lower case, as in the document.
    pub method: &'static str,
    pub path: &'a str,
    /// The path item, for its shared parameters.
    pub item: &'a Value,
    pub op: &'a Value,
}

impl<'a> Operation<'a> {
    /// `GET /2/connections`.
    pub fn label(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }

    pub fn id(&self) -> Option<&'a str> {
        self.op.get("operationId").and_then(Value::as_str)
    }

    /// Its parameters, resolved: the path item's, unless the operation
    /// overrides them (same `in` and `name`), then the operation's own, in
    /// the document's order.
    pub fn parameters(&self, spec: &'a Value) -> Vec<&'a Value> {
        let list = |node: &'a Value| -> Vec<&'a Value> {
            node.get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| resolve(spec, p))
                .collect()
        };
        let own = list(self.op);
        let mut out: Vec<&Value> = list(self.item)
            .into_iter()
            .filter(|shared| !own.iter().any(|p| param_key(p) == param_key(shared)))
            .collect();
        out.extend(own);
        out
    }

    /// The parameter called `name`, resolved.
    pub fn parameter(&self, spec: &'a Value, name: &str) -> Option<&'a Value> {
        self.parameters(spec)
            .into_iter()
            .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
    }
}

/// A parameter's identity in OpenAPI: its location and name.
pub fn param_key(param: &Value) -> (&str, &str) {
    let field = |k: &str| param.get(k).and_then(Value::as_str).unwrap_or_default();
    (field("in"), field("name"))
}

/// Every operation, by path then method.
pub fn operations(spec: &Value) -> Vec<Operation<'_>> {
    let mut out = Vec::new();
    for (path, item) in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push(Operation {
                    method,
                    path,
                    item,
                    op,
                });
            }
        }
    }
    out
}

/// The operation `method` (lower case) `path`, if the document has it.
pub fn find_operation<'a>(spec: &'a Value, method: &str, path: &str) -> Option<Operation<'a>> {
    operations(spec)
        .into_iter()
        .find(|op| op.method == method && op.path == path)
}

/// Call `f` on every operation object, mutably.
pub fn for_each_operation_mut(spec: &mut Value, mut f: impl FnMut(&mut Value)) {
    if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for method in METHODS {
                if let Some(op) = item.get_mut(method) {
                    f(op);
                }
            }
        }
    }
}

/// Problem type URIs, with the schema that documents each: discriminator
/// mapping keys of every schema discriminated on `type`, and the `type`
/// enum values of that schema family (its mapping targets, `oneOf`/`anyOf`
/// members, and the schemas that extend it through `allOf`).
pub fn problem_types(spec: &Value) -> BTreeMap<String, String> {
    let empty = Map::new();
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let ref_name = |v: &Value| ref_name(v).map(str::to_owned);
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
                .and_then(component_ref)
                .map(|(_, name)| name)
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
pub fn uri_path(uri: &str) -> Option<&str> {
    let rest = uri.split_once("://")?.1;
    rest.find('/').map(|i| &rest[i..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_resolve_through_chains_and_dangle_to_null() {
        let spec = json!({"components": {"schemas": {
            "A": {"$ref": "#/components/schemas/B"},
            "B": {"type": "string"}
        }}});
        let node = json!({"$ref": "#/components/schemas/A"});
        assert_eq!(deref(&spec, &node), (Some("B"), &json!({"type": "string"})));
        let dangling = json!({"$ref": "#/components/schemas/Missing"});
        assert_eq!(resolve(&spec, &dangling), &Value::Null);
        assert_eq!(ref_name(&node), Some("A"));
        assert_eq!(
            component_ref("#/components/parameters/P"),
            Some(("parameters", "P"))
        );
        assert_eq!(component_ref("https://elsewhere/x"), None);
        let plain = json!({"type": "integer"});
        assert_eq!(deref(&spec, &plain), (None, &plain));
    }

    #[test]
    fn operation_parameters_merge_path_item_and_operation() {
        let spec = json!({
            "paths": {"/x/{id}": {
                "parameters": [
                    {"in": "path", "name": "id", "schema": {"type": "string"}},
                    {"in": "query", "name": "shared", "schema": {"type": "string"}}
                ],
                "get": {"operationId": "getX", "parameters": [
                    {"$ref": "#/components/parameters/Q"},
                    {"in": "query", "name": "shared", "schema": {"type": "integer"}}
                ]}
            }},
            "components": {"parameters": {"Q": {"in": "query", "name": "q"}}}
        });
        let op = find_operation(&spec, "get", "/x/{id}").unwrap();
        assert_eq!(op.label(), "GET /x/{id}");
        assert_eq!(op.id(), Some("getX"));
        let names: Vec<_> = op.parameters(&spec).into_iter().map(param_key).collect();
        assert_eq!(names, [("path", "id"), ("query", "q"), ("query", "shared")]);
        assert_eq!(
            op.parameter(&spec, "shared").unwrap()["schema"]["type"],
            "integer"
        );
        assert!(find_operation(&spec, "post", "/x/{id}").is_none());
    }
}
