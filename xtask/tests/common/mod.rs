//! Helpers shared by the xtask integration tests, which run the built binary
//! the way a developer or CI does, so that argument parsing, exit codes and
//! messages are covered along with the logic.
// Each test crate compiles this module and uses a different subset of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The current and the previous upstream spec, as named in the shared folder.
pub const CURRENT_SPEC: &str = "x-api-v2-openapi-2.167.json";
pub const PREVIOUS_SPEC: &str = "x-api-v2-openapi-2.159.json";

/// The workspace this xtask belongs to.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// The shared upstream specs, derived from the workspace location rather than
/// hard-coded, so the tests work from any checkout that sits next to `shared/`.
/// `None` when they are not there: tests then cover what they can without them.
pub fn upstream_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/upstream");
    let dir = dir.canonicalize().unwrap_or(dir);
    dir.join(CURRENT_SPEC).is_file().then_some(dir)
}

/// Run the xtask binary. `XCONN_UPSTREAM_DIR` is always set explicitly so a
/// developer's environment cannot change what a test sees.
pub fn xtask(args: &[&str], upstream: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("XCONN_UPSTREAM_DIR", upstream)
        .output()
        .expect("the xtask binary runs")
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
