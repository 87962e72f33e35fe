//! Input is checked before anything is sent: every invalid listing and
//! termination is `Error::InvalidInput` naming the field, and a catch-all
//! mock proves zero requests reached the server (through `send`, `pages` and
//! `stream` alike).

use futures::{StreamExt, TryStreamExt};
use httpmock::Mock;
use httpmock::prelude::*;
use xconn_ext::{
    ConnectionField, Error, ListConnections, MAX_RESULTS_LIMIT, MAX_UUIDS_PER_REQUEST,
    StreamEndpoint,
};

use crate::support::mock::json_ok;
use crate::support::{assert_no_token, client};

/// Answers anything with an empty page, counting every request.
async fn catch_all(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|_when, then| {
            json_ok(then, r#"{"meta":{"result_count":0}}"#);
        })
        .await
}

fn field_of(error: &Error) -> String {
    match error {
        Error::InvalidInput(input) => input.field().to_owned(),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

/// Runs `make()` through `send`, `pages` and `stream`; each must fail with
/// InvalidInput on `field` as the first (and only) item.
async fn assert_rejected(make: impl Fn() -> ListConnections, field: &str) {
    let error = make().send().await.unwrap_err();
    assert_eq!(field_of(&error), field, "send: {error}");
    assert!(!error.is_retryable());
    assert_eq!(error.status(), None);
    assert_no_token(&error);
    assert!(error.to_string().contains(field), "{error}");

    let mut pages = make().pages();
    let error = pages.try_next().await.unwrap_err();
    assert_eq!(field_of(&error), field, "pages: {error}");
    assert!(pages.next().await.is_none(), "pages ends after the error");

    let mut records = make().stream();
    let error = records.try_next().await.unwrap_err();
    assert_eq!(field_of(&error), field, "stream: {error}");
    assert!(
        records.next().await.is_none(),
        "stream ends after the error"
    );
}

#[tokio::test]
async fn invalid_listings_send_nothing() {
    let server = MockServer::start_async().await;
    let mock = catch_all(&server).await;
    let c = client(&server);

    assert_rejected(|| c.connections().max_results(0), "max_results").await;
    assert_rejected(
        || c.connections().max_results(MAX_RESULTS_LIMIT + 1),
        "max_results",
    )
    .await;
    assert_rejected(|| c.connections().max_results(u32::MAX), "max_results").await;
    let bad_endpoints = [
        vec![],
        vec![
            StreamEndpoint::FilteredStream,
            StreamEndpoint::SampleStream,
            StreamEndpoint::FilteredStream,
        ],
        vec![StreamEndpoint::from_wire("future_stream")],
        vec![
            StreamEndpoint::FilteredStream,
            StreamEndpoint::from_wire(""),
        ],
        // The same wire name twice, once known, once from a raw string
        // (which is the known value again: an unknown value cannot hold a
        // known name).
        vec![
            StreamEndpoint::FilteredStream,
            StreamEndpoint::from_wire("filtered_stream"),
        ],
    ];
    for endpoints in bad_endpoints {
        assert_rejected(|| c.connections().endpoints(endpoints.clone()), "endpoints").await;
    }
    let bad_fields = [
        vec![],
        vec![
            ConnectionField::Id,
            ConnectionField::ClientIp,
            ConnectionField::Id,
        ],
    ];
    for fields in bad_fields {
        assert_rejected(
            || c.connections().fields(fields.clone()),
            "connection.fields",
        )
        .await;
    }
    assert_rejected(|| c.connections().pagination_token(""), "pagination_token").await;
    assert_rejected(
        || c.connections().pagination_token("abc\ndef"),
        "pagination_token",
    )
    .await;

    assert_eq!(mock.calls_async().await, 0, "nothing reached the server");

    // The boundaries are accepted (and the catch-all proves they are sent).
    c.connections().max_results(1).send().await.unwrap();
    c.connections()
        .max_results(MAX_RESULTS_LIMIT)
        .send()
        .await
        .unwrap();
    c.connections()
        .endpoints(StreamEndpoint::ALL.iter().cloned())
        .fields(ConnectionField::ALL.iter().cloned())
        .max_pages(1)
        .send()
        .await
        .unwrap();
    assert_eq!(mock.calls_async().await, 3);
}

/// `max_pages(0)` is refused by `send` (documented "at least 1"), but
/// `pages()`/`stream()` check the cap before validating and silently end.
#[tokio::test]
async fn max_pages_zero_is_refused_by_every_entry_point() {
    let server = MockServer::start_async().await;
    let mock = catch_all(&server).await;
    let c = client(&server);
    assert_rejected(|| c.connections().max_pages(0), "max_pages").await;
    // It must not hide another invalid parameter either.
    let mut pages = c.connections().max_results(0).max_pages(0).pages();
    assert!(matches!(
        pages.try_next().await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(mock.calls_async().await, 0);
}

#[tokio::test]
async fn max_pages_zero_is_refused_by_send() {
    let server = MockServer::start_async().await;
    let mock = catch_all(&server).await;
    let error = client(&server)
        .connections()
        .max_pages(0)
        .send()
        .await
        .unwrap_err();
    assert_eq!(field_of(&error), "max_pages");
    assert_eq!(mock.calls_async().await, 0);
}

#[tokio::test]
async fn invalid_terminations_send_nothing() {
    let server = MockServer::start_async().await;
    let mock = catch_all(&server).await;
    let c = client(&server);

    let cases: Vec<Vec<String>> = vec![
        vec![],
        vec![String::new()],
        vec!["   ".into()],
        vec!["6f3c1a52-0d1e-4b7a-9c7e-2f4a8b1d9e10".into(), String::new()],
        vec!["6f3c1a52 0d1e".into()],
        vec!["6f3c1a52-0d1e\n".into()],
        vec!["tab\there".into()],
    ];
    for uuids in cases {
        let error = c.terminate(uuids.clone()).await.unwrap_err();
        assert_eq!(field_of(&error), "uuids", "{uuids:?}: {error}");
        assert!(!error.is_retryable());
        assert_no_token(&error);
    }

    // A bad UUID late in a long list: rejected before the first batch goes.
    let mut many: Vec<String> = (0..MAX_UUIDS_PER_REQUEST * 2)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    many.push(String::new());
    let error = c.terminate(many).await.unwrap_err();
    assert_eq!(field_of(&error), "uuids");

    // Unknown endpoints cannot be terminated.
    for raw in ["future_stream", ""] {
        let error = c
            .terminate_endpoint(StreamEndpoint::from_wire(raw))
            .await
            .unwrap_err();
        assert_eq!(field_of(&error), "endpoint", "{raw:?}");
    }

    assert_eq!(mock.calls_async().await, 0, "nothing reached the server");
}
