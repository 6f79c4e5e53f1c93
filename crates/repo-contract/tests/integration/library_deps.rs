//! The library crates know nothing about command lines, terminals or signals: argument
//! parsing (clap), progress bars (indicatif) and Ctrl-C handling (ctrlc) belong to the
//! binaries. Checked on cargo's own view of the workspace (`cargo metadata`, `cargo tree`),
//! offline and without building anything.

use std::process::Command;

use crate::common::root;

const CLI_CRATES: [&str; 3] = ["clap", "indicatif", "ctrlc"];

fn cargo(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "cargo {args:?} (offline: `cargo fetch --locked` first, as scripts/test.sh does): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Workspace packages whose targets are all libraries (no binary).
fn library_packages() -> Vec<String> {
    let meta: serde_json::Value = serde_json::from_str(&cargo(&[
        "metadata",
        "--locked",
        "--offline",
        "--no-deps",
        "--format-version",
        "1",
    ]))
    .expect("cargo metadata prints JSON");
    let mut libs = Vec::new();
    for pkg in meta["packages"].as_array().expect("packages") {
        let targets = pkg["targets"].as_array().expect("targets");
        let is_lib = |t: &serde_json::Value| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "lib" || k == "rlib"))
        };
        let is_bin = |t: &serde_json::Value| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"))
        };
        if targets.iter().any(is_lib) && !targets.iter().any(is_bin) {
            libs.push(pkg["name"].as_str().expect("name").to_string());
        }
    }
    libs
}

/// The crates in `pkg`'s normal (non-dev, non-build) dependency tree, names only.
fn normal_deps(pkg: &str) -> Vec<String> {
    cargo(&[
        "tree",
        "--locked",
        "--offline",
        "--target",
        "all",
        "-p",
        pkg,
        "-e",
        "normal",
        "--prefix",
        "none",
        "--format",
        "{p}",
    ])
    .lines()
    .filter_map(|l| l.split_whitespace().next())
    .map(str::to_string)
    .collect()
}

#[test]
fn no_library_crate_depends_on_cli_crates() {
    let libs = library_packages();
    assert!(
        libs.iter().any(|l| l == "vexgate-core"),
        "vexgate-core is a library crate: {libs:?}"
    );
    for lib in &libs {
        let deps = normal_deps(lib);
        for cli in CLI_CRATES {
            assert!(
                !deps.iter().any(|d| d == cli),
                "library crate {lib} depends on {cli} (cargo tree -p {lib} -e normal)"
            );
        }
    }
}

/// The check above can fail: the vexgate binary does depend on clap.
#[test]
fn the_binary_is_where_the_cli_crates_are() {
    let deps = normal_deps("vexgate");
    for cli in CLI_CRATES {
        assert!(deps.iter().any(|d| d == cli), "vexgate should use {cli}");
    }
}
