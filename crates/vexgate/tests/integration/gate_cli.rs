//! `vexgate gate` end to end: the real binary on the Trivy goldens and the filter_test data,
//! each run in a fresh temp dir with every VEXGATE_* and TRIVY_* variable removed, so a
//! repo-root `vex.openvex.json`, `.trivyignore` or `vexgate.toml` never leaks in.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::{golden, tmp, vexgate};

use serde_json::Value;

fn filter_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vexgate-core/tests/data/filter")
        .join(name)
}

fn gate(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = vexgate(dir).arg("gate").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

type Key = (String, String, String, String);

/// (Target, VulnerabilityID, PkgID, InstalledVersion) of every vulnerability in a report.
fn vuln_set(path: &Path) -> BTreeSet<Key> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = BTreeSet::new();
    for r in v["Results"].as_array().into_iter().flatten() {
        for x in r["Vulnerabilities"].as_array().into_iter().flatten() {
            let f = |k: &str| x[k].as_str().unwrap_or("").to_string();
            out.insert((
                r["Target"].as_str().unwrap_or("").to_string(),
                f("VulnerabilityID"),
                f("PkgID"),
                f("InstalledVersion"),
            ));
        }
    }
    out
}

/// (Type, ID, Status, Statement, Source) of every ExperimentalModifiedFindings entry.
fn suppressed(path: &Path) -> Vec<(String, String, String, String, String)> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for r in v["Results"].as_array().into_iter().flatten() {
        for m in r["ExperimentalModifiedFindings"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let f = &m["Finding"];
            let id = ["VulnerabilityID", "ID", "RuleID", "Name"]
                .iter()
                .find_map(|k| f[*k].as_str())
                .unwrap_or("")
                .to_string();
            let g = |k: &str| m[k].as_str().unwrap_or("").to_string();
            out.push((g("Type"), id, g("Status"), g("Statement"), g("Source")));
        }
    }
    out
}

const ALL: &str = "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL";

#[test]
fn default_policy_blocks_high_fixed_and_passes_otherwise() {
    let d = tmp();
    let (code, out, _) = gate(d.path(), &[s(&golden("busybox-with-lockfile.json.golden"))]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("CVE-2019-15542"), "{out}");
    // centos-7: the only HIGH/CRITICAL-free report once unfixed findings are dropped.
    let (code, out, _) = gate(d.path(), &[s(&golden("centos-7.json.golden"))]);
    assert_eq!(code, 0, "{out}");
    // Trivy's own defaults block it (LOW and MEDIUM fixed findings).
    let (code, _, _) = gate(
        d.path(),
        &[
            s(&golden("centos-7.json.golden")),
            "--severity",
            ALL,
            "--ignore-unfixed=false",
        ],
    );
    assert_eq!(code, 1);
}

/// Acceptance: `--output-report` with all severities and `--ignore-unfixed` reproduces the
/// vulnerability sets of Trivy's `*-ignore-unfixed` goldens; `--severity MEDIUM` with or
/// without ignore-unfixed reproduces centos-7-medium (its only unfixed finding is LOW).
#[test]
fn output_report_reproduces_trivys_ignore_unfixed_goldens() {
    let d = tmp();
    let cases = [
        ("ubuntu-1804", "ubuntu-1804-ignore-unfixed", ALL, "true"),
        ("debian-buster", "debian-buster-ignore-unfixed", ALL, "true"),
        ("centos-7", "centos-7-ignore-unfixed", ALL, "true"),
        ("centos-7", "centos-7-medium", "MEDIUM", "true"),
        ("centos-7", "centos-7-medium", "MEDIUM", "false"),
    ];
    for (base, expected, sev, unfixed) in cases {
        let out = d.path().join(format!("{expected}-{unfixed}.json"));
        let (code, _, err) = gate(
            d.path(),
            &[
                s(&golden(&format!("{base}.json.golden"))),
                "--severity",
                sev,
                &format!("--ignore-unfixed={unfixed}"),
                "--output-report",
                s(&out),
            ],
        );
        assert!(code == 0 || code == 1, "{base}: {err}");
        let want = vuln_set(&golden(&format!("expected/{expected}.json.golden")));
        assert!(!want.is_empty());
        assert_eq!(vuln_set(&out), want, "{base} → {expected}");
    }
}

