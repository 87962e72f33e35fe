//! A listing the API answered with partial errors beside its data.

use std::fmt;

use crate::types::problem::Problem;
use crate::types::rate_limit::RateLimit;

/// The API sent `errors` beside the `data` of a listing: the records read
/// are good, but the API said the listing is incomplete or partly wrong.
///
/// [`ListConnections::stream`](crate::ListConnections::stream) ends with
/// this error (after every record) and
/// [`Client::plan_duplicates`](crate::Client::plan_duplicates) refuses with
/// it, so that a caller never acts on a listing the API flagged without
/// knowing. To accept partial errors instead, use
/// [`ListConnections::allow_partial_errors`](crate::ListConnections::allow_partial_errors)
/// (then read them from
/// [`ConnectionStream::partial_errors`](crate::ConnectionStream::partial_errors)),
/// [`Client::plan_duplicates_allowing_partial_errors`](crate::Client::plan_duplicates_allowing_partial_errors),
/// or [`ListConnections::pages`](crate::ListConnections::pages), whose
/// every [`Page::errors`](crate::Page::errors) carries them.
///
/// Not retryable: the same listing would most likely carry them again.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PartialErrors {
    /// Every partial error of the listing, page after page, in order.
    pub errors: Vec<Problem>,
    /// The rate-limit headers of the last response read.
    pub rate_limit: Option<RateLimit>,
    /// How many connection records the listing read (all of them were
    /// returned before this error).
    pub connections_read: usize,
}

impl fmt::Display for PartialErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the API reported {} partial error(s) beside {} connection(s)",
            self.errors.len(),
            self.connections_read
        )?;
        for (i, problem) in self.errors.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            write!(f, "{sep}{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PartialErrors {}
