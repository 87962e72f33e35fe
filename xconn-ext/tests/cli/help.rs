//! `xconn endpoints`, `--help`, completions, the man page and `-v` logs.

use super::*;

#[test]
fn endpoints_prints_the_14_names() {
    // Needs neither a token nor a server.
    let run = run_ok(xconn().arg("endpoints"));
    let names: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(names, ENDPOINTS);
}

#[test]
fn verbose_logs_one_line_per_http_attempt() {
    let server = MockServer::start();
    refused_after_first_page(&server, 1);
    let run = run_code(xconn_mock(&server).args(["-v", "list", "-o", "ndjson"]), 3);
    let attempts: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("xconn_ext::http"))
        .collect();
    assert_eq!(attempts.len(), 2, "{run:#?}");
    assert!(
        attempts[0].contains("method=\"GET\"") || attempts[0].contains("method=GET"),
        "{}",
        attempts[0]
    );
    assert!(attempts[0].contains("status=200"), "{}", attempts[0]);
    assert!(
        attempts[0].contains("rate_limit_remaining=41"),
        "{}",
        attempts[0]
    );
    assert!(attempts[0].contains("latency_ms="), "{}", attempts[0]);
    assert!(attempts[1].contains("status=401"), "{}", attempts[1]);
    assert!(
        attempts[1].contains("pagination_token=p2"),
        "path and query: {}",
        attempts[1]
    );
    assert!(attempts[1].contains("retry=\"give_up\""), "{}", attempts[1]);
    assert!(!run.stderr.contains(SECRET), "the token is never logged");
    // Without -v: nothing but the error.
    let run = run_code(xconn_mock(&server).args(["list", "-o", "ndjson"]), 3);
    assert!(!run.stderr.contains("xconn_ext::http"));
}

#[test]
fn an_unknown_endpoint_suggests_the_closest() {
    let run = run_code(xconn().args(["list", "--endpoint", "filtred_stream"]), 2);
    assert!(
        run.stderr.contains("did you mean `filtered_stream`"),
        "{run:#?}"
    );
}

#[test]
fn help_documents_exit_codes_examples_and_global_options() {
    let help = run_ok(xconn().arg("--help")).stdout;
    for code in 0..=6 {
        assert!(
            help.contains(&format!("\n  {code}  ")),
            "exit code {code}: {help}"
        );
    }
    assert!(help.contains("Global options:"), "{help}");
    for command in [
        "list",
        "summary",
        "terminate",
        "endpoints",
        "completions",
        "man",
    ] {
        let help = run_ok(xconn().args([command, "--help"])).stdout;
        assert!(help.contains("Examples:"), "{command}: {help}");
        let global = help.find("Global options:").expect("global heading");
        let own = help.find("Options:").expect("own options");
        assert!(
            own < global,
            "{command}: the command's own options come first"
        );
    }
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = run_ok(xconn().args(["completions", shell]));
        assert!(run.stdout.contains("terminate"), "{shell}");
        assert!(run.stdout.contains("--duplicates"), "{shell}");
    }
    let man = run_ok(xconn().arg("man")).stdout;
    assert!(man.starts_with(".ie") || man.contains(".TH xconn"), "{man}");
    assert!(man.contains("terminate"));
}

/// The `list` help takes its facts from the spec and the typed enums: the
/// `--max-results` range and the `--status` values.
#[test]
fn list_help_states_the_spec_facts() {
    let output = xconn().args(["list", "--help"]).output().expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).expect("utf-8");
    let range = format!(
        "Records per page, {} to {}",
        xconn_sdk::spec::MAX_RESULTS_MIN,
        xconn_sdk::spec::MAX_RESULTS_MAX
    );
    assert!(help.contains(&range), "{help}");
    let values = format!(
        "[possible values: {}]",
        xconn_ext::ConnectionStatus::NAMES.join(", ")
    );
    assert!(help.contains(&values), "{help}");
}
