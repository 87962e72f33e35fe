//! Where the token comes from (flags, environment, files, profiles), and that it
//! is sent as `Bearer <token>` and never printed.

use super::*;

#[test]
fn the_token_is_sent_as_a_bearer_header_and_never_printed() {
    let server = MockServer::start();
    let authorized = server.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .header("authorization", format!("Bearer {SECRET}"));
        then.status(200)
            .header("content-type", "application/json; charset=utf-8")
            .body(page(2, None).to_string());
    });
    let run = run_ok(xconn_mock(&server).args(["list", "--format", "ndjson"]));
    assert_eq!(run.ndjson().len(), 2);

    // Verbose runs log to stderr, still without the token; so does a catch-all filter.
    let run = run_code(xconn_mock(&server).args(["-vv", "list"]), 0);
    assert_eq!(run.stdout.lines().count(), 1 + 2);
    let run = run_code(
        xconn_mock(&server)
            .env("RUST_LOG", "trace")
            .args(["-vv", "summary"]),
        0,
    );
    assert!(!run.stderr.is_empty(), "trace logging is on");

    // From the environment too.
    run_ok(
        xconn()
            .env("X_BEARER_TOKEN", SECRET)
            .env("X_API_BASE_URL", server.base_url())
            .arg("list"),
    );
    assert_eq!(
        authorized.calls(),
        4,
        "every request carried the bearer token"
    );
}

#[test]
fn verbose_failing_runs_do_not_print_the_token() {
    let server = MockServer::start();
    let unauthorized = server.mock(|when, then| {
        when.any_request()
            .header("authorization", format!("Bearer {SECRET}"));
        problem_json(then, 401, unauthorized_body());
    });
    for args in [&["-vv", "list"][..], &["-v", "terminate", "--all", "--yes"]] {
        let run = run_code(xconn_mock(&server).env("RUST_LOG", "trace").args(args), 3);
        assert!(run.stderr.contains("Unauthorized"), "{run:#?}");
    }
    assert_eq!(unauthorized.calls(), 2);

    // Transport failures and timeouts name the URL, never the token.
    let port = closed_port();
    let run = run_code(
        xconn().args([
            "-vv",
            "--max-retries",
            "0",
            "--token",
            SECRET,
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "list",
        ]),
        4,
    );
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{port}")),
        "{run:#?}"
    );
}

#[test]
fn help_never_shows_the_token_from_the_environment() {
    for args in [
        &["--help"][..],
        &["list", "--help"],
        &["terminate", "--help"],
        &["-h"],
    ] {
        let run = run_ok(xconn().env("X_BEARER_TOKEN", SECRET).args(args));
        assert!(run.stdout.contains("X_BEARER_TOKEN"), "{args:?}: {run:#?}");
    }
    // A usage error with the token in the environment: clap's message, no token.
    let run = run_code(
        xconn()
            .env("X_BEARER_TOKEN", SECRET)
            .args(["list", "--max-results", "many"]),
        2,
    );
    assert!(run.stderr.contains("many"), "{run:#?}");
    run_ok(xconn().env("X_BEARER_TOKEN", SECRET).arg("--version"));
}

/// A mock that answers one empty page only to `Bearer <token>`.
fn mock_for_token<'a>(server: &'a MockServer, token: &str) -> httpmock::Mock<'a> {
    let header = format!("Bearer {token}");
    server.mock(move |when, then| {
        when.method(GET)
            .path("/2/connections")
            .header("authorization", header.clone());
        json_ok(then, json!({"meta": {"result_count": 0}}).to_string());
    })
}

#[test]
fn the_token_comes_from_a_file_stdin_or_the_environment_flags_first() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    write_secret(&file, &format!("{SECRET}-file \n\n"));
    let file = file.to_str().unwrap();
    let server = MockServer::start();
    let from_file = mock_for_token(&server, &format!("{SECRET}-file"));
    let from_env = mock_for_token(&server, &format!("{SECRET}-env"));
    let from_stdin = mock_for_token(&server, &format!("{SECRET}-stdin"));
    let base = ["--base-url".to_owned(), server.base_url()];

    run_ok(xconn().args(&base).args(["--token-file", file, "list"]));
    // A flag beats the environment.
    run_ok(
        xconn()
            .env("X_BEARER_TOKEN", format!("{SECRET}-env"))
            .args(&base)
            .args(["--token-file", file, "list"]),
    );
    run_ok(
        xconn()
            .env("X_BEARER_TOKEN_FILE", file)
            .args(&base)
            .arg("list"),
    );
    run_ok(
        xconn()
            .env("X_BEARER_TOKEN", format!("{SECRET}-env"))
            .args(&base)
            .arg("list"),
    );
    run_ok(
        xconn()
            .args(&base)
            .args(["--token-file", "-", "list"])
            .write_stdin(format!("{SECRET}-stdin\n")),
    );
    assert_eq!(
        (from_file.calls(), from_env.calls(), from_stdin.calls()),
        (3, 1, 1)
    );

    let run = run_code(
        xconn()
            .args(&base)
            .args(["--token", SECRET, "--token-file", file, "list"]),
        2,
    );
    assert!(run.stderr.contains("--token-file"), "{run:#?}");
    let run = run_code(
        xconn().args(&base).args([
            "--token-file",
            dir.path().join("none").to_str().unwrap(),
            "list",
        ]),
        2,
    );
    assert!(run.error_line().contains("cannot read --token-file"));
}

