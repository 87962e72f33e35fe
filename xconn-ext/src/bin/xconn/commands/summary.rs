//! `xconn summary`: what happened to my streams, in numbers.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;
use xconn_ext::{
    Client, Connection, ConnectionField, ConnectionStatus, DisconnectReason, Problem,
    StreamEndpoint,
};

mod durations;

use durations::Durations;

use crate::args::{ReportFormat, SummaryArgs};
use crate::failure;
use crate::format::{human, timestamp};
use crate::output::{Progress, Writer};

/// Read every page (ended connections too, unless `--status` says
/// otherwise), then print the summary: nothing is printed before the last
/// page is read.
pub async fn run(client: &Client, args: SummaryArgs) -> ExitCode {
    let selection = match args.filter.selection() {
        Ok(selection) => selection,
        Err(message) => {
            eprintln!("error: {message}; nothing was sent");
            return ExitCode::from(failure::exit::USAGE);
        }
    };
    let mut request = super::request(client, &args.filter)
        .max_results(xconn_ext::MAX_RESULTS_LIMIT)
        .fields(ConnectionField::ALL.iter().cloned());
    if args.filter.status.is_none() {
        // "What happened to my streams?" is about ended ones too.
        request = request.status(ConnectionStatus::All);
    }
    let now = chrono::Utc::now();
    let mut summary = Summary::default();
    if let Some(why) = actives_unread(&args) {
        summary.actives_not_read(why);
    }
    let mut progress = Progress::new();
    let mut pages = request.pages();
    loop {
        match pages.next().await {
            Some(Ok(page)) => {
                progress.page(page.connections.len());
                for connection in &page.connections {
                    if selection.keeps(connection) {
                        summary.add(connection, now);
                    }
                }
                // Kept, as `list` keeps them: the counts are of the records
                // that came, and the API said something is missing.
                summary.errors.extend(page.errors);
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
        ReportFormat::Text => {
            out.raw(&summary.render_text());
            // As `list` does: one warning per partial error, exit 0.
            for problem in &summary.errors {
                eprintln!("warning: {problem}");
            }
        }
        ReportFormat::Json => out.json(&summary),
    }
    out.finish()
}

/// Why the active connections are not all counted, if they are not.
fn actives_unread(args: &SummaryArgs) -> Option<&'static str> {
    let filter = &args.filter;
    if filter.status == Some(ConnectionStatus::Inactive) {
        Some("--status inactive: active connections were not listed")
    } else if !filter.reasons.is_empty() {
        Some("--reason keeps only ended connections")
    } else if filter.until.is_some() {
        Some("--until leaves out connections opened after it")
    } else {
        None
    }
}

/// Counts gathered over every connection seen, one at a time. Memory does
/// not grow with the number of connections: only with the number of
/// distinct endpoints and reasons, plus a duration histogram of fixed
/// resolution (see [`Durations`]).
///
/// [`Summary::add`] counts into a small table keyed by the typed endpoint
/// and reason (compared as enums, never as strings, and allocating
/// nothing); [`Summary::finish`] turns it into the named maps printed.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub total: u64,
    pub active: u64,
    pub inactive: u64,
    /// The earliest and latest timestamps read (`connected_at` or
    /// `disconnected_at`): the period this summary covers.
    pub window: Window,
    pub by_endpoint: BTreeMap<String, StatusCounts>,
    pub by_reason: BTreeMap<String, u64>,
    /// endpoint -> reason -> count, for ended connections.
    pub by_endpoint_reason: BTreeMap<String, BTreeMap<String, u64>>,
    /// endpoint -> its most recent disconnect.
    pub last_disconnect: BTreeMap<String, LastDisconnect>,
    /// Endpoints with more than one active connection; `None` (`null`)
    /// when the active connections were not all read, with the reason in
    /// `duplicates_note`: an empty list would read as "none".
    pub duplicates: Option<Vec<Duplicate>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates_note: Option<&'static str>,
    pub duration_secs: DurationStats,
    /// The partial errors the API sent beside the data, page after page
    /// (as `list --format json` prints them).
    pub errors: Vec<Problem>,
    #[serde(skip)]
    tally: Vec<EndpointTally>,
    #[serde(skip)]
    durations: Durations,
}

