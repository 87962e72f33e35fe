//! `xconn terminate`: what would end, the say-so, the ending, and an honest
//! account of what ended.

use std::fmt::Write as _;
use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

use futures::TryStreamExt;
use serde_json::{Value, json};
use xconn_ext::{
    Client, Connection, ConnectionStatus, DuplicatesPlan, Error, Problem, StreamEndpoint,
    TerminateError, TerminateReport,
};

mod dry_run;

use crate::args::{ReportFormat, TerminateArgs};
use crate::failure::{self, exit};
use crate::output::Writer;

/// `xconn terminate`: the target the flags name, then [`execute`].
pub async fn run(client: &Client, args: TerminateArgs, origin: &str) -> ExitCode {
    if args.keep.is_some() && !args.duplicates {
        eprintln!("error: --keep applies only with --duplicates; nothing was sent");
        return ExitCode::from(exit::USAGE);
    }
    let target = if args.all {
        Target::All
    } else if args.duplicates {
        Target::Duplicates {
            keep: args
                .keep
                .map_or(1, |n| usize::try_from(n).unwrap_or(usize::MAX)),
            endpoints: args.endpoint,
        }
    } else if !args.uuid.is_empty() {
        Target::Uuids(args.uuid)
    } else {
        match <[StreamEndpoint; 1]>::try_from(args.endpoint) {
            Ok([endpoint]) => Target::Endpoint(endpoint),
            Err(_) => {
                eprintln!(
                    "error: terminate takes one --endpoint (several only with --duplicates); \
                     nothing was sent"
                );
                return ExitCode::from(exit::USAGE);
            }
        }
    };
    let options = Options {
        yes: args.yes,
        dry_run: args.dry_run,
        allow_partial_errors: args.allow_partial_errors,
        json: args.format == ReportFormat::Json,
        origin: origin.to_owned(),
    };
    execute(client, target, options, &mut Terminal).await
}

/// What to end.
pub enum Target {
    All,
    Endpoint(StreamEndpoint),
    Uuids(Vec<String>),
    Duplicates {
        keep: usize,
        endpoints: Vec<StreamEndpoint>,
    },
}

