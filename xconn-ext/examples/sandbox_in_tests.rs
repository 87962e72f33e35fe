//! Using the sandbox in a downstream service's own tests.
//!
//! Your service has logic over connection history (here: "which endpoints
//! dropped connections for a reason other than an operator's") and over a
//! watch's events. Test it against the sandbox, in-process, with no account
//! and no network; a watch runs on the sandbox's clock
//! (`Sandbox::clock`, `Sandbox::sleep`), so hours of polls pass at once:
//! `cargo test -p xconn-ext --features sandbox --example sandbox_in_tests`,
//! or run it: `cargo run -p xconn-ext --features sandbox --example sandbox_in_tests`.

use std::collections::BTreeSet;

use futures::TryStreamExt;
use xconn_ext::{Client, ConnectionStatus, DisconnectReason, StreamEndpoint};

/// The downstream logic under test.
async fn endpoints_with_unplanned_drops(
    client: &Client,
) -> Result<BTreeSet<StreamEndpoint>, xconn_ext::Error> {
    client
        .connections()
        .status(ConnectionStatus::Inactive)
        .max_results(100)
        .stream()
        .try_filter_map(|c| async move {
            let planned = c.disconnect_reason == Some(DisconnectReason::OperatorDisconnect);
            Ok(if planned { None } else { c.endpoint })
        })
        .try_collect()
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = xconn_ext::sandbox::Sandbox::start(Default::default()).await?;
    let endpoints = endpoints_with_unplanned_drops(&sandbox.client()?).await?;
    println!("endpoints with unplanned drops: {endpoints:?}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use xconn_ext::sandbox::{Sandbox, SandboxConfig};

    #[tokio::test]
    async fn terminating_adds_no_unplanned_drops() {
        let sandbox = Sandbox::start(SandboxConfig::default().connections(120).seed(3))
            .await
            .unwrap();
        let client = sandbox.client().unwrap();
        let before = endpoints_with_unplanned_drops(&client).await.unwrap();
        assert!(!before.is_empty(), "seeded data has unplanned drops");

        // Terminations are operator disconnects: they must not count.
        client.terminate_all().await.unwrap();
        let after = endpoints_with_unplanned_drops(&client).await.unwrap();
        assert_eq!(before, after);
    }

    /// A watch on the sandbox's clock: its sleeps move that clock instead of
    /// waiting, so twenty polls ten minutes apart take no real time, and the
    /// churn the sandbox applies meanwhile comes back as events.
    #[tokio::test]
    async fn a_watch_reports_the_churn_without_waiting() {
        use std::time::Duration;

        use futures::StreamExt;
        use xconn_ext::sandbox::Churn;
        use xconn_ext::{EventKind, WatchEvent};

        let sandbox = Sandbox::start(
            SandboxConfig::default()
                .connections(40)
                .seed(5)
                .churn(Churn::default().seed(2)),
        )
        .await
        .unwrap();
        let started = sandbox.now();
        let sleep = sandbox.sleep();
        let mut watch = sandbox
            .client()
            .unwrap()
            .watch()
            .interval(Duration::from_secs(600))
            .clock(sandbox.clock())
            .sleep_impl(sleep.clone())
            .stream();

        let (mut polls, mut connected, mut disconnected) = (0, 0, 0);
        // Bounded: a watch that stopped yielding fails the test, never hangs it.
        let run = async {
            while polls < 20 {
                match watch.next().await.expect("a watch goes on").unwrap() {
                    WatchEvent::Polled(_) => polls += 1,
                    WatchEvent::Connection(e) if e.kind == EventKind::Connected => connected += 1,
                    WatchEvent::Connection(e) if e.kind == EventKind::Disconnected => {
                        assert!(!e.connection.is_active(), "{e:?}");
                        disconnected += 1;
                    }
                    _ => {}
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .expect("twenty polls take no real time");

        assert!(
            connected > 0 && disconnected > 0,
            "{connected} {disconnected}"
        );
        // The nineteen waits between the twenty polls moved the sandbox's
        // clock (which also ticks a second per request).
        assert_eq!(sleep.waits().len(), 19, "{:?}", sleep.waits());
        assert!(sandbox.now() - started >= xconn_ext::chrono::Duration::seconds(19 * 600));
    }

    #[tokio::test]
    async fn a_rate_limited_sandbox_surfaces_as_a_typed_error() {
        let sandbox = Sandbox::start(SandboxConfig::default().rate_limit_after(0))
            .await
            .unwrap();
        let client = Client::builder()
            .base_url(sandbox.base_url())
            .bearer_token(sandbox.token())
            .retry_policy(xconn_ext::RetryPolicy::disabled())
            .build()
            .unwrap();
        let err = endpoints_with_unplanned_drops(&client).await.unwrap_err();
        assert!(matches!(err, xconn_ext::Error::RateLimited(_)), "{err}");
    }
}
