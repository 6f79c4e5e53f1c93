//! Renderers: table, JSON, Markdown, SARIF and the Trivy-schema report. They only read a
//! [`Decision`]; none of them filters or re-derives anything.
//!
//! One file per renderer: `table`, `json`,
//! `markdown`, `sarif`, `trivy_report`.
//! `view` holds the grouping and counting the human and machine summaries share.

use std::io::{self, Write};

use crate::decision::{Decision, ReportDecision};

mod json;
mod markdown;
mod sarif;
mod table;
mod trivy_report;
pub mod view;

pub(crate) use json::LogSafe;
pub use json::SCHEMA as JSON_SCHEMA;

/// Default table width when none is given (readable in a CI log).
pub const DEFAULT_TABLE_WIDTH: u16 = 100;
/// Default cap on rows per Markdown table (a sticky PR comment is limited to 65 536 characters).
pub const DEFAULT_MARKDOWN_MAX_ROWS: usize = 100;

/// Options shared by the renderers.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// List suppressed findings too (status, justification or statement, source).
    pub show_suppressed: bool,
    /// Use colour in the table (only when stdout is a terminal).
    pub color: bool,
    /// Table width in columns; `None` means [`DEFAULT_TABLE_WIDTH`].
    pub width: Option<u16>,
    /// Rows per Markdown table before the rest is summarised; `None` means
    /// [`DEFAULT_MARKDOWN_MAX_ROWS`].
    pub markdown_max_rows: Option<usize>,
}

/// The human table on stdout: what blocks and why, counts per severity and per platform.
pub fn table(decision: &Decision<'_>, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    table::render(decision, opts, out)
}

/// vexgate's own stable machine output (`--format json`); the schema is documented in
/// `json`.
pub fn json(decision: &Decision<'_>, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    json::render(decision, opts, out)
}

/// GitHub-flavoured Markdown for GITHUB_STEP_SUMMARY or a sticky PR comment.
pub fn markdown(
    decision: &Decision<'_>,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    markdown::render(decision, opts, out)
}

/// SARIF 2.1.0, one run per platform, the platform in the run's automation id / category.
/// Blocking findings are results; with `opts.show_suppressed` the suppressed
/// vulnerabilities are too, carrying an `external` suppression (GitHub shows them as closed
/// alerts).
pub fn sarif(decision: &Decision<'_>, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    sarif::render(decision, opts, out)
}

/// The filtered report in Trivy's own JSON schema, JSON-equal (after parsing) to what
/// Trivy writes with the same flags plus `--show-suppressed`. Unknown fields survive.
pub fn trivy_report(report: &ReportDecision<'_>, out: &mut dyn Write) -> io::Result<()> {
    trivy_report::render(report, out)
}
