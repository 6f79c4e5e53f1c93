//! The gate's settings, cargo-deny style: one [`PartialConfig`] type for every layer (the
//! flags with their `VEXGATE_*` variables, `vexgate.toml`), merged with
//! [`PartialConfig::or`] (the higher layer wins field by field) and then validated once,
//! defaults filled in, into [`Settings`]: the one validated [`Policy`] (what blocks; the
//! filters read it and every output shows it) beside the [`Outputs`] (where the verdict goes).
//!
//! `vexgate.toml` keys are the flag names in kebab-case: `severity`, `ignore-unfixed`,
//! `ignore-status`, `ignorefile`, `vex`, `image-repo`, `format`, `summary-md`, `sarif`,
//! `show-suppressed`, `require-coverage`, `baseline`, `baseline-mode`, `baseline-missing`,
//! `expect-platforms`, `expect-platforms-from`, `kev`, `epss`, `block-kev`, `epss-threshold` (a
//! string or a number), `epss-missing`, `kev-suppression`, `feed-max-age`, `strict-feeds`. Lists
//! may be TOML arrays or comma-separated
//! strings. Relative paths in the file are relative to the file's directory. An unknown key,
//! and a value that is wrong on its own (an unknown severity, `severity = []`), is an error
//! naming the file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::baseline::{BaselineMode, MissingBaseline};
use crate::decision::Warning;
use crate::diags::Code;
use crate::error::{Error, Result};
use crate::expect::ExpectSpec;
use crate::policy::{self, IgnoreFileChoice, Policy};
use crate::report::Platform;
use crate::severity::Severity;
use crate::status::Status;

/// The default settings file, read from the working directory when present.
pub const DEFAULT_CONFIG: &str = "vexgate.toml";
/// The default ignore file (Trivy's `result.DefaultIgnoreFile`).
pub const DEFAULT_IGNOREFILE: &str = ".trivyignore";
/// The default VEX document, applied when present and no `--vex` is given.
pub const DEFAULT_VEX: &str = "vex.openvex.json";

/// Standard output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

impl Format {
    pub const fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
        }
    }
}

/// A setting that takes one of a few keywords (`--format table`, `--baseline-mode report`):
/// parsed into its enum where it is read, by `FromStr` for flags and variables (clap) and
/// by `Deserialize` for `vexgate.toml`, so no layer holds it as a string.
macro_rules! keyword_setting {
    ($ty:ty, $what:literal, [$($v:expr),+ $(,)?]) => {
        impl $ty {
            /// Every keyword, in the order `--help` lists them.
            pub const ALL: &'static [$ty] = &[$($v),+];
        }

        impl std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> std::result::Result<Self, String> {
                Self::ALL.iter().copied().find(|k| k.as_str() == s).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
                    format!("invalid {} {s:?}: expected {}", $what, names.join(" or "))
                })
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

keyword_setting!(Format, "format", [Format::Table, Format::Json]);
keyword_setting!(
    BaselineMode,
    "baseline mode",
    [BaselineMode::BlockNew, BaselineMode::Report]
);
keyword_setting!(
    MissingScore,
    "epss-missing",
    [MissingScore::Deny, MissingScore::Allow]
);
keyword_setting!(
    KevSuppression,
    "kev-suppression",
    [KevSuppression::Allow, KevSuppression::Deny]
);
keyword_setting!(
    MissingBaseline,
    "baseline-missing",
    [MissingBaseline::Deny, MissingBaseline::Allow]
);

/// Everything the gate needs, resolved: the policy (what blocks), the outputs (where and
/// how the verdict is written) and the inputs' platforms.
#[derive(Debug, Clone)]
pub struct Settings {
    pub policy: Policy,
    pub outputs: Outputs,
    pub report_platforms: Vec<(PathBuf, Platform)>,
    /// The platform check: `--expect-platforms` or `--expect-platforms-from` (see
    /// [`crate::expect`]).
    pub expect_platforms: Option<ExpectSpec>,
    /// The settings file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// Non-fatal notes (e.g. ignore-unfixed overridden by ignore-status).
    pub warnings: Vec<Warning>,
    /// `--baseline` and its mode; `None` without baselines.
    pub baseline: Option<BaselineSettings>,
    /// Exploitation feeds (`--kev`, `--epss`) and their policy; the default gives none.
    pub feeds: FeedSettings,
}

/// `--epss-missing`: does a finding without an EPSS score block under `--epss-threshold`?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingScore {
    /// It blocks (the default: an unscored CVE is not known to be safe).
    #[default]
    Deny,
    /// It does not block.
    Allow,
}

