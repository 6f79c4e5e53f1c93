//! The presentation view shared by the table, JSON and Markdown renderers: rows merged across
//! platforms, counts, and per-report lines. It only reads the [`Decision`]; nothing is filtered
//! or re-derived here beyond grouping and counting.

use std::collections::{HashMap, HashSet};

use crate::decision::{
    BlockReason, Decision, Facts, FindingKind, FixedFinding, Mark, Origin, ReportDecision, Row,
};
use crate::report::{Coverage, Platform, Vulnerability};
use crate::severity::Severity;

/// `linux/amd64`, or `unknown` when neither the report nor `--report-platform` named one.
pub fn platform_label(p: Option<&Platform>) -> String {
    p.map_or_else(|| "unknown".to_string(), Platform::to_string)
}

/// Labels of a row's platforms, in first-seen order.
pub fn platform_labels(ps: &[Option<Platform>]) -> Vec<String> {
    ps.iter().map(|p| platform_label(p.as_ref())).collect()
}

/// Counts per severity, in [`Severity::MOST_SEVERE_FIRST`] order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeverityCounts(pub [usize; 5]);

impl SeverityCounts {
    pub fn add(&mut self, sev: &str) {
        self.0[Severity::of_report(sev).display_index()] += 1;
    }
    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }
    /// `1 CRITICAL, 2 HIGH` (only non-zero entries).
    pub fn describe(&self) -> String {
        Severity::MOST_SEVERE_FIRST
            .iter()
            .zip(self.0)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A blocking secret, FAIL misconfiguration or license, merged across platforms.
#[derive(Debug, Clone)]
pub struct OtherRow {
    pub kind: FindingKind,
    /// Secret rule ID, misconfiguration ID, or license name.
    pub id: String,
    pub severity: String,
    pub target: String,
    /// Title, message, or the package a license belongs to.
    pub detail: String,
    pub url: Option<String>,
    pub platforms: Vec<Option<Platform>>,
    /// Baseline: new (absent from the baseline of at least one of its platforms) or
    /// existing; `None` without a baseline for its platforms.
    pub mark: Option<Mark>,
}

/// A suppressed finding (by vexgate, or already recorded in the input report), merged across
/// platforms.
#[derive(Debug, Clone)]
pub struct SuppressedRow {
    pub kind: FindingKind,
    pub id: String,
    pub pkg_name: String,
    pub installed_version: String,
    pub fixed_version: String,
    pub severity: String,
    pub target: String,
    /// The result's `Class` and `Type` (OS rows merge across platforms on these).
    pub class: String,
    pub result_type: String,
    pub status: String,
    pub statement: String,
    pub source: String,
    pub origin: Origin,
    pub url: Option<String>,
    pub platforms: Vec<Option<Platform>>,
    /// The CVE a vulnerability is looked up by in the feeds ([`crate::feeds::cve_of`]).
    pub cve: Option<String>,
}

/// One input report, for the "reports" line of every output.
#[derive(Debug, Clone)]
pub struct ReportLine {
    pub path: String,
    pub platform: Option<Platform>,
    pub coverage: Coverage,
    pub assumed_identity: Option<String>,
    /// Blocking vulnerabilities plus blocking secrets, FAIL misconfigurations and licenses.
    pub blocking: usize,
    /// Blocking vulnerabilities per severity.
    pub by_severity: SeverityCounts,
    pub other_blocking: usize,
    /// Suppressed by vexgate plus suppressions already recorded in the input.
    pub suppressed: usize,
    /// Baseline: the report's baseline file (`None` without one), and its vulnerabilities
    /// left after the filters and VEX that the baseline lacks (`new`) or has (`existing`),
    /// and the baseline's blocking ones that are gone (`fixed`). All zero without a baseline.
    pub baseline: Option<String>,
    pub new: usize,
    pub existing: usize,
    pub fixed: usize,
}

/// A vulnerability fixed since the baseline, merged across platforms.
#[derive(Debug, Clone)]
pub struct FixedRow {
    pub finding: FixedFinding,
    pub platforms: Vec<Option<Platform>>,
}

/// Baseline and drift counts over distinct rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BaselineCounts {
    pub new: usize,
    pub existing: usize,
    pub fixed: usize,
}

