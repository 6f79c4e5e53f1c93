//! SARIF 2.1.0 for GitHub code scanning, modelled on Trivy's own writer
//! (trivy pkg/report/sarif.go), with one run per input report (platform).
//!
//! - `runs[i].automationDetails.id` is `vexgate/<os>-<arch>/`, so GitHub files each platform
//!   under its own category (GitHub rejects one upload with several runs of one category).
//! - One rule per finding ID, with `helpUri` = PrimaryURL and `properties.security-severity`
//!   as Trivy computes it (`toCVSSData`/`severityToScore`: the V3 score of the severity
//!   source, else CRITICAL 9.5, HIGH 8.0, MEDIUM 5.5, LOW 2.0, UNKNOWN 0.0).
//! - Result `level` as Trivy's `toSarifErrorLevel`: error for CRITICAL/HIGH, warning for
//!   MEDIUM, note for LOW/UNKNOWN.
//! - The location is the Target as an artifact URI (`ToPathUri`: an OS result's target
//!   `img:tag (debian 12.5)` becomes the image's repository path, e.g. `library/debian`), the
//!   package's PkgPath when it has one, plus a logical location naming the package.
//! - Only blocking findings are results. With `show_suppressed`, suppressed vulnerabilities
//!   are added with an `external` suppression carrying the status, statement and source.
//! - Baseline (`--baseline`): results carry SARIF's `baselineState`, `new` or `unchanged`
//!   (the baseline has it); in `block-new` mode the findings the baseline has are results
//!   too (`unchanged`), although they do not block. The run's properties
//!   name the baseline (`baseline`) and list the vulnerabilities fixed since it
//!   (`fixedSinceBaseline`), which are not results (they are gone from the image).
//! - Drift (two or more platforms): a vulnerability result missing on some platforms of the
//!   gate run lists them in its `missingOnPlatforms` property.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use serde::Deserialize;
use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Location, LogicalLocation, Message, MultiformatMessageString,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, RunAutomationDetails, SCHEMA_URL, Sarif, Suppression,
    Tool, ToolComponent,
};

use super::RenderOptions;
use super::view::platform_label;
use crate::decision::{Decision, FindingKind, Origin, ReportDecision, Suppression as Sup};
use crate::render::view::platform_labels;
use crate::report::{ScanResult, Vulnerability};
use crate::status::FindingStatus;

pub(super) fn render(
    decision: &Decision<'_>,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let runs = decision
        .reports
        .iter()
        .enumerate()
        .map(|(i, rep)| run(decision, rep, i, opts))
        .collect::<Vec<_>>();
    let sarif = Sarif::builder()
        .schema(SCHEMA_URL)
        .version(json!("2.1.0"))
        .runs(runs)
        .build();
    serde_json::to_writer_pretty(&mut *out, &sarif).map_err(io::Error::other)?;
    writeln!(out)
}

/// The automation id (GitHub's category) of a report's run: `vexgate/linux-amd64/`. A report
/// without a platform uses its position, so categories still differ.
pub(crate) fn automation_id(rep: &ReportDecision<'_>, index: usize) -> String {
    match &rep.platform {
        Some(p) => format!("vexgate/{}-{}/", p.os, p.arch),
        None => format!("vexgate/report-{}/", index + 1),
    }
}

/// Rules and results of one run.
struct RunBuilder {
    rules: Vec<ReportingDescriptor>,
    rule_index: HashMap<String, usize>,
    results: Vec<SarifResult>,
    platform: String,
}

impl RunBuilder {
    fn rule(&mut self, id: &str, make: impl FnOnce() -> ReportingDescriptor) -> i64 {
        let i = match self.rule_index.get(id) {
            Some(&i) => i,
            None => {
                self.rules.push(make());
                self.rule_index.insert(id.to_string(), self.rules.len() - 1);
                self.rules.len() - 1
            }
        };
        i as i64
    }
}

/// Baseline state and drift of one vulnerability result.
struct Annotation {
    /// SARIF `baselineState`: `new` or `unchanged`.
    state: Option<&'static str>,
    missing_on: Vec<String>,
    /// Result properties from the exploitation feeds (`kev`, `epss`, `blocksBecause`).
    exploit: BTreeMap<String, Value>,
}

impl Annotation {
    const NONE: Annotation = Annotation {
        state: None,
        missing_on: Vec::new(),
        exploit: BTreeMap::new(),
    };

