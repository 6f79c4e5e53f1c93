//! vexgate's own machine output, `--format json`.
//!
//! # Schema `vexgate/gate/v2`
//!
//! Keys appear in exactly this order (serde structs, never maps, except where noted). New keys
//! may be added at the end of an object in later v2 releases; existing keys never change
//! meaning. A breaking change bumps the `schema` string.
//!
//! ## Changes from `vexgate/gate/v1`
//!
//! Additive: every v1 key keeps its place and meaning, except that with a `block-new`
//! baseline `blocking`, `counts` and `reports[].blocking` leave out what the baseline has
//! (it does not block; it is listed in `baseline.existing`).
//!
//! - `reports[].baseline`: the report's baseline, or `null` without `--baseline`.
//! - `blocking[].baseline`: `new` / `existing` / `null`, and `blocking[].missing_on`
//!   (platform drift).
//! - `counts.baseline` and `counts.drift`.
//! - `baseline`: the baseline settings, the findings it keeps from blocking and
//!   the ones fixed since, or `null` without `--baseline`.
//! - `blocking[].kev`, `blocking[].epss`, `blocking[].reason`, `suppressed[].kev`,
//!   `suppressed[].epss` and `feeds` (last key): the exploitation feeds (`--kev`, `--epss`);
//!   all `null` without them.
//!
//! ```text
//! {
//!   "schema": "vexgate/gate/v2",
//!   "verdict": "pass" | "blocked",
//!   "coverage_failed": bool,            // --require-coverage and some report lacks coverage
//!   "policy": {
//!     "severities": ["HIGH", "CRITICAL"],   // blocking severities, UNKNOWN..CRITICAL order
//!     "ignore_statuses": [string],          // statuses dropped before anything else
//!     "ignore_unfixed": bool,
//!     "ignorefile": string | null,
//!     "vex": [string],                      // VEX sources as given, in priority order
//!     "image_repo": string | null,
//!     "require_coverage": bool
//!   },
//!   "reports": [{                      // one per input, in input order
//!     "path": string,
//!     "platform": "linux/amd64" | null,
//!     "coverage": "ok" | "no-results" | "no-packages",
//!     "assumed_identity": string | null,  // image PURL assumed from --image-repo
//!     "blocking": int,                    // vulnerabilities + other blocking findings
//!     "suppressed": int,                  // by vexgate + already recorded in the report
//!     "baseline": null | {                // null without --baseline
//!       "file": string | null,            // null: no baseline for this platform, gated in
//!                                         // full (--baseline-missing allow)
//!       "new": int, "existing": int,      // vulnerabilities left after filters and VEX
//!       "fixed": int                      // the baseline's blocking ones gone from the report
//!     }
//!   }],
//!   "blocking": [{                     // vulnerabilities, one per finding over all platforms
//!     "id", "pkg_name", "pkg_id", "pkg_path", "purl" (string|null),
//!     "installed_version", "fixed_version", "severity", "status",
//!     "target", "class", "title" (string|null), "primary_url" (string|null),
//!     "platforms": ["linux/amd64", ...],  // "unknown" when a report has no platform
//!     "baseline": "new" | "existing" | null,  // null without a baseline for its platforms;
//!                                         // "new": absent from the baseline of at least one
//!     "missing_on": [string],             // drift: platforms of this run that do not have
//!                                         // the finding (empty with one report)
//!     "kev": null | {"date_added": "YYYY-MM-DD", "due_date": "YYYY-MM-DD",
//!                    "ransomware": "Known" | "Unknown"},   // null: not in the catalog
//!     "epss": null | {"score": f64, "percentile": f64},    // null: no score (or no --epss)
//!     "reason": null | "policy" | "kev" | "epss" | "no-epss-score"  // why it blocks; null
//!                                         // without feeds
//!   }],
//!   "suppressed": [{                   // always present, also without --show-suppressed
//!     "type": "vulnerability" | "misconfiguration" | "secret" | "license",
//!     "id", "pkg_name", "installed_version", "fixed_version", "severity", "target",
//!     "status", "statement", "source",
//!     "origin": "ignorefile" | "vex" | "report",
//!     "platforms": [string],
//!     "kev": ..., "epss": ...             // as in "blocking" (null for non-vulnerabilities)
//!   }],
//!   "other_blocking": [{               // secrets, FAIL misconfigurations, licenses
//!     "type", "id", "severity", "target", "detail", "primary_url" (string|null),
//!     "platforms": [string],
//!     "baseline": "new" | "existing" | null   // as in "blocking"
//!   }],
//!   "counts": {
//!     "by_severity": {"CRITICAL": n, "HIGH": n, "MEDIUM": n, "LOW": n, "UNKNOWN": n},
//!     "by_platform": {                  // a map in report order
//!       "linux/amd64": {"CRITICAL": n, "HIGH": n, "MEDIUM": n, "LOW": n, "UNKNOWN": n,
//!                       "total": n, "other_blocking": n, "suppressed": n}
//!     },
//!     "baseline": null | {"new": n, "existing": n, "fixed": n},  // distinct rows
//!     "drift": null | n                 // distinct vulnerabilities on only some platforms;
//!                                       // null unless 2+ reports, all with a platform
//!   },
//!   "warnings": [{"code": string, "message": string}],
//!   "baseline": null | {
//!     "mode": "block-new" | "report",
//!     "missing": "deny" | "allow",
//!     "files": [string],                // as given
//!     "existing": [ ...as "blocking" ],  // block-new: findings the baseline has, which do
//!                                       // not block (always empty in report mode)
//!     "fixed": [{                       // the baseline's blocking vulnerabilities (same
//!                                       // policy and VEX) the reports no longer block on
//!       "id", "pkg_name", "installed_version", "severity", "target", "class", "type",
//!       "title" (string|null), "primary_url" (string|null), "platforms": [string]
//!     }],
//!     "existing_other": [ ...as "other_blocking" ]  // block-new: secrets, misconfigurations
//!                                       // and licenses the baseline has, which do not block
//!   },
//!   "feeds": null | {                   // null without --kev and --epss
//!     "kev": null | {"path": string, "version": string,   // catalogVersion
//!                    "date": string,    // dateReleased, RFC 3339
//!                    "age_seconds": int, "stale": bool},  // age against the real clock
//!     "epss": null | {...as "kev"},     // version: model_version; date: score_date
//!     "block_kev": bool,
//!     "epss_threshold": f64 | null,
//!     "epss_missing": "deny" | "allow",
//!     "kev_suppression": "allow" | "deny",
//!     "max_age_seconds": int,
//!     "strict": bool,
//!     "no_cve": int,                    // vulnerabilities (left or suppressed) with no CVE
//!     "kev_suppression_failed": bool,   // --kev-suppression deny and a KEV finding suppressed
//!     "suppressed_kev": [ ...as "suppressed" ],   // suppressed findings in the catalog
//!     "below_threshold": [ ...as "blocking" ]     // kept from blocking by --epss-threshold
//!   }
//! }
//! ```
//!
//! Findings are compared with a baseline and across platforms by their identity
//! (`vexgate_core::baseline::identity`): vulnerability ID, package without version, PkgPath
//! (or a non-OS result's Target), and the result's Class and Type. Secrets,
//! misconfigurations and licenses are compared with a baseline by
//! `vexgate_core::baseline::other_identity` (kind, ID, Target, and the secret's Match, the
//! misconfiguration's Message or the license's package).
//!
//! ## The platform check (`--expect-platforms`, `--expect-platforms-from`)
//!
//! One more key, after `baseline`: `null` when no platform check was asked for.
//! A failed check makes `verdict` `"blocked"`, and each problem is also a warning
//! (`code` `expect-platforms`).
//!
//! ```text
//!   "platform_check": null | {
//!     "passed": bool,
//!     "source": "flag" | "index" | "scan",   // --expect-platforms, --expect-platforms-from,
//!                                            // or the platforms `vexgate scan` read from its target
//!     "index": string | null,                // the --expect-platforms-from file
//!     "expected": ["linux/amd64", ...],      // sorted, distinct
//!     "missing": ["linux/arm64", ...],       // expected, and no report has it
//!     "unexpected": [{"path": string, "platform": string}],  // a report of another platform
//!     "no_platform": [string]                // paths of reports without a platform
//!   }
//! ```
//!
//! `counts.by_severity` counts distinct blocking vulnerabilities over all platforms (the rows
//! of `blocking`); `by_platform` counts each platform's own findings, and reports without a
//! platform are counted together under `unknown`. A `blocking` row merges the same finding
//! across platforms (`Decision::blocking_rows`); its `purl`, `pkg_id` and `target` are those
//! of the first platform it was seen on (an OS target embeds the artifact name, and a PURL
//! its `arch`).