/// Everything the human and machine summaries show.
#[derive(Debug)]
pub struct View<'r> {
    pub blocking: Vec<Row<'r>>,
    /// Baseline `block-new`: the vulnerabilities the baseline has, which do not block.
    pub existing: Vec<Row<'r>>,
    /// Baseline: vulnerabilities fixed since the baseline.
    pub fixed: Vec<FixedRow>,
    /// Baseline counts over distinct rows (`None` without `--baseline`).
    pub baseline: Option<BaselineCounts>,
    /// Distinct vulnerabilities left on only some platforms (`None` unless two or more
    /// reports, all with a platform).
    pub drift: Option<usize>,
    /// Blocking secrets, FAIL misconfigurations and licenses.
    pub other: Vec<OtherRow>,
    /// Baseline `block-new`: the secrets, misconfigurations and licenses the baseline has,
    /// which do not block.
    pub other_existing: Vec<OtherRow>,
    pub suppressed: Vec<SuppressedRow>,
    /// Suppressed vulnerabilities that are in the KEV catalog (every output lists them,
    /// also without --show-suppressed). Empty without `--kev`.
    pub suppressed_kev: Vec<SuppressedRow>,
    /// `--epss-threshold`: vulnerabilities left after the filters and VEX that do not block
    /// because of their score.
    pub below_threshold: Vec<Row<'r>>,
    /// Distinct blocking vulnerabilities (merged rows) per severity.
    pub by_severity: SeverityCounts,
    pub reports: Vec<ReportLine>,
    pub blocked: bool,
    /// Targets of OS results (`<artifact> (<family> <version>)`), shortened for display.
    os_targets: HashSet<String>,
}

