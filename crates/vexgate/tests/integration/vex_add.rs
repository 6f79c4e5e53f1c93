//! `vexgate vex add` end to end: behaviour, the regression tests for every fault of the
//! legacy `create_vex.sh` (using its recorded outputs in
//! testdata/upstream/openvex/legacy-create-vex-sh/), concurrency, a writer killed mid-write,
//! and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vexgate"));
    c.env_remove("SOURCE_DATE_EPOCH");
    c
}

fn legacy(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/upstream/openvex/legacy-create-vex-sh")
        .join(name)
}

fn report() -> PathBuf {
    legacy("trivy.synthetic.json")
}

fn json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Run `vexgate vex add ARGS --out OUT` with SOURCE_DATE_EPOCH = `epoch`.
fn add(out: &Path, epoch: Option<i64>, args: &[&str]) -> Output {
    let mut c = bin();
    c.args(["vex", "add"]).args(args).arg("--out").arg(out);
    if let Some(e) = epoch {
        c.env("SOURCE_DATE_EPOCH", e.to_string());
    }
    c.output().unwrap()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn glob_args(r: &str) -> Vec<&str> {
    vec![
        "CVE-2025-64756",
        "--image-repo",
        "ghcr.io/acme/hello-express",
        "--trivy-json",
        r,
        "--status",
        "not_affected",
        "--justification",
        "vulnerable_code_not_in_execute_path",
        "--comment",
        "glob is not used by the application at runtime",
    ]
}

fn validate_exit(p: &Path) -> i32 {
    validate(p, &[]).0
}

/// `vex validate [ARGS] P`: exit code and stdout.
fn validate(p: &Path, args: &[&str]) -> (i32, String) {
    let o = bin()
        .args(["vex", "validate"])
        .args(args)
        .arg(p)
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn new_document_shape_and_formatting() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vex.openvex.json");
    let r = report();
    let o = add(&out, Some(T0), &glob_args(r.to_str().unwrap()));
    ok(&o);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.ends_with("}\n"), "trailing newline");
    assert!(text.contains("\n  \"@context\""), "2-space indent");
    let d: Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "@context",
            "@id",
            "author",
            "timestamp",
            "version",
            "tooling",
            "statements"
        ]
    );
    assert!(d["@id"].as_str().unwrap().starts_with("urn:uuid:"));
    assert_eq!(d["version"], 1);
    assert_eq!(d["timestamp"], "2026-01-01T00:00:00Z");
    let st = &d["statements"][0];
    assert_eq!(st["timestamp"], "2026-01-01T00:00:00Z");
    assert_eq!(
        st["products"][0]["@id"],
        "pkg:oci/hello-express?repository_url=ghcr.io%2Facme%2Fhello-express"
    );
    let subs: Vec<&str> = st["products"][0]["subcomponents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["@id"].as_str().unwrap())
        .collect();
    assert_eq!(subs, ["pkg:npm/glob@10.4.5", "pkg:npm/glob@11.0.3"]);
    assert!(
        stderr(&o).contains("matched by VulnerabilityID"),
        "{}",
        stderr(&o)
    );
    assert_eq!(validate_exit(&out), 0);
    // --vex-id is honoured for a new document.
    let out2 = dir.path().join("b.json");
    let mut args = glob_args(r.to_str().unwrap());
    args.extend(["--vex-id", "https://example.com/vex/1"]);
    ok(&add(&out2, Some(T0), &args));
    assert_eq!(json(&out2)["@id"], "https://example.com/vex/1");
}

#[test]
fn identical_statement_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vex.json");
    let r = report();
    ok(&add(&out, Some(T0), &glob_args(r.to_str().unwrap())));
    let before = std::fs::read(&out).unwrap();
    let o = add(&out, Some(T0 + 60), &glob_args(r.to_str().unwrap()));
    ok(&o);
    assert!(stderr(&o).contains("nothing changed"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&out).unwrap(),
        before,
        "byte-identical, version unchanged"
    );
    // A different comment is a new statement.
    let mut args = glob_args(r.to_str().unwrap());
    *args.last_mut().unwrap() = "re-checked";
    ok(&add(&out, Some(T0 + 60), &args));
    let d = json(&out);
    assert_eq!(d["version"], 2);
    assert_eq!(d["statements"].as_array().unwrap().len(), 2);
}

