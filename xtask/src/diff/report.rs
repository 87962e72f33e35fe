//! What a diff finds: changes, their kinds and sections, and the report.

use serde::Serialize;
use serde_json::Value;

/// Where a change belongs in the report; the order is the report's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    Servers,
    Operations,
    Parameters,
    Request,
    Responses,
    ProblemTypes,
    Schemas,
}

impl Section {
    pub(super) fn title(self) -> &'static str {
        match self {
            Section::Servers => "Servers",
            Section::Operations => "Operations",
            Section::Parameters => "Parameters",
            Section::Request => "Request bodies",
            Section::Responses => "Responses",
            Section::ProblemTypes => "Problem types",
            Section::Schemas => "Schemas",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    DefaultServerChanged,
    ServersChanged,
    SecurityChanged,
    OperationAdded,
    OperationRemoved,
    OperationIdChanged,
    ParameterAdded,
    ParameterRemoved,
    ParameterRequiredChanged,
    ParameterStyleChanged,
    RequestBodyAdded,
    RequestBodyRemoved,
    RequestBodyRequiredChanged,
    ResponseAdded,
    ResponseRemoved,
    MediaTypeAdded,
    MediaTypeRemoved,
    TypeChanged,
    CompositionChanged,
    EnumValuesAdded,
    EnumValuesRemoved,
    BoundChanged,
    DefaultChanged,
    PropertyAdded,
    PropertyRemoved,
    PropertyRenamed,
    BecameRequired,
    BecameOptional,
    AdditionalPropertiesChanged,
    SchemaRenamed,
    SchemaAdded,
    SchemaRemoved,
    SchemaReferenceChanged,
    ProblemTypeAdded,
    ProblemTypeRemoved,
    ProblemTypeMoved,
}

/// One observed difference.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    pub section: Section,
    pub kind: Kind,
    /// An operation (`GET /2/connections`), a parameter (`... query:status`),
    /// a schema path (`Connection.id`, `X.data[]`) or a problem type.
    pub location: String,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    pub breaking: bool,
    /// Why the change is (or is not) breaking, where the kind does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Change {
    pub(super) fn values(&mut self, old: Option<Value>, new: Option<Value>) -> &mut Self {
        self.old = old;
        self.new = new;
        self
    }

    pub(super) fn because(&mut self, note: impl Into<String>) -> &mut Self {
        self.note = Some(note.into());
        self
    }
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub changes: usize,
    pub breaking: usize,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub old_version: Option<String>,
    pub new_version: Option<String>,
    pub summary: Summary,
    pub changes: Vec<Change>,
}
