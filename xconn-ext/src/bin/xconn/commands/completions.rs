//! `xconn completions SHELL`: a completion script, from the clap definition.

use std::process::ExitCode;

use clap::CommandFactory;

use crate::args::Cli;
use crate::output::Writer;

/// Print the completion script of `shell`.
pub fn run(shell: clap_complete::Shell) -> ExitCode {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "xconn", &mut out);
    let mut writer = Writer::stdout();
    writer.raw(&String::from_utf8_lossy(&out));
    writer.finish()
}
