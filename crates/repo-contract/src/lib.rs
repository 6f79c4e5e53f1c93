//! Contract tests over the repository files (workflows, scripts) live in `tests/`.
//! This crate has no code of its own: `cargo test -p repo-contract` runs them.

#![forbid(unsafe_code)]
