//! What `xconn-sdk` makes of X's responses: the seed page's example, partial
//! errors next to data, terminate results (with fields the spec does not
//! know), and the error bodies X really sends, each served by a local
//! httpmock server (127.0.0.1 only) and read back through `send()`.

use chrono::{TimeZone, Utc};
use futures::TryStreamExt;
use httpmock::prelude::*;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use xconn_sdk::types::{
    DeleteConnectionsByEndpointEndpointId, DeleteConnectionsByUuidsRequest, Problem,
};
use xconn_sdk::{ByteStream, Error, ResponseValue};

use crate::support::fixtures::{
    BAD_GATEWAY, CLIENT_FORBIDDEN, DATA_AND_ERRORS, INVALID_REQUEST, KILLED, KILLED_UNKNOWN_FIELDS,
    LEGACY_401, LEGACY_429, SEED, TOO_MANY, UNAUTHORIZED, USAGE_CAPPED,
};
use crate::support::sdk_client as client;

/// Problem bodies arrive under both content types.
const PROBLEM_CONTENT_TYPES: [&str; 2] = [
    "application/problem+json",
    "application/json; charset=utf-8",
];

async fn collect(stream: ByteStream) -> Vec<u8> {
    stream
        .into_inner()
        .try_fold(Vec::new(), |mut acc, chunk| async move {
            acc.extend_from_slice(&chunk);
            Ok(acc)
        })
        .await
        .expect("error body readable")
}

/// An error response as the SDK hands it back, body collected.
struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    async fn from_error<T: std::fmt::Debug>(
        result: Result<ResponseValue<T>, Error<ByteStream>>,
    ) -> Self {
        match result {
            Err(Error::ErrorResponse(value)) => {
                let status = value.status();
                let headers = value.headers().clone();
                let body = collect(value.into_inner()).await;
                Self {
                    status,
                    headers,
                    body,
                }
            }
            other => panic!("expected Error::ErrorResponse, got {other:?}"),
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("header {name} missing"))
            .to_str()
            .unwrap()
    }

    /// Status, content type and body bytes are exactly what the server sent.
    fn assert_intact(&self, status: u16, content_type: Option<&str>, body: &str) {
        assert_eq!(self.status.as_u16(), status);
        assert_eq!(
            self.headers
                .get("content-type")
                .map(|v| v.to_str().unwrap()),
            content_type
        );
        assert_eq!(self.body, body.as_bytes(), "body bytes changed");
    }

    fn problem(&self) -> Problem {
        serde_json::from_slice(&self.body).expect("decodes as types::Problem")
    }
}

/// Serve `status`/`body` (with `content_type` and `headers`) for GET
/// /2/connections and return what the SDK's `send()` made of it, having
/// checked that status, content type and body came back intact.
async fn get_error(
    status: u16,
    content_type: Option<&str>,
    headers: &[(&str, &str)],
    body: &'static str,
) -> Raw {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/2/connections");
            let mut then = then.status(status);
            if let Some(content_type) = content_type {
                then = then.header("content-type", content_type);
            }
            for (name, value) in headers {
                then = then.header(*name, *value);
            }
            if !body.is_empty() {
                then.body(body);
            }
        })
        .await;
    let raw = Raw::from_error(
        client(&server.base_url())
            .get_connection_history()
            .send()
            .await,
    )
    .await;
    assert_eq!(mock.calls_async().await, 1);
    raw.assert_intact(status, content_type, body);
    raw
}

async fn serve_ok<'a>(
    server: &'a MockServer,
    method: Method,
    path: &str,
    content_type: &str,
    body: &'static str,
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(method).path(path);
            then.status(200)
                .header("content-type", content_type)
                .body(body);
        })
        .await
}

/// A problem's `(type, title, detail, status)`, to compare in one line.
fn head(problem: &Problem) -> (Option<&str>, Option<&str>, Option<&str>, Option<i64>) {
    (
        problem.type_.as_deref(),
        problem.title.as_deref(),
        problem.detail.as_deref(),
        problem.status,
    )
}

