//! Follow a churning sandbox for a few polls: the baseline, then connections
//! as they come and go, each end with the API's reason.
//!
//! `cargo run -p xconn-ext --features sandbox --example watch`

use std::time::Duration;

use futures::TryStreamExt;
use xconn_ext::sandbox::{Churn, Sandbox, SandboxConfig};
use xconn_ext::{EventKind, WatchEvent};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Anchored at the current time, so that observed and API times agree.
    let config = SandboxConfig::default()
        .epoch(chrono::Utc::now().timestamp())
        .connections(40)
        .churn(Churn::default().seed(7));
    let sandbox = Sandbox::start(config).await?;
    let client = sandbox.client()?;
    let mut events = client.watch().interval(Duration::from_secs(1)).stream();
    let mut polls = 0;
    while let Some(item) = events.try_next().await? {
        match item {
            WatchEvent::Connection(e) => {
                let c = &e.connection;
                let endpoint = c.endpoint.as_ref().map_or("?", |e| e.as_str());
                let at = e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                match e.kind {
                    EventKind::Disconnected => println!(
                        "{at} {:<12} {endpoint}: {}",
                        e.kind,
                        c.disconnect_reason
                            .as_ref()
                            .map_or("no reason given", |r| r.as_str())
                    ),
                    _ => println!("{at} {:<12} {endpoint}", e.kind),
                }
            }
            WatchEvent::Warning(w) => eprintln!("warning: {w}"),
            WatchEvent::Polled(summary) => {
                polls += 1;
                if polls == 5 {
                    println!("{} requests in the last poll; stopping", summary.requests);
                    break;
                }
            }
            _ => {}
        }
    }
    Ok(())
}
