//! `vex list` and `vex audit`: what a VEX document says, and which of its statements need a
//! look (OpenVEX spec v0.2.0).
//!
//! Audit findings:
//! - **stale**: a statement that matches no finding of the given reports (Trivy's matching,
//!   [`crate::vex::matching`], over the same component graph the gate walks): remove it or
//!   re-check it;
//! - **due for review**: its effective timestamp is older than `--max-age`;
//! - **other version**: a finding with no matching statement, while a statement names the
//!   same package at a different version (the package moved; re-assess);
//! - **order**: for one finding, go-vex's order (name, then time; what Trivy and grype use)
//!   and the spec's effective-timestamp order pick different statements.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use jiff::Timestamp;
use serde_json::Value;

use crate::decision::Warning;
use crate::error::{Error, Result};
use crate::escape::term;
use crate::purl::Purl;
use crate::report::ReportFile;
use crate::vex::graph::Graph;
use crate::vex::matching::{
    CompiledOpenVex, CompiledStatement, Ident, go_vex_winner, spec_winner, statement_matches,
};
use crate::vex::model::{self, Document};

/// Read an OpenVEX document for `vex list` (leniently: legacy v0.0.1 shapes are converted
/// as go-vex's `Open()` does) or, with `as_trivy`, for `vex audit` (as Trivy reads it,
/// [`crate::vex::decode::read`]: what Trivy refuses is refused). Problems are exit-2 input
/// errors.
pub fn read_document(path: &Path, as_trivy: bool) -> Result<(Document, CompiledOpenVex)> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::input(path, "is a directory, not a VEX document"));
    }
    let text = crate::report::text::read_text(path)?;
    let v: Value = serde_json::from_str(&text).map_err(|e| Error::json(path, &e))?;
    let Value::Object(m) = v else {
        return Err(Error::input(path, "is JSON but not an OpenVEX document"));
    };
    if m.get("@context")
        .is_none_or(|c| c.as_str().is_none_or(str::is_empty))
    {
        return Err(Error::input(
            path,
            "has no @context: not an OpenVEX document",
        ));
    }
    let doc = if as_trivy {
        match crate::vex::decode::read(Value::Object(m)) {
            crate::vex::decode::Read::Ok(doc, _) => doc,
            crate::vex::decode::Read::Refused(r) => {
                return Err(Error::input(path, r.gate_message()));
            }
            crate::vex::decode::Read::Invalid(e) => return Err(Error::input(path, e)),
        }
    } else {
        model::document_from_value(m).map_err(|e| Error::input(path, e))?
    };
    let compiled = crate::vex::compile_document(path, &doc)?;
    Ok((doc, compiled))
}

/// A Go zero time means "no timestamp at all".
fn effective(st: &CompiledStatement) -> Option<Timestamp> {
    (st.sort_time != crate::vex::matching::go_zero_time()).then_some(st.sort_time)
}

/// `3d`, `5mo`-style age, coarse: days, or hours under a day.
pub fn age(now: Timestamp, t: Timestamp) -> String {
    let secs = now.as_second() - t.as_second();
    if secs < 0 {
        return "future".into();
    }
    let days = secs / 86_400;
    if days == 0 {
        format!("{}h", secs / 3600)
    } else {
        format!("{days}d")
    }
}

/// Parse `--max-age`: `180d`, `26w`, `12h`, or a bare number of days.
pub fn parse_max_age(s: &str) -> Result<i64> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], s[i..].trim()),
        None => (s, "d"),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| Error::usage(format!("--max-age {s:?}: expected e.g. 180d, 26w or 12h")))?;
    let mult = match unit {
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 7 * 86_400,
        "h" | "hour" | "hours" => 3600,
        _ => {
            return Err(Error::usage(format!(
                "--max-age {s:?}: unit must be d, w or h"
            )));
        }
    };
    Ok(n.saturating_mul(mult))
}

