//! Churn: connections that start and end as the sandbox's clock moves, so
//! that a watch has something to see.
//!
//! Seeded and driven only by the sandbox's clock (one second per request
//! served, plus [`super::Sandbox::advance`]), so the same seed and the same
//! requests give the same changes.

use std::collections::HashMap;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::data::{self, Connection, DISCONNECT_REASONS, ENDPOINTS};
use crate::types::enums::DisconnectReason;

/// How the sandbox's connections change over time; see
/// [`super::SandboxConfig::churn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Churn {
    seed: u64,
    every: Duration,
    rate_limit: Option<u32>,
}

impl Default for Churn {
    /// Seed 0, a change every 3 seconds of sandbox time on average.
    fn default() -> Self {
        Self {
            seed: 0,
            every: Duration::from_secs(3),
            rate_limit: None,
        }
    }
}

impl Churn {
    /// The seed of the changes (default 0), independent of the data's seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The mean time between two changes, in sandbox time (default 3 s,
    /// at least 1 s). Gaps are drawn between 1 s and twice this.
    #[must_use]
    pub fn every(mut self, every: Duration) -> Self {
        self.every = every;
        self
    }
}

impl Churn {
    /// Rate-limit the API on the sandbox's clock: `n` requests per window
    /// of 60 sandbox seconds (starting with the first request counted),
    /// then `429` until it resets, with `x-rate-limit-*` headers on every
    /// authenticated response. Unlike [`super::SandboxConfig::rate_limit_after`]
    /// (wall clock), the windows run dry and reset exactly as a test moves
    /// the clock. Takes precedence over it.
    #[must_use]
    pub fn rate_limit(mut self, n: impl Into<Option<u32>>) -> Self {
        self.rate_limit = n.into();
        self
    }
}

/// A rate window on the sandbox's clock.
struct Window {
    limit: u32,
    /// Unix seconds when the current window resets, once started.
    reset: Option<i64>,
    used: u32,
}

/// A window's `(limit, remaining, reset)` after counting one request.
pub(crate) type Taken = (u32, u32, i64);

/// The length of a rate window, in seconds.
const WINDOW_SECS: i64 = 60;

/// Churn under way: the next change and the randomness behind it.
pub(crate) struct ChurnState {
    rng: StdRng,
    /// The longest gap, in seconds.
    max_gap: i64,
    /// Sandbox time (unix seconds) of the next change.
    next_at: i64,
    /// The active count the changes hover around.
    target_active: usize,
    window: Option<Window>,
    /// The reasons churn ends connections with: all but the one the
    /// sandbox's DELETE operations give, so that `operator_disconnect`
    /// always means "ended through the API".
    reasons: Vec<&'static str>,
}

impl ChurnState {
    pub(crate) fn new(churn: Churn, epoch: i64, connections: &[Connection]) -> Self {
        let mut rng = StdRng::seed_from_u64(churn.seed);
        let max_gap = i64::try_from(churn.every.as_secs().max(1) * 2).unwrap_or(i64::MAX);
        let next_at = epoch + rng.random_range(1..=max_gap);
        Self {
            rng,
            max_gap,
            next_at,
            target_active: connections
                .iter()
                .filter(|c| c.is_active())
                .count()
                .max(ENDPOINTS.len()),
            reasons: DISCONNECT_REASONS
                .into_iter()
                .filter(|r| *r != DisconnectReason::OperatorDisconnect.as_str())
                .collect(),
            window: churn.rate_limit.map(|limit| Window {
                limit,
                reset: None,
                used: 0,
            }),
        }
    }

    /// Counts one request at `now` against the window: `(limit, remaining,
    /// reset)`, as `Err` when it is spent. `None` without a rate limit.
    pub(crate) fn take_rate(&mut self, now: i64) -> Option<Result<Taken, Taken>> {
        let window = self.window.as_mut()?;
        let reset = match window.reset {
            Some(reset) if now < reset => reset,
            _ => {
                window.used = 0;
                *window.reset.insert(now + WINDOW_SECS)
            }
        };
        if window.used >= window.limit {
            return Some(Err((window.limit, 0, reset)));
        }
        window.used += 1;
        Some(Ok((window.limit, window.limit - window.used, reset)))
    }

