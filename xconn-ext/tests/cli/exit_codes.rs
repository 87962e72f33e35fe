//! Every exit code against a mock (2 usage, 3 API problem, 4 transport or timeout,
//! 5 undecodable), each with one clear stderr line; a usage error sends nothing.

use super::*;

#[test]
fn usage_errors_exit_2_and_send_nothing() {
    let server = MockServer::start();
    let any = catch_all(&server);
    let cases: &[(&[&str], &str)] = &[
        (
            &["list", "--max-results", "0"],
            "'--max-results <N>': `0` is not a whole number from 1 to 100",
        ),
        (
            &["list", "--max-results", "101"],
            "'--max-results <N>': `101` is not a whole number from 1 to 100",
        ),
        (&["list", "--endpoint", "nope_stream"], "nope_stream"),
        (&["summary", "--endpoint", "nope_stream"], "nope_stream"),
        (
            &["terminate", "--endpoint", "nope_stream", "--yes"],
            "nope_stream",
        ),
        (&["list", "--fields", "id,nope"], "nope"),
        (&["list", "--status", "bogus"], "bogus"),
        (&["list", "--limit", "0"], "0"),
        (&["list", "--timeout", "0"], "0"),
        (&["list", "--format", "xml"], "xml"),
        (&["terminate", "--yes"], "--all"),
        (
            &[
                "terminate",
                "--all",
                "--endpoint",
                "filtered_stream",
                "--yes",
            ],
            "--all",
        ),
        (&["frobnicate"], "frobnicate"),
        (
            &[
                "terminate",
                "--endpoint",
                "filtered_stream",
                "--endpoint",
                "sample_stream",
                "--yes",
            ],
            "--duplicates",
        ),
        (
            &["terminate", "--all", "--keep", "2", "--yes"],
            "--duplicates",
        ),
        (
            &["terminate", "--duplicates", "--keep", "0", "--yes"],
            "--keep",
        ),
        (
            &[
                "list",
                "--endpoint",
                "filtered_stream",
                "--endpoint",
                "filtered_stream",
            ],
            "twice",
        ),
        (&["list", "--fields", "id,id"], "twice"),
    ];
    for (args, mentions) in cases {
        let run = run_code(xconn_mock(&server).args(*args), 2);
        assert!(run.stderr.contains(mentions), "{args:?}: {run:#?}");
        assert_eq!(run.stdout, "", "{args:?}");
    }
    assert_eq!(any.calls(), 0, "nothing may be sent");
}

#[test]
fn a_missing_or_unusable_token_exits_2_and_sends_nothing() {
    let server = MockServer::start();
    let any = catch_all(&server);
    for args in [
        &["list"][..],
        &["summary"],
        &["terminate", "--all", "--yes"],
    ] {
        let run = run_code(
            xconn().args(["--base-url", &server.base_url()]).args(args),
            2,
        );
        run.error_says(&["token", "X_BEARER_TOKEN"]);
    }
    // An empty token from the environment is no token.
    let run = run_code(
        xconn()
            .env("X_BEARER_TOKEN", "  ")
            .args(["--base-url", &server.base_url(), "list"]),
        2,
    );
    assert_eq!(
        run.error_line(),
        "error: the bearer token from X_BEARER_TOKEN is empty"
    );
    // A token that cannot be a header line is refused without echoing it,
    // naming where it came from.
    let run = run_code(
        xconn().args([
            "--base-url",
            &server.base_url(),
            "--token",
            &format!("{SECRET}\nX-Evil: 1"),
            "list",
        ]),
        2,
    );
    assert!(
        run.error_line()
            .contains("invalid bearer token from --token: contains characters"),
        "{run:#?}"
    );
    assert_eq!(any.calls(), 0, "nothing may be sent");
}

#[test]
fn plain_http_to_a_remote_host_exits_2() {
    let run = run_code(
        xconn().args([
            "--base-url",
            "http://example.invalid",
            "--token",
            SECRET,
            "list",
        ]),
        2,
    );
    run.error_says(&["invalid --base-url", "--allow-insecure-http"]);
}

#[test]
fn unauthorized_exits_3_with_one_line_and_is_not_retried() {
    let server = MockServer::start();
    let unauthorized = server.mock(|when, then| {
        when.any_request();
        problem_json(then, 401, unauthorized_body());
    });
    // Default retries: a 401 is final.
    for args in [
        &["list"][..],
        &["summary"],
        &["terminate", "--all", "--yes"],
    ] {
        let run = run_code(xconn_mock(&server).args(args), 3);
        run.error_says(&["Unauthorized", "401"]);
    }
    assert_eq!(unauthorized.calls(), 3, "one request per command, no retry");
}

