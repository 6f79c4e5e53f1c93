//! Renderers: table, JSON, Markdown, SARIF and the Trivy-schema report. They only read a
//! [`Decision`]; none of them filters or re-derives anything.

use std::io::{self, Write};

use crate::decision::{Decision, ReportDecision};

/// Options shared by the renderers.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// List suppressed findings too (status, justification or statement, source).
    pub show_suppressed: bool,
    /// Use colour in the table (only when stdout is a terminal).
    pub color: bool,
}

/// The human table on stdout: what blocks and why, counts per severity and per platform.
pub fn table(decision: &Decision<'_>, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let _ = (decision, opts, out);
    Ok(())
}

/// vexgate's own stable machine output (`--format json`).
pub fn json(decision: &Decision<'_>, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let _ = (decision, opts, out);
    Ok(())
}

/// GitHub-flavoured Markdown for GITHUB_STEP_SUMMARY or a sticky PR comment.
pub fn markdown(
    decision: &Decision<'_>,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let _ = (decision, opts, out);
    Ok(())
}

/// SARIF 2.1.0, one run per platform, the platform in the run's automation id / category.
pub fn sarif(decision: &Decision<'_>, out: &mut dyn Write) -> io::Result<()> {
    let _ = (decision, out);
    Ok(())
}

/// The filtered report in Trivy's own JSON schema, JSON-equal (after parsing) to what
/// Trivy writes with the same flags plus `--show-suppressed`. Unknown fields survive.
pub fn trivy_report(report: &ReportDecision<'_>, out: &mut dyn Write) -> io::Result<()> {
    let _ = (report, out);
    Ok(())
}
