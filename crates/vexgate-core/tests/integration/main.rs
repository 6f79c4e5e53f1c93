//! vexgate-core's integration tests: the renderers against real Trivy outputs, VEX application,
//! and the fuzz regressions. One test binary; `render_support` holds the shared fixtures.

mod fuzz_regressions;
mod render_sarif;
mod render_summary;
mod render_support;
mod render_trivy_report;
mod vex_apply;
