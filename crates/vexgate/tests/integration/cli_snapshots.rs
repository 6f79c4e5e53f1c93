//! Snapshots of what people see: every `--help` page, the gate's verdict on the bundled
//! example in each standard-output format, and the one-line errors of bad input and usage.
//!
//! A change to any of them shows up as a snapshot diff in review (accept it with
//! `INSTA_UPDATE=always cargo test -p vexgate --test integration cli_snapshots`, or
//! `cargo insta review`).
//! The commands run from the repository root so paths in the output are the relative
//! ones written here, and without any `VEXGATE_*` variable of the caller's.

use std::process::Command;

use crate::common::root;

use insta_cmd::{assert_cmd_snapshot, get_cargo_bin};

/// `vexgate ARGS…` from the repository root, with no `VEXGATE_*` setting inherited.
fn vexgate(args: &[&str]) -> Command {
    let mut cmd = Command::new(get_cargo_bin("vexgate"));
    cmd.args(args).current_dir(root());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("VEXGATE_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// The two bundled example reports, as the README's first command gates them.
const EXAMPLE: [&str; 2] = [
    "examples/trivy-linux-amd64.json",
    "examples/trivy-linux-arm64.json",
];

fn gate(extra: &[&str]) -> Command {
    let mut args = vec!["gate", "--vex", "none"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&EXAMPLE);
    vexgate(&args)
}

// ---------------------------------------------------------------------------------------
// --help pages

#[test]
fn help_top() {
    assert_cmd_snapshot!("help_top", vexgate(&["--help"]));
}

#[test]
fn help_gate() {
    assert_cmd_snapshot!("help_gate", vexgate(&["gate", "--help"]));
}

#[test]
fn help_gate_short() {
    assert_cmd_snapshot!("help_gate_short", vexgate(&["gate", "-h"]));
}

#[test]
fn help_scan() {
    assert_cmd_snapshot!("help_scan", vexgate(&["scan", "--help"]));
}

#[test]
fn help_vex() {
    for sub in [
        "add", "validate", "list", "audit", "explain", "export", "import",
    ] {
        assert_cmd_snapshot!(format!("help_vex_{sub}"), vexgate(&["vex", sub, "--help"]));
    }
    assert_cmd_snapshot!("help_vex", vexgate(&["vex", "--help"]));
}

// ---------------------------------------------------------------------------------------
// The gate on the bundled example

#[test]
fn gate_example_table() {
    assert_cmd_snapshot!("gate_example_table", gate(&[]));
}

#[test]
fn gate_example_json() {
    assert_cmd_snapshot!("gate_example_json", gate(&["--format", "json"]));
}

/// Every policy field set away from its default: the `policy` object shows the severities
/// in UNKNOWN..CRITICAL order, the statuses in the order given, and the ignore file's path.
#[test]
fn gate_example_json_explicit_policy() {
    assert_cmd_snapshot!(
        "gate_example_json_explicit_policy",
        gate(&[
            "--format",
            "json",
            "--severity",
            "low,critical,medium",
            "--ignore-status",
            "will_not_fix,AFFECTED,unknown,will_not_fix",
            "--ignorefile",
            "testdata/oracle/ignore/deb.trivyignore",
            "--image-repo",
            "ghcr.io/example/hello",
            "--require-coverage",
        ])
    );
}

#[test]
fn gate_example_show_suppressed_all_severities() {
    assert_cmd_snapshot!(
        "gate_example_all_severities",
        gate(&[
            "--severity",
            "unknown,low,medium,high,critical",
            "--ignore-unfixed=false",
            "--show-suppressed",
        ])
    );
}

#[test]
fn gate_example_passes_on_low_only() {
    assert_cmd_snapshot!("gate_example_low_only", gate(&["--severity", "LOW"]));
}

// ---------------------------------------------------------------------------------------
// Errors: one line naming the input, exit 2

#[test]
fn error_missing_report() {
    assert_cmd_snapshot!(
        "error_missing_report",
        vexgate(&["gate", "--vex", "none", "examples/no-such-report.json"])
    );
}

#[test]
fn error_not_json() {
    assert_cmd_snapshot!(
        "error_not_json",
        vexgate(&["gate", "--vex", "none", "examples/README.md"])
    );
}

#[test]
fn error_empty_severity() {
    assert_cmd_snapshot!("error_empty_severity", gate(&["--severity", ""]));
}

#[test]
fn error_unknown_severity() {
    assert_cmd_snapshot!(
        "error_unknown_severity",
        gate(&["--severity", "HIGH,URGENT"])
    );
}

#[test]
fn error_unknown_flag() {
    assert_cmd_snapshot!("error_unknown_flag", gate(&["--severty", "HIGH"]));
}

#[test]
fn error_no_reports() {
    assert_cmd_snapshot!("error_no_reports", vexgate(&["gate"]));
}

#[test]
fn error_output_overwrites_input() {
    assert_cmd_snapshot!(
        "error_output_overwrites_input",
        gate(&["--sarif", "examples/trivy-linux-amd64.json"])
    );
}

// ---------------------------------------------------------------------------------------
// `vex validate`: the never-match lints, as a reviewer reads them

#[test]
fn vex_validate_epoch_in_version() {
    assert_cmd_snapshot!(
        "vex_validate_epoch_in_version",
        vexgate(&[
            "vex",
            "validate",
            "testdata/oracle/vex/deb-epoch.openvex.json"
        ])
    );
}

#[test]
fn vex_validate_lint_fixtures() {
    assert_cmd_snapshot!(
        "vex_validate_lint_fixtures",
        vexgate(&[
            "vex",
            "validate",
            "testdata/oracle/vex/lint/github.openvex.json",
            "testdata/oracle/vex/lint/golang-version-without-v.openvex.json",
        ])
    );
}
