//! Deterministic, seeded connection data for the sandbox.

use std::net::{Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, SecondsFormat};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::const_str::{same, starts_with};
use crate::types::enums::{ConnectionField, DisconnectReason, StreamEndpoint};

/// The wire names of the streaming endpoints, in the order the OpenAPI fragment lists them
/// ([`StreamEndpoint::NAMES`], which is checked against `xconn_sdk::spec::ENDPOINTS`).
pub const ENDPOINTS: &[&str] = StreamEndpoint::NAMES;

/// The disconnect reasons the seeded inactive connections carry: every reason
/// [`DisconnectReason`] knows (the ones X documents), then reasons the
/// sandbox **invents** so that tests meet reasons this version does not
/// know (they decode as [`DisconnectReason::Unknown`]). The invented ones
/// start with [`INVENTED_REASON_PREFIX`]: they are not X's values, and
/// nothing should match on them outside tests against the sandbox.
///
/// Connections ended through the sandbox's own DELETE operations get `operator_disconnect`.
pub const DISCONNECT_REASONS: [&str; 8] = [
    "operator_disconnect",
    "sandbox_client_disconnect",
    "sandbox_too_many_connections",
    "sandbox_stall",
    "sandbox_server_shutdown",
    "sandbox_buffer_full",
    "sandbox_connection_timeout",
    "sandbox_invalid_request",
];

/// The marker at the start of every disconnect reason the sandbox invents
/// (see [`DISCONNECT_REASONS`]).
pub const INVENTED_REASON_PREFIX: &str = "sandbox_";

/// The reason a connection ended through the sandbox's DELETE operations carries.
pub(crate) const TERMINATED_REASON: &str = "operator_disconnect";

/// The `connection.fields` values the API knows ([`ConnectionField::NAMES`], which is
/// checked against `xconn_sdk::spec::CONNECTION_FIELDS`).
pub const CONNECTION_FIELDS: &[&str] = ConnectionField::NAMES;

/// The fields a connection shows when the request has no `connection.fields`.
///
/// These are the fields of the documented example response: everything but `id`.
pub const DEFAULT_CONNECTION_FIELDS: [&str; 5] = [
    "connected_at",
    "endpoint_name",
    "client_ip",
    "disconnect_reason",
    "disconnected_at",
];

// The seeded reasons start with every known one, every other one is marked
// as invented, and the default fields are real fields.
const _: () = {
    let mut i = 0;
    while i < DisconnectReason::NAMES.len() {
        assert!(
            same(DISCONNECT_REASONS[i], DisconnectReason::NAMES[i]),
            "DISCONNECT_REASONS must start with DisconnectReason::NAMES: edit \
             xconn-ext/src/sandbox/data.rs"
        );
        i += 1;
    }
    while i < DISCONNECT_REASONS.len() {
        assert!(
            starts_with(DISCONNECT_REASONS[i], INVENTED_REASON_PREFIX),
            "a reason the sandbox invents must start with INVENTED_REASON_PREFIX: edit \
             xconn-ext/src/sandbox/data.rs"
        );
        i += 1;
    }
    let mut f = 0;
    while f < DEFAULT_CONNECTION_FIELDS.len() {
        let mut found = false;
        let mut k = 0;
        while k < CONNECTION_FIELDS.len() {
            found |= same(DEFAULT_CONNECTION_FIELDS[f], CONNECTION_FIELDS[k]);
            k += 1;
        }
        assert!(
            found,
            "a DEFAULT_CONNECTION_FIELDS entry is no longer a connection field: edit \
             xconn-ext/src/sandbox/data.rs"
        );
        f += 1;
    }
};

/// The sandbox's fixed "now" before any request: 2025-06-01T00:00:00Z, in unix seconds.
pub const SANDBOX_EPOCH: i64 = 1_748_736_000;

/// One stream connection as the sandbox stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Connection {
    pub(crate) id: String,
    /// Index into [`ENDPOINTS`].
    pub(crate) endpoint: usize,
    pub(crate) client_ip: String,
    /// Unix seconds.
    pub(crate) connected_at: i64,
    /// Unix seconds; `None` while active.
    pub(crate) disconnected_at: Option<i64>,
    pub(crate) disconnect_reason: Option<&'static str>,
}

impl Connection {
    pub(crate) fn is_active(&self) -> bool {
        self.disconnected_at.is_none()
    }

    pub(crate) fn endpoint_name(&self) -> &'static str {
        ENDPOINTS[self.endpoint]
    }

    /// The wire object with only the `fields` asked for; fields without a value are omitted.
    pub(crate) fn project(&self, fields: &[&str]) -> serde_json::Map<String, serde_json::Value> {
        let mut obj = serde_json::Map::new();
        for &field in fields {
            // Exhaustive over the typed fields: a field the spec adds fails
            // the build here until the sandbox serves it.
            let value = match field.parse::<ConnectionField>() {
                Ok(ConnectionField::Id) => Some(self.id.clone()),
                Ok(ConnectionField::EndpointName) => Some(self.endpoint_name().to_owned()),
                Ok(ConnectionField::ClientIp) => Some(self.client_ip.clone()),
                Ok(ConnectionField::ConnectedAt) => Some(rfc3339(self.connected_at)),
                Ok(ConnectionField::DisconnectedAt) => self.disconnected_at.map(rfc3339),
                Ok(ConnectionField::DisconnectReason) => self.disconnect_reason.map(str::to_owned),
                Err(_) => None,
            };
            if let Some(value) = value {
                obj.insert(field.to_owned(), serde_json::Value::String(value));
            }
        }
        obj
    }
}

