//! httpmock set-ups that several test modules share.

use httpmock::prelude::*;
use httpmock::{Method, Mock, When};

pub use xconn_test_support::json_ok;

use super::BEARER;
use super::fixtures::KILLED;

/// `{"data":[{"id":..},..],"meta":{..}}` for a page of `ids`.
pub fn page_json(ids: &[String], next_token: Option<&str>) -> String {
    let data: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| {
            serde_json::json!({
                "id": id,
                "endpoint_name": "filtered_stream",
                "client_ip": "203.0.113.7",
                "connected_at": "2026-01-05T09:12:44Z"
            })
        })
        .collect();
    let mut meta = serde_json::json!({ "result_count": ids.len() });
    if let Some(token) = next_token {
        meta["next_token"] = token.into();
    }
    serde_json::json!({ "data": data, "meta": meta }).to_string()
}

/// `GET /2/connections` with the test token answers 200 with the JSON `body`,
/// whatever the query.
pub async fn list_page(server: &MockServer, body: impl Into<String>) -> Mock<'_> {
    let body = body.into();
    server
        .mock_async(|when, then| {
            authorized(when, GET, "/2/connections");
            json_ok(then, body);
        })
        .await
}

/// The first page of a listing (no `pagination_token`) answers 200 with `body`.
pub async fn first_page(server: &MockServer, body: impl Into<String>) -> Mock<'_> {
    page_at(server, None, body.into()).await
}

/// The page asked for with `pagination_token=token` answers 200 with `body`.
pub async fn page_after<'a>(
    server: &'a MockServer,
    token: &str,
    body: impl Into<String>,
) -> Mock<'a> {
    page_at(server, Some(token), body.into()).await
}

async fn page_at<'a>(server: &'a MockServer, token: Option<&str>, body: String) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            let when = when
                .method(GET)
                .path("/2/connections")
                .header("authorization", BEARER);
            match token {
                Some(token) => when.query_param("pagination_token", token),
                None => when.query_param_missing("pagination_token"),
            };
            json_ok(then, body);
        })
        .await
}

/// `DELETE path` with the test token answers 200 with [`KILLED`].
pub async fn terminated(server: &MockServer, path: impl Into<String>) -> Mock<'_> {
    let path = path.into();
    server
        .mock_async(|when, then| {
            authorized(when, DELETE, &path);
            json_ok(then, KILLED);
        })
        .await
}

/// Matches `method path` carrying the test token's `Authorization` header.
pub fn authorized(when: When, method: Method, path: &str) -> When {
    when.method(method)
        .path(path)
        .header("authorization", BEARER)
}