/// `--kev-suppression`: may an ignore file or VEX suppress a KEV finding?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KevSuppression {
    /// Yes; each such suppression is listed in every output (the default).
    #[default]
    Allow,
    /// No: a suppressed KEV finding blocks (exit 1), listed as such.
    Deny,
}

impl MissingScore {
    pub const fn as_str(self) -> &'static str {
        match self {
            MissingScore::Deny => "deny",
            MissingScore::Allow => "allow",
        }
    }
}

impl KevSuppression {
    pub const fn as_str(self) -> &'static str {
        match self {
            KevSuppression::Allow => "allow",
            KevSuppression::Deny => "deny",
        }
    }
}

/// The exploitation feeds and what they change (see [`crate::feeds`] and docs/src/gate.md).
#[derive(Debug, Clone, PartialEq)]
pub struct FeedSettings {
    /// The CISA KEV catalog file.
    pub kev: Option<PathBuf>,
    /// The FIRST EPSS score file (plain or gzip).
    pub epss: Option<PathBuf>,
    /// KEV findings block whatever their severity or fix status.
    pub block_kev: bool,
    /// Among the findings the severity policy selects, only those with EPSS >= this block.
    pub epss_threshold: Option<f64>,
    pub epss_missing: MissingScore,
    pub kev_suppression: KevSuppression,
    /// A feed older than this is a warning (an error with `strict`).
    pub max_age: jiff::SignedDuration,
    pub strict: bool,
}

impl Default for FeedSettings {
    fn default() -> Self {
        FeedSettings {
            kev: None,
            epss: None,
            block_kev: false,
            epss_threshold: None,
            epss_missing: MissingScore::Deny,
            kev_suppression: KevSuppression::Allow,
            max_age: crate::feeds::DEFAULT_MAX_AGE,
            strict: false,
        }
    }
}

impl FeedSettings {
    /// Was any feed given?
    pub fn any(&self) -> bool {
        self.kev.is_some() || self.epss.is_some()
    }
}

/// Baseline gating (`--baseline`, `--baseline-mode`, `--baseline-missing`); see
/// [`crate::baseline`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineSettings {
    /// Saved Trivy JSON reports, matched to the reports by platform.
    pub files: Vec<PathBuf>,
    pub mode: BaselineMode,
    pub missing: MissingBaseline,
}

/// Where and how the verdict is written; none of it changes what blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outputs {
    pub format: Format,
    pub output_report: Option<PathBuf>,
    pub output_dir: Option<PathBuf>,
    pub summary_md: Option<PathBuf>,
    pub sarif: Option<PathBuf>,
    pub show_suppressed: bool,
}

impl Settings {
    /// `policy` with table output, no output files, no settings file and no warnings (for
    /// tests and benchmarks).
    pub fn with_policy(policy: Policy) -> Self {
        Self {
            policy,
            outputs: Outputs::default(),
            report_platforms: Vec::new(),
            expect_platforms: None,
            config_file: None,
            warnings: Vec::new(),
            baseline: None,
            feeds: FeedSettings::default(),
        }
    }
}

/// A list given as a TOML array or a comma-separated string (a flag gives the items).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum List {
    One(String),
    Many(Vec<String>),
}

impl List {
    /// The items: a string is split at commas and each part trimmed.
    pub fn items(&self) -> Vec<String> {
        match self {
            List::One(s) => s.split(',').map(|x| x.trim().to_string()).collect(),
            List::Many(v) => v.clone(),
        }
    }
}

impl From<Vec<String>> for List {
    fn from(v: Vec<String>) -> Self {
        List::Many(v)
    }
}

