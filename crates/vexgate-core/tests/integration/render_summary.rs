//! The human and machine summaries (table, `--format json`, Markdown) on Decisions built by
//! hand from real Trivy reports, snapshotted with insta so reviewers see the output.

use crate::render_support::*;
use serde_json::Value;
use vexgate_core::decision::{Decision, FindingKind, ReportDecision, Warning};
use vexgate_core::policy::{IgnoreFileChoice, Policy};
use vexgate_core::render::{self, RenderOptions};
use vexgate_core::report::{Coverage, Platform, Report, ReportFile};
use vexgate_core::severity::Severity;

/// Trivy's own defaults plus a VEX file: everything is reported, VEX suppresses.
fn trivy_defaults_with_vex() -> Policy {
    Policy {
        vex: vec!["vex.openvex.json".into()],
        ..Policy::new(&Severity::ALL, false)
    }
}

/// debian-buster on linux/amd64 and (the same image) on linux/arm64: the CRITICAL libidn2
/// finding blocks on both and is one row; bash's LOW finding is suppressed by VEX on both.
fn two_platform<'r>(
    amd: &'r ReportFile,
    amd_r: &'r Report<'r>,
    arm: &'r ReportFile,
    arm_r: &'r Report<'r>,
) -> Decision<'r> {
    let rd = |file: &'r ReportFile, report: &'r Report<'r>| -> ReportDecision<'r> {
        let mut results = none_kept(report);
        results[0].vulnerabilities = vec![vuln_index(report, 0, "CVE-2019-18224", "libidn2-0")];
        results[0].suppressed = vec![vuln(
            vuln_index(report, 0, "CVE-2019-18276", "bash"),
            vex_suppression(
                "vex.openvex.json",
                "not_affected",
                "vulnerable_code_not_in_execute_path",
            ),
        )];
        report_decision(file, report, results)
    };
    decision(
        trivy_defaults_with_vex(),
        vec![rd(amd, amd_r), rd(arm, arm_r)],
    )
}

fn opts(show_suppressed: bool) -> RenderOptions {
    RenderOptions {
        show_suppressed,
        ..RenderOptions::default()
    }
}

fn all_three(d: &Decision<'_>, o: &RenderOptions) -> (String, String, String) {
    (
        render_string(|b| render::table(d, o, b)),
        render_string(|b| render::json(d, o, b)),
        render_string(|b| render::markdown(d, o, b)),
    )
}

#[test]
fn two_platforms_blocked_with_vex_suppression() {
    let amd = fixture_as(
        &upstream("debian-buster.json.golden"),
        "trivy-linux-amd64.json",
    );
    let amd_r = amd.parse().unwrap();
    let arm = debian_arm64();
    let arm_r = arm.parse().unwrap();
    let d = two_platform(&amd, &amd_r, &arm, &arm_r);
    assert_eq!(
        d.reports[1].platform,
        Some(Platform::parse("linux/arm64").unwrap())
    );

    let (table, json, md) = all_three(&d, &opts(true));
    insta::assert_snapshot!("two_platforms_table", table);
    insta::assert_snapshot!("two_platforms_json", json);
    insta::assert_snapshot!("two_platforms_markdown", md);

    // One merged row carrying both platforms; the verdict is the last line.
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema"], "vexgate/gate/v2");
    assert_eq!(v["verdict"], "blocked");
    assert_eq!(v["blocking"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["blocking"][0]["platforms"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );
    assert_eq!(v["counts"]["by_severity"]["CRITICAL"], 1);
    assert_eq!(v["counts"]["by_platform"]["linux/arm64"]["total"], 1);
    assert_eq!(v["suppressed"][0]["origin"], "vex");
    assert!(
        table
            .lines()
            .last()
            .unwrap()
            .starts_with("BLOCKED: 1 blocking vulnerability (1 CRITICAL)")
    );
    assert!(md.starts_with("<!-- vexgate-summary -->\n## vexgate: BLOCKED\n"));

    // Without --show-suppressed the suppressed rows are only counted.
    let (table, json2, md) = all_three(&d, &opts(false));
    assert!(!table.contains("Suppressed ("), "{table}");
    assert!(table.contains("1 finding suppressed"), "{table}");
    assert!(!md.contains("<details><summary>Suppressed"), "{md}");
    assert_eq!(json, json2, "the JSON always lists suppressed findings");
}

#[test]
fn top_level_json_keys_are_in_schema_order() {
    let amd = fixture_as(
        &upstream("debian-buster.json.golden"),
        "trivy-linux-amd64.json",
    );
    let amd_r = amd.parse().unwrap();
    let arm = debian_arm64();
    let arm_r = arm.parse().unwrap();
    let d = two_platform(&amd, &amd_r, &arm, &arm_r);
    let json = render_string(|b| render::json(&d, &opts(false), b));
    let v: Value = serde_json::from_str(&json).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "schema",
            "verdict",
            "coverage_failed",
            "policy",
            "reports",
            "blocking",
            "suppressed",
            "other_blocking",
            "counts",
            "warnings",
            "baseline",
            "platform_check",
            "feeds"
        ]
    );
    assert_eq!(render::JSON_SCHEMA, "vexgate/gate/v2");
    assert_eq!(v["schema"], "vexgate/gate/v2");
}

