//! Typed client for the X API v2 Stream Connections endpoints (work in progress).
#![deny(missing_docs)]

#[cfg(feature = "sandbox")]
pub mod sandbox;
