//! One small hand-made spec pair per kind of change, checking that it is
//! found, where, and whether it is marked breaking.

use serde_json::{Value, json};

use super::{Change, Format, Kind, Section, diff};

fn spec(paths: Value, schemas: Value) -> Value {
    json!({
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1.0"},
        "servers": [{"url": "https://api.x.com"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"BearerToken": {"type": "http", "scheme": "bearer"}}
        }
    })
}

/// `GET /2/connections` with these parameters, answering 200 with `schema`.
fn get(params: Value, schema: Value) -> Value {
    json!({"/2/connections": {"get": {
        "operationId": "getConnectionHistory",
        "parameters": params,
        "responses": {"200": {"content": {"application/json": {"schema": schema}}}}
    }}})
}

/// `DELETE /2/connections` with a JSON request body of `schema`.
fn delete(schema: Value) -> Value {
    json!({"/2/connections": {"delete": {
        "operationId": "deleteConnectionsByUuids",
        "requestBody": {"required": true, "content": {"application/json": {"schema": schema}}},
        "responses": {"200": {"description": "ok"}}
    }}})
}

fn changes(old: &Value, new: &Value) -> Vec<Change> {
    diff(old, new).unwrap().changes
}

#[track_caller]
fn find<'c>(changes: &'c [Change], kind: Kind, location: &str) -> &'c Change {
    changes
        .iter()
        .find(|c| c.kind == kind && c.location == location)
        .unwrap_or_else(|| panic!("no {kind:?} at {location:?} in {changes:#?}"))
}

#[track_caller]
fn assert_breaking(changes: &[Change], kind: Kind, location: &str, breaking: bool) {
    let change = find(changes, kind, location);
    assert_eq!(change.breaking, breaking, "{change:#?}");
}

fn param(name: &str, extra: Value) -> Value {
    let mut p = json!({"in": "query", "name": name, "schema": {"type": "string"}});
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    p
}

const GET: &str = "GET /2/connections";

#[test]
fn identical_specs_and_prose_edits_report_nothing() {
    let schema = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    let old = spec(
        get(json!([param("p", json!({}))]), schema.clone()),
        json!({}),
    );
    assert!(changes(&old, &old).is_empty());

    let mut reworded = old.clone();
    reworded["paths"]["/2/connections"]["get"]["description"] = json!("Now documented.");
    reworded["paths"]["/2/connections"]["get"]["parameters"][0]["description"] = json!("A p.");
    // Spelling out OpenAPI's defaults is not a change either.
    reworded["paths"]["/2/connections"]["get"]["parameters"][0]["style"] = json!("form");
    reworded["paths"]["/2/connections"]["get"]["parameters"][0]["explode"] = json!(true);
    assert!(
        changes(&old, &reworded).is_empty(),
        "{:#?}",
        changes(&old, &reworded)
    );
}

#[test]
fn operations_added_removed_and_renamed() {
    let ok = json!({"200": {"description": "ok"}});
    let old = spec(
        json!({
            "/2/connections": {"get": {"operationId": "getConnections", "responses": ok}},
            "/2/connections/all": {"delete": {"operationId": "deleteAllConnections", "responses": ok}},
            "/2/connections/{id}": {"delete": {"operationId": "deleteByEndpoint", "responses": ok,
                "parameters": [{"in": "path", "name": "id", "required": true, "schema": {"type": "string"}}]}}
        }),
        json!({}),
    );
    let new = spec(
        json!({
            "/2/connections": {
                "get": {"operationId": "getConnectionHistory", "responses": ok},
                "post": {"operationId": "createConnection", "responses": ok}
            },
            "/2/connections/{endpoint_id}": {"delete": {"operationId": "deleteByEndpoint", "responses": ok,
                "parameters": [{"in": "path", "name": "endpoint_id", "required": true, "schema": {"type": "string"}}]}}
        }),
        json!({}),
    );
    let c = changes(&old, &new);
    assert_breaking(
        &c,
        Kind::OperationRemoved,
        "DELETE /2/connections/all",
        true,
    );
    assert_breaking(&c, Kind::OperationAdded, "POST /2/connections", false);
    let renamed = find(&c, Kind::OperationIdChanged, GET);
    assert!(renamed.breaking);
    assert_eq!(renamed.old, Some(json!("getConnections")));
    assert_eq!(renamed.new, Some(json!("getConnectionHistory")));
    // A renamed path parameter keeps the operation, but not the parameter.
    let by_endpoint = "DELETE /2/connections/{endpoint_id}";
    assert!(
        !c.iter()
            .any(|c| c.kind == Kind::OperationAdded && c.location == by_endpoint)
    );
    assert_breaking(
        &c,
        Kind::ParameterRemoved,
        &format!("{by_endpoint} path:id"),
        true,
    );
    assert_breaking(
        &c,
        Kind::ParameterAdded,
        &format!("{by_endpoint} path:endpoint_id"),
        true,
    );
}

