//! Pagination through N pages of 100 connections from a local HTTP server:
//! the SDK's `stream()` against a hand-written reqwest + serde loop, and the
//! `xconn summary` CLI as a whole process. See BENCHMARKS.md.
//!
//! `cargo bench -p xconn-tests --bench pagination`
//!
//! The binary re-executes itself in roles, so that every measurement is of
//! one process doing one thing:
//!
//! - `--role server --max-pages M`: a minimal HTTP/1.1 server on
//!   127.0.0.1:0 (a thread per connection, keep-alive, precomputed
//!   responses) serving chains of pages under `/n<N>/2/connections`; it
//!   prints `PORT <port>` and exits when its stdin closes;
//! - `--role sdk|hand --url U --pages N`: one client run, measuring itself
//!   (wall clock, CPU user+sys and peak RSS from `getrusage(RUSAGE_SELF)`)
//!   and printing one JSON line;
//! - `--role cli --exe X --url U --pages N`: runs `xconn summary` once and
//!   measures it from outside (`getrusage(RUSAGE_CHILDREN)` of this wrapper,
//!   whose only child it is).
//!
//! The parent starts the server, runs warm-ups, then K interleaved rounds per
//! N (the order of sdk/hand alternates each round) and prints medians, the
//! median of the per-round sdk/hand ratios, and PASS/MISS per target.
//! Without `--bench` (as under `cargo test --benches`) it only runs one tiny
//! round as a smoke check and judges nothing.
//!
//! Settings (environment): `XCONN_BENCH_ROUNDS` (default 9),
//! `XCONN_BENCH_PAGES` (default `100,1000`), `XCONN_BENCH_CLI` (path of the
//! `xconn` binary; default `target/release/xconn`, built first when
//! `cargo` is at hand), `XCONN_BENCH_NO_CLI=1` to skip the CLI,
//! `XCONN_BENCH_CALLGRIND=1` to add instructions per page counted by
//! valgrind's callgrind (unmoved by the load of a shared machine; ~1 min).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::resource::{Usage, UsageWho, getrusage};
use xconn_tests::pages::{FlatPage, PER_PAGE, TOKEN, median, page_json, token};

const CPU_TARGET: f64 = 1.10;
const WALL_TARGET: f64 = 1.10;
const RSS_TARGET: f64 = 1.25;
/// "Flat": peak RSS at the most pages at most this much above the fewest.
const FLAT_TARGET: f64 = 1.10;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--role") {
        let role = args.get(1).map(String::as_str).unwrap_or_default();
        let opt = |name: &str| -> String {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .cloned()
                .unwrap_or_else(|| panic!("role {role} needs {name}"))
        };
        pin_role(role);
        match role {
            "server" => serve(opt("--max-pages").parse().expect("--max-pages")),
            "sdk" | "hand" | "raw" => client_role(role, &opt("--url"), pages_arg(&opt("--pages"))),
            "cli" => cli_role(
                Path::new(&opt("--exe")),
                &opt("--url"),
                pages_arg(&opt("--pages")),
            ),
            other => panic!("unknown role {other}"),
        }
        return;
    }
    parent(args.iter().any(|a| a == "--bench"));
}

/// On a machine with two or more cores, the server gets the last core and
/// every client the first, so that the two never compete for one core and
/// the scheduler does not move them between runs: on a 2-core VM this is
/// what keeps the sdk/hand ratio from swinging by ±0.1 between runs.
/// `XCONN_BENCH_NO_PIN` turns it off.
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
    let core = if role == "server" { cores - 1 } else { 0 };
    let mut set = CpuSet::new();
    if set.set(core).is_ok() {
        // Best effort: a refused affinity only means noisier figures.
        let _ = sched_setaffinity(Pid::from_raw(0), &set);
    }
}

fn pages_arg(s: &str) -> usize {
    s.parse().expect("--pages N")
}

// ---------------------------------------------------------------- server

struct Pages {
    /// `with_next[i]`: page i with `next_token` (the chain goes on).
    with_next: Vec<Vec<u8>>,
    /// `last[i]`: page i without `next_token` (the last page of an i+1 chain).
    last: Vec<Vec<u8>>,
    index_of: HashMap<String, usize>,
    authorization: String,
}

