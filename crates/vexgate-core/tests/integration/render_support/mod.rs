//! Shared helpers for the renderer tests: real Trivy fixtures, and Decisions built by hand
//! (the renderers only read a Decision, so these tests do not depend on the policy engine).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use vexgate_core::decision::{
    Decision, FindingKind, Origin, ReportDecision, ResultDecision, Suppression,
};
use vexgate_core::policy::{self, Policy};
use vexgate_core::report::{Coverage, Platform, Report, ReportFile};
use vexgate_core::status::FindingStatus;

pub fn upstream(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/upstream/trivy")
        .join(name)
}

pub fn render_testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/render/testdata")
        .join(name)
}

pub fn read(path: &Path) -> ReportFile {
    ReportFile::read(path).unwrap_or_else(|e| panic!("{e}"))
}

/// A report file held in memory under a display path (no file is written).
pub fn in_memory(path: &str, text: String) -> ReportFile {
    ReportFile {
        path: PathBuf::from(path),
        text: text.into(),
    }
}

/// A fixture held in memory under a short display path, so snapshots do not depend on where
/// the checkout lives.
pub fn fixture_as(path: &Path, display: &str) -> ReportFile {
    in_memory(display, std::fs::read_to_string(path).unwrap())
}

/// The debian-buster golden as it would look when scanned on linux/arm64 (same findings; the
/// architecture in the image config and the PURLs changed).
pub fn debian_arm64() -> ReportFile {
    let text = std::fs::read_to_string(upstream("debian-buster.json.golden")).unwrap();
    let text = text
        .replace("\"architecture\": \"amd64\"", "\"architecture\": \"arm64\"")
        .replace("arch=amd64", "arch=arm64");
    in_memory("trivy-linux-arm64.json", text)
}

/// Every finding kept, nothing suppressed.
pub fn all_pass(report: &Report<'_>) -> Vec<ResultDecision> {
    report
        .results
        .iter()
        .map(|r| ResultDecision {
            vulnerabilities: (0..r.vulnerabilities.len()).collect(),
            misconfigurations: (0..r.misconfigurations.len()).collect(),
            secrets: (0..r.secrets.len()).collect(),
            licenses: (0..r.licenses.len()).collect(),
            suppressed: Vec::new(),
            ..ResultDecision::default()
        })
        .collect()
}

/// Nothing kept, nothing suppressed.
pub fn none_kept(report: &Report<'_>) -> Vec<ResultDecision> {
    report
        .results
        .iter()
        .map(|_| ResultDecision::default())
        .collect()
}

pub fn report_decision<'r>(
    file: &'r ReportFile,
    report: &'r Report<'r>,
    results: Vec<ResultDecision>,
) -> ReportDecision<'r> {
    ReportDecision {
        file,
        report,
        platform: Platform::from_report(report),
        results,
        coverage: Coverage::of(report),
        assumed_identity: None,
        baseline: None,
    }
}

/// The default policy: `--severity HIGH,CRITICAL --ignore-unfixed`.
pub fn default_policy() -> Policy {
    Policy::new(&policy::DEFAULT_SEVERITIES, true)
}

pub fn decision<'r>(policy: Policy, reports: Vec<ReportDecision<'r>>) -> Decision<'r> {
    // As the gate computes it (platform drift needs two or more reports with platforms).
    let presence = vexgate_core::gate::presence(&reports);
    Decision {
        policy,
        reports,
        warnings: vec![],
        coverage_failed: false,
        baseline: None,
        presence,
        platform_check: None,
        feeds: None,
    }
}

pub fn vex_suppression(source: &str, status: &str, justification: &str) -> Suppression {
    Suppression {
        status: FindingStatus::parse(status),
        statement: justification.into(),
        source: source.into(),
        origin: Origin::Vex,
    }
}

pub fn ignored(source: &str, statement: &str) -> Suppression {
    Suppression {
        status: FindingStatus::Ignored,
        statement: statement.into(),
        source: source.into(),
        origin: Origin::IgnoreFile,
    }
}

/// Index of the vulnerability `id` of package `pkg` in result `ri`.
pub fn vuln_index(report: &Report<'_>, ri: usize, id: &str, pkg: &str) -> usize {
    report.results[ri]
        .vulnerabilities
        .iter()
        .position(|v| v.vulnerability_id == id && v.pkg_name == pkg)
        .unwrap_or_else(|| panic!("{id} {pkg} not in result {ri}"))
}

pub fn vuln(kind_index: usize, s: Suppression) -> (FindingKind, usize, Suppression) {
    (FindingKind::Vulnerability, kind_index, s)
}

/// Render to a String with one of the renderer functions.
pub fn render_string(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut buf = Vec::new();
    f(&mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}
