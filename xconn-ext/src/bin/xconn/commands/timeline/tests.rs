//! The picture read back as XML: what it shows, not how its bytes look.

use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use roxmltree::{Document, Node};
use xconn_ext::{Connection, DisconnectReason, StreamEndpoint};

use super::model::{self, Limits};
use super::{Output, html, svg};
use crate::args::parse_timeline_output as parse_output;

/// 2026-12-02 at `hhmm` UTC (the tests' day).
pub(super) fn at(hhmm: &str) -> DateTime<Utc> {
    format!("2026-12-02T{hhmm}:00Z").parse().unwrap()
}

/// A connection as the API would send it (any reason kept as sent).
pub(super) fn conn(
    endpoint: &str,
    from: &str,
    to: Option<&str>,
    reason: Option<&str>,
) -> Connection {
    let mut c = Connection::default();
    c.id = Some(format!("{endpoint}-{from}"));
    c.endpoint = Some(endpoint.parse().unwrap());
    c.connected_at = Some(at(from));
    c.disconnected_at = to.map(at);
    c.disconnect_reason = reason.map(DisconnectReason::from_wire);
    c
}

/// filtered_stream: two drops with an overlap 10:30-11:00, a gap
/// 12:00-12:30, then one still active; sample_stream: one drop at 10:15
/// with a reason full of XML's special characters, then nothing.
fn known_svg() -> String {
    let connections = [
        conn(
            "filtered_stream",
            "10:00",
            Some("11:00"),
            Some("operator_disconnect"),
        ),
        conn(
            "filtered_stream",
            "10:30",
            Some("12:00"),
            Some("server_shutdown"),
        ),
        conn("filtered_stream", "12:30", None, None),
        conn("sample_stream", "09:00", Some("10:15"), Some("a<b & \"c\"")),
    ];
    let t = model::build(
        &connections,
        at("09:30"),
        at("13:30"),
        at("13:00"),
        &[],
        Limits::default(),
    );
    svg::render(&t, &[])
}

fn class_is(node: &Node<'_, '_>, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|c| c.split(' ').any(|part| part == class))
}

fn all<'a, 'i>(root: Node<'a, 'i>, class: &str) -> Vec<Node<'a, 'i>> {
    root.descendants().filter(|n| class_is(n, class)).collect()
}

fn attr<'a>(node: &Node<'a, '_>, name: &str) -> &'a str {
    node.attribute(name)
        .unwrap_or_else(|| panic!("no {name} on {node:?}"))
}

fn num(node: &Node<'_, '_>, name: &str) -> f64 {
    attr(node, name).parse().unwrap()
}

fn time(node: &Node<'_, '_>, name: &str) -> DateTime<Utc> {
    attr(node, name).parse().unwrap()
}

fn title(node: &Node<'_, '_>) -> String {
    node.children()
        .find(|c| c.has_tag_name("title"))
        .and_then(|t| t.text())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn known_connections_read_back_from_the_svg() {
    let text = known_svg();
    let doc = Document::parse(&text).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert!(root.has_tag_name(("http://www.w3.org/2000/svg", "svg")));

    let lanes = all(root, "lane");
    let names: Vec<&str> = lanes.iter().map(|l| attr(l, "data-endpoint")).collect();
    assert_eq!(names, ["filtered_stream", "sample_stream"]);

    // filtered_stream: 3 bars (1 active), 2 reason caps, 1 overlap, 1 gap
    // before its first connection and 1 between, none after "now".
    let fs = lanes[0];
    assert_eq!(all(fs, "bar").len(), 3);
    assert_eq!(all(fs, "active").len(), 1);
    let caps: Vec<&str> = all(fs, "reason")
        .iter()
        .map(|c| attr(c, "data-reason"))
        .collect();
    assert_eq!(caps, ["operator_disconnect", "server_shutdown"]);
    let overlaps = all(fs, "overlap");
    assert_eq!(overlaps.len(), 1);
    assert_eq!(time(&overlaps[0], "data-start"), at("10:30"));
    assert_eq!(time(&overlaps[0], "data-end"), at("11:00"));
    assert!(title(&overlaps[0]).contains("up to 2 active"));
    let gaps: Vec<(DateTime<Utc>, DateTime<Utc>)> = all(fs, "gap")
        .iter()
        .map(|g| (time(g, "data-start"), time(g, "data-end")))
        .collect();
    assert_eq!(
        gaps,
        [(at("09:30"), at("10:00")), (at("12:00"), at("12:30"))]
    );

    let ss = lanes[1];
    assert_eq!(all(ss, "bar").len(), 1);
    assert_eq!(all(ss, "overlap").len(), 0);
    assert_eq!(all(ss, "gap").len(), 1);
    // The full reason, as sent, on hover.
    assert!(title(&all(ss, "reason")[0]).contains("reason: a<b & \"c\""));

    let legend: Vec<&str> = all(root, "legend-reason")
        .iter()
        .map(|l| attr(l, "data-key"))
        .collect();
    assert_eq!(
        legend,
        ["a<b & \"c\"", "operator_disconnect", "server_shutdown"]
    );
    // Each reason's cap has its legend entry's colour.
    let swatch_fill = |key: &str| {
        let entry = all(root, "legend-reason")
            .into_iter()
            .find(|l| attr(l, "data-key") == key)
            .unwrap();
        let rect = entry.children().find(|c| c.has_tag_name("rect")).unwrap();
        attr(&rect, "fill").to_owned()
    };
    for cap in all(root, "reason") {
        assert_eq!(attr(&cap, "fill"), swatch_fill(attr(&cap, "data-reason")));
    }

    let axis = all(root, "axis")[0];
    assert_eq!(time(&axis, "data-start"), at("09:30"));
    assert_eq!(time(&axis, "data-end"), at("13:30"));
    let ticks = all(axis, "tick");
    let tick_times: Vec<DateTime<Utc>> = ticks.iter().map(|t| time(t, "data-at")).collect();
    assert_eq!(
        tick_times,
        [at("10:00"), at("11:00"), at("12:00"), at("13:00")]
    );
    // The overlap starts halfway between the 10:00 and 11:00 ticks.
    let tick_x = |i: usize| {
        let line = ticks[i]
            .children()
            .find(|c| c.has_tag_name("line"))
            .unwrap();
        num(&line, "x1")
    };
    let midway = (tick_x(0) + tick_x(1)) / 2.0;
    assert!((num(&overlaps[0], "x") - midway).abs() < 0.2);

    // Self-contained: no script, no reference to anything outside.
    assert!(root.descendants().all(|n| !n.has_tag_name("script")));
    assert!(root.descendants().all(|n| {
        n.attributes()
            .all(|a| a.name() != "href" && !a.value().contains("http"))
    }));
}

#[test]
fn html_embeds_the_same_svg() {
    let svg = known_svg();
    let page = html::page("Stream connections", &svg);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains(&svg));
    assert!(!page.contains("<script"));
}

