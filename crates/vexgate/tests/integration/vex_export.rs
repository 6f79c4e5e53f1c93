//! `vex export` and `vex import` on the oracle's OpenVEX documents: both exports validate
//! against the official schemas (testdata/schemas, see its README), and OpenVEX → export →
//! import (and the exported CSAF read directly) suppresses exactly the findings the source
//! document suppresses, in every oracle scenario with OpenVEX.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{root, vexgate};

/// Copy of testdata/oracle (and upstream, which some scenarios read as `../upstream`).
pub fn workdir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&root().join("testdata/oracle"), &tmp.path().join("oracle"));
    copy_dir(
        &root().join("testdata/upstream"),
        &tmp.path().join("upstream"),
    );
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

pub fn read_json(p: &Path) -> Value {
    let t = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&t).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A scenario of the oracle manifest that gives OpenVEX documents to the gate.
pub struct VexScenario {
    pub name: String,
    pub cwd: PathBuf,
    pub unfiltered: String,
    pub gate_args: Vec<String>,
    pub trivy_command: Vec<String>,
    /// The `--vex` values (relative to `cwd`), all OpenVEX.
    pub vex: Vec<String>,
}

/// Every scenario whose `--vex` documents are all OpenVEX that Trivy loads.
pub fn openvex_scenarios(base: &Path) -> Vec<VexScenario> {
    let manifest = read_json(&base.join("manifest.json"));
    let mut out = Vec::new();
    for s in manifest["scenarios"].as_array().unwrap() {
        if !s["trivy_fatal"].is_null() {
            continue;
        }
        let strs = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect()
        };
        let gate_args = strs(&s["gate_args"]);
        let vex: Vec<String> = gate_args
            .windows(2)
            .filter(|w| w[0] == "--vex" && w[1] != "none")
            .map(|w| w[1].clone())
            .collect();
        if vex.is_empty() || vex.iter().any(|v| !v.ends_with(".openvex.json")) {
            continue;
        }
        out.push(VexScenario {
            name: s["name"].as_str().unwrap().to_string(),
            cwd: base.join(s["cwd"].as_str().unwrap_or(".")),
            unfiltered: s["unfiltered"].as_str().unwrap().to_string(),
            gate_args,
            trivy_command: strs(&s["trivy_command"]),
            vex,
        });
    }
    out
}

/// Does the document have statements? (A CSAF document needs one; export refuses otherwise.)
pub fn has_statements(cwd: &Path, vex: &str) -> bool {
    read_json(&cwd.join(vex))["statements"]
        .as_array()
        .is_some_and(|a| !a.is_empty())
}

/// `vexgate vex export FILE --format F --out OUT [--report R]` in `cwd`; panics on failure.
pub fn export(cwd: &Path, vex: &str, format: &str, out: &Path, report: Option<&str>) -> String {
    let mut cmd = vexgate(cwd);
    cmd.args(["vex", "export", vex, "--format", format, "--out"])
        .arg(out);
    if let Some(r) = report {
        cmd.args(["--report", r]);
    }
    let id = read_json(&cwd.join(vex))["@id"].clone();
    if format == "csaf" && id.as_str().is_none_or(str::is_empty) {
        cmd.args([
            "--tracking-id",
            "no-id",
            "--namespace",
            "https://example.invalid",
        ]);
    }
    let o = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "export {vex} as {format}: {stderr}");
    stderr
}

