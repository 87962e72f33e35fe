//! One page of `GET /2/connections`, as data. (Decoding one from a saved
//! body, [`Page::from_slice`], is in `list.rs`: it goes through the wire
//! types.)

use crate::types::builder::builder;
use crate::types::connection::Connection;
use crate::types::problem::Problem;
use crate::types::rate_limit::RateLimit;

/// One page of connection history.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Page {
    /// The connections on this page.
    pub connections: Vec<Connection>,
    /// `meta.result_count`, as the server counted.
    pub result_count: Option<u64>,
    /// `meta.next_token`: pass it to
    /// [`ListConnections::pagination_token`](crate::ListConnections::pagination_token) to resume after this page.
    pub next_token: Option<String>,
    /// Partial errors that came with the data (the data is still good).
    pub errors: Vec<Problem>,
    /// The rate-limit headers of the response.
    pub rate_limit: Option<RateLimit>,
}

builder! {
    /// Builds a [`Page`], e.g. for a fake of the listing in a service's tests.
    PageBuilder => Page {
        /// The connections on the page.
        connections: vec Connection,
        /// `meta.result_count`.
        result_count: opt u64,
        /// `meta.next_token`.
        next_token: opt String,
        /// Partial errors that came with the data.
        errors: vec Problem,
        /// The rate-limit headers of the response.
        rate_limit: opt RateLimit,
    }
}