impl<'r> View<'r> {
    pub fn new(decision: &Decision<'r>) -> Self {
        let blocking = decision.blocking_rows();
        let mut by_severity = SeverityCounts::default();
        for row in &blocking {
            by_severity.add(row.vuln.effective_severity());
        }
        let mut other = Merger::new();
        let mut other_existing = Merger::new();
        let mut suppressed = Merger::new();
        let mut fixed = Merger::new();
        let mut reports = Vec::new();
        for rep in &decision.reports {
            let ((line_other, line_other_existing), line_sup) =
                (other_rows(rep), suppressed_rows(rep));
            let mut line_sev = SeverityCounts::default();
            let (mut line_new, mut line_existing) = (0, 0);
            for (ri, (d, r)) in rep.results.iter().zip(&rep.report.results).enumerate() {
                for vi in rep.blocking_vulnerabilities(ri) {
                    line_sev.add(r.vulnerabilities[vi].effective_severity());
                }
                if rep.baseline.as_ref().is_some_and(|b| b.file.is_some()) {
                    let others = rep.other_findings(ri).count();
                    line_existing += d.existing.len() + d.existing_other.len();
                    line_new += d.vulnerabilities.len() - d.existing.len() + others
                        - d.existing_other.len();
                }
            }
            let line_baseline = rep.baseline.as_ref();
            for f in line_baseline.map_or(&[][..], |b| &b.fixed[..]) {
                let key = fixed_key(f);
                fixed.add(
                    key,
                    FixedRow {
                        finding: f.clone(),
                        platforms: vec![rep.platform.clone()],
                    },
                    |o, r| push_platforms(&mut o.platforms, r.platforms),
                );
            }
            reports.push(ReportLine {
                path: rep.file.path.display().to_string(),
                platform: rep.platform.clone(),
                coverage: rep.coverage.clone(),
                assumed_identity: rep.assumed_identity.clone(),
                blocking: line_sev.total() + line_other.len(),
                by_severity: line_sev,
                other_blocking: line_other.len(),
                suppressed: line_sup.len(),
                baseline: line_baseline
                    .and_then(|b| b.file.as_ref())
                    .map(|f| f.display().to_string()),
                new: line_new,
                existing: line_existing,
                fixed: line_baseline.map_or(0, |b| b.fixed.len()),
            });
            for (rows, merger) in [
                (line_other, &mut other),
                (line_other_existing, &mut other_existing),
            ] {
                for row in rows {
                    merger.add(other_key(&row), row, |o, r| {
                        push_platforms(&mut o.platforms, r.platforms);
                        if r.mark == Some(Mark::New) || o.mark.is_none() {
                            o.mark = r.mark;
                        }
                    });
                }
            }
            for row in line_sup {
                suppressed.add(suppressed_key(&row), row, |o, r| {
                    push_platforms(&mut o.platforms, r.platforms)
                });
            }
        }
        let os_targets = decision
            .reports
            .iter()
            .flat_map(|r| r.report.results.iter())
            .filter(|r| r.class == "os-pkgs")
            .map(|r| r.target.to_string())
            .collect();
        let existing = decision.existing_rows();
        let baseline = decision.baseline.as_ref().map(|_| {
            let marks = blocking.iter().chain(&existing).map(Row::mark).chain(
                other
                    .rows
                    .iter()
                    .chain(&other_existing.rows)
                    .map(|o| o.mark),
            );
            BaselineCounts {
                new: marks.clone().filter(|m| *m == Some(Mark::New)).count(),
                existing: marks.filter(|m| *m == Some(Mark::Existing)).count(),
                fixed: fixed.rows.len(),
            }
        });
        let suppressed_kev = if decision
            .feeds
            .as_ref()
            .is_some_and(|f| f.feeds.kev.is_some())
        {
            suppressed
                .rows
                .iter()
                .filter(|r| {
                    r.kind == FindingKind::Vulnerability
                        && decision.facts_of_cve(r.cve.as_deref()).kev.is_some()
                })
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        View {
            suppressed_kev,
            below_threshold: decision.below_threshold_rows(),
            os_targets,
            existing,
            fixed: fixed.rows,
            baseline,
            drift: decision.drift_count(),
            blocking,
            other: other.rows,
            other_existing: other_existing.rows,
            suppressed: suppressed.rows,
            by_severity,
            reports,
            blocked: decision.blocked(),
        }
    }

    /// A target for the human outputs. An OS result's target embeds the artifact name, which
    /// differs per platform report (and rows merge across platforms), so it is shown as
    /// `debian 10.1 (OS)`; other targets (file paths) are shown as they are.
    pub fn target_label(&self, target: &str) -> String {
        if self.os_targets.contains(target)
            && let Some(open) = target.rfind(" (")
            && target.ends_with(')')
        {
            return format!("{} (OS)", &target[open + 2..target.len() - 1]);
        }
        target.to_string()
    }

    /// Distinct platform labels over all reports, in report order.
    pub fn platforms(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.reports {
            let l = platform_label(r.platform.as_ref());
            if !out.contains(&l) {
                out.push(l);
            }
        }
        out
    }

    /// Blocking vulnerabilities per severity on one platform label (summed over its reports).
    pub fn platform_counts(&self, label: &str) -> SeverityCounts {
        let mut c = SeverityCounts::default();
        for r in &self.reports {
            if platform_label(r.platform.as_ref()) == label {
                for i in 0..5 {
                    c.0[i] += r.by_severity.0[i];
                }
            }
        }
        c
    }

    /// One-line verdict, e.g. `BLOCKED: 3 vulnerabilities (1 CRITICAL, 2 HIGH), 1 other finding`.
    pub fn verdict_line(&self, decision: &Decision<'_>) -> String {
        let word = if self.blocked { "BLOCKED" } else { "PASS" };
        let mut parts = Vec::new();
        let n = self.blocking.len();
        if n > 0 {
            parts.push(format!(
                "{n} blocking {} ({})",
                plural(n, "vulnerability", "vulnerabilities"),
                self.by_severity.describe()
            ));
        }
        if !self.other.is_empty() {
            parts.push(format!(
                "{} blocking {}",
                self.other.len(),
                plural(
                    self.other.len(),
                    "secret/misconfiguration/license",
                    "secrets/misconfigurations/licenses"
                )
            ));
        }
        if decision.coverage_failed {
            parts.push("coverage required but missing (--require-coverage)".to_string());
        }
        if let Some(c) = decision.platform_check.as_ref().filter(|c| c.failed()) {
            parts.push(platform_check_part(c));
        }
        if decision
            .feeds
            .as_ref()
            .is_some_and(|f| f.kev_suppression_failed)
        {
            parts.push("a KEV finding is suppressed (--kev-suppression deny)".to_string());
        }
        if parts.is_empty() {
            parts.push("nothing blocks under this policy".to_string());
        }
        let mut line = format!("{word}: {}", parts.join(", "));
        if !self.suppressed.is_empty() {
            line.push_str(&format!("; {} suppressed", self.suppressed.len()));
        }
        if let Some(f) = &decision.feeds {
            if !self.suppressed_kev.is_empty() {
                let n = self.suppressed_kev.len();
                line.push_str(&format!(
                    "; {n} suppressed KEV {}{}",
                    plural(n, "finding", "findings"),
                    if f.kev_suppression_failed {
                        " (--kev-suppression deny: blocks)"
                    } else {
                        ""
                    }
                ));
            }
            if !self.below_threshold.is_empty() {
                let n = self.below_threshold.len();
                line.push_str(&format!(
                    "; {n} {} below the EPSS threshold",
                    plural(n, "vulnerability", "vulnerabilities")
                ));
            }
            if f.no_cve > 0 {
                line.push_str(&format!("; {} without a CVE (no KEV/EPSS data)", f.no_cve));
            }
        }
        if let Some(b) = &self.baseline {
            line.push_str(&format!(
                "; baseline: {} new, {} existing, {} fixed",
                b.new, b.existing, b.fixed
            ));
        }
        if let Some(n) = self.drift.filter(|n| *n > 0) {
            line.push_str(&format!(
                "; {n} {} on only some platforms",
                plural(n, "vulnerability", "vulnerabilities")
            ));
        }
        let plats = self.platforms();
        line.push_str(&format!(
            " [{} {}: {}]",
            plats.len(),
            plural(plats.len(), "platform", "platforms"),
            plats.join(", ")
        ));
        line
    }
}

/// The verdict's part for a failed platform check: `platform check failed (1 missing, …)`.
fn platform_check_part(c: &crate::expect::PlatformCheck) -> String {
    let mut what = Vec::new();
    if !c.missing.is_empty() {
        let m: Vec<String> = c.missing.iter().map(ToString::to_string).collect();
        what.push(format!("missing {}", m.join(", ")));
    }
    if !c.unexpected.is_empty() {
        let u: Vec<String> = c.unexpected.iter().map(|(_, p)| p.to_string()).collect();
        what.push(format!("not expected {}", u.join(", ")));
    }
    if !c.no_platform.is_empty() {
        what.push(format!(
            "{} {} without a platform",
            c.no_platform.len(),
            plural(c.no_platform.len(), "report", "reports")
        ));
    }
    let flag = match c.expected.source {
        crate::expect::Source::Flag => "--expect-platforms",
        crate::expect::Source::Index(_) => "--expect-platforms-from",
        crate::expect::Source::ScanTarget => "the platforms scanned",
    };
    format!("platform check failed ({}; {flag})", what.join("; "))
}

/// The platform check in one line for the summaries, e.g. `expected linux/amd64, linux/arm64
/// (--expect-platforms-from index.json): all present`.
pub fn platform_check_line(c: &crate::expect::PlatformCheck) -> String {
    let expected: Vec<String> = c
        .expected
        .platforms
        .iter()
        .map(ToString::to_string)
        .collect();
    format!(
        "expected {} ({}): {}",
        expected.join(", "),
        c.expected.source.describe(),
        if c.failed() {
            "FAILED, see the warnings"
        } else {
            "every platform has its report, and no report is of another platform"
        }
    )
}

pub fn plural<'s>(n: usize, one: &'s str, many: &'s str) -> &'s str {
    if n == 1 { one } else { many }
}

/// The effective policy in one line: `severity HIGH,CRITICAL; ignore-unfixed; vex a.json`.
pub fn policy_line(p: &crate::policy::Policy) -> String {
    fn names<T: std::fmt::Display>(v: &[T]) -> String {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
    let mut parts = vec![format!("severity {}", names(&p.severities))];
    if p.ignore_unfixed {
        parts.push("ignore-unfixed".to_string());
    } else if !p.ignore_statuses.is_empty() {
        parts.push(format!("ignore-status {}", names(&p.ignore_statuses)));
    }
    if let Some(f) = &p.ignorefile {
        parts.push(format!("ignorefile {}", f.path.display()));
    }
    if p.vex.is_empty() {
        parts.push("no VEX".to_string());
    } else {
        parts.push(format!("vex {}", p.vex.join(", ")));
    }
    if let Some(r) = &p.image_repo {
        parts.push(format!("image-repo {r}"));
    }
    if p.require_coverage {
        parts.push("require-coverage".to_string());
    }
    parts.join("; ")
}

/// `ok`, `no-results`, `no-packages`: the stable coverage word used in machine output.
pub fn coverage_word(c: &Coverage) -> &'static str {
    match c {
        Coverage::Ok => "ok",
        Coverage::NoResults => "no-results",
        Coverage::NoPackages => "no-packages",
    }
}

/// The secrets, FAIL misconfigurations and licenses of a report: (those that block, those
/// the baseline has that do not block in `block-new` mode).
fn other_rows(rep: &ReportDecision<'_>) -> (Vec<OtherRow>, Vec<OtherRow>) {
    let (mut blocking, mut existing) = (Vec::new(), Vec::new());
    let baselined = rep.baseline.as_ref().is_some_and(|b| b.file.is_some());
    let skip = rep.only_new_blocks();
    for (ri, r) in rep.report.results.iter().enumerate() {
        for (kind, i, is_existing) in rep.other_findings(ri) {
            let (id, severity, detail, url) = match kind {
                FindingKind::Misconfiguration => {
                    let m = &r.misconfigurations[i];
                    (
                        m.id.to_string(),
                        &m.severity,
                        m.title
                            .as_deref()
                            .or(m.message.as_deref())
                            .unwrap_or_default()
                            .to_string(),
                        m.primary_url.as_deref().map(str::to_string),
                    )
                }
                FindingKind::Secret => {
                    let s = &r.secrets[i];
                    let mut detail = s.title.as_deref().unwrap_or_default().to_string();
                    if let Some(line) = s.start_line {
                        detail.push_str(&format!(" (line {line})"));
                    }
                    (s.rule_id.to_string(), &s.severity, detail, None)
                }
                FindingKind::License | FindingKind::Vulnerability => {
                    let l = &r.licenses[i];
                    let pkg = l.pkg_name.as_deref().or(l.file_path.as_deref());
                    let category = l.category.as_deref().unwrap_or_default();
                    (
                        l.name.to_string(),
                        &l.severity,
                        match pkg {
                            Some(p) if !category.is_empty() => format!("{p} ({category})"),
                            Some(p) => p.to_string(),
                            None => category.to_string(),
                        },
                        None,
                    )
                }
            };
            let row = OtherRow {
                kind,
                id,
                severity: nonempty_sev(severity),
                target: r.target.to_string(),
                detail,
                url,
                platforms: vec![rep.platform.clone()],
                mark: baselined.then_some(if is_existing {
                    Mark::Existing
                } else {
                    Mark::New
                }),
            };
            if skip && is_existing {
                existing.push(row);
            } else {
                blocking.push(row);
            }
        }
    }
    (blocking, existing)
}

fn nonempty_sev(s: &str) -> String {
    if s.is_empty() {
        "UNKNOWN".into()
    } else {
        s.to_string()
    }
}

fn suppressed_rows(rep: &ReportDecision<'_>) -> Vec<SuppressedRow> {
    let mut out = Vec::new();
    for (d, r) in rep.results.iter().zip(&rep.report.results) {
        // Already recorded in the input (Trivy ran with --vex or an ignore file): counted as
        // suppressed, taken from the report itself.
        for mf in &r.modified_findings {
            let mut row = SuppressedRow {
                kind: kind_of(&mf.kind),
                id: String::new(),
                pkg_name: String::new(),
                installed_version: String::new(),
                fixed_version: String::new(),
                severity: String::new(),
                target: r.target.to_string(),
                class: r.class.to_string(),
                result_type: r.kind.to_string(),
                status: mf.status.to_string(),
                statement: mf.statement.to_string(),
                source: mf.source.to_string(),
                origin: Origin::Report,
                url: None,
                platforms: vec![rep.platform.clone()],
                cve: None,
            };
            if let Some(v) = mf.vulnerability() {
                fill_from_vuln(&mut row, &v);
            } else if let Ok(o) =
                serde_json::from_str::<OtherId>(mf.finding.map_or("null", |f| f.get()))
            {
                row.id = o.id();
                row.severity = nonempty_sev(o.severity.as_deref().unwrap_or_default());
            }
            out.push(row);
        }
        for (kind, i, s) in &d.suppressed {
            // Entries of origin `Report` would duplicate the ones read above.
            if s.origin == Origin::Report {
                continue;
            }
            let mut row = SuppressedRow {
                kind: *kind,
                id: String::new(),
                pkg_name: String::new(),
                installed_version: String::new(),
                fixed_version: String::new(),
                severity: String::new(),
                target: r.target.to_string(),
                class: r.class.to_string(),
                result_type: r.kind.to_string(),
                status: s.status.to_string(),
                statement: s.statement.clone(),
                source: s.source.clone(),
                origin: s.origin,
                url: None,
                platforms: vec![rep.platform.clone()],
                cve: None,
            };
            match kind {
                FindingKind::Vulnerability => {
                    if let Some(v) = r.vulnerabilities.get(*i) {
                        fill_from_vuln(&mut row, v);
                    }
                }
                FindingKind::Misconfiguration => {
                    if let Some(m) = r.misconfigurations.get(*i) {
                        row.id = m.id.to_string();
                        row.severity = nonempty_sev(&m.severity);
                        row.url = m.primary_url.as_deref().map(str::to_string);
                    }
                }
                FindingKind::Secret => {
                    if let Some(x) = r.secrets.get(*i) {
                        row.id = x.rule_id.to_string();
                        row.severity = nonempty_sev(&x.severity);
                    }
                }
                FindingKind::License => {
                    if let Some(l) = r.licenses.get(*i) {
                        row.id = l.name.to_string();
                        row.pkg_name = l.pkg_name.as_deref().unwrap_or_default().to_string();
                        row.severity = nonempty_sev(&l.severity);
                    }
                }
            }
            out.push(row);
        }
    }
    out
}

fn fill_from_vuln(row: &mut SuppressedRow, v: &Vulnerability<'_>) {
    row.id = v.vulnerability_id.to_string();
    row.pkg_name = v.pkg_name.to_string();
    row.installed_version = v.installed_version.to_string();
    row.fixed_version = v.fixed_version.to_string();
    row.severity = v.effective_severity().to_string();
    row.url = v.primary_url.as_deref().map(str::to_string);
    row.cve = crate::feeds::cve_of(v).map(|c| c.into_owned());
}

/// The identifying fields of a non-vulnerability finding in `ExperimentalModifiedFindings`.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct OtherId {
    #[serde(rename = "ID")]
    id: Option<String>,
    #[serde(rename = "RuleID")]
    rule_id: Option<String>,
    name: Option<String>,
    severity: Option<String>,
}

