//! What every example shares: the embedded sandbox unless `--real-api` is
//! passed, so running an example never reaches X by accident (a token in
//! the environment is not enough).

use xconn_ext::sandbox::{Sandbox, SandboxConfig};
use xconn_ext::{Client, TOKEN_ENV};

/// The flag that sends an example's requests to the real API.
pub const REAL_API_FLAG: &str = "--real-api";

/// Whether the command line asked for the real API.
pub fn wants_real_api(args: &[String]) -> bool {
    args.iter().any(|a| a == REAL_API_FLAG)
}

/// The client, and the sandbox behind it when there is one (keep it alive
/// as long as the client is used). `args` are the example's arguments.
#[allow(dead_code)] // Not every example that includes this module calls it.
pub async fn client(
    args: &[String],
) -> Result<(Client, Option<Sandbox>), Box<dyn std::error::Error>> {
    if wants_real_api(args) {
        eprintln!("using the real API ({REAL_API_FLAG}; token from {TOKEN_ENV})");
        return Ok((Client::from_env()?, None));
    }
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    eprintln!(
        "using the embedded sandbox at {} (pass {REAL_API_FLAG} for the real API)",
        sandbox.base_url()
    );
    Ok((sandbox.client()?, Some(sandbox)))
}
