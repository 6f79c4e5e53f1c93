//! Gate orchestration: read the reports, parse them, settle each one's platform, run
//! Trivy's filters per result (pkg/result/filter.go order), then VEX over the whole report
//! (as Trivy does, after the filters), then coverage, and build the one [`Decision`].
//!
//! Platforms: `--report-platform FILE=os/arch` wins over `Metadata.ImageConfig` (with a
//! warning when they disagree); a `--report-platform` naming no input is a usage error; two
//! reports claiming the same platform are a usage error, because their findings would merge
//! into one platform's rows and the per-platform verdict would be wrong.
//!
//! With two or more reports, all with a platform, the decision records which vulnerabilities
//! each report has left (platform drift). Baselines (`--baseline`) are applied last, by
//! [`apply_baselines`], on the finished decision: they never change what the filters and VEX
//! kept, only which of it blocks.

use crate::diags::Code;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::baseline::{self, MissingBaseline};
use crate::config::Settings;
use crate::decision::{
    BaselineSummary, Decision, FeedStatus, FeedsDecision, FindingKind, FixedFinding, Origin,
    Presence, ReportBaseline, ReportDecision, Warning,
};
use crate::error::{Error, Result};
use crate::feeds::Feeds;
use crate::policy::{self, IgnoreConfig, Policy};
use crate::report::{Coverage, Platform, Report, ReportFile};
use crate::vex::{self, VexSet};

/// Read every report file (missing, directory and empty files are input errors).
pub fn read_reports(paths: &[PathBuf]) -> Result<Vec<ReportFile>> {
    paths.iter().map(|p| ReportFile::read(p)).collect()
}

/// Parse every report with the typed model. Several reports parse on the report pool
/// (bounded, see [`crate::report::pool`]), one large report's findings too.
pub fn parse_reports(files: &[ReportFile]) -> Result<Vec<Report<'_>>> {
    use rayon::prelude::*;
    if files.len() < 2 {
        return files.iter().map(ReportFile::parse).collect();
    }
    crate::report::pool::pool()?.install(|| files.par_iter().map(ReportFile::parse).collect())
}

/// Load the ignore file the policy names: an explicit file must exist (Trivy's
/// `ignore file not found`); the default `.trivyignore` is used only when present.
pub fn load_ignorefile(
    policy: &Policy,
    now: Timestamp,
    warnings: &mut Vec<Warning>,
) -> Result<IgnoreConfig> {
    let Some(choice) = &policy.ignorefile else {
        return Ok(IgnoreConfig::default());
    };
    if !choice.path.exists() {
        if choice.explicit {
            return Err(Error::input(&choice.path, "ignore file not found"));
        }
        return Ok(IgnoreConfig::default());
    }
    IgnoreConfig::load(&choice.path, now, warnings)
}

