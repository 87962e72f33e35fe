//! The workspace's integration tests, one binary (one link step) with a
//! module per area. Everything runs against 127.0.0.1 only: httpmock, the
//! `xconn_ext::sandbox` fake, or the scripted raw server in
//! [`support::raw_server`].
//!
//! - `sdk_*`: the generated client (`xconn-sdk`) on the wire and decoding.
//! - `ext_*`: the typed client (`xconn-ext`) against httpmock.
//! - `sandbox_*`: the sandbox, through raw HTTP and through the client.
//! - `hardening_*`: hostile servers, concurrency, tokens, property tests.
//! - `drift`: the checked-in spec fragment against the hand-written code.
//! - `dependent_testing`: what a dependent service's own tests can do, with
//!   the public API only.

mod support;

mod dependent_partial;
mod dependent_testing;
mod drift;
mod ext_client;
mod ext_connection;
mod ext_enums;
mod ext_errors;
mod ext_pagination;
mod ext_retry;
mod ext_terminate;
mod ext_tracing;
mod ext_validation;
mod hardening_concurrency;
mod hardening_props;
mod hardening_server;
mod hardening_tokens;
mod sandbox_client;
mod sandbox_wire;
mod sdk_decode;
mod sdk_wire;
mod watch;
