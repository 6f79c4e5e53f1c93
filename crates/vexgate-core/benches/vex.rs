//! VEX application on a ~101 MB report (31k findings) with 1k, 10k and 100k generated
//! statements (deterministic; the generators are in examples/bench_report.rs and shared
//! with scripts/bench-vex.sh). Each iteration parses the report, loads the VEX text and
//! applies it:
//! - `seq`: one after the other, everything freed inside the timed section;
//! - `cli`: as `vexgate gate` does it: the VEX loads on a second thread while the report
//!   parses, and the report, the VEX set and the decisions are dropped outside the timed
//!   section (criterion `iter_with_large_drop`), because the CLI never frees them (it
//!   `mem::forget`s them at exit and leaves that to the OS).
//!
//!   cargo bench -p vexgate --bench vex
//!   bash scripts/bench-vex.sh      # end to end: the release binary vs the indexed jq (hyperfine)
//!
//! With `jq` on PATH it also times, once per size, the indexed jq filter over the same files
//! (the issue's baseline) and prints both, side by side.
//!
//! Measured on the 2-core project machine (criterion median; the 101 MB compact version of
//! the report, before bench_report pretty-printed it; load average ~1.3 from other jobs): `cli` 57 ms / 63 ms / 271 ms for 1k / 10k / 100k statements (4.7x
//! from 1k to 100k), `seq` 81 / 92 / 312 ms (3.9x; 101 / 132 / 470 ms before the fast
//! load). At 100k: VEX load ~170 ms (a 32 MB document), apply ~120 ms (10k suppressions,
//! half through the package graph), freeing the VEX set ~35 ms. Indexed jq: 3.8-4.4 s.
//! End-to-end numbers (scripts/bench-vex.sh) are in README.md "Benchmarks".

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use vexgate_core::decision::ResultDecision;
use vexgate_core::report::{Report, parse_report};
use vexgate_core::vex::{self, VexSet};

#[path = "../examples/bench_report.rs"]
#[allow(dead_code)]
mod bench_report;

use bench_report::{JQ_INDEXED, VEX_FINDINGS, VEX_PACKAGES, vex_doc, vex_report};

/// Everything one gate run leaves behind (kept only to be dropped where the bench says).
#[allow(dead_code)]
struct Run<'t> {
    report: Report<'t>,
    set: VexSet,
    decisions: Vec<ResultDecision>,
}

impl Run<'_> {
    fn suppressed(&self) -> usize {
        self.decisions.iter().map(|r| r.suppressed.len()).sum()
    }
}

/// One gate run: parse the report, load the VEX text, apply. With `overlap` the VEX loads
/// on a second thread while the report parses, as `vexgate gate` does.
fn gate_once<'t>(report_text: &'t str, vex_text: &str, overlap: bool) -> Run<'t> {
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
    let mut decisions: Vec<ResultDecision> = ResultDecision::every_vulnerability(&report);
    vex::apply(&report, &mut decisions, &set, None, &mut Vec::new());
    Run {
        report,
        set,
        decisions,
    }
}

/// The indexed jq filter over the same files, in seconds; None without jq.
fn jq_indexed(dir: &Path, vex_file: &Path) -> Option<f64> {
    let t = Instant::now();
    let out = std::process::Command::new("jq")
        .arg("--slurpfile")
        .arg("vex")
        .arg(vex_file)
        .arg(JQ_INDEXED)
        .arg(dir.join("report.json"))
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    out.success().then(|| t.elapsed().as_secs_f64())
}

fn bench(c: &mut Criterion) {
    let report_text = vex_report();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("report.json"), &report_text).unwrap();
    eprintln!(
        "report: {:.1} MB, {VEX_FINDINGS} findings, {VEX_PACKAGES} packages",
        report_text.len() as f64 / 1e6
    );
    let mut group = c.benchmark_group("vex_apply");
    group.sample_size(10);
    for n in [1_000usize, 10_000, 100_000] {
        let vex_text = vex_doc(n);
        let vex_file = dir.path().join(format!("vex-{n}.json"));
        std::fs::write(&vex_file, &vex_text).unwrap();
        let suppressed = gate_once(&report_text, &vex_text, false).suppressed();
        // One run broken down.
        let t = Instant::now();
        let report = black_box(parse_report(Path::new("r"), &report_text).unwrap());
        let t_parse = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let set = VexSet {
            sources: vec![vex::load_text("v", &vex_text).unwrap()],
        };
        let t_load = t.elapsed().as_secs_f64();
        let mut d: Vec<ResultDecision> = ResultDecision::every_vulnerability(&report);
        let t = Instant::now();
        vex::apply(&report, &mut d, &set, None, &mut Vec::new());
        let t_apply = t.elapsed().as_secs_f64();
        let t = Instant::now();
        drop(set);
        let t_free_vex = t.elapsed().as_secs_f64();
        let t = Instant::now();
        drop((d, report));
        let t_free_report = t.elapsed().as_secs_f64();
        eprintln!(
            "{n} statements ({:.1} MB VEX, {suppressed} suppressed): report parse {t_parse:.3} s, VEX load {t_load:.3} s, apply {t_apply:.3} s, free VEX {t_free_vex:.3} s, free report {t_free_report:.3} s",
            vex_text.len() as f64 / 1e6
        );
        let t = Instant::now();
        let run = black_box(gate_once(&report_text, &vex_text, true));
        let ours = t.elapsed().as_secs_f64();
        drop(run);
        match jq_indexed(dir.path(), &vex_file) {
            Some(jq) => eprintln!(
                "{n} statements: vexgate (cli) {ours:.3} s, indexed jq {jq:.2} s ({:.1}x)",
                jq / ours
            ),
            None => eprintln!("{n} statements: vexgate (cli) {ours:.3} s (jq not found)"),
        }
        group.bench_function(format!("seq/{n}_statements"), |b| {
            b.iter(|| black_box(gate_once(&report_text, &vex_text, false).suppressed()))
        });
        group.bench_function(format!("cli/{n}_statements"), |b| {
            b.iter_with_large_drop(|| gate_once(&report_text, &vex_text, true))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
