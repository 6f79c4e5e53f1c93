//! `vex add`: append one correct OpenVEX statement for a CVE found in a Trivy report.
//!
//! This replaces the original `create_vex.sh` and fixes each of its faults:
//! history is appended, never replaced; the document `version` goes up by one and
//! `last_updated` is set; the new statement carries its own timestamp and untouched
//! statements get the inherited one pinned (as vexctl `add` does); the comment goes
//! to the field the spec names for the status; status and justification are validated;
//! the image product is built the way Trivy computes it; subcomponents
//! drop the `distro` qualifier; the write is locked and atomic ([`super::write`]).
//!
//! The existing document is edited as JSON (`serde_json` with `preserve_order`), so unknown
//! fields, key order and the order of existing statements survive byte-for-byte apart from
//! the pinned timestamps, `last_updated` and `version`. New content is written in the
//! spec examples' key order, 2-space indent, trailing newline.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::purl::{self, Purl};
use crate::vex::model::{self, CONTEXT_V020, Flavor, JUSTIFICATIONS, Status};

/// Which products the statement names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// The image (`pkg:oci/…?repository_url=…`) with the package PURLs as subcomponents.
    #[default]
    Image,
    /// The package PURLs themselves as products: works for unpushed images and any scanner.
    Package,
}

/// How much of a package PURL a subcomponent (or package product) keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PurlDetail {
    /// Name, version and the `epoch` qualifier; `distro`, `arch` and the rest dropped, so a
    /// base-image point release (debian-12.8 → 12.9) does not break the match.
    #[default]
    Default,
    /// Every qualifier as Trivy reported it.
    Exact,
    /// Name only: any version matches.
    Versionless,
}

/// Everything `vex add` needs; the CLI fills it.
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    pub vuln: String,
    pub image_repo: Option<String>,
    pub trivy_json: Option<PathBuf>,
    pub status: String,
    pub justification: Option<String>,
    pub comment: Option<String>,
    pub out: PathBuf,
    pub author: Option<String>,
    pub vex_id: Option<String>,
    pub impact_statement: Option<String>,
    pub action_statement: Option<String>,
    pub status_notes: Option<String>,
    pub products: Vec<String>,
    pub scope: Scope,
    pub detail: PurlDetail,
    /// Also name the image the way grype and Docker Scout look for it (OpenVEX spec v0.2.0).
    pub compat: bool,
    pub dry_run: bool,
}

/// What `vex add` did, for the CLI to print.
#[derive(Debug, Clone, Default)]
pub struct AddOutcome {
    /// Human notes (what matched, the products, warnings), one line each.
    pub notes: Vec<String>,
    /// Warnings, one line each.
    pub warnings: Vec<String>,
    /// The file changed (or would change, with `--dry-run`).
    pub changed: bool,
    /// Unified diff old → new (always computed; printed with `--dry-run`).
    pub diff: String,
    /// The document version after the change.
    pub version: u64,
    pub statements: usize,
}

// ---------------------------------------------------------------------------------------
// Time

/// "Now" for timestamps: `SOURCE_DATE_EPOCH` (Unix seconds or RFC 3339, as vexctl's
/// `vex.DateFromEnv` accepts) when set, else the clock.
pub fn now() -> Result<Timestamp> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => {
            let v = v.trim();
            if let Ok(secs) = v.parse::<i64>() {
                return Timestamp::from_second(secs)
                    .map_err(|e| Error::usage(format!("SOURCE_DATE_EPOCH={v}: {e}")));
            }
            parse_timestamp(v).ok_or_else(|| {
                Error::usage(format!(
                    "SOURCE_DATE_EPOCH={v:?} is neither Unix seconds nor an RFC 3339 time"
                ))
            })
        }
        _ => Ok(Timestamp::now()),
    }
}

/// Parse an RFC 3339 timestamp with any offset (`Z`, `-06:00`, fractional seconds).
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    s.trim().parse::<Timestamp>().ok()
}

/// UTC RFC 3339, fractional seconds only when non-zero (go-vex writes UTC).
pub fn format_timestamp(t: Timestamp) -> String {
    t.to_string()
}

// ---------------------------------------------------------------------------------------
// Statement fields

/// The status-dependent fields after validation and comment placement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusFields {
    pub status: String,
    pub justification: Option<String>,
    pub impact_statement: Option<String>,
    pub action_statement: Option<String>,
    pub status_notes: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Validate status and justification and place the comment where the spec says
