//! The sandbox (`xconn_ext::sandbox`) on the wire, driven with plain reqwest: filters,
//! projection, pagination, problems, terminate state changes, faults, and conformance of
//! every body to the schemas of `openapi/connections.json` (a small hand-written validator
//! below: `$ref`, `oneOf` + discriminator, `type`, `nullable`, `enum`, `required`,
//! `properties`, `additionalProperties: false`, `items`, `minItems`/`maxItems`,
//! `uniqueItems`, `format: date-time|int32`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};

use crate::support::{sorted_keys, unix_now};
use xconn_ext::sandbox::{
    CONNECTION_FIELDS, DEFAULT_CONNECTION_FIELDS, DEFAULT_TOKEN, ENDPOINTS, Sandbox, SandboxConfig,
};

const SPEC: &str = include_str!("../../openapi/connections.json");
const EPOCH: &str = "2025-06-01T00:00:00Z";

/// A sandbox and a client for it (no proxy: nothing leaves 127.0.0.1).
struct Api {
    sandbox: Sandbox,
    http: reqwest::Client,
}

/// One response, read fully.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn content_type(&self) -> &str {
        self.header(CONTENT_TYPE.as_str()).unwrap_or("")
    }

    fn data(&self) -> Vec<Value> {
        self.json()["data"].as_array().cloned().unwrap_or_default()
    }
}

impl Api {
    async fn start(config: SandboxConfig) -> Self {
        let sandbox = Sandbox::start(config).await.expect("sandbox starts");
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("reqwest client");
        Self { sandbox, http }
    }

    async fn default() -> Self {
        Self::start(SandboxConfig::default()).await
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.sandbox.base_url())
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.expect("body read");
        Reply {
            status,
            headers,
            body,
        }
    }

    /// `GET /2/connections?{query}` with the sandbox token; `query` is sent as written.
    async fn list(&self, query: &str) -> Reply {
        let url = self.url(&format!("/2/connections?{query}"));
        self.send(self.http.get(url).bearer_auth(self.sandbox.token()))
            .await
    }

    async fn delete(&self, path: &str, body: Option<Value>) -> Reply {
        let mut request = self
            .http
            .delete(self.url(path))
            .bearer_auth(self.sandbox.token());
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// Every item of a listing, walking `next_token` with `max_results` per page; checks
    /// each page's `result_count` and that only the last page lacks `next_token`.
    async fn all_pages(&self, query: &str, max_results: usize) -> Vec<Value> {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..10_000 {
            let mut q = format!("{query}&max_results={max_results}");
            if let Some(t) = &token {
                q.push_str(&format!("&pagination_token={t}"));
            }
            let reply = self.list(&q).await;
            assert_eq!(reply.status, 200, "{q}: {}", reply.body);
            let body = reply.json();
            let page = reply.data();
            assert_eq!(body["meta"]["result_count"], page.len(), "{q}");
            token = body["meta"]["next_token"].as_str().map(str::to_owned);
            if token.is_some() {
                assert_eq!(page.len(), max_results, "only the last page is short");
            }
            items.extend(page);
            if token.is_none() {
                return items;
            }
        }
        panic!("pagination does not end");
    }

    /// The ids of the connections a listing selects (all pages).
    async fn ids(&self, query: &str) -> Vec<String> {
        self.all_pages(&format!("{query}&connection.fields=id"), 100)
            .await
            .iter()
            .map(|c| c["id"].as_str().expect("id").to_owned())
            .collect()
    }
}

fn assert_invalid_request(reply: &Reply, parameter: &str) -> Value {
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.content_type(), "application/problem+json");
    let body = reply.json();
    assert_eq!(body["type"], "https://api.x.com/2/problems/invalid-request");
    assert_eq!(body["title"], "Invalid Request");
    assert_eq!(
        body["detail"],
        "One or more parameters to your request was invalid."
    );
    let errors = body["errors"].as_array().expect("errors array");
    assert!(
        errors
            .iter()
            .any(|e| e["parameters"].get(parameter).is_some()),
        "no error names {parameter}: {body}"
    );
    assert!(errors.iter().all(|e| e["message"].is_string()));
    body
}

// ---------------------------------------------------------------------------------------
// Listing

