//! The shell the workflows run, executed here the way a runner does
//! (`bash --noprofile --norc -eo pipefail`), with stubs on PATH for docker, vexgate and
//! gh that log their arguments. The scripts are read from the workflow YAML and
//! .github/scripts, so these tests follow any edit. install-trivy.sh runs on the real
//! Trivy binary of the test suite.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common;
use crate::common::{Repo, run as step_run};

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let s = Sandbox {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::create_dir_all(s.bin()).expect("bin dir");
        s
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn bin(&self) -> PathBuf {
        self.path().join("bin")
    }
    fn log(&self) -> PathBuf {
        self.path().join("calls.log")
    }
    /// A stub command that logs `name arg1 arg2 ...` (one line, args separated by `|`)
    /// and then runs `body`.
    fn stub(&self, name: &str, body: &str) {
        let p = self.bin().join(name);
        let script = format!(
            "#!/usr/bin/env bash\n(IFS='|'; echo \"{name}|$*\") >> '{}'\n{body}\n",
            self.log().display()
        );
        std::fs::write(&p, script).expect("write stub");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    fn calls(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(self.log())
            .unwrap_or_default()
            .lines()
            .map(|l| l.split('|').map(str::to_owned).collect())
            .collect()
    }
    /// Runs `script` as a GitHub Actions bash step would, in `cwd`, with `env`.
    fn bash(&self, script: &str, cwd: &Path, env: &[(&str, String)]) -> Output {
        let file = self.path().join("step.sh");
        std::fs::write(&file, script).expect("write step");
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&file)
            .current_dir(cwd)
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin().display()));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run bash")
    }
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("VEXGATE_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{tool} is required (VEXGATE_REQUIRE_TOOLS=1) but not on PATH"
        );
        eprintln!("skipped: {tool} is not installed (scripts/setup-tools.sh installs it)");
    }
    found
}

// --- pipeline.yml merge: imagetools create -----------------------------------------------

const META: &str = r#"{"tags":["ghcr.io/acme/app:1.2.3","ghcr.io/acme/app:1.2"],"labels":{},"annotations":["index:org.opencontainers.image.description=Hello, world","index:org.opencontainers.image.version=1.2.3"]}"#;
const INDEX: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/// The merge step's script; its EXPECTED_PLATFORMS is the plan's list (checked in
/// workflows.rs), here the two platforms ci.yml and cd.yml plan.
fn merge_step(repo: &Repo) -> (String, String) {
    let step = repo
        .pipeline
        .step_id("merge", "merge")
        .unwrap_or_else(|e| panic!("{e}"));
    (
        step_run(step).expect("merge step run").to_owned(),
        "linux/amd64 linux/arm64".to_string(),
    )
}

fn run_merge(digests: &[(&str, &str)]) -> (Sandbox, Output, String) {
    let (script, expected) = merge_step(&Repo::load());
    let sb = Sandbox::new();
    // docker buildx imagetools create --metadata-file F ...: write the index descriptor.
    sb.stub(
        "docker",
        &format!(
            r#"if [ "$2" = imagetools ] && [ "$3" = create ]; then
  printf '{{"containerimage.descriptor":{{"digest":"{INDEX}"}}}}' > "$5"
fi"#
        ),
    );
    let tmp = sb.path().join("runner-temp");
    std::fs::create_dir_all(tmp.join("digests")).expect("digests dir");
    for (pair, digest) in digests {
        std::fs::write(tmp.join("digests").join(pair), format!("{digest}\n")).expect("digest");
    }
    let out_file = sb.path().join("github-output");
    let out = sb.bash(
        &script,
        sb.path(),
        &[
            ("IMAGE", "ghcr.io/acme/app".into()),
            ("RUNNER_TEMP", tmp.display().to_string()),
            ("GITHUB_OUTPUT", out_file.display().to_string()),
            ("DOCKER_METADATA_OUTPUT_JSON", META.into()),
            ("EXPECTED_PLATFORMS", expected),
        ],
    );
    let output = std::fs::read_to_string(out_file).unwrap_or_default();
    (sb, out, output)
}

