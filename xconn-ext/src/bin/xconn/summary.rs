//! `xconn summary`: what happened to my streams, in numbers.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use xconn_ext::Connection;

use crate::output::timestamp;

/// Counts gathered over every connection seen, one at a time (memory grows
/// only with the number of distinct endpoints and reasons, plus 8 bytes per
/// ended connection for the duration median).
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub total: u64,
    pub active: u64,
    pub inactive: u64,
    /// The earliest and latest timestamps read (`connected_at` or
    /// `disconnected_at`): the period this summary covers.
    pub window: Window,
    pub by_endpoint: BTreeMap<String, EndpointCounts>,
    pub by_reason: BTreeMap<String, u64>,
    /// endpoint -> reason -> count, for ended connections.
    pub by_endpoint_reason: BTreeMap<String, BTreeMap<String, u64>>,
    /// endpoint -> its most recent disconnect.
    pub last_disconnect: BTreeMap<String, LastDisconnect>,
    /// Endpoints with more than one active connection.
    pub duplicates: Vec<Duplicate>,
    pub duration_secs: DurationStats,
    #[serde(skip)]
    durations: Vec<u64>,
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

#[derive(Debug, Default, Serialize)]
pub struct EndpointCounts {
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
    pub median: Option<u64>,
    pub max: Option<u64>,
}

impl Summary {
    pub fn add(&mut self, connection: &Connection, now: DateTime<Utc>) {
        self.total += 1;
        for t in [connection.connected_at, connection.disconnected_at]
            .into_iter()
            .flatten()
        {
            self.window.from = Some(self.window.from.map_or(t, |from| from.min(t)));
            self.window.to = Some(self.window.to.map_or(t, |to| to.max(t)));
        }
        let endpoint = connection
            .endpoint
            .as_ref()
            .map_or("(unknown)", |e| e.as_str());
        let counts = counter(&mut self.by_endpoint, endpoint);
        counts.total += 1;
        if connection.is_active() {
            self.active += 1;
            counts.active += 1;
            return;
        }
        self.inactive += 1;
        counts.inactive += 1;
        let reason = connection
            .disconnect_reason
            .as_ref()
            .map_or("(none given)", |r| r.as_str());
        *counter(&mut self.by_reason, reason) += 1;
        *counter(counter(&mut self.by_endpoint_reason, endpoint), reason) += 1;
        let at = connection.disconnected_at;
        // `None` orders before any time: a dated disconnect always wins.
        if self
            .last_disconnect
            .get(endpoint)
            .is_none_or(|last| at > last.at)
        {
            self.last_disconnect.insert(
                endpoint.to_owned(),
                LastDisconnect {
                    at,
                    reason: reason.to_owned(),
                },
            );
        }
        if let Some(d) = connection.duration(now) {
            self.durations.push(d.as_secs());
        }
    }

    /// Compute the duration statistics once every connection was added.
    pub fn finish(&mut self) {
        self.durations.sort_unstable();
        let n = self.durations.len();
        self.duplicates = self
            .by_endpoint
            .iter()
            .filter(|(_, c)| c.active > 1)
            .map(|(endpoint, c)| Duplicate {
                endpoint: endpoint.clone(),
                active: c.active,
            })
            .collect();
        self.duration_secs = DurationStats {
            covers: "ended",
            count: n as u64,
            median: (n > 0).then(|| {
                if n % 2 == 1 {
                    self.durations[n / 2]
                } else {
                    (self.durations[n / 2 - 1] + self.durations[n / 2]) / 2
                }
            }),
            max: self.durations.last().copied(),
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
        let _ = writeln!(
            out,
            "duration of the {} ended connections: median {}, max {}",
            self.duration_secs.count,
            fmt_secs(self.duration_secs.median),
            fmt_secs(self.duration_secs.max)
        );
        for d in &self.duplicates {
            let _ = writeln!(
                out,
                "duplicates: {} has {} active connections (xconn terminate --duplicates --endpoint {})",
                d.endpoint, d.active, d.endpoint
            );
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

/// The entry for `key`, allocating the key only the first time it is seen
/// (`entry()` would take an owned key for every connection).
fn counter<'a, V: Default>(map: &'a mut BTreeMap<String, V>, key: &str) -> &'a mut V {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

/// `1h02m03s`, `4m05s`, `6s`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}h{m:02}m{s:02}s")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xconn_ext::{DisconnectReason, StreamEndpoint};

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
        assert!(s.duplicates.is_empty());
        s.add(&conn(StreamEndpoint::SampleStream, 950, None, None), now);
        s.finish();
        assert_eq!(
            s.duplicates,
            [Duplicate {
                endpoint: "sample_stream".into(),
                active: 2
            }]
        );
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(Duration::from_secs(3723)), "1h02m03s");
        assert_eq!(human(Duration::from_secs(245)), "4m05s");
        assert_eq!(human(Duration::from_secs(6)), "6s");
    }
}
