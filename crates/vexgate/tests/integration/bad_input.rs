//! Bad input to `vexgate gate`: each case exits 2 with exactly one line on stderr that names
//! the file (or flag value) and the problem, and never panics.

use std::path::Path;

use crate::common::vexgate;

use tempfile::TempDir;

fn golden(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/upstream/trivy")
        .join(name)
        .display()
        .to_string()
}

/// Run `vexgate gate ARGS` in `dir`; assert exit 2 and one stderr line; return the line.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = vexgate(dir).arg("gate").args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
    err.trim_end().to_string()
}

fn setup() -> TempDir {
    tempfile::tempdir().unwrap()
}

fn write(dir: &TempDir, name: &str, text: &str) {
    std::fs::write(dir.path().join(name), text).unwrap();
}

#[test]
fn missing_file() {
    let d = setup();
    assert_eq!(
        fails(d.path(), &["nope.json"]),
        "vexgate: error: nope.json: no such file"
    );
}

#[test]
fn directory() {
    let d = setup();
    std::fs::create_dir(d.path().join("reports")).unwrap();
    let e = fails(d.path(), &["reports"]);
    assert_eq!(
        e,
        "vexgate: error: reports: is a directory, not a Trivy JSON report"
    );
}

#[test]
fn empty_file() {
    let d = setup();
    write(&d, "empty.json", "");
    let e = fails(d.path(), &["empty.json"]);
    assert_eq!(
        e,
        "vexgate: error: empty.json: is empty, not a Trivy JSON report"
    );
    write(&d, "blank.json", "  \n\n");
    assert!(fails(d.path(), &["blank.json"]).contains("blank.json: is empty"));
}

#[test]
fn truncated_json_has_line_and_column() {
    let d = setup();
    let full = std::fs::read_to_string(golden("centos-7.json.golden")).unwrap();
    write(&d, "cut.json", &full[..full.len() / 2]);
    let e = fails(d.path(), &["cut.json"]);
    assert!(
        e.starts_with("vexgate: error: cut.json: truncated JSON"),
        "{e}"
    );
    assert!(e.contains(" line ") && e.contains(" column "), "{e}");
    write(&d, "bad.json", "{\"SchemaVersion\": 2,\n \"Results\": [}\n");
    let e = fails(d.path(), &["bad.json"]);
    assert!(
        e.starts_with("vexgate: error: bad.json: invalid JSON"),
        "{e}"
    );
    assert!(e.contains("line 2 column"), "{e}");
}

