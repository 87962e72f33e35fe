//! What `xconn-sdk` puts on the wire, checked against a local httpmock server
//! (127.0.0.1 only): method, path, `Authorization`, query string and JSON body
//! of each of the four Stream Connections operations.

use std::num::NonZeroU32;

use httpmock::prelude::*;
use xconn_sdk::types::{
    DeleteConnectionsByEndpointEndpointId, DeleteConnectionsByUuidsRequest,
    GetConnectionHistoryConnectionFieldsItem as Field,
    GetConnectionHistoryEndpointsItem as Endpoint, GetConnectionHistoryStatus,
};

use crate::support::mock::{authorized, json_ok};
use crate::support::{BEARER, TOKEN, sdk_client as client, sdk_client_with as client_with};

/// Response header the echoing mocks use to hand back the raw query string.
const ECHO_QUERY: &str = "x-echo-query";

/// `(key, value)` pairs of the raw (still percent-encoded) query string.
fn raw_pairs(query: &str) -> Vec<(&str, &str)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect()
}

fn key_count(req: &HttpMockRequest, key: &str) -> usize {
    let uri = req.uri();
    raw_pairs(uri.query().unwrap_or_default())
        .iter()
        .filter(|(k, _)| *k == key)
        .count()
}

/// Responds 200 with `body`, echoing the raw query string in [`ECHO_QUERY`].
fn echo_ok(body: &'static str) -> impl Fn(&HttpMockRequest) -> HttpMockResponse + Send + Sync {
    move |req| {
        HttpMockResponse::builder()
            .status(200)
            .header("content-type", "application/json")
            .header(ECHO_QUERY, req.uri().query().unwrap_or_default())
            .body(body.as_bytes())
            .build()
    }
}

const EMPTY_PAGE: &str = r#"{"meta":{"result_count":0}}"#;
const KILLED_NONE: &str = r#"{"data":{"successful_kills":0,"failed_kills":0}}"#;

/// The two mocks the history test relies on: `ok` matches only a request
/// carrying every parameter with `endpoints` and `connection.fields` each
/// sent once, comma-joined; `repeated` catches any request that repeats one
/// of those keys (and answers 418, so the SDK call would fail).
async fn strict_history_mocks(server: &MockServer) -> (httpmock::Mock<'_>, httpmock::Mock<'_>) {
    // Anything that repeats one of the array keys lands here instead.
    let repeated = server
        .mock_async(|when, then| {
            when.is_true(|req| {
                key_count(req, "endpoints") > 1 || key_count(req, "connection.fields") > 1
            });
            then.status(418).body("repeated array query key");
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            authorized(when, GET, "/2/connections")
                .query_param("status", "all")
                .query_param("max_results", "25")
                .query_param("pagination_token", "7140dibdnow9c7btw4")
                .query_param("endpoints", "filtered_stream,sample_stream")
                .query_param("connection.fields", "id,client_ip")
                .query_param_count("^endpoints$", ".*", 1)
                .query_param_count(r"^connection\.fields$", ".*", 1)
                .is_true(|req| {
                    key_count(req, "endpoints") == 1 && key_count(req, "connection.fields") == 1
                });
            then.respond_with(echo_ok(EMPTY_PAGE));
        })
        .await;

    (ok, repeated)
}

#[tokio::test]
async fn get_connection_history_sends_each_parameter_once_comma_separated() {
    let server = MockServer::start_async().await;
    let (ok, repeated) = strict_history_mocks(&server).await;

    let page = client(&server.base_url())
        .get_connection_history()
        .status(GetConnectionHistoryStatus::All)
        .endpoints(vec![Endpoint::FilteredStream, Endpoint::SampleStream])
        .connection_fields(vec![Field::Id, Field::ClientIp])
        .max_results(NonZeroU32::new(25).unwrap())
        .pagination_token("7140dibdnow9c7btw4")
        .send()
        .await
        .expect("request matched the strict mock");

    assert_eq!(ok.calls_async().await, 1);
    assert_eq!(repeated.calls_async().await, 0);
    assert_eq!(page.status(), 200);
    assert_eq!(page.meta.as_ref().and_then(|m| m.result_count), Some(0));

    // The raw query string itself, order aside: five keys, each exactly once,
    // the array values joined by a literal (unencoded) comma.
    let echoed = page.headers()[ECHO_QUERY].to_str().unwrap().to_owned();
    let mut pairs = raw_pairs(&echoed);
    pairs.sort_unstable();
    assert_eq!(
        pairs,
        [
            ("connection.fields", "id,client_ip"),
            ("endpoints", "filtered_stream,sample_stream"),
            ("max_results", "25"),
            ("pagination_token", "7140dibdnow9c7btw4"),
            ("status", "all"),
        ],
        "raw query was {echoed:?}"
    );
}

