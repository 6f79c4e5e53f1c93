//! Differential check of vexgate's VEX application against real Trivy 0.76 (issue 3).
//!
//! For every scenario in `testdata/oracle/manifest.json` whose `gate_args` name a `--vex`
//! file: take Trivy's unfiltered report, keep the findings Trivy's policy step kept (the
//! union of the expected `Vulnerabilities` and suppressed findings: severity/status
//! filtering is the policy module's job and is tested there), apply the same VEX files with
//! `vex::apply`, and require the remaining and the suppressed sets (with Status, Statement
//! and Source) to equal Trivy's `--show-suppressed` output. Scenarios with
//! `vexgate_extra_args` (`--image-repo`) check vexgate's deliberate difference instead.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vexgate::decision::{FindingKind, ResultDecision, Warning};
use vexgate::report::{Report, Vulnerability, parse_report};
use vexgate::vex::{self, VexSet};

fn oracle() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/oracle")
}

type Key = (String, String, String, String, String, String);

fn key(v: &Vulnerability<'_>) -> Key {
    (
        v.vulnerability_id.to_string(),
        v.pkg_id.to_string(),
        v.pkg_name.to_string(),
        v.installed_version.to_string(),
        v.pkg_path.to_string(),
        v.pkg_identifier.uid.as_deref().unwrap_or("").to_string(),
    )
}

fn json_key(v: &Value) -> Key {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    (
        s("VulnerabilityID"),
        s("PkgID"),
        s("PkgName"),
        s("InstalledVersion"),
        s("PkgPath"),
        v.pointer("/PkgIdentifier/UID")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    )
}

/// (target, key) of each remaining vulnerability; (target, key, status, statement, source)
/// of each suppressed one.
type Remaining = BTreeSet<(String, Key)>;
type Suppressed = BTreeSet<(String, Key, String, String, String)>;

fn expected_sets(expected: &Value) -> (Remaining, Suppressed) {
    let mut rem = BTreeSet::new();
    let mut sup = BTreeSet::new();
    for r in expected["Results"].as_array().into_iter().flatten() {
        let target = r["Target"].as_str().unwrap_or("").to_string();
        for v in r["Vulnerabilities"].as_array().into_iter().flatten() {
            rem.insert((target.clone(), json_key(v)));
        }
        for m in r["ExperimentalModifiedFindings"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if m["Type"] != "vulnerability" {
                continue;
            }
            let s = |k: &str| m[k].as_str().unwrap_or("").to_string();
            sup.insert((
                target.clone(),
                json_key(&m["Finding"]),
                s("Status"),
                s("Statement"),
                s("Source"),
            ));
        }
    }
    (rem, sup)
}

fn vex_args(args: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter().filter_map(Value::as_str);
    while let Some(a) = it.next() {
        if a == "--vex"
            && let Some(v) = it.next()
            && v != "none"
        {
            out.push(v.to_string());
        }
    }
    out
}

fn image_repo(args: &[Value]) -> Option<String> {
    let mut it = args.iter().filter_map(Value::as_str);
    while let Some(a) = it.next() {
        if a == "--image-repo" {
            return it.next().map(str::to_string);
        }
    }
    None
}

struct Outcome {
    remaining: Remaining,
    suppressed: Suppressed,
    assumed: Option<String>,
    warnings: Vec<Warning>,
}

fn run(report: &Report<'_>, pre: &Remaining, vex_files: &[String], repo: Option<&str>) -> Outcome {
    let mut warnings = Vec::new();
    let mut set = VexSet::default();
    for src in vex_files {
        let text = std::fs::read_to_string(oracle().join(src)).unwrap();
        set.sources
            .push(vex::load_text(src, &text).unwrap_or_else(|e| panic!("{e}")));
    }
    let mut decisions: Vec<ResultDecision> = report
        .results
        .iter()
        .map(|r| ResultDecision {
            vulnerabilities: (0..r.vulnerabilities.len())
                .filter(|&i| pre.contains(&(r.target.to_string(), key(&r.vulnerabilities[i]))))
                .collect(),
            ..Default::default()
        })
        .collect();
    let assumed = vex::apply(report, &mut decisions, &set, repo, &mut warnings);
    let mut remaining = BTreeSet::new();
    let mut suppressed = BTreeSet::new();
    for (r, d) in report.results.iter().zip(&decisions) {
        for &i in &d.vulnerabilities {
            remaining.insert((r.target.to_string(), key(&r.vulnerabilities[i])));
        }
        for (k, i, s) in &d.suppressed {
            assert_eq!(*k, FindingKind::Vulnerability);
            suppressed.insert((
                r.target.to_string(),
                key(&r.vulnerabilities[*i]),
                s.status.clone(),
                s.statement.clone(),
                s.source.clone(),
            ));
        }
    }
    Outcome {
        remaining,
        suppressed,
        assumed,
        warnings,
    }
}

