//! Deterministic time for tests: a [`Sleep`] that never waits.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;

use crate::Sleep;

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
