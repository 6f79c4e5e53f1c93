//! `vex add`: append one correct OpenVEX statement for a CVE found in a Trivy report.
//!
//! This replaces the original `create_vex.sh` and fixes each of its faults:
//! history is appended, never replaced; the document `version` goes up by one and
//! `last_updated` is set; the new statement carries its own timestamp and untouched
//! statements get the inherited one pinned (as vexctl `add` does); the comment goes
//! to the field the spec names for the status; status and justification are validated
//! (by the binary, into [`StatusFields`]); the image product is built the way Trivy
//! computes it; subcomponents drop the `distro` qualifier; the write is locked and atomic
//! ([`super::write`]).
//!
//! One file per concern: [`clock`] (now, `SOURCE_DATE_EPOCH`), [`report`] (the findings
//! for an ID, from one read of the report), [`products`] (package PURLs and the image
//! product, through the image-reference parser the gate uses too), [`edit`] (the document
//! edit and the diff). This module builds the statement and runs the locked update.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::purl::Purl;
use crate::vex::model::{Component, Product, Vulnerability};

pub mod clock;
pub mod edit;
pub mod products;
pub mod report;

pub use clock::{format_timestamp, now, parse_timestamp};
pub use edit::{NewStatement, apply_statements, apply_to_document, to_pretty, unified_diff};
pub use products::{image_products, normalize_package_purl};
pub use report::{Finding, MatchedBy, ReportFacts, read_report};

use products::cross_check_image;

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
    /// The status and its fields, validated (and the comment placed) by the caller.
    pub fields: StatusFields,
    pub out: PathBuf,
    pub author: Option<String>,
    pub vex_id: Option<String>,
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

/// The status-dependent fields after validation and comment placement (the spec's
/// "Statement Fields"): the `vexgate` binary builds them from the flags.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct StatusFields {
    pub status: String,
    pub justification: Option<String>,
    pub impact_statement: Option<String>,
    pub action_statement: Option<String>,
    pub status_notes: Option<String>,
}

pub(crate) fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
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
    let fields = o.fields.clone();
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
            let hint = facts.ids_ignoring_case(vuln);
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
    let subs: Vec<Component> = sub_purls.iter().map(Component::from_id).collect();
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
    let products: Vec<Product> = product_ids
        .iter()
        .map(|id| Product {
            component: Component::from_id(id.as_str()),
            subcomponents: if with_subs { subs.clone() } else { Vec::new() },
        })
        .collect();
    notes.push(format!("products: {}", product_ids.join(", ")));
    if with_subs && !subs.is_empty() {
        notes.push(format!(
            "subcomponents: {}",
            sub_purls.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }

    Ok(NewStatement {
        vulnerability: Vulnerability {
            name: vuln.to_string(),
            aliases: aliases.into_iter().collect(),
            ..Vulnerability::default()
        },
        products,
        fields,
    })
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
