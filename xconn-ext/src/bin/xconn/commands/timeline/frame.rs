//! What frames the lanes: the title and notes above, the UTC axis below,
//! and the key (the reasons, the only colours, with their counts; then
//! the other marks), in rows that wrap at the picture's width.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::axis;
use super::model::{Marks, Timeline};
use super::style::{
    ACTIVE, ENDED, MUTED, OTHER_REASONS, PLOT_X0, PLOT_X1, REASON_COLOURS, Scale, TEXT, WIDTH, esc,
};
use crate::format::timestamp;

/// About how wide a character of 12px text is, to lay out the rows.
const CHAR_W: f64 = 6.8;

macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

/// The key: reasons first (the only colours), then the other marks.
pub fn legend(out: &mut String, t: &Timeline, y: f64) -> f64 {
    let mut row = Row::new(out, y);
    row.heading("Drop reason (at the bar's end, as the API sent it):");
    let named: Vec<&str> = t.reasons.iter().filter_map(|(r, _)| r.as_deref()).collect();
    for (i, reason) in named.iter().enumerate().take(REASON_COLOURS.len()) {
        let n = count_of(t, Some(reason));
        row.swatch(
            "legend-reason",
            reason,
            REASON_COLOURS[i],
            "none",
            &format!("{reason} ({n})"),
        );
    }
    let others = named.get(REASON_COLOURS.len()..).unwrap_or_default();
    if !others.is_empty() {
        let n: usize = others.iter().map(|r| count_of(t, Some(r))).sum();
        let label = format!("other reasons ({n}): {}", others.join(", "));
        row.swatch(
            "legend-reason",
            &others.join(" "),
            OTHER_REASONS,
            "none",
            &label,
        );
    }
    if t.reasons.iter().any(|(r, _)| r.is_none()) {
        let n = count_of(t, None);
        row.swatch(
            "legend-reason",
            "",
            "#FFFFFF",
            TEXT,
            &format!("no reason given ({n})"),
        );
    }
    if t.reasons.is_empty() {
        row.text("no drops in this window");
    }
    let mut y = row.end();
    let mut row = Row::new(out, y + 22.0);
    row.heading("Marks:");
    row.swatch("legend-mark", "ended", ENDED, "none", "connection, ended");
    row.swatch(
        "legend-mark",
        "active",
        ACTIVE,
        "none",
        "still active (to now)",
    );
    row.swatch(
        "legend-mark",
        "overlap",
        "#000000",
        "none",
        "overlap: 2+ active on one endpoint",
    );
    row.swatch(
        "legend-mark",
        "gap",
        "url(#gap-hatch)",
        "#9AA5B1",
        "gap: none active",
    );
    y = row.end();
    if t.lanes
        .iter()
        .any(|l| matches!(l.marks, Marks::Aggregate(_)))
    {
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
        w!(
            self.out,
            r#"<text x="{:.1}" y="{:.1}" font-weight="600">{}</text>"#,
            self.x,
            self.y,
            esc(text)
        );
        self.x += width;
    }

    fn text(&mut self, text: &str) {
        let width = text.len() as f64 * CHAR_W + 12.0;
        self.room(width);
        w!(
            self.out,
            r#"<text x="{:.1}" y="{:.1}" fill="{MUTED}">{}</text>"#,
            self.x,
            self.y,
            esc(text)
        );
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

/// The title, the window and counts, and `notes` (with the records that
/// could not be placed); returns where the lanes start.
pub fn header(out: &mut String, t: &Timeline, notes: &[String]) -> f64 {
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
    w!(
        out,
        r#"<text class="subtitle" x="16" y="48" fill="{MUTED}">{}</text>"#,
        esc(&summary)
    );
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
        w!(
            out,
            r##"<text class="note" x="16" y="{y:.1}" fill="#B3261E" font-weight="600">{}</text>"##,
            esc(note)
        );
    }
    y + 30.0
}

/// The UTC axis under the lanes; returns where it ends.
pub fn draw_axis(out: &mut String, t: &Timeline, ticks: &[axis::Tick], x: &Scale, y: f64) -> f64 {
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
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="{MUTED}">time (UTC)</text></g>"#,
        PLOT_X0 - 12.0,
        y + 18.0
    );
    y + 40.0
}

/// An instant for the header, to the second (hover texts are exact).
fn short(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}
