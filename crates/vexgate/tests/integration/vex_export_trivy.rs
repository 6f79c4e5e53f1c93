//! Real Trivy 0.76 reads vexgate's CSAF export: on every oracle scan scenario with OpenVEX
//! documents whose target is a directory (`trivy fs` / `trivy rootfs`, with the fixture DB
//! built from testdata/oracle/db), `trivy --vex EXPORTED.csaf.json` suppresses exactly
//! the findings `vexgate gate` suppresses with the source OpenVEX, apart from what the
//! export warns CSAF cannot say (see [`CsafExceptions`]). The registry and image-tar
//! scenarios of the oracle are not walked; [`trivy_applies_the_csaf_export_of_image_statements`]
//! covers image-scoped statements on an image pushed to a throw-away registry on 127.0.0.1.
//!
//! Needs trivy (and for the image test skopeo, umoci and docker-registry;
//! scripts/setup-tools.sh, CI installs them); skips with a reason when one is missing,
//! unless VEXGATE_REQUIRE_TOOLS=1.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::common::{real_trivy_or_skip, root, run_tool_script};
use crate::vex_export::{
    CsafExceptions, export_csaf_noting, gate_outcome, has_statements, openvex_scenarios, outcome,
    read_json, workdir,
};

/// Build the fixture DB into `cache` as the oracle does (scripts/lib/common.sh).
fn fixture_db(cache: &Path) {
    let o = Command::new("bash")
        .arg("-c")
        .arg(r#"set -euo pipefail; root=$1; . "$root/scripts/lib/common.sh"; vx_fixture_db "$2" "$root"/testdata/oracle/db/*.json >&2"#)
        .arg("fixture-db")
        .arg(root())
        .arg(cache)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "fixture DB: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn trivy_applies_the_csaf_export_as_the_gate_applies_the_source() {
    let Some(trivy) = real_trivy_or_skip("the real-Trivy CSAF check", &[]) else {
        return;
    };
    let dir = workdir();
    let base = dir.path().join("oracle");
    let cache = dir.path().join("cache");
    fixture_db(&cache);
    let mut failures = Vec::new();
    let (mut run, mut suppressed) = (0, 0);
    for (n, s) in openvex_scenarios(&base).iter().enumerate() {
        if !matches!(
            s.trivy_command.get(1).map(String::as_str),
            Some("fs" | "rootfs")
        ) || s.vex.iter().any(|v| !has_statements(&s.cwd, v))
        {
            continue;
        }
        let out = |what: &str| dir.path().join(format!("{n}-{what}.json"));
        let mut ex = CsafExceptions::default();
        let mut exported = Vec::new();
        for (k, v) in s.vex.iter().enumerate() {
            let csaf = out(&format!("{k}.csaf"));
            export_csaf_noting(s, v, &csaf, &mut ex);
            exported.push(csaf);
        }
        // The scenario's own Trivy command, with the exports for its --vex documents.
        let mut args: Vec<String> = Vec::new();
        let mut it = s.trivy_command.iter().skip(1);
        let mut k = 0;
        let trivy_out = out("trivy");
        while let Some(a) = it.next() {
            match a.as_str() {
                "--vex" => {
                    it.next();
                    args.push(a.clone());
                    args.push(exported[k].display().to_string());
                    k += 1;
                }
                "--output" => {
                    it.next();
                    args.push(a.clone());
                    args.push(trivy_out.display().to_string());
                }
                "$CACHE" => args.push(cache.display().to_string()),
                _ => args.push(a.clone()),
            }
        }
        let o = Command::new(&trivy)
            .current_dir(&s.cwd)
            .args(&args)
            .env("TRIVY_NO_PROGRESS", "true")
            .env("TRIVY_DISABLE_VEX_NOTICE", "true")
            .output()
            .unwrap();
        if !matches!(o.status.code(), Some(0 | 1)) {
            failures.push(format!(
                "{}: trivy {args:?}: {}",
                s.name,
                String::from_utf8_lossy(&o.stderr)
            ));
            continue;
        }
        run += 1;
        let mut got = outcome(&read_json(&trivy_out));
        let mut want = gate_outcome(s, &s.vex, &out("gate"));
        suppressed += want.1.len();
        ex.apply(&mut want, &mut got);
        if got != want {
            failures.push(format!(
                "{}: suppressed only by the gate {:?}, only by Trivy with the CSAF {:?}; remaining only with the gate {:?}, only with Trivy {:?}",
                s.name,
                want.1.difference(&got.1).collect::<Vec<_>>(),
                got.1.difference(&want.1).collect::<Vec<_>>(),
                want.0.difference(&got.0).collect::<Vec<_>>(),
                got.0.difference(&want.0).collect::<Vec<_>>(),
            ));
        }
    }
    assert!(run >= 15, "only {run} scenarios ran");
    assert!(suppressed >= 15, "only {suppressed} suppressions");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const IMAGE_SCRIPT: &str = r#"
set -euo pipefail
root=$1 work=$2
. "$root/scripts/lib/common.sh"
. "$root/scripts/lib/images.sh"
. "$root/scripts/lib/registry.sh"
vx_fixture_db "$work/cache" "$root"/testdata/oracle/db/*.json >&2
cp -a "$root/testdata/oracle/targets/deb12-rootfs" "$work/rootfs"
find "$work/rootfs" -exec touch -h -d '2025-01-01T00:00:00Z' {} +
make_rootfs_image "$work/rootfs" "$work/deb12.tar" vexport/deb12:1 >&2
scan() {
  vx_trivy image --cache-dir "$work/cache" --skip-db-update --cache-backend memory \
    --scanners vuln --list-all-pkgs --format json --quiet "$@"
}
registry_start
digest=$(registry_push "$work/deb12.tar" vexport/deb12:1)
repo=$REGISTRY_ADDR/vexport/deb12
scan "$repo@$digest" --output "$work/reg.json"
add() {
  local t=$1
  shift
  SOURCE_DATE_EPOCH=$t "$VEXGATE_BIN" vex add "$@" --image-repo "$repo" \
    --trivy-json "$work/reg.json" --out "$work/img.vex.json" >&2
}
# Image-scoped statements (the image is the product, the packages its subcomponents), with
# history: CVE-2022-3715 is not_affected first, then affected.
add 1735689600 CVE-2023-4641 --status not_affected --justification vulnerable_code_not_present
add 1735689600 CVE-2025-9230 --status fixed
add 1735689600 CVE-2022-3715 --status not_affected --justification vulnerable_code_not_in_execute_path
add 1735689600 CVE-2025-9086 --status under_investigation
add 1738368000 CVE-2022-3715 --status affected --action-statement "upgrade bash"
"$VEXGATE_BIN" vex export "$work/img.vex.json" --format csaf --out "$work/img.csaf.json"
scan "$repo@$digest" --vex "$work/img.csaf.json" --show-suppressed --output "$work/trivy-csaf.json"
scan "$repo@$digest" --vex "$work/img.vex.json" --show-suppressed --output "$work/trivy-openvex.json"
registry_stop
"#;

/// The main use: `vex add` statements for an image pushed to a registry (the image PURL
/// as product, packages as subcomponents, with history). Real Trivy with the CSAF export
/// suppresses exactly what real Trivy and `vexgate gate` suppress with the OpenVEX.
#[test]
fn trivy_applies_the_csaf_export_of_image_statements() {
    let Some(trivy) = real_trivy_or_skip(
        "the real-Trivy CSAF image check",
        &["skopeo", "umoci", "registry"],
    ) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    run_tool_script(IMAGE_SCRIPT, work.path(), &trivy);
    let w = work.path();
    let csaf = read_json(&w.join("img.csaf.json"));
    assert!(
        csaf["product_tree"]["relationships"]
            .as_array()
            .is_some_and(|r| r.len() >= 4),
        "image product with package subcomponents"
    );
    let with_csaf = outcome(&read_json(&w.join("trivy-csaf.json")));
    let with_openvex = outcome(&read_json(&w.join("trivy-openvex.json")));
    let gate = {
        let out = w.join("gate.json");
        let o = crate::common::vexgate(w)
            .args([
                "gate",
                "reg.json",
                "--severity",
                "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
            ])
            .args([
                "--ignore-unfixed=false",
                "--vex",
                "img.vex.json",
                "--output-report",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        outcome(&read_json(&out))
    };
    let ids: BTreeSet<&str> = with_csaf.1.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        ids,
        BTreeSet::from(["CVE-2023-4641", "CVE-2025-9230"]),
        "not_affected and fixed suppress; the later affected and under_investigation do not"
    );
    assert_eq!(
        with_csaf, with_openvex,
        "Trivy: CSAF export vs source OpenVEX"
    );
    assert_eq!(
        with_csaf, gate,
        "Trivy with the CSAF vs vexgate gate with the OpenVEX"
    );
}