// ---------------------------------------------------------------- 200s

#[tokio::test]
async fn seed_example_response_decodes_field_by_field() {
    for content_type in ["application/json", "application/json; charset=utf-8"] {
        let server = MockServer::start_async().await;
        let mock = serve_ok(&server, GET, "/2/connections", content_type, SEED).await;
        let page = client(&server.base_url())
            .get_connection_history()
            .send()
            .await
            .expect("seed example decodes");
        assert_eq!(mock.calls_async().await, 1);
        assert_eq!(page.status(), 200);

        let at = Utc.with_ymd_and_hms(2023, 11, 7, 5, 31, 56).unwrap();
        assert_eq!(page.data.len(), 1);
        let connection = &page.data[0];
        assert_eq!(connection.connected_at.map(Into::into), Some(at));
        assert_eq!(connection.disconnected_at.map(Into::into), Some(at));
        assert_eq!(connection.endpoint_name.as_deref(), Some("sample_stream"));
        assert_eq!(connection.client_ip.as_deref(), Some("<string>"));
        assert_eq!(
            connection.disconnect_reason.as_deref(),
            Some("operator_disconnect")
        );
        assert_eq!(connection.id, None);

        // The partial error's `type` is the placeholder "<string>", not a URI.
        assert_eq!(page.errors.len(), 1);
        // Partial errors are free-form JSON (one odd member must not lose the
        // page); the typed `Problem` still reads them.
        let problem: xconn_sdk::types::Problem =
            serde_json::from_value(page.errors[0].clone()).expect("problem-shaped");
        let placeholder = Some("<string>");
        assert_eq!(
            head(&problem),
            (placeholder, placeholder, placeholder, Some(123))
        );
        assert!(problem.extra.is_empty(), "{:?}", problem.extra);

        let meta = page.meta.as_ref().expect("meta");
        assert_eq!(meta.next_token.as_deref(), Some("<string>"));
        assert_eq!(meta.result_count, Some(123));
    }
}

#[tokio::test]
async fn ok_with_data_and_partial_errors_keeps_both() {
    let server = MockServer::start_async().await;
    serve_ok(
        &server,
        GET,
        "/2/connections",
        "application/json",
        DATA_AND_ERRORS,
    )
    .await;
    let page = client(&server.base_url())
        .get_connection_history()
        .send()
        .await
        .expect("decodes");

    let ids: Vec<_> = page.data.iter().map(|c| c.id.as_deref()).collect();
    assert_eq!(
        ids,
        [Some("1875011231245123584"), Some("1875011231245123585")]
    );
    let active = &page.data[0];
    assert_eq!(
        active.connected_at.map(Into::into),
        Some(Utc.with_ymd_and_hms(2026, 1, 5, 9, 12, 44).unwrap())
    );
    assert_eq!(active.disconnected_at, None);
    assert_eq!(active.disconnect_reason, None);
    let closed = &page.data[1];
    assert_eq!(
        closed.disconnected_at.map(Into::into),
        Some(Utc.with_ymd_and_hms(2026, 1, 5, 8, 30, 0).unwrap())
    );
    assert_eq!(
        closed.disconnect_reason.as_deref(),
        Some("client_disconnect")
    );
    assert_eq!(closed.client_ip.as_deref(), Some("198.51.100.23"));

    assert_eq!(page.errors.len(), 1);
    // Partial errors are free-form JSON (one odd member must not lose the
    // page); the typed `Problem` still reads them.
    let problem: xconn_sdk::types::Problem =
        serde_json::from_value(page.errors[0].clone()).expect("problem-shaped");
    assert_eq!(
        problem.type_.as_deref(),
        Some("https://api.x.com/2/problems/resource-not-found")
    );
    assert_eq!(problem.title.as_deref(), Some("Not Found Error"));
    assert_eq!(problem.parameter.as_deref(), Some("endpoints"));
    assert_eq!(problem.value.as_deref(), Some("likes_firehose_stream"));
    assert_eq!(
        problem.resource_id.as_deref(),
        Some("likes_firehose_stream")
    );
    assert_eq!(problem.resource_type.as_deref(), Some("endpoint"));
    assert_eq!(problem.status, None);
    assert!(problem.extra.is_empty(), "{:?}", problem.extra);

    let meta = page.meta.as_ref().expect("meta");
    assert_eq!(meta.result_count, Some(2));
    assert_eq!(meta.next_token.as_deref(), Some("7140dibdnow9c7btw4"));
}