    /// Apply every change due up to `now` (unix seconds). New connections
    /// go first in `connections` (newest `connected_at` first).
    pub(crate) fn catch_up(
        &mut self,
        now: i64,
        connections: &mut Vec<Connection>,
        by_id: &mut HashMap<String, usize>,
    ) {
        let mut started = false;
        while self.next_at <= now {
            let at = self.next_at;
            self.next_at = at + self.rng.random_range(1..=self.max_gap);
            let active: Vec<usize> = (0..connections.len())
                .filter(|&i| connections[i].is_active())
                .collect();
            let start_odds = if active.len() < self.target_active {
                0.6
            } else {
                0.4
            };
            if active.is_empty() || self.rng.random_bool(start_odds) {
                connections.insert(
                    0,
                    Connection {
                        id: data::uuid_v4(&mut self.rng),
                        endpoint: self.rng.random_range(0..ENDPOINTS.len()),
                        client_ip: data::client_ip(&mut self.rng),
                        connected_at: at,
                        disconnected_at: None,
                        disconnect_reason: None,
                    },
                );
                started = true;
            } else {
                let ending = &mut connections[active[self.rng.random_range(0..active.len())]];
                ending.disconnected_at = Some(at.max(ending.connected_at + 1));
                let reason = self.rng.random_range(0..self.reasons.len());
                ending.disconnect_reason = Some(self.reasons[reason]);
            }
        }
        if started {
            by_id.clear();
            by_id.extend(
                connections
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.id.clone(), i)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::SANDBOX_EPOCH;

    #[test]
    fn rate_windows_run_dry_and_reset_on_the_sandbox_clock() {
        let mut churn = ChurnState::new(Churn::default().rate_limit(2), SANDBOX_EPOCH, &[]);
        let t = SANDBOX_EPOCH;
        assert_eq!(churn.take_rate(t), Some(Ok((2, 1, t + 60))));
        assert_eq!(churn.take_rate(t + 59), Some(Ok((2, 0, t + 60))));
        assert_eq!(churn.take_rate(t + 59), Some(Err((2, 0, t + 60))));
        assert_eq!(churn.take_rate(t + 60), Some(Ok((2, 1, t + 120))));
        assert_eq!(ChurnState::new(Churn::default(), t, &[]).take_rate(t), None);
    }

    fn run(seed: u64, until: i64) -> Vec<Connection> {
        let mut connections = data::generate(30, 1, SANDBOX_EPOCH);
        let mut by_id = HashMap::new();
        let mut churn = ChurnState::new(Churn::default().seed(seed), SANDBOX_EPOCH, &connections);
        // In uneven steps: the outcome depends on the time reached only.
        for step in [1, 7, 30, until] {
            churn.catch_up(
                SANDBOX_EPOCH + step.min(until),
                &mut connections,
                &mut by_id,
            );
        }
        for (i, c) in connections.iter().enumerate() {
            assert_eq!(by_id.get(&c.id).copied().unwrap_or(i), i);
        }
        connections
    }

    #[test]
    fn seeded_reproducible_and_ordered() {
        let a = run(5, 600);
        assert_eq!(a, run(5, 600));
        assert_ne!(a, run(6, 600));
        let base = data::generate(30, 1, SANDBOX_EPOCH);
        let started = a.len() - base.len();
        let ended = a
            .iter()
            .filter(|c| c.disconnected_at.is_some_and(|d| d > SANDBOX_EPOCH))
            .count();
        assert!(
            started > 20 && ended > 20,
            "started {started}, ended {ended}"
        );
        assert!(a.windows(2).all(|w| w[0].connected_at >= w[1].connected_at));
        assert!(
            a.iter()
                .all(|c| c.disconnect_reason != Some("operator_disconnect")
                    || c.disconnected_at.is_some_and(|d| d < SANDBOX_EPOCH))
        );
    }
}
