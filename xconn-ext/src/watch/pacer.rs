//! Staying inside the rate window: when a request may be sent, and how far
//! apart polls must be for the window to last.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::types::rate_limit::RateLimit;

/// The last rate-limit headers, and what they allow.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pacer {
    last: Option<RateLimit>,
}

impl Pacer {
    /// Remember a response's headers; a response without any leaves the
    /// last known window in place.
    pub(crate) fn observe(&mut self, rate_limit: Option<RateLimit>) {
        if let Some(rate_limit) = rate_limit {
            self.last = Some(rate_limit);
        }
    }

    /// A `429`: the window is spent until `reset`.
    pub(crate) fn exhausted_until(&mut self, reset: DateTime<Utc>) {
        let limit = self.last.and_then(|rl| rl.limit);
        self.last = Some(RateLimit {
            limit,
            remaining: Some(0),
            reset: Some(reset),
        });
    }

    pub(crate) fn last(&self) -> Option<RateLimit> {
        self.last
    }

    /// How long to wait before the next request: until the reset while the
    /// last response said nothing remains; `None` when a request may go.
    pub(crate) fn wait_before_request(&self, now: DateTime<Utc>) -> Option<Duration> {
        let last = self.last?;
        if last.remaining != Some(0) {
            return None;
        }
        let reset = last.reset?;
        (reset > now).then(|| (reset - now).to_std().unwrap_or(Duration::ZERO))
    }

    /// The wait before the next poll: `interval`, stretched so that polls
    /// of `requests_per_poll` requests spread the remaining requests over
    /// what is left of the window (a poll never runs the window dry early).
    pub(crate) fn next_interval(
        &self,
        interval: Duration,
        requests_per_poll: u32,
        now: DateTime<Utc>,
    ) -> Duration {
        let Some(RateLimit {
            remaining: Some(remaining),
            reset: Some(reset),
            ..
        }) = self.last
        else {
            return interval;
        };
        let Ok(left) = (reset - now).to_std() else {
            // The window has reset already.
            return interval;
        };
        if remaining == 0 {
            return interval.max(left);
        }
        let polls_left = remaining / u64::from(requests_per_poll.max(1));
        if polls_left == 0 {
            return interval.max(left);
        }
        let spread = left / u32::try_from(polls_left).unwrap_or(u32::MAX);
        interval.max(spread)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    fn window(remaining: u64, reset_in: i64) -> Pacer {
        let mut pacer = Pacer::default();
        pacer.observe(Some(RateLimit {
            limit: Some(50),
            remaining: Some(remaining),
            reset: Some(at(reset_in)),
        }));
        pacer
    }

    #[test]
    fn waits_only_while_spent_and_before_reset() {
        assert_eq!(Pacer::default().wait_before_request(at(0)), None);
        assert_eq!(window(1, 60).wait_before_request(at(0)), None);
        assert_eq!(
            window(0, 60).wait_before_request(at(0)),
            Some(Duration::from_secs(60))
        );
        assert_eq!(window(0, 60).wait_before_request(at(60)), None);
        // Headers-less responses keep the window.
        let mut pacer = window(0, 60);
        pacer.observe(None);
        assert!(pacer.wait_before_request(at(1)).is_some());
    }

    #[test]
    fn stretches_the_interval_to_last_the_window() {
        let second = Duration::from_secs(1);
        // 10 requests left, 2 per poll, 100 s to go: 5 polls, 20 s apart.
        assert_eq!(
            window(10, 100).next_interval(second, 2, at(0)),
            Duration::from_secs(20)
        );
        // Plenty left: the interval stands.
        assert_eq!(window(1000, 100).next_interval(second, 2, at(0)), second);
        // Not even one poll left: wait for the reset.
        assert_eq!(
            window(1, 100).next_interval(second, 2, at(0)),
            Duration::from_secs(100)
        );
        // A reset in the past: the interval.
        assert_eq!(window(0, 10).next_interval(second, 2, at(20)), second);
    }
}
