//! Writing results: formats, a stdout that tolerates a closed pipe, and a
//! progress line for people.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::ValueEnum;
use serde::Serialize;
use xconn_ext::{Connection, ConnectionField, Error, Problem};

use crate::format::{Rfc3339, human, timestamp};

/// How `list` prints connections.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns, for people (STATUS and DURATION derived).
    Table,
    /// One JSON document: `{"data":[...],"meta":{"result_count":N},"errors":[...]}`,
    /// plus `"error":{"message","exit_code"}` when cut short. Each record adds the
    /// derived `status` (active/inactive) and `duration_s` (seconds; to now if active).
    Json,
    /// One JSON connection per line, with the derived `status` and `duration_s`.
    Ndjson,
    /// Comma-separated values with a header row (RFC 4180); `status` and `duration_s`
    /// are derived.
    Csv,
}

/// A [`Connection`] as `list -o json|ndjson` prints it: exactly what its
/// own `Serialize` writes (a test holds them equal), with each timestamp
/// formatted once and written as one string. chrono's `Serialize` goes
/// through `collect_str`, which escapes every character it is handed one
/// at a time: that made up a fifth of the instructions of `list -o ndjson`.
#[derive(Serialize)]
struct Record<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_ip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connected_at: Option<Rfc3339>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disconnected_at: Option<Rfc3339>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disconnect_reason: Option<&'a str>,
    /// Derived, as in the table: `inactive` once ended, else `active`.
    status: &'static str,
    /// Derived: whole seconds from `connected_at` to `disconnected_at` (or
    /// to now, for an active one); `null` without `connected_at`.
    duration_s: Option<u64>,
}

impl<'a> Record<'a> {
    fn of(c: &'a Connection) -> Self {
        Self {
            id: c.id.as_deref(),
            endpoint_name: c.endpoint.as_ref().map(|e| e.as_str()),
            client_ip: c.client_ip.as_deref(),
            connected_at: c.connected_at.map(Rfc3339::of),
            disconnected_at: c.disconnected_at.map(Rfc3339::of),
            disconnect_reason: c.disconnect_reason.as_ref().map(|r| r.as_str()),
            status: status(c),
            duration_s: c.duration(Utc::now()).map(|d| d.as_secs()),
        }
    }

    /// Only the fields in `shown` (the derived ones stay): a field read
    /// to derive the status is not printed unless it was asked for.
    fn only(mut self, shown: &[ConnectionField]) -> Self {
        let has = |field: ConnectionField| shown.contains(&field);
        if !has(ConnectionField::Id) {
            self.id = None;
        }
        if !has(ConnectionField::EndpointName) {
            self.endpoint_name = None;
        }
        if !has(ConnectionField::ClientIp) {
            self.client_ip = None;
        }
        if !has(ConnectionField::ConnectedAt) {
            self.connected_at = None;
        }
        if !has(ConnectionField::DisconnectedAt) {
            self.disconnected_at = None;
        }
        if !has(ConnectionField::DisconnectReason) {
            self.disconnect_reason = None;
        }
        self
    }
}

/// Buffered stdout that stops quietly when the reader goes away
/// (`xconn list | head`): a closed pipe is not an error worth a panic.
pub struct Writer {
    out: io::BufWriter<io::Stdout>,
    closed: bool,
    failed: Option<io::Error>,
}

impl Writer {
    pub fn stdout() -> Self {
        Self {
            out: io::BufWriter::new(io::stdout()),
            closed: false,
            failed: None,
        }
    }

    pub fn raw(&mut self, text: &str) {
        if self.closed {
            return;
        }
        if let Err(e) = self.out.write_all(text.as_bytes()) {
            self.fail(e);
        }
    }

    pub fn line(&mut self, text: &str) {
        self.raw(text);
        self.raw("\n");
    }

