//! The duplicates guard: which active connections to end.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use crate::connection::Connection;
use crate::enums::StreamEndpoint;

/// The connections to end so that no endpoint has more than `keep` active:
/// per endpoint, the most recently connected `keep` stay and the rest (the
/// least recently connected) go. A connection without an id or an endpoint
/// cannot be ended or grouped and is left alone; one without `connected_at`
/// counts as the oldest.
pub(crate) fn extras(active: &[Connection], keep: usize) -> Vec<Connection> {
    let mut by_endpoint: BTreeMap<&StreamEndpoint, Vec<&Connection>> = BTreeMap::new();
    for connection in active {
        if let (Some(_), Some(endpoint)) = (&connection.id, &connection.endpoint) {
            by_endpoint.entry(endpoint).or_default().push(connection);
        }
    }
    let mut extras = Vec::new();
    for mut group in by_endpoint.into_values() {
        // Newest first; ties by id so the choice is reproducible.
        group.sort_by_key(|c| (Reverse(c.connected_at), c.id.clone()));
        extras.extend(group.into_iter().skip(keep).cloned());
    }
    extras
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(id: &str, endpoint: &str, connected: i64) -> Connection {
        Connection {
            id: Some(id.into()),
            endpoint: Some(StreamEndpoint::from_wire(endpoint)),
            connected_at: chrono::DateTime::from_timestamp(connected, 0),
            ..Connection::default()
        }
    }

    #[test]
    fn keeps_the_newest_per_endpoint() {
        let active = [
            conn("a1", "sample_stream", 10),
            conn("a2", "sample_stream", 30),
            conn("a3", "sample_stream", 20),
            conn("b1", "filtered_stream", 5),
        ];
        let ids = |v: Vec<Connection>| v.into_iter().map(|c| c.id.unwrap()).collect::<Vec<_>>();
        assert_eq!(ids(extras(&active, 1)), ["a3", "a1"]);
        assert_eq!(ids(extras(&active, 2)), ["a1"]);
        assert!(extras(&active, 3).is_empty());
    }
}