/// The platform of each report, by the rules in the module docs.
pub fn platforms(
    files: &[ReportFile],
    reports: &[Report<'_>],
    settings: &Settings,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Option<Platform>>> {
    let mut used = vec![false; settings.report_platforms.len()];
    let mut out = Vec::with_capacity(files.len());
    for (file, report) in files.iter().zip(reports) {
        let from_report = Platform::from_report(report);
        let given = settings
            .report_platforms
            .iter()
            .enumerate()
            .find(|(_, (p, _))| same_file(p, &file.path));
        let platform = match given {
            Some((i, (_, p))) => {
                used[i] = true;
                if let Some(r) = &from_report
                    && r != p
                {
                    warnings.push(Warning {
                        code: Code::ReportPlatformDiffers,
                        message: format!(
                            "{}: --report-platform says {p} but Metadata.ImageConfig says {r}; using {p}",
                            file.path.display()
                        ),
                    });
                }
                Some(p.clone())
            }
            None => from_report,
        };
        out.push(platform);
    }
    // A --report-platform may name a baseline instead (see `apply_baselines`).
    let is_baseline = |p: &Path| {
        settings
            .baseline
            .as_ref()
            .is_some_and(|b| b.files.iter().any(|f| same_file(f, p)))
    };
    if let Some(i) = used
        .iter()
        .enumerate()
        .position(|(i, u)| !u && !is_baseline(&settings.report_platforms[i].0))
    {
        let (p, _) = &settings.report_platforms[i];
        return Err(Error::usage(format!(
            "--report-platform {}: not one of the REPORT arguments",
            p.display()
        )));
    }
    for (i, a) in out.iter().enumerate() {
        let Some(a) = a else { continue };
        if let Some(j) = out[..i].iter().position(|b| b.as_ref() == Some(a)) {
            return Err(Error::usage(format!(
                "{} and {} are both platform {a}: give one report per platform \
                 (or correct one with --report-platform FILE=OS/ARCH)",
                files[j].path.display(),
                files[i].path.display()
            )));
        }
    }
    Ok(out)
}

fn same_file(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Build the decision over all reports. `now` is the clock for ignore-file expiry. The
/// policy's VEX documents come loaded by the caller ([`VexSet::read`] of `policy.vex`,
/// or its error), so the caller owns the set: `gate` loads it while the reports parse. A
/// VEX error is reported after an ignore-file error.
pub fn decide_with_vex<'r>(
    files: &'r [ReportFile],
    reports: &'r [Report<'r>],
    settings: &Settings,
    now: Timestamp,
    vex_set: Result<&VexSet>,
) -> Result<Decision<'r>> {
    decide_with_feeds(files, reports, settings, now, vex_set, Feeds::default())
}

/// [`decide_with_vex`] with the exploitation feeds `settings.feeds` names, loaded by the
/// caller ([`Feeds::read`]). Without feeds this is exactly [`decide_with_vex`]. With them,
/// in this order (docs/src/gate.md): `--block-kev` lets KEV findings through the severity
/// and status filters; the ignore file, de-duplication and VEX then run as usual (a KEV
/// finding they suppress is listed, and with `--kev-suppression deny` blocks); finally
/// `--epss-threshold` keeps the findings that are not KEV-blocked and score below it from
/// blocking. Feed ages are measured against [`crate::feeds::now`] (never
/// `SOURCE_DATE_EPOCH`).
pub fn decide_with_feeds<'r>(
    files: &'r [ReportFile],
    reports: &'r [Report<'r>],
    settings: &Settings,
    now: Timestamp,
    vex_set: Result<&VexSet>,
    feeds: Feeds,
) -> Result<Decision<'r>> {
    let policy = &settings.policy;
    let mut warnings = settings.warnings.clone();
    let ignore = load_ignorefile(policy, now, &mut warnings)?;
    let vex_set = vex_set?;
    warnings.extend(vex_set.warnings());
    let platforms = platforms(files, reports, settings, &mut warnings)?;
    let feeds = if feeds.is_empty() {
        None
    } else {
        Some(feeds_decision(feeds, &settings.feeds, &mut warnings)?)
    };
    let keep_kev = |v: &crate::report::Vulnerability<'_>| {
        feeds.as_ref().is_some_and(|f| f.facts(v).kev.is_some())
    };
    let keep: Option<&dyn Fn(&crate::report::Vulnerability<'_>) -> bool> =
        if settings.feeds.block_kev && feeds.is_some() {
            Some(&keep_kev)
        } else {
            None
        };

    let mut out = Vec::with_capacity(reports.len());
    let mut coverage_failed = false;
    for ((file, report), platform) in files.iter().zip(reports).zip(platforms) {
        let mut results: Vec<_> = report
            .results
            .iter()
            .map(|r| policy::filter_result_with(r, policy, &ignore, keep))
            .collect();
        // pkg/result/filter.go Filter: VEX runs once per report, after every result's filters.
        let assumed_identity = if vex_set.is_empty() {
            None
        } else {
            vex::apply(
                report,
                &mut results,
                vex_set,
                policy.image_repo.as_deref(),
                &mut warnings,
            )
        };
        let coverage = Coverage::of(report);
        if let Some(why) = coverage.explain() {
            if policy.require_coverage {
                coverage_failed = true;
            }
            warnings.push(Warning {
                code: Code::Coverage,
                message: format!(
                    "{}: {why}{}",
                    file.path.display(),
                    if policy.require_coverage {
                        " (--require-coverage: this fails the gate)"
                    } else {
                        ""
                    }
                ),
            });
        }
        out.push(ReportDecision {
            file,
            report,
            platform,
            results,
            coverage,
            assumed_identity,
            baseline: None,
        });
    }
    // The platform check, after the verdict's own rules (crate::expect).
    let platform_check = match &settings.expect_platforms {
        None => None,
        Some(spec) => {
            let expected = crate::expect::Expected::resolve(spec)?;
            let seen: Vec<(&Path, Option<&Platform>)> = out
                .iter()
                .map(|r| (r.file.path.as_path(), r.platform.as_ref()))
                .collect();
            let check = crate::expect::check(&expected, &seen);
            warnings.extend(check.warnings());
            Some(check)
        }
    };
    let feeds = match feeds {
        Some(mut f) => {
            apply_feed_policy(&mut out, &mut f);
            Some(f)
        }
        None => None,
    };
    let presence = presence(&out);
    Ok(Decision {
        policy: policy.clone(),
        reports: out,
        warnings,
        coverage_failed,
        baseline: None,
        presence,
        platform_check,
        feeds,
    })
}

