//! Setting up before a command runs: the log subscriber `-v` asks for, and
//! the client (against the API with resolved credentials, or against the
//! embedded sandbox).

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use xconn_ext::sandbox::{Sandbox, SandboxConfig};
use xconn_ext::{Client, Error, RetryPolicy};

use crate::args::Cli;
use crate::credentials::{self, Flags, TokenSource};
use crate::failure::{self, exit};

/// Install the subscriber: always the attempt counter (for transport
/// errors), and for `-v`/`-vv` the stderr log.
pub fn init_tracing(verbose: u8) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let counter = crate::attempts::CountAttempts.with_filter(
        tracing_subscriber::filter::Targets::new()
            .with_target(xconn_ext::HTTP_LOG_TARGET, tracing::Level::DEBUG),
    );
    let log = (verbose > 0).then(|| {
        // -v: one line per HTTP attempt; -vv: everything this tool logs.
        let directives = if verbose == 1 {
            "warn,xconn_ext::http=debug"
        } else {
            "xconn=trace,xconn_ext=trace"
        };
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(directives));
        tracing_subscriber::fmt::layer()
            .with_writer(io::stderr)
            .with_ansi(io::stderr().is_terminal())
            .with_filter(filter)
    });
    let _ = tracing_subscriber::registry()
        .with(counter)
        .with(log)
        .try_init();
}

/// The client a command talks through, and the embedded sandbox behind it
/// when `--sandbox` was given (served as long as this lives).
pub struct Session {
    pub client: Client,
    /// Where the credentials came from (profile, token source), for the
    /// prompt before a DELETE; never the token.
    pub origin: String,
    sandbox: Option<Sandbox>,
}

impl Session {
    /// The clock of the embedded sandbox, when there is one: what a watch
    /// dates its own events by (a `terminated` event), so that they agree
    /// with the times the sandbox gives the records (the `disconnected`
    /// that follows it). Against the real API: `None` (the system clock).
    pub fn sandbox_clock(&self) -> Option<xconn_ext::SharedClock> {
        self.sandbox.as_ref().map(Sandbox::clock)
    }
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
    let mut origin = TokenSource::Sandbox.to_string();
    let mut url_source = None;
    let mut builder = Client::builder()
        .timeout(cli.timeout)
        .allow_insecure_http(cli.allow_insecure_http)
        .retry_policy(RetryPolicy::default().with_max_attempts(
            u32::try_from(cli.max_retries.saturating_add(1)).unwrap_or(u32::MAX),
        ));
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
                for warning in &resolved.warnings {
                    eprintln!("warning: {warning}");
                }
                failure::set_token_source(resolved.token_source.to_string());
                origin = resolved.origin();
                if let Some((url, source)) = resolved.base_url {
                    if let Some(message) = versioned_base_url(&url) {
                        eprintln!("error: invalid {source}: {message}; nothing was sent");
                        return Err(ExitCode::from(exit::USAGE));
                    }
                    builder = builder.base_url(url);
                    url_source = Some(source);
                }
                builder = builder.bearer_token(resolved.token);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return Err(ExitCode::from(exit::USAGE));
            }
        }
    }
    match (builder.build(), url_source) {
        (Ok(client), _) => Ok(Session {
            client,
            origin,
            sandbox,
        }),
        // The URL may come from a variable or a profile: name that, not
        // the flag.
        (Err(Error::InvalidInput(e)), Some(source)) if e.field() == "base_url" => {
            let text = e
                .message()
                .replace("allow_insecure_http(true)", "--allow-insecure-http");
            eprintln!("error: invalid {source}: {text}");
            Err(ExitCode::from(exit::USAGE))
        }
        (Err(e), _) => Err(failure::report(&e)),
    }
}

/// Why a base URL that already ends in the API version is refused: the
/// client adds `/2` to every path, so `https://host/2` would request
/// `/2/2/connections`. `None`: the URL is fine (or for the client to judge).
fn versioned_base_url(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url.trim()).ok()?;
    let path = parsed.path().trim_end_matches('/');
    let base = path.strip_suffix("/2")?;
    let mut fixed = parsed.clone();
    fixed.set_path(base);
    Some(format!(
        "`{url}` ends in the API version `/2`, which xconn adds itself; use `{}`",
        fixed.as_str().trim_end_matches('/')
    ))
}