#[test]
fn parameters_added_removed_required_and_style() {
    let schema = json!({"type": "object"});
    let old = spec(
        get(
            json!([
                param("gone", json!({})),
                param("loosened", json!({"required": true})),
                param("tightened", json!({})),
                param(
                    "list",
                    json!({"explode": false, "schema": {"type": "array", "items": {"type": "string"}}})
                ),
            ]),
            schema.clone(),
        ),
        json!({}),
    );
    let new = spec(
        get(
            json!([
                param("loosened", json!({})),
                param("tightened", json!({"required": true})),
                param(
                    "list",
                    json!({"schema": {"type": "array", "items": {"type": "string"}}})
                ),
                param("optional", json!({})),
                param("mandatory", json!({"required": true})),
            ]),
            schema,
        ),
        json!({}),
    );
    let c = changes(&old, &new);
    let at = |name: &str| format!("{GET} query:{name}");
    assert_breaking(&c, Kind::ParameterRemoved, &at("gone"), true);
    assert_breaking(&c, Kind::ParameterAdded, &at("optional"), false);
    assert_breaking(&c, Kind::ParameterAdded, &at("mandatory"), true);
    assert_breaking(&c, Kind::ParameterRequiredChanged, &at("loosened"), false);
    assert_breaking(&c, Kind::ParameterRequiredChanged, &at("tightened"), true);
    let style = find(&c, Kind::ParameterStyleChanged, &at("list"));
    assert!(style.breaking);
    assert_eq!(style.old, Some(json!("style form, explode false")));
    assert_eq!(style.new, Some(json!("style form, explode true")));
}

#[test]
fn parameter_schemas_enums_bounds_defaults_and_types() {
    let p = |name: &str, schema: Value| param(name, json!({"schema": schema}));
    let old = spec(
        get(
            json!([
                p(
                    "status",
                    json!({"type": "string", "enum": ["active", "inactive"], "default": "active"})
                ),
                p(
                    "max_results",
                    json!({"type": "integer", "minimum": 1, "maximum": 100})
                ),
                p("page", json!({"type": "integer", "maximum": 100})),
                p("ids", json!({"type": "array", "items": {"type": "string"}})),
                p("token", json!({"type": "string"})),
                p("when", json!({"type": "string"})),
            ]),
            json!({"type": "object"}),
        ),
        json!({}),
    );
    let new = spec(
        get(
            json!([
                p(
                    "status",
                    json!({"type": "string", "enum": ["active", "all"], "default": "all"})
                ),
                p(
                    "max_results",
                    json!({"type": "integer", "minimum": 0, "maximum": 50})
                ),
                p("page", json!({"type": "integer", "maximum": 500})),
                p(
                    "ids",
                    json!({"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": true})
                ),
                p("token", json!({"type": "integer"})),
                p("when", json!({"type": "string", "format": "date-time"})),
            ]),
            json!({"type": "object"}),
        ),
        json!({}),
    );
    let c = changes(&old, &new);
    let at = |name: &str| format!("{GET} query:{name}");
    for change in c.iter().filter(|c| c.location.starts_with(GET)) {
        assert_eq!(change.section, Section::Parameters, "{change:#?}");
    }

    let removed = find(&c, Kind::EnumValuesRemoved, &at("status"));
    assert!(removed.breaking);
    assert_eq!(removed.old, Some(json!(["inactive"])));
    let added = find(&c, Kind::EnumValuesAdded, &at("status"));
    assert!(added.breaking, "the generated enum gains a variant");
    assert_eq!(added.new, Some(json!(["all"])));
    assert_breaking(&c, Kind::DefaultChanged, &at("status"), false);

    let bound = |name: &str, key: &str| {
        c.iter()
            .find(|c| {
                c.kind == Kind::BoundChanged && c.location == at(name) && c.summary.starts_with(key)
            })
            .unwrap_or_else(|| panic!("no {key} change on {name}: {c:#?}"))
    };
    assert!(
        bound("max_results", "maximum").breaking,
        "a lower maximum rejects valid calls"
    );
    assert!(
        !bound("page", "maximum").breaking,
        "a higher maximum rejects nothing"
    );
    let nonzero = bound("max_results", "minimum");
    assert!(nonzero.breaking, "minimum 1 -> 0 turns NonZeroU64 into u64");
    assert!(nonzero.note.as_deref().unwrap().contains("NonZero"));
    assert!(
        bound("ids", "minItems").breaking,
        "a new minItems rejects empty lists"
    );
    assert!(
        bound("ids", "uniqueItems")
            .note
            .as_deref()
            .unwrap()
            .contains("set")
    );

    assert_breaking(&c, Kind::TypeChanged, &at("token"), true);
    let format = find(&c, Kind::TypeChanged, &at("when"));
    assert!(format.breaking);
    assert_eq!(format.new, Some(json!("string (date-time)")));
}