    /// The feed facts of `v` as result properties (empty without feeds); `blocks` adds why
    /// it blocks.
    fn exploit(
        decision: &Decision<'_>,
        v: &Vulnerability<'_>,
        blocks: bool,
    ) -> BTreeMap<String, Value> {
        let mut props = BTreeMap::new();
        let Some(f) = &decision.feeds else {
            return props;
        };
        let facts = f.facts(v);
        props.insert(
            "kev".to_string(),
            facts.kev.map_or(Value::Null, |k| {
                json!({
                    "dateAdded": k.date_added.to_string(),
                    "dueDate": k.due_date.to_string(),
                    "ransomware": k.ransomware.as_str(),
                })
            }),
        );
        props.insert(
            "epss".to_string(),
            facts.epss.map_or(
                Value::Null,
                |e| json!({"score": e.score, "percentile": e.percentile}),
            ),
        );
        if blocks {
            props.insert("blocksBecause".to_string(), json!(f.reason(v).as_str()));
        }
        props
    }

    fn of(
        decision: &Decision<'_>,
        rep: &ReportDecision<'_>,
        r: &ScanResult<'_>,
        ri: usize,
        vi: usize,
    ) -> Self {
        let state = rep.baseline.as_ref().filter(|b| b.file.is_some()).map(|_| {
            if rep.results[ri].is_existing(vi) {
                "unchanged"
            } else {
                "new"
            }
        });
        let missing_on = if decision.presence.is_some() {
            platform_labels(
                &decision.missing_on(&crate::baseline::identity(r, &r.vulnerabilities[vi])),
            )
        } else {
            Vec::new()
        };
        let blocks = !(rep.only_new_blocks() && rep.results[ri].is_existing(vi));
        Annotation {
            state,
            missing_on,
            exploit: Self::exploit(decision, &r.vulnerabilities[vi], blocks),
        }
    }
}

