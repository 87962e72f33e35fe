//! The answers the sandbox sends, in X's shapes: JSON bodies and the
//! problem documents of its faults.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::query::ParamError;

const PROBLEM_JSON: &str = "application/problem+json";
const JSON: &str = "application/json; charset=utf-8";
/// The spec's `invalid-request` type URI.
const INVALID_REQUEST: &str = spec_type_uri("invalid-request");
/// Not in the spec fragment; this is the URI X really sends (host included).
const USAGE_CAPPED: &str = "https://api.twitter.com/2/problems/usage-capped";

/// The spec's type URI for `slug` (with whatever host the spec uses); a
/// compile error in a `const` when the spec has no such problem type.
const fn spec_type_uri(slug: &str) -> &'static str {
    let types = xconn_sdk::spec::PROBLEM_TYPES;
    let mut i = 0;
    while i < types.len() {
        if crate::const_str::ends_with_segment(types[i], slug) {
            return types[i];
        }
        i += 1;
    }
    panic!("a problem type the sandbox sends is not in xconn_sdk::spec::PROBLEM_TYPES")
}

pub(super) fn with_type(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

pub(super) fn json_response(
    status: StatusCode,
    content_type: &'static str,
    value: &Value,
) -> Response {
    with_type(status, content_type, Body::from(value.to_string()))
}

pub(super) fn ok(value: &Value) -> Response {
    json_response(StatusCode::OK, JSON, value)
}

/// X's `about:blank` problem, e.g. the 401 and the rate-limit 429.
pub(super) fn about_blank(status: StatusCode, text: &str) -> Response {
    json_response(
        status,
        PROBLEM_JSON,
        &json!({
            "title": text,
            "type": "about:blank",
            "status": status.as_u16(),
            "detail": text,
        }),
    )
}

pub(super) fn invalid_request(errors: Vec<ParamError>) -> Response {
    let errors: Vec<Value> = errors.iter().map(ParamError::to_json).collect();
    json_response(
        StatusCode::BAD_REQUEST,
        PROBLEM_JSON,
        &json!({
            "errors": errors,
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": INVALID_REQUEST,
        }),
    )
}

pub(super) fn usage_capped() -> Response {
    json_response(
        StatusCode::TOO_MANY_REQUESTS,
        PROBLEM_JSON,
        &json!({
            "account_id": "1234567890123456789",
            "product_name": "standard-basic",
            "title": "UsageCapExceeded",
            "period": "Monthly",
            "scope": "Product",
            "detail": "Usage cap exceeded: Monthly product cap",
            "type": USAGE_CAPPED,
        }),
    )
}

pub(super) fn unavailable(n: u64) -> Response {
    if n % 2 == 1 {
        with_type(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/html",
            Body::from(
                "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n\
                 <body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n\
                 </body>\r\n</html>\r\n",
            ),
        )
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Body::empty()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_type_uri_is_found_by_its_slug() {
        assert_eq!(
            spec_type_uri("invalid-request"),
            "https://api.x.com/2/problems/invalid-request"
        );
        assert_eq!(INVALID_REQUEST, spec_type_uri("invalid-request"));
    }
}
