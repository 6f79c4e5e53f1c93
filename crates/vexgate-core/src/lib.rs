//! vexgate-core: gate saved Trivy JSON reports with Trivy's exact filter and OpenVEX semantics,
//! and author correct OpenVEX.
//!
//! Data flows one way: [`report`] (typed view of Trivy's JSON, decoded as Trivy's Go
//! decoder reads it, large reports on one bounded thread pool) → [`policy`] and [`vex`]
//! (Trivy's filters and VEX rules, one named function per rule) → [`decision`] (the one
//! type every renderer consumes) → [`render`] (table, JSON, Markdown, SARIF, Trivy-schema
//! report). [`scan`] drives Trivy per platform, with the platform list read from the image's
//! [`index`]; [`expect`] is the platform check. [`config`] validates the settings into the one
//! [`policy::Policy`] and the outputs; [`severity`] and [`status`] are Trivy's values as types.
//!
//! This crate knows nothing of command lines, terminals or signals: the `vexgate` binary
//! crate parses arguments, merges flag > env > `vexgate.toml` > default into
//! [`config::Settings`], shows progress, handles Ctrl-C and maps errors to exit codes.
//!
//! Inputs are hostile: every string from a report, a VEX or ignore file, a config file or a
//! path reaches the terminal and Markdown only through [`escape`], and every output file is
//! written by [`output`] (never over an input, temp file then rename).

#![forbid(unsafe_code)]

pub mod baseline;
pub mod config;
pub mod decision;
pub mod diags;
pub mod error;
pub mod escape;
pub mod expect;
pub mod feeds;
pub mod gate;
pub mod index;
pub mod output;
pub mod policy;
pub mod purl;
pub mod render;
pub mod report;
pub mod scan;
pub mod severity;
pub mod status;
pub mod vex;

pub use error::{EXIT_BLOCKED, EXIT_INPUT, EXIT_PASS, Error, Result};
