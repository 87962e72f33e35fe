//! The performance targets of the SDK and the `xconn` CLI, measured as a
//! user meets them: whole processes against a local HTTP server, in
//! interleaved rounds, each compared with a hand-written reqwest + serde
//! loop. See BENCHMARKS.md for the method and the figures.
//!
//! `cargo bench -p xconn-tests --bench pagination`
//!
//! The binary re-executes itself in roles (see `roles.rs`, `server.rs`), so
//! that every measurement is of one process doing one thing. The parent
//! starts the server, runs warm-ups, then K interleaved rounds (the
//! starting role rotates each round) and prints, for every target, the
//! median of the per-round ratios, their spread (min-max), the limit, the
//! median as a fraction of the limit, and PASS/MISS.
//!
//! Without `--bench` (as under `cargo test --benches` or `--all-targets`)
//! it runs one tiny round of each in-process role as a smoke check, without
//! the CLI, and judges nothing.
//!
//! Settings (environment): `XCONN_BENCH_ROUNDS` (default 15),
//! `XCONN_BENCH_PAGES` (default `100,1000`), `XCONN_BENCH_CLI` (path of the
//! `xconn` binary; default `target/release/xconn`, built first),
//! `XCONN_BENCH_NO_CLI=1` to skip the CLI, `XCONN_BENCH_WATCH_POLLS`
//! (default 10000: the memory run), `XCONN_BENCH_LAYERS=1` to add the
//! generated client alone, `XCONN_BENCH_CALLGRIND=1` to add instructions
//! per page counted by valgrind's callgrind, `XCONN_BENCH_NO_PIN=1` to let
//! the scheduler place the processes.

mod report;
mod roles;
mod server;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Instant;

use report::Sample;
use xconn_tests::pages::{PER_PAGE, TOKEN};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--role") {
        role(&args);
        return;
    }
    parent(args.iter().any(|a| a == "--bench"));
}

fn role(args: &[String]) {
    let role = args.get(1).map(String::as_str).unwrap_or_default();
    let opt = |name: &str| -> String {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| panic!("role {role} needs {name}"))
    };
    let number = |name: &str| -> u64 {
        opt(name)
            .parse()
            .unwrap_or_else(|_| panic!("{name}: a number"))
    };
    pin_role(role);
    match role {
        "server" => server::serve(number("--max-pages") as usize),
        "sdk" | "hand" | "raw" => roles::client(role, &opt("--url"), number("--pages") as usize),
        "hand-ndjson" => roles::hand_ndjson(&opt("--url"), number("--pages") as usize),
        "watch" => roles::watch(&opt("--url"), number("--pages") as usize, number("--polls")),
        "list-active" => {
            roles::list_active(&opt("--url"), number("--pages") as usize, number("--polls"));
        }
        "watch-mem" => roles::watch_memory(
            &opt("--url"),
            &opt("--token"),
            number("--polls"),
            number("--checkpoint"),
        ),
        "sandbox" => roles::sandbox(),
        "measure" => {
            let rest = args
                .iter()
                .position(|a| a == "--")
                .expect("measure: -- PROGRAM ARGS");
            let program = args.get(rest + 1).expect("measure: a program");
            roles::measure(
                opt("--stdout") == "capture",
                Path::new(program),
                &args[rest + 2..],
            );
        }
        other => panic!("unknown role {other}"),
    }
}

/// Exit once the parent closes our stdin (it holds it for as long as a
/// server of ours must live).
pub fn exit_when_stdin_closes() {
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
}

/// On a machine with two or more cores, the servers get the last core and
/// every client the first (a measured child inherits it from its wrapper),
/// so that the two never compete for one core and the scheduler does not
/// move them between runs: on a 2-core VM this is what keeps the ratios
/// from swinging by ±0.1 between runs. `XCONN_BENCH_NO_PIN` turns it off.
fn pin_role(role: &str) {
    use nix::sched::{CpuSet, sched_setaffinity};
    use nix::unistd::Pid;
    if std::env::var_os("XCONN_BENCH_NO_PIN").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if cores < 2 {
        return;
    }
    let core = if matches!(role, "server" | "sandbox") {
        cores - 1
    } else {
        0
    };
    let mut set = CpuSet::new();
    if set.set(core).is_ok() {
        // Best effort: a refused affinity only means noisier figures.
        let _ = sched_setaffinity(Pid::from_raw(0), &set);
    }
}

// ---------------------------------------------------------------- servers

/// A server child: the bench server or the sandbox. Ends with its stdin.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    /// What it printed first: `PORT n`, or `URL u` and `TOKEN t`.
    said: HashMap<String, String>,
}