/// One layer of settings: every field unset until a layer sets it. The `vexgate.toml` keys
/// are the serde names; `report-platform`, `output-report` and `output-dir` are flags only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PartialConfig {
    pub severity: Option<List>,
    pub ignore_unfixed: Option<bool>,
    pub ignore_status: Option<List>,
    pub ignorefile: Option<PathBuf>,
    /// VEX sources, `none` to disable the default one.
    pub vex: Option<List>,
    pub image_repo: Option<String>,
    pub format: Option<Format>,
    pub summary_md: Option<PathBuf>,
    pub sarif: Option<PathBuf>,
    pub show_suppressed: Option<bool>,
    pub require_coverage: Option<bool>,
    /// Baseline reports (paths).
    pub baseline: Option<List>,
    pub baseline_mode: Option<BaselineMode>,
    pub baseline_missing: Option<MissingBaseline>,
    /// The platform check: one of the two per layer (a higher layer's choice replaces a
    /// lower one's, see [`PartialConfig::or`]).
    pub expect_platforms: Option<List>,
    pub expect_platforms_from: Option<PathBuf>,
    /// The CISA KEV catalog file.
    pub kev: Option<PathBuf>,
    /// The FIRST EPSS score file.
    pub epss: Option<PathBuf>,
    pub block_kev: Option<bool>,
    /// A number in `[0, 1]` (kept as written; checked by `check`). The file may give a
    /// TOML number or a string.
    #[serde(default, deserialize_with = "number_or_string")]
    pub epss_threshold: Option<String>,
    pub epss_missing: Option<MissingScore>,
    pub kev_suppression: Option<KevSuppression>,
    /// A duration such as `7d`.
    pub feed_max_age: Option<String>,
    pub strict_feeds: Option<bool>,
    #[serde(skip)]
    pub report_platform: Vec<String>,
    #[serde(skip)]
    pub output_report: Option<PathBuf>,
    #[serde(skip)]
    pub output_dir: Option<PathBuf>,
    /// The settings file this layer was read from (`None` for flags and variables).
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

impl PartialConfig {
    /// Parse a `vexgate.toml` read from `path`: unknown keys and values wrong on their own
    /// are input errors naming `path`, in one line. Relative paths are resolved against
    /// `path`'s directory.
    pub fn from_toml(path: &Path, text: &str) -> Result<Self> {
        let mut layer: PartialConfig = toml::from_str(text).map_err(|e| {
            // toml's message spans lines (it quotes the source); keep one line.
            let msg = e.message().replace(['\n', '\r'], " ");
            let at = e
                .span()
                .map(|s| {
                    let end = s.start.min(text.len());
                    let line = text.as_bytes()[..end]
                        .iter()
                        .filter(|b| **b == b'\n')
                        .count()
                        + 1;
                    format!(" at line {line}")
                })
                .unwrap_or_default();
            Error::input(path, format!("invalid vexgate.toml{at}: {msg}"))
        })?;
        layer.check(true).map_err(|why| Error::input(path, why))?;
        let rel = |p: PathBuf| relative_to(path, p);
        layer.ignorefile = layer.ignorefile.map(rel);
        layer.summary_md = layer.summary_md.map(rel);
        layer.sarif = layer.sarif.map(rel);
        layer.expect_platforms_from = layer.expect_platforms_from.map(rel);
        layer.kev = layer.kev.map(rel);
        layer.epss = layer.epss.map(rel);
        layer.vex = layer.vex.map(|l| {
            List::Many(
                l.items()
                    .into_iter()
                    .map(|s| {
                        if s == "none" || s.is_empty() {
                            s
                        } else {
                            relative_to(path, PathBuf::from(s)).display().to_string()
                        }
                    })
                    .collect(),
            )
        });
        layer.baseline = layer.baseline.map(|l| {
            List::Many(
                l.items()
                    .into_iter()
                    .map(|s| {
                        if s.is_empty() {
                            s
                        } else {
                            relative_to(path, PathBuf::from(s)).display().to_string()
                        }
                    })
                    .collect(),
            )
        });
        layer.file = Some(path.to_path_buf());
        Ok(layer)
    }

