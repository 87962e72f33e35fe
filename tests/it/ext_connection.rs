//! `Connection` records over HTTP: projections leave absent fields `None`,
//! `ip()`, `duration()`, `is_active()`, and the spec's own example decodes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use chrono::{DateTime, Utc};
use httpmock::prelude::*;
use serde_json::json;
use xconn_ext::{
    Connection, ConnectionField, ConnectionStatus, DisconnectReason, ProblemKind, StreamEndpoint,
};

use crate::support::fixtures::{DATA_AND_ERRORS, SEED};
use crate::support::mock::{authorized, json_ok, list_page};
use crate::support::{TOKEN, client};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn serve(body: String) -> (MockServer, Vec<Connection>) {
    let server = MockServer::start_async().await;
    list_page(&server, body).await;
    let page = client(&server).connections().send().await.expect("page");
    (server, page.connections)
}

/// `connection.fields=id` asked only for ids: the page decodes and every
/// other field is `None` (absent is not an error).
#[tokio::test]
async fn a_projection_to_id_only_decodes_with_the_rest_none() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            authorized(when, GET, "/2/connections")
                .query_param("connection.fields", "id")
                .query_param("status", "inactive");
            json_ok(
                then,
                r#"{"data":[{"id":"1"},{"id":"2"}],"meta":{"result_count":2}}"#,
            );
        })
        .await;
    let page = client(&server)
        .connections()
        .status(ConnectionStatus::Inactive)
        .fields([ConnectionField::Id])
        .send()
        .await
        .expect("id-only page");
    assert_eq!(mock.calls_async().await, 1);
    assert_eq!(page.result_count, Some(2));
    assert_eq!(page.next_token, None);
    assert!(page.errors.is_empty());
    let ids: Vec<_> = page.connections.iter().map(|c| c.id.as_deref()).collect();
    assert_eq!(ids, [Some("1"), Some("2")]);
    for c in &page.connections {
        assert_eq!(c.endpoint, None);
        assert_eq!(c.client_ip, None);
        assert_eq!(c.connected_at, None);
        assert_eq!(c.disconnected_at, None);
        assert_eq!(c.disconnect_reason, None);
        assert_eq!(c.ip(), None);
        assert_eq!(c.duration(Utc::now()), None);
        // Only `id` serializes back: nothing invented.
        assert_eq!(
            serde_json::to_value(c).unwrap(),
            json!({ "id": c.id.clone().unwrap() })
        );
    }
    assert!(!format!("{page:?}").contains(TOKEN));
}

#[tokio::test]
async fn ip_parses_v4_and_v6_and_rejects_what_is_not_an_address() {
    let body = json!({ "data": [
        { "id": "a", "client_ip": "203.0.113.7" },
        { "id": "b", "client_ip": "2001:db8::1" },
        { "id": "c", "client_ip": "::ffff:198.51.100.23" },
        { "id": "d", "client_ip": " 192.0.2.1 " },
        { "id": "e", "client_ip": "<string>" },
        { "id": "f", "client_ip": "" },
        { "id": "g", "client_ip": "203.0.113.7:443" },
        { "id": "h" }
    ]});
    let (_server, connections) = serve(body.to_string()).await;
    let ips: Vec<Option<IpAddr>> = connections.iter().map(Connection::ip).collect();
    assert_eq!(
        ips,
        [
            Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7))),
            Some(IpAddr::V6("2001:db8::1".parse::<Ipv6Addr>().unwrap())),
            Some(IpAddr::V6(
                "::ffff:198.51.100.23".parse::<Ipv6Addr>().unwrap()
            )),
            Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
            None,
            None,
            None,
            None,
        ]
    );
    // The raw string is kept as sent, even when it is not an address.
    assert_eq!(connections[4].client_ip.as_deref(), Some("<string>"));
    assert_eq!(connections[3].client_ip.as_deref(), Some(" 192.0.2.1 "));
}

