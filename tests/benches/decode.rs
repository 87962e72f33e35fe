//! Decoding one page of 100 connections (about 24 KiB of JSON):
//! `xconn_ext::Page::from_slice` (typed: timestamps, enums) against plain
//! `serde_json::from_slice` into a flat struct of the same fields as
//! strings. A figure to watch; the target is at most 1.5x. See BENCHMARKS.md.
//!
//! `cargo bench -p xconn-tests --bench decode`
//!
//! A third line, the generated client's wire type alone
//! (`xconn_sdk::types::GetConnectionHistoryResponse`), splits the SDK's
//! cost into "typed decode" and "conversion to `xconn_ext` types".
//!
//! Criterion times each function in turn; the ratio judged against the
//! target comes from an interleaved A/B pass afterwards (alternating
//! batches, median of the per-round ratios), which a change in the load of
//! a shared machine moves far less.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::Criterion;
use xconn_tests::pages::{FlatPage, PER_PAGE, median, page_json};

const GROUP: &str = "decode_page_100";
const TARGET: f64 = 1.5;

fn benches(c: &mut Criterion, body: &[u8]) {
    let mut group = c.benchmark_group(GROUP);
    group.throughput(criterion::Throughput::Bytes(body.len() as u64));
    group.bench_function("page_from_slice", |b| {
        b.iter(|| {
            let page = xconn_ext::Page::from_slice(black_box(body)).expect("decode");
            assert_eq!(page.connections.len(), PER_PAGE);
            page
        });
    });
    group.bench_function("sdk_wire_types", |b| {
        b.iter(|| {
            let page: xconn_sdk::types::GetConnectionHistoryResponse =
                serde_json::from_slice(black_box(body)).expect("decode");
            assert_eq!(page.data.len(), PER_PAGE);
            page
        });
    });
    group.bench_function("serde_flat", |b| {
        b.iter(|| {
            let page: FlatPage = serde_json::from_slice(black_box(body)).expect("decode");
            assert_eq!(page.data.len(), PER_PAGE);
            page
        });
    });
    group.finish();
}

/// Where criterion writes: `$CRITERION_HOME`, else `<target>/criterion`
/// (this binary is `<target>/release/deps/decode-<hash>`).
fn output_directory() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Path::new(&dir).join("criterion");
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// The median time per iteration criterion just measured, in ns.
fn median_ns(dir: &Path, function: &str) -> Option<f64> {
    let path = dir.join(GROUP).join(function).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn main() {
    let body = page_json(0, 2).into_bytes();
    let dir = output_directory();
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(4))
        .output_directory(&dir)
        .configure_from_args();
    benches(&mut criterion, &body);
    criterion.final_summary();

    // Only a real run (cargo bench passes --bench) has figures to compare.
    let filtered = std::env::args().skip(1).any(|a| !a.starts_with('-'));
    if !std::env::args().any(|a| a == "--bench") || filtered {
        return;
    }
    let medians: Vec<Option<f64>> = ["page_from_slice", "sdk_wire_types", "serde_flat"]
        .iter()
        .map(|f| median_ns(&dir, f))
        .collect();
    let [Some(sdk), Some(wire), Some(flat)] = medians[..] else {
        eprintln!("no criterion estimates under {}", dir.display());
        return;
    };
    println!();
    println!(
        "page of {PER_PAGE} connections, {} bytes; criterion medians (run one after the other):",
        body.len()
    );
    println!("| decoder | median µs | ratio to serde_flat |");
    println!("|---------|----------:|--------------------:|");
    for (name, ns) in [
        ("Page::from_slice", sdk),
        ("sdk wire types", wire),
        ("serde_json flat", flat),
    ] {
        println!("| {name} | {:.1} | {:.2} |", ns / 1e3, ns / flat);
    }
    let (sdk_us, flat_us, ratio) = interleaved(&body);
    println!();
    println!(
        "interleaved A/B ({ROUNDS} rounds of {BATCH} decodes each, median of per-round ratios): \
         Page::from_slice {sdk_us:.1} µs, serde_json flat {flat_us:.1} µs"
    );
    println!(
        "{} Page::from_slice <= {TARGET:.2}x serde_json flat: {ratio:.3}",
        if ratio <= TARGET { "PASS" } else { "MISS" }
    );
}

const ROUNDS: usize = 31;
const BATCH: usize = 200;

/// The judged ratio: batches of each decoder alternating, so that a change
/// in the machine's load hits both sides alike (criterion measures one
/// function after the other). Returns (µs per sdk decode, µs per flat
/// decode, median of the per-round ratios).
fn interleaved(body: &[u8]) -> (f64, f64, f64) {
    use std::time::Instant;
    let time = |f: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..BATCH {
            f();
        }
        start.elapsed().as_secs_f64() * 1e6 / BATCH as f64
    };
    let sdk = || {
        let page = xconn_ext::Page::from_slice(black_box(body)).expect("decode");
        black_box(page);
    };
    let flat = || {
        let page: FlatPage = serde_json::from_slice(black_box(body)).expect("decode");
        black_box(page);
    };
    let (mut s, mut f, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (a, b) = if round % 2 == 0 {
            let a = time(&sdk);
            (a, time(&flat))
        } else {
            let b = time(&flat);
            (time(&sdk), b)
        };
        s.push(a);
        f.push(b);
        r.push(a / b);
    }
    (median(&s), median(&f), median(&r))
}
