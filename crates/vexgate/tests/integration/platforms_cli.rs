//! The platform check (`--expect-platforms`, `--expect-platforms-from`) on real reports: the
//! bundled two-platform example (examples/trivy-linux-{amd64,arm64}.json, real Trivy 0.76
//! reports), an image index written by buildah (testdata/index/, scripts/make-index-layout.sh)
//! and a buildx index with attestation manifests (testdata/upstream/buildx/). And `scan` of a
//! registry reference: every platform of the index the index tool prints is scanned.
//! Expected platforms and findings are read from the inputs at run time.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::common::{golden, root, text, tmp, vexgate};

fn example(arch: &str) -> PathBuf {
    root().join(format!("examples/trivy-linux-{arch}.json"))
}

fn buildah_index() -> PathBuf {
    root().join("testdata/index/buildah-two-platform-index.json")
}

fn buildx_index() -> PathBuf {
    root().join("testdata/upstream/buildx/buildkit-master-index-attestations.json")
}

/// The image platforms of an index, read with the untyped JSON model (attestation
/// manifests left out), sorted: the expected value of the typed reader.
fn index_platforms(path: &Path) -> Vec<String> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out: Vec<String> = v["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["annotations"]["vnd.docker.reference.type"] != "attestation-manifest")
        .map(|m| {
            format!(
                "{}/{}",
                m["platform"]["os"].as_str().unwrap(),
                m["platform"]["architecture"].as_str().unwrap()
            )
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A `.trivyignore` in `dir` that ignores every finding that blocks in `reports` under the
/// default policy, so the platform check alone decides the exit code.
fn ignore_everything(dir: &Path, reports: &[PathBuf]) -> PathBuf {
    let out = vexgate(dir)
        .args(["gate", "--vex", "none", "--format", "json"])
        .args(reports)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut ids: Vec<String> = v["blocking"]
        .as_array()
        .unwrap()
        .iter()
        .chain(v["other_blocking"].as_array().unwrap())
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    let path = dir.join("ignore-all");
    std::fs::write(&path, ids.join("\n") + "\n").unwrap();
    // Not vacuous: the reports do block without it, and pass with it.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let pass = gate(dir, &path, reports, &[]);
    assert_eq!(pass.status.code(), Some(0), "{}", text(&pass));
    path
}

fn gate(dir: &Path, ignore: &Path, reports: &[PathBuf], flags: &[&str]) -> Output {
    vexgate(dir)
        .args(["gate", "--vex", "none", "--ignorefile"])
        .arg(ignore)
        .args(flags)
        .args(reports)
        .output()
        .unwrap()
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn matching_missing_extra_and_platformless_reports() {
    let t = tmp();
    let amd = example("amd64");
    let arm = example("arm64");
    let fs = golden("gomod.json.golden");
    let ignore = ignore_everything(t.path(), &[amd.clone(), arm.clone(), fs.clone()]);
    let both = "linux/amd64,linux/arm64";

    // Matching: exit 0, and the JSON says what was checked.
    let o = gate(
        t.path(),
        &ignore,
        &[amd.clone(), arm.clone()],
        &["--expect-platforms", both, "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = json_of(&o);
    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["platform_check"]["passed"], true);
    assert_eq!(v["platform_check"]["source"], "flag");
    assert_eq!(
        v["platform_check"]["expected"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );

    // Missing: the arm64 report is not given.
    let o = gate(
        t.path(),
        &ignore,
        std::slice::from_ref(&amd),
        &["--expect-platforms", both, "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v = json_of(&o);
    assert_eq!(v["verdict"], "blocked");
    assert_eq!(
        v["platform_check"]["missing"],
        serde_json::json!(["linux/arm64"])
    );
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("expect")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("vexgate: warning: platform linux/arm64 is expected"),
        "{err}"
    );
    // The table's verdict names it too.
    let o = gate(
        t.path(),
        &ignore,
        std::slice::from_ref(&amd),
        &["--expect-platforms", both],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("BLOCKED: platform check failed (missing linux/arm64"),
        "{out}"
    );

    // Extra: arm64 is not expected.
    let o = gate(
        t.path(),
        &ignore,
        &[amd.clone(), arm.clone()],
        &["--expect-platforms", "linux/amd64", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v = json_of(&o);
    assert_eq!(v["platform_check"]["missing"], serde_json::json!([]));
    assert_eq!(
        v["platform_check"]["unexpected"],
        serde_json::json!([{"path": arm.display().to_string(), "platform": "linux/arm64"}])
    );
    assert!(
        stderr(&o).contains(&format!(
            "{}: platform linux/arm64 is not expected",
            arm.display()
        )),
        "{}",
        stderr(&o)
    );

    // A report without a platform (a filesystem scan) cannot count for one.
    let o = gate(
        t.path(),
        &ignore,
        &[amd.clone(), arm.clone(), fs.clone()],
        &["--expect-platforms", both, "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v = json_of(&o);
    assert_eq!(
        v["platform_check"]["no_platform"],
        serde_json::json!([fs.display().to_string()])
    );
    // ... unless --report-platform gives it one that is expected.
    let o = gate(
        t.path(),
        &ignore,
        &[amd.clone(), fs.clone()],
        &[
            "--expect-platforms",
            both,
            "--report-platform",
            &format!("{}=linux/arm64", fs.display()),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // Without the check the same inputs pass: the check is what failed them.
    let o = gate(t.path(), &ignore, std::slice::from_ref(&amd), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = gate(
        t.path(),
        &ignore,
        std::slice::from_ref(&amd),
        &["--format", "json"],
    );
    assert_eq!(json_of(&o)["platform_check"], Value::Null);
}

#[test]
fn expect_platforms_from_an_image_index() {
    let t = tmp();
    let amd = example("amd64");
    let arm = example("arm64");
    let ignore = ignore_everything(t.path(), &[amd.clone(), arm.clone()]);

    // The buildah index lists exactly the example's two platforms.
    let idx = buildah_index();
    let want = index_platforms(&idx);
    assert_eq!(want, ["linux/amd64", "linux/arm64"]);
    let from = |reports: &[PathBuf], index: &Path| {
        let mut flags = vec!["--format", "json", "--expect-platforms-from"];
        let index = index.to_str().unwrap().to_string();
        flags.push(&index);
        gate(t.path(), &ignore, reports, &flags)
    };
    let o = from(&[amd.clone(), arm.clone()], &idx);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = json_of(&o);
    assert_eq!(v["platform_check"]["source"], "index");
    assert_eq!(v["platform_check"]["index"], idx.display().to_string());
    assert_eq!(v["platform_check"]["expected"], serde_json::json!(want));
    let o = from(std::slice::from_ref(&arm), &idx);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(
        json_of(&o)["platform_check"]["missing"],
        serde_json::json!(["linux/amd64"])
    );

    // The buildx index: its attestation manifests are not platforms; every other image
    // platform it lists is missing.
    let bx = buildx_index();
    let o = from(&[amd.clone(), arm.clone()], &bx);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v = json_of(&o);
    let bx_want = index_platforms(&bx);
    assert_eq!(v["platform_check"]["expected"], serde_json::json!(bx_want));
    let missing: Vec<String> = bx_want
        .iter()
        .filter(|p| *p != "linux/amd64" && *p != "linux/arm64")
        .cloned()
        .collect();
    assert!(!missing.is_empty());
    assert_eq!(v["platform_check"]["missing"], serde_json::json!(missing));
    assert!(!stderr(&o).contains("unknown"), "{}", stderr(&o));
    // The Markdown summary shows the check.
    let md = t.path().join("summary.md");
    let o = vexgate(t.path())
        .args(["gate", "--vex", "none", "--ignorefile"])
        .arg(&ignore)
        .arg("--expect-platforms-from")
        .arg(&bx)
        .arg("--summary-md")
        .arg(&md)
        .args([&amd, &arm])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("**Platforms:** expected "), "{md}");
    assert!(md.contains("`expect-platforms`"), "{md}");

    // A single-platform manifest is not an index: one line naming the file, exit 2.
    let single = root().join("testdata/upstream/buildx/loop-single-manifest.json");
    let o = from(std::slice::from_ref(&amd), &single);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&single.display().to_string()), "{err}");
    assert!(err.contains("not an image index"), "{err}");
    // A missing index: the same.
    let o = from(std::slice::from_ref(&amd), &t.path().join("nope.json"));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        stderr(&o).contains("nope.json: no such file"),
        "{}",
        stderr(&o)
    );
    // The buildx manifest list with a linux/arm/v6 beside its linux/arm/v7: platforms are
    // told apart by os/architecture, so a report of one would pass for both; refused.
    let mut list: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            root().join("testdata/upstream/buildx/buildkit-master-manifest-list.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let manifests = list["manifests"].as_array_mut().unwrap();
    let mut v6 = manifests
        .iter()
        .find(|m| m["platform"]["variant"] == "v7")
        .unwrap()
        .clone();
    v6["platform"]["variant"] = "v6".into();
    v6["digest"] = format!("sha256:{}", "6".repeat(64)).into();
    manifests.push(v6);
    let two_arm = t.path().join("two-arm.json");
    std::fs::write(&two_arm, list.to_string()).unwrap();
    let o = from(&[amd.clone(), arm.clone()], &two_arm);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("linux/arm/v6") && err.contains("linux/arm/v7") && err.contains("variant"),
        "{err}"
    );
}

#[test]
fn settings_exclusivity_and_protected_index() {
    let t = tmp();
    let amd = example("amd64");
    let arm = example("arm64");
    let ignore = ignore_everything(t.path(), &[amd.clone(), arm.clone()]);
    let idx = t.path().join("index.json");
    std::fs::copy(buildah_index(), &idx).unwrap();
    let before = std::fs::read(&idx).unwrap();

    // Both flags: a usage error.
    let o = gate(
        t.path(),
        &ignore,
        &[amd.clone(), arm.clone()],
        &[
            "--expect-platforms",
            "linux/amd64",
            "--expect-platforms-from",
            "index.json",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        stderr(&o).contains("cannot be used together"),
        "{}",
        stderr(&o)
    );
    // An empty or malformed list: a usage error.
    for bad in ["", "linux", "linux/../etc"] {
        let o = gate(
            t.path(),
            &ignore,
            std::slice::from_ref(&amd),
            &["--expect-platforms", bad],
        );
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", text(&o));
    }

    // The index is an input: no output may overwrite it.
    let o = gate(
        t.path(),
        &ignore,
        &[amd.clone(), arm.clone()],
        &[
            "--expect-platforms-from",
            "index.json",
            "--summary-md",
            "index.json",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("image index"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&idx).unwrap(), before);

    // The variable and the settings file (a path in it is relative to the file).
    let o = vexgate(t.path())
        .env("VEXGATE_EXPECT_PLATFORMS", "linux/amd64,linux/arm64")
        .args(["gate", "--vex", "none", "--ignorefile"])
        .arg(&ignore)
        .arg(&amd)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let cfg_dir = t.path().join("cfg");
    std::fs::create_dir(&cfg_dir).unwrap();
    std::fs::copy(buildah_index(), cfg_dir.join("idx.json")).unwrap();
    std::fs::write(
        cfg_dir.join("vexgate.toml"),
        "expect-platforms-from = \"idx.json\"\n",
    )
    .unwrap();
    let with_cfg = |reports: &[&PathBuf], extra: &[&str]| {
        vexgate(t.path())
            .args(["gate", "--vex", "none", "--config", "cfg/vexgate.toml"])
            .arg("--ignorefile")
            .arg(&ignore)
            .args(extra)
            .args(reports)
            .output()
            .unwrap()
    };
    assert_eq!(with_cfg(&[&amd, &arm], &[]).status.code(), Some(0));
    assert_eq!(with_cfg(&[&amd], &[]).status.code(), Some(1));
    // A flag replaces the file's choice (no conflict across layers).
    let o = with_cfg(&[&amd], &["--expect-platforms", "linux/amd64"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// A stand-in executable in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A Trivy stand-in that writes the bundled example report of the platform it was asked
/// for (`TRIVY_PLATFORM`), or of `fixed` when set, to its `--output`.
fn fake_trivy(dir: &Path, fixed: Option<&str>) -> PathBuf {
    let pick = match fixed {
        Some(arch) => format!("arch={arch}"),
        None => "arch=${TRIVY_PLATFORM#linux/}".to_string(),
    };
    script(
        dir,
        "trivy",
        &format!(
            "out=\nwhile [ $# -gt 0 ]; do [ \"$1\" = --output ] && out=$2; shift; done\n\
             echo \"$TRIVY_PLATFORM\" >>\"{log}\"\n{pick}\n\
             cp \"{examples}/trivy-linux-$arch.json\" \"$out\"",
            log = dir.join("trivy.log").display(),
            examples = root().join("examples").display(),
        ),
    )
}

fn scan_registry(dir: &Path, index: &Path, trivy: &Path, reference: &str) -> (Output, PathBuf) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    script(
        &bin,
        "skopeo",
        &format!(
            "echo \"$@\" >\"{}\"\ncat \"{}\"",
            dir.join("skopeo.args").display(),
            index.display()
        ),
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let reports = dir.join("reports");
    let ignore = dir.join("ignore-all");
    let o = vexgate(dir)
        .env("PATH", path)
        .args([
            "scan",
            "--vex",
            "none",
            "--index-tool",
            "skopeo",
            "--format",
            "json",
        ])
        .arg("--ignorefile")
        .arg(&ignore)
        .arg("--trivy")
        .arg(trivy)
        .arg("--reports-dir")
        .arg(&reports)
        .arg(reference)
        .output()
        .unwrap();
    (o, reports)
}

#[test]
fn scan_of_a_registry_reference_scans_every_platform_of_its_index() {
    let t = tmp();
    ignore_everything(t.path(), &[example("amd64"), example("arm64")]);
    let trivy = fake_trivy(t.path(), None);
    let idx = buildah_index();
    let (o, reports) = scan_registry(t.path(), &idx, &trivy, "127.0.0.1:5000/e2e/multi:1");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // skopeo read the raw index, over plain HTTP for a loopback registry.
    let args = std::fs::read_to_string(t.path().join("skopeo.args")).unwrap();
    assert_eq!(
        args.trim(),
        "inspect --raw --tls-verify=false docker://127.0.0.1:5000/e2e/multi:1"
    );
    // Trivy ran once per platform of the index, and one report per platform was saved.
    let want = index_platforms(&idx);
    let mut asked: Vec<String> = std::fs::read_to_string(t.path().join("trivy.log"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    asked.sort();
    assert_eq!(asked, want);
    let mut saved: Vec<String> = std::fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    saved.sort();
    let want_files: Vec<String> = want
        .iter()
        .map(|p| format!("trivy-{}.json", p.replace('/', "-")))
        .collect();
    assert_eq!(saved, want_files);
    let v = json_of(&o);
    assert_eq!(v["platform_check"]["source"], "scan");
    assert_eq!(v["platform_check"]["passed"], true);
    assert_eq!(v["platform_check"]["expected"], serde_json::json!(want));

    // Given the buildx index, the scan asks Trivy for platforms the stand-in has no
    // report for: Trivy's failure is the scan's (exit 2), not a silent one-platform pass.
    let t2 = tmp();
    std::fs::copy(t.path().join("ignore-all"), t2.path().join("ignore-all")).unwrap();
    let trivy2 = fake_trivy(t2.path(), None);
    let (o, _) = scan_registry(t2.path(), &buildx_index(), &trivy2, "ghcr.io/o/r:1");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let args = std::fs::read_to_string(t2.path().join("skopeo.args")).unwrap();
    assert_eq!(args.trim(), "inspect --raw docker://ghcr.io/o/r:1");
    let mut asked: Vec<String> = std::fs::read_to_string(t2.path().join("trivy.log"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    asked.sort();
    asked.dedup();
    // Every platform was attempted, or the scan stopped at the first failure: never one
    // outside the index.
    assert!(
        asked
            .iter()
            .all(|p| index_platforms(&buildx_index()).contains(p)),
        "{asked:?}"
    );
}

#[test]
fn a_report_of_another_platform_than_asked_is_refused() {
    let t = tmp();
    ignore_everything(t.path(), &[example("amd64"), example("arm64")]);
    // Trivy "scans" amd64 whatever it is asked for (as if the platform were ignored).
    let trivy = fake_trivy(t.path(), Some("amd64"));
    let (o, reports) = scan_registry(t.path(), &buildah_index(), &trivy, "ghcr.io/o/r:1");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        stderr(&o).contains("was asked for linux/arm64 but its report records linux/amd64"),
        "{}",
        stderr(&o)
    );
    assert!(!reports.join("trivy-linux-arm64.json").exists());
}

#[test]
fn scan_of_a_single_platform_manifest_lets_the_image_decide() {
    let t = tmp();
    ignore_everything(t.path(), &[example("amd64"), example("arm64")]);
    let trivy = fake_trivy(t.path(), Some("amd64"));
    let single = root().join("testdata/upstream/buildx/loop-single-manifest.json");
    let (o, reports) = scan_registry(t.path(), &single, &trivy, "ghcr.io/o/r:1");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Trivy was asked for no platform, and no check was made (nothing to expect).
    let log = std::fs::read_to_string(t.path().join("trivy.log")).unwrap();
    assert_eq!(log, "\n");
    assert!(reports.join("trivy-linux-amd64.json").exists());
    assert_eq!(json_of(&o)["platform_check"], Value::Null);
}

#[test]
fn no_index_tool_on_path_is_an_error_with_the_ways_out() {
    let t = tmp();
    let trivy = fake_trivy(t.path(), None);
    let empty = t.path().join("empty-bin");
    std::fs::create_dir(&empty).unwrap();
    let o = vexgate(t.path())
        .env("PATH", &empty)
        .args(["scan", "--vex", "none"])
        .arg("--trivy")
        .arg(&trivy)
        .arg("ghcr.io/o/r:1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = stderr(&o);
    assert!(err.contains("none of skopeo, crane or docker"), "{err}");
    assert!(err.contains("--index-tool none"), "{err}");
    assert!(!t.path().join("trivy.log").exists());
}

/// A multi-platform OCI layout (index.json → the buildah index as a nested blob) is scanned
/// one image at a time: Trivy reads a layout's first image whatever platform it is asked
/// for, so each run gets a layout naming only its platform's image.
#[test]
fn scan_of_a_multi_platform_oci_layout_gives_trivy_one_image_per_run() {
    let t = tmp();
    ignore_everything(t.path(), &[example("amd64"), example("arm64")]);
    let layout = t.path().join("layout");
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    std::fs::copy(buildah_index(), layout.join("blobs/sha256/1d")).unwrap();
    std::fs::write(
        layout.join("index.json"),
        r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:1d","size":1}]}"#,
    )
    .unwrap();
    // The stand-in reads the one platform of the layout it is given, and answers with that
    // platform's example report.
    let trivy = script(
        t.path(),
        "trivy",
        &format!(
            "out= input=\nwhile [ $# -gt 0 ]; do\n  [ \"$1\" = --output ] && out=$2\n  [ \"$1\" = --input ] && input=$2\n  shift\ndone\n\
             arch=$(grep -o '\"architecture\":\"[a-z0-9]*\"' \"$input/index.json\" | cut -d'\"' -f4)\n\
             n=$(grep -o '\"digest\"' \"$input/index.json\" | wc -l)\n\
             echo \"$TRIVY_PLATFORM $arch $n\" >>\"{log}\"\n\
             cp \"{examples}/trivy-linux-$arch.json\" \"$out\"",
            log = t.path().join("trivy.log").display(),
            examples = root().join("examples").display(),
        ),
    );
    let o = vexgate(t.path())
        .args([
            "scan",
            "--vex",
            "none",
            "--ignorefile",
            "ignore-all",
            "--format",
            "json",
        ])
        .arg("--trivy")
        .arg(&trivy)
        .arg("--reports-dir")
        .arg(t.path().join("reports"))
        .arg(&layout)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let mut log: Vec<String> = std::fs::read_to_string(t.path().join("trivy.log"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    log.sort();
    let want: Vec<String> = index_platforms(&buildah_index())
        .iter()
        .map(|p| format!("{p} {} 1", p.trim_start_matches("linux/")))
        .collect();
    assert_eq!(log, want);
    let v = json_of(&o);
    assert_eq!(v["platform_check"]["passed"], true);
    assert_eq!(
        v["platform_check"]["expected"],
        serde_json::json!(index_platforms(&buildah_index()))
    );
}
