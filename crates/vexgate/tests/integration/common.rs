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