    /// Read and parse a settings file (bounded like every input; a directory is an error).
    pub fn read_file(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            return Err(Error::input(path, "is a directory, not a vexgate.toml"));
        }
        let text = crate::report::text::read_text(path)?;
        Self::from_toml(path, &text)
    }

    /// Field by field, `self`'s value if set, else `lower`'s.
    pub fn or(self, lower: PartialConfig) -> PartialConfig {
        PartialConfig {
            severity: self.severity.or(lower.severity),
            ignore_unfixed: self.ignore_unfixed.or(lower.ignore_unfixed),
            ignore_status: self.ignore_status.or(lower.ignore_status),
            ignorefile: self.ignorefile.or(lower.ignorefile),
            vex: self.vex.or(lower.vex),
            image_repo: self.image_repo.or(lower.image_repo),
            format: self.format.or(lower.format),
            summary_md: self.summary_md.or(lower.summary_md),
            sarif: self.sarif.or(lower.sarif),
            show_suppressed: self.show_suppressed.or(lower.show_suppressed),
            require_coverage: self.require_coverage.or(lower.require_coverage),
            baseline: self.baseline.or(lower.baseline),
            baseline_mode: self.baseline_mode.or(lower.baseline_mode),
            baseline_missing: self.baseline_missing.or(lower.baseline_missing),
            // The two platform-check settings are one choice: the higher layer's, whole.
            expect_platforms: if self.expect_platforms.is_some()
                || self.expect_platforms_from.is_some()
            {
                self.expect_platforms.clone()
            } else {
                lower.expect_platforms.clone()
            },
            expect_platforms_from: if self.expect_platforms.is_some()
                || self.expect_platforms_from.is_some()
            {
                self.expect_platforms_from
            } else {
                lower.expect_platforms_from
            },
            kev: self.kev.or(lower.kev),
            epss: self.epss.or(lower.epss),
            block_kev: self.block_kev.or(lower.block_kev),
            epss_threshold: self.epss_threshold.or(lower.epss_threshold),
            epss_missing: self.epss_missing.or(lower.epss_missing),
            kev_suppression: self.kev_suppression.or(lower.kev_suppression),
            feed_max_age: self.feed_max_age.or(lower.feed_max_age),
            strict_feeds: self.strict_feeds.or(lower.strict_feeds),
            report_platform: if self.report_platform.is_empty() {
                lower.report_platform
            } else {
                self.report_platform
            },
            output_report: self.output_report.or(lower.output_report),
            output_dir: self.output_dir.or(lower.output_dir),
            file: self.file.or(lower.file),
        }
    }

    /// The rules one layer can break on its own; for flags the message names the flag.
    fn check(&self, from_file: bool) -> std::result::Result<(), String> {
        let flag = |name: &str, var: &str| {
            if from_file {
                String::new()
            } else {
                format!("{name} (or {var}): ")
            }
        };
        if let Some(l) = &self.severity {
            let severities = policy::parse_severities(&l.items()).map_err(|e| e.to_string())?;
            if severities.is_empty() {
                return Err(format!(
                    "{}severity is empty, so nothing could ever block: name at least one of {}",
                    flag("--severity", "VEXGATE_SEVERITY"),
                    Severity::names()
                ));
            }
        }
        if let Some(l) = &self.ignore_status {
            let statuses = policy::parse_statuses(&l.items()).map_err(|e| e.to_string())?;
            // Every vulnerability has one of these statuses, so ignoring all of them would let
            // no vulnerability block whatever its severity.
            if Status::ALL.iter().all(|s| statuses.contains(s)) {
                return Err(format!(
                    "{}ignore-status lists every status, so no vulnerability could ever block: \
                     drop at least one (--ignore-unfixed ignores all but fixed)",
                    flag("--ignore-status", "VEXGATE_IGNORE_STATUS")
                ));
            }
        }
        if let Some(l) = &self.vex {
            let list: Vec<String> = l.items().into_iter().filter(|s| !s.is_empty()).collect();
            if list.len() > 1 && list.iter().any(|s| s == "none") {
                return Err(
                    "--vex none disables VEX and cannot be combined with VEX files".to_string(),
                );
            }
        }
        if let Some(t) = &self.epss_threshold {
            parse_threshold(t).map_err(|e| {
                format!("{}{e}", flag("--epss-threshold", "VEXGATE_EPSS_THRESHOLD"))
            })?;
        }
        if let Some(a) = &self.feed_max_age {
            crate::feeds::parse_max_age(a)
                .map_err(|e| format!("{}{e}", flag("--feed-max-age", "VEXGATE_FEED_MAX_AGE")))?;
        }
        for p in &self.report_platform {
            parse_report_platform(p)?;
        }
        if self.output_report.is_some() && self.output_dir.is_some() {
            return Err("--output-report and --output-dir cannot be used together".to_string());
        }
        if self.expect_platforms.is_some() && self.expect_platforms_from.is_some() {
            return Err(
                "--expect-platforms and --expect-platforms-from cannot be used together: give \
                 the list, or the image index to read it from"
                    .to_string(),
            );
        }
        if let Some(l) = &self.expect_platforms {
            crate::expect::parse_list(&l.items())?;
        }
        Ok(())
    }

    /// Validate the merged layers into [`Settings`], with the defaults for what no layer set.
    /// The default ignore file and VEX document are used when they exist in the working
    /// directory. Errors left at this point come from flags (the file was checked when read):
    /// usage errors.
    pub fn validate(self) -> Result<Settings> {
        self.check(false).map_err(Error::usage)?;
        let mut warnings = Vec::new();
        let baseline = self.baseline_settings();
        let feeds = self.feed_settings()?;
        let severities = match &self.severity {
            Some(l) => policy::parse_severities(&l.items())?,
            None => policy::DEFAULT_SEVERITIES.to_vec(),
        };
        // pkg/flag/vulnerability_flags.go ToOptions (Trivy v0.76): an explicit ignore-status
        // wins over ignore-unfixed, with a warning only when ignore-unfixed was set
        // explicitly too. Our default ignore-unfixed=true is silently replaced.
        let statuses = match &self.ignore_status {
            Some(l) => policy::parse_statuses(&l.items())?,
            None => Vec::new(),
        };
        let (ignore_statuses, ignore_unfixed) = if !statuses.is_empty() {
            if self.ignore_unfixed == Some(true) {
                warnings.push(Warning {
                    code: Code::IgnoreUnfixedOverridden,
                    message: "'--ignore-unfixed' is ignored because '--ignore-status' is specified"
                        .to_string(),
                });
            }
            (statuses, false)
        } else if self.ignore_unfixed.unwrap_or(true) {
            (policy::ignore_unfixed_statuses(), true)
        } else {
            (Vec::new(), false)
        };
        let ignorefile = match self.ignorefile {
            Some(path) => Some(IgnoreFileChoice {
                path,
                explicit: true,
            }),
            None if Path::new(DEFAULT_IGNOREFILE).exists() => Some(IgnoreFileChoice {
                path: PathBuf::from(DEFAULT_IGNOREFILE),
                explicit: false,
            }),
            None => None,
        };
        let vex = match &self.vex {
            Some(l) => {
                let list: Vec<String> = l.items().into_iter().filter(|s| !s.is_empty()).collect();
                if list.iter().any(|s| s == "none") {
                    Vec::new()
                } else {
                    list
                }
            }
            None if Path::new(DEFAULT_VEX).exists() => vec![DEFAULT_VEX.to_string()],
            None => Vec::new(),
        };
        let report_platforms = self
            .report_platform
            .iter()
            .map(|s| parse_report_platform(s).map_err(Error::usage))
            .collect::<Result<Vec<_>>>()?;
        let expect_platforms = match (&self.expect_platforms, self.expect_platforms_from) {
            (Some(l), _) => Some(ExpectSpec::List(
                crate::expect::parse_list(&l.items()).map_err(Error::usage)?,
            )),
            (None, Some(path)) => Some(ExpectSpec::From(path)),
            (None, None) => None,
        };
        let format = self.format.unwrap_or_default();
        Ok(Settings {
            policy: Policy {
                severities,
                ignore_statuses,
                ignore_unfixed,
                ignorefile,
                vex,
                image_repo: self.image_repo,
                require_coverage: self.require_coverage.unwrap_or(false),
            },
            outputs: Outputs {
                format,
                output_report: self.output_report,
                output_dir: self.output_dir,
                summary_md: self.summary_md,
                sarif: self.sarif,
                show_suppressed: self.show_suppressed.unwrap_or(false),
            },
            report_platforms,
            expect_platforms,
            config_file: self.file,
            warnings,
            baseline,
            feeds,
        })
    }

    /// The feed settings, checked together: a policy flag without the feed it needs is a
    /// usage error (it would silently do nothing).
    fn feed_settings(&self) -> Result<FeedSettings> {
        let needs = |set: bool, flag: &str, feed: Option<&PathBuf>, feed_flag: &str| {
            if set && feed.is_none() {
                return Err(Error::usage(format!(
                    "{flag} needs {feed_flag} FILE (the feed it reads)"
                )));
            }
            Ok(())
        };
        let (kev, epss) = (self.kev.as_ref(), self.epss.as_ref());
        needs(self.block_kev == Some(true), "--block-kev", kev, "--kev")?;
        needs(
            self.kev_suppression == Some(KevSuppression::Deny),
            "--kev-suppression deny",
            kev,
            "--kev",
        )?;
        needs(
            self.epss_threshold.is_some(),
            "--epss-threshold",
            epss,
            "--epss",
        )?;
        if self.epss_missing.is_some() && self.epss_threshold.is_none() {
            return Err(Error::usage(
                "--epss-missing needs --epss-threshold P (it decides whether findings \
                 without a score block under the threshold)",
            ));
        }
        let no_feed = kev.is_none() && epss.is_none();
        if no_feed && (self.strict_feeds == Some(true) || self.feed_max_age.is_some()) {
            return Err(Error::usage(
                "--feed-max-age and --strict-feeds need a feed (--kev FILE or --epss FILE)",
            ));
        }
        Ok(FeedSettings {
            kev: self.kev.clone(),
            epss: self.epss.clone(),
            block_kev: self.block_kev.unwrap_or(false),
            epss_threshold: self
                .epss_threshold
                .as_deref()
                .map(parse_threshold)
                .transpose()
                .map_err(Error::usage)?,
            epss_missing: self.epss_missing.unwrap_or_default(),
            kev_suppression: self.kev_suppression.unwrap_or_default(),
            max_age: match self.feed_max_age.as_deref() {
                Some(a) => crate::feeds::parse_max_age(a).map_err(Error::usage)?,
                None => crate::feeds::DEFAULT_MAX_AGE,
            },
            strict: self.strict_feeds.unwrap_or(false),
        })
    }

    /// The baseline settings (checked by `check`): `None` without baseline files; the
    /// mode and the missing-baseline rule alone change nothing.
    fn baseline_settings(&self) -> Option<BaselineSettings> {
        let files: Vec<PathBuf> = self
            .baseline
            .as_ref()?
            .items()
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect();
        if files.is_empty() {
            return None;
        }
        Some(BaselineSettings {
            files,
            mode: self.baseline_mode.unwrap_or_default(),
            missing: self.baseline_missing.unwrap_or_default(),
        })
    }
}