fn run(
    decision: &Decision<'_>,
    rep: &ReportDecision<'_>,
    index: usize,
    opts: &RenderOptions,
) -> Run {
    let report = rep.report;
    let mut b = RunBuilder {
        rules: Vec::new(),
        rule_index: HashMap::new(),
        results: Vec::new(),
        platform: platform_label(rep.platform.as_ref()),
    };
    // Pre-existing suppressions are parsed once and must outlive the loop below.
    let preexisting: Vec<Vec<(Vulnerability<'_>, Sup)>> = report
        .results
        .iter()
        .map(|r| {
            r.modified_findings
                .iter()
                .filter_map(|mf| {
                    mf.vulnerability().map(|v| {
                        (
                            v,
                            Sup {
                                status: FindingStatus::parse(&mf.status),
                                statement: mf.statement.to_string(),
                                source: mf.source.to_string(),
                                origin: Origin::Report,
                            },
                        )
                    })
                })
                .collect()
        })
        .collect();

    for (ri, ((d, r), pre)) in rep
        .results
        .iter()
        .zip(&report.results)
        .zip(&preexisting)
        .enumerate()
    {
        for vi in rep
            .blocking_vulnerabilities(ri)
            .chain(rep.existing_not_blocking(ri))
        {
            let a = Annotation::of(decision, rep, r, ri, vi);
            vuln_result(&mut b, r, &r.vulnerabilities[vi], None, &a);
        }
        // Secrets, FAIL misconfigurations and licenses: every one left is a result (in
        // `block-new` mode the baseline's too, `unchanged`, as for vulnerabilities).
        let baselined = rep.baseline.as_ref().is_some_and(|b| b.file.is_some());
        let state = |k: FindingKind, i: usize| {
            baselined.then_some(if d.is_existing_other(k, i) {
                "unchanged"
            } else {
                "new"
            })
        };
        for &i in &d.misconfigurations {
            let m = &r.misconfigurations[i];
            if m.status != "FAIL" {
                continue;
            }
            let title = m.title.as_deref().unwrap_or(&m.id);
            let message = m.message.as_deref().unwrap_or_default();
            other_result(
                &mut b,
                OtherFinding {
                    title: "misconfiguration",
                    id: &m.id,
                    severity: &m.severity,
                    class: &r.class,
                    short: title,
                    url: m.primary_url.as_deref(),
                    uri: clear_uri(&r.target),
                    line: None,
                    message: format!(
                        "Artifact: {}\nType: {}\nVulnerability {}\nSeverity: {}\nMessage: {}\nLink: [{}]({})",
                        r.target,
                        r.kind,
                        m.id,
                        m.severity,
                        message,
                        m.id,
                        m.primary_url.as_deref().unwrap_or_default()
                    ),
                    state: state(FindingKind::Misconfiguration, i),
                },
            );
        }
        for &i in &d.secrets {
            let s = &r.secrets[i];
            let title = s.title.as_deref().unwrap_or(&s.rule_id);
            other_result(
                &mut b,
                OtherFinding {
                    title: "secret",
                    id: &s.rule_id,
                    severity: &s.severity,
                    class: &r.class,
                    short: title,
                    url: Some(BUILTIN_SECRET_RULES),
                    uri: to_path_uri(&r.target, &r.class),
                    line: s.start_line.map(|l| (l, s.end_line.unwrap_or(l))),
                    message: format!(
                        "Artifact: {}\nType: {}\nSecret {}\nSeverity: {}\nMatch: {}",
                        r.target,
                        r.kind,
                        title,
                        s.severity,
                        s.r#match.as_deref().unwrap_or_default()
                    ),
                    state: state(FindingKind::Secret, i),
                },
            );
        }
        for &i in &d.licenses {
            let l = &r.licenses[i];
            let pkg = l.pkg_name.as_deref().unwrap_or_default();
            let id = format!("{pkg}:{}", l.name);
            other_result(
                &mut b,
                OtherFinding {
                    title: "license",
                    id: &id,
                    severity: &l.severity,
                    class: &r.class,
                    short: &format!("{} in {pkg}", l.name),
                    url: None,
                    uri: to_path_uri(&r.target, &r.class),
                    line: None,
                    message: format!(
                        "Artifact: {}\nLicense {}\nPkgName: {pkg}\nClassification: {}\nPath: {}",
                        r.target,
                        l.name,
                        l.category.as_deref().unwrap_or_default(),
                        l.file_path.as_deref().unwrap_or_default()
                    ),
                    state: state(FindingKind::License, i),
                },
            );
        }
        // Suppressed KEV findings are results (with their suppression) in every run, also
        // without --show-suppressed.
        let is_kev = |v: &Vulnerability<'_>| decision.facts(v).kev.is_some();
        let with_facts = |v: &Vulnerability<'_>| Annotation {
            exploit: Annotation::exploit(decision, v, false),
            ..Annotation::NONE
        };
        for (v, s) in pre {
            if opts.show_suppressed || is_kev(v) {
                vuln_result(&mut b, r, v, Some(s), &with_facts(v));
            }
        }
        for (kind, vi, s) in &d.suppressed {
            if *kind == FindingKind::Vulnerability
                && s.origin != Origin::Report
                && let Some(v) = r.vulnerabilities.get(*vi)
                && (opts.show_suppressed || is_kev(v))
            {
                vuln_result(&mut b, r, v, Some(s), &with_facts(v));
            }
        }
    }

    let mut props = BTreeMap::new();
    let md = &report.metadata;
    if report.artifact_type == "container_image" {
        props.insert("imageName".into(), json!(report.artifact_name));
        // Go writes a nil slice as null.
        let list = |v: &Vec<std::borrow::Cow<'_, str>>| {
            if v.is_empty() { Value::Null } else { json!(v) }
        };
        props.insert("repoTags".into(), list(&md.repo_tags));
        props.insert("repoDigests".into(), list(&md.repo_digests));
        props.insert("imageID".into(), json!(md.image_id));
    }
    props.insert("platform".into(), json!(b.platform));
    props.insert("report".into(), json!(rep.file.path.display().to_string()));
    if let Some(id) = &rep.assumed_identity {
        props.insert("assumedIdentity".into(), json!(id));
    }
    if let Some(bl) = &rep.baseline {
        props.insert(
            "baseline".into(),
            json!(bl.file.as_ref().map(|f| f.display().to_string())),
        );
        let fixed: Vec<Value> = bl
            .fixed
            .iter()
            .map(|f| {
                json!({
                    "id": f.id.vulnerability_id,
                    "pkgName": f.pkg_name,
                    "installedVersion": f.installed_version,
                    "severity": f.severity,
                    "target": f.target,
                })
            })
            .collect();
        props.insert("fixedSinceBaseline".into(), json!(fixed));
    }
    if let Some(v) = report.trivy.as_ref().and_then(|t| t.version.as_deref()) {
        props.insert("trivyVersion".into(), json!(v));
    }
    if let Some(f) = &decision.feeds {
        let feeds: Vec<Value> = f
            .status
            .iter()
            .map(|s| {
                json!({
                    "feed": s.kind,
                    "path": s.path.display().to_string(),
                    "version": s.version,
                    "date": s.date.to_string(),
                    "ageSeconds": s.age.as_secs(),
                    "stale": s.stale,
                })
            })
            .collect();
        props.insert("feeds".into(), json!(feeds));
    }

    let driver = ToolComponent::builder()
        .name("vexgate")
        .full_name("vexgate: Trivy report gate with OpenVEX")
        .version(env!("CARGO_PKG_VERSION"))
        .rules(b.rules)
        .build();
    Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .automation_details(
            RunAutomationDetails::builder()
                .id(automation_id(rep, index))
                .build(),
        )
        .column_kind(json!("utf16CodeUnits"))
        .results(b.results)
        .properties(PropertyBag::builder().additional_properties(props).build())
        .build()
}

