//! X's rate-limit headers and `Retry-After`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;

use crate::types::builder::builder;

/// The rate-limit window a response reported (`x-rate-limit-*` headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct RateLimit {
    /// `x-rate-limit-limit`: requests allowed per window.
    pub limit: Option<u64>,
    /// `x-rate-limit-remaining`: requests left in this window.
    pub remaining: Option<u64>,
    /// `x-rate-limit-reset`: when the window resets.
    pub reset: Option<DateTime<Utc>>,
}

builder! {
    /// Builds a [`RateLimit`].
    RateLimitBuilder => RateLimit {
        /// `x-rate-limit-limit`.
        limit: opt u64,
        /// `x-rate-limit-remaining`.
        remaining: opt u64,
        /// `x-rate-limit-reset`.
        reset: opt DateTime<Utc>,
    }
}

impl RateLimit {
    /// Read the headers; `None` when the response carried none of them.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let limit = number("x-rate-limit-limit");
        let remaining = number("x-rate-limit-remaining");
        let reset = number("x-rate-limit-reset")
            .and_then(|secs| i64::try_from(secs).ok())
            .and_then(|secs| DateTime::from_timestamp(secs, 0));
        (limit.is_some() || remaining.is_some() || reset.is_some()).then_some(Self {
            limit,
            remaining,
            reset,
        })
    }

    /// How long from `now` until the window resets (zero if it has).
    pub fn wait_until_reset(&self, now: DateTime<Utc>) -> Option<Duration> {
        let reset = self.reset?;
        Some((reset - now).to_std().unwrap_or(Duration::ZERO))
    }
}

/// `Retry-After` in its delay-seconds form, or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((date - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn reads_x_headers_and_ignores_garbage() {
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-limit", HeaderValue::from_static("50"));
        h.insert("x-rate-limit-remaining", HeaderValue::from_static("0"));
        h.insert("x-rate-limit-reset", HeaderValue::from_static("1700000060"));
        let rl = RateLimit::from_headers(&h).unwrap();
        assert_eq!((rl.limit, rl.remaining), (Some(50), Some(0)));
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(rl.wait_until_reset(now), Some(Duration::from_secs(60)));

        h.insert("x-rate-limit-reset", HeaderValue::from_static("soon"));
        assert_eq!(RateLimit::from_headers(&h).unwrap().reset, None);
        assert!(RateLimit::from_headers(&HeaderMap::new()).is_none());
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let now = DateTime::from_timestamp(1_445_412_480, 0).unwrap();
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:10 GMT"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(10)));
    }
}
