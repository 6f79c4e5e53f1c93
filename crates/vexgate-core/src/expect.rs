//! The platform check (`--expect-platforms`, `--expect-platforms-from`): proof that every
//! platform of a multi-arch image was scanned, and nothing else.
//!
//! After the gate's decision, the check fails (exit 1) when an expected platform has no
//! report, when a report's platform is not expected, or when a report has no platform at all
//! (it could be any platform). Each problem is one line naming the platform or the report.
//! This is distinct from `--require-coverage`, which asks whether each report inventoried
//! anything; the platform check asks whether the set of reports is the image's set.

use std::path::{Path, PathBuf};

use crate::decision::Warning;
use crate::diags::Code;
use crate::error::Result;
use crate::report::Platform;

/// Where the expected platforms were given (unresolved: a file is read by [`Expected::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectSpec {
    /// `--expect-platforms LIST`.
    List(Vec<Platform>),
    /// `--expect-platforms-from INDEX.json`.
    From(PathBuf),
    /// Already known (`vexgate scan`: the platforms its target lists).
    Resolved(Expected),
}

/// Where the expected platforms came from, for every output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--expect-platforms`.
    Flag,
    /// `--expect-platforms-from FILE`.
    Index(PathBuf),
    /// `vexgate scan`: the platforms the scan target lists (or `--platform`).
    ScanTarget,
}

impl Source {
    /// `flag`, `index` or `scan`: the stable word of machine output.
    pub fn word(&self) -> &'static str {
        match self {
            Source::Flag => "flag",
            Source::Index(_) => "index",
            Source::ScanTarget => "scan",
        }
    }

    /// How a message names the source.
    pub fn describe(&self) -> String {
        match self {
            Source::Flag => "--expect-platforms".to_string(),
            Source::Index(p) => format!("--expect-platforms-from {}", p.display()),
            Source::ScanTarget => "the scan target's platforms".to_string(),
        }
    }
}

/// The expected platforms, sorted and distinct, and their source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub platforms: Vec<Platform>,
    pub source: Source,
}

impl Expected {
    pub fn new(mut platforms: Vec<Platform>, source: Source) -> Self {
        platforms.sort();
        platforms.dedup();
        Self { platforms, source }
    }

    /// Read `--expect-platforms-from`'s index (see [`crate::index::read_index_platforms`]).
    pub fn resolve(spec: &ExpectSpec) -> Result<Self> {
        Ok(match spec {
            ExpectSpec::List(l) => Self::new(l.clone(), Source::Flag),
            ExpectSpec::From(path) => Self::new(
                crate::index::read_index_platforms(path)?,
                Source::Index(path.clone()),
            ),
            ExpectSpec::Resolved(e) => e.clone(),
        })
    }
}

/// Parse `--expect-platforms`' items (`os/arch`, a variant accepted and dropped); an empty
/// list is an error, because it would expect nothing and so fail on every report, and so
/// are two items that differ only in variant.
pub fn parse_list(items: &[String]) -> std::result::Result<Vec<Platform>, String> {
    let items: Vec<&str> = items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Err(
            "--expect-platforms (or VEXGATE_EXPECT_PLATFORMS): the list is empty; name the \
             platforms the image is built for, e.g. linux/amd64,linux/arm64"
                .to_string(),
        );
    }
    let mut out: Vec<(Platform, &str)> = Vec::with_capacity(items.len());
    for s in items {
        let p = Platform::parse(s)
            .filter(|p| p.report_file_name().is_ok())
            .ok_or_else(|| {
                format!(
                    "--expect-platforms {s:?}: expected OS/ARCH[/VARIANT], e.g. linux/amd64 \
                     (each part 1 to 32 characters of a-z, 0-9, '.', '_' and '-')"
                )
            })?;
        // Platforms are told apart by os/architecture: two variants of one would be one
        // expected platform, and one report would pass for both.
        if let Some((_, first)) = out
            .iter()
            .find(|(q, first)| *q == p && !first.eq_ignore_ascii_case(s))
        {
            return Err(format!(
                "--expect-platforms lists {first:?} and {s:?}, which differ only in variant; \
                 vexgate tells platforms apart by os/architecture, so it cannot check them apart"
            ));
        }
        out.push((p, s));
    }
    Ok(out.into_iter().map(|(p, _)| p).collect())
}

/// The outcome of the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformCheck {
    pub expected: Expected,
    /// Expected platforms no report has.
    pub missing: Vec<Platform>,
    /// Reports whose platform is not expected.
    pub unexpected: Vec<(PathBuf, Platform)>,
    /// Reports without a platform.
    pub no_platform: Vec<PathBuf>,
}

impl PlatformCheck {
    pub fn failed(&self) -> bool {
        !self.missing.is_empty() || !self.unexpected.is_empty() || !self.no_platform.is_empty()
    }

