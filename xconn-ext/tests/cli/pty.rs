//! Running `xconn` on a pseudo-terminal, as an operator at a terminal runs
//! it: the prompt before a DELETE is only asked there.

use std::fs::File;
use std::io::{Read, Write};
use std::process::Stdio;
use std::sync::mpsc;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::{BOUND, SECRET};

/// What a run on a terminal gave: its exit code, its stdout (a pipe) and
/// everything the terminal showed (the prompt, the echo of what was typed,
/// stderr).
#[derive(Debug)]
pub struct TtyRun {
    pub code: Option<i32>,
    pub stdout: String,
    pub terminal: String,
}

/// Run `cmd` with a new pseudo-terminal as its stderr, and as its stdin
/// unless `stdin` gives the text to pipe there instead; `typed` is what the operator types. Checks
/// what every run must: bounded, no panic, no token shown.
pub fn run_on_tty(mut cmd: std::process::Command, stdin: Option<&str>, typed: &str) -> TtyRun {
    let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
    let slave = File::from(pty.slave);
    let mut master = File::from(pty.master);
    cmd.stderr(slave.try_clone().unwrap())
        .stdout(Stdio::piped())
        .stdin(match stdin {
            Some(_) => Stdio::piped(),
            None => Stdio::from(slave.try_clone().unwrap()),
        });
    let mut child = cmd.spawn().expect("xconn starts");
    // Only the child holds the terminal now: its exit ends the reading.
    drop(cmd);
    drop(slave);
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    master.write_all(typed.as_bytes()).unwrap();
    let reader = std::thread::spawn(move || {
        let mut shown = Vec::new();
        let mut chunk = [0u8; 4096];
        // EIO once the last holder of the terminal is gone.
        while let Ok(n @ 1..) = master.read(&mut chunk) {
            shown.extend_from_slice(&chunk[..n]);
        }
        shown
    });
    let (done, watchdog) = mpsc::channel::<()>();
    let pid = Pid::from_raw(child.id() as i32);
    std::thread::spawn(move || {
        if watchdog.recv_timeout(BOUND).is_err() {
            let _ = kill(pid, Signal::SIGKILL);
        }
    });
    let output = child.wait_with_output().expect("xconn runs");
    let _ = done.send(());
    let run = TtyRun {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        terminal: String::from_utf8_lossy(&reader.join().unwrap()).replace("\r\n", "\n"),
    };
    assert!(run.code.is_some(), "killed: {run:#?}");
    for text in [&run.stdout, &run.terminal] {
        assert!(!text.contains(SECRET), "the token was shown: {run:#?}");
        assert!(!text.contains("panicked"), "panic: {run:#?}");
    }
    run
}
