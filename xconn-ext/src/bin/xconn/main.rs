//! `xconn`: see and manage an X app's streaming connections.
//!
//! Exit codes: 0 success; 2 invalid usage or input (nothing sent); 3 the API
//! answered with a problem; 4 transport failure or timeout; 5 a response
//! that could not be decoded.

mod output;
mod summary;
mod watch;

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use futures::{StreamExt, TryStreamExt};
use xconn_ext::sandbox::{Sandbox, SandboxConfig};
use xconn_ext::{
    Client, ConnectionField, ConnectionStatus, Error, RetryPolicy, StreamEndpoint, TerminateReport,
};

use crate::output::{Format, Progress, Writer};
use crate::summary::Summary;

#[derive(Parser)]
#[command(
    name = "xconn",
    version,
    about = "See and manage your X app's streaming connections",
    after_help = "Exit codes: 0 success; 2 invalid usage or input (nothing sent); 3 the API \
                  answered with a problem; 4 transport failure or timeout; 5 a response that \
                  could not be decoded."
)]
struct Cli {
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help = "API base URL [env: X_API_BASE_URL] [default: https://api.x.com]"
    )]
    base_url: Option<String>,
    /// Bearer token of the app (never printed).
    #[arg(
        long,
        global = true,
        env = "X_BEARER_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<String>,
    /// Start the embedded sandbox and talk to it (no token or network needed).
    #[arg(long, global = true)]
    sandbox: bool,
    /// Seconds one request attempt may take.
    #[arg(long, global = true, value_name = "SECS", value_parser = parse_secs, default_value = "30")]
    timeout: Duration,
    /// Retries after a failed attempt (rate limits, 5xx, timeouts).
    #[arg(long, global = true, value_name = "N", default_value_t = 2)]
    max_retries: u32,
    /// Log to stderr (-v debug, -vv trace). The token is never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List connections (all pages unless --limit).
    List(ListArgs),
    /// Read every page and summarise: per endpoint, per reason, durations.
    Summary(SummaryArgs),
    /// End connections: all, one endpoint's, or by UUID.
    Terminate(TerminateArgs),
    /// Print the endpoint names the API knows.
    Endpoints,
    /// Follow connections live: events as they happen, optional metrics.
    Watch(watch::WatchArgs),
}

#[derive(Args)]
struct Filter {
    /// Which connections.
    #[arg(long, value_enum)]
    status: Option<StatusArg>,
    /// Only this endpoint (repeatable).
    #[arg(long = "endpoint", value_name = "NAME", value_parser = parse_endpoint)]
    endpoints: Vec<StreamEndpoint>,
}

