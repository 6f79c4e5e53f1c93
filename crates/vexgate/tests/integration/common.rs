//! What every module of the integration tests shares: where things are, and the one way to
//! start the `vexgate` under test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

/// The workspace root (canonical, so it compares equal to paths vexgate prints).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// A golden report of Trivy's own test suite, `testdata/upstream/trivy/NAME`.
pub fn golden(name: &str) -> PathBuf {
    root().join("testdata/upstream/trivy").join(name)
}

pub fn tmp() -> TempDir {
    tempfile::tempdir().unwrap()
}

/// Standard output then standard error, as one string.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The path of the `vexgate` binary under test (built with the test hooks).
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vexgate"))
}

/// The one command builder: the `vexgate` under test, run in `dir`, with standard input
/// closed, no colour, and none of the caller's `VEXGATE_*` or `TRIVY_*` settings (so a
/// developer's environment cannot change a result).
pub fn vexgate(dir: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .env("NO_COLOR", "1");
    for (k, _) in std::env::vars_os() {
        let name = k.to_string_lossy();
        if name.starts_with("VEXGATE_") || name.starts_with("TRIVY_") {
            cmd.env_remove(&k);
        }
    }
    cmd
}

/// The first executable file `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    })
}

/// The real Trivy for tests that run it, plus the other tools they need, or `None` (after
/// saying what is missing) when one is absent. `registry` in `tools` stands for the
/// docker-registry binary (VEXGATE_REGISTRY_BIN, default /usr/bin/docker-registry). With
/// VEXGATE_REQUIRE_TOOLS=1 (CI) a missing tool fails the test instead.
pub fn real_trivy_or_skip(what: &str, tools: &[&str]) -> Option<PathBuf> {
    let trivy = std::env::var("VEXGATE_TRIVY")
        .ok()
        .map(PathBuf::from)
        .or_else(|| Some(root().join(".venv/bin/trivy")).filter(|p| p.exists()))
        .or_else(|| which("trivy"));
    let mut missing = Vec::new();
    if trivy.is_none() {
        missing.push("trivy".to_string());
    }
    for tool in tools {
        if *tool == "registry" {
            let reg =
                std::env::var("VEXGATE_REGISTRY_BIN").unwrap_or("/usr/bin/docker-registry".into());
            if !Path::new(&reg).exists() {
                missing.push(reg);
            }
        } else if which(tool).is_none() {
            missing.push(tool.to_string());
        }
    }
    if missing.is_empty() {
        return trivy;
    }
    let msg = format!("missing {} (scripts/setup-tools.sh)", missing.join(", "));
    assert!(
        std::env::var("VEXGATE_REQUIRE_TOOLS").as_deref() != Ok("1"),
        "VEXGATE_REQUIRE_TOOLS=1 but {msg}"
    );
    eprintln!("skipping {what}: {msg}");
    None
}

/// Run a bash `script` (which sources scripts/lib/) with `$1` the workspace root and `$2`
/// `work`, the vexgate under test as VEXGATE_BIN and `trivy` as VEXGATE_TRIVY; fail the
/// test with its standard error unless it succeeds.
pub fn run_tool_script(script: &str, work: &Path, trivy: &Path) {
    let o = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("tool-script")
        .arg(root())
        .arg(work)
        .env("VEXGATE_BIN", bin())
        .env("VEXGATE_TRIVY", trivy)
        .env("TRIVY_NO_PROGRESS", "true")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "script failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