#[tokio::test]
async fn duration_and_is_active_from_decoded_records() {
    let body = json!({ "data": [
        // Active: no end, no reason.
        { "id": "active", "connected_at": "2026-01-05T09:12:44Z" },
        // Ended after 10h28m57s.
        { "id": "ended", "connected_at": "2026-01-04T22:01:03Z",
          "disconnected_at": "2026-01-05T08:30:00.000Z", "disconnect_reason": "client_disconnect" },
        // A reason without an end time still counts as ended.
        { "id": "reason-only", "connected_at": "2026-01-04T22:01:03Z",
          "disconnect_reason": "operator_disconnect" },
        // Clocks disagree: the end is before the start.
        { "id": "skewed", "connected_at": "2026-01-05T08:30:01Z",
          "disconnected_at": "2026-01-05T08:30:00Z" },
        // Fractional seconds and an offset other than Z.
        { "id": "offset", "connected_at": "2026-01-05T10:00:00.250+01:00",
          "disconnected_at": "2026-01-05T09:00:01.750Z" }
    ]});
    let (_server, c) = serve(body.to_string()).await;
    let now = at("2026-01-05T10:12:44Z");

    assert!(c[0].is_active());
    assert_eq!(c[0].duration(now), Some(Duration::from_secs(3600)));

    assert!(!c[1].is_active());
    assert_eq!(
        c[1].disconnect_reason,
        Some(DisconnectReason::from_wire("client_disconnect"))
    );
    let ended = Duration::from_secs(10 * 3600 + 28 * 60 + 57);
    assert_eq!(c[1].duration(now), Some(ended));
    // An ended connection's duration does not depend on `now`.
    assert_eq!(c[1].duration(at("2030-01-01T00:00:00Z")), Some(ended));

    assert!(!c[2].is_active());
    assert_eq!(
        c[2].disconnect_reason,
        Some(DisconnectReason::OperatorDisconnect)
    );

    assert!(!c[3].is_active());
    assert_eq!(c[3].duration(now), Some(Duration::ZERO));

    assert_eq!(c[4].connected_at, Some(at("2026-01-05T09:00:00.250Z")));
    assert_eq!(c[4].duration(now), Some(Duration::from_millis(1500)));
}

/// The response example of the spec page decodes as it stands, placeholders
/// and all.
#[tokio::test]
async fn the_seed_example_decodes() {
    let server = MockServer::start_async().await;
    list_page(&server, SEED).await;
    let page = client(&server).connections().send().await.expect("seed");
    assert_eq!(page.connections.len(), 1);
    let c = &page.connections[0];
    assert_eq!(c.id, None);
    assert_eq!(c.endpoint, Some(StreamEndpoint::SampleStream));
    assert_eq!(c.client_ip.as_deref(), Some("<string>"));
    assert_eq!(c.ip(), None);
    assert_eq!(c.connected_at, Some(at("2023-11-07T05:31:56Z")));
    assert_eq!(c.disconnected_at, Some(at("2023-11-07T05:31:56Z")));
    assert_eq!(
        c.disconnect_reason,
        Some(DisconnectReason::OperatorDisconnect)
    );
    assert!(!c.is_active());
    assert_eq!(c.duration(Utc::now()), Some(Duration::ZERO));

    assert_eq!(page.result_count, Some(123));
    assert_eq!(page.next_token.as_deref(), Some("<string>"));
    assert_eq!(page.errors.len(), 1);
    let problem = &page.errors[0];
    assert_eq!(problem.type_uri, "<string>");
    assert_eq!(problem.title.as_deref(), Some("<string>"));
    assert_eq!(problem.detail.as_deref(), Some("<string>"));
    assert_eq!(problem.status, Some(123));
    assert!(
        matches!(problem.kind(None), ProblemKind::Unknown(uri) if uri.as_str() == "<string>"),
        "{:?}",
        problem.kind(None)
    );
}

/// The realistic fixture: known and unknown reasons, millisecond times.
#[tokio::test]
async fn the_data_and_errors_fixture_decodes_every_field() {
    let (_server, c) = serve(DATA_AND_ERRORS.to_owned()).await;
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].id.as_deref(), Some("1875011231245123584"));
    assert_eq!(c[0].endpoint, Some(StreamEndpoint::FilteredStream));
    assert_eq!(c[0].ip(), Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7))));
    assert!(c[0].is_active());
    assert_eq!(c[1].endpoint, Some(StreamEndpoint::SampleStream));
    assert_eq!(c[1].disconnected_at, Some(at("2026-01-05T08:30:00Z")));
    assert!(!c[1].is_active());
}
