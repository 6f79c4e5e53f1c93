//! Benchmark helper for `scripts/bench-gate.sh` and `benches/gate.rs`.
//!
//! `bench_report gen SIZE_MB OUT` writes a deterministic Trivy report of at least SIZE_MB
//! megabytes built from the real Trivy goldens in `testdata/upstream/trivy/`: the metadata of
//! `ubuntu-1804.json.golden` (a linux/amd64 image), and one Result per golden Result that has
//! vulnerabilities, whose vulnerabilities are the golden's repeated with distinct IDs
//! (`<ID>-<copy>`) and distinct fingerprints, so nothing de-duplicates. Severities, statuses,
//! fixed versions and PURLs are the goldens' own, so the policy has real work to do.
//!
//! `bench_report parse FILE` is the bare typed parse: read the file
//! into memory and deserialize it with vexgate's borrowing report model on one thread,
//! nothing else (the floor the gate is measured against). The gate itself reads large files
//! on the report pool (report::text, report::pool), so it can beat this floor.
//!
//! For `scripts/bench-vex.sh` and `benches/vex.rs` (the same data in both):
//! `bench_report gen-vex-report OUT` writes the VEX benchmark's report ([`vex_report`]: a
//! ~101 MB container-image report with 31k findings and a dpkg-like package graph),
//! `bench_report gen-vex N OUT` an OpenVEX document with N statements ([`vex_doc`]), and
//! `bench_report jq-filter` prints the indexed jq filter ([`JQ_INDEXED`]) they are
//! compared with.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// Directory of the real Trivy goldens.
pub fn goldens_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/upstream/trivy")
}

/// Build the report text (pretty-printed like Trivy's `json.MarshalIndent`), at least
/// `target_bytes` long.
pub fn generate(target_bytes: usize) -> String {
    let dir = goldens_dir();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata/upstream/trivy")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("golden"))
        .collect();
    names.sort();
    let mut templates: Vec<Map<String, Value>> = Vec::new();
    for p in &names {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        for r in v["Results"].as_array().into_iter().flatten() {
            if r["Vulnerabilities"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
            {
                templates.push(r.as_object().unwrap().clone());
            }
        }
    }
    let base: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("ubuntu-1804.json.golden")).unwrap(),
    )
    .unwrap();
    let template_bytes: usize = templates
        .iter()
        .map(|t| {
            serde_json::to_string_pretty(&t["Vulnerabilities"])
                .unwrap()
                .len()
        })
        .sum();
    // Copies needed, with a little slack for indentation; checked and topped up below.
    let mut copies = target_bytes / template_bytes.max(1) + 1;
    loop {
        let text = build(&base, &templates, copies);
        if text.len() >= target_bytes {
            return text;
        }
        copies += copies / 20 + 1;
    }
}

fn build(base: &Value, templates: &[Map<String, Value>], copies: usize) -> String {
    let mut results = Vec::with_capacity(templates.len());
    for t in templates {
        let mut r = t.clone();
        let vulns = t["Vulnerabilities"].as_array().unwrap();
        let mut out = Vec::with_capacity(vulns.len() * copies);
        for k in 0..copies {
            for v in vulns {
                let mut v = v.as_object().unwrap().clone();
                let id = format!("{}-{k}", v["VulnerabilityID"].as_str().unwrap());
                v.insert(
                    "Fingerprint".into(),
                    Value::from(format!("sha256:bench-{id}")),
                );
                v.insert("VulnerabilityID".into(), Value::from(id));
                out.push(Value::Object(v));
            }
        }
        r.insert("Vulnerabilities".into(), Value::Array(out));
        results.push(Value::Object(r));
    }
    let mut report = base.as_object().unwrap().clone();
    report.insert("Results".into(), Value::Array(results));
    let mut text = serde_json::to_string_pretty(&Value::Object(report)).unwrap();
    text.push('\n');
    text
}

/// Findings in [`vex_report`].
pub const VEX_FINDINGS: usize = 31_000;
/// Packages in [`vex_report`].
pub const VEX_PACKAGES: usize = 2_000;
const VEX_DIGEST: &str = "sha256:4482958b4461ff7d9fabc24b3a9ab1e9a2c85ece07b2db1840c7cbc01d053e90";

