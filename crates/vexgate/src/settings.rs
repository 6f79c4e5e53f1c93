//! Settings: flag > env (`VEXGATE_*`) > `vexgate.toml` > default.
//!
//! clap already merges the flag and its `VEXGATE_<FLAG>` variable (the flag wins), so a value
//! present in [`GateArgs`] came from one of the two; the file fills only what is still unset,
//! and the defaults fill the rest. `TRIVY_*` variables are never read: Trivy reads them
//! itself, and a child Trivy run must not be filtered by accident.
//!
//! `vexgate.toml` keys are the flag names in kebab-case: `severity`, `ignore-unfixed`,
//! `ignore-status`, `ignorefile`, `vex`, `image-repo`, `format`, `summary-md`, `sarif`,
//! `show-suppressed`, `require-coverage`. Lists may be TOML arrays or comma-separated
//! strings. Relative paths in the file are relative to the file's directory. An unknown key
//! is an error naming the file.

use std::path::{Path, PathBuf};
use vexgate_core::diags::Code;

use serde::Deserialize;

use vexgate_core::config::{
    DEFAULT_CONFIG, DEFAULT_IGNOREFILE, DEFAULT_VEX, Format, IgnoreFileChoice, Settings,
};
use vexgate_core::decision::Warning;
use vexgate_core::error::{Error, Result};
use vexgate_core::policy;
use vexgate_core::report::Platform;

use crate::cli::GateArgs;

/// A list given as a TOML array or a comma-separated string.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
enum List {
    One(String),
    Many(Vec<String>),
}

impl List {
    fn items(self) -> Vec<String> {
        match self {
            List::One(s) => s.split(',').map(|x| x.trim().to_string()).collect(),
            List::Many(v) => v,
        }
    }
}

/// `vexgate.toml`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    severity: Option<List>,
    ignore_unfixed: Option<bool>,
    ignore_status: Option<List>,
    ignorefile: Option<PathBuf>,
    vex: Option<List>,
    image_repo: Option<String>,
    format: Option<String>,
    summary_md: Option<PathBuf>,
    sarif: Option<PathBuf>,
    show_suppressed: Option<bool>,
    require_coverage: Option<bool>,
}

fn load_file(path: &Path) -> Result<FileConfig> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::input(path, "is a directory, not a vexgate.toml"));
    }
    let text = vexgate_core::report::text::read_text(path)?;
    toml::from_str(&text).map_err(|e| {
        // toml's message spans lines (it quotes the source); keep one line.
        let msg = e.message().to_string();
        let at = e
            .span()
            .map(|s| {
                let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                format!(" at line {line}")
            })
            .unwrap_or_default();
        Error::input(path, format!("invalid vexgate.toml{at}: {msg}"))
    })
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

