//! What time it is, pluggable so that tests drive a watch's time.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// The watch's source of "now" (for rate-limit resets and observed times).
///
/// Plug one in with [`crate::Watch::clock`] together with a
/// [`crate::Sleep`] that advances it, and a test runs a long watch at once.
/// The `sandbox` feature has that pair on the sandbox's own time:
/// `Sandbox::clock()` and `Sandbox::sleep()`.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A shared [`Clock`].
pub type SharedClock = Arc<dyn Clock>;