/// The default policy on a report where nothing blocks.
#[test]
fn pass_under_default_policy() {
    let file = fixture_as(
        &upstream("alpine-310.json.golden"),
        "trivy-linux-amd64.json",
    );
    let report = file.parse().unwrap();
    let d = decision(
        default_policy(),
        vec![report_decision(&file, &report, none_kept(&report))],
    );
    let (table, json, md) = all_three(&d, &opts(true));
    insta::assert_snapshot!("pass_table", table);
    insta::assert_snapshot!("pass_markdown", md);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["blocking"], serde_json::json!([]));
}

/// Many rows (ubuntu-1804, Trivy defaults) next to an empty report from a static-binary
/// image given a platform with --report-platform: the coverage warning and
/// --require-coverage failure show up everywhere.
#[test]
fn many_rows_and_coverage_failure() {
    let ubuntu = fixture_as(
        &upstream("ubuntu-1804.json.golden"),
        "trivy-linux-amd64.json",
    );
    let ubuntu_r = ubuntu.parse().unwrap();
    // What Trivy 0.76 writes for an image with nothing it can inventory.
    let empty = in_memory(
        "trivy-linux-arm64.json",
        r#"{"SchemaVersion":2,"Trivy":{"Version":"0.76.0"},"ArtifactName":"hello.tar","ArtifactType":"container_image","Metadata":{"ImageID":"sha256:0d1f","DiffIDs":["sha256:5f70"]}}"#.to_string(),
    );
    let empty_r = empty.parse().unwrap();
    let mut policy = trivy_defaults_with_vex();
    policy.vex.clear();
    policy.require_coverage = true;
    let mut empty_rd = report_decision(&empty, &empty_r, vec![]);
    empty_rd.platform = Platform::parse("linux/arm64");
    assert_eq!(empty_rd.coverage, Coverage::NoResults);
    let mut d = decision(
        policy,
        vec![
            report_decision(&ubuntu, &ubuntu_r, all_pass(&ubuntu_r)),
            empty_rd,
        ],
    );
    d.warnings.push(Warning {
        code: vexgate_core::diags::Code::Coverage,
        message: format!(
            "trivy-linux-arm64.json: {}",
            Coverage::NoResults.explain().unwrap()
        ),
    });
    d.coverage_failed = true;
    let o = RenderOptions {
        markdown_max_rows: Some(3),
        ..opts(true)
    };
    let (table, json, md) = all_three(&d, &o);
    insta::assert_snapshot!("coverage_table", table);
    insta::assert_snapshot!("coverage_markdown", md);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["coverage_failed"], true);
    assert_eq!(v["reports"][1]["coverage"], "no-results");
    assert_eq!(v["warnings"][0]["code"], "coverage");
    // The Markdown cap leaves a pointer to the rest.
    let n = v["blocking"].as_array().unwrap().len();
    assert!(n > 3);
    assert!(md.contains(&format!("… and {} more", n - 3)), "{md}");
    // Table lines fit the default width of 100 columns.
    for line in table.lines().filter(|l| is_table_line(l)) {
        assert!(line.chars().count() <= 100, "too wide: {line}");
    }
}

