//! Subcommands, one file each. Each parses nothing itself (clap did) and calls the library.

pub mod feeds;
pub mod gate;
pub mod generate;
pub mod progress;
pub mod scan;
pub mod vex;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use vexgate_core::error::Result;

/// Gate Trivy JSON reports with Trivy's exact semantics, and author correct OpenVEX.
///
/// Exit codes: 0 pass, 1 something blocks (or a --strict check fails), 2 bad input or usage.
#[derive(Debug, Parser)]
#[command(name = "vexgate", version, about, long_about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply the policy (severity, ignore-unfixed, ignore files, OpenVEX) to saved Trivy JSON
    /// reports, one per platform, and give one verdict.
    Gate(gate::GateCommand),
    /// Run Trivy once per platform (unfiltered, to JSON), save the reports, then gate them.
    Scan(scan::ScanArgs),
    /// Author, validate, list and audit OpenVEX documents.
    #[command(subcommand)]
    Vex(vex::VexCommand),
    /// Download the exploitation feeds the gate reads (CISA KEV, FIRST EPSS).
    #[command(subcommand)]
    Feeds(feeds::FeedsCommand),
    /// Shell completions and man pages (release packaging).
    #[command(subcommand, hide = true)]
    Generate(generate::GenerateCommand),
}

/// The gate's policy and output flags. Shared verbatim by `scan`, so a scan followed by a
/// gate equals a gate run on the saved reports.
///
/// Every setting can also come from an environment variable `VEXGATE_<FLAG>` or from
/// `vexgate.toml`; precedence is flag > env > file > default. vexgate never reads `TRIVY_*`.
#[derive(Debug, Args, Clone, Default)]
pub struct GateArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,

    /// Standard output format: `table` for people, `json` for machines (stable schema).
    #[arg(long, env = "VEXGATE_FORMAT", value_name = "FORMAT")]
    pub format: Option<String>,

    /// Write the filtered report in Trivy's own JSON schema (one input only; see --output-dir).
    #[arg(long, value_name = "FILE")]
    pub output_report: Option<PathBuf>,

    /// Write one filtered Trivy-schema report per input into DIR, under the input's file name.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// Write GitHub-flavoured Markdown (for GITHUB_STEP_SUMMARY or a sticky PR comment).
    #[arg(long, env = "VEXGATE_SUMMARY_MD", value_name = "FILE")]
    pub summary_md: Option<PathBuf>,

    /// Write SARIF 2.1.0 for GitHub code scanning, one run per platform.
    #[arg(long, env = "VEXGATE_SARIF", value_name = "FILE")]
    pub sarif: Option<PathBuf>,

    /// Also list suppressed findings (status, justification or statement, source).
    #[arg(long, env = "VEXGATE_SHOW_SUPPRESSED", num_args = 0..=1, require_equals = true, default_missing_value = "true",
          value_name = "BOOL")]
    pub show_suppressed: Option<bool>,

    /// Fail (exit 1) when a report has no Results, or an image report has neither an OS nor a
    /// language-package result. Without it, that is a warning.
    #[arg(long, env = "VEXGATE_REQUIRE_COVERAGE", num_args = 0..=1, require_equals = true, default_missing_value = "true",
          value_name = "BOOL")]
    pub require_coverage: Option<bool>,

    #[command(flatten)]
    pub baseline: BaselineArgs,

    /// The platform check: the platforms the image is built for (OS/ARCH, comma-separated).
    /// After the verdict, exit 1 when one has no report, or a report's platform is not one
    /// of them (or a report has no platform). Not the same as --require-coverage.
    #[arg(
        long,
        env = "VEXGATE_EXPECT_PLATFORMS",
        value_delimiter = ',',
        value_name = "LIST"
    )]
    pub expect_platforms: Option<Vec<String>>,

    /// The platform check with the image platforms of an image index: the raw JSON of
    /// `docker buildx imagetools inspect --raw IMAGE` or `skopeo inspect --raw docker://IMAGE`
    /// (attestation manifests are ignored). A single-platform manifest is an error.
    #[arg(long, env = "VEXGATE_EXPECT_PLATFORMS_FROM", value_name = "INDEX")]
    pub expect_platforms_from: Option<PathBuf>,

    #[command(flatten)]
    pub feeds: FeedArgs,
}

/// Baseline gating: the flags that decide which findings are existing debt. Shared by
/// `gate`, `scan` and `vex explain`.
#[derive(Debug, Args, Clone, Default)]
pub struct BaselineArgs {
    /// Baseline: a saved Trivy JSON report of the same image before the change (e.g. the
    /// main branch's), one per platform, repeatable. Only findings the baseline of their
    /// platform lacks block; see --baseline-mode. This hides existing debt: use it for
    /// PR gates and adopting the gate on a legacy image, not for release gates.
    #[arg(
        long,
        env = "VEXGATE_BASELINE",
        value_delimiter = ',',
        value_name = "BASELINE"
    )]
    pub baseline: Option<Vec<String>>,

    /// `block-new`: only findings absent from the baseline block; `report`: everything
    /// blocks as without a baseline, and findings are marked new or existing.
    /// [default: block-new]
    #[arg(long, env = "VEXGATE_BASELINE_MODE", value_name = "MODE")]
    pub baseline_mode: Option<String>,

    /// A report whose platform has no baseline: `deny` is an error (exit 2), `allow` gates
    /// that platform in full with a warning. [default: deny]
    #[arg(long, env = "VEXGATE_BASELINE_MISSING", value_name = "deny|allow")]
    pub baseline_missing: Option<String>,
}