fn short_purl(s: &str) -> String {
    match Purl::parse(s) {
        Ok(p) => {
            let mut out = format!("{}/", p.ty);
            if !p.namespace.is_empty() && p.ty != "oci" {
                out.push_str(p.namespace.rsplit('/').next().unwrap_or(""));
                out.push('/');
            }
            out.push_str(&p.name);
            if !p.version.is_empty() {
                let v = if p.version.chars().count() > 19 {
                    format!("{}…", p.version.chars().take(19).collect::<String>())
                } else {
                    p.version.clone()
                };
                out.push('@');
                out.push_str(&v);
            }
            if let Some(r) = p.qualifier("repository_url") {
                out.push_str(&format!(" ({r})"));
            }
            out
        }
        Err(_) => s.to_string(),
    }
}

/// `vex list`: one row per statement.
pub fn list_table(doc: &Document, compiled: &CompiledOpenVex, now: Timestamp) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header([
            "#",
            "Vulnerability",
            "Status",
            "Justification",
            "Products / subcomponents",
            "Effective timestamp",
            "Age",
        ]);
    for (st, c) in doc.statements.iter().zip(&compiled.statements) {
        // Every cell is VEX-derived text: escaped, so only the table's own line breaks
        // (one product per line) remain.
        let mut vuln = term(&st.vulnerability.name).into_owned();
        if !st.vulnerability.aliases.is_empty() {
            vuln.push_str(&format!(
                " ({})",
                term(&st.vulnerability.aliases.join(", "))
            ));
        }
        let mut prods = Vec::new();
        for p in &st.products {
            let id = p.component.purl().unwrap_or(&p.component.id);
            prods.push(term(&short_purl(id)).into_owned());
            for s in &p.subcomponents {
                prods.push(format!(
                    "  └ {}",
                    term(&short_purl(s.purl().unwrap_or(&s.id)))
                ));
            }
        }
        if prods.is_empty() {
            prods.push("(none)".into());
        }
        let eff = effective(c);
        let (ts, inherited) = match (&st.timestamp, eff) {
            (Some(t), _) => (t.clone(), false),
            (None, Some(e)) => (e.to_string(), true),
            (None, None) => ("(none)".into(), false),
        };
        let ts = term(&ts).into_owned();
        t.add_row([
            c.index.to_string(),
            vuln,
            term(&st.status).into_owned(),
            term(st.justification.as_deref().unwrap_or_default()).into_owned(),
            prods.join("\n"),
            if inherited {
                format!("{ts} (inherited)")
            } else {
                ts
            },
            eff.map(|e| age(now, e)).unwrap_or_default(),
        ]);
    }
    t.to_string()
}

/// One audit finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditItem {
    /// `stale`, `review`, `other-version`, `order`.
    pub kind: &'static str,
    pub statement: Option<usize>,
    pub message: String,
}

/// A finding of a report as the matcher sees it.
struct ReportFinding {
    report: PathBuf,
    vuln: String,
    purl: Option<String>,
    /// (product, subcomponent) queries Trivy may make: leaf as product with no sub, then
    /// every ancestor (up to the image root) as product with the leaf as sub.
    queries: Vec<(Option<usize>, Option<usize>)>,
}

/// Every query Trivy's reachRoot could make for a leaf: (leaf, none), then (ancestor, leaf)
/// for every ancestor with a PURL (pkg/vex/vex.go:170-219). The work is proportional to the
/// leaf's ancestors, not to the whole graph.
fn queries_for(g: &Graph, leaf: usize) -> Vec<(Option<usize>, Option<usize>)> {
    let mut out = vec![(Some(leaf), None)];
    let mut seen = HashSet::from([leaf]);
    let mut stack = vec![leaf];
    while let Some(n) = stack.pop() {
        for &p in &g.parents[n] {
            if seen.insert(p) {
                out.push((Some(p), Some(leaf)));
                stack.push(p);
            }
        }
    }
    out
}