impl Server {
    fn start(exe: &Path, args: &[&str], lines: usize) -> Self {
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start a server");
        let stdin = child.stdin.take();
        let mut out = BufReader::new(child.stdout.take().expect("server stdout"));
        let mut said = HashMap::new();
        for _ in 0..lines {
            let mut line = String::new();
            out.read_line(&mut line).expect("server output");
            let (key, value) = line
                .trim()
                .split_once(' ')
                .unwrap_or_else(|| panic!("server said {line:?}"));
            said.insert(key.to_owned(), value.to_owned());
        }
        Self { child, stdin, said }
    }

    fn url(&self, pages: usize) -> String {
        format!("http://127.0.0.1:{}/n{pages}", self.said["PORT"])
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- running

/// Run `exe args` and parse the one JSON line it prints.
fn run_json(exe: &Path, args: &[String]) -> serde_json::Value {
    let output = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {args:?}: {e}"));
    assert!(
        output.status.success(),
        "{args:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let line = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{args:?} printed {line:?}: {e}"))
}

fn sample(v: &serde_json::Value) -> Sample {
    let field = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("no {k} in {v}"));
    Sample {
        wall_ms: field("wall_ms"),
        cpu_ms: field("cpu_ms"),
        rss_kib: field("rss_kib"),
    }
}

