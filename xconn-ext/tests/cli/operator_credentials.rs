//! The credentials are the ones the operator named (issue 21, item 1): a
//! `--profile` beats the environment, `XCONN_PROFILE` with a token variable
//! is refused, the prompt says where the token came from, a pasted
//! `Bearer ` prefix is refused and a token file others can read is warned
//! about.

use super::pty::run_on_tty;
use super::*;

/// Two apps: `prod` (its token and URL exported in the shell) and
/// `staging` (a profile of the config file), each on its own mock.
struct TwoApps {
    _dir: tempfile::TempDir,
    config: std::path::PathBuf,
    token_file: std::path::PathBuf,
    prod: MockServer,
    staging: MockServer,
}

impl TwoApps {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("staging.token");
        write_secret(&token_file, &format!("{SECRET}-staging\n"));
        let staging = MockServer::start();
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[profiles.staging]\nbase_url = \"{}\"\ntoken_file = \"staging.token\"\n",
                staging.base_url()
            ),
        )
        .unwrap();
        TwoApps {
            _dir: dir,
            config,
            token_file,
            prod: MockServer::start(),
            staging,
        }
    }

    /// `xconn` in a shell that exports the production token and URL.
    fn shell(&self) -> std::process::Command {
        let mut cmd = xconn_std();
        cmd.env("XCONN_CONFIG", &self.config)
            .env("X_BEARER_TOKEN", format!("{SECRET}-prod"))
            .env("X_API_BASE_URL", self.prod.base_url());
        cmd
    }
}

#[test]
fn profile_staging_beats_a_production_token_and_url_in_the_environment() {
    let apps = TwoApps::new();
    let staging = apps.staging.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .header("authorization", format!("Bearer {SECRET}-staging"));
        json_ok(then, page(1, None).to_string());
    });
    let prod = catch_all(&apps.prod);
    let run = run_ok(&mut Command::from_std({
        let mut cmd = apps.shell();
        cmd.args(["--profile", "staging", "list", "-o", "ndjson"]);
        cmd
    }));
    assert_eq!(run.ndjson().len(), 1);
    assert_eq!((staging.calls(), prod.calls()), (1, 0));
}

#[test]
fn xconn_profile_with_a_token_variable_is_a_usage_error_naming_both() {
    let apps = TwoApps::new();
    let prod = catch_all(&apps.prod);
    let staging = catch_all(&apps.staging);
    let run = run_code(
        &mut Command::from_std({
            let mut cmd = apps.shell();
            cmd.env("XCONN_PROFILE", "staging").arg("list");
            cmd
        }),
        2,
    );
    run.error_says(&["XCONN_PROFILE", "X_BEARER_TOKEN"]);
    let run = run_code(
        &mut Command::from_std({
            let mut cmd = apps.shell();
            cmd.env_remove("X_BEARER_TOKEN")
                .env("X_BEARER_TOKEN_FILE", &apps.token_file)
                .env("XCONN_PROFILE", "staging")
                .arg("list");
            cmd
        }),
        2,
    );
    run.error_says(&["XCONN_PROFILE", "X_BEARER_TOKEN_FILE"]);
    assert_eq!((prod.calls(), staging.calls()), (0, 0), "nothing was sent");
}

#[test]
fn the_prompt_names_the_host_the_profile_and_where_the_token_came_from() {
    let apps = TwoApps::new();
    for server in [&apps.prod, &apps.staging] {
        server.mock(|when, then| {
            when.method(GET).path("/2/connections");
            json_ok(then, page(2, None).to_string());
        });
    }
    let deletes = [&apps.prod, &apps.staging].map(|server| {
        server.mock(|when, then| {
            when.method(DELETE);
            then.status(500);
        })
    });

    let mut cmd = apps.shell();
    cmd.args(["--profile", "staging", "terminate", "--all"]);
    let run = run_on_tty(cmd, None, "n\n");
    assert_eq!(run.code, Some(1), "{run:#?}");
    let host = apps.staging.address().to_string();
    let token_file = std::fs::canonicalize(&apps.token_file).unwrap();
    assert!(
        run.terminal.contains(&format!(
            "Terminate 2 connection(s) (every active connection) at {host} (profile \
             `staging`, token from profile `staging` (token_file"
        )),
        "{run:#?}"
    );
    assert!(
        run.terminal
            .contains(token_file.file_name().unwrap().to_str().unwrap()),
        "{run:#?}"
    );

    let mut cmd = apps.shell();
    cmd.args(["terminate", "--all"]);
    let run = run_on_tty(cmd, None, "n\n");
    assert_eq!(run.code, Some(1), "{run:#?}");
    let host = apps.prod.address().to_string();
    assert!(
        run.terminal
            .contains(&format!("at {host} (token from X_BEARER_TOKEN)? [y/N]")),
        "{run:#?}"
    );
    assert_eq!(deletes.map(|d| d.calls()), [0, 0], "declined: no DELETE");
}

