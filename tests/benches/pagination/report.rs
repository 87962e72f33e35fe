//! The figures of a run: samples per process and page count, the targets
//! they are judged against, and the tables printed.

use std::collections::BTreeMap;

use xconn_tests::pages::median;

/// Issue 13's limits (see BENCHMARKS.md, "Targets").
const CLI_SUMMARY_CPU: f64 = 1.10;
const CLI_SUMMARY_WALL: f64 = 1.10;
const CLI_SUMMARY_RSS: f64 = 1.25;
/// Peak RSS at the most pages over the fewest: grows by less than 5%.
const CLI_SUMMARY_RSS_GROWTH: f64 = 1.05;
const CLI_LIST_CPU: f64 = 1.20;
const SDK_CPU: f64 = 1.05;
const SDK_WALL: f64 = 1.10;
const SDK_RSS: f64 = 1.25;
const WATCH_POLL_CPU: f64 = 1.10;
/// "Flat": the resident set at the end over the one at the checkpoint.
const WATCH_MEMORY_GROWTH: f64 = 1.05;
const STARTUP_CPU_MS: f64 = 5.0;

#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub wall_ms: f64,
    pub cpu_ms: f64,
    pub rss_kib: f64,
}

/// The watch's memory run.
pub struct Memory {
    pub polls: u64,
    pub checkpoint: u64,
    pub events: f64,
    pub at_checkpoint_kib: f64,
    pub at_end_kib: f64,
    pub peak_kib: f64,
    pub wall_ms: f64,
}

#[derive(Default)]
pub struct Results {
    /// (process, pages) -> one sample per round, in round order.
    samples: BTreeMap<(String, usize), Vec<Sample>>,
    pub memory: Option<Memory>,
}

impl Results {
    pub fn push(&mut self, what: &str, pages: usize, sample: Sample) {
        self.samples
            .entry((what.to_owned(), pages))
            .or_default()
            .push(sample);
    }

    fn get(&self, what: &str, pages: usize) -> Option<&[Sample]> {
        self.samples
            .get(&(what.to_owned(), pages))
            .map(Vec::as_slice)
    }

    /// Per-round ratios `a/b` of one field (the same round index is the
    /// same round: every process runs once a round).
    fn ratios(&self, a: &str, b: &str, pages: usize, field: fn(&Sample) -> f64) -> Vec<f64> {
        match (self.get(a, pages), self.get(b, pages)) {
            (Some(a), Some(b)) => a.iter().zip(b).map(|(a, b)| field(a) / field(b)).collect(),
            _ => Vec::new(),
        }
    }
}

/// One target: a figure's median over the rounds, its spread, its limit.
pub struct Verdict {
    item: &'static str,
    what: String,
    median: f64,
    min: f64,
    max: f64,
    limit: f64,
    /// `true`: the figure must stay below the limit, not reach it.
    strict: bool,
}

impl Verdict {
    fn new(item: &'static str, what: String, values: &[f64], limit: f64, strict: bool) -> Self {
        let (min, max) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        Self {
            item,
            what,
            median: median(values),
            min,
            max,
            limit,
            strict,
        }
    }

    fn met(&self) -> bool {
        if self.strict {
            self.median < self.limit
        } else {
            self.median <= self.limit
        }
    }
}

fn cpu(s: &Sample) -> f64 {
    s.cpu_ms
}
fn wall(s: &Sample) -> f64 {
    s.wall_ms
}
fn rss(s: &Sample) -> f64 {
    s.rss_kib
}

fn med(samples: &[Sample], field: fn(&Sample) -> f64) -> f64 {
    median(&samples.iter().map(field).collect::<Vec<_>>())
}

