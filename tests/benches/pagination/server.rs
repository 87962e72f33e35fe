//! The bench's HTTP server: a minimal HTTP/1.1 server on 127.0.0.1:0 (a
//! thread per connection, keep-alive, precomputed responses), run as a
//! process of its own (`--role server`).
//!
//! Under `/n<N>/2/connections` it serves, by `status`:
//! - `all`: a chain of N pages of 100 ended connections (what `summary`,
//!   `list --status all` and the clients read);
//! - `active`: a chain of N pages of 100 active connections (what a watch
//!   poll and the listing it is compared with read);
//! - `inactive`: one page of ended connections and no `next_token` (the
//!   history a watch poll reads after the active list): the first
//!   `max_results` of 100, as X honours `max_results` (a watch poll asks
//!   for a few, its baseline for 100).
//!
//! Every request needs `Authorization: Bearer` and a `max_results` in
//! `xconn_sdk::spec::MAX_RESULTS_MIN..=MAX_RESULTS_MAX`; the `all` and
//! `active` chains are precomputed pages of 100 and need `max_results=100`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use xconn_tests::pages::{TOKEN, active_page_json, page_json, token};

/// One chain of pages: `with_next[i]` is page i with `next_token`, `last[i]`
/// the same page without it (the last page of an i+1 chain).
struct Chain {
    with_next: Vec<Vec<u8>>,
    last: Vec<Vec<u8>>,
}

impl Chain {
    fn new(max_pages: usize, page: fn(usize, usize) -> String) -> Self {
        Self {
            with_next: (0..max_pages)
                .map(|i| http_response("200 OK", &page(i, usize::MAX)))
                .collect(),
            last: (0..max_pages)
                .map(|i| http_response("200 OK", &page(i, i + 1)))
                .collect(),
        }
    }

    fn page(&self, index: usize, chain: usize) -> &[u8] {
        if index + 1 == chain {
            &self.last[index]
        } else {
            &self.with_next[index]
        }
    }
}

struct Pages {
    ended: Chain,
    active: Chain,
    /// `history[n - 1]`: the history page truncated to `n` records.
    history: Vec<Vec<u8>>,
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

/// The responses for `page` (the last of its chain) truncated to each
/// `max_results` of the spec's range.
fn history_pages(page: &str) -> Vec<Vec<u8>> {
    let page: serde_json::Value = serde_json::from_str(page).expect("a generated page");
    let data = page["data"].as_array().expect("a page's data");
    let max = xconn_sdk::spec::MAX_RESULTS_MAX as usize;
    assert_eq!(data.len(), max, "the history page is full");
    (1..=max)
        .map(|n| {
            let mut page = page.clone();
            page["data"] = serde_json::Value::from(data[..n].to_vec());
            page["meta"]["result_count"] = n.into();
            http_response("200 OK", &page.to_string())
        })
        .collect()
}

/// Serve until stdin closes (the parent holds it).
pub fn serve(max_pages: usize) {
    let pages = Arc::new(Pages {
        ended: Chain::new(max_pages, page_json),
        active: Chain::new(max_pages, active_page_json),
        history: history_pages(&page_json(max_pages, max_pages + 1)),
        index_of: (1..max_pages).map(|i| (token(i), i)).collect(),
        authorization: format!("Bearer {TOKEN}"),
    });
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local_addr").port();
    crate::exit_when_stdin_closes();
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
        .filter(|&n| n >= 1 && n <= pages.ended.last.len())
        .ok_or_else(|| problem("404 Not Found", "no such chain"))?;
    let (mut max_results, mut status, mut token) = (None, None, None);
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("max_results", v)) => max_results = Some(v),
            Some(("status", v)) => status = Some(v),
            Some(("pagination_token", v)) => token = Some(v),
            _ => {}
        }
    }
    let range = xconn_sdk::spec::MAX_RESULTS_MIN..=xconn_sdk::spec::MAX_RESULTS_MAX;
    let max_results = max_results
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|n| range.contains(n))
        .ok_or_else(|| problem("400 Bad Request", "expected max_results in 1..=100"))?;
    let index = match token {
        None => 0,
        Some(v) => *pages
            .index_of
            .get(v)
            .ok_or_else(|| problem("400 Bad Request", "unknown pagination_token"))?,
    };
    if index >= chain {
        return Err(problem("400 Bad Request", "token beyond the chain"));
    }
    let full = |page: &'p [u8]| {
        if max_results == xconn_sdk::spec::MAX_RESULTS_MAX {
            Ok(page)
        } else {
            Err(problem(
                "400 Bad Request",
                "expected max_results=100 for this chain",
            ))
        }
    };
    match status {
        Some("all") => full(pages.ended.page(index, chain)),
        Some("active") => full(pages.active.page(index, chain)),
        Some("inactive") if token.is_none() => Ok(&pages.history[max_results as usize - 1]),
        _ => Err(problem(
            "400 Bad Request",
            "expected status=all, status=active or a first status=inactive page",
        )),
    }
}