/// (OPENVEX-SPEC.md "Statement Fields"; go-vex `Statement.Validate`): `impact_statement` for
/// not_affected, `action_statement` for affected, `status_notes` otherwise. not_affected
/// needs a justification or an impact statement; affected needs an action statement; a
/// justification or impact statement on another status, or an action statement on a
/// status other than affected, is refused.
pub fn status_fields(o: &AddOptions) -> Result<StatusFields> {
    let status = o.status.trim();
    if !Status::parse(status).is_spec() {
        return Err(Error::usage(format!(
            "--status {status:?} is not an OpenVEX status (one of: {})",
            Status::spec_names()
        )));
    }
    let justification = nonempty(&o.justification);
    if let Some(j) = &justification {
        if !JUSTIFICATIONS.contains(&j.as_str()) {
            return Err(Error::usage(format!(
                "--justification {j:?} is not an OpenVEX justification (one of: {})",
                JUSTIFICATIONS.join(", ")
            )));
        }
        if status != "not_affected" {
            return Err(Error::usage(format!(
                "--justification is only allowed with --status not_affected, not {status} \
                 (use --comment or --status-notes to explain)"
            )));
        }
    }
    let comment = nonempty(&o.comment);
    let mut f = StatusFields {
        status: status.to_string(),
        justification,
        impact_statement: nonempty(&o.impact_statement),
        action_statement: nonempty(&o.action_statement),
        status_notes: nonempty(&o.status_notes),
    };
    let slot = match status {
        "not_affected" => (&mut f.impact_statement, "--impact-statement"),
        "affected" => (&mut f.action_statement, "--action-statement"),
        _ => (&mut f.status_notes, "--status-notes"),
    };
    if let Some(c) = comment {
        if slot.0.is_some() {
            return Err(Error::usage(format!(
                "--comment goes to the same field as {} for status {status}; give only one",
                slot.1
            )));
        }
        *slot.0 = Some(c);
    }
    if f.impact_statement.is_some() && status != "not_affected" {
        return Err(Error::usage(format!(
            "--impact-statement is only allowed with --status not_affected, not {status}"
        )));
    }
    if f.action_statement.is_some() && status != "affected" {
        return Err(Error::usage(format!(
            "--action-statement is only allowed with --status affected, not {status}"
        )));
    }
    if status == "not_affected" && f.justification.is_none() && f.impact_statement.is_none() {
        return Err(Error::usage(
            "--status not_affected needs --justification (one of the five labels) or an impact \
             statement (--comment or --impact-statement)",
        ));
    }
    if status == "affected" && f.action_statement.is_none() {
        return Err(Error::usage(
            "--status affected needs an action statement (--comment or --action-statement): \
             what users should do",
        ));
    }
    Ok(f)
}

// ---------------------------------------------------------------------------------------
// Findings in the Trivy report

/// Where a finding's ID matched the requested ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchedBy {
    VulnerabilityId,
    VendorIds,
    Aliases,
}

impl MatchedBy {
    pub fn field(self) -> &'static str {
        match self {
            MatchedBy::VulnerabilityId => "VulnerabilityID",
            MatchedBy::VendorIds => "VendorIDs",
            MatchedBy::Aliases => "Aliases",
        }
    }
}

/// One finding for the requested ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub vulnerability_id: String,
    pub purl: Option<String>,
    pub pkg_id: String,
    pub matched_by: MatchedBy,
    /// Found under `ExperimentalModifiedFindings` (already suppressed by VEX or an ignore).
    pub suppressed: bool,
}

