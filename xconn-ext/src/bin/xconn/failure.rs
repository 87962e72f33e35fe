//! Exit codes and the one line that explains a failure, in the words of
//! the command line (flag names, where the token came from).

use std::process::ExitCode;
use std::sync::OnceLock;

use serde_json::{Value, json};
use xconn_ext::{Error, ProblemKind};

use crate::format::timestamp;

/// Exit codes, as documented in `--help` and the README.
pub mod exit {
    /// The confirmation prompt was declined, or the output could not be written.
    pub const DECLINED: u8 = 1;
    /// Invalid usage or input; nothing was sent.
    pub const USAGE: u8 = 2;
    /// The API answered with a problem.
    pub const API: u8 = 3;
    /// Transport failure or timeout.
    pub const TRANSPORT: u8 = 4;
    /// A response that could not be decoded, or a listing to act on that the
    /// API answered with partial errors.
    pub const DECODE: u8 = 5;
    /// The API answered, but one or more connections were not terminated.
    pub const NOT_TERMINATED: u8 = 6;
}

/// Where the token came from, said when the API refuses it (set once).
static TOKEN_SOURCE: OnceLock<String> = OnceLock::new();

pub fn set_token_source(source: String) {
    let _ = TOKEN_SOURCE.set(source);
}

/// The exit code for an error.
pub fn code(error: &Error) -> u8 {
    match error {
        Error::InvalidInput(_) => exit::USAGE,
        Error::Api(_) | Error::RateLimited(_) => exit::API,
        Error::Timeout { .. } | Error::Transport(_) => exit::TRANSPORT,
        Error::PartialTermination(e) => code(&e.source),
        // A response that says it is incomplete: like one that cannot be
        // understood, not something to act on.
        Error::PartialErrors(_) => exit::DECODE,
        _ => exit::DECODE,
    }
}

/// The flag a library parameter name stands for.
pub fn flag_for(field: &str) -> Option<&'static str> {
    Some(match field {
        "max_results" => "--max-results",
        "endpoints" | "endpoint" => "--endpoint",
        "connection.fields" => "--fields",
        "status" => "--status",
        "base_url" => "--base-url",
        "timeout" => "--timeout",
        "keep" => "--keep",
        "uuids" => "--uuid",
        _ => return None,
    })
}

/// One line saying what went wrong, without the `error: ` prefix.
pub fn message(error: &Error) -> String {
    let mut line = match error {
        Error::InvalidInput(e) => {
            let text = e
                .message()
                .replace("allow_insecure_http(true)", "--allow-insecure-http");
            match (flag_for(e.field()), e.field(), TOKEN_SOURCE.get()) {
                (Some(flag), _, _) => format!("invalid {flag}: {text}"),
                // The token may come from a flag, a variable, a file or a
                // profile: name the one it came from.
                (None, "bearer_token", Some(source)) => {
                    format!("invalid bearer token from {source}: {text}")
                }
                (None, field, _) => format!("invalid `{field}`: {text}"),
            }
        }
        Error::Api(e) => {
            let mut line = format!("API error {} [{}] {}", e.status, e.kind, e.problem);
            if let Some(wait) = e.retry_after {
                line.push_str(&format!("; retry in {}s", wait.as_secs_f64().ceil() as u64));
            }
            if e.kind == ProblemKind::UsageCapped {
                line.push_str(
                    "; the usage cap is spent: waiting will not help until the cap period resets",
                );
            }
            line
        }
        Error::RateLimited(e) => {
            let when = e
                .retry_after
                .map(|w| format!("retry in {}s", (w.as_secs_f64().ceil() as u64).max(1)))
                .or_else(|| {
                    e.rate_limit
                        .and_then(|rl| rl.reset)
                        .map(|reset| format!("retry after {}", timestamp(reset)))
                })
                .unwrap_or_else(|| "retry later".to_owned());
            format!("rate limited [TooManyRequests] {}; {when}", e.problem)
        }
        Error::PartialTermination(e) => message(&e.source),
        // Only a listing something is about to act on refuses them (`list`
        // and `summary` print them as warnings).
        Error::PartialErrors(e) => format!(
            "{e}; the listing may be incomplete, so nothing was sent \
             (--allow-partial-errors acts on it anyway)"
        ),
        other => {
            // Transport errors say what failed only in their sources; a
            // cause that repeats what is already said (reqwest's own
            // message, with the URL) is said once.
            let mut line = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(cause) = source {
                let text = cause.to_string();
                if !line.ends_with(&text) {
                    line.push_str(&format!(": {text}"));
                }
                source = cause.source();
            }
            if matches!(other, Error::Transport(_) | Error::Timeout { .. }) {
                match crate::attempts::last() {
                    0 => {}
                    1 => line.push_str(" (1 attempt)"),
                    n => line.push_str(&format!(" ({n} attempts)")),
                }
            }
            line
        }
    };
    if error.status() == Some(401)
        && !matches!(error, Error::PartialTermination(_))
        && let Some(source) = TOKEN_SOURCE.get()
    {
        line.push_str(&format!(
            "; the token came from {source}: check it, or set another with --token-file, \
             X_BEARER_TOKEN_FILE or a profile's token_file (xconn --help)"
        ));
    }
    line
}

/// Print the error's line on stderr and choose the exit code.
pub fn report(error: &Error) -> ExitCode {
    eprintln!("error: {}", message(error));
    ExitCode::from(code(error))
}

/// The `"error"` object of a JSON document cut short.
pub fn json(error: &Error) -> Value {
    json!({ "message": message(error), "exit_code": code(error) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_fields_map_to_flags() {
        assert_eq!(flag_for("max_results"), Some("--max-results"));
        assert_eq!(flag_for("connection.fields"), Some("--fields"));
        assert_eq!(flag_for("nope"), None);
    }
}