/// Check the loaded feeds against their settings: their age (a warning, or with
/// `--strict-feeds` an error naming the file), and a threshold no score in the file
/// reaches (nothing scored could ever block: an error).
fn feeds_decision(
    feeds: Feeds,
    settings: &crate::config::FeedSettings,
    warnings: &mut Vec<Warning>,
) -> Result<FeedsDecision> {
    let now = crate::feeds::now();
    let mut status = Vec::new();
    if let Some((path, c)) = &feeds.kev {
        status.push(("kev", path, c.catalog_version.clone(), c.date_released));
    }
    if let Some((path, s)) = &feeds.epss {
        status.push(("epss", path, s.model_version.clone(), s.score_date));
    }
    let mut out = Vec::new();
    for (kind, path, version, date) in status {
        crate::feeds::check_not_ahead(path, date, now)?;
        let age = now.duration_since(date).max(jiff::SignedDuration::ZERO);
        let stale = age > settings.max_age;
        if stale {
            let what = if kind == "kev" {
                "KEV catalog dateReleased"
            } else {
                "EPSS score_date"
            };
            let msg = format!(
                "{what} {date} is {} old, older than --feed-max-age {}",
                crate::feeds::describe_age(age),
                crate::feeds::describe_age(settings.max_age)
            );
            if settings.strict {
                return Err(Error::input(
                    path,
                    format!("{msg} (--strict-feeds): fetch a fresh copy (vexgate feeds fetch)"),
                ));
            }
            warnings.push(Warning {
                code: Code::FeedStale,
                message: format!("{}: {msg}", path.display()),
            });
        }
        out.push(FeedStatus {
            kind,
            path: path.clone(),
            version,
            date,
            age,
            stale,
        });
    }
    if let (Some(p), Some((path, s))) = (settings.epss_threshold, &feeds.epss)
        && p > s.max_score
    {
        return Err(Error::input(
            path,
            format!(
                "no score reaches --epss-threshold {p} (the highest is {}), so no scored \
                 finding could ever block: lower the threshold",
                s.max_score
            ),
        ));
    }
    Ok(FeedsDecision {
        feeds,
        settings: settings.clone(),
        status: out,
        no_cve: 0,
        kev_suppression_failed: false,
    })
}