use std::io::{self, Write};

use serde::Serialize;
use serde::ser::SerializeMap;

use super::RenderOptions;
use super::view::{SeverityCounts, View, coverage_word, platform_label, platform_labels};
use crate::decision::{Decision, Mark, Origin, Row};
use crate::policy::Policy;

/// The `schema` value of this output.
pub const SCHEMA: &str = "vexgate/gate/v2";

#[derive(Serialize)]
struct Output<'a> {
    schema: &'static str,
    verdict: &'static str,
    coverage_failed: bool,
    policy: &'a Policy,
    reports: Vec<Report>,
    blocking: Vec<Blocking<'a>>,
    suppressed: Vec<Suppressed<'a>>,
    other_blocking: Vec<Other<'a>>,
    counts: Counts,
    warnings: Vec<Warning<'a>>,
    baseline: Option<Baseline<'a>>,
    // The platform check (see the module docs).
    platform_check: Option<PlatformCheckOut>,
    feeds: Option<FeedsOut<'a>>,
}

#[derive(Serialize)]
struct KevOut {
    date_added: String,
    due_date: String,
    ransomware: &'static str,
}

#[derive(Serialize)]
struct EpssOut {
    score: f64,
    percentile: f64,
}

#[derive(Serialize)]
struct FeedOut<'a> {
    path: String,
    version: &'a str,
    date: String,
    age_seconds: i64,
    stale: bool,
}

