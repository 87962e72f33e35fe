//! One streaming connection record, typed.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::types::builder::builder;
use crate::types::enums::{DisconnectReason, StreamEndpoint};

/// A streaming connection of the app, active or ended.
///
/// Every field is optional: the API returns only the fields that
/// `connection.fields` asked for, and an absent field is `None`, never an
/// error. Serializes in the API's wire names.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Connection {
    /// The connection's UUID (what [`crate::Client::terminate`] takes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The stream it is connected to.
    #[serde(
        default,
        rename = "endpoint_name",
        skip_serializing_if = "Option::is_none"
    )]
    pub endpoint: Option<StreamEndpoint>,
    /// The client's address, as sent (see [`Connection::ip`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    /// When it opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected_at: Option<DateTime<Utc>>,
    /// When it ended; `None` while active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnected_at: Option<DateTime<Utc>>,
    /// Why it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnect_reason: Option<DisconnectReason>,
}

builder! {
    /// Builds a [`Connection`]: `Connection::builder().id("…").build()`.
    ConnectionBuilder => Connection {
        /// The connection's UUID.
        id: opt String,
        /// The stream it is connected to.
        endpoint: opt StreamEndpoint,
        /// The client's address, as sent.
        client_ip: opt String,
        /// When it opened.
        connected_at: opt DateTime<Utc>,
        /// When it ended.
        disconnected_at: opt DateTime<Utc>,
        /// Why it ended.
        disconnect_reason: opt DisconnectReason,
    }
}

impl Connection {
    /// The client address parsed, when it is a valid IPv4 or IPv6 address.
    pub fn ip(&self) -> Option<IpAddr> {
        self.client_ip.as_deref()?.trim().parse().ok()
    }

    /// Whether the connection is still open: it has neither ended nor a
    /// disconnect reason. (Ask for `disconnected_at` in `connection.fields`
    /// when you rely on this.)
    pub fn is_active(&self) -> bool {
        self.disconnected_at.is_none() && self.disconnect_reason.is_none()
    }

    /// How long it lasted, or for an active one how long it has lasted at
    /// `now`. `None` without `connected_at`; zero if the clocks disagree.
    pub fn duration(&self, now: DateTime<Utc>) -> Option<Duration> {
        let start = self.connected_at?;
        let end = self.disconnected_at.unwrap_or(now);
        Some((end - start).to_std().unwrap_or(Duration::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn duration_of_active_and_ended() {
        let mut c = Connection {
            connected_at: Some(at("2026-01-01T00:00:00Z")),
            ..Connection::default()
        };
        assert!(c.is_active());
        assert_eq!(
            c.duration(at("2026-01-01T00:01:00Z")),
            Some(Duration::from_secs(60))
        );
        c.disconnected_at = Some(at("2026-01-01T00:00:30Z"));
        assert!(!c.is_active());
        assert_eq!(
            c.duration(at("2030-01-01T00:00:00Z")),
            Some(Duration::from_secs(30))
        );
    }

    /// The schema services re-expose matches the spec's `Connection`: the
    /// same properties, each of the same type and format.
    #[cfg(feature = "schemars")]
    #[test]
    fn json_schema_matches_the_spec_connection() {
        use std::collections::BTreeMap;

        use serde_json::Value;

        let spec: Value =
            serde_json::from_str(include_str!("../../../openapi/connections.json")).unwrap();
        let generator = schemars::generate::SchemaSettings::openapi3()
            .with(|s| s.inline_subschemas = true)
            .into_generator();
        let ours = serde_json::to_value(generator.into_root_schema_for::<Connection>()).unwrap();
        let shape = |properties: &Value| -> BTreeMap<String, (Value, Value)> {
            properties
                .as_object()
                .expect("properties")
                .iter()
                .map(|(name, p)| (name.clone(), (p["type"].clone(), p["format"].clone())))
                .collect()
        };
        assert_eq!(
            shape(&ours["properties"]),
            shape(&spec["components"]["schemas"]["Connection"]["properties"]),
            "xconn_ext::Connection's schema vs the spec's Connection: {ours:#}"
        );
        assert_eq!(
            ours["type"],
            spec["components"]["schemas"]["Connection"]["type"]
        );
    }

    #[test]
    fn ip_parses_both_families_and_rejects_placeholders() {
        let with = |ip: &str| Connection {
            client_ip: Some(ip.into()),
            ..Connection::default()
        };
        assert!(with("203.0.113.7").ip().unwrap().is_ipv4());
        assert!(with("2001:db8::1").ip().unwrap().is_ipv6());
        assert_eq!(with("<string>").ip(), None);
    }
}
