//! `vex explain`: its final effect per finding is gate's decision, on every oracle scenario
//! (testdata/oracle, real Trivy 0.76 reports and the VEX documents Trivy was run with); its
//! human output for the classic misses (snapshots); its escaping of hostile VEX text.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use insta_cmd::assert_cmd_snapshot;
use serde_json::Value;

use crate::common::{root, tmp};

fn testdata() -> PathBuf {
    root().join("testdata")
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

/// `vexgate ARGS` in `dir` with nothing from the environment but PATH.
fn run(dir: &Path, args: &[String]) -> (i32, String, String) {
    let out = Command::new(crate::common::bin())
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

fn s<'v>(v: &'v Value, k: &str) -> &'v str {
    v[k].as_str().unwrap_or_default()
}

/// The effect gate's JSON gives the finding `f` (an explain finding) on `platform`:
/// `blocking`, `suppressed:<origin>:<status>:<statement>:<source>`,
/// `not_blocking:baseline` (a baseline's existing row), `not_blocking:epss_threshold` (below
/// the EPSS threshold) or `absent`.
fn gate_effect(gate: &Value, id: &str, f: &Value, platform: &str) -> String {
    let on = |row: &Value| {
        s(row, "id") == id
            && s(row, "pkg_name") == s(f, "pkg_name")
            && s(row, "installed_version") == s(f, "installed_version")
            && s(row, "fixed_version") == s(f, "fixed_version")
            && s(row, "target") == s(f, "target")
            && strs(&row["platforms"]).iter().any(|p| p == platform)
    };
    if gate["blocking"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| on(r) && s(r, "pkg_path") == s(f, "pkg_path"))
    {
        return "blocking".into();
    }
    for (rows, what) in [
        (&gate["baseline"]["existing"], "not_blocking:baseline"),
        (
            &gate["feeds"]["below_threshold"],
            "not_blocking:epss_threshold",
        ),
    ] {
        if rows
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| on(r) && s(r, "pkg_path") == s(f, "pkg_path"))
        {
            return what.into();
        }
    }
    let sup: Vec<String> = gate["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| s(r, "type") == "vulnerability" && on(r))
        .map(|r| {
            format!(
                "suppressed:{}:{}:{}:{}",
                s(r, "origin"),
                s(r, "status"),
                s(r, "statement"),
                s(r, "source")
            )
        })
        .collect();
    match sup.len() {
        0 => "absent".into(),
        _ => sup.join(" | "),
    }
}

/// The effect as explain states it, in [`gate_effect`]'s words.
fn explain_effect(f: &Value) -> String {
    let e = &f["effect"];
    match s(e, "decision") {
        "blocking" => "blocking".into(),
        "suppressed" => format!(
            "suppressed:{}:{}:{}:{}",
            s(e, "by"),
            s(e, "status"),
            s(e, "statement"),
            s(e, "source")
        ),
        "dropped" => "absent".into(),
        "not_blocking" => format!("not_blocking:{}", s(e, "by")),
        other => panic!("unknown decision {other:?}"),
    }
}

/// `obj[key]` with Go's key matching (encoding/json: the last key that folds to the field
/// name, case-insensitively, with Unicode simple folding: the oracle has reports that use it).
fn go_field<'v>(obj: &'v Value, key: &str) -> &'v Value {
    let fold = |k: &str| -> String {
        k.chars()
            .map(|c| match c {
                '\u{17f}' => 's',
                '\u{212a}' => 'k',
                c => c.to_ascii_lowercase(),
            })
            .collect()
    };
    obj.as_object()
        .and_then(|m| m.iter().rev().find(|(k, _)| fold(k) == fold(key)))
        .map_or(&Value::Null, |(_, v)| v)
}

/// Every non-empty VulnerabilityID of a report, read as Trivy's decoder reads the keys.
/// The every-path step must agree with the questions it lists: each node of an open path
/// was asked (with the package as subcomponent) and answered no; each node named as
/// covering was answered yes. `None` when it agrees.
fn path_claim_unfounded(f: &Value) -> Option<String> {
    let vex = &f["vex"];
    if vex["outcome"] != "evaluated" {
        return None;
    }
    let queries = vex["queries"].as_array().unwrap();
    let answered = |node: &Value, yes: bool| {
        queries.iter().any(|q| {
            q["node"]["index"] == node["index"]
                && (q["subcomponent"].is_object() || yes)
                && q["result"].is_object() == yes
        })
    };
    let paths = &vex["paths"];
    let (nodes, yes) = match paths["outcome"].as_str().unwrap() {
        "open" => (paths["path"].as_array().unwrap(), false),
        "blocked" => (paths["blocked_at"].as_array().unwrap(), true),
        _ => return None,
    };
    if nodes.is_empty() {
        return Some(format!("{}: empty {}", s(f, "pkg_id"), paths["outcome"]));
    }
    nodes.iter().find(|n| !answered(n, yes)).map(|n| {
        format!(
            "{}: node {} contradicts {}",
            s(f, "pkg_id"),
            n["index"],
            paths["outcome"]
        )
    })
}

