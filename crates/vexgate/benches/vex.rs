//! VEX application on a ~100 MB report (~31k findings) with 1k, 10k and 100k generated
//! statements (deterministic). Each iteration parses the report, loads the VEX text and
//! applies it, one after the other as `gate` does (`seq`), and with the VEX load overlapping
//! the report parse on a second thread (`overlap`).
//!
//!   cargo bench -p vexgate --bench vex
//!
//! With `jq` on PATH it also times, once per size, an indexed jq filter over the same files
//! (the issue's baseline) and prints both, side by side.
//!
//! Measured on the 2-core project machine (criterion median, `seq`; 101 MB report):
//!   1k statements 101 ms, 10k 132 ms, 100k 470 ms (4.7x the 1k time: VEX load 185 ms,
//!   apply 87 ms, freeing the 100k-statement set and the report ~130 ms);
//!   indexed jq 3.65 s / 4.71 s / 4.24 s, i.e. vexgate 39x / 40x / 8.4x faster.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use vexgate::decision::ResultDecision;
use vexgate::report::parse_report;
use vexgate::vex::{self, VexSet};

const FINDINGS: usize = 31_000;
const PACKAGES: usize = 2_000;
const DIGEST: &str = "sha256:4482958b4461ff7d9fabc24b3a9ab1e9a2c85ece07b2db1840c7cbc01d053e90";

