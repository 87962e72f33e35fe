//! Classifying a failed HTTP response from its status, headers and body,
//! whoever sent it: every shape X and the proxies in front of it send
//! becomes one [`Error`] case. (What the generated client returns is
//! mapped onto these in `wire/response.rs`.)

use chrono::Utc;
use futures::TryStreamExt;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, DecodeError, Error, RateLimited, excerpt};
use crate::types::problem::{Problem, ProblemKind};
use crate::types::rate_limit::{RateLimit, retry_after};

/// Read at most `limit` bytes of a body; what is beyond is not read at all.
pub(crate) async fn read_bounded<S>(stream: S, limit: usize) -> Result<Vec<u8>, reqwest::Error>
where
    S: futures::Stream<Item = Result<bytes::Bytes, reqwest::Error>>,
{
    let mut body = Vec::new();
    let mut stream = std::pin::pin!(stream);
    while let Some(chunk) = stream.try_next().await? {
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    Ok(body)
}

/// Classify an error response from its status, headers and body.
pub(crate) fn from_error_body(status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
    let now = Utc::now();
    let rate_limit = RateLimit::from_headers(headers);
    let content_type = content_type(headers);
    let parsed = Problem::from_slice(body);
    let body_excerpt = match &parsed {
        Some(_) => None,
        None if body.is_empty() => None,
        None => Some(excerpt(body)),
    };
    let problem = parsed.unwrap_or_else(|| Problem::from_status(status));
    let kind = problem.kind(Some(status));

    // `Retry-After` wins over the window's reset: it answers for this
    // request (documented on `Error::retry_after`).
    let wait = retry_after(headers, now)
        .or_else(|| rate_limit.as_ref().and_then(|rl| rl.wait_until_reset(now)));
    if kind == ProblemKind::TooManyRequests {
        return Error::RateLimited(Box::new(RateLimited {
            status,
            problem,
            rate_limit,
            retry_after: wait,
        }));
    }
    Error::Api(Box::new(ApiError {
        status,
        // A usage cap is final however the headers read: no wait helps.
        retry_after: if kind == ProblemKind::UsageCapped {
            None
        } else {
            retry_after(headers, now)
        },
        kind,
        problem,
        rate_limit,
        content_type,
        body_excerpt,
    }))
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A response that could not be understood, with what was seen of it.
pub(crate) fn decode_error(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    path: Option<String>,
    reason: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    Error::Decode(Box::new(DecodeError {
        status,
        content_type: content_type(headers),
        path,
        excerpt: excerpt(body),
        reason,
        source,
    }))
}

/// A body that did not decode into `T`, with the JSON path where it failed:
/// the path is worth more than a line and column in a minified body.
pub(crate) fn decode_body_error<T: DeserializeOwned>(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    source: serde_json::Error,
) -> Error {
    let path = json_path_of_failure::<T>(body);
    decode_error(
        status,
        headers,
        body,
        path,
        source.to_string(),
        Some(Box::new(source)),
    )
}

/// Where in the document decoding into `T` fails, as `data[3].connected_at`.
fn json_path_of_failure<T: DeserializeOwned>(body: &[u8]) -> Option<String> {
    let mut de = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(_) => None,
        Err(e) => {
            let path = e.path().to_string();
            (path != ".").then_some(path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn usage_cap_is_not_a_rate_limit() {
        let body = br#"{"title":"UsageCapExceeded","detail":"Usage cap exceeded: Monthly product cap","type":"https://api.twitter.com/2/problems/usage-capped"}"#;
        let h = headers(&[
            ("x-rate-limit-remaining", "450"),
            ("x-rate-limit-reset", "1"),
        ]);
        let err = from_error_body(429, &h, body);
        assert!(matches!(&err, Error::Api(e) if e.kind == ProblemKind::UsageCapped));
        assert!(!err.is_retryable());
        assert_eq!(err.retry_after(), None);
    }

    #[test]
    fn html_from_a_proxy_is_a_retryable_server_error() {
        let err = from_error_body(
            502,
            &headers(&[("content-type", "text/html")]),
            b"<html>bad gateway</html>",
        );
        let Error::Api(e) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(e.kind, ProblemKind::ServerError);
        assert_eq!(e.body_excerpt.as_deref(), Some("<html>bad gateway</html>"));
        assert!(err.is_retryable());
    }

    #[test]
    fn path_names_the_failing_member() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Doc {
            data: Vec<Item>,
        }
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Item {
            n: u8,
        }
        let path = json_path_of_failure::<Doc>(br#"{"data":[{"n":1},{"n":"x"}]}"#);
        assert_eq!(path.as_deref(), Some("data[1].n"));
    }
}