/// Resolve a path from the settings file against the file's directory.
fn relative_to(base: &Path, p: PathBuf) -> PathBuf {
    if p.is_absolute() {
        return p;
    }
    match base.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(p),
        _ => p,
    }
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        S(String),
        F(f64),
        I(i64),
    }
    Ok(Some(match N::deserialize(d)? {
        N::S(s) => s,
        N::F(f) => f.to_string(),
        N::I(i) => i.to_string(),
    }))
}

/// `--epss-threshold P`: a number in `[0, 1]`. Above 1 no score could ever reach it, so
/// nothing selected by severity could block: an error, like every setting that would stop
/// the gate from ever blocking.
pub fn parse_threshold(s: &str) -> std::result::Result<f64, String> {
    let p: f64 = s.trim().parse().map_err(|_| {
        format!("invalid EPSS threshold {s:?}: expected a probability between 0 and 1, e.g. 0.1")
    })?;
    if !p.is_finite() || !(0.0..=1.0).contains(&p) {
        return Err(format!(
            "EPSS threshold {s} is outside [0, 1]: EPSS scores are probabilities, so no \
             score could reach it and nothing could ever block"
        ));
    }
    Ok(p)
}

/// `--report-platform FILE=os/arch` (split at the last `=`).
pub fn parse_report_platform(s: &str) -> std::result::Result<(PathBuf, Platform), String> {
    let bad = || {
        format!("--report-platform {s:?}: expected FILE=OS/ARCH, e.g. trivy-arm64.json=linux/arm64")
    };
    let (file, plat) = s.rsplit_once('=').ok_or_else(bad)?;
    if file.is_empty() {
        return Err(bad());
    }
    let platform = Platform::parse(plat).ok_or_else(bad)?;
    Ok((PathBuf::from(file), platform))
}

