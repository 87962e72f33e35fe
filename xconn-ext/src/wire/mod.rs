//! The seam between this crate and the generated `xconn-sdk`.
//!
//! This is the one module that names what progenitor generates: the types
//! of `xconn_sdk::types` and the request builders of `xconn_sdk::Client`
//! (`xconn_sdk::spec`, the spec's facts as constants, is used anywhere).
//! Every conversion out of a generated type destructures it completely,
//! without `..`: when a regeneration adds, removes or renames a field, the
//! build fails on the line below that must change, instead of a value
//! going missing or turning into a zero.

mod convert;
pub mod coverage;
pub(crate) mod response;

use std::num::NonZeroU32;
use std::sync::Arc;

use reqwest::Method;
use xconn_sdk::spec;
use xconn_sdk::types as generated;
use xconn_sdk::{ByteStream, ResponseValue};

use crate::error::Error;
use crate::types::enums::{ConnectionField, ConnectionStatus, StreamEndpoint};

pub(crate) use convert::{ListResponse, page};
/// What one attempt sent and received, captured by the sdk's hooks, and
/// the scope that captures it (see `xconn_sdk::capture_exchange`).
pub(crate) use xconn_sdk::{Exchange, capture_exchange};

/// What one generated `send()` returns.
pub(crate) type SdkResult<T> = Result<ResponseValue<T>, xconn_sdk::Error<ByteStream>>;

/// The generated client, for [`crate::Client::sdk`].
pub(crate) type SdkClient = xconn_sdk::Client;

/// The generated client, shared by every request of one [`crate::Client`].
pub(crate) type Sdk = Arc<SdkClient>;

/// A bearer token, checked to be usable as a header value.
pub(crate) struct Token(xconn_sdk::Credentials);

impl Token {
    /// Refuses a token with characters a header may not carry.
    pub fn bearer(token: &str) -> Result<Self, Error> {
        xconn_sdk::Credentials::bearer(token)
            .map(Self)
            .map_err(|_| {
                Error::invalid(
                    "bearer_token",
                    "contains characters not allowed in a header",
                )
            })
    }
}

/// The one generated client of a [`crate::Client`]: it sends `token` on
/// every request and reads at most `max_response_bytes` of a body.
pub(crate) fn sdk(
    base_url: &str,
    http: reqwest::Client,
    token: Token,
    max_response_bytes: usize,
) -> Sdk {
    let options =
        xconn_sdk::ClientOptions::new(token.0).with_max_response_bytes(max_response_bytes);
    Arc::new(xconn_sdk::Client::new_with_client(base_url, http, options))
}

// ---------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------

/// One operation of the API as the typed client sends it: the spec's entry
/// and what the retry policy needs to know about it.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    /// The spec's description (id, method, path, parameters).
    pub spec: &'static spec::Operation,
    /// The HTTP method, typed (the spec's `method`, checked at compile time).
    pub method: Method,
    /// Whether sending it again after a failure is harmless *and* answers
    /// the same. Listing is; a termination is not (it takes effect, and a
    /// retry after a lost response reports the connections as not found),
    /// so it is retried only when [`crate::RetryPolicy::retry_deletes`]
    /// opts in.
    pub idempotent: bool,
}

impl Operation {
    /// The path template, e.g. `/2/connections/{endpoint_id}`.
    pub fn path(&self) -> &'static str {
        self.spec.path
    }
}

/// The spec's operation with this `operationId`; a compile error when the
/// spec has none (an operation was renamed or removed: edit this file).
const fn spec_operation(id: &str) -> &'static spec::Operation {
    let mut i = 0;
    while i < spec::OPERATIONS.len() {
        if crate::const_str::same(spec::OPERATIONS[i].id, id) {
            return &spec::OPERATIONS[i];
        }
        i += 1;
    }
    panic!(
        "an operation xconn-ext wraps is not in xconn_sdk::spec::OPERATIONS: edit xconn-ext/src/wire/mod.rs"
    )
}

/// The typed method of a spec operation; a compile error for a method this
/// file does not know.
const fn method_of(operation: &spec::Operation) -> Method {
    if crate::const_str::same(operation.method, "GET") {
        Method::GET
    } else if crate::const_str::same(operation.method, "DELETE") {
        Method::DELETE
    } else if crate::const_str::same(operation.method, "POST") {
        Method::POST
    } else if crate::const_str::same(operation.method, "PUT") {
        Method::PUT
    } else if crate::const_str::same(operation.method, "PATCH") {
        Method::PATCH
    } else {
        panic!("a spec operation has an HTTP method xconn-ext/src/wire/mod.rs does not map")
    }
}

const fn operation(spec: &'static spec::Operation, idempotent: bool) -> Operation {
    Operation {
        spec,
        method: method_of(spec),
        idempotent,
    }
}

/// The spec's `GET /2/connections` (its query parameters, say).
pub(crate) const LIST_CONNECTIONS_SPEC: &spec::Operation = spec_operation("getConnectionHistory");
/// `GET /2/connections`.
pub(crate) const LIST_CONNECTIONS: Operation = operation(LIST_CONNECTIONS_SPEC, true);
/// `DELETE /2/connections` with a body of UUIDs.
pub(crate) const TERMINATE_BY_UUIDS: Operation =
    operation(spec_operation("deleteConnectionsByUuids"), false);
/// `DELETE /2/connections/all`.
pub(crate) const TERMINATE_ALL: Operation =
    operation(spec_operation("deleteAllConnections"), false);