#[test]
fn dry_run_prints_a_diff_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vex.json");
    std::fs::copy(legacy("out-step1-create.json"), &out).unwrap();
    let before = std::fs::read(&out).unwrap();
    let r = report();
    let o = add(
        &out,
        Some(T0 + 10 * 365 * 86_400),
        &[
            "CVE-2024-11111",
            "--image-repo",
            "ghcr.io/acme/hello-express",
            "--trivy-json",
            r.to_str().unwrap(),
            "--status",
            "under_investigation",
            "--dry-run",
        ],
    );
    ok(&o);
    let diff = String::from_utf8_lossy(&o.stdout);
    assert!(diff.starts_with("--- a/"), "{diff}");
    assert!(diff.contains("+  \"version\": 2,"), "{diff}");
    assert!(diff.contains("-  \"version\": 1,"), "{diff}");
    assert!(
        diff.contains("+      \"status\": \"under_investigation\""),
        "{diff}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), before);
}

/// §6.4 item 1 (history destroyed) and item 2 (version, timestamps): the legacy script's
/// step 3 re-ran CVE-2025-64756 with `--status fixed` on step 2's file and deleted the old
/// statement. vex add keeps both old statements, in order, and appends.
#[test]
fn legacy_fault_1_2_history_version_timestamps() {
    let step2 = json(&legacy("out-step2-add-second-cve.json"));
    let step3 = json(&legacy("out-step3-rerun-first-cve.json"));
    // The recorded legacy fault: step 3 lost the not_affected statement and kept version 1.
    assert_eq!(step3["statements"].as_array().unwrap().len(), 2);
    assert!(
        step3["statements"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] != "not_affected")
    );
    assert_eq!(step3["version"], 1);

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vex.json");
    std::fs::copy(legacy("out-step2-add-second-cve.json"), &out).unwrap();
    let r = report();
    // Same invocation as the legacy step 3 (status fixed, empty comment).
    let o = add(
        &out,
        Some(T0 + 10 * 365 * 86_400),
        &[
            "CVE-2025-64756",
            "--image-repo",
            "ghcr.io/acme/hello-express",
            "--trivy-json",
            r.to_str().unwrap(),
            "--status",
            "fixed",
            "--comment",
            "",
        ],
    );
    ok(&o);
    let d = json(&out);
    let sts = d["statements"].as_array().unwrap();
    assert_eq!(sts.len(), 3, "history kept, one appended");
    let old_ts = step2["timestamp"].clone();
    for i in 0..2 {
        let mut want = step2["statements"][i].clone();
        // The only change to untouched statements: the inherited timestamp pinned.
        want.as_object_mut()
            .unwrap()
            .insert("timestamp".into(), old_ts.clone());
        let got = sts[i].clone();
        assert_eq!(got, want, "statement {i} preserved");
        let keys: Vec<&str> = got
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(&keys[..2], ["vulnerability", "timestamp"]);
    }
    assert_eq!(sts[2]["status"], "fixed");
    assert_eq!(sts[2]["timestamp"], "2035-12-30T00:00:00Z");
    assert_eq!(d["version"], 2, "version bumped (legacy: stayed 1)");
    assert_eq!(d["timestamp"], step2["timestamp"], "first-issued time kept");
    assert_eq!(d["last_updated"], "2035-12-30T00:00:00Z");
    assert_eq!(d["@id"], step2["@id"]);
    assert_eq!(d["author"], step2["author"]);
    // Key order of the existing document kept, last_updated right after timestamp.
    let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "@context",
            "@id",
            "author",
            "timestamp",
            "last_updated",
            "version",
            "statements"
        ]
    );
}

