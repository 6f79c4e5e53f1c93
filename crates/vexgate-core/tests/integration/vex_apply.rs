//! Ports of Trivy 0.76's VEX filter tests (pkg/vex/vex_test.go TestFilter, repo_test.go,
//! integration/repo_test.go) as data files under tests/data/vex/, applied with
//! `vex::apply`. The PURL tables and OCI PURL construction) lives next to the rules
//! in src/purl.rs. Cargo runs integration tests with the package root as the working
//! directory, so `tests/data/vex/x.json` is both the path and the expected `Source`.

use std::path::Path;

use vexgate_core::decision::{Origin, ResultDecision, Suppression, Warning};
use vexgate_core::report::parse_report;
use vexgate_core::status::FindingStatus;
use vexgate_core::vex::{self, VexSet};

const D: &str = "tests/data/vex";

struct Applied {
    /// (VulnerabilityID, PkgName) kept, in order.
    kept: Vec<(String, String)>,
    /// (VulnerabilityID, suppression).
    suppressed: Vec<(String, Suppression)>,
    assumed: Option<String>,
    warnings: Vec<Warning>,
}

/// `gate`'s VEX loading: the set, its warnings appended to `warnings`.
fn load(sources: &[String], warnings: &mut Vec<Warning>) -> vexgate_core::Result<VexSet> {
    let set = VexSet::read(sources)?;
    warnings.extend(set.warnings());
    Ok(set)
}

fn apply(report: &str, vex_files: &[&str], image_repo: Option<&str>) -> Applied {
    let text = std::fs::read_to_string(format!("{D}/{report}")).unwrap();
    let report = parse_report(Path::new(report), &text).unwrap();
    let mut warnings = Vec::new();
    let sources: Vec<String> = vex_files.iter().map(|f| format!("{D}/{f}")).collect();
    let set = load(&sources, &mut warnings).unwrap_or_else(|e| panic!("{e}"));
    let mut decisions: Vec<ResultDecision> = ResultDecision::every_vulnerability(&report);
    let assumed = vex::apply(&report, &mut decisions, &set, image_repo, &mut warnings);
    let mut out = Applied {
        kept: Vec::new(),
        suppressed: Vec::new(),
        assumed,
        warnings,
    };
    for (r, d) in report.results.iter().zip(&decisions) {
        for &i in &d.vulnerabilities {
            let v = &r.vulnerabilities[i];
            out.kept
                .push((v.vulnerability_id.to_string(), v.pkg_name.to_string()));
        }
        for (_, i, s) in &d.suppressed {
            out.suppressed.push((
                r.vulnerabilities[*i].vulnerability_id.to_string(),
                s.clone(),
            ));
        }
    }
    out
}

fn ids(v: &[(String, String)]) -> Vec<&str> {
    v.iter().map(|(i, _)| i.as_str()).collect()
}

fn sup_ids(a: &Applied) -> Vec<&str> {
    a.suppressed.iter().map(|(i, _)| i.as_str()).collect()
}

fn not_affected(statement: &str, source: &str) -> Suppression {
    Suppression {
        status: FindingStatus::NotAffected,
        statement: statement.into(),
        source: format!("{D}/{source}"),
        origin: Origin::Vex,
    }
}

/// vex_test.go TestFilter `OpenVEX`.
#[test]
fn openvex_package_as_product() {
    let a = apply("report-image-spring.json", &["openvex.json"], None);
    assert_eq!(
        a.suppressed,
        [(
            "CVE-2021-44228".to_string(),
            not_affected("vulnerable_code_not_in_execute_path", "openvex.json")
        )]
    );
    assert_eq!(ids(&a.kept), ["CVE-2021-0001"]);
}

