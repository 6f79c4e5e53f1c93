//! The README's first command, on the bundled example reports, does what the README says: exit 1,
//! CVE-2099-0101 blocking on both platforms in one row, and the summary lines the README shows.
//! Needs no tool but the vexgate binary, so `cargo test` checks it on any machine.

use std::process::Output;

use crate::common::{self, root};

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The arguments of the README's first command (`cargo run … -p vexgate -- ARGS`).
fn readme_args() -> Vec<String> {
    let text = readme();
    let line = text
        .lines()
        .find(|l| l.starts_with("cargo run") && l.contains("-p vexgate --"))
        .expect("the README shows a `cargo run … -p vexgate -- …` command");
    let args = line.split_once(" -- ").unwrap().1;
    args.split_whitespace().map(str::to_string).collect()
}

fn vexgate(args: &[String]) -> Output {
    common::vexgate(&root()).args(args).output().unwrap()
}

#[test]
fn readme_first_command_blocks_on_the_bundled_example() {
    let args = readme_args();
    assert_eq!(args[0], "gate", "{args:?}");
    assert!(
        args.iter().any(|a| a.ends_with("trivy-linux-amd64.json"))
            && args.iter().any(|a| a.ends_with("trivy-linux-arm64.json")),
        "{args:?}"
    );

    let mut json_args = args.clone();
    json_args.extend(["--format".to_string(), "json".to_string()]);
    let o = vexgate(&json_args);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows: Vec<(String, Vec<String>)> = v["blocking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["id"].as_str().unwrap().to_string(),
                b["platforms"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [(
            "CVE-2099-0101".to_string(),
            vec!["linux/amd64".to_string(), "linux/arm64".to_string()]
        )]
    );

    // The table output carries every summary line the README shows for it.
    let o = vexgate(&args);
    assert_eq!(o.status.code(), Some(1));
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    // The first ```text block of the README is what the first command prints.
    let text = readme();
    let block = text.split("```text\n").nth(1).unwrap();
    let block = block.split("```").next().unwrap();
    let shown: Vec<&str> = block
        .lines()
        .filter(|l| {
            l.starts_with("Policy: ") || l.starts_with("Report: ") || l.starts_with("BLOCKED: ")
        })
        .collect();
    assert_eq!(shown.len(), 4, "README shows the summary lines: {shown:?}");
    for l in shown {
        assert!(
            out.lines().any(|o| o == l),
            "README line {l:?} not in:\n{out}"
        );
    }
}
