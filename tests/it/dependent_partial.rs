//! What a service that depends on `xconn-ext` gets, tested the way such a
//! service would (issue 19, items 1 and 2): only the crate's public API,
//! httpmock on 127.0.0.1, `tokio::spawn`; none of this binary's `support`
//! helpers.
//!
//! - A listing whose pages carry partial errors (`errors` beside `data`)
//!   never loses them: `stream()` yields every record and then
//!   `Err(Error::PartialErrors)` holding all of them (strict by default),
//!   `allow_partial_errors()` accepts them, and the stream's side channel
//!   (`partial_errors()`, `rate_limit()`) can be read at any time.
//! - A duplicates plan is never made from such a listing unless asked for
//!   with `plan_duplicates_allowing_partial_errors`, and the watch's guard
//!   ends nothing from it (it warns instead).
//! - By default the library asks for every `connection.fields` (so `id` is
//!   there, as the first examples print it); `.fields()` narrows it.

use futures::{StreamExt, TryStreamExt};
use httpmock::Then;
use httpmock::prelude::*;
use serde_json::{Value, json};
use xconn_ext::{Client, ConnectionField, Error, PartialErrors, RetryPolicy};

const TOKEN: &str = "dependent-test-token";

fn client(server: &MockServer) -> Client {
    Client::builder()
        .bearer_token(TOKEN)
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("a client of the mock")
}

/// Answer 200 with the JSON `body`.
fn json_200(then: Then, body: impl Into<String>) -> Then {
    then.status(200)
        .header("content-type", "application/json")
        .body(body.into())
}

/// A connection as the API sends it, with every field.
fn record(id: &str) -> Value {
    json!({
        "id": id,
        "endpoint_name": "filtered_stream",
        "client_ip": "203.0.113.7",
        "connected_at": "2026-01-05T09:12:44Z",
    })
}

/// A partial error as X sends it beside `data`.
fn partial(detail: &str) -> Value {
    json!({
        "type": "https://api.twitter.com/2/problems/resource-not-found",
        "title": "Not Found Error",
        "detail": detail,
    })
}

/// A page of `ids` with `errors`, pointing to `next` when given.
fn page(ids: &[&str], errors: &[&str], next: Option<&str>) -> String {
    let mut body = json!({
        "data": ids.iter().map(|id| record(id)).collect::<Vec<_>>(),
        "meta": { "result_count": ids.len() },
    });
    if let Some(next) = next {
        body["meta"]["next_token"] = json!(next);
    }
    if !errors.is_empty() {
        body["errors"] = errors.iter().map(|d| partial(d)).collect();
    }
    body.to_string()
}

/// Two pages: `a`, `b` with one partial error, then `c` with another; the
/// second answer says 7 requests are left.
fn two_pages_with_partial_errors(server: &MockServer) {
    server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param_missing("pagination_token");
        json_200(then, page(&["a", "b"], &["first"], Some("p2")))
            .header("x-rate-limit-remaining", "8");
    });
    server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param("pagination_token", "p2");
        json_200(then, page(&["c"], &["second"], None)).header("x-rate-limit-remaining", "7");
    });
}

fn details(errors: &[xconn_ext::Problem]) -> Vec<&str> {
    errors.iter().filter_map(|p| p.detail.as_deref()).collect()
}

#[tokio::test]
async fn stream_yields_every_record_then_ends_with_the_partial_errors() {
    let server = MockServer::start_async().await;
    two_pages_with_partial_errors(&server);
    let mut stream = client(&server).connections().stream();

    let first = stream
        .next()
        .await
        .expect("a record")
        .expect("not an error");
    assert_eq!(first.id.as_deref(), Some("a"));
    // The side channel, read mid-stream: the first page's error already.
    assert_eq!(details(stream.partial_errors()), ["first"]);
    assert_eq!(stream.rate_limit().and_then(|rl| rl.remaining), Some(8));

    let mut ids = vec![first.id.unwrap()];
    let end = loop {
        match stream.next().await.expect("the stream ends with an error") {
            Ok(connection) => ids.push(connection.id.expect("id asked for by default")),
            Err(error) => break error,
        }
    };
    assert_eq!(ids, ["a", "b", "c"], "every record comes before the error");
    let Error::PartialErrors(partial) = &end else {
        panic!("not PartialErrors: {end:?}");
    };
    assert_eq!(details(&partial.errors), ["first", "second"]);
    assert_eq!(partial.connections_read, 3);
    assert_eq!(partial.rate_limit.and_then(|rl| rl.remaining), Some(7));
    assert!(!end.is_retryable());
    // What a service does with it: keep a copy, box it, send it on.
    let copy: PartialErrors = (**partial).clone();
    let boxed: Box<dyn std::error::Error + Send + Sync + 'static> = Box::new(copy);
    assert!(boxed.to_string().contains("first"), "{boxed}");
    let text = end.to_string();
    assert!(
        text.contains("2 partial error(s)") && text.contains("second"),
        "{text}"
    );
    assert!(stream.next().await.is_none(), "nothing after the error");
    assert_eq!(details(stream.partial_errors()), ["first", "second"]);
}

