//! Every failure shape X (and the proxies in front of it) sends, over real
//! HTTP, mapped to the right `Error` case and `ProblemKind`: the problem type
//! slugs under both hosts, `about:blank` by status, X's legacy shape, empty,
//! HTML and truncated bodies, rate limits vs usage caps, and `200`s that do
//! not decode. Retries are disabled, so each case is exactly one request.

use std::time::Duration;

use httpmock::prelude::*;
use serde_json::{Value, json};
use xconn_ext::{ABOUT_BLANK, ApiError, Error, ProblemKind, RateLimited};

use crate::support::fixtures::{
    BAD_GATEWAY, CLIENT_FORBIDDEN, INVALID_REQUEST, LEGACY_401, LEGACY_429, TOO_MANY, UNAUTHORIZED,
    USAGE_CAPPED,
};
use crate::support::mock::{authorized, list_page};
use crate::support::{assert_no_token, client, unix_now};

const PROBLEM_JSON: &str = "application/problem+json";
const JSON_UTF8: &str = "application/json; charset=utf-8";

/// A response to serve.
struct Reply<'a> {
    status: u16,
    content_type: Option<&'a str>,
    headers: Vec<(&'a str, String)>,
    body: &'a str,
}

impl<'a> Reply<'a> {
    fn new(status: u16, content_type: &'a str, body: &'a str) -> Self {
        Self {
            status,
            content_type: Some(content_type),
            headers: Vec::new(),
            body,
        }
    }

    fn header(mut self, name: &'a str, value: impl ToString) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }
}

/// Serve `reply` to a listing and return the error, checking that exactly
/// one request was sent and that the token is nowhere in the error.
async fn list_error(reply: Reply<'_>) -> Error {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            authorized(when, GET, "/2/connections");
            let mut then = then.status(reply.status);
            if let Some(ct) = reply.content_type {
                then = then.header("content-type", ct);
            }
            for (name, value) in &reply.headers {
                then = then.header(*name, value);
            }
            then.body(reply.body);
        })
        .await;
    let result = client(&server).connections().send().await;
    assert_eq!(mock.calls_async().await, 1, "exactly one request");
    let error = result.expect_err("an error status must be an Err");
    assert_no_token(&error);
    error
}

