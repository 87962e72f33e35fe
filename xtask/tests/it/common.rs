//! Helpers shared by the xtask integration tests.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

pub const FRAGMENT: &str = "openapi/connections.json";
pub const RECORD: &str = "openapi/upstream.json";
pub const GENERATED: &str = "xconn-sdk/src/generated.rs";

/// The fixture standing in for X's current release: 2.167's Stream
/// Connections part plus paths and schemas `extract` must leave out.
pub const CURRENT_FIXTURE: &str = "upstream-2.167.json";
/// The same for the previous release, 2.159.
pub const PREVIOUS_FIXTURE: &str = "upstream-2.159.json";

/// The workspace this xtask belongs to.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

pub fn write_json(path: &Path, value: &Value) {
    let mut text = serde_json::to_string_pretty(value).unwrap();
    text.push('\n');
    fs::write(path, text).unwrap();
}

/// The `package.version` of the manifest at `rel` under `root`, build
/// metadata included (`0.2.0+2.167`). Tests read it rather than spell it:
/// a release step (`cargo xtask release`) changes it, and CI must pass on
/// the commit that carries the new versions before it is tagged.
pub fn package_version(root: &Path, rel: &str) -> String {
    let doc: toml_edit::DocumentMut = fs::read_to_string(root.join(rel)).unwrap().parse().unwrap();
    doc["package"]["version"]
        .as_str()
        .unwrap_or_else(|| panic!("{rel} has no package.version"))
        .to_owned()
}

/// [`package_version`] without its build metadata (`0.2.0`): the version
/// `releases.toml` and the workspace's dependency lines carry.
pub fn core_version(root: &Path, rel: &str) -> String {
    let version = package_version(root, rel);
    match version.split_once('+') {
        Some((core, _metadata)) => core.to_owned(),
        None => version,
    }
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// Run the xtask binary with `upstream` as its upstream directory (always
/// set explicitly, so a developer's environment cannot change what a test
/// sees).
pub fn xtask(args: &[&str], upstream: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("XCONN_UPSTREAM_DIR", upstream)
        .output()
        .expect("the xtask binary runs")
}

/// Run the xtask binary on the workspace at `root`.
pub fn xtask_at(root: &Path, args: &[&str], upstream: &Path) -> Output {
    let mut all = vec!["--root", path_str(root)];
    all.extend_from_slice(args);
    xtask(&all, upstream)
}

/// `cargo xtask extract --from <from>` then `cargo xtask generate` in
/// `root`, both required to succeed.
pub fn extract_and_generate(root: &Path, from: &Path, upstream: &Path) {
    assert_success(&xtask_at(
        root,
        &["extract", "--from", path_str(from)],
        upstream,
    ));
    assert_success(&xtask_at(root, &["generate"], upstream));
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fail with everything the command printed, which is what one needs to see.
#[track_caller]
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "xtask failed ({})\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

/// Fail unless the command failed; returns its stderr.
#[track_caller]
pub fn assert_failure(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "xtask succeeded where it should fail\nstdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
    stderr(output)
}

/// The files `check` and `generate` read or write, relative to the root.
pub const CHECKED_FILES: [&str; 8] = [
    FRAGMENT,
    RECORD,
    GENERATED,
    "Cargo.toml",
    "xconn-sdk/Cargo.toml",
    "xconn-ext/Cargo.toml",
    "README.md",
    "openapi/README.md",
];

/// A temporary workspace root holding copies of the files `check` and
/// `generate` touch, so that tests can break them freely.
pub fn copy_of_workspace() -> TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for rel in CHECKED_FILES {
        let to = tmp.path().join(rel);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(workspace_root().join(rel), &to).unwrap();
    }
    tmp
}

/// An upstream directory with nothing in it.
pub fn no_upstream() -> TempDir {
    tempfile::tempdir().unwrap()
}

/// Replace text in a file, failing if the edit changes nothing.
#[track_caller]
pub fn edit(path: &Path, f: impl FnOnce(&str) -> String) {
    let before = fs::read_to_string(path).unwrap();
    let after = f(&before);
    assert_ne!(
        before,
        after,
        "the edit of {} changed nothing",
        path.display()
    );
    fs::write(path, after).unwrap();
}

/// One realistic change X could make in a release, applied to a full spec
/// or to the fragment (the same JSON shape where it matters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecChange {
    /// `successful_kills` renamed to `succeeded` in every terminate response.
    SuccessfulKillsRenamed,
    /// A new optional `tag` on `Connection`, selectable in `connection.fields`.
    ConnectionTagAdded,
    /// Problem type URIs served from another host.
    ProblemHostMoved,
    /// `max_results` accepts up to 500.
    MaxResultsRaised,
    /// A new optional `since` query parameter on `GET /2/connections`.
    SinceParameterAdded,
    /// The `Connection` schema renamed to `StreamConnection`.
    ConnectionRenamed,
}

