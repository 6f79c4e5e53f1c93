//! Real Trivy 0.76 reads vexgate's CSAF export: on every oracle scan scenario with OpenVEX
//! documents whose target is a directory (`trivy fs` / `trivy rootfs`, with the fixture DB
//! built from testdata/oracle/db), `trivy --vex EXPORTED.csaf.json` suppresses exactly
//! the findings `vexgate gate` suppresses with the source OpenVEX, apart from what the
//! export warns CSAF cannot say (see [`CsafExceptions`]). The registry and image-tar
//! scenarios need a registry and image tools and are not run here.
//!
//! Needs trivy (scripts/setup-tools.sh; CI installs it); skips with a reason when it is
//! missing, unless VEXGATE_REQUIRE_TOOLS=1.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::root;
use crate::vex_export::{
    CsafExceptions, export_csaf_noting, gate_outcome, has_statements, openvex_scenarios, outcome,
    read_json, workdir,
};

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    })
}

fn trivy_or_skip() -> Option<PathBuf> {
    let t = std::env::var("VEXGATE_TRIVY")
        .ok()
        .map(PathBuf::from)
        .or_else(|| Some(root().join(".venv/bin/trivy")).filter(|p| p.exists()))
        .or_else(|| which("trivy"));
    if t.is_none() {
        assert!(
            std::env::var("VEXGATE_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "VEXGATE_REQUIRE_TOOLS=1 but trivy is missing"
        );
        eprintln!("skipping the real-Trivy CSAF check: trivy missing (scripts/setup-tools.sh)");
    }
    t
}

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
    let Some(trivy) = trivy_or_skip() else {
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
