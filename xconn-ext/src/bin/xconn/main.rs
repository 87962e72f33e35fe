//! `xconn`: see and manage an X app's streaming connections.
//!
//! Exit codes: see `AFTER_HELP` (also in `--help` and the README) and
//! [`failure::exit`].

mod credentials;
mod failure;
mod output;
mod summary;
mod terminate;
mod timeline;
mod watch;

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgGroup, Args, CommandFactory, Parser, Subcommand, ValueEnum};
use futures::{StreamExt, TryStreamExt};
use xconn_ext::sandbox::{Sandbox, SandboxConfig};
use xconn_ext::{Client, ConnectionField, ConnectionStatus, RetryPolicy, StreamEndpoint};

use crate::credentials::{Flags, TokenSource};
use crate::failure::{exit, parse_endpoint};
use crate::output::{Format, Progress, Writer};
use crate::summary::Summary;

/// Heading of the options every command takes, apart from its own.
const GLOBAL: &str = "Global options";

const AFTER_HELP: &str = concat!(
    "Credentials: --token-file/--token, then X_BEARER_TOKEN_FILE/X_BEARER_TOKEN, then the \
     profile (--profile, XCONN_PROFILE, else `default`) of config.toml in the platform's \
     config directory under xconn/ (XCONN_CONFIG names another file):\n\n  \
     [profiles.prod]\n  base_url = \"https://api.x.com\"\n  \
     token_file = \"/home/me/.config/xconn/prod.token\"\n\n",
    "Exit codes:\n",
    "  0  success (every targeted connection ended, for terminate)\n",
    "  1  the confirmation prompt was declined (nothing sent), or output could not be written\n",
    "  2  invalid usage or input (nothing sent)\n",
    "  3  the API answered with a problem (401, 429, 400...)\n",
    "  4  transport failure or timeout\n",
    "  5  a response that could not be decoded\n",
    "  6  terminate: the API answered, but one or more connections were not terminated"
);

#[derive(Parser)]
#[command(
    name = "xconn",
    version,
    about = "See and manage your X app's streaming connections",
    after_help = AFTER_HELP
)]
struct Cli {
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help_heading = GLOBAL,
        help = "API base URL [env: X_API_BASE_URL] [default: https://api.x.com]"
    )]
    base_url: Option<String>,
    /// Bearer token of the app (never printed; prefer --token-file: argv shows in `ps`
    /// and shell history) [env: X_BEARER_TOKEN].
    #[arg(long, global = true, value_name = "TOKEN", help_heading = GLOBAL)]
    token: Option<String>,
    /// Read the bearer token from this file (`-`: stdin; trailing whitespace trimmed)
    /// [env: X_BEARER_TOKEN_FILE].
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        conflicts_with = "token",
        help_heading = GLOBAL
    )]
    token_file: Option<PathBuf>,
    /// Use this profile of config.toml [env: XCONN_PROFILE].
    #[arg(long, global = true, value_name = "NAME", help_heading = GLOBAL)]
    profile: Option<String>,
    /// Let an http:// base URL on a non-loopback host (a plain-http proxy) carry the token.
    #[arg(long, global = true, help_heading = GLOBAL)]
    allow_insecure_http: bool,
    /// Start the embedded sandbox and talk to it (no token or network needed; ignores
    /// X_BEARER_TOKEN, X_BEARER_TOKEN_FILE, X_API_BASE_URL and profiles).
    #[arg(
        long,
        global = true,
        conflicts_with_all = ["base_url", "token", "token_file", "profile", "allow_insecure_http"],
        help_heading = GLOBAL
    )]
    sandbox: bool,
    /// Seconds one request attempt may take.
    #[arg(long, global = true, value_name = "SECS", value_parser = parse_secs, default_value = "30", help_heading = GLOBAL)]
    timeout: Duration,
    /// Retries after a failed attempt (rate limits, 5xx, timeouts).
    #[arg(long, global = true, value_name = "N", default_value_t = 2, help_heading = GLOBAL)]
    max_retries: u32,
    /// Log to stderr: -v one line per HTTP attempt, -vv everything. The token is never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List connections (all pages unless --limit).
    #[command(after_help = "Examples:
  xconn list                                  active connections, with their UUIDs
  xconn list --status inactive -o csv > ended.csv
  xconn list --endpoint filtered_stream --fields connected_at -o ndjson
  xconn --sandbox list --limit 5              try it without a token")]
    List(ListArgs),
    /// Read every page and summarise: window, per endpoint and reason, last disconnects,
    /// duplicates, durations.
    #[command(after_help = "Examples:
  xconn summary                               all connections, active and ended
  xconn summary --endpoint filtered_stream -o json")]
    Summary(SummaryArgs),
    /// End connections: all, one endpoint's, duplicates, or by UUID.
    #[command(after_help = "Examples:
  xconn terminate --duplicates --dry-run      what ending duplicates would do
  xconn terminate --duplicates --keep 2 --endpoint filtered_stream --yes
  xconn terminate --uuid 1f0e... --uuid 2a9b...
  xconn terminate --all --dry-run -o json

