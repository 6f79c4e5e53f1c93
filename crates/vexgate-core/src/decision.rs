//! The one decision type that flows from the policy and VEX engines into every renderer.
//! Renderers read it; they never filter again (data flows report → decision → renderers).

use crate::baseline::{BaselineMode, FindingId, MissingBaseline};
use crate::config::FeedSettings;
use crate::diags::Code;
use crate::feeds::{EpssScore, Feeds, KevEntry};
use crate::policy::Policy;
use crate::status::FindingStatus;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

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
    /// Baseline: the entries of `vulnerabilities` the report's baseline already has
    /// ([`crate::baseline::identity`]), in index order. Empty without a baseline. In
    /// `block-new` mode these do not block; `vulnerabilities` itself is unchanged (it is
    /// what Trivy would report).
    pub existing: Vec<usize>,
    /// Baseline: the surviving secrets, FAIL misconfigurations and licenses the baseline
    /// already has ([`crate::baseline::other_identity`]), sorted. Empty without a baseline;
    /// in `block-new` mode these do not block.
    pub existing_other: Vec<(FindingKind, usize)>,
    /// `--block-kev`: the entries of `vulnerabilities` kept only because they are in the
    /// KEV catalog (the severity or status filter would have dropped them), in index order.
    pub kev_forced: Vec<usize>,
    /// `--epss-threshold`: the entries of `vulnerabilities` that do not block because their
    /// EPSS score is below the threshold (or they have none and `--epss-missing allow`), in
    /// index order. `vulnerabilities` itself is unchanged.
    pub below_threshold: Vec<usize>,
}

impl ResultDecision {
    /// Is vulnerability `vi` (an index into the result's array) in the baseline?
    pub fn is_existing(&self, vi: usize) -> bool {
        self.existing.binary_search(&vi).is_ok()
    }

    /// Is the secret, misconfiguration or license `i` of `kind` in the baseline?
    pub fn is_existing_other(&self, kind: FindingKind, i: usize) -> bool {
        self.existing_other.binary_search(&(kind, i)).is_ok()
    }

    /// Is vulnerability `vi` kept from blocking by the EPSS threshold?
    pub fn is_below_threshold(&self, vi: usize) -> bool {
        self.below_threshold.binary_search(&vi).is_ok()
    }
}

/// One feed as the decision used it (shown by every output).
#[derive(Debug, Clone, PartialEq)]
pub struct FeedStatus {
    /// `kev` or `epss`.
    pub kind: &'static str,
    pub path: PathBuf,
    /// KEV `catalogVersion`, EPSS `model_version` (as published: hostile text).
    pub version: String,
    /// KEV `dateReleased`, EPSS `score_date`.
    pub date: jiff::Timestamp,
    /// The real clock minus `date` (zero for a date in the future).
    pub age: jiff::SignedDuration,
    /// Older than `--feed-max-age`.
    pub stale: bool,
}

/// What the exploitation feeds contributed to the decision.
#[derive(Debug)]
pub struct FeedsDecision {
    pub feeds: Feeds,
    pub settings: FeedSettings,
    pub status: Vec<FeedStatus>,
    /// Vulnerabilities left after the filters and VEX (and suppressed ones) with no CVE to
    /// look up, over all reports.
    pub no_cve: usize,
    /// `--kev-suppression deny` and an ignore file or VEX suppressed a KEV finding: the
    /// gate blocks.
    pub kev_suppression_failed: bool,
}

/// A finding's exploitation facts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts<'f> {
    pub kev: Option<&'f KevEntry>,
    pub epss: Option<EpssScore>,
    /// The finding has a CVE to look up.
    pub has_cve: bool,
}

/// Why a blocking vulnerability blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockReason {
    /// The severity policy selects it (and no threshold, or `EpssAtThreshold`).
    Policy,
    /// `--block-kev`: it is in the KEV catalog.
    Kev,
    /// `--epss-threshold`: its score reaches the threshold.
    EpssAtThreshold,
    /// `--epss-threshold` with `--epss-missing deny`: it has no score.
    NoScore,
}

impl BlockReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            BlockReason::Policy => "policy",
            BlockReason::Kev => "kev",
            BlockReason::EpssAtThreshold => "epss",
            BlockReason::NoScore => "no-epss-score",
        }
    }
}

