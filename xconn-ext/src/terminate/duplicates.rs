//! Duplicate connections: keep the most recent ones per endpoint, end the rest.
//!
//! X limits how many connections an app may hold to a stream; a client that
//! reconnects without closing its old connection leaves duplicates behind.
//! [`DuplicatesPlan`] decides, from a list of active connections and without
//! sending anything, which ones to keep and which to end; [`Client::plan_duplicates`]
//! reads the active connections and plans, and [`Client::end_duplicates`]
//! carries a plan out with `DELETE /2/connections`.

use std::collections::{BTreeMap, HashSet};

use futures::TryStreamExt;
use serde::Serialize;

use crate::client::Client;
use crate::error::Error;
use crate::list::{ListConnections, MAX_RESULTS_LIMIT};
use crate::types::connection::Connection;
use crate::types::enums::{ConnectionField, ConnectionStatus, StreamEndpoint};
use crate::types::problem::Problem;
use crate::types::terminate_report::TerminateReport;

/// Which active connections to keep and which to end, per endpoint.
///
/// Built by [`DuplicatesPlan::from_active`] (pure) or
/// [`Client::plan_duplicates`] (reads the API). Nothing is sent until
/// [`Client::end_duplicates`].
///
/// How records are ranked, deliberately:
///
/// - per endpoint, the `keep` connections with the latest `connected_at` are
///   kept (the client that reconnected last is the one in use);
/// - a connection without `connected_at` ranks as the *oldest*: its age is
///   unknown, and ending it cannot end the connection known to be newest;
///   ties are broken by UUID, so the same input always gives the same plan;
/// - a connection without `id` or without `endpoint_name` cannot be ended
///   by UUID or placed in a group: it is neither kept nor ended, and is
///   listed in [`DuplicatesPlan::unplanned`] so the caller can see it;
/// - a connection that has ended (`disconnected_at` or `disconnect_reason`
///   set) is not active and is listed in [`DuplicatesPlan::unplanned`] too;
/// - a UUID seen twice (a record repeated across pages) counts once.
///
/// A plan read from the API by [`Client::plan_duplicates`] is never made
/// from a listing that carried partial errors (the API said the listing is
/// incomplete, so a connection it left out could be the newest); with
/// [`Client::plan_duplicates_allowing_partial_errors`] it is, and
/// [`DuplicatesPlan::partial_errors`] says what the API reported.
// No `#[non_exhaustive]`: the fields are private, so adding one cannot
// break a caller anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicatesPlan {
    keep: usize,
    endpoints: Vec<StreamEndpoint>,
    kept: Vec<Connection>,
    to_end: Vec<Connection>,
    unplanned: Vec<Connection>,
    counts: BTreeMap<StreamEndpoint, EndpointCounts>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    partial_errors: Vec<Problem>,
}

/// How many active connections one endpoint has, keeps and loses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct EndpointCounts {
    /// Active connections found (with an `id`).
    pub active: usize,
    /// Connections the plan keeps.
    pub kept: usize,
    /// Connections the plan ends.
    pub to_end: usize,
}

