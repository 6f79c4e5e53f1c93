//! Test hooks (`HELLO_TEST_DELAY_MS`, `VEXGATE_TEST_PAUSE_BEFORE_RENAME_MS`) live behind each
//! crate's non-default `test-hooks` cargo feature, which only the crate's self
//! dev-dependency turns on. These checks keep it that way without building anything:
//! cargo's own feature resolution for a normal build (what `cargo build --release`,
//! `cargo install` and `cargo auditable build` use) must leave the feature off, a test
//! build must turn it on, and no build recipe may ask for it. scripts/test-image.sh then
//! checks the built binaries themselves (the image's /hello and vexgate).

use std::process::Command;

use crate::common::root;

/// The features cargo enables on `krate` in a build of `pkg` with the given dependency edges.
fn features(pkg: &str, krate: &str, edges: &str) -> String {
    let out = Command::new(env!("CARGO"))
        .current_dir(root())
        .args([
            "tree",
            "--locked",
            "--offline",
            "--target",
            "all",
            "-p",
            pkg,
            "-i",
            krate,
        ])
        .args(["-e", edges, "--prefix", "none"])
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree -p {pkg} -e {edges} (offline: `cargo fetch --locked` first, as scripts/test.sh does): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn release_builds_leave_the_test_hooks_off_and_test_builds_turn_them_on() {
    // The vexgate binary's hooks live in its library, vexgate-core.
    for (pkg, krate) in [
        ("vexgate", "vexgate-core"),
        ("vexgate-core", "vexgate-core"),
        ("hello", "hello"),
    ] {
        let hook = format!("{krate} feature \"test-hooks\"");
        let normal = features(pkg, krate, "features,normal,build");
        assert!(
            normal.contains(&format!("{krate} feature \"default\"")),
            "cargo tree shows {pkg}'s features:\n{normal}"
        );
        assert!(
            !normal.contains(&hook),
            "a normal build of {pkg} enables test-hooks:\n{normal}"
        );
        let test = features(pkg, krate, "features,normal,build,dev");
        assert!(
            test.contains(&hook),
            "a test build of {pkg} must enable test-hooks:\n{test}"
        );
    }
}

#[test]
fn no_build_recipe_asks_for_the_test_hooks() {
    let mut files = vec![root().join("Dockerfile"), root().join("docker-bake.hcl")];
    for dir in [
        "scripts",
        "scripts/lib",
        ".github/workflows",
        ".github/scripts",
    ] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                files.push(p);
            }
        }
    }
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with('#') {
                continue;
            }
            let asks = code.contains("test-hooks")
                && ["--features", " -F", "features =", "features="]
                    .iter()
                    .any(|f| code.contains(f));
            assert!(
                !asks && !code.contains("--all-features"),
                "{}:{}: enables the test hooks: {line}",
                f.display(),
                i + 1
            );
        }
    }
}
