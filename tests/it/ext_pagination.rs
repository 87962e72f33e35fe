//! Pagination over real HTTP: many pages, resuming from a saved token, the
//! `max_pages` cap, the repeated-token guard, early stop with `take`, errors
//! mid-stream, and partial errors that come with data. Mock hit counts prove
//! exactly which requests were (not) sent.

use futures::{StreamExt, TryStreamExt};
use httpmock::Mock;
use httpmock::prelude::*;
use xconn_ext::{
    Connection, ConnectionField, ConnectionStatus, Error, ListConnections, Page, ProblemKind,
    StreamEndpoint,
};

use crate::support::fixtures::{DATA_AND_ERRORS, UNAUTHORIZED};
use crate::support::mock::{first_page, list_page, page_after, page_json};
use crate::support::{BEARER, TOKEN, client};

fn token(page: usize) -> String {
    format!("tok-{page:02}")
}

fn ids(page: usize, per_page: usize) -> Vec<String> {
    (0..per_page).map(|j| format!("p{page:02}-c{j}")).collect()
}

/// `pages` mocks: page 1 answers a request without a token, page `i > 1`
/// answers `pagination_token=tok-i`; each requires the same filters, so every
/// page is proven to carry them. Page `i < pages` points to page `i + 1`.
async fn serve_pages(server: &MockServer, pages: usize, per_page: usize) -> Vec<Mock<'_>> {
    let mut mocks = Vec::new();
    for i in 1..=pages {
        let next = (i < pages).then(|| token(i + 1));
        let body = page_json(&ids(i, per_page), next.as_deref());
        let mock = server
            .mock_async(|when, then| {
                let when = when
                    .method(GET)
                    .path("/2/connections")
                    .header("authorization", BEARER)
                    .query_param("status", "all")
                    .query_param("max_results", per_page.to_string())
                    .query_param("endpoints", "filtered_stream,sample_stream")
                    .query_param("connection.fields", "id,endpoint_name");
                if i == 1 {
                    when.query_param_missing("pagination_token");
                } else {
                    when.query_param("pagination_token", token(i));
                }
                then.status(200)
                    .header("content-type", "application/json")
                    .header("x-rate-limit-remaining", (1000 - i).to_string())
                    .body(body);
            })
            .await;
        mocks.push(mock);
    }
    mocks
}

async fn calls(mocks: &[Mock<'_>]) -> Vec<usize> {
    let mut out = Vec::new();
    for m in mocks {
        out.push(m.calls_async().await);
    }
    out
}

fn request(server: &MockServer, per_page: u32) -> ListConnections {
    client(server)
        .connections()
        .status(ConnectionStatus::All)
        .endpoints([StreamEndpoint::FilteredStream, StreamEndpoint::SampleStream])
        .fields([ConnectionField::Id, ConnectionField::EndpointName])
        .max_results(per_page)
}

#[tokio::test]
async fn twenty_five_pages_are_followed_to_the_end_once_each() {
    let server = MockServer::start_async().await;
    let mocks = serve_pages(&server, 25, 4).await;

    let connections: Vec<Connection> = request(&server, 4)
        .stream()
        .try_collect()
        .await
        .expect("all pages");
    let got: Vec<String> = connections.into_iter().map(|c| c.id.unwrap()).collect();
    let want: Vec<String> = (1..=25).flat_map(|i| ids(i, 4)).collect();
    assert_eq!(got, want, "every record once, in order");
    assert_eq!(calls(&mocks).await, vec![1; 25], "one request per page");
}

#[tokio::test]
async fn pages_carry_token_count_and_rate_limit() {
    let server = MockServer::start_async().await;
    let mocks = serve_pages(&server, 25, 4).await;

    let pages: Vec<Page> = request(&server, 4).pages().try_collect().await.unwrap();
    assert_eq!(pages.len(), 25);
    for (n, page) in pages.iter().enumerate() {
        let i = n + 1;
        assert_eq!(page.result_count, Some(4));
        assert_eq!(page.next_token, (i < 25).then(|| token(i + 1)), "page {i}");
        assert_eq!(
            page.rate_limit.and_then(|rl| rl.remaining),
            Some(1000 - i as u64)
        );
        assert!(page.errors.is_empty());
        assert!(!format!("{page:?}").contains(TOKEN));
    }
    assert_eq!(calls(&mocks).await, vec![1; 25]);
}

#[tokio::test]
async fn resume_from_a_saved_token() {
    let server = MockServer::start_async().await;
    let mocks = serve_pages(&server, 25, 4).await;

    // One page, then resume later from its `next_token`.
    let first = request(&server, 4).send().await.unwrap();
    let saved = first.next_token.clone().expect("more pages");
    assert_eq!(saved, token(2));

    let rest: Vec<Page> = request(&server, 4)
        .pagination_token(saved)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest.len(), 24);
    assert_eq!(
        rest[0].connections[0].id.as_deref(),
        Some(ids(2, 4)[0].as_str())
    );
    // Page 1 exactly once (the `send`), every other page exactly once.
    assert_eq!(calls(&mocks).await, vec![1; 25]);

    // Resuming deep in: the very first request carries the token; nothing
    // before it is fetched.
    let server = MockServer::start_async().await;
    let mocks = serve_pages(&server, 25, 4).await;
    let ids_seen: Vec<String> = request(&server, 4)
        .pagination_token(token(20))
        .stream()
        .map_ok(|c| c.id.unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids_seen.len(), 6 * 4);
    assert_eq!(ids_seen[0], ids(20, 4)[0]);
    let hits = calls(&mocks).await;
    assert_eq!(&hits[..19], &[0; 19], "nothing before page 20");
    assert_eq!(&hits[19..], &[1; 6]);
}

