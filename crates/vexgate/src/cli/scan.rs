//! `vexgate scan`: Trivy once per platform, unfiltered, saved as `trivy-<os>-<arch>.json`,
//! then exactly the `gate` over the saved reports.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::GateArgs;
use super::gate::GateCommand;
use vexgate_core::error::Result;
use vexgate_core::expect::{ExpectSpec, Expected, Source};
use vexgate_core::report::Platform;
use vexgate_core::scan::{IndexTool, ScanPlan, TargetKind};

#[derive(Debug, Args)]
#[command(after_long_help = SCAN_HELP)]
pub struct ScanArgs {
    /// What to scan: an image reference (registry or local daemon), a docker-archive tar
    /// (`docker save`, `skopeo copy ... docker-archive:`), or an OCI layout directory.
    #[arg(value_name = "IMAGE")]
    pub image: String,

    /// Platform to scan, repeatable. [default: every image platform of the image's index
    /// (OCI layout, archive, or a registry reference's index read with --index-tool),
    /// otherwise the image's own platform]
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Vec<String>,

    /// How the image index of a registry reference is read when no --platform is given:
    /// `auto` runs the first of skopeo, crane and docker on PATH (`skopeo inspect --raw`,
    /// `crane manifest`, `docker buildx imagetools inspect --raw`); `none` reads no index
    /// and lets Trivy scan one platform of its choice.
    #[arg(
        long,
        env = "VEXGATE_INDEX_TOOL",
        value_enum,
        default_value_t = IndexToolArg::Auto,
        value_name = "TOOL"
    )]
    pub index_tool: IndexToolArg,

    /// Read the registry's index over plain HTTP or without TLS verification (skopeo
    /// --tls-verify=false, crane --insecure). Always on for localhost and 127.0.0.0/8.
    /// Trivy itself is configured with --trivy-arg=--insecure.
    #[arg(long)]
    pub insecure_registry: bool,

    /// Where the reports are saved, as trivy-<os>-<arch>.json (the CI workflows' artifact names).
    #[arg(
        long,
        env = "VEXGATE_REPORTS_DIR",
        default_value = ".",
        value_name = "DIR"
    )]
    pub reports_dir: PathBuf,

    /// The Trivy binary. [default: `trivy` on PATH]
    #[arg(long, env = "VEXGATE_TRIVY", value_name = "PATH")]
    pub trivy: Option<PathBuf>,

    /// Trivy's cache directory (holds the vulnerability DB), passed through.
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Trivy's DB repository (e.g. a mirror), passed through.
    #[arg(long, value_name = "REPO")]
    pub db_repository: Option<String>,

    /// Use the cached DB without checking for updates (Trivy's --skip-db-update).
    #[arg(long)]
    pub skip_db_update: bool,

    /// How to read IMAGE: `auto` picks `archive` for a file, `oci` for a directory with
    /// index.json, `image` otherwise.
    #[arg(long, value_enum, default_value_t = InputKind::Auto)]
    pub input_kind: InputKind,

    /// Concurrent Trivy runs. [default: 2]
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub jobs: usize,

    /// Extra argument for every Trivy run (e.g. `--cache-backend=memory`), repeatable.
    #[arg(long = "trivy-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub trivy_args: Vec<String>,

    #[command(flatten)]
    pub gate: GateArgs,
}

/// How to read the scan target (`--input-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputKind {
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

/// `--index-tool`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IndexToolArg {
    /// The first of skopeo, crane and docker found on PATH.
    Auto,
    /// `skopeo inspect --raw docker://IMAGE`.
    Skopeo,
    /// `crane manifest IMAGE`.
    Crane,
    /// `docker buildx imagetools inspect --raw IMAGE`.
    Docker,
    /// Read no index: Trivy scans one platform of its choice.
    None,
}

impl From<IndexToolArg> for IndexTool {
    fn from(t: IndexToolArg) -> Self {
        match t {
            IndexToolArg::Auto => IndexTool::Auto,
            IndexToolArg::Skopeo => IndexTool::Skopeo,
            IndexToolArg::Crane => IndexTool::Crane,
            IndexToolArg::Docker => IndexTool::Docker,
            IndexToolArg::None => IndexTool::None,
        }
    }
}

impl From<InputKind> for TargetKind {
    fn from(k: InputKind) -> Self {
        match k {
            InputKind::Auto => TargetKind::Auto,
            InputKind::Image => TargetKind::Image,
            InputKind::Archive => TargetKind::Archive,
            InputKind::Oci => TargetKind::Oci,
        }
    }
}

const SCAN_HELP: &str = "\
The child Trivy is always unfiltered, whatever your environment holds: it runs without the
filtering and output TRIVY_* variables (severity, ignore-unfixed, ignore-status, vex,
ignorefile, ignore-policy, exit-code, format, output, template, list-all-pkgs, config), with
--config and --ignorefile pointing at empty files of vexgate's own, and with explicit
`--severity UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL --list-all-pkgs --format json`. Cache, DB, auth
and network variables are kept. Each platform is passed in Trivy's TRIVY_PLATFORM variable,
once per platform.

