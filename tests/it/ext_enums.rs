//! `xconn-ext` enums: every known value round-trips identically through
//! serde, `FromStr`, `Display` and `as_str`; the names match the spec and the
//! generated client; unknown server values survive a real HTTP page and
//! re-serialize unchanged; `FromStr` rejects unknown names and lists the valid
//! ones.

use std::collections::HashSet;
use std::str::FromStr;

use httpmock::prelude::*;
use serde_json::json;
use xconn_ext::{ConnectionField, ConnectionStatus, DisconnectReason, StreamEndpoint};

use crate::support::client;
use crate::support::mock::list_page;

/// The spec's names (`endpoints` and `endpoint_id`, fields, statuses), in order.
const SPEC_ENDPOINTS: &[&str] = xconn_sdk::spec::ENDPOINTS;
const SPEC_FIELDS: &[&str] = xconn_sdk::spec::CONNECTION_FIELDS;
const SPEC_STATUSES: &[&str] = xconn_sdk::spec::STATUSES;

/// Every check that holds for every known value of a wire enum.
macro_rules! check_wire_enum {
    ($ty:ty, $spec:expr) => {{
        let spec: &[&str] = &$spec[..];
        assert_eq!(<$ty>::NAMES, spec, "{} NAMES vs the spec", stringify!($ty));
        assert_eq!(<$ty>::ALL.len(), <$ty>::NAMES.len());
        let mut distinct = HashSet::new();
        for (value, &name) in <$ty>::ALL.iter().zip(<$ty>::NAMES) {
            assert!(distinct.insert(name), "{name} listed twice");
            assert!(value.is_known(), "{name}");
            // as_str, Display, AsRef agree with the wire name.
            assert_eq!(value.as_str(), name);
            assert_eq!(value.to_string(), name);
            assert_eq!(AsRef::<str>::as_ref(value), name);
            // FromStr and serde agree with each other and with the value.
            let parsed = <$ty>::from_str(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&parsed, value, "FromStr({name})");
            let json = serde_json::to_string(value).unwrap();
            assert_eq!(json, format!("\"{name}\""), "serialize {name}");
            let decoded: $ty = serde_json::from_str(&json).unwrap();
            assert_eq!(&decoded, value, "deserialize {name}");
            assert_eq!(decoded, parsed);
            // FromStr is exact: no case folding, no trimming.
            assert!(<$ty>::from_str(&name.to_uppercase()).is_err(), "{name}");
            assert!(<$ty>::from_str(&format!(" {name}")).is_err(), "{name}");
        }
        // Unknown names are rejected, and the error lists every valid one.
        for bogus in ["no_such_value", "", "FILTERED-STREAM"] {
            let err = <$ty>::from_str(bogus).unwrap_err();
            assert_eq!(err.value(), bogus);
            assert_eq!(err.valid_values(), <$ty>::NAMES);
            let message = err.to_string();
            assert!(message.contains(&format!("`{bogus}`")), "{message}");
            for name in <$ty>::NAMES {
                assert!(message.contains(name), "{message} lacks {name}");
            }
        }
    }};
}

#[test]
fn stream_endpoint_round_trips_every_value() {
    check_wire_enum!(StreamEndpoint, SPEC_ENDPOINTS);
    for (value, name) in StreamEndpoint::ALL.iter().zip(SPEC_ENDPOINTS) {
        // A known name from the server is the known variant, not Unknown.
        assert_eq!(&StreamEndpoint::from_wire(name), value);
        // The generated client accepts it for both the filter and the path.
        assert!(
            name.parse::<xconn_sdk::types::GetConnectionHistoryEndpointsItem>()
                .is_ok()
        );
        assert!(
            name.parse::<xconn_sdk::types::DeleteConnectionsByEndpointEndpointId>()
                .is_ok()
        );
    }
}

#[test]
fn connection_status_round_trips_every_value() {
    check_wire_enum!(ConnectionStatus, SPEC_STATUSES);
    assert_eq!(ConnectionStatus::default(), ConnectionStatus::Active);
    for name in SPEC_STATUSES {
        assert!(
            name.parse::<xconn_sdk::types::GetConnectionHistoryStatus>()
                .is_ok()
        );
    }
    // Closed: serde rejects what FromStr rejects.
    assert!(serde_json::from_str::<ConnectionStatus>("\"sleeping\"").is_err());
}