/// Run `program args` under the `measure` role: (the whole process, its
/// stdout if captured).
fn measured(exe: &Path, capture: bool, program: &Path, args: &[String]) -> (Sample, String) {
    let mut wrapper: Vec<String> = ["--role", "measure", "--stdout"]
        .map(str::to_owned)
        .to_vec();
    wrapper.push(if capture { "capture" } else { "null" }.to_owned());
    wrapper.push("--".to_owned());
    wrapper.push(program.display().to_string());
    wrapper.extend_from_slice(args);
    let v = run_json(exe, &wrapper);
    let stdout = v["stdout"].as_str().unwrap_or_default().to_owned();
    (sample(&v), stdout)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// `target/release/xconn`, built (or checked fresh) with cargo first.
fn find_cli(exe: &Path) -> Option<PathBuf> {
    if std::env::var_os("XCONN_BENCH_NO_CLI").is_some() {
        return None;
    }
    if let Some(path) = std::env::var_os("XCONN_BENCH_CLI") {
        return Some(PathBuf::from(path));
    }
    // exe is <target>/release/deps/pagination-<hash>.
    let release = exe.parent()?.parent()?;
    let cli = release.join("xconn");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    eprintln!(
        "building the CLI: cargo build --release -p xconn-ext --features cli,sandbox --bin xconn"
    );
    let built = Command::new(cargo)
        .args(["build", "--release", "-q", "-p", "xconn-ext"])
        .args([
            "--features",
            "cli,sandbox",
            "--bin",
            "xconn",
            "--manifest-path",
        ])
        .arg(manifest)
        .env("CARGO_TARGET_DIR", release.parent()?)
        .status()
        .is_ok_and(|s| s.success());
    if !built {
        eprintln!("warning: could not build the CLI; using what is there");
    }
    cli.exists().then_some(cli)
}

// ---------------------------------------------------------------- parent

/// What one run measures.
struct Plan {
    bench: bool,
    rounds: usize,
    page_counts: Vec<usize>,
    /// Active pages of 100 a watch poll reads (10: 1,000 connections).
    watch_pages: usize,
    /// Polls per watch process, after the baseline.
    watch_polls: u64,
    /// Polls of the memory run, and when its first reading is taken.
    memory_polls: u64,
    memory_checkpoint: u64,
    layers: bool,
}

impl Plan {
    fn from_env(bench: bool) -> Self {
        let page_counts = if bench {
            std::env::var("XCONN_BENCH_PAGES")
                .unwrap_or_else(|_| "100,1000".into())
                .split(',')
                .map(|n| n.trim().parse().expect("XCONN_BENCH_PAGES: numbers"))
                .collect()
        } else {
            vec![3]
        };
        let memory_polls = if bench {
            env_or("XCONN_BENCH_WATCH_POLLS", 10_000)
        } else {
            20
        };
        Self {
            bench,
            rounds: env_or("XCONN_BENCH_ROUNDS", if bench { 15 } else { 1 }),
            page_counts,
            watch_pages: if bench { 10 } else { 2 },
            watch_polls: if bench { 20 } else { 2 },
            memory_polls,
            memory_checkpoint: (memory_polls / 10).max(1),
            layers: bench && std::env::var_os("XCONN_BENCH_LAYERS").is_some(),
        }
    }
}

fn parent(bench: bool) {
    let exe = std::env::current_exe().expect("current_exe");
    let plan = Plan::from_env(bench);
    let cli = if bench { find_cli(&exe) } else { None };
    let max_pages = *plan.page_counts.iter().max().expect("some page counts");
    let server = Server::start(
        &exe,
        &[
            "--role",
            "server",
            "--max-pages",
            &max_pages.max(plan.watch_pages).to_string(),
        ],
        1,
    );
    println!(
        "targets bench: {} rounds, pages {:?} x {PER_PAGE} connections, server {}",
        plan.rounds,
        plan.page_counts,
        server.url(0)
    );
    let started = Instant::now();
    let mut results = report::Results::default();
    listing_rounds(&exe, &server, cli.as_deref(), &plan, &mut results);
    watch_rounds(&exe, &server, &plan, &mut results);
    let instructions = if bench && std::env::var_os("XCONN_BENCH_CALLGRIND").is_some() {
        count_instructions(&exe, &server, &plan.page_counts)
    } else {
        None
    };
    drop(server);
    watch_memory(&exe, &plan, &mut results);
    if let Some(cli) = &cli {
        startup_rounds(&exe, cli, &plan, &mut results);
    }
    let verdicts = report::print(&results, &plan.page_counts);
    if let Some((lo, hi, per_page)) = instructions {
        println!();
        println!(
            "callgrind, instructions per page ((I({hi}) - I({lo})) / {}; startup cancels out):",
            hi - lo
        );
        for (role, n) in &per_page {
            println!("  {role}: {n:.0}");
        }
        if let [(_, sdk), (_, hand)] = per_page[..] {
            println!("  sdk/hand: {:.3}", sdk / hand);
        }
    }
    println!();
    if bench {
        report::print_verdicts(&verdicts);
    } else {
        println!("smoke run only (no --bench): targets not judged");
    }
    println!("measured in {:.1} s", started.elapsed().as_secs_f64());
}

/// The clients and the CLI over N pages, round after round. Each sample
/// goes under `role/proc` (the whole process, measured by its wrapper)
/// and, for the in-process clients, `role/self` too.
fn listing_rounds(
    exe: &Path,
    server: &Server,
    cli: Option<&Path>,
    plan: &Plan,
    results: &mut report::Results,
) {
    let mut roles = vec!["sdk", "hand"];
    if plan.layers || !plan.bench {
        roles.push("raw");
    }
    roles.push("hand-ndjson");
    if cli.is_some() {
        roles.extend(["cli-summary", "cli-list"]);
    }
    let run = |role: &str, pages: usize| -> (Sample, Option<Sample>) {
        let url = server.url(pages);
        let n = pages.to_string();
        match (role, cli) {
            ("cli-summary", Some(cli)) => {
                let args = strings(&["--base-url", &url, "--token", TOKEN, "summary", "-o"]);
                let (s, out) = measured(exe, true, cli, &[args, strings(&["json"])].concat());
                let summary: serde_json::Value =
                    serde_json::from_str(&out).expect("summary --format json");
                assert_eq!(summary["total"], pages * PER_PAGE, "cli summary: total");
                (s, None)
            }
            ("cli-list", Some(cli)) => {
                let args = strings(&["--base-url", &url, "--token", TOKEN, "list"]);
                let rest = strings(&["--status", "all", "--format", "ndjson"]);
                (measured(exe, false, cli, &[args, rest].concat()).0, None)
            }
            ("hand-ndjson", _) => {
                let args = strings(&["--role", role, "--url", &url, "--pages", &n]);
                (measured(exe, false, exe, &args).0, None)
            }
            _ => {
                let args = strings(&["--role", role, "--url", &url, "--pages", &n]);
                let (s, out) = measured(exe, true, exe, &args);
                let inner: serde_json::Value =
                    serde_json::from_str(out.trim()).expect("a client's JSON line");
                (s, Some(sample(&inner)))
            }
        }
    };
    // Warm-up (page cache, server threads, CPU frequency), and a check that
    // `xconn list` prints what the hand loop does, record for record.
    let warm = plan.page_counts.iter().copied().min().unwrap_or(1).min(100);
    for &role in &roles {
        run(role, warm);
    }
    if let Some(cli) = cli {
        check_list_output(exe, server, cli, warm);
    }
    for &pages in &plan.page_counts {
        for round in 0..plan.rounds {
            let mut order = roles.clone();
            order.rotate_left(round % roles.len());
            for role in order {
                let (whole, inner) = run(role, pages);
                results.push(&format!("{role}/proc"), pages, whole);
                if let Some(inner) = inner {
                    results.push(&format!("{role}/self"), pages, inner);
                }
            }
        }
    }
}

/// `xconn list -o ndjson` and the hand-written writer print the same
/// number of lines, each a JSON object with the record's id.
fn check_list_output(exe: &Path, server: &Server, cli: &Path, pages: usize) {
    let url = server.url(pages);
    let args = strings(&[
        "--base-url",
        &url,
        "--token",
        TOKEN,
        "list",
        "--status",
        "all",
        "--format",
        "ndjson",
    ]);
    let (_, cli_out) = measured(exe, true, cli, &args);
    let n = pages.to_string();
    let hand_args = strings(&["--role", "hand-ndjson", "--url", &url, "--pages", &n]);
    let (_, hand_out) = measured(exe, true, exe, &hand_args);
    let ids = |out: &str| -> Vec<String> {
        out.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("an NDJSON line");
                v["id"].as_str().expect("an id").to_owned()
            })
            .collect()
    };
    assert_eq!(
        ids(&cli_out),
        ids(&hand_out),
        "list -o ndjson vs the hand loop"
    );
    assert_eq!(ids(&cli_out).len(), pages * PER_PAGE);
}

