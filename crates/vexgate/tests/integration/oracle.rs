//! Differential tests against real Trivy 0.76 (testdata/oracle, written by
//! scripts/regen-oracle.sh — every expected file there was produced by the real binary).
//!
//! For each scenario, vexgate gates Trivy's *unfiltered* report with the scenario's flags and
//! writes `--output-report`; that must be JSON-equal to what Trivy wrote when it applied the
//! same flags itself (`--show-suppressed`), apart from the run identity (`CreatedAt`,
//! `ReportID`). The exit code must agree with Trivy's `--exit-code 1` run.
//!
//! Where Trivy refused a VEX document (`trivy_fatal`), vexgate must refuse it too (exit 2,
//! one line quoting Trivy's error); where a scenario shows a never-match lint (`lint`) and
//! its fix (`lint_fix_of`), vexgate must warn about the first and not about the second; and
//! for every upstream OpenVEX fixture (`upstream_vex`), `gate` must load exactly the ones
//! Trivy loads and `vex validate` must report a `[trivy]` error exactly for the others.

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

/// `vexgate ARGS` in `dir`, with nothing from the environment but PATH: exit code, stderr.
fn vexgate(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("vexgate")
        .unwrap()
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SOURCE_DATE_EPOCH", "1798761600")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn gate(dir: &Path, unfiltered: &str, args: &[String], out: &Path) -> Result<i32, String> {
    gate_with_stderr(dir, unfiltered, args, out).map(|(code, _)| code)
}

fn gate_with_stderr(
    dir: &Path,
    unfiltered: &str,
    args: &[String],
    out: &Path,
) -> Result<(i32, String), String> {
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
        Ok((code, String::from_utf8_lossy(&output.stderr).into_owned()))
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
    let (mut refused, mut lints, mut reports_refused) = (0, 0, 0);
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
        if let Some(fatal) = s["trivy_fatal"].as_str()
            && s["kind"] == "convert"
        {
            reports_refused += 1;
            if let Some(f) = report_refused_differently(&cwd, s, &args, &out, fatal) {
                failures.push(format!("{name}: {f}"));
            }
            continue;
        }
        if let Some(fatal) = s["trivy_fatal"].as_str() {
            refused += 1;
            if let Some(f) = refused_differently(&cwd, s, &args, &out, fatal) {
                failures.push(format!("{name}: {f}"));
            }
            continue;
        }
        let (code, stderr) =
            match gate_with_stderr(&cwd, s["unfiltered"].as_str().unwrap(), &args, &out) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{name}: {e}"));
                    continue;
                }
            };
        if let Some(code) = s["lint"].as_str() {
            lints += 1;
            if !stderr
                .lines()
                .any(|l| l.starts_with("vexgate: warning:") && l.contains(&format!("[{code}]")))
            {
                failures.push(format!("{name}: gate does not warn [{code}]:\n{stderr}"));
            }
        }
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
    assert!(refused >= 4, "only {refused} refused-VEX scenarios");
    assert!(
        reports_refused >= 1,
        "only {reports_refused} refused-report scenarios"
    );
    assert!(lints >= 4, "only {lints} lint scenarios");
    assert!(
        failures.is_empty(),
        "{} of {} scenarios disagree with Trivy:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n")
    );
}

/// vexgate's answer to a scenario where Trivy refused the report itself (Go's decoder failed):
/// `None` when vexgate refuses it too (exit 2, one line naming the report, no output
/// written), else what differs.
fn report_refused_differently(
    cwd: &Path,
    s: &Value,
    args: &[String],
    out: &Path,
    fatal: &str,
) -> Option<String> {
    let report = s["unfiltered"].as_str().unwrap();
    let mut all: Vec<&str> = vec!["gate", report];
    all.extend(args.iter().map(String::as_str));
    let out_arg = out.to_string_lossy().into_owned();
    all.extend(["--output-report", &out_arg]);
    let (code, _, err) = vexgate(cwd, &all);
    let line = err.trim_end();
    if code != 2
        || line.lines().count() != 1
        || !line.starts_with(&format!("vexgate: error: {report}: "))
        || out.exists()
    {
        return Some(format!(
            "Trivy refused the report ({fatal}); vexgate exited {code} with {line:?}"
        ));
    }
    None
}