#[derive(Serialize)]
struct FeedsOut<'a> {
    kev: Option<FeedOut<'a>>,
    epss: Option<FeedOut<'a>>,
    block_kev: bool,
    epss_threshold: Option<f64>,
    epss_missing: &'static str,
    kev_suppression: &'static str,
    max_age_seconds: i64,
    strict: bool,
    no_cve: usize,
    kev_suppression_failed: bool,
    suppressed_kev: Vec<Suppressed<'a>>,
    below_threshold: Vec<Blocking<'a>>,
}

fn exploit(f: &crate::decision::Facts<'_>) -> (Option<KevOut>, Option<EpssOut>) {
    (
        f.kev.map(|k| KevOut {
            date_added: k.date_added.to_string(),
            due_date: k.due_date.to_string(),
            ransomware: k.ransomware.as_str(),
        }),
        f.epss.map(|e| EpssOut {
            score: e.score,
            percentile: e.percentile,
        }),
    )
}

#[derive(Serialize)]
struct Baseline<'a> {
    mode: &'static str,
    missing: &'static str,
    files: Vec<String>,
    existing: Vec<Blocking<'a>>,
    fixed: Vec<Fixed<'a>>,
    existing_other: Vec<Other<'a>>,
}

#[derive(Serialize)]
struct Fixed<'a> {
    id: &'a str,
    pkg_name: &'a str,
    installed_version: &'a str,
    severity: &'a str,
    target: &'a str,
    class: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    title: Option<&'a str>,
    primary_url: Option<&'a str>,
    platforms: Vec<String>,
}

#[derive(Serialize)]
struct ReportBaseline {
    file: Option<String>,
    new: usize,
    existing: usize,
    fixed: usize,
}

