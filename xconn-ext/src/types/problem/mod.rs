//! RFC 7807 problem details as X sends them, and their classification.
//!
//! By job: this file is the type; `json.rs` reads it leniently from any
//! JSON object and writes it back; `kind.rs` classifies it; `slugs.rs`
//! holds the problem types it knows (the spec's, tied to
//! `xconn_sdk::spec` at compile time, and the undocumented ones X sends);
//! `schema.rs` is its JSON schema (feature `schemars`).

mod json;
mod kind;
#[cfg(feature = "schemars")]
mod schema;
mod slugs;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use kind::ProblemKind;

use crate::types::builder::builder;

/// An RFC 7807 problem, with X's extension members.
///
/// Decoding is lenient on purpose: every member is optional (as in the RFC),
/// a member of an unexpected JSON type is kept in [`Problem::extra`] rather
/// than failing, and members this version does not know are kept there too.
/// A problem therefore always round-trips without loss.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Problem {
    /// `type`: a URI naming the kind of problem; `about:blank` when absent.
    pub type_uri: String,
    /// `title`: a short summary of the kind.
    pub title: Option<String>,
    /// `detail`: what went wrong this time.
    pub detail: Option<String>,
    /// `status`: the HTTP status the server meant (not always sent).
    pub status: Option<u16>,
    /// `instance`: a URI for this occurrence.
    pub instance: Option<String>,
    /// `parameter`: the request parameter at fault.
    pub parameter: Option<String>,
    /// `value`: the offending value.
    pub value: Option<String>,
    /// `resource_type`: the kind of resource concerned.
    pub resource_type: Option<String>,
    /// `resource_id`: the resource concerned.
    pub resource_id: Option<String>,
    /// `field`: the field concerned.
    pub field: Option<String>,
    /// `section`: the response section concerned.
    pub section: Option<String>,
    /// `errors`: the per-parameter messages of an invalid request, or the
    /// items of X's legacy `{"errors":[{code,message}]}` shape.
    pub errors: Vec<ErrorDetail>,
    /// Every other member, as sent (`reason`, `registration_url`, `period`...).
    pub extra: Map<String, Value>,
}

/// One item of a problem's `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct ErrorDetail {
    /// The message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The legacy numeric code (`32` bad credentials, `88` rate limit...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// The offending parameters and their values.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub parameters: Map<String, Value>,
    /// Every other member, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `about:blank`: "no kind beyond the HTTP status" (RFC 7807 §4.2).
pub const ABOUT_BLANK: &str = "about:blank";

builder! {
    /// Builds a [`Problem`], starting from `type` [`ABOUT_BLANK`] (as an
    /// absent `type` reads).
    ProblemBuilder => Problem = {
        Problem {
            type_uri: ABOUT_BLANK.to_owned(),
            ..Problem::default()
        }
    } {
        /// `type`: a URI naming the kind of problem.
        type_uri: val String,
        /// `title`.
        title: opt String,
        /// `detail`.
        detail: opt String,
        /// `status`.
        status: opt u16,
        /// `instance`.
        instance: opt String,
        /// `parameter`.
        parameter: opt String,
        /// `value`.
        value: opt String,
        /// `resource_type`.
        resource_type: opt String,
        /// `resource_id`.
        resource_id: opt String,
        /// `field`.
        field: opt String,
        /// `section`.
        section: opt String,
        /// `errors`.
        errors: vec ErrorDetail,
    }
}

impl ProblemBuilder {
    /// Another member, kept in [`Problem::extra`] (`reason`, `period`...).
    pub fn member(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.value.extra.insert(name.into(), value.into());
        self
    }
}

builder! {
    /// Builds an [`ErrorDetail`].
    ErrorDetailBuilder => ErrorDetail {
        /// The message.
        message: opt String,
        /// The legacy numeric code.
        code: opt i64,
    }
}

impl Problem {
    /// A problem with no body to go on: `about:blank` and the status.
    pub fn from_status(status: u16) -> Self {
        Self {
            type_uri: ABOUT_BLANK.to_owned(),
            title: reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .map(str::to_owned),
            status: Some(status),
            ..Self::default()
        }
    }

    /// The kind, from `type` (and from `status` for `about:blank`).
    pub fn kind(&self, http_status: Option<u16>) -> ProblemKind {
        let status = http_status.or(self.status);
        let kind = ProblemKind::classify(&self.type_uri, status);
        // X's legacy shape says "rate limit" with code 88 rather than a type.
        if kind.is_unknown_about_blank() && self.legacy_code() == Some(88) {
            return ProblemKind::TooManyRequests;
        }
        kind
    }

    /// The first legacy error code, if the body was X's legacy shape.
    pub fn legacy_code(&self) -> Option<i64> {
        self.errors.iter().find_map(|e| e.code)
    }

    /// The messages of the `errors` array, e.g. which parameter was invalid.
    pub fn messages(&self) -> impl Iterator<Item = &str> {
        self.errors.iter().filter_map(|e| e.message.as_deref())
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title.as_deref().unwrap_or(&self.type_uri))?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        for message in self.messages() {
            write!(f, "; {message}")?;
        }
        Ok(())
    }
}