#[test]
fn request_body_properties_and_required() {
    let old = spec(
        delete(json!({"$ref": "#/components/schemas/Req"})),
        json!({"Req": {"type": "object", "required": ["a", "b"], "properties": {
            "a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}, "gone": {"type": "string"}
        }}}),
    );
    let new = spec(
        delete(json!({"$ref": "#/components/schemas/Req"})),
        json!({"Req": {"type": "object", "additionalProperties": false, "required": ["a", "c", "must"], "properties": {
            "a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"},
            "must": {"type": "string"}, "may": {"type": "string"}
        }}}),
    );
    let c = changes(&old, &new);
    for change in &c {
        assert_eq!(change.section, Section::Request, "{change:#?}");
    }
    assert_breaking(&c, Kind::PropertyRemoved, "Req.gone", true);
    assert_breaking(&c, Kind::PropertyAdded, "Req.must", true);
    assert_breaking(&c, Kind::PropertyAdded, "Req.may", true);
    assert_breaking(&c, Kind::BecameRequired, "Req", true);
    assert_breaking(&c, Kind::BecameOptional, "Req", false);
    assert!(
        find(&c, Kind::BecameRequired, "Req")
            .summary
            .ends_with(": c")
    );
    assert_breaking(&c, Kind::AdditionalPropertiesChanged, "Req", false);

    let mut optional_body = old.clone();
    optional_body["paths"]["/2/connections"]["delete"]["requestBody"]["required"] = json!(false);
    let c = changes(&optional_body, &old);
    assert_breaking(
        &c,
        Kind::RequestBodyRequiredChanged,
        "DELETE /2/connections request body",
        true,
    );
    let c = changes(&old, &optional_body);
    assert_breaking(
        &c,
        Kind::RequestBodyRequiredChanged,
        "DELETE /2/connections request body",
        false,
    );
}

#[test]
fn response_properties_required_enums_and_bounds() {
    let resp = json!({"$ref": "#/components/schemas/Resp"});
    let old = spec(
        get(json!([]), resp.clone()),
        json!({"Resp": {"type": "object", "required": ["kept", "loose"], "properties": {
            "kept": {"type": "string"},
            "loose": {"type": "string"},
            "firm": {"type": "string"},
            "gone": {"type": "string"},
            "reason": {"type": "string", "enum": ["a", "b"]},
            "plain": {"type": "string"},
            "list": {"type": "array", "minItems": 1, "items": {"type": "integer"}},
            "extra": {"type": "object", "additionalProperties": {"type": "string"}}
        }}}),
    );
    let new = spec(
        get(json!([]), resp),
        json!({"Resp": {"type": "object", "required": ["kept", "firm"], "properties": {
            "kept": {"type": "string"},
            "loose": {"type": "string"},
            "firm": {"type": "string"},
            "id": {"type": "string"},
            "reason": {"type": "string", "enum": ["b", "c"]},
            "plain": {"type": "string", "enum": ["x"]},
            "list": {"type": "array", "items": {"type": "string"}},
            "extra": {"type": "object"}
        }}}),
    );
    let c = changes(&old, &new);
    for change in &c {
        assert_eq!(change.section, Section::Responses, "{change:#?}");
    }
    // The only string removed and the only string added: one property renamed.
    let renamed = find(&c, Kind::PropertyRenamed, "Resp.gone");
    assert!(renamed.breaking);
    assert_eq!(renamed.new, Some(json!("id")));
    assert!(
        !c.iter()
            .any(|c| matches!(c.kind, Kind::PropertyAdded | Kind::PropertyRemoved)),
        "{c:#?}"
    );
    let optional = find(&c, Kind::BecameOptional, "Resp");
    assert!(optional.breaking);
    assert!(optional.note.as_deref().unwrap().contains("Option"));
    assert_breaking(&c, Kind::BecameRequired, "Resp", true);
    assert_breaking(&c, Kind::EnumValuesAdded, "Resp.reason", true);
    assert_breaking(&c, Kind::EnumValuesRemoved, "Resp.reason", true);
    assert_breaking(&c, Kind::TypeChanged, "Resp.plain", true);
    assert_breaking(&c, Kind::BoundChanged, "Resp.list", false);
    assert_breaking(&c, Kind::TypeChanged, "Resp.list[]", true);
    assert_breaking(&c, Kind::AdditionalPropertiesChanged, "Resp.extra", true);
}

