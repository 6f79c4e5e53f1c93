//! The gate's resolved settings: the policy and the outputs, after the binary has merged
//! flags, `VEXGATE_*` variables, `vexgate.toml` and the defaults.

use std::path::PathBuf;

use crate::decision::{PolicyView, Warning};
use crate::policy;
use crate::report::Platform;

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

/// Which ignore file to load, and whether the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreFileChoice {
    pub path: PathBuf,
    /// Explicit files must exist (Trivy: "ignore file not found"); the default may be absent.
    pub explicit: bool,
}

/// Everything the gate needs, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Upper case, UNKNOWN..CRITICAL order.
    pub severities: Vec<String>,
    /// The statuses dropped (after the ignore-unfixed / ignore-status rule).
    pub ignore_statuses: Vec<String>,
    /// Whether ignore-unfixed is what produced `ignore_statuses`.
    pub ignore_unfixed: bool,
    pub ignorefile: Option<IgnoreFileChoice>,
    /// VEX sources as given (empty: none).
    pub vex: Vec<String>,
    pub image_repo: Option<String>,
    pub report_platforms: Vec<(PathBuf, Platform)>,
    pub format: Format,
    pub output_report: Option<PathBuf>,
    pub output_dir: Option<PathBuf>,
    pub summary_md: Option<PathBuf>,
    pub sarif: Option<PathBuf>,
    pub show_suppressed: bool,
    pub require_coverage: bool,
    /// The settings file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// Non-fatal notes (e.g. ignore-unfixed overridden by ignore-status).
    pub warnings: Vec<Warning>,
}

impl Settings {
    /// The effective policy, for display in every output.
    pub fn policy_view(&self) -> PolicyView {
        PolicyView {
            severities: self.severities.clone(),
            ignore_statuses: self.ignore_statuses.clone(),
            ignore_unfixed: self.ignore_unfixed,
            ignorefile: self
                .ignorefile
                .as_ref()
                .map(|c| c.path.display().to_string()),
            vex: self.vex.clone(),
            image_repo: self.image_repo.clone(),
            require_coverage: self.require_coverage,
        }
    }
}

impl Settings {
    /// The default policy with the given severities and ignore-unfixed choice, no ignore
    /// file, no VEX and table output: what `vexgate gate --vex none` gives in a directory
    /// without `.trivyignore` or `vexgate.toml` (for tests and benchmarks).
    pub fn with_policy(severities: &[&str], ignore_unfixed: bool) -> Self {
        Self {
            severities: severities.iter().map(|s| s.to_ascii_uppercase()).collect(),
            ignore_statuses: if ignore_unfixed {
                policy::ignore_unfixed_statuses()
            } else {
                Vec::new()
            },
            ignore_unfixed,
            ignorefile: None,
            vex: Vec::new(),
            image_repo: None,
            report_platforms: Vec::new(),
            format: Format::Table,
            output_report: None,
            output_dir: None,
            summary_md: None,
            sarif: None,
            show_suppressed: false,
            require_coverage: false,
            config_file: None,
            warnings: Vec::new(),
        }
    }
}
