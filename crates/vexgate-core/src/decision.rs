//! The one decision type that flows from the policy and VEX engines into every renderer.
//! Renderers read it; they never filter again (data flows report → decision → renderers).

use crate::diags::Code;
use crate::policy::Policy;
use crate::status::FindingStatus;
use std::collections::HashMap;

use crate::report::{Coverage, Platform, Report, ReportFile, Vulnerability};

/// Why a finding left the blocking set while still being recorded, exactly as Trivy
/// records it in `ExperimentalModifiedFindings` (Trivy 0.76 pkg/types/finding.go).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// `ignored` (ignore file), `not_affected` or `fixed` (VEX), or what the report recorded.
    pub status: FindingStatus,
    /// Ignore-file statement, VEX justification (may be empty), `Filtered by Rego`, …
    pub statement: String,
    /// Ignore-file path after cleaning, or the `--vex` argument exactly as given.
    pub source: String,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `.trivyignore` / `.trivyignore.yaml`.
    IgnoreFile,
    /// An OpenVEX or CSAF document given to vexgate.
    Vex,
    /// Already present in the input report's ExperimentalModifiedFindings (e.g. Trivy ran with --vex).
    Report,
}

/// What kind of finding an index refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    Vulnerability,
    Misconfiguration,
    Secret,
    License,
}

impl FindingKind {
    /// The `Type` string of a ModifiedFinding.
    pub fn trivy_type(self) -> &'static str {
        match self {
            FindingKind::Vulnerability => "vulnerability",
            FindingKind::Misconfiguration => "misconfiguration",
            FindingKind::Secret => "secret",
            FindingKind::License => "license",
        }
    }
}

/// The decision for one `Results[]` entry. Indices point into that result's arrays.
#[derive(Debug, Clone, Default)]
pub struct ResultDecision {
    /// Vulnerabilities that survived every filter, after dedup, in Trivy's sort order
    /// (`types.BySeverity`). These block.
    pub vulnerabilities: Vec<usize>,
    /// Misconfigurations that survived (only `FAIL` ones block), secrets and licenses.
    pub misconfigurations: Vec<usize>,
    pub secrets: Vec<usize>,
    pub licenses: Vec<usize>,
    /// Findings vexgate suppressed (ignore file, VEX), in the order Trivy records them.
    pub suppressed: Vec<(FindingKind, usize, Suppression)>,
}

impl ResultDecision {
    /// One decision per result of `report` that keeps every vulnerability and nothing
    /// else: the starting point for applying VEX alone, before any filter.
    pub fn every_vulnerability(report: &Report<'_>) -> Vec<ResultDecision> {
        report
            .results
            .iter()
            .map(|r| ResultDecision {
                vulnerabilities: (0..r.vulnerabilities.len()).collect(),
                ..ResultDecision::default()
            })
            .collect()
    }
}

/// The decision for one input report (one platform).
#[derive(Debug)]
pub struct ReportDecision<'r> {
    pub file: &'r ReportFile,
    pub report: &'r Report<'r>,
    pub platform: Option<Platform>,
    /// One entry per `report.results` entry, same order.
    pub results: Vec<ResultDecision>,
    pub coverage: Coverage,
    /// The image identity vexgate assumed from `--image-repo` (a PURL), when it did.
    pub assumed_identity: Option<String>,
}

impl ReportDecision<'_> {
    /// Does anything in this report block? Mirrors Trivy's `Results.Failed()`
    /// (pkg/types/report.go): vulns, FAIL misconfigs, secrets or licenses left after filtering.
    pub fn blocks(&self) -> bool {
        self.results.iter().zip(&self.report.results).any(|(d, r)| {
            !d.vulnerabilities.is_empty()
                || d.misconfigurations
                    .iter()
                    .any(|&i| r.misconfigurations[i].status == "FAIL")
                || !d.secrets.is_empty()
                || !d.licenses.is_empty()
        })
    }

    /// Pre-existing suppressions recorded in the input (Trivy already applied VEX/ignores).
    pub fn preexisting_suppressed(&self) -> usize {
        self.report
            .results
            .iter()
            .map(|r| r.modified_findings.len())
            .sum()
    }
}