#[derive(Serialize)]
struct PlatformCheckOut {
    passed: bool,
    source: &'static str,
    index: Option<String>,
    expected: Vec<String>,
    missing: Vec<String>,
    unexpected: Vec<Unexpected>,
    no_platform: Vec<String>,
}

#[derive(Serialize)]
struct Unexpected {
    path: String,
    platform: String,
}

impl From<&crate::expect::PlatformCheck> for PlatformCheckOut {
    fn from(c: &crate::expect::PlatformCheck) -> Self {
        let names = |v: &[crate::report::Platform]| v.iter().map(ToString::to_string).collect();
        PlatformCheckOut {
            passed: !c.failed(),
            source: c.expected.source.word(),
            index: match &c.expected.source {
                crate::expect::Source::Index(p) => Some(p.display().to_string()),
                _ => None,
            },
            expected: names(&c.expected.platforms),
            missing: names(&c.missing),
            unexpected: c
                .unexpected
                .iter()
                .map(|(path, p)| Unexpected {
                    path: path.display().to_string(),
                    platform: p.to_string(),
                })
                .collect(),
            no_platform: c
                .no_platform
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct Report {
    path: String,
    platform: Option<String>,
    coverage: &'static str,
    assumed_identity: Option<String>,
    blocking: usize,
    suppressed: usize,
    baseline: Option<ReportBaseline>,
}

#[derive(Serialize)]
struct Blocking<'a> {
    id: &'a str,
    pkg_name: &'a str,
    pkg_id: &'a str,
    pkg_path: &'a str,
    purl: Option<&'a str>,
    installed_version: &'a str,
    fixed_version: &'a str,
    severity: &'a str,
    status: &'a str,
    target: &'a str,
    class: &'a str,
    title: Option<&'a str>,
    primary_url: Option<&'a str>,
    platforms: Vec<String>,
    baseline: Option<&'static str>,
    missing_on: Vec<String>,
    kev: Option<KevOut>,
    epss: Option<EpssOut>,
    reason: Option<&'static str>,
}

#[derive(Serialize)]
struct Suppressed<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    pkg_name: &'a str,
    installed_version: &'a str,
    fixed_version: &'a str,
    severity: &'a str,
    target: &'a str,
    status: &'a str,
    statement: &'a str,
    source: &'a str,
    origin: &'static str,
    platforms: Vec<String>,
    kev: Option<KevOut>,
    epss: Option<EpssOut>,
}

#[derive(Serialize)]
struct Other<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    severity: &'a str,
    target: &'a str,
    detail: &'a str,
    primary_url: Option<&'a str>,
    platforms: Vec<String>,
    baseline: Option<&'static str>,
}

fn other_row(o: &crate::render::view::OtherRow) -> Other<'_> {
    Other {
        kind: o.kind.trivy_type(),
        id: &o.id,
        severity: &o.severity,
        target: &o.target,
        detail: &o.detail,
        primary_url: o.url.as_deref(),
        platforms: platform_labels(&o.platforms),
        baseline: o.mark.map(crate::decision::Mark::as_str),
    }
}

#[derive(Serialize)]
struct Counts {
    by_severity: Severities,
    by_platform: ByPlatform,
    baseline: Option<BaselineCounts>,
    drift: Option<usize>,
}

#[derive(Serialize)]
struct BaselineCounts {
    new: usize,
    existing: usize,
    fixed: usize,
}

#[derive(Serialize, Default)]
struct Severities {
    #[serde(rename = "CRITICAL")]
    critical: usize,
    #[serde(rename = "HIGH")]
    high: usize,
    #[serde(rename = "MEDIUM")]
    medium: usize,
    #[serde(rename = "LOW")]
    low: usize,
    #[serde(rename = "UNKNOWN")]
    unknown: usize,
}

impl From<SeverityCounts> for Severities {
    fn from(c: SeverityCounts) -> Self {
        let [critical, high, medium, low, unknown] = c.0;
        Severities {
            critical,
            high,
            medium,
            low,
            unknown,
        }
    }
}