pub const NEW_PROBLEM_HOST: &str = "https://problems.x.example";

/// The names of the terminate responses' data schemas.
pub const TERMINATE_DATA: [&str; 3] = [
    "DeleteAllConnectionsResponseData",
    "DeleteConnectionsByEndpointResponseData",
    "DeleteConnectionsByUuidsResponseData",
];

impl SpecChange {
    pub fn apply(self, spec: &mut Value) {
        match self {
            SpecChange::SuccessfulKillsRenamed => {
                let schemas = schemas(spec);
                for name in TERMINATE_DATA {
                    let data = &mut schemas[name];
                    let prop = data["properties"]
                        .as_object_mut()
                        .unwrap()
                        .remove("successful_kills")
                        .expect("successful_kills is declared");
                    data["properties"]["succeeded"] = prop;
                    for required in data["required"].as_array_mut().into_iter().flatten() {
                        if required == "successful_kills" {
                            *required = "succeeded".into();
                        }
                    }
                }
            }
            SpecChange::ConnectionTagAdded => {
                schemas(spec)["Connection"]["properties"]["tag"] =
                    serde_json::json!({"type": "string", "description": "A label."});
                spec.pointer_mut(
                    "/components/parameters/ConnectionFieldsParameter/schema/items/enum",
                )
                .and_then(Value::as_array_mut)
                .expect("connection.fields is an enum")
                .push("tag".into());
            }
            SpecChange::ProblemHostMoved => {
                let text = spec.to_string().replace(
                    "https://api.x.com/2/problems/",
                    &format!("{NEW_PROBLEM_HOST}/2/problems/"),
                );
                assert_ne!(text, spec.to_string(), "the spec names problem types");
                *spec = serde_json::from_str(&text).unwrap();
            }
            SpecChange::MaxResultsRaised => {
                history_param(spec, "max_results")["schema"]["maximum"] = 500.into();
            }
            SpecChange::SinceParameterAdded => {
                history_params(spec).push(serde_json::json!({
                    "in": "query", "name": "since", "required": false, "style": "form",
                    "schema": {"type": "string", "format": "date-time"}
                }));
            }
            SpecChange::ConnectionRenamed => {
                let connection = schemas(spec).remove("Connection").unwrap();
                schemas(spec).insert("StreamConnection".into(), connection);
                let text = spec.to_string().replace(
                    "\"#/components/schemas/Connection\"",
                    "\"#/components/schemas/StreamConnection\"",
                );
                *spec = serde_json::from_str(&text).unwrap();
            }
        }
    }
}

fn history_params(spec: &mut Value) -> &mut Vec<Value> {
    spec.pointer_mut("/paths/~12~1connections/get/parameters")
        .and_then(Value::as_array_mut)
        .expect("GET /2/connections has parameters")
}

fn history_param<'a>(spec: &'a mut Value, name: &str) -> &'a mut Value {
    history_params(spec)
        .iter_mut()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no inline parameter {name}"))
}

fn schemas(spec: &mut Value) -> &mut serde_json::Map<String, Value> {
    spec.pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .expect("the spec has schemas")
}
