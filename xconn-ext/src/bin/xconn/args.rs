//! The command line as clap reads it: every command's arguments, their
//! help, and the value parsers that turn text into typed values (a bad
//! value is refused here, before anything is sent).
//!
//! A new command adds its arguments here, a variant to [`Command`], a
//! module under `commands/` and an arm in `main.rs`'s dispatch.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use xconn_ext::{ConnectionField, ConnectionStatus, DisconnectReason, StreamEndpoint};

mod values;

use values::{
    EndpointParser, at_least_1, parse_field, parse_interval, parse_max_results, parse_reason,
    parse_secs, parse_uuid, status_parser, whole,
};

use crate::output::Format;
use crate::select::Selection;
use crate::time_bound::parse_time_bound_now;

/// Heading of the options every command takes, apart from its own.
const GLOBAL: &str = "Global options";

const AFTER_HELP: &str = concat!(
    "Credentials: --token-file/--token/--base-url, then the profile named by --profile (for \
     every setting it holds), then X_BEARER_TOKEN_FILE/X_BEARER_TOKEN/X_API_BASE_URL, then \
     the profile named by XCONN_PROFILE (not with a token variable), else `default`, of \
     config.toml in the platform's config directory under xconn/ (XCONN_CONFIG names another \
     file):\n\n  \
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
pub struct Cli {
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help_heading = GLOBAL,
        help = "API base URL [env: X_API_BASE_URL] [default: https://api.x.com]"
    )]
    pub base_url: Option<String>,
    /// Bearer token of the app (never printed; prefer --token-file: argv shows in `ps`
    /// and shell history) [env: X_BEARER_TOKEN].
    #[arg(long, global = true, value_name = "TOKEN", help_heading = GLOBAL)]
    pub token: Option<String>,
    /// Read the bearer token from this file (`-`: stdin; trailing whitespace trimmed)
    /// [env: X_BEARER_TOKEN_FILE].
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        conflicts_with = "token",
        help_heading = GLOBAL
    )]
    pub token_file: Option<PathBuf>,
    /// Use this profile of config.toml [env: XCONN_PROFILE].
    #[arg(long, global = true, value_name = "NAME", help_heading = GLOBAL)]
    pub profile: Option<String>,
    /// Let an http:// base URL on a non-loopback host (a plain-http proxy) carry the token.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub allow_insecure_http: bool,
    /// Start the embedded sandbox and talk to it (no token or network needed; ignores
    /// X_BEARER_TOKEN, X_BEARER_TOKEN_FILE, X_API_BASE_URL and profiles). It lives only as
    /// long as the command: `xconn sandbox serve` keeps one across commands.
    #[arg(
        long,
        global = true,
        conflicts_with_all = ["base_url", "token", "token_file", "profile", "allow_insecure_http"],
        help_heading = GLOBAL
    )]
    pub sandbox: bool,
    /// Seconds one request attempt may take.
    #[arg(long, global = true, value_name = "SECS", value_parser = parse_secs, default_value = "30", help_heading = GLOBAL)]
    pub timeout: Duration,
    /// Retries after a failed attempt (rate limits, 5xx, timeouts); 0 to 100.
    #[arg(long, global = true, value_name = "N", default_value_t = 2, help_heading = GLOBAL,
          allow_hyphen_values = true, value_parser = |s: &str| whole(s, 0, 100))]
    pub max_retries: u64,
    /// Log to stderr: -v one line per HTTP attempt, -vv everything. The token is never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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

Exit codes: 0 every targeted connection ended (or nothing to end; with --dry-run: every \
target would end); 1 prompt declined; 2 usage; 3/4/5 a failed request (after a failed later batch the partial report is \
printed); 6 the API answered but one or more connections were not terminated (with --dry-run: would \
not be, being not active or not found).")]
    Terminate(TerminateArgs),
    /// Print the stream endpoint names of the API spec this xconn was built from.
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
    /// Print the man page (roff), or write one per command.
    #[command(after_help = "Examples:
  xconn man > xconn.1 && man ./xconn.1
  xconn man --out-dir ~/.local/share/man/man1      xconn.1, xconn-list.1, xconn-terminate.1...")]
    Man(ManArgs),
    /// Follow connections live: events as they happen, optional metrics.
    Watch(WatchArgs),
    /// Draw the history as a picture (SVG or HTML): one lane per endpoint, drops and their
    /// reasons, overlaps, gaps.
    #[command(after_help = "Examples:
  xconn timeline -o timeline.svg               every connection, active and ended
  xconn timeline --since 2d --endpoint filtered_stream -o fs.html
  xconn timeline --since 2026-12-01T00:00:00Z --until 12h -o - | rsvg-convert > t.png")]
    Timeline(TimelineArgs),
    /// The sandbox (a fake of the API with seeded data) as a server of its own.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
}

