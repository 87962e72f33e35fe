//! `xconn watch`: a live feed of connection events, Prometheus metrics, and
//! an optional guard against duplicates.

use std::io::{self, Write};
use std::process::ExitCode;

use futures::StreamExt;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use xconn_ext::sandbox::{Churn, SandboxConfig};
use xconn_ext::{Client, ConnectionEvent, EventKind, SharedClock, WatchEvent};

use crate::args::{WatchArgs, WatchFormat};
use crate::failure::{self, exit};
use crate::format::human;
use crate::signals::StopSignals;

/// The embedded sandbox for `--sandbox watch`: connections come and go
/// (seeded), and responses carry rate-limit headers, so there is
/// something to watch within seconds.
pub fn sandbox_config(config: SandboxConfig) -> SandboxConfig {
    config.churn(Churn::default()).rate_limit_after(300)
}

/// Print events until SIGINT or SIGTERM (exit 0), or an error the watch
/// cannot wait out (its exit code). `clock`: the embedded sandbox's, when
/// it is the API (see `Session::sandbox_clock`).
pub async fn run(client: &Client, args: WatchArgs, clock: Option<SharedClock>) -> ExitCode {
    // Handlers first: a signal that arrives once output has started is
    // always a clean stop.
    let mut stop = match StopSignals::install() {
        Ok(stop) => stop,
        Err(code) => return code,
    };
    if let Some(addr) = &args.metrics_addr {
        match serve_metrics(addr).await {
            Ok(url) => eprintln!("metrics: {url}"),
            Err(e) => {
                eprintln!("error: --metrics-addr {addr}: {e}");
                return ExitCode::from(exit::USAGE);
            }
        }
    }
    let mut watch = client.watch().interval(args.interval);
    if let Some(clock) = clock {
        watch = watch.clock(clock);
    }
    if !args.endpoints.is_empty() {
        watch = watch.endpoints(args.endpoints.iter().cloned());
    }
    if args.terminate_duplicates {
        watch = watch.terminate_duplicates(args.keep as usize);
    }
    let scope = if args.endpoints.is_empty() {
        "every endpoint".to_owned()
    } else {
        let names: Vec<&str> = args.endpoints.iter().map(|e| e.as_str()).collect();
        names.join(", ")
    };
    eprintln!(
        "watching {scope} every {}s; SIGINT or SIGTERM stops",
        args.interval.as_secs_f64()
    );
    let mut events = watch.stream();
    loop {
        let item = tokio::select! {
            _ = stop.received() => return ExitCode::SUCCESS,
            item = events.next() => item,
        };
        match item {
            Some(Ok(WatchEvent::Connection(event))) => {
                let line = match args.format {
                    WatchFormat::Text => text_line(&event),
                    WatchFormat::Ndjson => match serde_json::to_string(&event) {
                        Ok(json) => json,
                        Err(e) => {
                            eprintln!("error: cannot encode an event: {e}");
                            return ExitCode::FAILURE;
                        }
                    },
                };
                if let Err(e) = write_line(&line) {
                    // A reader that went away ends the watch quietly.
                    if e.kind() == io::ErrorKind::BrokenPipe {
                        return ExitCode::SUCCESS;
                    }
                    eprintln!("error: cannot write to stdout: {e}");
                    return ExitCode::FAILURE;
                }
            }
            Some(Ok(WatchEvent::Warning(warning))) => eprintln!("warning: {warning}"),
            Some(Ok(_)) => {}
            Some(Err(error)) => return failure::report(&error),
            None => return ExitCode::SUCCESS,
        }
    }
}

/// One line, flushed at once: a watch is read as it happens.
fn write_line(line: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(line.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

fn text_line(event: &ConnectionEvent) -> String {
    let c = &event.connection;
    let mut line = format!(
        "{}  {:<12}  {:<24}  {}",
        event.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        event.kind.as_str(),
        c.endpoint.as_ref().map_or("-", |e| e.as_str()),
        c.id.as_deref().unwrap_or("-"),
    );
    if let Some(ip) = &c.client_ip {
        line.push_str(&format!("  {ip}"));
    }
    if event.kind == EventKind::Disconnected {
        let reason = c
            .disconnect_reason
            .as_ref()
            .map_or("reason unknown", |r| r.as_str());
        line.push_str(&format!("  {reason}"));
        if let Some(duration) = c
            .connected_at
            .zip(c.disconnected_at)
            .and_then(|(from, to)| (to - from).to_std().ok())
        {
            line.push_str(&format!(" after {}", human(duration)));
        }
    }
    line
}

/// Install the Prometheus recorder and serve it at `/metrics` on `addr`;
/// the URL actually bound.
async fn serve_metrics(addr: &str) -> io::Result<String> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .map_err(io::Error::other)?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || render(handle.clone())),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("warning: the metrics server stopped: {e}");
        }
    });
    Ok(format!("http://{bound}/metrics"))
}

async fn render(handle: PrometheusHandle) -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}
