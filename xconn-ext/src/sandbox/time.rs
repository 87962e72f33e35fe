//! Deterministic time for tests: a [`Sleep`] that never waits, and the
//! sandbox's own clock with a sleep that moves it (to drive a watch).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use super::server::Shared;
use crate::{Clock, Sleep};

/// A [`Sleep`] that records every wait the client asks for and returns at once.
///
/// Plug it into [`ClientBuilder::sleep_impl`](crate::ClientBuilder::sleep_impl) to drive
/// retries in a test without waiting for them: the test runs in no time, and
/// [`waits`](Self::waits) tells what the client would have waited (backoff, or the time
/// until a rate-limit reset). Keep an [`Arc`] to read it after the calls.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use xconn_ext::RetryPolicy;
/// use xconn_ext::sandbox::{RecordingSleep, Sandbox, SandboxConfig};
///
/// // Two 503s from the edge, then the real answer.
/// let sandbox = Sandbox::start(SandboxConfig::default().unavailable_burst(2)).await?;
/// let sleep = Arc::new(RecordingSleep::new());
/// let client = xconn_ext::Client::builder()
///     .base_url(sandbox.base_url())
///     .bearer_token(sandbox.token())
///     .retry_policy(RetryPolicy::default().with_max_attempts(3))
///     .sleep_impl(sleep.clone())
///     .build()?;
///
/// client.connections().send().await?;
/// assert_eq!(sleep.waits().len(), 2, "one wait before each retry");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct RecordingSleep {
    waits: Mutex<Vec<Duration>>,
}

impl RecordingSleep {
    /// A recorder with no waits yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A recorder behind an [`Arc`]: one clone for the client, one to read.
    #[must_use]
    pub fn shared() -> Arc<Self> {
        Arc::new(Self::new())
    }

    /// The waits asked for so far, in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.lock().clone()
    }

    /// The sum of the waits asked for so far: the time the calls would have taken asleep.
    pub fn total(&self) -> Duration {
        self.lock().iter().sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Duration>> {
        // A panic elsewhere while holding the lock leaves a valid Vec: keep recording.
        self.waits.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Sleep for RecordingSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.lock().push(duration);
        Box::pin(std::future::ready(()))
    }
}

/// The sandbox's "now" as a watch's [`Clock`]: from
/// [`Sandbox::clock`](super::Sandbox::clock).
///
/// It reads the same time the sandbox stamps on connections and rate-limit
/// resets, so a watch and the sandbox never disagree about when things
/// happened.
#[derive(Clone)]
pub struct SandboxClock {
    shared: Arc<Shared>,
}

impl SandboxClock {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

impl std::fmt::Debug for SandboxClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxClock")
            .field("now", &self.now())
            .finish()
    }
}

impl Clock for SandboxClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.shared.now(), 0).unwrap_or_default()
    }
}

/// A [`Sleep`] that moves the sandbox's clock on by the wait instead of
/// waiting (the [`Churn`](super::Churn) due applies): from
/// [`Sandbox::sleep`](super::Sandbox::sleep).
///
/// With [`SandboxClock`] it makes a watch's hours pass at once, the same
/// way on every run. The sandbox's clock counts whole seconds: the fractions
/// of the waits are carried over to the next one, never lost. It records
/// the waits, as [`RecordingSleep`] does.
pub struct SandboxSleep {
    shared: Arc<Shared>,
    state: Mutex<SleepState>,
}

#[derive(Default)]
struct SleepState {
    waits: Vec<Duration>,
    /// The part of the waits not yet applied to the whole-second clock.
    carry: Duration,
}

impl SandboxSleep {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            state: Mutex::default(),
        }
    }

    /// The waits asked for so far, in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.lock().waits.clone()
    }

    /// The sum of the waits asked for so far.
    pub fn total(&self) -> Duration {
        self.lock().waits.iter().sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SleepState> {
        // A panic elsewhere while holding the lock leaves valid state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for SandboxSleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxSleep")
            .field("waits", &self.lock().waits.len())
            .finish_non_exhaustive()
    }
}

impl Sleep for SandboxSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let secs = {
            let mut state = self.lock();
            state.waits.push(duration);
            state.carry = state.carry.saturating_add(duration);
            let secs = state.carry.as_secs();
            state.carry -= Duration::from_secs(secs);
            secs
        };
        // Outside the lock: advancing applies the churn under the store's.
        self.shared.advance(i64::try_from(secs).unwrap_or(i64::MAX));
        Box::pin(std::future::ready(()))
    }
}