/// Which statements name which package at which version, for "other version": keyed by
/// (vulnerability key, PURL type, namespace, name), so a finding looks up exactly the
/// statements that could name it (one pass over the document, each PURL parsed once).
type VersionIndex = HashMap<(String, String, String, String), Vec<(usize, String)>>;

fn version_index(doc: &Document) -> VersionIndex {
    let mut parsed: HashMap<&str, Option<Purl>> = HashMap::new();
    let mut index = VersionIndex::new();
    for (i, st) in doc.statements.iter().enumerate() {
        let names = st
            .products
            .iter()
            .flat_map(|p| std::iter::once(&p.component).chain(p.subcomponents.iter()));
        for c in names {
            let Some(text) = c.purl() else { continue };
            let Some(cp) = parsed.entry(text).or_insert_with(|| Purl::parse(text).ok()) else {
                continue;
            };
            if cp.version.is_empty() {
                continue;
            }
            let mut keys: Vec<&str> = st.vulnerability.match_keys().collect();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                index
                    .entry((
                        key.to_string(),
                        cp.ty.clone(),
                        cp.namespace.clone(),
                        cp.name.clone(),
                    ))
                    .or_default()
                    .push((i, cp.version.clone()));
            }
        }
    }
    index
}

fn ident(g: &Graph, n: Option<usize>) -> Option<Ident<'_>> {
    let node = &g.nodes[n?];
    Some(Ident {
        text: node.purl_text.as_deref()?,
        purl: node.purl.as_ref(),
    })
}

const NO_SUB: Ident<'static> = Ident {
    text: "",
    purl: None,
};