/// What [`Summary::add`] counts for one endpoint (`None`: records without
/// one).
#[derive(Debug)]
struct EndpointTally {
    endpoint: Option<StreamEndpoint>,
    counts: StatusCounts,
    /// Ended connections per reason (`None`: no reason given).
    reasons: Vec<(Option<DisconnectReason>, u64)>,
    /// The latest disconnect: its time (`None` orders first) and reason.
    last: Option<(Option<DateTime<Utc>>, Option<DisconnectReason>)>,
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Window {
    #[serde(serialize_with = "ser_time")]
    pub from: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_time")]
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct LastDisconnect {
    #[serde(serialize_with = "ser_time")]
    pub at: Option<DateTime<Utc>>,
    pub reason: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Duplicate {
    pub endpoint: String,
    pub active: u64,
}

fn ser_time<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&timestamp(*t)),
        None => s.serialize_none(),
    }
}

/// One endpoint's connections by status (not the library's
/// `xconn_ext::EndpointCounts`, which counts a duplicates plan).
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct StatusCounts {
    pub total: u64,
    pub active: u64,
    pub inactive: u64,
}

/// Durations of ended connections only: an active connection's duration
/// is still growing and would pull the median down.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct DurationStats {
    /// What the figures cover: always `"ended"`.
    pub covers: &'static str,
    /// How many durations they are computed from.
    pub count: u64,
    /// Exact below 2048 seconds, within 0.05% above (see [`Durations`]).
    pub median: Option<u64>,
    /// What `median` is: `"exact"` (every duration below 2048 s), or
    /// `"within 0.05%"`; `None` without a median.
    pub median_precision: Option<&'static str>,
    /// Exact.
    pub max: Option<u64>,
}

impl Summary {
    /// Say that the active connections were not all read (`why`):
    /// duplicates are then not reported as none, but as not read.
    pub fn actives_not_read(&mut self, why: &'static str) {
        self.duplicates_note = Some(why);
    }

    pub fn add(&mut self, connection: &Connection, now: DateTime<Utc>) {
        self.total += 1;
        for t in [connection.connected_at, connection.disconnected_at]
            .into_iter()
            .flatten()
        {
            self.window.from = Some(self.window.from.map_or(t, |from| from.min(t)));
            self.window.to = Some(self.window.to.map_or(t, |to| to.max(t)));
        }
        let tally = self.tally_for(connection.endpoint.as_ref());
        tally.counts.total += 1;
        if connection.is_active() {
            tally.counts.active += 1;
            self.active += 1;
            return;
        }
        tally.counts.inactive += 1;
        let reason = connection.disconnect_reason.as_ref();
        match tally.reasons.iter_mut().find(|(r, _)| r.as_ref() == reason) {
            Some((_, count)) => *count += 1,
            None => tally.reasons.push((reason.cloned(), 1)),
        }
        let at = connection.disconnected_at;
        // `None` orders before any time: a dated disconnect always wins.
        if tally.last.as_ref().is_none_or(|(last, _)| at > *last) {
            tally.last = Some((at, reason.cloned()));
        }
        self.inactive += 1;
        if let Some(d) = connection.duration(now) {
            self.durations.record(d.as_secs());
        }
    }

    /// The tally of `endpoint`, found by comparing enums (a handful of
    /// endpoints: a scan beats a map), created the first time.
    fn tally_for(&mut self, endpoint: Option<&StreamEndpoint>) -> &mut EndpointTally {
        let index = match self
            .tally
            .iter()
            .position(|t| t.endpoint.as_ref() == endpoint)
        {
            Some(index) => index,
            None => {
                self.tally.push(EndpointTally {
                    endpoint: endpoint.cloned(),
                    counts: StatusCounts::default(),
                    reasons: Vec::new(),
                    last: None,
                });
                self.tally.len() - 1
            }
        };
        &mut self.tally[index]
    }

    /// Fill the named maps and the duration statistics from what was
    /// added (again after more is added).
    pub fn finish(&mut self) {
        self.by_endpoint.clear();
        self.by_reason.clear();
        self.by_endpoint_reason.clear();
        self.last_disconnect.clear();
        for tally in &self.tally {
            // Distinct tallies may share a name (an unknown endpoint named
            // like the placeholder): their counts add up.
            let endpoint = tally
                .endpoint
                .as_ref()
                .map_or(UNKNOWN_ENDPOINT, |e| e.as_str());
            let counts = counter(&mut self.by_endpoint, endpoint);
            counts.total += tally.counts.total;
            counts.active += tally.counts.active;
            counts.inactive += tally.counts.inactive;
            for (reason, count) in &tally.reasons {
                let reason = reason_name(reason.as_ref());
                *counter(&mut self.by_reason, reason) += count;
                *counter(counter(&mut self.by_endpoint_reason, endpoint), reason) += count;
            }
            if let Some((at, reason)) = &tally.last
                && self
                    .last_disconnect
                    .get(endpoint)
                    .is_none_or(|last| *at > last.at)
            {
                self.last_disconnect.insert(
                    endpoint.to_owned(),
                    LastDisconnect {
                        at: *at,
                        reason: reason_name(reason.as_ref()).to_owned(),
                    },
                );
            }
        }
        self.duplicates = match self.duplicates_note {
            Some(_) => None,
            None => Some(
                self.by_endpoint
                    .iter()
                    .filter(|(_, c)| c.active > 1)
                    .map(|(endpoint, c)| Duplicate {
                        endpoint: endpoint.clone(),
                        active: c.active,
                    })
                    .collect(),
            ),
        };
        let median = self.durations.median();
        self.duration_secs = DurationStats {
            covers: "ended",
            count: self.durations.count(),
            median,
            median_precision: median.map(|_| self.durations.precision()),
            max: self.durations.max,
        };
    }