    pub fn json<T: Serialize>(&mut self, value: &T) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => self.line(&text),
            Err(e) => self.fail(io::Error::other(e)),
        }
    }

    /// `value` as compact JSON, serialized straight into the buffer (no
    /// string per record: this is `list -o ndjson`'s per-record path).
    pub fn json_compact<T: Serialize>(&mut self, value: &T) {
        if self.closed {
            return;
        }
        // An I/O error keeps its kind (a closed pipe stays quiet).
        if let Err(e) = serde_json::to_writer(&mut self.out, value) {
            self.fail(e.into());
        }
    }

    pub fn fail(&mut self, e: io::Error) {
        self.closed = true;
        if e.kind() != io::ErrorKind::BrokenPipe {
            self.failed = Some(e);
        }
    }

    pub fn closed(&self) -> bool {
        self.closed
    }

    pub fn finish(self) -> ExitCode {
        self.finish_with(ExitCode::SUCCESS)
    }

    /// Flush; `code` unless the output could not be written.
    pub fn finish_with(mut self, code: ExitCode) -> ExitCode {
        if !self.closed
            && let Err(e) = self.out.flush()
        {
            self.fail(e);
        }
        match self.failed {
            Some(e) => {
                eprintln!("error: cannot write the output: {e}");
                ExitCode::FAILURE
            }
            None => code,
        }
    }
}

/// Prints connections as they arrive; only `table` needs them all first
/// (to align columns), the other formats stream.
pub struct Printer {
    format: Format,
    /// JSON and ndjson: the fields to print (`None`: every field read).
    shown: Option<Vec<ConnectionField>>,
    rows: Vec<[String; COLUMNS]>,
    count: u64,
    errors: Vec<Problem>,
}

impl Printer {
    pub fn new(format: Format) -> Self {
        Self {
            format,
            shown: None,
            rows: Vec::new(),
            count: 0,
            errors: Vec::new(),
        }
    }

    /// JSON and ndjson print only `fields` of each record (and the
    /// derived `status` and `duration_s`).
    #[must_use]
    pub fn showing(mut self, fields: Vec<ConnectionField>) -> Self {
        self.shown = Some(fields);
        self
    }

    fn record<'c>(&self, c: &'c Connection) -> Record<'c> {
        match &self.shown {
            Some(fields) => Record::of(c).only(fields),
            None => Record::of(c),
        }
    }

    pub fn errors(&mut self, errors: &[Problem]) {
        self.errors.extend(errors.iter().cloned());
    }

    pub fn connection(&mut self, out: &mut Writer, c: &Connection) {
        match self.format {
            Format::Table => self.rows.push(row(c)),
            Format::Ndjson => {
                out.json_compact(&self.record(c));
                out.raw("\n");
            }
            Format::Json => {
                out.raw(if self.count == 0 { "{\"data\":[" } else { "," });
                out.json_compact(&self.record(c));
            }
            Format::Csv => {
                if self.count == 0 {
                    self.csv_record(out, CSV_HEADERS.map(str::to_owned));
                }
                self.csv_record(out, csv_row(c));
            }
        }
        self.count += 1;
    }

    /// One record, quoted as RFC 4180 says, written as it comes.
    fn csv_record(&mut self, out: &mut Writer, record: [String; COLUMNS]) {
        let mut csv = csv::Writer::from_writer(Vec::new());
        let written = csv
            .write_record(&record)
            .map_err(io::Error::other)
            .and_then(|()| csv.into_inner().map_err(|e| e.into_error()));
        match written {
            Ok(bytes) => out.raw(&String::from_utf8_lossy(&bytes)),
            Err(e) => out.fail(e),
        }
    }

    /// Finish after an error that came once requests were sent, and say
    /// how many records were printed. In JSON the document still parses,
    /// holds what was read and carries a top-level `"error"`; the other
    /// formats print what was read (nothing at all when nothing was) and
    /// leave the error to stderr.
    pub fn abort(&mut self, out: &mut Writer, error: &Error) -> u64 {
        if self.format == Format::Json {
            self.close_json(out, Some(error));
        } else if self.count > 0 {
            self.finish(out);
        }
        self.count
    }

    pub fn finish(&mut self, out: &mut Writer) {
        match self.format {
            Format::Table => {
                print_table(out, &self.rows);
                self.warn();
            }
            Format::Ndjson => self.warn(),
            Format::Csv => {
                if self.count == 0 {
                    self.csv_record(out, CSV_HEADERS.map(str::to_owned));
                }
                self.warn();
            }
            Format::Json => self.close_json(out, None),
        }
    }

    fn warn(&self) {
        for problem in &self.errors {
            eprintln!("warning: {problem}");
        }
    }

    fn close_json(&mut self, out: &mut Writer, error: Option<&Error>) {
        if self.count == 0 {
            out.raw("{\"data\":[");
        }
        let errors = serde_json::to_string(&self.errors).unwrap_or_else(|_| "[]".into());
        let error = error
            .map(|e| format!(",\"error\":{}", crate::failure::json(e)))
            .unwrap_or_default();
        out.line(&format!(
            "],\"meta\":{{\"result_count\":{}}},\"errors\":{errors}{error}}}",
            self.count
        ));
    }
}

