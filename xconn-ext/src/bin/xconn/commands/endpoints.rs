//! `xconn endpoints`: the stream endpoint names of the spec this xconn was
//! built from (the API may know newer ones).

use std::process::ExitCode;

use xconn_ext::StreamEndpoint;

use crate::args::{EndpointsArgs, ReportFormat};
use crate::output::Writer;

/// Print [`StreamEndpoint::NAMES`], one a line or as a JSON array.
pub fn run(args: &EndpointsArgs) -> ExitCode {
    let mut out = Writer::stdout();
    match args.format {
        ReportFormat::Text => StreamEndpoint::NAMES.iter().for_each(|n| out.line(n)),
        ReportFormat::Json => out.json(&StreamEndpoint::NAMES),
    }
    out.finish()
}
