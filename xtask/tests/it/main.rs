//! xtask's integration tests, one binary (one link step): they run the built
//! `xtask` the way a maintainer or CI does, so argument parsing, exit codes
//! and messages are covered along with the logic.
//!
//! Everything runs on a clone of the repository alone: the upstream specs
//! they need are small fixtures under `tests/fixtures/`. The only tests that
//! look at `../shared` (`shared_upstream`) compare those fixtures with the
//! real releases, and skip when it is absent.

mod bumps;
mod check;
mod common;
mod diff;
mod extract;
mod generate;
mod packaging;
mod release;
mod scenarios;
mod shared_upstream;
