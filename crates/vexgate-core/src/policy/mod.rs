//! Trivy's filters (pkg/result/filter.go), in Trivy's order, over one `Results[]` entry:
//! vulnerabilities (severity → status → ignore file → de-duplication), then
//! misconfigurations, secrets and licenses (severity → ignore file), then the
//! `types.BySeverity` sort. VEX runs afterwards over the whole report ([`crate::vex`]).
//!
//! The functions return indices into the result's arrays ([`ResultDecision`]); nothing is
//! copied or rewritten. One Trivy-ism the renderers must know: a vulnerability with an empty
//! `Severity` counts (and is written) as `UNKNOWN` (filter.go:86-88).

mod gotime;
pub mod ignorefile;
pub mod license;

use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::decision::{FindingKind, Origin, ResultDecision, Suppression};
use crate::error::{Error, Result};
use crate::report::{ScanResult, Vulnerability};
use crate::severity::Severity;

pub use ignorefile::IgnoreConfig;

/// Trivy's vulnerability statuses (trivy-db pkg/types/status.go Statuses).
pub const STATUSES: [&str; 8] = [
    "unknown",
    "not_affected",
    "affected",
    "fixed",
    "under_investigation",
    "will_not_fix",
    "fix_deferred",
    "end_of_life",
];

/// The default policy: `--severity HIGH,CRITICAL`.
pub const DEFAULT_SEVERITIES: [&str; 2] = ["HIGH", "CRITICAL"];

/// Parse `--severity`: any case, whitespace trimmed, duplicates merged, returned in
/// UNKNOWN..CRITICAL order. An unknown name is a usage error naming it (Trivy: "must be
/// one of ...").
pub fn parse_severities(values: &[String]) -> Result<Vec<String>> {
    let mut set = [false; 5];
    for v in values {
        match Severity::parse(&v.trim().to_ascii_uppercase()) {
            Some(s) => set[s as usize] = true,
            None => {
                return Err(Error::usage(format!(
                    "invalid severity {v:?}: must be one of {}",
                    Severity::names()
                )));
            }
        }
    }
    Ok(Severity::ALL
        .into_iter()
        .zip(set)
        .filter(|(_, on)| *on)
        .map(|(s, _)| s.as_str().to_string())
        .collect())
}

/// Parse `--ignore-status`: any case, must be one of [`STATUSES`].
pub fn parse_statuses(values: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let low = v.trim().to_ascii_lowercase();
        if !STATUSES.contains(&low.as_str()) {
            return Err(Error::usage(format!(
                "invalid status {v:?} for --ignore-status: must be one of {}",
                STATUSES.join(",")
            )));
        }
        if !out.contains(&low) {
            out.push(low);
        }
    }
    Ok(out)
}

/// `--ignore-unfixed` is shorthand for ignoring every status but `fixed`
/// (pkg/flag/vulnerability_flags.go ToOptions).
pub fn ignore_unfixed_statuses() -> Vec<String> {
    STATUSES
        .iter()
        .filter(|s| **s != "fixed")
        .map(|s| s.to_string())
        .collect()
}

/// The effective filter settings for one run.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Upper case; compared exactly with each finding's `Severity` (filter.go:91).
    pub severities: Vec<String>,
    /// Lower case; compared with [`Vulnerability::effective_status`].
    pub ignore_statuses: Vec<String>,
    pub ignore: IgnoreConfig,
}

impl Policy {
    fn severity_ok(&self, s: &str) -> bool {
        self.severities.iter().any(|x| x == s)
    }

    fn suppression(&self, statement: &str) -> Suppression {
        Suppression {
            status: "ignored".to_string(),
            statement: statement.to_string(),
            source: self.ignore.file_path.clone(),
            origin: Origin::IgnoreFile,
        }
    }
}

/// Trivy `FilterResult` (filter.go:63-81) without Rego: the four finding filters, then the
/// vulnerability sort.
pub fn filter_result(result: &ScanResult<'_>, policy: &Policy) -> ResultDecision {
    let mut d = ResultDecision::default();
    filter_vulnerabilities(result, policy, &mut d);
    filter_misconfigurations(result, policy, &mut d);
    filter_secrets(result, policy, &mut d);
    filter_licenses(result, policy, &mut d);
    sort_by_severity(&result.vulnerabilities, &mut d.vulnerabilities);
    d
}