impl FeedsDecision {
    /// The facts of vulnerability `v`.
    pub fn facts(&self, v: &Vulnerability<'_>) -> Facts<'_> {
        self.facts_of_cve(crate::feeds::cve_of(v).as_deref())
    }

    /// The facts of a finding whose CVE ([`crate::feeds::cve_of`]) is `cve`.
    pub fn facts_of_cve(&self, cve: Option<&str>) -> Facts<'_> {
        let Some(cve) = cve else {
            return Facts::default();
        };
        let (kev, epss) = self.feeds.lookup(cve);
        Facts {
            kev,
            epss,
            has_cve: true,
        }
    }

    /// Why a vulnerability that blocks does so.
    pub fn reason(&self, v: &Vulnerability<'_>) -> BlockReason {
        let f = self.facts(v);
        if self.settings.block_kev && f.kev.is_some() {
            return BlockReason::Kev;
        }
        match (self.settings.epss_threshold, f.epss) {
            (None, _) => BlockReason::Policy,
            (Some(_), Some(_)) => BlockReason::EpssAtThreshold,
            (Some(_), None) => BlockReason::NoScore,
        }
    }
}

/// A report's baseline, once matched by platform.
#[derive(Debug, Clone)]
pub struct ReportBaseline {
    pub mode: BaselineMode,
    /// The baseline compared against; `None` when the platform had none and
    /// `--baseline-missing allow` let it gate in full.
    pub file: Option<PathBuf>,
    /// Vulnerabilities the baseline blocks on (same policy, same VEX) that this report no
    /// longer blocks on, in the baseline's order.
    pub fixed: Vec<FixedFinding>,
}

/// A vulnerability of the baseline that is gone from the report (or no longer blocks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedFinding {
    pub id: FindingId,
    pub pkg_name: String,
    pub installed_version: String,
    pub severity: String,
    pub target: String,
    pub title: Option<String>,
    pub primary_url: Option<String>,
}

/// The baseline settings the decision was taken under (shown by every output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineSummary {
    pub mode: BaselineMode,
    pub missing: MissingBaseline,
    pub files: Vec<PathBuf>,
}

/// Platform drift: which reports of a gate run (two or more) have which vulnerability,
/// by [`crate::baseline::identity`], after the filters and VEX.
#[derive(Debug, Clone, Default)]
pub struct Presence {
    /// One set per report, in report order.
    pub per_report: Vec<HashSet<FindingId>>,
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
    /// Set when `--baseline` was given.
    pub baseline: Option<ReportBaseline>,
}