#[test]
fn dropped_required_list_is_named_as_such() {
    let resp = json!({"type": "array", "items": {"$ref": "#/components/schemas/Connection"}});
    let connection = |required: Option<Value>| {
        let mut s = json!({"type": "object", "properties": {"connected_at": {"type": "string"}}});
        if let Some(r) = required {
            s["required"] = r;
        }
        json!({"Connection": s})
    };
    let old = spec(
        get(json!([]), resp.clone()),
        connection(Some(json!(["connected_at"]))),
    );
    let new = spec(get(json!([]), resp), connection(None));
    let c = changes(&old, &new);
    let dropped = find(&c, Kind::BecameOptional, "Connection");
    assert!(dropped.breaking);
    assert!(
        dropped.summary.contains("required list dropped"),
        "{}",
        dropped.summary
    );
    assert_eq!(dropped.new, Some(json!([])));
}

#[test]
fn responses_and_media_types() {
    let body = |media: &str| json!({"content": {media: {"schema": {"type": "object"}}}});
    let paths = |responses: Value| json!({"/2/connections": {"get": {"operationId": "getConnectionHistory", "responses": responses}}});
    let old = spec(
        paths(json!({"200": body("application/json"), "400": body("application/json")})),
        json!({}),
    );
    let new = spec(
        paths(
            json!({"200": body("text/plain"), "201": body("application/json"), "404": body("application/json")}),
        ),
        json!({}),
    );
    let c = changes(&old, &new);
    assert_breaking(&c, Kind::ResponseAdded, &format!("{GET} 201"), true);
    assert_breaking(&c, Kind::ResponseAdded, &format!("{GET} 404"), false);
    assert_breaking(&c, Kind::ResponseRemoved, &format!("{GET} 400"), false);
    assert_breaking(
        &c,
        Kind::MediaTypeRemoved,
        &format!("{GET} 200 application/json"),
        true,
    );
    assert_breaking(
        &c,
        Kind::MediaTypeAdded,
        &format!("{GET} 200 text/plain"),
        false,
    );
}

#[test]
fn schema_renamed_at_the_same_position() {
    let shape = json!({"type": "object", "properties": {"n": {"type": "integer"}}});
    let old = spec(
        get(
            json!([]),
            json!({"$ref": "#/components/schemas/Get2ConnectionsResponse"}),
        ),
        json!({"Get2ConnectionsResponse": shape}),
    );
    let mut new_shape = shape.clone();
    new_shape["properties"]["id"] = json!({"type": "string"});
    let new = spec(
        get(
            json!([]),
            json!({"$ref": "#/components/schemas/GetConnectionHistoryResponse"}),
        ),
        json!({"GetConnectionHistoryResponse": new_shape}),
    );
    let c = changes(&old, &new);
    let renamed = find(&c, Kind::SchemaRenamed, "GetConnectionHistoryResponse");
    assert!(renamed.breaking, "a public type of xconn-sdk is renamed");
    assert!(
        renamed
            .note
            .as_deref()
            .unwrap()
            .contains("xconn_sdk::types::Get2ConnectionsResponse")
    );
    assert_eq!(renamed.old, Some(json!("Get2ConnectionsResponse")));
    assert!(
        renamed.summary.contains("same position"),
        "{}",
        renamed.summary
    );
    // Compared by position, so the renamed schema's own changes show up...
    assert_breaking(
        &c,
        Kind::PropertyAdded,
        "GetConnectionHistoryResponse.id",
        true,
    );
    // ...and neither name is reported as removed or added.
    assert!(
        !c.iter()
            .any(|c| matches!(c.kind, Kind::SchemaAdded | Kind::SchemaRemoved)),
        "{c:#?}"
    );
}