/// Secrets, FAIL misconfigurations and licenses get their own section; PASS ones do not
/// block; suppressions already recorded in the report are listed as such.
#[test]
fn other_findings_and_recorded_suppressions() {
    let file = fixture_as(
        &render_testdata("trivy-convert/input.json"),
        "trivy-fs.json",
    );
    let report = file.parse().unwrap();
    let v = |id: &str| vuln_index(&report, 2, id, "ammonia");
    let mut results = none_kept(&report);
    results[0].misconfigurations = vec![0, 2, 3];
    results[0].suppressed = vec![(
        FindingKind::Misconfiguration,
        1,
        ignored(
            ".trivyignore.yaml",
            "healthchecks come from the orchestrator",
        ),
    )];
    results[1].secrets = vec![0];
    results[2].vulnerabilities = vec![v("CVE-2019-15542")];
    results[4].licenses = vec![1];
    let mut policy = default_policy();
    policy.ignorefile = Some(IgnoreFileChoice {
        path: ".trivyignore.yaml".into(),
        explicit: true,
    });
    let mut rd = report_decision(&file, &report, results);
    rd.platform = Platform::parse("linux/amd64");
    let d = decision(policy, vec![rd]);
    let (table, json, md) = all_three(&d, &opts(true));
    insta::assert_snapshot!("other_table", table);
    insta::assert_snapshot!("other_markdown", md);
    let j: Value = serde_json::from_str(&json).unwrap();
    let kinds: Vec<(&str, &str)> = j["other_blocking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["type"].as_str().unwrap(), o["id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("misconfiguration", "DS002"),
            ("misconfiguration", "DS001"),
            ("secret", "aws-access-key-id"),
            ("license", "AGPL-3.0-only"),
        ]
    );
    let origins: Vec<(&str, &str)> = j["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["id"].as_str().unwrap(), o["origin"].as_str().unwrap()))
        .collect();
    assert_eq!(
        origins,
        [("DS026", "ignorefile"), ("CVE-2099-0009", "report")]
    );
    // 1 vulnerability + 4 other findings block.
    assert_eq!(j["reports"][0]["blocking"], 5);
}

#[test]
fn colour_only_when_asked() {
    let amd = fixture_as(
        &upstream("debian-buster.json.golden"),
        "trivy-linux-amd64.json",
    );
    let amd_r = amd.parse().unwrap();
    let arm = debian_arm64();
    let arm_r = arm.parse().unwrap();
    let d = two_platform(&amd, &amd_r, &arm, &arm_r);
    let plain = render_string(|b| render::table(&d, &opts(true), b));
    assert!(!plain.contains('\x1b'));
    let coloured = render_string(|b| {
        render::table(
            &d,
            &RenderOptions {
                color: true,
                ..opts(true)
            },
            b,
        )
    });
    assert!(coloured.contains("\x1b["), "{coloured}");
    assert!(
        coloured
            .lines()
            .last()
            .unwrap()
            .starts_with("\x1b[1;31mBLOCKED"),
        "{coloured}"
    );
}

/// A line drawn by comfy-table (borders or cells).
fn is_table_line(l: &str) -> bool {
    l.starts_with(['┌', '│', '├', '╞', '└', '╭', '╰'])
}

/// Long Go module paths and range-style fixed versions still fit 100 columns.
#[test]
fn table_fits_100_columns_with_long_names() {
    for name in [
        "gomod.json.golden",
        "busybox-with-lockfile.json.golden",
        "centos-7.json.golden",
    ] {
        let file = fixture_as(&upstream(name), "report.json");
        let report = file.parse().unwrap();
        let d = decision(
            trivy_defaults_with_vex(),
            vec![report_decision(&file, &report, all_pass(&report))],
        );
        let table = render_string(|b| render::table(&d, &opts(true), b));
        let mut n = 0;
        for line in table.lines().filter(|l| is_table_line(l)) {
            assert!(
                line.chars().count() <= 100,
                "{name}: too wide: {line}\n{table}"
            );
            n += 1;
        }
        assert!(n > 10, "{table}");
    }
}
