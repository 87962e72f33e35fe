//! What the picture shows, computed from the connections: lanes, bars,
//! overlaps, gaps and the reasons' legend. Pure: data in, data out.
//!
//! Each lane is swept once over its connections' start and end instants,
//! which gives at the same time the stretches with no connection (gaps),
//! those with two or more (overlaps), and the peak that decides how many
//! rows the lane's bars need. A lane with more bars or rows than a reader
//! can tell apart is drawn as an aggregate instead: per slice of the
//! window, the most connections active at once and the drops by reason.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use xconn_ext::{Connection, StreamEndpoint};

/// The lane of records that came without an endpoint.
pub const NO_ENDPOINT: &str = "(no endpoint)";

/// How much detail a lane may carry before it is aggregated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bars drawn one by one, at most, per lane.
    pub max_bars: usize,
    /// Rows of bars (connections active at once), at most, per lane.
    pub max_rows: usize,
    /// Slices of the window an aggregated lane is cut into.
    pub buckets: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bars: 60,
            max_rows: 10,
            buckets: 240,
        }
    }
}

/// Everything the picture shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// When the history was read: active connections are drawn up to here.
    pub now: DateTime<Utc>,
    pub lanes: Vec<Lane>,
    /// Reasons of the drops inside the window, most frequent first
    /// (`None`: ended without a reason given).
    pub reasons: Vec<(Option<String>, usize)>,
    /// Connections drawn (some part inside the window).
    pub drawn: usize,
    /// Connections read but entirely outside the window.
    pub outside: usize,
    /// Connections that cannot be placed: no `connected_at`.
    pub no_start: usize,
    /// Connections that ended (a reason is given) with no `disconnected_at`.
    pub no_end: usize,
}

/// One endpoint's row of the picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    /// The endpoint's wire name, or [`NO_ENDPOINT`].
    pub endpoint: String,
    /// Connections of this lane inside the window.
    pub connections: usize,
    /// The most active at once inside the window.
    pub peak: usize,
    pub marks: Marks,
    /// Stretches with two or more connections active.
    pub overlaps: Vec<Span>,
    /// Stretches inside the window (up to now) with none active.
    pub gaps: Vec<Span>,
}

/// How a lane's connections are drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marks {
    /// One bar per connection, in `rows` rows so that none hides another.
    Bars { bars: Vec<Bar>, rows: usize },
    /// Too many to tell apart: per slice of the window.
    Aggregate(Vec<Bucket>),
}

/// A stretch of time; for an overlap, `peak` is the most active at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub peak: usize,
}

/// One connection, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub id: Option<String>,
    pub connected_at: DateTime<Utc>,
    /// `None`: still active.
    pub disconnected_at: Option<DateTime<Utc>>,
    /// Why it ended, as the API sent it (`None`: active, or none given).
    pub reason: Option<String>,
    pub client_ip: Option<String>,
    pub row: usize,
}

/// A slice of an aggregated lane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The most connections active at once in the slice.
    pub max_active: usize,
    /// Drops in the slice per reason, most frequent first.
    pub drops: Vec<(Option<String>, usize)>,
}

/// One connection, clipped to the window: what the sweep and the marks use.
struct Placed<'a> {
    connection: &'a Connection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// The timeline of `connections` over `[start, end]`, read at `now`, with a