#[test]
fn precedence_flag_over_env_over_file_over_default() {
    let d = tmp();
    let report = golden("centos-7.json.golden");
    let run = |env: Option<&str>, file: Option<&str>, flag: Option<&str>| -> i32 {
        let cfg = d.path().join("vexgate.toml");
        match file {
            Some(sev) => std::fs::write(&cfg, format!("severity = \"{sev}\"\n")).unwrap(),
            None => {
                let _ = std::fs::remove_file(&cfg);
            }
        }
        let mut cmd = vexgate(d.path());
        cmd.arg("gate").arg(&report);
        if let Some(sev) = env {
            cmd.env("VEXGATE_SEVERITY", sev);
        }
        if let Some(sev) = flag {
            cmd.args(["--severity", sev]);
        }
        cmd.output().unwrap().status.code().unwrap()
    };
    // centos-7 under ignore-unfixed: LOW blocks (CVE-2018-0734 fixed), CRITICAL passes.
    assert_eq!(run(None, None, None), 0, "default HIGH,CRITICAL");
    assert_eq!(run(None, Some("LOW"), None), 1, "file over default");
    assert_eq!(run(Some("CRITICAL"), Some("LOW"), None), 0, "env over file");
    assert_eq!(run(Some("LOW"), Some("CRITICAL"), None), 1, "env over file");
    assert_eq!(run(Some("LOW"), None, Some("critical")), 0, "flag over env");
    assert_eq!(
        run(Some("CRITICAL"), Some("CRITICAL"), Some("low")),
        1,
        "flag over both"
    );
}

#[test]
fn boolean_settings_from_env_and_file() {
    let d = tmp();
    let report = golden("debian-buster.json.golden");
    // debian-buster: CVE-2019-18276 is affected (unfixed) LOW; the fixed one is CRITICAL.
    let mut cmd = vexgate(d.path());
    cmd.args(["gate", s(&report), "--severity", "LOW"]);
    assert_eq!(cmd.output().unwrap().status.code(), Some(0));
    let mut cmd = vexgate(d.path());
    cmd.args(["gate", s(&report), "--severity", "LOW"])
        .env("VEXGATE_IGNORE_UNFIXED", "false");
    assert_eq!(cmd.output().unwrap().status.code(), Some(1));
    std::fs::write(
        d.path().join("vexgate.toml"),
        "ignore-unfixed = false\nseverity = [\"LOW\"]\n",
    )
    .unwrap();
    let (code, _, _) = gate(d.path(), &[s(&report)]);
    assert_eq!(code, 1, "file says ignore-unfixed = false");
    let (code, _, _) = gate(d.path(), &[s(&report), "--ignore-unfixed"]);
    assert_eq!(code, 0, "flag wins over file");
    let (code, _, _) = gate(
        d.path(),
        &[s(&report), "--severity", ALL, "--ignore-unfixed"],
    );
    assert_eq!(code, 1);
}