const COLUMNS: usize = 8;

const HEADERS: [&str; COLUMNS] = [
    "ID",
    "ENDPOINT",
    "STATUS",
    "CONNECTED AT",
    "DISCONNECTED AT",
    "DURATION",
    "REASON",
    "CLIENT IP",
];

const CSV_HEADERS: [&str; COLUMNS] = [
    "id",
    "endpoint_name",
    "status",
    "connected_at",
    "disconnected_at",
    "duration_s",
    "disconnect_reason",
    "client_ip",
];

fn status(c: &Connection) -> &'static str {
    if c.is_active() { "active" } else { "inactive" }
}

fn row(c: &Connection) -> [String; COLUMNS] {
    let time = |t: Option<DateTime<Utc>>| t.map_or("-".to_owned(), timestamp);
    let opt = |s: Option<String>| s.unwrap_or_else(|| "-".to_owned());
    [
        opt(c.id.clone()),
        opt(c.endpoint.as_ref().map(ToString::to_string)),
        status(c).to_owned(),
        time(c.connected_at),
        time(c.disconnected_at),
        opt(c.duration(Utc::now()).map(human)),
        opt(c.disconnect_reason.as_ref().map(ToString::to_string)),
        opt(c.client_ip.clone()),
    ]
}

fn csv_row(c: &Connection) -> [String; COLUMNS] {
    let opt = |s: Option<String>| s.unwrap_or_default();
    [
        opt(c.id.clone()),
        opt(c.endpoint.as_ref().map(ToString::to_string)),
        status(c).to_owned(),
        opt(c.connected_at.map(timestamp)),
        opt(c.disconnected_at.map(timestamp)),
        opt(c.duration(Utc::now()).map(|d| d.as_secs().to_string())),
        opt(c.disconnect_reason.as_ref().map(ToString::to_string)),
        opt(c.client_ip.clone()),
    ]
}

fn print_table(out: &mut Writer, rows: &[[String; COLUMNS]]) {
    let mut widths = HEADERS.map(str::len);
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let render = |cells: [&str; COLUMNS]| {
        let mut line = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        line
    };
    out.line(render(HEADERS).trim_end());
    for r in rows {
        out.line(render(std::array::from_fn(|i| r[i].as_str())).trim_end());
    }
    if rows.is_empty() {
        out.line("(no connections)");
    }
}

/// "read 12 pages, 1200 connections" on stderr, only for a person at a
/// terminal; scripts and pipes get clean stderr.
pub struct Progress {
    enabled: bool,
    pages: u64,
    items: u64,
}

