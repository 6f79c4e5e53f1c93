//! The repository files under test and the contract checks over them.
//!
//! Every check is a function `fn(&Repo) -> Result<(), String>`: `Ok` when the property
//! holds, otherwise one message naming the file, the job/step and what is missing. The
//! tests run each check on the real files and on mutated copies (the property removed),
//! so a check that cannot fail is caught too.

use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;

pub type Check = fn(&Repo) -> Result<(), String>;

/// The files the contract is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum File {
    Ci,
    Cd,
    Retention,
    GateScript,
    VexgateCli,
}

impl File {
    pub fn path(self) -> &'static str {
        match self {
            File::Ci => ".github/workflows/ci.yml",
            File::Cd => ".github/workflows/cd.yml",
            File::Retention => ".github/workflows/ghcr-retention.yml",
            File::GateScript => ".github/scripts/gate-reports.sh",
            File::VexgateCli => "crates/vexgate/src/cli/mod.rs",
        }
    }
}

/// One workflow: its raw text (for comments) and its parsed YAML.
#[derive(Clone, Debug)]
pub struct Workflow {
    pub path: &'static str,
    pub text: String,
    pub doc: Value,
}

impl Workflow {
    fn parse(path: &'static str, text: String) -> Result<Self, String> {
        let doc: Value =
            serde_yaml_ng::from_str(&text).map_err(|e| format!("{path}: not valid YAML: {e}"))?;
        if !doc.is_mapping() {
            return Err(format!("{path}: the document is not a mapping"));
        }
        Ok(Workflow { path, text, doc })
    }

    pub fn jobs(&self) -> Vec<(&str, &Value)> {
        self.doc
            .get("jobs")
            .and_then(Value::as_mapping)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str()?, v)))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn job(&self, id: &str) -> Result<&Value, String> {
        self.doc
            .get("jobs")
            .and_then(|j| j.get(id))
            .ok_or_else(|| format!("{}: no job `{id}`", self.path))
    }

    /// `jobs.<id>.steps`, in order.
    pub fn steps(&self, id: &str) -> Result<Vec<&Value>, String> {
        Ok(steps(self.job(id)?))
    }

    /// The first step of job `id` that uses `action` (owner/repo[/path], without @ref).
    pub fn step_using(&self, id: &str, action: &str) -> Result<&Value, String> {
        self.steps(id)?
            .into_iter()
            .find(|s| uses(s) == Some(action))
            .ok_or_else(|| format!("{}: job `{id}` has no step using {action}", self.path))
    }

    /// Every `run:` script of job `id`.
    pub fn runs(&self, id: &str) -> Result<Vec<&str>, String> {
        Ok(self.steps(id)?.into_iter().filter_map(run).collect())
    }
}

pub fn steps(job: &Value) -> Vec<&Value> {
    job.get("steps")
        .and_then(Value::as_sequence)
        .map(|s| s.iter().collect())
        .unwrap_or_default()
}

/// The action a step uses, without the `@ref`.
pub fn uses(step: &Value) -> Option<&str> {
    let u = step.get("uses")?.as_str()?;
    Some(u.split('@').next().unwrap_or(u))
}

pub fn run(step: &Value) -> Option<&str> {
    step.get("run")?.as_str()
}

/// A scalar as text (`with:` inputs may be strings, booleans or numbers).
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn with(step: &Value, key: &str) -> Option<String> {
    scalar(step.get("with")?.get(key)?)
}

pub fn field(v: &Value, key: &str) -> Option<String> {
    scalar(v.get(key)?)
}

/// `needs:` of a job, as a list whether written as a string or a sequence.
pub fn needs(job: &Value) -> Vec<String> {
    match job.get("needs") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Sequence(seq)) => seq.iter().filter_map(scalar).collect(),
        _ => Vec::new(),
    }
}

