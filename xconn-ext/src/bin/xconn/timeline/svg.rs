//! Drawing a [`Timeline`] as one self-contained SVG document: no scripts,
//! no external fonts, images or styles; hover text is SVG `<title>`.
//!
//! Encodings, chosen to survive colour-blindness and greyscale printing:
//! bars are neutral (light: ended, dark with an arrow: still active); the
//! colour is kept for the one thing that varies, the drop's reason, on a
//! cap at the bar's end, from the Okabe-Ito palette; overlaps are a black
//! rule above the bars; gaps are a grey hatch. Every mark carries `class`
//! and `data-*` attributes naming what it stands for, which the tests read
//! (and which cost nothing to a viewer).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::axis;
use super::model::{Bar, Bucket, Lane, Marks, Span, Timeline};
use crate::output::timestamp;
use crate::summary::human;

/// Colours for the most frequent reasons (Okabe & Ito, 2008), in the order
/// they are handed out; black is kept for overlaps. Yellow, the weakest on
/// white, comes last.
pub const REASON_COLOURS: [&str; 7] = [
    "#D55E00", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442",
];
/// Reasons beyond the palette share this grey (each named in the legend).
pub const OTHER_REASONS: &str = "#7F7F7F";
const ENDED: &str = "#C3CCD6";
const ACTIVE: &str = "#3E4C5E";
const TEXT: &str = "#1F2933";
const MUTED: &str = "#616E7C";
const RULE: &str = "#E4E7EB";
const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

const WIDTH: f64 = 1200.0;
const PLOT_X0: f64 = 210.0;
const PLOT_X1: f64 = 1170.0;
const BAR_H: f64 = 10.0;
const ROW_H: f64 = 14.0;
const LANE_PAD: f64 = 10.0;
const AGGREGATE_H: f64 = 46.0;
/// About how wide a character of 12px text is, to lay out the legend.
const CHAR_W: f64 = 6.8;

macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