/// §6.4 item 3: comment placement and justification only for not_affected. The legacy
/// step 1 put the comment in action_statement of a not_affected statement; step 3 emitted a
/// justification and an empty action_statement on a fixed one. `vex validate` warns about
/// both (go-vex's rules; Trivy applies such statements), and `--strict` fails them.
#[test]
fn legacy_fault_3_field_semantics() {
    for f in ["out-step1-create.json", "out-step3-rerun-first-cve.json"] {
        let (code, out) = validate(&legacy(f), &[]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("warning [go-vex]: statement 0"), "{out}");
        assert_eq!(validate(&legacy(f), &["--strict"]).0, 1);
    }
    let step1 = json(&legacy("out-step1-create.json"));
    assert!(step1["statements"][0]["action_statement"].is_string());

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vex.json");
    let r = report();
    ok(&add(&out, Some(T0), &glob_args(r.to_str().unwrap())));
    let st = &json(&out)["statements"][0];
    assert_eq!(
        st["impact_statement"],
        "glob is not used by the application at runtime"
    );
    assert!(st.get("action_statement").is_none());
    ok(&add(
        &out,
        Some(T0 + 1),
        &[
            "CVE-2024-11111",
            "--image-repo",
            "ghcr.io/acme/hello-express",
            "--trivy-json",
            r.to_str().unwrap(),
            "--status",
            "affected",
            "--comment",
            "upgrade the base image",
        ],
    ));
    ok(&add(
        &out,
        Some(T0 + 2),
        &[
            "CVE-2025-64756",
            "--image-repo",
            "ghcr.io/acme/hello-express",
            "--trivy-json",
            r.to_str().unwrap(),
            "--status",
            "fixed",
            "--comment",
            "glob upgraded to 11.1.0",
        ],
    ));
    let d = json(&out);
    let aff = &d["statements"][1];
    assert_eq!(aff["action_statement"], "upgrade the base image");
    assert!(aff.get("justification").is_none());
    let fixed = &d["statements"][2];
    assert_eq!(fixed["status_notes"], "glob upgraded to 11.1.0");
    assert!(fixed.get("justification").is_none() && fixed.get("action_statement").is_none());
    assert_eq!(validate_exit(&out), 0);
}

/// §6.4 item 4: `--image-repo node:latest` gave `pkg:oci/node:latest?repository_url=node%3Alatest`
/// (the repo's committed file), which never matches. vex add builds Trivy's PURL, strips the
/// tag with a warning, and adds the grype/Scout forms on request.
#[test]
fn legacy_fault_4_product_purl() {
    let committed = json(&legacy("upstream-committed-vex.openvex.json"));
    assert_eq!(
        committed["statements"][0]["products"][0]["@id"],
        "pkg:oci/node:latest?repository_url=node%3Alatest"
    );
    assert_eq!(
        validate_exit(&legacy("upstream-committed-vex.openvex.json")),
        1
    );

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vex.json");
    let r = report();
    let mut args = glob_args(r.to_str().unwrap());
    args[2] = "node:latest";
    let o = add(&out, Some(T0), &args);
    ok(&o);
    assert!(
        stderr(&o).contains("the tag was stripped"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        json(&out)["statements"][0]["products"][0]["@id"],
        "pkg:oci/node?repository_url=index.docker.io%2Flibrary%2Fnode"
    );
    // Uppercase owner (GitHub's github.repository keeps case) and --compat.
    let out2 = dir.path().join("vex2.json");
    let mut args = glob_args(r.to_str().unwrap());
    args[2] = "ghcr.io/Acme/Hello-Express";
    args.push("--compat");
    ok(&add(&out2, Some(T0), &args));
    let ids: Vec<String> = json(&out2)["statements"][0]["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["@id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "pkg:oci/hello-express?repository_url=ghcr.io%2Facme%2Fhello-express",
            "pkg:oci/hello-express",
            "pkg:docker/acme/hello-express@1.2.3?repository_url=ghcr.io",
        ]
    );
    assert_eq!(validate_exit(&out2), 0);
}

