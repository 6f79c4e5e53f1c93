//! `create_vex.sh` (repo root): its documented command line works verbatim through
//! `vexgate vex add`, under a POSIX sh (dash), with vexgate's exit code passed through.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{root, text};

use serde_json::Value;

fn script() -> PathBuf {
    root().join("create_vex.sh")
}

fn report() -> PathBuf {
    root().join("testdata/upstream/openvex/legacy-create-vex-sh/trivy.synthetic.json")
}

/// Run `sh create_vex.sh ARGS` in `dir` with PATH = `path` and no VEXGATE override.
fn run_sh(dir: &Path, path: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new("sh");
    c.arg(script())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// A PATH holding the test's vexgate binary (as `vexgate`) plus /usr/bin:/bin.
fn path_with_vexgate(dir: &Path) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_vexgate"), bin.join("vexgate")).unwrap();
    format!("{}:/usr/bin:/bin", bin.display())
}

#[test]
fn seed_command_works_verbatim() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(report(), tmp.path().join("trivy.json")).unwrap();
    let path = path_with_vexgate(tmp.path());
    // The README's command, character for character (OWNER/REPO placeholders included).
    let o = run_sh(
        tmp.path(),
        &path,
        &[],
        &[
            "CVE-2025-64756",
            "--image-repo",
            "ghcr.io/OWNER/REPO",
            "--trivy-json",
            "trivy.json",
            "--status",
            "not_affected",
            "--justification",
            "vulnerable_code_not_in_execute_path",
            "--comment",
            "glob is not used by the application at runtime; present only via bundled tooling.",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let d: Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("vex.openvex.json")).unwrap(),
    )
    .unwrap();
    let st = &d["statements"][0];
    assert_eq!(
        st["products"][0]["@id"],
        "pkg:oci/repo?repository_url=ghcr.io%2Fowner%2Frepo"
    );
    assert_eq!(st["justification"], "vulnerable_code_not_in_execute_path");
    assert!(
        st["impact_statement"]
            .as_str()
            .unwrap()
            .starts_with("glob is not used")
    );
    assert!(st.get("action_statement").is_none());
}

#[test]
fn default_justification_only_for_not_affected() {
    let tmp = tempfile::tempdir().unwrap();
    let path = path_with_vexgate(tmp.path());
    let r = report();
    let rs = r.to_str().unwrap();
    // Old defaults: status not_affected with the default justification.
    let o = run_sh(
        tmp.path(),
        &path,
        &[],
        &[
            "CVE-2025-64756",
            "--image-repo",
            "ghcr.io/acme/hello-express",
            "--trivy-json",
            rs,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // fixed: no justification added (the old script added one to every status).
    let o = run_sh(
        tmp.path(),
        &path,
        &[],
        &[
            "CVE-2024-11111",
            "--image-repo",
            "ghcr.io/acme/hello-express",
            "--trivy-json",
            rs,
            "--status=fixed",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let d: Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("vex.openvex.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(d["statements"][0]["status"], "not_affected");
    assert_eq!(
        d["statements"][0]["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    assert_eq!(d["statements"][1]["status"], "fixed");
    assert!(d["statements"][1].get("justification").is_none());
    assert_eq!(d["version"], 2);
}

#[test]
fn exit_codes_pass_through() {
    let tmp = tempfile::tempdir().unwrap();
    let path = path_with_vexgate(tmp.path());
    let r = report();
    let rs = r.to_str().unwrap();
    let o = run_sh(
        tmp.path(),
        &path,
        &[],
        &[
            "CVE-2025-64756",
            "--image-repo",
            "ghcr.io/a/b",
            "--trivy-json",
            rs,
            "--status",
            "wontfix",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("is not an OpenVEX status"),
        "{}",
        text(&o)
    );
    let o = run_sh(
        tmp.path(),
        &path,
        &[],
        &[
            "CVE-1999-0001",
            "--image-repo",
            "ghcr.io/a/b",
            "--trivy-json",
            rs,
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!tmp.path().join("vex.openvex.json").exists());
    let o = run_sh(tmp.path(), &path, &[], &["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        text(&o).contains("Usage: ./create_vex.sh CVE-ID"),
        "{}",
        text(&o)
    );
    let o = run_sh(tmp.path(), &path, &[], &[]);
    assert_eq!(o.status.code(), Some(2));
}

/// Without vexgate on PATH the script builds it with cargo and runs
/// $CARGO_TARGET_DIR/release/vexgate. A stand-in `cargo` records its arguments and
/// "builds" by linking the test binary into place.
#[test]
fn builds_vexgate_when_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let target = tmp.path().join("tgt");
    let log = tmp.path().join("cargo.log");
    let cargo = bin.join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\necho \"$PWD $*\" > '{log}'\nmkdir -p \"$CARGO_TARGET_DIR/release\"\nln -sf '{exe}' \"$CARGO_TARGET_DIR/release/vexgate\"\n",
            log = log.display(),
            exe = env!("CARGO_BIN_EXE_vexgate"),
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = report();
    let o = run_sh(
        tmp.path(),
        &format!("{}:/usr/bin:/bin", bin.display()),
        &[("CARGO_TARGET_DIR", target.to_str().unwrap())],
        &[
            "CVE-2025-64756",
            "--image-repo",
            "ghcr.io/acme/hello-express",
            "--trivy-json",
            r.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let logged = std::fs::read_to_string(&log).unwrap();
    let repo = root().canonicalize().unwrap();
    assert_eq!(
        logged.trim(),
        format!("{} build --quiet --release -p vexgate", repo.display())
    );
    assert!(tmp.path().join("vex.openvex.json").exists());
}

#[test]
fn shellcheck_clean() {
    let sc = root().join(".venv/bin/shellcheck");
    if !sc.exists() {
        assert!(
            std::env::var("VEXGATE_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "shellcheck missing and VEXGATE_REQUIRE_TOOLS=1"
        );
        eprintln!(
            "skipping: {} not found (scripts/setup-tools.sh)",
            sc.display()
        );
        return;
    }
    let o = Command::new(sc)
        .args(["--shell=sh", "--severity=style"])
        .arg(script())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
}
