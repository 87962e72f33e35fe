//! Responses: the generated types turned into this crate's data types.
//!
//! Every conversion destructures the generated type completely, without
//! `..`: when a regeneration adds, removes or renames a field, the build
//! fails on the line below that must change, instead of a value going
//! missing or turning into a zero.

use xconn_sdk::types as generated;

use crate::error::{DecodeError, Error};
use crate::types::connection::Connection;
use crate::types::enums::{DisconnectReason, StreamEndpoint};
use crate::types::page::Page;
use crate::types::problem::Problem;
use crate::types::rate_limit::RateLimit;
use crate::types::terminate_report::{TerminateReport, TerminateResult};

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
fn problem(raw: serde_json::Value) -> Problem {
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
        assert_eq!(kept.type_uri, crate::types::problem::ABOUT_BLANK);
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