/// `vex audit`.
pub fn audit(
    doc: &Document,
    compiled: &CompiledOpenVex,
    reports: &[PathBuf],
    image_repo: Option<&str>,
    max_age_secs: i64,
    now: Timestamp,
    warnings: &mut Vec<String>,
) -> Result<Vec<AuditItem>> {
    let mut items = Vec::new();
    let mut live = vec![false; compiled.statements.len()];
    let mut image_without_identity = false;
    let mut uncovered: Vec<(PathBuf, String, String)> = Vec::new();
    let mut order_seen: HashSet<(Option<usize>, String)> = HashSet::new();
    for rp in reports {
        let file = ReportFile::read(rp)?;
        let report = file.parse()?;
        let mut w: Vec<Warning> = Vec::new();
        let (root, _) = crate::vex::root_identity(&report, image_repo, &mut w);
        if report.artifact_type == "container_image" && root.is_none() {
            image_without_identity = true;
        }
        warnings.extend(w.into_iter().map(|w| w.message));
        let g = Graph::build(&report, root);
        let mut findings = Vec::new();
        for (ri, r) in report.results.iter().enumerate() {
            let suppressed: Vec<_> = r
                .modified_findings
                .iter()
                .filter_map(|m| m.vulnerability())
                .collect();
            for v in r.vulnerabilities.iter().chain(suppressed.iter()) {
                let queries = g
                    .leaf(ri, v)
                    .map(|l| queries_for(&g, l))
                    .unwrap_or_default();
                findings.push(ReportFinding {
                    report: rp.clone(),
                    vuln: v.vulnerability_id.to_string(),
                    purl: v.purl().map(str::to_string),
                    queries,
                });
            }
        }
        for f in &findings {
            let cands: Vec<&CompiledStatement> = compiled
                .candidates(&f.vuln)
                .iter()
                .map(|&i| &compiled.statements[i as usize])
                .collect();
            let mut any = false;
            for &(p, s) in &f.queries {
                let Some(prod) = ident(&g, p) else { continue };
                let sub = ident(&g, s).unwrap_or(NO_SUB);
                let matched: Vec<&CompiledStatement> = cands
                    .iter()
                    .copied()
                    .filter(|st| statement_matches(st, &f.vuln, prod, sub))
                    .collect();
                for st in &matched {
                    live[st.index] = true;
                    any = true;
                }
                if let (Some(gw), Some(sw)) = (go_vex_winner(&matched), spec_winner(&matched))
                    && gw.index != sw.index
                    && gw.status != sw.status
                {
                    let item = AuditItem {
                        kind: "order",
                        statement: Some(gw.index),
                        message: format!(
                            "{} {}: Trivy/grype (go-vex order: name, then time) act on statement {} ({}), the spec's latest effective timestamp is statement {} ({}); align the names or timestamps",
                            f.vuln,
                            prod.text,
                            gw.index,
                            gw.status.as_str(),
                            sw.index,
                            sw.status.as_str()
                        ),
                    };
                    if order_seen.insert((item.statement, item.message.clone())) {
                        items.push(item);
                    }
                }
            }
            if !any && let Some(purl) = &f.purl {
                uncovered.push((f.report.clone(), f.vuln.clone(), purl.clone()));
            }
        }
    }

    for (i, st) in compiled.statements.iter().enumerate() {
        if !reports.is_empty() && !live[i] {
            // An image-scoped statement cannot match a report of an unpushed image (no
            // RepoDigests, no --image-repo): say so rather than only calling it stale.
            let hint = if image_without_identity && names_an_image(st) {
                "; a report has no image identity (no RepoDigests): pass --image-repo to check image-scoped statements"
            } else {
                ""
            };
            items.push(AuditItem {
                kind: "stale",
                statement: Some(i),
                message: format!(
                    "{} ({}) matches no finding in the given report(s): remove it or re-check it{hint}",
                    st.name,
                    st.status.as_str()
                ),
            });
        }
        match effective(st) {
            Some(t) if now.as_second() - t.as_second() > max_age_secs => items.push(AuditItem {
                kind: "review",
                statement: Some(i),
                message: format!(
                    "{} ({}) dates from {t} ({} old): due for review",
                    st.name,
                    st.status.as_str(),
                    age(now, t)
                ),
            }),
            None => items.push(AuditItem {
                kind: "review",
                statement: Some(i),
                message: format!("{} has no timestamp (none inherited either)", st.name),
            }),
            _ => {}
        }
    }

    // Findings without VEX while a statement names the same package at another version.
    let index = if uncovered.is_empty() {
        VersionIndex::new()
    } else {
        version_index(doc)
    };
    let mut seen = HashSet::new();
    for (rp, vuln, purl) in uncovered {
        let Ok(fp) = Purl::parse(&purl) else { continue };
        let key = (vuln, fp.ty, fp.namespace, fp.name);
        let Some(named) = index.get(&key) else {
            continue;
        };
        let vuln = key.0;
        for (i, version) in named {
            if *version != fp.version && seen.insert((vuln.clone(), purl.clone(), *i)) {
                items.push(AuditItem {
                    kind: "other-version",
                    statement: Some(*i),
                    message: format!(
                        "{vuln} {purl} in {}: no statement covers it, but statement {i} names version {version} of this package; re-assess and add a statement for the new version",
                        rp.display(),
                    ),
                });
            }
        }
    }
    items.sort_by_key(|a| (a.statement, a.kind));
    Ok(items)
}

