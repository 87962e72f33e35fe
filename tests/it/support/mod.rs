//! The one home of the helpers the test modules share: the test token, the
//! client builders, the clock, and (in submodules) fixtures, httpmock
//! set-ups, a scripted raw HTTP server and a log sink. Everything talks to
//! 127.0.0.1 only.

pub mod fixtures;
pub mod log_capture;
pub mod mock;
pub mod raw_server;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use httpmock::MockServer;
use xconn_ext::{Client, ClientBuilder, Error, RetryPolicy};

pub use xconn_ext::sandbox::RecordingSleep;
pub use xconn_test_support::{closed_port, sorted_keys, unix_now};

/// The token's text, for `TOKEN` and `BEARER` alike.
macro_rules! test_token {
    () => {
        // `%2F` checks that nobody percent-decodes the token on its way out.
        "ext-test-token-7Hq2pZvK%2Fnever-print-me"
    };
}

/// The bearer token of every test client. It must never show up in any
/// `Debug`, `Display`, error or log line.
pub const TOKEN: &str = test_token!();
/// The `Authorization` header the server must receive.
pub const BEARER: &str = concat!("Bearer ", test_token!());

/// A reqwest client that never uses a proxy (so nothing leaves 127.0.0.1
/// whatever the environment says) and never follows redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

/// A typed-client builder for `base_url`: the test token, a recording sleep,
/// a 2 s per-attempt bound and retries disabled (tests opt in). The HTTP
/// client is the library's own (its redirect policy, its timeouts), so the
/// shipped configuration is what is exercised.
pub fn builder(base_url: &str) -> (ClientBuilder, Arc<RecordingSleep>) {
    let sleep = RecordingSleep::shared();
    let builder = Client::builder()
        .bearer_token(TOKEN)
        .base_url(base_url)
        .sleep_impl(sleep.clone())
        .timeout(Duration::from_secs(2))
        .retry_policy(RetryPolicy::disabled());
    (builder, sleep)
}

/// A typed client of `server` with `policy`, and the sleep it records into.
pub fn client_with(server: &MockServer, policy: RetryPolicy) -> (Client, Arc<RecordingSleep>) {
    let (builder, sleep) = builder(&server.base_url());
    let client = builder.retry_policy(policy).build().expect("client");
    (client, sleep)
}

/// A typed client of `server` without retries.
pub fn client(server: &MockServer) -> Client {
    client_with(server, RetryPolicy::disabled()).0
}

/// A generated (`xconn-sdk`) client of `base_url` with `credentials`,
/// applied by the SDK's own hook, over [`http`].
pub fn sdk_client_with(base_url: &str, credentials: xconn_sdk::Credentials) -> xconn_sdk::Client {
    xconn_sdk::Client::new_with_client(base_url, http(), credentials.into())
}

/// A generated (`xconn-sdk`) client of `base_url` with the test token.
pub fn sdk_client(base_url: &str) -> xconn_sdk::Client {
    sdk_client_with(
        base_url,
        xconn_sdk::Credentials::bearer(TOKEN).expect("valid token"),
    )
}

/// Panics if the token appears in the error's `Debug`, `Display` or sources.
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

/// Run `future` under a bound of `secs` seconds; a hang is a failure.
pub async fn bounded<T>(secs: u64, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), future)
        .await
        .unwrap_or_else(|_| panic!("did not finish within {secs} s (hang?)"))
}