/// Apply the precedence rules to the parsed flags (flag/env already merged by clap).
pub fn resolve(args: &GateArgs) -> Result<Settings> {
    let (config_file, file) = match &args.config {
        Some(p) => (Some(p.clone()), load_file(p)?),
        None if Path::new(DEFAULT_CONFIG).is_file() => {
            let p = PathBuf::from(DEFAULT_CONFIG);
            let f = load_file(&p)?;
            (Some(p), f)
        }
        None => (None, FileConfig::default()),
    };
    let base = config_file.clone().unwrap_or_default();
    let mut warnings = Vec::new();

    // A setting that leaves the gate nothing to block on is an error, wherever it comes
    // from: `severity = []` would pass every report.
    let severity_from_file = args.severity.is_none() && file.severity.is_some();
    let severities = match args.severity.clone().or(file.severity.map(List::items)) {
        Some(v) => policy::parse_severities(&v)?,
        None => policy::DEFAULT_SEVERITIES
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    if severities.is_empty() {
        let why = format!(
            "severity is empty, so nothing could ever block: name at least one of {}",
            vexgate_core::severity::Severity::names()
        );
        return Err(match (&config_file, severity_from_file) {
            (Some(p), true) => Error::input(p, why),
            _ => Error::usage(format!("--severity (or VEXGATE_SEVERITY): {why}")),
        });
    }

    // pkg/flag/vulnerability_flags.go ToOptions: an explicit ignore-status wins over
    // ignore-unfixed, with a warning only when ignore-unfixed was set explicitly too. Our
    // default ignore-unfixed=true is silently replaced.
    let unfixed_explicit = args.ignore_unfixed.or(file.ignore_unfixed);
    let status_from_file = args.ignore_status.is_none() && file.ignore_status.is_some();
    let statuses = match args
        .ignore_status
        .clone()
        .or(file.ignore_status.map(List::items))
    {
        Some(v) => policy::parse_statuses(&v)?,
        None => Vec::new(),
    };
    // Every vulnerability has one of these statuses, so ignoring all of them would let no
    // vulnerability block whatever its severity.
    if policy::STATUSES
        .iter()
        .all(|s| statuses.iter().any(|x| x == s))
    {
        let why = "ignore-status lists every status, so no vulnerability could ever block: \
                   drop at least one (--ignore-unfixed ignores all but fixed)";
        return Err(match (&config_file, status_from_file) {
            (Some(p), true) => Error::input(p, why),
            _ => Error::usage(format!("--ignore-status (or VEXGATE_IGNORE_STATUS): {why}")),
        });
    }
    let (ignore_statuses, ignore_unfixed) = if !statuses.is_empty() {
        if unfixed_explicit == Some(true) {
            warnings.push(Warning {
                code: Code::IgnoreUnfixedOverridden,
                message: "'--ignore-unfixed' is ignored because '--ignore-status' is specified"
                    .to_string(),
            });
        }
        (statuses, false)
    } else if unfixed_explicit.unwrap_or(true) {
        (policy::ignore_unfixed_statuses(), true)
    } else {
        (Vec::new(), false)
    };

    let ignorefile = match (&args.ignorefile, file.ignorefile) {
        (Some(p), _) => Some(IgnoreFileChoice {
            path: p.clone(),
            explicit: true,
        }),
        (None, Some(p)) => Some(IgnoreFileChoice {
            path: relative_to(&base, p),
            explicit: true,
        }),
        (None, None) if Path::new(DEFAULT_IGNOREFILE).exists() => Some(IgnoreFileChoice {
            path: PathBuf::from(DEFAULT_IGNOREFILE),
            explicit: false,
        }),
        (None, None) => None,
    };

    let vex_given = match &args.vex {
        Some(v) => Some(v.clone()),
        None => file.vex.map(|l| {
            l.items()
                .into_iter()
                .map(|s| {
                    if s == "none" {
                        s
                    } else {
                        relative_to(&base, PathBuf::from(s)).display().to_string()
                    }
                })
                .collect()
        }),
    };
    let vex = match vex_given {
        Some(list) => {
            let list: Vec<String> = list.into_iter().filter(|s| !s.is_empty()).collect();
            if list.iter().any(|s| s == "none") {
                if list.len() > 1 {
                    return Err(Error::usage(
                        "--vex none disables VEX and cannot be combined with VEX files",
                    ));
                }
                Vec::new()
            } else {
                list
            }
        }
        None if Path::new(DEFAULT_VEX).exists() => vec![DEFAULT_VEX.to_string()],
        None => Vec::new(),
    };

    let report_platforms = args
        .report_platform
        .iter()
        .map(|s| parse_report_platform(s))
        .collect::<Result<Vec<_>>>()?;

    let format = match args.format.clone().or(file.format).as_deref() {
        None | Some("table") => Format::Table,
        Some("json") => Format::Json,
        Some(other) => {
            return Err(Error::usage(format!(
                "invalid --format {other:?}: expected table or json"
            )));
        }
    };

    if args.output_report.is_some() && args.output_dir.is_some() {
        return Err(Error::usage(
            "--output-report and --output-dir cannot be used together",
        ));
    }

    Ok(Settings {
        severities,
        ignore_statuses,
        ignore_unfixed,
        ignorefile,
        vex,
        image_repo: args.image_repo.clone().or(file.image_repo),
        report_platforms,
        format,
        output_report: args.output_report.clone(),
        output_dir: args.output_dir.clone(),
        summary_md: args
            .summary_md
            .clone()
            .or(file.summary_md.map(|p| relative_to(&base, p))),
        sarif: args
            .sarif
            .clone()
            .or(file.sarif.map(|p| relative_to(&base, p))),
        show_suppressed: args
            .show_suppressed
            .or(file.show_suppressed)
            .unwrap_or(false),
        require_coverage: args
            .require_coverage
            .or(file.require_coverage)
            .unwrap_or(false),
        config_file,
        warnings,
    })
}

/// `--report-platform FILE=os/arch` (split at the last `=`).
pub fn parse_report_platform(s: &str) -> Result<(PathBuf, Platform)> {
    let bad = || {
        Error::usage(format!(
            "--report-platform {s:?}: expected FILE=OS/ARCH, e.g. trivy-arm64.json=linux/arm64"
        ))
    };
    let (file, plat) = s.rsplit_once('=').ok_or_else(bad)?;
    if file.is_empty() {
        return Err(bad());
    }
    let platform = Platform::parse(plat).ok_or_else(bad)?;
    Ok((PathBuf::from(file), platform))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> GateArgs {
        GateArgs {
            vex: Some(vec!["none".into()]),
            ignorefile: None,
            config: Some(PathBuf::from("/nonexistent/never")),
            ..Default::default()
        }
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
        a.config = Some(cfg.clone());
        a.vex = None;
        let s = resolve(&a).unwrap();
        assert_eq!(s.severities, ["LOW", "CRITICAL"]);
        assert_eq!(s.ignorefile.unwrap().path, dir.path().join("ig.yaml"));
        assert_eq!(s.vex, [dir.path().join("a.json").display().to_string()]);
        assert!(s.show_suppressed);
        // The flag (or its env var) wins over the file.
        a.severity = Some(vec!["medium".into()]);
        assert_eq!(resolve(&a).unwrap().severities, ["MEDIUM"]);
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
        a.config = Some(cfg);
        let s = resolve(&a).unwrap();
        assert!(s.ignore_unfixed);
        assert_eq!(s.ignore_statuses.len(), 7);
        a.ignore_status = Some(vec!["will_not_fix".into()]);
        let s = resolve(&a).unwrap();
        assert_eq!(s.ignore_statuses, ["will_not_fix"]);
        assert!(s.warnings.is_empty());
        a.ignore_unfixed = Some(true);
        let s = resolve(&a).unwrap();
        assert_eq!(s.ignore_statuses, ["will_not_fix"]);
        assert_eq!(s.warnings.len(), 1);
        a.ignore_status = None;
        a.ignore_unfixed = Some(false);
        assert!(resolve(&a).unwrap().ignore_statuses.is_empty());
    }

    #[test]
    fn vex_none_rules() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("empty.toml");
        std::fs::write(&cfg, "").unwrap();
        let mut a = args();
        a.config = Some(cfg);
        assert!(resolve(&a).unwrap().vex.is_empty());
        a.vex = Some(vec!["none".into(), "x.json".into()]);
        assert!(resolve(&a).is_err());
        a.vex = Some(vec!["x.json".into(), "y.json".into()]);
        assert_eq!(resolve(&a).unwrap().vex, ["x.json", "y.json"]);
    }
}
