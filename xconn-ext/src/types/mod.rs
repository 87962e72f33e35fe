//! The data types: what the API's records, pages, reports, problems and
//! rate-limit headers are, as Rust values.
//!
//! They import nothing of this crate but `const_str`; everything else is
//! built on them. (Turning the generated crate's types into these is
//! `wire/`'s job; turning a failed response into an error is `error/`'s.)

pub(crate) mod builder;
pub(crate) mod connection;
pub mod enums;
pub(crate) mod page;
pub(crate) mod problem;
pub(crate) mod rate_limit;
pub(crate) mod terminate_report;
