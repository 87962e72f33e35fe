//! What a termination did: the report the three `DELETE` operations share.

use serde::{Deserialize, Serialize};

use crate::types::builder::builder;
use crate::types::problem::Problem;

/// What a termination did.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TerminateReport {
    /// Connections ended.
    pub successful: u64,
    /// Connections that could not be ended.
    pub failed: u64,
    /// Per connection: its UUID, whether it ended, and why not.
    pub results: Vec<TerminateResult>,
    /// Partial errors that came with the answer.
    pub errors: Vec<Problem>,
}

/// The outcome for one connection.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct TerminateResult {
    /// The connection's UUID.
    pub uuid: String,
    /// Whether it was ended.
    pub success: bool,
    /// Why not, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

builder! {
    /// Builds a [`TerminateReport`].
    TerminateReportBuilder => TerminateReport {
        /// Connections ended.
        successful: val u64,
        /// Connections that could not be ended.
        failed: val u64,
        /// Per connection outcomes.
        results: vec TerminateResult,
        /// Partial errors that came with the answer.
        errors: vec Problem,
    }
}

builder! {
    /// Builds a [`TerminateResult`].
    TerminateResultBuilder => TerminateResult {
        /// The connection's UUID.
        uuid: val String,
        /// Whether it was ended.
        success: val bool,
        /// Why not, when it was not.
        error_message: opt String,
    }
}

impl TerminateReport {
    /// Whether every targeted connection ended: no failed kill and no
    /// unsuccessful result.
    pub fn is_complete(&self) -> bool {
        self.failed == 0 && self.results.iter().all(|r| r.success)
    }

    /// The results of the connections that were not ended.
    pub fn not_terminated(&self) -> impl Iterator<Item = &TerminateResult> + '_ {
        self.results.iter().filter(|r| !r.success)
    }

    /// Add another batch's report to this one.
    pub(crate) fn merge(&mut self, other: TerminateReport) {
        self.successful += other.successful;
        self.failed += other.failed;
        self.results.extend(other.results);
        self.errors.extend(other.errors);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completeness_looks_at_counts_and_results() {
        let mut report = TerminateReport::default();
        assert!(report.is_complete());
        report.results.push(TerminateResult {
            uuid: "a".into(),
            success: false,
            error_message: Some("not found".into()),
        });
        assert!(!report.is_complete());
        assert_eq!(report.not_terminated().count(), 1);
    }

    /// The schemas of a terminate report and its problems use wire names.
    #[cfg(feature = "schemars")]
    #[test]
    fn schemas_use_the_wire_names() {
        let report = serde_json::to_value(schemars::schema_for!(TerminateReport)).unwrap();
        let problem = &report["$defs"]["Problem"];
        assert_eq!(
            problem["properties"]["type"]["type"], "string",
            "{report:#}"
        );
        assert!(
            problem["properties"].get("type_uri").is_none(),
            "{report:#}"
        );
        // `required` lists fields in declaration order (schemars 1).
        assert_eq!(
            report["$defs"]["TerminateResult"]["required"],
            serde_json::json!(["uuid", "success"]),
            "{report:#}"
        );
    }
}