Exit codes: 0 every targeted connection ended (or nothing to end, or --dry-run); 1 prompt \
declined; 2 usage; 3/4/5 a failed request (after a failed later batch the partial report is \
printed); 6 the API answered but one or more connections were not terminated.")]
    Terminate(TerminateArgs),
    /// Print the endpoint names the API knows.
    #[command(after_help = "Examples:
  xconn endpoints
  xconn endpoints -o json")]
    Endpoints(EndpointsArgs),
    /// Print a shell completion script.
    #[command(after_help = "Examples:
  xconn completions bash > ~/.local/share/bash-completion/completions/xconn
  xconn completions zsh > \"${fpath[1]}/_xconn\"
  xconn completions fish > ~/.config/fish/completions/xconn.fish")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = "Examples:
  xconn man > xconn.1 && man ./xconn.1")]
    Man,
    /// Follow connections live: events as they happen, optional metrics.
    Watch(watch::WatchArgs),
    /// Draw the history as a picture (SVG or HTML): one lane per endpoint, drops and their
    /// reasons, overlaps, gaps.
    #[command(after_help = "Examples:
  xconn timeline -o timeline.svg               every connection, active and ended
  xconn timeline --since 2d --endpoint filtered_stream -o fs.html
  xconn timeline --since 2026-12-01T00:00:00Z --until 12h -o - | rsvg-convert > t.png")]
    Timeline(TimelineArgs),
}

#[derive(Args)]
struct EndpointsArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
}

#[derive(Args)]
struct Filter {
    /// Which connections.
    #[arg(long, value_parser = status_parser())]
    status: Option<ConnectionStatus>,
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
    #[arg(long, value_name = "N", help = format!(
        "Records per page ({}-{})",
        xconn_sdk::spec::MAX_RESULTS_MIN,
        xconn_sdk::spec::MAX_RESULTS_MAX
    ))]
    max_results: Option<u32>,
    /// Stop after this many connections (at least 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Args)]
struct SummaryArgs {
    #[command(flatten)]
    filter: Filter,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
}

#[derive(Args)]
struct TimelineArgs {
    #[command(flatten)]
    filter: Filter,
    /// Start of the window: RFC 3339, or a duration before now (90m, 2d, 1h30m)
    /// [default: the first connection read].
    #[arg(long, value_name = "WHEN", value_parser = timeline::parse_time_bound)]
    since: Option<timeline::TimeBound>,
    /// End of the window, as --since [default: now].
    #[arg(long, value_name = "WHEN", value_parser = timeline::parse_time_bound)]
    until: Option<timeline::TimeBound>,
    /// Where to write the picture (required): FILE.svg, FILE.html, or - for SVG on stdout.
    #[arg(short = 'o', long, value_name = "FILE.svg|FILE.html|-", value_parser = timeline::parse_output)]
    output: Option<timeline::Output>,
}

