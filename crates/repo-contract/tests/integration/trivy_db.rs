//! .github/scripts/trivy-db.sh against the real Trivy, offline: the DB is served as an OCI
//! artifact by a local registry on 127.0.0.1 (Debian's docker-registry, through
//! scripts/lib/registry.sh) and fetched with `--db-repository`; then the registry is
//! stopped and the script must fall back to the cached DB while it is young enough, with a
//! warning in the job summary, and fail with the reason once it is older than the limit.
//!
//! The DB is written by crates/fixture-db from testdata/db/hello.json; its UpdatedAt is set
//! relative to the clock read at run time.

use crate::common;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn have(tool: &str, path: Option<&Path>) -> bool {
    let found = match path {
        Some(p) => p.is_file(),
        None => Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success()),
    };
    if !found {
        assert!(
            std::env::var("VEXGATE_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{tool} is required (VEXGATE_REQUIRE_TOOLS=1) but missing (scripts/setup-tools.sh)"
        );
        eprintln!("skipped: {tool} is not installed (scripts/setup-tools.sh installs it)");
    }
    found
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `date -u -d '<offset>'` as RFC 3339, read from the clock now.
fn utc(offset: &str) -> String {
    let o = Command::new("date")
        .args(["-u", "-d", offset, "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .expect("date");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn set_updated_at(db_dir: &Path, at: &str) {
    let meta = db_dir.join("metadata.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta).expect("metadata")).expect("json");
    m["UpdatedAt"] = serde_json::Value::String(at.to_string());
    std::fs::write(&meta, m.to_string()).expect("write metadata");
}

/// Pushes DIR/trivy.db + DIR/metadata.json to $REGISTRY_ADDR as Trivy's DB artifact
/// (OCI manifest, one layer of media type application/vnd.aquasec.trivy.db.layer.v1.tar+gzip),
/// with the registry's HTTP API, then runs `trivy-db.sh fetch` against it.
const PUSH_AND_FETCH: &str = r#"
set -euo pipefail
db=$1 cache=$2 fallback=$3 addr_file=$4 script=$5
printf '%s\n' "$REGISTRY_ADDR" >"$addr_file"
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
tar -czf "$w/db.tar.gz" -C "$db" trivy.db metadata.json
printf '{}' >"$w/config.json"
blob() {
  local f=$1 d loc
  d=sha256:$(sha256sum "$f" | cut -d' ' -f1)
  loc=$(curl -fsS -X POST -D - -o /dev/null "http://$REGISTRY_ADDR/v2/aquasecurity/trivy-db/blobs/uploads/" |
    tr -d '\r' | awk 'tolower($1) == "location:" { print $2 }')
  case $loc in http*) ;; *) loc="http://$REGISTRY_ADDR$loc" ;; esac
  case $loc in *\?*) loc="$loc&digest=$d" ;; *) loc="$loc?digest=$d" ;; esac
  curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$f" "$loc" >/dev/null
  printf '%s' "$d"
}
config=$(blob "$w/config.json")
layer=$(blob "$w/db.tar.gz")
cat >"$w/manifest.json" <<JSON
{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
 "config": {"mediaType": "application/vnd.aquasec.trivy.config.v1+json", "digest": "$config", "size": $(stat -c %s "$w/config.json")},
 "layers": [{"mediaType": "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip", "digest": "$layer", "size": $(stat -c %s "$w/db.tar.gz"),
             "annotations": {"org.opencontainers.image.title": "db.tar.gz"}}]}
JSON
curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@$w/manifest.json" "http://$REGISTRY_ADDR/v2/aquasecurity/trivy-db/manifests/2"
# The first repository is down (nothing listens on port 9 of 127.0.0.1): the list is retried in order.
bash "$script" fetch --cache-dir "$cache" --fallback-dir "$fallback" \
  --repositories "127.0.0.1:9/none/trivy-db:2,$REGISTRY_ADDR/aquasecurity/trivy-db:2" --retry-delay 0
"#;

struct Env {
    dir: tempfile::TempDir,
    trivy: PathBuf,
}

