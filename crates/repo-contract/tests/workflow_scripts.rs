//! The shell the workflows run, executed here the way a runner does
//! (`bash --noprofile --norc -eo pipefail`), with stubs on PATH for docker, vexgate and
//! gh that log their arguments. The scripts are read from the workflow YAML and
//! .github/scripts, so these tests follow any edit.

#[allow(dead_code)]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Repo, field, run as step_run};

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

// --- cd.yml merge: imagetools create -----------------------------------------------------

const META: &str = r#"{"tags":["ghcr.io/acme/app:1.2.3","ghcr.io/acme/app:1.2"],"labels":{},"annotations":["index:org.opencontainers.image.description=Hello, world","index:org.opencontainers.image.version=1.2.3"]}"#;
const INDEX: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

fn merge_step(repo: &Repo) -> (String, String) {
    let step = repo
        .cd
        .steps("merge")
        .expect("merge job")
        .into_iter()
        .find(|s| field(s, "id").as_deref() == Some("merge"))
        .expect("cd.yml: merge job has no step with id: merge");
    let expected = step
        .get("env")
        .and_then(|e| field(e, "EXPECTED_PLATFORMS"))
        .expect("merge step env EXPECTED_PLATFORMS");
    (step_run(step).expect("merge step run").to_owned(), expected)
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
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected 2 platform digests, got 1"));
    assert!(
        sb.calls().is_empty(),
        "nothing may be tagged: {:?}",
        sb.calls()
    );
    assert!(gh_output.is_empty());
}

// --- .github/scripts/gate-reports.sh -----------------------------------------------------

fn gate_reports(reports: &[&str], vexgate_body: &str, extra: &[&str]) -> (Sandbox, Output) {
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
    let out = sb.bash(&quoted.join(" "), sb.path(), &[]);
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

// --- .github/scripts/sticky-comment.sh ---------------------------------------------------

fn sticky(existing: &str, pr: &str, body: &str) -> (Sandbox, Output) {
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
        &[("GITHUB_REPOSITORY", "acme/app".into())],
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
fn sticky_comment_rejects_a_bad_pr_number() {
    let (sb, out) = sticky("", "7; rm -rf /", "body");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(sb.calls().is_empty());
}