fn http_response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json; charset=utf-8\r\n\
         content-length: {}\r\nx-rate-limit-limit: 450\r\nx-rate-limit-remaining: 449\r\n\
         x-rate-limit-reset: 4102444800\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn serve(max_pages: usize) {
    let pages = Arc::new(Pages {
        with_next: (0..max_pages)
            .map(|i| http_response("200 OK", &page_json(i, usize::MAX)))
            .collect(),
        last: (0..max_pages)
            .map(|i| http_response("200 OK", &page_json(i, i + 1)))
            .collect(),
        index_of: (1..max_pages).map(|i| (token(i), i)).collect(),
        authorization: format!("Bearer {TOKEN}"),
    });
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local_addr").port();
    // Exit with the parent: it holds our stdin.
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    println!("PORT {port}");
    std::io::stdout().flush().expect("flush");
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let pages = Arc::clone(&pages);
        std::thread::spawn(move || {
            let _ = handle(stream, &pages);
        });
    }
}

fn handle(mut stream: TcpStream, pages: &Pages) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        let end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            if buf.len() > 64 * 1024 {
                return Ok(());
            }
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        match route(&head, pages) {
            Ok(response) => stream.write_all(response)?,
            Err(response) => {
                stream.write_all(&response)?;
                return Ok(());
            }
        }
    }
}

/// The response for one request head, or an error response (then close).
fn route<'p>(head: &str, pages: &'p Pages) -> Result<&'p [u8], Vec<u8>> {
    let problem = |status: &str, detail: &str| {
        http_response(
            status,
            &format!(
                "{{\"title\":\"Invalid Request\",\"detail\":\"{detail}\",\"type\":\"about:blank\"}}"
            ),
        )
    };
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (method, target) = (request_line.next(), request_line.next().unwrap_or_default());
    if method != Some("GET") {
        return Err(problem("405 Method Not Allowed", "GET only"));
    }
    let authorized = lines.any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("authorization") && value.trim() == pages.authorization
        })
    });
    if !authorized {
        return Err(problem("401 Unauthorized", "bearer token required"));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let chain: usize = path
        .strip_prefix("/n")
        .and_then(|rest| rest.strip_suffix("/2/connections"))
        .and_then(|n| n.parse().ok())
        .filter(|&n| n >= 1 && n <= pages.last.len())
        .ok_or_else(|| problem("404 Not Found", "no such chain"))?;
    let (mut max_results, mut status, mut index) = (None, None, 0);
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("max_results", v)) => max_results = Some(v),
            Some(("status", v)) => status = Some(v),
            Some(("pagination_token", v)) => {
                index = *pages
                    .index_of
                    .get(v)
                    .ok_or_else(|| problem("400 Bad Request", "unknown pagination_token"))?;
            }
            _ => {}
        }
    }
    if max_results != Some("100") || status != Some("all") {
        return Err(problem(
            "400 Bad Request",
            "expected max_results=100&status=all",
        ));
    }
    if index >= chain {
        return Err(problem("400 Bad Request", "token beyond the chain"));
    }
    Ok(if index + 1 == chain {
        &pages.last[index]
    } else {
        &pages.with_next[index]
    })
}

// ---------------------------------------------------------------- clients

fn cpu_ms(usage: &Usage) -> f64 {
    let ms = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 * 1e3 + tv.tv_usec() as f64 / 1e3;
    ms(usage.user_time()) + ms(usage.system_time())
}

fn client_role(role: &str, url: &str, pages: usize) {
    let cpu0 = cpu_ms(&getrusage(UsageWho::RUSAGE_SELF).expect("getrusage"));
    let start = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (count, checksum) = match role {
        "sdk" => runtime.block_on(sdk_loop(url)),
        "raw" => runtime.block_on(raw_loop(url)),
        _ => runtime.block_on(hand_loop(url)),
    };
    drop(runtime);
    let wall_ms = start.elapsed().as_secs_f64() * 1e3;
    let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    assert_eq!(count, pages * PER_PAGE, "{role}: connections received");
    println!(
        "{{\"role\":\"{role}\",\"pages\":{pages},\"connections\":{count},\"checksum\":{checksum},\
         \"wall_ms\":{wall_ms:.3},\"cpu_ms\":{:.3},\"rss_kib\":{}}}",
        cpu_ms(&usage) - cpu0,
        usage.max_rss()
    );
}