/// §6.4 item 5 (local/PR scans have no image PURL): --scope package names the packages.
#[test]
fn legacy_fault_5_package_scope() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vex.json");
    let r = report();
    let o = add(
        &out,
        Some(T0),
        &[
            "CVE-2025-64756",
            "--trivy-json",
            r.to_str().unwrap(),
            "--status",
            "not_affected",
            "--justification",
            "vulnerable_code_not_in_execute_path",
            "--scope",
            "package",
        ],
    );
    ok(&o);
    let st = &json(&out)["statements"][0];
    let prods: Vec<&Value> = st["products"].as_array().unwrap().iter().collect();
    assert_eq!(prods.len(), 2);
    assert_eq!(prods[0]["@id"], "pkg:npm/glob@10.4.5");
    assert!(prods.iter().all(|p| p.get("subcomponents").is_none()));
}

/// §6.4 item 6: subcomponents were copied with `distro=`; now name, version and epoch only
/// (`--exact` keeps everything, `--versionless` drops the version).
#[test]
fn legacy_fault_6_subcomponent_qualifiers() {
    let step2 = json(&legacy("out-step2-add-second-cve.json"));
    assert_eq!(
        step2["statements"][1]["products"][0]["subcomponents"][0]["@id"],
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u8?arch=amd64&distro=debian-12.8"
    );
    let r = report();
    let sub = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("vex.json");
        let mut args = vec![
            "CVE-2024-11111",
            "--image-repo",
            "ghcr.io/acme/hello-express",
            "--trivy-json",
            r.to_str().unwrap(),
            "--status",
            "under_investigation",
        ];
        args.extend(extra);
        ok(&add(&out, Some(T0), &args));
        json(&out)["statements"][0]["products"][0]["subcomponents"][0]["@id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(sub(&[]), "pkg:deb/debian/libc6@2.36-9%2Bdeb12u8");
    assert_eq!(
        sub(&["--exact"]),
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u8?arch=amd64&distro=debian-12.8"
    );
    assert_eq!(sub(&["--versionless"]), "pkg:deb/debian/libc6");
}

/// §6.4 item 7: only VulnerabilityID was matched; now VendorIDs too (the statement gets the
/// Trivy ID as an alias so Trivy matches it) and ExperimentalModifiedFindings.
#[test]
fn legacy_fault_7_vendor_ids_and_suppressed_findings() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vex.json");
    let r = report();
    let o = add(
        &out,
        Some(T0),
        &[
            "DSA-9999-1",
            "--image-repo",
            "ghcr.io/acme/hello-express",
            "--trivy-json",
            r.to_str().unwrap(),
            "--status",
            "fixed",
        ],
    );
    ok(&o);
    assert!(
        stderr(&o).contains("matched by VendorIDs"),
        "{}",
        stderr(&o)
    );
    let v = &json(&out)["statements"][0]["vulnerability"];
    assert_eq!(v["name"], "DSA-9999-1");
    assert_eq!(v["aliases"], serde_json::json!(["CVE-2024-11111"]));

    // A report already filtered with VEX (--show-suppressed): the glob findings live in
    // ExperimentalModifiedFindings only.
    let mut rep = json(&r);
    let node = &mut rep["Results"][1];
    let vulns = node
        .as_object_mut()
        .unwrap()
        .remove("Vulnerabilities")
        .unwrap();
    node["ExperimentalModifiedFindings"] = Value::Array(
        vulns
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                serde_json::json!({"Type": "vulnerability", "Status": "not_affected",
                    "Statement": "vulnerable_code_not_in_execute_path", "Source": "vex.json", "Finding": f})
            })
            .collect(),
    );
    let filtered = dir.path().join("filtered.json");
    std::fs::write(&filtered, rep.to_string()).unwrap();
    let out2 = dir.path().join("vex2.json");
    let o = add(&out2, Some(T0), &glob_args(filtered.to_str().unwrap()));
    ok(&o);
    assert!(stderr(&o).contains("already suppressed"), "{}", stderr(&o));
    assert_eq!(
        json(&out2)["statements"][0]["products"][0]["subcomponents"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// §6.4 item 8: the @id was tied to the first CVE, and --author was ignored on updates.
#[test]
fn legacy_fault_8_id_and_author() {
    let step1 = json(&legacy("out-step1-create.json"));
    assert_eq!(
        step1["@id"],
        "https://ghcr.io/acme/hello-express/vex/CVE-2025-64756"
    );
    let step2 = json(&legacy("out-step2-add-second-cve.json"));
    assert_eq!(
        step2["author"], "tester",
        "legacy ignored --author \"Other Person\""
    );

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vex.json");
    std::fs::copy(legacy("out-step1-create.json"), &out).unwrap();
    let r = report();
    let o = add(
        &out,
        None,
        &[
            "CVE-2024-11111",
            "--image-repo",
            "ghcr.io/acme/hello-express",
            "--trivy-json",
            r.to_str().unwrap(),
            "--status",
            "affected",
            "--comment",
            "upgrade base image",
            "--author",
            "Other Person",
        ],
    );
    ok(&o);
    assert!(stderr(&o).contains("author changed"), "{}", stderr(&o));
    assert_eq!(json(&out)["author"], "Other Person");
    let fresh = dir.path().join("new.json");
    ok(&add(&fresh, None, &glob_args(r.to_str().unwrap())));
    assert!(
        json(&fresh)["@id"]
            .as_str()
            .unwrap()
            .starts_with("urn:uuid:")
    );
}

/// Unknown fields and a legacy (v0.0.1) document.
#[test]
fn unknown_fields_kept_and_legacy_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vex.json");
    std::fs::write(
        &out,
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"urn:x","author":"a","x-doc":{"k":[1,2]},
"timestamp":"2025-01-01T00:00:00Z","version":3,"statements":[{"x-st":"keep","vulnerability":{"name":"CVE-1"},
"products":[{"@id":"pkg:npm/a"}],"status":"fixed"}]}"#,
    )
    .unwrap();
    let r = report();
    ok(&add(&out, Some(T0), &glob_args(r.to_str().unwrap())));
    let d = json(&out);
    assert_eq!(d["x-doc"]["k"], serde_json::json!([1, 2]));
    assert_eq!(d["statements"][0]["x-st"], "keep");
    assert_eq!(d["statements"][0]["timestamp"], "2025-01-01T00:00:00Z");
    assert_eq!(d["version"], 4);

    let leg = dir.path().join("legacy.json");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/upstream/openvex/go-vex/v0.0.1.json"),
        &leg,
    )
    .unwrap();
    let o = add(
        &leg,
        Some(T0 + 10 * 365 * 86_400),
        &glob_args(r.to_str().unwrap()),
    );
    ok(&o);
    assert!(stderr(&o).contains("upgraded to v0.2.0"), "{}", stderr(&o));
    let d = json(&leg);
    assert_eq!(d["@context"], "https://openvex.dev/ns/v0.2.0");
    assert!(d["statements"][0]["vulnerability"].is_object());
}

