//! Helpers shared by the `ext_*` tests of `xconn-ext` (a module, not a test
//! target). Everything talks to a local httpmock server on 127.0.0.1 only.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use httpmock::MockServer;
use xconn_ext::{Client, ClientBuilder, Error, RetryPolicy, Sleep};

/// The bearer token every test client uses; it must never show up in any
/// `Debug`, `Display` or log output.
pub const TOKEN: &str = "ext-test-token-7Hq2pZvK-never-print-me";
/// The `Authorization` header the server must receive.
pub const BEARER: &str = "Bearer ext-test-token-7Hq2pZvK-never-print-me";

/// A [`Sleep`] that records each requested wait and returns at once.
#[derive(Debug, Default)]
pub struct RecordingSleep {
    waits: Mutex<Vec<Duration>>,
}

impl RecordingSleep {
    /// The waits requested so far, in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap().clone()
    }
}

impl Sleep for RecordingSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.waits.lock().unwrap().push(duration);
        Box::pin(async {})
    }
}

/// A reqwest client that never uses a proxy (so nothing leaves 127.0.0.1
/// whatever the environment says) and never follows redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

/// A builder for `base_url` with the test token, a recording sleep, a 5 s
/// per-attempt bound and retries disabled (tests opt in).
pub fn builder(base_url: &str) -> (ClientBuilder, Arc<RecordingSleep>) {
    let sleep = Arc::new(RecordingSleep::default());
    let builder = Client::builder()
        .bearer_token(TOKEN)
        .base_url(base_url)
        .http_client(http())
        .sleep_impl(sleep.clone())
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::disabled());
    (builder, sleep)
}

/// A client of `server` with `policy`.
pub fn client_with(server: &MockServer, policy: RetryPolicy) -> (Client, Arc<RecordingSleep>) {
    let (builder, sleep) = builder(&server.base_url());
    let client = builder.retry_policy(policy).build().expect("client");
    (client, sleep)
}

/// A client of `server` without retries.
pub fn client(server: &MockServer) -> Client {
    client_with(server, RetryPolicy::disabled()).0
}

/// Seconds since the epoch, now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// `{"data":[{"id":..},..],"meta":{..}}` for a page of `ids`.
pub fn page_json(ids: &[String], next_token: Option<&str>) -> String {
    let data: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| {
            serde_json::json!({
                "id": id,
                "endpoint_name": "filtered_stream",
                "client_ip": "203.0.113.7",
                "connected_at": "2026-01-05T09:12:44Z"
            })
        })
        .collect();
    let mut meta = serde_json::json!({ "result_count": ids.len() });
    if let Some(token) = next_token {
        meta["next_token"] = token.into();
    }
    serde_json::json!({ "data": data, "meta": meta }).to_string()
}

/// Panics if the token appears in the error's `Debug` or `Display`.
pub fn assert_no_token(error: &Error) {
    let debug = format!("{error:?}");
    let display = error.to_string();
    assert!(!debug.contains(TOKEN), "token in Debug: {debug}");
    assert!(!display.contains(TOKEN), "token in Display: {display}");
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        assert!(!s.to_string().contains(TOKEN), "token in a source: {s}");
        source = s.source();
    }
}
