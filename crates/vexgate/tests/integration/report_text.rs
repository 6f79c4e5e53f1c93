//! Report files are read into memory (report::text): a large report gates as a small one
//! does, bad bytes are a one-line input error, and input that cannot be JSON or never ends
//! is refused with exit code 2 instead of being read until memory runs out.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use crate::common::golden;

use tempfile::TempDir;

/// Padding that makes a report large enough to be parsed on several threads.
const LARGE: usize = 2 << 20;

/// A real Trivy report padded past the mapping threshold with trailing whitespace (legal
/// JSON, the same document).
fn large_copy(dir: &Path, name: &str) -> PathBuf {
    let mut text = std::fs::read_to_string(golden(name)).unwrap();
    text.push_str(&" ".repeat(LARGE));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `vexgate` in `dir`, on CPU 0 only when `pin` (`taskset -c 0`), with no VEXGATE_* or
/// TRIVY_* variable from the caller's environment.
fn vexgate(dir: &Path, pin: bool) -> Process {
    let bin = assert_cmd::cargo::cargo_bin("vexgate");
    let mut cmd = if pin {
        let mut c = Process::new("taskset");
        c.args(["-c", "0"]).arg(bin);
        c
    } else {
        Process::new(bin)
    };
    cmd.current_dir(dir);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().to_string();
        if k.starts_with("VEXGATE_") || k.starts_with("TRIVY_") {
            cmd.env_remove(&k);
        }
    }
    cmd
}

fn gate(dir: &Path, report: &Path) -> std::process::Output {
    vexgate(dir, false)
        .args(["gate", "--format", "json"])
        .arg(report)
        .output()
        .unwrap()
}

#[test]
fn large_and_small_reports_gate_the_same() {
    let dir = TempDir::new().unwrap();
    let small = golden("debian-buster.json.golden");
    let large = large_copy(dir.path(), "debian-buster.json.golden");
    let a = gate(dir.path(), &small);
    let b = gate(dir.path(), &large);
    assert_eq!(
        a.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(a.status.code(), b.status.code());
    let strip = |out: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(out).unwrap();
        v["reports"][0]["path"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(&a.stdout), strip(&b.stdout));
}

#[test]
fn invalid_utf8_in_a_large_report_is_an_input_error() {
    let dir = TempDir::new().unwrap();
    let path = large_copy(dir.path(), "debian-buster.json.golden");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() - 10;
    bytes[at] = 0xFF;
    std::fs::write(&path, bytes).unwrap();
    let out = gate(dir.path(), &path);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "{}: is not UTF-8 text (invalid byte at offset {at})",
            path.display()
        )),
        "{err}"
    );
}

/// `/dev/zero` never ends and cannot start a JSON value: one line, exit 2, at once.
#[test]
fn dev_zero_is_refused_at_once() {
    let dir = TempDir::new().unwrap();
    let started = std::time::Instant::now();
    let out = gate(dir.path(), Path::new("/dev/zero"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(
        err,
        "vexgate: error: /dev/zero: is not JSON (byte 0x00 at offset 0 cannot start a JSON value); Trivy writes JSON reports\n"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

/// Every other input read from an endless device stops at the cap: one line, exit 2,
/// instead of reading until memory runs out.
#[test]
fn endless_devices_as_other_inputs_stop_at_the_cap() {
    let dir = TempDir::new().unwrap();
    let report = golden("debian-buster.json.golden");
    for flag in ["--vex", "--ignorefile", "--config"] {
        let out = vexgate(dir.path(), false)
            .args(["gate", flag, "/dev/zero"])
            .arg(&report)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert_eq!(
            err,
            "vexgate: error: /dev/zero: is not a regular file and holds more than 268435456 bytes, the most vexgate reads from a pipe or device\n",
            "{flag}"
        );
    }
}

/// `gomod.json.golden` (three Results) with 2 MiB of whitespace before each Result, so its
/// Results are split across threads.
fn spread_copy(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(golden("gomod.json.golden")).unwrap();
    let needle = "\n    {\n      \"Target\"";
    assert_eq!(text.matches(needle).count(), 3);
    let spread = text.replace(
        needle,
        &format!("\n{}{}", " ".repeat(2 << 20), &needle[1..]),
    );
    let path = dir.join("gomod-spread.json");
    std::fs::write(&path, spread).unwrap();
    path
}

/// `debian-buster.json.golden` (one Result) with its vulnerabilities repeated under new IDs
/// to ~6 MB, pretty-printed as Trivy does: the one Result's `Vulnerabilities` are split.
fn one_big_result(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(golden("debian-buster.json.golden")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let vulns = v["Results"][0]["Vulnerabilities"]
        .as_array()
        .unwrap()
        .clone();
    let mut many = Vec::new();
    for copy in 0..4000 {
        for vuln in &vulns {
            let mut vuln = vuln.clone();
            let id = format!("{}-{copy}", vuln["VulnerabilityID"].as_str().unwrap());
            vuln["VulnerabilityID"] = id.into();
            many.push(vuln);
        }
    }
    v["Results"][0]["Vulnerabilities"] = many.into();
    let path = dir.join("debian-one-big-result.json");
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 5 << 20);
    path
}

/// One CPU (`taskset -c 0`: the process sees one CPU and parses sequentially) and all CPUs
/// give the same verdict, the same JSON and the same --output-report, for a report whose
/// Results are split and one whose single Result's vulnerabilities are.
#[test]
fn threaded_parse_gives_the_same_gate_and_output_report() {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 {
        eprintln!("one CPU: the threaded parse is never used here");
        return;
    }
    let dir = TempDir::new().unwrap();
    for (report, results) in [
        (spread_copy(dir.path()), 3),
        (one_big_result(dir.path()), 1),
    ] {
        same_on_one_and_all_cpus(dir.path(), &report, results);
    }
}

fn same_on_one_and_all_cpus(dir: &Path, report: &Path, results: usize) {
    let run = |pin: bool, out: &str| {
        let o = vexgate(dir, pin)
            .args([
                "gate",
                "--format",
                "json",
                "--severity",
                "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
            ])
            .arg(report)
            .arg("--output-report")
            .arg(dir.join(out))
            .output()
            .unwrap();
        let written = std::fs::read_to_string(dir.join(out)).unwrap();
        (o.status.code(), o.stdout, written)
    };
    let (code_one, json_one, report_one) = run(true, "one.json");
    let (code_all, json_all, report_all) = run(false, "all.json");
    assert_eq!(code_one, Some(1));
    assert_eq!(code_one, code_all);
    assert_eq!(json_one, json_all);
    assert_eq!(report_one, report_all);
    let v: serde_json::Value = serde_json::from_str(&report_all).unwrap();
    assert_eq!(v["Results"].as_array().unwrap().len(), results);
}