#[test]
fn schema_renamed_with_the_same_shape_elsewhere() {
    let thing = json!({"type": "object", "properties": {"v": {"type": "string"}}});
    let twin = json!({"type": "object", "properties": {"w": {"type": "string"}}});
    let resp = |prop: &str, names: [&str; 3]| {
        json!({"type": "object", "properties": {
            prop: {"$ref": format!("#/components/schemas/{}", names[0])},
            "t1": {"$ref": format!("#/components/schemas/{}", names[1])},
            "t2": {"$ref": format!("#/components/schemas/{}", names[2])}
        }})
    };
    let mut described = thing.clone();
    described["description"] = json!("Documentation does not make a different shape.");
    let old = spec(
        get(json!([]), resp("a", ["OldThing", "TwinA", "TwinB"])),
        json!({"OldThing": thing, "TwinA": twin, "TwinB": twin}),
    );
    let new = spec(
        get(json!([]), resp("b", ["NewThing", "TwinC", "TwinD"])),
        json!({"NewThing": described, "TwinC": twin, "TwinD": twin}),
    );
    let c = changes(&old, &new);
    let renamed = find(&c, Kind::SchemaRenamed, "NewThing");
    assert_eq!(renamed.old, Some(json!("OldThing")));
    assert!(
        renamed.summary.contains("same shape"),
        "{}",
        renamed.summary
    );
    // t1/t2 pair up by position; a shape shared by several is never guessed.
    assert_eq!(
        find(&c, Kind::SchemaRenamed, "TwinC").old,
        Some(json!("TwinA"))
    );
    assert_eq!(
        find(&c, Kind::SchemaRenamed, "TwinD").old,
        Some(json!("TwinB"))
    );
    assert_breaking(
        &c,
        Kind::PropertyRenamed,
        &format!("{GET} 200 application/json.a"),
        true,
    );
}

#[test]
fn shapes_shared_by_several_schemas_are_not_guessed_as_renames() {
    let twin = json!({"type": "string"});
    let resp = |a: &str, b: &str| {
        json!({"type": "object", "properties": {
            a: {"$ref": format!("#/components/schemas/{}", a.to_uppercase())},
            b: {"$ref": format!("#/components/schemas/{}", b.to_uppercase())}
        }})
    };
    // A and B leave, C and D arrive, at different positions, all alike.
    let old = spec(
        get(json!([]), resp("a", "b")),
        json!({"A": twin, "B": twin}),
    );
    let new = spec(
        get(json!([]), resp("c", "d")),
        json!({"C": twin, "D": twin}),
    );
    let c = changes(&old, &new);
    assert!(!c.iter().any(|c| c.kind == Kind::SchemaRenamed), "{c:#?}");
    for name in ["A", "B"] {
        assert_breaking(&c, Kind::SchemaRemoved, name, true);
    }
    for name in ["C", "D"] {
        assert_breaking(&c, Kind::SchemaAdded, name, false);
    }
}

#[test]
fn inlined_and_extracted_schemas_are_compared_through() {
    let old = spec(
        get(
            json!([]),
            json!({"type": "object", "properties": {
                "token": {"$ref": "#/components/schemas/NextToken"},
                "data": {"type": "object", "properties": {"n": {"type": "integer"}}}
            }}),
        ),
        json!({"NextToken": {"type": "string", "minLength": 1}}),
    );
    let new = spec(
        get(
            json!([]),
            json!({"type": "object", "properties": {
                "token": {"type": "string"},
                "data": {"$ref": "#/components/schemas/Data"}
            }}),
        ),
        json!({"Data": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}}),
    );
    let c = changes(&old, &new);
    let removed = find(&c, Kind::SchemaRemoved, "NextToken");
    assert!(
        removed
            .summary
            .contains("inline at GET /2/connections 200 application/json.token")
    );
    let added = find(&c, Kind::SchemaAdded, "Data");
    assert!(
        added.summary.contains("was written inline"),
        "{}",
        added.summary
    );
    assert_breaking(
        &c,
        Kind::BoundChanged,
        "GET /2/connections 200 application/json.token",
        false,
    );
    assert_breaking(&c, Kind::BecameRequired, "Data", true);
}