/// vexgate's answer to a scenario where Trivy refused the VEX document: `None` when it
/// refuses it too (exit 2, one line naming the VEX file, quoting Trivy's error, pointing
/// at `vex validate`), else what differs.
fn refused_differently(
    cwd: &Path,
    s: &Value,
    args: &[String],
    out: &Path,
    fatal: &str,
) -> Option<String> {
    let vex = args
        .windows(2)
        .find(|w| w[0] == "--vex")
        .map(|w| w[1].clone())
        .unwrap_or_default();
    let mut all: Vec<&str> = vec!["gate", s["unfiltered"].as_str().unwrap()];
    all.extend(args.iter().map(String::as_str));
    let out = out.to_string_lossy().into_owned();
    all.extend(["--output-report", &out]);
    let (code, _, err) = vexgate(cwd, &all);
    let quoted = if fatal.starts_with("json: ") {
        fatal.to_string()
    } else {
        // Go's time errors: `parsing time "VALUE" as …`; vexgate words the rest itself.
        fatal.split(" as ").next().unwrap_or(fatal).to_string()
    };
    let line = err.trim_end();
    if code != 2
        || line.lines().count() != 1
        || !line.starts_with(&format!("vexgate: error: {vex}: "))
        || !line.contains(&quoted)
        || !line.contains("vexgate vex validate FILE")
    {
        return Some(format!(
            "Trivy refused the VEX ({fatal}); vexgate exited {code} with {line:?}"
        ));
    }
    None
}

/// For each lint scenario and its fix: `vex validate` reports the lint on the first
/// document and no never-match at all on the second, and the fix is one vexgate suggests.
#[test]
fn lint_scenarios_suggest_the_fix_trivy_confirms() {
    let dir = workdir();
    let base = dir.path().join("oracle");
    let manifest = read_json(&base.join("manifest.json"));
    let scenarios = manifest["scenarios"].as_array().unwrap();
    let vex_of = |s: &Value| -> String {
        let args = s["gate_args"].as_array().unwrap();
        let i = args.iter().position(|a| a == "--vex").unwrap();
        args[i + 1].as_str().unwrap().to_string()
    };
    let mut pairs = 0;
    for fixed in scenarios.iter().filter(|s| s["lint_fix_of"].is_string()) {
        let of = fixed["lint_fix_of"].as_str().unwrap();
        let broken = scenarios.iter().find(|s| s["name"] == of).unwrap();
        let code = broken["lint"].as_str().unwrap();
        let (bad, good) = (vex_of(broken), vex_of(fixed));
        let (_, out, _) = vexgate(&base, &["vex", "validate", &bad]);
        assert!(out.contains(&format!("[{code}]")), "{of}: {out}");
        let (vcode, fixed_out, _) = vexgate(&base, &["vex", "validate", &good]);
        assert_eq!(vcode, 0, "{good}: {fixed_out}");
        assert!(!fixed_out.contains("never match"), "{good}: {fixed_out}");
        // The suggestions ("… write X" / "…; write X (Trivy: …)") that name no placeholder.
        let text = std::fs::read_to_string(base.join(&good)).unwrap();
        let suggestions: Vec<&str> = out
            .lines()
            .filter(|l| l.contains(&format!("[{code}]")))
            .filter_map(|l| l.split(" write ").nth(1))
            .map(|w| w.split([';', ' ']).next().unwrap_or(""))
            .filter(|w| !w.contains('<'))
            .collect();
        if code == "oci-version-not-digest" {
            assert!(text.contains("@sha256:"), "{good}");
        } else {
            assert!(
                suggestions.iter().any(|w| text.contains(w)),
                "{of}: none of {suggestions:?} is in {good}"
            );
        }
        pairs += 1;
    }
    assert!(pairs >= 4, "only {pairs} lint pairs");
}

