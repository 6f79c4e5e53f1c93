//! Baseline gating and platform drift: which findings a report shares with a saved report
//! of the same platform (its baseline), and which vulnerabilities only some of the platforms
//! of one gate run have. Vulnerabilities are compared by one rule, [`identity`]; secrets,
//! misconfigurations and licenses by [`other_identity`].
//!
//! # Identity
//!
//! Two vulnerabilities are the same finding when they agree on
//!
//! - the vulnerability ID;
//! - the package without its version: the PURL's type, namespace and name (parsed with
//!   [`crate::purl::Purl`], so qualifiers such as `arch` and `distro` and the version do not
//!   count), or the `PkgName` when the finding has no usable PURL;
//! - where the package is: its `PkgPath` when present; otherwise, for results other than OS
//!   packages, the result's `Target` (a lock file or binary inside the image). An OS
//!   result's `Target` names the scanned artifact (`ghcr.io/o/r:pr-12 (debian 12.5)`), which
//!   differs between a baseline and the image under test, so it never counts;
//! - the result's `Class` and `Type`.
//!
//! So a version bump of a package that keeps the CVE is the same finding ("existing"), and a
//! second copy of a package at another `PkgPath` is a new one.
//!
//! Secrets, FAIL misconfigurations and licenses are the same finding when they agree on
//! their kind, the result's `Target` (the file they were found in), `Class` and `Type`, and
//!
//! - a secret: its `RuleID` and `Match` (the redacted line; not the line number, which any
//!   edit above it moves);
//! - a misconfiguration: its `ID` and `Message`;
//! - a license: its `Name` and the package (`PkgName`, else `FilePath`).
//!
//! # What a baseline covers
//!
//! Every finding that can block. A secret the baseline image already had does not block a
//! change in `block-new` mode either: it was leaked before the change, and the gate of the
//! main branch or the release (which has no baseline) is where it blocks.
//!
//! A vulnerability is "existing" when the baseline report holds it at all (kept or recorded
//! as suppressed), whatever the policy; a secret, misconfiguration or license when the
//! baseline's `Results` hold it: a finding the baseline's policy dropped (say, unfixed
//! then, fixable now) was still there before the change. "Fixed since the baseline" lists
//! the vulnerabilities the baseline blocks on under the same policy (its filters and VEX)
//! that the report no longer blocks on.

use std::borrow::Cow;
use std::collections::HashSet;

use crate::decision::FindingKind;
use crate::purl::Purl;
use crate::report::{Report, ScanResult, Vulnerability};

/// What `--baseline` does to the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BaselineMode {
    /// Only findings absent from the baseline block (the default with `--baseline`).
    #[default]
    BlockNew,
    /// Everything blocks as without a baseline; findings are only marked new or existing.
    Report,
}

impl BaselineMode {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BlockNew => "block-new",
            Self::Report => "report",
        }
    }
}

/// What happens to a report whose platform has no baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingBaseline {
    /// A usage error naming the platform (the default).
    #[default]
    Deny,
    /// The platform gates in full, with a warning.
    Allow,
}

impl MissingBaseline {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Deny => "deny",
            Self::Allow => "allow",
        }
    }
}

/// The identity of a vulnerability finding (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingId {
    pub vulnerability_id: String,
    /// `pkg:TYPE/NAMESPACE/NAME` from the PURL, or `name:PKGNAME`.
    pub package: String,
    /// `PkgPath`, or the `Target` of a non-OS result without one, or empty.
    pub location: String,
    pub class: String,
    pub result_type: String,
}

/// The identity of vulnerability `v` of `result`: the one rule baselines and drift use.
pub fn identity(result: &ScanResult<'_>, v: &Vulnerability<'_>) -> FindingId {
    let location = if !v.pkg_path.is_empty() {
        v.pkg_path.to_string()
    } else if result.class != "os-pkgs" {
        result.target.to_string()
    } else {
        String::new()
    };
    FindingId {
        vulnerability_id: v.vulnerability_id.to_string(),
        package: package_identity(v),
        location,
        class: result.class.to_string(),
        result_type: result.kind.to_string(),
    }
}