#[test]
fn connection_field_round_trips_every_value() {
    check_wire_enum!(ConnectionField, SPEC_FIELDS);
    for name in SPEC_FIELDS {
        assert!(
            name.parse::<xconn_sdk::types::GetConnectionHistoryConnectionFieldsItem>()
                .is_ok()
        );
    }
    assert!(serde_json::from_str::<ConnectionField>("\"user_agent\"").is_err());
}

#[test]
fn disconnect_reason_round_trips_every_value() {
    check_wire_enum!(DisconnectReason, ["operator_disconnect"]);
    assert_eq!(
        DisconnectReason::from_wire("operator_disconnect"),
        DisconnectReason::OperatorDisconnect
    );
}

#[test]
fn open_enums_keep_unknown_values_verbatim() {
    for raw in ["firehose_stream_lang_de", "", "Filtered_Stream", "a b/c"] {
        let endpoint: StreamEndpoint = serde_json::from_value(json!(raw)).unwrap();
        assert!(matches!(&endpoint, StreamEndpoint::Unknown(u) if u.as_str() == raw));
        assert_eq!(StreamEndpoint::from_wire(raw), endpoint);
        assert!(!endpoint.is_known());
        assert_eq!(endpoint.as_str(), raw);
        assert_eq!(endpoint.to_string(), raw);
        assert_eq!(serde_json::to_value(&endpoint).unwrap(), json!(raw));
        // Decoding accepts it, but a request may not name it.
        assert!(raw.parse::<StreamEndpoint>().is_err());

        let reason: DisconnectReason = serde_json::from_value(json!(raw)).unwrap();
        assert!(matches!(&reason, DisconnectReason::Unknown(u) if u.as_str() == raw));
        assert_eq!(serde_json::to_value(&reason).unwrap(), json!(raw));
        assert!(raw.parse::<DisconnectReason>().is_err());
    }
}

/// Unknown values arrive in a real `200` over HTTP; they decode, keep the raw
/// string, and the record re-serializes to exactly what the server sent.
#[tokio::test]
async fn unknown_endpoint_and_reason_survive_an_http_page() {
    let unknown = json!({
        "id": "1875011231245123999",
        "endpoint_name": "likes_sample1_stream",
        "client_ip": "2001:db8::7",
        "connected_at": "2026-01-04T22:01:03Z",
        "disconnected_at": "2026-01-05T08:30:00Z",
        "disconnect_reason": "stall_warning_timeout"
    });
    let known = json!({
        "id": "1875011231245123584",
        "endpoint_name": "sample10_stream",
        "connected_at": "2026-01-04T22:01:03Z",
        "disconnected_at": "2026-01-05T08:30:00Z",
        "disconnect_reason": "operator_disconnect"
    });
    let body = json!({ "data": [unknown, known], "meta": { "result_count": 2 } });

    let server = MockServer::start_async().await;
    let mock = list_page(&server, body.to_string()).await;

    let page = client(&server)
        .connections()
        .status(ConnectionStatus::All)
        .send()
        .await
        .expect("page with unknown values decodes");
    assert_eq!(mock.calls_async().await, 1);

    let first = &page.connections[0];
    assert_eq!(
        first.endpoint,
        Some(StreamEndpoint::from_wire("likes_sample1_stream"))
    );
    assert_eq!(
        first.disconnect_reason,
        Some(DisconnectReason::from_wire("stall_warning_timeout"))
    );
    assert!(!first.endpoint.as_ref().unwrap().is_known());
    assert!(!first.disconnect_reason.as_ref().unwrap().is_known());
    assert_eq!(serde_json::to_value(first).unwrap(), unknown);

    let second = &page.connections[1];
    assert_eq!(second.endpoint, Some(StreamEndpoint::Sample10Stream));
    assert_eq!(
        second.disconnect_reason,
        Some(DisconnectReason::OperatorDisconnect)
    );
    assert_eq!(serde_json::to_value(second).unwrap(), known);

    // And back again: the serialized record decodes to the same value.
    let again: xconn_ext::Connection =
        serde_json::from_value(serde_json::to_value(first).unwrap()).unwrap();
    assert_eq!(&again, first);
}