/// Every upstream OpenVEX fixture: `gate` refuses exactly what Trivy refused (quoting
/// Trivy's first error when it is a decode error), and `vex validate` reports a `[trivy]`
/// error exactly for the OpenVEX documents Trivy's decoder refused.
#[test]
fn vex_validate_reports_a_trivy_error_iff_trivy_refuses() {
    let dir = workdir();
    let base = dir.path().join("oracle");
    let manifest = read_json(&base.join("manifest.json"));
    let upstream = manifest["upstream_vex"].as_array().expect("upstream_vex");
    assert!(
        upstream.len() >= 40,
        "{} upstream documents",
        upstream.len()
    );
    let mut failures = Vec::new();
    let (mut loads, mut refuses) = (0, 0);
    for u in upstream {
        let vex = u["vex"].as_str().unwrap();
        let trivy_loads = u["trivy_loads"].as_bool().unwrap();
        let error = u["trivy_error"].as_str().unwrap_or("");
        let out = dir.path().join("upstream-vex.json");
        let (code, _, err) = vexgate(
            &base,
            &[
                "gate",
                "scan/unfiltered/gomod.json",
                "--severity",
                "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
                "--vex",
                vex,
                "--output-report",
                &out.to_string_lossy(),
            ],
        );
        if trivy_loads {
            loads += 1;
            if code == 2 {
                failures.push(format!("{vex}: Trivy loads it, vexgate gate: {err}"));
            }
        } else {
            refuses += 1;
            if code != 2 {
                failures.push(format!(
                    "{vex}: Trivy refused it ({error}), vexgate gate exited {code}"
                ));
            } else if error.starts_with("json: ") && !err.contains(error) {
                failures.push(format!(
                    "{vex}: Trivy's first error is {error:?}, vexgate says {err}"
                ));
            }
        }
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(base.join(vex)).unwrap()).unwrap();
        if doc["@context"].is_string() {
            let (_, out, _) = vexgate(&base, &["vex", "validate", vex]);
            let decode_error = error.starts_with("json: ") || error.starts_with("parsing time");
            let reported = out.contains("error [trivy]")
                && out.contains("(Trivy: refuses to load the document)");
            if decode_error != reported {
                failures.push(format!(
                    "{vex}: Trivy {}, vex validate says:\n{out}",
                    if trivy_loads { "loads it" } else { error }
                ));
            }
        }
    }
    assert!(
        loads >= 20 && refuses >= 10,
        "loads {loads}, refuses {refuses}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Statement timestamps as Go's time.Time reads them: `gate` refuses a document exactly
/// when Trivy refused it for its timestamp (`go_timestamps`).
#[test]
fn timestamps_load_exactly_when_trivy_loads_them() {
    let dir = workdir();
    let base = dir.path().join("oracle");
    let manifest = read_json(&base.join("manifest.json"));
    let template = manifest["timestamp_template"].to_string();
    let cases = manifest["go_timestamps"].as_array().expect("go_timestamps");
    assert!(cases.len() >= 30, "{} timestamps", cases.len());
    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let ts = c["timestamp"].as_str().unwrap();
        let loads = c["trivy_loads"].as_bool().unwrap();
        let vex = dir.path().join(format!("ts-{i}.openvex.json"));
        let doc = template.replace("\"TIMESTAMP\"", &Value::from(ts).to_string());
        std::fs::write(&vex, doc).unwrap();
        let out = dir.path().join("ts-report.json");
        let (code, _, err) = vexgate(
            &base,
            &[
                "gate",
                "scan/unfiltered/gomod.json",
                "--severity",
                "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
                "--vex",
                &vex.to_string_lossy(),
                "--output-report",
                &out.to_string_lossy(),
            ],
        );
        if loads == (code == 2) {
            failures.push(format!(
                "{ts:?}: Trivy {}, vexgate exited {code} {err}",
                if loads { "loads it" } else { "refuses it" }
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