#[test]
fn a_named_profile_beats_the_environment_and_never_holds_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = MockServer::start();
    write_secret(&dir.path().join("prod.token"), &format!("{SECRET}-prod\n"));
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles.prod]\nbase_url = \"{}\"\ntoken_file = \"prod.token\"\n",
            server.base_url()
        ),
    )
    .unwrap();
    let prod = mock_for_token(&server, &format!("{SECRET}-prod"));
    let env = mock_for_token(&server, &format!("{SECRET}-env"));
    let with_config = || {
        let mut cmd = xconn();
        cmd.env("XCONN_CONFIG", &config);
        cmd
    };
    run_ok(with_config().args(["--profile", "prod", "list"]));
    run_ok(with_config().env("XCONN_PROFILE", "prod").arg("list"));
    // A profile named by --profile beats the environment (issue 21).
    run_ok(
        with_config()
            .env("X_BEARER_TOKEN", format!("{SECRET}-env"))
            .args(["--profile", "prod", "list"]),
    );
    assert_eq!((prod.calls(), env.calls()), (3, 0));

    let run = run_code(with_config().args(["--profile", "staging", "list"]), 2);
    let line = run.error_line();
    assert!(
        line.contains("unknown profile `staging`") && line.contains("prod"),
        "{line}"
    );

    std::fs::write(&config, format!("[profiles.prod]\ntoken = \"{SECRET}\"\n")).unwrap();
    let run = run_code(with_config().args(["--profile", "prod", "list"]), 2);
    assert!(run.error_line().contains("never stored in clear"));
}

#[test]
fn sandbox_refuses_credentials_flags_and_ignores_the_environment() {
    for flags in [
        &["--base-url", "https://api.x.com"][..],
        &["--token", SECRET],
        &["--token-file", "/dev/null"],
    ] {
        let run = run_code(xconn().arg("--sandbox").args(flags).arg("list"), 2);
        assert!(run.stderr.contains("--sandbox"), "{run:#?}");
    }
    run_ok(
        xconn()
            .env("X_BEARER_TOKEN", SECRET)
            .env("X_BEARER_TOKEN_FILE", "/no/such/file")
            .env("X_API_BASE_URL", "http://example.invalid")
            .args(["--sandbox", "list", "--limit", "1"]),
    );
}

#[test]
fn allow_insecure_http_lets_a_plain_http_proxy_carry_the_token() {
    let server = MockServer::start();
    let ok = mock_for_token(&server, SECRET);
    // 0.0.0.0 is not loopback to the URL check, yet reaches this machine.
    let url = format!("http://0.0.0.0:{}", server.port());
    let run = run_code(
        xconn().args(["--base-url", &url, "--token", SECRET, "list"]),
        2,
    );
    assert!(run.error_line().contains("--allow-insecure-http"));
    run_ok(xconn().args([
        "--base-url",
        &url,
        "--token",
        SECRET,
        "--allow-insecure-http",
        "list",
    ]));
    assert_eq!(ok.calls(), 1);
}

#[test]
fn a_401_says_where_the_token_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    write_secret(&file, SECRET);
    let server = MockServer::start();
    server.mock(|when, then| {
        when.any_request();
        problem_json(then, 401, unauthorized_body());
    });
    let run = run_code(
        xconn().args([
            "--base-url",
            &server.base_url(),
            "--token-file",
            file.to_str().unwrap(),
            "list",
        ]),
        3,
    );
    let line = run.error_line();
    assert!(
        line.contains(&format!(
            "the token came from --token-file {}",
            file.display()
        )),
        "{line}"
    );
    let run = run_code(
        xconn()
            .env("X_BEARER_TOKEN", SECRET)
            .args(["--base-url", &server.base_url(), "list"]),
        3,
    );
    assert!(
        run.error_line()
            .contains("the token came from X_BEARER_TOKEN")
    );
}
