//! Rendering a report: grouped text for people, JSON for scripts.

use std::fmt::Write as _;

use super::Report;

/// Output format of `cargo xtask diff`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// A grouped report for people.
    Text,
    /// The same report as JSON, for scripts and CI.
    Json,
}

impl Report {
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Text => self.to_text(),
            Format::Json => crate::workspace::to_pretty_json(self),
        }
    }

    fn to_text(&self) -> String {
        let version = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".to_owned());
        let mut out = format!(
            "Stream Connections API: {} -> {}  (! = breaking)\n",
            version(&self.old_version),
            version(&self.new_version)
        );
        let mut section = None;
        for change in &self.changes {
            if section != Some(change.section) {
                section = Some(change.section);
                let _ = write!(out, "\n{}\n", change.section.title());
            }
            let mark = if change.breaking { '!' } else { '-' };
            let _ = writeln!(out, "  {mark} {}: {}", change.location, change.summary);
            if let Some(note) = &change.note {
                let _ = writeln!(out, "      {note}");
            }
        }
        let _ = write!(
            out,
            "\n{} changes, {} breaking\n",
            self.summary.changes, self.summary.breaking
        );
        out
    }
}