fn vulnerability_ids(report: &Path) -> BTreeSet<String> {
    let r: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let mut ids = BTreeSet::new();
    for res in go_field(&r, "Results").as_array().into_iter().flatten() {
        for v in go_field(res, "Vulnerabilities")
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(id) = go_field(v, "VulnerabilityID").as_str()
                && !id.is_empty()
            {
                ids.insert(id.to_string());
            }
        }
    }
    ids
}

/// For every oracle scenario gate accepts (the VEX ones, with and without vexgate's
/// `--image-repo`, and the policy-only ones), and every vulnerability ID of its report,
/// `vex explain --format json` ends each finding with the effect gate's own JSON output
/// gives it in the same run of flags.
#[test]
fn explain_agrees_with_gate_on_every_oracle_scenario() {
    let dir = tmp();
    copy_dir(&testdata().join("oracle"), &dir.path().join("oracle"));
    copy_dir(&testdata().join("upstream"), &dir.path().join("upstream"));
    let base = dir.path().join("oracle");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(base.join("manifest.json")).unwrap())
            .unwrap();
    let mut failures = Vec::new();
    let (mut vex_runs, mut findings, mut by_vex, mut vex_kept) = (0, 0, 0, 0);
    let mut decisions = BTreeSet::new();
    for sc in manifest["scenarios"].as_array().unwrap() {
        if sc["trivy_fatal"].is_string() {
            continue;
        }
        let name = s(sc, "name");
        let cwd = base.join(sc["cwd"].as_str().unwrap_or("."));
        let report = s(sc, "unfiltered").to_string();
        let args = strs(&sc["gate_args"]);
        let mut variants = vec![args.clone()];
        if sc["vexgate_extra_args"].is_array() {
            let mut with = args.clone();
            with.extend(strs(&sc["vexgate_extra_args"]));
            variants.push(with);
        }
        for args in variants {
            let is_vex = !args.windows(2).any(|w| w[0] == "--vex" && w[1] == "none");
            vex_runs += usize::from(is_vex);
            let mut gate_args = vec!["gate".to_string(), report.clone()];
            gate_args.extend(args.iter().cloned());
            gate_args.extend(["--format".into(), "json".into()]);
            let (code, out, err) = run(&cwd, &gate_args);
            assert!(code == 0 || code == 1, "{name}: gate exited {code}: {err}");
            let gate: Value = serde_json::from_str(&out).unwrap();
            for id in vulnerability_ids(&cwd.join(&report)) {
                let mut ex = vec![
                    "vex".to_string(),
                    "explain".into(),
                    id.clone(),
                    "--report".into(),
                    report.clone(),
                    "--format".into(),
                    "json".into(),
                ];
                ex.extend(args.iter().cloned());
                let (code, out, err) = run(&cwd, &ex);
                if code != 0 {
                    failures.push(format!("{name} {id}: explain exited {code}: {err}"));
                    continue;
                }
                let e: Value = serde_json::from_str(&out).unwrap();
                assert_eq!(e["schema"], "vexgate/explain/v1");
                let reps = e["reports"].as_array().unwrap();
                assert_eq!(reps.len(), 1, "{name} {id}");
                let platform = reps[0]["platform"].as_str().unwrap_or("unknown");
                let fs = reps[0]["findings"].as_array().unwrap();
                assert!(!fs.is_empty(), "{name} {id}: no finding explained");
                for f in fs {
                    findings += 1;
                    let want = gate_effect(&gate, &id, f, platform);
                    let got = explain_effect(f);
                    decisions.insert(got.split(':').next().unwrap().to_string());
                    if let Some(f) = path_claim_unfounded(f) {
                        failures.push(format!("{name} {id}: {f}"));
                    }
                    if f["vex"]["outcome"] == "evaluated" {
                        if got.starts_with("suppressed:vex") {
                            by_vex += 1;
                        } else {
                            vex_kept += 1;
                        }
                    }
                    // A finding de-duplicated away has the same row as the one kept.
                    let twin_kept = got == "absent"
                        && f["policy"]["outcome"] == "duplicate"
                        && want != "absent";
                    if got != want && !twin_kept {
                        failures.push(format!(
                            "{name} {id} {} {}: explain says {got}, gate says {want}",
                            s(f, "pkg_id"),
                            s(f, "target")
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(vex_runs >= 30, "only {vex_runs} VEX runs");
    assert!(findings >= 500, "only {findings} findings");
    assert!(by_vex >= 10, "only {by_vex} findings suppressed by VEX");
    assert!(
        vex_kept >= 20,
        "only {vex_kept} findings VEX evaluated and kept"
    );
    eprintln!(
        "{vex_runs} VEX runs, {findings} findings, {by_vex} suppressed by VEX, {vex_kept} evaluated and kept"
    );
    assert_eq!(
        decisions.into_iter().collect::<Vec<_>>(),
        ["absent", "blocking", "suppressed"]
    );
}

/// Gate and explain on `report` (in `dir`) with `args`; each explained finding's effect must
/// be where gate's JSON lists it. Returns the failures and the effects and policy outcomes
/// seen.
fn walk_agreement(
    dir: &Path,
    report: &str,
    args: &[String],
    seen: &mut BTreeSet<String>,
) -> Vec<String> {
    let mut failures = Vec::new();
    let mut gate_args = vec!["gate".to_string(), report.to_string()];
    gate_args.extend(args.iter().cloned());
    gate_args.extend(["--format".into(), "json".into()]);
    let (code, out, err) = run(dir, &gate_args);
    assert!(
        code == 0 || code == 1,
        "{args:?}: gate exited {code}: {err}"
    );
    let gate: Value = serde_json::from_str(&out).unwrap();
    for id in vulnerability_ids(&dir.join(report)) {
        let mut ex = vec![
            "vex".to_string(),
            "explain".into(),
            id.clone(),
            "--report".into(),
            report.to_string(),
            "--format".into(),
            "json".into(),
        ];
        ex.extend(args.iter().cloned());
        let (code, out, err) = run(dir, &ex);
        if code != 0 {
            failures.push(format!("{args:?} {id}: explain exited {code}: {err}"));
            continue;
        }
        let e: Value = serde_json::from_str(&out).unwrap();
        let rep = &e["reports"][0];
        let platform = rep["platform"].as_str().unwrap_or("unknown");
        for f in rep["findings"].as_array().unwrap() {
            let want = gate_effect(&gate, &id, f, platform);
            let got = explain_effect(f);
            seen.insert(got.split(":vex:").next().unwrap().to_string());
            seen.insert(format!("policy:{}", s(&f["policy"], "outcome")));
            let twin_kept =
                got == "absent" && f["policy"]["outcome"] == "duplicate" && want != "absent";
            if got != want && !twin_kept {
                failures.push(format!(
                    "{args:?} {id} {} {}: explain says {got}, gate says {want}",
                    s(f, "pkg_id"),
                    s(f, "target")
                ));
            }
        }
    }
    failures
}

/// What gate decides after VEX (a baseline's existing findings, the EPSS threshold) and
/// what `--block-kev` lets through the policy are explain's final effect too, whether the
/// settings come from flags or from `vexgate.toml`: every finding of the oracle's Debian
/// scans, under each combination, agrees with gate's JSON.
#[test]
fn explain_agrees_with_gate_under_baselines_and_feeds() {
    let dir = tmp();
    let d = dir.path();
    let unfiltered = testdata().join("oracle/scan/unfiltered");
    for name in ["deb12-rootfs.json", "image-registry.json"] {
        std::fs::copy(unfiltered.join(name), d.join(name)).unwrap();
    }
    for name in ["kev.json", "epss.csv"] {
        std::fs::copy(testdata().join("feeds").join(name), d.join(name)).unwrap();
    }
    std::fs::copy(
        testdata().join("oracle/vex/deb-versioned.openvex.json"),
        d.join("vex.json"),
    )
    .unwrap();
    // A baseline without one of the report's findings: that one is new, the rest existing.
    let mut base: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("deb12-rootfs.json")).unwrap())
            .unwrap();
    let removed = base["Results"][0]["Vulnerabilities"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    assert!(removed["VulnerabilityID"].is_string());
    std::fs::write(d.join("base.json"), base.to_string()).unwrap();

    let all = "--severity=UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL";
    let combos: Vec<Vec<&str>> = vec![
        vec!["--kev", "kev.json", "--block-kev"],
        vec!["--kev", "kev.json", "--block-kev", "--vex", "vex.json"],
        vec!["--epss", "epss.csv", "--epss-threshold", "0.1", all],
        vec![
            "--epss",
            "epss.csv",
            "--epss-threshold",
            "0.1",
            "--epss-missing",
            "allow",
            "--kev",
            "kev.json",
            "--block-kev",
        ],
        vec!["--baseline", "base.json", all, "--ignore-unfixed=false"],
        vec!["--baseline", "base.json", "--baseline-mode", "report", all],
        vec![
            "--baseline",
            "base.json",
            "--epss",
            "epss.csv",
            "--epss-threshold",
            "0.1",
            all,
        ],
    ];
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    for report in ["deb12-rootfs.json", "image-registry.json"] {
        for c in &combos {
            let mut args: Vec<String> = c.iter().map(|a| a.to_string()).collect();
            if !c.contains(&"--vex") {
                args.extend(["--vex".into(), "none".into()]);
            }
            if report == "image-registry.json" && c.contains(&"--baseline") {
                // The registry scan has a platform, the rootfs baseline none.
                args.extend(["--report-platform".into(), "base.json=linux/amd64".into()]);
            }
            failures.extend(walk_agreement(d, report, &args, &mut seen));
        }
    }
    // The same settings from vexgate.toml instead of flags.
    std::fs::write(
        d.join("vexgate.toml"),
        "baseline = [\"base.json\"]\nkev = \"kev.json\"\nblock-kev = true\nvex = [\"none\"]\n",
    )
    .unwrap();
    failures.extend(walk_agreement(
        d,
        "deb12-rootfs.json",
        &[all.to_string()],
        &mut seen,
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for want in [
        "blocking",
        "absent",
        "suppressed",
        "not_blocking:baseline",
        "not_blocking:epss_threshold",
        "policy:kev",
    ] {
        assert!(seen.contains(want), "never saw {want}: {seen:?}");
    }
}

// ---------------------------------------------------------------------------------------
// The human output for the classic misses, on the oracle's real reports. Run from the
// repository root (paths as written here), with every policy flag given so no
// `.trivyignore`, `vexgate.toml` or `VEXGATE_*` setting of the caller's can change them.

const REPORTS: &str = "testdata/oracle/scan/unfiltered";

fn explain(id: &str, report: &str, vex: &str, extra: &[&str]) -> Command {
    let mut cmd = crate::common::vexgate(&root());
    cmd.args(["vex", "explain", id, "--report"])
        .arg(format!("{REPORTS}/{report}"))
        .args(["--vex", vex])
        .args(["--severity", "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"])
        .arg("--ignore-unfixed=false")
        .args(extra);
    cmd
}

/// `pkg:oci/deb12?tag=latest`: Trivy's image PURL has no `tag` qualifier.
#[test]
fn explain_tag_in_oci_product() {
    assert_cmd_snapshot!(
        "explain_tag_in_oci_product",
        explain(
            "CVE-2022-3715",
            "image-registry.json",
            "testdata/oracle/vex/oci-image.openvex.json",
            &[]
        )
    );
}

/// `repository_url=docker.io/...`: Trivy writes Docker Hub as `index.docker.io`.
#[test]
fn explain_docker_io_repository_url() {
    assert_cmd_snapshot!(
        "explain_docker_io_repository_url",
        explain(
            "CVE-2023-45853",
            "image-tar.json",
            "testdata/explain/docker-io.openvex.json",
            &["--image-repo", "docker.io/library/deb12"]
        )
    );
}

/// `pkg:deb/debian/passwd@1:4.13…`: the epoch belongs in the `epoch` qualifier.
#[test]
fn explain_epoch_in_version() {
    assert_cmd_snapshot!(
        "explain_epoch_in_version",
        explain(
            "CVE-2023-4641",
            "deb12-rootfs.json",
            "testdata/oracle/vex/deb-epoch.openvex.json",
            &[]
        )
    );
}

/// An image built but not pushed (no RepoDigests) and no `--image-repo`: the image
/// product cannot match; with `--image-repo` it does.
#[test]
fn explain_unpushed_image() {
    assert_cmd_snapshot!(
        "explain_unpushed_image",
        explain(
            "CVE-2023-45853",
            "image-tar.json",
            "testdata/oracle/vex/oci-image.openvex.json",
            &[]
        )
    );
    assert_cmd_snapshot!(
        "explain_unpushed_image_with_image_repo",
        explain(
            "CVE-2023-45853",
            "image-tar.json",
            "testdata/oracle/vex/oci-image.openvex.json",
            &["--image-repo", "127.0.0.1:56443/oracle/deb12"]
        )
    );
}

/// libssl3 is not affected inside libcurl4, but openssl also depends on it: that path is
/// not covered.
#[test]
fn explain_every_path_failure() {
    assert_cmd_snapshot!(
        "explain_every_path_failure",
        explain(
            "CVE-2025-9230",
            "deb12-rootfs.json",
            "testdata/oracle/vex/deb-every-path-one-parent.openvex.json",
            &[]
        )
    );
}

/// A later `affected` statement overrides an earlier `not_affected` one (and the reverse).
#[test]
fn explain_later_statement_overrides() {
    assert_cmd_snapshot!(
        "explain_later_statement_overrides",
        explain(
            "CVE-2022-3715",
            "deb12-rootfs.json",
            "testdata/oracle/vex/deb-timestamps.openvex.json",
            &[]
        )
    );
}

/// No report has the ID: exit 0, and the output says so.
#[test]
fn explain_id_in_no_report() {
    assert_cmd_snapshot!(
        "explain_id_in_no_report",
        explain(
            "CVE-0000-0000",
            "deb12-rootfs.json",
            "testdata/oracle/vex/deb-timestamps.openvex.json",
            &[]
        )
    );
}

fn explain_json(id: &str, report: &str) -> Value {
    let out = crate::common::vexgate(&root())
        .args(["vex", "explain", id, "--report", report, "--vex", "none"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", crate::common::text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A vendor ID (DSA-…) is not a VulnerabilityID: no finding, and a note naming the finding
/// that carries it (Trivy's upstream debian-buster golden).
#[test]
fn explain_vendor_id_is_named_not_matched() {
    let e = explain_json(
        "DSA-4613-1",
        "testdata/upstream/trivy/debian-buster.json.golden",
    );
    let r = &e["reports"][0];
    assert_eq!(r["findings"].as_array().unwrap().len(), 0);
    let notes = r["vendor_id_only"].as_array().unwrap();
    assert!(
        notes.iter().any(
            |n| n["vulnerability_id"] == "CVE-2019-18224" && n["pkg_id"] == "libidn2-0@2.0.5-1"
        ),
        "{notes:?}"
    );
}

/// A finding Trivy already suppressed (ExperimentalModifiedFindings of the upstream
/// npm-with-suppressed golden) is named with Trivy's status and source.
#[test]
fn explain_names_findings_the_report_already_suppressed() {
    let e = explain_json(
        "CVE-2017-16137",
        "testdata/upstream/trivy/npm-with-suppressed.json.golden",
    );
    let already = e["reports"][0]["already_suppressed"].as_array().unwrap();
    assert!(!already.is_empty());
    assert!(
        already
            .iter()
            .all(|a| a["status"] == "not_affected" && a["source"] == "./vex.json"),
        "{already:?}"
    );
}

/// The JSON of one explanation, whole, so a change to the `vexgate/explain/v1` shape shows
/// up in review.
#[test]
fn explain_every_path_failure_json() {
    let mut cmd = explain(
        "CVE-2025-9230",
        "deb12-rootfs.json",
        "testdata/oracle/vex/deb-every-path-one-parent.openvex.json",
        &["--format", "json"],
    );
    assert_cmd_snapshot!("explain_every_path_failure_json", cmd);
}

/// After VEX: `--block-kev` lets a LOW finding in the KEV catalog through the policy, and
/// with the report as its own baseline it is existing, so gate does not block on it. The
/// feed clock is fixed (test hook) a day after the catalog's date: no staleness warning.
#[test]
fn explain_kev_finding_existing_in_the_baseline() {
    let report = format!("{REPORTS}/deb12-rootfs.json");
    let mut cmd = crate::common::vexgate(&root());
    cmd.env("VEXGATE_TEST_FEEDS_NOW", "2025-08-26T00:00:00Z")
        .args(["vex", "explain", "CVE-2016-2781", "--report", &report])
        .args(["--vex", "none", "--severity", "HIGH,CRITICAL"])
        .args(["--kev", "testdata/feeds/kev.json", "--block-kev"])
        .args(["--baseline", &report]);
    assert_cmd_snapshot!("explain_kev_finding_existing_in_the_baseline", cmd);
}