const BUILTIN_SECRET_RULES: &str =
    "https://github.com/aquasecurity/trivy/blob/main/pkg/fanal/secret/builtin-rules.go";

fn vuln_result(
    b: &mut RunBuilder,
    r: &ScanResult<'_>,
    v: &Vulnerability<'_>,
    sup: Option<&Sup>,
    annotation: &Annotation,
) {
    let sev = v.effective_severity();
    let url = v.primary_url.as_deref().unwrap_or_default();
    let title = v.title.as_deref().unwrap_or_default();
    let description = v.description.as_deref().unwrap_or_default();
    let full = if description.is_empty() {
        title
    } else {
        description
    };
    let (cvss_props, score) = cvss_data(v);
    let rule_index = b.rule(&v.vulnerability_id, || {
        let mut props = BTreeMap::new();
        props.insert("precision".to_string(), json!("very-high"));
        props.insert("security-severity".to_string(), json!(score));
        props.extend(cvss_props);
        let mut rule = ReportingDescriptor::builder()
            .id(v.vulnerability_id.to_string())
            .name(rule_name(&r.class))
            .short_description(text(if title.is_empty() {
                &v.vulnerability_id
            } else {
                title
            }))
            .full_description(text(if full.is_empty() {
                &v.vulnerability_id
            } else {
                full
            }))
            .help(
                MultiformatMessageString::builder()
                    .text(format!(
                        "Vulnerability {}\nSeverity: {sev}\nPackage: {}\nFixed Version: {}\nLink: [{}]({url})\n{description}",
                        v.vulnerability_id, v.pkg_name, v.fixed_version, v.vulnerability_id
                    ))
                    .markdown(format!(
                        "**Vulnerability {}**\n| Severity | Package | Fixed Version | Link |\n| --- | --- | --- | --- |\n|{sev}|{}|{}|[{}]({url})|\n\n{description}",
                        v.vulnerability_id, v.pkg_name, v.fixed_version, v.vulnerability_id
                    ))
                    .build(),
            )
            .default_configuration(
                ReportingConfiguration::builder()
                    .level(json!(level_word(sev)))
                    .build(),
            )
            .properties(
                PropertyBag::builder()
                    .tags(vec![
                        "vulnerability".to_string(),
                        "security".to_string(),
                        sev.to_string(),
                    ])
                    .additional_properties(props)
                    .build(),
            )
            .build();
        if !url.is_empty() {
            rule.help_uri = Some(url.to_string());
        }
        rule
    });

    let path = if v.pkg_path.is_empty() {
        to_path_uri(&r.target, &r.class)
    } else {
        to_path_uri(&v.pkg_path, &r.class)
    };
    let fixed = if v.fixed_version.is_empty() {
        "(no fix)"
    } else {
        &v.fixed_version
    };
    let message = format!(
        "Package: {}\nInstalled Version: {}\nVulnerability {}\nSeverity: {sev}\nFixed Version: {fixed}\nPlatform: {}\nLink: [{}]({url})",
        v.pkg_name, v.installed_version, v.vulnerability_id, b.platform, v.vulnerability_id
    );
    let package = LogicalLocation::builder()
        .name(format!("{}@{}", v.pkg_name, v.installed_version))
        .fully_qualified_name(
            v.purl()
                .map_or_else(|| v.pkg_id.to_string(), str::to_string),
        )
        .kind("module")
        .build();
    let location = location(
        &path,
        &r.target,
        None,
        format!("{path}: {}@{}", v.pkg_name, v.installed_version),
        Some(package),
    );
    let mut result = SarifResult::builder()
        .rule_id(v.vulnerability_id.to_string())
        .rule_index(rule_index)
        .level(level(sev))
        .message(Message::builder().text(message).build())
        .locations(vec![location])
        .build();
    if let Some(state) = annotation.state {
        result.baseline_state = Some(json!(state));
    }
    if !annotation.missing_on.is_empty() || !annotation.exploit.is_empty() {
        let mut props = annotation.exploit.clone();
        if !annotation.missing_on.is_empty() {
            props.insert(
                "missingOnPlatforms".to_string(),
                json!(annotation.missing_on),
            );
        }
        result.properties = Some(PropertyBag::builder().additional_properties(props).build());
    }
    if let Some(s) = sup {
        let mut justification = s.status.to_string();
        if !s.statement.is_empty() {
            justification.push_str(": ");
            justification.push_str(&s.statement);
        }
        justification.push_str(&format!(" (source: {})", s.source));
        result.suppressions = Some(vec![
            Suppression::builder()
                .kind(json!("external"))
                .status(json!("accepted"))
                .justification(justification)
                .build(),
        ]);
    }
    b.results.push(result);
}