#[tokio::test]
async fn try_collect_is_an_error_unless_partial_errors_are_allowed() {
    let server = MockServer::start_async().await;
    two_pages_with_partial_errors(&server);
    let client = client(&server);

    let strict: Result<Vec<_>, Error> = client.connections().stream().try_collect().await;
    assert!(
        matches!(&strict, Err(Error::PartialErrors(p)) if p.errors.len() == 2),
        "{strict:?}"
    );

    // Opted out, in a spawned task: the records, then the errors on the side.
    let mut stream = client.connections().allow_partial_errors().stream();
    let task = tokio::spawn(async move {
        let mut ids = Vec::new();
        while let Some(connection) = stream.try_next().await? {
            ids.extend(connection.id);
        }
        Ok::<_, Error>((ids, stream))
    });
    let (ids, stream) = task.await.expect("the task ran").expect("no error");
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(details(stream.partial_errors()), ["first", "second"]);
    assert_eq!(stream.rate_limit().and_then(|rl| rl.remaining), Some(7));
}

#[tokio::test]
async fn a_clean_listing_ends_without_error() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        json_200(then, page(&["a"], &[], None));
    });
    let all: Vec<_> = client(&server)
        .connections()
        .stream()
        .try_collect()
        .await
        .expect("no partial errors, no error");
    assert_eq!(all.len(), 1);
}

#[tokio::test]
async fn plan_duplicates_refuses_a_listing_with_partial_errors_unless_told() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param("status", "active");
        json_200(
            then,
            page(
                &["old", "new"],
                &["some connections could not be read"],
                None,
            ),
        );
    });
    let deletes = server.mock(|when, then| {
        when.method(DELETE);
        then.status(500);
    });
    let client = client(&server);

    let refused = client.plan_duplicates(1, &[]).await.unwrap_err();
    let Error::PartialErrors(partial) = &refused else {
        panic!("not PartialErrors: {refused:?}");
    };
    assert_eq!(
        details(&partial.errors),
        ["some connections could not be read"]
    );
    assert!(client.active_connections(&[]).await.is_err(), "strict too");

    let plan = client
        .plan_duplicates_allowing_partial_errors(1, &[])
        .await
        .expect("accepted when asked");
    assert_eq!(
        details(plan.partial_errors()),
        ["some connections could not be read"]
    );
    assert_eq!(plan.to_end().len(), 1, "{plan:?}");
    deletes.assert_calls(0);
}

#[tokio::test]
async fn every_field_is_asked_for_by_default_and_fields_narrows_it() {
    let server = MockServer::start_async().await;
    let every_field = xconn_sdk::spec::CONNECTION_FIELDS.join(",");
    let by_default = server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param("connection.fields", every_field.as_str());
        json_200(then, page(&["a"], &[], None));
    });
    let narrowed = server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param("connection.fields", "id");
        json_200(
            then,
            json!({"data": [{"id": "a"}], "meta": {"result_count": 1}}).to_string(),
        );
    });
    let client = client(&server);

    let page = client
        .connections()
        .send()
        .await
        .expect("the default query");
    let connection = &page.connections[0];
    assert_eq!(connection.id.as_deref(), Some("a"));
    assert!(connection.endpoint.is_some() && connection.connected_at.is_some());
    by_default.assert_calls(1);

    let page = client
        .connections()
        .fields([ConnectionField::Id])
        .send()
        .await
        .expect("the narrowed query");
    assert_eq!(page.connections[0].id.as_deref(), Some("a"));
    narrowed.assert_calls(1);
}

#[tokio::test]
async fn the_watch_warns_of_partial_errors_and_its_guard_ends_nothing_from_them() {
    use xconn_ext::sandbox::RecordingSleep;
    use xconn_ext::{EventKind, WarningKind, WatchEvent};

    let server = MockServer::start_async().await;
    let duplicated = |id: &str, at: &str| json!({"id": id, "endpoint_name": "filtered_stream", "connected_at": at});
    let active = json!({
        "data": [
            duplicated("old", "2026-01-01T00:00:00Z"),
            duplicated("new", "2026-01-02T00:00:00Z"),
        ],
        "meta": {"result_count": 2},
        "errors": [partial("the active list is incomplete")],
    });
    server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param("status", "active");
        json_200(then, active.to_string());
    });
    server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .query_param("status", "inactive");
        json_200(then, page(&[], &[], None));
    });
    let deletes = server.mock(|when, then| {
        when.method(DELETE);
        then.status(500);
    });

    let mut events = client(&server)
        .watch()
        .terminate_duplicates(1)
        .sleep_impl(RecordingSleep::shared())
        .stream();
    let mut warnings = Vec::new();
    loop {
        let item = tokio::time::timeout(std::time::Duration::from_secs(30), events.next())
            .await
            .expect("the watch yields in time")
            .expect("the watch goes on")
            .expect("no error");
        match item {
            WatchEvent::Warning(w) => warnings.push(w),
            WatchEvent::Connection(e) => assert_ne!(e.kind, EventKind::Terminated, "{e:?}"),
            WatchEvent::Polled(_) => break,
            _ => {}
        }
    }
    assert!(
        warnings
            .iter()
            .all(|w| w.kind == WarningKind::PartialErrors),
        "{warnings:?}"
    );
    let texts: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts[0].contains("the active list is incomplete"),
        "{texts:?}"
    );
    assert!(texts[1].contains("duplicates guard skipped"), "{texts:?}");
    drop(events);
    deletes.assert_calls(0);
}
