//! The watch's metrics, through the [`metrics`](https://docs.rs/metrics)
//! facade (feature `metrics`): install any recorder (Prometheus, StatsD,
//! OpenTelemetry...) and they flow there. Without the feature, or without
//! a recorder, recording costs nothing.

/// Gauge: active connections, label `endpoint` (every watched endpoint,
/// zeros included).
pub const ACTIVE_CONNECTIONS: &str = "xconn_active_connections";
/// Counter: disconnects seen during the watch, labels `endpoint` and
/// `reason` (`unknown` when the API gave none).
pub const DISCONNECTS_TOTAL: &str = "xconn_disconnects_total";
/// Counter: connections the duplicates guard ended, label `endpoint`.
pub const TERMINATIONS_TOTAL: &str = "xconn_guard_terminations_total";
/// Counter: polls completed.
pub const POLLS_TOTAL: &str = "xconn_polls_total";
/// Counter: failed requests during polls (each retried or fatal failure).
pub const POLL_ERRORS_TOTAL: &str = "xconn_poll_errors_total";
/// Gauge: `x-rate-limit-remaining` of the last response that had it.
pub const RATE_LIMIT_REMAINING: &str = "xconn_rate_limit_remaining";

#[cfg(feature = "metrics")]
mod imp {
    use metrics::{Unit, counter, describe_counter, describe_gauge, gauge};

    use super::*;
    use crate::watch::event::{ConnectionEvent, EventKind, PollSummary};

    /// Describe every metric and create the counters at zero, so that a
    /// scrape before the first event already shows them.
    pub(crate) fn start() {
        describe_gauge!(
            ACTIVE_CONNECTIONS,
            Unit::Count,
            "Active streaming connections of the app, per endpoint."
        );
        describe_counter!(
            DISCONNECTS_TOTAL,
            Unit::Count,
            "Connections seen ending during the watch, per endpoint and disconnect reason."
        );
        describe_counter!(
            TERMINATIONS_TOTAL,
            Unit::Count,
            "Connections the duplicates guard ended, per endpoint."
        );
        describe_counter!(
            POLLS_TOTAL,
            Unit::Count,
            "Polls of the connections API completed."
        );
        describe_counter!(
            POLL_ERRORS_TOTAL,
            Unit::Count,
            "Requests to the connections API that failed during polls."
        );
        describe_gauge!(
            RATE_LIMIT_REMAINING,
            Unit::Count,
            "Requests left in the current rate-limit window (x-rate-limit-remaining)."
        );
        counter!(POLLS_TOTAL).absolute(0);
        counter!(POLL_ERRORS_TOTAL).absolute(0);
    }

    pub(crate) fn poll(summary: &PollSummary) {
        counter!(POLLS_TOTAL).increment(1);
        for (endpoint, count) in &summary.active {
            gauge!(ACTIVE_CONNECTIONS, "endpoint" => endpoint.as_str().to_owned())
                .set(*count as f64);
        }
    }

    pub(crate) fn rate_limit(remaining: u64) {
        gauge!(RATE_LIMIT_REMAINING).set(remaining as f64);
    }

    pub(crate) fn error() {
        counter!(POLL_ERRORS_TOTAL).increment(1);
    }

    pub(crate) fn event(event: &ConnectionEvent) {
        let endpoint = || {
            event
                .connection
                .endpoint
                .as_ref()
                .map_or("unknown", |e| e.as_str())
                .to_owned()
        };
        match event.kind {
            EventKind::Disconnected => {
                let reason = event
                    .connection
                    .disconnect_reason
                    .as_ref()
                    .map_or("unknown", |r| r.as_str())
                    .to_owned();
                counter!(DISCONNECTS_TOTAL, "endpoint" => endpoint(), "reason" => reason)
                    .increment(1);
            }
            EventKind::Terminated => {
                counter!(TERMINATIONS_TOTAL, "endpoint" => endpoint()).increment(1);
            }
            EventKind::Active | EventKind::Connected => {}
        }
    }
}

#[cfg(not(feature = "metrics"))]
mod imp {
    use crate::watch::event::{ConnectionEvent, PollSummary};

    pub(crate) fn start() {}
    pub(crate) fn poll(_: &PollSummary) {}
    pub(crate) fn rate_limit(_: u64) {}
    pub(crate) fn error() {}
    pub(crate) fn event(_: &ConnectionEvent) {}
}

pub(crate) use imp::{error, event, poll, rate_limit, start};
