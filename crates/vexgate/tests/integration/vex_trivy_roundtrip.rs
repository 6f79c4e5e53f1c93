//! Real-Trivy round trip: `vexgate vex add` from a real Trivy 0.76
//! JSON report, then Trivy itself with `--vex` on the same target suppresses exactly that
//! CVE. The `--scope package` form on a tar-scanned image (no RepoDigests) and the image
//! form on a registry-scanned one (a throw-away registry on 127.0.0.1), with the fixture DB
//! built from testdata/oracle/db. Negative control: the image form does not apply to the
//! tar scan (Trivy has no image PURL there).
//!
//! Needs trivy, skopeo, umoci and docker-registry (scripts/setup-tools.sh); skips with a
//! reason when one is missing, unless VEXGATE_REQUIRE_TOOLS=1.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{real_trivy_or_skip, run_tool_script};

use serde_json::Value;

const SCRIPT: &str = r#"
set -euo pipefail
root=$1 work=$2
. "$root/scripts/lib/common.sh"
. "$root/scripts/lib/images.sh"
. "$root/scripts/lib/registry.sh"
vx_fixture_db "$work/cache" "$root"/testdata/oracle/db/*.json >&2
cp -a "$root/testdata/oracle/targets/deb12-rootfs" "$work/rootfs"
find "$work/rootfs" -exec touch -h -d '2025-01-01T00:00:00Z' {} +
make_rootfs_image "$work/rootfs" "$work/deb12.tar" roundtrip/deb12:1 >&2
scan() {
  vx_trivy image --cache-dir "$work/cache" --skip-db-update --cache-backend memory \
    --scanners vuln --list-all-pkgs --format json --quiet "$@"
}
add() {
  "$VEXGATE_BIN" vex add CVE-2023-4641 --status not_affected \
    --justification vulnerable_code_not_present "$@"
}

# Tar scan: no RepoDigests, so the package scope.
scan --input "$work/deb12.tar" --output "$work/tar.json"
add --scope package --trivy-json "$work/tar.json" --out "$work/pkg.vex.json"
scan --input "$work/deb12.tar" --vex "$work/pkg.vex.json" --show-suppressed --output "$work/tar-pkgvex.json"

# Registry scan: the image form (a tag in --image-repo is stripped, as users pass it).
registry_start
digest=$(registry_push "$work/deb12.tar" roundtrip/deb12:1)
repo=$REGISTRY_ADDR/roundtrip/deb12
scan "$repo@$digest" --output "$work/reg.json"
add --image-repo "$repo:1" --trivy-json "$work/reg.json" --out "$work/img.vex.json"
scan "$repo@$digest" --vex "$work/img.vex.json" --show-suppressed --output "$work/reg-imgvex.json"
registry_stop

# Negative control: the image form on the tar scan.
scan --input "$work/deb12.tar" --vex "$work/img.vex.json" --show-suppressed --output "$work/tar-imgvex.json"
"#;

fn load(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// (vuln ID, package) of a remaining finding.
type Remaining = BTreeSet<(String, String)>;
/// (vuln ID, package, status) of a VEX-suppressed finding.
type Suppressed = BTreeSet<(String, String, String)>;

/// (vuln ID, package) of the remaining findings, and of the VEX-suppressed ones with status.
fn sets(r: &Value) -> (Remaining, Suppressed) {
    let mut rem = BTreeSet::new();
    let mut sup = BTreeSet::new();
    for res in r["Results"].as_array().into_iter().flatten() {
        for v in res["Vulnerabilities"].as_array().into_iter().flatten() {
            rem.insert((
                v["VulnerabilityID"].as_str().unwrap().to_string(),
                v["PkgName"].as_str().unwrap().to_string(),
            ));
        }
        for m in res["ExperimentalModifiedFindings"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let f = &m["Finding"];
            sup.insert((
                f["VulnerabilityID"].as_str().unwrap().to_string(),
                f["PkgName"].as_str().unwrap().to_string(),
                m["Status"].as_str().unwrap().to_string(),
            ));
        }
    }
    (rem, sup)
}

fn assert_exactly_cve_suppressed(before: &Value, after: &Value, what: &str) {
    let (all, none) = sets(before);
    assert!(
        none.is_empty(),
        "{what}: the unfiltered scan has suppressions"
    );
    let target: BTreeSet<_> = all
        .iter()
        .filter(|(id, _)| id == "CVE-2023-4641")
        .cloned()
        .collect();
    assert_eq!(
        target.iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(),
        ["login", "passwd"],
        "{what}: the fixture DB gives CVE-2023-4641 on login and passwd"
    );
    let (rem, sup) = sets(after);
    let want_rem: BTreeSet<_> = all.difference(&target).cloned().collect();
    assert_eq!(rem, want_rem, "{what}: everything else remains");
    let want_sup: BTreeSet<_> = target
        .iter()
        .map(|(i, p)| (i.clone(), p.clone(), "not_affected".to_string()))
        .collect();
    assert_eq!(sup, want_sup, "{what}: exactly CVE-2023-4641 suppressed");
}

#[test]
fn vex_add_output_suppresses_exactly_that_cve_in_real_trivy() {
    let Some(trivy) = real_trivy_or_skip(
        "the real-Trivy round trip",
        &["skopeo", "umoci", "python3", "registry"],
    ) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    run_tool_script(SCRIPT, work.path(), &trivy);
    let w = work.path();

    // The tar scan has no RepoDigests; the package-scope statement names the packages.
    let tar = load(&w.join("tar.json"));
    assert!(
        tar["Metadata"]["RepoDigests"]
            .as_array()
            .is_none_or(|a| a.is_empty())
    );
    let pkg = load(&w.join("pkg.vex.json"));
    let prods: Vec<&str> = pkg["statements"][0]["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["@id"].as_str().unwrap())
        .collect();
    assert_eq!(prods.len(), 2, "{prods:?}");
    assert!(prods.iter().all(|p| p.ends_with("?epoch=1")), "{prods:?}");
    assert_exactly_cve_suppressed(
        &tar,
        &load(&w.join("tar-pkgvex.json")),
        "package scope, tar",
    );

    // Registry scan: the image product is Trivy's, without digest or arch.
    let reg = load(&w.join("reg.json"));
    let rd = reg["Metadata"]["RepoDigests"][0].as_str().unwrap();
    let repo = rd.split('@').next().unwrap();
    let img = load(&w.join("img.vex.json"));
    let want = format!("pkg:oci/deb12?repository_url={}", repo.replace('/', "%2F"));
    assert_eq!(img["statements"][0]["products"][0]["@id"], want.as_str());
    assert_exactly_cve_suppressed(
        &reg,
        &load(&w.join("reg-imgvex.json")),
        "image form, registry",
    );

    // Negative control: no image PURL on the tar scan, so nothing is suppressed.
    let (_, sup) = sets(&load(&w.join("tar-imgvex.json")));
    assert!(
        sup.is_empty(),
        "image-scoped VEX applied to a tar scan: {sup:?}"
    );
}