#[derive(Serialize)]
struct PlatformCounts {
    #[serde(flatten)]
    severities: Severities,
    total: usize,
    other_blocking: usize,
    suppressed: usize,
}

/// A JSON object in report order (a Vec, serialized as a map).
struct ByPlatform(Vec<(String, PlatformCounts)>);

impl Serialize for ByPlatform {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct Warning<'a> {
    code: &'a str,
    message: &'a str,
}

pub(super) fn render(
    decision: &Decision<'_>,
    _opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let view = View::new(decision);
    let p = &decision.policy;

    // (label, severities, other blocking, suppressed), summed over reports of one platform.
    let mut acc: Vec<(String, SeverityCounts, usize, usize)> = Vec::new();
    for r in &view.reports {
        let label = platform_label(r.platform.as_ref());
        let i = match acc.iter().position(|(l, ..)| *l == label) {
            Some(i) => i,
            None => {
                acc.push((label, SeverityCounts::default(), 0, 0));
                acc.len() - 1
            }
        };
        let e = &mut acc[i];
        for (n, add) in e.1.0.iter_mut().zip(r.by_severity.0) {
            *n += add;
        }
        e.2 += r.other_blocking;
        e.3 += r.suppressed;
    }
    let by_platform = acc
        .into_iter()
        .map(|(label, sev, other_blocking, suppressed)| {
            (
                label,
                PlatformCounts {
                    severities: sev.into(),
                    total: sev.total(),
                    other_blocking,
                    suppressed,
                },
            )
        })
        .collect();

    let output = Output {
        schema: SCHEMA,
        verdict: if view.blocked { "blocked" } else { "pass" },
        coverage_failed: decision.coverage_failed,
        policy: p,
        reports: view
            .reports
            .iter()
            .map(|r| Report {
                path: r.path.clone(),
                platform: r.platform.as_ref().map(ToString::to_string),
                coverage: coverage_word(&r.coverage),
                assumed_identity: r.assumed_identity.clone(),
                blocking: r.blocking,
                suppressed: r.suppressed,
                baseline: decision.baseline.as_ref().map(|_| ReportBaseline {
                    file: r.baseline.clone(),
                    new: r.new,
                    existing: r.existing,
                    fixed: r.fixed,
                }),
            })
            .collect(),
        blocking: view
            .blocking
            .iter()
            .map(|row| blocking_row(decision, row))
            .collect(),
        suppressed: view
            .suppressed
            .iter()
            .map(|s| suppressed_row(decision, s))
            .collect(),
        other_blocking: view.other.iter().map(other_row).collect(),
        counts: Counts {
            by_severity: view.by_severity.into(),
            by_platform: ByPlatform(by_platform),
            baseline: view.baseline.map(|b| BaselineCounts {
                new: b.new,
                existing: b.existing,
                fixed: b.fixed,
            }),
            drift: view.drift,
        },
        warnings: decision
            .warnings
            .iter()
            .map(|w| Warning {
                code: w.code.as_str(),
                message: &w.message,
            })
            .collect(),
        baseline: decision.baseline.as_ref().map(|b| Baseline {
            mode: b.mode.as_str(),
            missing: b.missing.as_str(),
            files: b.files.iter().map(|f| f.display().to_string()).collect(),
            existing: view
                .existing
                .iter()
                .map(|row| {
                    let mut b = blocking_row(decision, row);
                    b.reason = None;
                    b
                })
                .collect(),
            fixed: view
                .fixed
                .iter()
                .map(|f| Fixed {
                    id: &f.finding.id.vulnerability_id,
                    pkg_name: &f.finding.pkg_name,
                    installed_version: &f.finding.installed_version,
                    severity: &f.finding.severity,
                    target: &f.finding.target,
                    class: &f.finding.id.class,
                    kind: &f.finding.id.result_type,
                    title: f.finding.title.as_deref(),
                    primary_url: f.finding.primary_url.as_deref(),
                    platforms: platform_labels(&f.platforms),
                })
                .collect(),
            existing_other: view.other_existing.iter().map(other_row).collect(),
        }),
        platform_check: decision.platform_check.as_ref().map(Into::into),
        feeds: decision.feeds.as_ref().map(|f| {
            let feed = |kind: &str| {
                f.status.iter().find(|s| s.kind == kind).map(|s| FeedOut {
                    path: s.path.display().to_string(),
                    version: &s.version,
                    date: s.date.to_string(),
                    age_seconds: s.age.as_secs(),
                    stale: s.stale,
                })
            };
            let st = &f.settings;
            FeedsOut {
                kev: feed("kev"),
                epss: feed("epss"),
                block_kev: st.block_kev,
                epss_threshold: st.epss_threshold,
                epss_missing: st.epss_missing.as_str(),
                kev_suppression: st.kev_suppression.as_str(),
                max_age_seconds: st.max_age.as_secs(),
                strict: st.strict,
                no_cve: f.no_cve,
                kev_suppression_failed: f.kev_suppression_failed,
                suppressed_kev: view
                    .suppressed_kev
                    .iter()
                    .map(|s| suppressed_row(decision, s))
                    .collect(),
                below_threshold: view
                    .below_threshold
                    .iter()
                    .map(|row| {
                        let mut b = blocking_row(decision, row);
                        b.reason = None;
                        b
                    })
                    .collect(),
            }
        }),
    };
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, LogSafe::default());
    output.serialize(&mut ser).map_err(io::Error::other)?;
    writeln!(out)
}

