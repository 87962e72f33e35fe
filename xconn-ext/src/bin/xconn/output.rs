//! Writing results: formats, a stdout that tolerates a closed pipe, and a
//! progress line for people.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use chrono::Utc;
use clap::ValueEnum;
use serde::Serialize;
use xconn_ext::{Connection, Problem};

use crate::summary::human;

/// How `list` prints connections.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns, for people.
    Table,
    /// One JSON document: `{"data":[...],"meta":{"result_count":N},"errors":[...]}`.
    Json,
    /// One JSON connection per line.
    Ndjson,
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

    fn fail(&mut self, e: io::Error) {
        self.closed = true;
        if e.kind() != io::ErrorKind::BrokenPipe {
            self.failed = Some(e);
        }
    }

    pub fn closed(&self) -> bool {
        self.closed
    }

    pub fn finish(mut self) -> ExitCode {
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
            None => ExitCode::SUCCESS,
        }
    }
}

/// Prints connections as they arrive; only `table` needs them all first
/// (to align columns), the JSON formats stream.
pub struct Printer {
    format: Format,
    rows: Vec<[String; 7]>,
    count: u64,
    errors: Vec<Problem>,
}

impl Printer {
    pub fn new(format: Format) -> Self {
        Self {
            format,
            rows: Vec::new(),
            count: 0,
            errors: Vec::new(),
        }
    }

    pub fn errors(&mut self, errors: &[Problem]) {
        self.errors.extend(errors.iter().cloned());
    }

    pub fn connection(&mut self, out: &mut Writer, c: &Connection) {
        match self.format {
            Format::Table => self.rows.push(row(c)),
            Format::Ndjson => match serde_json::to_string(c) {
                Ok(line) => out.line(&line),
                Err(e) => out.fail(io::Error::other(e)),
            },
            Format::Json => {
                out.raw(if self.count == 0 { "{\"data\":[" } else { "," });
                match serde_json::to_string(c) {
                    Ok(json) => out.raw(&json),
                    Err(e) => out.fail(io::Error::other(e)),
                }
            }
        }
        self.count += 1;
    }

    /// Close an open JSON document after an error, so what was printed
    /// still parses.
    pub fn abort(&mut self, out: &mut Writer) {
        // Nothing printed yet: print nothing, rather than an empty result
        // that looks like a successful listing.
        if self.format == Format::Json && self.count > 0 {
            self.finish(out);
        }
    }

    pub fn finish(&mut self, out: &mut Writer) {
        match self.format {
            Format::Table => {
                print_table(out, &self.rows);
                for problem in &self.errors {
                    eprintln!("warning: {problem}");
                }
            }
            Format::Ndjson => {
                for problem in &self.errors {
                    eprintln!("warning: {problem}");
                }
            }
            Format::Json => {
                if self.count == 0 {
                    out.raw("{\"data\":[");
                }
                let errors = serde_json::to_string(&self.errors).unwrap_or_else(|_| "[]".into());
                out.line(&format!(
                    "],\"meta\":{{\"result_count\":{}}},\"errors\":{errors}}}",
                    self.count
                ));
            }
        }
    }
}

const HEADERS: [&str; 7] = [
    "ENDPOINT",
    "STATUS",
    "CONNECTED AT",
    "DISCONNECTED AT",
    "DURATION",
    "REASON",
    "CLIENT IP",
];

fn row(c: &Connection) -> [String; 7] {
    let time = |t: Option<chrono::DateTime<Utc>>| {
        t.map_or("-".to_owned(), |t| {
            t.format("%Y-%m-%d %H:%M:%S").to_string()
        })
    };
    let opt = |s: Option<String>| s.unwrap_or_else(|| "-".to_owned());
    [
        opt(c.endpoint.as_ref().map(ToString::to_string)),
        if c.is_active() { "active" } else { "inactive" }.to_owned(),
        time(c.connected_at),
        time(c.disconnected_at),
        opt(c.duration(Utc::now()).map(human)),
        opt(c.disconnect_reason.as_ref().map(ToString::to_string)),
        opt(c.client_ip.clone()),
    ]
}

fn print_table(out: &mut Writer, rows: &[[String; 7]]) {
    let mut widths = HEADERS.map(str::len);
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let render = |cells: [&str; 7]| {
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
        out.line(
            render([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6]].map(String::as_str))
                .trim_end(),
        );
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