/// The package without its version: `pkg:TYPE/NAMESPACE/NAME`, or `name:PKGNAME`.
fn package_identity(v: &Vulnerability<'_>) -> String {
    if let Some(p) = v.purl().and_then(|s| Purl::parse(s).ok()) {
        if p.namespace.is_empty() {
            return format!("pkg:{}/{}", p.ty, p.name);
        }
        return format!("pkg:{}/{}/{}", p.ty, p.namespace, p.name);
    }
    format!("name:{}", v.pkg_name)
}

/// The identities of every vulnerability `report` holds: the ones in `Vulnerabilities` and
/// the ones Trivy recorded as suppressed (`ExperimentalModifiedFindings`).
pub fn report_identities(report: &Report<'_>) -> HashSet<FindingId> {
    let mut out = HashSet::new();
    for r in &report.results {
        for v in &r.vulnerabilities {
            out.insert(identity(r, v));
        }
        for mf in &r.modified_findings {
            if let Some(v) = mf.vulnerability() {
                out.insert(identity(r, &v));
            }
        }
    }
    out
}

/// The identity of a secret, misconfiguration or license finding (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OtherId {
    pub kind: FindingKind,
    /// `RuleID`, misconfiguration `ID`, or license `Name`.
    pub id: String,
    /// The secret's `Match`, the misconfiguration's `Message`, or the license's package.
    pub detail: String,
    pub target: String,
    pub class: String,
    pub result_type: String,
}