impl Target {
    fn describe(&self) -> String {
        match self {
            Target::All => "every active connection".to_owned(),
            Target::Endpoint(e) => format!("every active connection of {e}"),
            Target::Uuids(_) => "by UUID".to_owned(),
            Target::Duplicates { keep, endpoints } => {
                let scope = if endpoints.is_empty() {
                    "each endpoint".to_owned()
                } else {
                    endpoints
                        .iter()
                        .map(StreamEndpoint::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!("duplicates, keeping the {keep} newest of {scope}")
            }
        }
    }
}

/// How the command was asked to behave.
pub struct Options {
    pub yes: bool,
    pub dry_run: bool,
    /// Act on a listing that carried partial errors (warned about).
    pub allow_partial_errors: bool,
    pub json: bool,
    /// Where the credentials came from (profile, token source), named in
    /// the prompt: two apps on one host differ only there.
    pub origin: String,
}

/// What is known before sending a DELETE: the connections it would end,
/// when they were read (or named).
enum Preview {
    /// Read from the API (with the partial errors accepted), or named by
    /// UUID.
    Connections(Vec<Connection>, Vec<Problem>),
    Plan(DuplicatesPlan),
    /// `--all`/`--endpoint` with `--yes`: not read, the DELETE decides.
    Unread,
}

impl Preview {
    fn count(&self) -> Option<usize> {
        match self {
            Preview::Connections(list, _) => Some(list.len()),
            Preview::Plan(plan) => Some(plan.to_end().len()),
            Preview::Unread => None,
        }
    }

    /// The partial errors of the listing read, when they were accepted.
    fn partial_errors(&self) -> &[Problem] {
        match self {
            Preview::Connections(_, errors) => errors,
            Preview::Plan(plan) => plan.partial_errors(),
            Preview::Unread => &[],
        }
    }
}

/// Who says yes or no: the person at the terminal, or a test.
pub trait Prompt {
    /// Whether there is someone to ask.
    fn available(&self) -> bool;
    /// Ask; only an explicit yes is a yes.
    fn ask(&mut self, question: &str) -> bool;
}

/// The person at the terminal: stderr must be one, and the answer is read
/// from stdin when it is a terminal too, else from the controlling
/// terminal (`/dev/tty`), as when stdin carries the token
/// (`--token-file -`). A piped "y" is never an answer.
pub struct Terminal;

impl Prompt for Terminal {
    fn available(&self) -> bool {
        io::stderr().is_terminal()
            && (io::stdin().is_terminal() || controlling_terminal().is_some())
    }

    fn ask(&mut self, question: &str) -> bool {
        if io::stdin().is_terminal() {
            return confirm(question, &mut io::stdin().lock(), &mut io::stderr());
        }
        match controlling_terminal() {
            Some(tty) => confirm(question, &mut io::BufReader::new(tty), &mut io::stderr()),
            None => false,
        }
    }
}

/// The controlling terminal, if this process has one.
fn controlling_terminal() -> Option<std::fs::File> {
    std::fs::File::open("/dev/tty").ok()
}

/// End `target` as `options` say, asking `prompt` first unless `--yes`
/// or `--dry-run`; print what ended.
pub async fn execute(
    client: &Client,
    target: Target,
    options: Options,
    prompt: &mut dyn Prompt,
) -> ExitCode {
    let host = host(client.base_url());
    let what = target.describe();
    let needs_prompt = !options.yes && !options.dry_run;
    let refuse = || {
        eprintln!(
            "error: refusing to terminate {what} at {host} without --yes (no terminal to \
             confirm on; --dry-run shows what would end); nothing was terminated"
        );
        ExitCode::from(exit::USAGE)
    };
    // Without a terminal, what would end is read first (GETs only): with
    // nothing to end there is nothing to confirm, and that is a success.
    // UUIDs are named, so there is always something to confirm.
    let no_terminal = needs_prompt && !prompt.available();
    if no_terminal && matches!(target, Target::Uuids(_)) {
        return refuse();
    }

    if options.dry_run {
        return dry_run::run(
            client,
            &target,
            &host,
            options.json,
            options.allow_partial_errors,
        )
        .await;
    }
    let read = needs_prompt || no_terminal;
    let preview = match read_preview(client, &target, read, options.allow_partial_errors).await {
        Ok(preview) => preview,
        Err(e) => return failure::report(&e),
    };
    for problem in preview.partial_errors() {
        eprintln!("warning: {problem}");
    }
    if preview.count() == Some(0) {
        let mut out = Writer::stdout();
        if options.json {
            out.json(&TerminateReport::default());
        } else {
            out.line(&format!("nothing to terminate ({what}) at {host}"));
        }
        return out.finish();
    }
    if no_terminal {
        return refuse();
    }
    if needs_prompt {
        let count = preview
            .count()
            .map_or_else(|| "all matching".to_owned(), |n| n.to_string());
        let question = format!(
            "Terminate {count} connection(s) ({what}) at {host} ({})? [y/N] ",
            options.origin
        );
        if !prompt.ask(&question) {
            eprintln!("aborted; nothing was terminated");
            return ExitCode::from(exit::DECLINED);
        }
    }

    let result = match (&target, &preview) {
        (_, Preview::Plan(plan)) => client.end_duplicates(plan).await,
        (Target::All, _) => client.terminate_all().await,
        (Target::Endpoint(e), _) => client.terminate_endpoint(e.clone()).await,
        (Target::Uuids(uuids), _) => client.terminate(uuids.iter().cloned()).await,
        (Target::Duplicates { .. }, _) => unreachable!("duplicates are always planned"),
    };
    let mut out = Writer::stdout();
    match result {
        Ok(report) => {
            print_report(&mut out, &report, options.json, None);
            if report.is_complete() {
                out.finish()
            } else {
                let missed = report.failed.max(report.not_terminated().count() as u64);
                eprintln!(
                    "error: {missed} connection(s) were not terminated ({} were)",
                    report.successful
                );
                out.finish_with(ExitCode::from(exit::NOT_TERMINATED))
            }
        }
        Err(Error::PartialTermination(partial)) => {
            print_report(&mut out, &partial.completed, options.json, Some(&partial));
            let code = failure::code(&partial.source);
            eprintln!(
                "error: {}; {} connection(s) had already been ended by earlier batches, {} not \
                 attempted",
                failure::message(&partial.source),
                partial.completed.successful,
                partial.not_attempted.len()
            );
            out.finish_with(ExitCode::from(code))
        }
        Err(e) => failure::report(&e),
    }
}

/// Read what a DELETE would end, when needed (`read`) or always for
/// duplicates (the plan is the target). A listing with partial errors is
/// refused unless `allow_partial_errors`.
async fn read_preview(
    client: &Client,
    target: &Target,
    read: bool,
    allow_partial_errors: bool,
) -> Result<Preview, Error> {
    Ok(match target {
        Target::Duplicates { keep, endpoints } if allow_partial_errors => Preview::Plan(
            client
                .plan_duplicates_allowing_partial_errors(*keep, endpoints)
                .await?,
        ),
        Target::Duplicates { keep, endpoints } => {
            Preview::Plan(client.plan_duplicates(*keep, endpoints).await?)
        }
        Target::Uuids(uuids) => {
            let mut seen = std::collections::HashSet::new();
            Preview::Connections(
                uuids
                    .iter()
                    .filter(|u| seen.insert(u.as_str()))
                    .map(|u| {
                        let mut c = Connection::default();
                        c.id = Some(u.clone());
                        c
                    })
                    .collect(),
                Vec::new(),
            )
        }
        _ if !read => Preview::Unread,
        Target::All => active(client, None, allow_partial_errors).await?,
        Target::Endpoint(e) => active(client, Some(e), allow_partial_errors).await?,
    })
}

/// The active connections (of `endpoint`, if given) as a preview.
async fn active(
    client: &Client,
    endpoint: Option<&StreamEndpoint>,
    allow_partial_errors: bool,
) -> Result<Preview, Error> {
    let endpoints = endpoint.map(std::slice::from_ref).unwrap_or_default();
    if !allow_partial_errors {
        let connections = client.active_connections(endpoints).await?;
        return Ok(Preview::Connections(connections, Vec::new()));
    }
    // What `active_connections` lists, with the partial errors accepted.
    let mut request = client
        .connections()
        .status(ConnectionStatus::Active)
        .max_results(xconn_ext::MAX_RESULTS_LIMIT)
        .allow_partial_errors();
    if let Some(endpoint) = endpoint {
        request = request.endpoints([endpoint.clone()]);
    }
    let mut listing = request.stream();
    let connections = (&mut listing).try_collect().await?;
    Ok(Preview::Connections(
        connections,
        listing.partial_errors().to_vec(),
    ))
}

fn print_report(
    out: &mut Writer,
    report: &TerminateReport,
    json: bool,
    partial: Option<&TerminateError>,
) {
    if json {
        let mut doc = serde_json::to_value(report).unwrap_or(Value::Null);
        if let (Some(partial), Value::Object(map)) = (partial, &mut doc) {
            map.insert("not_attempted".into(), json!(partial.not_attempted));
            map.insert("error".into(), failure::json(&partial.source));
        }
        out.json(&doc);
    } else {
        out.raw(&render_report(report, partial));
    }
}

fn render_report(report: &TerminateReport, partial: Option<&TerminateError>) -> String {
    let mut text = format!(
        "terminated {}, failed {}\n",
        report.successful, report.failed
    );
    for result in &report.results {
        let outcome = if result.success {
            "ok".to_owned()
        } else {
            format!(
                "failed: {}",
                result.error_message.as_deref().unwrap_or("no reason given")
            )
        };
        let _ = writeln!(text, "{}  {outcome}", result.uuid);
    }
    for problem in &report.errors {
        let _ = writeln!(text, "warning: {problem}");
    }
    if let Some(partial) = partial {
        let _ = writeln!(
            text,
            "not attempted ({}), after a failed batch:",
            partial.not_attempted.len()
        );
        for uuid in &partial.not_attempted {
            let _ = writeln!(text, "{uuid}  not attempted");
        }
    }
    text
}

/// The API host (and port) a base URL points at, for the prompt.
fn host(base_url: &str) -> String {
    reqwest::Url::parse(base_url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_else(|| base_url.to_owned())
}

/// Ask `question`; only an explicit yes is a yes.
fn confirm(question: &str, input: &mut impl BufRead, prompt: &mut impl Write) -> bool {
    let _ = write!(prompt, "{question}");
    let _ = prompt.flush();
    let mut answer = String::new();
    let read = input.read_line(&mut answer);
    // Ctrl-D (or an error) ends the prompt's line without a newline: end
    // it here, so that what follows starts a line of its own.
    if !answer.ends_with('\n') {
        let _ = writeln!(prompt);
    }
    match read {
        Ok(_) => matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_explicit_yes_confirms() {
        for (answer, yes) in [
            ("y\n", true),
            ("yes\n", true),
            ("n\n", false),
            ("\n", false),
        ] {
            let mut prompt = Vec::new();
            assert_eq!(
                confirm(
                    "Terminate 2 connection(s)? ",
                    &mut answer.as_bytes(),
                    &mut prompt
                ),
                yes,
                "{answer:?}"
            );
            assert_eq!(prompt, b"Terminate 2 connection(s)? ");
        }
        // End of input (Ctrl-D): a no, and the prompt's line is ended.
        let mut prompt = Vec::new();
        assert!(!confirm("Terminate? ", &mut "".as_bytes(), &mut prompt));
        assert_eq!(prompt, b"Terminate? \n");
    }

    /// Answers every question with `answer` and records them.
    struct Scripted {
        answer: bool,
        asked: Vec<String>,
    }

    impl Prompt for Scripted {
        fn available(&self) -> bool {
            true
        }

        fn ask(&mut self, question: &str) -> bool {
            self.asked.push(question.to_owned());
            self.answer
        }
    }

    #[tokio::test]
    async fn the_prompt_says_how_many_and_where_and_no_exits_1_sending_no_delete() {
        use xconn_ext::sandbox::{Sandbox, SandboxConfig};

        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let client = sandbox.client().unwrap();
        let before = sandbox.request_count();
        let active = client.active_connections(&[]).await.unwrap().len();
        let requests = sandbox.request_count();
        let pages = requests - before;
        let mut no = Scripted {
            answer: false,
            asked: Vec::new(),
        };
        let options = Options {
            yes: false,
            dry_run: false,
            allow_partial_errors: false,
            json: false,
            origin: "token from the sandbox".to_owned(),
        };
        let code = execute(&client, Target::All, options, &mut no).await;
        assert_eq!(code, ExitCode::from(exit::DECLINED));
        let host = host(sandbox.base_url());
        assert_eq!(
            no.asked,
            [format!(
                "Terminate {active} connection(s) (every active connection) at {host} (token from \
                 the sandbox)? [y/N] "
            )]
        );
        // The GETs to count, no DELETE: everything is still active.
        assert_eq!(sandbox.request_count(), requests + pages);
        assert_eq!(client.active_connections(&[]).await.unwrap().len(), active);
    }

    #[test]
    fn host_keeps_the_port() {
        assert_eq!(host("https://api.x.com"), "api.x.com");
        assert_eq!(host("http://127.0.0.1:8080/x"), "127.0.0.1:8080");
    }
}