/// The oracle above must be able to fail: the same mocks, hit directly with
/// what progenitor alone would send (repeated keys), reject the request.
#[tokio::test]
async fn strict_history_mocks_reject_repeated_keys() {
    let server = MockServer::start_async().await;
    let (ok, repeated) = strict_history_mocks(&server).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let response = http
        .get(server.url(
            "/2/connections?connection.fields=id&connection.fields=client_ip\
             &endpoints=filtered_stream&endpoints=sample_stream\
             &max_results=25&pagination_token=7140dibdnow9c7btw4&status=all",
        ))
        .header("authorization", BEARER)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 418);
    assert_eq!(repeated.calls_async().await, 1);
    assert_eq!(ok.calls_async().await, 0);

    // ...and accept the joined form when sent by hand.
    let response = http
        .get(server.url(
            "/2/connections?connection.fields=id,client_ip&endpoints=filtered_stream,sample_stream\
             &max_results=25&pagination_token=7140dibdnow9c7btw4&status=all",
        ))
        .header("authorization", BEARER)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(ok.calls_async().await, 1);
}

/// `Client::new("https://api.x.com/", ..)` is a natural thing to write; the
/// generated code formats `{baseurl}/2/connections`, and the pre hook
/// collapses the resulting `//2/connections`.
#[tokio::test]
async fn base_url_trailing_slash_is_not_doubled() {
    let server = MockServer::start_async().await;
    let ok = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/proxy/2/connections/all");
            json_ok(then, KILLED_NONE);
        })
        .await;
    let result = client(&server.url("/proxy/"))
        .delete_all_connections()
        .send()
        .await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(ok.calls_async().await, 1);
}

#[tokio::test]
async fn get_connection_history_single_values_and_no_parameters() {
    let server = MockServer::start_async().await;
    let ok = server
        .mock_async(|when, then| {
            authorized(when, GET, "/2/connections");
            then.respond_with(echo_ok(EMPTY_PAGE));
        })
        .await;
    let c = client(&server.base_url());

    let single = c
        .get_connection_history()
        .endpoints(vec![Endpoint::LikesComplianceStream])
        .connection_fields(vec![Field::DisconnectReason])
        .send()
        .await
        .unwrap();
    let mut pairs = raw_pairs(single.headers()[ECHO_QUERY].to_str().unwrap());
    pairs.sort_unstable();
    assert_eq!(
        pairs,
        [
            ("connection.fields", "disconnect_reason"),
            ("endpoints", "likes_compliance_stream")
        ]
    );

    // No builder calls: no query string at all (not even a stray `?`), so X
    // applies its own defaults.
    let bare = c.get_connection_history().send().await.unwrap();
    assert_eq!(bare.headers()[ECHO_QUERY], "");
    assert_eq!(ok.calls_async().await, 2);
}

#[tokio::test]
async fn pagination_token_with_reserved_characters_round_trips() {
    // A comma inside a non-array value must stay encoded (`%2C`), and the
    // server must decode the token back to exactly what the caller passed.
    let token = "a,b+c/d=e&f";
    let server = MockServer::start_async().await;
    let ok = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/2/connections")
                .query_param("pagination_token", token)
                .query_param_count("^pagination_token$", ".*", 1);
            then.respond_with(echo_ok(EMPTY_PAGE));
        })
        .await;
    let page = client(&server.base_url())
        .get_connection_history()
        .pagination_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.calls_async().await, 1);
    let echoed = page.headers()[ECHO_QUERY].to_str().unwrap();
    assert!(echoed.starts_with("pagination_token="), "{echoed}");
    assert!(
        !echoed.contains(','),
        "comma must stay percent-encoded: {echoed}"
    );
    assert!(
        !echoed.contains("&f"),
        "ampersand must stay percent-encoded: {echoed}"
    );
}