#[test]
fn vex_matches_real_trivy_on_every_oracle_scenario() {
    let manifest_path = oracle().join("manifest.json");
    let Ok(text) = std::fs::read_to_string(&manifest_path) else {
        panic!(
            "{} is missing: regenerate it with scripts/regen-oracle.sh",
            manifest_path.display()
        );
    };
    let manifest: Value = serde_json::from_str(&text).unwrap();
    let mut ran = 0;
    let mut with_suppressions = 0;
    for sc in manifest["scenarios"].as_array().unwrap() {
        let name = sc["name"].as_str().unwrap();
        let args = sc["gate_args"].as_array().unwrap();
        let files = vex_args(args);
        if files.is_empty() {
            continue;
        }
        assert_eq!(
            sc["cwd"], ".",
            "{name}: VEX sources are relative to testdata/oracle"
        );
        let unfiltered_text =
            std::fs::read_to_string(oracle().join(sc["unfiltered"].as_str().unwrap())).unwrap();
        let report = parse_report(Path::new("unfiltered"), &unfiltered_text).unwrap();
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(oracle().join(sc["expected"].as_str().unwrap())).unwrap(),
        )
        .unwrap();
        let (want_rem, want_sup) = expected_sets(&expected);
        let pre: Remaining = want_rem
            .iter()
            .cloned()
            .chain(want_sup.iter().map(|(t, k, ..)| (t.clone(), k.clone())))
            .collect();

        // Exactly Trivy, with the scenario's own arguments.
        let out = run(&report, &pre, &files, image_repo(args).as_deref());
        assert_eq!(
            out.remaining, want_rem,
            "{name}: remaining differs from Trivy"
        );
        assert_eq!(
            out.suppressed, want_sup,
            "{name}: suppressed differs from Trivy"
        );
        assert!(out.assumed.is_none(), "{name}");
        ran += 1;
        if !want_sup.is_empty() {
            with_suppressions += 1;
        }

        // vexgate's deliberate difference: --image-repo for an image without RepoDigests.
        if let Some(extra) = sc.get("vexgate_extra_args").and_then(Value::as_array) {
            let repo = image_repo(extra).expect("--image-repo in vexgate_extra_args");
            let want_ids: BTreeSet<String> = sc["vexgate_expect_suppressed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            let out = run(&report, &pre, &files, Some(&repo));
            let got_ids: BTreeSet<String> = out.suppressed.iter().map(|s| s.1.0.clone()).collect();
            assert_eq!(got_ids, want_ids, "{name} with --image-repo {repo}");
            let assumed = out.assumed.expect("identity assumed");
            assert!(assumed.starts_with("pkg:oci/deb12?"), "{assumed}");
            // What stays is Trivy's remaining set minus what vexgate suppressed.
            let rem_ids: BTreeSet<String> = out.remaining.iter().map(|r| r.1.0.clone()).collect();
            assert!(rem_ids.is_disjoint(&want_ids), "{name}");
            assert_eq!(
                out.remaining.len() + out.suppressed.len(),
                want_rem.len() + want_sup.len()
            );
            // The never-matching `tag` statement in the same file is warned about at load.
            let mut w = Vec::new();
            VexSet::load(&[oracle().join(&files[0]).display().to_string()], &mut w).unwrap();
            if files[0].ends_with("oci-image.openvex.json") {
                assert!(
                    w.iter()
                        .any(|w| w.code == "vex-never-matches" && w.message.contains("tag=")),
                    "{w:?}"
                );
            }
        }
    }
    assert!(ran >= 15, "expected at least 15 VEX scenarios, ran {ran}");
    assert!(
        with_suppressions >= 10,
        "only {with_suppressions} scenarios suppress anything"
    );
}

/// The registry scan has RepoDigests: `--image-repo` changes nothing there, and a
/// different repository is warned about.
#[test]
fn image_repo_changes_nothing_when_repo_digests_exist() {
    let text =
        std::fs::read_to_string(oracle().join("scan/unfiltered/image-registry.json")).unwrap();
    let report = parse_report(Path::new("r"), &text).unwrap();
    assert!(!report.metadata.repo_digests.is_empty());
    let all: Remaining = report
        .results
        .iter()
        .flat_map(|r| {
            r.vulnerabilities
                .iter()
                .map(|v| (r.target.to_string(), key(v)))
        })
        .collect();
    let files = vec!["vex/oci-image.openvex.json".to_string()];
    let plain = run(&report, &all, &files, None);
    let other = run(&report, &all, &files, Some("ghcr.io/someone/else"));
    assert_eq!(plain.suppressed, other.suppressed);
    assert!(other.assumed.is_none());
    assert!(
        other
            .warnings
            .iter()
            .any(|w| w.code == "image-repo-mismatch")
    );
    assert!(
        !plain
            .warnings
            .iter()
            .any(|w| w.code == "image-repo-mismatch")
    );
}
