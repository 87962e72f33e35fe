//! Reading the full upstream spec `extract --from` names: a file path or an
//! `https://` URL (X publishes its spec at `https://api.x.com/2/openapi.json`).

use std::io::Read as _;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use reqwest::Url;

use crate::workspace;

/// A full spec as read, with the name to record for it.
#[derive(Debug)]
pub struct Upstream {
    pub text: String,
    /// The file's name, or the last segment of the URL's path.
    pub file: String,
    pub url: Option<String>,
}

/// Far more than any X spec so far (2.167 is under 1 MB): a cap, so that a
/// wrong URL cannot fill memory.
const MAX_BYTES: u64 = 64 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(120);

/// Read `from`: a URL when it starts with `http://` or `https://`, a path
/// otherwise.
pub fn load(from: &str) -> Result<Upstream> {
    if from.starts_with("https://") || from.starts_with("http://") {
        return download(from);
    }
    let path = Path::new(from);
    let file = path
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("--from {from} has no file name"))?
        .to_owned();
    Ok(Upstream {
        text: workspace::read(path)?,
        file,
        url: None,
    })
}

/// Plain `http` is refused except on the loopback interface (tests): a spec
/// fetched in clear could be swapped on the way, and it becomes code.
fn checked_url(from: &str) -> Result<Url> {
    let url = Url::parse(from).with_context(|| format!("--from {from} is not a valid URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => bail!(
            "--from {from}: refusing a plain-http URL; use https:// \
             (http:// is accepted only for 127.0.0.1 and localhost)"
        ),
        other => bail!("--from {from}: unsupported URL scheme `{other}`; use https://"),
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

fn download(from: &str) -> Result<Upstream> {
    let url = checked_url(from)?;
    let file = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .filter(|s| !s.is_empty())
        .with_context(|| format!("--from {from}: the URL's path names no file"))?
        .to_owned();
    let client = reqwest::blocking::Client::builder()
        .timeout(TIMEOUT)
        .user_agent(concat!("xconn-xtask/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot build an HTTP client")?;
    let response = client
        .get(url.clone())
        .send()
        .with_context(|| format!("--from {from}: request failed"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("--from {from}: the server answered {status}");
    }
    let mut bytes = Vec::new();
    response
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("--from {from}: reading the body failed"))?;
    if bytes.len() as u64 > MAX_BYTES {
        bail!("--from {from}: the body is larger than {MAX_BYTES} bytes; not a spec");
    }
    let text = String::from_utf8(bytes)
        .with_context(|| format!("--from {from}: the body is not UTF-8 text"))?;
    Ok(Upstream {
        text,
        file,
        url: Some(from.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_only_for_loopback() {
        for ok in [
            "https://api.x.com/2/openapi.json",
            "http://127.0.0.1:8080/spec.json",
            "http://localhost/spec.json",
            "http://[::1]:9/spec.json",
        ] {
            assert!(checked_url(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            (
                "http://api.x.com/2/openapi.json",
                "refusing a plain-http URL",
            ),
            (
                "http://127.0.0.1.example.com/x.json",
                "refusing a plain-http URL",
            ),
            ("ftp://api.x.com/x.json", "unsupported URL scheme `ftp`"),
        ] {
            let err = checked_url(bad).unwrap_err().to_string();
            assert!(err.contains(why) && err.contains(bad), "{bad}: {err}");
        }
    }
}