/// `(successful_kills, failed_kills, [(uuid, success, error_message)])`.
type Kills = (i64, i64, Vec<(String, bool, Option<String>)>);

/// The [`Kills`] of a terminate response's `data` (each operation has its
/// own generated type, with the same fields).
macro_rules! kills {
    ($data:expr) => {{
        let data = $data;
        let results = data.results.into_iter();
        (
            data.successful_kills,
            data.failed_kills,
            results
                .map(|r| (r.uuid, r.success, r.error_message))
                .collect(),
        )
    }};
}

/// The first uuid of the terminate fixtures (the one the by-uuids call names).
const FIRST_UUID: &str = "6f3c1a52-0d1e-4b7a-9c7e-2f4a8b1d9e10";
/// The second uuid of the terminate fixtures.
const SECOND_UUID: &str = "0b9d2e4f-7a61-4c38-8e25-5d1f3a6c7b92";

/// One expected `(uuid, success, error_message)` result.
fn result(uuid: &str, success: bool, error: Option<&str>) -> (String, bool, Option<String>) {
    (uuid.to_owned(), success, error.map(str::to_owned))
}

/// Each terminate operation, served `body`, decoded through its own `send()`.
async fn terminate_all_three(body: &'static str) -> [Kills; 3] {
    let server = MockServer::start_async().await;
    let mut mocks = Vec::new();
    for path in [
        "/2/connections",
        "/2/connections/all",
        "/2/connections/filtered_stream",
    ] {
        mocks.push(serve_ok(&server, DELETE, path, "application/json", body).await);
    }
    let c = client(&server.base_url());

    let by_uuids = c
        .delete_connections_by_uuids()
        .body(DeleteConnectionsByUuidsRequest {
            uuids: vec![FIRST_UUID.to_owned()],
        })
        .send()
        .await
        .expect("by uuids decodes")
        .into_inner()
        .data;
    let all = c
        .delete_all_connections()
        .send()
        .await
        .expect("all decodes")
        .into_inner()
        .data;
    let by_endpoint = c
        .delete_connections_by_endpoint()
        .endpoint_id(DeleteConnectionsByEndpointEndpointId::FilteredStream)
        .send()
        .await
        .expect("by endpoint decodes")
        .into_inner()
        .data;
    for mock in mocks {
        assert_eq!(mock.calls_async().await, 1);
    }
    [
        kills!(by_uuids.expect("data")),
        kills!(all.expect("data")),
        kills!(by_endpoint.expect("data")),
    ]
}

#[tokio::test]
async fn terminate_responses_decode() {
    for kills in terminate_all_three(KILLED).await {
        let results = vec![
            result(FIRST_UUID, true, None),
            result(SECOND_UUID, false, Some("Connection not found")),
        ];
        assert_eq!(kills, (1, 1, results));
    }
}

#[tokio::test]
async fn terminate_responses_tolerate_unknown_fields() {
    // Unknown keys at the top level, in `data` and in each result.
    let fixture: Value = serde_json::from_str(KILLED_UNKNOWN_FIELDS).unwrap();
    assert!(fixture["data"]["kill_batch_id"].is_string());
    assert!(fixture["meta"].is_object());
    for kills in terminate_all_three(KILLED_UNKNOWN_FIELDS).await {
        let results = vec![
            result(FIRST_UUID, true, None),
            result(SECOND_UUID, true, None),
        ];
        assert_eq!(kills, (2, 0, results));
    }
}

