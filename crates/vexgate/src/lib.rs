//! vexgate: gate saved Trivy JSON reports with Trivy's exact filter and OpenVEX semantics,
//! and author correct OpenVEX.
//!
//! Data flows one way: [`report`] (typed view of Trivy's JSON) → [`policy`] and [`vex`]
//! (Trivy's filters and VEX rules, one named function per rule) → [`decision`] (the one
//! type every renderer consumes) → [`render`] (table, JSON, Markdown, SARIF, Trivy-schema
//! report). [`scan`] drives Trivy per platform and then gates. [`cli`] holds the
//! subcommands; `main.rs` only parses arguments and maps errors to exit codes.

pub mod cli;
pub mod config;
pub mod decision;
pub mod error;
pub mod gate;
pub mod policy;
pub mod purl;
pub mod render;
pub mod report;
pub mod scan;
pub mod vex;

pub use error::{EXIT_BLOCKED, EXIT_INPUT, EXIT_PASS, Error, Result};
