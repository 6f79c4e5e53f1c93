//! fixture-db's integration tests: the CLI, Go bbolt reading what it writes, and real Trivy
//! scanning with the DBs it builds. One test binary; `common` holds the shared fixtures.

mod cli;
mod common;
mod go_bbolt;
mod trivy;
