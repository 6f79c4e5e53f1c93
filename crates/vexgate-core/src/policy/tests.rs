//! Every case of Trivy's `pkg/result/filter_test.go` TestFilter (fake clock 2020-08-10), run
//! from the data files in `tests/data/filter/` (see `cases.json` there; the oracle helper
//! runs the same files through real `trivy convert`). The Rego cases have no vexgate
//! counterpart (vexgate has no `--ignore-policy`); the VEX case is checked up to the point
//! where VEX takes over.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::*;
use crate::decision::FindingKind;
use crate::policy::ignorefile::go_clean_path;
use crate::report::{ReportFile, ScanResult};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/filter")
}

#[derive(Deserialize)]
struct Manifest {
    clock: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    report: String,
    severity: Vec<String>,
    ignore_status: Vec<String>,
    ignorefile: Option<String>,
    vex: Option<String>,
    expect: Vec<Expect>,
}

#[derive(Deserialize)]
struct Expect {
    target: String,
    vulnerabilities: Vec<String>,
    #[serde(default)]
    severities: Option<Vec<String>>,
    misconfigurations: Vec<String>,
    #[serde(default)]
    misconf_summary: Option<Summary>,
    secrets: Vec<String>,
    licenses: Vec<String>,
    suppressed: Vec<Suppressed>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Summary {
    successes: usize,
    failures: usize,
}

#[derive(Deserialize)]
struct Suppressed {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    status: String,
    statement: String,
    source: String,
}

fn vuln_key(v: &crate::report::Vulnerability<'_>) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}",
        v.vulnerability_id, v.pkg_id, v.pkg_name, v.installed_version, v.pkg_path, v.fixed_version
    )
}

fn suppressed_id(r: &ScanResult<'_>, kind: FindingKind, i: usize) -> String {
    match kind {
        FindingKind::Vulnerability => r.vulnerabilities[i].vulnerability_id.to_string(),
        FindingKind::Misconfiguration => r.misconfigurations[i].id.to_string(),
        FindingKind::Secret => r.secrets[i].rule_id.to_string(),
        FindingKind::License => r.licenses[i].name.to_string(),
    }
}

fn run_case(case: &Case, now: jiff::Timestamp) {
    let ignore = match &case.ignorefile {
        Some(f) => {
            let mut w = Vec::new();
            let conf = IgnoreConfig::load(&dir().join(f), now, &mut w).unwrap();
            assert!(w.is_empty(), "{}: {w:?}", case.name);
            conf
        }
        None => IgnoreConfig::default(),
    };
    let policy = Policy {
        severities: parse_severities(&case.severity).unwrap(),
        ignore_statuses: parse_statuses(&case.ignore_status).unwrap(),
        ..Policy::new(&[], false)
    };
    let file = ReportFile::read(&dir().join(&case.report)).unwrap();
    let report = file.parse().unwrap();
    assert_eq!(report.results.len(), case.expect.len(), "{}", case.name);
    for (r, want) in report.results.iter().zip(&case.expect) {
        let ctx = format!("{} / {:?}", case.name, want.target);
        assert_eq!(r.target, want.target, "{ctx}");
        let d = filter_result(r, &policy, &ignore);
        let got: Vec<String> = d
            .vulnerabilities
            .iter()
            .map(|&i| vuln_key(&r.vulnerabilities[i]))
            .collect();
        if case.vex.is_some() {
            // Before VEX both survive; the VEX helper's tests take it from here.
            assert_eq!(got.len(), 2, "{ctx}");
            continue;
        }
        assert_eq!(got, want.vulnerabilities, "{ctx}: vulnerabilities");
        if let Some(sevs) = &want.severities {
            let got: Vec<&str> = d
                .vulnerabilities
                .iter()
                .map(|&i| r.vulnerabilities[i].effective_severity())
                .collect();
            assert_eq!(&got, sevs, "{ctx}: empty severity is UNKNOWN");
        }
        let fails: Vec<String> = d
            .misconfigurations
            .iter()
            .filter(|&&i| r.misconfigurations[i].status == "FAIL")
            .map(|&i| r.misconfigurations[i].id.to_string())
            .collect();
        assert_eq!(fails, want.misconfigurations, "{ctx}: misconfigurations");
        if let Some(s) = &want.misconf_summary {
            let count = |st: &str| {
                d.misconfigurations
                    .iter()
                    .filter(|&&i| r.misconfigurations[i].status == st)
                    .count()
            };
            assert_eq!(
                (count("PASS"), count("FAIL")),
                (s.successes, s.failures),
                "{ctx}"
            );
        }
        let secrets: Vec<String> = d
            .secrets
            .iter()
            .map(|&i| r.secrets[i].rule_id.to_string())
            .collect();
        assert_eq!(secrets, want.secrets, "{ctx}: secrets");
        let licenses: Vec<String> = d
            .licenses
            .iter()
            .map(|&i| r.licenses[i].name.to_string())
            .collect();
        assert_eq!(licenses, want.licenses, "{ctx}: licenses");
        assert_eq!(
            d.suppressed.len(),
            want.suppressed.len(),
            "{ctx}: suppressed"
        );
        for ((kind, i, sup), w) in d.suppressed.iter().zip(&want.suppressed) {
            assert_eq!(kind.trivy_type(), w.kind, "{ctx}");
            assert_eq!(suppressed_id(r, *kind, *i), w.id, "{ctx}");
            assert_eq!(sup.status.as_str(), w.status, "{ctx}");
            assert_eq!(sup.statement, w.statement, "{ctx}");
            // Trivy's Source is the --ignorefile argument after filepath.Clean; we loaded it
            // through an absolute path, so compare the cleaned tail.
            let src = go_clean_path(&dir().join(&w.source).to_string_lossy());
            assert_eq!(sup.source, src, "{ctx}");
        }
    }
}

