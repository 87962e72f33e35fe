//! One module per command. Each takes its parsed arguments (`crate::args`)
//! and, when it talks to the API, the client `crate::bootstrap` built, and
//! returns the process's exit code.
//!
//! A new command is a module here (a folder when it has parts of its own,
//! as `timeline/` has its renderer), its arguments in `args.rs` and one arm
//! in `main.rs`'s dispatch.

pub mod completions;
pub mod endpoints;
pub mod list;
pub mod man;
pub mod sandbox;
pub mod summary;
pub mod terminate;
pub mod timeline;
pub mod watch;

use crate::args::Filter;

/// The listing request `--status` and `--endpoint` describe, shared by
/// `list` and `summary`.
fn request(client: &xconn_ext::Client, filter: &Filter) -> xconn_ext::ListConnections {
    let mut request = client.connections();
    if let Some(status) = filter.status.clone() {
        request = request.status(status);
    }
    if !filter.endpoints.is_empty() {
        request = request.endpoints(filter.endpoints.iter().cloned());
    }
    request
}