impl OtherId {
    fn id(&self) -> String {
        self.id
            .clone()
            .or_else(|| self.rule_id.clone())
            .or_else(|| self.name.clone())
            .unwrap_or_default()
    }
}

fn kind_of(t: &str) -> FindingKind {
    match t {
        "misconfiguration" => FindingKind::Misconfiguration,
        "secret" => FindingKind::Secret,
        "license" => FindingKind::License,
        _ => FindingKind::Vulnerability,
    }
}

/// Rows merged across platforms on a key, in first-seen order, with a hash index so that
/// tens of thousands of rows merge in linear time.
struct Merger<T> {
    rows: Vec<T>,
    index: HashMap<String, usize>,
}

impl<T> Merger<T> {
    fn new() -> Self {
        Self {
            rows: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn add(&mut self, key: String, row: T, platforms: impl FnOnce(&mut T, T)) {
        match self.index.get(&key) {
            Some(&i) => platforms(&mut self.rows[i], row),
            None => {
                self.index.insert(key, self.rows.len());
                self.rows.push(row);
            }
        }
    }
}

fn other_key(o: &OtherRow) -> String {
    format!(
        "{:?}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        o.kind, o.id, o.target, o.detail, o.severity
    )
}

fn fixed_key(f: &FixedFinding) -> String {
    format!(
        "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        f.id.vulnerability_id,
        f.id.package,
        f.id.location,
        f.id.class,
        f.id.result_type,
        f.installed_version
    )
}

/// A finding's exploitation facts for the human outputs: `KEV due 2025-09-10,
/// ransomware`, `EPSS 0.31025 (p96)` or `EPSS -`, `no CVE`; and for a blocking row, why it
/// blocks when the feeds decided it.
pub fn exploit_lines(f: &Facts<'_>, blocks: Option<BlockReason>) -> Vec<String> {
    let mut lines = Vec::new();
    if !f.has_cve {
        lines.push("no CVE".to_string());
    }
    if let Some(k) = f.kev {
        let mut l = format!("KEV due {}", k.due_date);
        if k.ransomware == crate::feeds::Ransomware::Known {
            l.push_str(", ransomware");
        }
        lines.push(l);
    }
    if let Some(e) = f.epss {
        lines.push(format!(
            "EPSS {:.5} (p{:.0})",
            e.score,
            (e.percentile * 100.0).floor()
        ));
    } else if f.has_cve {
        lines.push("EPSS -".to_string());
    }
    match blocks {
        Some(BlockReason::Kev) => lines.push("blocks: KEV".to_string()),
        Some(BlockReason::EpssAtThreshold) => lines.push("blocks: EPSS ≥ threshold".to_string()),
        Some(BlockReason::NoScore) => lines.push("blocks: no EPSS score".to_string()),
        _ => {}
    }
    lines
}

/// The feeds and their policy in one line, for the human outputs (hostile feed text is
/// escaped by the caller, as all text).
pub fn feeds_line(decision: &Decision<'_>) -> Option<String> {
    let f = decision.feeds.as_ref()?;
    let mut parts: Vec<String> = f
        .status
        .iter()
        .map(|s| {
            format!(
                "{} {} ({} {}, {} old{})",
                if s.kind == "kev" { "KEV" } else { "EPSS" },
                s.path.display(),
                if s.kind == "kev" { "catalog" } else { "model" },
                s.version,
                crate::feeds::describe_age(s.age),
                if s.stale { ", STALE" } else { "" }
            )
        })
        .collect();
    let st = &f.settings;
    if st.block_kev {
        parts.push("--block-kev".to_string());
    }
    if let Some(p) = st.epss_threshold {
        parts.push(format!(
            "--epss-threshold {p} (unscored: {})",
            if st.epss_missing == crate::config::MissingScore::Deny {
                "block"
            } else {
                "pass"
            }
        ));
    }
    if st.kev_suppression == crate::config::KevSuppression::Deny {
        parts.push("--kev-suppression deny".to_string());
    }
    Some(parts.join("; "))
}

/// The baseline's files and mode in one line, for the human outputs.
pub fn baseline_line(decision: &Decision<'_>) -> Option<String> {
    let b = decision.baseline.as_ref()?;
    let mut parts = vec![format!(
        "mode {}{}",
        b.mode.as_str(),
        match b.mode {
            crate::baseline::BaselineMode::BlockNew => " (findings the baseline has do not block)",
            crate::baseline::BaselineMode::Report => " (findings are only marked)",
        }
    )];
    for r in &decision.reports {
        let Some(rb) = &r.baseline else { continue };
        parts.push(format!(
            "{}: {}",
            platform_label(r.platform.as_ref()),
            rb.file.as_ref().map_or_else(
                || "no baseline, gated in full".to_string(),
                |f| f.display().to_string()
            )
        ));
    }
    Some(parts.join("; "))
}

/// A row's drift cell: `not on linux/arm64`, or empty.
pub fn drift_label(row: &Row<'_>) -> String {
    if row.missing_on.is_empty() {
        return String::new();
    }
    format!("not on {}", platform_labels(&row.missing_on).join(", "))
}

fn suppressed_key(o: &SuppressedRow) -> String {
    // An OS target embeds the artifact name, which can differ per platform report.
    let target = if o.class == "os-pkgs" {
        format!("os-pkgs:{}", o.result_type)
    } else {
        o.target.clone()
    };
    format!(
        "{:?}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        o.kind,
        o.id,
        o.pkg_name,
        o.installed_version,
        o.fixed_version,
        target,
        o.status,
        o.statement,
        o.source
    )
}

fn push_platforms(into: &mut Vec<Option<Platform>>, more: Vec<Option<Platform>>) {
    for p in more {
        if !into.contains(&p) {
            into.push(p);
        }
    }
}
