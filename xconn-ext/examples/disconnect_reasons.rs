//! Why did my streams drop? Count disconnect reasons over every page.
//!
//! `cargo run -p xconn-ext --features sandbox --example disconnect_reasons [-- --real-api]`
//!
//! Read-only. Talks to the embedded sandbox unless `--real-api` is passed.

mod common;

use std::collections::BTreeMap;

use futures::TryStreamExt;
use xconn_ext::ConnectionStatus;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (client, _sandbox) = common::client(&args).await?;
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    let mut pages = client
        .connections()
        .status(ConnectionStatus::Inactive)
        .max_results(100)
        .pages();
    while let Some(page) = pages.try_next().await? {
        for problem in &page.errors {
            eprintln!("partial error: {problem}");
        }
        for c in page.connections {
            // Unknown reasons arrive as `DisconnectReason::Unknown(_)` and
            // print as sent: nothing X adds is lost.
            let reason = c
                .disconnect_reason
                .map_or("(none given)".into(), |r| r.to_string());
            *reasons.entry(reason).or_default() += 1;
        }
    }
    let mut sorted: Vec<_> = reasons.into_iter().collect();
    sorted.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    for (reason, count) in sorted {
        println!("{count:>6}  {reason}");
    }
    Ok(())
}
