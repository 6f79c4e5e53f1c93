//! `vexgate vex validate` over every upstream OpenVEX fixture, with the expected verdict for
//! each and the problem (code + statement path) that decides it.
//!
//! Schema validity follows openvex.md §2.10 (Python jsonschema, draft 2020-12, formats on);
//! the semantic verdicts are vexgate's and are justified per row. A new fixture in one of
//! these directories fails `every_fixture_has_a_verdict` until it is classified here.

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
        &["valid (0 error(s)"],
    ),
    (
        "spec/example-update-before.openvex.json",
        0,
        &["valid (0 error(s)"],
    ),
    (
        "spec/example-update-after.openvex.json",
        0,
        &["valid (0 error(s)"],
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
    ("go-vex/v0.2.0.json", 0, &["valid (0 error(s)"]),
    // Legacy v0.0.1 shapes (string vulnerability/products): schema-invalid (§2.10).
    (
        "go-vex/v0.0.1.json",
        1,
        &[
            "[schema]: statement 0, statements[0].vulnerability",
            "legacy v0.0.1",
        ],
    ),
    (
        "go-vex/v0.0.1-noversion.json",
        1,
        &["[schema]: statement 0, statements[0].vulnerability"],
    ),
    (
        "go-vex/v001-1.vex.json",
        1,
        &[
            "required field \"timestamp\"",
            "unknown field \"format\"",
            "warning [schema]: @id",
        ],
    ),
    ("go-vex/v001-2.vex.json", 1, &["required field \"version\""]),
    (
        "go-vex/csaf-testdata-openvex.json",
        1,
        &["[schema]: version: \"1\" is not of type integer"],
    ),
    // Merge-test inputs without timestamp/version (§2.10).
    (
        "go-vex/v020-1.vex.json",
        1,
        &["required field \"timestamp\"", "required field \"version\""],
    ),
    (
        "go-vex/v020-2.vex.json",
        1,
        &["required field \"timestamp\""],
    ),
    // CSAF documents are not OpenVEX.
    (
        "go-vex/csaf.json",
        1,
        &["not an OpenVEX document (this looks like CSAF)"],
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
    // vexctl legacy test documents: v0.0.1 shape; ctl-test also has product-less statements
    // (never match in go-vex) and an action statement on not_affected; ctl-images has a
    // `tag` qualifier and a repository_url without a path (never match in Trivy).
    (
        "vexctl/ctl-test.vex.json",
        1,
        &[
            "[spec]: statement 0, statements[0].products: no products",
            "[spec]: statement 0, statements[0].action_statement",
        ],
    ),
    (
        "vexctl/ctl-images.vex.json",
        1,
        &["[oci-qualifier-never-emitted]: statement 3, statements[3].products[0].@id"],
    ),
    // vexctl examples: valid v0.2.0.
    (
        "vexctl/examples-csaf-openvex.json",
        0,
        &["valid (0 error(s)"],
    ),
    ("vexctl/examples-demo.vex.json", 0, &["valid (0 error(s)"]),
    (
        "vexctl/examples-document1.vex.json",
        0,
        &["valid (0 error(s)"],
    ),
    (
        "vexctl/examples-document2.vex.json",
        0,
        &["valid (0 error(s)"],
    ),
    (
        "vexctl/template-oci-vexctl.openvex.json",
        0,
        &["valid (0 error(s)"],
    ),
    // vexctl SARIF examples carry a non-spec "statement" field (§2.10).
    (
        "vexctl/examples-sarif-sample-1statement.openvex.json",
        1,
        &["[schema]: statement 0, statements[0]: unknown field \"statement\""],
    ),
    (
        "vexctl/examples-sarif-sample-2vulns.openvex.json",
        1,
        &["statement 1, statements[1]: unknown field \"statement\""],
    ),
    (
        "vexctl/examples-sarif-sample-history.openvex.json",
        1,
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
    // Trivy test data: no document @id (schema), parsed leniently by Trivy; -multiple also
    // has an affected statement without action_statement and the legacy context.
    (
        "trivy/testdata-openvex.json",
        1,
        &["required field \"@id\""],
    ),
    (
        "trivy/testdata-openvex-oci.json",
        1,
        &["required field \"@id\""],
    ),
    (
        "trivy/testdata-openvex-oci-mismatch.json",
        1,
        &["required field \"@id\""],
    ),
    (
        "trivy/testdata-openvex-nested.json",
        1,
        &["required field \"@id\""],
    ),
    (
        "trivy/testdata-openvex-multiple.json",
        1,
        &["[spec]: statement 0, statements[0].action_statement: affected needs"],
    ),
    // The legacy create_vex.sh outputs: schema-valid but semantically wrong (§6.3):
    // comment in action_statement on not_affected, justification on affected/fixed.
    (
        "legacy-create-vex-sh/out-step1-create.json",
        1,
        &[
            "[spec]: statement 0, statements[0].action_statement: an action statement with status not_affected",
        ],
    ),
    (
        "legacy-create-vex-sh/out-step2-add-second-cve.json",
        1,
        &[
            "[spec]: statement 1, statements[1].justification: a justification with status affected",
            "warning [distro-qualifier]: statement 1",
        ],
    ),
    (
        "legacy-create-vex-sh/out-step3-rerun-first-cve.json",
        1,
        &[
            "statement 1, statements[1].justification: a justification with status fixed",
            "statement 1, statements[1].action_statement",
        ],
    ),
    // The seed repo's committed file: its product can never match (§6.3).
    (
        "legacy-create-vex-sh/upstream-committed-vex.openvex.json",
        1,
        &[
            "[oci-name-invalid]: statement 0, statements[0].products[0].@id",
            "[repository-url-invalid]",
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
    let invalid = dir().join("legacy-create-vex-sh/out-step1-create.json");
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

/// What `vex add` writes validates cleanly.
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
            .args(extra)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (code, out, _) = run(&["--strict"], &[out]);
    assert_eq!(code, 0, "{out}");
}
