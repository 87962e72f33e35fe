//! The seam between this crate and the generated `xconn-sdk`.
//!
//! This is the one module that names what progenitor generates: the types
//! of `xconn_sdk::types` and the request builders of `xconn_sdk::Client`
//! (`xconn_sdk::spec`, the spec's facts as constants, is used anywhere).
//! Every conversion out of a generated type destructures it completely,
//! without `..`: when a regeneration adds, removes or renames a field, the
//! build fails on the line below that must change, instead of a value
//! going missing or turning into a zero.

pub mod coverage;

use std::num::NonZeroU32;
use std::sync::Arc;

use reqwest::Method;
use xconn_sdk::spec;
use xconn_sdk::types as generated;
use xconn_sdk::{ByteStream, ResponseValue};

use crate::client::rate_limit::RateLimit;
use crate::connection::Connection;
use crate::enums::{ConnectionField, ConnectionStatus, DisconnectReason, StreamEndpoint};
use crate::error::problem::Problem;
use crate::error::{DecodeError, Error};
use crate::list::Page;
use crate::terminate::{TerminateReport, TerminateResult};

/// What one generated `send()` returns.
pub(crate) type SdkResult<T> = Result<ResponseValue<T>, xconn_sdk::Error<ByteStream>>;

/// The generated client, shared by every request of one [`crate::Client`].
pub(crate) type Sdk = Arc<xconn_sdk::Client>;