    pub fn render_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} connections: {} active, {} inactive",
            self.total, self.active, self.inactive
        );
        let time = |t: Option<DateTime<Utc>>| t.map_or("-".to_owned(), timestamp);
        let _ = writeln!(
            out,
            "window: {} to {}",
            time(self.window.from),
            time(self.window.to)
        );
        let fmt_secs = |s: Option<u64>| s.map_or("-".to_owned(), |s| human(Duration::from_secs(s)));
        let precision = self
            .duration_secs
            .median_precision
            .map_or(String::new(), |p| format!(" ({p})"));
        let _ = writeln!(
            out,
            "duration of the {} ended connections: median {}{precision}, max {}",
            self.duration_secs.count,
            fmt_secs(self.duration_secs.median),
            fmt_secs(self.duration_secs.max)
        );
        match (&self.duplicates, self.duplicates_note) {
            (Some(duplicates), _) => {
                for d in duplicates {
                    let _ = writeln!(
                        out,
                        "duplicates: {} has {} active connections ({})",
                        d.endpoint,
                        d.active,
                        suggestion(&d.endpoint)
                    );
                }
            }
            (None, note) => {
                let _ = writeln!(out, "duplicates: not read ({})", note.unwrap_or("-"));
            }
        }
        if !self.by_endpoint.is_empty() {
            let width = self
                .by_endpoint
                .keys()
                .map(String::len)
                .max()
                .unwrap_or(0)
                .max(8);
            let _ = writeln!(
                out,
                "\n{:<width$}  {:>6}  {:>6}  {:>8}",
                "ENDPOINT", "TOTAL", "ACTIVE", "INACTIVE"
            );
            for (name, c) in &self.by_endpoint {
                let _ = writeln!(
                    out,
                    "{name:<width$}  {:>6}  {:>6}  {:>8}",
                    c.total, c.active, c.inactive
                );
            }
        }
        if !self.by_reason.is_empty() {
            let width = self
                .by_reason
                .keys()
                .map(String::len)
                .max()
                .unwrap_or(0)
                .max(17);
            let _ = writeln!(out, "\n{:<width$}  {:>6}", "DISCONNECT REASON", "COUNT");
            let mut reasons: Vec<_> = self.by_reason.iter().collect();
            reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (reason, count) in reasons {
                let _ = writeln!(out, "{reason:<width$}  {count:>6}");
            }
        }
        if !self.by_endpoint_reason.is_empty() {
            let _ = writeln!(
                out,
                "\nENDPOINT / DISCONNECT REASON  COUNT  LAST DISCONNECT"
            );
            for (endpoint, reasons) in &self.by_endpoint_reason {
                let last = self.last_disconnect.get(endpoint);
                let _ = writeln!(
                    out,
                    "{endpoint}  (last: {} {})",
                    last.and_then(|l| l.at).map_or("-".to_owned(), timestamp),
                    last.map_or("-", |l| l.reason.as_str())
                );
                for (reason, count) in reasons {
                    let _ = writeln!(out, "  {reason}  {count}");
                }
            }
        }
        out
    }
}

/// A command that would end `endpoint`'s duplicates, and runs: this
/// xconn's `--endpoint` takes only the endpoints it knows.
fn suggestion(endpoint: &str) -> String {
    match endpoint.parse::<StreamEndpoint>() {
        Ok(_) => format!("xconn terminate --duplicates --endpoint {endpoint}"),
        Err(_) => format!(
            "`{endpoint}` is unknown to this xconn: find the UUIDs with `xconn list`, end them \
             with `xconn terminate --uuid UUID`"
        ),
    }
}

/// The name under which records without an endpoint are counted.
const UNKNOWN_ENDPOINT: &str = "(unknown)";

