//! Support for the workspace's benches (`benches/`). The integration tests
//! live in `it/` (one binary, `it/main.rs`), with their helpers in
//! `it/support/`.

pub mod pages;