impl ReportDecision<'_> {
    /// Does the baseline keep existing findings from blocking (`--baseline-mode block-new`
    /// and a baseline for this platform)?
    pub fn only_new_blocks(&self) -> bool {
        self.baseline
            .as_ref()
            .is_some_and(|b| b.mode == BaselineMode::BlockNew && b.file.is_some())
    }

    /// The blocking vulnerabilities of result `ri`: all that survived the filters and VEX,
    /// less the baseline's existing ones in `block-new` mode and the ones below the EPSS
    /// threshold.
    pub fn blocking_vulnerabilities(&self, ri: usize) -> impl Iterator<Item = usize> + '_ {
        let d = &self.results[ri];
        let skip = self.only_new_blocks();
        d.vulnerabilities
            .iter()
            .copied()
            .filter(move |&vi| !(d.is_below_threshold(vi) || skip && d.is_existing(vi)))
    }

    /// The vulnerabilities of result `ri` the EPSS threshold keeps from blocking (not
    /// counting the baseline's existing ones in `block-new` mode, listed there).
    pub fn below_threshold(&self, ri: usize) -> impl Iterator<Item = usize> + '_ {
        let d = &self.results[ri];
        let skip = self.only_new_blocks();
        d.below_threshold
            .iter()
            .copied()
            .filter(move |&vi| !(skip && d.is_existing(vi)))
    }

    /// The vulnerabilities of result `ri` that the baseline has and that do not block
    /// (`block-new` mode); empty otherwise.
    pub fn existing_not_blocking(&self, ri: usize) -> impl Iterator<Item = usize> + '_ {
        let d = &self.results[ri];
        let keep = self.only_new_blocks();
        d.vulnerabilities
            .iter()
            .copied()
            .filter(move |&vi| keep && d.is_existing(vi))
    }

    /// Does anything in this report block? Mirrors Trivy's `Results.Failed()`
    /// (pkg/types/report.go): vulns, FAIL misconfigs, secrets or licenses left after filtering
    /// (with a `block-new` baseline, findings the baseline has do not count).
    pub fn blocks(&self) -> bool {
        (0..self.results.len()).any(|ri| {
            self.blocking_vulnerabilities(ri).next().is_some()
                || self.blocking_others(ri).next().is_some()
        })
    }

    /// The secrets, FAIL misconfigurations and licenses of result `ri` left after filtering
    /// (the ones Trivy's `Results.Failed()` counts), each with whether the baseline has it.
    pub fn other_findings(
        &self,
        ri: usize,
    ) -> impl Iterator<Item = (FindingKind, usize, bool)> + '_ {
        let (d, r) = (&self.results[ri], &self.report.results[ri]);
        let misconfigs = d
            .misconfigurations
            .iter()
            .filter(|&&i| r.misconfigurations[i].status == "FAIL")
            .map(|&i| (FindingKind::Misconfiguration, i));
        let secrets = d.secrets.iter().map(|&i| (FindingKind::Secret, i));
        let licenses = d.licenses.iter().map(|&i| (FindingKind::License, i));
        misconfigs
            .chain(secrets)
            .chain(licenses)
            .map(move |(k, i)| (k, i, d.is_existing_other(k, i)))
    }

    /// The blocking secrets, FAIL misconfigurations and licenses of result `ri`: all that
    /// survived, less the baseline's existing ones in `block-new` mode.
    pub fn blocking_others(&self, ri: usize) -> impl Iterator<Item = (FindingKind, usize)> + '_ {
        let skip = self.only_new_blocks();
        self.other_findings(ri)
            .filter(move |&(_, _, existing)| !(skip && existing))
            .map(|(k, i, _)| (k, i))
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
    /// Set when `--baseline` was given.
    pub baseline: Option<BaselineSummary>,
    /// Set when there are two or more reports (platform drift).
    pub presence: Option<Presence>,

    // --- the platform check (`--expect-platforms`, see crate::expect) ---
    /// The check's outcome, when one was asked for; a failed check blocks.
    pub platform_check: Option<crate::expect::PlatformCheck>,
    /// Set when `--kev` or `--epss` was given.
    pub feeds: Option<FeedsDecision>,
}

/// One row of the cross-platform view: a finding present on several platforms is one row.
#[derive(Debug, Clone)]
pub struct Row<'r> {
    pub vuln: &'r Vulnerability<'r>,
    pub target: &'r str,
    pub platforms: Vec<Option<Platform>>,
    /// Set for suppressed rows.
    pub suppression: Option<Suppression>,
    /// Baseline: the platforms whose baseline lacks this finding (`new`) and has it
    /// (`existing`). A platform without a baseline is in neither.
    pub new_on: Vec<Option<Platform>>,
    pub existing_on: Vec<Option<Platform>>,
    /// Drift: the platforms of this gate run (two or more reports) on which this finding
    /// ([`crate::baseline::identity`]) is not left after the filters and VEX. Empty when
    /// every report has it, or with one report.
    pub missing_on: Vec<Option<Platform>>,
}

/// A row's baseline mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Absent from the baseline of at least one of its platforms.
    New,
    /// In the baseline of every platform it is on that has a baseline.
    Existing,
}

impl Mark {
    pub const fn as_str(self) -> &'static str {
        match self {
            Mark::New => "new",
            Mark::Existing => "existing",
        }
    }
}

impl Row<'_> {
    /// `None` when none of the row's platforms had a baseline.
    pub fn mark(&self) -> Option<Mark> {
        if !self.new_on.is_empty() {
            Some(Mark::New)
        } else if !self.existing_on.is_empty() {
            Some(Mark::Existing)
        } else {
            None
        }
    }
}

impl<'r> Decision<'r> {
    pub fn blocked(&self) -> bool {
        self.coverage_failed
            || self
                .platform_check
                .as_ref()
                .is_some_and(crate::expect::PlatformCheck::failed)
            || self
                .feeds
                .as_ref()
                .is_some_and(|f| f.kev_suppression_failed)
            || self.reports.iter().any(ReportDecision::blocks)
    }

