//! `--reason`, `--since`, `--until`: which of the connections the API
//! returned `list` and `summary` keep. The API has no such filters, so
//! they are applied here, to every record read.

use chrono::{DateTime, Utc};
use xconn_ext::{Connection, ConnectionField};

/// The client-side selection the flags describe; the default keeps all.
#[derive(Debug, Default, Clone)]
pub struct Selection {
    /// Disconnect reasons (wire names) to keep; empty: any, active too.
    pub reasons: Vec<String>,
    /// Keep connections still open at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Keep connections opened at or before this instant.
    pub until: Option<DateTime<Utc>>,
}

impl Selection {
    /// Whether `c` is kept. A connection is in the window when it was open
    /// at some instant of it: connected at or before `until`, and still
    /// open (or ended) at or after `since`. Without the timestamp a bound
    /// needs, it is not kept: its time is unknown.
    pub fn keeps(&self, c: &Connection) -> bool {
        if !self.reasons.is_empty() {
            let reason = c.disconnect_reason.as_ref().map(|r| r.as_str());
            if !self.reasons.iter().any(|r| Some(r.as_str()) == reason) {
                return false;
            }
        }
        if let Some(since) = self.since {
            let open_after = match (c.disconnected_at, c.is_active()) {
                (_, true) => true,
                (Some(end), false) => end >= since,
                (None, false) => false,
            };
            if !open_after {
                return false;
            }
        }
        if let Some(until) = self.until
            && c.connected_at.is_none_or(|start| start > until)
        {
            return false;
        }
        true
    }

    /// The fields a record needs for [`keeps`](Self::keeps) to judge it.
    pub fn fields(&self) -> Vec<ConnectionField> {
        let mut fields = Vec::new();
        if !self.reasons.is_empty() || self.since.is_some() {
            fields.extend([
                ConnectionField::DisconnectReason,
                ConnectionField::DisconnectedAt,
            ]);
        }
        if self.until.is_some() {
            fields.push(ConnectionField::ConnectedAt);
        }
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(start: &str, end: Option<(&str, &str)>) -> Connection {
        let mut json = serde_json::json!({"id": "x", "connected_at": start});
        if let Some((at, reason)) = end {
            json["disconnected_at"] = at.into();
            json["disconnect_reason"] = reason.into();
        }
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn reasons_and_the_window_select() {
        let at = |s: &str| Some(s.parse().unwrap());
        let active = conn("2026-01-01T00:00:00Z", None);
        let stalled = conn(
            "2026-01-01T00:00:00Z",
            Some(("2026-01-02T00:00:00Z", "stall")),
        );
        let all = Selection::default();
        assert!(all.keeps(&active) && all.keeps(&stalled));

        let stall = Selection {
            reasons: vec!["stall".into()],
            ..Selection::default()
        };
        assert!(!stall.keeps(&active) && stall.keeps(&stalled));

        let since = Selection {
            since: at("2026-01-03T00:00:00Z"),
            ..Selection::default()
        };
        assert!(since.keeps(&active) && !since.keeps(&stalled));
        let until = Selection {
            until: at("2025-12-31T00:00:00Z"),
            ..Selection::default()
        };
        assert!(!until.keeps(&active) && !until.keeps(&stalled));
        let window = Selection {
            since: at("2026-01-01T12:00:00Z"),
            until: at("2026-01-01T13:00:00Z"),
            ..Selection::default()
        };
        assert!(window.keeps(&active) && window.keeps(&stalled));
    }
}