struct OtherFinding<'a> {
    title: &'a str,
    id: &'a str,
    severity: &'a str,
    class: &'a str,
    short: &'a str,
    url: Option<&'a str>,
    uri: String,
    line: Option<(i64, i64)>,
    message: String,
    /// SARIF `baselineState` (`new`, `unchanged`), with a baseline for the platform.
    state: Option<&'static str>,
}

fn other_result(b: &mut RunBuilder, f: OtherFinding<'_>) {
    let sev = if f.severity.is_empty() {
        "UNKNOWN"
    } else {
        f.severity
    };
    let rule_index = b.rule(f.id, || {
        let mut props = BTreeMap::new();
        props.insert("precision".to_string(), json!("very-high"));
        props.insert(
            "security-severity".to_string(),
            json!(severity_to_score(sev)),
        );
        let mut rule = ReportingDescriptor::builder()
            .id(f.id.to_string())
            .name(rule_name(f.class))
            .short_description(text(f.short))
            .full_description(text(f.short))
            .default_configuration(
                ReportingConfiguration::builder()
                    .level(json!(level_word(sev)))
                    .build(),
            )
            .properties(
                PropertyBag::builder()
                    .tags(vec![
                        f.title.to_string(),
                        "security".to_string(),
                        sev.to_string(),
                    ])
                    .additional_properties(props)
                    .build(),
            )
            .build();
        if let Some(u) = f.url.filter(|u| !u.is_empty()) {
            rule.help_uri = Some(u.to_string());
        }
        rule
    });
    let message = format!("{}\nPlatform: {}", f.message, b.platform);
    let loc = location(&f.uri, &f.uri, f.line, f.uri.clone(), None);
    let mut result = SarifResult::builder()
        .rule_id(f.id.to_string())
        .rule_index(rule_index)
        .level(level(sev))
        .message(Message::builder().text(message).build())
        .locations(vec![loc])
        .build();
    if let Some(state) = f.state {
        result.baseline_state = Some(json!(state));
    }
    b.results.push(result);
}

/// A physical location at the artifact URI (line 1 unless known, as Trivy does), and a
/// logical location naming the target (and the package) for viewers without the file.
fn location(
    uri: &str,
    target: &str,
    lines: Option<(i64, i64)>,
    message: String,
    package: Option<LogicalLocation>,
) -> Location {
    let (start, end) = match lines {
        Some((s, e)) if s > 0 => (s, e.max(s)),
        _ => (1, 1),
    };
    let mut logical = vec![
        LogicalLocation::builder()
            .name(target.to_string())
            .kind("resource")
            .build(),
    ];
    logical.extend(package);
    let uri = go_uri_string(uri);
    let mut loc = Location::builder()
        .message(Message::builder().text(message).build())
        .logical_locations(logical)
        .build();
    if !uri.is_empty() {
        loc.physical_location = Some(
            PhysicalLocation::builder()
                .artifact_location(ArtifactLocation::builder().uri(uri).build())
                .region(
                    Region::builder()
                        .start_line(start)
                        .end_line(end)
                        .start_column(1)
                        .end_column(1)
                        .build(),
                )
                .build(),
        );
    }
    loc
}

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder()
        .text(s.to_string())
        .build()
}