#[test]
fn output_names_choose_the_format() {
    assert_eq!(parse_output("-"), Ok(Output::Stdout));
    assert_eq!(parse_output("t.SVG"), Ok(Output::Svg("t.SVG".into())));
    assert_eq!(
        parse_output("a/t.html"),
        Ok(Output::Html("a/t.html".into()))
    );
    assert!(parse_output("t.png").unwrap_err().contains(".svg or .html"));
    assert!(parse_output("t").is_err());
}

#[test]
fn notes_and_unplaceable_records_are_said_in_the_picture() {
    let mut no_start = conn("sample_stream", "10:00", None, None);
    no_start.connected_at = None;
    let t = model::build(
        &[no_start],
        at("10:00"),
        at("11:00"),
        at("11:00"),
        &[StreamEndpoint::FirehoseStream],
        Limits::default(),
    );
    let text = svg::render(&t, &["Incomplete: timed out".to_owned()]);
    let doc = Document::parse(&text).unwrap();
    let notes: Vec<&str> = all(doc.root_element(), "note")
        .iter()
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(
        notes,
        [
            "Incomplete: timed out",
            "1 connection(s) not drawn: no connected_at in the record"
        ]
    );
    let lanes = all(doc.root_element(), "lane");
    assert_eq!(lanes.len(), 2);
    assert_eq!(all(lanes[0], "gap").len(), 1);
}

/// 10,000 connections over a month on every endpoint, from a fixed seed.
fn many(n: usize) -> (Vec<Connection>, DateTime<Utc>) {
    let now: DateTime<Utc> = "2026-12-02T00:00:00Z".parse().unwrap();
    let reasons = [
        "operator_disconnect",
        "server_shutdown",
        "stall",
        "too_many_connections",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let connections = (0..n)
        .map(|i| {
            let mut c = Connection::default();
            c.id = Some(format!("{i:032x}"));
            let endpoint = StreamEndpoint::NAMES[i % StreamEndpoint::NAMES.len()];
            c.endpoint = Some(endpoint.parse().unwrap());
            let start = now - TimeDelta::seconds(i64::try_from(next(30 * 86_400)).unwrap());
            c.connected_at = Some(start);
            if next(20) > 0 {
                let end = start + TimeDelta::seconds(i64::try_from(next(86_400)).unwrap() + 1);
                c.disconnected_at = Some(end.min(now));
                c.disconnect_reason = Some(DisconnectReason::from_wire(reasons[i % reasons.len()]));
            }
            c
        })
        .collect();
    (connections, now)
}

/// The size bound of the issue, at 10,000 connections (the time is in
/// BENCHMARKS.md, measured in a release build, not asserted here).
#[test]
fn ten_thousand_connections_make_a_small_readable_svg() {
    let (connections, now) = many(10_000);
    let started = Instant::now();
    let t = model::build(
        &connections,
        now - TimeDelta::days(30),
        now,
        now,
        &[],
        Limits::default(),
    );
    let text = svg::render(&t, &[]);
    eprintln!(
        "10,000 connections: {:?}, {} bytes",
        started.elapsed(),
        text.len()
    );
    assert!(text.len() < 2 * 1024 * 1024, "{} bytes", text.len());
    let doc = Document::parse(&text).unwrap();
    let lanes = all(doc.root_element(), "lane");
    assert_eq!(lanes.len(), StreamEndpoint::NAMES.len());
    // Every lane too dense to draw bar by bar, and the picture says so.
    assert!(lanes.iter().all(|l| attr(l, "data-aggregated") == "true"));
    assert!(lanes.iter().all(|l| all(*l, "bar").is_empty()));
    let drops: usize = all(doc.root_element(), "drops")
        .iter()
        .map(|d| attr(d, "data-count").parse::<usize>().unwrap())
        .sum();
    let ended_inside = connections
        .iter()
        .filter(|c| {
            c.disconnected_at
                .is_some_and(|d| d >= now - TimeDelta::days(30))
        })
        .count();
    assert_eq!(drops, ended_inside);
    assert!(
        all(doc.root_element(), "note")
            .iter()
            .any(|n| n.text().is_some_and(|t| t.contains("aggregated")))
    );
}
