//! `vexgate gate --kev/--epss` end to end on real Trivy reports (the oracle's scans) with the
//! fixture feeds of `testdata/feeds/` (CISA's and FIRST's exact formats). Every expected
//! value is read at run time: the feeds from their files, the findings from what the gate
//! says without feeds and from the reports themselves.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::common::{root, tmp, vexgate};

fn oracle(name: &str) -> PathBuf {
    root().join("testdata/oracle/scan/unfiltered").join(name)
}

fn feed(name: &str) -> PathBuf {
    root().join("testdata/feeds").join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn load(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The fixture catalog's entries by CVE.
fn kev() -> BTreeMap<String, Value> {
    load(&feed("kev.json"))["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["cveID"].as_str().unwrap().to_string(), e.clone()))
        .collect()
}

/// The fixture scores by CVE, and the score file's date line.
fn epss() -> BTreeMap<String, (f64, f64)> {
    let text = std::fs::read_to_string(feed("epss.csv")).unwrap();
    text.lines()
        .skip(2)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].to_string(),
                (f[1].parse().unwrap(), f[2].parse().unwrap()),
            )
        })
        .collect()
}

fn is_cve(s: &str) -> bool {
    let p: Vec<&str> = s.split('-').collect();
    p.len() == 3 && p[0] == "CVE" && p[1].len() == 4 && p[2].len() >= 4
}

