//! scripts/verify-image.sh: usage errors, the exact cosign/gh calls, and how it treats
//! a missing or failing OpenVEX attestation. cosign and gh are replaced by stubs on
//! PATH that log their arguments and answer as told.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn image() -> String {
    format!("ghcr.io/acme/secure-docker-images@{DIGEST}")
}

/// Runs the script with a PATH holding stub `cosign` and `gh` that append their argv to
/// `calls.log`. `vex` is what `cosign verify-attestation` does: (exit code, stderr).
fn run(args: &[&str], vex: (i32, &str)) -> (Output, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("calls.log");
    let stub = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(
            &p,
            format!(
                "#!/bin/sh\necho \"{name} $*\" >> '{}'\n{body}\n",
                log.display()
            ),
        )
        .expect("write stub");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    };
    stub(
        "cosign",
        &format!(
            "if [ \"$1\" = verify-attestation ]; then echo '{}' >&2; exit {}; fi\nexit 0",
            vex.1, vex.0
        ),
    );
    stub("gh", "exit 0");
    let path = format!("{}:/usr/bin:/bin", dir.path().display());
    let out = Command::new("bash")
        .arg(root().join("scripts/verify-image.sh"))
        .args(args)
        .env("PATH", path)
        .output()
        .expect("run bash");
    let calls = std::fs::read_to_string(Path::new(&log)).unwrap_or_default();
    (out, calls)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_exits_zero_with_usage() {
    let (out, calls) = run(&["--help"], (0, ""));
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("usage: scripts/verify-image.sh"));
    assert!(
        calls.is_empty(),
        "--help must not call cosign or gh: {calls}"
    );
}

#[test]
fn bad_usage_exits_two_with_one_line() {
    for args in [
        vec![],
        vec!["ghcr.io/acme/app:latest"],
        vec!["ghcr.io/Acme/App@sha256:0123"],
        vec!["--bogus", "x"],
        vec![
            "--repo",
            "not a repo",
            "ghcr.io/acme/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ],
    ] {
        let (out, calls) = run(&args, (0, ""));
        assert_eq!(
            out.status.code(),
            Some(2),
            "args {args:?}: {}",
            stderr(&out)
        );
        assert!(
            calls.is_empty(),
            "args {args:?} must not call cosign/gh: {calls}"
        );
    }
    let (out, _) = run(
        &[
            "docker.io/acme/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ],
        (0, ""),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pass --repo"), "{}", stderr(&out));
}

#[test]
fn verifies_signature_provenance_and_vex_of_cd_yml() {
    let img = image();
    let (out, calls) = run(&[&img], (0, ""));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<_> = calls.lines().collect();
    assert_eq!(lines.len(), 3, "{calls}");
    let identity = r"(?i)^https://github\.com/acme/secure-docker-images/\.github/workflows/cd\.yml@refs/(heads/main|tags/v[0-9]+\.[0-9]+\.[0-9]+.*)$";
    let issuer = "https://token.actions.githubusercontent.com";
    assert_eq!(
        lines[0],
        format!(
            "cosign verify --certificate-identity-regexp {identity} --certificate-oidc-issuer {issuer} {img}"
        )
    );
    assert_eq!(
        lines[1],
        format!(
            "gh attestation verify oci://{img} --repo acme/secure-docker-images --signer-workflow acme/secure-docker-images/.github/workflows/cd.yml"
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "cosign verify-attestation --type openvex --certificate-identity-regexp {identity} --certificate-oidc-issuer {issuer} {img}"
        )
    );
    // The identity names the workflow that signs: it must exist and sign.
    let cd = std::fs::read_to_string(root().join(".github/workflows/cd.yml")).expect("cd.yml");
    assert!(
        cd.contains("cosign sign --yes"),
        "cd.yml no longer signs: update verify-image.sh"
    );
}

#[test]
fn missing_vex_attestation_is_fine_unless_required() {
    let img = image();
    let none = (
        1,
        "Error: no matching attestations: none of the attestations matched the predicate type",
    );
    let (out, _) = run(&[&img], none);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no OpenVEX attestation attached"));
    let (out, _) = run(&["--require-vex", &img], none);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no valid OpenVEX attestation"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_vex_attestation_that_does_not_verify_fails() {
    let img = image();
    let (out, _) = run(
        &[&img],
        (1, "Error: none of the expected identities matched"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("did not verify"), "{}", stderr(&out));
}

#[test]
fn repo_override_and_dry_run() {
    let img = image();
    let (out, calls) = run(&["--dry-run", "--repo", "Other/Repo.x", &img], (0, ""));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        calls.is_empty(),
        "--dry-run must not call anything: {calls}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "--repo Other/Repo.x --signer-workflow Other/Repo.x/.github/workflows/cd.yml"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(r"Other/Repo\\.x/"),
        "dots must be escaped in the identity regexp: {stdout}"
    );
    assert!(stdout.contains("dry run, nothing verified"), "{stdout}");
}