/// After the filters and VEX: mark what the EPSS threshold keeps from blocking, count the
/// findings without a CVE, and apply `--kev-suppression deny`.
fn apply_feed_policy(reports: &mut [ReportDecision<'_>], f: &mut FeedsDecision) {
    use crate::config::{KevSuppression, MissingScore};
    let s = &f.settings;
    let mut no_cve = 0;
    let mut denied = false;
    for rep in reports.iter_mut() {
        for (r, d) in rep.report.results.iter().zip(&mut rep.results) {
            let mut below = Vec::new();
            for &vi in &d.vulnerabilities {
                let v = &r.vulnerabilities[vi];
                let facts = f.facts(v);
                if !facts.has_cve {
                    no_cve += 1;
                }
                if s.block_kev && facts.kev.is_some() {
                    continue;
                }
                let Some(p) = s.epss_threshold else { continue };
                let blocks = match facts.epss {
                    Some(e) => e.score >= p,
                    None => s.epss_missing == MissingScore::Deny,
                };
                if !blocks {
                    below.push(vi);
                }
            }
            below.sort_unstable();
            d.below_threshold = below;
            d.kev_forced.retain(|vi| d.vulnerabilities.contains(vi));
            for (kind, vi, sup) in &d.suppressed {
                if *kind != crate::decision::FindingKind::Vulnerability {
                    continue;
                }
                let facts = f.facts(&r.vulnerabilities[*vi]);
                if !facts.has_cve {
                    no_cve += 1;
                }
                if facts.kev.is_some()
                    && s.kev_suppression == KevSuppression::Deny
                    && matches!(sup.origin, Origin::IgnoreFile | Origin::Vex)
                {
                    denied = true;
                }
            }
            // Suppressions the report already records (Trivy ran with --vex or an ignore
            // file): under --kev-suppression deny a KEV finding may not hide there either.
            if s.kev_suppression == KevSuppression::Deny
                && r.modified_findings
                    .iter()
                    .filter_map(|mf| mf.vulnerability())
                    .any(|v| f.facts(&v).kev.is_some())
            {
                denied = true;
            }
        }
    }
    f.no_cve = no_cve;
    f.kev_suppression_failed = denied;
}

/// Platform drift: the identities each report has left, when there are two or more
/// reports and every one has a platform (reports without one, such as lock-file scans,
/// are not platforms of one image, and comparing them would flag everything).
pub fn presence(reports: &[ReportDecision<'_>]) -> Option<Presence> {
    if reports.len() < 2 || reports.iter().any(|r| r.platform.is_none()) {
        return None;
    }
    let per_report = reports
        .iter()
        .map(|rep| {
            rep.report
                .results
                .iter()
                .zip(&rep.results)
                .flat_map(|(r, d)| {
                    d.vulnerabilities
                        .iter()
                        .map(|&vi| baseline::identity(r, &r.vulnerabilities[vi]))
                })
                .collect()
        })
        .collect();
    Some(Presence { per_report })
}

/// Apply `settings.baseline` to a finished decision: match each baseline to the report of
/// its platform (`--report-platform FILE=OS/ARCH` for the baseline file, else its
/// `Metadata.ImageConfig`), mark the findings the baseline has, and list the ones it blocks
/// on (under the same policy and VEX) that the report no longer blocks on. A report whose
/// platform has no baseline is a usage error, or with `--baseline-missing allow` gates in
/// full with a warning; a baseline that matches no report is a warning; two baselines of
/// one platform are a usage error.
pub fn apply_baselines(
    decision: &mut Decision<'_>,
    files: &[ReportFile],
    reports: &[Report<'_>],
    settings: &Settings,
    now: Timestamp,
    vex_set: &VexSet,
) -> Result<()> {
    let Some(b) = &settings.baseline else {
        return Ok(());
    };
    let platforms: Vec<Option<Platform>> = files
        .iter()
        .zip(reports)
        .map(|(file, report)| {
            settings
                .report_platforms
                .iter()
                .find(|(p, _)| same_file(p, &file.path))
                .map(|(_, p)| p.clone())
                .or_else(|| Platform::from_report(report))
        })
        .collect();
    for (i, a) in platforms.iter().enumerate() {
        if let Some(j) = platforms[..i].iter().position(|b| b == a) {
            return Err(Error::usage(format!(
                "--baseline {} and {} are both platform {}: give one baseline per platform \
                 (or correct one with --report-platform FILE=OS/ARCH)",
                files[j].path.display(),
                files[i].path.display(),
                crate::render::view::platform_label(a.as_ref())
            )));
        }
    }
    // Baselines are matched to reports by platform: two reports without one (lock-file or
    // filesystem scans) would both be compared with the one platformless baseline.
    let platformless: Vec<&ReportDecision<'_>> = decision
        .reports
        .iter()
        .filter(|r| r.platform.is_none())
        .collect();
    if let [a, b, ..] = platformless[..] {
        return Err(Error::usage(format!(
            "reports {} and {} have no platform, and --baseline is matched to its report by              platform: give each report and its baseline a --report-platform FILE=OS/ARCH,              or gate them one at a time",
            a.file.path.display(),
            b.file.path.display()
        )));
    }
    // The baseline's own ignore-file and VEX warnings were already given for the reports.
    let mut scratch = Vec::new();
    let ignore = load_ignorefile(&settings.policy, now, &mut scratch)?;
    let mut used = vec![false; files.len()];
    for rep in &mut decision.reports {
        let Some(bi) = platforms.iter().position(|p| *p == rep.platform) else {
            let label = crate::render::view::platform_label(rep.platform.as_ref());
            if b.missing == MissingBaseline::Deny {
                return Err(Error::usage(format!(
                    "no --baseline for platform {label} (report {}): give that platform's \
                     baseline, or --baseline-missing allow to gate it in full",
                    rep.file.path.display()
                )));
            }
            decision.warnings.push(Warning {
                code: Code::BaselineMissing,
                message: format!(
                    "{}: no baseline for platform {label}; it gates in full (--baseline-missing allow)",
                    rep.file.path.display()
                ),
            });
            rep.baseline = Some(ReportBaseline {
                mode: b.mode,
                file: None,
                fixed: Vec::new(),
            });
            continue;
        };
        used[bi] = true;
        let base = &reports[bi];
        let known = baseline::report_identities(base);
        // Mark the report's surviving secrets, FAIL misconfigurations and licenses the
        // baseline has.
        let known_other = baseline::report_other_identities(base);
        for ri in 0..rep.results.len() {
            let r = &rep.report.results[ri];
            let mut existing: Vec<(FindingKind, usize)> = rep
                .other_findings(ri)
                .filter(|&(k, i, _)| {
                    baseline::other_identity(r, k, i).is_some_and(|id| known_other.contains(&id))
                })
                .map(|(k, i, _)| (k, i))
                .collect();
            existing.sort_unstable();
            rep.results[ri].existing_other = existing;
        }
        // Mark the report's surviving vulnerabilities the baseline has.
        let mut now_blocking = std::collections::HashSet::new();
        for (r, d) in rep.report.results.iter().zip(&mut rep.results) {
            let mut existing: Vec<usize> = Vec::new();
            for &vi in &d.vulnerabilities {
                let id = baseline::identity(r, &r.vulnerabilities[vi]);
                if known.contains(&id) {
                    existing.push(vi);
                }
                now_blocking.insert(id);
            }
            existing.sort_unstable();
            d.existing = existing;
        }
        // What the baseline blocks on under the same policy and VEX, and is gone now.
        let keep_kev = |v: &crate::report::Vulnerability<'_>| {
            decision
                .feeds
                .as_ref()
                .is_some_and(|f| f.facts(v).kev.is_some())
        };
        let keep: Option<&dyn Fn(&crate::report::Vulnerability<'_>) -> bool> =
            if settings.feeds.block_kev && decision.feeds.is_some() {
                Some(&keep_kev)
            } else {
                None
            };
        let mut base_results: Vec<_> = base
            .results
            .iter()
            .map(|r| policy::filter_result_with(r, &settings.policy, &ignore, keep))
            .collect();
        if !vex_set.is_empty() {
            vex::apply(
                base,
                &mut base_results,
                vex_set,
                settings.policy.image_repo.as_deref(),
                &mut scratch,
            );
        }
        let mut fixed: Vec<FixedFinding> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (r, d) in base.results.iter().zip(&base_results) {
            for &vi in &d.vulnerabilities {
                let v = &r.vulnerabilities[vi];
                let id = baseline::identity(r, v);
                if now_blocking.contains(&id) || !seen.insert(id.clone()) {
                    continue;
                }
                fixed.push(FixedFinding {
                    id,
                    pkg_name: v.pkg_name.to_string(),
                    installed_version: v.installed_version.to_string(),
                    severity: v.effective_severity().to_string(),
                    target: r.target.to_string(),
                    title: v.title.as_deref().map(str::to_string),
                    primary_url: v.primary_url.as_deref().map(str::to_string),
                });
            }
        }
        rep.baseline = Some(ReportBaseline {
            mode: b.mode,
            file: Some(files[bi].path.clone()),
            fixed,
        });
    }
    for (file, p) in files
        .iter()
        .zip(&platforms)
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(x, _)| x)
    {
        decision.warnings.push(Warning {
            code: Code::BaselineUnused,
            message: format!(
                "{}: baseline for platform {} matches no report; it is not used",
                file.path.display(),
                crate::render::view::platform_label(p.as_ref())
            ),
        });
    }
    decision.baseline = Some(BaselineSummary {
        mode: b.mode,
        missing: b.missing,
        files: b.files.clone(),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::severity::Severity;

    fn golden(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/upstream/trivy")
            .join(name)
    }

    fn settings(severity: &[Severity], ignore_unfixed: bool) -> Settings {
        Settings::with_policy(Policy::new(severity, ignore_unfixed))
    }

    type Key = (String, String, String, String);

    fn blocking_set(path: &Path, s: &Settings) -> Vec<Key> {
        let files = read_reports(&[path.to_path_buf()]).unwrap();
        let reports = parse_reports(&files).unwrap();
        let vex = VexSet::read(&s.policy.vex).unwrap();
        let d = decide_with_vex(&files, &reports, s, Timestamp::now(), Ok(&vex)).unwrap();
        let mut out = Vec::new();
        for rd in &d.reports {
            for (r, res) in rd.report.results.iter().zip(&rd.results) {
                for &i in &res.vulnerabilities {
                    let v = &r.vulnerabilities[i];
                    out.push((
                        r.target.to_string(),
                        v.vulnerability_id.to_string(),
                        v.pkg_id.to_string(),
                        v.installed_version.to_string(),
                    ));
                }
            }
        }
        out
    }

    /// Every vulnerability of an expected golden, in its order.
    fn expected_set(path: &Path) -> Vec<Key> {
        let f = ReportFile::read(path).unwrap();
        let r = f.parse().unwrap();
        r.results
            .iter()
            .flat_map(|res| {
                res.vulnerabilities.iter().map(|v| {
                    (
                        res.target.to_string(),
                        v.vulnerability_id.to_string(),
                        v.pkg_id.to_string(),
                        v.installed_version.to_string(),
                    )
                })
            })
            .collect()
    }

    const ALL: [Severity; 5] = Severity::ALL;

    fn oracle(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/oracle/scan/unfiltered")
            .join(name)
    }

    /// The oracle's image scan as its own baseline: every finding left is existing, so
    /// `block-new` passes what blocks without it, and `report` blocks exactly as before.
    #[test]
    fn a_report_is_its_own_baseline() {
        let path = oracle("image-tar.json");
        let files = read_reports(std::slice::from_ref(&path)).unwrap();
        let reports = parse_reports(&files).unwrap();
        let base_files = read_reports(std::slice::from_ref(&path)).unwrap();
        let base_reports = parse_reports(&base_files).unwrap();
        for (mode, blocked) in [
            (crate::baseline::BaselineMode::BlockNew, false),
            (crate::baseline::BaselineMode::Report, true),
        ] {
            let mut s = settings(&ALL, false);
            s.baseline = Some(crate::config::BaselineSettings {
                files: vec![path.clone()],
                mode,
                missing: MissingBaseline::Deny,
            });
            let vex = VexSet::default();
            let mut d = decide_with_vex(&files, &reports, &s, Timestamp::now(), Ok(&vex)).unwrap();
            assert!(d.blocked(), "the report blocks alone");
            let left: usize = d.reports[0]
                .results
                .iter()
                .map(|r| r.vulnerabilities.len())
                .sum();
            assert!(left > 0);
            apply_baselines(
                &mut d,
                &base_files,
                &base_reports,
                &s,
                Timestamp::now(),
                &vex,
            )
            .unwrap();
            assert_eq!(d.blocked(), blocked, "{mode:?}");
            let existing: usize = d.reports[0].results.iter().map(|r| r.existing.len()).sum();
            assert_eq!(existing, left);
            let b = d.reports[0].baseline.as_ref().unwrap();
            assert!(b.fixed.is_empty());
            assert_eq!(b.file.as_deref(), Some(path.as_path()));
        }
    }

    /// A report platform without a baseline is a usage error naming it (deny), or gates
    /// in full with a warning (allow).
    #[test]
    fn a_platform_without_a_baseline() {
        let report = oracle("image-tar.json");
        // The filesystem scan has no platform, so it is no baseline for linux/amd64.
        let base = oracle("deb12-rootfs.json");
        let files = read_reports(std::slice::from_ref(&report)).unwrap();
        let reports = parse_reports(&files).unwrap();
        let base_files = read_reports(std::slice::from_ref(&base)).unwrap();
        let base_reports = parse_reports(&base_files).unwrap();
        let vex = VexSet::default();
        for missing in [MissingBaseline::Deny, MissingBaseline::Allow] {
            let mut s = settings(&ALL, false);
            s.baseline = Some(crate::config::BaselineSettings {
                files: vec![base.clone()],
                mode: crate::baseline::BaselineMode::BlockNew,
                missing,
            });
            let mut d = decide_with_vex(&files, &reports, &s, Timestamp::now(), Ok(&vex)).unwrap();
            let r = apply_baselines(
                &mut d,
                &base_files,
                &base_reports,
                &s,
                Timestamp::now(),
                &vex,
            );
            if missing == MissingBaseline::Deny {
                let e = r.unwrap_err();
                assert_eq!(e.exit_code(), crate::EXIT_INPUT);
                assert!(e.to_string().contains("linux/amd64"), "{e}");
                continue;
            }
            r.unwrap();
            assert!(d.blocked(), "gated in full");
            let codes: Vec<Code> = d.warnings.iter().map(|w| w.code).collect();
            assert_eq!(codes, [Code::BaselineMissing, Code::BaselineUnused]);
        }
    }

    /// Two reports without a platform (lock-file scans) cannot be told apart to find their
    /// baselines: a usage error naming both, not every report against the one baseline.
    #[test]
    fn two_platformless_reports_with_a_baseline_are_refused() {
        let paths = [oracle("cargo.json"), oracle("npm.json")];
        let files = read_reports(&paths).unwrap();
        let reports = parse_reports(&files).unwrap();
        let base_files = read_reports(&paths[..1]).unwrap();
        let base_reports = parse_reports(&base_files).unwrap();
        let vex = VexSet::default();
        let mut s = settings(&ALL, false);
        s.baseline = Some(crate::config::BaselineSettings {
            files: paths[..1].to_vec(),
            mode: crate::baseline::BaselineMode::BlockNew,
            missing: MissingBaseline::Allow,
        });
        let mut d = decide_with_vex(&files, &reports, &s, Timestamp::now(), Ok(&vex)).unwrap();
        let e = apply_baselines(
            &mut d,
            &base_files,
            &base_reports,
            &s,
            Timestamp::now(),
            &vex,
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), crate::EXIT_INPUT);
        let e = e.to_string();
        assert!(
            e.contains("cargo.json") && e.contains("npm.json") && e.contains("--report-platform"),
            "{e}"
        );
        // One platformless report against its baseline is fine.
        let one = read_reports(&paths[..1]).unwrap();
        let one_reports = parse_reports(&one).unwrap();
        let mut d = decide_with_vex(&one, &one_reports, &s, Timestamp::now(), Ok(&vex)).unwrap();
        apply_baselines(
            &mut d,
            &base_files,
            &base_reports,
            &s,
            Timestamp::now(),
            &vex,
        )
        .unwrap();
        assert!(!d.blocked(), "a report is its own baseline");
    }

    /// Oracle pairs (testdata/oracle): the base goldens with `--ignore-unfixed` reproduce the
    /// vulnerability sets (and order) of Trivy's `*-ignore-unfixed` goldens.
    #[test]
    fn ignore_unfixed_reproduces_trivys_goldens() {
        for base in ["ubuntu-1804", "debian-buster", "centos-7"] {
            let got = blocking_set(
                &golden(&format!("{base}.json.golden")),
                &settings(&ALL, true),
            );
            let want = expected_set(&golden(&format!(
                "expected/{base}-ignore-unfixed.json.golden"
            )));
            assert!(!want.is_empty());
            assert_eq!(got, want, "{base}");
        }
    }

    /// centos-7-medium was produced by Trivy's integration test with
    /// `--ignore-unfixed --severity MEDIUM` (integration/standalone_tar_test.go). The issue
    /// states `--severity MEDIUM --ignore-unfixed=false`. Both are true of the data: the only
    /// unfixed finding in centos-7 (CVE-2019-18276, will_not_fix) is LOW, so the severity
    /// filter drops it either way. We check both, and that ignore-unfixed does matter once
    /// LOW is included (so the flag is not simply ignored).
    #[test]
    fn centos_7_medium_with_and_without_ignore_unfixed() {
        let want = expected_set(&golden("expected/centos-7-medium.json.golden"));
        assert_eq!(want.len(), 1);
        let base = golden("centos-7.json.golden");
        assert_eq!(
            blocking_set(&base, &settings(&[Severity::Medium], true)),
            want
        );
        assert_eq!(
            blocking_set(&base, &settings(&[Severity::Medium], false)),
            want
        );
        let low_kept = blocking_set(&base, &settings(&[Severity::Low, Severity::Medium], false));
        let low_unfixed = blocking_set(&base, &settings(&[Severity::Low, Severity::Medium], true));
        assert!(low_kept.iter().any(|k| k.1 == "CVE-2019-18276"));
        assert!(!low_unfixed.iter().any(|k| k.1 == "CVE-2019-18276"));
    }

    /// Trivy's defaults (`--severity` all, `--ignore-unfixed=false`) keep every finding of
    /// every golden (none has duplicates), in Trivy's own order.
    #[test]
    fn trivys_defaults_keep_every_golden_finding_in_order() {
        let mut n = 0;
        for entry in std::fs::read_dir(golden("")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("golden") {
                continue;
            }
            let got = blocking_set(&path, &settings(&ALL, false));
            assert_eq!(got, expected_set(&path), "{}", path.display());
            n += 1;
        }
        assert!(n >= 10);
    }
}