#[cfg(test)]
mod partial_tests {
    use super::*;

    fn layer(toml: &str) -> Result<PartialConfig> {
        PartialConfig::from_toml(Path::new("/cfg/vexgate.toml"), toml)
    }

    #[test]
    fn report_platform_syntax() {
        let (f, p) = parse_report_platform("a=b.json=linux/arm64").unwrap();
        assert_eq!(f, PathBuf::from("a=b.json"));
        assert_eq!(p.to_string(), "linux/arm64");
        assert!(parse_report_platform("x.json").is_err());
        assert!(parse_report_platform("=linux/amd64").is_err());
        assert!(parse_report_platform("x.json=linux").is_err());
    }

    #[test]
    fn file_layer_paths_are_relative_to_the_file_and_higher_layers_win() {
        let file = layer(
            "severity = \"low,critical\"\nignorefile = \"ig.yaml\"\nvex = [\"a.json\", \"none\"]\nshow-suppressed = true\n",
        );
        // `none` with a file in one list is refused, naming the file.
        let e = file.unwrap_err().to_string();
        assert!(e.starts_with("/cfg/vexgate.toml: "), "{e}");
        assert!(e.contains("--vex none"), "{e}");
        let file = layer(
            "severity = \"low,critical\"\nignorefile = \"ig.yaml\"\nvex = [\"a.json\", \"/abs/b.json\"]\nshow-suppressed = true\n",
        )
        .unwrap();
        assert_eq!(file.ignorefile, Some(PathBuf::from("/cfg/ig.yaml")));
        let flags = PartialConfig {
            severity: Some(List::Many(vec!["medium".into()])),
            ..Default::default()
        };
        let s = flags.clone().or(file.clone()).validate().unwrap();
        assert_eq!(s.policy.severities, [Severity::Medium]);
        assert_eq!(s.policy.vex, ["/cfg/a.json", "/abs/b.json"]);
        assert!(s.outputs.show_suppressed);
        assert_eq!(s.config_file, Some(PathBuf::from("/cfg/vexgate.toml")));
        let s = PartialConfig::default().or(file).validate().unwrap();
        assert_eq!(s.policy.severities, [Severity::Low, Severity::Critical]);
    }

