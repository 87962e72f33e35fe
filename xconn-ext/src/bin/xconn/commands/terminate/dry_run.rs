//! `terminate --dry-run`: read what the real run would act on and say, for
//! each target, whether it would end. It checks what the real run would
//! (the `--uuid` values are parsed alike, the active connections read) and
//! exits with the code the real run would give: 0, or 6 when some target
//! would not end. Only `GET`s are sent.

use std::process::ExitCode;

use futures::TryStreamExt;
use serde::Serialize;
use serde_json::json;
use xconn_ext::{
    Client, Connection, ConnectionField, ConnectionStatus, DuplicatesPlan, Error, Problem,
    StreamEndpoint,
};

use super::Target;
use crate::failure::{self, exit};
use crate::output::{Format, Printer, Writer};

/// What the real run would do to one target.
#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    /// Active: the DELETE would end it.
    WouldEnd,
    /// Listed, but already ended: the API would answer "not terminated".
    NotActive,
    /// Not in the listing at all: the API would answer "not terminated".
    NotFound,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::WouldEnd => "would end",
            Outcome::NotActive => "not active",
            Outcome::NotFound => "not found",
        }
    }
}

/// One `--uuid` and what would happen to it.
#[derive(Serialize)]
struct Verdict {
    uuid: String,
    outcome: Outcome,
}

/// What the dry run found.
struct Findings {
    /// The connections the real run would end.
    would_end: Vec<Connection>,
    /// `--uuid`: each named connection's outcome, in the order named.
    verdicts: Vec<Verdict>,
    /// `--duplicates`: the plan, whose kept connections are shown.
    plan: Option<DuplicatesPlan>,
    /// The partial errors of the listings read, accepted by
    /// `--allow-partial-errors` (without it, they end the dry run as they
    /// would the real one: exit 5, naming them).
    errors: Vec<Problem>,
}

/// The fields a dry run shows: enough to recognise each connection (and the
/// kept one of each endpoint) and to tell an ended one.
const FIELDS: [ConnectionField; 6] = [
    ConnectionField::Id,
    ConnectionField::EndpointName,
    ConnectionField::ClientIp,
    ConnectionField::ConnectedAt,
    ConnectionField::DisconnectedAt,
    ConnectionField::DisconnectReason,
];

/// Run the dry run of `target` and print it; the exit code is the real
/// run's.
pub async fn run(
    client: &Client,
    target: &Target,
    host: &str,
    json: bool,
    allow_partial_errors: bool,
) -> ExitCode {
    let reader = Reader {
        client,
        allow_partial_errors,
    };
    let findings = match find(&reader, target).await {
        Ok(findings) => findings,
        Err(e) => return failure::report(&e),
    };
    for problem in &findings.errors {
        eprintln!("warning: {problem}");
    }
    let mut out = Writer::stdout();
    print(&mut out, client.base_url(), host, &findings, json);
    let missed = findings
        .verdicts
        .iter()
        .filter(|v| v.outcome != Outcome::WouldEnd)
        .count();
    if missed == 0 {
        return out.finish();
    }
    eprintln!(
        "error: {missed} of the named connection(s) would not be terminated (not active or not \
         found); the real run would exit {}",
        exit::NOT_TERMINATED
    );
    out.finish_with(ExitCode::from(exit::NOT_TERMINATED))
}

