//! Hostile inputs against the real binary: reports, configs and paths must never spoof the
//! verdict or destroy data. Each test drives `vexgate` as a user would (files in a temp dir,
//! a clean environment) and checks only what the user sees: exit codes, output lines, and
//! the bytes of the files on disk.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{root, tmp, vexgate};

use serde_json::{Value, json};

/// The bundled example: debian 12 on linux/amd64, CVE-2099-0101 (CRITICAL, fixed) blocks.
fn example() -> PathBuf {
    root().join("examples/trivy-linux-amd64.json")
}

fn run(dir: &Path, args: &[&str]) -> Output {
    vexgate(dir).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Exit 2, exactly one line on stderr, nothing on stdout; the line is returned.
fn refused(out: &Output) -> String {
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout {} stderr {err}",
        text(&out.stdout)
    );
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("vexgate: error: "), "{err}");
    assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
    err
}

/// The example report under `name` in `dir`, padded with trailing spaces to `pad` bytes
/// (still valid JSON; at 4 MiB and more, vexgate parses it on several threads).
fn report_in(dir: &Path, name: &str, pad: usize) -> PathBuf {
    let mut bytes = std::fs::read(example()).unwrap();
    if bytes.len() < pad {
        bytes.resize(pad, b' ');
    }
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The names in `dir` (to see that no temp file was left behind).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------
// 1. An output never overwrites an input; a failed write leaves the previous file.

#[test]
fn an_output_naming_an_input_is_refused_before_anything_is_written() {
    for (size, label) in [(0, "small (read)"), (4_500_000, "large (threaded parse)")] {
        let d = tmp();
        let dir = d.path();
        let input = report_in(dir, "in.json", size);
        let before = std::fs::read(&input).unwrap();
        std::os::unix::fs::symlink("in.json", dir.join("link.json")).unwrap();
        std::fs::hard_link(&input, dir.join("hard.json")).unwrap();
        for flags in [
            &["--output-report", "in.json"][..],
            &["--output-report", "./in.json"],
            &["--summary-md", "in.json"],
            &["--sarif", "in.json"],
            &["--sarif", "link.json"],
            &["--summary-md", "hard.json"],
            &["--output-dir", "."],
        ] {
            let mut args = vec!["gate", "--vex", "none", "in.json"];
            args.extend_from_slice(flags);
            let err = refused(&run(dir, &args));
            assert!(err.contains("same file"), "{label} {flags:?}: {err}");
            assert_eq!(
                std::fs::read(&input).unwrap(),
                before,
                "{label} {flags:?}: the input changed"
            );
            assert_eq!(
                names(dir),
                ["hard.json", "in.json", "link.json"],
                "{label} {flags:?}: nothing else written"
            );
        }
    }
}

#[test]
fn outputs_naming_the_ignore_file_vex_document_or_settings_file_are_refused() {
    let d = tmp();
    let dir = d.path();
    report_in(dir, "in.json", 0);
    std::fs::write(dir.join(".trivyignore"), "CVE-2099-0104\n").unwrap();
    let vex = root().join("crates/vexgate-core/tests/data/vex/openvex.json");
    std::fs::copy(&vex, dir.join("vex.json")).unwrap();
    std::fs::write(dir.join("vexgate.toml"), "sarif = \"vex.json\"\n").unwrap();
    let keep: Vec<(String, Vec<u8>)> = ["vex.json", ".trivyignore", "vexgate.toml"]
        .iter()
        .map(|n| (n.to_string(), std::fs::read(dir.join(n)).unwrap()))
        .collect();
    // The settings file names the VEX document as its SARIF output.
    let err = refused(&run(dir, &["gate", "in.json", "--vex", "vex.json"]));
    assert!(
        err.contains("--sarif") && err.contains("VEX document"),
        "{err}"
    );
    for flags in [
        &["--summary-md", ".trivyignore"][..],
        &["--output-report", "vexgate.toml"],
        &["--sarif", "vex.json"],
    ] {
        let mut args = vec!["gate", "in.json", "--vex", "vex.json"];
        args.extend_from_slice(flags);
        refused(&run(dir, &args));
    }
    for (n, b) in &keep {
        assert_eq!(&std::fs::read(dir.join(n)).unwrap(), b, "{n} changed");
    }
}

#[test]
fn vex_add_never_writes_over_the_report_it_reads() {
    let d = tmp();
    let dir = d.path();
    let report = report_in(dir, "trivy.json", 0);
    let before = std::fs::read(&report).unwrap();
    for out_name in ["trivy.json", "./trivy.json"] {
        let out = run(
            dir,
            &[
                "vex",
                "add",
                "CVE-2099-0101",
                "--scope",
                "package",
                "--status",
                "not_affected",
                "--justification",
                "component_not_present",
                "--trivy-json",
                "trivy.json",
                "--out",
                out_name,
            ],
        );
        let err = refused(&out);
        assert!(err.contains("same file"), "{err}");
        assert_eq!(std::fs::read(&report).unwrap(), before);
    }
    assert_eq!(names(dir), ["trivy.json"]);
}

/// `ulimit -f` (RLIMIT_FSIZE) makes every output write fail part way: the previous file is
/// left as it was, no temp file stays behind, and the error is one line (exit 2).
#[test]
fn a_failed_write_leaves_the_previous_output_intact() {
    let d = tmp();
    let dir = d.path();
    report_in(dir, "in.json", 0);
    for flag in ["--output-report", "--sarif", "--summary-md"] {
        let previous = format!("previous {flag} output\n");
        std::fs::write(dir.join("out"), &previous).unwrap();
        let mut cmd = vexgate(dir);
        cmd.args(["gate", "--vex", "none", "in.json", flag, "out"]);
        // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
        unsafe {
            cmd.pre_exec(|| {
                let lim = libc::rlimit {
                    rlim_cur: 256,
                    rlim_max: 256,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let out = cmd.output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert_eq!(err.lines().count(), 1, "{flag}: {err:?}");
        assert!(err.contains("out: cannot write"), "{flag}: {err}");
        assert_eq!(
            std::fs::read_to_string(dir.join("out")).unwrap(),
            previous,
            "{flag}"
        );
        assert_eq!(names(dir), ["in.json", "out"], "{flag}: temp file left");
    }
    // Without the limit the same command replaces the file whole.
    let out = run(
        dir,
        &["gate", "--vex", "none", "in.json", "--output-report", "out"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("out")).unwrap())
        .expect("a complete report");
    assert_eq!(v["SchemaVersion"], 2);
}

// ---------------------------------------------------------------------------------------
// 2. Far-future (and Go zero-time) expiry dates mean what they mean to Trivy.

fn suppressed_ids(report: &Path) -> Vec<String> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let mut out = Vec::new();
    for r in v["Results"].as_array().into_iter().flatten() {
        for m in r["ExperimentalModifiedFindings"]
            .as_array()
            .into_iter()
            .flatten()
        {
            out.push(
                m["Finding"]["VulnerabilityID"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
    }
    out
}

#[test]
fn far_future_and_zero_expiry_dates_keep_ignoring_as_in_trivy() {
    let d = tmp();
    let dir = d.path();
    report_in(dir, "in.json", 0);
    // (ignore file name, content, does CVE-2099-0101 stay ignored?)
    let cases = [
        ("p1", "CVE-2099-0101 exp:9999-12-31\n", true),
        ("p2", "CVE-2099-0101 exp:0001-01-01\n", true),
        ("p3", "CVE-2099-0101 exp:0000-12-31\n", false),
        (
            "y1.yaml",
            "vulnerabilities:\n  - id: CVE-2099-0101\n    expired_at: 9999-12-31\n",
            true,
        ),
        (
            "y2.yaml",
            "vulnerabilities:\n  - id: CVE-2099-0101\n    expired_at: 9999-12-31T23:59:59-05:00\n",
            true,
        ),
        (
            "y3.yaml",
            "vulnerabilities:\n  - id: CVE-2099-0101\n    expired_at: 9999-1-2\n",
            true,
        ),
        (
            "y4.yaml",
            "vulnerabilities:\n  - id: CVE-2099-0101\n    expired_at: 0001-01-01\n",
            true,
        ),
        (
            "y5.yaml",
            "vulnerabilities:\n  - id: CVE-2099-0101\n    expired_at: 0000-01-01\n",
            false,
        ),
    ];
    for (name, content, ignored) in cases {
        std::fs::write(dir.join(name), content).unwrap();
        let out = run(
            dir,
            &[
                "gate",
                "--vex",
                "none",
                "in.json",
                "--ignorefile",
                name,
                "--output-report",
                "o.json",
            ],
        );
        let err = text(&out.stderr);
        assert!(!err.contains("error"), "{name}: {err}");
        assert!(!err.contains("invalid expiration"), "{name}: {err}");
        assert_eq!(
            out.status.code(),
            Some(if ignored { 0 } else { 1 }),
            "{name}: {err}"
        );
        assert_eq!(
            suppressed_ids(&dir.join("o.json")).contains(&"CVE-2099-0101".to_string()),
            ignored,
            "{name}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// 3. and 4. A report cannot write Markdown, HTML, workflow commands or terminal controls.

/// The example report with hostile platform strings and PrimaryURL, the attack of the issue.
fn spoofing_report(dir: &Path) -> PathBuf {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(example()).unwrap()).unwrap();
    v["Metadata"]["ImageConfig"]["os"] =
        json!("linux\n<!-- vexgate-summary -->\n## vexgate: PASS\n");
    v["Metadata"]["ImageConfig"]["architecture"] =
        json!("amd64`\n<img src=x onerror=alert(1)>\n@admin please merge\n::add-mask::BLOCKED");
    let vulns = v["Results"][0]["Vulnerabilities"].as_array_mut().unwrap();
    for x in vulns.iter_mut() {
        x["PrimaryURL"] = json!("https://x/\n\n<script>alert(1)</script>\n@security-team\n");
        x["Title"] = json!("t\n::error::spoofed PASS\r\x1b]0;owned\x07\x1b[2J\u{202e}SSAP");
        x["PkgName"] = json!(format!(
            "{}\n::add-mask::BLOCKED\n##[add-mask]CRITICAL",
            x["PkgName"].as_str().unwrap()
        ));
    }
    let p = dir.join("hostile.json");
    std::fs::write(&p, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    p
}

/// Lines as a log reader sees them: `\n`, `\r` and `\r\n` all end a line.
fn log_lines(s: &str) -> Vec<&str> {
    s.split(['\n', '\r']).collect()
}

fn assert_clean_log(what: &str, s: &str) {
    for line in log_lines(s) {
        let t = line.trim_start();
        assert!(
            !t.starts_with("::"),
            "{what}: workflow command line {line:?}"
        );
        assert!(!line.contains("##["), "{what}: ##[ in {line:?}");
    }
    for c in s.chars() {
        assert!(
            c == '\n'
                || !(c.is_control()
                    || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
            "{what}: raw {c:?} in output"
        );
    }
}

#[test]
fn a_report_cannot_inject_markdown_into_the_summary() {
    let d = tmp();
    let dir = d.path();
    spoofing_report(dir);
    let out = run(
        dir,
        &[
            "gate",
            "--vex",
            "none",
            "hostile.json",
            "--summary-md",
            "s.md",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let md = std::fs::read_to_string(dir.join("s.md")).unwrap();
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "<!-- vexgate-summary -->");
    assert_eq!(md.matches("<!--").count(), 1, "a second marker:\n{md}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("## ")).count(), 1);
    assert_eq!(lines[1], "## vexgate: BLOCKED");
    for l in &lines {
        assert!(!l.starts_with('@') && !l.starts_with("::"), "{l:?}");
        assert!(
            !l.contains("<img") && !l.contains("<script"),
            "raw HTML: {l:?}"
        );
        // Only the marker line and the details blocks hold HTML.
        if l.starts_with('<') {
            assert!(
                l.starts_with("<!-- vexgate-summary -->")
                    || l.starts_with("<details><summary>")
                    || l.starts_with("</details>"),
                "{l:?}"
            );
        }
    }
    assert!(!md.contains('\r') && !md.contains('\x1b') && !md.contains('\u{202e}'));
    // HTML appears only as vexgate's own tags.
    let mut rest = md.replacen("<!-- vexgate-summary -->", "", 1);
    for tag in [
        "<details>",
        "</details>",
        "<summary>",
        "</summary>",
        "<br>",
        "<code>",
        "</code>",
    ] {
        rest = rest.replace(tag, "");
    }
    assert!(!rest.contains('<'), "raw HTML:\n{md}");
}

#[test]
fn a_report_cannot_start_a_log_line_or_drive_the_terminal() {
    let d = tmp();
    let dir = d.path();
    spoofing_report(dir);
    for format in ["table", "json"] {
        let out = run(
            dir,
            &[
                "gate",
                "--vex",
                "none",
                "hostile.json",
                "--format",
                format,
                "--show-suppressed",
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        assert_clean_log("stdout", &text(&out.stdout));
        assert_clean_log("stderr", &text(&out.stderr));
    }
}

#[test]
fn error_lines_stay_one_line_whatever_the_path_holds() {
    let d = tmp();
    let dir = d.path();
    for name in [
        "no\n::error::such.json",
        "x\r::add-mask::PASS\x1b[2J.json",
        "\u{202e}nosj.json",
    ] {
        let err = refused(&run(dir, &["gate", name]));
        assert_clean_log("stderr", &err);
        std::fs::write(dir.join(name), "{ not json").unwrap();
        let err = refused(&run(dir, &["gate", name]));
        assert_clean_log("stderr", &err);
        let err = refused(&run(dir, &["vex", "list", name]));
        assert_clean_log("stderr", &err);
    }
}

#[test]
fn vex_list_audit_and_validate_escape_vex_strings_and_file_names() {
    let d = tmp();
    let dir = d.path();
    report_in(dir, "r.json", 0);
    let doc = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://x/\n::error::doc",
        "author": "a\n::add-mask::PASS",
        "timestamp": "2025-01-01T00:00:00Z",
        "version": 1,
        "statements": [{
            "vulnerability": {"name": "CVE-2099-0101\n::error::spoofed", "aliases": ["\x1b]0;t\x07"]},
            "products": [{"@id": "pkg:deb/debian/zlib1g\n##[add-mask]x",
                          "subcomponents": [{"@id": "pkg:deb/debian/\u{202e}gnp"}]}],
            "status": "not_affected",
            "justification": "component_not_present",
            "impact_statement": "\r::error::impact"
        }]
    });
    let name = "::error::vex.json";
    std::fs::write(dir.join(name), serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    for args in [
        vec!["vex", "list", name],
        vec!["vex", "audit", name, "--report", "r.json"],
        vec!["vex", "validate", name],
    ] {
        let out = run(dir, &args);
        assert!(
            out.status.code().is_some(),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_clean_log(&format!("{args:?} stdout"), &text(&out.stdout));
        assert_clean_log(&format!("{args:?} stderr"), &text(&out.stderr));
    }
}

// ---------------------------------------------------------------------------------------
// 5. `scan` never builds a file name that leaves --reports-dir.

fn fake_trivy(dir: &Path, report: &Path) -> PathBuf {
    let path = dir.join("trivy");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nwhile [ $# -gt 0 ]; do if [ \"$1\" = --output ]; then out=$2; fi; shift; done\ncp '{}' \"$out\"\n",
            report.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Every file and directory under `dir`, relative.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(base).unwrap().display().to_string());
            if p.is_dir() && !p.is_symlink() {
                walk(base, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn scan_refuses_platform_names_that_would_leave_the_reports_dir() {
    for (field, value) in [
        ("os", "cache/../../outside/pwn"),
        ("architecture", "../../../outside/pwn"),
        ("os", ".."),
        ("architecture", "amd64\n::error::x"),
        ("variant", "v8/../../x"),
    ] {
        let d = tmp();
        let dir = d.path();
        // The directories a traversal needs, so that an unchecked name would really land
        // outside --reports-dir (work/cache).
        for sub in [
            "work/cache/trivy-cache",
            "work/cache/trivy-linux-..",
            "work/outside",
            "outside",
        ] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let mut v: Value =
            serde_json::from_str(&std::fs::read_to_string(example()).unwrap()).unwrap();
        v["Metadata"]["ImageConfig"][field] = json!(value);
        let report = dir.join("evil.json");
        std::fs::write(&report, serde_json::to_vec(&v).unwrap()).unwrap();
        let trivy = fake_trivy(dir, &report);
        std::fs::write(dir.join("img.tar"), b"").unwrap();
        let before = tree(dir);
        let out = vexgate(&dir.join("work"))
            .args([
                "scan",
                "--input-kind",
                "archive",
                "--platform",
                "linux/amd64",
                "--vex",
                "none",
            ])
            .arg("--trivy")
            .arg(&trivy)
            .args(["--reports-dir", "cache", "../img.tar"])
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{field}={value:?}: {err}");
        let last = err.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("vexgate: error: ") && last.contains(field),
            "{err}"
        );
        assert_clean_log("stderr", &err);
        assert_eq!(tree(dir), before, "{field}={value:?}: a report was saved");
    }
}

#[test]
fn scan_refuses_a_platform_flag_that_is_not_a_name() {
    let d = tmp();
    for p in [
        "linux/..",
        "../amd64",
        "linux/.hidden",
        "linux/amd64\n::error::x",
    ] {
        let out = run(
            d.path(),
            &["scan", "--platform", p, "--trivy", "/nonexistent", "img"],
        );
        let err = refused(&out);
        assert!(err.contains("--platform"), "{err}");
        assert_clean_log("stderr", &err);
    }
}

// ---------------------------------------------------------------------------------------
// 6. A setting that would stop the gate from ever blocking is a configuration error.

#[test]
fn settings_that_could_never_block_are_refused() {
    let d = tmp();
    let dir = d.path();
    report_in(dir, "in.json", 0);
    let all = "unknown,not_affected,affected,fixed,under_investigation,will_not_fix,fix_deferred,end_of_life";
    for toml in [
        "severity = []\n".to_string(),
        format!("ignore-status = \"{all}\"\n"),
        format!("ignore-status = {:?}\n", all.split(',').collect::<Vec<_>>()),
    ] {
        std::fs::write(dir.join("vexgate.toml"), &toml).unwrap();
        let err = refused(&run(dir, &["gate", "--vex", "none", "in.json"]));
        assert!(err.contains("vexgate.toml"), "{toml}: {err}");
        assert!(err.contains("could ever block"), "{toml}: {err}");
    }
    std::fs::remove_file(dir.join("vexgate.toml")).unwrap();
    refused(&run(
        dir,
        &["gate", "--vex", "none", "in.json", "--ignore-status", all],
    ));
    refused(&run(
        dir,
        &["gate", "--vex", "none", "in.json", "--severity", ""],
    ));
    let out = vexgate(dir)
        .args(["gate", "--vex", "none", "in.json"])
        .env("VEXGATE_IGNORE_STATUS", all)
        .output()
        .unwrap();
    refused(&out);
    let out = vexgate(dir)
        .args(["gate", "--vex", "none", "in.json"])
        .env("VEXGATE_SEVERITY", ",")
        .output()
        .unwrap();
    refused(&out);
    // Settings that can still block are fine: all but one status, one severity.
    let seven = all.rsplit_once(',').unwrap().0;
    let out = run(
        dir,
        &["gate", "--vex", "none", "in.json", "--ignore-status", seven],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(
        dir,
        &["gate", "--vex", "none", "in.json", "--severity", "critical"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

/// `vex explain` shows VEX and report text in every step (statement products, the PURL part
/// that missed with both values, justifications, package names, platforms): none of it can
/// start a log line or reach the terminal raw, in the table or in the JSON.
#[test]
fn vex_explain_escapes_vex_and_report_strings() {
    let d = tmp();
    let dir = d.path();
    spoofing_report(dir);
    let doc = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://x/explain",
        "author": "a",
        "timestamp": "2025-01-01T00:00:00Z",
        "version": 1,
        "statements": [{
            "vulnerability": {"name": "CVE-2099-0101", "aliases": ["\u{1b}]0;t\u{07}"]},
            "products": [{
                "@id": "pkg:deb/debian/zlib1g?distro=x%0A::error::spoofed%1B[2J%E2%80%AE",
                "subcomponents": [{"@id": "pkg:deb/debian/zlib1g\n##[add-mask]x"}]
            }],
            "status": "not_affected",
            "justification": "component_not_present\n::error::justified\u{202e}",
            "impact_statement": "\r::error::impact"
        }, {
            "vulnerability": {"name": "CVE-2099-0101"},
            "products": [{"@id": "pkg:oci/debian12\n::add-mask::x?repository_url=docker.io/a/b"}],
            "status": "fixed"
        }]
    });
    std::fs::write(dir.join("v.json"), serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    for format in ["table", "json"] {
        let out = run(
            dir,
            &[
                "vex",
                "explain",
                "CVE-2099-0101",
                "--report",
                "hostile.json",
                "--vex",
                "v.json",
                "--format",
                format,
            ],
        );
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_clean_log(&format!("{format} stdout"), &stdout);
        assert_clean_log(&format!("{format} stderr"), &text(&out.stderr));
        // The hostile strings are there, escaped: the test looks at real output.
        let (nl, bidi) = match format {
            "table" => ("\\n", "\\u{202e}"),
            _ => ("\\n", "\\u202e"),
        };
        for want in [
            format!("component_not_present{nl}::error::justified{bidi}"),
            format!("x{nl}::error::spoofed"),
            format!("{nl}::add-mask::BLOCKED"),
        ] {
            assert!(stdout.contains(&want), "{format}: no {want:?} in\n{stdout}");
        }
    }
}
