//! What every example shares: talk to the real API when `X_BEARER_TOKEN` is
//! set, else to an embedded sandbox.

use xconn_ext::sandbox::{Sandbox, SandboxConfig};
use xconn_ext::{Client, TOKEN_ENV};

/// The client, and the sandbox behind it when there is one (keep it alive
/// as long as the client is used).
pub async fn client() -> Result<(Client, Option<Sandbox>), Box<dyn std::error::Error>> {
    if std::env::var_os(TOKEN_ENV).is_some() {
        eprintln!("using the real API ({TOKEN_ENV} is set)");
        return Ok((Client::from_env()?, None));
    }
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    eprintln!(
        "using the embedded sandbox at {} (set {TOKEN_ENV} for the real API)",
        sandbox.base_url()
    );
    Ok((sandbox.client()?, Some(sandbox)))
}