/// Formats unix seconds as RFC 3339 UTC with a `Z` suffix, e.g. `2023-11-07T05:31:56Z`.
pub(crate) fn rfc3339(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

pub(crate) fn uuid_v4(rng: &mut StdRng) -> String {
    let mut bits: u128 = rng.random();
    bits &= !(0xF << 76);
    bits |= 0x4 << 76; // version 4
    bits &= !(0x3 << 62);
    bits |= 0x2 << 62; // RFC 4122 variant
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

pub(crate) fn client_ip(rng: &mut StdRng) -> String {
    // Documentation ranges only (RFC 5737, RFC 3849).
    match rng.random_range(0..10u8) {
        0..=3 => Ipv4Addr::new(203, 0, 113, rng.random_range(1..255)).to_string(),
        4..=6 => Ipv4Addr::new(198, 51, 100, rng.random_range(1..255)).to_string(),
        7 => Ipv4Addr::new(192, 0, 2, rng.random_range(1..255)).to_string(),
        _ => Ipv6Addr::new(
            0x2001,
            0x0db8,
            rng.random_range(0..0x10),
            0,
            0,
            0,
            rng.random(),
            rng.random_range(1..=u16::MAX),
        )
        .to_string(),
    }
}

/// Generates `count` connections from `seed`, sorted newest `connected_at` first (ties by id).
///
/// When `count >= 28` every endpoint has at least one active and one inactive connection.
pub(crate) fn generate(count: usize, seed: u64, epoch: i64) -> Vec<Connection> {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = ENDPOINTS.len();
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let (endpoint, active) = if i < n {
            (i, true)
        } else if i < 2 * n {
            (i - n, false)
        } else {
            (rng.random_range(0..n), rng.random_bool(0.2))
        };
        let id = uuid_v4(&mut rng);
        let client_ip = client_ip(&mut rng);
        let conn = if active {
            // Connected within the last 7 days, at least a minute ago.
            let connected_at = epoch - rng.random_range(60..7 * 86_400);
            Connection {
                id,
                endpoint,
                client_ip,
                connected_at,
                disconnected_at: None,
                disconnect_reason: None,
            }
        } else {
            // Connected within the last 30 days and gone before the epoch.
            let connected_at = epoch - rng.random_range(3_600..30 * 86_400);
            let max_len = (epoch - connected_at - 1).min(3 * 86_400);
            let disconnected_at = connected_at + rng.random_range(5..=max_len);
            let reason = DISCONNECT_REASONS[rng.random_range(0..DISCONNECT_REASONS.len())];
            Connection {
                id,
                endpoint,
                client_ip,
                connected_at,
                disconnected_at: Some(disconnected_at),
                disconnect_reason: Some(reason),
            }
        };
        out.push(conn);
    }
    out.sort_by(|a, b| {
        b.connected_at
            .cmp(&a.connected_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_per_seed() {
        assert_eq!(
            generate(100, 7, SANDBOX_EPOCH),
            generate(100, 7, SANDBOX_EPOCH)
        );
        assert_ne!(
            generate(100, 7, SANDBOX_EPOCH),
            generate(100, 8, SANDBOX_EPOCH)
        );
    }

    #[test]
    fn well_formed() {
        let conns = generate(500, 42, SANDBOX_EPOCH);
        assert_eq!(conns.len(), 500);
        let mut ids: Vec<_> = conns.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 500, "ids are unique");
        for c in &conns {
            assert_eq!(c.id.len(), 36);
            assert_eq!(&c.id[14..15], "4");
            assert!(
                c.client_ip.parse::<std::net::IpAddr>().is_ok(),
                "{}",
                c.client_ip
            );
            assert!(c.connected_at < SANDBOX_EPOCH);
            assert_eq!(c.disconnected_at.is_some(), c.disconnect_reason.is_some());
            if let Some(d) = c.disconnected_at {
                assert!(d > c.connected_at && d < SANDBOX_EPOCH);
            }
        }
        for e in 0..ENDPOINTS.len() {
            assert!(conns.iter().any(|c| c.endpoint == e && c.is_active()));
            assert!(conns.iter().any(|c| c.endpoint == e && !c.is_active()));
        }
        assert!(conns.iter().any(|c| c.client_ip.contains(':')), "some IPv6");
        assert!(
            conns
                .windows(2)
                .all(|w| w[0].connected_at >= w[1].connected_at)
        );
    }

    #[test]
    fn terminated_connections_carry_the_typed_reason() {
        assert_eq!(
            DisconnectReason::from_wire(TERMINATED_REASON),
            DisconnectReason::OperatorDisconnect
        );
        assert!(DISCONNECT_REASONS.contains(&TERMINATED_REASON));
    }

    #[test]
    fn projection_serves_every_typed_field() {
        let c = generate(28, 1, SANDBOX_EPOCH)
            .into_iter()
            .find(|c| !c.is_active())
            .unwrap();
        let obj = c.project(CONNECTION_FIELDS);
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        let mut expected = CONNECTION_FIELDS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
    }

    #[test]
    fn projection_omits_absent() {
        let c = generate(28, 1, SANDBOX_EPOCH)
            .into_iter()
            .find(Connection::is_active)
            .unwrap();
        let obj = c.project(&DEFAULT_CONNECTION_FIELDS);
        assert!(!obj.contains_key("disconnected_at"));
        assert!(!obj.contains_key("disconnect_reason"));
        assert!(!obj.contains_key("id"));
        assert_eq!(rfc3339(SANDBOX_EPOCH), "2025-06-01T00:00:00Z");
    }
}
