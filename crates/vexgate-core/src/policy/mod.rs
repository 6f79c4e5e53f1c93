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
use std::path::PathBuf;

use crate::decision::{FindingKind, Origin, ResultDecision, Suppression};
use crate::error::{Error, Result};
use crate::report::{ScanResult, Vulnerability};
use crate::severity::Severity;
use crate::status::{FindingStatus, Status};

pub use ignorefile::IgnoreConfig;

/// The default policy: `--severity HIGH,CRITICAL`.
pub const DEFAULT_SEVERITIES: [Severity; 2] = [Severity::High, Severity::Critical];

/// Parse `--severity`: any case, whitespace trimmed, duplicates merged, returned in
/// UNKNOWN..CRITICAL order. An unknown name is a usage error naming it (Trivy: "must be
/// one of ...").
pub fn parse_severities(values: &[String]) -> Result<Vec<Severity>> {
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
        .filter_map(|(s, on)| on.then_some(s))
        .collect())
}

/// Parse `--ignore-status`: any case, must name a [`Status`]; duplicates merged, the first
/// occurrence's order kept.
pub fn parse_statuses(values: &[String]) -> Result<Vec<Status>> {
    let mut out: Vec<Status> = Vec::new();
    for v in values {
        let Some(status) = Status::parse(&v.trim().to_ascii_lowercase()) else {
            return Err(Error::usage(format!(
                "invalid status {v:?} for --ignore-status: must be one of {}",
                Status::names()
            )));
        };
        if !out.contains(&status) {
            out.push(status);
        }
    }
    Ok(out)
}

/// `--ignore-unfixed` is shorthand for ignoring every status but `fixed`
/// (pkg/flag/vulnerability_flags.go ToOptions).
pub fn ignore_unfixed_statuses() -> Vec<Status> {
    Status::ALL
        .into_iter()
        .filter(|s| *s != Status::Fixed)
        .collect()
}

/// Which ignore file to load, and whether the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreFileChoice {
    pub path: PathBuf,
    /// Explicit files must exist (Trivy: "ignore file not found"); the default may be absent.
    pub explicit: bool,
}

/// The validated policy: the one type the filters, VEX and coverage rules read and every
/// output shows. [`crate::config::PartialConfig::validate`] builds it from the merged
/// settings layers; it is serialised as is (field names and order) as the `policy` object
/// of the `vexgate/gate/v2` JSON output.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Policy {
    /// Blocking severities, in UNKNOWN..CRITICAL order, never empty. A finding's
    /// `Severity` must name one exactly (filter.go:91).
    pub severities: Vec<Severity>,
    /// Statuses dropped (ignore-unfixed expands to every status but `fixed`), compared with
    /// [`Vulnerability::effective_status`].
    pub ignore_statuses: Vec<Status>,
    /// Whether ignore-unfixed is what produced `ignore_statuses`.
    pub ignore_unfixed: bool,
    /// Shown as its path.
    #[serde(serialize_with = "ignorefile_path")]
    pub ignorefile: Option<IgnoreFileChoice>,
    /// VEX sources as given, in priority order (empty: none).
    pub vex: Vec<String>,
    pub image_repo: Option<String>,
    pub require_coverage: bool,
}

fn ignorefile_path<S: serde::Serializer>(
    f: &Option<IgnoreFileChoice>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match f {
        Some(c) => s.collect_str(&c.path.display()),
        None => s.serialize_none(),
    }
}

impl Policy {
    /// The given severities and ignore-unfixed choice, no ignore file, no VEX, no coverage
    /// requirement: what `vexgate gate --vex none` gives in a directory without
    /// `.trivyignore` or `vexgate.toml`.
    pub fn new(severities: &[Severity], ignore_unfixed: bool) -> Self {
        let mut severities = severities.to_vec();
        severities.sort();
        severities.dedup();
        Policy {
            severities,
            ignore_statuses: if ignore_unfixed {
                ignore_unfixed_statuses()
            } else {
                Vec::new()
            },
            ignore_unfixed,
            ignorefile: None,
            vex: Vec::new(),
            image_repo: None,
            require_coverage: false,
        }
    }

    /// Does a finding with this report `Severity` string pass the severity filter?
    pub fn severity_ok(&self, s: &str) -> bool {
        Severity::parse(s).is_some_and(|s| self.severities.contains(&s))
    }

    /// Is a vulnerability with this effective status dropped?
    pub fn status_ignored(&self, s: Status) -> bool {
        self.ignore_statuses.contains(&s)
    }
}

/// The ignore file's suppression of one finding.
fn suppression(ignore: &IgnoreConfig, statement: &str) -> Suppression {
    Suppression {
        status: FindingStatus::Ignored,
        statement: statement.to_string(),
        source: ignore.file_path.clone(),
        origin: Origin::IgnoreFile,
    }
}

/// Trivy `FilterResult` (filter.go:63-81) without Rego: the four finding filters, then the
/// vulnerability sort.
pub fn filter_result(
    result: &ScanResult<'_>,
    policy: &Policy,
    ignore: &IgnoreConfig,
) -> ResultDecision {
    filter_result_with(result, policy, ignore, None)
}

