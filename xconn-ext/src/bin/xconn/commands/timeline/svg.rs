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

use super::axis;
use super::frame::{draw_axis, header, legend};
use super::model::{Bar, Bucket, Lane, Marks, Span, Timeline};
use super::style::{
    ACTIVE, ENDED, FONT, MUTED, OTHER_REASONS, PLOT_X0, PLOT_X1, REASON_COLOURS, RULE, Scale, TEXT,
    WIDTH, esc,
};
use crate::format::human;
use crate::format::timestamp;

const BAR_H: f64 = 10.0;
const ROW_H: f64 = 14.0;
const LANE_PAD: f64 = 10.0;
const AGGREGATE_H: f64 = 46.0;

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
        w!(
            lanes,
            r#"<text x="{PLOT_X0}" y="{:.1}" fill="{MUTED}">No connections read.</text>"#,
            y + 20.0
        );
        y += 32.0;
    }
    // Grid first, so that every mark sits on top of it.
    for tick in &ticks {
        let tx = x.at(tick.at);
        w!(
            body,
            r#"<line x1="{tx:.1}" x2="{tx:.1}" y1="{lanes_top:.1}" y2="{y:.1}" stroke="{RULE}"/>"#
        );
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
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="{FONT}" font-size="12" fill="{TEXT}">"#
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
    w!(
        svg,
        r##"<rect width="100%" height="100%" fill="#FFFFFF"/>"##
    );
    svg.push_str(&body);
    svg.push_str("</svg>\n");
    svg
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
    w!(
        out,
        r#"<line x1="16" x2="{PLOT_X1}" y1="{bottom:.1}" y2="{bottom:.1}" stroke="{RULE}"/>"#
    );
    w!(
        out,
        r#"<text x="16" y="{:.1}" font-weight="600">{}</text>"#,
        top + 17.0,
        esc(&lane.endpoint)
    );
    let detail = match &lane.marks {
        Marks::Aggregate(_) => format!(
            "{} conn. · peak {} · aggregated",
            lane.connections, lane.peak
        ),
        Marks::Bars { .. } => format!("{} conn. · peak {}", lane.connections, lane.peak),
    };
    w!(
        out,
        r#"<text x="16" y="{:.1}" font-size="11" fill="{MUTED}">{}</text>"#,
        top + 31.0,
        esc(&detail)
    );

    for (span, merged) in pixel_merged(&lane.gaps, x) {
        let title = span_title("no connection", &span, merged, false);
        mark(
            out,
            "gap",
            &span,
            x,
            (top + 3.0, h - 6.0),
            "url(#gap-hatch)",
            &title,
        );
    }
    match &lane.marks {
        Marks::Bars { bars, .. } => {
            for bar in bars {
                draw_bar(
                    out,
                    t,
                    lane,
                    bar,
                    x,
                    top + LANE_PAD + bar.row as f64 * ROW_H,
                );
            }
        }
        Marks::Aggregate(buckets) => draw_aggregate(out, t, lane, buckets, x, top),
    }
    for (span, merged) in pixel_merged(&lane.overlaps, x) {
        let title = span_title("overlap", &span, merged, true);
        mark(
            out,
            "overlap",
            &span,
            x,
            (top + 2.0, 4.0),
            "#000000",
            &title,
        );
    }
    out.push_str("</g>");
    bottom
}

/// One gap or overlap rectangle, at least a pixel wide, over the vertical
/// `band` (top, height).
fn mark(
    out: &mut String,
    class: &str,
    span: &Span,
    x: &Scale,
    band: (f64, f64),
    fill: &str,
    title: &str,
) {
    let (y, h) = band;
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
        format!(
            "{merged} stretches of {what} between {} and {}",
            timestamp(span.start),
            timestamp(span.end)
        )
    } else {
        format!(
            "{what}: {} to {} ({duration})",
            timestamp(span.start),
            timestamp(span.end)
        )
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
    let mut title = lane.endpoint.clone();
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
    if bar
        .disconnected_at
        .is_some_and(|d| d >= t.start && d <= t.end)
    {
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
pub fn reason_paint(t: &Timeline, reason: Option<&str>) -> (&'static str, &'static str) {
    if reason.is_none() {
        return ("#FFFFFF", TEXT);
    }
    let known = t.reasons.iter().filter(|(r, _)| r.is_some());
    match known.enumerate().find(|(_, (r, _))| r.as_deref() == reason) {
        Some((i, _)) if i < REASON_COLOURS.len() => (REASON_COLOURS[i], "none"),
        _ => (OTHER_REASONS, "none"),
    }
}

fn draw_aggregate(
    out: &mut String,
    t: &Timeline,
    lane: &Lane,
    buckets: &[Bucket],
    x: &Scale,
    top: f64,
) {
    let (area_top, area_h) = (top + 8.0, 24.0);
    let peak = lane.peak.max(1) as f64;
    // The most active at once per slice, as one stepped outline.
    let base = area_top + area_h;
    let mut d = format!("M{PLOT_X0:.1} {base:.1}");
    for b in buckets {
        let y = base - area_h * b.max_active as f64 / peak;
        w!(
            d,
            " L{:.1} {y:.1} L{:.1} {y:.1}",
            x.at(b.start),
            x.at(b.end)
        );
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
        let mut title = format!(
            "{total} drop(s) {} to {}:",
            timestamp(b.start),
            timestamp(b.end)
        );
        for (reason, n) in &b.drops {
            w!(
                title,
                "\n{n} {}",
                reason.as_deref().unwrap_or("(no reason given)")
            );
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
