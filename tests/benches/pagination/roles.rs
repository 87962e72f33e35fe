//! What each child process of the bench does (`--role NAME`). A client
//! role runs on a tokio current-thread runtime, checks what it received,
//! and prints one JSON line of what it measured itself (wall clock, CPU
//! user+sys and peak RSS from `getrusage(RUSAGE_SELF)`), except the NDJSON
//! writer, whose stdout is the data.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::BoxFuture;
use nix::sys::resource::{Usage, UsageWho, getrusage};
use xconn_tests::pages::{FlatPage, PER_PAGE, TOKEN};

pub fn cpu_ms(usage: &Usage) -> f64 {
    let ms = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 * 1e3 + tv.tv_usec() as f64 / 1e3;
    ms(usage.user_time()) + ms(usage.system_time())
}

fn self_cpu_ms() -> f64 {
    cpu_ms(&getrusage(UsageWho::RUSAGE_SELF).expect("getrusage"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// `sdk`, `hand`, `raw`: one listing of `pages` pages, measured from the
/// start of `main`'s work (the runtime included) to its end.
pub fn client(role: &str, url: &str, pages: usize) {
    let cpu0 = self_cpu_ms();
    let start = Instant::now();
    let runtime = runtime();
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
/// into plain strings, following `meta.next_token`. `each` sees every
/// page.
async fn hand_pages(base_url: &str, mut each: impl FnMut(FlatPage)) {
    let http = reqwest::Client::new();
    let url = format!("{base_url}/2/connections");
    let authorization = format!("Bearer {TOKEN}");
    let mut next: Option<String> = None;
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
        let mut page: FlatPage = serde_json::from_slice(&body).expect("hand decode");
        next = page.meta.next_token.take().filter(|t| !t.is_empty());
        each(page);
        if next.is_none() {
            return;
        }
    }
}

async fn hand_loop(base_url: &str) -> (usize, usize) {
    let (mut count, mut checksum) = (0, 0);
    hand_pages(base_url, |page| {
        for connection in &page.data {
            count += 1;
            checksum += connection.id.as_deref().map_or(0, str::len);
        }
    })
    .await;
    (count, checksum)
}

/// `hand-ndjson`: the hand loop, writing one JSON line per record to a
/// buffered stdout (what `xconn list -o ndjson` is compared with). Measured
/// from outside only.
pub fn hand_ndjson(url: &str, pages: usize) {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut count = 0;
    runtime().block_on(hand_pages(url, |page| {
        for connection in &page.data {
            serde_json::to_writer(&mut out, connection).expect("write a record");
            out.write_all(b"\n").expect("write a record");
            count += 1;
        }
    }));
    out.flush().expect("flush stdout");
    assert_eq!(count, pages * PER_PAGE, "hand-ndjson: records written");
}

/// A sleep that returns at once: the watch polls back to back.
#[derive(Debug)]
struct NoSleep;

impl xconn_ext::Sleep for NoSleep {
    fn sleep(&self, _: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

fn watch_client(url: &str, token: &str) -> xconn_ext::Client {
    xconn_ext::Client::builder()
        .bearer_token(token)
        .base_url(url)
        .build()
        .expect("client")
}

/// A watch that polls back to back: no interval is slept.
fn back_to_back(
    client: &xconn_ext::Client,
) -> futures::stream::BoxStream<'static, Result<xconn_ext::WatchEvent, xconn_ext::Error>> {
    client
        .watch()
        .interval(Duration::from_millis(1))
        .sleep_impl(Arc::new(NoSleep))
        .stream()
}

/// `watch`: the baseline poll, then `polls` polls over the active chain of
/// `pages` pages, measuring those polls only.
pub fn watch(url: &str, pages: usize, polls: u64) {
    let client = watch_client(url, TOKEN);
    let (mut cpu0, mut start) = (0.0, Instant::now());
    runtime().block_on(async {
        let mut events = back_to_back(&client);
        while let Some(event) = events.next().await {
            match event.expect("watch") {
                xconn_ext::WatchEvent::Polled(summary) => {
                    let active: u64 = summary.active.values().sum();
                    assert_eq!(active as usize, pages * PER_PAGE, "watch: active");
                    if summary.poll == 0 {
                        (cpu0, start) = (self_cpu_ms(), Instant::now());
                    }
                    if summary.poll == polls {
                        return;
                    }
                }
                xconn_ext::WatchEvent::Connection(event) if is_baseline_event(&event) => {}
                other => panic!("watch: a quiet poll reported {other:?}"),
            }
        }
        panic!("the watch ended");
    });
    print_per_round("watch", cpu0, start, polls);
}

/// Only the baseline reports connections (`active`) in a quiet state.
fn is_baseline_event(event: &xconn_ext::ConnectionEvent) -> bool {
    event.kind == xconn_ext::EventKind::Active
}

/// `list-active`: what a watch poll is compared with: the SDK listing the
/// same active connections (all fields, 100 a page), once to warm up, then
/// `polls` times, measuring those.
pub fn list_active(url: &str, pages: usize, polls: u64) {
    let client = watch_client(url, TOKEN);
    let (mut cpu0, mut start) = (0.0, Instant::now());
    runtime().block_on(async {
        for round in 0..=polls {
            if round == 1 {
                (cpu0, start) = (self_cpu_ms(), Instant::now());
            }
            let mut connections = client
                .connections()
                .status(xconn_ext::ConnectionStatus::Active)
                .fields(xconn_ext::ConnectionField::ALL.iter().cloned())
                .max_results(100)
                .stream();
            let mut count = 0;
            while let Some(connection) = connections.next().await {
                connection.expect("list");
                count += 1;
            }
            assert_eq!(count, pages * PER_PAGE, "list-active: connections");
        }
    });
    print_per_round("list-active", cpu0, start, polls);
}

fn print_per_round(role: &str, cpu0: f64, start: Instant, rounds: u64) {
    let wall_ms = start.elapsed().as_secs_f64() * 1e3;
    let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    println!(
        "{{\"role\":\"{role}\",\"wall_ms\":{:.4},\"cpu_ms\":{:.4},\"rss_kib\":{}}}",
        wall_ms / rounds as f64,
        (cpu_ms(&usage) - cpu0) / rounds as f64,
        usage.max_rss()
    );
}

/// The resident set now, in KiB (`/proc/self/statm`), unlike `ru_maxrss`
/// able to go down.
fn rss_now_kib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("statm resident");
    pages * 4.0
}

/// `watch-mem`: a watch against the churning sandbox for `polls` polls;
/// the resident set after `checkpoint` polls and at the end.
pub fn watch_memory(url: &str, token: &str, polls: u64, checkpoint: u64) {
    let client = watch_client(url, token);
    let (mut at_checkpoint, mut events_seen) = (0.0, 0u64);
    let start = Instant::now();
    runtime().block_on(async {
        let mut events = back_to_back(&client);
        while let Some(event) = events.next().await {
            match event.expect("watch") {
                xconn_ext::WatchEvent::Polled(summary) if summary.poll == checkpoint => {
                    at_checkpoint = rss_now_kib();
                }
                xconn_ext::WatchEvent::Polled(summary) if summary.poll == polls => return,
                xconn_ext::WatchEvent::Connection(_) => events_seen += 1,
                _ => {}
            }
        }
        panic!("the watch ended");
    });
    let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    println!(
        "{{\"role\":\"watch-mem\",\"polls\":{polls},\"events\":{events_seen},\
         \"rss_checkpoint_kib\":{at_checkpoint},\"rss_end_kib\":{},\"rss_kib\":{},\
         \"wall_ms\":{:.1}}}",
        rss_now_kib(),
        usage.max_rss(),
        start.elapsed().as_secs_f64() * 1e3
    );
}

/// `sandbox`: the library's sandbox, churning, in a process of its own (its
/// history grows with time, which must not count against the watch).
pub fn sandbox() {
    use xconn_ext::sandbox::{Churn, Sandbox, SandboxConfig};
    let runtime = runtime();
    runtime.block_on(async {
        let sandbox = Sandbox::start(SandboxConfig::default().churn(Churn::default()))
            .await
            .expect("start the sandbox");
        println!("URL {}\nTOKEN {}", sandbox.base_url(), sandbox.token());
        std::io::stdout().flush().expect("flush");
        crate::exit_when_stdin_closes();
        std::future::pending::<()>().await;
    });
}

/// `measure --stdout capture|null -- PROGRAM ARGS...`: run PROGRAM as this
/// process's only child and print its wall time, CPU time (user + sys) and
/// peak RSS from `getrusage(RUSAGE_CHILDREN)`, with its stdout when asked.
pub fn measure(capture: bool, program: &Path, args: &[String]) {
    let before = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let start = Instant::now();
    let output = Command::new(program)
        .args(args)
        .env_remove("X_API_BASE_URL")
        .env_remove("X_BEARER_TOKEN")
        .env_remove("X_BEARER_TOKEN_FILE")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(if capture {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .output()
        .expect("run the measured program");
    let wall_ms = start.elapsed().as_secs_f64() * 1e3;
    let after = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    assert!(
        output.status.success(),
        "{} {args:?} failed: {}\n{}",
        program.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let line = serde_json::json!({
        "wall_ms": wall_ms,
        "cpu_ms": cpu_ms(&after) - cpu_ms(&before),
        "rss_kib": after.max_rss(),
        "stdout": String::from_utf8_lossy(&output.stdout),
    });
    println!("{line}");
}
