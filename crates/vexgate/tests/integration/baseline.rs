//! `vexgate gate --baseline` and platform drift, end to end on real Trivy reports (the
//! oracle's image scan and Trivy's ubi-7 golden). Every expected value is read at run time
//! from what the gate says without a baseline, or from the report a test edits: a baseline
//! only ever changes which of the gate's own findings block.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{golden, root, tmp, vexgate};

use serde_json::{Value, json};

/// Trivy 0.76's scan of the oracle's Debian 12 image (linux/amd64), unfiltered.
fn image_report() -> PathBuf {
    root().join("testdata/oracle/scan/unfiltered/image-tar.json")
}

fn load(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn save(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p
}

fn run(dir: &Path, args: &[&str]) -> Output {
    vexgate(dir).arg("gate").args(args).output().unwrap()
}

/// Exit code and the parsed `--format json` output (the default policy, no VEX).
fn gate_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--vex", "none", "--format", "json"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    let code = out.status.code().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

type Key = (String, String, String);

/// (id, pkg_name, installed_version) of rows of the JSON output.
fn keys(rows: &Value) -> Vec<Key> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let f = |k: &str| r[k].as_str().unwrap().to_string();
            (f("id"), f("pkg_name"), f("installed_version"))
        })
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The vulnerabilities of every result, mutably.
fn vulns_mut(v: &mut Value) -> impl Iterator<Item = &mut Value> {
    v["Results"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|r| r["Vulnerabilities"].as_array_mut().into_iter().flatten())
}

/// Drop the vulnerabilities `(id, pkg_name)` from every result.
fn without(mut v: Value, id: &str, pkg: &str) -> Value {
    let mut n = 0;
    for r in v["Results"].as_array_mut().unwrap() {
        if let Some(list) = r["Vulnerabilities"].as_array_mut() {
            let before = list.len();
            list.retain(|x| !(x["VulnerabilityID"] == id && x["PkgName"] == pkg));
            n += before - list.len();
        }
    }
    assert!(n > 0, "{id} {pkg} not in the report");
    v
}

/// The same report as scanned on linux/arm64 (image config and PURL qualifiers).
fn as_arm64(v: &Value) -> Value {
    let text = serde_json::to_string(v)
        .unwrap()
        .replace("arch=amd64", "arch=arm64");
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["Metadata"]["ImageConfig"]["architecture"] = json!("arm64");
    v
}

/// What the gate blocks on without a baseline (it must block, or the tests prove nothing).
fn blocking_alone(dir: &Path, report: &Path) -> Vec<Key> {
    let (code, out) = gate_json(dir, &[s(report)]);
    assert_eq!(code, 1);
    let k = keys(&out["blocking"]);
    assert!(k.len() >= 2, "{k:?}");
    k
}