impl DuplicatesPlan {
    /// Plan from a list of active connections: per endpoint, keep the
    /// `keep` most recently connected and end the rest.
    ///
    /// `endpoints` limits the plan to these endpoints; empty means every
    /// endpoint. Connections of other endpoints are left out of the plan
    /// entirely. `keep` must be at least 1, else [`Error::InvalidInput`]
    /// (field `keep`). See the type's documentation for how records with
    /// missing fields are treated.
    pub fn from_active(
        connections: impl IntoIterator<Item = Connection>,
        keep: usize,
        endpoints: &[StreamEndpoint],
    ) -> Result<Self, Error> {
        if keep == 0 {
            return Err(Error::invalid(
                "keep",
                "must be at least 1 (ending every connection is `terminate_endpoint`)",
            ));
        }
        let mut wanted: Vec<StreamEndpoint> = Vec::new();
        for endpoint in endpoints {
            if !wanted.contains(endpoint) {
                wanted.push(endpoint.clone());
            }
        }
        let mut seen = HashSet::new();
        let mut unplanned = Vec::new();
        let mut groups: BTreeMap<StreamEndpoint, Vec<Connection>> = BTreeMap::new();
        for connection in connections {
            if let Some(endpoint) = &connection.endpoint
                && !wanted.is_empty()
                && !wanted.contains(endpoint)
            {
                continue;
            }
            let (Some(id), Some(endpoint)) = (&connection.id, &connection.endpoint) else {
                unplanned.push(connection);
                continue;
            };
            if !connection.is_active() {
                unplanned.push(connection);
                continue;
            }
            if !seen.insert(id.clone()) {
                continue;
            }
            groups.entry(endpoint.clone()).or_default().push(connection);
        }

        let mut kept = Vec::new();
        let mut to_end = Vec::new();
        let mut counts = BTreeMap::new();
        for (endpoint, mut group) in groups {
            // Newest first; `None` (unknown age) sorts as the oldest.
            group.sort_by(|a, b| {
                b.connected_at
                    .cmp(&a.connected_at)
                    .then_with(|| a.id.cmp(&b.id))
            });
            let split = keep.min(group.len());
            let extra = group.split_off(split);
            counts.insert(
                endpoint,
                EndpointCounts {
                    active: split + extra.len(),
                    kept: split,
                    to_end: extra.len(),
                },
            );
            kept.extend(group);
            to_end.extend(extra);
        }
        // Least recently connected first across endpoints, then by UUID.
        to_end.sort_by(|a, b| {
            a.connected_at
                .cmp(&b.connected_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(Self {
            keep,
            endpoints: wanted,
            kept,
            to_end,
            unplanned,
            counts,
            partial_errors: Vec::new(),
        })
    }

    /// How many connections per endpoint the plan keeps.
    pub fn keep(&self) -> usize {
        self.keep
    }

    /// The endpoints the plan was limited to; empty means all.
    pub fn endpoints(&self) -> &[StreamEndpoint] {
        &self.endpoints
    }

    /// The connections to end, least recently connected first (those
    /// without `connected_at` before all others).
    pub fn to_end(&self) -> &[Connection] {
        &self.to_end
    }

    /// The connections kept, grouped by endpoint, newest first in each.
    pub fn kept(&self) -> &[Connection] {
        &self.kept
    }

    /// Records left out: without `id` or `endpoint_name`, or not active.
    pub fn unplanned(&self) -> &[Connection] {
        &self.unplanned
    }

    /// The UUIDs of [`DuplicatesPlan::to_end`], in the same order.
    pub fn uuids(&self) -> impl Iterator<Item = &str> + '_ {
        self.to_end.iter().filter_map(|c| c.id.as_deref())
    }

    /// Whether there is nothing to end.
    pub fn is_empty(&self) -> bool {
        self.to_end.is_empty()
    }

    /// Per endpoint with at least one active connection: how many are
    /// active, kept and to end.
    pub fn counts(&self) -> &BTreeMap<StreamEndpoint, EndpointCounts> {
        &self.counts
    }

    /// The partial errors of the listing the plan was made from: empty
    /// unless it came from
    /// [`Client::plan_duplicates_allowing_partial_errors`] and the API
    /// reported some (a plan from [`DuplicatesPlan::from_active`] has none).
    pub fn partial_errors(&self) -> &[Problem] {
        &self.partial_errors
    }
}

impl Client {
    /// Every active connection, with the fields a duplicates plan needs
    /// (`id`, `endpoint_name`, `connected_at`), across all pages; only of
    /// `endpoints` unless it is empty. A listing that carried partial
    /// errors is [`Error::PartialErrors`], as with
    /// [`ListConnections::stream`](crate::ListConnections::stream).
    pub async fn active_connections(
        &self,
        endpoints: &[StreamEndpoint],
    ) -> Result<Vec<Connection>, Error> {
        self.active_listing(endpoints).stream().try_collect().await
    }

    fn active_listing(&self, endpoints: &[StreamEndpoint]) -> ListConnections {
        let mut request = self
            .connections()
            .status(ConnectionStatus::Active)
            .fields([
                ConnectionField::Id,
                ConnectionField::EndpointName,
                ConnectionField::ConnectedAt,
            ])
            .max_results(MAX_RESULTS_LIMIT);
        if !endpoints.is_empty() {
            request = request.endpoints(endpoints.iter().cloned());
        }
        request
    }

    /// Read the active connections and plan which to end so that each
    /// endpoint keeps its `keep` most recent ones (see [`DuplicatesPlan`]).
    /// Sends only `GET` requests. A listing that fails part-way is an
    /// error: a plan made from some of the connections could end the
    /// wrong ones. For the same reason a listing whose responses carried
    /// partial errors is refused with [`Error::PartialErrors`]; to plan
    /// anyway, use [`Client::plan_duplicates_allowing_partial_errors`].
    pub async fn plan_duplicates(
        &self,
        keep: usize,
        endpoints: &[StreamEndpoint],
    ) -> Result<DuplicatesPlan, Error> {
        // Check `keep` before sending anything.
        DuplicatesPlan::from_active([], keep, endpoints)?;
        let active = self.active_connections(endpoints).await?;
        DuplicatesPlan::from_active(active, keep, endpoints)
    }

    /// [`Client::plan_duplicates`], accepting a listing that carried
    /// partial errors: the plan is made from the records that came, and
    /// [`DuplicatesPlan::partial_errors`] holds what the API reported.
    /// Only for a caller that has decided those errors cannot hide a
    /// connection that should be kept.
    pub async fn plan_duplicates_allowing_partial_errors(
        &self,
        keep: usize,
        endpoints: &[StreamEndpoint],
    ) -> Result<DuplicatesPlan, Error> {
        DuplicatesPlan::from_active([], keep, endpoints)?;
        let mut listing = self
            .active_listing(endpoints)
            .allow_partial_errors()
            .stream();
        let mut active = Vec::new();
        while let Some(connection) = listing.try_next().await? {
            active.push(connection);
        }
        let mut plan = DuplicatesPlan::from_active(active, keep, endpoints)?;
        plan.partial_errors = listing.partial_errors().to_vec();
        Ok(plan)
    }

    /// End the connections a plan lists, with `DELETE /2/connections`
    /// batched like [`Client::terminate`]. An empty plan sends nothing and
    /// returns an empty report.
    pub async fn end_duplicates(&self, plan: &DuplicatesPlan) -> Result<TerminateReport, Error> {
        if plan.is_empty() {
            return Ok(TerminateReport::default());
        }
        self.terminate(plan.uuids()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(id: &str, endpoint: StreamEndpoint, at: Option<&str>) -> Connection {
        Connection {
            id: Some(id.into()),
            endpoint: Some(endpoint),
            connected_at: at.map(|s| s.parse().unwrap()),
            ..Connection::default()
        }
    }

    fn ids(connections: &[Connection]) -> Vec<&str> {
        connections.iter().filter_map(|c| c.id.as_deref()).collect()
    }

    use StreamEndpoint::{FilteredStream as F, SampleStream as S};

    #[test]
    fn keeps_the_newest_per_endpoint_and_ends_the_rest_oldest_first() {
        let plan = DuplicatesPlan::from_active(
            [
                active("f1", F, Some("2026-01-01T00:00:01Z")),
                active("f3", F, Some("2026-01-01T00:00:03Z")),
                active("f2", F, Some("2026-01-01T00:00:02Z")),
                active("s1", S, Some("2026-01-01T00:00:00Z")),
                active("s2", S, Some("2026-01-01T00:00:05Z")),
                active("only", StreamEndpoint::FirehoseStream, None),
            ],
            1,
            &[],
        )
        .unwrap();
        assert_eq!(ids(plan.to_end()), ["s1", "f1", "f2"]);
        assert_eq!(plan.uuids().collect::<Vec<_>>(), ["s1", "f1", "f2"]);
        let mut kept = ids(plan.kept());
        kept.sort();
        assert_eq!(kept, ["f3", "only", "s2"]);
        assert!(!plan.is_empty());
        assert_eq!(
            plan.counts()[&F],
            EndpointCounts {
                active: 3,
                kept: 1,
                to_end: 2
            }
        );
        assert_eq!(plan.counts()[&StreamEndpoint::FirehoseStream].to_end, 0);
    }

    #[test]
    fn keep_n_and_endpoint_filter() {
        let all = [
            active("f1", F, Some("2026-01-01T00:00:01Z")),
            active("f2", F, Some("2026-01-01T00:00:02Z")),
            active("f3", F, Some("2026-01-01T00:00:03Z")),
            active("s1", S, Some("2026-01-01T00:00:00Z")),
            active("s2", S, Some("2026-01-01T00:00:05Z")),
        ];
        let plan = DuplicatesPlan::from_active(all.clone(), 2, &[]).unwrap();
        assert_eq!(ids(plan.to_end()), ["f1"]);
        let plan = DuplicatesPlan::from_active(all.clone(), 1, &[S]).unwrap();
        assert_eq!(ids(plan.to_end()), ["s1"]);
        assert!(!plan.counts().contains_key(&F));
        assert_eq!(plan.endpoints(), [S]);
        let plan = DuplicatesPlan::from_active(all, 3, &[]).unwrap();
        assert!(plan.is_empty());
        assert_eq!(plan.uuids().count(), 0);
    }

    #[test]
    fn unknown_age_ranks_oldest_and_ties_break_by_uuid() {
        let plan = DuplicatesPlan::from_active(
            [
                active("b", F, None),
                active("new", F, Some("2026-01-01T00:00:00Z")),
                active("a", F, None),
            ],
            1,
            &[],
        )
        .unwrap();
        assert_eq!(ids(plan.kept()), ["new"]);
        assert_eq!(ids(plan.to_end()), ["a", "b"]);
    }

    #[test]
    fn records_that_cannot_be_planned_are_listed_not_dropped_or_ended() {
        let no_id = Connection {
            endpoint: Some(F),
            ..Connection::default()
        };
        let no_endpoint = Connection {
            id: Some("x".into()),
            ..Connection::default()
        };
        let mut ended = active("gone", F, Some("2026-01-01T00:00:09Z"));
        ended.disconnected_at = Some("2026-01-01T00:00:10Z".parse().unwrap());
        let plan = DuplicatesPlan::from_active(
            [
                no_id.clone(),
                no_endpoint.clone(),
                ended.clone(),
                active("f1", F, Some("2026-01-01T00:00:01Z")),
                active("f1", F, Some("2026-01-01T00:00:01Z")),
            ],
            1,
            &[],
        )
        .unwrap();
        assert!(plan.is_empty(), "the repeated f1 counts once");
        assert_eq!(plan.unplanned(), [no_id, no_endpoint, ended]);
        assert_eq!(plan.counts()[&F].active, 1);
    }

    #[test]
    fn keep_zero_is_invalid_input() {
        let err = DuplicatesPlan::from_active([], 0, &[]).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(i) if i.field() == "keep"),
            "{err}"
        );
    }

    /// Port 9 on loopback: a request would fail as a transport error, so an
    /// `InvalidInput` proves nothing was sent.
    fn unreachable_client() -> Client {
        Client::builder()
            .bearer_token("t")
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn plan_duplicates_checks_keep_before_sending() {
        let err = unreachable_client()
            .plan_duplicates(0, &[])
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    }

    #[tokio::test]
    async fn an_empty_plan_ends_nothing_and_sends_nothing() {
        let plan = DuplicatesPlan::from_active([active("f1", F, None)], 1, &[]).unwrap();
        assert!(plan.is_empty());
        let report = unreachable_client().end_duplicates(&plan).await.unwrap();
        assert_eq!(report, TerminateReport::default());
    }
}
