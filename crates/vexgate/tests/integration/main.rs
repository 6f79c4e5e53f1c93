//! vexgate's integration tests: the binary as users run it (gate, scan, vex, create_vex.sh), the
//! real-Trivy oracle, hostile input, the docs' examples and the CLI snapshots. One test binary;
//! `common` holds the paths and the one command builder every module uses.

mod bad_input;
mod baseline;
mod cli_snapshots;
mod common;
mod create_vex_sh;
mod docs_examples;
mod feeds;
mod feeds_fetch;
mod gate_cli;
mod hostile_input;
mod hostile_output_fuzz;
mod oracle;
mod platforms_cli;
mod readme_example;
mod report_text;
mod scan_cli;
mod vex_add;
mod vex_audit;
mod vex_explain;
mod vex_export;
mod vex_export_trivy;
mod vex_import;
mod vex_trivy_roundtrip;
mod vex_validate;
