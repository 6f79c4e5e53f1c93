//! `vexgate vex validate` over every upstream OpenVEX fixture, with the expected verdict for
//! each and the problem (code + statement path) that decides it.
//!
//! Errors are what changes the outcome in Trivy 0.76: a value its decoder refuses (`[trivy]`;
//! the oracle's `upstream_vex` list records which of these files real Trivy refuses, and
//! `vex_validate_reports_a_trivy_error_iff_trivy_refuses` in the oracle module holds validate
//! to it), a statement that can never match or suppress, and the spec's two status rules.
//! Schema violations Trivy accepts and go-vex's `Statement.Validate` rules are warnings. A
//! new fixture in one of these directories fails `every_fixture_has_a_verdict` until it is
//! classified here.

use std::path::{Path, PathBuf};
use std::process::Command;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/upstream/openvex")
}

fn run(args: &[&str], files: &[PathBuf]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_vexgate"))
        .args(["vex", "validate"])
        .args(args)
        .args(files)
        .env("SOURCE_DATE_EPOCH", "1798761600") // 2027-01-01: fixtures are not "in the future"
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// (fixture, expected exit, substrings the output must contain: "[code]: statement N, path").
const VERDICTS: &[(&str, i32, &[&str])] = &[
    // The spec's own examples: schema-valid, semantically complete.
    (
        "spec/example-minimal.openvex.json",
        0,
        &["valid (0 error(s), 0 warning(s))"],
    ),
    (
        "spec/example-spring-log4j.openvex.json",
        0,
        &["valid (0 error(s), 0 warning(s))"],
    ),
    (
        "spec/example-update-before.openvex.json",
        0,
        &["valid (0 error(s), 0 warning(s))"],
    ),
    (
        "spec/example-update-after.openvex.json",
        0,
        &["valid (0 error(s), 0 warning(s))"],
    ),
    // Not documents: the schema, the JSON-LD context and two struct fragments.
    (
        "spec/openvex_json_schema.json",
        1,
        &["[spec]: @context: missing"],
    ),
    (
        "spec/context-v0.2.0.json",
        1,
        &["[spec]: @context: missing"],
    ),
    (
        "spec/fragment-product.json",
        1,
        &["[spec]: @context: missing"],
    ),
    (
        "spec/fragment-vulnerability.json",
        1,
        &["[spec]: @context: missing"],
    ),
    // go-vex: v0.2.0.json is the reference document.
    (
        "go-vex/v0.2.0.json",
        0,
        &["valid (0 error(s), 0 warning(s))"],
    ),
    // Legacy v0.0.1 shapes (string version, vulnerability and products): Trivy has no v0.0.1
    // reader and refuses them; the context itself is only a warning.
    (
        "go-vex/v0.0.1.json",
        1,
        &[
            "error [trivy]: version: the string \"1\", expected an integer (int) (Go: json: cannot unmarshal string into Go struct field VEX.version of type int) (Trivy: refuses to load the document)",
            "error [trivy]: statement 0, statements[0].vulnerability",
            "error [trivy]: statement 0, statements[0].products[1]",
            "warning [spec]: @context: \"https://openvex.dev/ns/v0.0.1\" announces the legacy v0.0.1 format",
            "invalid (4 error(s), 1 warning(s))",
        ],
    ),
    (
        "go-vex/v0.0.1-noversion.json",
        1,
        &["error [trivy]: statement 0, statements[0].vulnerability"],
    ),
    (
        "go-vex/v001-1.vex.json",
        1,
        &[
            "warning [schema]: (document): required field \"timestamp\" is missing (Trivy: loads the document)",
            "warning [schema]: (document): unknown field \"format\" (the schema allows no additional properties) (Trivy: ignores it)",
            "warning [schema]: @id",
            "error [trivy]: statement 0, statements[0].products[0]",
        ],
    ),
    (
        "go-vex/v001-2.vex.json",
        1,
        &[
            "warning [schema]: (document): required field \"version\"",
            "error [trivy]: statement 0, statements[0].vulnerability",
        ],
    ),
    (
        "go-vex/csaf-testdata-openvex.json",
        1,
        &["error [trivy]: version: the string \"1\""],
    ),
    // Merge-test inputs without timestamp/version: Trivy loads them (warnings).
    (
        "go-vex/v020-1.vex.json",
        0,
        &[
            "warning [schema]: (document): required field \"timestamp\"",
            "required field \"version\"",
            "valid (0 error(s), 2 warning(s))",
        ],
    ),
    (
        "go-vex/v020-2.vex.json",
        0,
        &["warning [schema]: (document): required field \"timestamp\""],
    ),
    // CSAF documents are not OpenVEX.
    (
        "go-vex/csaf.json",
        1,
        &["not an OpenVEX document (this looks like CSAF"],
    ),
    ("go-vex/csaf-testdata-csaf.json", 1, &["looks like CSAF"]),
    ("vexctl/examples-csaf-csaf.json", 1, &["looks like CSAF"]),
    ("trivy/testdata-csaf.json", 1, &["looks like CSAF"]),
    (
        "trivy/testdata-csaf-relationships.json",
        1,
        &["looks like CSAF"],
    ),
    (
        "trivy/testdata-cyclonedx.json",
        1,
        &["looks like CycloneDX"],
    ),
    // vexctl legacy test documents: v0.0.1 shape (Trivy refuses); ctl-test also has
    // product-less statements (never match) and an action statement on not_affected
    // (go-vex); ctl-images has a `tag` qualifier and a repository_url that is only a
    // registry (never match in Trivy).
    (
        "vexctl/ctl-test.vex.json",
        1,
        &[
            "error [trivy]: statement 0, statements[0].vulnerability",
            "error [spec]: statement 0, statements[0].products: no products",
            "warning [go-vex]: statement 0, statements[0].action_statement",
        ],
    ),
    (
        "vexctl/ctl-images.vex.json",
        1,
        &[
            "error [oci-qualifier-never-emitted]: statement 3, statements[3].products[0].@id",
            "error [repository-url-without-name]: statement 3, statements[3].products[0].@id: repository_url \"registry.k8s.io\" lacks the image name",
        ],
    ),
    // vexctl examples: valid v0.2.0.
    (
        "vexctl/examples-csaf-openvex.json",
        0,
        &["valid (0 error(s), 0 warning(s))"],
    ),
    (
        "vexctl/examples-demo.vex.json",
        0,
        &["valid (0 error(s), 0 warning(s))"],
    ),
    (
        "vexctl/examples-document1.vex.json",
        0,
        &["valid (0 error(s), 0 warning(s))"],
    ),
    (
        "vexctl/examples-document2.vex.json",
        0,
        &["valid (0 error(s), 0 warning(s))"],
    ),
    (
        "vexctl/template-oci-vexctl.openvex.json",
        0,
        &["valid (0 error(s), 0 warning(s))"],
    ),
    // vexctl SARIF examples carry a non-spec "statement" field, which Trivy ignores.
    (
        "vexctl/examples-sarif-sample-1statement.openvex.json",
        0,
        &[
            "warning [schema]: statement 0, statements[0]: unknown field \"statement\" (the schema allows no additional properties) (Trivy: ignores it)",
        ],
    ),
    (
        "vexctl/examples-sarif-sample-2vulns.openvex.json",
        0,
        &["statement 1, statements[1]: unknown field \"statement\""],
    ),
    (
        "vexctl/examples-sarif-sample-history.openvex.json",
        0,
        &["statement 1, statements[1]: unknown field \"statement\""],
    ),
    // Trivy's own VEX files: valid; dot-vex-trivy has a non-IRI @id, a warning only.
    (
        "trivy/dot-vex-oci.openvex.json",
        0,
        &["valid (0 error(s), 0 warning(s))"],
    ),
    (
        "trivy/dot-vex-trivy.openvex.json",
        0,
        &["warning [schema]: @id:", "valid (0 error(s), 1 warning(s))"],
    ),
    // Trivy test data: no document @id (a schema warning, Trivy loads them); -multiple also
    // has an affected statement without action_statement (error) and the legacy context
    // (warning: Trivy reads it as v0.2.0, which these documents are).
    (
        "trivy/testdata-openvex.json",
        0,
        &["warning [schema]: (document): required field \"@id\""],
    ),
    (
        "trivy/testdata-openvex-oci.json",
        0,
        &["required field \"@id\""],
    ),
    (
        "trivy/testdata-openvex-oci-mismatch.json",
        0,
        &["required field \"@id\""],
    ),
    (
        "trivy/testdata-openvex-nested.json",
        0,
        &["required field \"@id\""],
    ),
    (
        "trivy/testdata-openvex-multiple.json",
        1,
        &[
            "error [spec]: statement 0, statements[0].action_statement: affected needs",
            "warning [spec]: @context",
        ],
    ),
    // The legacy create_vex.sh outputs: comment in action_statement on not_affected,
    // justification on affected/fixed. go-vex refuses these; Trivy applies them (warnings).
    (
        "legacy-create-vex-sh/out-step1-create.json",
        0,
        &[
            "warning [go-vex]: statement 0, statements[0].action_statement: go-vex's Statement.Validate (vexctl) refuses an action statement with status not_affected",
        ],
    ),
    (
        "legacy-create-vex-sh/out-step2-add-second-cve.json",
        0,
        &[
            "warning [go-vex]: statement 1, statements[1].justification: go-vex's Statement.Validate (vexctl) refuses a justification with status affected",
            "warning [distro-qualifier]: statement 1",
        ],
    ),
    (
        "legacy-create-vex-sh/out-step3-rerun-first-cve.json",
        0,
        &[
            "warning [go-vex]: statement 1, statements[1].justification",
            "warning [go-vex]: statement 1, statements[1].action_statement",
        ],
    ),
    // The file create_vex.sh's original usage committed: its product can never match.
    (
        "legacy-create-vex-sh/upstream-committed-vex.openvex.json",
        1,
        &[
            "error [oci-name-invalid]: statement 0, statements[0].products[0].@id",
            "error [repository-url-invalid]",
            "(Trivy: loads it, it never matches)",
        ],
    ),
    // The synthetic Trivy report is not VEX at all.
    (
        "legacy-create-vex-sh/trivy.synthetic.json",
        1,
        &["[spec]: @context: missing"],
    ),
];

#[test]
fn every_fixture_has_its_verdict() {
    for (f, want, needles) in VERDICTS {
        let (code, out, err) = run(&[], &[dir().join(f)]);
        assert_eq!(code, *want, "{f}\n{out}{err}");
        for n in *needles {
            assert!(out.contains(n), "{f}: want {n:?} in\n{out}");
        }
    }
}

#[test]
fn every_fixture_has_a_verdict() {
    for sub in ["spec", "go-vex", "vexctl", "trivy", "legacy-create-vex-sh"] {
        for e in std::fs::read_dir(dir().join(sub)).unwrap() {
            let name = format!("{sub}/{}", e.unwrap().file_name().to_string_lossy());
            assert!(
                VERDICTS.iter().any(|(f, _, _)| *f == name),
                "{name} has no expected verdict"
            );
        }
    }
}

#[test]
fn strict_turns_warnings_into_failure() {
    let f = dir().join("trivy/dot-vex-trivy.openvex.json");
    assert_eq!(run(&[], std::slice::from_ref(&f)).0, 0);
    assert_eq!(run(&["--strict"], &[f]).0, 1);
}

#[test]
fn several_files_and_exit_2_for_unreadable_or_not_json() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{\"@context\": ").unwrap();
    let good = dir().join("spec/example-minimal.openvex.json");
    let invalid = dir().join("legacy-create-vex-sh/upstream-committed-vex.openvex.json");
    let (code, out, err) = run(&[], &[good.clone(), invalid.clone()]);
    assert_eq!(code, 1, "{out}{err}");
    let (code, _, err) = run(&[], &[good.clone(), bad.clone(), invalid]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.json: truncated JSON"), "{err}");
    let (code, _, err) = run(&[], &[tmp.path().join("missing.json")]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.json: no such file"), "{err}");
    let (code, _, err) = run(&[], &[tmp.path().to_path_buf()]);
    assert_eq!(code, 2);
    assert!(err.contains("is a directory"), "{err}");
}

/// What `vex add` writes validates cleanly; `--compat` adds Docker Scout's pkg:docker
/// product next to the pkg:oci ones, which `vex validate` notes with a warning only.
#[test]
fn vex_add_output_is_valid() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("vex.json");
    let report = dir().join("legacy-create-vex-sh/trivy.synthetic.json");
    for (cve, status, extra) in [
        (
            "CVE-2025-64756",
            "not_affected",
            vec!["--justification", "component_not_present"],
        ),
        ("DSA-9999-1", "affected", vec!["--comment", "upgrade"]),
        ("CVE-2025-64756", "under_investigation", vec!["--compat"]),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_vexgate"))
            .args([
                "vex",
                "add",
                cve,
                "--image-repo",
                "ghcr.io/acme/hello-express:1.2.3",
            ])
            .arg("--trivy-json")
            .arg(&report)
            .args(["--status", status])
            .args(&extra)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (code, text, _) = run(&["--strict"], std::slice::from_ref(&out));
        if extra.contains(&"--compat") {
            assert_eq!(code, 1, "{text}");
            let (code, text, _) = run(&[], std::slice::from_ref(&out));
            assert_eq!(code, 0, "{text}");
            assert!(text.contains("valid (0 error(s), 1 warning(s))"), "{text}");
            assert!(
                text.contains(
                    "warning [purl-type-docker]: statement 2, statements[2].products[2].@id"
                ),
                "{text}"
            );
        } else {
            assert_eq!(code, 0, "{text}");
        }
    }
}
