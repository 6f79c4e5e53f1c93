//! What crates.io users get: the crates meant to be published (vexgate-core, vexgate) carry
//! complete metadata and a versioned dependency on each other, every other crate is
//! `publish = false`, and the OpenVEX schema the library embeds (a copy inside its package)
//! is byte for byte the upstream file the tests read. Read from `cargo metadata`, offline.
//! (`cargo publish --dry-run` and `cargo install` themselves run in scripts/test-release.sh.)

use std::process::Command;

use crate::common::root;

const PUBLISHED: [&str; 2] = ["vexgate-core", "vexgate"];

fn metadata() -> serde_json::Value {
    let out = Command::new(env!("CARGO"))
        .current_dir(root())
        .args([
            "metadata",
            "--locked",
            "--offline",
            "--no-deps",
            "--format-version",
            "1",
        ])
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// The problems of one package's metadata, empty when it is complete.
fn problems(p: &serde_json::Value) -> Vec<String> {
    let name = p["name"].as_str().unwrap_or_default();
    let mut out = Vec::new();
    let published = PUBLISHED.contains(&name);
    let publish_false = p["publish"].as_array().is_some_and(|a| a.is_empty());
    if !published {
        if !publish_false {
            out.push(format!(
                "{name}: not meant for crates.io, needs publish = false"
            ));
        }
        return out;
    }
    if publish_false {
        out.push(format!("{name}: must be publishable"));
    }
    for key in ["description", "license", "repository", "readme"] {
        if p[key].as_str().is_none_or(str::is_empty) {
            out.push(format!("{name}: no {key}"));
        }
    }
    for key in ["keywords", "categories"] {
        if p[key].as_array().is_none_or(|a| a.is_empty()) {
            out.push(format!("{name}: no {key}"));
        }
    }
    for d in p["dependencies"].as_array().into_iter().flatten() {
        let kind = d["kind"].as_str().unwrap_or("normal");
        if d["path"].is_string() && kind != "dev" && d["req"] == "*" {
            out.push(format!(
                "{name}: path dependency {} needs a version to be published",
                d["name"]
            ));
        }
    }
    out
}

#[test]
fn published_crates_have_complete_metadata_and_the_others_are_not_published() {
    let meta = metadata();
    let packages = meta["packages"].as_array().expect("packages");
    let names: Vec<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    for want in PUBLISHED {
        assert!(names.contains(&want), "no package {want} in {names:?}");
    }
    let all: Vec<String> = packages.iter().flat_map(problems).collect();
    assert!(all.is_empty(), "{}", all.join("\n"));
}

#[test]
fn the_metadata_check_notices_what_is_missing() {
    let meta = metadata();
    let core = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "vexgate-core")
        .unwrap()
        .clone();
    for (key, value) in [
        ("description", serde_json::Value::Null),
        ("keywords", serde_json::json!([])),
        ("readme", serde_json::Value::Null),
        ("publish", serde_json::json!([])),
    ] {
        let mut p = core.clone();
        p[key] = value;
        assert!(!problems(&p).is_empty(), "removing {key} went unnoticed");
    }
    let bin = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "vexgate")
        .unwrap()
        .clone();
    let mut p = bin;
    for d in p["dependencies"].as_array_mut().unwrap() {
        if d["name"] == "vexgate-core" {
            d["req"] = "*".into();
        }
    }
    assert!(
        !problems(&p).is_empty(),
        "an unversioned path dependency went unnoticed"
    );
    let mut hello = core;
    hello["name"] = "hello".into();
    hello["publish"] = serde_json::Value::Null;
    assert!(
        !problems(&hello).is_empty(),
        "a publishable hello went unnoticed"
    );
}

#[test]
fn the_embedded_openvex_schema_is_the_upstream_file() {
    let packaged =
        std::fs::read(root().join("crates/vexgate-core/schema/openvex_json_schema.json")).unwrap();
    let upstream =
        std::fs::read(root().join("testdata/upstream/openvex/spec/openvex_json_schema.json"))
            .unwrap();
    assert!(
        packaged == upstream,
        "crates/vexgate-core/schema/openvex_json_schema.json differs from testdata/upstream/openvex/spec/openvex_json_schema.json"
    );
}
