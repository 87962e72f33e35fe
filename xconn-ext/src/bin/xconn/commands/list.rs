//! `xconn list`: the connections, page after page, as a table, JSON,
//! ndjson or CSV.

use std::process::ExitCode;

use futures::TryStreamExt;
use xconn_ext::{Client, ConnectionField};

use crate::args::ListArgs;
use crate::failure;
use crate::output::{Printer, Progress, Writer};
use crate::select::Selection;

/// `xconn list`: every page (or `--limit` records) in the asked format,
/// printed as it arrives.
pub async fn run(client: &Client, args: ListArgs) -> ExitCode {
    let selection = match args.filter.selection() {
        Ok(selection) => selection,
        Err(message) => {
            eprintln!("error: {message}; nothing was sent");
            return ExitCode::from(failure::exit::USAGE);
        }
    };
    let request = super::request(client, &args.filter)
        .max_results(args.max_results.unwrap_or(xconn_ext::MAX_RESULTS_LIMIT))
        .fields(list_fields(&args.fields, &selection));
    let mut out = Writer::stdout();
    let mut progress = Progress::new();
    let mut printer = Printer::new(args.format);
    if !args.fields.is_empty() {
        printer = printer.showing(shown_fields(&args.fields));
    }
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
        for connection in page.connections {
            if remaining == 0 {
                break;
            }
            if selection.keeps(&connection) {
                printer.connection(&mut out, &connection);
                remaining -= 1;
            }
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
/// `id` and `endpoint_name`, the two fields the derived `status` comes
/// from (without them every record would look active), and those
/// `--reason`/`--since`/`--until` judge by. A field the user repeated stays
/// repeated: the library names it.
fn list_fields(asked: &[ConnectionField], selection: &Selection) -> Vec<ConnectionField> {
    if asked.is_empty() {
        return ConnectionField::ALL.to_vec();
    }
    let mut fields = asked.to_vec();
    let needed = [
        ConnectionField::Id,
        ConnectionField::EndpointName,
        ConnectionField::DisconnectedAt,
        ConnectionField::DisconnectReason,
    ];
    for field in needed.into_iter().chain(selection.fields()) {
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    fields
}

/// What JSON and ndjson print with `--fields`: the fields asked, with `id`
/// and `endpoint_name` (a record without them cannot be acted on).
fn shown_fields(asked: &[ConnectionField]) -> Vec<ConnectionField> {
    let mut shown = asked.to_vec();
    shown.extend([ConnectionField::Id, ConnectionField::EndpointName]);
    shown
}