    #[test]
    fn values_wrong_on_their_own_name_the_file() {
        for (toml, want) in [
            ("severty = \"HIGH\"\n", "invalid vexgate.toml at line 1"),
            ("severity = []\n", "nothing could ever block"),
            ("severity = \"SEVERE\"\n", "invalid severity \"SEVERE\""),
            (
                "format = \"xml\"\n",
                "invalid format \"xml\": expected table or json",
            ),
            (
                "ignore-status = \"unknown,not_affected,affected,fixed,under_investigation,will_not_fix,fix_deferred,end_of_life\"\n",
                "no vulnerability could ever block",
            ),
            ("severity = \"a\nb\"\n", "invalid vexgate.toml at line 2"),
        ] {
            let e = layer(toml).unwrap_err().to_string();
            assert!(e.starts_with("/cfg/vexgate.toml: "), "{toml}: {e}");
            assert!(e.contains(want), "{toml}: {e}");
            assert!(!e.contains('\n'), "{toml}: {e}");
        }
    }

    #[test]
    fn expect_platforms_layers() {
        let file = layer("expect-platforms-from = \"index.json\"\n").unwrap();
        assert_eq!(
            file.expect_platforms_from,
            Some(PathBuf::from("/cfg/index.json"))
        );
        let s = PartialConfig::default()
            .or(file.clone())
            .validate()
            .unwrap();
        assert_eq!(
            s.expect_platforms,
            Some(ExpectSpec::From(PathBuf::from("/cfg/index.json")))
        );
        // A flag's list replaces the file's index, not a usage error.
        let flags = PartialConfig {
            expect_platforms: Some(List::One("linux/amd64,linux/arm64".into())),
            ..Default::default()
        };
        let s = flags.or(file).validate().unwrap();
        let Some(ExpectSpec::List(l)) = s.expect_platforms else {
            panic!("a list")
        };
        assert_eq!(l.len(), 2);
        // Both in one layer: refused, naming the file or the flags.
        let e = layer("expect-platforms = \"linux/amd64\"\nexpect-platforms-from = \"i.json\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("/cfg/vexgate.toml: ") && e.contains("cannot be used together"),
            "{e}"
        );
        let both = PartialConfig {
            expect_platforms: Some(List::One("linux/amd64".into())),
            expect_platforms_from: Some("i.json".into()),
            ..Default::default()
        };
        assert_eq!(both.validate().unwrap_err().exit_code(), crate::EXIT_INPUT);
        let e = layer("expect-platforms = \"linux\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("--expect-platforms \"linux\""), "{e}");
        let e = layer("expect-platforms = []\n").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn baseline_settings_from_the_file_and_flags() {
        let file =
            layer("baseline = \"main/amd64.json, /abs/arm64.json\"\nbaseline-mode = \"report\"\n")
                .unwrap();
        let s = file.clone().validate().unwrap();
        let b = s.baseline.unwrap();
        assert_eq!(
            b.files,
            [
                PathBuf::from("/cfg/main/amd64.json"),
                PathBuf::from("/abs/arm64.json")
            ]
        );
        assert_eq!(b.mode, BaselineMode::Report);
        assert_eq!(b.missing, MissingBaseline::Deny);
        // A flag wins; a mode without baseline files is no baseline.
        let flags = PartialConfig {
            baseline_missing: Some(MissingBaseline::Allow),
            baseline_mode: Some(BaselineMode::BlockNew),
            ..Default::default()
        };
        let b = flags.clone().or(file).validate().unwrap().baseline.unwrap();
        assert_eq!(
            (b.mode, b.missing),
            (BaselineMode::BlockNew, MissingBaseline::Allow)
        );
        assert!(flags.validate().unwrap().baseline.is_none());
        let e = layer("baseline-mode = \"new\"\n").unwrap_err().to_string();
        assert!(
            e.starts_with("/cfg/vexgate.toml: invalid vexgate.toml at line 1: invalid baseline mode \"new\": expected block-new or report"),
            "{e}"
        );
        let e = "yes".parse::<MissingBaseline>().unwrap_err();
        assert_eq!(
            e,
            "invalid baseline-missing \"yes\": expected deny or allow"
        );
        assert_eq!("report".parse(), Ok(BaselineMode::Report));
        assert_eq!("json".parse(), Ok(Format::Json));
    }

