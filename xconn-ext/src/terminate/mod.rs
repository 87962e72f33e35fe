//! Ending connections: all, by endpoint, or by UUID.

pub(crate) mod duplicates;

use std::collections::HashSet;

use crate::client::Client;
use crate::error::{Error, TerminateError};
use crate::types::enums::StreamEndpoint;
use crate::types::terminate_report::TerminateReport;
use crate::wire;

/// The most UUIDs one `DELETE /2/connections` takes (the spec's
/// `maxItems`); more are sent in several requests.
pub const MAX_UUIDS_PER_REQUEST: usize = xconn_sdk::spec::MAX_UUIDS_PER_REQUEST;

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
    /// ids per UUID).
    ///
    /// If the first batch fails, its error is returned and nothing took
    /// effect. If a later batch fails, the error is
    /// [`Error::PartialTermination`]: a [`TerminateError`] with the merged
    /// report of the batches that took effect, the UUIDs not ended, and the
    /// failure as its source.
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
        for (index, batch) in unique.chunks(MAX_UUIDS_PER_REQUEST).enumerate() {
            let outcome = self
                .call(&wire::TERMINATE_BY_UUIDS, |sdk| {
                    wire::terminate_by_uuids(sdk, batch.to_vec())
                })
                .await
                .and_then(|success| TerminateReport::try_from(success.body));
            match outcome {
                Ok(batch_report) => report.merge(batch_report),
                // Nothing took effect: the error alone says it all.
                Err(source) if index == 0 => return Err(source),
                Err(source) => {
                    let start = index * MAX_UUIDS_PER_REQUEST;
                    return Err(Error::PartialTermination(Box::new(TerminateError {
                        completed: report,
                        not_attempted: unique[start..].to_vec(),
                        failed_batch_len: batch.len(),
                        source,
                    })));
                }
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use httpmock::prelude::*;
    use serde_json::json;

    use super::*;

    fn uuid(i: usize) -> String {
        format!("u-{i:03}")
    }

    fn ended(range: std::ops::Range<usize>) -> serde_json::Value {
        json!({"data": {
            "successful_kills": range.len(),
            "failed_kills": 0,
            "results": range.map(|i| json!({"uuid": uuid(i), "success": true})).collect::<Vec<_>>(),
        }})
    }

    /// X's answer to a refused token.
    fn unauthorized(then: httpmock::Then) {
        then.status(401)
            .header("content-type", "application/problem+json")
            .body(r#"{"title":"Unauthorized","type":"about:blank","status":401}"#);
    }

    fn client_of(server: &MockServer) -> Client {
        Client::builder()
            .bearer_token("t")
            .base_url(server.base_url())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn a_failed_later_batch_keeps_what_the_earlier_ones_did() {
        let server = MockServer::start_async().await;
        let first = server
            .mock_async(|when, then| {
                when.method(DELETE)
                    .path("/2/connections")
                    .body_includes("\"u-000\"");
                then.status(200)
                    .header("content-type", "application/json")
                    .body(ended(0..100).to_string());
            })
            .await;
        let second = server
            .mock_async(|when, then| {
                when.method(DELETE)
                    .path("/2/connections")
                    .body_includes("\"u-100\"");
                unauthorized(then);
            })
            .await;
        let client = client_of(&server);
        let err = client.terminate((0..250).map(uuid)).await.unwrap_err();
        first.assert_calls_async(1).await;
        second.assert_calls_async(1).await;
        let Error::PartialTermination(partial) = &err else {
            panic!("expected a partial termination: {err:?}");
        };
        assert_eq!(partial.completed.successful, 100);
        assert_eq!(partial.completed.results.len(), 100);
        assert_eq!(
            partial.not_attempted,
            (100..250).map(uuid).collect::<Vec<_>>()
        );
        assert_eq!(partial.failed_batch_len, 100);
        assert_eq!(err.status(), Some(401));
        assert!(matches!(partial.source, Error::Api(_)));
        assert!(err.to_string().contains("ended 100"), "{err}");
    }

    #[tokio::test]
    async fn a_failed_first_batch_is_the_plain_error() {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(DELETE).path("/2/connections");
                unauthorized(then);
            })
            .await;
        let client = client_of(&server);
        let err = client.terminate((0..150).map(uuid)).await.unwrap_err();
        assert!(matches!(err, Error::Api(_)), "{err:?}");
    }
}