#[derive(Args)]
struct ListArgs {
    #[command(flatten)]
    filter: Filter,
    /// Fields to ask for, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "a,b,..", value_parser = parse_field)]
    fields: Vec<ConnectionField>,
    /// Records per page (1-100).
    #[arg(long, value_name = "N")]
    max_results: Option<u32>,
    /// Stop after this many connections (at least 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Args)]
struct SummaryArgs {
    #[command(flatten)]
    filter: Filter,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
}

#[derive(Args)]
#[command(group(ArgGroup::new("target").required(true).args(["all", "endpoint", "uuid"])))]
struct TerminateArgs {
    /// End every active connection.
    #[arg(long)]
    all: bool,
    /// End the connections of this endpoint.
    #[arg(long, value_name = "NAME", value_parser = parse_endpoint)]
    endpoint: Option<StreamEndpoint>,
    /// End these connections (repeatable).
    #[arg(long, value_name = "UUID", num_args = 1..)]
    uuid: Vec<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum StatusArg {
    Active,
    Inactive,
    All,
}

impl From<StatusArg> for ConnectionStatus {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Active => ConnectionStatus::Active,
            StatusArg::Inactive => ConnectionStatus::Inactive,
            StatusArg::All => ConnectionStatus::All,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SummaryFormat {
    Text,
    Json,
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
        return Err(format!("`{s}` must be more than 0 and at most 86400"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_endpoint(s: &str) -> Result<StreamEndpoint, String> {
    s.parse()
        .map_err(|e: xconn_ext::ParseEnumError| e.to_string())
}

fn parse_field(s: &str) -> Result<ConnectionField, String> {
    s.trim()
        .parse()
        .map_err(|e: xconn_ext::ParseEnumError| e.to_string())
}

/// Exit codes, as documented in `--help` and the README.
mod exit {
    pub const USAGE: u8 = 2;
    pub const API: u8 = 3;
    pub const TRANSPORT: u8 = 4;
    pub const DECODE: u8 = 5;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli))
}

fn init_tracing(verbose: u8) {
    if verbose == 0 {
        return;
    }
    let level = if verbose == 1 { "debug" } else { "trace" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("xconn={level},xconn_ext={level}"))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .try_init();
}

async fn run(cli: Cli) -> ExitCode {
    if let Command::Endpoints = cli.command {
        let mut out = Writer::stdout();
        for name in StreamEndpoint::NAMES {
            out.line(name);
        }
        return out.finish();
    }

    // The sandbox lives as long as this function: until the command is done.
    let mut sandbox = None;
    let mut builder = Client::builder()
        .from_env()
        .timeout(cli.timeout)
        .retry_policy(RetryPolicy::default().with_max_attempts(cli.max_retries.saturating_add(1)));
    if let Some(url) = &cli.base_url {
        builder = builder.base_url(url);
    }
    if let Some(token) = &cli.token {
        builder = builder.bearer_token(token);
    }
    if cli.sandbox {
        // Anchor the seeded history at the current minute so that ages and
        // durations read as they would against the real API.
        let now = chrono::Utc::now().timestamp();
        let mut config = SandboxConfig::default().epoch(now - now % 60);
        if let Command::Watch(_) = cli.command {
            config = watch::sandbox_config(config);
        }
        match Sandbox::start(config).await {
            Ok(started) => {
                builder = builder
                    .base_url(started.base_url())
                    .bearer_token(started.token());
                sandbox = Some(started);
            }
            Err(e) => {
                eprintln!("error: cannot start the sandbox: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(e) => return report(&e),
    };

    let code = match cli.command {
        Command::List(args) => list(&client, args).await,
        Command::Summary(args) => summarize(&client, args).await,
        Command::Terminate(args) => terminate(&client, args).await,
        Command::Watch(args) => watch::run(&client, args).await,
        Command::Endpoints => unreachable!("handled above"),
    };
    drop(sandbox);
    code
}

fn request(client: &Client, filter: &Filter) -> xconn_ext::ListConnections {
    let mut request = client.connections();
    if let Some(status) = filter.status {
        request = request.status(status.into());
    }
    if !filter.endpoints.is_empty() {
        request = request.endpoints(filter.endpoints.iter().cloned());
    }
    request
}

async fn list(client: &Client, args: ListArgs) -> ExitCode {
    let mut request = request(client, &args.filter).max_results(args.max_results.unwrap_or(100));
    if !args.fields.is_empty() {
        let mut fields = args.fields.clone();
        if args.format == Format::Table {
            // The STATUS column is derived from these; without them every
            // row would look active.
            for needed in [
                ConnectionField::DisconnectedAt,
                ConnectionField::DisconnectReason,
            ] {
                if !fields.contains(&needed) {
                    fields.push(needed);
                }
            }
        }
        request = request.fields(fields);
    }
    let mut out = Writer::stdout();
    let mut progress = Progress::new();
    let mut printer = output::Printer::new(args.format);
    let mut pages = request.pages();
    let mut remaining = args
        .limit
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    while remaining > 0 {
        let page = match pages.try_next().await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(e) => {
                progress.clear();
                printer.abort(&mut out);
                let _ = out.finish();
                return report(&e);
            }
        };
        progress.page(page.connections.len());
        printer.errors(&page.errors);
        for connection in page.connections.into_iter().take(remaining) {
            printer.connection(&mut out, &connection);
            remaining -= 1;
        }
        if out.closed() {
            break;
        }
    }
    progress.clear();
    printer.finish(&mut out);
    out.finish()
}

async fn summarize(client: &Client, args: SummaryArgs) -> ExitCode {
    let mut request = request(client, &args.filter).max_results(100);
    if args.filter.status.is_none() {
        // "What happened to my streams?" is about ended ones too.
        request = request.status(ConnectionStatus::All);
    }
    let now = chrono::Utc::now();
    let mut summary = Summary::default();
    let mut progress = Progress::new();
    let mut pages = request.pages();
    loop {
        match pages.next().await {
            Some(Ok(page)) => {
                progress.page(page.connections.len());
                for connection in &page.connections {
                    summary.add(connection, now);
                }
            }
            Some(Err(e)) => {
                progress.clear();
                return report(&e);
            }
            None => break,
        }
    }
    progress.clear();
    summary.finish();
    let mut out = Writer::stdout();
    match args.format {
        SummaryFormat::Text => out.raw(&summary.render_text()),
        SummaryFormat::Json => out.json(&summary),
    }
    out.finish()
}

async fn terminate(client: &Client, args: TerminateArgs) -> ExitCode {
    let what = if args.all {
        "ALL active connections".to_owned()
    } else if let Some(endpoint) = &args.endpoint {
        format!("every active connection of {endpoint}")
    } else {
        format!("{} connection(s) by UUID", args.uuid.len())
    };
    if !args.yes {
        match confirm(&what) {
            Confirmation::Yes => {}
            Confirmation::No => {
                eprintln!("aborted; nothing was terminated");
                return ExitCode::from(exit::USAGE);
            }
            Confirmation::NoTerminal => {
                eprintln!(
                    "error: refusing to terminate {what} without --yes (no terminal to confirm on); nothing was sent"
                );
                return ExitCode::from(exit::USAGE);
            }
        }
    }
    let result = if args.all {
        client.terminate_all().await
    } else if let Some(endpoint) = args.endpoint {
        client.terminate_endpoint(endpoint).await
    } else {
        client.terminate(args.uuid).await
    };
    match result {
        Ok(report_) => {
            let mut out = Writer::stdout();
            match args.format {
                SummaryFormat::Text => out.raw(&render_report(&report_)),
                SummaryFormat::Json => out.json(&report_),
            }
            out.finish()
        }
        Err(e) => report(&e),
    }
}

fn render_report(report: &TerminateReport) -> String {
    use std::fmt::Write as _;
    let mut text = format!(
        "terminated {}, failed {}\n",
        report.successful, report.failed
    );
    for result in &report.results {
        let outcome = if result.success {
            "ok".to_owned()
        } else {
            format!(
                "failed: {}",
                result.error_message.as_deref().unwrap_or("no reason given")
            )
        };
        let _ = writeln!(text, "{}  {outcome}", result.uuid);
    }
    for problem in &report.errors {
        let _ = writeln!(text, "warning: {problem}");
    }
    text
}

enum Confirmation {
    Yes,
    No,
    NoTerminal,
}

fn confirm(what: &str) -> Confirmation {
    if !(io::stdin().is_terminal() && io::stderr().is_terminal()) {
        return Confirmation::NoTerminal;
    }
    eprint!("Terminate {what}? [y/N] ");
    let _ = io::stderr().flush();
    let mut answer = String::new();
    match io::stdin().lock().read_line(&mut answer) {
        Ok(_) if matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") => Confirmation::Yes,
        _ => Confirmation::No,
    }
}

/// Print one clear line for an error and choose the exit code.
fn report(error: &Error) -> ExitCode {
    let code = match error {
        Error::InvalidInput(_) => exit::USAGE,
        Error::Api(_) | Error::RateLimited(_) => exit::API,
        Error::Timeout { .. } | Error::Transport(_) => exit::TRANSPORT,
        _ => exit::DECODE,
    };
    let line = match error {
        Error::Api(e) => {
            let mut line = format!("API error {} [{}] {}", e.status, e.kind, e.problem);
            if let Some(wait) = e.retry_after {
                line.push_str(&format!("; retry in {}s", wait.as_secs_f64().ceil() as u64));
            }
            if e.kind == xconn_ext::ProblemKind::UsageCapped {
                line.push_str(
                    "; the usage cap is spent: waiting will not help until the cap period resets",
                );
            }
            line
        }
        Error::RateLimited(e) => {
            let when = e
                .retry_after
                .map(|w| format!("retry in {}s", (w.as_secs_f64().ceil() as u64).max(1)))
                .or_else(|| {
                    e.rate_limit
                        .and_then(|rl| rl.reset)
                        .map(|reset| format!("retry after {}", reset.to_rfc3339()))
                })
                .unwrap_or_else(|| "retry later".to_owned());
            format!("rate limited [TooManyRequests] {}; {when}", e.problem)
        }
        other => {
            // Transport errors say what failed only in their sources.
            let mut line = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(cause) = source {
                line.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            line
        }
    };
    eprintln!("error: {line}");
    ExitCode::from(code)
}
