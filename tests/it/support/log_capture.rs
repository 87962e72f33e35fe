//! An in-memory sink for `tracing` output, for the tests that check what
//! the client logs (and that the token is never in it).

use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::Dispatch;
use tracing::subscriber::NoSubscriber;

/// A `Write` into a shared buffer; clones write to the same buffer.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

/// Call before installing a capturing subscriber. Tests run concurrently in
/// this one binary, and tracing caches per callsite whether it is enabled:
/// while at most one subscriber is registered, tracing-core works that out
/// from the default of whichever thread reaches the callsite first, so a
/// callsite first reached by another test's thread (no subscriber there)
/// would stay disabled for the capturing test too. A second, never-dropped
/// (no-op) subscriber makes it consult every live subscriber instead.
pub fn consult_every_subscriber() {
    static SECOND: OnceLock<Dispatch> = OnceLock::new();
    SECOND.get_or_init(|| Dispatch::new(NoSubscriber::default()));
}