/// Print the tables; the verdicts to print last.
pub fn print(results: &Results, page_counts: &[usize]) -> Vec<Verdict> {
    println!();
    println!("Medians over the rounds (proc: the whole process, measured by its wrapper;");
    println!("self: measured inside the process, from the runtime's start to the end):");
    println!();
    println!("| pages | process | wall ms | CPU ms | peak RSS MiB | µs CPU/page |");
    println!("|------:|---------|--------:|-------:|-------------:|------------:|");
    for &pages in page_counts {
        for ((what, p), samples) in &results.samples {
            if *p != pages {
                continue;
            }
            let c = med(samples, cpu);
            println!(
                "| {pages} | {what} | {:.1} | {c:.1} | {:.2} | {:.0} |",
                med(samples, wall),
                med(samples, rss) / 1024.0,
                c * 1e3 / pages as f64
            );
        }
    }
    let mut verdicts = Vec::new();
    let (lo, hi) = (
        *page_counts.iter().min().expect("pages"),
        *page_counts.iter().max().expect("pages"),
    );
    // 1. `xconn summary` against the hand loop, whole processes.
    for &pages in page_counts {
        for (field, name, limit) in [
            (cpu as fn(&Sample) -> f64, "CPU", CLI_SUMMARY_CPU),
            (wall, "wall", CLI_SUMMARY_WALL),
            (rss, "peak RSS", CLI_SUMMARY_RSS),
        ] {
            let r = results.ratios("cli-summary/proc", "hand/proc", pages, field);
            if !r.is_empty() {
                verdicts.push(Verdict::new(
                    "1",
                    format!("xconn summary / hand loop, {name}, {pages} pages"),
                    &r,
                    limit,
                    false,
                ));
            }
        }
    }
    if lo != hi
        && let (Some(a), Some(b)) = (
            results.get("cli-summary/proc", lo),
            results.get("cli-summary/proc", hi),
        )
    {
        let growth = med(b, rss) / med(a, rss);
        verdicts.push(Verdict::new(
            "1",
            format!("xconn summary peak RSS, {hi} / {lo} pages"),
            &[growth],
            CLI_SUMMARY_RSS_GROWTH,
            true,
        ));
    }
    // 2. `xconn list -o ndjson` against the hand loop writing NDJSON.
    for &pages in page_counts {
        let r = results.ratios("cli-list/proc", "hand-ndjson/proc", pages, cpu);
        if !r.is_empty() {
            verdicts.push(Verdict::new(
                "2",
                format!("xconn list -o ndjson / hand NDJSON loop, CPU, {pages} pages"),
                &r,
                CLI_LIST_CPU,
                false,
            ));
        }
    }
    // 3. The library's stream() against the hand loop, in-process.
    for &pages in page_counts {
        for (field, name, limit) in [
            (cpu as fn(&Sample) -> f64, "CPU", SDK_CPU),
            (wall, "wall", SDK_WALL),
            (rss, "peak RSS", SDK_RSS),
        ] {
            let r = results.ratios("sdk/self", "hand/self", pages, field);
            verdicts.push(Verdict::new(
                "3",
                format!("SDK stream() / hand loop, {name}, {pages} pages"),
                &r,
                limit,
                false,
            ));
        }
        let layers = results.ratios("raw/self", "hand/self", pages, cpu);
        if !layers.is_empty() {
            println!(
                "layers, {pages} pages: raw/hand CPU {:.3} (generated client), sdk/raw CPU {:.3} (typed layer)",
                median(&layers),
                median(&results.ratios("sdk/self", "raw/self", pages, cpu))
            );
        }
    }
    // 4. The watch.
    let watch_pages = results
        .samples
        .keys()
        .find(|(what, _)| what == "watch")
        .map(|(_, p)| *p);
    if let Some(pages) = watch_pages {
        println!();
        println!(
            "| watch, {} active connections | CPU ms per poll | wall ms per poll |",
            pages * 100
        );
        println!("|---|--:|--:|");
        for what in ["watch", "list-active"] {
            if let Some(s) = results.get(what, pages) {
                println!("| {what} | {:.3} | {:.3} |", med(s, cpu), med(s, wall));
            }
        }
        verdicts.push(Verdict::new(
            "4",
            format!("watch poll / listing, CPU, {} active", pages * 100),
            &results.ratios("watch", "list-active", pages, cpu),
            WATCH_POLL_CPU,
            false,
        ));
    }
    if let Some(m) = &results.memory {
        println!();
        println!(
            "watch memory: {} polls against the churning sandbox ({} events, {:.1} s): \
             resident {:.2} MiB after {} polls, {:.2} MiB after {}; peak {:.2} MiB",
            m.polls,
            m.events,
            m.wall_ms / 1e3,
            m.at_checkpoint_kib / 1024.0,
            m.checkpoint,
            m.at_end_kib / 1024.0,
            m.polls,
            m.peak_kib / 1024.0
        );
        verdicts.push(Verdict::new(
            "4",
            format!(
                "watch resident set, after {} / after {} polls",
                m.polls, m.checkpoint
            ),
            &[m.at_end_kib / m.at_checkpoint_kib],
            WATCH_MEMORY_GROWTH,
            false,
        ));
    }
    // 5. Start-up.
    for what in ["cli --version", "cli endpoints"] {
        if let Some(s) = results.get(what, 0) {
            println!(
                "{what}: CPU {:.2} ms, wall {:.2} ms, peak RSS {:.2} MiB (medians)",
                med(s, cpu),
                med(s, wall),
                med(s, rss) / 1024.0
            );
            let values: Vec<f64> = s.iter().map(cpu).collect();
            verdicts.push(Verdict::new(
                "5",
                format!("xconn {} CPU ms", &what[4..]),
                &values,
                STARTUP_CPU_MS,
                true,
            ));
        }
    }
    verdicts
}

pub fn print_verdicts(verdicts: &[Verdict]) {
    println!("| item | target | median | spread (min-max) | limit | median/limit | verdict |");
    println!("|---|---|--:|--:|--:|--:|---|");
    for v in verdicts {
        println!(
            "| {} | {} | {:.3} | {:.3}-{:.3} | {}{:.2} | {:.3} | {} |",
            v.item,
            v.what,
            v.median,
            v.min,
            v.max,
            if v.strict { "<" } else { "<=" },
            v.limit,
            v.median / v.limit,
            if v.met() { "PASS" } else { "MISS" }
        );
    }
}