/// A container-image report: one Debian result with PACKAGES packages (package p depends on
/// 2p+1, 2p+2 and 3p+1: a tree of depth ~11 with diamonds, like a dpkg graph), FINDINGS vulnerabilities with ~3 kB of text each.
fn report() -> String {
    let filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(50);
    let mut s = String::with_capacity(110 << 20);
    write!(s, r#"{{"SchemaVersion":2,"ArtifactName":"ghcr.io/acme/app:1","ArtifactType":"container_image","Metadata":{{"RepoDigests":["ghcr.io/acme/app@{DIGEST}"],"ImageConfig":{{"architecture":"amd64","os":"linux"}}}},"Results":[{{"Target":"ghcr.io/acme/app:1 (debian 12.8)","Class":"os-pkgs","Type":"debian","Packages":["#).unwrap();
    for p in 0..PACKAGES {
        if p > 0 {
            s.push(',');
        }
        let deps: Vec<String> = [2 * p + 1, 2 * p + 2, 3 * p + 1]
            .iter()
            .filter(|&&d| d < PACKAGES)
            .map(|d| format!(r#""pkg{d}@1.0-{d}""#))
            .collect();
        write!(s, r#"{{"ID":"pkg{p}@1.0-{p}","Name":"pkg{p}","Version":"1.0-{p}","Identifier":{{"PURL":"pkg:deb/debian/pkg{p}@1.0-{p}?arch=amd64\u0026distro=debian-12.8","UID":"uid{p:x}"}},"DependsOn":[{}]}}"#, deps.join(",")).unwrap();
    }
    s.push_str(r#"],"Vulnerabilities":["#);
    for i in 0..FINDINGS {
        if i > 0 {
            s.push(',');
        }
        let p = (i * 7919) % PACKAGES;
        write!(s, r#"{{"VulnerabilityID":"CVE-2024-{i:05}","PkgID":"pkg{p}@1.0-{p}","PkgName":"pkg{p}","PkgIdentifier":{{"PURL":"pkg:deb/debian/pkg{p}@1.0-{p}?arch=amd64\u0026distro=debian-12.8","UID":"uid{p:x}"}},"InstalledVersion":"1.0-{p}","FixedVersion":"1.0-{}","Status":"fixed","Title":"Issue {i}","Description":"{filler}","Severity":"HIGH","References":["https://security-tracker.debian.org/tracker/CVE-2024-{i:05}"]}}"#, p + 1).unwrap();
    }
    s.push_str("]}]}");
    s
}

/// `n` statements: every 10th names a finding of the report (alternating image+subcomponent
/// and package-as-product forms), the rest name CVEs the report does not have.
fn vex_doc(n: usize) -> String {
    let mut s = String::with_capacity(n * 400);
    s.push_str(r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.invalid/bench","author":"bench","timestamp":"2024-01-01T00:00:00Z","version":1,"statements":["#);
    for k in 0..n {
        if k > 0 {
            s.push(',');
        }
        let hit = k % 10 == 0;
        let id = if hit {
            (k / 10) % FINDINGS
        } else {
            100_000 + k
        };
        let p = (id * 7919) % PACKAGES;
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

/// One gate run: parse the report, load the VEX file, apply. With `overlap` the VEX file
/// loads on a second thread while the report parses (today's `gate` does them one after
/// the other).
fn gate_once(report_text: &str, vex_text: &str, overlap: bool) -> usize {
    let load = || VexSet {
        sources: vec![vex::load_text("vex.openvex.json", vex_text).unwrap()],
    };
    let parse = || parse_report(Path::new("report.json"), report_text).unwrap();
    let (report, set) = if overlap {
        std::thread::scope(|s| {
            let vex = s.spawn(load);
            let report = parse();
            (report, vex.join().unwrap())
        })
    } else {
        (parse(), load())
    };
    let mut d: Vec<ResultDecision> = report
        .results
        .iter()
        .map(|r| ResultDecision {
            vulnerabilities: (0..r.vulnerabilities.len()).collect(),
            ..Default::default()
        })
        .collect();
    let mut w = Vec::new();
    vex::apply(&report, &mut d, &set, None, &mut w);
    d.iter().map(|r| r.suppressed.len()).sum()
}

/// The issue's "indexed jq filter": statements indexed by vulnerability name, one lookup
/// per finding. Returns seconds, or None without jq.
fn jq_indexed(dir: &Path, vex_file: &Path) -> Option<f64> {
    let filter = r#"(reduce ($vex[0].statements[] | select(.status == "not_affected" or .status == "fixed") | .vulnerability.name) as $n ({}; .[$n] = true)) as $idx | .Results[] |= (.Vulnerabilities |= map(select($idx[.VulnerabilityID] == null)))"#;
    let t = Instant::now();
    let out = std::process::Command::new("jq")
        .arg("--slurpfile")
        .arg("vex")
        .arg(vex_file)
        .arg(filter)
        .arg(dir.join("report.json"))
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    out.success().then(|| t.elapsed().as_secs_f64())
}

fn bench(c: &mut Criterion) {
    let report_text = report();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("report.json"), &report_text).unwrap();
    eprintln!(
        "report: {:.1} MB, {FINDINGS} findings, {PACKAGES} packages",
        report_text.len() as f64 / 1e6
    );
    let mut group = c.benchmark_group("vex_apply");
    group.sample_size(10);
    for n in [1_000usize, 10_000, 100_000] {
        let vex_text = vex_doc(n);
        let vex_file = dir.path().join(format!("vex-{n}.json"));
        std::fs::write(&vex_file, &vex_text).unwrap();
        let suppressed = gate_once(&report_text, &vex_text, false);
        let t = Instant::now();
        let report = black_box(parse_report(Path::new("r"), &report_text).unwrap());
        let t_parse = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let set = VexSet {
            sources: vec![vex::load_text("v", &vex_text).unwrap()],
        };
        let t_load = t.elapsed().as_secs_f64();
        let mut d: Vec<ResultDecision> = report
            .results
            .iter()
            .map(|r| ResultDecision {
                vulnerabilities: (0..r.vulnerabilities.len()).collect(),
                ..Default::default()
            })
            .collect();
        let t = Instant::now();
        vex::apply(&report, &mut d, &set, None, &mut Vec::new());
        let t_apply = t.elapsed().as_secs_f64();
        drop((d, set, report));
        let t = Instant::now();
        let _ = black_box(gate_once(&report_text, &vex_text, false));
        let ours = t.elapsed().as_secs_f64();
        eprintln!(
            "{n} statements ({:.1} MB VEX, {suppressed} suppressed): report parse {t_parse:.3} s, VEX load {t_load:.3} s, apply {t_apply:.3} s",
            vex_text.len() as f64 / 1e6
        );
        match jq_indexed(dir.path(), &vex_file) {
            Some(jq) => eprintln!(
                "{n} statements: vexgate {ours:.2} s, indexed jq {jq:.2} s ({:.1}x)",
                jq / ours
            ),
            None => eprintln!("{n} statements: vexgate {ours:.2} s (jq not found)"),
        }
        for overlap in [false, true] {
            let name = format!("{}/{n}_statements", if overlap { "overlap" } else { "seq" });
            group.bench_function(name, |b| {
                b.iter(|| black_box(gate_once(&report_text, &vex_text, overlap)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