#[test]
fn eight_parallel_writers_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vex.json");
    let r = report();
    ok(&add(&out, None, &glob_args(r.to_str().unwrap())));
    let start = json(&out)["version"].as_u64().unwrap();
    let children: Vec<_> = (0..8)
        .map(|i| {
            let mut args = glob_args(r.to_str().unwrap());
            let comment = format!("writer {i}");
            *args.last_mut().unwrap() = &comment;
            let mut c = bin();
            c.args(["vex", "add"])
                .args(&args)
                .arg("--out")
                .arg(&out)
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        ok(&o);
    }
    let d = json(&out);
    assert_eq!(d["version"].as_u64().unwrap(), start + 8);
    let sts = d["statements"].as_array().unwrap();
    assert_eq!(sts.len(), 9);
    let mut comments: Vec<&str> = sts[1..]
        .iter()
        .map(|s| s["impact_statement"].as_str().unwrap())
        .collect();
    comments.sort();
    let want: Vec<String> = (0..8).map(|i| format!("writer {i}")).collect();
    assert_eq!(comments, want);
    assert_eq!(validate_exit(&out), 0);
}

#[test]
fn writer_killed_mid_write_leaves_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vex.json");
    let r = report();
    ok(&add(&out, None, &glob_args(r.to_str().unwrap())));
    let before = std::fs::read(&out).unwrap();
    let mut args = glob_args(r.to_str().unwrap());
    *args.last_mut().unwrap() = "never lands";
    let mut child = bin()
        .args(["vex", "add"])
        .args(&args)
        .arg("--out")
        .arg(&out)
        .env("VEXGATE_TEST_PAUSE_BEFORE_RENAME_MS", "30000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the complete temp file exists, then SIGKILL the writer.
    let deadline = Instant::now() + Duration::from_secs(20);
    let tmp = loop {
        let found = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with(".tmp"));
        if let Some(t) = found
            && std::fs::read_to_string(&t).is_ok_and(|s| s.contains("never lands"))
        {
            break t;
        }
        assert!(
            Instant::now() < deadline,
            "writer never wrote its temp file"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), before, "old file intact");
    assert!(
        tmp.exists(),
        "the killed writer's temp file is left, never renamed"
    );
    // The lock died with the process: the next writer proceeds.
    ok(&add(&out, None, &args));
    assert_eq!(json(&out)["version"], 2);
}