/// The exploitation feeds and their policy. Shared by `gate`, `scan` and `vex explain`.
#[derive(Debug, Args, Clone, Default)]
pub struct FeedArgs {
    /// The CISA Known Exploited Vulnerabilities catalog JSON, as CISA publishes it
    /// (`vexgate feeds fetch` downloads it). Every output shows each finding's KEV entry.
    #[arg(long, env = "VEXGATE_KEV", value_name = "FILE")]
    pub kev: Option<PathBuf>,

    /// The FIRST EPSS scores CSV as published, plain or gzip. Every output shows each
    /// finding's score and percentile.
    #[arg(long, env = "VEXGATE_EPSS", value_name = "FILE")]
    pub epss: Option<PathBuf>,

    /// A finding in the KEV catalog blocks whatever its severity or fix status (ignore files
    /// and VEX still suppress it; see --kev-suppression). Needs --kev.
    #[arg(long, env = "VEXGATE_BLOCK_KEV", num_args = 0..=1, require_equals = true, default_missing_value = "true",
          value_name = "BOOL")]
    pub block_kev: Option<bool>,

    /// Among the findings the severity policy selects, block only those with an EPSS score
    /// of at least P (0..=1), and those without a score unless --epss-missing allow. KEV
    /// findings under --block-kev block regardless. Needs --epss.
    #[arg(long, env = "VEXGATE_EPSS_THRESHOLD", value_name = "P")]
    pub epss_threshold: Option<String>,

    /// Under --epss-threshold, a finding with no EPSS score (no CVE, or a CVE FIRST has not
    /// scored): `deny` blocks it, `allow` lets it pass. [default: deny]
    #[arg(long, env = "VEXGATE_EPSS_MISSING", value_name = "deny|allow")]
    pub epss_missing: Option<String>,

    /// A KEV finding suppressed by the ignore file or VEX: `allow` lists it as a suppressed
    /// KEV finding; `deny` also blocks (exit 1). Needs --kev. [default: allow]
    #[arg(long, env = "VEXGATE_KEV_SUPPRESSION", value_name = "allow|deny")]
    pub kev_suppression: Option<String>,

    /// A feed older than this (by its own date, against the real clock) is a warning, or an
    /// error with --strict-feeds. [default: 7d]
    #[arg(long, env = "VEXGATE_FEED_MAX_AGE", value_name = "DURATION")]
    pub feed_max_age: Option<String>,

    /// A feed older than --feed-max-age is an error (exit 2) instead of a warning.
    #[arg(long, env = "VEXGATE_STRICT_FEEDS", num_args = 0..=1, require_equals = true, default_missing_value = "true",
          value_name = "BOOL")]
    pub strict_feeds: Option<bool>,
}

/// The flags that decide what reaches VEX and how VEX applies: the policy, the VEX and
/// ignore files, the image identity, report platforms and the settings file. `gate`, `scan`
/// and `vex explain` flatten this one struct, so the three read them identically.
#[derive(Debug, Args, Clone, Default)]
pub struct PolicyArgs {
    /// Severities that block, a set (not a threshold): UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL.
    /// Any case is accepted; an empty set is an error. [default: HIGH,CRITICAL]
    #[arg(
        long,
        env = "VEXGATE_SEVERITY",
        value_delimiter = ',',
        value_name = "LIST"
    )]
    pub severity: Option<Vec<String>>,

    /// Drop findings without a fix (every status but `fixed`). `--ignore-unfixed=false` gives
    /// Trivy's own default. [default: true]
    #[arg(long, env = "VEXGATE_IGNORE_UNFIXED", num_args = 0..=1, require_equals = true, default_missing_value = "true",
          value_name = "BOOL")]
    pub ignore_unfixed: Option<bool>,

    /// Drop findings with these statuses (unknown, not_affected, affected, fixed,
    /// under_investigation, will_not_fix, fix_deferred, end_of_life). Replaces the default
    /// ignore-unfixed; given together with an explicit --ignore-unfixed it wins, with a warning.
    #[arg(
        long,
        env = "VEXGATE_IGNORE_STATUS",
        value_delimiter = ',',
        value_name = "LIST"
    )]
    pub ignore_status: Option<Vec<String>>,

    /// Trivy ignore file: plain `.trivyignore` (IDs, `exp:YYYY-MM-DD`) or `.trivyignore.yaml`
    /// (by extension). Without this flag, `./.trivyignore` is loaded when present, like Trivy.
    #[arg(long, env = "VEXGATE_IGNOREFILE", value_name = "FILE")]
    pub ignorefile: Option<PathBuf>,

    /// OpenVEX or CSAF VEX document, repeatable, in priority order (first "not affected" wins).
    /// Without this flag `./vex.openvex.json` is applied when it exists; `--vex none` disables that.
    #[arg(
        long,
        env = "VEXGATE_VEX",
        value_delimiter = ',',
        value_name = "FILE|none"
    )]
    pub vex: Option<Vec<String>>,

    /// The image repository (e.g. ghcr.io/OWNER/REPO) to assume for container-image reports
    /// that have no RepoDigests (an unpushed PR build), so image-scoped VEX statements apply.
    /// This is the one place vexgate does more than Trivy.
    #[arg(long, env = "VEXGATE_IMAGE_REPO", value_name = "REPO")]
    pub image_repo: Option<String>,

    /// Platform of a report that lacks Metadata.ImageConfig, as FILE=os/arch. Repeatable.
    #[arg(long = "report-platform", value_name = "FILE=OS/ARCH")]
    pub report_platform: Vec<String>,

    /// Settings file. [default: ./vexgate.toml when present]
    #[arg(long, env = "VEXGATE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Run the parsed command and return the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Gate(args) => gate::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Vex(cmd) => vex::run(cmd),
        Command::Feeds(cmd) => feeds::run(cmd),
        Command::Generate(cmd) => generate::run(cmd),
    }
}
