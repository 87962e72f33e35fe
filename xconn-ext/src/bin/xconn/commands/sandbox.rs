//! `xconn sandbox serve`: the sandbox as a foreground server, so that a
//! cleanup can be checked with a following `list`, and other programs'
//! tests (in any language) have a fake X to point at.

use std::io::Write as _;
use std::process::ExitCode;

use xconn_ext::sandbox::{Churn, Sandbox, SandboxConfig};

use crate::args::{SandboxCommand, ServeArgs};
use crate::output::Writer;
use crate::signals::StopSignals;

/// Run a `sandbox` subcommand.
pub async fn run(command: &SandboxCommand) -> ExitCode {
    match command {
        SandboxCommand::Serve(args) => serve(args).await,
    }
}

/// Serve until SIGINT or SIGTERM, then exit 0.
async fn serve(args: &ServeArgs) -> ExitCode {
    // Handlers before the address is printed: whoever reads it may signal.
    let mut stop = match StopSignals::install() {
        Ok(stop) => stop,
        Err(code) => return code,
    };
    // As with --sandbox: the seeded history ends at the current minute, so
    // ages and durations read as they would against the real API.
    let now = chrono::Utc::now().timestamp();
    let mut config = SandboxConfig::default()
        .host(args.addr.ip())
        .port(args.addr.port())
        .seed(args.seed)
        .connections(usize::try_from(args.connections).unwrap_or(usize::MAX))
        .epoch(now - now % 60);
    if args.churn {
        config = config.churn(Churn::default().seed(args.seed));
    }
    let sandbox = match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("error: cannot serve the sandbox on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    let mut out = Writer::stdout();
    // The sandbox's token is public (the sandbox guards nothing): printed
    // so that other programs can be configured with it.
    out.raw(&format!(
        "X_API_BASE_URL={}\nX_BEARER_TOKEN={}\n# the sandbox is serving; SIGINT (Ctrl-C) or \
         SIGTERM stops it\n",
        sandbox.base_url(),
        sandbox.token()
    ));
    let code = out.finish();
    let _ = std::io::stdout().flush();
    if code != ExitCode::SUCCESS {
        return code;
    }
    tokio::select! {
        _ = stop.received() => {}
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}