/// Read what the real run would act on.
async fn find(reader: &Reader<'_>, target: &Target) -> Result<Findings, Error> {
    let mut findings = Findings {
        would_end: Vec::new(),
        verdicts: Vec::new(),
        plan: None,
        errors: Vec::new(),
    };
    let errors = &mut findings.errors;
    match target {
        Target::All => {
            findings.would_end = reader.read(ConnectionStatus::Active, &[], errors).await?
        }
        Target::Endpoint(e) => {
            findings.would_end = reader
                .read(ConnectionStatus::Active, std::slice::from_ref(e), errors)
                .await?;
        }
        Target::Duplicates { keep, endpoints } => {
            // Check `keep` before sending anything, as the real run does.
            DuplicatesPlan::from_active([], *keep, endpoints)?;
            let active = reader
                .read(ConnectionStatus::Active, endpoints, errors)
                .await?;
            let plan = DuplicatesPlan::from_active(active, *keep, endpoints)?;
            findings.would_end = plan.to_end().to_vec();
            findings.plan = Some(plan);
        }
        Target::Uuids(uuids) => {
            // Ended connections are listed too, to tell "not active" from
            // "not found".
            let listed = reader.read(ConnectionStatus::All, &[], errors).await?;
            let mut seen = std::collections::HashSet::new();
            for uuid in uuids.iter().filter(|u| seen.insert(u.as_str())) {
                let found = listed.iter().find(|c| c.id.as_deref() == Some(uuid));
                let outcome = match found {
                    None => Outcome::NotFound,
                    Some(c) if c.disconnected_at.is_some() || c.disconnect_reason.is_some() => {
                        Outcome::NotActive
                    }
                    Some(c) => {
                        findings.would_end.push(c.clone());
                        Outcome::WouldEnd
                    }
                };
                findings.verdicts.push(Verdict {
                    uuid: uuid.clone(),
                    outcome,
                });
            }
        }
    }
    Ok(findings)
}

/// Reads the listings a dry run needs, with the real run's stance on
/// partial errors.
struct Reader<'a> {
    client: &'a Client,
    allow_partial_errors: bool,
}

impl Reader<'_> {
    /// Every connection of `status` (of `endpoints` unless empty), all
    /// pages; partial errors end it unless allowed, then go to `errors`.
    async fn read(
        &self,
        status: ConnectionStatus,
        endpoints: &[StreamEndpoint],
        errors: &mut Vec<Problem>,
    ) -> Result<Vec<Connection>, Error> {
        let mut request = self
            .client
            .connections()
            .status(status)
            .fields(FIELDS)
            .max_results(xconn_sdk::spec::MAX_RESULTS_MAX);
        if !endpoints.is_empty() {
            request = request.endpoints(endpoints.iter().cloned());
        }
        if self.allow_partial_errors {
            request = request.allow_partial_errors();
        }
        let mut listing = request.stream();
        let connections = (&mut listing).try_collect().await?;
        errors.extend_from_slice(listing.partial_errors());
        Ok(connections)
    }
}

fn print(out: &mut Writer, base_url: &str, host: &str, findings: &Findings, json: bool) {
    let Findings {
        would_end,
        verdicts,
        plan,
        errors,
    } = findings;
    if json {
        let mut doc = json!({
            "dry_run": true,
            "api": base_url,
            "count": would_end.len(),
            "would_terminate": would_end,
            "errors": errors,
        });
        if !verdicts.is_empty() {
            doc["targets"] = json!(verdicts);
        }
        if let Some(plan) = plan {
            doc["keep"] = json!(plan.keep());
            doc["kept"] = json!(plan.kept());
            doc["by_endpoint"] = json!(plan.counts());
        }
        out.json(&doc);
        return;
    }
    out.line(&format!(
        "dry run: would terminate {} connection(s) at {host}; nothing was sent",
        would_end.len()
    ));
    for verdict in verdicts {
        out.line(&format!("  {}  {}", verdict.uuid, verdict.outcome.as_str()));
    }
    if let Some(plan) = plan {
        for (endpoint, c) in plan.counts() {
            out.line(&format!(
                "  {endpoint}: {} active, keeping {}, ending {}",
                c.active, c.kept, c.to_end
            ));
        }
        if !plan.kept().is_empty() {
            out.line("kept (the newest of each endpoint):");
            table(out, plan.kept());
        }
    }
    if !would_end.is_empty() {
        if plan.is_some() {
            out.line("would end:");
        }
        table(out, would_end);
    }
}

fn table(out: &mut Writer, connections: &[Connection]) {
    let mut printer = Printer::new(Format::Table);
    for c in connections {
        printer.connection(out, c);
    }
    printer.finish(out);
}
