//! Criterion benchmarks of the gate in-process on 10 MB and 100 MB reports generated
//! deterministically from the real Trivy goldens (examples/bench_report.rs): the bare typed
//! parse on one thread, the default gate as `vexgate gate` runs it (parse on the report
//! pool, VEX loading, decision, table), and the gate with the Trivy-schema report. End-to-end timings against Trivy and jq are in scripts/bench-gate.sh.
//!
//! Run: `cargo bench -p vexgate --bench gate` (BENCH_SIZES="10" to skip the 100 MB case).

use std::io;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "../examples/bench_report.rs"]
#[allow(dead_code)]
mod bench_report;

use vexgate_core::config::Settings;
use vexgate_core::gate;
use vexgate_core::policy::Policy;
use vexgate_core::render::{self, RenderOptions};
use vexgate_core::report::{ReportFile, parse_report};
use vexgate_core::vex::VexSet;

fn default_settings() -> Settings {
    // The default policy, no ignore file and no VEX: nothing from the working directory.
    Settings::with_policy(Policy::new(&vexgate_core::policy::DEFAULT_SEVERITIES, true))
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let settings = default_settings();
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "10 100".into())
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect();
    let mut group = c.benchmark_group("gate");
    group.sample_size(10);
    for mb in sizes {
        let path: PathBuf = dir.path().join(format!("r{mb}.json"));
        std::fs::write(&path, bench_report::generate(mb * 1_000_000)).unwrap();
        let file = ReportFile::read(&path).unwrap();
        group.throughput(Throughput::Bytes(file.text.len() as u64));

        group.bench_function(format!("bare typed parse {mb} MB"), |b| {
            b.iter(|| {
                let r = parse_report(&file.path, &file.text).unwrap();
                r.results.len()
            })
        });

        let files = std::slice::from_ref(&file);
        group.bench_function(format!("default gate {mb} MB"), |b| {
            b.iter(|| {
                let reports = gate::parse_reports(files).unwrap();
                let vex = VexSet::read(&settings.policy.vex).unwrap();
                let d = gate::decide_with_vex(
                    files,
                    &reports,
                    &settings,
                    jiff::Timestamp::now(),
                    Ok(&vex),
                )
                .unwrap();
                render::table(&d, &RenderOptions::default(), &mut io::sink()).unwrap();
                d.blocked()
            })
        });

        group.bench_function(format!("gate + output-report {mb} MB"), |b| {
            b.iter(|| {
                let reports = gate::parse_reports(files).unwrap();
                let vex = VexSet::read(&settings.policy.vex).unwrap();
                let d = gate::decide_with_vex(
                    files,
                    &reports,
                    &settings,
                    jiff::Timestamp::now(),
                    Ok(&vex),
                )
                .unwrap();
                render::table(&d, &RenderOptions::default(), &mut io::sink()).unwrap();
                render::trivy_report(&d.reports[0], &mut io::sink()).unwrap();
                d.blocked()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
