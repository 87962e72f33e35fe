//! Mapping what one generated `send()` returns onto this crate's results:
//! the success with its rate-limit headers, or one [`Error`] case for each
//! of progenitor's error variants (the bodies themselves are classified by
//! `error::classify`).

use serde::de::DeserializeOwned;
use xconn_sdk::ByteStream;

use crate::error::Error;
use crate::error::classify::{decode_body_error, decode_error, from_error_body, read_bounded};
use crate::types::problem::Problem;
use crate::types::rate_limit::RateLimit;
use crate::wire::SdkResult;

/// The most of an error body read; enough for any problem document, and a
/// bound on memory whatever a proxy sends.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// A decoded success: the body and the rate-limit headers, read once
/// (the span and the page both want them; the header map itself is not
/// kept, so it is never cloned).
pub(crate) struct Success<T> {
    pub body: T,
    pub rate_limit: Option<RateLimit>,
}

/// Map the generated client's result of one attempt. Call it inside the
/// attempt's [`xconn_sdk::capture_exchange`] scope: a body that does not
/// decode is reported with the headers captured there.
pub(crate) async fn finish<T: DeserializeOwned>(result: SdkResult<T>) -> Result<Success<T>, Error> {
    match result {
        Ok(value) => Ok(Success {
            rate_limit: RateLimit::from_headers(value.headers()),
            body: value.into_inner(),
        }),
        Err(err) => Err(map_error::<T>(err).await),
    }
}

async fn map_error<T: DeserializeOwned>(err: xconn_sdk::Error<ByteStream>) -> Error {
    use xconn_sdk::Error as E;
    match err {
        E::ErrorResponse(value) => {
            let status = value.status().as_u16();
            let headers = value.headers().clone();
            // The status says what happened; a body that breaks off or is
            // over the cap must not turn a retryable 503 into a final error.
            let body = read_bounded(value.into_inner().into_inner(), ERROR_BODY_LIMIT)
                .await
                .unwrap_or_default();
            from_error_body(status, &headers, &body)
        }
        E::UnexpectedResponse(response) => {
            // A status the spec does not list (1xx, 3xx, a 2xx other than 200).
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = match read_bounded(response.bytes_stream(), ERROR_BODY_LIMIT).await {
                Ok(body) => body,
                Err(e) => return from_reqwest(e),
            };
            match Problem::from_slice(&body) {
                Some(_) => from_error_body(status, &headers, &body),
                None => decode_error(
                    status,
                    &headers,
                    &body,
                    None,
                    format!("unexpected HTTP status {status}"),
                    None,
                ),
            }
        }
        E::InvalidResponsePayload(body, source) => {
            // Only a `200` is decoded by the generated client; the capture
            // scope has its headers (the generated error keeps only the
            // bytes). Outside a scope there are none to report.
            let headers = xconn_sdk::current_response_headers().unwrap_or_default();
            decode_body_error::<T>(200, &headers, &body, source)
        }
        E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => {
            from_reqwest(e)
        }
        E::InvalidRequest(message) => Error::invalid("request", message),
        E::Custom(message) => Error::invalid("request", message),
    }
}

/// Map a transport-level failure.
fn from_reqwest(e: reqwest::Error) -> Error {
    if let Some(too_large) = find_source::<xconn_sdk::ResponseTooLarge>(&e) {
        Error::ResponseTooLarge {
            limit: too_large.limit,
        }
    } else if e.is_timeout() {
        Error::Timeout {
            elapsed: None,
            source: Some(e),
        }
    } else {
        Error::Transport(e)
    }
}

/// The first error of type `T` in `e`'s source chain.
fn find_source<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        // `io::Error::other(inner)` does not report `inner` as its source;
        // look inside explicitly (the sdk's body limit travels that way).
        current = match err.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}