#[derive(Subcommand)]
pub enum SandboxCommand {
    /// Serve the sandbox in the foreground until SIGINT or SIGTERM (then exit 0): prints
    /// the base URL and the token, and keeps its state across requests from any client.
    #[command(after_help = "Examples:
  xconn sandbox serve --addr 127.0.0.1:8080
  X_API_BASE_URL=http://127.0.0.1:8080 X_BEARER_TOKEN=sandbox-token xconn list
  xconn sandbox serve --churn --seed 7      connections come and go, for `xconn watch`")]
    Serve(ServeArgs),
}

#[derive(Args)]
pub struct ServeArgs {
    /// Where to listen (HOST:PORT; port 0: one the OS chooses). Anyone who reaches it can
    /// end its connections.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:0")]
    pub addr: std::net::SocketAddr,
    /// Seed of the generated connections.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// How many connections to generate (at least 1).
    #[arg(long, value_name = "N", default_value_t = 250, allow_hyphen_values = true,
          value_parser = |s: &str| whole(s, 1, 1_000_000))]
    pub connections: u64,
    /// Connections start and end as requests come in (the sandbox's clock moves one second
    /// per request), for `xconn watch`.
    #[arg(long)]
    pub churn: bool,
}

#[derive(Args)]
pub struct ManArgs {
    /// Write xconn.1 and a page per command (xconn-list.1..., each with every flag) into
    /// this directory instead of printing xconn.1: the pages xconn.1 refers to.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

#[derive(Args)]
pub struct EndpointsArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

#[derive(Args)]
pub struct Filter {
    /// Which connections [default: active for list, all for summary].
    #[arg(long, value_parser = status_parser())]
    pub status: Option<ConnectionStatus>,
    /// Only this endpoint (repeatable).
    #[arg(long = "endpoint", value_name = "NAME", value_parser = EndpointParser)]
    pub endpoints: Vec<StreamEndpoint>,
    #[arg(
        long = "reason",
        value_name = "NAME",
        value_parser = parse_reason,
        help = format!(
            "Only connections that ended with this disconnect reason (repeatable; the spec \
             names {}, and any other reason the API sends works too). Applied by xconn to \
             what the API returns (the API has no such filter)",
            DisconnectReason::NAMES.join(", ")
        )
    )]
    pub reasons: Vec<String>,
    /// Only connections open at or after TIME (active, or ended then or later): RFC 3339
    /// or a duration before now (90m, 2d; units s m h d w). Applied by xconn to what the
    /// API returns (the API has no such filter).
    #[arg(long, value_name = "TIME", value_parser = parse_time_bound_now)]
    pub since: Option<DateTime<Utc>>,
    /// Only connections opened at or before TIME (same forms as --since). Applied by
    /// xconn to what the API returns (the API has no such filter).
    #[arg(long, value_name = "TIME", value_parser = parse_time_bound_now)]
    pub until: Option<DateTime<Utc>>,
}

impl Filter {
    /// The client-side selection `--reason`, `--since` and `--until` make;
    /// `Err`: a usage error (a window that ends before it starts).
    pub fn selection(&self) -> Result<Selection, String> {
        if let (Some(since), Some(until)) = (self.since, self.until)
            && since > until
        {
            return Err(format!(
                "--since ({}) is after --until ({}): no connection can match",
                crate::format::timestamp(since),
                crate::format::timestamp(until)
            ));
        }
        Ok(Selection {
            reasons: self.reasons.clone(),
            since: self.since,
            until: self.until,
        })
    }
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub filter: Filter,
    /// Fields to ask for, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "a,b,..", value_parser = parse_field)]
    pub fields: Vec<ConnectionField>,
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_max_results,
          help = format!(
        "Records per page, {} to {} [default: {}]",
        xconn_sdk::spec::MAX_RESULTS_MIN,
        xconn_sdk::spec::MAX_RESULTS_MAX,
        xconn_ext::MAX_RESULTS_LIMIT
    ))]
    pub max_results: Option<u32>,
    /// Stop after this many connections (at least 1) [default: all of them].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = at_least_1)]
    pub limit: Option<u64>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub filter: Filter,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

