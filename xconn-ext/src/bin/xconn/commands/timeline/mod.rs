//! `xconn timeline`: the app's connections as a picture, one lane per
//! endpoint, like a state-timeline panel: when each stream dropped and
//! why, how long an endpoint went without a connection, where two
//! overlapped.
//!
//! This file reads the history and writes the file; the rest is pure:
//! [`model`] (lanes, bars, overlaps, gaps), [`axis`] (UTC ticks),
//! [`svg`] (drawing) and [`html`] (the same SVG in a page).
//!
//! Cost: 10,000 connections are laid out and drawn in under a quarter of
//! a second even unoptimised, into an SVG of about 0.8 MiB (a test bounds
//! the size; the timing is in BENCHMARKS.md): lanes too dense to draw bar
//! by bar are aggregated, and gaps and overlaps closer than a pixel are
//! drawn as one mark.

mod axis;
mod frame;
mod html;
mod model;
mod style;
mod svg;

use std::process::ExitCode;

use chrono::{DateTime, TimeDelta, Utc};
use futures::TryStreamExt;
use xconn_ext::{
    Client, Connection, ConnectionField, ConnectionStatus, ListConnections, StreamEndpoint,
};

use crate::args::{TimelineArgs, TimelineOutput as Output};
use crate::failure::{self, exit};
use crate::format::timestamp;
use crate::output::{Progress, Writer};
use crate::select::Selection;

/// What the command was asked, besides which connections to read.
#[derive(Debug, Clone)]
pub struct Options {
    /// Endpoints asked for: each gets a lane, even with no connection.
    pub endpoints: Vec<StreamEndpoint>,
    /// The `--status` asked for, which the picture must say unless it is
    /// `all`: gaps and overlaps then count only those connections.
    pub status: ConnectionStatus,
    /// `--since`/`--until`: the picture's window [default: from the first
    /// connection read to now].
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// `--reason`, `--since`, `--until` as `list` applies them to the
    /// records read.
    pub selection: Selection,
    pub output: Option<Output>,
}

/// Read every page of `request` (all fields) and write the picture. Exit
/// codes as `list`: 2 before anything is sent for bad usage; after a
/// failed page, what was read is drawn and marked incomplete, and the
/// exit code is the failure's.
pub async fn run(client: &Client, args: TimelineArgs) -> ExitCode {
    let selection = match args.filter.selection() {
        Ok(selection) => selection,
        Err(message) => {
            eprintln!("error: {message}; nothing was sent");
            return ExitCode::from(exit::USAGE);
        }
    };
    let options = Options {
        endpoints: args.filter.endpoints.clone(),
        // The history: ended connections too, unless --status says otherwise.
        status: args.filter.status.clone().unwrap_or(ConnectionStatus::All),
        since: args.filter.since,
        until: args.filter.until,
        selection,
        output: args.output,
    };
    draw(super::request(client, &args.filter), options).await
}

/// Read every page of `request` and write the picture `options` describe.
async fn draw(request: ListConnections, options: Options) -> ExitCode {
    let Some(output) = options.output else {
        eprintln!(
            "error: timeline needs -o/--output: FILE.svg, FILE.html, or - for SVG on stdout; \
             nothing was sent"
        );
        return ExitCode::from(exit::USAGE);
    };
    // The run's one "now" (whole seconds, the API's precision), which
    // `--since`/`--until` durations were measured from too.
    let now = crate::time_bound::run_started();
    let since = options.since;
    let until = options.until.unwrap_or(now);
    if let Some(since) = since.filter(|since| *since >= until) {
        eprintln!(
            "error: --since ({}) must be before --until ({}); nothing was sent",
            timestamp(since),
            timestamp(until)
        );
        return ExitCode::from(exit::USAGE);
    }

    let request = request
        .status(options.status.clone())
        .max_results(xconn_ext::MAX_RESULTS_LIMIT)
        .fields(ConnectionField::ALL.iter().cloned());
    let (mut connections, problems, failed) = read_all(request).await;
    connections.retain(|c| options.selection.keeps(c));
    let mut notes = Vec::new();
    if options.status != ConnectionStatus::All {
        let status = options.status.as_str();
        notes.push(format!(
            "Only {status} connections were read (--status {status}): gaps and overlaps count \
             those alone"
        ));
    }
    if let Some(e) = &failed {
        // Nothing read (or nothing sent): no picture claims anything.
        if connections.is_empty() || matches!(e, xconn_ext::Error::InvalidInput(_)) {
            return failure::report(e);
        }
        notes.push(format!(
            "Incomplete: {} (after {} connection(s) were read)",
            failure::message(e),
            connections.len()
        ));
    }
    for problem in &problems {
        eprintln!("warning: {problem}");
        notes.push(format!("The API reported: {problem}"));
    }

    let start = since.unwrap_or_else(|| first_start(&connections, until));
    let timeline = model::build(
        &connections,
        start,
        until,
        now,
        &options.endpoints,
        model::Limits::default(),
    );
    let picture = svg::render(&timeline, &notes);
    let code = match &failed {
        Some(e) => {
            eprintln!(
                "error: {}; the timeline is incomplete: drawn from {} connection(s) read",
                failure::message(e),
                connections.len()
            );
            ExitCode::from(failure::code(e))
        }
        None => ExitCode::SUCCESS,
    };
    write(&output, &picture, code)
}

/// Every page, with the problems the API reported beside the data and the
/// error that cut the reading short, if one did.
async fn read_all(
    request: ListConnections,
) -> (
    Vec<Connection>,
    Vec<xconn_ext::Problem>,
    Option<xconn_ext::Error>,
) {
    let mut connections = Vec::new();
    let mut problems = Vec::new();
    let mut progress = Progress::new();
    let mut pages = request.pages();
    let failed = loop {
        match pages.try_next().await {
            Ok(Some(page)) => {
                progress.page(page.connections.len());
                problems.extend(page.errors);
                connections.extend(page.connections);
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    progress.clear();
    (connections, problems, failed)
}

/// Without `--since`: from the first connection, or the last hour when
/// none began before `until`.
fn first_start(connections: &[Connection], until: DateTime<Utc>) -> DateTime<Utc> {
    connections
        .iter()
        .filter_map(|c| c.connected_at)
        .filter(|t| *t < until)
        .min()
        .unwrap_or(until - TimeDelta::hours(1))
}

fn write(output: &Output, svg: &str, code: ExitCode) -> ExitCode {
    let (path, contents) = match output {
        Output::Stdout => {
            let mut out = Writer::stdout();
            out.raw(svg);
            return out.finish_with(code);
        }
        Output::Svg(path) => (path, svg.to_owned()),
        Output::Html(path) => (path, html::page("Stream connections", svg)),
    };
    match std::fs::write(path, contents) {
        Ok(()) => code,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            ExitCode::from(exit::DECLINED)
        }
    }
}

#[cfg(test)]
mod tests;
