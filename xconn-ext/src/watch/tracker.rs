//! The watch's memory: which connections are active, and which ended ones
//! are already accounted for, turned into events poll by poll.
//!
//! # How ended connections are explained
//!
//! Each poll reads the active list, then the history (`status=inactive`),
//! which the API lists newest `connected_at` first (a page found out of that
//! order makes the poll read the history to its end instead). A connection that left
//! the active list is looked up there; so is any connection that came and
//! went between two polls. The history is read page by page only until
//! both are settled: every vanished connection found (or the history has
//! gone below its `connected_at`), and the page reaches below the
//! *horizon*. The horizon is a `connected_at` before which every connection
//! is already known: it only ever moves to timestamps the watch read before
//! the current poll's active list, so a connection that starts after that
//! read always lies above it. Ended connections above the horizon are
//! remembered so that none is reported twice; below it they are forgotten,
//! which keeps memory flat: the active connections plus the history of
//! about one poll interval.
//!
//! # The steady state
//!
//! Most polls list the same connections in the same order as the poll
//! before. The tracker keeps the last list (each id once, in order) and the
//! set of its ids; a list whose ids match it one for one is taken as it is:
//! nothing connected, nothing left, and none of its ids is hashed, cloned
//! or looked up. Any other list is deduplicated and compared through the
//! set.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::event::{ConnectionEvent, EventKind, WarningKind, WatchWarning};
use crate::types::connection::Connection;

/// After this many polls without a trace in the history, a vanished
/// connection is reported disconnected with what is known (no reason is
/// made up) instead of being looked for forever.
pub(crate) const MISSING_POLLS: u32 = 3;

#[derive(Debug)]
struct Tracked {
    connection: Connection,
    /// Polls since it left the active list without showing in the history.
    missing_polls: u32,
}

/// The state carried from poll to poll.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    started: bool,
    /// The active list of the last poll, each id once (its first listing),
    /// in list order; records without an id are kept (counted, never
    /// tracked).
    listed: Vec<Connection>,
    /// The ids of `listed`.
    listed_ids: HashSet<String>,
    /// Connections that left the active list and are not in the history
    /// yet: looked for again next poll.
    missing: HashMap<String, Tracked>,
    /// Ended connections at or above the horizon already accounted for
    /// (reported, or ended before the watch), with their `connected_at`.
    explained: HashMap<String, DateTime<Utc>>,
    horizon: Option<DateTime<Utc>>,
    /// The latest timestamp the previous poll read in the history: safe to
    /// move the horizon to from this poll on.
    settled_history_max: Option<DateTime<Utc>>,
    // The poll under way.
    history_max: Option<DateTime<Utc>>,
    active_max: Option<DateTime<Utc>>,
    vanished: HashMap<String, Tracked>,
    events: Vec<ConnectionEvent>,
    /// Polls whose list was compared through the id set (not the steady
    /// state).
    #[cfg(test)]
    relists: u32,
}

fn later(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.max(b)
}

/// Whether `listed` has the ids of `last`, one for one in the same order
/// (records without an id aside). `last` has each id once, so then so has
/// `listed`.
fn same_ids(last: &[Connection], listed: &[Connection]) -> bool {
    last.iter()
        .filter_map(|c| c.id.as_deref())
        .eq(listed.iter().filter_map(|c| c.id.as_deref()))
}

impl Tracker {
    /// Whether the baseline is done.
    pub(crate) fn started(&self) -> bool {
        self.started
    }

    /// How many connections the tracker remembers (active and explained).
    #[cfg(test)]
    pub(crate) fn remembered(&self) -> usize {
        self.listed_ids.len() + self.missing.len() + self.explained.len()
    }

    /// The last active list: each id once, in list order.
    pub(crate) fn listed(&self) -> &[Connection] {
        &self.listed
    }

    /// How many connections this poll looks for in the history: those
    /// that left the active list, now or in an earlier poll.
    pub(crate) fn vanished(&self) -> usize {
        self.vanished.len()
    }

