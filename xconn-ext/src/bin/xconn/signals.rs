//! SIGINT and SIGTERM: how an operator (or a supervisor) stops a command
//! that runs in the foreground until told (`watch`, `sandbox serve`). Both
//! are a clean stop, exit 0.

use std::process::ExitCode;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// The two stop signals, handled from [`StopSignals::install`] on.
pub struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
}

impl StopSignals {
    /// Handle both from now on (before anything is printed that would make
    /// someone send one). `Err`: the exit code, the reason already printed.
    pub fn install() -> Result<Self, ExitCode> {
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(interrupt), Ok(terminate)) => Ok(Self {
                interrupt,
                terminate,
            }),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("error: cannot handle signals: {e}");
                Err(ExitCode::FAILURE)
            }
        }
    }

    /// Wait for either signal.
    pub async fn received(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