/// The picture. `notes` are shown under the title (an incomplete read,
/// problems the API reported).
pub fn render(t: &Timeline, notes: &[String]) -> String {
    let x = Scale::new(t.start, t.end);
    let mut body = String::with_capacity(64 * 1024);
    let mut y = header(&mut body, t, notes);

    let lanes_top = y;
    let ticks = axis::ticks(t.start, t.end, ((PLOT_X1 - PLOT_X0) / 110.0) as usize);
    let mut lanes = String::new();
    for lane in &t.lanes {
        y = draw_lane(&mut lanes, t, lane, &x, y);
    }
    if t.lanes.is_empty() {
        w!(lanes, r#"<text x="{PLOT_X0}" y="{:.1}" fill="{MUTED}">No connections read.</text>"#, y + 20.0);
        y += 32.0;
    }
    // Grid first, so that every mark sits on top of it.
    for tick in &ticks {
        let tx = x.at(tick.at);
        w!(body, r#"<line x1="{tx:.1}" x2="{tx:.1}" y1="{lanes_top:.1}" y2="{y:.1}" stroke="{RULE}"/>"#);
    }
    body.push_str(&lanes);
    if t.now > t.start && t.now < t.end {
        let nx = x.at(t.now);
        w!(
            body,
            r#"<g class="now"><line x1="{nx:.1}" x2="{nx:.1}" y1="{:.1}" y2="{y:.1}" stroke="{TEXT}" stroke-dasharray="3 3"/><text x="{nx:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="{TEXT}">now</text></g>"#,
            lanes_top - 4.0,
            lanes_top - 7.0
        );
    }
    y = draw_axis(&mut body, t, &ticks, &x, y);
    y = legend(&mut body, t, y + 12.0);

    let height = y + 16.0;
    let mut svg = String::with_capacity(body.len() + 1024);
    w!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="{FONT}" font-size="12" fill="{TEXT}">"#
    );
    w!(
        svg,
        "<title>Stream connections, {} to {} (UTC)</title>",
        timestamp(t.start),
        timestamp(t.end)
    );
    w!(
        svg,
        r##"<defs><pattern id="gap-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#F5F7FA"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9AA5B1" stroke-width="1.5"/></pattern></defs>"##
    );
    w!(svg, r##"<rect width="100%" height="100%" fill="#FFFFFF"/>"##);
    svg.push_str(&body);
    svg.push_str("</svg>\n");
    svg
}

/// An instant for the header, to the second (hover texts are exact).
fn short(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Instants to x positions in the plot.
struct Scale {
    start: DateTime<Utc>,
    span_ms: f64,
}

impl Scale {
    fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self {
            start,
            span_ms: ((end - start).num_milliseconds() as f64).max(1.0),
        }
    }

    /// `t`'s x, clamped to the plot.
    fn at(&self, t: DateTime<Utc>) -> f64 {
        let f = (t - self.start).num_milliseconds() as f64 / self.span_ms;
        PLOT_X0 + f.clamp(0.0, 1.0) * (PLOT_X1 - PLOT_X0)
    }
}

fn header(out: &mut String, t: &Timeline, notes: &[String]) -> f64 {
    w!(
        out,
        r#"<text x="16" y="28" font-size="17" font-weight="600">Stream connections by endpoint</text>"#
    );
    let mut summary = format!(
        "{} to {} UTC · {} connection(s) on {} endpoint(s) · read at {}",
        short(t.start),
        short(t.end),
        t.drawn,
        t.lanes.len(),
        short(t.now)
    );
    if t.outside > 0 {
        w!(summary, " · {} outside the window", t.outside);
    }
    w!(out, r#"<text class="subtitle" x="16" y="48" fill="{MUTED}">{}</text>"#, esc(&summary));
    let mut y = 48.0;
    let mut all_notes: Vec<String> = notes.to_vec();
    if t.no_start > 0 {
        all_notes.push(format!(
            "{} connection(s) not drawn: no connected_at in the record",
            t.no_start
        ));
    }
    if t.no_end > 0 {
        all_notes.push(format!(
            "{} connection(s) not drawn: a disconnect reason but no disconnected_at",
            t.no_end
        ));
    }
    for note in &all_notes {
        y += 18.0;
        w!(out, r##"<text class="note" x="16" y="{y:.1}" fill="#B3261E" font-weight="600">{}</text>"##, esc(note));
    }
    y + 30.0
}

fn lane_height(lane: &Lane) -> f64 {
    match &lane.marks {
        Marks::Bars { rows, .. } => (2.0 * LANE_PAD + *rows as f64 * ROW_H).max(38.0),
        Marks::Aggregate(_) => AGGREGATE_H,
    }
}

fn draw_lane(out: &mut String, t: &Timeline, lane: &Lane, x: &Scale, top: f64) -> f64 {
    let h = lane_height(lane);
    let bottom = top + h;
    w!(
        out,
        r#"<g class="lane" data-endpoint="{}" data-connections="{}" data-peak="{}" data-aggregated="{}">"#,
        esc(&lane.endpoint),
        lane.connections,
        lane.peak,
        matches!(lane.marks, Marks::Aggregate(_))
    );
    w!(out, r#"<line x1="16" x2="{PLOT_X1}" y1="{bottom:.1}" y2="{bottom:.1}" stroke="{RULE}"/>"#);
    w!(out, r#"<text x="16" y="{:.1}" font-weight="600">{}</text>"#, top + 17.0, esc(&lane.endpoint));
    let detail = match &lane.marks {
        Marks::Aggregate(_) => format!("{} conn. · peak {} · aggregated", lane.connections, lane.peak),
        Marks::Bars { .. } => format!("{} conn. · peak {}", lane.connections, lane.peak),
    };
    w!(out, r#"<text x="16" y="{:.1}" font-size="11" fill="{MUTED}">{}</text>"#, top + 31.0, esc(&detail));

    for (span, merged) in pixel_merged(&lane.gaps, x) {
        let title = span_title("no connection", &span, merged, false);
        mark(out, "gap", &span, x, top + 3.0, h - 6.0, "url(#gap-hatch)", &title);
    }
    match &lane.marks {
        Marks::Bars { bars, .. } => {
            for bar in bars {
                draw_bar(out, t, lane, bar, x, top + LANE_PAD + bar.row as f64 * ROW_H);
            }
        }
        Marks::Aggregate(buckets) => draw_aggregate(out, t, lane, buckets, x, top),
    }
    for (span, merged) in pixel_merged(&lane.overlaps, x) {
        let title = span_title("overlap", &span, merged, true);
        mark(out, "overlap", &span, x, top + 2.0, 4.0, "#000000", &title);
    }
    out.push_str("</g>");
    bottom
}

/// One gap or overlap rectangle, at least a pixel wide.
#[allow(clippy::too_many_arguments)]
fn mark(out: &mut String, class: &str, span: &Span, x: &Scale, y: f64, h: f64, fill: &str, title: &str) {
    let (x0, x1) = (x.at(span.start), x.at(span.end));
    w!(
        out,
        r#"<rect class="{class}" data-start="{}" data-end="{}" x="{x0:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="{fill}"><title>{}</title></rect>"#,
        timestamp(span.start),
        timestamp(span.end),
        (x1 - x0).max(1.0),
        esc(title)
    );
}

/// Spans closer than a pixel joined (with how many were joined): more
/// rectangles than pixels would add bytes and nothing visible.
fn pixel_merged(spans: &[Span], x: &Scale) -> Vec<(Span, usize)> {
    let mut out: Vec<(Span, usize)> = Vec::new();
    for s in spans {
        match out.last_mut() {
            Some((last, n)) if x.at(s.start) - x.at(last.end) < 1.0 => {
                last.end = s.end;
                last.peak = last.peak.max(s.peak);
                *n += 1;
            }
            _ => out.push((*s, 1)),
        }
    }
    out
}

fn span_title(what: &str, span: &Span, merged: usize, peak: bool) -> String {
    let duration = human((span.end - span.start).to_std().unwrap_or_default());
    let mut title = if merged > 1 {
        format!("{merged} stretches of {what} between {} and {}", timestamp(span.start), timestamp(span.end))
    } else {
        format!("{what}: {} to {} ({duration})", timestamp(span.start), timestamp(span.end))
    };
    if peak {
        w!(title, ", up to {} active at once", span.peak);
    }
    title
}

fn draw_bar(out: &mut String, t: &Timeline, lane: &Lane, bar: &Bar, x: &Scale, y: f64) {
    let end = bar.disconnected_at.unwrap_or(t.now);
    let (x0, x1) = (x.at(bar.connected_at), x.at(end));
    let active = bar.disconnected_at.is_none();
    let mut title = format!("{}", lane.endpoint);
    if let Some(id) = &bar.id {
        w!(title, " · {id}");
    }
    w!(title, "\nconnected {}", timestamp(bar.connected_at));
    let lasted = human((end - bar.connected_at).to_std().unwrap_or_default());
    match bar.disconnected_at {
        Some(d) => w!(title, "\ndisconnected {} after {lasted}", timestamp(d)),
        None => w!(title, "\nstill active ({lasted} so far)"),
    }
    if let Some(reason) = &bar.reason {
        w!(title, "\nreason: {reason}");
    }
    if let Some(ip) = &bar.client_ip {
        w!(title, "\nclient {ip}");
    }
    let title = esc(&title);
    w!(
        out,
        r#"<rect class="bar {}" data-id="{}" x="{x0:.1}" y="{y:.1}" width="{:.1}" height="{BAR_H}" rx="2" fill="{}"><title>{title}</title></rect>"#,
        if active { "active" } else { "ended" },
        esc(bar.id.as_deref().unwrap_or("")),
        (x1 - x0).max(1.5),
        if active { ACTIVE } else { ENDED }
    );
    if active && end <= t.end {
        // An arrowhead at "now": it goes on.
        w!(
            out,
            r#"<path d="M{:.1} {:.1} l6 {:.1} l-6 {:.1} z" fill="{ACTIVE}"/>"#,
            x1,
            y - 2.0,
            BAR_H / 2.0 + 2.0,
            BAR_H / 2.0 + 2.0
        );
    }
    if let Some(d) = bar.disconnected_at.filter(|d| *d >= t.start && *d <= t.end) {
        let _ = d;
        let (colour, stroke) = reason_paint(t, bar.reason.as_deref());
        w!(
            out,
            r#"<rect class="reason" data-reason="{}" x="{:.1}" y="{:.1}" width="5" height="{:.1}" fill="{colour}" stroke="{stroke}"><title>{}</title></rect>"#,
            esc(bar.reason.as_deref().unwrap_or("")),
            x1 - 2.5,
            y - 2.0,
            BAR_H + 4.0,
            title
        );
    }
}

/// Fill and stroke of a reason's marks.
fn reason_paint(t: &Timeline, reason: Option<&str>) -> (&'static str, &'static str) {
    if reason.is_none() {
        return ("#FFFFFF", TEXT);
    }
    let known = t.reasons.iter().filter(|(r, _)| r.is_some());
    match known.enumerate().find(|(_, (r, _))| r.as_deref() == reason) {
        Some((i, _)) if i < REASON_COLOURS.len() => (REASON_COLOURS[i], "none"),
        _ => (OTHER_REASONS, "none"),
    }
}

fn draw_aggregate(out: &mut String, t: &Timeline, lane: &Lane, buckets: &[Bucket], x: &Scale, top: f64) {
    let (area_top, area_h) = (top + 8.0, 24.0);
    let peak = lane.peak.max(1) as f64;
    // The most active at once per slice, as one stepped outline.
    let base = area_top + area_h;
    let mut d = format!("M{PLOT_X0:.1} {base:.1}");
    for b in buckets {
        let y = base - area_h * b.max_active as f64 / peak;
        w!(d, " L{:.1} {y:.1} L{:.1} {y:.1}", x.at(b.start), x.at(b.end));
    }
    w!(d, " L{PLOT_X1:.1} {base:.1} Z");
    w!(
        out,
        r#"<path class="density" d="{d}" fill="{ENDED}" stroke="{ACTIVE}" stroke-width="0.8"><title>{} connections, at most {} active at once (height: the most active at once in each slice)</title></path>"#,
        lane.connections,
        lane.peak
    );
    for b in buckets.iter().filter(|b| !b.drops.is_empty()) {
        let total: usize = b.drops.iter().map(|d| d.1).sum();
        let mut title = format!("{total} drop(s) {} to {}:", timestamp(b.start), timestamp(b.end));
        for (reason, n) in &b.drops {
            w!(title, "\n{n} {}", reason.as_deref().unwrap_or("(no reason given)"));
        }
        let (colour, stroke) = reason_paint(t, b.drops[0].0.as_deref());
        let (x0, x1) = (x.at(b.start), x.at(b.end));
        w!(
            out,
            r#"<rect class="drops" data-count="{total}" x="{x0:.1}" y="{:.1}" width="{:.1}" height="8" fill="{colour}" stroke="{stroke}" stroke-width="0.5"><title>{}</title></rect>"#,
            base + 3.0,
            (x1 - x0 - 0.5).max(1.0),
            esc(&title)
        );
    }
}

fn draw_axis(out: &mut String, t: &Timeline, ticks: &[axis::Tick], x: &Scale, y: f64) -> f64 {
    w!(
        out,
        r#"<g class="axis" data-start="{}" data-end="{}"><line x1="{PLOT_X0}" x2="{PLOT_X1}" y1="{y:.1}" y2="{y:.1}" stroke="{MUTED}"/>"#,
        timestamp(t.start),
        timestamp(t.end)
    );
    for tick in ticks {
        let tx = x.at(tick.at);
        w!(
            out,
            r#"<g class="tick" data-at="{}"><line x1="{tx:.1}" x2="{tx:.1}" y1="{y:.1}" y2="{:.1}" stroke="{MUTED}"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            timestamp(tick.at),
            y + 5.0,
            y + 18.0,
            esc(&tick.label)
        );
        if let Some(context) = &tick.context {
            w!(
                out,
                r#"<text x="{tx:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="{MUTED}">{}</text>"#,
                y + 32.0,
                esc(context)
            );
        }
        out.push_str("</g>");
    }
    w!(
        out,
        r#"<text x="{PLOT_X0}" y="{:.1}" font-size="11" fill="{MUTED}">UTC</text></g>"#,
        y + 32.0
    );
    y + 40.0
}

/// The key: reasons first (the only colours), then the other marks.
fn legend(out: &mut String, t: &Timeline, y: f64) -> f64 {
    let mut row = Row::new(out, y);
    row.heading("Drop reason (at the bar's end, as the API sent it):");
    let named: Vec<&str> = t.reasons.iter().filter_map(|(r, _)| r.as_deref()).collect();
    for (i, reason) in named.iter().enumerate().take(REASON_COLOURS.len()) {
        let n = count_of(t, Some(reason));
        row.swatch("legend-reason", reason, REASON_COLOURS[i], "none", &format!("{reason} ({n})"));
    }
    let others = named.get(REASON_COLOURS.len()..).unwrap_or_default();
    if !others.is_empty() {
        let n: usize = others.iter().map(|r| count_of(t, Some(r))).sum();
        let label = format!("other reasons ({n}): {}", others.join(", "));
        row.swatch("legend-reason", &others.join(" "), OTHER_REASONS, "none", &label);
    }
    if t.reasons.iter().any(|(r, _)| r.is_none()) {
        let n = count_of(t, None);
        row.swatch("legend-reason", "", "#FFFFFF", TEXT, &format!("no reason given ({n})"));
    }
    if t.reasons.is_empty() {
        row.text("no drops in this window");
    }
    let mut y = row.end();
    let mut row = Row::new(out, y + 22.0);
    row.heading("Marks:");
    row.swatch("legend-mark", "ended", ENDED, "none", "connection, ended");
    row.swatch("legend-mark", "active", ACTIVE, "none", "still active (to now)");
    row.swatch("legend-mark", "overlap", "#000000", "none", "overlap: 2+ active on one endpoint");
    row.swatch("legend-mark", "gap", "url(#gap-hatch)", "#9AA5B1", "gap: none active");
    y = row.end();
    if t.lanes.iter().any(|l| matches!(l.marks, Marks::Aggregate(_))) {
        y += 22.0;
        w!(
            out,
            r#"<text class="note" x="16" y="{y:.1}" fill="{MUTED}">Lanes marked "aggregated" hold too many connections to draw one by one: the shape is the most active at once in each slice of the window;</text>"#
        );
        y += 16.0;
        w!(
            out,
            r#"<text class="note" x="16" y="{y:.1}" fill="{MUTED}">the strip below it, the drops in each slice, coloured by their most frequent reason (hover for the counts).</text>"#
        );
    }
    y
}

fn count_of(t: &Timeline, reason: Option<&str>) -> usize {
    t.reasons
        .iter()
        .find(|(r, _)| r.as_deref() == reason)
        .map_or(0, |(_, n)| *n)
}

/// A line of legend entries that wraps at the picture's width.
struct Row<'a> {
    out: &'a mut String,
    x: f64,
    y: f64,
}

impl<'a> Row<'a> {
    fn new(out: &'a mut String, y: f64) -> Self {
        Self { out, x: 16.0, y }
    }

    fn room(&mut self, width: f64) {
        if self.x + width > WIDTH - 16.0 && self.x > 16.0 {
            self.x = 16.0;
            self.y += 20.0;
        }
    }

    fn heading(&mut self, text: &str) {
        let width = text.len() as f64 * CHAR_W + 12.0;
        self.room(width);
        w!(self.out, r#"<text x="{:.1}" y="{:.1}" font-weight="600">{}</text>"#, self.x, self.y, esc(text));
        self.x += width;
    }

    fn text(&mut self, text: &str) {
        let width = text.len() as f64 * CHAR_W + 12.0;
        self.room(width);
        w!(self.out, r#"<text x="{:.1}" y="{:.1}" fill="{MUTED}">{}</text>"#, self.x, self.y, esc(text));
        self.x += width;
    }

    fn swatch(&mut self, class: &str, key: &str, fill: &str, stroke: &str, label: &str) {
        let width = 20.0 + label.chars().count() as f64 * CHAR_W + 18.0;
        self.room(width);
        w!(
            self.out,
            r#"<g class="{class}" data-key="{}"><rect x="{:.1}" y="{:.1}" width="14" height="12" rx="2" fill="{fill}" stroke="{stroke}"/><text x="{:.1}" y="{:.1}">{}</text></g>"#,
            esc(key),
            self.x,
            self.y - 10.0,
            self.x + 20.0,
            self.y,
            esc(label)
        );
        self.x += width;
    }

    fn end(self) -> f64 {
        self.y
    }
}

/// Text made safe for XML content and attribute values (and free of the
/// control characters XML 1.0 forbids: a server's reason string is not
/// trusted to be clean).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
