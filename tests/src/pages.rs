//! Realistic `GET /2/connections` pages.
//!
//! Page `i` of a run holds 100 connections with all six fields (UUID,
//! endpoint, IPv4 or IPv6 client address, both timestamps in X's
//! millisecond format, disconnect reason) and, unless it is the last page,
//! `meta.next_token` = [`token`]`(i + 1)`. Everything is a pure function of
//! the page index, so every process of a run sees the same bytes.

use std::fmt::Write as _;

/// Connections per page (the API's maximum `max_results`).
pub const PER_PAGE: usize = 100;

/// The bearer token the bench server requires.
pub const TOKEN: &str = "bench-bearer-token-0123456789";

const ENDPOINTS: [&str; 6] = [
    "filtered_stream",
    "sample_stream",
    "sample10_stream",
    "firehose_stream",
    "likes_compliance_stream",
    "tweets_compliance_stream",
];

const REASONS: [&str; 6] = [
    "operator_disconnect",
    "client_disconnected",
    "stall",
    "too_many_connections",
    "server_shutdown",
    "reconnect_requested",
];

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The opaque token that asks for page `index` (44 base-36 characters, like
/// X's).
pub fn token(index: usize) -> String {
    const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut rng = Rng(0xC0FF_EE00 ^ (index as u64).wrapping_mul(0x1000_0001));
    (0..44)
        .map(|_| char::from(ALPHABET[(rng.next() % 36) as usize]))
        .collect()
}

/// `2025-MM-DDTHH:MM:SS.000Z` for `secs` seconds after 2025-01-01T00:00:00Z
/// (within 2025; months as 28-day blocks keep the arithmetic trivial).
fn timestamp(out: &mut String, secs: u64) {
    let day = (secs / 86_400) % 336;
    let (month, mday) = (day / 28 + 1, day % 28 + 1);
    let s = secs % 86_400;
    let _ = write!(
        out,
        "2025-{month:02}-{mday:02}T{:02}:{:02}:{:02}.000Z",
        s / 3600,
        (s / 60) % 60,
        s % 60
    );
}

/// The body of page `index` of a run of `pages` pages.
pub fn page_json(index: usize, pages: usize) -> String {
    page_body(index, pages, true)
}

/// Page `index` of a run of `pages` pages of **active** connections: the
/// same records without `disconnected_at` and `disconnect_reason`.
pub fn active_page_json(index: usize, pages: usize) -> String {
    page_body(index, pages, false)
}

fn page_body(index: usize, pages: usize, ended: bool) -> String {
    let mut rng = Rng(index as u64 + 1);
    let mut out = String::with_capacity(32 * 1024);
    out.push_str("{\"data\":[");
    for n in 0..PER_PAGE {
        if n > 0 {
            out.push(',');
        }
        let a = rng.next();
        let b = rng.next();
        let _ = write!(
            out,
            "{{\"id\":\"{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}\",",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        );
        let r = rng.next();
        let _ = write!(
            out,
            "\"endpoint_name\":\"{}\",",
            ENDPOINTS[(r % 6) as usize]
        );
        if r.is_multiple_of(4) {
            let _ = write!(
                out,
                "\"client_ip\":\"2001:db8:{:x}:{:x}::{:x}\",",
                (r >> 8) & 0xffff,
                (r >> 24) & 0xffff,
                (r >> 40) & 0xffff
            );
        } else {
            let _ = write!(
                out,
                "\"client_ip\":\"{}.{}.{}.{}\",",
                (r >> 8) % 223 + 1,
                (r >> 16) & 0xff,
                (r >> 24) & 0xff,
                (r >> 32) % 254 + 1
            );
        }
        let start = rng.next() % (300 * 86_400);
        let length = rng.next() % (3 * 86_400);
        out.push_str("\"connected_at\":\"");
        timestamp(&mut out, start);
        let reason = REASONS[(rng.next() % 6) as usize];
        if ended {
            out.push_str("\",\"disconnected_at\":\"");
            timestamp(&mut out, start + length);
            let _ = write!(out, "\",\"disconnect_reason\":\"{reason}\"}}");
        } else {
            out.push_str("\"}");
        }
    }
    out.push_str("],\"meta\":{");
    let _ = write!(out, "\"result_count\":{PER_PAGE}");
    if index + 1 < pages {
        let _ = write!(out, ",\"next_token\":\"{}\"", token(index + 1));
    }
    out.push_str("}}");
    out
}

/// The hand-written side's view of a page: the same fields, as strings.
#[derive(serde::Deserialize)]
pub struct FlatPage {
    #[serde(default)]
    pub data: Vec<FlatConnection>,
    #[serde(default)]
    pub meta: FlatMeta,
}

/// One connection, every field a plain optional string; serialized as it
/// came (absent fields left out), for the hand-written NDJSON writer.
#[derive(serde::Deserialize, serde::Serialize)]
pub struct FlatConnection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connected_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disconnected_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disconnect_reason: Option<String>,
}

/// `meta` of a page.
#[derive(serde::Deserialize, Default)]
pub struct FlatMeta {
    pub result_count: Option<u64>,
    pub next_token: Option<String>,
}

/// The median of some samples (the mean of the middle two for an even count).
pub fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}
