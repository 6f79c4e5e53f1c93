//! `render::trivy_report`: the filtered report in Trivy's own schema, checked against real
//! Trivy outputs (the upstream goldens, their `--ignore-unfixed` / `--severity MEDIUM` oracles,
//! and a `trivy convert --show-suppressed` run over misconfigurations, secrets, licenses and
//! vulnerabilities recorded in src/render/testdata/trivy-convert).

use std::collections::HashMap;

use crate::render_support::*;
use serde_json::Value;
use vexgate_core::decision::{FindingKind, Origin, ReportDecision, ResultDecision};
use vexgate_core::render;
use vexgate_core::report::Report;

fn write(rd: &ReportDecision<'_>) -> String {
    render_string(|buf| render::trivy_report(rd, buf))
}

fn parse(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("output is not JSON: {e}\n{s}"))
}

fn goldens() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(upstream(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("golden"))
        .collect();
    v.sort();
    assert!(
        v.len() >= 10,
        "expected the upstream goldens, found {}",
        v.len()
    );
    v
}

/// Nothing filtered: after parsing, the output is the input, for every golden (including
/// npm-with-suppressed, which already has ExperimentalModifiedFindings).
#[test]
fn all_pass_round_trip_is_json_equal_on_every_golden() {
    for path in goldens() {
        let file = read(&path);
        let report = file.parse().unwrap();
        let rd = report_decision(&file, &report, all_pass(&report));
        let out = write(&rd);
        assert_eq!(
            parse(&out),
            parse(&file.text),
            "{} changed in an all-pass round trip",
            path.display()
        );
        // Pretty-printed like Trivy's MarshalIndent: the same lines, modulo escapes.
        assert_eq!(
            out.lines().count(),
            file.text.lines().count(),
            "{}: layout differs from Trivy's",
            path.display()
        );
    }
}

/// The key of a vulnerability for matching an oracle's kept entries to input indices.
fn key(v: &Value) -> (String, String, String, String) {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    (
        s("VulnerabilityID"),
        s("PkgID"),
        s("InstalledVersion"),
        s("PkgPath"),
    )
}

/// Decide by hand to keep exactly what Trivy kept in `oracle` (in Trivy's order) and check
/// the writer reproduces the oracle report.
fn check_against_oracle(input: &str, oracle: &str) {
    let file = read(&upstream(input));
    let report: Report<'_> = file.parse().unwrap();
    let expected = parse(&std::fs::read_to_string(upstream(oracle)).unwrap());
    let input_json = parse(&file.text);
    let mut results = Vec::new();
    for (ri, r) in report.results.iter().enumerate() {
        let mut index: HashMap<_, usize> = HashMap::new();
        for (i, v) in input_json["Results"][ri]["Vulnerabilities"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            index.insert(key(v), i);
        }
        let kept: Vec<usize> = expected["Results"][ri]["Vulnerabilities"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|v| index[&key(v)])
            .collect();
        assert!(
            kept.len() < r.vulnerabilities.len(),
            "{oracle}: the oracle filters"
        );
        results.push(ResultDecision {
            vulnerabilities: kept,
            ..ResultDecision::default()
        });
    }
    let rd = report_decision(&file, &report, results);
    let out = parse(&write(&rd));
    // ReportID and CreatedAt change between real Trivy runs; in these goldens they are fixed
    // placeholders, equal in input and oracle, so the whole document is compared.
    assert_eq!(out, expected, "{input} vs {oracle}");
}

#[test]
fn reproduces_trivy_ignore_unfixed_oracles() {
    for name in ["centos-7", "debian-buster", "ubuntu-1804"] {
        check_against_oracle(
            &format!("{name}.json.golden"),
            &format!("expected/{name}-ignore-unfixed.json.golden"),
        );
    }
}

#[test]
fn reproduces_trivy_severity_medium_oracle() {
    check_against_oracle(
        "centos-7.json.golden",
        "expected/centos-7-medium.json.golden",
    );
}