/// Does the statement name an image (a `pkg:oci/...` product)?
fn names_an_image(st: &CompiledStatement) -> bool {
    st.products.iter().any(|p| {
        p.component.id_purl.as_ref().is_some_and(|u| u.ty == "oci")
            || p.component
                .identifiers
                .iter()
                .any(|(_, _, u)| u.as_ref().is_some_and(|u| u.ty == "oci"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_units() {
        assert_eq!(parse_max_age("180d").unwrap(), 180 * 86_400);
        assert_eq!(parse_max_age("2w").unwrap(), 14 * 86_400);
        assert_eq!(parse_max_age("12h").unwrap(), 12 * 3600);
        assert_eq!(parse_max_age("30").unwrap(), 30 * 86_400);
        assert!(parse_max_age("6 months").is_err());
        assert!(parse_max_age("").is_err());
    }

    #[test]
    fn short_purls() {
        assert_eq!(
            short_purl("pkg:oci/hello?repository_url=ghcr.io%2Facme%2Fhello"),
            "oci/hello (ghcr.io/acme/hello)"
        );
        assert_eq!(short_purl("pkg:npm/glob@10.4.5"), "npm/glob@10.4.5");
    }

    /// 20,000 statements and 6,000 uncovered findings, each finding's package named by its
    /// statement at another version (a real Trivy report's vulnerability, replicated).
    /// Matching every finding against every statement took 22 s in this test (debug build);
    /// the indexed audit takes a few seconds, and finds the same 6,000 "other version" items.
    #[test]
    fn audit_is_indexed_not_statements_times_findings() {
        let (statements, findings) = (20_000, 6_000);
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
        let mut report: Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("oracle/scan/unfiltered/npm.json")).unwrap(),
        )
        .unwrap();
        let results = report["Results"].as_array_mut().unwrap();
        results.retain(|r| {
            r["Vulnerabilities"]
                .as_array()
                .is_some_and(|v| !v.is_empty())
        });
        let template = results[0]["Vulnerabilities"][0].clone();
        let vulns: Vec<Value> = (0..findings)
            .map(|i| {
                let mut v = template.clone();
                v["VulnerabilityID"] = format!("CVE-2099-{i}").into();
                v["PkgName"] = format!("p{i}").into();
                v["InstalledVersion"] = "1.0.0".into();
                v["PkgIdentifier"] = serde_json::json!({"PURL": format!("pkg:npm/p{i}@1.0.0")});
                v.as_object_mut().unwrap().remove("PkgID");
                v
            })
            .collect();
        results.truncate(1);
        results[0]["Vulnerabilities"] = vulns.into();
        let dir = tempfile::tempdir().unwrap();
        let report_path = dir.path().join("report.json");
        std::fs::write(&report_path, report.to_string()).unwrap();
        let stmts: Vec<Value> = (0..statements)
            .map(|i| {
                serde_json::json!({
                    "vulnerability": {"name": format!("CVE-2099-{i}")},
                    "products": [{"@id": format!("pkg:npm/p{i}@2.0.0")}],
                    "status": "not_affected",
                    "justification": "component_not_present",
                    "timestamp": "2026-01-01T00:00:00Z"
                })
            })
            .collect();
        let vex = serde_json::json!({
            "@context": "https://openvex.dev/ns/v0.2.0",
            "@id": "https://example.com/vex",
            "author": "a",
            "timestamp": "2026-01-01T00:00:00Z",
            "version": 1,
            "statements": stmts
        });
        let vex_path = dir.path().join("vex.json");
        std::fs::write(&vex_path, vex.to_string()).unwrap();
        let start = std::time::Instant::now();
        let (doc, compiled) = read_document(&vex_path, true).unwrap();
        let now: Timestamp = "2026-02-01T00:00:00Z".parse().unwrap();
        let mut warnings = Vec::new();
        let items = audit(
            &doc,
            &compiled,
            &[report_path],
            None,
            365 * 86_400,
            now,
            &mut warnings,
        )
        .unwrap();
        let elapsed = start.elapsed();
        let count = |kind| items.iter().filter(|i| i.kind == kind).count();
        assert_eq!(count("other-version"), findings);
        assert_eq!(count("stale"), statements);
        assert_eq!(count("review"), 0);
        let first = items.iter().find(|i| i.kind == "other-version").unwrap();
        assert_eq!(first.statement, Some(0));
        assert!(
            first.message.starts_with("CVE-2099-0 pkg:npm/p0@1.0.0 in ")
                && first.message.contains("names version 2.0.0"),
            "{first:?}"
        );
        assert!(elapsed < std::time::Duration::from_secs(10), "{elapsed:?}");
    }
}
