//! The helpers both test binaries of the workspace use: the integration
//! tests (`tests/it`) and the `xconn` CLI's tests (`xconn-ext/tests/cli`).
//! One copy, so that a fix to one reaches both.
//!
//! A path dev-dependency without a version: `cargo package` drops it, and
//! nothing here is published.

use std::net::TcpListener;
use std::time::{SystemTime, UNIX_EPOCH};

use httpmock::Then;
use serde_json::Value;

/// Answer 200 with the JSON `body`.
pub fn json_ok(then: Then, body: impl AsRef<[u8]>) -> Then {
    then.status(200)
        .header("content-type", "application/json")
        .body(body)
}

/// Seconds since the epoch, now (for `x-rate-limit-reset` headers).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// A port on 127.0.0.1 nothing listens on: bound, read, released.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("a bound address").port()
}

/// The member names of a JSON object, sorted; panics on anything else.
pub fn sorted_keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object
        .as_object()
        .unwrap_or_else(|| panic!("not a JSON object: {object}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}
