//! What one request sent and what came back, captured per request.
//!
//! The generated error for a `200` body that does not decode
//! ([`crate::Error::InvalidResponsePayload`]) keeps only the bytes, and a
//! caller that logs each HTTP attempt wants the URL sent and the status
//! received whatever the outcome. The request hooks write both into a
//! task-local [`Exchange`] set up by [`capture_exchange`]; nothing is shared
//! between requests, so one client serves any number of concurrent requests.

use std::cell::RefCell;
use std::future::Future;

tokio::task_local! {
    static CURRENT: RefCell<Exchange>;
}

/// The status and headers of a response.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ResponseHead {
    /// The HTTP status.
    pub status: reqwest::StatusCode,
    /// The response headers.
    pub headers: reqwest::header::HeaderMap,
}

/// The method and URL of a request as sent (after the hooks' rewrites).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RequestLine {
    /// The HTTP method.
    pub method: reqwest::Method,
    /// The full URL, query included (never credentials: those travel in a
    /// header).
    pub url: reqwest::Url,
}

/// One request and its response head, as far as they got.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Exchange {
    /// The request, once it was built and about to be sent.
    pub request: Option<RequestLine>,
    /// The response head, once one arrived.
    pub response: Option<ResponseHead>,
}

/// Run `request` (one generated `send()`, say) and return its output with
/// what the hooks saw of it. Requests outside such a scope are not recorded.
/// When `request` sends more than once, the last request and response win.
///
/// The request future is moved once, into the scope, and not wrapped in
/// further `async` blocks: each wrapping moved the whole request state
/// (about 2 KB) again, on every request (measured; see BENCHMARKS.md).
pub fn capture_exchange<F: Future>(request: F) -> impl Future<Output = (F::Output, Exchange)> {
    use futures::FutureExt as _;
    // `map` runs inside the scope's poll, while the task-local is set.
    CURRENT.scope(
        RefCell::new(Exchange::default()),
        request.map(|output| (output, CURRENT.with(RefCell::take))),
    )
}

/// The headers of the response received so far in the current
/// [`capture_exchange`] scope, if any.
pub fn current_response_headers() -> Option<reqwest::header::HeaderMap> {
    CURRENT
        .try_with(|exchange| {
            exchange
                .borrow()
                .response
                .as_ref()
                .map(|head| head.headers.clone())
        })
        .ok()
        .flatten()
}

pub(crate) fn record_request(request: &reqwest::Request) {
    let _ = CURRENT.try_with(|exchange| {
        exchange.borrow_mut().request = Some(RequestLine {
            method: request.method().clone(),
            url: request.url().clone(),
        });
    });
}

pub(crate) fn record_response(response: &reqwest::Response) {
    let _ = CURRENT.try_with(|exchange| {
        exchange.borrow_mut().response = Some(ResponseHead {
            status: response.status(),
            headers: response.headers().clone(),
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_separate_and_empty_outside() {
        let run = |status: u16| async move {
            capture_exchange(async move {
                let response = reqwest::Response::from(
                    http::Response::builder().status(status).body("").unwrap(),
                );
                record_response(&response);
                current_response_headers().is_some()
            })
            .await
        };
        let ((seen_a, a), (seen_b, b)) =
            futures::executor::block_on(async { futures::join!(run(200), run(503)) });
        assert!(seen_a && seen_b);
        assert_eq!(a.response.unwrap().status, 200);
        assert_eq!(b.response.unwrap().status, 503);
        assert!(current_response_headers().is_none());
    }
}