/// lane for each endpoint in `lanes` and each endpoint the connections name.
pub fn build(
    connections: &[Connection],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
    lanes: &[StreamEndpoint],
    limits: Limits,
) -> Timeline {
    let mut timeline = Timeline {
        start,
        end,
        now,
        lanes: Vec::new(),
        reasons: Vec::new(),
        drawn: 0,
        outside: 0,
        no_start: 0,
        no_end: 0,
    };
    let mut by_lane: BTreeMap<LaneKey, Vec<Placed<'_>>> = lanes
        .iter()
        .map(|e| (LaneKey::of(Some(e)), Vec::new()))
        .collect();
    let mut reasons: BTreeMap<Option<&str>, usize> = BTreeMap::new();
    for c in connections {
        let placed = by_lane.entry(LaneKey::of(c.endpoint.as_ref())).or_default();
        let Some(connected_at) = c.connected_at else {
            timeline.no_start += 1;
            continue;
        };
        let ended_at = match (c.disconnected_at, &c.disconnect_reason) {
            (Some(t), _) => t,
            (None, None) => now.max(connected_at),
            (None, Some(_)) => {
                timeline.no_end += 1;
                continue;
            }
        };
        if connected_at > end || ended_at < start {
            timeline.outside += 1;
            continue;
        }
        timeline.drawn += 1;
        if c.disconnected_at.is_some_and(|t| t >= start && t <= end) {
            *reasons
                .entry(c.disconnect_reason.as_ref().map(|r| r.as_str()))
                .or_default() += 1;
        }
        placed.push(Placed {
            connection: c,
            start: connected_at.max(start),
            end: ended_at.min(end).max(connected_at.max(start)),
        });
    }
    timeline.reasons = most_frequent_first(reasons);
    let horizon = end.min(now).max(start);
    timeline.lanes = by_lane
        .into_iter()
        .map(|(key, placed)| lane(key.name, placed, start, end, horizon, limits))
        .collect();
    timeline
}

/// Lanes in name order, records without an endpoint last.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct LaneKey {
    missing: bool,
    name: String,
}

impl LaneKey {
    fn of(endpoint: Option<&StreamEndpoint>) -> Self {
        Self {
            missing: endpoint.is_none(),
            name: endpoint.map_or(NO_ENDPOINT, |e| e.as_str()).to_owned(),
        }
    }
}

fn most_frequent_first(counts: BTreeMap<Option<&str>, usize>) -> Vec<(Option<String>, usize)> {
    let mut out: Vec<_> = counts
        .into_iter()
        .map(|(reason, n)| (reason.map(str::to_owned), n))
        .collect();
    // Stable: equal counts stay in name order.
    out.sort_by_key(|r| std::cmp::Reverse(r.1));
    out
}

fn lane(
    endpoint: String,
    mut placed: Vec<Placed<'_>>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    horizon: DateTime<Utc>,
    limits: Limits,
) -> Lane {
    placed.sort_by_key(|p| (p.start, p.end));
    let segments = sweep(&placed, start, horizon);
    let peak = segments.iter().map(|s| s.peak).max().unwrap_or(0);
    let overlaps = merge(&segments, |n| n >= 2);
    let gaps = merge(&segments, |n| n == 0);
    let marks = if placed.len() > limits.max_bars || peak > limits.max_rows {
        Marks::Aggregate(aggregate(&placed, &segments, start, end, limits.buckets))
    } else {
        let (bars, rows) = bars(&placed);
        Marks::Bars { bars, rows }
    };
    Lane {
        endpoint,
        connections: placed.len(),
        peak,
        marks,
        overlaps,
        gaps,
    }
}

/// Where the count of active connections is constant, from `start` to
/// `horizon`, with that count in `peak`. A connection ending at the instant
/// another starts is a handover, neither a gap nor an overlap.
fn sweep(placed: &[Placed<'_>], start: DateTime<Utc>, horizon: DateTime<Utc>) -> Vec<Span> {
    let mut events: Vec<(DateTime<Utc>, i8)> = Vec::with_capacity(placed.len() * 2);
    for p in placed {
        events.push((p.start.min(horizon), 1));
        events.push((p.end.min(horizon), -1));
    }
    // Ends before starts at the same instant.
    events.sort_unstable();
    let mut segments = Vec::new();
    let mut active: usize = 0;
    let mut cursor = start;
    for (at, delta) in events {
        if at > cursor {
            segments.push(Span {
                start: cursor,
                end: at,
                peak: active,
            });
            cursor = at;
        }
        active = if delta > 0 {
            active + 1
        } else {
            active.saturating_sub(1)
        };
    }
    if horizon > cursor {
        segments.push(Span {
            start: cursor,
            end: horizon,
            peak: active,
        });
    }
    segments
}

/// Adjacent segments whose count satisfies `keep`, joined.
fn merge(segments: &[Span], keep: impl Fn(usize) -> bool) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for s in segments.iter().filter(|s| keep(s.peak)) {
        match out.last_mut() {
            Some(last) if last.end == s.start => {
                last.end = s.end;
                last.peak = last.peak.max(s.peak);
            }
            _ => out.push(*s),
        }
    }
    out
}

