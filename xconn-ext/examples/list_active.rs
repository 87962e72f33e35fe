//! List the app's active connections.
//!
//! `cargo run -p xconn-ext --features sandbox --example list_active [-- --real-api]`
//!
//! Read-only. Talks to the embedded sandbox unless `--real-api` is passed.

mod common;

use futures::TryStreamExt;
use xconn_ext::ConnectionStatus;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (client, _sandbox) = common::client(&args).await?;
    let mut active = client
        .connections()
        .status(ConnectionStatus::Active)
        // Every field is asked for by default: `id` and the rest are there.
        .max_results(100)
        .stream();
    let mut count = 0;
    while let Some(c) = active.try_next().await? {
        count += 1;
        println!(
            "{:<40} {:<26} since {}  from {}",
            c.id.as_deref().unwrap_or("-"),
            c.endpoint.as_ref().map_or("-".into(), |e| e.to_string()),
            c.connected_at.map_or("-".into(), |t| t.to_rfc3339()),
            c.ip().map_or("-".into(), |ip| ip.to_string()),
        );
    }
    println!("{count} active connections");
    Ok(())
}