#[test]
fn a_reference_to_another_surviving_schema_is_not_a_rename() {
    let schemas = json!({"A": {"type": "string"}, "B": {"type": "string"}});
    let resp = |first: &str| {
        json!({"type": "object", "properties": {
            "x": {"$ref": format!("#/components/schemas/{first}")},
            "y": {"$ref": "#/components/schemas/B"},
            "z": {"$ref": "#/components/schemas/A"}
        }})
    };
    let old = spec(get(json!([]), resp("A")), schemas.clone());
    let new = spec(get(json!([]), resp("B")), schemas);
    let c = changes(&old, &new);
    assert!(!c.iter().any(|c| c.kind == Kind::SchemaRenamed), "{c:#?}");
    let changed = find(
        &c,
        Kind::SchemaReferenceChanged,
        "GET /2/connections 200 application/json.x",
    );
    assert!(changed.breaking, "the field's type changes");
}

#[test]
fn problem_types_moved_added_and_removed() {
    let member = |uri: &str| {
        json!({"type": "object", "required": ["type"], "properties": {
            "type": {"type": "string", "enum": [uri]}, "title": {"type": "string"}
        }})
    };
    let resp = json!({"type": "object", "properties": {
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}}
    }});
    // Old: a base with an `allOf` family and a discriminator mapping.
    let old = spec(
        get(json!([]), resp.clone()),
        json!({
            "Problem": {
                "type": "object", "required": ["type", "title"],
                "properties": {"type": {"type": "string"}, "title": {"type": "string"}},
                "discriminator": {"propertyName": "type", "mapping": {
                    "about:blank": "#/components/schemas/GenericProblem",
                    "https://api.twitter.com/2/problems/invalid-request": "#/components/schemas/InvalidRequestProblem",
                    "https://api.twitter.com/2/problems/rule-cap": "#/components/schemas/RulesCapProblem"
                }}
            },
            "GenericProblem": {"allOf": [{"$ref": "#/components/schemas/Problem"}]},
            "InvalidRequestProblem": {"allOf": [{"$ref": "#/components/schemas/Problem"}]},
            "RulesCapProblem": {"allOf": [{"$ref": "#/components/schemas/Problem"}]}
        }),
    );
    // New: a `oneOf` of constant-typed members, no mapping for one of them.
    let new = spec(
        get(json!([]), resp),
        json!({
            "Problem": {
                "oneOf": [
                    {"$ref": "#/components/schemas/InvalidRequestProblem"},
                    {"$ref": "#/components/schemas/InternalErrorProblem"}
                ],
                "discriminator": {"propertyName": "type", "mapping": {
                    "https://api.x.com/2/problems/invalid-request": "#/components/schemas/InvalidRequestProblem"
                }}
            },
            "InvalidRequestProblem": member("https://api.x.com/2/problems/invalid-request"),
            "InternalErrorProblem": member("https://api.x.com/2/problems/internal-error")
        }),
    );
    let c = changes(&old, &new);
    let moved = find(&c, Kind::ProblemTypeMoved, "/2/problems/invalid-request");
    assert!(moved.breaking);
    assert_eq!(
        moved.old,
        Some(json!("https://api.twitter.com/2/problems/invalid-request"))
    );
    assert_eq!(
        moved.new,
        Some(json!("https://api.x.com/2/problems/invalid-request"))
    );
    assert_breaking(&c, Kind::ProblemTypeRemoved, "about:blank", false);
    assert_breaking(
        &c,
        Kind::ProblemTypeRemoved,
        "https://api.twitter.com/2/problems/rule-cap",
        false,
    );
    let added = find(
        &c,
        Kind::ProblemTypeAdded,
        "https://api.x.com/2/problems/internal-error",
    );
    assert!(!added.breaking);
    assert!(added.summary.contains("InternalErrorProblem"));
    // Structurally, the union is compared as the open object xconn generates.
    assert!(
        !c.iter().any(|c| c.kind == Kind::CompositionChanged),
        "{c:#?}"
    );
    assert_breaking(&c, Kind::BecameOptional, "Problem", true);
}

