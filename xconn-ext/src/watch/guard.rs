//! The duplicates guard: which extra connections a poll ends, and what came
//! of ending them. It plans and ends like `terminate --duplicates`; the
//! driver sends its request inside the rate window and reports the outcome.

use chrono::{DateTime, Utc};

use super::event::{ConnectionEvent, EventKind};
use crate::client::Client;
use crate::error::Error;
use crate::terminate::duplicates::DuplicatesPlan;
use crate::types::connection::Connection;
use crate::types::enums::StreamEndpoint;

/// Refuse a `keep` the guard cannot plan with, as `terminate --duplicates`
/// does.
pub(super) fn check_keep(keep: usize) -> Result<(), Error> {
    DuplicatesPlan::from_active([], keep, &[]).map(drop)
}

/// What the guard would end among `active` (each id once), keeping `keep`
/// per endpoint; `None` when the guard is off. `watched` is the
/// [`Watch::endpoints`](super::Watch::endpoints) setting (empty: all).
pub(super) fn plan(
    keep: Option<usize>,
    active: &[Connection],
    watched: &[StreamEndpoint],
) -> Result<Option<DuplicatesPlan>, Error> {
    keep.map(|keep| DuplicatesPlan::from_active(active.iter().cloned(), keep, watched))
        .transpose()
}

/// The requests ending `plan` takes (one per batch of ids).
pub(super) fn requests(plan: &DuplicatesPlan) -> u32 {
    let batches = plan.to_end().len().div_ceil(crate::MAX_UUIDS_PER_REQUEST);
    u32::try_from(batches).unwrap_or(u32::MAX)
}

/// What came of ending one connection of the plan.
#[derive(Debug)]
pub(super) enum Outcome {
    /// It was ended: the event to report.
    Ended(ConnectionEvent),
    /// It was not: why, to report as a warning.
    Failed(String),
}

/// End the connections of `plan`: one outcome per connection, in the plan's
/// order, each `Ended` at `now()` (read once the API has answered); `Err`
/// when the request failed as a whole.
pub(super) async fn end(
    client: &Client,
    plan: &DuplicatesPlan,
    now: impl FnOnce() -> DateTime<Utc>,
) -> Result<Vec<Outcome>, Error> {
    let report = client.end_duplicates(plan).await?;
    let now = now();
    let outcomes = plan.to_end().iter().cloned().map(|connection| {
        let result = report
            .results
            .iter()
            .find(|r| Some(&r.uuid) == connection.id.as_ref());
        match result {
            Some(result) if result.success => {
                Outcome::Ended(ConnectionEvent::new(EventKind::Terminated, connection, now))
            }
            other => {
                let why = other
                    .and_then(|r| r.error_message.clone())
                    .unwrap_or_else(|| "not in the API's answer".to_owned());
                let id = connection.id.as_deref().unwrap_or("(no id)");
                Outcome::Failed(format!("could not end duplicate connection {id}: {why}"))
            }
        }
    });
    Ok(outcomes.collect())
}

/// Refused credentials or a spent usage cap: no later request can succeed,
/// so a guard that fails so ends the watch (any other failure is retried at
/// the next poll).
pub(super) fn ends_the_watch(error: &Error) -> bool {
    matches!(error.status(), Some(401 | 403))
        || error.problem_kind() == Some(&crate::ProblemKind::UsageCapped)
}