/// A non-fatal problem to show the user (and count in machine output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable code ([`Code::as_str`] is what every output shows).
    pub code: Code,
    pub message: String,
}

/// The verdict over all reports.
#[derive(Debug)]
pub struct Decision<'r> {
    /// The policy the decision was taken under, shown by every output.
    pub policy: Policy,
    pub reports: Vec<ReportDecision<'r>>,
    pub warnings: Vec<Warning>,
    /// Set when `--require-coverage` is on and some report lacks coverage.
    pub coverage_failed: bool,

    // --- the platform check (`--expect-platforms`, see crate::expect) ---
    /// The check's outcome, when one was asked for; a failed check blocks.
    pub platform_check: Option<crate::expect::PlatformCheck>,
}

/// One row of the cross-platform view: a finding present on several platforms is one row.
#[derive(Debug, Clone)]
pub struct Row<'r> {
    pub vuln: &'r Vulnerability<'r>,
    pub target: &'r str,
    pub platforms: Vec<Option<Platform>>,
    /// Set for suppressed rows.
    pub suppression: Option<Suppression>,
}

impl<'r> Decision<'r> {
    pub fn blocked(&self) -> bool {
        self.coverage_failed
            || self
                .platform_check
                .as_ref()
                .is_some_and(crate::expect::PlatformCheck::failed)
            || self.reports.iter().any(ReportDecision::blocks)
    }

    /// Blocking vulnerabilities merged across platforms, keyed on
    /// (VulnerabilityID, PkgName, InstalledVersion, FixedVersion, PkgPath, Target),
    /// in first-seen order.
    pub fn blocking_rows(&self) -> Vec<Row<'r>> {
        self.rows(|rep, ri| {
            rep.results[ri]
                .vulnerabilities
                .iter()
                .map(|&vi| (vi, None))
                .collect()
        })
    }

    /// Suppressed vulnerabilities (by vexgate) merged across platforms.
    pub fn suppressed_rows(&self) -> Vec<Row<'r>> {
        self.rows(|rep, ri| {
            rep.results[ri]
                .suppressed
                .iter()
                .filter(|(k, _, _)| *k == FindingKind::Vulnerability)
                .map(|(_, vi, s)| (*vi, Some(s.clone())))
                .collect()
        })
    }

    fn rows(
        &self,
        pick: impl Fn(&ReportDecision<'r>, usize) -> Vec<(usize, Option<Suppression>)>,
    ) -> Vec<Row<'r>> {
        let mut rows: Vec<Row<'r>> = Vec::new();
        // Key: the finding's identity (an OS target embeds the artifact name, which can
        // differ per platform report, so OS results key on their type instead), plus the
        // suppression (status, statement, source).
        type RowKey<'k> = (
            [&'k str; 5],
            (bool, &'k str),
            Option<(FindingStatus, String, String)>,
        );
        let mut index: HashMap<RowKey<'r>, usize> = HashMap::new();
        for rep in &self.reports {
            let report: &'r Report<'r> = rep.report;
            for (ri, result) in report.results.iter().enumerate() {
                let target_key: (bool, &'r str) = if result.class == "os-pkgs" {
                    (true, &result.kind)
                } else {
                    (false, &result.target)
                };
                for (vi, sup) in pick(rep, ri) {
                    let v: &'r Vulnerability<'r> = &result.vulnerabilities[vi];
                    let key = (
                        [
                            &*v.vulnerability_id,
                            &*v.pkg_name,
                            &*v.installed_version,
                            &*v.fixed_version,
                            &*v.pkg_path,
                        ],
                        target_key,
                        sup.as_ref()
                            .map(|s| (s.status.clone(), s.statement.clone(), s.source.clone())),
                    );
                    match index.get(&key) {
                        Some(&i) => {
                            if !rows[i].platforms.contains(&rep.platform) {
                                rows[i].platforms.push(rep.platform.clone());
                            }
                        }
                        None => {
                            index.insert(key, rows.len());
                            rows.push(Row {
                                vuln: v,
                                target: &result.target,
                                platforms: vec![rep.platform.clone()],
                                suppression: sup,
                            });
                        }
                    }
                }
            }
        }
        rows
    }
}
