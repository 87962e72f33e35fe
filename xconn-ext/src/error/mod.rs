//! The one error type of this crate.

pub(crate) mod classify;
mod partial;

pub use partial::PartialErrors;

use std::fmt;
use std::time::Duration;

use crate::types::problem::{Problem, ProblemKind};
use crate::types::rate_limit::RateLimit;
use crate::types::terminate_report::TerminateReport;

/// Everything that can go wrong, as distinct cases a caller can act on.
///
/// No case ever contains the bearer token. Use [`Error::is_retryable`] and
/// [`Error::retry_after`] to decide what to do next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was rejected before anything was sent.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// The API answered with a problem (RFC 7807, X's legacy shape, or just
    /// an error status).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The rate-limit window is spent (`429` that is not a usage cap).
    #[error(transparent)]
    RateLimited(Box<RateLimited>),
    /// No complete response within the configured time.
    #[error("request timed out{}", elapsed.map(|d| format!(" after {d:?}")).unwrap_or_default())]
    Timeout {
        /// The time that ran out, when it was this crate's own timeout.
        elapsed: Option<Duration>,
        /// The transport's own error, when it reported the timeout.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The connection failed or broke (DNS, connect, reset, TLS...).
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// A response arrived that could not be understood: a success body
    /// that does not decode, or a status this crate does not handle. A
    /// redirect (`3xx`) is one: the client never follows redirects (one
    /// could carry the request, and the token, elsewhere; X's API does not
    /// send them), so a `302` comes back as `Error::Decode` with
    /// [`DecodeError::status`] `302`, not retried.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// The response body was larger than the configured limit
    /// ([`crate::ClientBuilder::max_response_bytes`]); reading stopped there.
    #[error("response body exceeds the limit of {limit} bytes")]
    ResponseTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The server returned a pagination token it had already returned.
    #[error("the server repeated pagination token `{token}`; stopped instead of looping")]
    RepeatedToken {
        /// The repeated token.
        token: String,
    },
    /// A later batch of [`crate::Client::terminate`] failed after earlier
    /// batches took effect: what they did and what was left undone.
    #[error(transparent)]
    PartialTermination(Box<TerminateError>),
    /// A listing's responses carried partial errors (`errors` beside
    /// `data`), and the caller did not accept them; see [`PartialErrors`]
    /// for what was read and how to opt out.
    #[error(transparent)]
    PartialErrors(Box<PartialErrors>),
}

impl Error {
    /// Whether the same request may succeed if sent again unchanged:
    /// rate limits, server errors, timeouts and connection failures. A spent
    /// usage cap is *not* retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited(_) | Error::Timeout { .. } => true,
            // Whatever problem type a 5xx carries, the server failed, not
            // the request (501 Not Implemented excepted).
            Error::Api(e) => e.kind.is_transient() || matches!(e.status, 500 | 502..=599),
            // reqwest reports a body that broke off as a "decode" error;
            // this crate never has reqwest decode JSON, so it always means
            // the connection failed mid-response.
            Error::Transport(e) => e.is_connect() || e.is_request() || e.is_body() || e.is_decode(),
            Error::PartialTermination(e) => e.source.is_retryable(),
            Error::InvalidInput(_)
            | Error::Decode(_)
            | Error::RepeatedToken { .. }
            | Error::ResponseTooLarge { .. }
            // The same listing would most likely carry them again.
            | Error::PartialErrors(_) => false,
        }
    }

    /// How long the server asked us to wait, when it said.
    ///
    /// When a response carries both, `Retry-After` wins over the
    /// rate-limit window's reset (`x-rate-limit-reset`), sooner or later:
    /// it is the server's answer about this request, the reset only about
    /// the window. The reset is used for a `429` without `Retry-After`;
    /// other error statuses give only `Retry-After`. A spent usage cap
    /// gives `None` (no wait helps).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited(e) => e.retry_after,
            Error::Api(e) => e.retry_after,
            Error::PartialTermination(e) => e.source.retry_after(),
            _ => None,
        }
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::RateLimited(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            Error::Transport(e) => e.status().map(|s| s.as_u16()),
            Error::PartialTermination(e) => e.source.status(),
            _ => None,
        }
    }

    /// The problem the server sent, if any.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Error::Api(e) => Some(&e.problem),
            Error::RateLimited(e) => Some(&e.problem),
            Error::PartialTermination(e) => e.source.problem(),
            _ => None,
        }
    }

    /// The problem's kind, if the server sent one.
    pub fn problem_kind(&self) -> Option<&ProblemKind> {
        match self {
            Error::Api(e) => Some(&e.kind),
            Error::RateLimited(_) => Some(&ProblemKind::TooManyRequests),
            Error::PartialTermination(e) => e.source.problem_kind(),
            _ => None,
        }
    }

    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidInput(InvalidInput::new(field, message))
    }
}

/// Input rejected before any request was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    field: &'static str,
    message: String,
}