/// serde_json's pretty printer, with string content passed through
/// [`crate::escape::json_fragment`]: the JSON is the same to a reader, but report text
/// cannot put a `##[command]` or a terminal control into the log it is printed to.
#[derive(Default)]
pub(crate) struct LogSafe(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for LogSafe {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        w.write_all(crate::escape::json_fragment(fragment).as_bytes())
    }
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

fn suppressed_row<'a>(
    decision: &Decision<'_>,
    s: &'a super::view::SuppressedRow,
) -> Suppressed<'a> {
    let (kev, epss) = exploit(&decision.facts_of_cve(s.cve.as_deref()));
    Suppressed {
        kind: s.kind.trivy_type(),
        id: &s.id,
        pkg_name: &s.pkg_name,
        installed_version: &s.installed_version,
        fixed_version: &s.fixed_version,
        severity: &s.severity,
        target: &s.target,
        status: s.status.as_str(),
        statement: &s.statement,
        source: &s.source,
        origin: match s.origin {
            Origin::IgnoreFile => "ignorefile",
            Origin::Vex => "vex",
            Origin::Report => "report",
        },
        platforms: platform_labels(&s.platforms),
        kev,
        epss,
    }
}

fn blocking_row<'a>(decision: &'a Decision<'_>, row: &Row<'a>) -> Blocking<'a> {
    let v = row.vuln;
    let (kev, epss) = exploit(&decision.facts(v));
    Blocking {
        kev,
        epss,
        reason: decision.feeds.as_ref().map(|f| f.reason(v).as_str()),
        id: &v.vulnerability_id,
        pkg_name: &v.pkg_name,
        pkg_id: &v.pkg_id,
        pkg_path: &v.pkg_path,
        purl: v.purl(),
        installed_version: &v.installed_version,
        fixed_version: &v.fixed_version,
        severity: v.effective_severity(),
        status: v.effective_status().as_str(),
        target: row.target,
        class: class_of(decision, row.target),
        title: v.title.as_deref(),
        primary_url: v.primary_url.as_deref(),
        platforms: platform_labels(&row.platforms),
        baseline: row.mark().map(Mark::as_str),
        missing_on: platform_labels(&row.missing_on),
    }
}

/// The `Class` of the result a row's target came from (first match over the reports).
fn class_of<'a>(decision: &'a Decision<'_>, target: &str) -> &'a str {
    decision
        .reports
        .iter()
        .flat_map(|r| r.report.results.iter())
        .find(|r| r.target == target)
        .map_or("", |r| &r.class)
}