fn reason_name(reason: Option<&DisconnectReason>) -> &str {
    reason.map_or("(none given)", |r| r.as_str())
}

/// The entry for `key`, allocating the key only the first time it is seen
/// (`entry()` would take an owned key for every connection).
fn counter<'a, V: Default>(map: &'a mut BTreeMap<String, V>, key: &str) -> &'a mut V {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(
        endpoint: StreamEndpoint,
        start: i64,
        end: Option<i64>,
        reason: Option<&str>,
    ) -> Connection {
        let mut c = Connection::default();
        c.endpoint = Some(endpoint);
        c.connected_at = DateTime::from_timestamp(start, 0);
        c.disconnected_at = end.and_then(|e| DateTime::from_timestamp(e, 0));
        c.disconnect_reason = reason.map(DisconnectReason::from_wire);
        c
    }

    #[test]
    fn counts_and_median() {
        let now = DateTime::from_timestamp(1000, 0).unwrap();
        let mut s = Summary::default();
        s.add(
            &conn(
                StreamEndpoint::FilteredStream,
                0,
                Some(10),
                Some("operator_disconnect"),
            ),
            now,
        );
        s.add(
            &conn(StreamEndpoint::FilteredStream, 0, Some(30), Some("stall")),
            now,
        );
        s.add(&conn(StreamEndpoint::SampleStream, 900, None, None), now);
        s.finish();
        assert_eq!((s.total, s.active, s.inactive), (3, 1, 2));
        assert_eq!(s.by_endpoint["filtered_stream"].inactive, 2);
        assert_eq!(s.by_reason["stall"], 1);
        assert_eq!(
            s.duration_secs,
            DurationStats {
                covers: "ended",
                count: 2,
                median: Some(20),
                median_precision: Some("exact"),
                max: Some(30)
            }
        );
        assert_eq!(s.by_endpoint_reason["filtered_stream"]["stall"], 1);
        assert_eq!(
            s.last_disconnect["filtered_stream"],
            LastDisconnect {
                at: DateTime::from_timestamp(30, 0),
                reason: "stall".into()
            }
        );
        assert_eq!(
            s.window,
            Window {
                from: DateTime::from_timestamp(0, 0),
                to: DateTime::from_timestamp(900, 0)
            }
        );
        assert_eq!(s.duplicates, Some(Vec::new()));
        s.add(&conn(StreamEndpoint::SampleStream, 950, None, None), now);
        s.finish();
        assert_eq!(
            s.duplicates,
            Some(vec![Duplicate {
                endpoint: "sample_stream".into(),
                active: 2
            }])
        );
    }

    #[test]
    fn median_is_exact_below_2048_s_and_within_a_twentieth_of_a_percent_above() {
        let mut d = Durations::default();
        for secs in [2047, 5, 9] {
            d.record(secs);
        }
        assert_eq!((d.median(), d.max), (Some(9), Some(2047)));
        d.record(0);
        assert_eq!(
            d.median(),
            Some(7),
            "even count: the mean of the middle two"
        );

        let mut d = Durations::default();
        let values: Vec<u64> = (0..10_001u64).map(|i| 100_000 + i * 17).collect();
        for &secs in values.iter().rev() {
            d.record(secs);
        }
        let exact = values[5_000];
        let median = d.median().unwrap();
        assert!(
            median.abs_diff(exact) * 2_000 <= exact,
            "median {median}, exactly {exact}"
        );
        assert_eq!(d.max, Some(100_000 + 10_000 * 17), "the max stays exact");
        assert_eq!(d.count(), 10_001);
    }

    #[test]
    fn one_name_for_two_tallies_adds_up() {
        let now = DateTime::from_timestamp(1000, 0).unwrap();
        let mut s = Summary::default();
        let mut odd = conn(StreamEndpoint::FilteredStream, 0, Some(5), Some("stall"));
        odd.endpoint = None;
        s.add(&odd, now);
        let mut named = odd.clone();
        named.endpoint = Some(StreamEndpoint::from_wire(UNKNOWN_ENDPOINT));
        named.disconnected_at = DateTime::from_timestamp(9, 0);
        s.add(&named, now);
        s.finish();
        assert_eq!(s.by_endpoint[UNKNOWN_ENDPOINT].inactive, 2);
        assert_eq!(s.by_endpoint_reason[UNKNOWN_ENDPOINT]["stall"], 2);
        assert_eq!(
            s.last_disconnect[UNKNOWN_ENDPOINT].at,
            DateTime::from_timestamp(9, 0)
        );
    }
}