/// vex_test.go TestFilter `OpenVEX, multiple statements` (a newer not_affected inheriting
/// the document timestamp beats an older affected; legacy `https://openvex.dev/ns` context).
#[test]
fn openvex_multiple_statements() {
    let a = apply("report-image-spring.json", &["openvex-multiple.json"], None);
    assert_eq!(sup_ids(&a), ["CVE-2021-44228"]);
    assert_eq!(
        a.suppressed[0].1.source,
        format!("{D}/openvex-multiple.json")
    );
    assert_eq!(ids(&a.kept), ["CVE-2021-0001"]);
}

/// vex_test.go TestFilter `OpenVEX, subcomponents, oci image`.
#[test]
fn openvex_oci_image_with_subcomponent() {
    let a = apply("report-image-bash.json", &["openvex-oci.json"], None);
    assert_eq!(sup_ids(&a), ["CVE-2022-3715"]);
    assert!(a.kept.is_empty());
    assert!(a.assumed.is_none());
}

/// vex_test.go TestFilter `OpenVEX, subcomponents, mismatched oci image`.
#[test]
fn openvex_mismatched_oci_image() {
    let a = apply(
        "report-image-bash.json",
        &["openvex-oci-mismatch.json"],
        None,
    );
    assert!(a.suppressed.is_empty());
    assert_eq!(ids(&a.kept), ["CVE-2022-3715"]);
}

/// vex_test.go TestFilter `OpenVEX, single path between product and subcomponent`.
#[test]
fn openvex_single_path_nested() {
    let a = apply("report-fs-go-single.json", &["openvex-nested.json"], None);
    assert_eq!(sup_ids(&a), ["CVE-2024-0001"]);
}

/// vex_test.go TestFilter `OpenVEX, multi paths between product and subcomponent`.
#[test]
fn openvex_multi_path_nested_is_kept() {
    let a = apply("report-fs-go-multi.json", &["openvex-nested.json"], None);
    assert!(a.suppressed.is_empty());
    assert_eq!(ids(&a.kept), ["CVE-2024-0001"]);
}

/// vex_test.go TestFilter `CSAF, not affected`.
#[test]
fn csaf_not_affected() {
    let a = apply("report-fs-go-single.json", &["csaf.json"], None);
    assert_eq!(
        a.suppressed,
        [(
            "CVE-2024-0001".to_string(),
            not_affected("vulnerable_code_not_in_execute_path", "csaf.json")
        )]
    );
}

/// vex_test.go TestFilter `CSAF with relationships, not affected` / `..., affected`.
#[test]
fn csaf_relationships() {
    let a = apply(
        "report-fs-go-single.json",
        &["csaf-relationships.json"],
        None,
    );
    assert_eq!(sup_ids(&a), ["CVE-2024-0001"]);
    assert_eq!(
        a.suppressed[0].1.statement,
        "vulnerable_code_cannot_be_controlled_by_adversary"
    );
    let a = apply(
        "report-fs-go-multi.json",
        &["csaf-relationships.json"],
        None,
    );
    assert!(a.suppressed.is_empty());
}

/// vex_test.go TestFilter `infinity loop for OS packages`: the cycle fails safe.
#[test]
fn infinity_loop_is_kept() {
    let a = apply("report-image-bash-loop.json", &["openvex-oci.json"], None);
    assert!(a.suppressed.is_empty());
    assert_eq!(ids(&a.kept), ["CVE-2022-3715"]);
}

/// vex_test.go TestFilter `check one parent from multiple dependency paths`.
#[test]
fn every_path_reaches_the_blocked_image() {
    let a = apply(
        "report-image-bash-two-parents.json",
        &["openvex-oci.json"],
        None,
    );
    assert_eq!(sup_ids(&a), ["CVE-2022-3715"]);
}

/// vex_test.go TestFilter `unknown format`.
#[test]
fn unknown_format_is_an_error() {
    let e = load(&[format!("{D}/unknown.json")], &mut Vec::new()).unwrap_err();
    assert!(e.to_string().contains("unable to load VEX"), "{e}");
    assert!(
        e.to_string().starts_with(&format!("{D}/unknown.json: ")),
        "{e}"
    );
}