/// Each bad input: exit 2, exactly one line on stderr, the existing file untouched.
#[test]
fn bad_input_exits_2_with_one_line_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vex.json");
    std::fs::copy(legacy("out-step1-create.json"), &out).unwrap();
    let before = std::fs::read(&out).unwrap();
    let r = report();
    let rs = r.to_str().unwrap();
    let base = |status: &str| {
        vec![
            "CVE-2025-64756".to_string(),
            "--image-repo".into(),
            "ghcr.io/acme/hello-express".into(),
            "--trivy-json".into(),
            rs.into(),
            "--status".into(),
            status.into(),
        ]
    };
    let with = |mut v: Vec<String>, extra: &[&str]| {
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let not_json = dir.path().join("not-json.json");
    std::fs::write(&not_json, "{\"SchemaVersion\": 2, ").unwrap();
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "unknown status",
            base("wontfix"),
            "is not an OpenVEX status",
        ),
        (
            "justification with fixed",
            with(base("fixed"), &["--justification", "component_not_present"]),
            "only allowed with --status not_affected",
        ),
        (
            "bad justification label",
            with(base("not_affected"), &["--justification", "not_reachable"]),
            "is not an OpenVEX justification",
        ),
        (
            "not_affected without justification or impact",
            base("not_affected"),
            "needs --justification",
        ),
        (
            "affected without action",
            base("affected"),
            "needs an action statement",
        ),
        (
            "CVE absent",
            {
                let mut v = base("fixed");
                v[0] = "CVE-1999-0001".into();
                v
            },
            "CVE-1999-0001 is not in this report",
        ),
        (
            "missing report",
            {
                let mut v = base("fixed");
                v[4] = dir.path().join("nope.json").to_string_lossy().into_owned();
                v
            },
            "no such file",
        ),
        (
            "unreadable report (a directory)",
            {
                let mut v = base("fixed");
                v[4] = dir.path().to_string_lossy().into_owned();
                v
            },
            "is a directory",
        ),
        (
            "report not JSON",
            {
                let mut v = base("fixed");
                v[4] = not_json.to_string_lossy().into_owned();
                v
            },
            "truncated JSON",
        ),
    ];
    for (what, args, needle) in cases {
        let o = add(
            &out,
            None,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{what}: one line: {err}");
        assert!(err.starts_with("vexgate: error: "), "{what}: {err}");
        assert!(err.contains(needle), "{what}: want {needle:?} in {err}");
        assert_eq!(
            std::fs::read(&out).unwrap(),
            before,
            "{what}: file untouched"
        );
    }

    // Unwritable output: its directory is a regular file.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let o = add(&blocker.join("vex.json"), None, &glob_args(rs));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim_end().lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot write"), "{}", stderr(&o));

    // An existing VEX file that is invalid: not JSON, JSON but not OpenVEX, a statement
    // without a vulnerability.
    for (name, content, needle) in [
        (
            "trunc.json",
            "{\"@context\": \"https://openvex.dev/ns/v0.2.0\",",
            "truncated JSON",
        ),
        (
            "csaf.json",
            "{\"document\": {}, \"vulnerabilities\": []}",
            "no @context",
        ),
        (
            "nostmt.json",
            "{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"statements\": [{\"status\": \"fixed\"}]}",
            "no `vulnerability`",
        ),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        let o = add(&p, None, &glob_args(rs));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: {err}");
        assert!(
            err.contains(needle) && err.contains("not modified"),
            "{name}: {err}"
        );
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            content,
            "{name} untouched"
        );
    }
}

