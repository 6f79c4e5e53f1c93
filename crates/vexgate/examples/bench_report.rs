//! Benchmark helper for `scripts/bench-gate.sh` and `benches/gate.rs`.
//!
//! `bench_report gen SIZE_MB OUT` writes a deterministic Trivy report of at least SIZE_MB
//! megabytes built from the real Trivy goldens in `testdata/upstream/trivy/`: the metadata of
//! `ubuntu-1804.json.golden` (a linux/amd64 image), and one Result per golden Result that has
//! vulnerabilities, whose vulnerabilities are the golden's repeated with distinct IDs
//! (`<ID>-<copy>`) and distinct fingerprints, so nothing de-duplicates. Severities, statuses,
//! fixed versions and PURLs are the goldens' own, so the policy has real work to do.
//!
//! `bench_report parse FILE` is the bare typed parse as issue 2 defines it: read the file
//! into memory and deserialize it with vexgate's borrowing report model on one thread,
//! nothing else (the floor the gate is measured against). The gate itself maps large files
//! and parses them on all CPUs (report::text, report::parallel), so it can beat this floor.

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
            let report =
                vexgate::report::parse_report_with_threads(path, &text, 1).unwrap_or_else(|e| {
                    eprintln!("{e}");
                    std::process::exit(2)
                });
            let n: usize = report.results.iter().map(|r| r.vulnerabilities.len()).sum();
            println!("{n}");
        }
        _ => {
            eprintln!("usage: bench_report gen SIZE_MB OUT | bench_report parse FILE");
            std::process::exit(2);
        }
    }
}
