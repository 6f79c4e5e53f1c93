//! The `fixture-db` binary: outputs, determinism, merging and one-line errors with exit 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common;
use crate::common::large_fixture;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fixture-db"))
}

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/db")
        .join(name)
}

/// fixture-db with `--dpkg-status` naming the test image's status file (written beside `cache`).
fn run(cache: &Path, files: &[&Path]) -> Output {
    bin()
        .arg("--cache-dir")
        .arg(cache)
        .arg("--dpkg-status")
        .arg(common::status_beside(cache))
        .args(files)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn writes_db_and_metadata() {
    let t = tempfile::tempdir().unwrap();
    let o = run(t.path(), &[&testdata("base.json")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let db = std::fs::read(t.path().join("db/trivy.db")).unwrap();
    assert!(db.len().is_multiple_of(4096));
    assert_eq!(
        u32::from_le_bytes(db[16..20].try_into().unwrap()),
        0xED0C_DAED
    );
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.path().join("db/metadata.json")).unwrap())
            .unwrap();
    assert_eq!(meta["Version"], 2);
    for k in ["NextUpdate", "UpdatedAt", "DownloadedAt"] {
        assert!(meta[k].as_str().unwrap().ends_with('Z'), "{k}");
    }
}

#[test]
fn same_input_gives_byte_identical_output_and_merge_order_does_not_matter() {
    let t = tempfile::tempdir().unwrap();
    let extra = t.path().join("extra.json");
    std::fs::write(
        &extra,
        r#"[{"bucket":"debian 12","pairs":[{"bucket":"zlib","pairs":[{"key":"CVE-2099-0001","value":{"Status":2}}]}]}]"#,
    )
    .unwrap();
    let base = testdata("base.json");
    let outs: Vec<(Vec<u8>, Vec<u8>)> = [[&base, &extra], [&base, &extra], [&extra, &base]]
        .iter()
        .enumerate()
        .map(|(i, files)| {
            let dir = t.path().join(format!("c{i}"));
            let o = run(&dir, &[files[0].as_path(), files[1].as_path()]);
            assert!(o.status.success(), "{}", stderr(&o));
            (
                std::fs::read(dir.join("db/trivy.db")).unwrap(),
                std::fs::read(dir.join("db/metadata.json")).unwrap(),
            )
        })
        .collect();
    assert_eq!(outs[0], outs[1]);
    assert_eq!(outs[0], outs[2]);
}

#[test]
fn large_fixture_builds_quickly() {
    let t = tempfile::tempdir().unwrap();
    let f = t.path().join("large.json");
    std::fs::write(&f, large_fixture(3_000, 500)).unwrap();
    let start = std::time::Instant::now();
    let o = run(&t.path().join("cache"), &[&f]);
    let took = start.elapsed();
    assert!(o.status.success(), "{}", stderr(&o));
    let size = std::fs::metadata(t.path().join("cache/db/trivy.db"))
        .unwrap()
        .len();
    eprintln!("large fixture (3000 vulns, 500 pkg buckets): {size} bytes in {took:?}");
    assert!(size > 500_000, "{size}");
}

#[test]
fn bad_input_is_one_line_exit_2_and_writes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let p = |n: &str| t.path().join(n);
    std::fs::write(p("empty.json"), "").unwrap();
    std::fs::write(p("trunc.json"), "[{\"bucket\": \"v\", \"pairs\": [").unwrap();
    std::fs::write(p("notlist.json"), "{\"bucket\": \"v\"}").unwrap();
    std::fs::write(
        p("a.json"),
        r#"[{"bucket":"v","pairs":[{"key":"CVE-1","value":{}}]}]"#,
    )
    .unwrap();
    std::fs::write(
        p("b.json"),
        "[\n{\"bucket\":\"v\",\"pairs\":[{\"key\":\"CVE-1\",\"value\":{}}]}]",
    )
    .unwrap();
    std::fs::create_dir(p("dir.json")).unwrap();
    let cases: Vec<(Vec<PathBuf>, Vec<String>)> = vec![
        (
            vec![p("missing.json")],
            vec![
                format!("{}: ", p("missing.json").display()),
                "No such file".into(),
            ],
        ),
        (
            vec![p("dir.json")],
            vec![format!("{}: ", p("dir.json").display()), "directory".into()],
        ),
        (
            vec![p("empty.json")],
            vec!["empty.json: invalid JSON: EOF while parsing a value at line 1 column 0".into()],
        ),
        (
            vec![p("trunc.json")],
            vec!["trunc.json: invalid JSON:".into(), "line 1 column".into()],
        ),
        (
            vec![p("notlist.json")],
            vec!["notlist.json: expected a JSON array".into()],
        ),
        (
            vec![p("a.json"), p("b.json")],
            vec![
                "b.json: [0].pairs[0]: duplicate key \"CVE-1\" in \"v\"".into(),
                format!("already defined in {}", p("a.json").display()),
            ],
        ),
    ];
    for (files, wants) in cases {
        let cache = p("cache");
        let refs: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
        let o = run(&cache, &refs);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{files:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("fixture-db: "), "{err}");
        for w in wants {
            assert!(err.contains(&w), "{files:?}: {err:?} lacks {w:?}");
        }
        assert!(!cache.exists(), "nothing may be written on bad input");
    }
}

#[test]
fn usage_errors_exit_2() {
    let o = bin().output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = bin().args(["--cache-dir", "x"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn unwritable_cache_dir_exits_1_naming_the_path() {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let o = run(&file, &[&testdata("base.json")]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&file.join("db").display().to_string()),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `{"$after_installed": PKG}` needs the image's dpkg status; every way of getting it wrong is one
/// line with exit 2 and nothing written.
#[test]
fn after_installed_needs_a_readable_status_naming_the_package() {
    let t = tempfile::tempdir().unwrap();
    let cache = t.path().join("cache");
    let base = testdata("base.json");
    let bad_status = t.path().join("bad-status");
    std::fs::write(&bad_status, "Package: zlib1g\nnot a field line\n").unwrap();
    let other_status = t.path().join("other-status");
    std::fs::write(
        &other_status,
        "Package: dash\nStatus: install ok installed\nVersion: 0.5.12-2\n",
    )
    .unwrap();
    let absent = t.path().join("absent");
    let cases: [(Vec<&std::ffi::OsStr>, &str); 4] = [
        (vec![], "needs the image's dpkg status"),
        (vec!["--dpkg-status".as_ref(), absent.as_os_str()], "absent"),
        (
            vec!["--dpkg-status".as_ref(), bad_status.as_os_str()],
            "is not a `Field: value` line",
        ),
        (
            vec!["--dpkg-status".as_ref(), other_status.as_os_str()],
            "package \"zlib1g\" is not installed",
        ),
    ];
    for (args, want) in cases {
        let o = bin()
            .arg("--cache-dir")
            .arg(&cache)
            .args(&args)
            .arg(&base)
            .output()
            .unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{args:?}: {err:?} lacks {want:?}");
        assert!(!cache.exists(), "nothing may be written on bad input");
    }
}