#[tokio::test]
async fn delete_connections_by_uuids_sends_exact_json_body() {
    let server = MockServer::start_async().await;
    let ok = server
        .mock_async(|when, then| {
            authorized(when, DELETE, "/2/connections")
                .header("content-type", "application/json")
                .query_param_count(".*", ".*", 0)
                .json_body(serde_json::json!({
                    "uuids": [
                        "6f3c1a52-0d1e-4b7a-9c7e-2f4a8b1d9e10",
                        "0b9d2e4f-7a61-4c38-8e25-5d1f3a6c7b92"
                    ]
                }));
            json_ok(then, KILLED_NONE);
        })
        .await;

    let killed = client(&server.base_url())
        .delete_connections_by_uuids()
        .body(DeleteConnectionsByUuidsRequest {
            uuids: vec![
                "6f3c1a52-0d1e-4b7a-9c7e-2f4a8b1d9e10".to_owned(),
                "0b9d2e4f-7a61-4c38-8e25-5d1f3a6c7b92".to_owned(),
            ],
        })
        .send()
        .await
        .expect("request matched the exact-body mock");
    assert_eq!(ok.calls_async().await, 1);
    assert_eq!(killed.data.as_ref().map(|d| d.successful_kills), Some(0));
}

#[tokio::test]
async fn delete_all_connections_hits_connections_all() {
    let server = MockServer::start_async().await;
    let ok = server
        .mock_async(|when, then| {
            authorized(when, DELETE, "/2/connections/all")
                .query_param_count(".*", ".*", 0)
                .body("");
            json_ok(then, KILLED_NONE);
        })
        .await;
    let killed = client(&server.base_url())
        .delete_all_connections()
        .send()
        .await
        .expect("request matched");
    assert_eq!(ok.calls_async().await, 1);
    assert_eq!(killed.data.as_ref().map(|d| d.failed_kills), Some(0));
}

#[tokio::test]
async fn delete_connections_by_endpoint_puts_endpoint_in_path() {
    let server = MockServer::start_async().await;
    let filtered = server
        .mock_async(|when, then| {
            authorized(when, DELETE, "/2/connections/filtered_stream")
                .query_param_count(".*", ".*", 0);
            json_ok(then, KILLED_NONE);
        })
        .await;
    let lang = server
        .mock_async(|when, then| {
            authorized(when, DELETE, "/2/connections/firehose_stream_lang_ja");
            json_ok(then, KILLED_NONE);
        })
        .await;
    let c = client(&server.base_url());

    c.delete_connections_by_endpoint()
        .endpoint_id(DeleteConnectionsByEndpointEndpointId::FilteredStream)
        .send()
        .await
        .expect("filtered_stream matched");
    c.delete_connections_by_endpoint()
        .endpoint_id("firehose_stream_lang_ja")
        .send()
        .await
        .expect("firehose_stream_lang_ja matched");

    assert_eq!(filtered.calls_async().await, 1);
    assert_eq!(lang.calls_async().await, 1);
}

#[tokio::test]
async fn delete_connections_by_endpoint_without_endpoint_is_refused_locally() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let c = client(&server.base_url());

    let missing = c.delete_connections_by_endpoint().send().await;
    assert!(
        matches!(missing, Err(xconn_sdk::Error::InvalidRequest(_))),
        "{missing:?}"
    );
    let unknown = c
        .delete_connections_by_endpoint()
        .endpoint_id("all")
        .send()
        .await;
    assert!(
        matches!(unknown, Err(xconn_sdk::Error::InvalidRequest(_))),
        "{unknown:?}"
    );
    assert_eq!(any.calls_async().await, 0, "nothing may be sent");
}

#[tokio::test]
async fn base_url_path_prefix_is_kept() {
    let server = MockServer::start_async().await;
    let bare = server
        .mock_async(|when, then| {
            when.path_prefix("/2/");
            then.status(404);
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            authorized(when, GET, "/proxy/2/connections")
                .query_param("endpoints", "sample_stream,sample10_stream");
            json_ok(then, EMPTY_PAGE);
        })
        .await;
    let delete_all = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/proxy/2/connections/all");
            json_ok(then, KILLED_NONE);
        })
        .await;
    let delete_uuids = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/proxy/2/connections")
                .json_body(serde_json::json!({"uuids": ["u-1"]}));
            json_ok(then, KILLED_NONE);
        })
        .await;
    let c = client(&server.url("/proxy"));

    c.get_connection_history()
        .endpoints(vec![Endpoint::SampleStream, Endpoint::Sample10Stream])
        .send()
        .await
        .expect("GET reached /proxy/2/connections");
    c.delete_all_connections()
        .send()
        .await
        .expect("DELETE reached /proxy/2/connections/all");
    c.delete_connections_by_uuids()
        .body(DeleteConnectionsByUuidsRequest {
            uuids: vec!["u-1".to_owned()],
        })
        .send()
        .await
        .expect("DELETE reached /proxy/2/connections");

    assert_eq!(get.calls_async().await, 1);
    assert_eq!(delete_all.calls_async().await, 1);
    assert_eq!(delete_uuids.calls_async().await, 1);
    assert_eq!(bare.calls_async().await, 0, "the /proxy prefix was dropped");
}

