//! `cargo xtask extract --from` with a file or a URL: the URL path is served
//! by a one-request HTTP server on 127.0.0.1, the only network these tests use.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Output;
use std::thread::JoinHandle;

use crate::common::{
    CURRENT_FIXTURE, FRAGMENT, RECORD, assert_failure, assert_success, copy_of_workspace, fixture,
    no_upstream, path_str, read_json, stdout, workspace_root, xtask, xtask_at,
};

/// Answer one request on 127.0.0.1 with `status` and `body`; the handle
/// yields the request line. Only for tests that do connect, so `accept`
/// cannot wait forever.
fn serve_once(status: &'static str, body: Vec<u8>) -> (String, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            if header == "\r\n" || header.is_empty() {
                break;
            }
        }
        let mut stream = reader.into_inner();
        write!(
            stream,
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        stream.write_all(&body).unwrap();
        request_line.trim_end().to_owned()
    });
    (base, handle)
}

/// `cargo xtask extract --from <from> --out <out>`, with `upstream` as the
/// shared upstream folder.
fn extract_file(from: &Path, out: &Path, upstream: &Path) -> Output {
    xtask(
        &["extract", "--from", path_str(from), "--out", path_str(out)],
        upstream,
    )
}

#[test]
fn extract_from_a_url_writes_the_fragment_and_records_the_url() {
    let root = copy_of_workspace();
    let body = fs::read(fixture(CURRENT_FIXTURE)).unwrap();
    let (base, server) = serve_once("200 OK", body);
    let url = format!("{base}/2/openapi.json");
    let empty = no_upstream();

    let output = xtask_at(root.path(), &["extract", "--from", &url], empty.path());
    assert_success(&output);
    assert_eq!(server.join().unwrap(), "GET /2/openapi.json HTTP/1.1");
    // The fixture holds exactly 2.167's Stream Connections part.
    assert_eq!(
        fs::read_to_string(root.path().join(FRAGMENT)).unwrap(),
        fs::read_to_string(workspace_root().join(FRAGMENT)).unwrap()
    );
    let record = read_json(&root.path().join(RECORD));
    assert_eq!(record["url"], url.as_str());
    assert_eq!(record["file"], "openapi.json");
    assert_eq!(record["version"], "2.167");

    // The release bookkeeping names the URL; check is then green, and says
    // it verified the fragment by its own hash.
    assert_success(&xtask_at(root.path(), &["generate"], empty.path()));
    let output = xtask_at(root.path(), &["check"], empty.path());
    assert_success(&output);
    assert!(
        stdout(&output).contains("skipped the upstream comparison"),
        "{}",
        stdout(&output)
    );
    let table = fs::read_to_string(root.path().join("openapi/README.md")).unwrap();
    assert!(
        table.contains(&format!("| upstream file | `{url}` |")),
        "{table}"
    );
}

#[test]
fn a_failing_server_is_an_error_naming_the_url_and_status() {
    let root = copy_of_workspace();
    let before = fs::read(root.path().join(FRAGMENT)).unwrap();
    let (base, server) = serve_once("404 Not Found", b"{}".to_vec());
    let url = format!("{base}/missing.json");
    let err = assert_failure(&xtask_at(
        root.path(),
        &["extract", "--from", &url],
        no_upstream().path(),
    ));
    server.join().unwrap();
    assert!(err.contains(&url) && err.contains("404"), "{err}");
    assert_eq!(
        fs::read(root.path().join(FRAGMENT)).unwrap(),
        before,
        "nothing written"
    );
}

#[test]
fn plain_http_beyond_loopback_is_refused_before_connecting() {
    let root = copy_of_workspace();
    let err = assert_failure(&xtask_at(
        root.path(),
        &["extract", "--from", "http://api.x.com/2/openapi.json"],
        no_upstream().path(),
    ));
    assert!(
        err.contains("refusing a plain-http URL; use https://"),
        "{err}"
    );
}

#[test]
fn extract_from_a_file_twice_is_byte_identical() {
    let from = fixture(CURRENT_FIXTURE);
    let out = tempfile::tempdir().unwrap();
    let run = |dir: &str| {
        let target = out.path().join(dir).join("connections.json");
        assert_success(&extract_file(&from, &target, out.path()));
        let record = target.with_file_name("upstream.json");
        (fs::read(&target).unwrap(), fs::read(record).unwrap())
    };
    let (first, second) = (run("a"), run("b"));
    assert!(
        first.0 == second.0,
        "two extract runs wrote different fragments"
    );
    assert!(
        first.1 == second.1,
        "two extract runs wrote different records"
    );
}

#[test]
fn a_missing_file_or_a_spec_without_a_version_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let err = assert_failure(&extract_file(
        &missing,
        &dir.path().join("o.json"),
        dir.path(),
    ));
    assert!(err.contains("cannot read"), "{err}");

    let mut spec = read_json(&fixture(CURRENT_FIXTURE));
    spec["info"].as_object_mut().unwrap().remove("version");
    let unversioned = dir.path().join("unversioned.json");
    crate::common::write_json(&unversioned, &spec);
    let err = assert_failure(&extract_file(
        &unversioned,
        &dir.path().join("o.json"),
        dir.path(),
    ));
    assert!(
        err.contains("unversioned.json has no info.version"),
        "{err}"
    );
    assert!(!Path::new(&dir.path().join("o.json")).exists());
}

#[test]
fn diff_reads_a_url_too() {
    let body = fs::read(fixture(CURRENT_FIXTURE)).unwrap();
    let (base, server) = serve_once("200 OK", body);
    let fragment = workspace_root().join(FRAGMENT);
    let output = xtask(
        &[
            "diff",
            path_str(&fragment),
            &format!("{base}/2/openapi.json"),
        ],
        no_upstream().path(),
    );
    server.join().unwrap();
    assert_success(&output);
    assert!(
        stdout(&output).ends_with("\n0 changes, 0 breaking\n"),
        "{}",
        stdout(&output)
    );
}
