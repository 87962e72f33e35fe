//! How many HTTP attempts the last request took, counted from the
//! library's one DEBUG event per attempt (target `xconn_ext::http`), so
//! that a transport failure can say how often it was tried.

use std::sync::atomic::{AtomicU32, Ordering};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer};

/// Attempts of the request under way (retries so far).
static CURRENT: AtomicU32 = AtomicU32::new(0);
/// Attempts of the last request that finished (done or given up).
static LAST: AtomicU32 = AtomicU32::new(0);

/// How many attempts the last finished request took (0: none was logged).
pub fn last() -> u32 {
    LAST.load(Ordering::Relaxed)
}

/// The layer that counts; see the module docs.
pub struct CountAttempts;

impl<S: tracing::Subscriber> Layer<S> for CountAttempts {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != xconn_ext::HTTP_LOG_TARGET {
            return;
        }
        let mut decision = Decision(None);
        event.record(&mut decision);
        let attempts = CURRENT.fetch_add(1, Ordering::Relaxed) + 1;
        if decision.0.as_deref() != Some("retry") {
            LAST.store(attempts, Ordering::Relaxed);
            CURRENT.store(0, Ordering::Relaxed);
        }
    }
}

/// The `retry` field of an attempt's event: `done`, `retry` or `give_up`.
struct Decision(Option<String>);

impl Visit for Decision {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "retry" {
            self.0 = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "retry" {
            self.0 = Some(format!("{value:?}").trim_matches('"').to_owned());
        }
    }
}