/// A watch poll over `watch_pages` active pages against listing them.
fn watch_rounds(exe: &Path, server: &Server, plan: &Plan, results: &mut report::Results) {
    let url = server.url(plan.watch_pages);
    let (pages, polls) = (plan.watch_pages.to_string(), plan.watch_polls.to_string());
    let run = |role: &str| {
        let args = strings(&["--role", role, "--url", &url, "--pages", &pages]);
        sample(&run_json(
            exe,
            &[args, strings(&["--polls", &polls])].concat(),
        ))
    };
    run("watch");
    run("list-active");
    for round in 0..plan.rounds {
        let order = if round % 2 == 0 {
            ["watch", "list-active"]
        } else {
            ["list-active", "watch"]
        };
        for role in order {
            results.push(role, plan.watch_pages, run(role));
        }
    }
}

/// The watch's memory over many polls against the churning sandbox.
fn watch_memory(exe: &Path, plan: &Plan, results: &mut report::Results) {
    let sandbox = Server::start(exe, &["--role", "sandbox"], 2);
    let v = run_json(
        exe,
        &strings(&[
            "--role",
            "watch-mem",
            "--url",
            &sandbox.said["URL"],
            "--token",
            &sandbox.said["TOKEN"],
            "--polls",
            &plan.memory_polls.to_string(),
            "--checkpoint",
            &plan.memory_checkpoint.to_string(),
        ]),
    );
    let field = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("no {k} in {v}"));
    results.memory = Some(report::Memory {
        polls: plan.memory_polls,
        checkpoint: plan.memory_checkpoint,
        events: field("events"),
        at_checkpoint_kib: field("rss_checkpoint_kib"),
        at_end_kib: field("rss_end_kib"),
        peak_kib: field("rss_kib"),
        wall_ms: field("wall_ms"),
    });
}

/// `xconn --version` and `xconn endpoints`, start to exit.
fn startup_rounds(exe: &Path, cli: &Path, plan: &Plan, results: &mut report::Results) {
    let commands: [(&str, &[&str]); 2] = [
        ("cli --version", &["--version"]),
        ("cli endpoints", &["endpoints"]),
    ];
    for (_, args) in commands {
        measured(exe, false, cli, &strings(args));
    }
    for round in 0..plan.rounds {
        for i in 0..commands.len() {
            let (name, args) = commands[(i + round) % commands.len()];
            results.push(name, 0, measured(exe, false, cli, &strings(args)).0);
        }
    }
}

/// (fewest pages, most pages, instructions per page of each client).
type InstructionCounts = (usize, usize, Vec<(&'static str, f64)>);

/// Instructions one page costs each client, counted by callgrind: a figure
/// that the load of a shared machine does not move.
fn count_instructions(
    exe: &Path,
    server: &Server,
    page_counts: &[usize],
) -> Option<InstructionCounts> {
    let (lo, hi) = (*page_counts.iter().min()?, *page_counts.iter().max()?);
    if lo == hi {
        return None;
    }
    let total = |role: &str, pages: usize| -> Option<f64> {
        let output = Command::new("valgrind")
            .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
            .arg(exe)
            .args(["--role", role, "--url", &server.url(pages)])
            .args(["--pages", &pages.to_string()])
            .stdin(Stdio::null())
            .output()
            .ok()?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let line = stderr.lines().find(|l| l.contains("Collected :"))?;
        line.rsplit(':')
            .next()?
            .trim()
            .replace(',', "")
            .parse()
            .ok()
    };
    eprintln!("counting instructions under callgrind (slow)...");
    let mut per_page = Vec::new();
    for role in ["sdk", "hand"] {
        let Some(n) = total(role, hi)
            .zip(total(role, lo))
            .map(|(h, l)| (h - l) / (hi - lo) as f64)
        else {
            eprintln!("warning: valgrind --tool=callgrind did not run; no instruction counts");
            return None;
        };
        per_page.push((role, n));
    }
    Some((lo, hi, per_page))
}