#[tokio::test]
async fn bearer_credentials_reach_every_operation_and_none_sends_no_header() {
    let server = MockServer::start_async().await;
    let authed = server
        .mock_async(|when, then| {
            when.path_prefix("/2/connections")
                .header("authorization", BEARER)
                .header_count("(?i)^authorization$", ".*", 1);
            json_ok(then, r#"{}"#); // valid for all four response types
        })
        .await;
    let anonymous = server
        .mock_async(|when, then| {
            when.path_prefix("/2/connections").header_missing("authorization");
            then.status(401)
                .header("content-type", "application/problem+json")
                .body(r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#);
        })
        .await;

    let c = client(&server.base_url());
    c.get_connection_history().send().await.expect("GET authed");
    c.delete_all_connections()
        .send()
        .await
        .expect("DELETE all authed");
    c.delete_connections_by_endpoint()
        .endpoint_id(DeleteConnectionsByEndpointEndpointId::SampleStream)
        .send()
        .await
        .expect("DELETE by endpoint authed");
    c.delete_connections_by_uuids()
        .body(DeleteConnectionsByUuidsRequest {
            uuids: vec!["u-1".to_owned()],
        })
        .send()
        .await
        .expect("DELETE by uuids authed");
    assert_eq!(authed.calls_async().await, 4);
    assert_eq!(anonymous.calls_async().await, 0);

    let none = client_with(&server.base_url(), xconn_sdk::Credentials::none());
    let err = none.get_connection_history().send().await.expect_err("401");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(anonymous.calls_async().await, 1);
    assert_eq!(authed.calls_async().await, 4);
}

#[test]
fn token_never_shows_in_debug_output() {
    let credentials = xconn_sdk::Credentials::bearer(TOKEN).unwrap();
    assert!(credentials.is_set());
    let shown = format!("{credentials:?}");
    assert!(!shown.contains("test-bearer-token"), "{shown}");

    let c = client("http://127.0.0.1:9");
    let shown = format!("{c:?}");
    assert!(!shown.contains("test-bearer-token"), "{shown}");

    assert!(!xconn_sdk::Credentials::none().is_set());
    let bad =
        xconn_sdk::Credentials::bearer("secret-part\nX-Injected: 1").expect_err("newline refused");
    let shown = format!("{bad:?} {bad}");
    assert!(!shown.contains("secret-part"), "{shown}");
}

/// A caller-side default `Authorization` (the pre-`Credentials` way) does not
/// add a second header: the SDK's credentials win, and with
/// `Credentials::none()` the caller's header is what goes out.
#[tokio::test]
async fn credentials_and_a_default_authorization_header_do_not_stack() {
    let server = MockServer::start_async().await;
    let sdk_token = server
        .mock_async(|when, then| {
            when.path("/2/connections/all")
                .header("authorization", BEARER)
                .header_count("(?i)^authorization$", ".*", 1);
            json_ok(then, KILLED_NONE);
        })
        .await;
    let caller_token = server
        .mock_async(|when, then| {
            when.path("/2/connections/all")
                .header("authorization", "Bearer caller-token")
                .header_count("(?i)^authorization$", ".*", 1);
            json_ok(then, KILLED_NONE);
        })
        .await;
    let mut auth = reqwest::header::HeaderValue::from_static("Bearer caller-token");
    auth.set_sensitive(true);
    let http = reqwest::Client::builder()
        .default_headers(
            [(reqwest::header::AUTHORIZATION, auth)]
                .into_iter()
                .collect(),
        )
        .no_proxy()
        .build()
        .unwrap();

    let both = xconn_sdk::Client::new_with_client(
        &server.base_url(),
        http.clone(),
        xconn_sdk::Credentials::bearer(TOKEN).unwrap().into(),
    );
    both.delete_all_connections()
        .send()
        .await
        .expect("one header");
    assert_eq!(sdk_token.calls_async().await, 1);
    assert_eq!(caller_token.calls_async().await, 0);

    let caller_only = xconn_sdk::Client::new_with_client(
        &server.base_url(),
        http,
        xconn_sdk::Credentials::none().into(),
    );
    caller_only
        .delete_all_connections()
        .send()
        .await
        .expect("one header");
    assert_eq!(caller_token.calls_async().await, 1);
    assert_eq!(sdk_token.calls_async().await, 1);
}