fn manifest() -> Manifest {
    let text = std::fs::read_to_string(dir().join("cases.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn case(name: &str) {
    let m = manifest();
    let now: jiff::Timestamp = m.clock.parse().unwrap();
    let c = m
        .cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"));
    run_case(c, now);
}

#[test]
fn filter_test_severities() {
    case("severities");
}

#[test]
fn filter_test_filter_by_vex_pre_vex_part() {
    case("filter by VEX");
}

#[test]
fn filter_test_ignore_unfixed() {
    case("ignore unfixed");
}

#[test]
fn filter_test_ignore_file() {
    case("ignore file");
}

#[test]
fn filter_test_ignore_yaml() {
    case("ignore yaml");
}

#[test]
fn filter_test_duplicates_empty_fixed_version() {
    case("happy path with duplicates, one with empty fixed version");
}

#[test]
fn filter_test_duplicates_different_package_paths() {
    case("happy path with duplicates and different package paths");
}

#[test]
fn filter_test_duplicates_different_package_ids() {
    case("happy path with duplicates and different package IDs");
}

#[test]
fn every_manifest_case_has_a_test() {
    // Keeps cases.json and the named tests above in step.
    assert_eq!(manifest().cases.len(), 8);
}

#[test]
fn severity_names_any_case_and_errors() {
    let s = |v: &[&str]| parse_severities(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
    assert_eq!(
        s(&["critical", "High"]).unwrap(),
        [Severity::High, Severity::Critical]
    );
    assert_eq!(s(&[" medium "]).unwrap(), [Severity::Medium]);
    let e = s(&["HIGH", "SEVERE"]).unwrap_err().to_string();
    assert!(e.contains("invalid severity \"SEVERE\""), "{e}");
    assert_eq!(
        parse_statuses(&["WILL_NOT_FIX".into(), "will_not_fix".into()]).unwrap(),
        [Status::WillNotFix]
    );
    assert!(parse_statuses(&["wontfix".into()]).is_err());
    assert!(!ignore_unfixed_statuses().contains(&Status::Fixed));
    assert_eq!(ignore_unfixed_statuses().len(), 7);
}

#[test]
fn dedup_key_is_trivys_joined_string() {
    // Trivy joins with '/', so these two collide and de-duplicate (filter.go:106).
    let a: crate::report::Vulnerability = serde_json::from_str(
        r#"{"VulnerabilityID":"X","PkgID":"a/b","PkgName":"c","InstalledVersion":"1"}"#,
    )
    .unwrap();
    let b: crate::report::Vulnerability = serde_json::from_str(
        r#"{"VulnerabilityID":"X","PkgID":"a","PkgName":"b/c","InstalledVersion":"1"}"#,
    )
    .unwrap();
    assert_eq!(dedup_key(&a), dedup_key(&b));
    let mut fixed_a = a.clone();
    fixed_a.fixed_version = "1.2.10".into();
    let mut fixed_b = a.clone();
    fixed_b.fixed_version = "1.2.9".into();
    // Plain string comparison, not version comparison.
    assert!(should_overwrite(&fixed_a, &fixed_b));
}
