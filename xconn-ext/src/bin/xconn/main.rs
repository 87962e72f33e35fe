//! `xconn`: see and manage an X app's streaming connections.
//!
//! Exit codes: see `AFTER_HELP` in `args.rs` (also in `--help` and the
//! README) and [`failure::exit`].
//!
//! The layout, from the bottom: `format` (times and durations, a leaf);
//! `output` (formats, stdout, progress) and `failure` (exit codes, error
//! lines); `time_bound` (`--since`/`--until`, a leaf) and `select` (the
//! client-side filters); `credentials`; `args` (clap); `bootstrap` (logging, the
//! client); `commands/` (one module per command); this file (runtime and
//! dispatch).

mod args;
mod attempts;
mod bootstrap;
mod commands;
mod credentials;
mod failure;
mod format;
mod output;
mod select;
mod signals;
mod time_bound;

use std::process::ExitCode;

use clap::Parser;
use xconn_ext::sandbox::SandboxConfig;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    bootstrap::init_tracing(cli.verbose);
    let runtime = match runtime_for(&cli.command).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli))
}

/// The runtime a command needs. Every command but one sends one request at
/// a time and waits for it, so a current-thread runtime does the same work
/// without starting worker threads (the embedded sandbox runs on it too:
/// its server is polled whenever the client waits for it). The exception
/// is `watch --metrics-addr`, which runs for hours and serves scrapes
/// while a poll is decoding pages: there, a worker of its own keeps
/// `/metrics` answering at once.
fn runtime_for(command: &Command) -> tokio::runtime::Builder {
    match command {
        Command::Watch(args) if args.serves_metrics() => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(2);
            builder
        }
        _ => tokio::runtime::Builder::new_current_thread(),
    }
}

/// Run the command: the ones that need no client at once, the others once
/// the client (and the sandbox, if asked for) is set up.
async fn run(cli: Cli) -> ExitCode {
    match &cli.command {
        Command::Endpoints(args) => return commands::endpoints::run(args),
        Command::Completions { shell } => return commands::completions::run(*shell),
        Command::Man(args) => return commands::man::run(args),
        Command::Sandbox(command) => return commands::sandbox::run(command).await,
        _ => {}
    }
    let sandbox_config: fn(SandboxConfig) -> SandboxConfig = match cli.command {
        Command::Watch(_) => commands::watch::sandbox_config,
        _ => std::convert::identity,
    };
    // The session (and its sandbox) lives until the command is done.
    let session = match bootstrap::session(&cli, sandbox_config).await {
        Ok(session) => session,
        Err(code) => return code,
    };
    let client = &session.client;
    match cli.command {
        Command::List(args) => commands::list::run(client, args).await,
        Command::Summary(args) => commands::summary::run(client, args).await,
        Command::Terminate(args) => commands::terminate::run(client, args, &session.origin).await,
        Command::Watch(args) => commands::watch::run(client, args, session.sandbox_clock()).await,
        Command::Timeline(args) => commands::timeline::run(client, args).await,
        Command::Endpoints(_)
        | Command::Completions { .. }
        | Command::Man(_)
        | Command::Sandbox(_) => {
            unreachable!("handled above")
        }
    }
}
