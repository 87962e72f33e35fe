//! When and how long to wait before sending a request again.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use rand::Rng;

use crate::error::Error;

/// Which failures are retried, how often and how long apart.
///
/// Defaults: up to 3 attempts; `GET` retried on rate limits, `5xx`, timeouts
/// and connection failures; exponential backoff from 500 ms to 20 s with
/// jitter; a server-given wait (`x-rate-limit-reset`, `Retry-After`) honoured
/// when it is at most 60 s, otherwise the error is returned at once so the
/// caller can schedule the retry. `DELETE`s (terminations) are never retried
/// unless [`RetryPolicy::retry_deletes`] opts in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// The backoff before the second attempt; it doubles each time.
    pub initial_backoff: Duration,
    /// The largest backoff.
    pub max_backoff: Duration,
    /// The longest server-requested wait honoured.
    pub max_wait: Duration,
    /// Retry terminations too (they are idempotent on X's side, but a retry
    /// after a lost response can report a connection as "not found").
    pub retry_deletes: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            max_wait: Duration::from_secs(60),
            retry_deletes: false,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Set [`RetryPolicy::max_attempts`] (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Set the backoff range.
    #[must_use]
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Set [`RetryPolicy::max_wait`].
    #[must_use]
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// Set [`RetryPolicy::retry_deletes`].
    #[must_use]
    pub fn with_retry_deletes(mut self, retry: bool) -> Self {
        self.retry_deletes = retry;
        self
    }

    /// The wait before attempt `attempt + 1` after `error`, or `None` to
    /// give up and return the error.
    /// `idempotent` is the operation's own property: a termination is not.
    pub(crate) fn delay(&self, attempt: u32, error: &Error, idempotent: bool) -> Option<Duration> {
        if attempt >= self.max_attempts || !error.is_retryable() {
            return None;
        }
        if !idempotent && !self.retry_deletes {
            return None;
        }
        match error.retry_after() {
            Some(wait) if wait > self.max_wait => None,
            // The server said when; earlier is pointless, later is waste.
            Some(wait) => Some(wait),
            None => Some(self.backoff(attempt)),
        }
    }

    /// The wait after failed attempt `attempt` (1 for the first):
    /// exponential backoff from [`RetryPolicy::initial_backoff`] up to
    /// [`RetryPolicy::max_backoff`], with "equal jitter" (half fixed, half
    /// random) so that concurrent clients spread out but never retry at
    /// once. The client's retries and the watch's both wait this long.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let cap = exp.min(self.max_backoff);
        let half = cap / 2;
        let jitter_nanos =
            rand::rng().random_range(0..=half.as_nanos().min(u64::MAX as u128) as u64);
        half + Duration::from_nanos(jitter_nanos)
    }
}

/// How the client waits between attempts.
///
/// The default uses `tokio::time::sleep`; tests (yours too) can plug in one
/// that records the waits and returns at once.
pub trait Sleep: Send + Sync + fmt::Debug {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// [`Sleep`] on tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleep;

impl Sleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A shared [`Sleep`].
pub type SharedSleep = Arc<dyn Sleep>;

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error() -> Error {
        crate::error::classify::from_error_body(503, &Default::default(), b"")
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default()
            .with_max_attempts(10)
            .with_backoff(Duration::from_millis(100), Duration::from_secs(1));
        for attempt in 1..10 {
            let d = p.delay(attempt, &server_error(), true).unwrap();
            let cap = Duration::from_millis(100 * (1 << (attempt - 1))).min(Duration::from_secs(1));
            assert!(d >= cap / 2 && d <= cap, "attempt {attempt}: {d:?}");
        }
        assert_eq!(p.delay(10, &server_error(), true), None);
    }

    #[test]
    fn deletes_only_when_opted_in() {
        let p = RetryPolicy::default();
        // A termination is not idempotent.
        let idempotent = crate::wire::TERMINATE_BY_UUIDS.idempotent;
        assert_eq!(p.delay(1, &server_error(), idempotent), None);
        assert!(
            p.with_retry_deletes(true)
                .delay(1, &server_error(), idempotent)
                .is_some()
        );
    }
}