#[test]
fn json_that_is_not_a_trivy_report() {
    let d = setup();
    write(&d, "list.json", "[1, 2, 3]");
    assert!(fails(d.path(), &["list.json"]).contains("list.json: is JSON but not a Trivy report"));
    write(&d, "obj.json", r#"{"bomFormat": "CycloneDX"}"#);
    assert!(fails(d.path(), &["obj.json"]).contains("obj.json: is JSON but not a Trivy report"));
    // A Trivy-shaped key with the wrong type: the shape error names the position.
    write(
        &d,
        "shape.json",
        r#"{"SchemaVersion": 2, "Results": {"a": 1}}"#,
    );
    let e = fails(d.path(), &["shape.json"]);
    assert!(e.contains("shape.json: unexpected JSON shape"), "{e}");
}

#[test]
fn unsupported_schema_version() {
    let d = setup();
    write(&d, "v1.json", r#"{"SchemaVersion": 1, "Results": []}"#);
    let e = fails(d.path(), &["v1.json"]);
    assert!(e.contains("v1.json: unsupported SchemaVersion 1"), "{e}");
}

#[test]
fn invalid_severity_name() {
    let d = setup();
    let e = fails(
        d.path(),
        &[&golden("centos-7.json.golden"), "--severity", "HIGH,SEVERE"],
    );
    assert!(e.contains("invalid severity \"SEVERE\""), "{e}");
    assert!(e.contains("UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"), "{e}");
    let e = fails(
        d.path(),
        &[
            &golden("centos-7.json.golden"),
            "--ignore-status",
            "wontfix",
        ],
    );
    assert!(e.contains("invalid status \"wontfix\""), "{e}");
}

#[test]
fn ignore_file_with_bad_glob_or_purl_or_yaml() {
    let d = setup();
    let r = golden("centos-7.json.golden");
    write(
        &d,
        "glob.yaml",
        "vulnerabilities:\n  - id: CVE-1\n    paths: [\"src/[ab\"]\n",
    );
    let e = fails(d.path(), &[&r, "--ignorefile", "glob.yaml"]);
    assert!(
        e.starts_with("vexgate: error: glob.yaml: invalid path pattern in the ignore file, id: CVE-1, path: src/[ab"),
        "{e}"
    );
    write(
        &d,
        "purl.yaml",
        "vulnerabilities:\n  - id: CVE-1\n    purls: [\"openssl\"]\n",
    );
    let e = fails(d.path(), &[&r, "--ignorefile", "purl.yaml"]);
    assert!(
        e.starts_with("vexgate: error: purl.yaml: purl error in the ignore file, id: CVE-1"),
        "{e}"
    );
    write(&d, "broken.yml", "vulnerabilities: [\n");
    let e = fails(d.path(), &[&r, "--ignorefile", "broken.yml"]);
    assert!(
        e.starts_with("vexgate: error: broken.yml: invalid ignore YAML"),
        "{e}"
    );
    // The same problems in a default ./.trivyignore are plain-format IDs, not errors: only a
    // .yml/.yaml file is YAML (Trivy's rule).
    write(&d, ".trivyignore", "paths: [\"src/[ab\"]\n");
    let out = vexgate(d.path()).args(["gate", &r]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// A path pattern with a 50,000-way `{a,b,...}` alternation is too large to compile:
/// one line naming the file and exit 2, not a panic (exit 101).
#[test]
fn ignore_file_with_a_huge_alternation() {
    let d = setup();
    let r = golden("centos-7.json.golden");
    let alts: Vec<String> = (0..50_000)
        .map(|i| format!("dir{i}/file{i}.json"))
        .collect();
    write(
        &d,
        "huge.yaml",
        &format!(
            "vulnerabilities:\n  - id: CVE-1\n    paths: [\"{{{}}}\"]\n",
            alts.join(",")
        ),
    );
    let e = fails(d.path(), &[&r, "--ignorefile", "huge.yaml"]);
    assert!(
        e.starts_with("vexgate: error: huge.yaml: invalid path pattern in the ignore file, id: CVE-1, path: {dir0/file0.json,"),
        "{}",
        &e[..e.len().min(300)]
    );
}

#[test]
fn missing_explicit_ignore_file() {
    let d = setup();
    let e = fails(
        d.path(),
        &[&golden("centos-7.json.golden"), "--ignorefile", "nope"],
    );
    assert_eq!(e, "vexgate: error: nope: ignore file not found");
}

#[test]
fn output_report_with_several_inputs() {
    let d = setup();
    let e = fails(
        d.path(),
        &[
            &golden("centos-7.json.golden"),
            &golden("alpine-310.json.golden"),
            "--output-report",
            "out.json",
        ],
    );
    assert!(e.contains("use --output-dir"), "{e}");
    assert!(!d.path().join("out.json").exists());
}

#[test]
fn bad_settings() {
    let d = setup();
    let r = golden("centos-7.json.golden");
    write(&d, "vexgate.toml", "severty = \"LOW\"\n");
    let e = fails(d.path(), &[&r]);
    assert!(
        e.starts_with("vexgate: error: vexgate.toml: invalid vexgate.toml at line 1"),
        "{e}"
    );
    std::fs::remove_file(d.path().join("vexgate.toml")).unwrap();
    let e = fails(d.path(), &[&r, "--format", "xml"]);
    assert!(
        e.contains("invalid format \"xml\": expected table or json"),
        "{e}"
    );
    let e = fails(d.path(), &[&r, "--report-platform", "linux/amd64"]);
    assert!(e.contains("expected FILE=OS/ARCH"), "{e}");
    let e = fails(d.path(), &[&r, "--vex", "none,x.json"]);
    assert!(e.contains("--vex none"), "{e}");
    let out = vexgate(d.path())
        .args(["gate", &r])
        .env("VEXGATE_SEVERITY", "LOUD")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn usage_errors_exit_2() {
    let d = setup();
    let out = vexgate(d.path()).args(["gate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "REPORT is required");
    let out = vexgate(d.path())
        .args(["gate", "x.json", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