/// [`filter_result`] where the vulnerabilities `keep` selects pass the severity and status
/// filters whatever their severity and status (`--block-kev`: KEV findings); the ignore
/// file and de-duplication still apply to them. Those kept only by `keep` are recorded in
/// [`ResultDecision::kev_forced`]. With `None` this is exactly Trivy's filter.
pub fn filter_result_with(
    result: &ScanResult<'_>,
    policy: &Policy,
    ignore: &IgnoreConfig,
    keep: Option<&dyn Fn(&Vulnerability<'_>) -> bool>,
) -> ResultDecision {
    let mut d = ResultDecision::default();
    filter_vulnerabilities_with(result, policy, ignore, keep, &mut d);
    filter_misconfigurations(result, policy, ignore, &mut d);
    filter_secrets(result, policy, ignore, &mut d);
    filter_licenses(result, policy, ignore, &mut d);
    sort_by_severity(&result.vulnerabilities, &mut d.vulnerabilities);
    d
}

/// Trivy `filterVulnerabilities` (filter.go:83-119): an empty Severity is UNKNOWN; drop by
/// severity, then by status; move ignore-file matches to the suppressed list; de-duplicate on
/// `VulnerabilityID/PkgID/PkgName/InstalledVersion/PkgPath`, keeping the larger FixedVersion.
pub fn filter_vulnerabilities(
    result: &ScanResult<'_>,
    policy: &Policy,
    ignore: &IgnoreConfig,
    d: &mut ResultDecision,
) {
    filter_vulnerabilities_with(result, policy, ignore, None, d);
}

fn filter_vulnerabilities_with(
    result: &ScanResult<'_>,
    policy: &Policy,
    ignore: &IgnoreConfig,
    keep: Option<&dyn Fn(&Vulnerability<'_>) -> bool>,
    d: &mut ResultDecision,
) {
    let mut uniq: HashMap<String, usize> = HashMap::new();
    let mut kept: Vec<usize> = Vec::new();
    let mut forced: Vec<usize> = Vec::new();
    for (i, v) in result.vulnerabilities.iter().enumerate() {
        let selected = policy.severity_ok(v.effective_severity())
            && !policy.status_ignored(v.effective_status());
        if !selected {
            if !keep.is_some_and(|k| k(v)) {
                continue;
            }
            forced.push(i);
        }
        if !ignore.vulnerabilities.is_empty()
            && let Some(f) = ignore.match_vulnerability(
                &v.vulnerability_id,
                &result.target,
                &v.pkg_path,
                v.pkg_identifier.purl.as_deref(),
            )
        {
            let s = suppression(ignore, &f.statement);
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
    if !forced.is_empty() {
        let mut survivors = kept.clone();
        survivors.sort_unstable();
        forced.retain(|i| survivors.binary_search(i).is_ok());
    }
    d.vulnerabilities = kept;
    d.kev_forced = forced;
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
pub fn filter_misconfigurations(
    result: &ScanResult<'_>,
    policy: &Policy,
    ignore: &IgnoreConfig,
    d: &mut ResultDecision,
) {
    for (i, m) in result.misconfigurations.iter().enumerate() {
        if !policy.severity_ok(&m.severity) {
            continue;
        }
        let ids = [m.id.as_ref(), m.avd_id.as_deref().unwrap_or("")]
            .into_iter()
            .chain(m.aliases.iter().map(|a| a.as_ref()));
        if let Some(f) = ignore.match_misconfiguration(ids, &result.target) {
            let s = suppression(ignore, &f.statement);
            d.suppressed.push((FindingKind::Misconfiguration, i, s));
            continue;
        }
        d.misconfigurations.push(i);
    }
}

/// Trivy `filterSecrets` (filter.go:158-173): severity, then RuleID against the Target.
pub fn filter_secrets(
    result: &ScanResult<'_>,
    policy: &Policy,
    ignore: &IgnoreConfig,
    d: &mut ResultDecision,
) {
    for (i, s) in result.secrets.iter().enumerate() {
        if !policy.severity_ok(&s.severity) {
            continue;
        }
        if let Some(f) = ignore.match_secret(&s.rule_id, &result.target) {
            let sup = suppression(ignore, &f.statement);
            d.suppressed.push((FindingKind::Secret, i, sup));
            continue;
        }
        d.secrets.push(i);
    }
}

/// Trivy `filterLicenses` (filter.go:175-209) without `--ignored-licenses`: severity, then
/// the license name against the license's FilePath.
pub fn filter_licenses(
    result: &ScanResult<'_>,
    policy: &Policy,
    ignore: &IgnoreConfig,
    d: &mut ResultDecision,
) {
    for (i, l) in result.licenses.iter().enumerate() {
        if !policy.severity_ok(&l.severity) {
            continue;
        }
        let path = l.file_path.as_deref().unwrap_or("");
        if let Some(m) = ignore.match_license(&l.name, path) {
            let sup = suppression(ignore, m.statement());
            d.suppressed.push((FindingKind::License, i, sup));
            continue;
        }
        d.licenses.push(i);
    }
}

#[cfg(test)]
mod tests;
