//! `vexgate vex import` over every CycloneDX and CSAF VEX fixture in the repository
//! (testdata/vex-import, see its README for provenance; Trivy's and vexctl's CSAF and
//! CycloneDX test documents; the oracle's CSAF): each imports, or is refused with one line
//! per part that has no OpenVEX equivalent and one error line, and nothing is written.
//! What imports validates, and suppresses what the source suppresses where a report exists.
//! Hostile strings never reach the terminal raw.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::{root, tmp, vexgate};
use crate::vex_export::{Outcome, outcome, read_json};

fn fixtures() -> Vec<(PathBuf, &'static str)> {
    let r = root();
    let mut out = Vec::new();
    for (dir, from) in [
        ("testdata/vex-import/csaf-oasis", "csaf"),
        ("testdata/vex-import/csaf-examples", "csaf"),
        ("testdata/vex-import/cyclonedx", "cyclonedx"),
        ("testdata/vex-import/hostile", ""),
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(r.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for f in files {
            let from = match from {
                "" if f.to_string_lossy().contains(".cdx.") => "cyclonedx",
                "" => "csaf",
                f => f,
            };
            out.push((f, from));
        }
    }
    for (f, from) in [
        ("crates/vexgate-core/tests/data/vex/csaf.json", "csaf"),
        (
            "crates/vexgate-core/tests/data/vex/csaf-relationships.json",
            "csaf",
        ),
        (
            "crates/vexgate-core/tests/data/vex/cyclonedx.json",
            "cyclonedx",
        ),
        (
            "testdata/upstream/openvex/vexctl/examples-csaf-csaf.json",
            "csaf",
        ),
        ("testdata/oracle/vex/cargo.csaf.json", "csaf"),
    ] {
        out.push((r.join(f), from));
    }
    out
}

fn import(file: &Path, from: &str, out: &Path, extra: &[&str]) -> (i32, String) {
    let o = vexgate(out.parent().unwrap())
        .env("SOURCE_DATE_EPOCH", "1798761600")
        .args(["vex", "import"])
        .arg(file)
        .args(["--from", from, "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.stdout.is_empty(), "import writes nothing to stdout");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Every line is ours, and carries no control or bidi character.
fn assert_clean(what: &str, stderr: &str) {
    for l in stderr.lines() {
        assert!(l.starts_with("vexgate: "), "{what}: foreign line {l:?}");
        assert!(
            !l.chars().any(|c| c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
            "{what}: raw control or bidi character in {l:?}"
        );
    }
}

fn validate(p: &Path) {
    let o = vexgate(p.parent().unwrap())
        .args(["vex", "validate"])
        .arg(p)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}: {}",
        p.display(),
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn every_fixture_imports_or_is_refused_with_reasons() {
    let dir = tmp();
    let (mut imported, mut refused) = (0, 0);
    let fixtures = fixtures();
    assert!(fixtures.len() >= 30, "only {} fixtures", fixtures.len());
    for (i, (f, from)) in fixtures.iter().enumerate() {
        let what = f.display().to_string();
        let out = dir.path().join(format!("{i}.openvex.json"));
        let (code, stderr) = import(f, from, &out, &[]);
        assert_clean(&what, &stderr);
        match code {
            0 => {
                if out.exists() {
                    imported += 1;
                    validate(&out);
                    let doc = read_json(&out);
                    assert!(!doc["statements"].as_array().unwrap().is_empty(), "{what}");
                } else {
                    assert!(
                        stderr.contains("no statements to import"),
                        "{what}: {stderr}"
                    );
                }
            }
            2 => {
                refused += 1;
                assert!(!out.exists(), "{what}: refused but written");
                let lines: Vec<&str> = stderr.lines().collect();
                let last = lines.last().unwrap();
                assert!(last.starts_with("vexgate: error: "), "{what}: {stderr}");
                let unmapped = lines
                    .iter()
                    .filter(|l| l.starts_with("vexgate: unmapped: "))
                    .count();
                assert!(
                    last.contains(&format!("{unmapped} part(s) have no OpenVEX equivalent")),
                    "{what}: {stderr}"
                );
                // --skip-unmapped imports the rest, still listing what it skips.
                let (code, err2) = import(f, from, &out, &["--skip-unmapped"]);
                assert_clean(&what, &err2);
                assert_eq!(code, 0, "{what}: {err2}");
                assert_eq!(
                    err2.lines()
                        .filter(|l| l.starts_with("vexgate: unmapped: "))
                        .count(),
                    unmapped,
                    "{what}"
                );
                if out.exists() {
                    validate(&out);
                }
            }
            c => panic!("{what}: exit {c}: {stderr}"),
        }
    }
    assert!(imported >= 5, "only {imported} imported");
    assert!(refused >= 15, "only {refused} refused");
}

fn gate(dir: &Path, report: &Path, vex: &Path, out: &Path) -> Outcome {
    let o = vexgate(dir)
        .arg("gate")
        .arg(report)
        .args([
            "--severity",
            "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
            "--ignore-unfixed=false",
            "--vex",
        ])
        .arg(vex)
        .arg("--output-report")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    outcome(&read_json(out))
}

/// A CSAF document the gate reads as Trivy does, and its import, suppress the same
/// findings: Trivy's CSAF test documents on the reports of Trivy's VEX tests, and the
/// oracle's CSAF on the real cargo scan.
#[test]
fn imported_csaf_suppresses_what_the_csaf_suppresses() {
    let r = root();
    let data = r.join("crates/vexgate-core/tests/data/vex");
    let dir = tmp();
    let mut suppressed = 0;
    for (csaf, reports) in [
        (
            data.join("csaf.json"),
            vec![
                data.join("report-fs-go-single.json"),
                data.join("report-fs-go-multi.json"),
            ],
        ),
        (
            data.join("csaf-relationships.json"),
            vec![
                data.join("report-fs-go-single.json"),
                data.join("report-fs-go-multi.json"),
            ],
        ),
        (
            r.join("testdata/oracle/vex/cargo.csaf.json"),
            vec![r.join("testdata/oracle/scan/unfiltered/cargo.json")],
        ),
    ] {
        let name = csaf.file_name().unwrap().to_string_lossy().into_owned();
        let back = dir.path().join(format!("{name}.openvex.json"));
        let (code, err) = import(&csaf, "csaf", &back, &[]);
        assert_eq!(code, 0, "{name}: {err}");
        for (k, report) in reports.iter().enumerate() {
            let want = gate(
                dir.path(),
                report,
                &csaf,
                &dir.path().join(format!("{name}.{k}.a")),
            );
            let got = gate(
                dir.path(),
                report,
                &back,
                &dir.path().join(format!("{name}.{k}.b")),
            );
            suppressed += want.1.len();
            assert_eq!(got, want, "{name} on {}", report.display());
        }
    }
    assert!(suppressed >= 3, "only {suppressed} suppressions");
}

/// Newlines, ANSI escapes and bidi controls in imported documents reach the terminal
/// escaped (import's messages, `vex list`), and the imported OpenVEX keeps the values.
#[test]
fn hostile_strings_are_escaped() {
    let dir = tmp();
    let h = root().join("testdata/vex-import/hostile");
    let out = dir.path().join("h.openvex.json");
    let (code, stderr) = import(&h.join("hostile.cdx.json"), "cyclonedx", &out, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert_clean("hostile.cdx.json", &stderr);
    assert!(
        stderr.contains(r"CVE-2020-8203\nvexgate: injected"),
        "{stderr}"
    );
    assert!(stderr.contains(r"\u{1b}[31m"), "{stderr}");
    let (code, stderr) = import(
        &h.join("hostile.cdx.json"),
        "cyclonedx",
        &out,
        &["--skip-unmapped"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_clean("hostile.cdx.json", &stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    // JSON escapes control characters (a bidi control is data, as `vex add` keeps it).
    assert!(!text.contains('\u{1b}'), "raw ESC in the file");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let detail = doc["statements"][0]["impact_statement"].as_str().unwrap();
    assert!(detail.contains('\n') && detail.contains('\u{1b}') && detail.contains('\u{202e}'));
    // `vex list` shows them escaped too.
    let o = vexgate(dir.path())
        .args(["vex", "list"])
        .arg(&out)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&o.stdout);
    assert!(
        !shown.chars().any(|c| c == '\u{1b}' || c == '\u{202e}'),
        "{shown}"
    );

    let (code, stderr) = import(
        &h.join("hostile.csaf.json"),
        "csaf",
        &out,
        &["--skip-unmapped"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_clean("hostile.csaf.json", &stderr);
    let ids: BTreeSet<String> = stderr
        .lines()
        .filter(|l| l.starts_with("vexgate: unmapped: "))
        .map(|l| l.to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{stderr}");
}

/// Import appends like `vex add`: history kept, one version per import, the same import
/// again adds nothing; export never writes over its input.
#[test]
fn import_appends_with_history_and_export_never_overwrites_its_input() {
    let dir = tmp();
    let src = root().join("testdata/oracle/vex/deb-timestamps.openvex.json");
    let doc = dir.path().join("vex.openvex.json");
    std::fs::copy(&src, &doc).unwrap();
    let before = read_json(&doc);

    let o = vexgate(dir.path())
        .args([
            "vex",
            "export",
            "vex.openvex.json",
            "--format",
            "csaf",
            "--out",
            "vex.openvex.json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("never writes over an input"));
    assert_eq!(read_json(&doc), before);

    // Standard output and --out carry the same document.
    let stdout = vexgate(dir.path())
        .args(["vex", "export", "vex.openvex.json", "--format", "cyclonedx"])
        .output()
        .unwrap();
    assert!(stdout.status.success());
    let cdx = dir.path().join("vex.cdx.json");
    let o = vexgate(dir.path())
        .args([
            "vex",
            "export",
            "vex.openvex.json",
            "--format",
            "cyclonedx",
            "--out",
        ])
        .arg(&cdx)
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(std::fs::read(&cdx).unwrap(), stdout.stdout);

    // Imported back into its source: the statements in force are there already.
    let (code, err) = import(&cdx, "cyclonedx", &doc, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.matches("not added again").count(), 2, "{err}");
    assert_eq!(read_json(&doc), before);

    // Into another document: appended, history kept, one new version.
    let other = dir.path().join("other.openvex.json");
    std::fs::copy(
        root().join("testdata/oracle/vex/deb-versioned.openvex.json"),
        &other,
    )
    .unwrap();
    let before = read_json(&other);
    let n = before["statements"].as_array().unwrap().len();
    let (code, err) = import(&cdx, "cyclonedx", &other, &[]);
    assert_eq!(code, 0, "{err}");
    let after = read_json(&other);
    let m = after["statements"].as_array().unwrap().len();
    assert_eq!(m, n + 2, "the two statements in force are appended");
    // History kept: the old statement as it was, its inherited timestamp pinned (as `vex add`).
    let mut old = after["statements"][0].clone();
    assert_eq!(old["timestamp"], before["timestamp"]);
    old.as_object_mut().unwrap().remove("timestamp");
    assert_eq!(old, before["statements"][0], "history kept");
    assert_eq!(after["version"], before["version"].as_u64().unwrap() + 1);
    assert_eq!(after["last_updated"], "2027-01-01T00:00:00Z");
    // The same import again: nothing changes.
    let (code, err) = import(&cdx, "cyclonedx", &other, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("not added again"), "{err}");
    assert_eq!(read_json(&other), after);
}

/// Bad input is one line naming the file, exit 2, nothing written; an import never writes
/// over the document it reads.
#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tmp();
    let out = dir.path().join("out.openvex.json");
    let not_json = dir.path().join("not.json");
    std::fs::write(&not_json, "{ nope").unwrap();
    let openvex = root().join("testdata/oracle/vex/deb-timestamps.openvex.json");
    let csaf = root().join("testdata/oracle/vex/cargo.csaf.json");
    for (file, from, what) in [
        (&not_json, "csaf", "not.json"),
        (&openvex, "csaf", "not a CSAF document"),
        (&openvex, "cyclonedx", "not a CycloneDX document"),
        (&csaf, "cyclonedx", "not a CycloneDX document"),
    ] {
        let (code, err) = import(file, from, &out, &[]);
        assert_eq!(code, 2, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("vexgate: error: ") && err.contains(what),
            "{err}"
        );
        assert!(!out.exists());
    }
    let copy = dir.path().join("in.csaf.json");
    std::fs::copy(&csaf, &copy).unwrap();
    let (code, err) = import(&copy, "csaf", &copy, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("never writes over an input"), "{err}");
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&csaf).unwrap());
}