#[derive(Args)]
#[command(group(
    ArgGroup::new("target")
        .required(true)
        .multiple(true)
        .args(["all", "endpoint", "uuid", "duplicates"])
))]
pub struct TerminateArgs {
    /// End every active connection.
    #[arg(long, conflicts_with_all = ["endpoint", "uuid", "duplicates"])]
    pub all: bool,
    /// End the connections of this endpoint (with --duplicates: only these endpoints,
    /// repeatable).
    #[arg(long, value_name = "NAME", value_parser = EndpointParser)]
    pub endpoint: Vec<StreamEndpoint>,
    /// End these connections (repeatable).
    #[arg(
        long,
        value_name = "UUID",
        num_args = 1..,
        value_parser = parse_uuid,
        conflicts_with_all = ["endpoint", "duplicates"]
    )]
    pub uuid: Vec<String>,
    /// End duplicate connections: keep the --keep most recently connected per endpoint.
    #[arg(long)]
    pub duplicates: bool,
    /// With --duplicates: how many connections to keep per endpoint, at least 1
    /// [default: 1].
    // Checked in `commands::terminate::run`: clap's `requires` counts the `false`
    // default of a flag as present.
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = at_least_1)]
    pub keep: Option<u64>,
    /// Send no DELETE: read the connections (GET) and print what would be terminated, each
    /// --uuid as `would end`, `not active` or `not found`, and the kept connection of each
    /// endpoint with --duplicates; exits as the real run would (0, or 6).
    #[arg(long)]
    pub dry_run: bool,
    /// Act on a listing of the active connections that the API answered with partial
    /// errors (printed as warnings); without it, such a listing is refused (exit 5), as
    /// it may leave out a connection that should be kept.
    #[arg(long)]
    pub allow_partial_errors: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// `-o` of the commands that print one report (`summary`, `terminate`,
/// `endpoints`): text for people, or one JSON document.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Args)]
#[command(
    after_help = "Runs until SIGINT or SIGTERM, then exits 0. Rate-limit waits, 429s, 5xx, \
                  timeouts and connection failures are waited out and reported on stderr \
                  (--max-retries does not apply). Exit 3 when the API refuses the credentials \
                  or the usage cap is spent; 2 on invalid usage; 5 on a response that cannot \
                  be decoded."
)]
pub struct WatchArgs {
    /// Seconds between polls (at least 1). Stretched when the rate limit
    /// would not last otherwise.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_interval)]
    pub interval: Duration,
    /// Only this endpoint (repeatable).
    #[arg(long = "endpoint", value_name = "NAME", value_parser = EndpointParser)]
    pub endpoints: Vec<StreamEndpoint>,
    /// Output format: one line or one JSON object per event.
    #[arg(short = 'o', long, value_enum, default_value_t = WatchFormat::Text)]
    pub format: WatchFormat,
    /// Serve Prometheus metrics at http://HOST:PORT/metrics (port 0: a free
    /// port; the URL is printed on stderr).
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics_addr: Option<String>,
    /// Whenever an endpoint has more than --keep active connections, end the
    /// least recently connected extras (like `terminate --duplicates`).
    #[arg(long, requires = "yes")]
    pub terminate_duplicates: bool,
    /// Connections per endpoint the guard keeps.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        requires = "terminate_duplicates",
        allow_hyphen_values = true,
        value_parser = |s: &str| whole(s, 1, u64::from(u32::MAX))
    )]
    pub keep: u64,
    /// Confirm --terminate-duplicates (the watch cannot stop to ask).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line: {"event","at","connection"}.
    Ndjson,
}

impl WatchArgs {
    /// Whether this watch serves Prometheus metrics (`--metrics-addr`).
    pub fn serves_metrics(&self) -> bool {
        self.metrics_addr.is_some()
    }
}

#[derive(Args)]
pub struct TimelineArgs {
    #[command(flatten)]
    pub filter: Filter,
    /// Where to write the picture (required): FILE.svg, FILE.html, or - for SVG on stdout.
    #[arg(short = 'o', long, value_name = "FILE.svg|FILE.html|-", value_parser = parse_timeline_output)]
    pub output: Option<TimelineOutput>,
}

/// `timeline -o`: where the picture goes; the format follows from the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineOutput {
    /// `-`: SVG on stdout.
    Stdout,
    Svg(PathBuf),
    Html(PathBuf),
}

/// `-o`: `-`, or a file name ending in `.svg` or `.html`/`.htm`.
pub fn parse_timeline_output(s: &str) -> Result<TimelineOutput, String> {
    if s == "-" {
        return Ok(TimelineOutput::Stdout);
    }
    let path = PathBuf::from(s);
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("svg") => Ok(TimelineOutput::Svg(path)),
        Some("html" | "htm") => Ok(TimelineOutput::Html(path)),
        _ => Err(format!(
            "`{s}`: the name says the format: end it in .svg or .html (or give `-` for SVG \
             on stdout)"
        )),
    }
}