    /// Before the first poll: the first history page, read *before* the
    /// active list. What it shows ended before the watch began.
    pub(crate) fn baseline_history(&mut self, page: &[Connection]) {
        for connection in page {
            if let (Some(id), Some(connected_at)) = (&connection.id, connection.connected_at) {
                self.explained.insert(id.clone(), connected_at);
            }
            self.settled_history_max = later(
                self.settled_history_max,
                later(connection.connected_at, connection.disconnected_at),
            );
        }
    }

    /// The active list of this poll, every page as listed: `Active`
    /// events on the baseline, `Connected` for new connections afterwards.
    /// A connection listed twice (pages that shifted while being read)
    /// counts once, at its first listing.
    ///
    /// Returns whether the list is the last one again, connection for
    /// connection (the same ids in the same order, none without an id), so
    /// that whatever was worked out from the last list still holds.
    pub(crate) fn active(&mut self, listed: Vec<Connection>, observed: DateTime<Utc>) -> bool {
        // Those missing since an earlier poll are looked for again.
        self.vanished = std::mem::take(&mut self.missing);
        if self.started && same_ids(&self.listed, &listed) {
            // The steady state: the ids and their set stand; only the
            // records are this poll's.
            let mut every_one_has_an_id = true;
            for connection in &listed {
                match connection.id {
                    Some(_) => self.active_max = later(self.active_max, connection.connected_at),
                    None => every_one_has_an_id = false,
                }
            }
            // Equal lengths: the last list had no record without an id
            // either.
            let same_records = every_one_has_an_id && self.listed.len() == listed.len();
            self.listed = listed;
            return same_records;
        }
        self.relist(listed, observed);
        false
    }

    /// A list that is not the last one: deduplicate it, and compare it
    /// with the last one through the id set.
    fn relist(&mut self, mut listed: Vec<Connection>, observed: DateTime<Utc>) {
        #[cfg(test)]
        {
            self.relists += 1;
        }
        let previous_ids =
            std::mem::replace(&mut self.listed_ids, HashSet::with_capacity(listed.len()));
        let previous = std::mem::take(&mut self.listed);
        listed.retain(|connection| {
            let Some(id) = &connection.id else {
                return true;
            };
            if !self.listed_ids.insert(id.clone()) {
                // Listed twice: once.
                return false;
            }
            self.active_max = later(self.active_max, connection.connected_at);
            let known = previous_ids.contains(id.as_str())
                || (!self.vanished.is_empty() && self.vanished.remove(id.as_str()).is_some());
            if !self.started {
                self.events.push(ConnectionEvent::new(
                    EventKind::Active,
                    connection.clone(),
                    observed,
                ));
            } else if !known {
                self.events.push(ConnectionEvent::new(
                    EventKind::Connected,
                    connection.clone(),
                    observed,
                ));
            }
            true
        });
        for connection in previous {
            if let Some(id) = &connection.id
                && !self.listed_ids.contains(id.as_str())
            {
                self.vanished.insert(
                    id.clone(),
                    Tracked {
                        connection,
                        missing_polls: 0,
                    },
                );
            }
        }
        self.listed = listed;
    }

    /// One page of history, newest `connected_at` first.
    pub(crate) fn history(&mut self, page: &[Connection], observed: DateTime<Utc>) {
        for record in page {
            self.history_max = later(
                self.history_max,
                later(record.connected_at, record.disconnected_at),
            );
            let Some(id) = &record.id else { continue };
            if self.vanished.remove(id).is_some() {
                self.events.push(ConnectionEvent::new(
                    EventKind::Disconnected,
                    record.clone(),
                    observed,
                ));
                if let Some(connected_at) = record.connected_at {
                    self.explained.insert(id.clone(), connected_at);
                }
                continue;
            }
            let Some(connected_at) = record.connected_at else {
                continue;
            };
            if self.listed_ids.contains(id)
                || self.explained.contains_key(id)
                || self.horizon.is_some_and(|h| connected_at < h)
            {
                continue;
            }
            // Came and went between two polls.
            for kind in [EventKind::Connected, EventKind::Disconnected] {
                self.events
                    .push(ConnectionEvent::new(kind, record.clone(), observed));
            }
            self.explained.insert(id.clone(), connected_at);
        }
    }