#[derive(Args)]
#[command(group(
    ArgGroup::new("target")
        .required(true)
        .multiple(true)
        .args(["all", "endpoint", "uuid", "duplicates"])
))]
struct TerminateArgs {
    /// End every active connection.
    #[arg(long, conflicts_with_all = ["endpoint", "uuid", "duplicates"])]
    all: bool,
    /// End the connections of this endpoint (with --duplicates: only these endpoints,
    /// repeatable).
    #[arg(long, value_name = "NAME", value_parser = parse_endpoint)]
    endpoint: Vec<StreamEndpoint>,
    /// End these connections (repeatable).
    #[arg(long, value_name = "UUID", num_args = 1.., conflicts_with_all = ["endpoint", "duplicates"])]
    uuid: Vec<String>,
    /// End duplicate connections: keep the --keep most recently connected per endpoint.
    #[arg(long)]
    duplicates: bool,
    /// With --duplicates: how many connections to keep per endpoint, at least 1
    /// [default: 1].
    // Checked in `terminate_command`: clap's `requires` counts the `false`
    // default of a flag as present.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    keep: Option<u64>,
    /// Send nothing: print what would be terminated (reads the active connections).
    #[arg(long)]
    dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
}

/// `--status`: the values of [`ConnectionStatus`], listed in help and
/// completions from `ConnectionStatus::NAMES`.
fn status_parser() -> impl clap::builder::TypedValueParser<Value = ConnectionStatus> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(ConnectionStatus::NAMES)
        .try_map(|s| s.parse::<ConnectionStatus>())
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

fn parse_field(s: &str) -> Result<ConnectionField, String> {
    s.trim()
        .parse()
        .map_err(|e: xconn_ext::ParseEnumError| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
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

fn init_tracing(verbose: u8) {
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

async fn run(cli: Cli) -> ExitCode {
    match &cli.command {
        Command::Endpoints(args) => {
            let mut out = Writer::stdout();
            match args.format {
                SummaryFormat::Text => StreamEndpoint::NAMES.iter().for_each(|n| out.line(n)),
                SummaryFormat::Json => out.json(&StreamEndpoint::NAMES),
            }
            return out.finish();
        }
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "xconn", &mut out);
            let mut writer = Writer::stdout();
            writer.raw(&String::from_utf8_lossy(&out));
            return writer.finish();
        }
        Command::Man => {
            let mut out = Vec::new();
            if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut out) {
                eprintln!("error: cannot render the man page: {e}");
                return ExitCode::FAILURE;
            }
            let mut writer = Writer::stdout();
            writer.raw(&String::from_utf8_lossy(&out));
            return writer.finish();
        }
        _ => {}
    }

    // The sandbox lives as long as this function: until the command is done.
    let mut sandbox = None;
    let mut builder = Client::builder()
        .timeout(cli.timeout)
        .allow_insecure_http(cli.allow_insecure_http)
        .retry_policy(RetryPolicy::default().with_max_attempts(cli.max_retries.saturating_add(1)));
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
                failure::set_token_source(TokenSource::Sandbox.to_string());
                sandbox = Some(started);
            }
            Err(e) => {
                eprintln!("error: cannot start the sandbox: {e}");
                return ExitCode::FAILURE;
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
                return ExitCode::from(exit::USAGE);
            }
        }
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(e) => return failure::report(&e),
    };

    let code = match cli.command {
        Command::List(args) => list(&client, args).await,
        Command::Summary(args) => summarize(&client, args).await,
        Command::Terminate(args) => terminate_command(&client, args).await,
        Command::Watch(args) => watch::run(&client, args).await,
        Command::Timeline(args) => {
            let options = timeline::Options {
                endpoints: args.filter.endpoints.clone(),
                // The history: ended connections too, unless --status says otherwise.
                status: args.filter.status.clone().unwrap_or(ConnectionStatus::All),
                since: args.since,
                until: args.until,
                output: args.output,
            };
            timeline::run(request(&client, &args.filter), options).await
        }
        Command::Endpoints(_) | Command::Completions { .. } | Command::Man => {
            unreachable!("handled above")
        }
    };
    drop(sandbox);
    code
}