    /// The exploitation facts of `v` (none without feeds).
    pub fn facts(&self, v: &Vulnerability<'_>) -> Facts<'_> {
        self.feeds.as_ref().map(|f| f.facts(v)).unwrap_or_default()
    }

    /// The exploitation facts of a finding by its CVE (none without feeds).
    pub fn facts_of_cve(&self, cve: Option<&str>) -> Facts<'_> {
        self.feeds
            .as_ref()
            .map(|f| f.facts_of_cve(cve))
            .unwrap_or_default()
    }

    /// Why blocking vulnerability `v` blocks (`Policy` without feeds).
    pub fn reason(&self, v: &Vulnerability<'_>) -> BlockReason {
        self.feeds
            .as_ref()
            .map_or(BlockReason::Policy, |f| f.reason(v))
    }

    /// Vulnerabilities the EPSS threshold keeps from blocking, merged like
    /// [`Self::blocking_rows`].
    pub fn below_threshold_rows(&self) -> Vec<Row<'r>> {
        self.rows(|rep, ri| rep.below_threshold(ri).map(|vi| (vi, None)).collect())
    }

    /// Blocking vulnerabilities merged across platforms, keyed on
    /// (VulnerabilityID, PkgName, InstalledVersion, FixedVersion, PkgPath, Target),
    /// in first-seen order.
    pub fn blocking_rows(&self) -> Vec<Row<'r>> {
        self.rows(|rep, ri| {
            rep.blocking_vulnerabilities(ri)
                .map(|vi| (vi, None))
                .collect()
        })
    }

    /// Vulnerabilities a `block-new` baseline keeps from blocking, merged like
    /// [`Self::blocking_rows`]. Empty without a baseline and in `report` mode (there they
    /// block, and their rows are marked existing).
    pub fn existing_rows(&self) -> Vec<Row<'r>> {
        self.rows(|rep, ri| rep.existing_not_blocking(ri).map(|vi| (vi, None)).collect())
    }

    /// Distinct vulnerabilities (by identity) left on only some platforms, over the
    /// blocking and existing rows; `None` with fewer than two reports.
    pub fn drift_count(&self) -> Option<usize> {
        self.presence.as_ref()?;
        let mut seen = HashSet::new();
        for rep in &self.reports {
            for (ri, r) in rep.report.results.iter().enumerate() {
                for &vi in &rep.results[ri].vulnerabilities {
                    let id = crate::baseline::identity(r, &r.vulnerabilities[vi]);
                    if !self.missing_on(&id).is_empty() {
                        seen.insert(id);
                    }
                }
            }
        }
        Some(seen.len())
    }

    /// The platforms of the reports that do not have finding `id` left (drift).
    pub fn missing_on(&self, id: &FindingId) -> Vec<Option<Platform>> {
        let Some(p) = &self.presence else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (set, rep) in p.per_report.iter().zip(&self.reports) {
            if !set.contains(id) && !out.contains(&rep.platform) {
                out.push(rep.platform.clone());
            }
        }
        out
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
                    let baselined =
                        sup.is_none() && rep.baseline.as_ref().is_some_and(|b| b.file.is_some());
                    let existing = baselined && rep.results[ri].is_existing(vi);
                    let i = match index.get(&key) {
                        Some(&i) => {
                            if !rows[i].platforms.contains(&rep.platform) {
                                rows[i].platforms.push(rep.platform.clone());
                            }
                            i
                        }
                        None => {
                            index.insert(key, rows.len());
                            let missing_on = if sup.is_none() && self.presence.is_some() {
                                self.missing_on(&crate::baseline::identity(result, v))
                            } else {
                                Vec::new()
                            };
                            rows.push(Row {
                                vuln: v,
                                target: &result.target,
                                platforms: vec![rep.platform.clone()],
                                suppression: sup,
                                new_on: Vec::new(),
                                existing_on: Vec::new(),
                                missing_on,
                            });
                            rows.len() - 1
                        }
                    };
                    if baselined {
                        let list = if existing {
                            &mut rows[i].existing_on
                        } else {
                            &mut rows[i].new_on
                        };
                        if !list.contains(&rep.platform) {
                            list.push(rep.platform.clone());
                        }
                    }
                }
            }
        }
        rows
    }
}