/// vex_test.go TestFilter `CycloneDX SBOM with CycloneDX VEX` / `CycloneDX VEX wrong URN`:
/// Trivy applies CycloneDX VEX only to `trivy sbom` scans; vexgate does not read it and
/// says so (one of the sources Trivy has that vexgate leaves out, like `--vex repo`
/// (repo_test.go) and `--vex oci` (`VEX attestation from OCI registry`, TestNewOCI)).
#[test]
fn cyclonedx_vex_is_refused_clearly() {
    let e = load(&[format!("{D}/cyclonedx.json")], &mut Vec::new()).unwrap_err();
    assert!(
        e.to_string().contains("CycloneDX VEX is not supported"),
        "{e}"
    );
}

/// integration/repo_test.go `gomod with local VEX file`, on the oracle's real Trivy scan
/// of the same module: the version-less root module as product, opa as subcomponent,
/// vulnerability by `@id` only.
#[test]
fn gomod_root_module_product() {
    let text = std::fs::read_to_string("../../testdata/oracle/scan/unfiltered/gomod.json").unwrap();
    let report = parse_report(Path::new("gomod.json"), &text).unwrap();
    let mut w = Vec::new();
    let set = load(&[format!("{D}/gomod-local.openvex.json")], &mut w).unwrap();
    let mut d: Vec<ResultDecision> = ResultDecision::every_vulnerability(&report);
    vex::apply(&report, &mut d, &set, None, &mut w);
    let r = &report.results[0];
    let sup: Vec<&str> = d[0]
        .suppressed
        .iter()
        .map(|(_, i, _)| r.vulnerabilities[*i].vulnerability_id.as_ref())
        .collect();
    let kept: Vec<&str> = d[0]
        .vulnerabilities
        .iter()
        .map(|&i| r.vulnerabilities[i].vulnerability_id.as_ref())
        .collect();
    assert_eq!(sup, ["CVE-2022-23628"]);
    assert_eq!(kept, ["CVE-2021-38561"]);
}

/// Issue 3 item 4: an image report without RepoDigests has no image PURL (Trivy
/// suppresses nothing image-scoped); `--image-repo` supplies the identity.
#[test]
fn image_repo_for_unpushed_images() {
    let a = apply(
        "report-image-bash-no-digest.json",
        &["openvex-oci.json"],
        None,
    );
    assert!(a.suppressed.is_empty());
    assert!(a.assumed.is_none());
    let a = apply(
        "report-image-bash-no-digest.json",
        &["openvex-oci.json"],
        Some("docker.io/Debian"),
    );
    assert_eq!(sup_ids(&a), ["CVE-2022-3715"]);
    assert_eq!(
        a.assumed.as_deref(),
        Some("pkg:oci/debian?arch=amd64&repository_url=index.docker.io%2Flibrary%2Fdebian")
    );
    // The wrong repository suppresses nothing.
    let a = apply(
        "report-image-bash-no-digest.json",
        &["openvex-oci.json"],
        Some("ghcr.io/acme/app"),
    );
    assert!(a.suppressed.is_empty());
    // With RepoDigests, --image-repo changes nothing (and warns when it differs).
    let a = apply(
        "report-image-bash.json",
        &["openvex-oci.json"],
        Some("ghcr.io/acme/app"),
    );
    assert_eq!(sup_ids(&a), ["CVE-2022-3715"]);
    assert!(a.assumed.is_none());
    assert!(a.warnings.iter().any(|w| w.code == "image-repo-mismatch"));
}