fn request(client: &Client, filter: &Filter) -> xconn_ext::ListConnections {
    let mut request = client.connections();
    if let Some(status) = filter.status.clone() {
        request = request.status(status);
    }
    if !filter.endpoints.is_empty() {
        request = request.endpoints(filter.endpoints.iter().cloned());
    }
    request
}

async fn list(client: &Client, args: ListArgs) -> ExitCode {
    let request = request(client, &args.filter)
        .max_results(args.max_results.unwrap_or(xconn_ext::MAX_RESULTS_LIMIT))
        .fields(list_fields(&args.fields, args.format));
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
                // A usage error is found before anything is sent: nothing
                // was read, so no document claims anything.
                if matches!(e, xconn_ext::Error::InvalidInput(_)) {
                    return failure::report(&e);
                }
                let printed = printer.abort(&mut out, &e);
                let _ = out.finish();
                if printed == 0 {
                    return failure::report(&e);
                }
                eprintln!(
                    "error: {}; the listing is incomplete: {printed} connection(s) printed",
                    failure::message(&e)
                );
                return ExitCode::from(failure::code(&e));
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

/// What `list` asks for: the fields asked (all by default), always with
/// `id` and `endpoint_name`, and for `table`/`csv` the two fields the
/// STATUS column is derived from (without them every row would look
/// active). A field the user repeated stays repeated: the library names it.
fn list_fields(asked: &[ConnectionField], format: Format) -> Vec<ConnectionField> {
    if asked.is_empty() {
        return ConnectionField::ALL.to_vec();
    }
    let mut fields = asked.to_vec();
    let mut needed = vec![ConnectionField::Id, ConnectionField::EndpointName];
    if matches!(format, Format::Table | Format::Csv) {
        needed.extend([
            ConnectionField::DisconnectedAt,
            ConnectionField::DisconnectReason,
        ]);
    }
    for field in needed {
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    fields
}

async fn summarize(client: &Client, args: SummaryArgs) -> ExitCode {
    let mut request = request(client, &args.filter)
        .max_results(xconn_ext::MAX_RESULTS_LIMIT)
        .fields(ConnectionField::ALL.iter().cloned());
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
                return failure::report(&e);
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

async fn terminate_command(client: &Client, args: TerminateArgs) -> ExitCode {
    if args.keep.is_some() && !args.duplicates {
        eprintln!("error: --keep applies only with --duplicates; nothing was sent");
        return ExitCode::from(exit::USAGE);
    }
    let target = if args.all {
        terminate::Target::All
    } else if args.duplicates {
        terminate::Target::Duplicates {
            keep: args
                .keep
                .map_or(1, |n| usize::try_from(n).unwrap_or(usize::MAX)),
            endpoints: args.endpoint,
        }
    } else if !args.uuid.is_empty() {
        terminate::Target::Uuids(args.uuid)
    } else {
        match <[StreamEndpoint; 1]>::try_from(args.endpoint) {
            Ok([endpoint]) => terminate::Target::Endpoint(endpoint),
            Err(_) => {
                eprintln!(
                    "error: terminate takes one --endpoint (several only with --duplicates); \
                     nothing was sent"
                );
                return ExitCode::from(exit::USAGE);
            }
        }
    };
    let options = terminate::Options {
        yes: args.yes,
        dry_run: args.dry_run,
        json: args.format == SummaryFormat::Json,
    };
    terminate::run(client, target, options, &mut terminate::Terminal).await
}
