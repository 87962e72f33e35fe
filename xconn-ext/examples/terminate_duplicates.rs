//! End duplicate connections: keep the newest active connection of each
//! endpoint (or `--keep N`), end the others (duplicates that eat the
//! connection allowance).
//!
//! `cargo run -p xconn-ext --features sandbox --example terminate_duplicates -- [--real-api] [--yes] [--keep N] [ENDPOINT]...`
//!
//! Without `--yes` it only prints the plan: nothing is terminated without
//! your say-so. Without `--real-api` it talks to the embedded sandbox, even
//! when `X_BEARER_TOKEN` is set.

mod common;

use xconn_ext::{Client, StreamEndpoint, TerminateReport};

/// What the command line asked for.
#[derive(Debug, PartialEq)]
struct Request {
    keep: usize,
    endpoints: Vec<StreamEndpoint>,
    yes: bool,
}

fn parse(args: &[String]) -> Result<Request, Box<dyn std::error::Error>> {
    let mut request = Request {
        keep: 1,
        endpoints: Vec::new(),
        yes: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--yes" => request.yes = true,
            common::REAL_API_FLAG => {}
            "--keep" => {
                request.keep = args.next().ok_or("--keep needs a number")?.parse()?;
            }
            // A typo is caught here, with the list of valid names, before
            // any request.
            name => request.endpoints.push(name.parse()?),
        }
    }
    Ok(request)
}

/// Plan, print the plan, and end the duplicates only when `yes`.
async fn run(
    client: &Client,
    request: &Request,
) -> Result<Option<TerminateReport>, xconn_ext::Error> {
    let plan = client
        .plan_duplicates(request.keep, &request.endpoints)
        .await?;
    for (endpoint, counts) in plan.counts() {
        println!(
            "{endpoint}: {} active, keeping {}, ending {}",
            counts.active, counts.kept, counts.to_end
        );
    }
    if plan.is_empty() {
        println!("no duplicates");
        return Ok(None);
    }
    if !request.yes {
        println!(
            "dry run: would end {} connection(s); pass --yes to end them",
            plan.to_end().len()
        );
        return Ok(None);
    }
    let report = client.end_duplicates(&plan).await?;
    println!("terminated {}, failed {}", report.successful, report.failed);
    for failed in report.not_terminated() {
        println!(
            "  {}: {}",
            failed.uuid,
            failed.error_message.as_deref().unwrap_or("no reason given")
        );
    }
    Ok(Some(report))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let request = parse(&args)?;
    let (client, _sandbox) = common::client(&args).await?;
    run(&client, &request).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use xconn_ext::sandbox::{Sandbox, SandboxConfig};

    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_real_api_needs_the_flag_even_with_a_token_set() {
        assert!(!common::wants_real_api(&args(&[
            "--yes",
            "filtered_stream"
        ])));
        assert!(common::wants_real_api(&args(&["--real-api"])));
    }

    #[tokio::test]
    async fn without_yes_nothing_is_terminated() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let client = sandbox.client().unwrap();
        let before = client.plan_duplicates(1, &[]).await.unwrap();
        assert!(!before.is_empty(), "the seeded data has duplicates");

        let request = parse(&args(&[])).unwrap();
        assert_eq!(run(&client, &request).await.unwrap(), None);
        let after = client.plan_duplicates(1, &[]).await.unwrap();
        assert_eq!(after.to_end(), before.to_end(), "nothing was ended");

        let request = parse(&args(&["--yes"])).unwrap();
        let report = run(&client, &request).await.unwrap().expect("a report");
        assert_eq!(report.successful as usize, before.to_end().len());
        assert!(client.plan_duplicates(1, &[]).await.unwrap().is_empty());
    }
}