#[test]
fn merge_tags_and_annotates_the_index_of_all_platform_digests() {
    if !have("jq") {
        return;
    }
    let amd = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let arm = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    let (sb, out, gh_output) = run_merge(&[("linux-amd64", amd), ("linux-arm64", arm)]);
    assert!(out.status.success(), "{}", text(&out));
    let calls = sb.calls();
    let create = calls
        .iter()
        .find(|c| c.get(2).map(String::as_str) == Some("imagetools") && c[3] == "create")
        .unwrap_or_else(|| panic!("no imagetools create call: {calls:?}"));
    let tmp = sb.path().join("runner-temp");
    let want: Vec<String> = [
        "docker",
        "buildx",
        "imagetools",
        "create",
        "--metadata-file",
        &format!("{}/merge.json", tmp.display()),
        "--tag",
        "ghcr.io/acme/app:1.2.3",
        "--tag",
        "ghcr.io/acme/app:1.2",
        "--annotation",
        "index:org.opencontainers.image.description=Hello, world",
        "--annotation",
        "index:org.opencontainers.image.version=1.2.3",
        &format!("ghcr.io/acme/app@{amd}"),
        &format!("ghcr.io/acme/app@{arm}"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(create, &want);
    // The digest comes from the metadata file, and is what attest/sign use.
    assert_eq!(gh_output.trim(), format!("digest={INDEX}"));
    assert!(
        calls
            .iter()
            .any(|c| c[..4] == ["docker", "buildx", "imagetools", "inspect"]
                && c[4] == format!("ghcr.io/acme/app@{INDEX}")),
        "{calls:?}"
    );
}

#[test]
fn merge_refuses_when_a_platform_digest_is_missing() {
    if !have("jq") {
        return;
    }
    let amd = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let (sb, out, gh_output) = run_merge(&[("linux-amd64", amd)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("merge: no digest for linux/arm64"));
    assert!(
        sb.calls().is_empty(),
        "nothing may be tagged: {:?}",
        sb.calls()
    );
    assert!(gh_output.is_empty());
}

// --- .github/scripts/gate-reports.sh -----------------------------------------------------

fn gate_reports(reports: &[&str], vexgate_body: &str, extra: &[&str]) -> (Sandbox, Output) {
    gate_reports_env(reports, vexgate_body, extra, &[])
}

fn gate_reports_env(
    reports: &[&str],
    vexgate_body: &str,
    extra: &[&str],
    env: &[(&str, String)],
) -> (Sandbox, Output) {
    let sb = Sandbox::new();
    sb.stub("vexgate", vexgate_body);
    let dir = sb.path().join("reports");
    std::fs::create_dir_all(&dir).expect("reports dir");
    for r in reports {
        std::fs::write(dir.join(r), "{}").expect("report");
    }
    let script = common::root().join(".github/scripts/gate-reports.sh");
    let mut cmd = vec![
        "bash".to_string(),
        script.display().to_string(),
        dir.display().to_string(),
        "out".into(),
    ];
    cmd.extend(extra.iter().map(|s| s.to_string()));
    let quoted: Vec<String> = cmd.iter().map(|a| format!("'{a}'")).collect();
    let out = sb.bash(&quoted.join(" "), sb.path(), env);
    (sb, out)
}

#[test]
fn gate_reports_gates_each_platform_then_all_together() {
    let policy = [
        "--severity",
        "HIGH,CRITICAL",
        "--ignore-unfixed",
        "--image-repo",
        "ghcr.io/acme/app",
    ];
    let (sb, out) = gate_reports(
        &["trivy-linux-amd64.json", "trivy-linux-arm64.json"],
        "exit 0",
        &policy,
    );
    assert!(out.status.success(), "{}", text(&out));
    let dir = sb.path().join("reports").display().to_string();
    let calls = sb.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    for (call, pair) in calls.iter().zip(["linux-amd64", "linux-arm64"]) {
        let report = format!("{dir}/trivy-{pair}.json");
        let mut want = vec!["vexgate".to_string(), "gate".into()];
        want.extend(policy.iter().map(|s| s.to_string()));
        want.extend([
            "--report-platform".into(),
            format!("{report}={}", pair.replacen('-', "/", 1)),
            "--sarif".into(),
            format!("out/sarif/{pair}.sarif"),
            report,
        ]);
        assert_eq!(call, &want);
    }
    let mut want = vec!["vexgate".to_string(), "gate".into()];
    want.extend(policy.iter().map(|s| s.to_string()));
    for pair in ["linux-amd64", "linux-arm64"] {
        want.push("--report-platform".into());
        want.push(format!(
            "{dir}/trivy-{pair}.json={}",
            pair.replacen('-', "/", 1)
        ));
    }
    want.extend(["--summary-md".into(), "out/summary.md".into()]);
    want.extend(["linux-amd64", "linux-arm64"].map(|p| format!("{dir}/trivy-{p}.json")));
    assert_eq!(calls[2], want);
}

#[test]
fn gate_reports_exit_status_is_the_combined_verdict() {
    // Blocked (1) on a leg: still gate everything, and report 1.
    let (sb, out) = gate_reports(&["trivy-linux-amd64.json"], "exit 1", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(sb.calls().len(), 2);
    // Bad input (2): stop at once.
    let (sb, out) = gate_reports(
        &["trivy-linux-amd64.json", "trivy-linux-arm64.json"],
        "exit 2",
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(sb.calls().len(), 1, "{:?}", sb.calls());
    // No report at all: bad input, vexgate never called.
    let (sb, out) = gate_reports(&["other.json"], "exit 0", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no trivy-<os>-<arch>.json"));
    assert!(sb.calls().is_empty());
}

/// A build leg that failed leaves no build record and no report: the report job names it
/// ("build failed for linux/arm64"), still gates and summarises the platform that built,
/// and fails; a platform that built but has no report is a failed scan.
#[test]
fn gate_reports_names_a_failed_build_leg() {
    let sb_built = tempfile::tempdir().expect("tempdir");
    std::fs::write(sb_built.path().join("linux-amd64"), "sha256:aa\n").expect("record");
    let env = [
        ("EXPECT_PLATFORMS", "linux/amd64 linux/arm64".to_string()),
        ("BUILT_DIR", sb_built.path().display().to_string()),
    ];
    // Blocked or not, the missing platform makes the verdict 1, after gating the rest. The
    // combined gate (only it) runs vexgate's platform check with the expected platforms.
    let (sb, out) = gate_reports_env(
        &["trivy-linux-amd64.json"],
        "echo \"${VEXGATE_EXPECT_PLATFORMS-unset}\" >> \"$(dirname \"$0\")/../expect.log\"",
        &[],
        &env,
    );
    let expect_log = std::fs::read_to_string(sb.path().join("expect.log")).expect("expect log");
    assert_eq!(expect_log, "unset\nlinux/amd64,linux/arm64\n");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("gate-reports: build failed for linux/arm64 (no trivy-linux-arm64.json)"),
        "{stderr}"
    );
    assert!(!stderr.contains("no trivy-<os>-<arch>.json"), "{stderr}");
    let calls = sb.calls();
    assert_eq!(calls.len(), 2, "amd64 alone, then combined: {calls:?}");
    let summary = std::fs::read_to_string(sb.path().join("out/summary.md")).expect("summary");
    assert!(
        summary.contains("**build failed for linux/arm64**"),
        "{summary}"
    );

    // The arm64 build record exists: its scan failed.
    std::fs::write(sb_built.path().join("linux-arm64"), "sha256:bb\n").expect("record");
    let (_, out) = gate_reports_env(&["trivy-linux-amd64.json"], "exit 0", &[], &env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("scan failed for linux/arm64"));

    // Nothing built at all: both named, exit 1 (not the bad-input 2), vexgate never called.
    let none = tempfile::tempdir().expect("tempdir");
    let env = [
        ("EXPECT_PLATFORMS", "linux/amd64 linux/arm64".to_string()),
        ("BUILT_DIR", none.path().display().to_string()),
    ];
    let (sb, out) = gate_reports_env(&[], "exit 0", &[], &env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("build failed for linux/amd64")
            && stderr.contains("build failed for linux/arm64"),
        "{stderr}"
    );
    assert!(sb.calls().is_empty());
    // A blocking verdict stays 1, bad input stays 2, with the missing platform named too.
    let (_, out) = gate_reports_env(&["trivy-linux-amd64.json"], "exit 1", &[], &env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

// --- .github/scripts/plan.sh ----------------------------------------------------------------

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const TWO: &str = r#"[{"platform": "linux/amd64", "runner": "ubuntu-24.04"}, {"platform": "linux/arm64", "runner": "ubuntu-24.04-arm"}]"#;

/// Runs plan.sh with the environment the plan job gives it, overridden by `env`; returns
/// the outputs (key -> value) and the process result.
fn plan(env: &[(&str, &str)]) -> (BTreeMap<String, String>, Output) {
    let sb = Sandbox::new();
    let out_file = sb.path().join("github-output");
    let mut vars: BTreeMap<&str, String> = [
        ("PUSH", "false"),
        ("EVENT_NAME", "pull_request"),
        ("REF", "refs/pull/7/merge"),
        ("DEFAULT_BRANCH", "main"),
        ("REPOSITORY", "Acme/App"),
        ("SHA", SHA),
        ("HEAD_REPOSITORY", "Acme/App"),
        ("PLATFORMS", TWO),
        ("CONTEXT", "."),
        ("DOCKERFILE", "Dockerfile"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    for (k, v) in env {
        vars.insert(k, v.to_string());
    }
    vars.insert("GITHUB_OUTPUT", out_file.display().to_string());
    let vars: Vec<(&str, String)> = vars.into_iter().collect();
    let script = common::root().join(".github/scripts/plan.sh");
    let out = sb.bash(&format!("bash '{}'", script.display()), sb.path(), &vars);
    let outputs = std::fs::read_to_string(&out_file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (outputs, out)
}

#[test]
fn plan_derives_the_matrix_image_and_trust() {
    if !have("jq") {
        return;
    }
    let (o, out) = plan(&[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(o["image"], "ghcr.io/acme/app");
    assert_eq!(o["platforms"], "linux/amd64 linux/arm64");
    let m: serde_json::Value = serde_json::from_str(&o["matrix"]).expect("matrix JSON");
    assert_eq!(
        m,
        serde_json::json!({"include": [
            {"platform": "linux/amd64", "pair": "linux-amd64", "runner": "ubuntu-24.04"},
            {"platform": "linux/arm64", "pair": "linux-arm64", "runner": "ubuntu-24.04-arm"},
        ]})
    );
    assert_eq!(o["trusted"], "true");
    assert_eq!(o["tooling-repository"], "Acme/App");
    assert_eq!(o["tooling-ref"], SHA);
    // A fork's pull request is not trusted (no comment, no SARIF).
    let (o, _) = plan(&[("HEAD_REPOSITORY", "mallory/App")]);
    assert_eq!(o["trusted"], "false");
}

/// Item 1: a publishing run uses the BuildKit cache only on the default branch (whose
/// entries only that branch writes); tags and other branches build cold; a pull request
/// cannot publish at all.
#[test]
fn plan_allows_the_cache_to_publishing_runs_on_the_default_branch_only() {
    if !have("jq") {
        return;
    }
    for (event, git_ref, want) in [
        ("push", "refs/heads/main", Some("true")),
        ("push", "refs/tags/v1.2.3", Some("false")),
        ("push", "refs/heads/feature", Some("false")),
        ("workflow_dispatch", "refs/heads/main", Some("true")),
        ("pull_request", "refs/pull/7/merge", None),
        ("pull_request_target", "refs/heads/main", None),
        ("issue_comment", "refs/heads/main", None),
    ] {
        let (o, out) = plan(&[("PUSH", "true"), ("EVENT_NAME", event), ("REF", git_ref)]);
        match want {
            Some(v) => {
                assert!(out.status.success(), "{event} {git_ref}: {}", text(&out));
                assert_eq!(o["use-cache"], v, "{event} {git_ref}");
            }
            None => {
                assert_eq!(
                    out.status.code(),
                    Some(2),
                    "{event} {git_ref}: {}",
                    text(&out)
                );
                assert!(String::from_utf8_lossy(&out.stderr).contains("push: true is refused"));
                assert!(o.is_empty(), "no output on refusal: {o:?}");
            }
        }
    }
    // Non-publishing runs read the default branch's cache and write their own scope.
    let (o, _) = plan(&[]);
    assert_eq!(o["use-cache"], "true");
    // No default branch known: no cache for a publishing run.
    let (o, _) = plan(&[
        ("PUSH", "true"),
        ("EVENT_NAME", "push"),
        ("REF", "refs/heads/main"),
        ("DEFAULT_BRANCH", ""),
    ]);
    assert_eq!(o["use-cache"], "false");
}

#[test]
fn plan_refuses_bad_inputs() {
    if !have("jq") {
        return;
    }
    for (env, msg) in [
        (vec![("PLATFORMS", "[]")], "non-empty JSON list"),
        (vec![("PLATFORMS", "not json")], "plan: "),
        (
            vec![(
                "PLATFORMS",
                r#"[{"platform": "linux/amd64", "runner": "a"}, {"platform": "linux/amd64", "runner": "b"}]"#,
            )],
            "listed twice",
        ),
        (
            vec![("PLATFORMS", r#"[{"platform": "linux/amd64"}]"#)],
            "is not a runner label",
        ),
        (
            vec![(
                "PLATFORMS",
                r#"[{"platform": "linux/amd64; rm -rf /", "runner": "a"}]"#,
            )],
            "is not os/arch",
        ),
        (
            vec![("IMAGE_NAME", "acme/App:latest")],
            "is not an OWNER/NAME path",
        ),
        (
            vec![("DOCKERFILE", "../../etc/passwd")],
            "must not contain . or .. segments",
        ),
        (vec![("CONTEXT", "/")], "relative path"),
        (
            vec![("TEST_SCRIPT", "scripts/t.sh; curl x")],
            "characters other than",
        ),
        (
            vec![("PIPELINE_REPOSITORY", "acme/pipeline")],
            "full commit SHA",
        ),
        (
            vec![
                ("PIPELINE_REPOSITORY", "acme/pipeline"),
                ("PIPELINE_REF", "v1.2.3"),
            ],
            "full commit SHA",
        ),
        (vec![("SHA", "main")], "not a commit SHA"),
    ] {
        let (o, out) = plan(&env);
        assert_eq!(out.status.code(), Some(2), "{env:?}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(msg), "{env:?}: want {msg:?} in {stderr}");
        assert!(o.is_empty(), "{env:?}: no output on refusal");
    }
    // Another repository's caller names this one at a commit: accepted as given.
    let (o, out) = plan(&[
        ("PIPELINE_REPOSITORY", "acme/pipeline"),
        ("PIPELINE_REF", SHA),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(o["tooling-repository"], "acme/pipeline");
    assert_eq!(o["tooling-ref"], SHA);
}

// --- .github/scripts/install-trivy.sh (item 3) -----------------------------------------------

/// The test suite's Trivy: the same binary the script pins for x86_64.
fn real_trivy() -> Option<PathBuf> {
    let p = common::root().join(".venv/bin/trivy");
    if p.is_file() {
        return Some(p);
    }
    assert!(
        std::env::var("VEXGATE_REQUIRE_TOOLS").as_deref() != Ok("1"),
        "{} is required (VEXGATE_REQUIRE_TOOLS=1); run scripts/setup-tools.sh",
        p.display()
    );
    eprintln!(
        "skipped: {} is not installed (scripts/setup-tools.sh)",
        p.display()
    );
    None
}

/// A release-shaped tarball (`trivy` plus the files a release carries) holding `bin`.
fn tarball(dir: &Path, name: &str, bin: &[u8]) -> PathBuf {
    let stage = dir.join(format!("{name}.d"));
    std::fs::create_dir_all(&stage).expect("stage");
    std::fs::write(stage.join("trivy"), bin).expect("binary");
    std::fs::write(stage.join("LICENSE"), "Apache-2.0").expect("license");
    let tgz = dir.join(format!("{name}.tar.gz"));
    let ok = Command::new("tar")
        .arg("-czf")
        .arg(&tgz)
        .arg("-C")
        .arg(&stage)
        .args(["trivy", "LICENSE"])
        .status()
        .expect("tar");
    assert!(ok.success());
    tgz
}

fn install_trivy(tgz: &Path, dest: &Path, arch: &str) -> Output {
    Command::new("bash")
        .arg(common::root().join(".github/scripts/install-trivy.sh"))
        .arg("--tarball")
        .arg(tgz)
        .arg(dest)
        .env("INSTALL_TRIVY_ARCH", arch)
        .output()
        .expect("run install-trivy.sh")
}

#[test]
fn install_trivy_accepts_the_pinned_binary_and_it_runs() {
    let Some(trivy) = real_trivy() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let tgz = tarball(
        dir.path(),
        "ok",
        &std::fs::read(&trivy).expect("read trivy"),
    );
    let dest = dir.path().join("bin");
    let out = install_trivy(&tgz, &dest, "x86_64");
    assert!(out.status.success(), "{}", text(&out));
    let version = Command::new(dest.join("trivy"))
        .arg("--version")
        .output()
        .expect("run trivy");
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("Version: 0.76.0"));
}

#[test]
fn install_trivy_refuses_a_tampered_binary_and_installs_nothing() {
    let Some(trivy) = real_trivy() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = std::fs::read(&trivy).expect("read trivy");
    // One flipped byte in the middle of the executable.
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    let tgz = tarball(dir.path(), "tampered", &bytes);
    let dest = dir.path().join("bin");
    let out = install_trivy(&tgz, &dest, "x86_64");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("digest mismatch"),
        "{}",
        text(&out)
    );
    assert!(
        !dest.exists(),
        "nothing may be installed: {}",
        dest.display()
    );
}

#[test]
fn install_trivy_fails_closed() {
    let Some(trivy) = real_trivy() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let tgz = tarball(
        dir.path(),
        "ok",
        &std::fs::read(&trivy).expect("read trivy"),
    );
    // An architecture without a pinned digest is refused, even with a genuine binary.
    let out = install_trivy(&tgz, &dir.path().join("a"), "aarch64");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no pinned digest"));
    // Not a tarball, and a tarball whose `trivy` is a symlink to the genuine binary.
    std::fs::write(dir.path().join("junk.tar.gz"), "not gzip").expect("junk");
    let out = install_trivy(
        &dir.path().join("junk.tar.gz"),
        &dir.path().join("b"),
        "x86_64",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let link = dir.path().join("link.d");
    std::fs::create_dir_all(&link).expect("dir");
    std::os::unix::fs::symlink(&trivy, link.join("trivy")).expect("symlink");
    let ok = Command::new("tar")
        .arg("-czf")
        .arg(dir.path().join("link.tar.gz"))
        .arg("-C")
        .arg(&link)
        .arg("trivy")
        .status()
        .expect("tar");
    assert!(ok.success());
    let out = install_trivy(
        &dir.path().join("link.tar.gz"),
        &dir.path().join("c"),
        "x86_64",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a regular file"),
        "{}",
        text(&out)
    );
    for d in ["a", "b", "c"] {
        assert!(
            !dir.path().join(d).exists(),
            "{d}: nothing may be installed"
        );
    }
}

// --- .github/scripts/sticky-comment.sh ---------------------------------------------------

fn sticky(existing: &str, pr: &str, body: &str) -> (Sandbox, Output) {
    sticky_env(existing, pr, body, &[])
}

fn sticky_env(
    existing: &str,
    pr: &str,
    body: &str,
    extra_env: &[(&str, String)],
) -> (Sandbox, Output) {
    let sb = Sandbox::new();
    // `gh api --paginate .../comments --jq ...` prints the ids of our earlier comments.
    sb.stub(
        "gh",
        &format!(
            "if [ \"$2\" = --paginate ]; then printf '%s' '{existing}'; fi\n\
             for a in \"$@\"; do case \"$a\" in body=@*) cp \"${{a#body=@}}\" '{}';; esac; done",
            sb.path().join("sent.md").display()
        ),
    );
    let body_file = sb.path().join("summary.md");
    std::fs::write(&body_file, body).expect("body");
    let script = common::root().join(".github/scripts/sticky-comment.sh");
    let out = sb.bash(
        &format!(
            "bash '{}' '{pr}' '{}'",
            script.display(),
            body_file.display()
        ),
        sb.path(),
        &[&[("GITHUB_REPOSITORY", "acme/app".into())][..], extra_env].concat(),
    );
    (sb, out)
}

#[test]
fn sticky_comment_edits_the_earlier_comment() {
    let (sb, out) = sticky("101\n202\n", "7", "## vexgate: blocked\n");
    assert!(out.status.success(), "{}", text(&out));
    let calls = sb.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(
        calls[0][..4],
        [
            "gh",
            "api",
            "--paginate",
            "repos/acme/app/issues/7/comments"
        ]
    );
    assert_eq!(
        calls[1][..6],
        [
            "gh",
            "api",
            "--silent",
            "-X",
            "PATCH",
            "repos/acme/app/issues/comments/202"
        ]
    );
    let sent = std::fs::read_to_string(sb.path().join("sent.md")).expect("sent body");
    assert_eq!(sent, "<!-- vexgate-report -->\n## vexgate: blocked\n");
}

#[test]
fn sticky_comment_creates_one_when_none_exists_and_truncates() {
    let long = "x".repeat(70_000);
    let (sb, out) = sticky("", "7", &long);
    assert!(out.status.success(), "{}", text(&out));
    let calls = sb.calls();
    assert_eq!(
        calls[1][..6],
        [
            "gh",
            "api",
            "--silent",
            "-X",
            "POST",
            "repos/acme/app/issues/7/comments"
        ]
    );
    let sent = std::fs::read_to_string(sb.path().join("sent.md")).expect("sent body");
    assert!(sent.len() < 65_536, "{} characters", sent.len());
    assert!(sent.ends_with("(truncated: the full report is in the job summary)\n"));
}

#[test]
fn sticky_comment_keeps_one_comment_per_key() {
    let (sb, out) = sticky_env(
        "101\n202\n",
        "7",
        "## vexgate: pass\n",
        &[("STICKY_KEY", "acme/app/vexgate".into())],
    );
    assert!(out.status.success(), "{}", text(&out));
    let sent = std::fs::read_to_string(sb.path().join("sent.md")).expect("sent body");
    assert_eq!(
        sent,
        "<!-- vexgate-report acme/app/vexgate -->\n## vexgate: pass\n"
    );
    // The marker the stub's jq filter looked for carries the key too.
    assert!(
        sb.calls()[0]
            .iter()
            .any(|a| a.contains("<!-- vexgate-report acme/app/vexgate -->")),
        "{:?}",
        sb.calls()
    );
    let (sb, out) = sticky_env("", "7", "x", &[("STICKY_KEY", "a -->b".into())]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(sb.calls().is_empty());
}

#[test]
fn sticky_comment_rejects_a_bad_pr_number() {
    let (sb, out) = sticky("", "7; rm -rf /", "body");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(sb.calls().is_empty());
}
