//! What the typed client covers of the API: every operation and every
//! query parameter of `xconn_sdk::spec::OPERATIONS`, with the method that
//! wraps it or the reason it is not wrapped.
//!
//! A drift test (`tests/it/drift.rs`) fails, naming what is missing and
//! this table, when a regenerated spec has an operation or a query parameter
//! that is not listed here, or when a row names one the spec no longer has.
//! Anything listed as not wrapped is still reachable through
//! [`Client::sdk`](crate::Client::sdk).

/// How the typed client covers one operation or parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Coverage {
    /// Wrapped by this method (as `Type::method`).
    Wrapped(&'static str),
    /// Deliberately not wrapped, for this reason.
    NotWrapped(&'static str),
}

/// Every operation, by `operationId`.
pub const OPERATIONS: &[(&str, Coverage)] = &[
    (
        "getConnectionHistory",
        Coverage::Wrapped("Client::connections"),
    ),
    (
        "deleteConnectionsByUuids",
        Coverage::Wrapped("Client::terminate"),
    ),
    (
        "deleteAllConnections",
        Coverage::Wrapped("Client::terminate_all"),
    ),
    (
        "deleteConnectionsByEndpoint",
        Coverage::Wrapped("Client::terminate_endpoint"),
    ),
];

/// Every query parameter, by `operationId` and name.
pub const QUERY_PARAMETERS: &[(&str, &str, Coverage)] = &[
    (
        "getConnectionHistory",
        "status",
        Coverage::Wrapped("ListConnections::status"),
    ),
    (
        "getConnectionHistory",
        "endpoints",
        Coverage::Wrapped("ListConnections::endpoints"),
    ),
    (
        "getConnectionHistory",
        "max_results",
        Coverage::Wrapped("ListConnections::max_results"),
    ),
    (
        "getConnectionHistory",
        "pagination_token",
        Coverage::Wrapped("ListConnections::pagination_token"),
    ),
    (
        "getConnectionHistory",
        "connection.fields",
        Coverage::Wrapped("ListConnections::fields"),
    ),
];