Every image platform of the image's index is scanned: an OCI layout's index.json, a
docker-archive's index.json (else its manifest.json), and for a registry reference the raw
index printed by skopeo, crane or docker buildx (--index-tool); attestation manifests are
skipped. Each report must record the platform Trivy was asked for. The saved reports then
pass the platform check (--expect-platforms) with the platforms scanned, unless
--expect-platforms or --expect-platforms-from names the platforms to expect.

The saved reports are then gated with exactly the gate flags given here, so
`vexgate scan IMG --reports-dir r` followed by `vexgate gate r/trivy-*.json` gives the same verdict.

Examples:
  vexgate scan hello.tar --cache-dir ~/.cache/trivy --skip-db-update
  vexgate scan ghcr.io/OWNER/REPO:main --platform linux/amd64 --platform linux/arm64
  vexgate scan oci-layout/ --image-repo ghcr.io/OWNER/REPO --summary-md summary.md";

pub fn run(args: ScanArgs) -> Result<i32> {
    let parsed = args
        .platform
        .iter()
        .map(|p| {
            // The platform names the saved report (trivy-<os>-<arch>.json).
            Platform::parse(p)
                .filter(|pl| pl.report_file_name().is_ok())
                .ok_or_else(|| {
                    vexgate_core::Error::usage(format!(
                        "--platform {p:?}: expected OS/ARCH, e.g. linux/amd64 (each part 1 to \
                         32 characters of a-z, 0-9, '.', '_' and '-', starting with a letter \
                         or digit)"
                    ))
                })
        })
        .collect::<Result<Vec<_>>>()?;
    // A platform given twice is scanned once; two that differ only in variant would be one
    // report (trivy-<os>-<arch>.json; a report records no variant), so they are refused.
    let mut platforms: Vec<Platform> = Vec::new();
    let mut given: Vec<String> = Vec::new();
    for (raw, p) in args.platform.iter().zip(parsed) {
        let norm = raw
            .split('/')
            .map(|part| part.trim().to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join("/");
        match platforms.iter().position(|q| *q == p) {
            Some(i) if given[i] == norm => {}
            Some(i) => {
                return Err(vexgate_core::Error::usage(format!(
                    "--platform {:?} and --platform {raw:?} would both be scanned as {p} and \
                     saved as one report (a report records no variant); give one of them",
                    args.platform[i]
                )));
            }
            None => {
                platforms.push(p);
                given.push(norm);
            }
        }
    }
    // The gate's settings are checked before Trivy runs (a bad vexgate.toml should not cost
    // a scan), and the files they name are never overwritten by a saved report.
    let settings = crate::settings::resolve(&args.gate)?;
    super::gate::refuse_overwriting_inputs(&[], &settings, None)?;
    let mut protected: Vec<PathBuf> = settings.config_file.iter().cloned().collect();
    protected.extend(settings.policy.ignorefile.iter().map(|i| i.path.clone()));
    protected.extend(settings.policy.vex.iter().map(PathBuf::from));
    protected.extend(
        settings
            .baseline
            .iter()
            .flat_map(|b| b.files.iter().cloned()),
    );
    protected.extend(settings.feeds.kev.iter().cloned());
    protected.extend(settings.feeds.epss.iter().cloned());
    if let Some(ExpectSpec::From(p)) = &settings.expect_platforms {
        protected.push(p.clone());
    }
    let plan = ScanPlan {
        target: args.image,
        kind: args.input_kind.into(),
        platforms,
        reports_dir: args.reports_dir,
        trivy: args.trivy.unwrap_or_else(|| PathBuf::from("trivy")),
        cache_dir: args.cache_dir,
        db_repository: args.db_repository,
        skip_db_update: args.skip_db_update,
        jobs: args.jobs.max(1),
        extra_args: args.trivy_args,
        protected,
        index_tool: args.index_tool.into(),
        insecure_registry: args.insecure_registry,
    };
    // A reference Trivy could read as a flag is refused whatever else is given.
    vexgate_core::scan::check_target(&plan.target, plan.kind)?;
    // A VEX document Trivy would refuse (or any bad VEX input) fails before the scans.
    let settings = crate::settings::resolve(&args.gate)?;
    vexgate_core::vex::VexSet::read(&settings.policy.vex)?;
    super::progress::catch_interrupts();
    let platforms =
        vexgate_core::scan::plan_platforms(&plan, &super::progress::INTERRUPTED, &|tool: &str| {
            eprintln!(
                "vexgate: reading the image index of {} with {tool}",
                vexgate_core::escape::term(&plan.target)
            );
        })?;
    let reports = vexgate_core::scan::run_platforms(
        &plan,
        &platforms,
        &super::progress::Progress::new(),
        &super::progress::INTERRUPTED,
    )?;
    // Each report is the platform it was scanned for (the saved file is named after it; a
    // report recording another platform was refused), also when the report records none.
    let mut gate = args.gate;
    for (path, p) in reports.iter().zip(&platforms) {
        if let Some(p) = p {
            gate.policy
                .report_platform
                .push(format!("{}={p}", path.display()));
        }
    }
    // The platforms scanned are the ones to expect (when every one is known).
    let scanned: Option<Vec<Platform>> = platforms.into_iter().collect();
    let expected = scanned.map(|p| Expected::new(p, Source::ScanTarget));
    super::gate::run_with(
        GateCommand {
            reports,
            args: gate,
        },
        expected,
    )
}
