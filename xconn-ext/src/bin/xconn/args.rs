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
    /// X_BEARER_TOKEN, X_BEARER_TOKEN_FILE, X_API_BASE_URL and profiles).
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
    /// Print the man page (roff).
    #[command(after_help = "Examples:
  xconn man > xconn.1 && man ./xconn.1")]
    Man,
    /// Follow connections live: events as they happen, optional metrics.
    Watch(WatchArgs),
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

/// `--reason`: a known reason, or any other wire name (the API may send
/// reasons the spec does not list yet); never empty or with whitespace.
fn parse_reason(s: &str) -> Result<String, String> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{s:?} is not a disconnect reason; known: {}",
            DisconnectReason::NAMES.join(", ")
        ));
    }
    Ok(s.to_owned())
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
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// `--status`: the values of [`ConnectionStatus`], listed in help and
/// completions from `ConnectionStatus::NAMES`.
fn status_parser() -> impl clap::builder::TypedValueParser<Value = ConnectionStatus> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(ConnectionStatus::NAMES)
        .try_map(|s| s.parse::<ConnectionStatus>())
}

/// `-o` of the commands that print one report (`summary`, `terminate`,
/// `endpoints`): text for people, or one JSON document.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

/// A whole number from `min` to `max`; the error says the range (a bare
/// "invalid digit" or "unexpected argument '-1'" does not).
fn whole(s: &str, min: u64, max: u64) -> Result<u64, String> {
    let range = if max == u64::MAX {
        format!("a whole number, at least {min}")
    } else {
        format!("a whole number from {min} to {max}")
    };
    match s.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("`{s}` is not {range}")),
    }
}

/// `--limit`, `--keep`: at least 1.
fn at_least_1(s: &str) -> Result<u64, String> {
    whole(s, 1, u64::MAX)
}

/// `--max-results`: the spec's range.
fn parse_max_results(s: &str) -> Result<u32, String> {
    let n = whole(
        s,
        u64::from(xconn_sdk::spec::MAX_RESULTS_MIN),
        u64::from(xconn_sdk::spec::MAX_RESULTS_MAX),
    )?;
    u32::try_from(n).map_err(|e| e.to_string())
}

/// `--timeout`: more than 0 seconds, at most a day.
fn parse_secs(s: &str) -> Result<Duration, String> {
    seconds(
        s,
        |secs| secs > 0.0 && secs <= 86_400.0,
        "more than 0 and at most 86400",
    )
}

/// A number of seconds (fractions allowed) that `within` accepts; `rule`
/// says which in the error.
fn seconds(s: &str, within: impl Fn(f64) -> bool, rule: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(secs.is_finite() && within(secs)) {
        return Err(format!("`{s}` must be {rule}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `--uuid`: refused here, for the real run and the dry run alike, when the
/// library would refuse it (empty, or holding whitespace or a control
/// character); any other value is for the API to find or not.
fn parse_uuid(s: &str) -> Result<String, String> {
    if s.trim().is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{s:?} is not a connection UUID (empty, or holds whitespace or a control character)"
        ));
    }
    Ok(s.to_owned())
}

fn parse_field(s: &str) -> Result<ConnectionField, String> {
    s.trim()
        .parse()
        .map_err(|e: xconn_ext::ParseEnumError| e.to_string())
}

/// `--endpoint`: [`parse_endpoint`], with the known names offered as
/// possible values, so that shell completions complete endpoint names
/// (not file names).
#[derive(Clone)]
struct EndpointParser;

impl clap::builder::TypedValueParser for EndpointParser {
    type Value = StreamEndpoint;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<StreamEndpoint, clap::Error> {
        let parse: fn(&str) -> Result<StreamEndpoint, String> = parse_endpoint;
        parse.parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            StreamEndpoint::NAMES
                .iter()
                .map(|name| clap::builder::PossibleValue::new(*name)),
        ))
    }
}

/// Parse an endpoint name; an unknown one suggests the closest known name.
fn parse_endpoint(s: &str) -> Result<StreamEndpoint, String> {
    s.parse().map_err(|e: xconn_ext::ParseEnumError| {
        let closest = StreamEndpoint::NAMES
            .iter()
            .map(|name| (strsim::jaro_winkler(s, name), *name))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .filter(|(score, _)| *score > 0.8);
        match closest {
            Some((_, name)) => {
                format!("{e}\n\n  tip: did you mean `{name}`? (`xconn endpoints` lists them)")
            }
            None => format!("{e}\n\n  tip: `xconn endpoints` lists them"),
        }
    })
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

/// `watch --interval`: at least 1 second, at most a day.
fn parse_interval(s: &str) -> Result<Duration, String> {
    seconds(
        s,
        |secs| (1.0..=86_400.0).contains(&secs),
        "at least 1 and at most 86400",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_checked_against_each_flags_range() {
        assert_eq!(parse_secs("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(
            parse_secs("0"),
            Err("`0` must be more than 0 and at most 86400".to_owned())
        );
        assert_eq!(parse_interval("1"), Ok(Duration::from_secs(1)));
        assert_eq!(
            parse_interval("0.5"),
            Err("`0.5` must be at least 1 and at most 86400".to_owned())
        );
        for bad in ["NaN", "inf", "86401"] {
            assert!(
                parse_secs(bad).is_err() && parse_interval(bad).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            parse_secs("soon"),
            Err("`soon` is not a number of seconds".to_owned())
        );
    }

    #[test]
    fn a_typo_suggests_the_closest_endpoint() {
        let err = parse_endpoint("filtred_stream").unwrap_err();
        assert!(err.contains("did you mean `filtered_stream`"), "{err}");
        let err = parse_endpoint("zzz").unwrap_err();
        assert!(!err.contains("did you mean"), "{err}");
    }
}