/// Issue 3 item 6: without Packages, vexgate warns and hangs each vulnerable package
/// under its OS node: image + subcomponent statements still work.
#[test]
fn report_without_packages_falls_back_with_a_warning() {
    let a = apply(
        "report-image-bash-no-packages.json",
        &["openvex-oci.json"],
        None,
    );
    assert_eq!(sup_ids(&a), ["CVE-2022-3715"]);
    let w = a
        .warnings
        .iter()
        .find(|w| w.code == "no-packages")
        .expect("warning");
    assert!(w.message.contains("every-path"), "{}", w.message);
    assert!(w.message.contains("cannot be evaluated"), "{}", w.message);
}

/// The same fallback on a real upstream golden without Packages (integration
/// gomod.json.golden): the package-as-product form still suppresses, a statement about
/// the root module cannot (it is not in the report), and vexgate says why.
#[test]
fn upstream_golden_without_packages() {
    let text = std::fs::read_to_string("../../testdata/upstream/trivy/gomod.json.golden").unwrap();
    let report = parse_report(Path::new("gomod.json.golden"), &text).unwrap();
    let doc = r#"{"@context":"https://openvex.dev/ns/v0.2.0","timestamp":"2024-01-01T00:00:00Z","statements":[
        {"vulnerability":{"name":"CVE-2022-23628"},"products":[{"@id":"pkg:golang/github.com/open-policy-agent/opa"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#;
    let set = VexSet {
        sources: vec![vex::load_text("pkg.openvex.json", doc).unwrap()],
    };
    let mut d: Vec<ResultDecision> = ResultDecision::every_vulnerability(&report);
    let mut w = Vec::new();
    vex::apply(&report, &mut d, &set, None, &mut w);
    let total: usize = report.results.iter().map(|r| r.vulnerabilities.len()).sum();
    let suppressed: usize = d.iter().map(|r| r.suppressed.len()).sum();
    assert_eq!(total, 5);
    assert_eq!(suppressed, 1);
    assert!(w.iter().any(|w| w.code == "no-packages"));
}

/// Bad VEX input names the file and, where there is one, the statement index.
#[test]
fn bad_vex_input_names_file_and_statement() {
    let err = |f: &str| {
        load(&[format!("{D}/{f}")], &mut Vec::new())
            .unwrap_err()
            .to_string()
    };
    let e = err("bad-not-json.json");
    assert!(
        e.starts_with(&format!("{D}/bad-not-json.json: truncated JSON")),
        "{e}"
    );
    let e = err("bad-context.json");
    assert!(
        e.contains("unknown @context \"https://example.com/vex/v1\""),
        "{e}"
    );
    let e = err("bad-no-status.json");
    assert!(
        e.contains("statement 1 (statements[1]): has no `status`"),
        "{e}"
    );
    let e = err("bad-no-vulnerability.json");
    assert!(
        e.contains("statement 2 (statements[2]): has no `vulnerability`"),
        "{e}"
    );
    let e = err("bad-timestamp.json");
    assert!(
        e.contains("statements[0].timestamp") && e.contains("parsing time \"yesterday\""),
        "{e}"
    );
    let e = err("does-not-exist.json");
    assert!(e.ends_with("does-not-exist.json: no such file"), "{e}");
}

/// Issue 3 item 5: each kind of never-matching statement warns at load (and
/// `vex validate` turns the same lints into errors).
#[test]
fn never_matching_statements_warn() {
    let mut w = Vec::new();
    load(&[format!("{D}/never-match.openvex.json")], &mut w).unwrap();
    let msgs: Vec<&str> = w
        .iter()
        .filter(|w| w.code == "vex-never-matches")
        .map(|w| w.message.as_str())
        .collect();
    let has = |needle: &str| msgs.iter().any(|m| m.contains(needle));
    assert!(
        has("statement 0: statements[0].products[0].@id [oci-name-invalid]"),
        "{msgs:#?}"
    );
    assert!(has(
        "statement 0: statements[0].products[0].@id [repository-url-invalid]"
    ));
    for (i, q) in ["tag", "os", "variant", "platform"].iter().enumerate() {
        assert!(
            has(&format!(
                "statements[1].products[{i}].@id [oci-qualifier-never-emitted]: qualifier {q}="
            )),
            "{q}"
        );
    }
    assert!(has(
        "statements[2].products[0].subcomponents[0].@id [epoch-in-version]"
    ));
    assert!(has(
        "statements[2].products[0].subcomponents[1].@id [epoch-in-version]"
    ));
    assert!(has(
        "statements[3].products[0].@id [docker-io-repository-url]"
    ));
    assert!(has(
        "statements[4].products[0].@id [repository-url-invalid]"
    ));
    assert!(has(
        "statements[4].products[1].@id [repository-url-invalid]"
    ));
    assert!(has("statements[5].products[0].@id [purl-unparsable]"));
    assert!(!has("statements[5].products[1]"), "a non-PURL @id is legal");
    assert_eq!(msgs.len(), 12, "{msgs:#?}");
}

/// Sources apply in priority order; the first that says not-affected wins, and its
/// statement and source are recorded.
#[test]
fn several_sources_first_not_affected_wins() {
    let a = apply(
        "report-image-bash.json",
        &["openvex-oci-mismatch.json", "openvex-oci.json"],
        None,
    );
    assert_eq!(a.suppressed[0].1.source, format!("{D}/openvex-oci.json"));
    let a = apply(
        "report-fs-go-single.json",
        &["csaf.json", "openvex-nested.json"],
        None,
    );
    assert_eq!(a.suppressed[0].1.source, format!("{D}/csaf.json"));
}

/// The oracle's lint documents (real Trivy suppresses nothing with them): `gate` warns
/// with the lint's code; the Go version without `v` is `vex-may-never-match` (a Go
/// binary's own main module can carry such a version).
#[test]
fn new_never_match_lints_warn_at_load() {
    for (f, code, want) in [
        (
            "lint/golang-version-without-v.openvex.json",
            "vex-may-never-match",
            "statements[0].products[0].@id [golang-version-without-v]",
        ),
        (
            "lint/github.openvex.json",
            "vex-never-matches",
            "statements[0].products[0].@id [purl-type-github]",
        ),
        (
            "lint/github.openvex.json",
            "vex-never-matches",
            "statements[1].products[0].subcomponents[0].@id [purl-type-github]",
        ),
        (
            "generated/lint-docker.openvex.json",
            "vex-never-matches",
            "statements[0].products[0].@id [purl-type-docker]",
        ),
        (
            "generated/lint-oci-version.openvex.json",
            "vex-never-matches",
            "statements[0].products[0].@id [oci-version-not-digest]",
        ),
    ] {
        let mut w = Vec::new();
        load(&[format!("../../testdata/oracle/vex/{f}")], &mut w).unwrap();
        assert!(
            w.iter().any(|w| w.code == code && w.message.contains(want)),
            "{f}: {w:#?}"
        );
    }
}

/// A v0.0.1 context with v0.2.0 shapes loads as Trivy reads it (the oracle's
/// `vex-as-trivy-reads-v001-context`), with a warning for each thing Trivy ignores.
#[test]
fn what_trivy_ignores_is_a_warning() {
    let mut w = Vec::new();
    let f = "../../testdata/oracle/vex/as-trivy-reads/v001-context-statement-subcomponents.openvex.json";
    load(&[f.to_string()], &mut w).unwrap();
    let msgs: Vec<&str> = w
        .iter()
        .filter(|w| w.code == "vex-as-trivy-reads")
        .map(|w| w.message.as_str())
        .collect();
    for want in [
        "@context [legacy-context]",
        "statements[0].subcomponents [statement-subcomponents]: statement-level `subcomponents` is a v0.0.1 field that Trivy ignores",
        "statements[0].vuln_description [v001-field]",
    ] {
        assert!(msgs.iter().any(|m| m.contains(want)), "{want}: {msgs:#?}");
    }
}