#[tokio::test]
async fn default_listing_is_active_first_page_with_default_fields() {
    let api = Api::default().await;
    let reply = api.list("").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type(), "application/json; charset=utf-8");
    let body = reply.json();
    let data = reply.data();
    assert_eq!(data.len(), 10, "max_results defaults to 10");
    assert_eq!(body["meta"]["result_count"], 10);
    assert!(body["meta"]["next_token"].is_string());
    for c in &data {
        // Active: no disconnect fields at all (omitted, never null); no id by default.
        assert_eq!(
            sorted_keys(c),
            ["client_ip", "connected_at", "endpoint_name"],
            "{c}"
        );
        assert!(ENDPOINTS.contains(&c["endpoint_name"].as_str().unwrap()));
        let ip = c["client_ip"].as_str().unwrap();
        assert!(ip.parse::<std::net::IpAddr>().is_ok(), "{ip}");
        let at = c["connected_at"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok() && at.ends_with('Z'));
        assert!(at < EPOCH);
    }
    // Newest first.
    let times: Vec<&str> = data
        .iter()
        .map(|c| c["connected_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
}

#[tokio::test]
async fn status_and_endpoint_filters() {
    let api = Api::default().await;
    let fields = "connection.fields=id,endpoint_name,disconnect_reason,disconnected_at";

    let inactive = api
        .all_pages(&format!("status=inactive&{fields}"), 100)
        .await;
    assert!(!inactive.is_empty());
    for c in &inactive {
        assert!(c["disconnected_at"].is_string(), "{c}");
        let reason = c["disconnect_reason"].as_str().expect("reason");
        assert!(
            xconn_ext::sandbox::DISCONNECT_REASONS.contains(&reason),
            "{reason}"
        );
    }
    let reasons: HashSet<&str> = inactive
        .iter()
        .map(|c| c["disconnect_reason"].as_str().unwrap())
        .collect();
    assert!(reasons.len() > 3, "a realistic mix of reasons: {reasons:?}");

    let active = api.all_pages(&format!("status=active&{fields}"), 100).await;
    assert!(!active.is_empty());
    assert!(
        active
            .iter()
            .all(|c| c.get("disconnected_at").is_none() && c.get("disconnect_reason").is_none())
    );

    // One endpoint, then two (comma-separated, also percent-encoded).
    for &e in ENDPOINTS {
        let some = api
            .all_pages(&format!("status=all&endpoints={e}&{fields}"), 100)
            .await;
        assert!(
            some.iter().any(|c| c.get("disconnected_at").is_none()),
            "{e}"
        );
        assert!(
            some.iter().any(|c| c.get("disconnected_at").is_some()),
            "{e}"
        );
        assert!(some.iter().all(|c| c["endpoint_name"] == e));
    }
    let two = api
        .all_pages(
            &format!("status=all&endpoints=filtered_stream%2Csample_stream&{fields}"),
            100,
        )
        .await;
    let names: HashSet<&str> = two
        .iter()
        .map(|c| c["endpoint_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, HashSet::from(["filtered_stream", "sample_stream"]));

    // reqwest's own query encoding works too.
    let reply = api
        .send(
            api.http
                .get(api.url("/2/connections"))
                .bearer_auth(DEFAULT_TOKEN)
                .query(&[
                    ("status", "inactive"),
                    ("endpoints", "likes_compliance_stream"),
                ]),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply
            .data()
            .iter()
            .all(|c| c["endpoint_name"] == "likes_compliance_stream"
                && c["disconnect_reason"].is_string())
    );
}

#[tokio::test]
async fn projection_shows_exactly_the_asked_fields() {
    let api = Api::default().await;
    let reply = api
        .list("status=all&max_results=100&connection.fields=id,endpoint_name")
        .await;
    for c in reply.data() {
        assert_eq!(sorted_keys(&c), ["endpoint_name", "id"]);
        let id = c["id"].as_str().unwrap();
        assert_eq!(id.len(), 36, "UUID-looking: {id}");
        assert_eq!(id.matches('-').count(), 4);
    }

    let all = CONNECTION_FIELDS.join(",");
    let reply = api
        .list(&format!("status=inactive&connection.fields={all}"))
        .await;
    for c in reply.data() {
        assert_eq!(sorted_keys(&c), CONNECTION_FIELDS, "{c}");
    }
    let reply = api
        .list("status=inactive&connection.fields=disconnect_reason")
        .await;
    for c in reply.data() {
        assert_eq!(sorted_keys(&c), ["disconnect_reason"]);
    }

    // Without the parameter: the documented default set.
    let reply = api.list("status=inactive").await;
    let mut default = DEFAULT_CONNECTION_FIELDS.to_vec();
    default.sort_unstable();
    for c in reply.data() {
        assert_eq!(sorted_keys(&c), default);
    }
}

#[tokio::test]
async fn pagination_covers_everything_once() {
    let api = Api::start(SandboxConfig::default().connections(137).seed(11)).await;
    let all = api.ids("status=all").await;
    assert_eq!(all.len(), 137);
    assert_eq!(
        all.iter().collect::<HashSet<_>>().len(),
        137,
        "no duplicates"
    );

    for size in [1, 7, 10, 100] {
        let paged = api.all_pages("status=all&connection.fields=id", size).await;
        let ids: Vec<&str> = paged.iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(ids, all, "page size {size}");
    }

    let active = api.ids("status=active").await;
    let inactive = api.ids("status=inactive").await;
    assert_eq!(active.len() + inactive.len(), all.len());
    let union: HashSet<&String> = active.iter().chain(&inactive).collect();
    assert_eq!(union.len(), all.len());

    let mut per_endpoint = 0;
    for e in ENDPOINTS {
        per_endpoint += api.ids(&format!("status=all&endpoints={e}")).await.len();
    }
    assert_eq!(per_endpoint, all.len());

    // The last page has no next_token; an empty listing has no data.
    let reply = api.list("status=all&max_results=100").await;
    let token = reply.json()["meta"]["next_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let last = api
        .list(&format!(
            "status=all&max_results=100&pagination_token={token}"
        ))
        .await;
    assert_eq!(last.status, 200);
    assert_eq!(last.json()["meta"]["result_count"], 37);
    assert!(last.json()["meta"].get("next_token").is_none());

    // A token is bound to its filter; garbage is refused.
    let wrong = api
        .list(&format!("status=active&pagination_token={token}"))
        .await;
    assert_invalid_request(&wrong, "pagination_token");
    let garbage = api.list("pagination_token=not-a-token").await;
    assert_invalid_request(&garbage, "pagination_token");
}

#[tokio::test]
async fn empty_listing_omits_data() {
    let api = Api::start(SandboxConfig::default().connections(0)).await;
    let reply = api.list("status=all").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"meta": {"result_count": 0}}));
}

#[tokio::test]
async fn data_is_deterministic_per_seed() {
    let q = format!(
        "status=all&max_results=100&connection.fields={}",
        CONNECTION_FIELDS.join(",")
    );
    let a = Api::start(SandboxConfig::default().seed(5)).await;
    let b = Api::start(SandboxConfig::default().seed(5)).await;
    let c = Api::start(SandboxConfig::default().seed(6)).await;
    let (ra, rb, rc) = (a.list(&q).await, b.list(&q).await, c.list(&q).await);
    assert_eq!(ra.body, rb.body);
    assert_ne!(ra.body, rc.body);
    let ips: Vec<String> = a
        .all_pages("status=all&connection.fields=client_ip", 100)
        .await
        .iter()
        .map(|c| c["client_ip"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        ips.iter().any(|ip| ip.starts_with("2001:db8:")),
        "some IPv6"
    );
    assert!(ips.iter().any(|ip| ip.starts_with("203.0.113.")));
    assert!(ips.iter().any(|ip| ip.starts_with("198.51.100.")));
}

// ---------------------------------------------------------------------------------------
// Problems

#[tokio::test]
async fn unauthorized_without_the_right_bearer_token() {
    let api = Api::start(SandboxConfig::default().token("s3cret")).await;
    let expected =
        json!({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"});
    let url = api.url("/2/connections");
    for request in [
        api.http.get(&url),
        api.http.get(&url).bearer_auth("wrong"),
        api.http.get(&url).bearer_auth(DEFAULT_TOKEN),
        api.http.get(&url).header("authorization", "Basic s3cret"),
        api.http.delete(api.url("/2/connections/all")),
        api.http.delete(&url).json(&json!({"uuids": ["x"]})),
    ] {
        let reply = api.send(request).await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.content_type(), "application/problem+json");
        assert_eq!(reply.json(), expected);
    }
    let ok = api.send(api.http.get(&url).bearer_auth("s3cret")).await;
    assert_eq!(ok.status, 200);
    assert!(!format!("{:?}", SandboxConfig::default().token("s3cret")).contains("s3cret"));
}

#[tokio::test]
async fn invalid_query_parameters_are_400_problems() {
    let api = Api::default().await;
    let reply = api.list("max_results=0").await;
    assert_eq!(
        reply.json(),
        json!({"errors":[{"parameters":{"max_results":["0"]},"message":"The `max_results` query parameter value [0] is not between 1 and 100"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.x.com/2/problems/invalid-request"})
    );
    for (query, parameter) in [
        ("max_results=0", "max_results"),
        ("max_results=101", "max_results"),
        ("max_results=ten", "max_results"),
        ("max_results=-1", "max_results"),
        ("endpoints=mystery_stream", "endpoints"),
        ("endpoints=sample_stream,mystery_stream", "endpoints"),
        ("status=gone", "status"),
        ("connection.fields=id,ip", "connection.fields"),
        ("status=all&status=active", "status"),
        ("max_results=5&max_results=5", "max_results"),
        ("statuss=all", "statuss"),
    ] {
        let body = assert_invalid_request(&api.list(query).await, parameter);
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(parameter)
        );
    }
    // Every invalid parameter is reported.
    let body = assert_invalid_request(&api.list("max_results=0&status=x").await, "status");
    assert_eq!(body["errors"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn invalid_terminate_requests_are_400_problems() {
    let api = Api::default().await;
    let reply = api.delete("/2/connections/mystery_stream", None).await;
    assert_invalid_request(&reply, "endpoint_id");

    for body in [
        json!({}),
        json!({"uuids": []}),
        json!({"uuids": "abc"}),
        json!({"uuids": [1, 2]}),
        json!({"uuids": vec!["x"; 101]}),
        json!({"uuids": ["x"], "force": true}),
        json!(["x"]),
    ] {
        let reply = api.delete("/2/connections", Some(body.clone())).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert_eq!(
            reply.json()["type"],
            "https://api.x.com/2/problems/invalid-request"
        );
    }
    for raw in ["", "{", "not json", "\u{0}"] {
        let reply = api
            .send(
                api.http
                    .delete(api.url("/2/connections"))
                    .bearer_auth(DEFAULT_TOKEN)
                    .header("content-type", "application/json")
                    .body(raw),
            )
            .await;
        assert_eq!(reply.status, 400, "{raw:?}");
        assert_eq!(reply.content_type(), "application/problem+json");
    }
    // Nothing was terminated by any of that.
    assert!(api.ids("status=all").await.len() == 250);
    let before = api.ids("status=active").await.len();
    let reply = api
        .delete("/2/connections", Some(json!({"uuids": vec!["nope"; 100]})))
        .await;
    assert_eq!(reply.status, 200, "100 uuids is allowed");
    assert_eq!(api.ids("status=active").await.len(), before);
}

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let api = Api::default().await;
    let expected =
        json!({"title":"Not Found","type":"about:blank","status":404,"detail":"Not Found"});
    for (method, path) in [
        (reqwest::Method::POST, "/2/connections"),
        (reqwest::Method::PUT, "/2/connections"),
        (reqwest::Method::GET, "/2/connections/all"),
        (reqwest::Method::GET, "/2/connections/filtered_stream"),
        (reqwest::Method::DELETE, "/2/connections/"),
        (reqwest::Method::DELETE, "/2/connections/all/more"),
        (reqwest::Method::GET, "/2/tweets"),
        (reqwest::Method::GET, "/"),
    ] {
        let reply = api
            .send(
                api.http
                    .request(method.clone(), api.url(path))
                    .bearer_auth(DEFAULT_TOKEN),
            )
            .await;
        assert_eq!(reply.status, 404, "{method} {path}");
        assert_eq!(reply.content_type(), "application/problem+json");
        assert_eq!(reply.json(), expected);
    }
}

// ---------------------------------------------------------------------------------------
// Terminating

/// The inactive view of `ids`: each must be terminated by the operator after the epoch.
async fn assert_operator_disconnected(api: &Api, ids: &[String]) {
    let inactive = api
        .all_pages(
            "status=inactive&connection.fields=id,disconnect_reason,disconnected_at",
            100,
        )
        .await;
    for id in ids {
        let c = inactive
            .iter()
            .find(|c| c["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} is not inactive"));
        assert_eq!(c["disconnect_reason"], "operator_disconnect");
        assert!(c["disconnected_at"].as_str().unwrap() > EPOCH, "{c}");
    }
}

#[tokio::test]
async fn terminate_by_uuid() {
    let api = Api::default().await;
    let active = api.ids("status=active").await;
    let inactive = api.ids("status=inactive").await;
    let (a, b) = (active[0].clone(), active[3].clone());
    let stale = inactive[0].clone();
    let unknown = "00000000-0000-4000-8000-000000000000".to_owned();

    let reply = api
        .delete(
            "/2/connections",
            Some(json!({"uuids": [a, unknown, b, stale, a]})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let data = &reply.json()["data"];
    assert_eq!(data["successful_kills"], 2);
    assert_eq!(data["failed_kills"], 3);
    let results = data["results"].as_array().unwrap();
    let outcome: Vec<(&str, bool)> = results
        .iter()
        .map(|r| (r["uuid"].as_str().unwrap(), r["success"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        outcome,
        [
            (a.as_str(), true),
            (unknown.as_str(), false),
            (b.as_str(), true),
            (stale.as_str(), false),
            (a.as_str(), false),
        ]
    );
    for r in results {
        assert_eq!(r["success"] == false, r["error_message"].is_string(), "{r}");
    }
    assert_eq!(results[1]["error_message"], "Connection not found");
    assert_eq!(results[3]["error_message"], "Connection is not active");

    let now_active = api.ids("status=active").await;
    assert_eq!(now_active.len(), active.len() - 2);
    assert!(!now_active.contains(&a) && !now_active.contains(&b));
    assert_eq!(api.ids("status=inactive").await.len(), inactive.len() + 2);
    assert_operator_disconnected(&api, &[a, b]).await;
}

#[tokio::test]
async fn terminate_by_endpoint() {
    let api = Api::default().await;
    let target = api.ids("status=active&endpoints=filtered_stream").await;
    let others = api.ids("status=active&endpoints=sample_stream").await;
    assert!(!target.is_empty());

    let reply = api.delete("/2/connections/filtered_stream", None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let data = &reply.json()["data"];
    assert_eq!(data["successful_kills"], target.len());
    assert_eq!(data["failed_kills"], 0);
    let killed: HashSet<&str> = data["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(killed, target.iter().map(String::as_str).collect());

    let after = api.list("status=active&endpoints=filtered_stream").await;
    assert_eq!(after.json(), json!({"meta": {"result_count": 0}}));
    assert_eq!(
        api.ids("status=active&endpoints=sample_stream").await,
        others
    );
    assert_operator_disconnected(&api, &target).await;

    // Again: nothing left to end.
    let again = api.delete("/2/connections/filtered_stream", None).await;
    assert_eq!(again.json()["data"]["successful_kills"], 0);
}

#[tokio::test]
async fn terminate_all() {
    let api = Api::default().await;
    let active = api.ids("status=active").await;
    let reply = api.delete("/2/connections/all", None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let data = &reply.json()["data"];
    assert_eq!(data["successful_kills"], active.len());
    assert_eq!(data["failed_kills"], 0);
    assert_eq!(data["results"].as_array().unwrap().len(), active.len());

    assert!(api.ids("status=active").await.is_empty());
    assert_eq!(api.ids("status=inactive").await.len(), 250);
    assert_operator_disconnected(&api, &active).await;

    let again = api.delete("/2/connections/all", None).await;
    assert_eq!(
        again.json(),
        json!({"data": {"successful_kills": 0, "failed_kills": 0, "results": []}})
    );
}

// ---------------------------------------------------------------------------------------
// Faults

#[tokio::test]
async fn rate_limit_after_n_requests() {
    let api = Api::start(SandboxConfig::default().rate_limit_after(3)).await;
    for remaining in ["2", "1", "0"] {
        let reply = api.list("").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("x-rate-limit-limit"), Some("3"));
        assert_eq!(reply.header("x-rate-limit-remaining"), Some(remaining));
    }
    let before = unix_now();
    for _ in 0..2 {
        let reply = api.list("").await;
        assert_eq!(reply.status, 429);
        assert_eq!(reply.content_type(), "application/problem+json");
        assert_eq!(
            reply.json(),
            json!({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})
        );
        assert_eq!(reply.header("x-rate-limit-limit"), Some("3"));
        assert_eq!(reply.header("x-rate-limit-remaining"), Some("0"));
        let reset: u64 = reply
            .header("x-rate-limit-reset")
            .and_then(|r| r.parse().ok())
            .expect("x-rate-limit-reset in unix seconds");
        assert!(reset > before && reset <= unix_now() + 61, "{reset}");
    }
    // DELETEs are limited too; a bad token is still a 401 (auth comes first).
    assert_eq!(api.delete("/2/connections/all", None).await.status, 429);
    let reply = api
        .send(api.http.get(api.url("/2/connections")).bearer_auth("wrong"))
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(api.sandbox.request_count(), 7);
}

#[tokio::test]
async fn unavailable_burst_then_service() {
    let api = Api::start(SandboxConfig::default().unavailable_burst(3)).await;
    let first = api.list("").await;
    assert_eq!(first.status, 503);
    assert!(first.content_type().starts_with("text/html"));
    assert!(first.body.contains("503"));
    let second = api.delete("/2/connections/all", None).await;
    assert_eq!(second.status, 503);
    assert!(second.body.is_empty());
    // The burst comes before routing and auth.
    let third = api.send(api.http.get(api.url("/nowhere"))).await;
    assert_eq!(third.status, 503);
    assert_eq!(api.list("").await.status, 200);
    assert_eq!(api.sandbox.request_count(), 4);
    // Nothing was terminated by the 503'd DELETE.
    assert!(!api.ids("status=active").await.is_empty());
}

#[tokio::test]
async fn usage_capped_is_not_a_rate_limit() {
    let api = Api::start(SandboxConfig::default().usage_capped(true)).await;
    for reply in [
        api.list("").await,
        api.list("max_results=0").await,
        api.delete("/2/connections/all", None).await,
    ] {
        assert_eq!(reply.status, 429);
        assert_eq!(reply.content_type(), "application/problem+json");
        let body = reply.json();
        assert_eq!(
            body["type"],
            "https://api.twitter.com/2/problems/usage-capped"
        );
        assert_eq!(body["title"], "UsageCapExceeded");
        assert_eq!(body["period"], "Monthly");
        let remaining: u32 = reply
            .header("x-rate-limit-remaining")
            .and_then(|r| r.parse().ok())
            .expect("x-rate-limit-remaining");
        assert!(remaining > 10, "far from 0: {remaining}");
    }
    let reply = api
        .send(api.http.get(api.url("/2/connections")).bearer_auth("wrong"))
        .await;
    assert_eq!(reply.status, 401);
}

#[tokio::test]
async fn latency_is_added_to_each_response() {
    let latency = Duration::from_millis(50);
    let api = Api::start(SandboxConfig::default().latency(latency)).await;
    for query in ["", "max_results=0"] {
        let started = Instant::now();
        let reply = api.list(query).await;
        let elapsed = started.elapsed();
        assert!(reply.status == 200 || reply.status == 400);
        assert!(elapsed >= latency, "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Lifecycle

#[tokio::test]
async fn shutdown_frees_the_port() {
    let api = Api::default().await;
    assert_eq!(api.list("").await.status, 200);
    let addr = api.sandbox.addr();
    assert_eq!(api.sandbox.base_url(), format!("http://{addr}"));
    assert!(format!("{:?}", api.sandbox).contains("redacted"));
    api.sandbox.shutdown().await;
    let rebound = tokio::net::TcpListener::bind(addr).await;
    assert!(rebound.is_ok(), "{rebound:?}");
    drop(rebound);
    assert!(
        api.http
            .get(format!("http://{addr}/2/connections"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn drop_stops_the_server() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let addr = sandbox.addr();
    assert!(
        tokio::net::TcpListener::bind(addr).await.is_err(),
        "port in use while running"
    );
    drop(sandbox);
    // The server task winds down on this runtime; give it turns, not time.
    for _ in 0..10_000 {
        if tokio::net::TcpListener::bind(addr).await.is_ok() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("port {addr} still taken after drop");
}

// ---------------------------------------------------------------------------------------
// Conformance to openapi/connections.json

/// A hand-written validator for the OpenAPI 3.0 schema subset the fragment uses.
struct Spec(Value);

impl Spec {
    fn load() -> Self {
        Self(serde_json::from_str(SPEC).expect("spec is JSON"))
    }

    fn resolve<'a>(&'a self, mut schema: &'a Value) -> &'a Value {
        while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let pointer = reference.strip_prefix('#').expect("local $ref");
            schema = self
                .0
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {reference}"));
        }
        schema
    }

    /// The schema of the response `status` of `method path` for `content_type`.
    fn response_schema(&self, path: &str, method: &str, status: u16, content_type: &str) -> &Value {
        let responses = &self.0["paths"][path][method]["responses"];
        let response = responses
            .get(status.to_string())
            .unwrap_or(&responses["default"]);
        let media = content_type.split(';').next().unwrap_or("").trim();
        response["content"]
            .get(media)
            .map(|c| &c["schema"])
            .unwrap_or_else(|| panic!("{method} {path} {status}: no schema for {media}"))
    }

    /// Checks `instance`; `strict` also refuses properties the schema does not declare.
    fn check(&self, schema: &Value, instance: &Value, strict: bool) -> Vec<String> {
        let mut errors = Vec::new();
        self.walk(schema, instance, "$", strict, &mut errors);
        errors
    }

    fn walk(
        &self,
        schema: &Value,
        instance: &Value,
        at: &str,
        strict: bool,
        errors: &mut Vec<String>,
    ) {
        let schema = self.resolve(schema);
        if instance.is_null() && schema["nullable"] == true {
            return;
        }
        if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
            if let Some(discriminator) = schema.get("discriminator") {
                let property = discriminator["propertyName"]
                    .as_str()
                    .expect("propertyName");
                let tag = instance.get(property).and_then(Value::as_str).unwrap_or("");
                match discriminator["mapping"].get(tag) {
                    Some(target) => {
                        self.walk(&json!({ "$ref": target }), instance, at, strict, errors);
                    }
                    None => errors.push(format!(
                        "{at}: {property} [{tag}] is not in the discriminator mapping"
                    )),
                }
            } else {
                let matching = variants
                    .iter()
                    .filter(|v| self.check(v, instance, strict).is_empty())
                    .count();
                if matching != 1 {
                    errors.push(format!("{at}: matches {matching} oneOf variants"));
                }
            }
            return;
        }
        if let Some(ty) = schema.get("type").and_then(Value::as_str) {
            let ok = match ty {
                "object" => instance.is_object(),
                "array" => instance.is_array(),
                "string" => instance.is_string(),
                "integer" => instance.is_i64() || instance.is_u64(),
                "number" => instance.is_number(),
                "boolean" => instance.is_boolean(),
                other => panic!("unknown type {other}"),
            };
            if !ok {
                errors.push(format!("{at}: {instance} is not of type {ty}"));
                return;
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(instance)
        {
            errors.push(format!("{at}: {instance} is not one of {allowed:?}"));
        }
        match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => {
                let text = instance.as_str().unwrap_or("");
                if chrono::DateTime::parse_from_rfc3339(text).is_err() {
                    errors.push(format!("{at}: [{text}] is not an RFC 3339 date-time"));
                }
            }
            Some("int32")
                if instance
                    .as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .is_none() =>
            {
                errors.push(format!("{at}: {instance} is not an int32"));
            }
            _ => {}
        }
        if let Some(object) = instance.as_object() {
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().expect("required name");
                if !object.contains_key(name) {
                    errors.push(format!("{at}: required property {name} is missing"));
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            let closed =
                schema["additionalProperties"] == false || (strict && properties.is_some());
            for (name, value) in object {
                match properties.and_then(|p| p.get(name)) {
                    Some(property) => {
                        self.walk(property, value, &format!("{at}.{name}"), strict, errors);
                    }
                    None if closed => errors.push(format!("{at}: undeclared property {name}")),
                    None => {}
                }
            }
        }
        if let Some(items) = instance.as_array() {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    self.walk(item_schema, item, &format!("{at}[{i}]"), strict, errors);
                }
            }
            if let Some(min) = schema["minItems"].as_u64()
                && (items.len() as u64) < min
            {
                errors.push(format!("{at}: fewer than {min} items"));
            }
            if let Some(max) = schema["maxItems"].as_u64()
                && (items.len() as u64) > max
            {
                errors.push(format!("{at}: more than {max} items"));
            }
            if schema["uniqueItems"] == true {
                let distinct: HashSet<String> = items.iter().map(Value::to_string).collect();
                if distinct.len() != items.len() {
                    errors.push(format!("{at}: items are not unique"));
                }
            }
        }
    }

    /// Asserts `reply` conforms to the fragment's schema for `method path` and its status.
    /// 2xx bodies are checked strictly: no undeclared property anywhere.
    fn assert_conforms(&self, path: &str, method: &str, reply: &Reply) {
        let schema = self.response_schema(path, method, reply.status, reply.content_type());
        let strict = (200..300).contains(&reply.status);
        let errors = self.check(schema, &reply.json(), strict);
        assert!(
            errors.is_empty(),
            "{method} {path} -> {}: {errors:#?}\n{}",
            reply.status,
            reply.body
        );
    }
}

#[test]
fn validator_catches_violations() {
    let spec = Spec::load();
    let schema = json!({"$ref": "#/components/schemas/DeleteConnectionsByUuidsResponse"});
    let good = json!({"data": {"successful_kills": 1, "failed_kills": 0, "results": [{"uuid": "a", "success": true}]}});
    assert!(spec.check(&schema, &good, true).is_empty());
    for bad in [
        json!({"data": {"successful_kills": 1}}),
        json!({"data": {"successful_kills": "1", "failed_kills": 0}}),
        json!({"data": {"successful_kills": 1, "failed_kills": 0, "results": [{"uuid": "a"}]}}),
        json!({"data": {"successful_kills": 1, "failed_kills": 0, "results": [{"uuid": "a", "success": true, "x": 1}]}}),
        json!({"data": {"successful_kills": 1, "failed_kills": 0, "results": {}}}),
    ] {
        assert!(!spec.check(&schema, &bad, false).is_empty(), "{bad}");
    }
    let history = json!({"$ref": "#/components/schemas/GetConnectionHistoryResponse"});
    assert!(
        !spec
            .check(
                &history,
                &json!({"data": [{"connected_at": "yesterday"}]}),
                false
            )
            .is_empty()
    );
    assert!(
        !spec
            .check(&history, &json!({"data": [{"endpoint": "x"}]}), true)
            .is_empty()
    );
    let problem = json!({"$ref": "#/components/schemas/Problem"});
    assert!(
        !spec
            .check(
                &problem,
                &json!({"type": "about:blank", "title": "x"}),
                false
            )
            .is_empty()
    );
    assert!(
        !spec
            .check(
                &problem,
                &json!({"type": "https://api.x.com/2/problems/invalid-request"}),
                false
            )
            .is_empty()
    );
}

#[test]
fn sandbox_vocabulary_matches_the_spec() {
    let spec = Spec::load();
    let get = &spec.0["paths"]["/2/connections"]["get"]["parameters"];
    let endpoints = get
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "endpoints")
        .unwrap();
    assert_eq!(endpoints["schema"]["items"]["enum"], json!(ENDPOINTS));
    let path_param = &spec.0["paths"]["/2/connections/{endpoint_id}"]["delete"]["parameters"][0];
    assert_eq!(path_param["schema"]["enum"], json!(ENDPOINTS));
    let fields =
        &spec.0["components"]["parameters"]["ConnectionFieldsParameter"]["schema"]["items"]["enum"];
    assert_eq!(*fields, json!(CONNECTION_FIELDS));
}

#[tokio::test]
async fn responses_conform_to_the_spec() {
    let spec = Spec::load();
    let api = Api::default().await;
    let list = "/2/connections";
    let all_fields = format!("connection.fields={}", CONNECTION_FIELDS.join(","));

    for query in [
        String::new(),
        "status=all&max_results=100".to_owned(),
        format!("status=all&max_results=100&{all_fields}"),
        format!("status=inactive&{all_fields}"),
        "status=active&endpoints=tweet_label_stream&connection.fields=id".to_owned(),
    ] {
        let reply = api.list(&query).await;
        assert_eq!(reply.status, 200);
        spec.assert_conforms(list, "get", &reply);
    }
    for query in [
        "max_results=0",
        "max_results=101",
        "endpoints=nope",
        "pagination_token=x",
    ] {
        let reply = api.list(query).await;
        assert_eq!(reply.status, 400);
        spec.assert_conforms(list, "get", &reply);
    }

    let ids = api.ids("status=active").await;
    let reply = api
        .delete(list, Some(json!({"uuids": [ids[0], "missing"]})))
        .await;
    spec.assert_conforms(list, "delete", &reply);
    let reply = api.delete(list, Some(json!({"uuids": []}))).await;
    assert_eq!(reply.status, 400);
    spec.assert_conforms(list, "delete", &reply);

    let by_endpoint = "/2/connections/{endpoint_id}";
    let reply = api.delete("/2/connections/sample_stream", None).await;
    assert_eq!(reply.status, 200);
    spec.assert_conforms(by_endpoint, "delete", &reply);
    let reply = api.delete("/2/connections/nope", None).await;
    assert_eq!(reply.status, 400);
    spec.assert_conforms(by_endpoint, "delete", &reply);

    let reply = api.delete("/2/connections/all", None).await;
    assert_eq!(reply.status, 200);
    spec.assert_conforms("/2/connections/all", "delete", &reply);
    let reply = api.delete("/2/connections/all", None).await;
    spec.assert_conforms("/2/connections/all", "delete", &reply);

    // After terminations: the listing still conforms (operator_disconnect entries included).
    let reply = api
        .list(&format!("status=all&max_results=100&{all_fields}"))
        .await;
    spec.assert_conforms(list, "get", &reply);

    // X's `about:blank` problems (401, 404, 429) are what the API really sends but are not
    // in the fragment's `Problem` union; check them as RFC 7807 problems instead.
    let reply = api.send(api.http.get(api.url(list))).await;
    assert_eq!(reply.status, 401);
    let body = reply.json();
    assert_eq!(sorted_keys(&body), ["detail", "status", "title", "type"]);
    assert_eq!(body["status"], 401);
}
