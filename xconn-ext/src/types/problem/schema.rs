//! [`Problem`]'s JSON schema: it serializes by hand, so a shadow struct
//! describes its wire shape.

use serde_json::{Map, Value};

use super::{ErrorDetail, Problem};

/// The wire shape of [`Problem`] (which serializes by hand), for its schema.
#[derive(schemars::JsonSchema)]
#[schemars(rename = "Problem")]
#[allow(dead_code, reason = "only its schema is used")]
struct ProblemSchema {
    /// A URI naming the kind of problem; `about:blank` when absent.
    #[schemars(rename = "type")]
    type_uri: String,
    /// A short summary of the kind.
    title: Option<String>,
    /// What went wrong this time.
    detail: Option<String>,
    /// The HTTP status the server meant.
    status: Option<u16>,
    /// A URI for this occurrence.
    instance: Option<String>,
    /// The request parameter at fault.
    parameter: Option<String>,
    /// The offending value.
    value: Option<String>,
    /// The kind of resource concerned.
    resource_type: Option<String>,
    /// The resource concerned.
    resource_id: Option<String>,
    /// The field concerned.
    field: Option<String>,
    /// The response section concerned.
    section: Option<String>,
    /// Per-parameter messages, or X's legacy `{code, message}` items.
    errors: Option<Vec<ErrorDetail>>,
    /// Every other member, as sent.
    #[schemars(flatten)]
    extra: Map<String, Value>,
}

impl schemars::JsonSchema for Problem {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Problem".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        ProblemSchema::json_schema(generator)
    }
}