#[tokio::test]
async fn max_pages_caps_the_requests_exactly() {
    let server = MockServer::start_async().await;
    let mocks = serve_pages(&server, 25, 4).await;

    let pages: Vec<Page> = request(&server, 4)
        .max_pages(3)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    // The cap stops the stream, not the data: the last page still says more.
    assert_eq!(pages[2].next_token, Some(token(4)));
    let hits = calls(&mocks).await;
    assert_eq!(&hits[..3], &[1, 1, 1]);
    assert_eq!(hits.iter().sum::<usize>(), 3, "{hits:?}");

    // With `stream`, and combined with a resume token.
    let server = MockServer::start_async().await;
    let mocks = serve_pages(&server, 25, 4).await;
    let records: Vec<Connection> = request(&server, 4)
        .pagination_token(token(10))
        .max_pages(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(records.len(), 8);
    let hits = calls(&mocks).await;
    assert_eq!((hits[9], hits[10]), (1, 1));
    assert_eq!(hits.iter().sum::<usize>(), 2, "{hits:?}");

    // A cap above the number of pages changes nothing.
    let server = MockServer::start_async().await;
    let mocks = serve_pages(&server, 3, 4).await;
    let pages: Vec<Page> = request(&server, 4)
        .max_pages(100)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(calls(&mocks).await, vec![1; 3]);
}

/// A server that answers without a token with `next=first`, then for each
/// `(token, next)` pair with that `next`.
async fn serve_chain<'a>(
    server: &'a MockServer,
    first: &str,
    chain: &[(&str, &str)],
) -> (Mock<'a>, Vec<Mock<'a>>) {
    let start = first_page(server, page_json(&["start".to_owned()], Some(first))).await;
    let mut mocks = Vec::new();
    for (token, next) in chain {
        let body = page_json(&[format!("after-{token}")], Some(next));
        mocks.push(page_after(server, token, body).await);
    }
    (start, mocks)
}

#[tokio::test]
async fn a_repeated_token_stops_the_stream_with_an_error() {
    // start -> A -> B -> A: the third next_token was already given.
    let server = MockServer::start_async().await;
    let (start, chain) = serve_chain(&server, "A", &[("A", "B"), ("B", "A")]).await;
    let results: Vec<Result<Page, Error>> = client(&server).connections().pages().collect().await;
    // Every good page is yielded, the one carrying the repeated token too;
    // then the error, and the stream ends.
    assert_eq!(results.len(), 4, "{results:?}");
    let ids: Vec<_> = results[..3]
        .iter()
        .map(|r| {
            r.as_ref().expect("a page").connections[0]
                .id
                .clone()
                .unwrap()
        })
        .collect();
    assert_eq!(ids, ["start", "after-A", "after-B"]);
    match &results[3] {
        Err(Error::RepeatedToken { token }) => assert_eq!(token, "A"),
        other => panic!("expected RepeatedToken, got {other:?}"),
    }
    let error = results[3].as_ref().unwrap_err();
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("`A`"));
    // No request with the repeated token after the loop was seen.
    assert_eq!(start.calls_async().await, 1);
    assert_eq!(calls(&chain).await, vec![1, 1]);

    // A page pointing at itself.
    let server = MockServer::start_async().await;
    let (start, chain) = serve_chain(&server, "S", &[("S", "S")]).await;
    let results: Vec<Result<Page, Error>> = client(&server).connections().pages().collect().await;
    assert_eq!(results.len(), 3, "{results:?}");
    assert!(results[0].is_ok() && results[1].is_ok());
    assert!(matches!(&results[2], Err(Error::RepeatedToken { token }) if token == "S"));
    assert_eq!(start.calls_async().await, 1);
    assert_eq!(calls(&chain).await, vec![1]);

    // Resuming from a token the server then hands back again.
    let server = MockServer::start_async().await;
    let (start, chain) = serve_chain(&server, "unused", &[("R", "R")]).await;
    let results: Vec<Result<Page, Error>> = client(&server)
        .connections()
        .pagination_token("R")
        .pages()
        .collect()
        .await;
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(results[0].is_ok());
    assert!(matches!(&results[1], Err(Error::RepeatedToken { token }) if token == "R"));
    assert_eq!(start.calls_async().await, 0);
    assert_eq!(calls(&chain).await, vec![1]);
}