#[test]
fn a_token_with_a_bearer_prefix_is_refused_from_a_file_or_a_variable() {
    let server = MockServer::start();
    let any = catch_all(&server);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    write_secret(&file, &format!("Bearer {SECRET}\n"));
    let base = ["--base-url".to_owned(), server.base_url()];

    let run = run_code(
        xconn()
            .args(&base)
            .args(["--token-file", file.to_str().unwrap(), "list"]),
        2,
    );
    run.error_says(&["--token-file", "starts with `Bearer `", "remove the prefix"]);
    let run = run_code(
        xconn()
            .env("X_BEARER_TOKEN_FILE", &file)
            .args(&base)
            .arg("list"),
        2,
    );
    run.error_says(&["X_BEARER_TOKEN_FILE", "remove the prefix"]);
    let run = run_code(
        xconn()
            .env("X_BEARER_TOKEN", format!("bearer {SECRET}"))
            .args(&base)
            .arg("list"),
        2,
    );
    run.error_says(&["X_BEARER_TOKEN", "remove the prefix"]);
    assert_eq!(any.calls(), 0, "nothing was sent");
}

#[test]
fn a_token_file_others_can_read_gets_a_chmod_600_warning() {
    use std::os::unix::fs::PermissionsExt as _;

    let server = MockServer::start();
    let ok = server.mock(|when, then| {
        when.method(GET).path("/2/connections");
        json_ok(then, page(0, None).to_string());
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    write_secret(&file, SECRET);
    let list = || {
        let mut cmd = xconn();
        cmd.args(["--base-url", &server.base_url()]).args([
            "--token-file",
            file.to_str().unwrap(),
            "list",
        ]);
        cmd
    };
    run_ok(&mut list());
    for mode in [0o640, 0o604] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let run = run_code(&mut list(), 0);
        let warning = format!("chmod 600 {}", file.display());
        assert!(
            run.stderr.starts_with("warning: ") && run.stderr.contains(&warning),
            "{run:#?}"
        );
    }
    assert_eq!(ok.calls(), 3, "a warning, not a refusal");
}

#[test]
fn a_bad_base_url_names_where_it_came_from_and_a_trailing_2_is_refused() {
    let apps = TwoApps::new();
    let prod = catch_all(&apps.prod);
    let staging = catch_all(&apps.staging);
    let run = run_code(
        &mut Command::from_std({
            let mut cmd = apps.shell();
            cmd.env("X_API_BASE_URL", "ftp://api.example").arg("list");
            cmd
        }),
        2,
    );
    run.error_says(&["invalid X_API_BASE_URL", "ftp"]);

    std::fs::write(
        &apps.config,
        "[profiles.staging]\nbase_url = \"not a url\"\ntoken_file = \"staging.token\"\n",
    )
    .unwrap();
    let run = run_code(
        &mut Command::from_std({
            let mut cmd = apps.shell();
            cmd.args(["--profile", "staging", "list"]);
            cmd
        }),
        2,
    );
    run.error_says(&["invalid profile `staging` base_url", "not a URL"]);

    // `/2` is added by xconn: a base URL ending in it would request /2/2/connections.
    for url in [
        format!("{}/2", apps.prod.base_url()),
        format!("{}/2/", apps.prod.base_url()),
    ] {
        let run = run_code(
            xconn().args(["--base-url", &url, "--token", SECRET, "list"]),
            2,
        );
        let fixed = format!("use `{}`", apps.prod.base_url());
        run.error_says(&["invalid --base-url", "ends in the API version `/2`", &fixed]);
    }
    assert_eq!((prod.calls(), staging.calls()), (0, 0), "nothing was sent");
}

#[test]
fn ctrl_d_at_the_prompt_aborts_on_a_line_of_its_own() {
    let apps = TwoApps::new();
    apps.prod.mock(|when, then| {
        when.method(GET).path("/2/connections");
        json_ok(then, page(2, None).to_string());
    });
    let mut cmd = apps.shell();
    cmd.args(["terminate", "--all"]);
    // ^D at the start of a line: end of input for the prompt.
    let run = run_on_tty(cmd, None, "\x04");
    assert_eq!(run.code, Some(1), "{run:#?}");
    let aborted = run
        .terminal
        .lines()
        .find(|l| l.contains("aborted"))
        .expect("an abort message");
    assert!(aborted.starts_with("aborted"), "on its own line: {run:#?}");
}

#[test]
fn with_the_token_on_stdin_the_prompt_reads_the_terminal() {
    let apps = TwoApps::new();
    apps.prod.mock(|when, then| {
        when.method(GET)
            .path("/2/connections")
            .header("authorization", format!("Bearer {SECRET}-stdin"));
        json_ok(then, page(2, None).to_string());
    });
    let delete = catch_all(&apps.prod);
    // A new session whose controlling terminal is the pseudo-terminal
    // (`setsid --ctty` takes it from stdin); xconn's own stdin is a pipe
    // carrying the token.
    let mut cmd = std::process::Command::new("setsid");
    cmd.args([
        "--ctty",
        "sh",
        "-c",
        "printf '%s\\n' \"$TOKEN\" | exec \"$XCONN\" \"$@\"",
        "sh",
    ])
    .args([
        "--token-file",
        "-",
        "--base-url",
        &apps.prod.base_url(),
        "terminate",
        "--all",
    ])
    .env("TOKEN", format!("{SECRET}-stdin"))
    .env("XCONN", env!("CARGO_BIN_EXE_xconn"))
    .env("XCONN_CONFIG", NO_CONFIG)
    .env_remove("X_BEARER_TOKEN")
    .env_remove("X_API_BASE_URL");
    let run = run_on_tty(cmd, None, "n\n");
    assert_eq!(run.code, Some(1), "declined at the terminal: {run:#?}");
    assert!(
        run.terminal.contains("(token from --token-file -)? [y/N]"),
        "{run:#?}"
    );
    assert_eq!(delete.calls(), 0);
}