/// Each connection in the first row free when it starts (the fewest rows
/// that keep bars apart: as many as the peak).
fn bars(placed: &[Placed<'_>]) -> (Vec<Bar>, usize) {
    let mut row_ends: Vec<DateTime<Utc>> = Vec::new();
    let bars = placed
        .iter()
        .map(|p| {
            let row = match row_ends.iter().position(|end| *end <= p.start) {
                Some(row) => {
                    row_ends[row] = p.end;
                    row
                }
                None => {
                    row_ends.push(p.end);
                    row_ends.len() - 1
                }
            };
            let c = p.connection;
            Bar {
                id: c.id.clone(),
                connected_at: c.connected_at.unwrap_or(p.start),
                disconnected_at: c.disconnected_at,
                reason: c.disconnect_reason.as_ref().map(|r| r.as_str().to_owned()),
                client_ip: c.client_ip.clone(),
                row,
            }
        })
        .collect();
    (bars, row_ends.len().max(1))
}

fn aggregate(
    placed: &[Placed<'_>],
    segments: &[Span],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    count: usize,
) -> Vec<Bucket> {
    let count = count.max(1);
    let total = (end - start).num_milliseconds().max(1);
    let count_i = i64::try_from(count).unwrap_or(i64::MAX);
    let bound = |i: i64| start + chrono::TimeDelta::milliseconds(total * i / count_i);
    let index = |t: DateTime<Utc>| {
        let i = (t - start).num_milliseconds().clamp(0, total - 1) * count_i / total;
        usize::try_from(i).unwrap_or(0).min(count - 1)
    };
    let mut buckets: Vec<Bucket> = (0..count_i)
        .map(|i| Bucket {
            start: bound(i),
            end: bound(i + 1),
            max_active: 0,
            drops: Vec::new(),
        })
        .collect();
    // Segments are disjoint, so the slices visited add up to about
    // segments + slices.
    for s in segments.iter().filter(|s| s.peak > 0 && s.end > s.start) {
        let last = index(s.end - chrono::TimeDelta::milliseconds(1)).max(index(s.start));
        for bucket in &mut buckets[index(s.start)..=last] {
            bucket.max_active = bucket.max_active.max(s.peak);
        }
    }
    let mut drops: Vec<BTreeMap<Option<&str>, usize>> = vec![BTreeMap::new(); count];
    for p in placed {
        let c = p.connection;
        if let Some(t) = c.disconnected_at.filter(|t| *t >= start && *t <= end) {
            *drops[index(t)]
                .entry(c.disconnect_reason.as_ref().map(|r| r.as_str()))
                .or_default() += 1;
        }
    }
    for (bucket, counts) in buckets.iter_mut().zip(drops) {
        bucket.drops = most_frequent_first(counts);
    }
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::timeline::tests::{at, conn};

    fn span(from: &str, to: &str, peak: usize) -> Span {
        Span {
            start: at(from),
            end: at(to),
            peak,
        }
    }

    /// filtered_stream: 10:00-11:00 dropped, 10:30-12:00 dropped (overlap
    /// 10:30-11:00), nothing 12:00-12:30, 12:30 on still active.
    /// sample_stream: one connection 09:00-10:15, outside after.
    fn known() -> Vec<Connection> {
        vec![
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
            conn(
                "sample_stream",
                "09:00",
                Some("10:15"),
                Some("operator_disconnect"),
            ),
            conn(
                "sample_stream",
                "07:00",
                Some("08:00"),
                Some("operator_disconnect"),
            ),
        ]
    }

    fn build_known(limits: Limits) -> Timeline {
        build(&known(), at("09:30"), at("13:30"), at("13:00"), &[], limits)
    }

    #[test]
    fn lanes_bars_rows_overlaps_gaps() {
        let t = build_known(Limits::default());
        let names: Vec<&str> = t.lanes.iter().map(|l| l.endpoint.as_str()).collect();
        assert_eq!(names, ["filtered_stream", "sample_stream"]);
        assert_eq!((t.drawn, t.outside, t.no_start, t.no_end), (4, 1, 0, 0));

        let fs = &t.lanes[0];
        assert_eq!((fs.connections, fs.peak), (3, 2));
        let Marks::Bars { bars, rows } = &fs.marks else {
            panic!("bars expected")
        };
        assert_eq!(*rows, 2);
        assert_eq!(bars.iter().map(|b| b.row).collect::<Vec<_>>(), [0, 1, 0]);
        assert_eq!(bars[2].disconnected_at, None);
        assert_eq!(bars[1].reason.as_deref(), Some("server_shutdown"));
        assert_eq!(fs.overlaps, [span("10:30", "11:00", 2)]);
        // Up to now (13:00), not to the window's end (13:30).
        assert_eq!(
            fs.gaps,
            [span("09:30", "10:00", 0), span("12:00", "12:30", 0)]
        );

        let ss = &t.lanes[1];
        assert_eq!(ss.overlaps, []);
        assert_eq!(ss.gaps, [span("10:15", "13:00", 0)]);
        assert_eq!(
            t.reasons,
            [
                (Some("operator_disconnect".to_owned()), 2),
                (Some("server_shutdown".to_owned()), 1)
            ]
        );
    }

    #[test]
    fn handover_at_the_same_instant_is_neither_gap_nor_overlap() {
        let cs = [
            conn("filtered_stream", "10:00", Some("11:00"), Some("x")),
            conn("filtered_stream", "11:00", Some("12:00"), Some("x")),
        ];
        let t = build(
            &cs,
            at("10:00"),
            at("12:00"),
            at("12:00"),
            &[],
            Limits::default(),
        );
        assert_eq!(t.lanes[0].gaps, []);
        assert_eq!(t.lanes[0].overlaps, []);
        let Marks::Bars { rows, .. } = t.lanes[0].marks else {
            panic!()
        };
        assert_eq!(rows, 1);
    }

    #[test]
    fn asked_endpoints_get_a_lane_even_when_empty_and_unplaceable_are_counted() {
        let mut no_start = conn("sample_stream", "10:00", None, None);
        no_start.connected_at = None;
        let mut no_end = conn("sample_stream", "10:00", None, Some("x"));
        no_end.endpoint = None;
        let asked = [StreamEndpoint::FirehoseStream];
        let t = build(
            &[no_start, no_end],
            at("10:00"),
            at("11:00"),
            at("11:00"),
            &asked,
            Limits::default(),
        );
        let names: Vec<&str> = t.lanes.iter().map(|l| l.endpoint.as_str()).collect();
        assert_eq!(names, ["firehose_stream", "sample_stream", NO_ENDPOINT]);
        assert_eq!((t.drawn, t.no_start, t.no_end), (0, 1, 1));
        assert_eq!(t.lanes[0].gaps, [span("10:00", "11:00", 0)]);
    }

    #[test]
    fn dense_lanes_aggregate_with_peaks_and_drops() {
        let limits = Limits {
            max_bars: 2,
            max_rows: 6,
            buckets: 8,
        };
        let t = build_known(limits);
        let Marks::Aggregate(buckets) = &t.lanes[0].marks else {
            panic!("aggregate expected")
        };
        assert_eq!(buckets.len(), 8);
        assert_eq!(buckets[0].start, at("09:30"));
        assert_eq!(buckets[7].end, at("13:30"));
        // 30-minute slices: 10:30-11:00 has two active; 12:00-12:30 none.
        assert_eq!(buckets[2].max_active, 2);
        assert_eq!(buckets[5].max_active, 0);
        let drops: usize = buckets.iter().flat_map(|b| &b.drops).map(|d| d.1).sum();
        assert_eq!(drops, 2);
        assert_eq!(
            buckets[3].drops,
            [(Some("operator_disconnect".to_owned()), 1)]
        );
        // sample_stream has one bar: still drawn one by one.
        assert!(matches!(t.lanes[1].marks, Marks::Bars { .. }));
    }
}