/// The newer of the two fixture feeds' own dates, plus `days`: a "now" for the test hook.
fn now_after_feeds(days: i64) -> String {
    let kev: jiff::Timestamp = load(&feed("kev.json"))["dateReleased"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let text = std::fs::read_to_string(feed("epss.csv")).unwrap();
    let date = text
        .lines()
        .next()
        .unwrap()
        .split("score_date:")
        .nth(1)
        .unwrap();
    let epss = jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%z", date)
        .unwrap()
        .to_timestamp()
        .unwrap();
    let newest = kev.max(epss);
    newest
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .unwrap()
        .to_string()
}

fn run_at(dir: &Path, now: &str, args: &[&str]) -> Output {
    vexgate(dir)
        .env("VEXGATE_TEST_FEEDS_NOW", now)
        .arg("gate")
        .args(args)
        .output()
        .unwrap()
}

/// Exit code and the parsed `--format json` output, one day after the feeds' dates.
fn gate_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = run_at(dir, &now_after_feeds(1), &all);
    let code = out.status.code().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

type Key = (String, String, String);

fn key(r: &Value) -> Key {
    let f = |k: &str| r[k].as_str().unwrap().to_string();
    (f("id"), f("pkg_name"), f("installed_version"))
}

fn keys(rows: &Value) -> Vec<Key> {
    rows.as_array().unwrap().iter().map(key).collect()
}

/// The CVE of each vulnerability of a report, by (id, package, version): its ID when that
/// is a CVE, else the first CVE among its VendorIDs.
fn report_cves(report: &Value) -> BTreeMap<Key, Option<String>> {
    let mut out = BTreeMap::new();
    for r in report["Results"].as_array().unwrap() {
        for v in r["Vulnerabilities"].as_array().into_iter().flatten() {
            let id = v["VulnerabilityID"].as_str().unwrap().to_string();
            let cve = if is_cve(&id) {
                Some(id.clone())
            } else {
                v["VendorIDs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .find(|s| is_cve(s))
                    .map(str::to_string)
            };
            let k = (
                id,
                v["PkgName"].as_str().unwrap().to_string(),
                v["InstalledVersion"].as_str().unwrap().to_string(),
            );
            out.insert(k, cve);
        }
    }
    out
}

/// `--kev` alone changes no verdict and no blocking set, and adds each finding's KEV entry
/// (due date, ransomware use) exactly as the catalog has it; `--block-kev` then adds the
/// KEV findings the default policy (HIGH,CRITICAL, ignore-unfixed) drops, and only those.
#[test]
fn block_kev_blocks_kev_findings_whatever_their_severity_and_fix_status() {
    let dir = tmp();
    let report = oracle("image-tar.json");
    let cves = report_cves(&load(&report));
    let kev = kev();
    let (code0, plain) = gate_json(dir.path(), &["--vex", "none", s(&report)]);
    let (code1, with_kev) = gate_json(
        dir.path(),
        &["--vex", "none", "--kev", s(&feed("kev.json")), s(&report)],
    );
    assert_eq!(code0, code1);
    assert_eq!(keys(&plain["blocking"]), keys(&with_kev["blocking"]));
    assert!(plain["feeds"].is_null());
    assert_eq!(
        with_kev["feeds"]["kev"]["version"],
        load(&feed("kev.json"))["catalogVersion"]
    );
    for row in with_kev["blocking"].as_array().unwrap() {
        let cve = cves[&key(row)].as_ref();
        match cve.and_then(|c| kev.get(c)) {
            Some(e) => {
                assert_eq!(row["kev"]["due_date"], e["dueDate"]);
                assert_eq!(row["kev"]["date_added"], e["dateAdded"]);
                assert_eq!(row["kev"]["ransomware"], e["knownRansomwareCampaignUse"]);
            }
            None => assert!(row["kev"].is_null(), "{row}"),
        }
        assert_eq!(row["reason"], "policy");
    }

    let (code, blocked) = gate_json(
        dir.path(),
        &[
            "--vex",
            "none",
            "--kev",
            s(&feed("kev.json")),
            "--block-kev",
            s(&report),
        ],
    );
    assert_eq!(code, 1);
    let before: BTreeSet<Key> = keys(&plain["blocking"]).into_iter().collect();
    let after: BTreeSet<Key> = keys(&blocked["blocking"]).into_iter().collect();
    assert!(after.is_superset(&before));
    let added: BTreeSet<Key> = after.difference(&before).cloned().collect();
    // Every vulnerability of the report in the catalog, whatever its severity or status.
    let want: BTreeSet<Key> = cves
        .iter()
        .filter(|(_, c)| c.as_ref().is_some_and(|c| kev.contains_key(c)))
        .map(|(k, _)| k.clone())
        .filter(|k| !before.contains(k))
        .collect();
    assert!(
        !want.is_empty(),
        "the fixture puts a dropped finding in the catalog"
    );
    assert_eq!(added, want);
    for row in blocked["blocking"].as_array().unwrap() {
        if added.contains(&key(row)) {
            assert_eq!(row["reason"], "kev", "{row}");
            assert!(
                row["severity"] != "HIGH" && row["severity"] != "CRITICAL"
                    || row["status"] != "fixed",
                "{row}"
            );
        }
    }
    // The same with Trivy's own defaults: ignore-unfixed off, every severity.
    let (_, all) = gate_json(
        dir.path(),
        &[
            "--vex",
            "none",
            "--severity",
            "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
            "--ignore-unfixed=false",
            "--kev",
            s(&feed("kev.json")),
            "--block-kev",
            s(&report),
        ],
    );
    for row in all["blocking"].as_array().unwrap() {
        let in_kev = cves[&key(row)]
            .as_ref()
            .is_some_and(|c| kev.contains_key(c));
        assert_eq!(row["reason"], if in_kev { "kev" } else { "policy" });
    }
}

/// `--epss-threshold P` on the cargo scan with every severity: exactly the findings the
/// policy selects with a score >= P block, plus the unscored ones unless
/// `--epss-missing allow`; the rest are listed below the threshold. A finding without a
/// CVE (GHSA only) has no score and is counted.
#[test]
fn epss_threshold_with_missing_deny_and_allow() {
    let dir = tmp();
    let report = oracle("cargo.json");
    let cves = report_cves(&load(&report));
    let scores = epss();
    let policy = [
        "--vex",
        "none",
        "--severity",
        "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
        "--ignore-unfixed=false",
    ];
    let mut base_args = policy.to_vec();
    base_args.push(s(&report));
    let (_, plain) = gate_json(dir.path(), &base_args);
    let selected = keys(&plain["blocking"]);
    let score_of = |k: &Key| cves[k].as_ref().and_then(|c| scores.get(c)).map(|s| s.0);
    assert!(
        selected.iter().any(|k| score_of(k).is_none()),
        "an unscored finding"
    );
    assert!(
        selected.iter().any(|k| cves[k].is_none()),
        "a finding without a CVE"
    );
    let mut seen_split = false;
    for p in ["0", "0.005", "0.016", "0.02", "0.5", "0.51"] {
        let pf: f64 = p.parse().unwrap();
        for missing in ["deny", "allow"] {
            let mut args = policy.to_vec();
            let epss_path = feed("epss.csv");
            args.extend(["--epss", s(&epss_path), "--epss-threshold", p]);
            args.extend(["--epss-missing", missing]);
            args.push(s(&report));
            let (code, out) = gate_json(dir.path(), &args);
            let want: Vec<Key> = selected
                .iter()
                .filter(|k| match score_of(k) {
                    Some(x) => x >= pf,
                    None => missing == "deny",
                })
                .cloned()
                .collect();
            let below: BTreeSet<Key> = selected
                .iter()
                .filter(|k| !want.contains(k))
                .cloned()
                .collect();
            assert_eq!(keys(&out["blocking"]), want, "P={p} missing={missing}");
            assert_eq!(
                keys(&out["feeds"]["below_threshold"])
                    .into_iter()
                    .collect::<BTreeSet<_>>(),
                below,
                "P={p} missing={missing}"
            );
            assert_eq!(code, if want.is_empty() { 0 } else { 1 });
            seen_split |= !want.is_empty() && !below.is_empty();
            for row in out["blocking"].as_array().unwrap() {
                let k = key(row);
                match score_of(&k) {
                    Some(x) => {
                        assert_eq!(row["epss"]["score"].as_f64(), Some(x));
                        assert_eq!(row["reason"], "epss");
                    }
                    None => {
                        assert!(row["epss"].is_null());
                        assert_eq!(row["reason"], "no-epss-score");
                    }
                }
            }
            let no_cve = cves.values().filter(|c| c.is_none()).count();
            assert!(no_cve > 0);
            assert!(
                out["feeds"]["no_cve"].as_u64().unwrap() >= 1,
                "{}",
                out["feeds"]
            );
        }
    }
    assert!(seen_split, "some threshold splits the findings");
}

/// `--block-kev` and `--epss-threshold` together: KEV findings block whatever their score.
#[test]
fn block_kev_wins_over_the_threshold() {
    let dir = tmp();
    let report = oracle("image-tar.json");
    let cves = report_cves(&load(&report));
    let kev = kev();
    let scores = epss();
    let (_, out) = gate_json(
        dir.path(),
        &[
            "--vex",
            "none",
            "--kev",
            s(&feed("kev.json")),
            "--block-kev",
            "--epss",
            s(&feed("epss.csv.gz")),
            "--epss-threshold",
            "0.5",
            s(&report),
        ],
    );
    let rows = out["blocking"].as_array().unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let c = cves[&key(row)].clone().unwrap();
        let score = scores.get(&c).map(|s| s.0);
        assert!(
            kev.contains_key(&c) || score.is_none_or(|x| x >= 0.5),
            "{row}"
        );
        if kev.contains_key(&c) {
            assert_eq!(row["reason"], "kev");
        }
    }
    assert!(
        rows.iter()
            .any(|r| r["reason"] == "kev" && r["epss"]["score"].as_f64().unwrap() < 0.5),
        "a KEV finding below the threshold still blocks"
    );
}

/// Plain and gzip score files give the same decision and facts.
#[test]
fn gzip_and_plain_epss_agree() {
    let dir = tmp();
    let report = oracle("image-tar.json");
    let mut outs = Vec::new();
    for f in ["epss.csv", "epss.csv.gz"] {
        let (code, mut out) = gate_json(
            dir.path(),
            &[
                "--vex",
                "none",
                "--epss",
                s(&feed(f)),
                "--epss-threshold",
                "0.01",
                s(&report),
            ],
        );
        out["feeds"]["epss"]["path"] = Value::Null;
        outs.push((code, out));
    }
    assert_eq!(outs[0], outs[1]);
    assert!(
        !outs[0].1["feeds"]["below_threshold"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// Ignore files and VEX still suppress KEV findings; each suppression is listed in every
/// output as a suppressed KEV finding; `--kev-suppression deny` makes it block (exit 1).
#[test]
fn suppressed_kev_findings_are_listed_and_can_be_denied() {
    let dir = tmp();
    let report = oracle("deb12-rootfs.json");
    let cves = report_cves(&load(&report));
    let kev = kev();
    let ignore = root().join("testdata/oracle/ignore/deb.trivyignore");
    let vex = root().join("testdata/oracle/vex/deb-versioned.openvex.json");
    // CRITICAL only: the one CRITICAL finding is in the catalog and the ignore file.
    let base = [
        "--severity",
        "CRITICAL",
        "--ignore-unfixed=false",
        "--ignorefile",
        s(&ignore),
        "--vex",
        s(&vex),
    ];
    let mut args = base.to_vec();
    args.push(s(&report));
    let (code0, plain) = gate_json(dir.path(), &args);
    assert_eq!(code0, 0, "{plain}");
    let want: BTreeSet<Key> = plain["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "vulnerability")
        .map(key)
        .filter(|k| cves[k].as_ref().is_some_and(|c| kev.contains_key(c)))
        .collect();
    assert!(
        !want.is_empty(),
        "the fixture catalog has a suppressed finding"
    );

    let kev_path = feed("kev.json");
    let mut args = base.to_vec();
    args.extend(["--kev", s(&kev_path), s(&report)]);
    let (code, out) = gate_json(dir.path(), &args);
    assert_eq!(code, 0);
    let listed: BTreeSet<Key> = keys(&out["feeds"]["suppressed_kev"]).into_iter().collect();
    assert_eq!(listed, want);
    assert_eq!(out["feeds"]["kev_suppression_failed"], false);
    // Table, Markdown and SARIF list them too, without --show-suppressed.
    let md = dir.path().join("summary.md");
    let sarif = dir.path().join("out.sarif");
    let mut t_args = vec!["gate"];
    t_args.extend_from_slice(&args[..args.len() - 1]);
    t_args.extend(["--summary-md", s(&md), "--sarif", s(&sarif), s(&report)]);
    let o = vexgate(dir.path())
        .env("VEXGATE_TEST_FEEDS_NOW", now_after_feeds(1))
        .args(&t_args)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&o.stdout).to_string();
    let md = std::fs::read_to_string(&md).unwrap();
    let sarif: Value = load(&sarif);
    assert!(
        table.contains(&format!("Suppressed KEV findings ({})", want.len())),
        "{table}"
    );
    assert!(
        md.contains(&format!("### Suppressed KEV findings ({})", want.len())),
        "{md}"
    );
    for (id, _, _) in &want {
        // (The table wraps long IDs inside their cells.)
        assert!(md.contains(id.as_str()), "{id}");
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        let r = results
            .iter()
            .find(|r| r["ruleId"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} in SARIF"));
        assert!(r["suppressions"].is_array());
        assert_eq!(
            r["properties"]["kev"]["dueDate"],
            kev[id.as_str()]["dueDate"]
        );
    }

    args.splice(
        args.len() - 1..args.len() - 1,
        ["--kev-suppression", "deny"],
    );
    let (code, denied) = gate_json(dir.path(), &args);
    assert_eq!(code, 1, "{denied}");
    assert_eq!(denied["verdict"], "blocked");
    assert_eq!(denied["feeds"]["kev_suppression_failed"], true);
    assert_eq!(keys(&denied["blocking"]), keys(&out["blocking"]));
}

/// `--block-kev` with VEX: a `not_affected` statement still suppresses a KEV finding, which
/// is then listed; the same finding on another package still blocks as KEV.
#[test]
fn block_kev_with_vex_suppression() {
    let dir = tmp();
    let report = oracle("image-tar.json");
    let vex = root().join("testdata/oracle/vex/deb-versioned.openvex.json");
    let (_, out) = gate_json(
        dir.path(),
        &[
            "--vex",
            s(&vex),
            "--kev",
            s(&feed("kev.json")),
            "--block-kev",
            s(&report),
        ],
    );
    let sup_kev = out["feeds"]["suppressed_kev"].as_array().unwrap();
    let vex_doc = load(&vex);
    let stmt = &vex_doc["statements"][0];
    let cve = stmt["vulnerability"]["name"].as_str().unwrap();
    assert!(
        sup_kev
            .iter()
            .any(|r| r["id"] == cve && r["origin"] == "vex" && r["status"] == stmt["status"]),
        "{out}"
    );
    assert!(
        !out["blocking"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == cve && r["pkg_name"] == "libssl3")
    );
}

/// A finding whose ID is a GHSA and whose CVE is only among its VendorIDs matches the feeds
/// on that CVE. The cargo scan's GHSA finding gets the fixture catalog's made-up CVE in its
/// VendorIDs (Trivy writes VendorIDs as a list of strings).
#[test]
fn a_ghsa_finding_matches_on_a_cve_in_its_vendor_ids() {
    let dir = tmp();
    let kev = kev();
    let scores = epss();
    let synthetic = kev
        .keys()
        .find(|c| c.starts_with("CVE-2099-"))
        .unwrap()
        .clone();
    let mut report = load(&oracle("cargo.json"));
    let mut ghsa = None;
    for r in report["Results"].as_array_mut().unwrap() {
        for v in r["Vulnerabilities"].as_array_mut().into_iter().flatten() {
            let id = v["VulnerabilityID"].as_str().unwrap().to_string();
            if id.starts_with("GHSA-") {
                v["VendorIDs"]
                    .as_array_mut()
                    .unwrap()
                    .push(Value::String(synthetic.clone()));
                ghsa = Some(id);
            }
        }
    }
    let ghsa = ghsa.expect("the cargo scan has a GHSA finding");
    let path = dir.path().join("cargo-with-cve.json");
    std::fs::write(&path, serde_json::to_vec(&report).unwrap()).unwrap();
    let (code, out) = gate_json(
        dir.path(),
        &[
            "--vex",
            "none",
            "--kev",
            s(&feed("kev.json")),
            "--epss",
            s(&feed("epss.csv")),
            "--block-kev",
            s(&path),
        ],
    );
    assert_eq!(code, 1);
    let row = out["blocking"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == ghsa.as_str())
        .unwrap_or_else(|| panic!("{ghsa} blocks as KEV: {out}"));
    assert_eq!(row["reason"], "kev");
    assert_eq!(row["kev"]["due_date"], kev[&synthetic]["dueDate"]);
    assert_eq!(row["epss"]["score"].as_f64(), Some(scores[&synthetic].0));
    // Unchanged, the report's GHSA finding has no CVE: no KEV entry, no score, counted.
    let (_, plain) = gate_json(
        dir.path(),
        &[
            "--vex",
            "none",
            "--severity",
            "LOW,MEDIUM,HIGH,CRITICAL",
            "--ignore-unfixed=false",
            "--kev",
            s(&feed("kev.json")),
            s(&oracle("cargo.json")),
        ],
    );
    let row = plain["blocking"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == ghsa.as_str())
        .unwrap();
    assert!(row["kev"].is_null() && row["epss"].is_null());
    assert!(plain["feeds"]["no_cve"].as_u64().unwrap() >= 1);
}

/// A feed older than --feed-max-age (measured against the injected clock) is a warning
/// naming it, or with --strict-feeds an error (exit 2) in one line naming the file.
#[test]
fn stale_feeds_warn_or_fail_with_strict_feeds() {
    let dir = tmp();
    let report = oracle("image-tar.json");
    let kev_path = feed("kev.json");
    let epss_path = feed("epss.csv.gz");
    let args = [
        "--vex",
        "none",
        "--format",
        "json",
        "--kev",
        s(&kev_path),
        "--epss",
        s(&epss_path),
        s(&report),
    ];
    let fresh = run_at(dir.path(), &now_after_feeds(1), &args);
    let fresh_json: Value = serde_json::from_slice(&fresh.stdout).unwrap();
    assert!(fresh_json["warnings"].as_array().unwrap().is_empty());
    assert_eq!(fresh_json["feeds"]["kev"]["stale"], false);

    let late = now_after_feeds(9);
    let stale = run_at(dir.path(), &late, &args);
    assert_eq!(stale.status.code(), fresh.status.code());
    let v: Value = serde_json::from_slice(&stale.stdout).unwrap();
    let codes: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["feed-stale", "feed-stale"]);
    assert_eq!(v["feeds"]["kev"]["stale"], true);
    assert_eq!(v["feeds"]["epss"]["stale"], true);
    let stderr = String::from_utf8_lossy(&stale.stderr);
    assert!(
        stderr.contains(s(&kev_path)) && stderr.contains(s(&epss_path)),
        "{stderr}"
    );

    // A feed dated more than a day ahead of the clock would never turn stale: refused.
    let early = now_after_feeds(-3);
    let ahead = run_at(dir.path(), &early, &args);
    assert_eq!(ahead.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&ahead.stderr);
    assert!(stderr.contains("later than now"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    // A longer --feed-max-age accepts them.
    let mut longer = args.to_vec();
    longer.splice(0..0, ["--feed-max-age", "30d"]);
    let ok = run_at(dir.path(), &late, &longer);
    let v: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert!(v["warnings"].as_array().unwrap().is_empty());

    let mut strict = args.to_vec();
    strict.insert(0, "--strict-feeds");
    let failed = run_at(dir.path(), &late, &strict);
    assert_eq!(failed.status.code(), Some(2));
    let err = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains(s(&kev_path)) && err.contains("--strict-feeds"),
        "{err}"
    );
    assert!(failed.stdout.is_empty());
}

/// Policy flags without their feed, impossible thresholds and malformed feeds are one-line
/// errors, exit 2.
#[test]
fn usage_and_input_errors() {
    let dir = tmp();
    let report = oracle("image-tar.json");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"title\": 1}").unwrap();
    let kev_path = feed("kev.json");
    let epss_path = feed("epss.csv");
    let max = epss().values().map(|s| s.0).fold(0.0, f64::max);
    let above_max = format!("{}", (max + 1.0) / 2.0);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--block-kev"], "--block-kev needs --kev"),
        (vec!["--kev-suppression", "deny"], "needs --kev"),
        (
            vec!["--epss-threshold", "0.1"],
            "--epss-threshold needs --epss",
        ),
        (
            vec!["--epss", s(&epss_path), "--epss-missing", "allow"],
            "--epss-missing needs --epss-threshold",
        ),
        (
            vec!["--epss", s(&epss_path), "--epss-threshold", "1.5"],
            "outside [0, 1]",
        ),
        (
            vec!["--epss", s(&epss_path), "--epss-threshold", "NaN"],
            "outside [0, 1]",
        ),
        (
            vec!["--epss", s(&epss_path), "--epss-threshold", &above_max],
            "no score reaches",
        ),
        (vec!["--strict-feeds"], "need a feed"),
        (
            vec!["--kev", s(&kev_path), "--feed-max-age", "soon"],
            "--feed-max-age",
        ),
        (vec!["--kev", s(&bad)], "not a CISA KEV catalog"),
        (vec!["--epss", s(&kev_path)], "not an EPSS score file"),
    ];
    for (flags, want) in cases {
        let mut args = vec!["--vex", "none"];
        args.extend(flags.iter().copied());
        args.push(s(&report));
        let o = run_at(dir.path(), &now_after_feeds(1), &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flags:?}: {err}");
        assert!(err.contains(want), "{flags:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{flags:?}: {err}");
    }
}

/// Feed text is hostile: a catalog version with a newline, a bidi override and Markdown
/// reaches no output raw.
#[test]
fn feed_strings_are_escaped() {
    let dir = tmp();
    let mut cat = load(&feed("kev.json"));
    cat["catalogVersion"] = Value::String("1\n## injected \u{202e}<b>x</b> @team".into());
    let kev_path = dir.path().join("kev.json");
    std::fs::write(&kev_path, serde_json::to_vec(&cat).unwrap()).unwrap();
    let md = dir.path().join("s.md");
    let o = run_at(
        dir.path(),
        &now_after_feeds(1),
        &[
            "--vex",
            "none",
            "--kev",
            s(&kev_path),
            "--summary-md",
            s(&md),
            s(&oracle("image-tar.json")),
        ],
    );
    let table = String::from_utf8_lossy(&o.stdout);
    let md = std::fs::read_to_string(&md).unwrap();
    for out in [table.as_ref(), md.as_str()] {
        assert!(!out.contains('\u{202e}'), "{out}");
        assert!(!out.lines().any(|l| l.starts_with("## injected")), "{out}");
    }
    assert!(md.contains("**Feeds:**"), "{md}");
    assert!(!md.contains("<b>"), "{md}");
}

/// `--kev-suppression deny` also counts suppressions the report already records (Trivy ran
/// with `--vex`): Trivy's npm golden records one in `ExperimentalModifiedFindings`; a catalog
/// listing that CVE (the fixture catalog plus one entry, written here) denies it.
#[test]
fn kev_suppression_deny_counts_suppressions_the_report_records() {
    let dir = tmp();
    let report = root().join("testdata/upstream/trivy/npm-with-suppressed.json.golden");
    let recorded: Vec<String> = load(&report)["Results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["ExperimentalModifiedFindings"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|m| m["Type"] == "vulnerability")
        .map(|m| {
            m["Finding"]["VulnerabilityID"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .filter(|id| is_cve(id))
        .collect();
    let cve = recorded
        .first()
        .expect("a recorded vulnerability with a CVE");
    let mut catalog = load(&feed("kev.json"));
    let mut entry = catalog["vulnerabilities"][0].clone();
    entry["cveID"] = Value::String(cve.clone());
    let list = catalog["vulnerabilities"].as_array_mut().unwrap();
    list.retain(|e| e["cveID"] != cve.as_str());
    list.push(entry);
    let n = list.len();
    catalog["count"] = Value::from(n);
    let kev_path = dir.path().join("kev.json");
    std::fs::write(&kev_path, catalog.to_string()).unwrap();

    let args = ["--vex", "none", "--kev", s(&kev_path), s(&report)];
    let (_, allowed) = gate_json(dir.path(), &args);
    assert_eq!(
        allowed["feeds"]["kev_suppression_failed"], false,
        "{allowed}"
    );
    let mut deny = args.to_vec();
    deny.splice(0..0, ["--kev-suppression", "deny"]);
    let (code_deny, denied) = gate_json(dir.path(), &deny);
    assert_eq!(denied["feeds"]["kev_suppression_failed"], true, "{denied}");
    assert_eq!(code_deny, 1);
    assert_eq!(keys(&denied["blocking"]), keys(&allowed["blocking"]));
}