#[test]
fn rate_limited_exits_3_and_says_when_to_retry() {
    let server = MockServer::start();
    let limited = server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        let then = then
            .status(429)
            .header("content-type", "application/json; charset=utf-8");
        let body = r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#;
        window(then, 50, 0, 30).body(body);
    });
    let run = run_code(xconn_mock(&server).args(["--max-retries", "0", "list"]), 3);
    run.error_says(&["rate limited", "retry", "Too Many Requests"]);
    assert_eq!(limited.calls(), 1);
}

#[test]
fn usage_capped_exits_3_says_waiting_will_not_help_and_is_not_retried() {
    let server = MockServer::start();
    let capped = server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        let body = r#"{"account_id":"1","product_name":"standard-basic","title":"UsageCapExceeded","period":"Monthly","scope":"Product","detail":"Usage cap exceeded: Monthly product cap","type":"https://api.twitter.com/2/problems/usage-capped"}"#;
        window(problem_json(then, 429, body), 500, 499, 5);
    });
    // Default retries (2): a spent cap must not be retried.
    let run = run_code(xconn_mock(&server).arg("summary"), 3);
    let line = run.error_says(&["usage cap", "waiting will not help"]);
    assert!(!line.contains("retry in"), "{line}");
    assert!(!line.contains("rate limited"), "{line}");
    assert_eq!(capped.calls(), 1, "a usage cap is never retried");
}

#[test]
fn invalid_request_exits_3_and_surfaces_the_errors_messages() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        let body = r#"{"errors":[{"parameters":{"max_results":["1000"]},"message":"The `max_results` query parameter value [1000] is not between 1 and 100"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}"#;
        problem_json(then, 400, body);
    });
    let run = run_code(xconn_mock(&server).arg("list"), 3);
    run.error_says(&[
        "Invalid Request",
        "The `max_results` query parameter value [1000] is not between 1 and 100",
    ]);
}

#[test]
fn an_error_after_the_first_page_still_prints_a_valid_json_document() {
    let server = MockServer::start();
    refused_after_first_page(&server, 4);
    let run = run_code(xconn_mock(&server).args(["list", "--format", "json"]), 3);
    assert!(run.error_line().contains("Unauthorized"));
    let doc = run.json();
    assert_eq!(doc["data"].as_array().map(Vec::len), Some(4));
    assert_eq!(doc["meta"]["result_count"], 4);
    assert_eq!(doc["error"]["exit_code"], 3, "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("401")),
        "{doc}"
    );
    assert!(run.error_line().contains("incomplete: 4 connection(s)"));

    // ndjson and csv: the records read, then the error on stderr.
    let run = run_code(xconn_mock(&server).args(["list", "-o", "ndjson"]), 3);
    assert_eq!(run.ndjson().len(), 4);
    assert!(run.error_line().contains("Unauthorized"));
    let run = run_code(xconn_mock(&server).args(["list", "-o", "csv"]), 3);
    assert_eq!(run.stdout.lines().count(), 1 + 4, "{run:#?}");
    assert!(run.error_line().contains("incomplete"));
}

#[test]
fn a_closed_port_exits_4() {
    let port = closed_port();
    let run = run_code(
        xconn().args([
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "--token",
            SECRET,
            "--max-retries",
            "0",
            "list",
        ]),
        4,
    );
    assert!(run.error_line().contains("transport"), "{run:#?}");
}

#[test]
fn a_slow_server_exits_4_after_the_timeout() {
    let server = MockServer::start();
    let slow = server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        // A good answer, too late: without the timeout the run would succeed.
        then.status(200)
            .header("content-type", "application/json")
            .body(page(1, None).to_string())
            .delay(Duration::from_secs(3));
    });
    let run = run_code(
        xconn_mock(&server).args(["--timeout", "0.2", "--max-retries", "0", "list"]),
        4,
    );
    assert!(run.error_line().contains("timed out"), "{run:#?}");
    assert_eq!(slow.calls(), 1);
}

#[test]
fn an_html_200_exits_5() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        then.status(200)
            .header("content-type", "text/html")
            .body("<html><body><h1>Welcome</h1>\n<p>captive portal</p></body></html>");
    });
    let run = run_code(xconn_mock(&server).arg("list"), 5);
    let line = run.error_line();
    assert!(line.contains("could not decode"), "{line}");
    assert!(line.contains("<html>"), "the body excerpt helps: {line}");
}

#[test]
fn a_json_200_of_the_wrong_shape_exits_5_and_names_the_path() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        json_ok(then, r#"{"data":[{"endpoint_name":"filtered_stream","connected_at":12345}],"meta":{"result_count":1}}"#);
    });
    for args in [&["list"][..], &["summary"]] {
        let run = run_code(xconn_mock(&server).args(args), 5);
        run.error_says(&["data[0].connected_at"]);
    }
}