/// A Result whose findings were all filtered stays, without a `Vulnerabilities` key.
#[test]
fn emptied_result_stays_without_the_key() {
    let file = read(&upstream("debian-buster.json.golden"));
    let report = file.parse().unwrap();
    let rd = report_decision(&file, &report, none_kept(&report));
    let out = parse(&write(&rd));
    let r = &out["Results"][0];
    assert_eq!(r["Target"], parse(&file.text)["Results"][0]["Target"]);
    assert!(r.get("Vulnerabilities").is_none(), "{r}");
    assert!(r.get("ExperimentalModifiedFindings").is_none(), "{r}");
}

/// The decision `trivy convert --severity UNKNOWN,MEDIUM,HIGH,CRITICAL --ignorefile
/// trivyignore` makes on testdata/trivy-convert/input.json, written down by hand: the
/// renderer must turn it into exactly what Trivy wrote.
#[test]
fn reproduces_trivy_convert_with_ignore_file_across_finding_kinds() {
    let dir = render_testdata("trivy-convert");
    let file = read(&dir.join("input.json"));
    let report = file.parse().unwrap();
    let expected = parse(&std::fs::read_to_string(dir.join("expected.json")).unwrap());
    let src = "trivyignore";
    let v = |id: &str| vuln_index(&report, 2, id, "ammonia");
    let results = vec![
        // Dockerfile: DS002 FAIL, DS026 ignored, DS005 PASS, DS001 FAIL, DS013 LOW dropped.
        ResultDecision {
            misconfigurations: vec![0, 2, 3],
            suppressed: vec![(FindingKind::Misconfiguration, 1, ignored(src, ""))],
            ..Default::default()
        },
        // Secrets: github-pat ignored.
        ResultDecision {
            secrets: vec![0],
            suppressed: vec![(FindingKind::Secret, 1, ignored(src, ""))],
            ..Default::default()
        },
        // Cargo.lock, in Trivy's sort order (PkgName, PkgID, version, severity desc).
        ResultDecision {
            vulnerabilities: vec![v("CVE-2019-15542"), v("RUSTSEC-2099-0002")],
            suppressed: vec![
                vuln(v("RUSTSEC-2099-0001"), ignored(src, "")),
                vuln(v("CVE-2021-38193"), ignored(src, "")),
            ],
            ..Default::default()
        },
        // Empty Target, LOW dropped: Trivy drops the whole Result.
        ResultDecision::default(),
        // Licenses: GPL ignored.
        ResultDecision {
            licenses: vec![1],
            suppressed: vec![(FindingKind::License, 0, ignored(src, ""))],
            ..Default::default()
        },
    ];
    let rd = report_decision(&file, &report, results);
    let out = write(&rd);
    assert_eq!(parse(&out), expected, "{out}");
}

/// Trivy records ignore-file suppressions while filtering (per kind, in input order) and VEX
/// ones afterwards; a Decision listing them in another order is written in Trivy's order.
#[test]
fn modified_findings_follow_trivy_order() {
    let dir = render_testdata("trivy-convert");
    let file = read(&dir.join("input.json"));
    let report = file.parse().unwrap();
    let v = |id: &str| vuln_index(&report, 2, id, "ammonia");
    let mut results = none_kept(&report);
    results[2].vulnerabilities = vec![v("CVE-2019-15542")];
    results[2].suppressed = vec![
        vuln(
            v("RUSTSEC-2099-0002"),
            vex_suppression("vex.openvex.json", "not_affected", "component_not_present"),
        ),
        vuln(
            v("CVE-2021-38193"),
            ignored(".trivyignore.yaml", "accepted until Q3"),
        ),
        vuln(v("RUSTSEC-2099-0001"), ignored(".trivyignore.yaml", "")),
    ];
    let rd = report_decision(&file, &report, results);
    let out = parse(&write(&rd));
    let mf = out["Results"][2]["ExperimentalModifiedFindings"]
        .as_array()
        .unwrap();
    let got: Vec<(&str, &str, &str, &str)> = mf
        .iter()
        .map(|m| {
            (
                m["Finding"]["VulnerabilityID"].as_str().unwrap(),
                m["Status"].as_str().unwrap(),
                m["Statement"].as_str().unwrap(),
                m["Source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "CVE-2099-0009",
                "not_affected",
                "vulnerable_code_not_in_execute_path",
                "./vex.json"
            ),
            ("RUSTSEC-2099-0001", "ignored", "", ".trivyignore.yaml"),
            (
                "CVE-2021-38193",
                "ignored",
                "accepted until Q3",
                ".trivyignore.yaml"
            ),
            (
                "RUSTSEC-2099-0002",
                "not_affected",
                "component_not_present",
                "vex.openvex.json"
            ),
        ]
    );
    for m in mf {
        let keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["Type", "Status", "Statement", "Source", "Finding"]);
    }
    // The severity-less finding is recorded as UNKNOWN, as Trivy does.
    assert_eq!(mf[1]["Finding"]["Severity"], "UNKNOWN");
    assert_eq!(mf[3]["Finding"]["Severity"], "UNKNOWN");
    // Everything else in the result is untouched.
    assert_eq!(
        out["Results"][2]["Packages"],
        parse(&file.text)["Results"][2]["Packages"]
    );
}

