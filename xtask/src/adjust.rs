//! In-memory adjustments that make X's spec generate a client progenitor can
//! build and that decodes what the real API sends.
//!
//! The checked-in fragment stays byte-for-byte upstream content; every change
//! progenitor needs is made here, in code, with the reason next to it. Each
//! adjustment is written against the *shape* of the spec, not against schema
//! names, so it keeps working when X renames things between releases.

use serde_json::{Map, Value, json};

use crate::openapi::{self, for_each_operation_mut, resolve};

/// A query parameter declared `style: form, explode: false` on an array:
/// X expects `name=a,b`, progenitor sends `name=a&name=b`. The generated
/// crate's hand-written hook merges the repeated keys of exactly these names.
pub fn form_no_explode_query_params(spec: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for op in openapi::operations(spec) {
        for param in op.parameters(spec) {
            let is_query = param.get("in").and_then(Value::as_str) == Some("query");
            let no_explode = param.get("explode").and_then(Value::as_bool) == Some(false);
            let style_form = matches!(
                param.get("style").and_then(Value::as_str),
                None | Some("form")
            );
            let is_array = param
                .get("schema")
                .map(|s| resolve(spec, s))
                .and_then(|s| s.get("type"))
                .and_then(Value::as_str)
                == Some("array");
            if is_query
                && no_explode
                && style_form
                && is_array
                && let Some(name) = param.get("name").and_then(Value::as_str)
            {
                names.push(name.to_owned());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Apply every adjustment; returns the document progenitor is fed.
pub fn for_progenitor(spec: &Value) -> Value {
    let mut spec = spec.clone();
    split_default_responses(&mut spec);
    open_problem_union(&mut spec);
    free_form_partial_errors(&mut spec);
    allow_unknown_fields(&mut spec);
    spec
}

/// A `200` carries `errors: [Problem]` next to good `data`. However open the
/// `Problem` type is, one member of an unexpected JSON type (`"status":
/// "404"`) would fail decoding of the whole page and lose the data. In
/// success responses, the items of such arrays are therefore free-form JSON
/// (`serde_json::Value`); the typed layer reads each one leniently.
/// The `Problem` component itself stays typed for error bodies.
fn free_form_partial_errors(spec: &mut Value) {
    let Some(schemas) = component_schemas(spec) else {
        return;
    };
    for schema in schemas.values_mut() {
        let Some(errors) = schema.pointer_mut("/properties/errors") else {
            continue;
        };
        let items_are_problems = errors.get("type").and_then(Value::as_str) == Some("array")
            && errors.get("items").and_then(openapi::ref_name) == Some("Problem");
        if items_are_problems && let Some(items) = errors.get_mut("items") {
            *items = json!({});
        }
    }
}

/// progenitor counts a `default` response as both a success and an error
/// when a `200` exists, and panics (`response_types.len() <= 1`). We replace
/// `default` by explicit `4XX` and `5XX` ranges.
///
/// Their bodies are declared as raw bytes on purpose: X sends RFC 7807
/// problems as `application/problem+json` *and* as `application/json`, the
/// legacy `{"errors":[{code,message}]}` shape, and proxies send HTML or
/// nothing. No single generated type decodes all of them, and a decoding
/// failure in generated code would lose the status and headers. Raw bodies
/// reach the caller as `Error::ErrorResponse(ResponseValue<ByteStream>)`,
/// with status and headers intact, for `xconn-ext` to classify.
fn split_default_responses(spec: &mut Value) {
    for_each_operation_mut(spec, |op| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return;
        };
        let Some(default) = responses.remove("default") else {
            return;
        };
        let description = default
            .get("description")
            .cloned()
            .unwrap_or_else(|| json!("The request has failed."));
        let raw = json!({
            "description": description,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
        });
        for range in ["4XX", "5XX"] {
            responses
                .entry(range.to_owned())
                .or_insert_with(|| raw.clone());
        }
    });
}

/// Spec 2.167 declares `Problem` as a `oneOf` whose members differ only by a
/// one-value `type` enum. Generated as an untagged enum, it rejects
/// `about:blank` and every problem type X adds later, and since a `200`
/// carries `errors: [Problem]`, one unknown type would fail a whole good page.
///
/// A `oneOf` whose members are all objects with a constant `type` becomes
/// one open object: the union of the members' properties, `type` a free
/// string, every member optional (as RFC 7807 has it: a partial error that
/// lacks `detail` must not fail the page) and unknown members kept, since X
/// adds extension members (`errors`, `reason`, ...) the spec does not list.
pub(crate) fn open_problem_union(spec: &mut Value) {
    let snapshot = spec.clone();
    let Some(schemas) = component_schemas(spec) else {
        return;
    };
    for schema in schemas.values_mut() {
        let Some(members) = schema.get("oneOf").and_then(Value::as_array) else {
            continue;
        };
        let members: Vec<&Value> = members.iter().map(|m| resolve(&snapshot, m)).collect();
        let all_typed_objects = !members.is_empty()
            && members.iter().all(|m| {
                m.pointer("/properties/type/enum")
                    .and_then(Value::as_array)
                    .is_some_and(|e| e.len() == 1)
            });
        if !all_typed_objects {
            continue;
        }
        let mut properties = Map::new();
        for member in &members {
            if let Some(props) = member.get("properties").and_then(Value::as_object) {
                for (name, prop) in props {
                    let mut prop = prop.clone();
                    if name == "type"
                        && let Some(p) = prop.as_object_mut()
                    {
                        p.remove("enum");
                    }
                    properties.entry(name.clone()).or_insert(prop);
                }
            }
        }
        let mut open = Map::new();
        if let Some(description) = schema.get("description") {
            open.insert("description".to_owned(), description.clone());
        }
        open.insert("type".to_owned(), json!("object"));
        open.insert("properties".to_owned(), Value::Object(properties));
        open.insert("additionalProperties".to_owned(), json!({}));
        *schema = Value::Object(open);
    }
}

/// `additionalProperties: false` becomes `deny_unknown_fields`, so a field X
/// adds to a response would fail decoding. Responses must tolerate growth.
fn allow_unknown_fields(spec: &mut Value) {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                    map.remove("additionalProperties");
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    if let Some(components) = spec.get_mut("components") {
        walk(components);
    }
}

/// `components.schemas`, the map the schema adjustments rewrite.
fn component_schemas(spec: &mut Value) -> Option<&mut Map<String, Value>> {
    spec.pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_response_becomes_raw_error_ranges() {
        let mut spec = json!({"paths": {"/x": {"get": {"responses": {
            "200": {"description": "ok"},
            "default": {"description": "failed", "content": {"application/json": {}}}
        }}}}});
        split_default_responses(&mut spec);
        let responses = spec.pointer("/paths/~1x/get/responses").unwrap();
        assert!(responses.get("default").is_none());
        for range in ["4XX", "5XX"] {
            let content = responses[range]["content"].as_object().unwrap();
            assert!(content.contains_key("application/octet-stream"), "{range}");
            assert!(!content.contains_key("application/json"), "{range}");
        }
    }

    #[test]
    fn one_of_with_constant_types_becomes_open_object() {
        let mut spec = json!({"components": {"schemas": {
            "Problem": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]},
            "A": {"type": "object", "required": ["type", "title", "a"], "properties": {
                "type": {"type": "string", "enum": ["urn:a"]}, "title": {"type": "string"}, "a": {"type": "string"}}},
            "B": {"type": "object", "required": ["type", "title"], "properties": {
                "type": {"type": "string", "enum": ["urn:b"]}, "title": {"type": "string"}, "b": {"type": "integer"}}}
        }}});
        open_problem_union(&mut spec);
        let problem = &spec["components"]["schemas"]["Problem"];
        assert!(problem.get("oneOf").is_none());
        assert!(problem.get("required").is_none());
        assert_eq!(problem["additionalProperties"], json!({}));
        assert!(problem["properties"]["type"].get("enum").is_none());
        assert!(problem["properties"].get("a").is_some());
        assert!(problem["properties"].get("b").is_some());
    }

    #[test]
    fn partial_error_arrays_become_free_form() {
        let mut spec = json!({"components": {"schemas": {
            "Page": {"properties": {"errors": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}}}},
            "Other": {"properties": {"errors": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}}
        }}});
        free_form_partial_errors(&mut spec);
        assert_eq!(
            spec.pointer("/components/schemas/Page/properties/errors/items"),
            Some(&json!({}))
        );
        assert_eq!(
            spec.pointer("/components/schemas/Other/properties/errors/items/$ref"),
            Some(&json!("#/components/schemas/Thing"))
        );
    }

    #[test]
    fn closed_objects_are_opened() {
        let mut spec = json!({"components": {"schemas": {"R": {"type": "object",
            "additionalProperties": false, "properties": {"n": {"additionalProperties": false}}}}}});
        allow_unknown_fields(&mut spec);
        assert!(!spec.to_string().contains("additionalProperties"));
    }

    #[test]
    fn finds_comma_separated_array_params_through_refs() {
        let spec = json!({
            "paths": {"/x": {"get": {"parameters": [
                {"name": "a", "in": "query", "explode": false, "style": "form", "schema": {"type": "array"}},
                {"name": "b", "in": "query", "schema": {"type": "array"}},
                {"name": "c", "in": "query", "explode": false, "schema": {"type": "string"}},
                {"$ref": "#/components/parameters/D"}
            ]}}},
            "components": {"parameters": {"D": {"name": "d.fields", "in": "query", "explode": false, "schema": {"type": "array"}}}}
        });
        assert_eq!(form_no_explode_query_params(&spec), ["a", "d.fields"]);
    }
}
