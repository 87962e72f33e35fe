//! Ending connections: all, by endpoint, or by UUID.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::enums::StreamEndpoint;
use crate::error::Error;
use crate::problem::Problem;
use crate::wire;

/// The most UUIDs one `DELETE /2/connections` takes (the spec's
/// `maxItems`); more are sent in several requests.
pub const MAX_UUIDS_PER_REQUEST: usize = xconn_sdk::spec::MAX_UUIDS_PER_REQUEST;

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

impl TerminateReport {
    fn merge(&mut self, other: TerminateReport) {
        self.successful += other.successful;
        self.failed += other.failed;
        self.results.extend(other.results);
        self.errors.extend(other.errors);
    }
}

impl Client {
    /// End every active connection of the app (`DELETE /2/connections/all`).
    ///
    /// Not retried unless the [`crate::RetryPolicy`] opts in for deletes.
    pub async fn terminate_all(&self) -> Result<TerminateReport, Error> {
        let success = self.call(&wire::TERMINATE_ALL, wire::terminate_all).await?;
        TerminateReport::try_from(success.body)
    }

    /// End the app's connections to one endpoint
    /// (`DELETE /2/connections/{endpoint_id}`).
    pub async fn terminate_endpoint(
        &self,
        endpoint: StreamEndpoint,
    ) -> Result<TerminateReport, Error> {
        let id = wire::EndpointId::new(&endpoint)?;
        let success = self
            .call(&wire::TERMINATE_ENDPOINT, |sdk| {
                wire::terminate_endpoint(sdk, id)
            })
            .await?;
        TerminateReport::try_from(success.body)
    }

    /// End connections by UUID (`DELETE /2/connections`).
    ///
    /// Repeated UUIDs are sent once; more than 100 are sent 100 at a time and
    /// the reports merged. An empty list, or an empty UUID or one with
    /// whitespace or control characters, is rejected before anything is
    /// sent (the format itself is left to the server, which reports unknown
    /// ids per UUID). If a later batch fails, its error is
    /// returned and the batches before it have taken effect.
    pub async fn terminate<I, S>(&self, uuids: I) -> Result<TerminateReport, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut seen = HashSet::new();
        let mut unique = Vec::new();
        for uuid in uuids {
            let uuid: String = uuid.into();
            if uuid.trim().is_empty() || uuid.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(Error::invalid(
                    "uuids",
                    format!("{uuid:?} is not a connection UUID"),
                ));
            }
            if seen.insert(uuid.clone()) {
                unique.push(uuid);
            }
        }
        if unique.is_empty() {
            return Err(Error::invalid("uuids", "must name at least one connection"));
        }
        let mut report = TerminateReport::default();
        for batch in unique.chunks(MAX_UUIDS_PER_REQUEST) {
            let success = self
                .call(&wire::TERMINATE_BY_UUIDS, |sdk| {
                    wire::terminate_by_uuids(sdk, batch.to_vec())
                })
                .await?;
            report.merge(TerminateReport::try_from(success.body)?);
        }
        Ok(report)
    }
}