#[tokio::test]
async fn ok_with_a_body_that_is_not_the_schema_keeps_the_bytes() {
    let server = MockServer::start_async().await;
    serve_ok(&server, GET, "/2/connections", "text/html", BAD_GATEWAY).await;
    match client(&server.base_url())
        .get_connection_history()
        .send()
        .await
    {
        Err(Error::InvalidResponsePayload(bytes, _)) => assert_eq!(bytes, BAD_GATEWAY.as_bytes()),
        other => panic!("expected InvalidResponsePayload, got {other:?}"),
    }
}

// ---------------------------------------------------------------- errors

#[tokio::test]
async fn unauthorized_about_blank() {
    for content_type in PROBLEM_CONTENT_TYPES {
        let raw = get_error(401, Some(content_type), &[], UNAUTHORIZED).await;
        let problem = raw.problem();
        let unauthorized = Some("Unauthorized");
        assert_eq!(
            head(&problem),
            (Some("about:blank"), unauthorized, unauthorized, Some(401))
        );
        assert!(problem.extra.is_empty(), "{:?}", problem.extra);
    }
}

#[tokio::test]
async fn client_forbidden_keeps_reason_and_registration_url() {
    for content_type in PROBLEM_CONTENT_TYPES {
        let raw = get_error(403, Some(content_type), &[], CLIENT_FORBIDDEN).await;
        let problem = raw.problem();
        assert_eq!(
            problem.type_.as_deref(),
            Some("https://api.twitter.com/2/problems/client-forbidden")
        );
        assert_eq!(problem.title.as_deref(), Some("Client Forbidden"));
        assert!(
            problem.detail.as_deref().is_some_and(
                |d| d.starts_with("When authenticating requests to the Twitter API v2")
            )
        );
        assert_eq!(problem.status, None, "this body carries no status");
        assert_eq!(
            Value::Object(problem.extra),
            json!({
                "client_id": "27988566",
                "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
                "required_enrollment": "Appropriate Level of API Access",
                "reason": "client-not-enrolled",
            })
        );
    }
}

#[tokio::test]
async fn rate_limited_keeps_rate_limit_headers() {
    let headers = [
        ("x-rate-limit-limit", "300"),
        ("x-rate-limit-remaining", "0"),
        ("x-rate-limit-reset", "1767225600"),
    ];
    for content_type in PROBLEM_CONTENT_TYPES {
        let raw = get_error(429, Some(content_type), &headers, TOO_MANY).await;
        for (name, value) in headers {
            assert_eq!(raw.header(name), value);
        }
        let problem = raw.problem();
        let too_many = Some("Too Many Requests");
        assert_eq!(
            head(&problem),
            (Some("about:blank"), too_many, too_many, Some(429))
        );
        assert!(problem.extra.is_empty(), "{:?}", problem.extra);
    }
}

#[tokio::test]
async fn usage_capped_is_told_apart_by_type_not_headers() {
    // The rate-limit window is far from spent: only the body says "capped".
    let headers = [
        ("x-rate-limit-limit", "300"),
        ("x-rate-limit-remaining", "297"),
        ("x-rate-limit-reset", "1767225600"),
    ];
    for content_type in PROBLEM_CONTENT_TYPES {
        let raw = get_error(429, Some(content_type), &headers, USAGE_CAPPED).await;
        assert_eq!(raw.header("x-rate-limit-remaining"), "297");
        let problem = raw.problem();
        assert_eq!(
            head(&problem),
            (
                Some("https://api.twitter.com/2/problems/usage-capped"),
                Some("UsageCapExceeded"),
                Some("Usage cap exceeded: Monthly product cap"),
                None
            )
        );
        assert_eq!(
            Value::Object(problem.extra),
            json!({
                "account_id": "…",
                "product_name": "standard-basic",
                "period": "Monthly",
                "scope": "Product",
            })
        );
    }
}

