//! Inputs the fuzz targets (fuzz/fuzz_targets/<target>.rs) found, replayed through the same
//! public entry points: files under `tests/data/fuzz-regressions/<target>/`. None may panic,
//! and each must finish within the fuzzers' per-input bound. The small seed corpora under
//! `fuzz/seeds/` are replayed too, so every entry point runs here even with no finding.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use vexgate_core::policy::ignorefile::{parse_ignore_plain, parse_ignore_yaml};
use vexgate_core::purl::{Purl, purl_matches};

const TARGETS: [&str; 11] = [
    "trivy_report",
    "openvex",
    "csaf",
    "trivyignore",
    "trivyignore_yaml",
    "config",
    "purl",
    "image_index",
    "kev",
    "epss",
    "vex_import",
];

/// What the fuzz target named `target` does with `data`.
fn replay(target: &str, data: &[u8]) {
    // The feeds are read as bytes (EPSS may be gzip).
    match target {
        "kev" => {
            let _ = vexgate_core::feeds::kev::KevCatalog::parse(Path::new("kev.json"), data);
            return;
        }
        "epss" => {
            let _ = vexgate_core::feeds::epss::EpssScores::parse(Path::new("epss.csv"), data);
            return;
        }
        _ => {}
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match target {
        "trivy_report" => {
            let _ = vexgate_core::report::parse_report(Path::new("fuzz.json"), text);
        }
        "openvex" => {
            let _ = vexgate_core::vex::load_text("fuzz.openvex.json", text);
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
                let _ = vexgate_core::vex::validate::validate_value(
                    &value,
                    jiff::Timestamp::UNIX_EPOCH,
                );
            }
        }
        "csaf" => {
            let _ = vexgate_core::vex::load_text("fuzz.csaf.json", text);
        }
        "trivyignore" => {
            let _ = parse_ignore_plain(Path::new(".trivyignore"), text, &mut Vec::new());
        }
        "trivyignore_yaml" => {
            let _ = parse_ignore_yaml(Path::new(".trivyignore.yaml"), text);
        }
        "config" => {
            let _ = vexgate_core::config::PartialConfig::from_toml(Path::new("vexgate.toml"), text);
        }
        "purl" => {
            if let Ok(p) = Purl::parse(text) {
                let _ = Purl::parse(&p.to_purl_string());
                let _ = purl_matches(&p, &p);
            }
        }
        "image_index" => {
            let p = Path::new("index.json");
            if let Ok(raw) = vexgate_core::index::parse(p, text) {
                let _ = vexgate_core::index::platforms_of(p, raw);
            }
        }
        "vex_import" => {
            use vexgate_core::vex::import::{self, Format};
            for format in [Format::CycloneDx, Format::Csaf] {
                let _ = import::parse(Path::new("vex.json"), text, format);
            }
        }
        other => panic!("no fuzz target named {other:?}"),
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn replay_dir(target: &str, dir: &Path) -> usize {
    let list = files(dir);
    for f in &list {
        let data = std::fs::read(f).unwrap();
        let start = Instant::now();
        replay(target, &data);
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{}: {:?}",
            f.display(),
            start.elapsed()
        );
    }
    list.len()
}

#[test]
fn fuzz_findings_and_seeds_replay_without_panic() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let regressions = here.join("tests/data/fuzz-regressions");
    // Every directory names a target, so a finding is never filed where nothing replays it.
    for d in std::fs::read_dir(&regressions).unwrap() {
        let name = d.unwrap().file_name().into_string().unwrap();
        assert!(
            TARGETS.contains(&name.as_str()) || name == "README.md",
            "{name}"
        );
    }
    let seeds = here.join("../../fuzz/seeds");
    let mut replayed = 0;
    let testdata = here.join("../../testdata");
    for t in TARGETS {
        replayed += replay_dir(t, &regressions.join(t));
        replayed += replay_dir(t, &seeds.join(t));
        // Targets seeded from testdata alone (fuzz/run-all.sh names the same directories).
        let from_testdata: &[&str] = match t {
            "kev" | "epss" => &["feeds"],
            "vex_import" => &[
                "vex-import/cyclonedx",
                "vex-import/csaf-oasis",
                "vex-import/csaf-examples",
                "vex-import/hostile",
            ],
            _ => &[],
        };
        for d in from_testdata {
            let n = replay_dir(t, &testdata.join(d));
            assert!(n > 0, "{t}: no seeds in testdata/{d}");
            replayed += n;
        }
    }
    assert!(replayed >= 40, "{replayed}");
}