#[tokio::test]
async fn take_stops_fetching_pages() {
    // 5 records: pages 1 and 2 only. Exactly one page's worth: page 2 is
    // never asked for.
    for (take, pages_asked) in [(5, vec![1, 1, 0, 0, 0]), (4, vec![1, 0, 0, 0, 0])] {
        let server = MockServer::start_async().await;
        let mocks = serve_pages(&server, 5, 4).await;
        let got: Vec<Connection> = request(&server, 4)
            .stream()
            .take(take)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(got.len(), take);
        assert_eq!(calls(&mocks).await, pages_asked, "take({take})");
    }

    // Pages, too; and take(0) sends nothing at all.
    let server = MockServer::start_async().await;
    let mocks = serve_pages(&server, 5, 4).await;
    let pages: Vec<Page> = request(&server, 4)
        .pages()
        .take(2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(calls(&mocks).await, vec![1, 1, 0, 0, 0]);
    let none: Vec<Connection> = request(&server, 4)
        .stream()
        .take(0)
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());
    assert_eq!(calls(&mocks).await, vec![1, 1, 0, 0, 0]);

    // Dropping a stream part-way sends nothing more.
    let mut stream = request(&server, 4).pagination_token(token(3)).stream();
    let first = stream.try_next().await.unwrap().unwrap();
    assert_eq!(first.id, Some(ids(3, 4)[0].clone()));
    drop(stream);
    assert_eq!(calls(&mocks).await, vec![1, 1, 1, 0, 0]);
}

#[tokio::test]
async fn an_error_mid_stream_ends_it() {
    let server = MockServer::start_async().await;
    let first = first_page(&server, page_json(&ids(1, 2), Some("two"))).await;
    let second = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/2/connections")
                .query_param("pagination_token", "two");
            then.status(401)
                .header("content-type", "application/problem+json")
                .body(UNAUTHORIZED);
        })
        .await;
    let results: Vec<Result<Connection, Error>> =
        client(&server).connections().stream().collect().await;
    assert_eq!(
        results.len(),
        3,
        "two records, then the error, then nothing"
    );
    assert!(results[0].is_ok() && results[1].is_ok());
    let error = results[2].as_ref().unwrap_err();
    assert!(matches!(error, Error::Api(e) if e.kind == ProblemKind::Unauthorized));
    assert_eq!(first.calls_async().await, 1);
    assert_eq!(second.calls_async().await, 1);
}

#[tokio::test]
async fn partial_errors_come_with_the_data() {
    let server = MockServer::start_async().await;
    list_page(&server, DATA_AND_ERRORS).await;
    let page = client(&server)
        .connections()
        .endpoints([
            StreamEndpoint::FilteredStream,
            StreamEndpoint::LikesFirehoseStream,
        ])
        .send()
        .await
        .expect("data with partial errors is a page, not an Err");
    assert_eq!(page.connections.len(), 2);
    assert_eq!(page.result_count, Some(2));
    assert_eq!(page.next_token.as_deref(), Some("7140dibdnow9c7btw4"));
    assert_eq!(page.errors.len(), 1);
    let problem = &page.errors[0];
    assert_eq!(problem.kind(None), ProblemKind::ResourceNotFound);
    assert_eq!(problem.parameter.as_deref(), Some("endpoints"));
    assert_eq!(problem.value.as_deref(), Some("likes_firehose_stream"));
    assert_eq!(problem.resource_type.as_deref(), Some("endpoint"));
    assert_eq!(
        problem.resource_id.as_deref(),
        Some("likes_firehose_stream")
    );
    assert_eq!(
        problem.detail.as_deref(),
        Some("Could not find connections for endpoint: [likes_firehose_stream].")
    );
}

#[tokio::test]
async fn an_empty_or_absent_next_token_is_the_end() {
    for meta in [
        r#"{"result_count":1,"next_token":""}"#,
        r#"{"result_count":1}"#,
        r#"{}"#,
    ] {
        let server = MockServer::start_async().await;
        let body = format!(r#"{{"data":[{{"id":"only"}}],"meta":{meta}}}"#);
        let mock = list_page(&server, body).await;
        let pages: Vec<Page> = client(&server)
            .connections()
            .pages()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(pages.len(), 1, "{meta}");
        assert_eq!(pages[0].next_token, None, "{meta}");
        assert_eq!(mock.calls_async().await, 1, "{meta}");
    }

    // No data at all: an empty page, then the end.
    let server = MockServer::start_async().await;
    let mock = list_page(&server, r#"{"meta":{"result_count":0}}"#).await;
    let all: Vec<Connection> = client(&server)
        .connections()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(all.is_empty());
    assert_eq!(mock.calls_async().await, 1);
}