/// What `vex add` reads from a report.
#[derive(Debug, Clone, Default)]
pub struct ReportFacts {
    pub findings: Vec<Finding>,
    pub repo_digests: Vec<String>,
    pub repo_tags: Vec<String>,
    pub artifact_type: String,
    pub artifact_name: String,
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn finding_from(v: &Value, id: &str, suppressed: bool) -> Option<Finding> {
    let vid = v
        .get("VulnerabilityID")
        .and_then(Value::as_str)
        .unwrap_or("");
    let matched_by = if vid == id {
        MatchedBy::VulnerabilityId
    } else if str_list(v.get("VendorIDs")).iter().any(|x| x == id) {
        MatchedBy::VendorIds
    } else if str_list(v.get("Aliases")).iter().any(|x| x == id) {
        MatchedBy::Aliases
    } else {
        return None;
    };
    let purl = v
        .pointer("/PkgIdentifier/PURL")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Some(Finding {
        vulnerability_id: vid.to_string(),
        purl,
        pkg_id: v
            .get("PkgID")
            .or_else(|| v.get("PkgName"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        matched_by,
        suppressed,
    })
}

/// Every finding for `id` in a Trivy report: `Results[].Vulnerabilities[]` and the
/// suppressed `Results[].ExperimentalModifiedFindings[].Finding` (a report written with
/// `--show-suppressed` after VEX was applied), matching `VulnerabilityID`, `VendorIDs` and
/// `Aliases` (when the report has them).
pub fn read_report(path: &Path, id: &str) -> Result<ReportFacts> {
    let file = crate::report::ReportFile::read(path)?;
    // The typed parse checks that this is a SchemaVersion 2 Trivy report.
    file.parse()?;
    let root: Value = serde_json::from_str(&file.text).map_err(|e| Error::json(path, &e))?;
    let mut facts = ReportFacts {
        repo_digests: str_list(root.pointer("/Metadata/RepoDigests")),
        repo_tags: str_list(root.pointer("/Metadata/RepoTags")),
        artifact_type: root
            .get("ArtifactType")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        artifact_name: root
            .get("ArtifactName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        findings: Vec::new(),
    };
    for r in root
        .get("Results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for v in r
            .get("Vulnerabilities")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            facts.findings.extend(finding_from(v, id, false));
        }
        for m in r
            .get("ExperimentalModifiedFindings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if m.get("Type").and_then(Value::as_str) == Some("vulnerability")
                && let Some(f) = m.get("Finding")
            {
                facts.findings.extend(finding_from(f, id, true));
            }
        }
    }
    Ok(facts)
}

/// IDs in the report that equal `id` ignoring case (for a "did you mean" hint).
fn case_insensitive_hits(path: &Path, id: &str) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let Ok(root) = serde_json::from_str::<Value>(&text) else {
        return Vec::new();
    };
    let mut out = BTreeSet::new();
    for r in root
        .get("Results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for v in r
            .get("Vulnerabilities")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mut ids = str_list(v.get("VendorIDs"));
            ids.extend(str_list(v.get("Aliases")));
            ids.extend(
                v.get("VulnerabilityID")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            );
            out.extend(ids.into_iter().filter(|x| x.eq_ignore_ascii_case(id)));
        }
    }
    out.into_iter().collect()
}

// ---------------------------------------------------------------------------------------
// PURLs and products

/// Normalise a package PURL for a statement ([`PurlDetail`]).
pub fn normalize_package_purl(p: &str, detail: PurlDetail) -> std::result::Result<String, String> {
    let mut purl = Purl::parse(p).map_err(|e| format!("{p:?} is not a valid PURL: {e}"))?;
    match detail {
        PurlDetail::Exact => {}
        PurlDetail::Default => {
            purl.qualifiers.retain(|k, _| k == "epoch");
            purl.subpath.clear();
        }
        PurlDetail::Versionless => {
            purl.qualifiers.clear();
            purl.version.clear();
            purl.subpath.clear();
        }
    }
    Ok(purl.to_purl_string())
}

/// `--image-repo` with a tag or digest stripped (returned separately, for a warning).
fn split_image_repo(image_repo: &str) -> (String, Option<String>, Option<String>) {
    let mut s = image_repo.trim().to_string();
    let mut digest = None;
    if let Some(i) = s.find('@') {
        digest = Some(s[i + 1..].to_string());
        s.truncate(i);
    }
    let mut tag = None;
    let last_slash = s.rfind('/').map_or(0, |i| i + 1);
    if let Some(i) = s[last_slash..].rfind(':') {
        let i = last_slash + i;
        tag = Some(s[i + 1..].to_string());
        s.truncate(i);
    }
    (s, tag, digest)
}

/// The image products for `--image-repo` (Trivy 0.76 `pkg/purl/purl.go`
/// parseOCI): `pkg:oci/<last segment, lowercased>?repository_url=<registry>/<path>` with
/// Docker Hub normalised to `index.docker.io[/library]`. No digest and no `arch`, so the
/// statement holds for every build and platform of the repository.
/// With `compat`, also the forms other scanners look for: a bare `pkg:oci/<name>` (grype before
/// anchore/grype#3659) and `pkg:docker/<namespace>/<name>@<tag>` (Docker Scout) when a tag
/// is known.
pub fn image_products(
    image_repo: &str,
    report_tags: &[String],
    compat: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>> {
    let (repo, tag, digest) = split_image_repo(image_repo);
    if tag.is_some() || digest.is_some() {
        warnings.push(format!(
            "--image-repo {image_repo:?}: the {} was stripped; the statement names the repository \
             {repo:?} (every tag and digest), which is what Trivy matches",
            match (&tag, &digest) {
                (Some(_), Some(_)) => "tag and digest",
                (Some(_), None) => "tag",
                _ => "digest",
            }
        ));
    }
    if repo != repo.to_lowercase() {
        warnings.push(format!(
            "--image-repo {repo:?} lowercased: registries and Trivy's image PURL use lowercase names"
        ));
    }
    let p = purl::oci_purl_from_image_repo(&repo, None).map_err(Error::usage)?;
    let mut out = vec![p.to_purl_string()];
    if compat {
        let bare = Purl {
            qualifiers: Default::default(),
            ..p.clone()
        };
        out.push(bare.to_purl_string());
        let parsed = purl::ImageRepo::parse(&repo.to_lowercase()).map_err(Error::usage)?;
        let tag = tag.or_else(|| {
            report_tags.iter().find_map(|t| {
                let (r, tg, _) = split_image_repo(t);
                let same = purl::ImageRepo::parse(&r.to_lowercase())
                    .map(|x| x.name() == parsed.name())
                    .unwrap_or(false);
                if same { tg } else { None }
            })
        });
        match tag {
            Some(tag) => {
                let name = parsed.purl_name();
                let ns = parsed
                    .repository
                    .rsplit_once('/')
                    .map(|(ns, _)| ns.to_string())
                    .unwrap_or_default();
                let mut d = Purl {
                    ty: "docker".into(),
                    namespace: ns,
                    name,
                    version: tag,
                    qualifiers: Default::default(),
                    subpath: String::new(),
                };
                if parsed.registry != purl::DOCKER_HUB {
                    d.qualifiers
                        .insert("repository_url".into(), parsed.registry.clone());
                }
                out.push(d.to_purl_string());
            }
            None => warnings.push(
                "--compat: no tag known (none in --image-repo or the report's RepoTags), so no \
                 pkg:docker product for Docker Scout was added"
                    .to_string(),
            ),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// JSON helpers

fn obj() -> Map<String, Value> {
    Map::new()
}

/// Insert `key` right after `after` (or at the end), keeping every other key in place.
fn insert_after(m: &mut Map<String, Value>, after: &[&str], key: &str, value: Value) {
    if m.contains_key(key) {
        m.insert(key.to_string(), value);
        return;
    }
    let pos = m
        .keys()
        .enumerate()
        .filter(|(_, k)| after.contains(&k.as_str()))
        .map(|(i, _)| i + 1)
        .max();
    match pos {
        Some(pos) if pos < m.len() => {
            let old = std::mem::take(m);
            for (i, (k, v)) in old.into_iter().enumerate() {
                if i == pos {
                    m.insert(key.to_string(), value.clone());
                }
                m.insert(k, v);
            }
        }
        _ => {
            m.insert(key.to_string(), value);
        }
    }
}

/// 2-space indent, no HTML escaping, trailing newline.
pub fn to_pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// The statement's content without its time fields (for "identical statement" checks).
fn content_of(st: &Value) -> Value {
    let mut v = st.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("timestamp");
        m.remove("last_updated");
        m.remove("action_statement_timestamp");
    }
    v
}

// ---------------------------------------------------------------------------------------
// The edit

/// A statement built from the options, before it is timed.
#[derive(Debug, Clone)]
pub struct NewStatement {
    pub vulnerability: Value,
    pub products: Value,
    pub fields: StatusFields,
}

impl NewStatement {
    fn to_value(&self, t: &str) -> Value {
        let mut m = obj();
        m.insert("vulnerability".into(), self.vulnerability.clone());
        m.insert("timestamp".into(), Value::String(t.to_string()));
        m.insert("products".into(), self.products.clone());
        m.insert("status".into(), Value::String(self.fields.status.clone()));
        for (k, v) in [
            ("status_notes", &self.fields.status_notes),
            ("justification", &self.fields.justification),
            ("impact_statement", &self.fields.impact_statement),
            ("action_statement", &self.fields.action_statement),
        ] {
            if let Some(v) = v {
                m.insert(k.into(), Value::String(v.clone()));
            }
        }
        if self.fields.action_statement.is_some() {
            m.insert(
                "action_statement_timestamp".into(),
                Value::String(t.to_string()),
            );
        }
        Value::Object(m)
    }
}

/// The Trivy report `vex add` reads: `--trivy-json`, else `trivy.json` unless products are
/// given explicitly.
fn report_path(o: &AddOptions) -> Option<PathBuf> {
    match (&o.trivy_json, o.products.is_empty()) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => Some(PathBuf::from("trivy.json")),
        (None, false) => None,
    }
}

/// Build the statement (products, subcomponents, vulnerability) from the options and the
/// report. Notes and warnings are appended.
pub fn build_statement(
    o: &AddOptions,
    notes: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<NewStatement> {
    let fields = status_fields(o)?;
    let vuln = o.vuln.trim();
    if vuln.is_empty() {
        return Err(Error::usage(
            "the vulnerability ID (e.g. CVE-2025-64756) is empty",
        ));
    }
    if o.scope == Scope::Package && !o.products.is_empty() {
        return Err(Error::usage(
            "--scope package takes its products from the report; do not combine it with --product",
        ));
    }
    let report = report_path(o);

    // Findings → subcomponent PURLs.
    let mut aliases = BTreeSet::new();
    let mut sub_purls = BTreeSet::new();
    let mut facts = ReportFacts::default();
    if let Some(rp) = &report {
        facts = read_report(rp, vuln)?;
        if facts.findings.is_empty() {
            let hint = case_insensitive_hits(rp, vuln);
            let hint = if hint.is_empty() {
                String::new()
            } else {
                format!(
                    " (IDs are case-sensitive; the report has {})",
                    hint.join(", ")
                )
            };
            return Err(Error::input(
                rp,
                format!(
                    "{vuln} is not in this report (looked at VulnerabilityID, VendorIDs and Aliases \
                     of Vulnerabilities and ExperimentalModifiedFindings){hint}"
                ),
            ));
        }
        let mut by: BTreeSet<MatchedBy> = BTreeSet::new();
        let mut no_purl = Vec::new();
        let n_suppressed = facts.findings.iter().filter(|f| f.suppressed).count();
        for f in &facts.findings {
            by.insert(f.matched_by);
            if f.vulnerability_id != vuln && !f.vulnerability_id.is_empty() {
                aliases.insert(f.vulnerability_id.clone());
            }
            match &f.purl {
                Some(p) => {
                    let n = normalize_package_purl(p, o.detail)
                        .map_err(|e| Error::input(rp, format!("{vuln}: {e}")))?;
                    sub_purls.insert(n);
                }
                None => no_purl.push(f.pkg_id.clone()),
            }
        }
        let by: Vec<_> = by.iter().map(|b| b.field()).collect();
        notes.push(format!(
            "{vuln}: {} finding(s) in {} matched by {}{}",
            facts.findings.len(),
            rp.display(),
            by.join(", "),
            if n_suppressed > 0 {
                format!(" ({n_suppressed} of them already suppressed, from ExperimentalModifiedFindings)")
            } else {
                String::new()
            }
        ));
        if !aliases.is_empty() {
            notes.push(format!(
                "{vuln}: Trivy reports it as {}; added as vulnerability aliases so Trivy matches",
                aliases.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        if !no_purl.is_empty() {
            warnings.push(format!(
                "{vuln}: {} finding(s) have no PURL and cannot be named in VEX: {}",
                no_purl.len(),
                no_purl.join(", ")
            ));
        }
        if sub_purls.is_empty() {
            return Err(Error::input(
                rp,
                format!(
                    "{vuln}: no finding has a package PURL (PkgIdentifier.PURL), so no statement can name it"
                ),
            ));
        }
    }

    // Products.
    let subs: Vec<Value> = sub_purls
        .iter()
        .map(|p| {
            let mut m = obj();
            m.insert("@id".into(), Value::String(p.clone()));
            Value::Object(m)
        })
        .collect();
    let mut product_ids: Vec<String> = Vec::new();
    let mut with_subs = true;
    match o.scope {
        Scope::Package => {
            if report.is_none() {
                return Err(Error::usage("--scope package needs --trivy-json"));
            }
            product_ids.extend(sub_purls.iter().cloned());
            with_subs = false;
            if o.compat {
                warnings.push(
                    "--compat has no effect with --scope package: package products already work \
                     in Trivy and grype"
                        .into(),
                );
            }
        }
        Scope::Image => {
            match &o.image_repo {
                Some(r) if !r.trim().is_empty() => {
                    product_ids.extend(image_products(r, &facts.repo_tags, o.compat, warnings)?);
                    cross_check_image(r, &facts, warnings);
                }
                _ if o.products.is_empty() => {
                    return Err(Error::usage(
                        "--image-repo is required (e.g. ghcr.io/OWNER/REPO), unless you give \
                         --scope package or --product",
                    ));
                }
                _ => {}
            }
            for p in &o.products {
                let p = p.trim();
                if p.starts_with("pkg:") {
                    Purl::parse(p).map_err(|e| {
                        Error::usage(format!("--product {p:?} is not a valid PURL: {e}"))
                    })?;
                } else if !p.contains(':') {
                    return Err(Error::usage(format!(
                        "--product {p:?} is neither a PURL (pkg:…) nor an IRI"
                    )));
                }
                product_ids.push(p.to_string());
            }
        }
    }
    let mut seen = BTreeSet::new();
    product_ids.retain(|p| seen.insert(p.clone()));
    let products: Vec<Value> = product_ids
        .iter()
        .map(|id| {
            let mut m = obj();
            m.insert("@id".into(), Value::String(id.clone()));
            if with_subs && !subs.is_empty() {
                m.insert("subcomponents".into(), Value::Array(subs.clone()));
            }
            Value::Object(m)
        })
        .collect();
    notes.push(format!("products: {}", product_ids.join(", ")));
    if with_subs && !subs.is_empty() {
        notes.push(format!(
            "subcomponents: {}",
            sub_purls.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }

    let mut v = obj();
    v.insert("name".into(), Value::String(vuln.to_string()));
    if !aliases.is_empty() {
        v.insert(
            "aliases".into(),
            Value::Array(aliases.into_iter().map(Value::String).collect()),
        );
    }
    Ok(NewStatement {
        vulnerability: Value::Object(v),
        products: Value::Array(products),
        fields,
    })
}

/// Warn when the report's image is not the `--image-repo` repository, or has no
/// RepoDigests (then Trivy builds no image PURL and image-scoped statements never apply).
fn cross_check_image(image_repo: &str, facts: &ReportFacts, warnings: &mut Vec<String>) {
    if facts.artifact_type.is_empty() {
        return;
    }
    if facts.artifact_type != "container_image" {
        warnings.push(format!(
            "the report's ArtifactType is {:?}, not container_image: an image product will not \
             match it; consider --scope package",
            facts.artifact_type
        ));
        return;
    }
    let Some(first) = facts.repo_digests.first() else {
        warnings.push(format!(
            "the report ({}) has no RepoDigests (a local or tar-scanned image): Trivy builds no \
             image PURL for it, so this image-scoped statement only applies to scans of the \
             pushed image; use --scope package for local scans",
            facts.artifact_name
        ));
        return;
    };
    let (repo, _, _) = split_image_repo(image_repo);
    let ours = purl::ImageRepo::parse(&repo.to_lowercase()).map(|r| r.name());
    match (purl::parse_repo_digest(first), ours) {
        (Ok((theirs, _)), Ok(ours)) if theirs.name() != ours => warnings.push(format!(
            "the report's image is {} (RepoDigests[0]), not {ours}: the statement will not match \
             this report",
            theirs.name()
        )),
        _ => {}
    }
}

/// The statement index of the latest existing statement with the same vulnerability name
/// and the same products (effective timestamp, then document order).
fn latest_same_subject(
    statements: &[Value],
    doc_ts: Option<Timestamp>,
    new: &Value,
) -> Option<usize> {
    let name = new.pointer("/vulnerability/name");
    let products = new.get("products");
    statements
        .iter()
        .enumerate()
        .filter(|(_, s)| s.pointer("/vulnerability/name") == name && s.get("products") == products)
        .max_by_key(|(i, s)| {
            let ts = s
                .get("timestamp")
                .and_then(Value::as_str)
                .and_then(parse_timestamp)
                .or(doc_ts);
            (ts, *i)
        })
        .map(|(i, _)| i)
}

/// Apply the statement to the existing document text (or create a new document) at time
/// `t`. Returns the new text (`None`: nothing changes) and the outcome.
pub fn apply_to_document(
    o: &AddOptions,
    existing: Option<&str>,
    new: &NewStatement,
    t: Timestamp,
    out: &mut AddOutcome,
) -> Result<Option<String>> {
    let path = o.out.as_path();
    let ts = format_timestamp(t);
    let statement = new.to_value(&ts);
    let Some(text) = existing else {
        let mut doc = obj();
        doc.insert("@context".into(), Value::String(CONTEXT_V020.into()));
        let id = match nonempty(&o.vex_id) {
            Some(id) => id,
            None => format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        };
        doc.insert("@id".into(), Value::String(id));
        doc.insert("author".into(), Value::String(default_author(o)));
        doc.insert("timestamp".into(), Value::String(ts.clone()));
        doc.insert("version".into(), Value::from(1u64));
        doc.insert(
            "tooling".into(),
            Value::String(format!("vexgate {}", env!("CARGO_PKG_VERSION"))),
        );
        doc.insert("statements".into(), Value::Array(vec![statement]));
        out.version = 1;
        out.statements = 1;
        out.changed = true;
        out.notes.push(format!("{}: new document", path.display()));
        return Ok(Some(to_pretty(&Value::Object(doc))));
    };

    let bad = |msg: String| Error::input(path, format!("{msg}; not modified"));
    let root: Value = serde_json::from_str(text).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "truncated JSON",
            _ => "invalid JSON",
        };
        bad(format!("existing VEX file is {what}: {e}"))
    })?;
    let Value::Object(mut doc) = root else {
        return Err(bad("existing VEX file is JSON but not an object".into()));
    };
    match doc.get("@context") {
        Some(Value::String(s)) if !s.is_empty() => {}
        _ => {
            return Err(bad(
                "existing file has no @context: not an OpenVEX document".into(),
            ));
        }
    }
    let parsed = model::document_from_value(doc.clone()).map_err(|e| {
        bad(format!(
            "existing file is not a readable OpenVEX document: {e}"
        ))
    })?;
    let trivy_refuses = !crate::vex::decode::refusals(&Value::Object(doc.clone()))
        .0
        .is_empty();
    if model::flavor_of(&parsed.context) == Some(Flavor::Legacy) || trivy_refuses {
        // Upgrade the legacy v0.0.1 shape (go-vex parse001), as vexctl does on write; also
        // v0.0.1 shapes under the v0.2.0 context, which Trivy refuses as they are.
        let Value::Object(m) = serde_json::to_value(&parsed)
            .map_err(|e| bad(format!("cannot convert the legacy document: {e}")))?
        else {
            return Err(bad("cannot convert the legacy document".into()));
        };
        doc = m;
        doc.insert("@context".into(), Value::String(CONTEXT_V020.into()));
        out.warnings.push(format!(
            "{}: legacy OpenVEX (@context {}) upgraded to v0.2.0",
            path.display(),
            parsed.context
        ));
    }
    if !matches!(doc.get("statements"), Some(Value::Array(_))) {
        doc.insert("statements".into(), Value::Array(Vec::new()));
    }

    // Times must not go backwards (vexctl add: "date cannot be older than document's timestamp").
    let time_of = |v: Option<&Value>, what: &str| -> Result<Option<Timestamp>> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => parse_timestamp(s)
                .map(Some)
                .ok_or_else(|| bad(format!("{what} {s:?} is not an RFC 3339 time"))),
            Some(_) => Err(bad(format!("{what} is not a string"))),
        }
    };
    let doc_ts = time_of(doc.get("timestamp"), "timestamp")?;
    let doc_lu = time_of(doc.get("last_updated"), "last_updated")?;
    let later = |x: Option<Timestamp>, what: String| -> Result<()> {
        match x {
            Some(x) if x > t => Err(bad(format!(
                "{what} ({x}) is later than now ({t}); check the clock or SOURCE_DATE_EPOCH"
            ))),
            _ => Ok(()),
        }
    };
    later(doc_ts, "the document timestamp".into())?;
    later(doc_lu, "the document last_updated".into())?;
    let statements = doc
        .get("statements")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, s) in statements.iter().enumerate() {
        later(
            time_of(s.get("timestamp"), &format!("statements[{i}].timestamp"))?,
            format!("statements[{i}].timestamp"),
        )?;
        later(
            time_of(
                s.get("last_updated"),
                &format!("statements[{i}].last_updated"),
            )?,
            format!("statements[{i}].last_updated"),
        )?;
    }

    let old_version = doc.get("version").and_then(Value::as_u64).unwrap_or(0);
    out.statements = statements.len();
    out.version = old_version;

    // Adding the same statement again changes nothing (not even the version).
    if let Some(i) = latest_same_subject(&statements, doc_ts, &statement)
        && content_of(&statements[i]) == content_of(&statement)
    {
        out.notes.push(format!(
            "{}: identical to statements[{i}], the latest for this vulnerability and these products; nothing changed",
            path.display()
        ));
        return Ok(None);
    }

    // Pin the inherited timestamp into untouched statements (spec "Updating Statements with
    // Inherited Data"; vexctl add.go).
    let inherited = doc_lu.or(doc_ts);
    let mut pinned = 0;
    let mut statements = statements;
    if let Some(inh) = &inherited {
        let inh_text = doc
            .get("last_updated")
            .or_else(|| doc.get("timestamp"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format_timestamp(*inh));
        for s in statements.iter_mut() {
            if let Value::Object(m) = s {
                let has = matches!(m.get("timestamp"), Some(Value::String(x)) if !x.is_empty());
                if !has {
                    insert_after(
                        m,
                        &["@id", "version", "vulnerability"],
                        "timestamp",
                        Value::String(inh_text.clone()),
                    );
                    pinned += 1;
                }
            }
        }
    } else if statements.iter().any(|s| s.get("timestamp").is_none()) {
        out.warnings.push(format!(
            "{}: the document has no timestamp, so statements without one cannot be pinned",
            path.display()
        ));
    }
    if pinned > 0 {
        out.notes.push(format!(
            "pinned the inherited timestamp into {pinned} existing statement(s)"
        ));
    }
    statements.push(statement);
    out.statements = statements.len();
    doc.insert("statements".into(), Value::Array(statements));

    if doc_ts.is_none() {
        insert_after(
            &mut doc,
            &["@context", "@id", "author", "role"],
            "timestamp",
            Value::String(ts.clone()),
        );
    }
    insert_after(
        &mut doc,
        &["timestamp"],
        "last_updated",
        Value::String(ts.clone()),
    );
    let version = old_version + 1;
    insert_after(
        &mut doc,
        &["timestamp", "last_updated"],
        "version",
        Value::from(version),
    );
    out.version = version;

    if !matches!(doc.get("@id"), Some(Value::String(s)) if !s.is_empty()) {
        let id =
            nonempty(&o.vex_id).unwrap_or_else(|| format!("urn:uuid:{}", uuid::Uuid::new_v4()));
        insert_after(&mut doc, &["@context"], "@id", Value::String(id.clone()));
        out.notes
            .push(format!("the document had no @id; set it to {id}"));
    } else if let Some(id) = nonempty(&o.vex_id)
        && doc.get("@id").and_then(Value::as_str) != Some(id.as_str())
    {
        out.warnings.push(format!(
            "--vex-id {id:?} ignored: the document already has @id {} (an @id names the document for its whole history)",
            doc["@id"]
        ));
    }
    if let Some(a) = nonempty(&o.author) {
        let cur = doc.get("author").and_then(Value::as_str).unwrap_or("");
        if cur != a {
            out.warnings.push(format!(
                "document author changed from {cur:?} to {a:?} (the author vouches for the current content)"
            ));
            insert_after(&mut doc, &["@context", "@id"], "author", Value::String(a));
        }
    } else if doc
        .get("author")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        insert_after(
            &mut doc,
            &["@context", "@id"],
            "author",
            Value::String(default_author(o)),
        );
    }
    // Never write a document Trivy would refuse (a value the upgrade cannot repair).
    let doc = Value::Object(doc);
    if let Some(r) = crate::vex::decode::refusals(&doc).0.into_iter().next() {
        return Err(bad(format!(
            "Trivy 0.76 would refuse the result: {r}; fix it first (`vexgate vex validate` lists every problem)"
        )));
    }
    out.changed = true;
    Ok(Some(to_pretty(&doc)))
}

/// `--author`, else `$USER`, else go-vex's default "Unknown Author".
fn default_author(o: &AddOptions) -> String {
    nonempty(&o.author)
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.trim().is_empty()))
        .unwrap_or_else(|| "Unknown Author".to_string())
}

/// A unified diff of the document change.
pub fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let name = path.display().to_string();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

/// `vex add`: build, then read-modify-write `--out` under the lock (or only compute the
/// diff with `--dry-run`).
pub fn add(o: &AddOptions) -> Result<AddOutcome> {
    // The report is only read; the document is read and rewritten. One file cannot be both.
    let report = report_path(o);
    if let Some(r) = &report {
        crate::output::refuse_overlaps(
            &[crate::output::Named::new("--trivy-json report", r)],
            &[crate::output::Named::new("--out", &o.out)],
        )?;
    }
    let mut out = AddOutcome::default();
    let new = build_statement(o, &mut out.notes, &mut out.warnings)?;
    let path = o.out.clone();
    let run = |existing: Option<&str>, out: &mut AddOutcome| -> Result<Option<String>> {
        let t = now()?;
        let text = apply_to_document(o, existing, &new, t, out)?;
        if let Some(text) = &text {
            out.diff = unified_diff(&path, existing.unwrap_or(""), text);
        }
        Ok(text)
    };
    if o.dry_run {
        let existing = super::write::read_existing(&path)?;
        run(existing.as_deref(), &mut out)?;
        return Ok(out);
    }
    super::write::update(&path, |existing| {
        let text = run(existing, &mut out)?;
        Ok((text, ()))
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(status: &str) -> AddOptions {
        AddOptions {
            vuln: "CVE-1".into(),
            status: status.into(),
            ..AddOptions::default()
        }
    }

    #[test]
    fn comment_goes_where_the_spec_says() {
        let mut o = opts("not_affected");
        o.comment = Some("c".into());
        let f = status_fields(&o).unwrap();
        assert_eq!(f.impact_statement.as_deref(), Some("c"));
        assert_eq!(f.action_statement, None);
        let mut o = opts("affected");
        o.comment = Some("c".into());
        assert_eq!(
            status_fields(&o).unwrap().action_statement.as_deref(),
            Some("c")
        );
        for s in ["fixed", "under_investigation"] {
            let mut o = opts(s);
            o.comment = Some("c".into());
            let f = status_fields(&o).unwrap();
            assert_eq!(f.status_notes.as_deref(), Some("c"));
            assert_eq!((f.impact_statement, f.action_statement), (None, None));
        }
    }

    #[test]
    fn status_rules() {
        assert!(status_fields(&opts("bogus")).is_err());
        assert!(
            status_fields(&opts("not_affected")).is_err(),
            "needs justification or impact"
        );
        assert!(
            status_fields(&opts("affected")).is_err(),
            "needs an action statement"
        );
        assert!(status_fields(&opts("fixed")).is_ok());
        let mut o = opts("fixed");
        o.justification = Some("component_not_present".into());
        assert!(
            status_fields(&o)
                .unwrap_err()
                .to_string()
                .contains("only allowed with --status not_affected")
        );
        let mut o = opts("not_affected");
        o.justification = Some("not_a_label".into());
        assert!(status_fields(&o).is_err());
        o.justification = Some("component_not_present".into());
        assert!(status_fields(&o).is_ok());
        let mut o = opts("under_investigation");
        o.impact_statement = Some("x".into());
        assert!(status_fields(&o).is_err());
        let mut o = opts("fixed");
        o.action_statement = Some("x".into());
        assert!(status_fields(&o).is_err());
        // An empty --comment (create_vex.sh's default) is no comment.
        let mut o = opts("affected");
        o.comment = Some("  ".into());
        assert!(status_fields(&o).is_err());
    }

    /// purl normalisation: default keeps name, version, epoch; drops distro/arch.
    #[test]
    fn subcomponent_normalisation() {
        let deb = "pkg:deb/debian/libc6@2.36-9%2Bdeb12u8?arch=amd64&distro=debian-12.8";
        assert_eq!(
            normalize_package_purl(deb, PurlDetail::Default).unwrap(),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u8"
        );
        assert_eq!(normalize_package_purl(deb, PurlDetail::Exact).unwrap(), deb);
        assert_eq!(
            normalize_package_purl(deb, PurlDetail::Versionless).unwrap(),
            "pkg:deb/debian/libc6"
        );
        let rpm =
            "pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&distro=centos-7.6.1810&epoch=1";
        assert_eq!(
            normalize_package_purl(rpm, PurlDetail::Default).unwrap(),
            "pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?epoch=1"
        );
        assert!(normalize_package_purl("not a purl", PurlDetail::Default).is_err());
    }

    /// Trivy pkg/purl/purl.go parseOCI via go-containerregistry name.NewRepository.
    #[test]
    fn image_product_like_trivy() {
        let mut w = Vec::new();
        let p = image_products("ghcr.io/Acme/Hello-Express:1.2.3", &[], false, &mut w).unwrap();
        assert_eq!(
            p,
            ["pkg:oci/hello-express?repository_url=ghcr.io%2Facme%2Fhello-express"]
        );
        assert_eq!(w.len(), 2, "{w:?}");
        let mut w = Vec::new();
        assert_eq!(
            image_products("node", &[], false, &mut w).unwrap(),
            ["pkg:oci/node?repository_url=index.docker.io%2Flibrary%2Fnode"]
        );
        assert_eq!(
            image_products("docker.io/org/x@sha256:abc", &[], false, &mut w).unwrap(),
            ["pkg:oci/x?repository_url=index.docker.io%2Forg%2Fx"]
        );
        assert_eq!(
            image_products("localhost:5000/app", &[], false, &mut w).unwrap(),
            ["pkg:oci/app?repository_url=localhost:5000%2Fapp"]
        );
        let mut w = Vec::new();
        let p = image_products(
            "ghcr.io/acme/hello-express",
            &["ghcr.io/acme/hello-express:1.2.3".into()],
            true,
            &mut w,
        )
        .unwrap();
        assert_eq!(
            p,
            [
                "pkg:oci/hello-express?repository_url=ghcr.io%2Facme%2Fhello-express",
                "pkg:oci/hello-express",
                "pkg:docker/acme/hello-express@1.2.3?repository_url=ghcr.io",
            ]
        );
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn insert_after_keeps_order() {
        let mut m: Map<String, Value> = serde_json::from_str(r#"{"a":1,"b":2,"c":3}"#).unwrap();
        insert_after(&mut m, &["a"], "x", Value::from(9));
        assert_eq!(m.keys().cloned().collect::<Vec<_>>(), ["a", "x", "b", "c"]);
        insert_after(&mut m, &["zz"], "y", Value::from(9));
        assert_eq!(m.keys().next_back().unwrap(), "y");
    }
}
