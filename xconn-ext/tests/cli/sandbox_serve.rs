//! `xconn sandbox serve` (issue 21, item 3): the sandbox as a server that
//! prints its URL and token, remembers across requests from any client,
//! and exits 0 on SIGINT or SIGTERM.

use std::io::{Read as _, Write as _};

use nix::sys::signal::Signal;

use super::watch::{Running, start};
use super::*;

/// A served sandbox and what it printed: its base URL and token.
fn serve(extra: &[&str]) -> (Running, String, String) {
    let mut args = vec!["sandbox", "serve", "--seed", "7"];
    args.extend_from_slice(extra);
    let running = start(&args);
    let url = running.line();
    let token = running.line();
    let url = url.strip_prefix("X_API_BASE_URL=").expect(&url).to_owned();
    let token = token
        .strip_prefix("X_BEARER_TOKEN=")
        .expect(&token)
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    (running, url, token)
}

/// `xconn` pointed at a served sandbox through the environment, as the
/// README shows.
fn against(url: &str, token: &str) -> Command {
    let mut cmd = xconn();
    cmd.env("X_API_BASE_URL", url).env("X_BEARER_TOKEN", token);
    cmd
}

/// Active connections per endpoint, from `list -o ndjson`.
fn active_per_endpoint(url: &str, token: &str) -> BTreeMap<String, u64> {
    let mut per = BTreeMap::new();
    for r in run_ok(against(url, token).args(["list", "-o", "ndjson"])).ndjson() {
        *per.entry(r["endpoint_name"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    per
}

#[test]
fn a_cleanup_is_verified_by_a_following_list_then_sigterm_exits_0() {
    let (running, url, token) = serve(&[]);
    let before = active_per_endpoint(&url, &token);
    assert!(
        before.values().any(|n| *n > 1),
        "seeded duplicates: {before:?}"
    );

    let run = run_ok(against(&url, &token).args(["terminate", "--duplicates", "--yes"]));
    assert!(run.stdout.starts_with("terminated "), "{run:#?}");
    let after = active_per_endpoint(&url, &token);
    assert_eq!(
        after,
        before
            .keys()
            .map(|e| (e.clone(), 1))
            .collect::<BTreeMap<_, _>>(),
        "one connection left per endpoint, seen by a later process"
    );
    // The ended ones are remembered as ended by the operator.
    let ended = run_ok(against(&url, &token).args([
        "list",
        "--status",
        "inactive",
        "--reason",
        "operator_disconnect",
        "-o",
        "ndjson",
    ]))
    .ndjson();
    let extra: u64 = before.values().map(|n| n - 1).sum();
    assert!(ended.len() as u64 >= extra, "{} < {extra}", ended.len());

    running.signal(Signal::SIGTERM);
    assert_eq!(running.exit().code(), Some(0));
}

#[test]
fn any_http_client_sees_the_same_state_and_sigint_exits_0() {
    let (running, url, token) = serve(&["--connections", "40"]);
    run_ok(against(&url, &token).args(["terminate", "--all", "--yes"]));

    // A plain HTTP/1.1 request, as a program in any language sends it.
    let addr = url.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET /2/connections HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("\"result_count\":0"),
        "nothing active: {response}"
    );

    running.signal(Signal::SIGINT);
    assert_eq!(running.exit().code(), Some(0));
}

#[test]
fn a_wrong_token_is_refused_by_the_served_sandbox() {
    let (running, url, _) = serve(&[]);
    let run = run_code(against(&url, "not-the-token").arg("list"), 3);
    assert!(run.stderr.contains("401"), "{run:#?}");
    running.signal(Signal::SIGTERM);
    assert_eq!(running.exit().code(), Some(0));
}

#[test]
fn addr_chooses_where_it_listens() {
    let port = closed_port();
    let addr = format!("127.0.0.1:{port}");
    let (running, url, token) = serve(&["--addr", &addr]);
    assert_eq!(url, format!("http://{addr}"));
    run_ok(against(&url, &token).arg("list"));
    running.signal(Signal::SIGTERM);
    assert_eq!(running.exit().code(), Some(0));
}