/// `DELETE /2/connections/{endpoint_id}`.
pub(crate) const TERMINATE_ENDPOINT: Operation =
    operation(spec_operation("deleteConnectionsByEndpoint"), false);

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

/// A validated `GET /2/connections` query, in the generated client's types.
#[derive(Debug, Clone)]
pub(crate) struct ListQuery {
    status: Option<generated::GetConnectionHistoryStatus>,
    endpoints: Option<Vec<generated::GetConnectionHistoryEndpointsItem>>,
    fields: Option<Vec<generated::GetConnectionHistoryConnectionFieldsItem>>,
    max_results: Option<NonZeroU32>,
}

impl ListQuery {
    /// Convert the typed filters; an unknown endpoint (one kept from a
    /// response) is refused naming the parameter. No `fields` means every
    /// field of `xconn_sdk::spec::CONNECTION_FIELDS`. Lists are checked by the
    /// caller (non-empty, no repeats).
    pub fn new(
        status: Option<ConnectionStatus>,
        endpoints: Option<&[StreamEndpoint]>,
        fields: Option<&[ConnectionField]>,
        max_results: Option<u32>,
    ) -> Result<Self, Error> {
        Ok(Self {
            status: status.map(|s| to_wire(s.as_str(), "status")).transpose()?,
            endpoints: endpoints
                .map(|list| to_wire_list(list, "endpoints"))
                .transpose()?,
            // Every field unless narrowed: the API's own default leaves
            // `id` out, and a record without its id can be neither ended
            // nor told apart (the spec's list, so a field the spec adds is
            // asked for too).
            fields: Some(match fields {
                Some(list) => to_wire_list(list, "connection.fields")?,
                None => to_wire_list(spec::CONNECTION_FIELDS, "connection.fields")?,
            }),
            max_results: max_results.and_then(NonZeroU32::new),
        })
    }
}

/// Send one `GET /2/connections`.
pub(crate) async fn list_connections(
    sdk: Sdk,
    query: ListQuery,
    pagination_token: Option<String>,
) -> SdkResult<generated::GetConnectionHistoryResponse> {
    let ListQuery {
        status,
        endpoints,
        fields,
        max_results,
    } = query;
    let mut request = sdk.get_connection_history();
    if let Some(status) = status {
        request = request.status(status);
    }
    if let Some(endpoints) = endpoints {
        request = request.endpoints(endpoints);
    }
    if let Some(fields) = fields {
        request = request.connection_fields(fields);
    }
    if let Some(max) = max_results {
        request = request.max_results(max);
    }
    if let Some(token) = pagination_token {
        request = request.pagination_token(token);
    }
    request.send().await
}

/// Send one `DELETE /2/connections/all`.
pub(crate) async fn terminate_all(sdk: Sdk) -> SdkResult<generated::DeleteAllConnectionsResponse> {
    sdk.delete_all_connections().send().await
}

/// An endpoint as the path parameter of `DELETE /2/connections/{endpoint_id}`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EndpointId(generated::DeleteConnectionsByEndpointEndpointId);

impl EndpointId {
    /// Refuses an endpoint the API does not accept (an unknown one).
    pub fn new(endpoint: &StreamEndpoint) -> Result<Self, Error> {
        endpoint.as_str().parse().map(Self).map_err(|_| {
            Error::invalid(
                "endpoint",
                format!("`{endpoint}` is not an endpoint the API accepts"),
            )
        })
    }
}

/// Send one `DELETE /2/connections/{endpoint_id}`.
pub(crate) async fn terminate_endpoint(
    sdk: Sdk,
    endpoint: EndpointId,
) -> SdkResult<generated::DeleteConnectionsByEndpointResponse> {
    sdk.delete_connections_by_endpoint()
        .endpoint_id(endpoint.0)
        .send()
        .await
}

/// Send one `DELETE /2/connections` for these UUIDs.
pub(crate) async fn terminate_by_uuids(
    sdk: Sdk,
    uuids: Vec<String>,
) -> SdkResult<generated::DeleteConnectionsByUuidsResponse> {
    sdk.delete_connections_by_uuids()
        .body_map(|body| body.uuids(uuids))
        .send()
        .await
}

/// A known value in the generated client's type (via its wire name).
fn to_wire<T: std::str::FromStr>(name: &str, field: &'static str) -> Result<T, Error> {
    name.parse()
        .map_err(|_| Error::invalid(field, format!("`{name}` is not a value the API accepts")))
}

fn to_wire_list<E: AsRef<str>, T: std::str::FromStr>(
    list: &[E],
    field: &'static str,
) -> Result<Vec<T>, Error> {
    list.iter()
        .map(|item| to_wire(item.as_ref(), field))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_follow_the_spec() {
        assert_eq!(LIST_CONNECTIONS.method, Method::GET);
        assert_eq!(LIST_CONNECTIONS.path(), "/2/connections");
        for op in [TERMINATE_ALL, TERMINATE_BY_UUIDS, TERMINATE_ENDPOINT] {
            assert_eq!(op.method, Method::DELETE, "{}", op.spec.id);
        }
        // Every termination is retried only when the policy opts in.
        for op in [
            LIST_CONNECTIONS,
            TERMINATE_ALL,
            TERMINATE_BY_UUIDS,
            TERMINATE_ENDPOINT,
        ] {
            assert_eq!(op.idempotent, op.method == Method::GET, "{}", op.spec.id);
        }
        assert_eq!(TERMINATE_ENDPOINT.path(), "/2/connections/{endpoint_id}");
    }
}