/// The SDK as a user would write it.
async fn sdk_loop(url: &str) -> (usize, usize) {
    use futures::TryStreamExt;
    let client = xconn_ext::Client::builder()
        .bearer_token(TOKEN)
        .base_url(url)
        .build()
        .expect("client");
    let mut connections = client
        .connections()
        .status(xconn_ext::ConnectionStatus::All)
        .max_results(100)
        .stream();
    let (mut count, mut checksum) = (0, 0);
    while let Some(connection) = connections.try_next().await.expect("sdk page") {
        count += 1;
        checksum += connection.id.as_deref().map_or(0, str::len);
    }
    (count, checksum)
}

/// Only the generated client (`xconn_sdk`, with the hooks and body cap the
/// typed client configures), following `meta.next_token` by hand: the layer
/// under `sdk`, so that `raw/hand` and `sdk/raw` split the SDK's cost
/// between the generated code and the typed layer.
async fn raw_loop(base_url: &str) -> (usize, usize) {
    use xconn_sdk::types::GetConnectionHistoryStatus;
    let credentials = xconn_sdk::Credentials::bearer(TOKEN).expect("token");
    let options = xconn_sdk::ClientOptions::new(credentials).with_max_response_bytes(8 << 20);
    let sdk = xconn_sdk::Client::new_with_client(base_url, reqwest::Client::new(), options);
    let mut next: Option<String> = None;
    let (mut count, mut checksum) = (0, 0);
    loop {
        let mut request = sdk
            .get_connection_history()
            .status(GetConnectionHistoryStatus::All)
            .max_results(std::num::NonZeroU32::new(100).expect("100"));
        if let Some(token) = next.take() {
            request = request.pagination_token(token);
        }
        let page = request.send().await.expect("raw request").into_inner();
        for connection in &page.data {
            count += 1;
            checksum += connection.id.as_deref().map_or(0, str::len);
        }
        match page.meta.and_then(|meta| meta.next_token) {
            Some(token) if !token.is_empty() => next = Some(token),
            _ => break,
        }
    }
    (count, checksum)
}

/// The honest fastest simple loop: one reused reqwest client, the same
/// query and bearer header, the whole body then `serde_json::from_slice`
/// into plain strings, following `meta.next_token`.
async fn hand_loop(base_url: &str) -> (usize, usize) {
    let http = reqwest::Client::new();
    let url = format!("{base_url}/2/connections");
    let authorization = format!("Bearer {TOKEN}");
    let mut next: Option<String> = None;
    let (mut count, mut checksum) = (0, 0);
    loop {
        let mut request = http
            .get(&url)
            .header(reqwest::header::AUTHORIZATION, &authorization)
            .query(&[("status", "all"), ("max_results", "100")]);
        if let Some(token) = &next {
            request = request.query(&[("pagination_token", token)]);
        }
        let body = request
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("hand request")
            .bytes()
            .await
            .expect("hand body");
        let page: FlatPage = serde_json::from_slice(&body).expect("hand decode");
        for connection in &page.data {
            count += 1;
            checksum += connection.id.as_deref().map_or(0, str::len);
        }
        match page.meta.next_token {
            Some(token) if !token.is_empty() => next = Some(token),
            _ => break,
        }
    }
    (count, checksum)
}

fn cli_role(exe: &Path, url: &str, pages: usize) {
    let before = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let start = Instant::now();
    let output = Command::new(exe)
        .args([
            "--base-url",
            url,
            "--token",
            TOKEN,
            "summary",
            "--format",
            "json",
        ])
        .env_remove("X_API_BASE_URL")
        .env_remove("X_BEARER_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run xconn");
    let wall_ms = start.elapsed().as_secs_f64() * 1e3;
    let after = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    assert!(
        output.status.success(),
        "xconn summary failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("summary --format json");
    let total = summary["total"].as_u64().expect("summary.total") as usize;
    assert_eq!(total, pages * PER_PAGE, "cli: connections summarised");
    println!(
        "{{\"role\":\"cli\",\"pages\":{pages},\"connections\":{total},\"checksum\":0,\
         \"wall_ms\":{wall_ms:.3},\"cpu_ms\":{:.3},\"rss_kib\":{}}}",
        cpu_ms(&after) - cpu_ms(&before),
        after.max_rss()
    );
}

// ---------------------------------------------------------------- parent

#[derive(Clone, Copy, Debug)]
struct Sample {
    wall_ms: f64,
    cpu_ms: f64,
    rss_kib: f64,
}

struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
}