    /// One line per problem, in a stable order: missing platforms, unexpected reports,
    /// reports without a platform. Paths and platforms are plain text here; every output
    /// escapes them.
    pub fn problems(&self) -> Vec<String> {
        let from = self.expected.source.describe();
        let mut out = Vec::new();
        for p in &self.missing {
            out.push(format!(
                "platform {p} is expected ({from}) but no report has it"
            ));
        }
        for (path, p) in &self.unexpected {
            out.push(format!(
                "{}: platform {p} is not expected ({from}: {})",
                path.display(),
                self.expected_list()
            ));
        }
        for path in &self.no_platform {
            out.push(format!(
                "{}: the report has no platform (no Metadata.ImageConfig os/architecture), so it \
                 cannot count for an expected platform; give --report-platform FILE=OS/ARCH",
                path.display()
            ));
        }
        out
    }

    /// `linux/amd64,linux/arm64`.
    pub fn expected_list(&self) -> String {
        self.expected
            .platforms
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The problems as warnings (shown by every output), each saying it fails the gate.
    pub fn warnings(&self) -> Vec<Warning> {
        self.problems()
            .into_iter()
            .map(|m| Warning {
                code: Code::ExpectPlatforms,
                message: format!("{m} (this fails the gate)"),
            })
            .collect()
    }
}

/// Compare the reports' platforms (after `--report-platform`) with the expected ones.
pub fn check(expected: &Expected, reports: &[(&Path, Option<&Platform>)]) -> PlatformCheck {
    let mut missing = Vec::new();
    for p in &expected.platforms {
        if !reports.iter().any(|(_, r)| *r == Some(p)) {
            missing.push(p.clone());
        }
    }
    let mut unexpected = Vec::new();
    let mut no_platform = Vec::new();
    for (path, p) in reports {
        match p {
            None => no_platform.push(path.to_path_buf()),
            Some(p) if !expected.platforms.contains(p) => {
                unexpected.push((path.to_path_buf(), (*p).clone()));
            }
            Some(_) => {}
        }
    }
    PlatformCheck {
        expected: expected.clone(),
        missing,
        unexpected,
        no_platform,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        Platform::parse(s).unwrap()
    }

    #[test]
    fn missing_extra_unknown_and_matching() {
        let exp = Expected::new(vec![p("linux/arm64"), p("linux/amd64")], Source::Flag);
        let (a, b, c) = (
            Path::new("a.json"),
            Path::new("b.json"),
            Path::new("c.json"),
        );
        let amd = p("linux/amd64");
        let arm = p("linux/arm64");
        let s390 = p("linux/s390x");
        let ok = check(&exp, &[(a, Some(&amd)), (b, Some(&arm))]);
        assert!(!ok.failed(), "{ok:?}");
        assert!(ok.problems().is_empty());
        let miss = check(&exp, &[(a, Some(&amd))]);
        assert_eq!(miss.missing, std::slice::from_ref(&arm));
        assert_eq!(
            miss.problems(),
            ["platform linux/arm64 is expected (--expect-platforms) but no report has it"]
        );
        let extra = check(&exp, &[(a, Some(&amd)), (b, Some(&arm)), (c, Some(&s390))]);
        assert!(extra.missing.is_empty());
        assert_eq!(extra.unexpected, [(c.to_path_buf(), s390.clone())]);
        assert!(extra.problems()[0].starts_with("c.json: platform linux/s390x is not expected"));
        let none = check(&exp, &[(a, Some(&amd)), (b, None)]);
        assert_eq!(none.no_platform, [b.to_path_buf()]);
        assert_eq!(none.missing, [arm]);
        assert_eq!(none.problems().len(), 2);
        assert!(
            none.warnings()
                .iter()
                .all(|w| w.code == Code::ExpectPlatforms && w.message.ends_with("fails the gate)"))
        );
    }

    #[test]
    fn list_syntax() {
        let l = parse_list(&["linux/arm64/v8".into(), " linux/amd64".into(), "".into()]).unwrap();
        assert_eq!(
            Expected::new(l, Source::Flag)
                .platforms
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["linux/amd64", "linux/arm64"]
        );
        assert!(parse_list(&[]).unwrap_err().contains("empty"));
        assert!(parse_list(&[",".into(), "".into()]).is_err());
        for bad in ["linux", "linux/../x", "Linux/AMD64\u{1b}", "a/b/c/d"] {
            assert!(parse_list(&[bad.into()]).is_err(), "{bad}");
        }
        // Two variants of one os/architecture would be one expected platform.
        let e = parse_list(&["linux/arm/v6".into(), "linux/arm/v7".into()]).unwrap_err();
        assert!(e.contains("differ only in variant"), "{e}");
        // The same platform twice (in any case) is one.
        assert_eq!(
            parse_list(&["linux/arm/v7".into(), "LINUX/ARM/V7".into()])
                .unwrap()
                .len(),
            2
        );
    }
}
