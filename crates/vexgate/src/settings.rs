//! Settings: flag > env (`VEXGATE_*`) > `vexgate.toml` > default.
//!
//! clap already merges each flag with its `VEXGATE_<FLAG>` variable (the flag wins), so
//! [`GateArgs`] is one layer; `vexgate.toml` is another. Both are the library's
//! [`PartialConfig`], merged with [`PartialConfig::or`] and validated once into
//! [`Settings`]: the one validated policy beside the outputs (the file's keys and rules are
//! documented in `vexgate_core::config`).
//! `TRIVY_*` variables are never read: Trivy reads them itself, and a child Trivy run must
//! not be filtered by accident.

use std::path::{Path, PathBuf};

use vexgate_core::config::{DEFAULT_CONFIG, List, PartialConfig, Settings};
use vexgate_core::error::{Error, Result};

use crate::cli::GateArgs;

impl GateArgs {
    /// The flags (and their variables) as a settings layer. A keyword that is not one of
    /// the setting's is a usage error naming the flag and its variable.
    pub fn layer(&self) -> Result<PartialConfig> {
        Ok(PartialConfig {
            severity: self.policy.severity.clone().map(List::from),
            ignore_unfixed: self.policy.ignore_unfixed,
            ignore_status: self.policy.ignore_status.clone().map(List::from),
            ignorefile: self.policy.ignorefile.clone(),
            vex: self.policy.vex.clone().map(List::from),
            image_repo: self.policy.image_repo.clone(),
            format: keyword(&self.format, "--format", "VEXGATE_FORMAT")?,
            summary_md: self.summary_md.clone(),
            sarif: self.sarif.clone(),
            show_suppressed: self.show_suppressed,
            require_coverage: self.require_coverage,
            baseline: self.baseline.baseline.clone().map(List::from),
            baseline_mode: keyword(
                &self.baseline.baseline_mode,
                "--baseline-mode",
                "VEXGATE_BASELINE_MODE",
            )?,
            baseline_missing: keyword(
                &self.baseline.baseline_missing,
                "--baseline-missing",
                "VEXGATE_BASELINE_MISSING",
            )?,
            expect_platforms: self.expect_platforms.clone().map(List::from),
            expect_platforms_from: self.expect_platforms_from.clone(),
            kev: self.feeds.kev.clone(),
            epss: self.feeds.epss.clone(),
            block_kev: self.feeds.block_kev,
            epss_threshold: self.feeds.epss_threshold.clone(),
            epss_missing: keyword(
                &self.feeds.epss_missing,
                "--epss-missing",
                "VEXGATE_EPSS_MISSING",
            )?,
            kev_suppression: keyword(
                &self.feeds.kev_suppression,
                "--kev-suppression",
                "VEXGATE_KEV_SUPPRESSION",
            )?,
            feed_max_age: self.feeds.feed_max_age.clone(),
            strict_feeds: self.feeds.strict_feeds,
            report_platform: self.policy.report_platform.clone(),
            output_report: self.output_report.clone(),
            output_dir: self.output_dir.clone(),
            file: None,
        })
    }
}

/// Parse a keyword flag into its setting type.
fn keyword<T: std::str::FromStr<Err = String>>(
    value: &Option<String>,
    flag: &str,
    var: &str,
) -> Result<Option<T>> {
    value
        .as_deref()
        .map(|v| {
            v.parse()
                .map_err(|e: String| Error::usage(format!("{flag} (or {var}): {e}")))
        })
        .transpose()
}

/// The settings file layer: `--config FILE` (which must exist), else `./vexgate.toml` when
/// present, else nothing.
fn file_layer(config: Option<&Path>) -> Result<PartialConfig> {
    match config {
        Some(p) => PartialConfig::read_file(p),
        None if Path::new(DEFAULT_CONFIG).is_file() => {
            PartialConfig::read_file(&PathBuf::from(DEFAULT_CONFIG))
        }
        None => Ok(PartialConfig::default()),
    }
}

/// Apply the precedence rules: flags (with their variables) over the file over the defaults.
pub fn resolve(args: &GateArgs) -> Result<Settings> {
    let file = file_layer(args.policy.config.as_deref())?;
    args.layer()?.or(file).validate()
}

#[cfg(test)]
mod tests {
    use super::*;
    use vexgate_core::severity::Severity;
    use vexgate_core::status::Status;

    fn args() -> GateArgs {
        GateArgs {
            policy: crate::cli::PolicyArgs {
                vex: Some(vec!["none".into()]),
                ignorefile: None,
                config: Some(PathBuf::from("/nonexistent/never")),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn explicit_missing_config_is_an_error() {
        let e = resolve(&args()).unwrap_err().to_string();
        assert!(e.starts_with("/nonexistent/never: no such file"), "{e}");
    }

    #[test]
    fn file_values_fill_unset_flags_and_paths_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("vexgate.toml");
        std::fs::write(
            &cfg,
            "severity = \"low,critical\"\nignorefile = \"ig.yaml\"\nvex = [\"a.json\"]\nshow-suppressed = true\n",
        )
        .unwrap();
        let mut a = args();
        a.policy.config = Some(cfg.clone());
        a.policy.vex = None;
        let s = resolve(&a).unwrap();
        assert_eq!(s.policy.severities, [Severity::Low, Severity::Critical]);
        assert_eq!(
            s.policy.ignorefile.unwrap().path,
            dir.path().join("ig.yaml")
        );
        assert_eq!(
            s.policy.vex,
            [dir.path().join("a.json").display().to_string()]
        );
        assert!(s.outputs.show_suppressed);
        // The flag (or its env var) wins over the file.
        a.policy.severity = Some(vec!["medium".into()]);
        assert_eq!(resolve(&a).unwrap().policy.severities, [Severity::Medium]);
        std::fs::write(&cfg, "severty = \"HIGH\"\n").unwrap();
        let e = resolve(&a).unwrap_err().to_string();
        assert!(e.contains("invalid vexgate.toml at line 1"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn ignore_status_replaces_default_unfixed_and_warns_only_when_both_explicit() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("empty.toml");
        std::fs::write(&cfg, "").unwrap();
        let mut a = args();
        a.policy.config = Some(cfg);
        let s = resolve(&a).unwrap();
        assert!(s.policy.ignore_unfixed);
        assert_eq!(s.policy.ignore_statuses.len(), 7);
        a.policy.ignore_status = Some(vec!["will_not_fix".into()]);
        let s = resolve(&a).unwrap();
        assert_eq!(s.policy.ignore_statuses, [Status::WillNotFix]);
        assert!(s.warnings.is_empty());
        a.policy.ignore_unfixed = Some(true);
        let s = resolve(&a).unwrap();
        assert_eq!(s.policy.ignore_statuses, [Status::WillNotFix]);
        assert_eq!(s.warnings.len(), 1);
        a.policy.ignore_status = None;
        a.policy.ignore_unfixed = Some(false);
        assert!(resolve(&a).unwrap().policy.ignore_statuses.is_empty());
    }

    #[test]
    fn vex_none_rules() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("empty.toml");
        std::fs::write(&cfg, "").unwrap();
        let mut a = args();
        a.policy.config = Some(cfg);
        assert!(resolve(&a).unwrap().policy.vex.is_empty());
        a.policy.vex = Some(vec!["none".into(), "x.json".into()]);
        assert!(resolve(&a).is_err());
        a.policy.vex = Some(vec!["x.json".into(), "y.json".into()]);
        assert_eq!(resolve(&a).unwrap().policy.vex, ["x.json", "y.json"]);
    }
}