impl Progress {
    pub fn new() -> Self {
        Self {
            enabled: io::stderr().is_terminal(),
            pages: 0,
            items: 0,
        }
    }

    pub fn page(&mut self, items: usize) {
        self.pages += 1;
        self.items += items as u64;
        if self.enabled {
            eprint!("\rread {} pages, {} connections", self.pages, self.items);
        }
    }

    pub fn clear(&mut self) {
        if self.enabled && self.pages > 0 {
            eprint!("\r\x1b[2K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xconn_ext::ConnectionField;

    /// A record with every property of the spec's connection set.
    fn full_record() -> Connection {
        let record: serde_json::Map<String, serde_json::Value> =
            xconn_sdk::spec::CONNECTION_PROPERTIES
                .iter()
                .map(|name| {
                    let value = if name.ends_with("_at") {
                        "2026-01-05T09:12:44Z"
                    } else {
                        "value"
                    };
                    ((*name).to_owned(), value.into())
                })
                .collect();
        serde_json::from_value(record.into()).expect("a full record decodes")
    }

    /// Every field the API can send has a column in the table and in CSV,
    /// filled when the record has it; JSON and ndjson carry it too. When
    /// the spec gains a field (and `ConnectionField` with it), this fails
    /// until every output shows it: nothing is dropped silently.
    #[test]
    fn every_connection_field_reaches_every_format() {
        let record = full_record();
        let json = serde_json::to_value(&record).expect("serializes");
        let csv = csv_row(&record);
        let table = row(&record);
        let mut missing = Vec::new();
        for field in ConnectionField::ALL {
            let name = field.as_str();
            if json.get(name).is_none() {
                missing.push(format!(
                    "{name}: not in JSON/ndjson (xconn_ext::Connection)"
                ));
            }
            match CSV_HEADERS.iter().position(|h| *h == name) {
                None => missing.push(format!("{name}: no CSV column (CSV_HEADERS)")),
                Some(i) => {
                    if csv[i].is_empty() {
                        missing.push(format!("{name}: empty CSV cell (csv_row)"));
                    }
                    if table[i] == "-" {
                        missing.push(format!("{name}: empty table cell (row)"));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "add these to xconn-ext/src/bin/xconn/output.rs: {missing:#?}"
        );
    }

    /// `Record` writes what `Connection`'s own `Serialize` does (then the
    /// derived `status` and `duration_s`), for a
    /// record with every field of the spec (a field added to the spec and
    /// to `Connection` shows here), one with fractional seconds, an unknown
    /// endpoint and reason, and one with only some fields.
    #[test]
    fn a_record_prints_as_the_connection_serializes() {
        let mut full = serde_json::Map::new();
        for field in xconn_sdk::spec::CONNECTION_FIELDS {
            let value = match *field {
                "connected_at" => "2025-01-02T03:04:05.120Z",
                "disconnected_at" => "2025-01-02T04:04:05Z",
                "endpoint_name" => "filtered_stream",
                "disconnect_reason" => "a_reason_not_yet_known",
                "client_ip" => "2001:db8::1",
                _ => "1f0e-\"quoted\"",
            };
            full.insert((*field).to_owned(), value.into());
        }
        let partial = serde_json::json!({"id": "x", "endpoint_name": "new_stream"});
        for json in [serde_json::Value::Object(full), partial] {
            let c: Connection = serde_json::from_value(json.clone()).unwrap();
            // The connection as it serializes, then the two derived keys.
            let serialized = serde_json::to_string(&c).unwrap();
            let derived = format!(
                ",\"status\":\"{}\",\"duration_s\":{}}}",
                status(&c),
                c.duration(Utc::now())
                    .map_or("null".to_owned(), |d| d.as_secs().to_string())
            );
            let expected = format!("{}{derived}", serialized.strip_suffix('}').unwrap());
            assert_eq!(
                serde_json::to_string(&Record::of(&c)).unwrap(),
                expected,
                "{json}"
            );
        }
    }
}