/// `strategy.matrix.include` entries of a job as (platform, pair, runner).
pub fn matrix(job: &Value) -> Vec<(String, String, Option<String>)> {
    job.get("strategy")
        .and_then(|s| s.get("matrix"))
        .and_then(|m| m.get("include"))
        .and_then(Value::as_sequence)
        .map(|seq| {
            seq.iter()
                .map(|e| {
                    (
                        field(e, "platform").unwrap_or_default(),
                        field(e, "pair").unwrap_or_default(),
                        field(e, "runner"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// All the files under test, loaded from the workspace.
#[derive(Clone, Debug)]
pub struct Repo {
    pub ci: Workflow,
    pub cd: Workflow,
    pub retention: Workflow,
    pub gate_script: String,
    pub vexgate_cli: String,
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn read(file: File) -> String {
    let p = root().join(file.path());
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

impl Repo {
    pub fn load() -> Repo {
        let wf = |f: File| Workflow::parse(f.path(), read(f)).unwrap_or_else(|e| panic!("{e}"));
        Repo {
            ci: wf(File::Ci),
            cd: wf(File::Cd),
            retention: wf(File::Retention),
            gate_script: read(File::GateScript),
            vexgate_cli: read(File::VexgateCli),
        }
    }

    pub fn workflows(&self) -> [&Workflow; 3] {
        [&self.ci, &self.cd, &self.retention]
    }

    /// A copy with `from` replaced by `to` in `file` (every occurrence). Panics when
    /// `from` is absent, so a mutation can never silently stop applying.
    pub fn mutated(&self, file: File, from: &str, to: &str) -> Repo {
        let mut r = self.clone();
        let text = match file {
            File::Ci => &r.ci.text,
            File::Cd => &r.cd.text,
            File::Retention => &r.retention.text,
            File::GateScript => &r.gate_script,
            File::VexgateCli => &r.vexgate_cli,
        };
        assert!(
            text.contains(from),
            "mutation no longer applies: {} does not contain {from:?}",
            file.path()
        );
        let new = text.replace(from, to);
        let reparse = |w: &Workflow| {
            Workflow::parse(w.path, new.clone()).unwrap_or_else(|e| panic!("mutation broke: {e}"))
        };
        match file {
            File::Ci => r.ci = reparse(&self.ci),
            File::Cd => r.cd = reparse(&self.cd),
            File::Retention => r.retention = reparse(&self.retention),
            File::GateScript => r.gate_script = new,
            File::VexgateCli => r.vexgate_cli = new,
        }
        r
    }
}

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(msg()) }
}

// ---------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------

const PLATFORMS: [(&str, &str, &str); 2] = [
    ("linux/amd64", "linux-amd64", "ubuntu-24.04"),
    ("linux/arm64", "linux-arm64", "ubuntu-24.04-arm"),
];

/// ci.yml and cd.yml build linux/amd64 on ubuntu-24.04 and linux/arm64 on
/// ubuntu-24.04-arm (native, no QEMU), and scan both.
pub fn both_platforms_native(r: &Repo) -> Result<(), String> {
    for wf in [&r.ci, &r.cd] {
        let build = wf.job("build")?;
        let mut got = matrix(build);
        got.sort();
        let want: Vec<_> = PLATFORMS
            .iter()
            .map(|(p, pair, run)| (p.to_string(), pair.to_string(), Some(run.to_string())))
            .collect();
        ensure(got == want, || {
            format!(
                "{}: build matrix must be exactly {want:?} (platform, pair, native runner); got {got:?}",
                wf.path
            )
        })?;
        ensure(
            field(build, "runs-on").as_deref() == Some("${{ matrix.runner }}"),
            || format!("{}: build must run on `${{{{ matrix.runner }}}}`", wf.path),
        )?;
        let bp = wf.step_using("build", "docker/build-push-action")?;
        ensure(
            with(bp, "platforms").as_deref() == Some("${{ matrix.platform }}"),
            || {
                format!(
                    "{}: build-push-action must build exactly `${{{{ matrix.platform }}}}`",
                    wf.path
                )
            },
        )?;
        let mut scanned: Vec<_> = matrix(wf.job("scan")?)
            .into_iter()
            .map(|(p, pair, _)| (p, pair))
            .collect();
        scanned.sort();
        let want_scan: Vec<_> = PLATFORMS
            .iter()
            .map(|(p, pair, _)| (p.to_string(), pair.to_string()))
            .collect();
        ensure(scanned == want_scan, || {
            format!(
                "{}: scan matrix must cover {want_scan:?}; got {scanned:?}",
                wf.path
            )
        })?;
        ensure(!wf.text.contains("setup-qemu-action"), || {
            format!(
                "{}: QEMU is not used: builds run on native runners",
                wf.path
            )
        })?;
    }
    Ok(())
}

/// PRs (same repo) read and write `:buildcache-pr-<os>-<arch>` with mode=max; they read
/// but never write main's `:buildcache-<os>-<arch>`.
pub fn pr_cache_refs_per_platform(r: &Repo) -> Result<(), String> {
    let bp = r.ci.step_using("build", "docker/build-push-action")?;
    let to = with(bp, "cache-to").unwrap_or_default();
    let from = with(bp, "cache-from").unwrap_or_default();
    let path = r.ci.path;
    ensure(
        to.contains("type=registry")
            && to.contains(":buildcache-pr-{1}")
            && to.contains("matrix.pair")
            && to.contains("mode=max"),
        || {
            format!(
                "{path}: build cache-to must write type=registry `<image>:buildcache-pr-<os>-<arch>` (matrix.pair) with mode=max; got {to:?}"
            )
        },
    )?;
    ensure(
        !to.replace("buildcache-pr-", "").contains("buildcache-"),
        || format!("{path}: a PR must never write main's buildcache ref; cache-to is {to:?}"),
    )?;
    ensure(
        from.contains(":buildcache-pr-{1}") && from.contains("matrix.pair"),
        || format!("{path}: build cache-from must read the per-platform PR ref; got {from:?}"),
    )?;
    ensure(from.contains(":buildcache-${{ matrix.pair }}"), || {
        format!("{path}: build cache-from must also read main's per-platform ref; got {from:?}")
    })?;
    for (platform, pair, _) in matrix(r.ci.job("build")?) {
        ensure(pair == platform.replace('/', "-"), || {
            format!("{path}: matrix pair {pair:?} must be <os>-<arch> of {platform:?}")
        })?;
    }
    Ok(())
}

/// main and tags read and write `:buildcache-<os>-<arch>` (mode=max) and never touch a
/// PR-written cache ref.
pub fn main_cache_refs_per_platform(r: &Repo) -> Result<(), String> {
    let path = r.cd.path;
    let bp = r.cd.step_using("build", "docker/build-push-action")?;
    let to = with(bp, "cache-to").unwrap_or_default();
    let from = with(bp, "cache-from").unwrap_or_default();
    let main_ref = "type=registry,ref=${{ env.IMAGE }}:buildcache-${{ matrix.pair }}";
    ensure(
        to.lines()
            .any(|l| l.trim().starts_with(main_ref) && l.contains("mode=max")),
        || format!("{path}: cache-to must write `{main_ref},mode=max`; got {to:?}"),
    )?;
    ensure(from.contains(main_ref), || {
        format!("{path}: cache-from must read `{main_ref}`; got {from:?}")
    })?;
    ensure(!r.cd.text.contains("buildcache-pr"), || {
        format!("{path}: main/tag builds must never read or write a PR cache ref (buildcache-pr-*)")
    })?;
    let on =
        r.cd.doc
            .get("on")
            .ok_or_else(|| format!("{path}: no `on:`"))?;
    let push = on
        .get("push")
        .ok_or_else(|| format!("{path}: must run on push"))?;
    let list = |k: &str| -> Vec<String> {
        push.get(k)
            .and_then(Value::as_sequence)
            .map(|s| s.iter().filter_map(scalar).collect())
            .unwrap_or_default()
    };
    ensure(
        list("branches") == ["main"] && list("tags") == ["v*.*.*"],
        || format!("{path}: must run on pushes to main and tags v*.*.* only"),
    )?;
    ensure(
        on.get("pull_request").is_none() && on.get("pull_request_target").is_none(),
        || format!("{path}: must not run on pull requests"),
    )
}

/// Fork PRs: no registry login, no cache writes, no comment or SARIF upload; the
/// workflow never uses pull_request_target.
pub fn fork_pr_guard(r: &Repo) -> Result<(), String> {
    let path = r.ci.path;
    for wf in r.workflows() {
        ensure(!wf.text.contains("pull_request_target"), || {
            format!(
                "{}: pull_request_target hands a write token to untrusted code",
                wf.path
            )
        })?;
    }
    let trusted = r.ci.doc.get("env").and_then(|e| field(e, "TRUSTED"));
    ensure(
        trusted.as_deref()
            == Some("${{ github.event.pull_request.head.repo.full_name == github.repository }}"),
        || {
            format!(
                "{path}: env.TRUSTED must be `github.event.pull_request.head.repo.full_name == github.repository`; got {trusted:?}"
            )
        },
    )?;
    let guard = "env.TRUSTED == 'true'";
    for (id, job) in r.ci.jobs() {
        for step in steps(job) {
            let name = field(step, "name").unwrap_or_else(|| uses(step).unwrap_or("?").into());
            let needs_guard = matches!(
                uses(step),
                Some("docker/login-action") | Some("github/codeql-action/upload-sarif")
            ) || run(step).is_some_and(|s| s.contains("sticky-comment"));
            if needs_guard {
                let cond = field(step, "if").unwrap_or_default();
                ensure(cond.contains(guard), || {
                    format!(
                        "{path}: job `{id}` step `{name}` must be guarded by `if: {guard}` (fork PRs have a read-only token)"
                    )
                })?;
            }
        }
    }
    let bp = r.ci.step_using("build", "docker/build-push-action")?;
    let to = with(bp, "cache-to").unwrap_or_default();
    ensure(
        to.starts_with("${{ env.TRUSTED == 'true' && ") && to.ends_with("|| '' }}"),
        || {
            format!(
                "{path}: cache-to must be `${{{{ env.TRUSTED == 'true' && <PR ref> || '' }}}}` (forks write no cache); got {to:?}"
            )
        },
    )?;
    let from = with(bp, "cache-from").unwrap_or_default();
    for line in from.lines().filter(|l| l.contains("buildcache-pr-")) {
        ensure(line.contains(guard), || {
            format!(
                "{path}: the PR cache ref in cache-from must be read only when {guard}: {line:?}"
            )
        })?;
    }
    ensure(from.contains("type=gha"), || {
        format!("{path}: cache-from must offer forks the type=gha fallback; got {from:?}")
    })
}

/// Every `vexgate gate` call (per leg and the combined report) applies the seed's
/// policy: HIGH,CRITICAL, --ignore-unfixed, and --image-repo for pkg:oci VEX matching.
pub fn severity_policy(r: &Repo) -> Result<(), String> {
    for wf in [&r.ci, &r.cd] {
        let gates = gate_runs(wf);
        ensure(gates.len() >= 2, || {
            format!(
                "{}: expected a vexgate gate per scan leg and one in the report job; found {}",
                wf.path,
                gates.len()
            )
        })?;
        for (job, script) in gates {
            for flag in [
                "--severity HIGH,CRITICAL",
                "--ignore-unfixed",
                "--image-repo",
            ] {
                ensure(script.contains(flag), || {
                    format!(
                        "{}: job `{job}`: the vexgate gate call must pass `{flag}`",
                        wf.path
                    )
                })?;
            }
            ensure(!script.contains("--ignore-unfixed=false"), || {
                format!("{}: job `{job}`: ignore-unfixed must stay on", wf.path)
            })?;
        }
    }
    ensure(r.gate_script.contains("vexgate gate \"$@\""), || {
        format!(
            "{}: must pass the workflow's policy flags (\"$@\") to every vexgate gate call",
            File::GateScript.path()
        )
    })?;
    ensure(
        !r.gate_script.contains("--severity") && !r.gate_script.contains("--ignore-unfixed"),
        || {
            format!(
                "{}: the policy belongs to the workflows, not the script",
                File::GateScript.path()
            )
        },
    )
}

/// The (job, run) pairs that invoke the gate: directly, or via gate-reports.sh.
fn gate_runs(wf: &Workflow) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    for (id, job) in wf.jobs() {
        for s in steps(job).into_iter().filter_map(run) {
            if s.contains("vexgate\" gate")
                || s.contains("vexgate gate")
                || s.contains("gate-reports.sh")
            {
                out.push((id, s));
            }
        }
    }
    out
}

/// vex.openvex.json is applied without a flag: vexgate's default loads it, every gate runs
/// at the checkout's root, and nothing overrides --vex. cd.yml attaches it to the image.
pub fn vex_auto_detection(r: &Repo) -> Result<(), String> {
    ensure(r.vexgate_cli.contains("./vex.openvex.json"), || {
        format!(
            "{}: vexgate must default --vex to ./vex.openvex.json when it exists",
            File::VexgateCli.path()
        )
    })?;
    ensure(!r.gate_script.contains("--vex"), || {
        format!(
            "{}: must not override vexgate's --vex default",
            File::GateScript.path()
        )
    })?;
    for wf in [&r.ci, &r.cd] {
        for (id, job) in wf.jobs() {
            let steps = steps(job);
            let checkout = steps
                .iter()
                .position(|s| uses(s) == Some("actions/checkout"));
            for (i, step) in steps.iter().enumerate() {
                let Some(script) = run(step) else { continue };
                if !(script.contains("vexgate\" gate") || script.contains("gate-reports.sh")) {
                    continue;
                }
                ensure(!script.contains("--vex"), || {
                    format!(
                        "{}: job `{id}`: do not pass --vex; vexgate loads vex.openvex.json itself",
                        wf.path
                    )
                })?;
                ensure(checkout.is_some_and(|c| c < i), || {
                    format!(
                        "{}: job `{id}` must check out the repository before the gate, or vex.openvex.json is not there",
                        wf.path
                    )
                })?;
                ensure(step.get("working-directory").is_none(), || {
                    format!(
                        "{}: job `{id}`: the gate must run at the checkout root, where vex.openvex.json lives",
                        wf.path
                    )
                })?;
            }
        }
    }
    let attach =
        r.cd.runs("merge")?
            .into_iter()
            .find(|s| s.contains("--type openvex"));
    ensure(
        attach.is_some_and(|s| {
            s.contains("[ -f vex.openvex.json ]")
                && s.contains("cosign attest --yes --type openvex --predicate vex.openvex.json")
        }),
        || {
            format!(
                "{}: merge must `cosign attest --type openvex --predicate vex.openvex.json` when the file exists",
                r.cd.path
            )
        },
    )
}

/// cd.yml: per-platform digests stay untagged until every one was scanned and gated;
/// only the merge job, which needs the scan and report jobs, creates tags.
pub fn gate_before_tagging(r: &Repo) -> Result<(), String> {
    let wf = &r.cd;
    let path = wf.path;
    let merge = wf.job("merge")?;
    let n = needs(merge);
    for j in ["build", "scan", "report"] {
        ensure(n.iter().any(|x| x == j), || {
            format!("{path}: merge must need `{j}` (the gate before tagging); needs {n:?}")
        })?;
    }
    let cond = field(merge, "if").unwrap_or_default();
    ensure(
        !cond.contains("always()") && !cond.contains("cancelled()") && !cond.contains("failure()"),
        || format!("{path}: merge must not run when the gate failed; if: {cond:?}"),
    )?;
    ensure(
        wf.runs("scan")?
            .iter()
            .any(|s| s.contains("vexgate\" gate")),
        || format!("{path}: every scan leg must run vexgate gate on its platform"),
    )?;
    ensure(
        wf.runs("report")?
            .iter()
            .any(|s| s.contains("gate-reports.sh")),
        || format!("{path}: the report job must gate all platforms together"),
    )?;
    let scan_needs = needs(wf.job("scan")?);
    ensure(scan_needs.iter().any(|x| x == "build"), || {
        format!("{path}: scan must need build (it scans the pushed digest)")
    })?;
    let bp = wf.step_using("build", "docker/build-push-action")?;
    let outputs = with(bp, "outputs").unwrap_or_default();
    ensure(
        outputs.contains("push-by-digest=true") && outputs.contains("push=true"),
        || format!("{path}: build must push by digest only; outputs {outputs:?}"),
    )?;
    ensure(
        with(bp, "tags").is_none() && with(bp, "push").is_none(),
        || format!("{path}: build must not tag or `push:` (the digest stays untagged until merge)"),
    )?;
    for (id, job) in wf.jobs() {
        if id == "merge" {
            continue;
        }
        for s in steps(job) {
            let tagging = run(s)
                .is_some_and(|t| t.contains("imagetools create") || t.contains("cosign"))
                || matches!(
                    uses(s),
                    Some("actions/attest") | Some("sigstore/cosign-installer")
                );
            ensure(!tagging, || {
                format!(
                    "{path}: job `{id}` tags, attests or signs; only merge (after the gate) may"
                )
            })?;
        }
    }
    ensure(
        wf.runs("merge")?
            .iter()
            .any(|s| s.contains("docker buildx imagetools create")),
        || format!("{path}: merge must create the index with docker buildx imagetools create"),
    )
}

/// Trivy writes unfiltered JSON per platform (TRIVY_PLATFORM), at a pinned version, and
/// each leg uploads `trivy-<os>-<arch>.json`.
pub fn trivy_unfiltered_per_platform(r: &Repo) -> Result<(), String> {
    for wf in [&r.ci, &r.cd] {
        let path = wf.path;
        let steps = wf.steps("scan")?;
        let setup = wf.step_using("scan", "aquasecurity/setup-trivy")?;
        let version = with(setup, "version").unwrap_or_default();
        ensure(is_semver_tag(&version), || {
            format!("{path}: setup-trivy must pin `version: vX.Y.Z`; got {version:?}")
        })?;
        ensure(!wf.text.contains("aquasecurity/trivy-action"), || {
            format!(
                "{path}: use setup-trivy + the CLI, not trivy-action (tags hijacked in March 2026)"
            )
        })?;
        let scan = steps
            .iter()
            .find(|s| run(s).is_some_and(|t| t.contains("trivy image")))
            .ok_or_else(|| format!("{path}: scan job has no `trivy image` step"))?;
        let script = run(scan).unwrap_or_default();
        for flag in [
            "--severity UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
            "--list-all-pkgs",
            "--format json",
            "--output \"trivy-${PAIR}.json\"",
        ] {
            ensure(script.contains(flag), || {
                format!("{path}: `trivy image` must pass `{flag}`")
            })?;
        }
        ensure(
            !script.contains("--ignore-unfixed") && !script.contains("--vex"),
            || format!("{path}: Trivy's report must stay unfiltered (vexgate filters)"),
        )?;
        let platform = scan.get("env").and_then(|e| field(e, "TRIVY_PLATFORM"));
        ensure(
            platform.as_deref() == Some("${{ matrix.platform }}"),
            || {
                format!(
                    "{path}: the trivy step must set TRIVY_PLATFORM: ${{{{ matrix.platform }}}}"
                )
            },
        )?;
        let upload = wf.step_using("scan", "actions/upload-artifact")?;
        ensure(
            with(upload, "name").as_deref() == Some("trivy-${{ matrix.pair }}.json"),
            || format!("{path}: each leg must upload the artifact trivy-<os>-<arch>.json"),
        )?;
    }
    Ok(())
}

fn is_semver_tag(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    let parts: Vec<_> = rest.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The Trivy DB is cached with actions/cache under a daily key, with Trivy's default DB
/// list unless the TRIVY_DB_REPOSITORY repository variable overrides it.
pub fn trivy_db_cache_daily(r: &Repo) -> Result<(), String> {
    for wf in [&r.ci, &r.cd] {
        let path = wf.path;
        let cache = wf
            .steps("scan")?
            .into_iter()
            .find(|s| {
                uses(s) == Some("actions/cache")
                    && with(s, "path").is_some_and(|p| p.contains(".cache/trivy"))
            })
            .ok_or_else(|| {
                format!("{path}: the scan job must cache ~/.cache/trivy/db with actions/cache")
            })?;
        let key = with(cache, "key").unwrap_or_default();
        ensure(
            key.starts_with("trivy-db-") && key.contains("steps.day.outputs.day"),
            || {
                format!(
                    "{path}: the Trivy DB cache key must be daily (trivy-db-<day>); got {key:?}"
                )
            },
        )?;
        ensure(
            wf.runs("scan")?
                .iter()
                .any(|s| s.contains("date -u +%Y-%m-%d") && s.contains("GITHUB_OUTPUT")),
            || format!("{path}: the scan job must compute the day for the cache key"),
        )?;
        ensure(
            wf.text
                .contains("DB_REPOSITORY: ${{ vars.TRIVY_DB_REPOSITORY }}")
                && wf
                    .text
                    .contains("if [ -n \"$DB_REPOSITORY\" ]; then export TRIVY_DB_REPOSITORY="),
            || {
                format!(
                    "{path}: TRIVY_DB_REPOSITORY must be set only from the optional repository variable"
                )
            },
        )?;
    }
    Ok(())
}

/// The report job downloads every leg's report, writes the step summary, and uploads
/// one SARIF per platform under its own category.
pub fn report_job(r: &Repo) -> Result<(), String> {
    for wf in [&r.ci, &r.cd] {
        let path = wf.path;
        let report = wf.job("report")?;
        ensure(needs(report).iter().any(|n| n == "scan"), || {
            format!("{path}: report must need the scan matrix")
        })?;
        let dl = wf
            .steps("report")?
            .into_iter()
            .find(|s| {
                uses(s) == Some("actions/download-artifact")
                    && with(s, "pattern").as_deref() == Some("trivy-*.json")
            })
            .ok_or_else(|| format!("{path}: report must download every trivy-*.json artifact"))?;
        ensure(
            with(dl, "merge-multiple").as_deref() == Some("true"),
            || format!("{path}: report must merge the downloaded reports into one directory"),
        )?;
        ensure(
            wf.runs("report")?
                .iter()
                .any(|s| s.contains("$GITHUB_STEP_SUMMARY")),
            || format!("{path}: report must write the step summary"),
        )?;
        let mut categories: Vec<_> = wf
            .steps("report")?
            .into_iter()
            .filter(|s| uses(s) == Some("github/codeql-action/upload-sarif"))
            .map(|s| with(s, "category").unwrap_or_default())
            .collect();
        categories.sort();
        ensure(
            categories == ["trivy-linux-amd64", "trivy-linux-arm64"],
            || {
                format!(
                    "{path}: one SARIF upload per platform with its own category; got {categories:?}"
                )
            },
        )?;
    }
    let sticky =
        r.ci.runs("report")?
            .into_iter()
            .filter(|s| s.contains("sticky-comment.sh"))
            .count();
    ensure(sticky == 1, || {
        format!(
            "{}: exactly one sticky-comment step; found {sticky}",
            r.ci.path
        )
    })
}

/// Every `uses:` is pinned to a full commit SHA and carries a `# vX.Y.Z` comment.
pub fn sha_pinned_uses(r: &Repo) -> Result<(), String> {
    for wf in r.workflows() {
        let mut seen = 0;
        for (n, line) in wf.text.lines().enumerate() {
            let t = line.trim_start().trim_start_matches("- ").trim_start();
            let Some(rest) = t.strip_prefix("uses:") else {
                continue;
            };
            seen += 1;
            let rest = rest.trim();
            let (spec, comment) = rest.split_once(" #").unwrap_or((rest, ""));
            let spec = spec.trim().trim_matches(|c| c == '"' || c == '\'');
            let at = |msg: &str| format!("{}:{}: {msg}: {}", wf.path, n + 1, line.trim());
            let (action, sha) = spec
                .split_once('@')
                .ok_or_else(|| at("uses without @<sha>"))?;
            ensure(action.split('/').count() >= 2, || {
                at("uses must name owner/repo")
            })?;
            ensure(
                sha.len() == 40
                    && sha
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                || at("uses must be pinned to a full 40-hex commit SHA"),
            )?;
            let version = comment.split_whitespace().next().unwrap_or("");
            ensure(is_semver_tag(version), || {
                at("the pin needs a `# vX.Y.Z` version comment")
            })?;
        }
        let parsed = wf
            .jobs()
            .iter()
            .map(|(_, j)| {
                steps(j).iter().filter(|s| s.get("uses").is_some()).count()
                    + usize::from(j.get("uses").is_some())
            })
            .sum::<usize>();
        ensure(seen == parsed, || {
            format!(
                "{}: {parsed} uses in the YAML but {seen} `uses:` lines checked (write each on its own line)",
                wf.path
            )
        })?;
    }
    Ok(())
}

/// Top-level `permissions: {}`, and every job states its own permissions.
pub fn top_level_permissions_empty(r: &Repo) -> Result<(), String> {
    for wf in r.workflows() {
        let p = wf.doc.get("permissions");
        ensure(
            p.and_then(Value::as_mapping).is_some_and(|m| m.is_empty()),
            || {
                format!(
                    "{}: top-level `permissions: {{}}` is required; got {p:?}",
                    wf.path
                )
            },
        )?;
        for (id, job) in wf.jobs() {
            ensure(
                job.get("permissions").is_some_and(Value::is_mapping),
                || format!("{}: job `{id}` must list its permissions", wf.path),
            )?;
        }
    }
    Ok(())
}

/// Every actions/checkout has `persist-credentials: false`.
pub fn persist_credentials_false(r: &Repo) -> Result<(), String> {
    let mut any = false;
    for wf in r.workflows() {
        for (id, job) in wf.jobs() {
            for s in steps(job)
                .into_iter()
                .filter(|s| uses(s) == Some("actions/checkout"))
            {
                any = true;
                ensure(
                    with(s, "persist-credentials").as_deref() == Some("false"),
                    || {
                        format!(
                            "{}: job `{id}`: actions/checkout needs `persist-credentials: false`",
                            wf.path
                        )
                    },
                )?;
            }
        }
    }
    ensure(any, || "no actions/checkout step found at all".to_string())
}

/// No `${{ }}` inside `run:`: expressions reach shell only through `env:`.
pub fn no_expressions_in_run(r: &Repo) -> Result<(), String> {
    for wf in r.workflows() {
        for (id, job) in wf.jobs() {
            for s in steps(job) {
                if let Some(script) = run(s) {
                    ensure(!script.contains("${{"), || {
                        let name = field(s, "name").unwrap_or_default();
                        format!(
                            "{}: job `{id}` step `{name}`: `${{{{` inside run:, pass it through env:",
                            wf.path
                        )
                    })?;
                }
            }
        }
    }
    Ok(())
}

/// Concurrency cancels superseded PR runs only: never a main, tag or clean-up run.
pub fn concurrency_cancels_pr_runs_only(r: &Repo) -> Result<(), String> {
    let get = |wf: &Workflow| {
        wf.doc
            .get("concurrency")
            .and_then(|c| c.get("cancel-in-progress"))
            .and_then(scalar)
    };
    let ci = get(&r.ci);
    ensure(
        ci.as_deref() == Some("${{ github.event_name == 'pull_request' }}"),
        || {
            format!(
                "{}: cancel-in-progress must be `${{{{ github.event_name == 'pull_request' }}}}`; got {ci:?}",
                r.ci.path
            )
        },
    )?;
    let group =
        r.ci.doc
            .get("concurrency")
            .and_then(|c| field(c, "group"))
            .unwrap_or_default();
    ensure(group.contains("github.event.pull_request.number"), || {
        format!(
            "{}: the concurrency group must be per pull request; got {group:?}",
            r.ci.path
        )
    })?;
    for wf in [&r.cd, &r.retention] {
        let v = get(wf);
        ensure(v.as_deref() == Some("false"), || {
            format!(
                "{}: cancel-in-progress must be false (never cancel a publish or clean-up); got {v:?}",
                wf.path
            )
        })?;
    }
    Ok(())
}

/// cd.yml: BuildKit provenance mode=max + SBOM, metadata-action tags/labels and index
/// annotations, actions/attest on the index digest (pushed), cosign keyless signature.
pub fn attest_and_sign(r: &Repo) -> Result<(), String> {
    let wf = &r.cd;
    let path = wf.path;
    let bp = wf.step_using("build", "docker/build-push-action")?;
    ensure(
        with(bp, "provenance").as_deref() == Some("mode=max"),
        || format!("{path}: build needs `provenance: mode=max`"),
    )?;
    ensure(with(bp, "sbom").as_deref() == Some("true"), || {
        format!("{path}: build needs `sbom: true`")
    })?;
    let meta = wf.step_using("merge", "docker/metadata-action")?;
    ensure(
        meta.get("env")
            .and_then(|e| field(e, "DOCKER_METADATA_ANNOTATIONS_LEVELS"))
            .as_deref()
            == Some("index"),
        || format!("{path}: merge's metadata-action must emit index-level annotations"),
    )?;
    let merge_runs = wf.runs("merge")?;
    ensure(
        merge_runs.iter().any(|s| {
            s.contains("imagetools create")
                && s.contains("--annotation")
                && s.contains("--tag")
                && s.contains("--metadata-file")
        }),
        || {
            format!(
                "{path}: imagetools create must apply the metadata tags and annotations and write --metadata-file"
            )
        },
    )?;
    let attest = wf.step_using("merge", "actions/attest")?;
    ensure(
        with(attest, "push-to-registry").as_deref() == Some("true")
            && with(attest, "subject-digest").as_deref()
                == Some("${{ steps.merge.outputs.digest }}"),
        || {
            format!(
                "{path}: actions/attest must attest the merged index digest with push-to-registry: true"
            )
        },
    )?;
    ensure(
        merge_runs
            .iter()
            .any(|s| s.contains("cosign sign --yes") && s.contains("${IMAGE}@${DIGEST}")),
        || format!("{path}: merge must sign the index digest with cosign (keyless)"),
    )?;
    let perms = wf
        .job("merge")?
        .get("permissions")
        .cloned()
        .unwrap_or(Value::Null);
    ensure(
        field(&perms, "id-token").as_deref() == Some("write"),
        || format!("{path}: merge needs id-token: write for keyless signing"),
    )
}

/// ghcr-retention.yml deletes only stale PR cache tags and unreferenced untagged
/// versions, never release tags or main's cache refs, and respects multi-arch children.
pub fn retention_is_safe(r: &Repo) -> Result<(), String> {
    let wf = &r.retention;
    let path = wf.path;
    ensure(!wf.text.contains("actions/delete-package-versions"), || {
        format!(
            "{path}: delete-package-versions deletes the untagged children of multi-arch images"
        )
    })?;
    let protected = wf
        .job("prune")?
        .get("env")
        .and_then(|e| field(e, "PROTECTED_TAGS"))
        .unwrap_or_default();
    let protected: Vec<_> = protected.split(',').map(str::trim).collect();
    for t in ["latest", "v*", "*.*.*", "buildcache-linux-*", "sha256-*"] {
        ensure(protected.contains(&t), || {
            format!("{path}: PROTECTED_TAGS must include {t:?}")
        })?;
    }
    let steps = wf.steps("prune")?;
    ensure(!steps.is_empty(), || format!("{path}: no clean-up step"))?;
    for s in steps {
        ensure(uses(s) == Some("dataaxiom/ghcr-cleanup-action"), || {
            format!("{path}: clean-up must use the multi-arch-aware ghcr-cleanup-action")
        })?;
        ensure(
            with(s, "exclude-tags").as_deref() == Some("${{ env.PROTECTED_TAGS }}"),
            || format!("{path}: every clean-up step must exclude PROTECTED_TAGS"),
        )?;
        ensure(with(s, "older-than").is_some(), || {
            format!("{path}: every clean-up step needs older-than (in-flight digests are untagged)")
        })?;
        if let Some(tags) = with(s, "delete-tags") {
            ensure(tags == "buildcache-pr-*", || {
                format!("{path}: the only tags it may delete are buildcache-pr-*; got {tags:?}")
            })?;
        }
    }
    Ok(())
}