#[test]
fn a_report_gated_against_itself_passes_although_it_blocks_alone() {
    let d = tmp();
    let report = image_report();
    let alone = blocking_alone(d.path(), &report);
    let base = save(d.path(), "main-amd64.json", &load(&report));
    let (code, out) = gate_json(d.path(), &[s(&report), "--baseline", s(&base)]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["verdict"], "pass");
    assert_eq!(out["schema"], "vexgate/gate/v2");
    assert!(out["blocking"].as_array().unwrap().is_empty());
    assert_eq!(keys(&out["baseline"]["existing"]), alone);
    for row in out["baseline"]["existing"].as_array().unwrap() {
        assert_eq!(row["baseline"], "existing");
    }
    assert_eq!(
        out["counts"]["baseline"],
        json!({"new": 0, "existing": alone.len(), "fixed": 0})
    );
    assert_eq!(out["baseline"]["mode"], "block-new");
    assert_eq!(out["reports"][0]["baseline"]["file"], s(&base));
    assert_eq!(out["reports"][0]["blocking"], 0);
    // The same run in --baseline-mode report blocks exactly as without a baseline, marked.
    let (code, out) = gate_json(
        d.path(),
        &[
            s(&report),
            "--baseline",
            s(&base),
            "--baseline-mode",
            "report",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(keys(&out["blocking"]), alone);
    for row in out["blocking"].as_array().unwrap() {
        assert_eq!(row["baseline"], "existing");
    }
    assert!(out["baseline"]["existing"].as_array().unwrap().is_empty());
}

#[test]
fn a_finding_missing_from_the_baseline_is_exactly_what_blocks() {
    let d = tmp();
    let report = image_report();
    let alone = blocking_alone(d.path(), &report);
    for (id, pkg, version) in &alone {
        let base = save(d.path(), "base.json", &without(load(&report), id, pkg));
        let (code, out) = gate_json(d.path(), &[s(&report), "--baseline", s(&base)]);
        assert_eq!(code, 1, "{id} {pkg}");
        assert_eq!(
            keys(&out["blocking"]),
            [(id.clone(), pkg.clone(), version.clone())]
        );
        assert_eq!(out["blocking"][0]["baseline"], "new");
        let rest: Vec<Key> = alone
            .iter()
            .filter(|k| (&k.0, &k.1) != (id, pkg))
            .cloned()
            .collect();
        assert_eq!(keys(&out["baseline"]["existing"]), rest);
        // report mode: everything blocks, and exactly that one is new.
        let (code, out) = gate_json(
            d.path(),
            &[s(&report), "--baseline", s(&base), "--baseline-mode=report"],
        );
        assert_eq!(code, 1);
        assert_eq!(keys(&out["blocking"]), alone);
        let new: Vec<&str> = out["blocking"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["baseline"] == "new")
            .map(|r| r["pkg_name"].as_str().unwrap())
            .collect();
        assert_eq!(new, [pkg.as_str()]);
    }
}

#[test]
fn a_version_bump_that_keeps_the_cve_stays_existing() {
    let d = tmp();
    // ubi-7: an OS result and a Python package with a PkgPath; default policy blocks on it.
    let report = golden("ubi-7-comprehensive.json.golden");
    let (code, alone) = gate_json(d.path(), &[s(&report)]);
    assert_eq!(code, 1);
    let blocking = keys(&alone["blocking"]);
    assert_eq!(blocking.len(), 1, "{blocking:?}");
    let (id, pkg, version) = blocking[0].clone();
    // The baseline had an older version of the package, with the same CVE.
    let mut base = load(&report);
    let mut bumped = 0;
    for v in vulns_mut(&mut base) {
        if v["VulnerabilityID"] == id.as_str() && v["PkgName"] == pkg.as_str() {
            let purl = v["PkgIdentifier"]["PURL"].as_str().unwrap().to_string();
            assert!(purl.contains(&format!("@{version}")), "{purl}");
            v["PkgIdentifier"]["PURL"] = json!(purl.replace(&format!("@{version}"), "@0.1"));
            v["InstalledVersion"] = json!("0.1");
            v["PkgID"] = json!(format!("{pkg}@0.1"));
            bumped += 1;
        }
    }
    assert_eq!(bumped, 1);
    let base = save(d.path(), "base.json", &base);
    let (code, out) = gate_json(d.path(), &[s(&report), "--baseline", s(&base)]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(keys(&out["baseline"]["existing"]), blocking);
    assert!(out["baseline"]["fixed"].as_array().unwrap().is_empty());
}

#[test]
fn a_second_copy_of_the_package_at_another_path_is_new() {
    let d = tmp();
    let report = golden("ubi-7-comprehensive.json.golden");
    let (_, alone) = gate_json(d.path(), &[s(&report)]);
    let blocking = keys(&alone["blocking"]);
    let (id, pkg, _) = blocking[0].clone();
    let path = alone["blocking"][0]["pkg_path"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!path.is_empty());
    // The image under test has a second copy of the package elsewhere.
    let mut now = load(&report);
    let other = format!("opt/second/{path}");
    for r in now["Results"].as_array_mut().unwrap() {
        let Some(list) = r["Vulnerabilities"].as_array_mut() else {
            continue;
        };
        let copies: Vec<Value> = list
            .iter()
            .filter(|v| v["VulnerabilityID"] == id.as_str() && v["PkgName"] == pkg.as_str())
            .map(|v| {
                let mut c = v.clone();
                c["PkgPath"] = json!(other);
                c
            })
            .collect();
        list.extend(copies);
    }
    let now = save(d.path(), "now.json", &now);
    let (code, out) = gate_json(d.path(), &[s(&now), "--baseline", s(&report)]);
    assert_eq!(code, 1);
    let rows = out["blocking"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{out:#}");
    assert_eq!(rows[0]["pkg_path"], other.as_str());
    assert_eq!(rows[0]["baseline"], "new");
    assert_eq!(out["baseline"]["existing"][0]["pkg_path"], path.as_str());
}

#[test]
fn findings_gone_since_the_baseline_are_listed_as_fixed() {
    let d = tmp();
    let report = image_report();
    let alone = blocking_alone(d.path(), &report);
    let (id, pkg, version) = alone[0].clone();
    // The change upgraded the package away.
    let now = save(d.path(), "now.json", &without(load(&report), &id, &pkg));
    for fmt in ["json", "table"] {
        let out = run(
            d.path(),
            &[
                s(&now),
                "--baseline",
                s(&report),
                "--vex",
                "none",
                "--format",
                fmt,
            ],
        );
        assert_eq!(out.status.code(), Some(0));
        let stdout = String::from_utf8_lossy(&out.stdout);
        if fmt == "table" {
            assert!(stdout.contains("Fixed since the baseline (1):"), "{stdout}");
            assert!(stdout.contains(&id), "{stdout}");
            continue;
        }
        let out: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            keys(&out["baseline"]["fixed"]),
            [(id.clone(), pkg.clone(), version.clone())]
        );
        assert_eq!(
            out["baseline"]["fixed"][0]["platforms"],
            json!(["linux/amd64"])
        );
        assert_eq!(out["counts"]["baseline"]["fixed"], 1);
        assert_eq!(out["reports"][0]["baseline"]["fixed"], 1);
    }
    let md = d.path().join("s.md");
    let sarif = d.path().join("s.sarif");
    let out = run(
        d.path(),
        &[
            s(&now),
            "--baseline",
            s(&report),
            "--vex",
            "none",
            "--summary-md",
            s(&md),
            "--sarif",
            s(&sarif),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let md = std::fs::read_to_string(md).unwrap();
    assert!(md.contains("Fixed since the baseline (1)"), "{md}");
    assert!(md.contains("In the baseline, not blocking"), "{md}");
    let sarif = load(&sarif);
    let run0 = &sarif["runs"][0];
    assert_eq!(
        run0["properties"]["fixedSinceBaseline"][0]["id"],
        id.as_str()
    );
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), alone.len() - 1);
    assert!(results.iter().all(|r| r["baselineState"] == "unchanged"));
}

#[test]
fn a_platform_without_a_baseline_fails_unless_allowed() {
    let d = tmp();
    let report = image_report();
    let arm = save(d.path(), "arm64.json", &as_arm64(&load(&report)));
    let base = save(d.path(), "base-amd64.json", &load(&report));
    let out = run(
        d.path(),
        &[s(&report), s(&arm), "--baseline", s(&base), "--vex", "none"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("linux/arm64") && err.contains("arm64.json"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    // allow: arm64 gates in full (so it blocks as it does alone), amd64 against its baseline.
    let arm_alone = blocking_alone(d.path(), &arm);
    let (code, out) = gate_json(
        d.path(),
        &[
            s(&report),
            s(&arm),
            "--baseline",
            s(&base),
            "--baseline-missing",
            "allow",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(keys(&out["blocking"]), arm_alone);
    for row in out["blocking"].as_array().unwrap() {
        assert_eq!(row["platforms"], json!(["linux/arm64"]));
        assert!(row["baseline"].is_null(), "{row}");
    }
    assert_eq!(out["reports"][1]["baseline"]["file"], Value::Null);
    let codes: Vec<&str> = out["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["baseline-missing"]);
    // A baseline for a platform no report has: a warning.
    let (_, out) = gate_json(
        d.path(),
        &[s(&report), "--baseline", s(&base), "--baseline", s(&arm)],
    );
    assert_eq!(out["warnings"][0]["code"], "baseline-unused");
    // Two baselines of one platform: a usage error.
    let out = run(
        d.path(),
        &[s(&report), "--baseline", s(&base), "--baseline", s(&report)],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn findings_on_only_some_platforms_are_flagged() {
    let d = tmp();
    let report = image_report();
    let alone = blocking_alone(d.path(), &report);
    let (id, pkg, _) = alone[0].clone();
    let arm = save(
        d.path(),
        "arm64.json",
        &without(as_arm64(&load(&report)), &id, &pkg),
    );
    let (code, out) = gate_json(d.path(), &[s(&report), s(&arm)]);
    assert_eq!(code, 1);
    assert_eq!(out["counts"]["drift"], 1);
    for row in out["blocking"].as_array().unwrap() {
        if row["id"] == id.as_str() && row["pkg_name"] == pkg.as_str() {
            assert_eq!(row["missing_on"], json!(["linux/arm64"]));
            assert_eq!(row["platforms"], json!(["linux/amd64"]));
        } else {
            assert_eq!(row["missing_on"], json!([]), "{row}");
            assert_eq!(row["platforms"], json!(["linux/amd64", "linux/arm64"]));
        }
    }
    let out = run(d.path(), &[s(&report), s(&arm), "--vex", "none"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("Drift"), "{table}");
    assert!(table.contains("not on"), "{table}");
    assert!(
        table.contains("1 vulnerability on only some platforms"),
        "{table}"
    );
    // The same two platforms without the difference: no drift, no column.
    let arm_same = save(d.path(), "arm64-same.json", &as_arm64(&load(&report)));
    let (_, out) = gate_json(d.path(), &[s(&report), s(&arm_same)]);
    assert_eq!(out["counts"]["drift"], 0);
    let out = run(d.path(), &[s(&report), s(&arm_same), "--vex", "none"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Drift"));
    // One report: no drift at all.
    let (_, out) = gate_json(d.path(), &[s(&report)]);
    assert!(out["counts"]["drift"].is_null());
}

#[test]
fn baselines_come_from_flags_variables_or_the_settings_file_and_are_never_overwritten() {
    let d = tmp();
    let report = image_report();
    let base = save(d.path(), "base.json", &load(&report));
    // Variable.
    let out = vexgate(d.path())
        .args(["gate", s(&report), "--vex", "none"])
        .env("VEXGATE_BASELINE", s(&base))
        .env("VEXGATE_BASELINE_MODE", "report")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "report mode blocks");
    assert!(String::from_utf8_lossy(&out.stdout).contains("mode report"));
    // Settings file, with a path relative to the file.
    let sub = d.path().join("cfg");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(
        sub.join("vexgate.toml"),
        "baseline = [\"../base.json\"]\nbaseline-missing = \"deny\"\n",
    )
    .unwrap();
    let cfg = sub.join("vexgate.toml");
    let out = run(
        d.path(),
        &[s(&report), "--vex", "none", "--config", s(&cfg)],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Bad values are usage errors naming the flag.
    let out = run(d.path(), &[s(&report), "--baseline-mode", "new"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--baseline-mode"));
    std::fs::write(sub.join("vexgate.toml"), "baseline-missing = \"maybe\"\n").unwrap();
    let out = run(d.path(), &[s(&report), "--config", s(&cfg)]);
    assert_eq!(out.status.code(), Some(2));
    // A baseline is an input: no output may overwrite it.
    let before = std::fs::read(&base).unwrap();
    for flag in ["--sarif", "--summary-md", "--output-report"] {
        let out = run(
            d.path(),
            &[
                s(&report),
                "--vex",
                "none",
                "--baseline",
                s(&base),
                flag,
                s(&base),
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("baseline"), "{flag}: {err}");
    }
    assert_eq!(std::fs::read(&base).unwrap(), before);
}

/// Lines as a log reader sees them: no workflow command, no control or bidi character.
fn assert_clean(what: &str, s: &str) {
    for line in s.split(['\n', '\r']) {
        assert!(!line.trim_start().starts_with("::"), "{what}: {line:?}");
        assert!(!line.contains("##["), "{what}: {line:?}");
    }
    for c in s.chars() {
        assert!(
            c == '\n'
                || !(c.is_control()
                    || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
            "{what}: raw {c:?}"
        );
    }
}

#[test]
fn baseline_strings_are_escaped_like_report_strings() {
    let d = tmp();
    let report = image_report();
    let alone = blocking_alone(d.path(), &report);
    let (id, pkg, _) = alone[0].clone();
    // The baseline (a file from another run) holds the finding the report no longer has,
    // with hostile text in everything that is shown but not part of its identity.
    let mut base = load(&report);
    for r in base["Results"].as_array_mut().unwrap() {
        r["Target"] = json!("img\n::error::PASS\u{202e} (debian 12)");
    }
    for v in vulns_mut(&mut base) {
        if v["VulnerabilityID"] == id.as_str() && v["PkgName"] == pkg.as_str() {
            v["Title"] = json!("t\n## vexgate: PASS\n<img src=x onerror=alert(1)>\x1b[2J");
            v["PrimaryURL"] = json!("https://x/\n<script>alert(1)</script>");
            v["InstalledVersion"] = json!("1\n::add-mask::BLOCKED\r@admin");
        }
    }
    let base = save(d.path(), "base\n::warning::x.json", &base);
    let now = save(d.path(), "now.json", &without(load(&report), &id, &pkg));
    let md = d.path().join("s.md");
    for fmt in ["table", "json"] {
        let out = run(
            d.path(),
            &[
                s(&now),
                "--vex",
                "none",
                "--baseline",
                s(&base),
                "--format",
                fmt,
                "--summary-md",
                s(&md),
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(&id), "{stdout}");
        assert_clean(fmt, &stdout);
        assert_clean("stderr", &String::from_utf8_lossy(&out.stderr));
    }
    let md = std::fs::read_to_string(md).unwrap();
    assert!(md.contains("Fixed since the baseline (1)"), "{md}");
    assert_clean("markdown", &md);
    assert_eq!(md.matches("<!--").count(), 1, "{md}");
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        headings,
        ["## vexgate: PASS"],
        "one verdict heading, vexgate's own"
    );
    for l in md.lines() {
        assert!(!l.starts_with('@') && !l.starts_with("::"), "{l:?}");
        assert!(!l.contains("<img") && !l.contains("<script"), "{l:?}");
    }
}

/// Secrets, FAIL misconfigurations and licenses are baselined like vulnerabilities: the
/// oracle's report with all three, gated against itself, passes although it blocks alone;
/// a secret the baseline lacks is exactly what blocks; a secret that only moved to
/// another line is still existing; `report` mode blocks on everything and marks it.
#[test]
fn secrets_misconfigurations_and_licenses_are_baselined_too() {
    let t = tmp();
    let src = root().join("testdata/oracle/convert/inputs/severities.json");
    let report = load(&src);
    let r = save(t.path(), "report.json", &report);
    let all = ["--severity", "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"];
    let (code, alone) = gate_json(t.path(), &[&all[..], &[s(&r)]].concat());
    assert_eq!(code, 1);
    let others = alone["other_blocking"].as_array().unwrap().clone();
    let kinds: std::collections::BTreeSet<&str> =
        others.iter().map(|o| o["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["license", "misconfiguration", "secret"].into(),
        "the report blocks on all three kinds alone"
    );
    assert!(others.iter().all(|o| o["baseline"].is_null()));

    // Its own baseline: nothing new, everything existing, exit 0.
    let (code, v) = gate_json(
        t.path(),
        &[&all[..], &[s(&r), "--baseline", s(&r)]].concat(),
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["other_blocking"], json!([]));
    let existing = v["baseline"]["existing_other"].as_array().unwrap();
    assert_eq!(existing.len(), others.len());
    assert!(existing.iter().all(|o| o["baseline"] == "existing"));

    // The table and the Markdown list them apart, not blocking.
    let md = t.path().join("summary.md");
    let sarif = t.path().join("out.sarif");
    let o = run(
        t.path(),
        &[
            &all[..],
            &[
                "--vex",
                "none",
                s(&r),
                "--baseline",
                s(&r),
                "--summary-md",
                s(&md),
                "--sarif",
                s(&sarif),
            ],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(0));
    // SARIF keeps them as results, unchanged (code scanning keeps their alerts open).
    let sarif = load(&sarif);
    let states: Vec<&Value> = sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|run| run["results"].as_array().unwrap())
        .map(|res| &res["baselineState"])
        .collect();
    // Every finding is a result: the report's vulnerabilities and the others.
    assert!(states.len() > others.len(), "{sarif}");
    assert!(states.iter().all(|st| *st == "unchanged"), "{states:?}");
    let table = String::from_utf8_lossy(&o.stdout);
    let head = format!(
        "In the baseline, not blocking: secrets, misconfigurations and licenses ({}):",
        others.len()
    );
    assert!(table.contains(&head), "{table}");
    assert!(!table.contains("Blocking secrets"), "{table}");
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        md.contains(&format!(
            "<details><summary>In the baseline, not blocking: secrets, misconfigurations and licenses ({})</summary>",
            others.len()
        )),
        "{md}"
    );

    // A baseline without the first secret: that secret, and only it, blocks (new).
    let mut base = report.clone();
    let secrets = base["Results"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["Class"] == "secret")
        .unwrap()["Secrets"]
        .as_array_mut()
        .unwrap();
    let gone = secrets.remove(0);
    let b = save(t.path(), "base.json", &base);
    let (code, v) = gate_json(
        t.path(),
        &[&all[..], &[s(&r), "--baseline", s(&b)]].concat(),
    );
    assert_eq!(code, 1, "{v}");
    let blocking = v["other_blocking"].as_array().unwrap();
    assert_eq!(blocking.len(), 1, "{v}");
    assert_eq!(blocking[0]["id"], gone["RuleID"]);
    assert_eq!(blocking[0]["type"], "secret");
    assert_eq!(blocking[0]["baseline"], "new");
    assert_eq!(v["blocking"], json!([]));

    // The same secret on other lines (an edit above it) is the same finding.
    let mut moved = report.clone();
    for r in moved["Results"].as_array_mut().unwrap() {
        for sct in r["Secrets"].as_array_mut().into_iter().flatten() {
            let line = sct["StartLine"].as_i64().unwrap_or(1);
            sct["StartLine"] = json!(line + 10);
            sct["EndLine"] = json!(line + 11);
        }
    }
    let m = save(t.path(), "moved.json", &moved);
    let (code, v) = gate_json(
        t.path(),
        &[&all[..], &[s(&m), "--baseline", s(&r)]].concat(),
    );
    assert_eq!(code, 0, "{v}");

    // report mode: everything blocks, each marked.
    let (code, v) = gate_json(
        t.path(),
        &[
            &all[..],
            &[s(&r), "--baseline", s(&b), "--baseline-mode", "report"],
        ]
        .concat(),
    );
    assert_eq!(code, 1);
    let rows = v["other_blocking"].as_array().unwrap();
    assert_eq!(rows.len(), others.len());
    assert_eq!(
        rows.iter().filter(|o| o["baseline"] == "new").count(),
        1,
        "{v}"
    );
    assert_eq!(v["baseline"]["existing_other"], json!([]));
}