impl Env {
    fn script(&self) -> PathBuf {
        common::root().join(".github/scripts/trivy-db.sh")
    }
    fn p(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// Runs trivy-db.sh with Trivy on PATH and the Actions files set.
    fn trivy_db(&self, args: &[&str]) -> (Output, String, String) {
        let summary = self.p("summary.md");
        let output = self.p("output.txt");
        let _ = std::fs::remove_file(&summary);
        let _ = std::fs::remove_file(&output);
        let bin = self.trivy.parent().expect("bin dir");
        let o = Command::new("bash")
            .arg(self.script())
            .args(args)
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("TRIVY_NO_PROGRESS", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_OUTPUT", &output)
            .output()
            .expect("run trivy-db.sh");
        (
            o,
            std::fs::read_to_string(summary).unwrap_or_default(),
            std::fs::read_to_string(output).unwrap_or_default(),
        )
    }
}

#[test]
fn fetch_from_a_local_registry_then_fall_back_while_young_then_fail() {
    let root = common::root();
    let trivy = root.join(".venv/bin/trivy");
    let registry = Path::new("/usr/bin/docker-registry");
    if !(have("trivy", Some(&trivy))
        && have("docker-registry", Some(registry))
        && have("curl", None)
        && have("jq", None))
    {
        return;
    }
    let env = Env {
        dir: tempfile::tempdir().expect("tempdir"),
        trivy,
    };
    // The DB the registry serves, updated an hour ago.
    let served = env.p("served");
    fixture_db::write_cache(&served, &[root.join("testdata/db/hello.json")], None)
        .expect("fixture DB");
    let served_db = served.join("db");
    let updated = utc("-1 hour");
    set_updated_at(&served_db, &updated);
    let (cache, fallback, addr) = (env.p("cache"), env.p("fallback"), env.p("addr"));
    let s = |p: &Path| p.display().to_string();

    // 1. Registry up: downloaded (after the dead first repository), copied to the fallback.
    let o = Command::new("bash")
        .arg(root.join("scripts/lib/registry.sh"))
        .args(["run", "--", "bash", "-c", PUSH_AND_FETCH, "push-and-fetch"])
        .args([
            s(&served_db),
            s(&cache),
            s(&fallback),
            s(&addr),
            s(&env.script()),
        ])
        .env(
            "PATH",
            format!(
                "{}:/usr/bin:/bin",
                env.trivy.parent().expect("bin").display()
            ),
        )
        .env("TRIVY_NO_PROGRESS", "true")
        .output()
        .expect("registry run");
    assert!(o.status.success(), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("127.0.0.1:9/none/trivy-db:2: "),
        "the dead repository is tried first: {stderr}"
    );
    assert!(
        stderr.contains(&format!("(DB updated at {updated})")),
        "{stderr}"
    );
    for d in [&cache, &fallback] {
        assert_eq!(
            std::fs::read(d.join("db/trivy.db")).expect("trivy.db"),
            std::fs::read(served_db.join("trivy.db")).expect("served trivy.db"),
            "{}",
            d.display()
        );
    }
    let addr = std::fs::read_to_string(&addr)
        .expect("address")
        .trim()
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let repos = format!("{addr}/aquasecurity/trivy-db:2");
    let fetch = |max_age: &str| {
        env.trivy_db(&[
            "fetch",
            "--cache-dir",
            &s(&cache),
            "--fallback-dir",
            &s(&fallback),
            "--repositories",
            &repos,
            "--attempts",
            "2",
            "--retry-delay",
            "0",
            "--max-age-hours",
            max_age,
        ])
    };

    // 2. Registry stopped: the cached DB (1 h old) is used, with a warning in the summary.
    std::fs::remove_dir_all(&cache).expect("clear cache");
    let (o, summary, output) = fetch("72");
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("::warning title=Trivy DB::Trivy DB download failed"),
        "{stdout}"
    );
    assert!(
        summary.contains("[!WARNING]")
            && summary.contains(&format!(
                "cached DB updated at {updated} (1 h old, limit 72 h)"
            )),
        "{summary}"
    );
    assert!(summary.contains("after 2 attempt(s)"), "{summary}");
    assert!(
        output.contains("source=fallback") && output.contains(&format!("updated-at={updated}")),
        "{output}"
    );
    assert!(cache.join("db/trivy.db").is_file());
    // The DB in place is one Trivy reads.
    let scan = Command::new(&env.trivy)
        .args([
            "fs",
            "--quiet",
            "--skip-db-update",
            "--scanners",
            "vuln",
            "--format",
            "json",
            "--cache-dir",
        ])
        .arg(&cache)
        .arg(root.join("crates/hello"))
        .env("TRIVY_NO_PROGRESS", "true")
        .output()
        .expect("trivy fs");
    assert!(scan.status.success(), "{}", text(&scan));

    // 3. The cached DB is 100 h old: refused with the reason, nothing left in place.
    let old = utc("-100 hours");
    set_updated_at(&fallback.join("db"), &old);
    std::fs::remove_dir_all(&cache).expect("clear cache");
    let (o, _, output) = fetch("72");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!(
            "the cached DB was updated at {old}, 100 h ago, older than the limit of 72 h"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("no DB repository answered after 2 attempt(s)"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("::error title=Trivy DB::"));
    assert!(output.is_empty(), "{output}");
    assert!(!cache.join("db").exists());
    // The limit is configurable.
    let (o, _, _) = fetch("120");
    assert!(o.status.success(), "{}", text(&o));

    // 4. No cached DB at all.
    std::fs::remove_dir_all(&fallback).expect("clear fallback");
    let (o, _, _) = fetch("72");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("there is no cached DB to fall back on"));
}

/// A scan leg re-run days later checks the age of the DB it was handed.
#[test]
fn check_refuses_a_stale_db() {
    let root = common::root();
    if !have("jq", None) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    fixture_db::write_cache(dir.path(), &[root.join("testdata/db/hello.json")], None)
        .expect("fixture DB");
    let run = |max: &str| {
        Command::new("bash")
            .arg(root.join(".github/scripts/trivy-db.sh"))
            .args(["check", "--cache-dir"])
            .arg(dir.path())
            .args(["--max-age-hours", max])
            .output()
            .expect("run")
    };
    set_updated_at(&dir.path().join("db"), &utc("-5 hours"));
    assert!(run("72").status.success());
    let o = run("4");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("5 h ago, older than the limit of 4 h"));
    std::fs::remove_file(dir.path().join("db/trivy.db")).expect("rm");
    let o = run("72");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no Trivy DB (schema 2)"));
}
