//! scripts/verify-image.sh: usage errors, the exact cosign/gh calls, the cosign 3
//! requirement, the provenance's caller check, the SBOM and how it treats a missing or
//! failing OpenVEX attestation. cosign and gh are replaced by stubs on PATH that log their
//! arguments and answer as told.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::root;

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn image() -> String {
    format!("ghcr.io/acme/secure-docker-images@{DIGEST}")
}

/// What the stubs answer.
struct Answers {
    /// `cosign version` output.
    cosign_version: &'static str,
    /// `gh attestation verify ... --format json` output.
    provenance: String,
    /// `cosign verify-attestation --type cyclonedx`: exit code.
    sbom: i32,
    /// `cosign verify-attestation --type openvex`: (exit code, stderr).
    vex: (i32, &'static str),
}

fn provenance(path: &str) -> String {
    format!(
        r#"[{{"verificationResult":{{"statement":{{"predicateType":"https://slsa.dev/provenance/v1","predicate":{{"buildDefinition":{{"externalParameters":{{"workflow":{{"path":"{path}","ref":"refs/heads/main","repository":"https://github.com/acme/secure-docker-images"}}}}}}}}}}}}}}]"#
    )
}

impl Default for Answers {
    fn default() -> Self {
        Answers {
            cosign_version: "GitVersion:    v3.0.6\nGitCommit:     abc",
            provenance: provenance(".github/workflows/cd.yml"),
            sbom: 0,
            vex: (0, ""),
        }
    }
}

fn have_jq() -> bool {
    Command::new("sh")
        .args(["-c", "command -v jq"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the script with a PATH holding stub `cosign` and `gh` (and the real jq) that
/// append their argv to `calls.log`.
fn run(args: &[&str], a: &Answers) -> (Output, String) {
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
    std::fs::write(dir.path().join("provenance.json"), &a.provenance).expect("provenance");
    stub(
        "cosign",
        &format!(
            "case \"$1 $3\" in\n\
             'version '*) printf '%s\\n' '{}' ;;\n\
             'verify-attestation cyclonedx') exit {} ;;\n\
             'verify-attestation openvex') echo '{}' >&2; exit {} ;;\n\
             esac\nexit 0",
            a.cosign_version, a.sbom, a.vex.1, a.vex.0
        ),
    );
    stub(
        "gh",
        &format!("cat '{}'", dir.path().join("provenance.json").display()),
    );
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
    let (out, calls) = run(&["--help"], &Answers::default());
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
        let (out, calls) = run(&args, &Answers::default());
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
        &Answers::default(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pass --repo"), "{}", stderr(&out));
}

#[test]
fn verifies_signature_provenance_sbom_and_vex_of_the_pipeline() {
    if !have_jq() {
        return;
    }
    let img = image();
    let (out, calls) = run(&[&img], &Answers::default());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<_> = calls.lines().collect();
    assert_eq!(lines.len(), 5, "{calls}");
    // The signer: pipeline.yml (the reusable workflow the signing job runs in) on main or
    // a v* tag; only cd.yml calls it on those refs.
    let identity = r"(?i)^https://github\.com/acme/secure-docker-images/\.github/workflows/pipeline\.yml@refs/(heads/main|tags/v[0-9]+\.[0-9]+\.[0-9]+.*)$";
    let issuer = "https://token.actions.githubusercontent.com";
    assert_eq!(lines[0], "cosign version");
    assert_eq!(
        lines[1],
        format!(
            "cosign verify --certificate-identity-regexp {identity} --certificate-oidc-issuer {issuer} {img}"
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "gh attestation verify oci://{img} --repo acme/secure-docker-images --signer-workflow acme/secure-docker-images/.github/workflows/pipeline.yml --predicate-type https://slsa.dev/provenance/v1 --format json"
        )
    );
    assert_eq!(
        lines[3],
        format!(
            "cosign verify-attestation --type cyclonedx --certificate-identity-regexp {identity} --certificate-oidc-issuer {issuer} {img}"
        )
    );
    assert_eq!(
        lines[4],
        format!(
            "cosign verify-attestation --type openvex --certificate-identity-regexp {identity} --certificate-oidc-issuer {issuer} {img}"
        )
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("built by .github/workflows/cd.yml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("CycloneDX SBOM attestation verified"),
        "{stdout}"
    );
    // The identity names the workflow that signs and attests: it must exist and do so.
    let p = std::fs::read_to_string(root().join(".github/workflows/pipeline.yml"))
        .expect("pipeline.yml");
    assert!(
        p.contains("cosign sign --yes") && p.contains("sbom-path:"),
        "pipeline.yml no longer signs or attests the SBOM: update verify-image.sh"
    );
}

#[test]
fn cosign_2_is_refused() {
    let img = image();
    for version in ["GitVersion:    v2.5.3", "GitVersion:    devel", ""] {
        let a = Answers {
            cosign_version: version,
            ..Answers::default()
        };
        let (out, calls) = run(&[&img], &a);
        assert_eq!(out.status.code(), Some(2), "{version:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("cosign 3 or newer is required"),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            calls.trim(),
            "cosign version",
            "nothing verified with {version:?}"
        );
    }
}

#[test]
fn provenance_from_another_workflow_fails() {
    if !have_jq() {
        return;
    }
    let img = image();
    for prov in [
        provenance(".github/workflows/ci.yml"),
        "[]".to_string(),
        format!(
            "[{},{}]",
            &provenance(".github/workflows/cd.yml")
                [1..provenance(".github/workflows/cd.yml").len() - 1],
            &provenance(".github/workflows/nightly.yml")
                [1..provenance(".github/workflows/nightly.yml").len() - 1]
        ),
    ] {
        let a = Answers {
            provenance: prov.clone(),
            ..Answers::default()
        };
        let (out, _) = run(&[&img], &a);
        assert_eq!(out.status.code(), Some(1), "{prov}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("does not name .github/workflows/cd.yml"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_missing_sbom_attestation_fails() {
    if !have_jq() {
        return;
    }
    let a = Answers {
        sbom: 1,
        ..Answers::default()
    };
    let (out, _) = run(&[&image()], &a);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no valid CycloneDX SBOM attestation"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn missing_vex_attestation_is_fine_unless_required() {
    if !have_jq() {
        return;
    }
    let img = image();
    let none = Answers {
        vex: (
            1,
            "Error: no matching attestations: none of the attestations matched the predicate type",
        ),
        ..Answers::default()
    };
    let (out, _) = run(&[&img], &none);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no OpenVEX attestation attached"));
    let (out, _) = run(&["--require-vex", &img], &none);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no valid OpenVEX attestation"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_vex_attestation_that_does_not_verify_fails() {
    if !have_jq() {
        return;
    }
    let a = Answers {
        vex: (1, "Error: none of the expected identities matched"),
        ..Answers::default()
    };
    let (out, _) = run(&[&image()], &a);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("did not verify"), "{}", stderr(&out));
}

#[test]
fn repo_override_and_dry_run() {
    let img = image();
    let (out, calls) = run(
        &["--dry-run", "--repo", "Other/Repo.x", &img],
        &Answers::default(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        calls.is_empty(),
        "--dry-run must not call anything: {calls}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "--repo Other/Repo.x --signer-workflow Other/Repo.x/.github/workflows/pipeline.yml"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(r"Other/Repo\\.x/"),
        "dots must be escaped in the identity regexp: {stdout}"
    );
    assert!(stdout.contains("dry run, nothing verified"), "{stdout}");
}