/// The identity of finding `i` of `kind` in `result` (`None` for a vulnerability, which
/// [`identity`] names, or an index out of range).
pub fn other_identity(result: &ScanResult<'_>, kind: FindingKind, i: usize) -> Option<OtherId> {
    let s = |v: Option<&Cow<'_, str>>| v.map(|c| c.to_string()).unwrap_or_default();
    let (id, detail) = match kind {
        FindingKind::Vulnerability => return None,
        FindingKind::Secret => {
            let x = result.secrets.get(i)?;
            (x.rule_id.to_string(), s(x.r#match.as_ref()))
        }
        FindingKind::Misconfiguration => {
            let x = result.misconfigurations.get(i)?;
            (x.id.to_string(), s(x.message.as_ref()))
        }
        FindingKind::License => {
            let x = result.licenses.get(i)?;
            (
                x.name.to_string(),
                s(x.pkg_name.as_ref().or(x.file_path.as_ref())),
            )
        }
    };
    Some(OtherId {
        kind,
        id,
        detail,
        target: result.target.to_string(),
        class: result.class.to_string(),
        result_type: result.kind.to_string(),
    })
}

/// The identities of every secret, misconfiguration and license in `report`'s `Results`.
pub fn report_other_identities(report: &Report<'_>) -> HashSet<OtherId> {
    let mut out = HashSet::new();
    for r in &report.results {
        for (kind, n) in [
            (FindingKind::Secret, r.secrets.len()),
            (FindingKind::Misconfiguration, r.misconfigurations.len()),
            (FindingKind::License, r.licenses.len()),
        ] {
            out.extend((0..n).filter_map(|i| other_identity(r, kind, i)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(class: &str, kind: &str, target: &str, vulns: &str) -> ScanResult<'static> {
        let text = format!(
            r#"{{"Target":{target:?},"Class":{class:?},"Type":{kind:?},"Vulnerabilities":{vulns}}}"#
        );
        serde_json::from_str(Box::leak(text.into_boxed_str())).unwrap()
    }

    fn ids(r: &ScanResult<'_>) -> Vec<FindingId> {
        r.vulnerabilities.iter().map(|v| identity(r, v)).collect()
    }

    #[test]
    fn a_version_bump_keeps_the_identity() {
        let r = result(
            "os-pkgs",
            "debian",
            "ghcr.io/o/r:main (debian 12.5)",
            r#"[{"VulnerabilityID":"CVE-1","PkgName":"libssl3","InstalledVersion":"3.0.1",
                 "PkgIdentifier":{"PURL":"pkg:deb/debian/libssl3@3.0.1?arch=amd64&distro=debian-12.5"}},
                {"VulnerabilityID":"CVE-1","PkgName":"libssl3","InstalledVersion":"3.0.2",
                 "PkgIdentifier":{"PURL":"pkg:deb/debian/libssl3@3.0.2?arch=arm64&distro=debian-12.6"}}]"#,
        );
        let ids = ids(&r);
        assert_eq!(ids[0], ids[1]);
        assert_eq!(ids[0].package, "pkg:deb/debian/libssl3");
        // The OS target (which names the artifact) is not part of it.
        assert_eq!(ids[0].location, "");
        let other = result(
            "os-pkgs",
            "debian",
            "ghcr.io/o/r:pr-7 (debian 12.5)",
            r#"[{"VulnerabilityID":"CVE-1","PkgName":"libssl3",
                 "PkgIdentifier":{"PURL":"pkg:deb/debian/libssl3@3.0.3"}}]"#,
        );
        assert_eq!(identity(&other, &other.vulnerabilities[0]), ids[0]);
    }

    #[test]
    fn another_path_another_id_package_or_class_is_another_finding() {
        let r = result(
            "lang-pkgs",
            "jar",
            "Java",
            r#"[{"VulnerabilityID":"CVE-2","PkgName":"log4j","PkgPath":"app/a.jar",
                 "PkgIdentifier":{"PURL":"pkg:maven/org.apache/log4j@2.0"}},
                {"VulnerabilityID":"CVE-2","PkgName":"log4j","PkgPath":"app/b.jar",
                 "PkgIdentifier":{"PURL":"pkg:maven/org.apache/log4j@2.0"}},
                {"VulnerabilityID":"CVE-3","PkgName":"log4j","PkgPath":"app/a.jar",
                 "PkgIdentifier":{"PURL":"pkg:maven/org.apache/log4j@2.0"}},
                {"VulnerabilityID":"CVE-2","PkgName":"log4j","PkgPath":"app/a.jar",
                 "PkgIdentifier":{"PURL":"pkg:maven/org.other/log4j@2.0"}}]"#,
        );
        let ids = ids(&r);
        assert_eq!(ids[0].location, "app/a.jar");
        assert_eq!(ids[0].package, "pkg:maven/org.apache/log4j");
        let distinct: HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), 4);
        let same = result(
            "lang-pkgs",
            "pom",
            "Java",
            r#"[{"VulnerabilityID":"CVE-2","PkgName":"log4j","PkgPath":"app/a.jar",
                 "PkgIdentifier":{"PURL":"pkg:maven/org.apache/log4j@2.0"}}]"#,
        );
        assert_ne!(
            identity(&same, &same.vulnerabilities[0]),
            ids[0],
            "Type counts"
        );
    }

    #[test]
    fn lock_files_are_told_apart_by_target_and_names_stand_in_for_purls() {
        let a = result(
            "lang-pkgs",
            "cargo",
            "multi/Cargo.lock",
            r#"[{"VulnerabilityID":"RUSTSEC-1","PkgName":"smallvec","InstalledVersion":"1.6.0"}]"#,
        );
        let b = result(
            "lang-pkgs",
            "cargo",
            "single/Cargo.lock",
            r#"[{"VulnerabilityID":"RUSTSEC-1","PkgName":"smallvec","InstalledVersion":"1.6.1",
                 "PkgIdentifier":{"PURL":"not a purl"}}]"#,
        );
        let (ia, ib) = (ids(&a).remove(0), ids(&b).remove(0));
        assert_eq!(ia.package, "name:smallvec");
        assert_eq!(ib.package, "name:smallvec");
        assert_eq!(ia.location, "multi/Cargo.lock");
        assert_ne!(ia, ib);
    }

    #[test]
    fn modes_parse_and_print() {
        for &m in BaselineMode::ALL {
            assert_eq!(m.as_str().parse(), Ok(m));
        }
        for &m in MissingBaseline::ALL {
            assert_eq!(m.as_str().parse(), Ok(m));
        }
        assert!("Block-New".parse::<BaselineMode>().is_err());
    }
}
