//! Setting up before a command runs: the log subscriber `-v` asks for, and
//! the client (against the API with resolved credentials, or against the
//! embedded sandbox).

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use xconn_ext::sandbox::{Sandbox, SandboxConfig};
use xconn_ext::{Client, RetryPolicy};

use crate::args::Cli;
use crate::credentials::{self, Flags, TokenSource};
use crate::failure::{self, exit};

/// Install the stderr log subscriber for `-v`/`-vv` (nothing without).
pub fn init_tracing(verbose: u8) {
    if verbose == 0 {
        return;
    }
    // -v: one line per HTTP attempt; -vv: everything this tool logs.
    let directives = if verbose == 1 {
        "warn,xconn_ext::http=debug"
    } else {
        "xconn=trace,xconn_ext=trace"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(directives));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .try_init();
}

/// The client a command talks through, and the embedded sandbox behind it
/// when `--sandbox` was given (served as long as this lives).
pub struct Session {
    pub client: Client,
    _sandbox: Option<Sandbox>,
}

/// Build the client the global options describe. With `--sandbox`, start
/// the sandbox with the configuration `sandbox_config` makes of the
/// default (a command may want more going on). `Err`: the exit code, the
/// reason already printed.
pub async fn session(
    cli: &Cli,
    sandbox_config: fn(SandboxConfig) -> SandboxConfig,
) -> Result<Session, ExitCode> {
    let mut sandbox = None;
    let mut builder = Client::builder()
        .timeout(cli.timeout)
        .allow_insecure_http(cli.allow_insecure_http)
        .retry_policy(RetryPolicy::default().with_max_attempts(cli.max_retries.saturating_add(1)));
    if cli.sandbox {
        // Anchor the seeded history at the current minute so that ages and
        // durations read as they would against the real API.
        let now = chrono::Utc::now().timestamp();
        let config = sandbox_config(SandboxConfig::default().epoch(now - now % 60));
        match Sandbox::start(config).await {
            Ok(started) => {
                builder = builder
                    .base_url(started.base_url())
                    .bearer_token(started.token());
                failure::set_token_source(TokenSource::Sandbox.to_string());
                sandbox = Some(started);
            }
            Err(e) => {
                eprintln!("error: cannot start the sandbox: {e}");
                return Err(ExitCode::FAILURE);
            }
        }
    } else {
        let flags = Flags {
            token: cli.token.as_deref(),
            token_file: cli.token_file.as_deref(),
            base_url: cli.base_url.as_deref(),
            profile: cli.profile.as_deref(),
        };
        match credentials::resolve(&flags) {
            Ok(resolved) => {
                failure::set_token_source(resolved.token_source.to_string());
                builder = builder.bearer_token(resolved.token);
                if let Some(url) = resolved.base_url {
                    builder = builder.base_url(url);
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                return Err(ExitCode::from(exit::USAGE));
            }
        }
    }
    match builder.build() {
        Ok(client) => Ok(Session {
            client,
            _sandbox: sandbox,
        }),
        Err(e) => Err(failure::report(&e)),
    }
}