/// The one generated client of a [`crate::Client`].
pub(crate) fn sdk(base_url: &str, http: reqwest::Client, options: xconn_sdk::ClientOptions) -> Sdk {
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

/// `const` string equality (`==` on `str` is not `const`).
pub(crate) const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The spec's operation with this `operationId`; a compile error when the
/// spec has none (an operation was renamed or removed: edit this file).
const fn spec_operation(id: &str) -> &'static spec::Operation {
    let mut i = 0;
    while i < spec::OPERATIONS.len() {
        if same(spec::OPERATIONS[i].id, id) {
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
    if same(operation.method, "GET") {
        Method::GET
    } else if same(operation.method, "DELETE") {
        Method::DELETE
    } else if same(operation.method, "POST") {
        Method::POST
    } else if same(operation.method, "PUT") {
        Method::PUT
    } else if same(operation.method, "PATCH") {
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
    /// response) is refused naming the parameter. Lists are checked by the
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
            fields: fields
                .map(|list| to_wire_list(list, "connection.fields"))
                .transpose()?,
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

// ---------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------

/// The generated type a `GET /2/connections` body decodes into.
pub(crate) type ListResponse = generated::GetConnectionHistoryResponse;

impl From<generated::Connection> for Connection {
    /// Infallible: unknown endpoint names and reasons are kept as sent.
    fn from(raw: generated::Connection) -> Self {
        // A field added to the spec's `Connection` fails the build here:
        // surface it in `xconn_ext::Connection` (and the CLI's outputs).
        let generated::Connection {
            client_ip,
            connected_at,
            disconnect_reason,
            disconnected_at,
            endpoint_name,
            id,
        } = raw;
        Self {
            id,
            endpoint: endpoint_name.map(StreamEndpoint::from_wire_owned),
            client_ip,
            connected_at: connected_at.map(Into::into),
            disconnected_at: disconnected_at.map(Into::into),
            disconnect_reason: disconnect_reason.map(DisconnectReason::from_wire_owned),
        }
    }
}

/// A decoded page.
pub(crate) fn page(body: ListResponse, rate_limit: Option<RateLimit>) -> Page {
    let generated::GetConnectionHistoryResponse { data, errors, meta } = body;
    let (result_count, next_token) = match meta {
        // `result_count` only reports what `data` holds (the records are
        // all there either way), so a negative one is shown as no count
        // rather than failing a page whose data is good.
        Some(generated::GetConnectionHistoryResponseMeta {
            next_token,
            result_count,
        }) => (result_count.and_then(|n| u64::try_from(n).ok()), next_token),
        None => (None, None),
    };
    Page {
        connections: data.into_iter().map(Connection::from).collect(),
        result_count,
        // An empty token means "no more", not "ask again with nothing".
        next_token: next_token.filter(|t| !t.is_empty()),
        errors: errors.into_iter().map(problem).collect(),
        rate_limit,
    }
}

/// One item of a response's partial `errors` (free-form JSON in the
/// generated types), read with this crate's lenient `Problem`. Any object
/// is a problem; anything else (a bare string, say) is an `about:blank`
/// problem keeping the item, as sent, in `extra["item"]`, rather than
/// failing the page or losing what the server said.
pub(crate) fn problem(raw: serde_json::Value) -> Problem {
    match raw {
        serde_json::Value::Object(map) => Problem::from_any_object(map),
        other => {
            let mut extra = serde_json::Map::new();
            extra.insert("item".to_owned(), other);
            Problem::from_any_object(extra)
        }
    }
}

/// A count the server sent, which must not be negative. The generated
/// client has consumed the body, so the error's excerpt is the decoded
/// response encoded again.
fn count<T: serde::Serialize>(n: i64, path: &str, response: &T) -> Result<u64, Error> {
    u64::try_from(n).map_err(|_| {
        decode_error(
            path,
            format!("`{path}` is {n}; a count cannot be negative"),
            response,
        )
    })
}

fn decode_error<T: serde::Serialize>(path: &str, reason: String, response: &T) -> Error {
    let encoded = serde_json::to_vec(response).unwrap_or_default();
    Error::Decode(Box::new(DecodeError {
        status: 200,
        content_type: None,
        path: Some(path.to_owned()),
        excerpt: crate::error::excerpt(&encoded),
        reason,
        source: None,
    }))
}

/// The three terminate responses share one shape under three generated
/// names; each is destructured completely, so a renamed count or result
/// member fails the build here instead of reading as zero.
macro_rules! terminate_report_from {
    ($response:ident, $data:ident, $result:ident) => {
        impl TryFrom<generated::$response> for TerminateReport {
            type Error = Error;

            fn try_from(body: generated::$response) -> Result<Self, Error> {
                let seen = body.clone();
                let generated::$response { data, errors } = body;
                let errors: Vec<Problem> = errors.into_iter().map(problem).collect();
                let Some(generated::$data {
                    failed_kills,
                    results,
                    successful_kills,
                }) = data
                else {
                    // Only errors: nothing was reported as ended. Neither
                    // data nor errors is not an answer at all.
                    if errors.is_empty() {
                        return Err(decode_error(
                            "data",
                            "the response has neither `data` nor `errors`".to_owned(),
                            &seen,
                        ));
                    }
                    return Ok(TerminateReport {
                        successful: 0,
                        failed: 0,
                        results: Vec::new(),
                        errors,
                    });
                };
                Ok(TerminateReport {
                    successful: count(successful_kills, "data.successful_kills", &seen)?,
                    failed: count(failed_kills, "data.failed_kills", &seen)?,
                    results: results
                        .into_iter()
                        .map(
                            |generated::$result {
                                 error_message,
                                 success,
                                 uuid,
                             }| TerminateResult {
                                uuid,
                                success,
                                error_message,
                            },
                        )
                        .collect(),
                    errors,
                })
            }
        }
    };
}

terminate_report_from!(
    DeleteAllConnectionsResponse,
    DeleteAllConnectionsResponseData,
    DeleteAllConnectionsResponseDataResults
);
terminate_report_from!(
    DeleteConnectionsByEndpointResponse,
    DeleteConnectionsByEndpointResponseData,
    DeleteConnectionsByEndpointResponseDataResults
);
terminate_report_from!(
    DeleteConnectionsByUuidsResponse,
    DeleteConnectionsByUuidsResponseData,
    DeleteConnectionsByUuidsResponseDataResults
);

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

    fn terminate_body(successful: i64, failed: i64) -> generated::DeleteAllConnectionsResponse {
        serde_json::from_value(serde_json::json!({
            "data": {"successful_kills": successful, "failed_kills": failed,
                     "results": [{"uuid": "u1", "success": false, "error_message": "gone"}]},
            "errors": [{"title": "partial"}]
        }))
        .unwrap()
    }

    #[test]
    fn terminate_report_is_built_field_by_field() {
        let report = TerminateReport::try_from(terminate_body(3, 1)).unwrap();
        assert_eq!((report.successful, report.failed), (3, 1));
        assert_eq!(report.results[0].uuid, "u1");
        assert_eq!(report.results[0].error_message.as_deref(), Some("gone"));
        assert_eq!(report.errors[0].title.as_deref(), Some("partial"));
    }

    #[test]
    fn a_negative_count_is_a_decode_error_not_a_zero() {
        let err = TerminateReport::try_from(terminate_body(-2, 0)).unwrap_err();
        let Error::Decode(decode) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(decode.path.as_deref(), Some("data.successful_kills"));
        let err = TerminateReport::try_from(terminate_body(0, -1)).unwrap_err();
        assert!(matches!(err, Error::Decode(d) if d.path.as_deref() == Some("data.failed_kills")));
    }

    #[test]
    fn a_partial_error_that_is_no_object_is_kept() {
        let kept = problem(serde_json::json!("oops"));
        assert_eq!(kept.type_uri, crate::error::problem::ABOUT_BLANK);
        assert_eq!(kept.extra["item"], "oops");
        let object = problem(serde_json::json!({"title": "t", "x": 1}));
        assert_eq!(object.title.as_deref(), Some("t"));
        assert_eq!(object.extra["x"], 1);
    }

    #[test]
    fn neither_data_nor_errors_is_a_decode_error() {
        let empty = generated::DeleteAllConnectionsResponse {
            data: None,
            errors: Vec::new(),
        };
        assert!(matches!(
            TerminateReport::try_from(empty),
            Err(Error::Decode(_))
        ));
    }

    #[test]
    fn the_decode_error_shows_the_response() {
        let err = TerminateReport::try_from(terminate_body(-2, 0)).unwrap_err();
        let Error::Decode(decode) = &err else {
            panic!("{err:?}")
        };
        assert!(
            decode.excerpt.contains(r#""successful_kills":-2"#),
            "{decode:?}"
        );
    }
}
