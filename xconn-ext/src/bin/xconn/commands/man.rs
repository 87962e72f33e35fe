//! `xconn man`: the man page (roff), from the clap definition.

use std::process::ExitCode;

use clap::CommandFactory;

use crate::args::Cli;
use crate::output::Writer;

/// Print the man page.
pub fn run() -> ExitCode {
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut out) {
        eprintln!("error: cannot render the man page: {e}");
        return ExitCode::FAILURE;
    }
    let mut writer = Writer::stdout();
    writer.raw(&String::from_utf8_lossy(&out));
    writer.finish()
}