/// Appending to a document Trivy refuses (the oracle's `vex-refused-*` documents) rewrites
/// it in the v0.2.0 shapes, so the result loads in Trivy; a value the rewrite cannot repair
/// (a time Go does not parse, which `vex add` would pin as the statement's timestamp) is
/// refused, and the file is left alone.
#[test]
fn add_to_a_document_trivy_refuses_rewrites_it_as_v020() {
    let refused = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/oracle/vex/refused");
    let r = report();
    let mut n = 0;
    for e in std::fs::read_dir(&refused).unwrap() {
        let src = e.unwrap().path();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("vex.json");
        std::fs::copy(&src, &out).unwrap();
        let (code, text) = validate(&out, &[]);
        assert!(
            code == 1 && text.contains("error [trivy]"),
            "{}: {text}",
            src.display()
        );
        let o = add(&out, Some(T0), &glob_args(r.to_str().unwrap()));
        if src.ends_with("last-updated-space.openvex.json") {
            assert_eq!(o.status.code(), Some(2));
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                err.contains("Trivy 0.76 would refuse the result: statements[0].timestamp")
                    && err.contains("not modified"),
                "{err}"
            );
            assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&src).unwrap());
            continue;
        }
        ok(&o);
        let (_, text) = validate(&out, &[]);
        assert!(!text.contains("[trivy]"), "{}: {text}", src.display());
        let d = json(&out);
        assert_eq!(d["@context"], "https://openvex.dev/ns/v0.2.0");
        assert!(d["statements"][0]["vulnerability"].is_object(), "{d}");
        n += 1;
    }
    assert!(n >= 4);
}

/// `--out` naming a device or a FIFO: exit 2 with one line, at once, nothing read or
/// written, and no lock file beside it (none in `/dev`). A device as the report is read up
/// to the cap and refused the same way.
#[test]
fn non_regular_out_is_refused_without_a_lock_file() {
    let r = report();
    let r = r.to_str().unwrap();
    let lock = Path::new("/dev/.full.lock");
    let had_lock = lock.exists();
    let started = Instant::now();
    let o = add(Path::new("/dev/full"), Some(T0), &glob_args(r));
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(
        e,
        "vexgate: error: /dev/full: is not a regular file (a device, FIFO or socket): the VEX document must be a regular file\n"
    );
    assert!(
        had_lock || !lock.exists(),
        "a lock file was created in /dev"
    );
    let mut dry = glob_args(r);
    dry.push("--dry-run");
    let o = add(Path::new("/dev/full"), Some(T0), &dry);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    // A FIFO with no writer would block a reader forever: refused before it is opened.
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("vex.json");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let o = add(&fifo, Some(T0), &glob_args(r));
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("is not a regular file"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    let names: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["vex.json"], "no lock file beside the FIFO");

    // The report from an endless device: capped, one line, exit 2.
    let out = d.path().join("out.json");
    let mut args = glob_args("/dev/zero");
    args[4] = "/dev/zero";
    let o = add(&out, Some(T0), &args);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.starts_with("vexgate: error: /dev/zero: "), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(!out.exists());
    assert!(started.elapsed() < Duration::from_secs(60));
}
