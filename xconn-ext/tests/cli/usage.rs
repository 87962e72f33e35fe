//! Usage that explains itself (issue 21, item 6): numeric flags say their
//! range, `--endpoint` completes endpoint names, help shows defaults and
//! says what `endpoints` prints.

use super::*;

#[test]
fn numeric_flags_explain_their_range_and_send_nothing() {
    let server = MockServer::start();
    let any = catch_all(&server);
    // The --max-results range is the spec's.
    let spec_range = format!(
        "from {} to {}",
        xconn_sdk::spec::MAX_RESULTS_MIN,
        xconn_sdk::spec::MAX_RESULTS_MAX
    );
    let too_many = format!("`500` is not a whole number {spec_range}");
    for (args, says) in [
        (
            &["list", "--limit", "-1"][..],
            "`-1` is not a whole number, at least 1",
        ),
        (
            &["list", "--limit", "0"],
            "`0` is not a whole number, at least 1",
        ),
        (
            &["list", "--limit", "many"],
            "`many` is not a whole number, at least 1",
        ),
        (&["list", "--max-results", "500"], too_many.as_str()),
        (&["list", "--max-results", "-5"], spec_range.as_str()),
        (
            &["terminate", "--duplicates", "--keep", "-2"],
            "`-2` is not a whole number, at least 1",
        ),
        (
            &["--max-retries", "-1", "list"],
            "`-1` is not a whole number from 0 to 100",
        ),
    ] {
        let run = run_code(xconn_mock(&server).args(args), 2);
        assert!(run.stderr.contains(says), "{args:?}: {run:#?}");
        assert!(
            !run.stderr.contains("unexpected argument"),
            "{args:?}: {run:#?}"
        );
    }
    let run = run_code(xconn().args(["sandbox", "serve", "--connections", "0"]), 2);
    assert!(run.stderr.contains("from 1 to 1000000"), "{run:#?}");
    assert_eq!(any.calls(), 0);
}

#[test]
fn bash_completion_offers_endpoint_names_for_endpoint() {
    let script = run_ok(xconn().args(["completions", "bash"])).stdout;
    let names = xconn_ext::StreamEndpoint::NAMES.join(" ");
    let mut offered = 0;
    let lines: Vec<&str> = script.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() == "--endpoint)" {
            assert!(
                lines[i + 1].contains(&format!("compgen -W \"{names}\"")),
                "{}",
                lines[i + 1]
            );
            offered += 1;
        }
    }
    // list, summary, terminate, watch.
    assert!(
        offered >= 4,
        "--endpoint completes names in {offered} commands"
    );
    // A typo still gets the closest name.
    let run = run_code(
        xconn_sandbox().args(["list", "--endpoint", "filtred_stream"]),
        2,
    );
    assert!(
        run.stderr.contains("did you mean `filtered_stream`"),
        "{run:#?}"
    );
}

#[test]
fn help_shows_defaults_and_says_what_endpoints_prints() {
    let help = run_ok(xconn().args(["list", "--help"])).stdout;
    for said in [
        "[default: active for list, all for summary]",
        "[default: 100]",
        "[default: all of them]",
        "[default: table]",
    ] {
        assert!(help.contains(said), "{said:?} not in list --help:\n{help}");
    }
    let help = run_ok(xconn().args(["summary", "--help"])).stdout;
    assert!(help.contains("[default: text]"), "{help}");
    let help = run_ok(xconn().arg("--help")).stdout;
    assert!(
        help.contains("endpoint names of the API spec this xconn was built from"),
        "{help}"
    );
    assert!(!help.contains("the API knows"), "{help}");
}

#[test]
fn transport_errors_say_the_url_once_and_how_many_attempts() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    for (retries, attempts) in [("0", "(1 attempt)"), ("2", "(3 attempts)")] {
        let run = run_code(
            xconn().args([
                "--max-retries",
                retries,
                "--token",
                SECRET,
                "--base-url",
                &url,
                "list",
            ]),
            4,
        );
        let line = run.error_says(&["transport error", attempts]);
        assert_eq!(line.matches(&url).count(), 1, "the URL once: {line}");
        assert!(line.ends_with(attempts), "{line}");
    }
}

/// The long flags a `--help` text lists.
fn long_flags(help: &str) -> BTreeSet<String> {
    help.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| {
            w.trim_end_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .to_owned()
        })
        .collect()
}

#[test]
fn every_man_page_referred_to_exists_and_lists_every_flag() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(xconn().args(["man", "--out-dir"]).arg(dir.path()));
    let page = |name: &str| {
        std::fs::read_to_string(dir.path().join(format!("{name}.1")))
            .unwrap_or_else(|e| panic!("{name}.1: {e}"))
            .replace("\\-", "-")
    };
    let top = page("xconn");
    // Every page xconn.1 refers to was written.
    let mut referred = 0;
    for word in top.split(|c: char| c.is_whitespace() || c == ',') {
        if let Some(name) = word.strip_suffix("(1)") {
            page(name);
            referred += 1;
        }
    }
    assert!(referred >= 8, "{top}");
    // Each command's page has every flag of its --help.
    for command in [
        &["list"][..],
        &["summary"],
        &["terminate"],
        &["watch"],
        &["endpoints"],
        &["sandbox", "serve"],
    ] {
        let help = run_ok(xconn().args(command).arg("--help")).stdout;
        let text = page(&format!("xconn-{}", command.join("-")));
        for flag in long_flags(&help) {
            assert!(text.contains(&flag), "{flag} not in xconn-{command:?}.1");
        }
    }
    // Without --out-dir: xconn.1 on stdout, as before.
    let man = run_ok(xconn().arg("man")).stdout;
    assert!(man.contains(".TH xconn"), "{man}");
}
