//! `xconn list`: the connections, page after page, as a table, JSON,
//! ndjson or CSV.

use std::process::ExitCode;

use futures::TryStreamExt;
use xconn_ext::{Client, ConnectionField};

use crate::args::ListArgs;
use crate::failure;
use crate::output::{Format, Printer, Progress, Writer};

/// `xconn list`: every page (or `--limit` records) in the asked format,
/// printed as it arrives.
pub async fn run(client: &Client, args: ListArgs) -> ExitCode {
    let request = super::request(client, &args.filter)
        .max_results(args.max_results.unwrap_or(xconn_ext::MAX_RESULTS_LIMIT))
        .fields(list_fields(&args.fields, args.format));
    let mut out = Writer::stdout();
    let mut progress = Progress::new();
    let mut printer = Printer::new(args.format);
    let mut pages = request.pages();
    let mut remaining = args
        .limit
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    while remaining > 0 {
        let page = match pages.try_next().await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(e) => {
                progress.clear();
                // A usage error is found before anything is sent: nothing
                // was read, so no document claims anything.
                if matches!(e, xconn_ext::Error::InvalidInput(_)) {
                    return failure::report(&e);
                }
                let printed = printer.abort(&mut out, &e);
                let _ = out.finish();
                if printed == 0 {
                    return failure::report(&e);
                }
                eprintln!(
                    "error: {}; the listing is incomplete: {printed} connection(s) printed",
                    failure::message(&e)
                );
                return ExitCode::from(failure::code(&e));
            }
        };
        progress.page(page.connections.len());
        printer.errors(&page.errors);
        for connection in page.connections.into_iter().take(remaining) {
            printer.connection(&mut out, &connection);
            remaining -= 1;
        }
        if out.closed() {
            break;
        }
    }
    progress.clear();
    printer.finish(&mut out);
    out.finish()
}

/// What `list` asks for: the fields asked (all by default), always with
/// `id` and `endpoint_name`, and for `table`/`csv` the two fields the
/// STATUS column is derived from (without them every row would look
/// active). A field the user repeated stays repeated: the library names it.
fn list_fields(asked: &[ConnectionField], format: Format) -> Vec<ConnectionField> {
    if asked.is_empty() {
        return ConnectionField::ALL.to_vec();
    }
    let mut fields = asked.to_vec();
    let mut needed = vec![ConnectionField::Id, ConnectionField::EndpointName];
    if matches!(format, Format::Table | Format::Csv) {
        needed.extend([
            ConnectionField::DisconnectedAt,
            ConnectionField::DisconnectReason,
        ]);
    }
    for field in needed {
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    fields
}