impl InvalidInput {
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }

    /// The parameter or setting at fault (`max_results`, `base_url`...).
    pub fn field(&self) -> &str {
        self.field
    }

    /// What is wrong with it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid `{}`: {}", self.field, self.message)
    }
}

impl std::error::Error for InvalidInput {}

/// A termination by UUID that stopped part-way: a batch failed after the
/// batches before it had taken effect.
///
/// Nothing done is lost: [`TerminateError::completed`] is the merged report
/// of the batches that took effect, and [`TerminateError::not_attempted`]
/// every UUID whose batch did not.
#[derive(Debug)]
#[non_exhaustive]
pub struct TerminateError {
    /// What the batches before the failure did.
    pub completed: TerminateReport,
    /// The UUIDs of the failed batch, then those of the batches never sent,
    /// in the order given. The first [`TerminateError::failed_batch_len`]
    /// were in the request that failed: after an API error they were not
    /// ended; after a timeout or transport failure the server may have
    /// ended them (list the active connections to know).
    pub not_attempted: Vec<String>,
    /// How many of `not_attempted` were in the failed request.
    pub failed_batch_len: usize,
    /// Why the batch failed.
    pub source: Error,
}

impl fmt::Display for TerminateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (earlier batches had ended {} connection(s); {} not attempted)",
            self.source,
            self.completed.successful,
            self.not_attempted.len()
        )
    }
}

impl std::error::Error for TerminateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// An error status from the API, with the problem it sent.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The classified kind.
    pub kind: ProblemKind,
    /// The problem; synthesized from the status when the body had none.
    pub problem: Problem,
    /// The rate-limit headers of the response.
    pub rate_limit: Option<RateLimit>,
    /// What `Retry-After` said (never the rate-limit reset; `None` for a
    /// spent usage cap).
    pub retry_after: Option<Duration>,
    /// The response's `Content-Type`.
    pub content_type: Option<String>,
    /// The start of the body, when it was not a problem (an HTML page...).
    pub body_excerpt: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "API error {} ({}): {}",
            self.status, self.kind, self.problem
        )
    }
}

impl std::error::Error for ApiError {}

/// A `429` for the rate window (not a spent usage cap).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RateLimited {
    /// The HTTP status (429).
    pub status: u16,
    /// The problem the server sent.
    pub problem: Problem,
    /// The rate-limit headers.
    pub rate_limit: Option<RateLimit>,
    /// How long until a retry may succeed: `Retry-After` when the response
    /// had one (it wins over the reset), else the time until
    /// `x-rate-limit-reset`.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rate limited ({})", self.status)?;
        match self.retry_after {
            // Round up: "retry in 1s" for 1.9 s would retry too early.
            Some(wait) => write!(f, "; retry in {}s", wait.as_secs_f64().ceil() as u64),
            None => Ok(()),
        }
    }
}

impl std::error::Error for RateLimited {}

/// A response this crate could not decode, with what it saw.
///
/// Also what a redirect (`3xx`) becomes: redirects are never followed, so
/// [`DecodeError::status`] is the `3xx` itself (e.g. `302`).
#[derive(Debug)]
#[non_exhaustive]
pub struct DecodeError {
    /// The HTTP status (a `3xx` for a redirect, which is never followed).
    pub status: u16,
    /// The `Content-Type`, when known.
    pub content_type: Option<String>,
    /// The JSON path where decoding failed (`data[3].connected_at`), if any.
    pub path: Option<String>,
    /// The start of the body (at most [`DecodeError::EXCERPT_BYTES`]).
    pub excerpt: String,
    /// What went wrong.
    pub reason: String,
    /// The underlying error.
    pub source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl DecodeError {
    /// The most of a body kept in [`DecodeError::excerpt`] and
    /// [`ApiError::body_excerpt`].
    pub const EXCERPT_BYTES: usize = 512;
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not decode the {} response", self.status)?;
        if let Some(ct) = &self.content_type {
            write!(f, " ({ct})")?;
        }
        if let Some(path) = &self.path {
            write!(f, " at `{path}`")?;
        }
        write!(f, ": {}", self.reason)?;
        if !self.excerpt.is_empty() {
            write!(f, "; body starts: {:?}", self.excerpt)?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The start of a body as text, cut on a character boundary.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(DecodeError::EXCERPT_BYTES)]);
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync_static<T: Send + Sync + 'static>() {}

    #[test]
    fn error_is_send_sync_static() {
        assert_send_sync_static::<Error>();
        assert_send_sync_static::<TerminateError>();
        assert_send_sync_static::<PartialErrors>();
    }

    #[test]
    fn excerpt_is_bounded_and_lossless_on_ascii() {
        let body = vec![b'a'; 10_000];
        assert_eq!(excerpt(&body).len(), DecodeError::EXCERPT_BYTES);
        assert_eq!(excerpt(b"<html>"), "<html>");
        // A multi-byte character cut in half becomes U+FFFD, not a panic.
        let mut cut = vec![b'a'; DecodeError::EXCERPT_BYTES - 1];
        cut.extend("é".as_bytes());
        assert!(excerpt(&cut).ends_with('\u{FFFD}'));
    }
}