#[test]
fn all_of_is_compared_by_what_it_accepts() {
    let resp = json!({"$ref": "#/components/schemas/Thing"});
    let old = spec(
        get(json!([]), resp.clone()),
        json!({
            "Base": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
            "Thing": {"allOf": [{"$ref": "#/components/schemas/Base"},
                {"type": "object", "properties": {"b": {"type": "integer"}}}]}
        }),
    );
    let new = spec(
        get(json!([]), resp),
        json!({"Thing": {"type": "object", "required": ["a"],
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}}),
    );
    let c = changes(&old, &new);
    assert!(c.iter().all(|c| c.section == Section::Schemas), "{c:#?}");
    assert_breaking(&c, Kind::SchemaRemoved, "Base", true);
}

#[test]
fn recursive_schemas_terminate() {
    let node = |extra: &str| {
        json!({"Node": {"type": "object", "properties": {
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            extra: {"type": "string"}
        }}})
    };
    let resp = json!({"$ref": "#/components/schemas/Node"});
    let c = changes(
        &spec(get(json!([]), resp.clone()), node("a")),
        &spec(get(json!([]), resp), node("b")),
    );
    assert_eq!(
        find(&c, Kind::PropertyRenamed, "Node.a").new,
        Some(json!("b"))
    );

    assert_eq!(c.len(), 1, "{c:#?}");
}

#[test]
fn text_and_json_renderings() {
    let old = spec(
        get(json!([param("gone", json!({}))]), json!({"type": "object"})),
        json!({}),
    );
    let new = spec(
        get(json!([param("new", json!({}))]), json!({"type": "object"})),
        json!({}),
    );
    let report = diff(&old, &new).unwrap();

    let text = report.render(Format::Text);
    assert!(text.contains("\nParameters\n"), "{text}");
    assert!(
        text.contains(&format!("  ! {GET} query:gone: removed")),
        "{text}"
    );
    assert!(
        text.contains(&format!("  - {GET} query:new: added, optional")),
        "{text}"
    );
    assert!(text.ends_with("\n2 changes, 1 breaking\n"), "{text}");

    let json: Value = serde_json::from_str(&report.render(Format::Json)).unwrap();
    assert_eq!(json["summary"], json!({"changes": 2, "breaking": 1}));
    assert_eq!(json["old_version"], json!("1.0"));
    let first = &json["changes"][0];
    assert_eq!(first["section"], json!("parameters"));
    assert_eq!(first["kind"], json!("parameter-removed"));
    assert_eq!(first["breaking"], json!(true));
}

#[test]
fn default_server_and_security_changes_are_reported() {
    let old = spec(get(json!([]), json!({"type": "object"})), json!({}));

    let mut moved = old.clone();
    moved["servers"] = json!([{"url": "https://api.twitter.com/"}]);
    let found = changes(&old, &moved);
    assert_breaking(&found, Kind::DefaultServerChanged, "servers[0]", true);
    let change = find(&found, Kind::DefaultServerChanged, "servers[0]");
    assert_eq!(change.new, Some(json!("https://api.twitter.com")));

    let mut more = old.clone();
    more["servers"] = json!([{"url": "https://api.x.com"}, {"url": "https://sandbox.x.com"}]);
    assert_breaking(
        &changes(&old, &more),
        Kind::ServersChanged,
        "servers",
        false,
    );
    // A trailing slash is the same server.
    let mut slash = old.clone();
    slash["servers"] = json!([{"url": "https://api.x.com/"}]);
    assert!(changes(&old, &slash).is_empty());

    let secured = |reqs: Value| {
        let mut s = old.clone();
        s["paths"]["/2/connections"]["get"]["security"] = reqs;
        s["components"]["securitySchemes"]["OAuth2"] = json!({"type": "oauth2"});
        s
    };
    let bearer = secured(json!([{"BearerToken": []}]));
    let either = secured(json!([{"BearerToken": []}, {"OAuth2": ["tweet.read"]}]));
    let oauth = secured(json!([{"OAuth2": ["tweet.read"]}]));
    let loc = "GET /2/connections security";
    assert_breaking(
        &changes(&bearer, &either),
        Kind::SecurityChanged,
        loc,
        false,
    );
    assert_breaking(&changes(&bearer, &oauth), Kind::SecurityChanged, loc, true);
    assert_breaking(&changes(&either, &bearer), Kind::SecurityChanged, loc, true);
    // The scheme a requirement names changing its definition is a change too.
    let mut redefined = bearer.clone();
    redefined["components"]["securitySchemes"]["BearerToken"] = json!({"type": "apiKey"});
    assert_breaking(
        &changes(&bearer, &redefined),
        Kind::SecurityChanged,
        loc,
        true,
    );
    assert!(changes(&bearer, &bearer).is_empty());
}
