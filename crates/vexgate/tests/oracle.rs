//! Differential tests against real Trivy 0.76 (testdata/oracle, written by
//! scripts/regen-oracle.sh — every expected file there was produced by the real binary).
//!
//! For each scenario, vexgate gates Trivy's *unfiltered* report with the scenario's flags and
//! writes `--output-report`; that must be JSON-equal to what Trivy wrote when it applied the
//! same flags itself (`--show-suppressed`), apart from the run identity (`CreatedAt`,
//! `ReportID`). The exit code must agree with Trivy's `--exit-code 1` run.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// A private copy of testdata/oracle (and the upstream goldens some scenarios read as
/// `../upstream/...`), so nothing at the repo root (a vex.openvex.json, a .trivyignore) can
/// leak into a scenario and the relative paths Trivy recorded still hold.
fn workdir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&testdata().join("oracle"), &tmp.path().join("oracle"));
    copy_dir(&testdata().join("upstream"), &tmp.path().join("upstream"));
    tmp
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Drop what differs between two Trivy runs of the same scan, and normalise the one list
/// Trivy emits in random order (findings moved by the Rego stand-in).
fn normalise(mut report: Value, drop_rego: bool) -> Value {
    if let Some(obj) = report.as_object_mut() {
        obj.remove("CreatedAt");
        obj.remove("ReportID");
    }
    if let Some(results) = report.get_mut("Results").and_then(Value::as_array_mut) {
        for result in results {
            let Some(obj) = result.as_object_mut() else {
                continue;
            };
            if let Some(Value::Array(mods)) = obj.get_mut("ExperimentalModifiedFindings") {
                if drop_rego {
                    mods.retain(|m| m["Statement"] != "Filtered by Rego");
                }
                mods.sort_by_key(|m| m.to_string());
                if mods.is_empty() {
                    obj.remove("ExperimentalModifiedFindings");
                }
            }
        }
    }
    report
}

/// The first JSON path where `a` and `b` differ, with both values.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let (va, vb) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                if let Some(d) = first_difference(va, vb, &format!("{path}.{k}")) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (va, vb))| first_difference(va, vb, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => {
            let short = |v: &Value| v.to_string().chars().take(300).collect::<String>();
            Some(format!("{path}: vexgate {} / trivy {}", short(a), short(b)))
        }
    }
}

fn ids(report: &Value, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    for r in report["Results"].as_array().into_iter().flatten() {
        match key {
            "Vulnerabilities" => {
                for v in r["Vulnerabilities"].as_array().into_iter().flatten() {
                    out.push(
                        v["VulnerabilityID"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    );
                }
            }
            _ => {
                for m in r["ExperimentalModifiedFindings"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    out.push(
                        m["Finding"]["VulnerabilityID"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    );
                }
            }
        }
    }
    out.sort();
    out
}

fn gate(dir: &Path, unfiltered: &str, args: &[String], out: &Path) -> Result<i32, String> {
    let output = Command::cargo_bin("vexgate")
        .unwrap()
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .arg("gate")
        .arg(unfiltered)
        .args(args)
        .arg("--output-report")
        .arg(out)
        .output()
        .unwrap();
    let code = output.status.code().unwrap_or(-1);
    if code == 0 || code == 1 {
        Ok(code)
    } else {
        Err(format!(
            "vexgate gate {unfiltered} {args:?} exited {code}: {}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

#[test]
fn vexgate_agrees_with_real_trivy_on_every_oracle_scenario() {
    let dir = workdir();
    let base = dir.path().join("oracle");
    let manifest = read_json(&base.join("manifest.json"));
    let scenarios = manifest["scenarios"].as_array().expect("scenarios");
    assert!(
        scenarios.len() >= 30,
        "the oracle has {} scenarios",
        scenarios.len()
    );
    let mut failures = Vec::new();
    let mut vex_scenarios = 0;
    for s in scenarios {
        let name = s["name"].as_str().unwrap();
        let cwd = base.join(s["cwd"].as_str().unwrap_or("."));
        let args: Vec<String> = s["gate_args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        if !args.windows(2).any(|w| w[0] == "--vex" && w[1] == "none") {
            vex_scenarios += 1;
        }
        let out = dir.path().join(format!("{name}.vexgate.json"));
        let code = match gate(&cwd, s["unfiltered"].as_str().unwrap(), &args, &out) {
            Ok(code) => code,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let want_code = s["trivy_exit_code"].as_i64().unwrap() as i32;
        let drop_rego = s["rego_unfixed"].as_bool().unwrap_or(false);
        let got = normalise(read_json(&out), false);
        let want = normalise(
            read_json(&cwd.join(s["expected"].as_str().unwrap())),
            drop_rego,
        );
        if code != want_code {
            failures.push(format!("{name}: exit {code}, Trivy {want_code}"));
        }
        if got != want {
            failures.push(format!(
                "{name}: report differs from Trivy's at {}\n  remaining: vexgate {:?} trivy {:?}\n  suppressed: vexgate {:?} trivy {:?}",
                first_difference(&got, &want, "$").unwrap_or_default(),
                ids(&got, "Vulnerabilities"),
                ids(&want, "Vulnerabilities"),
                ids(&got, "Modified"),
                ids(&want, "Modified"),
            ));
        }
        // vexgate's one extension: --image-repo gives an unpushed (tar) image an identity.
        if let Some(extra) = s["vexgate_extra_args"].as_array() {
            let mut with = args.clone();
            with.extend(extra.iter().map(|a| a.as_str().unwrap().to_string()));
            let out2 = dir.path().join(format!("{name}.image-repo.json"));
            if let Err(e) = gate(&cwd, s["unfiltered"].as_str().unwrap(), &with, &out2) {
                failures.push(format!("{name} (--image-repo): {e}"));
                continue;
            }
            let suppressed = ids(&read_json(&out2), "Modified");
            for id in s["vexgate_expect_suppressed"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let id = id.as_str().unwrap().to_string();
                if !suppressed.contains(&id) {
                    failures.push(format!(
                        "{name}: with --image-repo, {id} is not suppressed ({suppressed:?})"
                    ));
                }
            }
        }
    }
    assert!(vex_scenarios >= 15, "only {vex_scenarios} VEX scenarios");
    assert!(
        failures.is_empty(),
        "{} of {} scenarios disagree with Trivy:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n")
    );
}