/// The VEX benchmark's report: a container image (with RepoDigests, so image-scoped
/// statements apply) with one Debian result of VEX_PACKAGES packages (package p depends on
/// 2p+1, 2p+2 and 3p+1: a tree of depth ~11 with diamonds, like a dpkg graph) and
/// VEX_FINDINGS vulnerabilities with ~3 kB of text each (~101 MB).
pub fn vex_report() -> String {
    let filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(50);
    let mut s = String::with_capacity(110 << 20);
    write!(s, r#"{{"SchemaVersion":2,"ArtifactName":"ghcr.io/acme/app:1","ArtifactType":"container_image","Metadata":{{"RepoDigests":["ghcr.io/acme/app@{VEX_DIGEST}"],"ImageConfig":{{"architecture":"amd64","os":"linux"}}}},"Results":[{{"Target":"ghcr.io/acme/app:1 (debian 12.8)","Class":"os-pkgs","Type":"debian","Packages":["#).unwrap();
    for p in 0..VEX_PACKAGES {
        if p > 0 {
            s.push(',');
        }
        let deps: Vec<String> = [2 * p + 1, 2 * p + 2, 3 * p + 1]
            .iter()
            .filter(|&&d| d < VEX_PACKAGES)
            .map(|d| format!(r#""pkg{d}@1.0-{d}""#))
            .collect();
        write!(s, r#"{{"ID":"pkg{p}@1.0-{p}","Name":"pkg{p}","Version":"1.0-{p}","Identifier":{{"PURL":"pkg:deb/debian/pkg{p}@1.0-{p}?arch=amd64\u0026distro=debian-12.8","UID":"uid{p:x}"}},"DependsOn":[{}]}}"#, deps.join(",")).unwrap();
    }
    s.push_str(r#"],"Vulnerabilities":["#);
    for i in 0..VEX_FINDINGS {
        if i > 0 {
            s.push(',');
        }
        let p = (i * 7919) % VEX_PACKAGES;
        write!(s, r#"{{"VulnerabilityID":"CVE-2024-{i:05}","PkgID":"pkg{p}@1.0-{p}","PkgName":"pkg{p}","PkgIdentifier":{{"PURL":"pkg:deb/debian/pkg{p}@1.0-{p}?arch=amd64\u0026distro=debian-12.8","UID":"uid{p:x}"}},"InstalledVersion":"1.0-{p}","FixedVersion":"1.0-{}","Status":"fixed","Title":"Issue {i}","Description":"{filler}","Severity":"HIGH","References":["https://security-tracker.debian.org/tracker/CVE-2024-{i:05}"]}}"#, p + 1).unwrap();
    }
    s.push_str("]}]}");
    // Pretty-printed with two-space indents, as Trivy writes every JSON report
    // (`json.MarshalIndent`); vexgate's parse splits arrays of such reports across CPUs.
    let v: Value = serde_json::from_str(&s).expect("generated report is JSON");
    serde_json::to_string_pretty(&v).expect("serialize")
}

/// An OpenVEX v0.2.0 document with `n` statements for [`vex_report`]: every 10th names a
/// finding of the report (alternating image + subcomponent and package-as-product forms),
/// the rest name CVEs the report does not have. 100k statements are ~36 MB.
pub fn vex_doc(n: usize) -> String {
    let mut s = String::with_capacity(n * 400);
    s.push_str(r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.invalid/bench","author":"bench","timestamp":"2024-01-01T00:00:00Z","version":1,"statements":["#);
    for k in 0..n {
        if k > 0 {
            s.push(',');
        }
        let hit = k % 10 == 0;
        let id = if hit {
            (k / 10) % VEX_FINDINGS
        } else {
            100_000 + k
        };
        let p = (id * 7919) % VEX_PACKAGES;
        let product = if hit && k % 20 == 0 {
            format!(
                r#"{{"@id":"pkg:oci/app?repository_url=ghcr.io%2Facme%2Fapp","subcomponents":[{{"@id":"pkg:deb/debian/pkg{p}"}}]}}"#
            )
        } else {
            format!(r#"{{"@id":"pkg:deb/debian/pkg{p}@1.0-{p}"}}"#)
        };
        write!(s, r#"{{"vulnerability":{{"name":"CVE-2024-{id:05}","aliases":["GHSA-{k:04x}-bench"]}},"timestamp":"2024-02-01T00:00:00Z","products":[{product}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path","impact_statement":"generated statement number {k} for the benchmark"}}"#).unwrap();
    }
    s.push_str("]}");
    s
}

/// The issue's "indexed jq filter", run as `jq --slurpfile vex VEX FILTER REPORT`:
/// suppressing statements indexed by vulnerability name, one lookup per finding.
pub const JQ_INDEXED: &str = r#"(reduce ($vex[0].statements[] | select(.status == "not_affected" or .status == "fixed") | .vulnerability.name) as $n ({}; .[$n] = true)) as $idx | .Results[] |= (.Vulnerabilities |= map(select($idx[.VulnerabilityID] == null)))"#;

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") if args.len() == 4 => {
            let mb: usize = args[2].parse().expect("SIZE_MB");
            let text = generate(mb * 1_000_000);
            std::fs::write(&args[3], text).expect("write");
        }
        Some("parse") if args.len() == 3 => {
            let path = Path::new(&args[2]);
            let text = std::fs::read_to_string(path).expect("read");
            let report = vexgate_core::report::parse_report(path, &text).unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(2)
            });
            let n: usize = report.results.iter().map(|r| r.vulnerabilities.len()).sum();
            println!("{n}");
        }
        Some("gen-vex-report") if args.len() == 3 => {
            std::fs::write(&args[2], vex_report()).expect("write");
        }
        Some("gen-vex") if args.len() == 4 => {
            let n: usize = args[2].parse().expect("N statements");
            std::fs::write(&args[3], vex_doc(n)).expect("write");
        }
        Some("jq-filter") if args.len() == 2 => println!("{JQ_INDEXED}"),
        _ => {
            eprintln!(
                "usage: bench_report gen SIZE_MB OUT | parse FILE | gen-vex-report OUT | gen-vex N OUT | jq-filter"
            );
            std::process::exit(2);
        }
    }
}
