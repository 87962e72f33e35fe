//! The look shared by the drawing and its frame: palette, geometry, the
//! time-to-x scale and XML escaping.

use chrono::{DateTime, Utc};

/// Colours for the most frequent reasons (Okabe & Ito, 2008), in the order
/// they are handed out; black is kept for overlaps. Yellow, the weakest on
/// white, comes last.
pub const REASON_COLOURS: [&str; 7] = [
    "#D55E00", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442",
];
/// Reasons beyond the palette share this grey (each named in the legend).
pub const OTHER_REASONS: &str = "#7F7F7F";
pub const ENDED: &str = "#C3CCD6";
pub const ACTIVE: &str = "#3E4C5E";
pub const TEXT: &str = "#1F2933";
pub const MUTED: &str = "#616E7C";
pub const RULE: &str = "#E4E7EB";
pub const FONT: &str =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

pub const WIDTH: f64 = 1200.0;
pub const PLOT_X0: f64 = 210.0;
pub const PLOT_X1: f64 = 1170.0;

/// Instants to x positions in the plot.
pub struct Scale {
    start: DateTime<Utc>,
    span_ms: f64,
}

impl Scale {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self {
            start,
            span_ms: ((end - start).num_milliseconds() as f64).max(1.0),
        }
    }

    /// `t`'s x, clamped to the plot.
    pub fn at(&self, t: DateTime<Utc>) -> f64 {
        let f = (t - self.start).num_milliseconds() as f64 / self.span_ms;
        PLOT_X0 + f.clamp(0.0, 1.0) * (PLOT_X1 - PLOT_X0)
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
