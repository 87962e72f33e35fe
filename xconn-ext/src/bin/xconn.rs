//! The `xconn` command-line tool (placeholder until the CLI issue).
fn main() {}
