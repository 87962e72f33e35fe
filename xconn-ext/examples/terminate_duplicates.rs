//! Keep the newest active connection of one endpoint and end the others
//! (duplicates that eat the connection allowance).
//!
//! `cargo run -p xconn-ext --features sandbox --example terminate_duplicates -- [ENDPOINT]`

mod common;

use futures::TryStreamExt;
use xconn_ext::{Connection, ConnectionField, ConnectionStatus, StreamEndpoint};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A typo is caught here, with the list of valid names, before any request.
    let endpoint: StreamEndpoint = std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("firehose_stream")
        .parse()?;
    let (client, _sandbox) = common::client().await?;
    let mut active: Vec<Connection> = client
        .connections()
        .status(ConnectionStatus::Active)
        .endpoints([endpoint.clone()])
        .fields([ConnectionField::Id, ConnectionField::ConnectedAt])
        .max_results(100)
        .stream()
        .try_collect()
        .await?;
    if active.len() < 2 {
        println!(
            "{endpoint}: {} active connection(s), nothing to do",
            active.len()
        );
        return Ok(());
    }
    active.sort_by_key(|c| std::cmp::Reverse(c.connected_at));
    let keep = active.remove(0);
    let duplicates: Vec<String> = active.into_iter().filter_map(|c| c.id).collect();
    println!(
        "{endpoint}: keeping {}, ending {} duplicate(s)",
        keep.id.as_deref().unwrap_or("?"),
        duplicates.len()
    );
    let report = client.terminate(duplicates).await?;
    println!("terminated {}, failed {}", report.successful, report.failed);
    for failed in report.results.iter().filter(|r| !r.success) {
        println!(
            "  {}: {}",
            failed.uuid,
            failed.error_message.as_deref().unwrap_or("?")
        );
    }
    Ok(())
}