#[tokio::test]
async fn invalid_request_errors_array_lands_in_extra() {
    for content_type in PROBLEM_CONTENT_TYPES {
        let raw = get_error(400, Some(content_type), &[], INVALID_REQUEST).await;
        let problem = raw.problem();
        assert_eq!(
            head(&problem),
            (
                Some("https://api.twitter.com/2/problems/invalid-request"),
                Some("Invalid Request"),
                Some("One or more parameters to your request was invalid."),
                None
            )
        );
        assert_eq!(problem.extra.len(), 1, "{:?}", problem.extra);
        assert_eq!(
            problem.extra["errors"],
            json!([{
                "parameters": {"max_results": ["1000"]},
                "message": "The `max_results` query parameter value [1000] is not between 1 and 100"
            }])
        );
    }
}

/// Legacy `{"errors":[{code,message}]}` bodies are the spec's `Error` schema
/// in a wrapper. Note they *also* decode as a `Problem` (every field of it is
/// optional), with nothing but `extra`: decoding success alone does not tell
/// a problem from a legacy body.
#[tokio::test]
async fn legacy_errors_decode_as_spec_error_schema() {
    for (status, body, code, message) in [
        (401, LEGACY_401, 32, "Could not authenticate you."),
        (429, LEGACY_429, 88, "Rate limit exceeded"),
    ] {
        for content_type in PROBLEM_CONTENT_TYPES {
            let raw = get_error(status, Some(content_type), &[], body).await;

            let wrapper: Value = serde_json::from_slice(&raw.body).unwrap();
            let errors: Vec<xconn_sdk::types::Error> =
                serde_json::from_value(wrapper["errors"].clone()).expect("spec Error schema");
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].code, code);
            assert_eq!(errors[0].message, message);

            let problem = raw.problem();
            assert_eq!(head(&problem), (None, None, None, None));
            assert_eq!(problem.extra.len(), 1);
            assert!(problem.extra["errors"].is_array());
        }
    }
}

#[tokio::test]
async fn bad_gateway_html_page_is_kept_raw() {
    for content_type in ["text/html", "application/json; charset=utf-8"] {
        let raw = get_error(502, Some(content_type), &[], BAD_GATEWAY).await;
        assert!(serde_json::from_slice::<Problem>(&raw.body).is_err());
    }
}

#[tokio::test]
async fn empty_service_unavailable_is_an_error_response_with_no_body() {
    for content_type in [
        None,
        Some("application/json; charset=utf-8"),
        Some("text/html"),
    ] {
        let raw = get_error(503, content_type, &[("retry-after", "7")], "").await;
        assert_eq!(raw.header("retry-after"), "7");
        assert!(serde_json::from_slice::<Problem>(&raw.body).is_err());
    }
}

/// The three DELETE operations hand errors back the same way as GET.
#[tokio::test]
async fn delete_operations_return_error_responses_intact() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path_prefix("/2/connections");
            then.status(429)
                .header("content-type", "application/problem+json")
                .header("x-rate-limit-remaining", "0")
                .body(TOO_MANY);
        })
        .await;
    let c = client(&server.base_url());
    let raws = [
        Raw::from_error(
            c.delete_connections_by_uuids()
                .body(DeleteConnectionsByUuidsRequest {
                    uuids: vec!["u-1".to_owned()],
                })
                .send()
                .await,
        )
        .await,
        Raw::from_error(c.delete_all_connections().send().await).await,
        Raw::from_error(
            c.delete_connections_by_endpoint()
                .endpoint_id(DeleteConnectionsByEndpointEndpointId::TweetLabelStream)
                .send()
                .await,
        )
        .await,
    ];
    for raw in raws {
        raw.assert_intact(429, Some("application/problem+json"), TOO_MANY);
        assert_eq!(raw.header("x-rate-limit-remaining"), "0");
        assert_eq!(raw.problem().status, Some(429));
    }
    assert_eq!(mock.calls_async().await, 3);
}