fn api(error: &Error) -> &ApiError {
    match error {
        Error::Api(e) => e,
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

fn rate_limited(error: &Error) -> &RateLimited {
    match error {
        Error::RateLimited(e) => e,
        other => panic!("expected Error::RateLimited, got {other:?}"),
    }
}

/// The nine problem types of spec 2.167, with a status X sends them with.
const SPEC_SLUGS: [(&str, u16, ProblemKind); 9] = [
    ("invalid-request", 400, ProblemKind::InvalidRequest),
    ("resource-not-found", 404, ProblemKind::ResourceNotFound),
    (
        "not-authorized-for-resource",
        403,
        ProblemKind::NotAuthorizedForResource,
    ),
    (
        "not-authorized-for-field",
        403,
        ProblemKind::NotAuthorizedForField,
    ),
    ("field-unauthorized", 403, ProblemKind::FieldUnauthorized),
    (
        "field-hydration-failure",
        400,
        ProblemKind::FieldHydrationFailure,
    ),
    (
        "resource-unavailable",
        403,
        ProblemKind::ResourceUnavailable,
    ),
    ("disallowed-resource", 403, ProblemKind::DisallowedResource),
    ("internal-error", 500, ProblemKind::InternalError),
];

/// Problem types X sends that the spec does not list.
const OTHER_SLUGS: [(&str, u16, ProblemKind); 3] = [
    ("usage-capped", 429, ProblemKind::UsageCapped),
    ("client-forbidden", 403, ProblemKind::ClientForbidden),
    (
        "unsupported-authentication",
        403,
        ProblemKind::UnsupportedAuthentication,
    ),
];

const HOSTS: [&str; 2] = ["https://api.x.com", "https://api.twitter.com"];

#[tokio::test]
async fn every_problem_type_under_both_hosts_and_both_content_types() {
    for (slug, status, kind) in SPEC_SLUGS.iter().chain(&OTHER_SLUGS) {
        for host in HOSTS {
            for content_type in [PROBLEM_JSON, JSON_UTF8] {
                let type_uri = format!("{host}/2/problems/{slug}");
                let body = json!({
                    "type": type_uri,
                    "title": format!("Title of {slug}"),
                    "detail": format!("Detail of {slug}"),
                    "status": status,
                })
                .to_string();
                let error = list_error(Reply::new(*status, content_type, &body)).await;
                let case = format!("{type_uri} ({content_type})");
                let e = api(&error);
                assert_eq!(&e.kind, kind, "{case}");
                assert_eq!(e.status, *status, "{case}");
                assert_eq!(error.status(), Some(*status), "{case}");
                assert_eq!(error.problem_kind(), Some(kind), "{case}");
                assert_eq!(e.problem.type_uri, type_uri, "{case}");
                assert_eq!(
                    e.problem.title.as_deref(),
                    Some(format!("Title of {slug}").as_str())
                );
                assert_eq!(
                    e.problem.detail.as_deref(),
                    Some(format!("Detail of {slug}").as_str())
                );
                assert_eq!(e.problem.status, Some(*status));
                assert_eq!(e.content_type.as_deref(), Some(content_type), "{case}");
                assert_eq!(e.body_excerpt, None, "a problem body is not an excerpt");
                // Only X failing is worth sending again unchanged.
                assert_eq!(
                    error.is_retryable(),
                    *kind == ProblemKind::InternalError,
                    "{case}"
                );
                assert_eq!(error.retry_after(), None, "{case}");
                let shown = error.to_string();
                assert!(shown.contains(&format!("Detail of {slug}")), "{shown}");
            }
        }
    }
}

#[tokio::test]
async fn about_blank_is_classified_by_the_http_status() {
    let cases = [
        // `None`: no kind of its own, the unknown case holding `about:blank`.
        (401, Some(ProblemKind::Unauthorized), false),
        (403, Some(ProblemKind::Forbidden), false),
        (404, Some(ProblemKind::NotFound), false),
        (500, Some(ProblemKind::ServerError), true),
        (502, Some(ProblemKind::ServerError), true),
        (503, Some(ProblemKind::ServerError), true),
        (504, Some(ProblemKind::ServerError), true),
        (400, None, false),
        (409, None, false),
    ];
    for (status, kind, retryable) in cases {
        let body = json!({ "type": "about:blank", "title": "T", "status": status }).to_string();
        for content_type in [PROBLEM_JSON, JSON_UTF8] {
            let error = list_error(Reply::new(status, content_type, &body)).await;
            match &kind {
                Some(kind) => assert_eq!(&api(&error).kind, kind, "{status} {content_type}"),
                None => assert_eq!(
                    unknown_uri(&api(&error).kind),
                    Some(ABOUT_BLANK),
                    "{status} {content_type}"
                ),
            }
            assert_eq!(error.is_retryable(), retryable, "{status}");
        }
    }

    // The status of the response decides, even if the body says otherwise
    // or says nothing.
    let error = list_error(Reply::new(401, PROBLEM_JSON, r#"{"title":"Unauthorized"}"#)).await;
    assert_eq!(api(&error).kind, ProblemKind::Unauthorized);

    // The real 401 body.
    let error = list_error(Reply::new(401, PROBLEM_JSON, UNAUTHORIZED)).await;
    let e = api(&error);
    assert_eq!(e.kind, ProblemKind::Unauthorized);
    assert_eq!(e.problem.detail.as_deref(), Some("Unauthorized"));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn about_blank_429_is_rate_limited_with_the_reset_as_retry_after() {
    let reset = unix_now() + 30;
    let reply = Reply::new(429, JSON_UTF8, TOO_MANY)
        .header("x-rate-limit-limit", 50)
        .header("x-rate-limit-remaining", 0)
        .header("x-rate-limit-reset", reset);
    let error = list_error(reply).await;
    let e = rate_limited(&error);
    assert_eq!(e.status, 429);
    assert_eq!(e.problem.title.as_deref(), Some("Too Many Requests"));
    let rl = e.rate_limit.expect("rate-limit headers read");
    assert_eq!((rl.limit, rl.remaining), (Some(50), Some(0)));
    assert_eq!(rl.reset.map(|r| r.timestamp() as u64), Some(reset));
    let wait = error.retry_after().expect("the reset is the retry time");
    assert!(
        wait > Duration::from_secs(28) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(error.problem_kind(), Some(&ProblemKind::TooManyRequests));
    assert_eq!(error.status(), Some(429));

    // `Retry-After` (seconds) is honoured too.
    let reply = Reply::new(429, PROBLEM_JSON, TOO_MANY).header("retry-after", 7);
    let error = list_error(reply).await;
    assert_eq!(
        rate_limited(&error).retry_after,
        Some(Duration::from_secs(7))
    );

    // Both: `Retry-After` wins over the window's reset (as documented on
    // `Error::retry_after`), whichever is sooner.
    for (retry_after, reset_in) in [(7, 600), (300, 20)] {
        let reply = Reply::new(429, PROBLEM_JSON, TOO_MANY)
            .header("x-rate-limit-remaining", 0)
            .header("x-rate-limit-reset", unix_now() + reset_in)
            .header("retry-after", retry_after);
        let error = list_error(reply).await;
        assert_eq!(error.retry_after(), Some(Duration::from_secs(retry_after)));
    }

    // Without any hint, there is no retry time, but it is still retryable.
    let error = list_error(Reply::new(429, PROBLEM_JSON, TOO_MANY)).await;
    assert_eq!(error.retry_after(), None);
    assert!(error.is_retryable());
}

#[tokio::test]
async fn usage_capped_429_is_final_not_a_rate_limit() {
    let reply = Reply::new(429, JSON_UTF8, USAGE_CAPPED)
        .header("x-rate-limit-limit", 500)
        .header("x-rate-limit-remaining", 450)
        .header("x-rate-limit-reset", unix_now() + 30)
        .header("retry-after", 30);
    let error = list_error(reply).await;
    let e = api(&error);
    assert_eq!(e.kind, ProblemKind::UsageCapped);
    assert_eq!(e.status, 429);
    assert!(!error.is_retryable());
    assert_eq!(error.retry_after(), None, "no wait helps a spent cap");
    assert_eq!(e.retry_after, None);
    assert_eq!(e.rate_limit.and_then(|rl| rl.remaining), Some(450));
    // The extension members are kept.
    assert_eq!(e.problem.extra["period"], json!("Monthly"));
    assert_eq!(e.problem.extra["scope"], json!("Product"));
    assert_eq!(e.problem.extra["product_name"], json!("standard-basic"));
    assert_eq!(e.problem.title.as_deref(), Some("UsageCapExceeded"));
}

#[tokio::test]
async fn legacy_error_shape() {
    // {"errors":[{"code":32,...}]} with 401: unauthorized.
    let error = list_error(Reply::new(401, JSON_UTF8, LEGACY_401)).await;
    let e = api(&error);
    assert_eq!(e.kind, ProblemKind::Unauthorized);
    assert_eq!(e.problem.legacy_code(), Some(32));
    assert_eq!(
        e.problem.messages().collect::<Vec<_>>(),
        ["Could not authenticate you."]
    );
    assert!(error.to_string().contains("Could not authenticate you."));
    assert!(!error.is_retryable());
    assert_eq!(e.body_excerpt, None);

    // Code 88 with 429: rate limited.
    let reset = unix_now() + 20;
    let reply = Reply::new(429, JSON_UTF8, LEGACY_429)
        .header("x-rate-limit-remaining", 0)
        .header("x-rate-limit-reset", reset);
    let error = list_error(reply).await;
    let e = rate_limited(&error);
    assert_eq!(e.problem.legacy_code(), Some(88));
    assert!(error.is_retryable());
    let wait = error.retry_after().expect("reset");
    assert!(wait > Duration::from_secs(18) && wait <= Duration::from_secs(20));
}

#[tokio::test]
async fn bodies_that_are_not_problems() {
    // Empty 503: a retryable server error with nothing to show.
    let error = list_error(Reply {
        status: 503,
        content_type: None,
        headers: Vec::new(),
        body: "",
    })
    .await;
    let e = api(&error);
    assert_eq!(e.kind, ProblemKind::ServerError);
    assert_eq!(e.problem.type_uri, ABOUT_BLANK);
    assert_eq!(e.problem.status, Some(503));
    assert_eq!(e.problem.title.as_deref(), Some("Service Unavailable"));
    assert_eq!(e.body_excerpt, None);
    assert!(error.is_retryable());

    // HTML from a proxy: kept as an excerpt.
    let error = list_error(Reply::new(502, "text/html", BAD_GATEWAY)).await;
    let e = api(&error);
    assert_eq!(e.kind, ProblemKind::ServerError);
    assert_eq!(e.content_type.as_deref(), Some("text/html"));
    let excerpt = e.body_excerpt.as_deref().expect("HTML excerpt");
    assert!(excerpt.starts_with("<html>"), "{excerpt}");
    assert!(excerpt.contains("502 Bad Gateway"), "{excerpt}");
    assert!(error.is_retryable());

    // Truncated JSON: not a problem; the status decides and the text is kept.
    let truncated = r#"{"title":"Internal Error","type":"https://api.x.com/2/probl"#;
    let error = list_error(Reply::new(500, PROBLEM_JSON, truncated)).await;
    let e = api(&error);
    assert_eq!(e.kind, ProblemKind::ServerError);
    assert_eq!(e.body_excerpt.as_deref(), Some(truncated));
    assert!(error.is_retryable());

    // JSON that is not shaped like a problem.
    let error = list_error(Reply::new(400, JSON_UTF8, r#"["nope"]"#)).await;
    let e = api(&error);
    assert_eq!(unknown_uri(&e.kind), Some(ABOUT_BLANK));
    assert_eq!(e.body_excerpt.as_deref(), Some(r#"["nope"]"#));

    // A huge HTML body: the excerpt is bounded.
    let huge = format!("<html>{}</html>", "x".repeat(200_000));
    let error = list_error(Reply::new(504, "text/html", &huge)).await;
    let excerpt = api(&error).body_excerpt.as_deref().unwrap();
    assert!(excerpt.len() <= xconn_ext::DecodeError::EXCERPT_BYTES);
    assert!(excerpt.starts_with("<html>xxx"));
}

#[tokio::test]
async fn unknown_problem_types_are_unknown_with_the_uri() {
    for type_uri in [
        "https://api.x.com/2/problems/brand-new-problem",
        "https://api.twitter.com/2/problems/",
        "https://example.com/probs/out-of-credit",
        "tag:x.com,2026:problem",
    ] {
        let body = json!({ "type": type_uri, "title": "New" }).to_string();
        let error = list_error(Reply::new(400, PROBLEM_JSON, &body)).await;
        let e = api(&error);
        assert_eq!(unknown_uri(&e.kind), Some(type_uri));
        assert_eq!(e.kind.to_string(), type_uri);
        assert!(!error.is_retryable());
    }
}

#[tokio::test]
async fn invalid_request_messages_are_surfaced() {
    let error = list_error(Reply::new(400, JSON_UTF8, INVALID_REQUEST)).await;
    let e = api(&error);
    assert_eq!(e.kind, ProblemKind::InvalidRequest);
    let message = "The `max_results` query parameter value [1000] is not between 1 and 100";
    assert_eq!(e.problem.messages().collect::<Vec<_>>(), [message]);
    assert_eq!(
        e.problem.errors[0].parameters["max_results"],
        json!(["1000"])
    );
    assert!(e.problem.to_string().contains(message));
    let shown = error.to_string();
    assert!(shown.contains(message), "{shown}");
    assert!(shown.contains("400"), "{shown}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn extension_members_are_kept_and_round_trip() {
    let error = list_error(Reply::new(403, JSON_UTF8, CLIENT_FORBIDDEN)).await;
    let e = api(&error);
    assert_eq!(e.kind, ProblemKind::ClientForbidden);
    assert!(!error.is_retryable());
    let extra = &e.problem.extra;
    assert_eq!(extra["reason"], json!("client-not-enrolled"));
    assert_eq!(
        extra["registration_url"],
        json!("https://developer.twitter.com/en/docs/projects/overview")
    );
    assert_eq!(extra["client_id"], json!("27988566"));
    assert_eq!(
        extra["required_enrollment"],
        json!("Appropriate Level of API Access")
    );
    // Nothing lost: the problem serializes back to the body that was sent.
    for raw in [
        CLIENT_FORBIDDEN,
        USAGE_CAPPED,
        INVALID_REQUEST,
        UNAUTHORIZED,
    ] {
        let sent: Value = serde_json::from_str(raw).unwrap();
        let problem = xconn_ext::Problem::from_slice(raw.as_bytes()).unwrap();
        assert_eq!(serde_json::to_value(&problem).unwrap(), sent);
    }
}

#[tokio::test]
async fn a_server_error_with_retry_after_reports_it() {
    let reply = Reply::new(503, PROBLEM_JSON, r#"{"type":"about:blank","status":503}"#)
        .header("retry-after", 12);
    let error = list_error(reply).await;
    assert_eq!(api(&error).retry_after, Some(Duration::from_secs(12)));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(12)));
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_200_with_html_is_a_decode_error_with_an_excerpt() {
    let error = list_error(Reply::new(200, "text/html", BAD_GATEWAY)).await;
    let Error::Decode(e) = &error else {
        panic!("expected Error::Decode, got {error:?}")
    };
    assert_eq!(e.status, 200);
    assert_eq!(error.status(), Some(200));
    assert!(e.excerpt.starts_with("<html>"), "{}", e.excerpt);
    assert!(e.excerpt.contains("502 Bad Gateway"));
    assert!(!error.is_retryable());
    assert_eq!(error.problem(), None);
}

#[tokio::test]
async fn a_200_with_a_bad_member_names_its_json_path() {
    let body = json!({
        "data": [
            { "id": "1", "connected_at": "2026-01-05T09:12:44Z" },
            { "id": "2", "connected_at": "yesterday afternoon" }
        ],
        "meta": { "result_count": 2 }
    })
    .to_string();
    let error = list_error(Reply::new(200, "application/json", &body)).await;
    let Error::Decode(e) = &error else {
        panic!("expected Error::Decode, got {error:?}")
    };
    assert_eq!(e.status, 200);
    assert_eq!(e.path.as_deref(), Some("data[1].connected_at"));
    assert!(e.excerpt.contains("yesterday afternoon"), "{}", e.excerpt);
    assert!(!e.reason.is_empty());
    assert!(std::error::Error::source(e.as_ref()).is_some());
    let shown = error.to_string();
    assert!(shown.contains("data[1].connected_at"), "{shown}");
    assert!(!error.is_retryable());
}

/// The `Content-Type` of a `200` that does not decode is known at the HTTP
/// level and is what tells "a captive portal's HTML" from "bad JSON";
/// `DecodeError::content_type` documents it as kept "when known".
#[tokio::test]
async fn a_200_decode_error_keeps_the_content_type() {
    let error = list_error(Reply::new(200, "text/html", BAD_GATEWAY)).await;
    let Error::Decode(e) = &error else {
        panic!("expected Error::Decode, got {error:?}")
    };
    assert_eq!(e.content_type.as_deref(), Some("text/html"));
}

/// A `200` whose partial error has a member of an unexpected JSON type. The
/// crate's `Problem` is documented as lenient ("a member of an unexpected JSON
/// type is kept in `extra` rather than failing"), and the data is good.
#[tokio::test]
async fn a_200_partial_error_with_an_odd_member_type_keeps_the_data() {
    let body = json!({
        "data": [{ "id": "1" }],
        "errors": [{
            "type": "https://api.x.com/2/problems/resource-not-found",
            "title": "Not Found Error",
            "status": "404"
        }]
    })
    .to_string();
    let server = MockServer::start_async().await;
    list_page(&server, body).await;
    let page = client(&server)
        .connections()
        .send()
        .await
        .expect("a partial error's odd member must not lose the page");
    assert_eq!(page.connections.len(), 1);
    assert_eq!(page.errors[0].kind(None), ProblemKind::ResourceNotFound);
    assert_eq!(page.errors[0].extra["status"], json!("404"));
}

/// The type URI an unknown problem kind holds; `None` for a known kind.
fn unknown_uri(kind: &ProblemKind) -> Option<&str> {
    match kind {
        ProblemKind::Unknown(uri) => Some(uri.as_str()),
        _ => None,
    }
}