/// `vexgate vex import FILE --from F --out OUT` in `cwd`: (exit code, stderr).
pub fn import(cwd: &Path, file: &Path, from: &str, out: &Path, extra: &[&str]) -> (i32, String) {
    let o = vexgate(cwd)
        .env("SOURCE_DATE_EPOCH", "1798761600")
        .args(["vex", "import"])
        .arg(file)
        .args(["--from", from, "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// (remaining findings, VEX-suppressed findings with their status), each finding as
/// (VulnerabilityID, PkgID or PkgName, PkgPath).
pub type Outcome = (
    BTreeSet<(String, String, String)>,
    BTreeSet<(String, String, String, String)>,
);

pub fn outcome(report: &Value) -> Outcome {
    let key = |v: &Value| {
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        let pkg = if s("PkgID").is_empty() {
            s("PkgName")
        } else {
            s("PkgID")
        };
        (s("VulnerabilityID"), pkg, s("PkgPath"))
    };
    let mut rem = BTreeSet::new();
    let mut sup = BTreeSet::new();
    for r in report["Results"].as_array().into_iter().flatten() {
        for v in r["Vulnerabilities"].as_array().into_iter().flatten() {
            rem.insert(key(v));
        }
        for m in r["ExperimentalModifiedFindings"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if m["Type"] != "vulnerability" {
                continue;
            }
            let (a, b, c) = key(&m["Finding"]);
            sup.insert((a, b, c, m["Status"].as_str().unwrap_or("").to_string()));
        }
    }
    (rem, sup)
}

/// `vexgate gate UNFILTERED ARGS` with `--vex` values replaced: the outcome.
pub fn gate_outcome(s: &VexScenario, vex: &[String], out: &Path) -> Outcome {
    let mut args = Vec::new();
    let mut it = s.gate_args.iter();
    let mut replaced = false;
    while let Some(a) = it.next() {
        if a == "--vex" {
            it.next();
            if !replaced {
                for v in vex {
                    args.push("--vex".to_string());
                    args.push(v.clone());
                }
                replaced = true;
            }
        } else {
            args.push(a.clone());
        }
    }
    let o = vexgate(&s.cwd)
        .arg("gate")
        .arg(&s.unfiltered)
        .args(&args)
        .arg("--output-report")
        .arg(out)
        .output()
        .unwrap();
    let code = o.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "{}: gate {args:?} exited {code}: {}",
        s.name,
        String::from_utf8_lossy(&o.stderr)
    );
    outcome(&read_json(out))
}

/// The CSAF `cve` pattern.
fn is_cve(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    parts.next() == Some("CVE")
        && parts
            .next()
            .is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
        && parts
            .next()
            .is_some_and(|n| n.len() >= 4 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// What a CSAF export says differently from its OpenVEX source, as the export warns.
#[derive(Debug, Default)]
pub struct CsafExceptions {
    /// IDs other than the one `cve` of a vulnerability: a reader that selects by cve
    /// (Trivy) does not match findings reported under them.
    pub non_cve: BTreeSet<String>,
    /// (vulnerability, product): a package product with subcomponents whose own findings
    /// the export leaves out.
    pub own_findings: Vec<(String, String)>,
}

impl CsafExceptions {
    /// Drop the non-CVE findings from both outcomes, and move the source's suppressions of
    /// own findings the export named to "remaining" (only in that, the safe, direction).
    /// Returns how many own findings were moved.
    pub fn apply(&self, want: &mut Outcome, got: &mut Outcome) -> usize {
        for o in [&mut *want, &mut *got] {
            o.0.retain(|f| !self.non_cve.contains(&f.0));
            o.1.retain(|f| !self.non_cve.contains(&f.0));
        }
        let narrowed: Vec<_> = want
            .1
            .iter()
            .filter(|f| !got.1.contains(f))
            .filter(|f| {
                let name = f.1.split('@').next().unwrap_or("");
                self.own_findings
                    .iter()
                    .any(|(id, p)| *id == f.0 && p.contains(&format!("/{name}")))
            })
            .cloned()
            .collect();
        let n = narrowed.len();
        for f in narrowed {
            want.1.remove(&f);
            want.0.insert((f.0, f.1, f.2));
        }
        n
    }
}

/// Export `v` (a `--vex` of scenario `s`) as CSAF to `out`, noting the exceptions its
/// warnings name and the source's non-CVE IDs.
pub fn export_csaf_noting(s: &VexScenario, v: &str, out: &Path, ex: &mut CsafExceptions) {
    let stderr = export(&s.cwd, v, "csaf", out, None);
    for l in stderr.lines() {
        if let Some(rest) = l.strip_prefix("vexgate: warning: ")
            && let Some((id, tail)) = rest.split_once(": product ")
            && let Some((product, _)) = tail.split_once(" has subcomponents")
        {
            ex.own_findings.push((id.to_string(), product.to_string()));
        }
    }
    let src = read_json(&s.cwd.join(v));
    for st in src["statements"].as_array().into_iter().flatten() {
        let vuln = &st["vulnerability"];
        let keys: Vec<&str> = [&vuln["name"], &vuln["@id"]]
            .into_iter()
            .chain(vuln["aliases"].as_array().into_iter().flatten())
            .filter_map(Value::as_str)
            .collect();
        let cve = keys.iter().find(|k| is_cve(k)).copied();
        ex.non_cve.extend(
            keys.iter()
                .filter(|k| Some(**k) != cve)
                .map(|k| k.to_string()),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Schemas

/// Resolves the schemas' `$ref`s to the local copies in testdata/schemas (by file name);
/// anything else is an error, so validation never touches the network.
struct LocalSchemas(PathBuf);

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let s = uri.as_str();
        let name = s.rsplit('/').next().unwrap_or("");
        let p = self.0.join(name);
        if !p.is_file() {
            return Err(format!("no local copy of {s} in {}", self.0.display()).into());
        }
        Ok(serde_json::from_str(&std::fs::read_to_string(p)?)?)
    }
}

pub fn cyclonedx_validator() -> jsonschema::Validator {
    let dir = root().join("testdata/schemas/cyclonedx");
    let schema = read_json(&dir.join("bom-1.6.SNAPSHOT.schema.json"));
    jsonschema::draft7::options()
        .with_retriever(LocalSchemas(dir))
        .should_validate_formats(true)
        .build(&schema)
        .expect("the CycloneDX 1.6 schema compiles")
}

pub fn csaf_validator() -> jsonschema::Validator {
    let dir = root().join("testdata/schemas/csaf");
    let schema = read_json(&dir.join("csaf.json"));
    jsonschema::draft202012::options()
        .with_retriever(LocalSchemas(dir))
        .should_validate_formats(true)
        .build(&schema)
        .expect("the CSAF 2.0 schema compiles")
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(5)
        .collect()
}

#[test]
fn exports_validate_against_the_official_schemas() {
    let dir = workdir();
    let base = dir.path().join("oracle");
    let cdx = cyclonedx_validator();
    let csaf = csaf_validator();
    let mut failures = Vec::new();
    let mut done = BTreeSet::new();
    let (mut with_subs, mut relationships) = (0, 0);
    for s in openvex_scenarios(&base) {
        for v in &s.vex {
            if !done.insert(v.clone()) {
                continue;
            }
            let stem = v.replace('/', "_");
            for (format, validator) in [("cyclonedx", &cdx), ("csaf", &csaf)] {
                let out = dir.path().join(format!("{stem}.{format}.json"));
                if format == "csaf" && !has_statements(&s.cwd, v) {
                    let o = vexgate(&s.cwd)
                        .args(["vex", "export", v, "--format", "csaf", "--out"])
                        .arg(&out)
                        .output()
                        .unwrap();
                    let err = String::from_utf8_lossy(&o.stderr);
                    assert_eq!(o.status.code(), Some(2), "{err}");
                    assert!(err.contains("needs at least one vulnerability"), "{err}");
                    assert!(!out.exists());
                    continue;
                }
                export(&s.cwd, v, format, &out, Some(&s.unfiltered));
                let doc = read_json(&out);
                let e = errors(validator, &doc);
                if !e.is_empty() {
                    failures.push(format!("{v} as {format}: {}", e.join("; ")));
                }
                if format == "csaf" {
                    relationships += doc["product_tree"]["relationships"]
                        .as_array()
                        .map_or(0, Vec::len);
                } else {
                    with_subs += doc["dependencies"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|d| d.get("dependsOn").is_some())
                        .count();
                }
            }
        }
    }
    assert!(done.len() >= 15, "only {} documents exported", done.len());
    assert!(
        relationships > 0 && with_subs > 0,
        "no subcomponents exported"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The validators do reject what the schemas forbid (so a pass means something).
    let out = dir.path().join("probe.cdx.json");
    export(
        &base,
        "vex/deb-timestamps.openvex.json",
        "cyclonedx",
        &out,
        None,
    );
    let mut doc = read_json(&out);
    // Without --report the names come from the PURLs; with it, from the report's packages.
    assert_eq!(doc["components"][0]["name"], "debian/bash");
    let enriched = dir.path().join("probe-report.cdx.json");
    export(
        &base,
        "vex/deb-timestamps.openvex.json",
        "cyclonedx",
        &enriched,
        Some("scan/unfiltered/deb12-rootfs.json"),
    );
    assert_eq!(read_json(&enriched)["components"][0]["name"], "bash");
    doc["vulnerabilities"][0]["analysis"]["state"] = "bogus".into();
    assert!(!errors(&cdx, &doc).is_empty());
    let out = dir.path().join("probe.csaf.json");
    export(&base, "vex/deb-timestamps.openvex.json", "csaf", &out, None);
    let mut doc = read_json(&out);
    doc["vulnerabilities"][0]["product_status"]["known_not_affected"] = Value::Array(vec![]);
    doc["document"]["tracking"]["status"] = "done".into();
    assert!(!errors(&csaf, &doc).is_empty());
}

/// OpenVEX → CSAF (read by the gate as Trivy reads CSAF), and OpenVEX → CycloneDX/CSAF →
/// `vex import` → OpenVEX, suppress exactly what the source suppresses, finding for
/// finding, with the same status, in every oracle scenario with OpenVEX documents. The one
/// exception is what CSAF cannot say to a reader that selects by `cve` (Trivy): a
/// vulnerability without a CVE ID; the export warns, and the test checks that exactly those
/// findings differ.
#[test]
fn round_trip_suppresses_the_same_findings_on_every_oracle_scenario() {
    let dir = workdir();
    let base = dir.path().join("oracle");
    let scenarios = openvex_scenarios(&base);
    assert!(scenarios.len() >= 20, "only {} scenarios", scenarios.len());
    let mut failures = Vec::new();
    let mut suppressed_total = 0;
    let mut narrowed_total = 0;
    for (n, s) in scenarios.iter().enumerate() {
        let out = |what: &str| dir.path().join(format!("{n}-{what}.json"));
        let want = gate_outcome(s, &s.vex, &out("source"));
        suppressed_total += want.1.len();
        let mut csaf_direct = Vec::new();
        let mut via = [Vec::new(), Vec::new()];
        let mut exceptions = CsafExceptions::default();
        if s.vex.iter().any(|v| !has_statements(&s.cwd, v)) {
            continue;
        }
        for (k, v) in s.vex.iter().enumerate() {
            let csaf = out(&format!("{k}.csaf"));
            export_csaf_noting(s, v, &csaf, &mut exceptions);
            csaf_direct.push(csaf.display().to_string());
            let cdx = out(&format!("{k}.cdx"));
            export(&s.cwd, v, "cyclonedx", &cdx, None);
            for (i, (file, from)) in [(&cdx, "cyclonedx"), (&csaf, "csaf")].iter().enumerate() {
                let back = out(&format!("{k}.{from}.openvex"));
                let (code, err) = import(&s.cwd, file, from, &back, &[]);
                if code != 0 {
                    failures.push(format!("{}: import of {v} via {from}: {err}", s.name));
                }
                via[i].push(back.display().to_string());
            }
        }
        for (what, vex) in [
            ("CSAF export", &csaf_direct),
            ("CycloneDX round trip", &via[0]),
            ("CSAF round trip", &via[1]),
        ] {
            if vex.iter().any(|v| !Path::new(v).exists()) {
                continue;
            }
            let got = gate_outcome(s, vex, &out(&format!("got-{what}")));
            let (mut w, mut g) = (want.clone(), got.clone());
            if what == "CSAF export" {
                narrowed_total += exceptions.apply(&mut w, &mut g);
            }
            if g != w {
                failures.push(format!(
                    "{} ({what}): remaining only in source {:?}, only in export {:?}; suppressed only in source {:?}, only in export {:?}",
                    s.name,
                    w.0.difference(&g.0).collect::<Vec<_>>(),
                    g.0.difference(&w.0).collect::<Vec<_>>(),
                    w.1.difference(&g.1).collect::<Vec<_>>(),
                    g.1.difference(&w.1).collect::<Vec<_>>(),
                ));
            }
        }
    }
    assert!(
        suppressed_total >= 20,
        "only {suppressed_total} suppressions"
    );
    // vex-deb-every-path-all-parents: openssl's own finding.
    assert_eq!(
        narrowed_total, 1,
        "own findings of products with subcomponents"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Hostile text in an exported statement reaches standard output as JSON escapes: no raw
/// control or bidi character, no CI log command; a JSON reader sees the same string.
#[test]
fn hostile_text_is_exported_escaped() {
    let dir = crate::common::tmp();
    let text = "line\n##[warning]x \u{1b}[31mred \u{202e}gnp.exe";
    let doc = serde_json::json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/hostile",
        "author": "a\u{202e}b",
        "timestamp": "2025-01-01T00:00:00Z",
        "version": 1,
        "statements": [{
            "vulnerability": {"name": "CVE-2024-0001"},
            "products": [{"@id": "pkg:npm/a@1.0.0"}],
            "status": "not_affected",
            "impact_statement": text
        }]
    });
    let p = dir.path().join("h.openvex.json");
    std::fs::write(&p, doc.to_string()).unwrap();
    for (format, pointer) in [
        ("csaf", "/vulnerabilities/0/threats/0/details"),
        ("cyclonedx", "/vulnerabilities/0/analysis/detail"),
    ] {
        let o = vexgate(dir.path())
            .args(["vex", "export", "h.openvex.json", "--format", format])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = String::from_utf8(o.stdout).unwrap();
        assert!(
            !out.chars()
                .any(|c| c == '\u{1b}' || c == '\u{202e}' || (c.is_control() && c != '\n')),
            "{format}: raw control or bidi character"
        );
        assert!(!out.contains("##["), "{format}: a log command");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v.pointer(pointer).and_then(Value::as_str),
            Some(text),
            "{format}"
        );
    }
}

/// A suppressing statement and a later affected one that overlap (`pkg:oci/app` and the
/// same PURL with `repository_url`): the gate applies the later one, a CSAF reader that
/// checks known_not_affected first would suppress. Export refuses (exit 2, one line naming
/// both statements, nothing written) unless --allow-widening, which warns.
#[test]
fn overlapping_statements_that_would_widen_a_suppression_are_refused() {
    let dir = crate::common::tmp();
    let doc = serde_json::json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/widen",
        "author": "a",
        "timestamp": "2025-01-01T00:00:00Z",
        "version": 2,
        "statements": [
            {
                "vulnerability": {"name": "CVE-2024-0001"},
                "products": [{"@id": "pkg:oci/app"}],
                "status": "not_affected",
                "justification": "component_not_present",
                "timestamp": "2025-01-01T00:00:00Z"
            },
            {
                "vulnerability": {"name": "CVE-2024-0001"},
                "products": [{"@id": "pkg:oci/app?repository_url=ghcr.io/o/app"}],
                "status": "affected",
                "action_statement": "upgrade",
                "timestamp": "2025-06-01T00:00:00Z"
            }
        ]
    });
    std::fs::write(dir.path().join("w.openvex.json"), doc.to_string()).unwrap();
    for format in ["csaf", "cyclonedx"] {
        let o = vexgate(dir.path())
            .args(["vex", "export", "w.openvex.json", "--format", format])
            .args(["--out", "out.json"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{format}: {err}");
        let conflicts: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with("vexgate: conflict: "))
            .collect();
        assert_eq!(conflicts.len(), 1, "{format}: {err}");
        assert!(
            conflicts[0].contains("statements[0]") && conflicts[0].contains("statements[1]"),
            "{err}"
        );
        assert!(!dir.path().join("out.json").exists(), "{format}");
        let o = vexgate(dir.path())
            .args(["vex", "export", "w.openvex.json", "--format", format])
            .args(["--allow-widening", "--out", "out.json"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{format}: {err}");
        assert!(err.contains("vexgate: warning: "), "{err}");
        std::fs::remove_file(dir.path().join("out.json")).unwrap();
    }
}

/// Two overlapping statements (a versioned and a versionless PURL of one package), the
/// later one suppressing: the gate applies the later. Imported back, every statement has
/// the time of the import, so the import writes them newest `analysis.lastUpdated` first
/// (the gate applies the first of equal times); the round trip through either format then
/// blocks and suppresses exactly what the source does, on the oracle's real Debian scan.
#[test]
fn round_trip_keeps_which_of_two_overlapping_statements_wins() {
    let dir = crate::common::tmp();
    let d = dir.path();
    std::fs::copy(
        crate::common::root().join("testdata/oracle/scan/unfiltered/deb12-rootfs.json"),
        d.join("scan.json"),
    )
    .unwrap();
    // The package and version come from the scan itself.
    let scan = read_json(&d.join("scan.json"));
    let v = scan["Results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["Vulnerabilities"].as_array().into_iter().flatten())
        .find(|v| v["PkgName"] == "libssl3")
        .expect("libssl3 has a finding in the Debian scan")
        .clone();
    let (id, version) = (
        v["VulnerabilityID"].as_str().unwrap(),
        v["InstalledVersion"].as_str().unwrap(),
    );
    let doc = serde_json::json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/order",
        "author": "a",
        "timestamp": "2025-06-01T00:00:00Z",
        "version": 1,
        "statements": [
            {
                "vulnerability": {"name": id},
                "products": [{"@id": format!("pkg:deb/debian/libssl3@{version}")}],
                "status": "affected",
                "action_statement": "upgrade",
                "timestamp": "2025-06-01T00:00:00Z"
            },
            {
                "vulnerability": {"name": id},
                "products": [{"@id": "pkg:deb/debian/libssl3"}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
                "timestamp": "2025-07-01T00:00:00Z"
            }
        ]
    });
    std::fs::write(d.join("src.openvex.json"), doc.to_string()).unwrap();
    let gate = |vex: &str| {
        let out = d.join(format!("gated-{vex}"));
        let o = vexgate(d)
            .args(["gate", "scan.json", "--vex", vex, "--output-report"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        outcome(&read_json(&out))
    };
    let want = gate("src.openvex.json");
    assert!(
        want.1
            .iter()
            .any(|(i, p, _, s)| i == id && p.starts_with("libssl3@") && s == "not_affected"),
        "the later not_affected suppresses libssl3: {:?}",
        want.1
    );
    for format in ["cyclonedx", "csaf"] {
        let exported = d.join(format!("x.{format}.json"));
        export(d, "src.openvex.json", format, &exported, None);
        let back = format!("back-{format}.openvex.json");
        let (code, err) = import(d, &exported, format, &d.join(&back), &[]);
        assert_eq!(code, 0, "{format}: {err}");
        assert_eq!(gate(&back), want, "{format} round trip");
    }
}