impl Server {
    fn start(exe: &Path, max_pages: usize) -> Self {
        let mut child = Command::new(exe)
            .args(["--role", "server", "--max-pages", &max_pages.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the bench server");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("server stdout"))
            .read_line(&mut line)
            .expect("server port");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("server said {line:?}"));
        Self { child, stdin, port }
    }

    fn url(&self, pages: usize) -> String {
        format!("http://127.0.0.1:{}/n{pages}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_role(exe: &Path, role: &str, url: &str, pages: usize, cli: Option<&Path>) -> Sample {
    let mut command = Command::new(exe);
    command.args(["--role", role, "--url", url, "--pages", &pages.to_string()]);
    if let Some(cli) = cli {
        command.arg("--exe").arg(cli);
    }
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {role}: {e}"));
    assert!(
        output.status.success(),
        "{role} ({pages} pages) failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let line = String::from_utf8_lossy(&output.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim())
        .unwrap_or_else(|e| panic!("{role} printed {line:?}: {e}"));
    let field = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{role}: no {k}"));
    Sample {
        wall_ms: field("wall_ms"),
        cpu_ms: field("cpu_ms"),
        rss_kib: field("rss_kib"),
    }
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

struct Results {
    /// (role, pages) -> samples
    samples: HashMap<(&'static str, usize), Vec<Sample>>,
    /// pages -> per-round sdk/hand ratios (wall, cpu, rss)
    ratios: HashMap<usize, Vec<(f64, f64, f64)>>,
    /// pages -> per-round CPU ratios (raw/hand, sdk/raw), with `raw` run
    layers: HashMap<usize, Vec<(f64, f64)>>,
}

fn parent(bench: bool) {
    let exe = std::env::current_exe().expect("current_exe");
    let rounds: usize = env_or("XCONN_BENCH_ROUNDS", if bench { 15 } else { 1 });
    let page_counts: Vec<usize> = if bench {
        std::env::var("XCONN_BENCH_PAGES")
            .unwrap_or_else(|_| "100,1000".into())
            .split(',')
            .map(|n| n.trim().parse().expect("XCONN_BENCH_PAGES: numbers"))
            .collect()
    } else {
        vec![3]
    };
    let max_pages = *page_counts.iter().max().expect("some page counts");
    let cli = if bench { find_cli(&exe) } else { None };
    let server = Server::start(&exe, max_pages);
    println!(
        "pagination bench: {rounds} rounds, pages {page_counts:?} x {PER_PAGE} connections, server 127.0.0.1:{}",
        server.port
    );

    let mut roles: Vec<&'static str> = vec!["sdk", "hand"];
    if !bench || std::env::var_os("XCONN_BENCH_LAYERS").is_some() {
        roles.push("raw");
    }
    if cli.is_some() {
        roles.push("cli");
    }
    let run =
        |role: &str, pages: usize| run_role(&exe, role, &server.url(pages), pages, cli.as_deref());
    // Warm-up: page cache, server threads, CPU frequency.
    for &role in &roles {
        run(role, max_pages.min(100));
    }
    let mut results = Results {
        samples: HashMap::new(),
        ratios: HashMap::new(),
        layers: HashMap::new(),
    };
    let started = Instant::now();
    for &pages in &page_counts {
        for round in 0..rounds {
            let mut order = roles.clone();
            order.rotate_left(round % roles.len());
            let mut this_round = HashMap::new();
            for role in order {
                let sample = run(role, pages);
                this_round.insert(role, sample);
                results
                    .samples
                    .entry((role, pages))
                    .or_default()
                    .push(sample);
            }
            let (s, h) = (this_round["sdk"], this_round["hand"]);
            results.ratios.entry(pages).or_default().push((
                s.wall_ms / h.wall_ms,
                s.cpu_ms / h.cpu_ms,
                s.rss_kib / h.rss_kib,
            ));
            if let Some(r) = this_round.get("raw") {
                let layers = (r.cpu_ms / h.cpu_ms, s.cpu_ms / r.cpu_ms);
                results.layers.entry(pages).or_default().push(layers);
            }
        }
    }
    let took = started.elapsed();
    let instructions = if bench && std::env::var_os("XCONN_BENCH_CALLGRIND").is_some() {
        count_instructions(&exe, &server, &page_counts)
    } else {
        None
    };
    drop(server);
    report(&results, &page_counts, &roles, bench, took);
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

fn report(
    results: &Results,
    page_counts: &[usize],
    roles: &[&'static str],
    bench: bool,
    took: Duration,
) {
    let med = |role: &'static str, pages: usize, f: fn(&Sample) -> f64| {
        median(
            &results.samples[&(role, pages)]
                .iter()
                .map(f)
                .collect::<Vec<_>>(),
        )
    };
    println!();
    println!("| pages | client | wall ms | CPU ms | peak RSS MiB | µs CPU/page |");
    println!("|------:|--------|--------:|-------:|-------------:|------------:|");
    for &pages in page_counts {
        for &role in roles {
            let (wall, cpu, rss) = (
                med(role, pages, |s| s.wall_ms),
                med(role, pages, |s| s.cpu_ms),
                med(role, pages, |s| s.rss_kib),
            );
            println!(
                "| {pages} | {role} | {wall:.1} | {cpu:.1} | {:.2} | {:.0} |",
                rss / 1024.0,
                cpu * 1e3 / pages as f64
            );
        }
    }
    println!();
    println!("| pages | sdk/hand wall | sdk/hand CPU | sdk/hand peak RSS |");
    println!("|------:|--------------:|-------------:|------------------:|");
    let mut verdicts = Vec::new();
    for &pages in page_counts {
        let r = &results.ratios[&pages];
        let pick = |f: fn(&(f64, f64, f64)) -> f64| median(&r.iter().map(f).collect::<Vec<_>>());
        let (wall, cpu, rss) = (pick(|r| r.0), pick(|r| r.1), pick(|r| r.2));
        println!("| {pages} | {wall:.3} | {cpu:.3} | {rss:.3} |");
        verdicts.push((
            format!("SDK CPU <= {CPU_TARGET:.2}x hand ({pages} pages)"),
            cpu,
            cpu <= CPU_TARGET,
        ));
        verdicts.push((
            format!("SDK wall <= {WALL_TARGET:.2}x hand ({pages} pages)"),
            wall,
            wall <= WALL_TARGET,
        ));
        verdicts.push((
            format!("SDK peak RSS <= {RSS_TARGET:.2}x hand ({pages} pages)"),
            rss,
            rss <= RSS_TARGET,
        ));
    }
    if !results.layers.is_empty() {
        println!();
        println!("| pages | raw/hand CPU (generated client) | sdk/raw CPU (typed layer) |");
        println!("|------:|-------------------------------:|--------------------------:|");
        for &pages in page_counts {
            let r = &results.layers[&pages];
            let pick = |f: fn(&(f64, f64)) -> f64| median(&r.iter().map(f).collect::<Vec<_>>());
            println!("| {pages} | {:.3} | {:.3} |", pick(|r| r.0), pick(|r| r.1));
        }
    }
    let (lo, hi) = (
        *page_counts.iter().min().expect("pages"),
        *page_counts.iter().max().expect("pages"),
    );
    if lo != hi {
        for &role in roles {
            let growth = med(role, hi, |s| s.rss_kib) / med(role, lo, |s| s.rss_kib);
            let delta = (med(role, hi, |s| s.rss_kib) - med(role, lo, |s| s.rss_kib)) / 1024.0;
            println!("peak RSS {role}: {hi} pages / {lo} pages = {growth:.3} ({delta:+.2} MiB)");
            if role == "sdk" {
                verdicts.push((
                    format!("SDK peak RSS flat: {hi} vs {lo} pages <= {FLAT_TARGET:.2}x"),
                    growth,
                    growth <= FLAT_TARGET,
                ));
            }
        }
    }
    println!();
    if bench {
        for (what, value, ok) in &verdicts {
            println!("{} {what}: {value:.3}", if *ok { "PASS" } else { "MISS" });
        }
    } else {
        println!("smoke run only (no --bench): targets not judged");
    }
    println!("measured in {:.1} s", took.as_secs_f64());
}