/// vexgate never reads TRIVY_*: a TRIVY_SEVERITY / TRIVY_IGNORE_UNFIXED in the environment
/// (meant for a child Trivy) changes nothing.
#[test]
fn trivy_env_vars_are_ignored() {
    let d = tmp();
    let report = golden("centos-7.json.golden");
    let out = vexgate(d.path())
        .args(["gate", s(&report)])
        .env("TRIVY_SEVERITY", "LOW")
        .env("TRIVY_IGNORE_UNFIXED", "false")
        .env("TRIVY_IGNOREFILE", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn default_trivyignore_in_the_working_directory() {
    let d = tmp();
    let report = golden("busybox-with-lockfile.json.golden");
    std::fs::write(d.path().join(".trivyignore"), "CVE-2019-15542 # accepted\n").unwrap();
    let out = d.path().join("out.json");
    let (code, stdout, err) = gate(d.path(), &[s(&report), "--output-report", s(&out)]);
    assert_eq!(code, 0, "{stdout}{err}");
    let sup = suppressed(&out);
    assert_eq!(
        sup,
        [(
            "vulnerability".into(),
            "CVE-2019-15542".into(),
            "ignored".into(),
            "".into(),
            ".trivyignore".into()
        )]
    );
    // An explicit --ignorefile replaces the default.
    std::fs::write(d.path().join("other"), "CVE-0000-0000\n").unwrap();
    let (code, _, _) = gate(d.path(), &[s(&report), "--ignorefile", "./other"]);
    assert_eq!(code, 1);
    // An explicit ignore file that does not exist is an error, like Trivy's.
    let (code, _, err) = gate(d.path(), &[s(&report), "--ignorefile", "missing.yaml"]);
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        "vexgate: error: missing.yaml: ignore file not found"
    );
}

#[test]
fn ignore_status_and_ignore_unfixed_warning_rules() {
    let d = tmp();
    let report = golden("centos-7.json.golden");
    // Only --ignore-status: silently replaces the default ignore-unfixed.
    let (code, _, err) = gate(
        d.path(),
        &[
            s(&report),
            "--severity",
            "LOW",
            "--ignore-status",
            "will_not_fix",
        ],
    );
    assert_eq!(code, 1, "fixed LOW CVE-2018-0734 stays");
    assert!(!err.contains("warning"), "{err}");
    // Both explicit: Trivy's warning, and --ignore-status wins.
    let (_, _, err) = gate(
        d.path(),
        &[
            s(&report),
            "--ignore-unfixed",
            "--ignore-status",
            "WILL_NOT_FIX",
        ],
    );
    assert!(
        err.contains(
            "vexgate: warning: '--ignore-unfixed' is ignored because '--ignore-status' is specified"
        ),
        "{err}"
    );
}

/// The filter_test cases through the binary (Trivy's Source is the --ignorefile argument
/// after filepath.Clean, so these run from a copy of the data directory).
#[test]
fn filter_test_ignore_cases_through_the_binary() {
    let d = tmp();
    for f in [
        ".trivyignore",
        ".trivyignore.yaml",
        "ignore-file.json",
        "ignore-yaml.json",
        "openvex.json",
        "filter-by-vex.json",
    ] {
        std::fs::copy(filter_data(f), d.path().join(f)).unwrap();
    }
    // `ignore yaml` on today's clock: 0001, 0003, 0007 suppressed in that order. (Under
    // filter_test's fake clock 2020-08-10, 0005 `expired_at: 2023-01-01` also applies; today
    // it has expired, as `trivy convert` run today agrees.)
    let (code, _, err) = gate(
        d.path(),
        &[
            "ignore-yaml.json",
            "--severity",
            "LOW,HIGH",
            "--ignore-unfixed=false",
            "--ignorefile",
            "./.trivyignore.yaml",
            "--output-report",
            "out.json",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let ids: Vec<String> = suppressed(&d.path().join("out.json"))
        .into_iter()
        .filter(|x| x.0 == "vulnerability")
        .map(|x| {
            assert_eq!(x.4, ".trivyignore.yaml");
            x.1
        })
        .collect();
    assert_eq!(ids, ["CVE-2019-0001", "CVE-2019-0003", "CVE-2019-0007"]);
    // `filter by VEX`, in its own directory (the copied .trivyignore above would be
    // auto-loaded here and ignore CVE-2019-0001 before VEX sees it).
    let d = tmp();
    for f in ["openvex.json", "filter-by-vex.json"] {
        std::fs::copy(filter_data(f), d.path().join(f)).unwrap();
    }
    let (_, _, err) = gate(
        d.path(),
        &[
            "filter-by-vex.json",
            "--severity",
            ALL,
            "--ignore-unfixed=false",
            "--vex",
            "openvex.json",
            "--output-report",
            "vex.json",
        ],
    );
    let sup = suppressed(&d.path().join("vex.json"));
    assert_eq!(
        sup,
        [(
            "vulnerability".into(),
            "CVE-2019-0001".into(),
            "not_affected".into(),
            "vulnerable_code_not_in_execute_path".into(),
            "openvex.json".into()
        )],
        "{err}"
    );
}

#[test]
fn vex_default_file_and_none() {
    let d = tmp();
    let report = golden("centos-7.json.golden");
    std::fs::write(d.path().join("vex.openvex.json"), "{ not json").unwrap();
    // Auto-loaded when no --vex is given: a broken one is an input error naming it.
    let (code, _, err) = gate(d.path(), &[s(&report)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("vex.openvex.json"), "{err}");
    // --vex none disables the default.
    let (code, _, err) = gate(d.path(), &[s(&report), "--vex", "none"]);
    assert_eq!(code, 0, "{err}");
    // An explicit --vex replaces the default.
    std::fs::copy(filter_data("openvex.json"), d.path().join("good.json")).unwrap();
    let (code, _, err) = gate(d.path(), &[s(&report), "--vex", "good.json"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn coverage_warning_and_require_coverage() {
    let d = tmp();
    let empty = d.path().join("empty-image.json");
    std::fs::write(
        &empty,
        r#"{"SchemaVersion":2,"ArtifactName":"scratch.tar","ArtifactType":"container_image",
            "Metadata":{"ImageConfig":{"architecture":"amd64","os":"linux"}}}"#,
    )
    .unwrap();
    let (code, _, err) = gate(d.path(), &[s(&empty)]);
    assert_eq!(code, 0);
    assert!(err.starts_with("vexgate: warning: "), "{err}");
    assert!(
        err.contains("empty-image.json: the report has no Results"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let (code, _, _) = gate(d.path(), &[s(&empty), "--require-coverage"]);
    assert_eq!(code, 1);
    let (code, _, _) = gate(
        d.path(),
        &[s(&golden("centos-7.json.golden")), "--require-coverage"],
    );
    assert_eq!(code, 0);
}

fn with_platform(d: &Path, name: &str, src: &Path, arch: Option<&str>) -> PathBuf {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(src).unwrap()).unwrap();
    match arch {
        Some(a) => v["Metadata"]["ImageConfig"]["architecture"] = Value::from(a),
        None => {
            v["Metadata"].as_object_mut().unwrap().remove("ImageConfig");
        }
    }
    let p = d.join(name);
    std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
    p
}

#[test]
fn platforms_from_image_config_or_report_platform() {
    let d = tmp();
    let src = golden("busybox-with-lockfile.json.golden");
    let amd = with_platform(d.path(), "amd.json", &src, Some("amd64"));
    with_platform(d.path(), "arm.json", &src, Some("arm64"));
    let bare = with_platform(d.path(), "bare.json", &src, None);
    let (code, out, err) = gate(d.path(), &["amd.json", "arm.json"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("linux/amd64") && out.contains("linux/arm64"),
        "{out}"
    );
    // Two reports claiming one platform: usage error.
    std::fs::copy(&amd, d.path().join("amd2.json")).unwrap();
    let (code, _, err) = gate(d.path(), &["amd.json", "amd2.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("are both platform linux/amd64"), "{err}");
    // --report-platform supplies a missing platform, and must name an input.
    let (code, out, err) = gate(
        d.path(),
        &[
            "amd.json",
            "bare.json",
            "--report-platform",
            "bare.json=linux/arm64",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("linux/arm64"), "{out}");
    let (code, _, err) = gate(
        d.path(),
        &[s(&bare), "--report-platform", "nothere.json=linux/arm64"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("nothere.json: not one of the REPORT arguments"),
        "{err}"
    );
}

#[test]
fn output_dir_writes_one_report_per_input() {
    let d = tmp();
    let src = golden("busybox-with-lockfile.json.golden");
    with_platform(d.path(), "amd.json", &src, Some("amd64"));
    with_platform(d.path(), "arm.json", &src, Some("arm64"));
    let (code, _, err) = gate(
        d.path(),
        &[
            "amd.json",
            "arm.json",
            "--output-dir",
            "filtered",
            "--summary-md",
            "s.md",
            "--sarif",
            "r.sarif",
        ],
    );
    assert_eq!(code, 1, "{err}");
    for f in ["filtered/amd.json", "filtered/arm.json"] {
        let set = vuln_set(&d.path().join(f));
        assert_eq!(set.len(), 1, "{f}");
    }
    assert!(d.path().join("s.md").metadata().unwrap().len() > 0);
    assert!(d.path().join("r.sarif").metadata().unwrap().len() > 0);
}

#[test]
fn help_documents_defaults_and_precedence() {
    let d = tmp();
    let out = vexgate(d.path()).args(["gate", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "flag > environment variable VEXGATE_<FLAG>",
        "./.trivyignore is loaded when it exists",
        "TRIVY_* variables are never read",
        "Exit codes: 0 pass, 1",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in --help");
    }
}