    #[test]
    fn flag_errors_are_usage_errors() {
        // Empty items are dropped before the `none` rule: `--vex none,` is `--vex none`.
        let vex_none = PartialConfig {
            vex: Some(List::One("none,".into())),
            ..Default::default()
        };
        assert!(vex_none.validate().unwrap().policy.vex.is_empty());
        let flags = PartialConfig {
            severity: Some(List::Many(vec![])),
            ..Default::default()
        };
        let e = flags.validate().unwrap_err();
        assert_eq!(e.exit_code(), crate::EXIT_INPUT);
        assert!(
            e.to_string().contains("--severity (or VEXGATE_SEVERITY)"),
            "{e}"
        );
        let both = PartialConfig {
            output_report: Some("a".into()),
            output_dir: Some("b".into()),
            ..Default::default()
        };
        assert!(
            both.validate()
                .unwrap_err()
                .to_string()
                .contains("cannot be used together")
        );
    }

    /// The feed keys in vexgate.toml: paths relative to the file, the threshold as a TOML
    /// number or a string, the defaults, and the values refused as never blocking.
    #[test]
    fn feed_settings_from_the_file() {
        let path = Path::new("ci/vexgate.toml");
        let layer = PartialConfig::from_toml(
            path,
            "kev = \"feeds/kev.json\"\nepss = \"feeds/epss.csv.gz\"\nblock-kev = true\n\
             epss-threshold = 0.1\nepss-missing = \"allow\"\nfeed-max-age = \"36h\"\n",
        )
        .unwrap();
        let f = layer.validate().unwrap().feeds;
        assert_eq!(f.kev.as_deref(), Some(Path::new("ci/feeds/kev.json")));
        assert_eq!(f.epss.as_deref(), Some(Path::new("ci/feeds/epss.csv.gz")));
        assert!(f.block_kev && !f.strict);
        assert_eq!(f.epss_threshold, Some(0.1));
        assert_eq!(f.epss_missing, MissingScore::Allow);
        assert_eq!(f.kev_suppression, KevSuppression::Allow);
        assert_eq!(f.max_age, jiff::SignedDuration::from_hours(36));
        let s =
            PartialConfig::from_toml(path, "epss-threshold = \"1\"\nepss = \"e.csv\"\n").unwrap();
        assert_eq!(s.validate().unwrap().feeds.epss_threshold, Some(1.0));
        assert_eq!(
            PartialConfig::default().validate().unwrap().feeds,
            FeedSettings::default()
        );
        for bad in [
            "epss-threshold = 1.5",
            "epss-threshold = -0.1",
            "epss-missing = \"maybe\"",
        ] {
            let e = PartialConfig::from_toml(path, bad).unwrap_err().to_string();
            assert!(e.starts_with("ci/vexgate.toml: "), "{e}");
        }
        assert!(parse_threshold("inf").is_err());
        assert!(parse_threshold("0").is_ok());
    }
}
