//! `xconn man`: the man pages (roff), from the clap definition: xconn.1
//! printed, or with `--out-dir` a page per command, so that every
//! `xconn-COMMAND(1)` that xconn.1 refers to exists.

use std::process::ExitCode;

use clap::CommandFactory;

use crate::args::{Cli, ManArgs};
use crate::output::Writer;

/// Print xconn.1, or write every page into `--out-dir`.
pub fn run(args: &ManArgs) -> ExitCode {
    if let Some(dir) = &args.out_dir {
        if let Err(e) = std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(Cli::command(), dir))
        {
            eprintln!(
                "error: cannot write the man pages to {}: {e}",
                dir.display()
            );
            return ExitCode::FAILURE;
        }
        let mut writer = Writer::stdout();
        writer.line(&format!("wrote the man pages to {}", dir.display()));
        return writer.finish();
    }
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut out) {
        eprintln!("error: cannot render the man page: {e}");
        return ExitCode::FAILURE;
    }
    let mut writer = Writer::stdout();
    writer.raw(&String::from_utf8_lossy(&out));
    writer.finish()
}