/// trivy pkg/report/sarif.go toSarifRuleName.
fn rule_name(class: &str) -> &'static str {
    match class {
        "os-pkgs" => "OsPackageVulnerability",
        "lang-pkgs" => "LanguageSpecificPackageVulnerability",
        "config" => "Misconfiguration",
        "secret" => "Secret",
        "license" | "license-file" => "License",
        _ => "UnknownIssue",
    }
}

/// trivy pkg/report/sarif.go toSarifErrorLevel.
fn level_word(sev: &str) -> &'static str {
    match sev {
        "CRITICAL" | "HIGH" => "error",
        "MEDIUM" => "warning",
        "LOW" | "UNKNOWN" => "note",
        _ => "none",
    }
}

fn level(sev: &str) -> ResultLevel {
    match level_word(sev) {
        "error" => ResultLevel::Error,
        "warning" => ResultLevel::Warning,
        "note" => ResultLevel::Note,
        _ => ResultLevel::None,
    }
}

/// trivy pkg/report/sarif.go severityToScore.
fn severity_to_score(sev: &str) -> &'static str {
    match sev {
        "CRITICAL" => "9.5",
        "HIGH" => "8.0",
        "MEDIUM" => "5.5",
        "LOW" => "2.0",
        _ => "0.0",
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Cvss {
    v2_vector: String,
    v3_vector: String,
    #[serde(rename = "V40Vector")]
    v40_vector: String,
    v2_score: f64,
    v3_score: f64,
    #[serde(rename = "V40Score")]
    v40_score: f64,
}

/// trivy pkg/report/sarif.go toCVSSData: the CVSS entry of the severity source gives the
/// properties and, when its V3 score is non-zero, the security-severity.
fn cvss_data(v: &Vulnerability<'_>) -> (BTreeMap<String, Value>, String) {
    let mut score = severity_to_score(v.effective_severity()).to_string();
    let mut props = BTreeMap::new();
    let (Some(raw), Some(src)) = (v.cvss, v.severity_source.as_deref()) else {
        return (props, score);
    };
    let Ok(map) = serde_json::from_str::<BTreeMap<String, Cvss>>(raw.get()) else {
        return (props, score);
    };
    if let Some(c) = map.get(src) {
        // toProperties skips empty strings and zero numbers.
        for (k, s) in [
            ("cvssv2_vector", &c.v2_vector),
            ("cvssv3_vector", &c.v3_vector),
            ("cvssv40_vector", &c.v40_vector),
        ] {
            if !s.is_empty() {
                props.insert(k.to_string(), json!(s));
            }
        }
        for (k, n) in [
            ("cvssv2_score", c.v2_score),
            ("cvssv3_baseScore", c.v3_score),
            ("cvssv40_baseScore", c.v40_score),
        ] {
            if n != 0.0 {
                props.insert(k.to_string(), json!(n));
            }
        }
        if c.v3_score != 0.0 {
            score = format!("{:.1}", c.v3_score);
        }
    }
    (props, score)
}

/// trivy pkg/report/sarif.go ToPathUri: non-OS targets are used as they are; an OS target
/// (`<artifact> (<family> <version>)`) loses the part in parentheses, and when the rest
/// parses as an image reference it becomes the repository path (`debian:12` →
/// `library/debian`, `ghcr.io/o/r:t` → `o/r`); then `clearURI`.
pub(crate) fn to_path_uri(input: &str, class: &str) -> String {
    if class != "os-pkgs" {
        return input.to_string();
    }
    let path = strip_os_suffix(input);
    let path = image_repository(path).unwrap_or_else(|| path.to_string());
    clear_uri(&path)
}

/// The `path` group of Trivy's `(?P<path>.+?)(?:\s*\((?:.*?)\).*?)?$`: the shortest
/// non-empty prefix followed by optional spaces, `(`, and a later `)`.
fn strip_os_suffix(input: &str) -> &str {
    let first_line = input.split('\n').next().unwrap_or_default();
    for (k, _) in first_line.char_indices().skip(1) {
        let rest = first_line[k..].trim_start();
        if let Some(after) = rest.strip_prefix('(')
            && after.contains(')')
        {
            return &first_line[..k];
        }
    }
    first_line
}

/// go-containerregistry `name.ParseReference(s).Context().RepositoryStr()` with its default
/// (weak) validation; `None` when `s` is not a reference.
fn image_repository(s: &str) -> Option<String> {
    // NewTag first, then NewDigest.
    let repo_part = match s.split_once('@') {
        Some((base, digest)) => {
            let hex = digest.strip_prefix("sha256:")?;
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            strip_tag(base)?
        }
        None => strip_tag(s)?,
    };
    let (registry, repo) = match repo_part.split_once('/') {
        Some((first, rest)) if first.contains('.') || first.contains(':') => (first, rest),
        _ => ("", repo_part),
    };
    const REPO_CHARS: &str = "abcdefghijklmnopqrstuvwxyz0123456789_-./";
    if repo.len() < 2 || repo.len() > 255 || !repo.chars().all(|c| REPO_CHARS.contains(c)) {
        return None;
    }
    let docker_hub =
        registry.is_empty() || registry == "index.docker.io" || registry == "docker.io";
    if docker_hub && !repo.contains('/') {
        Some(format!("library/{repo}"))
    } else {
        Some(repo.to_string())
    }
}

/// Split `name[:tag]` as go-containerregistry's NewTag does; `None` on an invalid tag.
fn strip_tag(s: &str) -> Option<&str> {
    match s.rsplit_once(':') {
        Some((base, tag)) if !tag.contains('/') => {
            let ok = !tag.is_empty()
                && tag.len() <= 128
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            ok.then_some(base)
        }
        _ => Some(s),
    }
}

/// Go's `url.Parse(s).String()` for the relative references Trivy writes (sarif.go `toUri`):
/// the path part is kept when it is validly encoded (`lib(2)/test`), otherwise it is
/// percent-encoded as Go's `escape(path, encodePath)` does (`OS Packages` → `OS%20Packages`);
/// a query or fragment is kept as it is.
pub(crate) fn go_uri_string(s: &str) -> String {
    let cut = s.find(['?', '#']).unwrap_or(s.len());
    let (path, rest) = s.split_at(cut);
    // net/url validEncoded(s, encodePath).
    let valid = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:@[]/%".contains(&b));
    if valid {
        return s.to_string();
    }
    let mut out = String::with_capacity(path.len() + 8);
    for b in path.bytes() {
        // net/url shouldEscape(b, encodePath).
        if b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str(rest);
    out
}

/// trivy pkg/report/sarif.go clearURI: backslashes to slashes and Terraform-style module
/// sources (`git::`, `git@github.com:`, `hg::`, `s3::`, `gcs::`) to plain URLs.
pub(crate) fn clear_uri(s: &str) -> String {
    let mut s = s.replace('\\', "/");
    if s.starts_with("git@github.com:") {
        s = s
            .replace("git@github.com:", "github.com/")
            .replace(".git", "")
            .replace("?ref=", "/tree/");
    } else if s.starts_with("git::https:/") && !s.starts_with("git::https://") {
        s = s["git::https:/".len()..].replace(".git", "");
    } else if s.starts_with("git::ssh://") {
        if let Some((_, u)) = s.split_once('@') {
            s = u.to_string();
        }
        s = s.replace(".git", "");
    } else if let Some(rest) = s.strip_prefix("git::") {
        s = rest.replace(".git", "");
    } else if let Some(rest) = s.strip_prefix("hg::") {
        s = rest.replace(".hg", "");
    } else if let Some(rest) = s.strip_prefix("s3::") {
        s = rest.to_string();
    } else if let Some(rest) = s.strip_prefix("gcs::") {
        s = rest.to_string();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    // trivy pkg/report/sarif_test.go TestToPathUri, plus the goldens' and the reference pipeline's OS targets.
    #[test]
    fn to_path_uri_cases() {
        for (input, class, want) in [
            (
                "almalinux@sha256:08042694fffd61e6a0b3a22dadba207c8937977915ff6b1879ad744fd6638837",
                "os-pkgs",
                "library/almalinux",
            ),
            ("alpine:latest (alpine 3.13.4)", "os-pkgs", "library/alpine"),
            (
                "docker.io/my-organization/my-app:2c6912aee7bde44b84d810aed106ca84f40e2e29",
                "os-pkgs",
                "my-organization/my-app",
            ),
            ("lib/test", "lang-pkgs", "lib/test"),
            ("lib(2)/test", "secret", "lib(2)/test"),
            (
                "testdata/fixtures/images/debian-buster.tar.gz (debian 10.1)",
                "os-pkgs",
                "testdata/fixtures/images/debian-buster.tar.gz",
            ),
            (
                "ghcr.io/owner/repo:pr-12 (debian 12.5)",
                "os-pkgs",
                "owner/repo",
            ),
            // Upper case is not a valid repository: the path stays as it is.
            (
                "ghcr.io/OWNER/REPO:pr-12 (debian 12.5)",
                "os-pkgs",
                "ghcr.io/OWNER/REPO:pr-12",
            ),
        ] {
            assert_eq!(to_path_uri(input, class), want, "{input}");
        }
    }

    // trivy pkg/report/sarif_test.go Test_clearURI.
    #[test]
    fn clear_uri_cases() {
        for (input, want) in [
            (
                "bitbucket.org/hashicorp/terraform-consul-aws",
                "bitbucket.org/hashicorp/terraform-consul-aws",
            ),
            (
                "git@github.com:terraform-aws-modules/terraform-aws-s3-bucket.git?ref=v4.2.0/main.tf",
                "github.com/terraform-aws-modules/terraform-aws-s3-bucket/tree/v4.2.0/main.tf",
            ),
            (
                "git::https://example.com/storage.git?ref=51d462976d84fdea54b47d80dcabbf680badcdb8",
                "https://example.com/storage?ref=51d462976d84fdea54b47d80dcabbf680badcdb8",
            ),
            (
                "git::ssh://username@example.com/storage.git",
                "example.com/storage",
            ),
            (
                "hg::http://example.com/vpc.hg?ref=v1.2.0",
                "http://example.com/vpc?ref=v1.2.0",
            ),
            (
                "s3::https://s3-eu-west-1.amazonaws.com/examplecorp-terraform-modules/vpc.zip",
                "https://s3-eu-west-1.amazonaws.com/examplecorp-terraform-modules/vpc.zip",
            ),
            (
                "gcs::https://www.googleapis.com/storage/v1/modules/foomodule.zip",
                "https://www.googleapis.com/storage/v1/modules/foomodule.zip",
            ),
            ("foo\\bar", "foo/bar"),
        ] {
            assert_eq!(clear_uri(input), want, "{input}");
        }
    }

    #[test]
    fn uris_are_escaped_like_go() {
        assert_eq!(go_uri_string("OS Packages"), "OS%20Packages");
        assert_eq!(go_uri_string("lib(2)/test"), "lib(2)/test");
        assert_eq!(go_uri_string("app/Cargo.lock"), "app/Cargo.lock");
        assert_eq!(go_uri_string("a b(c)/d"), "a%20b%28c%29/d");
        assert_eq!(go_uri_string("é"), "%C3%A9");
    }

    #[test]
    fn levels_and_scores_follow_trivy() {
        assert_eq!(level_word("CRITICAL"), "error");
        assert_eq!(level_word("HIGH"), "error");
        assert_eq!(level_word("MEDIUM"), "warning");
        assert_eq!(level_word("LOW"), "note");
        assert_eq!(level_word("UNKNOWN"), "note");
        assert_eq!(severity_to_score("CRITICAL"), "9.5");
        assert_eq!(severity_to_score("HIGH"), "8.0");
        assert_eq!(severity_to_score("whatever"), "0.0");
        let v: Vulnerability = serde_json::from_str(
            r#"{"Severity":"HIGH","SeveritySource":"nvd","CVSS":{"nvd":{"V3Score":7.8,"V3Vector":"CVSS:3.1/AV:L"},"redhat":{"V3Score":5.0}}}"#,
        )
        .unwrap();
        let (props, score) = cvss_data(&v);
        assert_eq!(score, "7.8");
        assert_eq!(props["cvssv3_baseScore"], json!(7.8));
        assert!(!props.contains_key("cvssv2_score"));
        let v: Vulnerability = serde_json::from_str(
            r#"{"Severity":"LOW","SeveritySource":"debian","CVSS":{"nvd":{"V3Score":7.8}}}"#,
        )
        .unwrap();
        assert_eq!(cvss_data(&v).1, "2.0");
    }
}