/// Trivy `filterVulnerabilities` (filter.go:83-119): an empty Severity is UNKNOWN; drop by
/// severity, then by status; move ignore-file matches to the suppressed list; de-duplicate on
/// `VulnerabilityID/PkgID/PkgName/InstalledVersion/PkgPath`, keeping the larger FixedVersion.
pub fn filter_vulnerabilities(result: &ScanResult<'_>, policy: &Policy, d: &mut ResultDecision) {
    let mut uniq: HashMap<String, usize> = HashMap::new();
    let mut kept: Vec<usize> = Vec::new();
    for (i, v) in result.vulnerabilities.iter().enumerate() {
        if !policy.severity_ok(v.effective_severity()) {
            continue;
        }
        if policy
            .ignore_statuses
            .iter()
            .any(|s| s == v.effective_status())
        {
            continue;
        }
        if !policy.ignore.vulnerabilities.is_empty()
            && let Some(f) = policy.ignore.match_vulnerability(
                &v.vulnerability_id,
                &result.target,
                &v.pkg_path,
                v.pkg_identifier.purl.as_deref(),
            )
        {
            let s = policy.suppression(&f.statement);
            d.suppressed.push((FindingKind::Vulnerability, i, s));
            continue;
        }
        match uniq.entry(dedup_key(v)) {
            Entry::Vacant(e) => {
                e.insert(kept.len());
                kept.push(i);
            }
            Entry::Occupied(e) => {
                let slot = *e.get();
                if should_overwrite(&result.vulnerabilities[kept[slot]], v) {
                    kept[slot] = i;
                }
            }
        }
    }
    d.vulnerabilities = kept;
}

/// filter.go:106: the de-duplication key, joined with `/` exactly as Trivy formats it.
pub fn dedup_key(v: &Vulnerability<'_>) -> String {
    format!(
        "{}/{}/{}/{}/{}",
        v.vulnerability_id, v.pkg_id, v.pkg_name, v.installed_version, v.pkg_path
    )
}

/// Trivy `shouldOverwrite` (filter.go:331-334): the later duplicate wins only with a
/// lexicographically larger FixedVersion (plain byte-wise string `<`).
pub fn should_overwrite(old: &Vulnerability<'_>, new: &Vulnerability<'_>) -> bool {
    old.fixed_version < new.fixed_version
}

/// Trivy `types.BySeverity` (pkg/types/vulnerability.go:46-68): PkgName, PkgID,
/// InstalledVersion ascending, then severity descending, VulnerabilityID, PkgPath.
pub fn by_severity(a: &Vulnerability<'_>, b: &Vulnerability<'_>) -> Ordering {
    a.pkg_name
        .cmp(&b.pkg_name)
        .then_with(|| a.pkg_id.cmp(&b.pkg_id))
        .then_with(|| a.installed_version.cmp(&b.installed_version))
        .then_with(|| {
            Severity::of_report(b.effective_severity())
                .cmp(&Severity::of_report(a.effective_severity()))
        })
        .then_with(|| a.vulnerability_id.cmp(&b.vulnerability_id))
        .then_with(|| a.pkg_path.cmp(&b.pkg_path))
}

/// Sort indices into `vulns` with [`by_severity`].
pub fn sort_by_severity(vulns: &[Vulnerability<'_>], idx: &mut [usize]) {
    idx.sort_by(|&a, &b| by_severity(&vulns[a], &vulns[b]));
}

/// Trivy `filterMisconfigurations` (filter.go:121-156): severity (exact), then the ignore
/// file on ID, AVDID and aliases against the Target. Survivors of every status are kept in
/// the decision (the Trivy-schema writer needs PASS ones for MisconfSummary and lists only
/// FAIL ones, `--include-non-failures` being off); only FAIL ones block.
pub fn filter_misconfigurations(result: &ScanResult<'_>, policy: &Policy, d: &mut ResultDecision) {
    for (i, m) in result.misconfigurations.iter().enumerate() {
        if !policy.severity_ok(&m.severity) {
            continue;
        }
        let ids = [m.id.as_ref(), m.avd_id.as_deref().unwrap_or("")]
            .into_iter()
            .chain(m.aliases.iter().map(|a| a.as_ref()));
        if let Some(f) = policy.ignore.match_misconfiguration(ids, &result.target) {
            let s = policy.suppression(&f.statement);
            d.suppressed.push((FindingKind::Misconfiguration, i, s));
            continue;
        }
        d.misconfigurations.push(i);
    }
}

/// Trivy `filterSecrets` (filter.go:158-173): severity, then RuleID against the Target.
pub fn filter_secrets(result: &ScanResult<'_>, policy: &Policy, d: &mut ResultDecision) {
    for (i, s) in result.secrets.iter().enumerate() {
        if !policy.severity_ok(&s.severity) {
            continue;
        }
        if let Some(f) = policy.ignore.match_secret(&s.rule_id, &result.target) {
            let sup = policy.suppression(&f.statement);
            d.suppressed.push((FindingKind::Secret, i, sup));
            continue;
        }
        d.secrets.push(i);
    }
}

/// Trivy `filterLicenses` (filter.go:175-209) without `--ignored-licenses`: severity, then
/// the license name against the license's FilePath.
pub fn filter_licenses(result: &ScanResult<'_>, policy: &Policy, d: &mut ResultDecision) {
    for (i, l) in result.licenses.iter().enumerate() {
        if !policy.severity_ok(&l.severity) {
            continue;
        }
        let path = l.file_path.as_deref().unwrap_or("");
        if let Some(m) = policy.ignore.match_license(&l.name, path) {
            let sup = policy.suppression(m.statement());
            d.suppressed.push((FindingKind::License, i, sup));
            continue;
        }
        d.licenses.push(i);
    }
}

#[cfg(test)]
mod tests;
