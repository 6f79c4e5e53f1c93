//! `vexgate vex list` and `vex audit` on real Trivy 0.76 reports (testdata/oracle: the
//! Debian 12 test image scanned from a local registry, with RepoDigests, and from a tar,
//! without).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::text;

use serde_json::Value;

fn oracle(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/oracle/scan/unfiltered")
        .join(p)
}

/// The repository of the registry scan's RepoDigests[0] (the port changes per regen).
fn registry_repo() -> String {
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(oracle("image-registry.json")).unwrap())
            .unwrap();
    let d = r["Metadata"]["RepoDigests"][0].as_str().unwrap();
    d.split('@').next().unwrap().to_string()
}

fn vexgate(epoch: i64, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vexgate"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", epoch.to_string())
        .env_remove("VEXGATE_IMAGE_REPO")
        .output()
        .unwrap()
}

const T0: i64 = 1_735_689_600; // 2025-01-01T00:00:00Z
const DAY: i64 = 86_400;

/// CVE-2023-4641 (login and passwd, epoch 1) on the registry image, plus a statement for a
/// CVE the image does not have.
fn doc(dir: &Path) -> PathBuf {
    let out = dir.join("vex.json");
    let repo = registry_repo();
    let reg = oracle("image-registry.json");
    let o = vexgate(
        T0,
        &[
            "vex",
            "add",
            "CVE-2023-4641",
            "--image-repo",
            &repo,
            "--trivy-json",
            reg.to_str().unwrap(),
            "--status",
            "not_affected",
            "--justification",
            "vulnerable_code_not_in_execute_path",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = vexgate(
        T0 + 100 * DAY,
        &[
            "vex",
            "add",
            "CVE-2000-0001",
            "--product",
            "pkg:deb/debian/nothere",
            "--status",
            "fixed",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    out
}

#[test]
fn list_shows_every_statement() {
    let tmp = tempfile::tempdir().unwrap();
    let f = doc(tmp.path());
    let o = vexgate(T0 + 200 * DAY, &["vex", "list", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    for want in [
        "version 2, 2 statement(s)",
        "Vulnerability",
        "Effective timestamp",
        "CVE-2023-4641",
        "not_affected",
        "vulnerable_code_not_in_execute_path",
        "oci/deb12 (",
        "└ deb/debian/login@4.13+dfsg1-1+deb12u",
        "deb/debian/nothere",
        "2025-01-01T00:00:00Z",
        "200d",
        "100d",
    ] {
        assert!(out.contains(want), "{want:?} not in\n{out}");
    }
}

#[test]
fn audit_stale_and_review() {
    let tmp = tempfile::tempdir().unwrap();
    let f = doc(tmp.path());
    let reg = oracle("image-registry.json");
    let fs = f.to_str().unwrap();
    // 150 days after T0: statement 0 is 150 days old (< 180), statement 1 is 50.
    let o = vexgate(
        T0 + 150 * DAY,
        &["vex", "audit", fs, "--report", reg.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("stale statement 1: CVE-2000-0001"), "{out}");
    assert!(!out.contains("stale statement 0"), "{out}");
    assert!(!out.contains("review"), "{out}");
    assert!(out.contains("1 finding(s) in 2 statement(s)"), "{out}");
    // --strict: anything found is exit 1.
    let o = vexgate(
        T0 + 150 * DAY,
        &[
            "vex",
            "audit",
            fs,
            "--report",
            reg.to_str().unwrap(),
            "--strict",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // --max-age 30d: both are due.
    let o = vexgate(
        T0 + 150 * DAY,
        &[
            "vex",
            "audit",
            fs,
            "--report",
            reg.to_str().unwrap(),
            "--max-age",
            "30d",
        ],
    );
    let out = text(&o);
    assert!(out.contains("review statement 0: CVE-2023-4641 (not_affected) dates from 2025-01-01T00:00:00Z (150d old)"), "{out}");
    assert!(out.contains("review statement 1"), "{out}");
    // Default 180 days.
    let o = vexgate(
        T0 + 181 * DAY,
        &["vex", "audit", fs, "--report", reg.to_str().unwrap()],
    );
    assert!(text(&o).contains("review statement 0"), "{}", text(&o));
    assert!(!text(&o).contains("review statement 1"), "{}", text(&o));
}

/// The tar scan has no RepoDigests: Trivy builds no image PURL, so the image-scoped
/// statement matches nothing there, unless the gate's --image-repo identity is given.
#[test]
fn audit_tar_scan_needs_the_image_repo() {
    let tmp = tempfile::tempdir().unwrap();
    let f = doc(tmp.path());
    let tar = oracle("image-tar.json");
    let args = [
        "vex",
        "audit",
        f.to_str().unwrap(),
        "--report",
        tar.to_str().unwrap(),
    ];
    let o = vexgate(T0, &args);
    assert!(text(&o).contains("stale statement 0"), "{}", text(&o));
    // The audit says why: the tar report has no image identity.
    assert!(text(&o).contains("pass --image-repo"), "{}", text(&o));
    let repo = registry_repo();
    let mut with = args.to_vec();
    with.extend(["--image-repo", &repo]);
    let o = vexgate(T0, &with);
    assert!(!text(&o).contains("stale statement 0"), "{}", text(&o));
}

/// A statement for an older package version: the finding is uncovered, the audit says so.
#[test]
fn audit_other_version() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("vex.json");
    let o = vexgate(
        T0,
        &[
            "vex",
            "add",
            "CVE-2023-4641",
            "--product",
            "pkg:deb/debian/login@4.13%2Bdfsg1-1%2Bdeb12u1?epoch=1",
            "--status",
            "not_affected",
            "--justification",
            "vulnerable_code_not_present",
            "--out",
            f.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let reg = oracle("image-registry.json");
    let o = vexgate(
        T0,
        &[
            "vex",
            "audit",
            f.to_str().unwrap(),
            "--report",
            reg.to_str().unwrap(),
        ],
    );
    let out = text(&o);
    assert!(
        out.contains("other-version statement 0: CVE-2023-4641 pkg:deb/debian/login@4.13%2Bdfsg1-1%2Bdeb12u2?arch=amd64&distro=debian-12.11&epoch=1"),
        "{out}"
    );
    assert!(out.contains("names version 4.13+dfsg1-1+deb12u1"), "{out}");
    assert!(out.contains("stale statement 0"), "{out}");
}

/// go-vex sorts by vulnerability name first: a statement named DLA-… (alias CVE-2023-4641)
/// sorts after CVE-2023-4641 whatever its timestamp, so Trivy acts on the older `affected`
/// statement while the spec's latest is the newer `not_affected` one.
#[test]
fn audit_order_disagreement() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("vex.json");
    let doc = serde_json::json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "urn:uuid:00000000-0000-4000-8000-000000000000",
        "author": "test", "timestamp": "2025-01-01T00:00:00Z", "version": 2,
        "statements": [
            {"vulnerability": {"name": "DLA-3650-1", "aliases": ["CVE-2023-4641"]},
             "timestamp": "2025-01-01T00:00:00Z",
             "products": [{"@id": "pkg:deb/debian/login"}],
             "status": "affected", "action_statement": "upgrade"},
            {"vulnerability": {"name": "CVE-2023-4641"},
             "timestamp": "2025-02-01T00:00:00Z",
             "products": [{"@id": "pkg:deb/debian/login"}],
             "status": "not_affected", "justification": "vulnerable_code_not_present"}
        ]
    });
    std::fs::write(&f, doc.to_string()).unwrap();
    let reg = oracle("image-registry.json");
    let o = vexgate(
        T0 + 40 * DAY,
        &[
            "vex",
            "audit",
            f.to_str().unwrap(),
            "--report",
            reg.to_str().unwrap(),
        ],
    );
    let out = text(&o);
    assert!(
        out.contains("order statement 0: CVE-2023-4641 pkg:deb/debian/login@"),
        "{out}"
    );
    assert!(out.contains("act on statement 0 (affected)"), "{out}");
    assert!(out.contains("statement 1 (not_affected)"), "{out}");
}

#[test]
fn bad_input_is_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let f = doc(tmp.path());
    let missing = tmp.path().join("missing.json");
    for args in [
        vec!["vex", "list", missing.to_str().unwrap()],
        vec![
            "vex",
            "audit",
            missing.to_str().unwrap(),
            "--report",
            oracle("image-tar.json").to_str().unwrap(),
        ],
        vec![
            "vex",
            "audit",
            f.to_str().unwrap(),
            "--report",
            missing.to_str().unwrap(),
        ],
        vec![
            "vex",
            "audit",
            f.to_str().unwrap(),
            "--report",
            oracle("image-tar.json").to_str().unwrap(),
            "--max-age",
            "6 months",
        ],
    ] {
        let o = vexgate(T0, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert_eq!(
            String::from_utf8_lossy(&o.stderr)
                .trim_end()
                .lines()
                .count(),
            1,
            "{}",
            text(&o)
        );
    }
}

/// `vex validate`, `vex list` and `vex audit` reading an endless device (as the document or
/// as a report): exit 2 with one line naming it, after at most the cap, never until memory
/// runs out.
#[test]
fn endless_devices_are_refused_by_every_vex_reader() {
    let report = oracle("npm.json");
    let report = report.to_str().unwrap();
    let vex = oracle("../../vex/priority-first.openvex.json");
    let vex = vex.to_str().unwrap();
    for args in [
        vec!["vex", "validate", "/dev/zero"],
        vec!["vex", "list", "/dev/zero"],
        vec!["vex", "audit", "/dev/zero", "--report", report],
        vec!["vex", "audit", vex, "--report", "/dev/zero"],
        vec!["vex", "audit", vex, "--report", "/dev/urandom"],
    ] {
        let o = vexgate(0, &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("vexgate: error: /dev/zero: ")
                || err.starts_with("vexgate: error: /dev/urandom: "),
            "{args:?}: {err}"
        );
    }
}
