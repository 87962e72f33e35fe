//! Using the sandbox in a downstream service's own tests.
//!
//! Your service has logic over connection history (here: "which endpoints
//! dropped connections for a reason other than an operator's"). Test it
//! against the sandbox, in-process, with no account and no network:
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