/// Entries of origin `Report` are the input's own ExperimentalModifiedFindings: not repeated.
#[test]
fn report_origin_suppressions_are_not_duplicated() {
    let file = read(&upstream("npm-with-suppressed.json.golden"));
    let report = file.parse().unwrap();
    let mut results = all_pass(&report);
    let mut s = vex_suppression("./vex.json", "not_affected", "x");
    s.origin = Origin::Report;
    results[0]
        .suppressed
        .push((FindingKind::Vulnerability, 0, s));
    let rd = report_decision(&file, &report, results);
    assert_eq!(parse(&write(&rd)), parse(&file.text));
}

/// Fields vexgate does not know survive, in place, at every level.
#[test]
fn unknown_fields_survive() {
    let text = r#"{
  "SchemaVersion": 2,
  "FutureTop": {"nested": [1, 2, {"x": "\u0026"}]},
  "ArtifactName": "a",
  "ArtifactType": "container_image",
  "Results": [
    {
      "Target": "Cargo.lock",
      "FutureResult": true,
      "Class": "lang-pkgs",
      "Type": "cargo",
      "Vulnerabilities": [
        {"VulnerabilityID": "CVE-1", "PkgName": "a", "Severity": "HIGH", "FutureVuln": {"k": "v"}},
        {"VulnerabilityID": "CVE-2", "PkgName": "a", "Severity": "LOW", "FutureVuln": 2}
      ]
    }
  ],
  "FutureLast": null
}"#;
    let file = in_memory("future.json", text.to_string());
    let report = file.parse().unwrap();
    let results = vec![ResultDecision {
        vulnerabilities: vec![0],
        suppressed: vec![vuln(1, ignored(".trivyignore", ""))],
        ..Default::default()
    }];
    let rd = report_decision(&file, &report, results);
    let out = write(&rd);
    let v = parse(&out);
    let top: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        top,
        [
            "SchemaVersion",
            "FutureTop",
            "ArtifactName",
            "ArtifactType",
            "Results",
            "FutureLast"
        ]
    );
    assert_eq!(v["FutureTop"]["nested"][2]["x"], "&");
    assert_eq!(v["Results"][0]["FutureResult"], true);
    assert_eq!(
        v["Results"][0]["Vulnerabilities"][0]["FutureVuln"]["k"],
        "v"
    );
    assert_eq!(
        v["Results"][0]["ExperimentalModifiedFindings"][0]["Finding"]["FutureVuln"],
        2
    );
    assert!(out.ends_with("}\n"));
}

/// A Decision that does not fit the report is an error, never a panic.
#[test]
fn mismatched_decision_is_an_error() {
    let file = read(&upstream("debian-buster.json.golden"));
    let report = file.parse().unwrap();
    let mut results = all_pass(&report);
    results[0].vulnerabilities.push(99);
    let rd = report_decision(&file, &report, results);
    let err = render::trivy_report(&rd, &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("#99"), "{err}");
    let rd = report_decision(&file, &report, vec![]);
    let err = render::trivy_report(&rd, &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("decision has 0 results"), "{err}");
}