    /// Whether the history must be read past a page whose oldest record
    /// connected at `oldest`.
    pub(crate) fn needs_more_history(&self, oldest: Option<DateTime<Utc>>) -> bool {
        let Some(oldest) = oldest else {
            return true;
        };
        let mut floor = self.horizon;
        for tracked in self.vanished.values() {
            match tracked.connection.connected_at {
                Some(at) => floor = Some(floor.map_or(at, |f| f.min(at))),
                // Cannot be placed in the history: read it all.
                None => return true,
            }
        }
        floor.is_none_or(|floor| oldest >= floor)
    }

    /// End the poll: the events in time order, and warnings.
    pub(crate) fn finish(
        &mut self,
        observed: DateTime<Utc>,
    ) -> (Vec<ConnectionEvent>, Vec<WatchWarning>) {
        let mut warnings = Vec::new();
        for (id, mut tracked) in std::mem::take(&mut self.vanished) {
            tracked.missing_polls += 1;
            if tracked.missing_polls >= MISSING_POLLS {
                warnings.push(WatchWarning {
                    kind: WarningKind::Unexplained,
                    message: format!(
                        "connection {id} left the active list but the history has no record of \
                         it after {MISSING_POLLS} polls; reported disconnected without a reason"
                    ),
                    wait: None,
                });
                self.events.push(ConnectionEvent::new(
                    EventKind::Disconnected,
                    tracked.connection,
                    observed,
                ));
            } else {
                // Looked for again next poll (history can lag the list).
                self.missing.insert(id, tracked);
            }
        }
        self.started = true;
        self.horizon = later(
            self.horizon,
            later(self.active_max.take(), self.settled_history_max),
        );
        self.settled_history_max = self.history_max.take();
        if let Some(horizon) = self.horizon {
            self.explained
                .retain(|_, connected_at| *connected_at >= horizon);
        }
        let mut events = std::mem::take(&mut self.events);
        // Stable: a short-lived connection's `connected` stays first.
        if !events.iter().all(|e| e.kind == EventKind::Active) {
            events.sort_by_key(|e| e.at);
        }
        (events, warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    fn active(id: &str, connected: i64) -> Connection {
        Connection {
            id: Some(id.into()),
            connected_at: Some(at(connected)),
            ..Connection::default()
        }
    }

    fn ended(id: &str, connected: i64, disconnected: i64) -> Connection {
        Connection {
            disconnected_at: Some(at(disconnected)),
            disconnect_reason: Some(crate::DisconnectReason::from_wire("stall")),
            ..active(id, connected)
        }
    }

    fn kinds(events: &[ConnectionEvent]) -> Vec<(EventKind, String)> {
        events
            .iter()
            .map(|e| (e.kind, e.connection.id.clone().unwrap()))
            .collect()
    }

    #[test]
    fn baseline_then_appear_disappear_and_short_lived() {
        let mut t = Tracker::default();
        t.baseline_history(&[ended("old", 0, 5)]);
        t.active(vec![active("a", 10), active("b", 20)], at(100));
        let (events, _) = t.finish(at(100));
        assert_eq!(
            kinds(&events),
            [
                (EventKind::Active, "a".into()),
                (EventKind::Active, "b".into())
            ]
        );

        // b ended, c appeared, d came and went; "old" is not news.
        t.active(vec![active("a", 10), active("c", 150)], at(200));
        t.history(
            &[
                ended("d", 160, 170),
                ended("b", 20, 120),
                ended("old", 0, 5),
            ],
            at(200),
        );
        assert!(!t.needs_more_history(Some(at(0))));
        let (events, warnings) = t.finish(at(200));
        assert!(warnings.is_empty());
        assert_eq!(
            kinds(&events),
            [
                (EventKind::Disconnected, "b".into()),
                (EventKind::Connected, "c".into()),
                (EventKind::Connected, "d".into()),
                (EventKind::Disconnected, "d".into()),
            ]
        );
        assert_eq!(events[0].at, at(120), "the API's disconnected_at");

        // The same history again reports nothing twice.
        t.active(vec![active("a", 10), active("c", 150)], at(300));
        t.history(&[ended("d", 160, 170), ended("b", 20, 120)], at(300));
        assert!(t.finish(at(300)).0.is_empty());
    }

    #[test]
    fn reads_history_down_to_the_oldest_vanished_connection() {
        let mut t = Tracker::default();
        t.active(vec![active("a", 10), active("b", 500)], at(600));
        t.finish(at(600));
        t.active(vec![active("b", 500)], at(700));
        t.history(&[ended("x", 400, 450)], at(700));
        // "a" connected at 10: the history must be read down to it.
        assert!(t.needs_more_history(Some(at(400))));
        t.history(&[ended("a", 10, 650)], at(700));
        assert!(!t.needs_more_history(Some(at(10 - 1))));
        // A page that tells nothing (out of order, empty): read on.
        assert!(t.needs_more_history(None));
    }

    #[test]
    fn an_unexplained_disappearance_is_reported_after_a_few_polls() {
        let mut t = Tracker::default();
        t.active(vec![active("a", 10)], at(0));
        t.finish(at(0));
        for poll in 1..MISSING_POLLS {
            t.active(vec![], at(i64::from(poll)));
            let (events, warnings) = t.finish(at(i64::from(poll)));
            assert!(events.is_empty() && warnings.is_empty(), "poll {poll}");
        }
        t.active(vec![], at(99));
        let (events, warnings) = t.finish(at(99));
        assert_eq!(kinds(&events), [(EventKind::Disconnected, "a".into())]);
        assert_eq!(events[0].connection.disconnect_reason, None, "not guessed");
        assert_eq!(warnings[0].kind, WarningKind::Unexplained);
    }

    #[test]
    fn memory_stays_flat_under_churn() {
        let mut t = Tracker::default();
        t.active(vec![], at(0));
        t.finish(at(0));
        let mut sizes = Vec::new();
        for poll in 1..2_000i64 {
            let now = poll * 10;
            // One connection alive, one short-lived one per poll.
            t.active(vec![active(&format!("live{poll}"), now - 1)], at(now));
            t.history(
                &[
                    ended(&format!("live{}", poll - 1), now - 11, now - 2),
                    ended(&format!("brief{poll}"), now - 5, now - 4),
                ],
                at(now),
            );
            let (events, _) = t.finish(at(now));
            assert!(events.len() >= 3, "poll {poll}: {events:?}");
            sizes.push(t.remembered());
        }
        assert!(
            sizes.iter().all(|&n| n <= 8),
            "max {:?}",
            sizes.iter().max()
        );
    }

    fn ids(list: &[Connection]) -> Vec<Option<&str>> {
        list.iter().map(|c| c.id.as_deref()).collect()
    }

    #[test]
    fn a_connection_listed_twice_is_kept_once_in_order() {
        let no_id = || Connection::default();
        let mut t = Tracker::default();
        t.active(
            vec![
                active("a", 1),
                no_id(),
                active("b", 2),
                active("a", 1),
                no_id(),
                active("c", 3),
                active("b", 2),
            ],
            at(10),
        );
        assert_eq!(
            ids(t.listed()),
            [Some("a"), None, Some("b"), None, Some("c")]
        );
        let (events, _) = t.finish(at(10));
        assert_eq!(
            kinds(&events),
            ["a", "b", "c"].map(|id| (EventKind::Active, id.to_owned()))
        );
    }

    /// A watch after two polls: `a` to `d` active, `x` left the list at
    /// the second poll and is not in the history yet (looked for again).
    fn two_polls_in() -> Tracker {
        let mut t = Tracker::default();
        let list = ["a", "b", "c", "d", "x"];
        t.active(list.map(|id| active(id, 10)).to_vec(), at(100));
        t.finish(at(100));
        t.active(list[..4].iter().map(|id| active(id, 10)).collect(), at(200));
        t.history(&[], at(200));
        let (events, warnings) = t.finish(at(200));
        assert!(events.is_empty() && warnings.is_empty());
        t
    }

    #[test]
    fn an_unchanged_list_keeps_the_state_and_emits_nothing() {
        let mut t = two_polls_in();
        let relists = t.relists;
        let capacity = t.listed_ids.capacity();
        // The same ids in the same order, new records (and one without an
        // id, which is never tracked).
        let mut list: Vec<_> = ["a", "b", "c", "d"].map(|id| active(id, 10)).to_vec();
        list.insert(2, Connection::default());
        assert!(
            !t.active(list, at(300)),
            "a record without an id may have changed: not the same list"
        );
        assert_eq!(t.relists, relists, "the steady state is not relisted");
        assert_eq!(t.listed_ids.capacity(), capacity, "the id set stands");
        assert_eq!(
            ids(t.listed()),
            [Some("a"), Some("b"), None, Some("c"), Some("d")]
        );
        // `x` is still looked for; nothing else left.
        assert_eq!(t.vanished(), 1);
        t.history(&[], at(300));
        let (events, warnings) = t.finish(at(300));
        assert!(events.is_empty() && warnings.is_empty(), "{events:?}");
        assert_eq!(t.remembered(), 5);
        let same: Vec<_> = ["a", "b", "c", "d"].map(|id| active(id, 10)).to_vec();
        assert!(
            !t.active(same.clone(), at(400)),
            "the last list had a record without an id"
        );
        assert!(t.active(same, at(500)), "the same connections again");
        assert!(!t.active(vec![active("a", 10)], at(600)), "one left");
    }

    #[test]
    fn any_other_list_emits_what_the_full_comparison_emits() {
        let cases: [(&str, &[&str]); 7] = [
            ("reordered", &["b", "a", "c", "d"]),
            ("one swapped", &["a", "b", "e", "d"]),
            ("one added", &["a", "b", "c", "d", "e"]),
            ("one removed", &["a", "b", "d"]),
            ("a duplicate id", &["a", "b", "b", "c", "d"]),
            ("one back", &["a", "b", "c", "d", "x"]),
            ("none", &[]),
        ];
        for (case, list) in cases {
            let list: Vec<Connection> = list.iter().map(|id| active(id, 10)).collect();
            let mut fast = two_polls_in();
            let relists = fast.relists;
            fast.active(list.clone(), at(300));
            assert_eq!(fast.relists, relists + 1, "{case}: relisted");
            // The full comparison, called directly (after what `active`
            // does first on either path).
            let mut slow = two_polls_in();
            slow.vanished = std::mem::take(&mut slow.missing);
            slow.relist(list, at(300));
            assert_eq!(ids(fast.listed()), ids(slow.listed()), "{case}");
            let mut vanished: Vec<_> = fast.vanished.keys().collect();
            let mut expected: Vec<_> = slow.vanished.keys().collect();
            vanished.sort();
            expected.sort();
            assert_eq!(vanished, expected, "{case}");
            let history = [ended("c", 10, 250)];
            fast.history(&history, at(300));
            slow.history(&history, at(300));
            let (fast_events, fast_warnings) = fast.finish(at(300));
            let (slow_events, slow_warnings) = slow.finish(at(300));
            assert_eq!(kinds(&fast_events), kinds(&slow_events), "{case}");
            assert_eq!(fast_warnings.len(), slow_warnings.len(), "{case}");
            assert_eq!(fast.remembered(), slow.remembered(), "{case}");
        }
        // What the full comparison emits, for the record.
        let mut t = two_polls_in();
        t.active(
            ["a", "b", "e", "d"].map(|id| active(id, 10)).to_vec(),
            at(300),
        );
        t.history(&[ended("c", 10, 250)], at(300));
        assert_eq!(
            kinds(&t.finish(at(300)).0),
            [
                (EventKind::Connected, "e".into()),
                (EventKind::Disconnected, "c".into())
            ]
        );
    }
}
