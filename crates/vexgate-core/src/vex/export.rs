//! `vex export`: an OpenVEX document as a CycloneDX 1.6 VEX document or a CSAF 2.0 VEX
//! document (profile `csaf_vex`).
//!
//! Export first collapses the document to its effective statements ([`collapse`]): for each
//! vulnerability × product × subcomponent the statement the gate acts on wins
//! ([`crate::vex::matching::go_vex_winner`]: latest effective timestamp, on a tie the
//! earliest in the document). CSAF has no statement order and CycloneDX none that tools
//! honour, so history cannot be exported; only what is in force is. A product-wide entry
//! (no subcomponents) also competes with every entry for the same product and one of its
//! subcomponents, as it does in the gate.
//!
//! Entries kept for different components can still overlap: `pkg:oci/app` and
//! `pkg:oci/app?repository_url=…`, a versionless and a versioned PURL, a vulnerability named
//! by one statement and aliased by another, a product-wide entry and a later one for a
//! subcomponent. Where a suppressing entry and a later non-suppressing one overlap, the gate
//! applies the later one, but the export lists both and a reader that checks
//! `known_not_affected` first (Trivy) suppresses. [`Collapsed::conflicts`] lists these
//! pairs; `vex export` refuses them unless `--allow-widening`.
//!
//! The mapping tables are in docs/src/vex-export-import.md.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::purl::Purl;
use crate::vex::matching::{CompiledComponent, CompiledOpenVex, CompiledStatement, go_vex_winner};
use crate::vex::model::{Component, Document, Statement, Status};

/// The exported document as text: 2-space indent, a trailing newline, and string content
/// that cannot carry a control or bidi character or a CI log command to a terminal
/// ([`crate::escape::json_fragment`]; the JSON is the same to a reader).
pub fn render(v: &Value) -> String {
    use serde::Serialize;
    let mut buf = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut buf, crate::render::LogSafe::default());
    // Serializing a Value into memory cannot fail.
    let _ = v.serialize(&mut ser);
    buf.push(b'\n');
    String::from_utf8(buf).unwrap_or_default()
}

/// Property names vexgate writes into CycloneDX so that an import restores what CycloneDX
/// cannot say.
pub const PROP_PRODUCT: &str = "vexgate:openvex:product";
pub const PROP_JUSTIFICATION: &str = "vexgate:openvex:justification";

/// One effective entry: statement `statement`, its product `product`, and one of that
/// product's subcomponents (`None`: the product itself, whatever it contains).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub statement: usize,
    pub product: usize,
    pub sub: Option<usize>,
}

/// The collapsed document.
#[derive(Debug, Default)]
pub struct Collapsed {
    /// In (statement, product, subcomponent) order.
    pub entries: Vec<Entry>,
    /// How many (statement, product, subcomponent) entries the document has in all.
    pub total: usize,
    /// Statements none of whose entries is in force any more.
    pub superseded_statements: usize,
    /// Statements with at least one entry in force.
    pub live_statements: usize,
    /// What the target format cannot say the way the gate reads it, one line each.
    pub warnings: Vec<String>,
    /// Kept entries whose export would suppress findings the gate blocks
    /// (`widening_conflicts`), one line each. The export refuses them unless told.
    pub conflicts: Vec<String>,
}

/// A component as a grouping key: its `@id`, identifiers and hashes.
fn key_of(c: &Component) -> String {
    serde_json::to_string(&(&c.id, &c.identifiers, &c.hashes)).unwrap_or_default()
}

/// Collapse `doc` (compiled as `compiled`) to the entries in force.
pub fn collapse(doc: &Document, compiled: &CompiledOpenVex) -> Collapsed {
    // (name, product key, sub key or "") → entries in document order.
    let mut groups: BTreeMap<(String, String, Option<String>), Vec<Entry>> = BTreeMap::new();
    let mut total = 0;
    for (si, st) in doc.statements.iter().enumerate() {
        for (pi, p) in st.products.iter().enumerate() {
            let pk = key_of(&p.component);
            if p.subcomponents.is_empty() {
                total += 1;
                groups
                    .entry((st.vulnerability.name.clone(), pk, None))
                    .or_default()
                    .push(Entry {
                        statement: si,
                        product: pi,
                        sub: None,
                    });
            } else {
                for (ci, c) in p.subcomponents.iter().enumerate() {
                    total += 1;
                    groups
                        .entry((st.vulnerability.name.clone(), pk.clone(), Some(key_of(c))))
                        .or_default()
                        .push(Entry {
                            statement: si,
                            product: pi,
                            sub: Some(ci),
                        });
                }
            }
        }
    }
    let by_index: HashMap<usize, &CompiledStatement> =
        compiled.statements.iter().map(|s| (s.index, s)).collect();
    let winner = |candidates: &[Entry]| -> Option<Entry> {
        let sts: Vec<&CompiledStatement> = candidates
            .iter()
            .filter_map(|e| by_index.get(&e.statement).copied())
            .collect();
        let w = go_vex_winner(&sts)?;
        candidates.iter().find(|e| e.statement == w.index).copied()
    };
    // Each group's own winner, once.
    let winners: BTreeMap<&(String, String, Option<String>), Entry> = groups
        .iter()
        .filter_map(|(k, list)| winner(list).map(|w| (k, w)))
        .collect();
    let mut entries = BTreeSet::new();
    let warnings = Vec::new();
    for (key, own) in &winners {
        let (name, pk, sub) = key;
        let wide = sub
            .as_ref()
            .and_then(|_| winners.get(&(name.clone(), pk.clone(), None)))
            .copied();
        // The winner of the union, as go_vex_winner picks it: the same name, so the later
        // sort time, and on a tie the statement earlier in the document.
        let w = match wide {
            Some(ww) => {
                let (a, b) = (by_index[&own.statement], by_index[&ww.statement]);
                if (b.sort_time, std::cmp::Reverse(b.index))
                    > (a.sort_time, std::cmp::Reverse(a.index))
                {
                    ww
                } else {
                    *own
                }
            }
            None => *own,
        };
        // A product-wide entry that wins for a subcomponent is exported once, product-wide.
        entries.insert(w);
    }
    let entries: Vec<Entry> = entries.into_iter().collect();
    let conflicts = widening_conflicts(doc, compiled, &entries);
    let live: BTreeSet<usize> = entries.iter().map(|e| e.statement).collect();
    let with_entries: BTreeSet<usize> = groups.values().flatten().map(|e| e.statement).collect();
    Collapsed {
        superseded_statements: with_entries.difference(&live).count(),
        live_statements: live.len(),
        entries,
        total,
        warnings,
        conflicts,
    }
}

/// Whether one identity could match both `a` and `b` (go-vex `Component.Matches`): a text
/// value (`@id`, identifier, hash) they share, or two PURLs that one scanned PURL could
/// match both of: the same type, namespace and name, versions that are equal or unset on
/// one side, and the qualifiers both carry equal. This covers a PURL that matches the
/// other's in either direction.
fn components_overlap(a: &CompiledComponent, b: &CompiledComponent) -> bool {
    fn texts(c: &CompiledComponent) -> impl Iterator<Item = &str> {
        std::iter::once(c.id.as_str())
            .chain(c.identifiers.iter().map(|(_, v, _)| v.as_str()))
            .chain(c.hashes.iter().map(String::as_str))
            .filter(|t| !t.is_empty())
    }
    fn purls(c: &CompiledComponent) -> impl Iterator<Item = &Purl> {
        c.id_purl
            .as_deref()
            .into_iter()
            .chain(c.identifiers.iter().filter_map(|(_, _, p)| p.as_deref()))
    }
    let bt: std::collections::HashSet<&str> = texts(b).collect();
    if texts(a).any(|t| bt.contains(t)) {
        return true;
    }
    purls(a).any(|x| purls(b).any(|y| purls_can_meet(x, y)))
}

/// One scanned PURL could match both `x` and `y` ([`crate::purl::purl_matches`]).
fn purls_can_meet(x: &Purl, y: &Purl) -> bool {
    x.ty == y.ty
        && x.namespace == y.namespace
        && x.name == y.name
        && (x.version.is_empty() || y.version.is_empty() || x.version == y.version)
        && x.qualifiers
            .iter()
            .all(|(k, v)| y.qualifiers.get(k).is_none_or(|w| w == v))
}

/// Kept entries a format without statement order would let widen a suppression: for one
/// vulnerability (by name or alias), a suppressing entry and a later non-suppressing entry
/// (the one the gate applies where both match) whose products overlap and whose
/// subcomponents overlap (a product-wide entry overlaps every subcomponent). A CSAF reader
/// that checks `known_not_affected` first (Trivy) would suppress the findings both match,
/// which the gate blocks. One line per pair of statements.
fn widening_conflicts(
    doc: &Document,
    compiled: &CompiledOpenVex,
    entries: &[Entry],
) -> Vec<String> {
    let by_index: HashMap<usize, &CompiledStatement> =
        compiled.statements.iter().map(|s| (s.index, s)).collect();
    // Entries can only overlap when their statements share a vulnerability name or alias
    // and their components share a token: a text value, or a PURL's type, namespace and
    // name. Names are grouped (statements that share one, transitively, are one group, so a
    // statement with many aliases is bucketed once, not once per alias), tokens interned,
    // and entries bucketed by (name group, product token, subcomponent token or none);
    // only entries in one bucket, or in a bucket and the product-wide bucket of its product
    // token, are compared, and a compared pair must share a name itself.
    fn tokens(c: &CompiledComponent) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for t in std::iter::once(c.id.as_str())
            .chain(c.identifiers.iter().map(|(_, v, _)| v.as_str()))
            .chain(c.hashes.iter().map(String::as_str))
            .filter(|t| !t.is_empty())
        {
            out.insert(format!("t:{t}"));
        }
        for p in c
            .id_purl
            .as_deref()
            .into_iter()
            .chain(c.identifiers.iter().filter_map(|(_, _, p)| p.as_deref()))
        {
            out.insert(format!("p:{}/{}/{}", p.ty, p.namespace, p.name));
        }
        out
    }
    // The names of each statement with entries, and their groups (union-find over names).
    let mut names_of: HashMap<usize, BTreeSet<&str>> = HashMap::new();
    let mut name_ids: HashMap<&str, usize> = HashMap::new();
    let mut parent: Vec<usize> = Vec::new();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for e in entries {
        if names_of.contains_key(&e.statement) {
            continue;
        }
        let st = &doc.statements[e.statement];
        let names: BTreeSet<&str> = std::iter::once(st.vulnerability.name.as_str())
            .chain(st.vulnerability.aliases.iter().map(String::as_str))
            .filter(|n| !n.is_empty())
            .collect();
        let mut first = None;
        for n in &names {
            let id = *name_ids.entry(n).or_insert_with(|| {
                parent.push(parent.len());
                parent.len() - 1
            });
            match first {
                None => first = Some(id),
                Some(f) => {
                    let (x, y) = (find(&mut parent, f), find(&mut parent, id));
                    parent[y] = x;
                }
            }
        }
        names_of.insert(e.statement, names);
    }
    let mut token_ids: HashMap<String, u32> = HashMap::new();
    let mut intern = |t: String| -> u32 {
        let n = token_ids.len() as u32;
        *token_ids.entry(t).or_insert(n)
    };
    type Key = (usize, u32, Option<u32>);
    let mut buckets: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        let Some(cs) = by_index.get(&e.statement) else {
            continue;
        };
        let Some(group) = names_of[&e.statement]
            .first()
            .map(|n| find(&mut parent, name_ids[n]))
        else {
            continue;
        };
        let p = &cs.products[e.product];
        let ptoks: Vec<u32> = tokens(&p.component).into_iter().map(&mut intern).collect();
        let stoks: Vec<Option<u32>> = match e.sub {
            Some(ci) => tokens(&p.subcomponents[ci])
                .into_iter()
                .map(|t| Some(intern(t)))
                .collect(),
            None => vec![None],
        };
        for &pt in &ptoks {
            for &stok in &stoks {
                buckets.entry((group, pt, stok)).or_default().push(i);
            }
        }
    }
    let mut checked: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    let mut seen = std::collections::HashSet::new();
    let mut found: Vec<((usize, usize), String)> = Vec::new();
    let mut consider = |s: usize, o: usize| {
        if !checked.insert((s, o)) {
            return;
        }
        let (a, b) = (entries[s], entries[o]);
        // The first name both statements give the vulnerability (the group only says that
        // some chain of statements links them).
        let Some(name) = names_of[&a.statement]
            .intersection(&names_of[&b.statement])
            .next()
            .copied()
        else {
            return;
        };
        let (Some(ca), Some(cb)) = (by_index.get(&a.statement), by_index.get(&b.statement)) else {
            return;
        };
        if (cb.sort_time, std::cmp::Reverse(cb.index))
            <= (ca.sort_time, std::cmp::Reverse(ca.index))
            || seen.contains(&(a.statement, b.statement))
        {
            return;
        }
        let (pa, pb) = (&ca.products[a.product], &cb.products[b.product]);
        if !components_overlap(&pa.component, &pb.component) {
            return;
        }
        let subs = match (a.sub, b.sub) {
            (Some(x), Some(y)) => components_overlap(&pa.subcomponents[x], &pb.subcomponents[y]),
            _ => true,
        };
        if !subs {
            return;
        }
        seen.insert((a.statement, b.statement));
        let (sa, sb) = (&doc.statements[a.statement], &doc.statements[b.statement]);
        found.push((
            (a.statement, b.statement),
            format!(
                "{name}: statements[{}] ({}, {}) and the later statements[{}] ({}, {}) both cover some components; the gate applies the later one, a reader of the export that checks known_not_affected first (Trivy) the earlier one. Add a newer statement that covers the wider product with the status wanted, or pass --allow-widening",
                a.statement,
                sa.status,
                describe(&sa.products[a.product], a.sub),
                b.statement,
                sb.status,
                describe(&sb.products[b.product], b.sub),
            ),
        ));
    };
    let split = |list: &[usize]| -> (Vec<usize>, Vec<usize>) {
        list.iter()
            .partition(|&&i| status_of(doc, entries[i]).suppresses())
    };
    for (&(group, pt, stok), list) in &buckets {
        let (sup, other) = split(list);
        for &s in &sup {
            for &o in &other {
                consider(s, o);
            }
        }
        if stok.is_some()
            && let Some(wide) = buckets.get(&(group, pt, None))
        {
            let (wsup, wother) = split(wide);
            for &s in &sup {
                for &o in &wother {
                    consider(s, o);
                }
            }
            for &s in &wsup {
                for &o in &other {
                    consider(s, o);
                }
            }
        }
    }
    found.sort();
    found.into_iter().map(|(_, line)| line).collect()
}

fn describe(p: &crate::vex::model::Product, sub: Option<usize>) -> String {
    match sub.and_then(|i| p.subcomponents.get(i)) {
        Some(c) => format!("{} in {}", display_id(c), display_id(&p.component)),
        None => display_id(&p.component),
    }
}

fn status_of(doc: &Document, e: Entry) -> Status {
    doc.statements[e.statement].status()
}

/// Package names of components, by PURL, taken from Trivy reports (`--report`).
#[derive(Debug, Default)]
pub struct Enrichment {
    /// (PURL type, namespace, name) → the package name the report gives it.
    by_name: HashMap<(String, String, String), String>,
}

impl Enrichment {
    /// Read the packages of Trivy JSON reports: `Results[].Packages[]` and the packages of
    /// `Results[].Vulnerabilities[]`, each by its `Identifier.PURL`.
    pub fn from_reports(paths: &[std::path::PathBuf]) -> Result<Self> {
        let mut out = Self::default();
        for p in paths {
            let text = crate::report::text::read_text(p)?;
            let v: Value = serde_json::from_str(&text).map_err(|e| Error::json(p, &e))?;
            let Some(results) = v.get("Results").and_then(Value::as_array) else {
                if v.get("SchemaVersion").is_none() {
                    return Err(Error::input(p, "is not a Trivy JSON report"));
                }
                continue;
            };
            for r in results {
                for pkg in r
                    .get("Packages")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    out.add(pkg, "Name", "Identifier");
                }
                for f in r
                    .get("Vulnerabilities")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    out.add(f, "PkgName", "PkgIdentifier");
                }
            }
        }
        Ok(out)
    }

    fn add(&mut self, v: &Value, name: &str, ident: &str) {
        let (Some(purl), Some(n)) = (
            v.get(ident)
                .and_then(|i| i.get("PURL"))
                .and_then(Value::as_str),
            v.get(name).and_then(Value::as_str),
        ) else {
            return;
        };
        if let Ok(p) = Purl::parse(purl) {
            self.by_name
                .entry((p.ty, p.namespace, p.name))
                .or_insert_with(|| n.to_string());
        }
    }

    /// Name and version of a component. The name is the package name the reports give
    /// the same PURL type, namespace and name (qualifiers and version aside), else the
    /// PURL's; the version is the PURL's (a report splits a Debian version and release), none
    /// for a versionless PURL (its statement holds for every version). Not a PURL: the `@id`.
    fn name_version(&self, c: &Component) -> (String, Option<String>) {
        if let Some(p) = c.purl()
            && let Ok(parsed) = Purl::parse(p)
        {
            let key = (
                parsed.ty.clone(),
                parsed.namespace.clone(),
                parsed.name.clone(),
            );
            let name = match self.by_name.get(&key) {
                Some(n) => n.clone(),
                None if parsed.namespace.is_empty() => parsed.name.clone(),
                None => format!("{}/{}", parsed.namespace, parsed.name),
            };
            return (name, Some(parsed.version).filter(|v| !v.is_empty()));
        }
        (display_id(c), None)
    }
}

/// What names a component: its `@id`, else its PURL identifier, else any identifier, else
/// a hash.
fn display_id(c: &Component) -> String {
    if !c.id.is_empty() {
        return c.id.clone();
    }
    c.purl()
        .map(str::to_string)
        .or_else(|| c.identifiers.values().next().cloned())
        .or_else(|| c.hashes.values().next().cloned())
        .unwrap_or_else(|| "(unnamed component)".into())
}

/// The OpenVEX justification → CycloneDX `analysis.justification` (lossy where CycloneDX
/// has no label of the same meaning; the original is kept in [`PROP_JUSTIFICATION`]).
pub fn cdx_justification(j: &str) -> Option<&'static str> {
    Some(match j {
        "component_not_present" => "code_not_present",
        "vulnerable_code_not_present" => "code_not_present",
        "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary" => "requires_environment",
        "inline_mitigations_already_exist" => "protected_by_mitigating_control",
        _ => return None,
    })
}

/// The OpenVEX status → CycloneDX `analysis.state`.
pub fn cdx_state(s: &Status) -> Option<&'static str> {
    Some(match s {
        Status::NotAffected => "not_affected",
        Status::Affected => "exploitable",
        Status::Fixed => "resolved",
        Status::UnderInvestigation => "in_triage",
        Status::Other(_) => return None,
    })
}

/// The OpenVEX status → CSAF `product_status` list.
pub fn csaf_status(s: &Status) -> Option<&'static str> {
    Some(match s {
        Status::NotAffected => "known_not_affected",
        Status::Affected => "known_affected",
        Status::Fixed => "fixed",
        Status::UnderInvestigation => "under_investigation",
        Status::Other(_) => return None,
    })
}

/// Where a vulnerability ID is published, for CycloneDX `source` (CVE and GHSA IDs only).
fn source_of(id: &str) -> Option<Value> {
    if id.starts_with("CVE-") {
        Some(json!({"name": "NVD", "url": format!("https://nvd.nist.gov/vuln/detail/{id}")}))
    } else if id.starts_with("GHSA-") {
        Some(json!({"name": "GitHub", "url": format!("https://github.com/advisories/{id}")}))
    } else {
        None
    }
}

/// `urn:uuid:…` of the document when its `@id` is one (CycloneDX `serialNumber`).
fn serial_of(doc: &Document) -> Option<String> {
    let u = doc.id.strip_prefix("urn:uuid:")?;
    let parsed = uuid::Uuid::parse_str(u).ok()?;
    Some(format!("urn:uuid:{}", parsed.hyphenated()))
}

/// The time of the document: `last_updated`, else `timestamp`.
fn doc_time(doc: &Document) -> Option<String> {
    doc.last_updated
        .clone()
        .or_else(|| doc.timestamp.clone())
        .filter(|t| crate::vex::author::parse_timestamp(t).is_some())
        .map(|t| {
            crate::vex::author::parse_timestamp(&t)
                .map(crate::vex::author::format_timestamp)
                .unwrap_or(t)
        })
}

/// Refuse statuses neither format has (only the four spec statuses export).
fn check_statuses(doc: &Document, c: &Collapsed) -> Result<()> {
    for e in &c.entries {
        let st = &doc.statements[e.statement];
        if !st.status().is_spec() {
            return Err(Error::usage(format!(
                "statements[{}] has status {:?}, which is not an OpenVEX status; nothing exported",
                e.statement, st.status
            )));
        }
    }
    Ok(())
}

/// The CycloneDX 1.6 VEX document for the collapsed `doc`.
pub fn to_cyclonedx(
    doc: &Document,
    c: &Collapsed,
    enrich: &Enrichment,
) -> Result<(Value, Vec<String>)> {
    check_statuses(doc, c)?;
    let mut warnings = Vec::new();
    // Components by bom-ref (the PURL, else the @id), in first-use order.
    let mut components: Vec<Value> = Vec::new();
    let mut refs: HashMap<String, ()> = HashMap::new();
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // Hash algorithms CycloneDX has no name for, by algorithm: (component, count).
    let mut dropped_hashes: BTreeMap<String, String> = BTreeMap::new();
    let mut add_component = |comp: &Component, is_product: bool| -> String {
        let bom_ref = comp
            .purl()
            .map(str::to_string)
            .unwrap_or_else(|| display_id(comp));
        if refs.insert(bom_ref.clone(), ()).is_none() {
            let (name, version) = enrich.name_version(comp);
            let ty = match comp.purl() {
                Some(p) if p.starts_with("pkg:oci/") || p.starts_with("pkg:docker/") => "container",
                _ if is_product && comp.purl().is_none() => "application",
                _ => "library",
            };
            let mut m = Map::new();
            m.insert("type".into(), json!(ty));
            m.insert("bom-ref".into(), json!(bom_ref));
            m.insert("name".into(), json!(name));
            if let Some(v) = version {
                m.insert("version".into(), json!(v));
            }
            if let Some(p) = comp.purl() {
                m.insert("purl".into(), json!(p));
            }
            let hashes: Vec<Value> = comp
                .hashes
                .iter()
                .filter_map(|(alg, h)| match cdx_hash_alg(alg) {
                    Some(a) => Some(json!({"alg": a, "content": h})),
                    None => {
                        dropped_hashes
                            .entry(alg.clone())
                            .or_insert_with(|| bom_ref.clone());
                        None
                    }
                })
                .collect();
            if !hashes.is_empty() {
                m.insert("hashes".into(), Value::Array(hashes));
            }
            components.push(Value::Object(m));
        }
        bom_ref
    };
    // (statement, product) → affected refs.
    let mut groups: BTreeMap<(usize, usize), Vec<Option<usize>>> = BTreeMap::new();
    for e in &c.entries {
        groups
            .entry((e.statement, e.product))
            .or_default()
            .push(e.sub);
    }
    let mut vulns = Vec::new();
    let mut warned = BTreeSet::new();
    for ((si, pi), subs) in &groups {
        let st = &doc.statements[*si];
        let p = &st.products[*pi];
        let product_ref = add_component(&p.component, true);
        let mut affects = Vec::new();
        let mut sub_refs = Vec::new();
        for s in subs {
            match s {
                None => affects.push(json!({"ref": product_ref})),
                Some(ci) => {
                    let r = add_component(&p.subcomponents[*ci], false);
                    deps.entry(product_ref.clone())
                        .or_default()
                        .insert(r.clone());
                    affects.push(json!({"ref": r}));
                    sub_refs.push(r);
                }
            }
        }
        if st.status() != Status::NotAffected
            && let Some(j) = st.justification.as_deref().filter(|j| !j.is_empty())
            && !warned.contains(si)
        {
            warned.insert(*si);
            warnings.push(format!(
                "statements[{si}]: justification {j:?} on status {} not exported (a justification belongs to not_affected)",
                st.status
            ));
        }
        vulns.push(cdx_vulnerability(
            st,
            doc.timestamp.as_deref(),
            &product_ref,
            !sub_refs.is_empty(),
            affects,
        ));
    }
    for r in refs.keys() {
        deps.entry(r.clone()).or_default();
    }
    let mut bom = Map::new();
    bom.insert("bomFormat".into(), json!("CycloneDX"));
    bom.insert("specVersion".into(), json!("1.6"));
    if let Some(s) = serial_of(doc) {
        bom.insert("serialNumber".into(), json!(s));
    }
    bom.insert("version".into(), json!(doc.version.unwrap_or(1).max(1)));
    let mut meta = Map::new();
    if let Some(t) = doc_time(doc) {
        meta.insert("timestamp".into(), json!(t));
    }
    meta.insert(
        "tools".into(),
        json!({"components": [{"type": "application", "name": "vexgate", "version": env!("CARGO_PKG_VERSION")}]}),
    );
    if !doc.author.is_empty() {
        meta.insert("authors".into(), json!([{"name": doc.author}]));
    }
    bom.insert("metadata".into(), Value::Object(meta));
    bom.insert("components".into(), Value::Array(components));
    bom.insert(
        "dependencies".into(),
        Value::Array(
            deps.into_iter()
                .map(|(r, d)| {
                    if d.is_empty() {
                        json!({"ref": r})
                    } else {
                        json!({"ref": r, "dependsOn": d.into_iter().collect::<Vec<_>>()})
                    }
                })
                .collect(),
        ),
    );
    bom.insert("vulnerabilities".into(), Value::Array(vulns));
    for (alg, comp) in dropped_hashes {
        warnings.push(format!(
            "hash algorithm {alg:?} (first on {comp}) has no CycloneDX name; its hashes not exported"
        ));
    }
    Ok((Value::Object(bom), warnings))
}

/// CycloneDX hash algorithm names for OpenVEX's (the spec's list, upper-cased with dashes).
fn cdx_hash_alg(alg: &str) -> Option<&'static str> {
    Some(match alg {
        "md5" => "MD5",
        "sha1" => "SHA-1",
        "sha-256" | "sha256" => "SHA-256",
        "sha-384" | "sha384" => "SHA-384",
        "sha-512" | "sha512" => "SHA-512",
        "sha3-256" => "SHA3-256",
        "sha3-384" => "SHA3-384",
        "sha3-512" => "SHA3-512",
        // BLAKE2s has no CycloneDX algorithm name (BLAKE2b is another function).
        "blake2b-256" => "BLAKE2b-256",
        "blake2b-512" => "BLAKE2b-512",
        _ => return None,
    })
}

/// One CycloneDX vulnerability for a statement; `doc_timestamp` (the document's
/// `timestamp`) stands in for a statement without one, as in the gate, for
/// `analysis.lastUpdated`, which `vex import` orders statements by.
fn cdx_vulnerability(
    st: &Statement,
    doc_timestamp: Option<&str>,
    product_ref: &str,
    has_subs: bool,
    affects: Vec<Value>,
) -> Value {
    let status = st.status();
    let mut v = Map::new();
    let id = if st.vulnerability.name.is_empty() {
        st.vulnerability
            .id
            .clone()
            .or_else(|| st.vulnerability.aliases.first().cloned())
            .unwrap_or_default()
    } else {
        st.vulnerability.name.clone()
    };
    v.insert("id".into(), json!(id));
    if let Some(s) = source_of(&id) {
        v.insert("source".into(), s);
    }
    let mut seen = BTreeSet::new();
    let refs: Vec<Value> = st
        .vulnerability
        .id
        .iter()
        .chain(st.vulnerability.aliases.iter())
        .filter(|a| **a != id && !a.is_empty() && seen.insert(a.as_str()))
        .map(|a| {
            let mut r = json!({"id": a, "source": {"name": "alias"}});
            if let Some(s) = source_of(a) {
                r["source"] = s;
            }
            r
        })
        .collect();
    if !refs.is_empty() {
        v.insert("references".into(), Value::Array(refs));
    }
    if let Some(d) = &st.vulnerability.description {
        v.insert("description".into(), json!(d));
    }
    let mut analysis = Map::new();
    analysis.insert("state".into(), json!(cdx_state(&status)));
    let mut props = Vec::new();
    if let Some(j) = st.justification.as_deref().filter(|j| !j.is_empty())
        && status == Status::NotAffected
    {
        if let Some(c) = cdx_justification(j) {
            analysis.insert("justification".into(), json!(c));
        }
        props.push(json!({"name": PROP_JUSTIFICATION, "value": j}));
    }
    let detail = match status {
        Status::NotAffected => st.impact_statement.clone(),
        _ => st.status_notes.clone(),
    };
    if let Some(d) = detail {
        analysis.insert("detail".into(), json!(d));
    }
    if let Some(t) = st
        .timestamp
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .or(doc_timestamp)
        .and_then(crate::vex::author::parse_timestamp)
    {
        analysis.insert(
            "lastUpdated".into(),
            json!(crate::vex::author::format_timestamp(t)),
        );
    }
    v.insert("analysis".into(), Value::Object(analysis));
    if let Some(a) = &st.action_statement {
        v.insert("recommendation".into(), json!(a));
    }
    v.insert("affects".into(), Value::Array(affects));
    if has_subs {
        props.insert(0, json!({"name": PROP_PRODUCT, "value": product_ref}));
    }
    if !props.is_empty() {
        v.insert("properties".into(), Value::Array(props));
    }
    Value::Object(v)
}

/// What CSAF needs that OpenVEX may not have.
#[derive(Debug, Clone, Default)]
pub struct CsafOptions {
    /// `document.tracking.id` (default: the document's `@id`).
    pub tracking_id: Option<String>,
    /// `document.publisher.namespace`, a URI (default: derived from the `@id`).
    pub namespace: Option<String>,
}

/// The CSAF 2.0 VEX document for the collapsed `doc`.
pub fn to_csaf(
    doc: &Document,
    c: &Collapsed,
    enrich: &Enrichment,
    src: &Path,
    opts: &CsafOptions,
) -> Result<(Value, Vec<String>)> {
    check_statuses(doc, c)?;
    let mut warnings = Vec::new();
    // Products (by component key) → CSAFPID; relationships (product, sub) → CSAFPID.
    let mut pids: HashMap<String, String> = HashMap::new();
    let mut full_product_names: Vec<Value> = Vec::new();
    let mut relationships: Vec<Value> = Vec::new();
    let mut rel_ids: HashMap<(String, String), String> = HashMap::new();
    let mut next = 0usize;
    let mut new_id = || {
        next += 1;
        format!("CSAFPID-{next:04}")
    };
    let mut product_id = |comp: &Component,
                          new_id: &mut dyn FnMut() -> String,
                          fpn: &mut Vec<Value>|
     -> String {
        let k = key_of(comp);
        if let Some(id) = pids.get(&k) {
            return id.clone();
        }
        let id = new_id();
        let (name, version) = enrich.name_version(comp);
        let name = match version {
            Some(v) => format!("{name} {v}"),
            None => name,
        };
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        m.insert("product_id".into(), json!(id));
        let mut helper = Map::new();
        if let Some(p) = comp.purl() {
            helper.insert("purl".into(), json!(p));
        }
        let hashes: Vec<Value> = comp
            .hashes
            .iter()
            .filter_map(|(alg, h)| csaf_hash_alg(alg).map(|a| json!({"algorithm": a, "value": h})))
            .collect();
        if !hashes.is_empty() {
            helper.insert(
                "hashes".into(),
                json!([{"file_hashes": hashes, "filename": name}]),
            );
        }
        if let Some(cpe) = comp
            .identifiers
            .get("cpe23")
            .or_else(|| comp.identifiers.get("cpe22"))
        {
            helper.insert("cpe".into(), json!(cpe));
        }
        if !helper.is_empty() {
            m.insert(
                "product_identification_helper".into(),
                Value::Object(helper),
            );
        }
        fpn.push(Value::Object(m));
        pids.insert(k, id.clone());
        id
    };

    // Per vulnerability name, in first-seen order.
    let mut order: Vec<String> = Vec::new();
    let mut per_vuln: HashMap<String, Vec<(Entry, String)>> = HashMap::new();
    let mut widened: BTreeSet<(String, String)> = BTreeSet::new();
    for e in &c.entries {
        let st = &doc.statements[e.statement];
        let p = &st.products[e.product];
        let pid = product_id(&p.component, &mut new_id, &mut full_product_names);
        let mut ids = Vec::new();
        match e.sub {
            None => ids.push(pid),
            Some(ci) => {
                let sub = &p.subcomponents[ci];
                let sid = product_id(sub, &mut new_id, &mut full_product_names);
                let key = (pid.clone(), sid.clone());
                let rid = if let Some(r) = rel_ids.get(&key) {
                    r.clone()
                } else {
                    let rid = new_id();
                    let (pn, _) = enrich.name_version(&p.component);
                    let (sn, _) = enrich.name_version(sub);
                    relationships.push(json!({
                        "category": "default_component_of",
                        "full_product_name": {"name": format!("{sn} as a component of {pn}"), "product_id": rid},
                        "product_reference": sid,
                        "relates_to_product_reference": pid,
                    }));
                    rel_ids.insert(key, rid.clone());
                    rid
                };
                ids.push(rid);
                // go-vex matches a product with subcomponents when no subcomponent is
                // asked, which is how Trivy asks about a package's own findings: the gate
                // applies the statement to the product package's own findings too. CSAF
                // can only say that by listing the product, which CSAF readers apply to
                // everything it contains (for a root module, every package): not exported,
                // the safe way round (those findings stay).
                let is_package = p
                    .component
                    .purl()
                    .is_some_and(|u| !u.starts_with("pkg:oci/") && !u.starts_with("pkg:docker/"));
                if is_package && widened.insert((st.vulnerability.name.clone(), pid.clone())) {
                    warnings.push(format!(
                        "{}: product {} has subcomponents; the gate also applies the statement to {}'s own findings, which CSAF cannot say without applying it to all its components: not exported",
                        st.vulnerability.name,
                        display_id(&p.component),
                        display_id(&p.component),
                    ));
                }
            }
        }
        let name = st.vulnerability.name.clone();
        if !per_vuln.contains_key(&name) {
            order.push(name.clone());
        }
        let list = per_vuln.entry(name).or_default();
        for id in ids {
            list.push((*e, id));
        }
    }

    let mut vulnerabilities = Vec::new();
    let mut dropped_justification = BTreeSet::new();
    let mut cve_of: HashMap<String, String> = HashMap::new();
    for name in &order {
        let list = &per_vuln[name];
        let first = &doc.statements[list[0].0.statement];
        let mut v = Map::new();
        let cve = std::iter::once(&first.vulnerability.name)
            .chain(first.vulnerability.id.iter())
            .chain(first.vulnerability.aliases.iter())
            .find(|s| is_cve(s))
            .cloned();
        let mut ids = Vec::new();
        for other in
            std::iter::once(&first.vulnerability.name).chain(first.vulnerability.aliases.iter())
        {
            if Some(other) != cve.as_ref() && !other.is_empty() {
                let system = other.split('-').next().unwrap_or("other");
                ids.push(json!({"system_name": system, "text": other}));
            }
        }
        if cve.is_none() {
            warnings.push(format!(
                "{name}: no CVE ID, written to ids[]: CSAF readers that select by cve (Trivy) do not apply it"
            ));
        } else if !ids.is_empty() {
            warnings.push(format!(
                "{name}: CSAF readers that select by cve (Trivy) match only findings reported as {}, not as its other IDs",
                cve.as_deref().unwrap_or("")
            ));
        }
        if let Some(cve) = &cve {
            if let Some(other) = cve_of.insert(cve.clone(), name.clone()) {
                warnings.push(format!(
                    "{name} and {other} both name {cve}: CSAF readers that take the first vulnerability with a CVE (Trivy) ignore the second; OpenVEX orders them by name"
                ));
            }
            v.insert("cve".into(), json!(cve));
        }
        if !ids.is_empty() {
            v.insert("ids".into(), Value::Array(ids));
        }
        if let Some(d) = &first.vulnerability.description {
            v.insert("notes".into(), json!([{"category": "description", "text": d, "title": "Vulnerability description"}]));
        }
        let mut status: BTreeMap<&str, UniqueIds> = BTreeMap::new();
        let mut flags: BTreeMap<String, UniqueIds> = BTreeMap::new();
        let mut threats: BTreeMap<String, UniqueIds> = BTreeMap::new();
        let mut remediations: BTreeMap<String, UniqueIds> = BTreeMap::new();
        let mut notes: BTreeMap<String, UniqueIds> = BTreeMap::new();
        for (e, id) in list {
            let st = &doc.statements[e.statement];
            let s = st.status();
            push_unique(
                status
                    .entry(csaf_status(&s).unwrap_or("under_investigation"))
                    .or_default(),
                id,
            );
            if let Some(j) = st.justification.as_deref().filter(|j| !j.is_empty()) {
                if s == Status::NotAffected {
                    push_unique(flags.entry(j.to_string()).or_default(), id);
                } else if dropped_justification.insert(e.statement) {
                    warnings.push(format!(
                        "statements[{}]: justification {j:?} on status {} not exported (a justification belongs to not_affected)",
                        e.statement, st.status
                    ));
                }
            }
            if let Some(i) = &st.impact_statement {
                push_unique(threats.entry(i.clone()).or_default(), id);
            }
            if let Some(a) = &st.action_statement {
                push_unique(remediations.entry(a.clone()).or_default(), id);
            } else if s == Status::Affected {
                push_unique(
                    remediations
                        .entry("No action statement was given.".into())
                        .or_default(),
                    id,
                );
            }
            if let Some(n) = &st.status_notes {
                push_unique(notes.entry(n.clone()).or_default(), id);
            }
        }
        let mut ps = Map::new();
        for (k, ids) in status {
            ps.insert(k.into(), json!(ids));
        }
        v.insert("product_status".into(), Value::Object(ps));
        if !flags.is_empty() {
            v.insert(
                "flags".into(),
                Value::Array(
                    flags
                        .into_iter()
                        .map(|(l, ids)| json!({"label": l, "product_ids": ids}))
                        .collect(),
                ),
            );
        }
        if !remediations.is_empty() {
            v.insert(
                "remediations".into(),
                Value::Array(
                    remediations
                        .into_iter()
                        .map(|(d, ids)| json!({"category": "mitigation", "details": d, "product_ids": ids}))
                        .collect(),
                ),
            );
        }
        if !threats.is_empty() {
            v.insert(
                "threats".into(),
                Value::Array(
                    threats
                        .into_iter()
                        .map(|(d, ids)| json!({"category": "impact", "details": d, "product_ids": ids}))
                        .collect(),
                ),
            );
        }
        if !notes.is_empty() {
            let arr = v.entry("notes").or_insert_with(|| json!([]));
            if let Value::Array(a) = arr {
                for (n, ids) in notes {
                    a.push(json!({"category": "details", "text": n, "title": format!("Status notes for {}", ids.0.join(", "))}));
                }
            }
        }
        vulnerabilities.push(Value::Object(v));
    }

    let time = doc_time(doc).unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let initial = doc
        .timestamp
        .as_deref()
        .and_then(crate::vex::author::parse_timestamp)
        .map(crate::vex::author::format_timestamp)
        .unwrap_or_else(|| time.clone());
    let version = doc.version.unwrap_or(1).max(1).to_string();
    let tracking_id = match opts.tracking_id.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ if !doc.id.trim().is_empty() => doc.id.trim().to_string(),
        _ => {
            return Err(Error::input(
                src,
                "has no @id: CSAF needs a tracking ID (give --tracking-id)",
            ));
        }
    };
    let namespace = match opts.namespace.as_deref().map(str::trim) {
        Some(n) => namespace_of(n).map(|_| n.to_string()).ok_or_else(|| {
            Error::usage(format!("--namespace {n:?} is not an absolute URI"))
        })?,
        None => namespace_of(&doc.id).ok_or_else(|| {
            Error::input(
                src,
                format!(
                    "@id {:?} is not a URI: CSAF needs the publisher's namespace (give --namespace)",
                    doc.id
                ),
            )
        })?,
    };
    let author = if doc.author.trim().is_empty() {
        "Unknown Author".to_string()
    } else {
        doc.author.trim().to_string()
    };
    if vulnerabilities.is_empty() {
        return Err(Error::input(
            src,
            "has no statements in force: a CSAF VEX document needs at least one vulnerability; nothing written",
        ));
    }
    let mut product_tree = Map::new();
    if !full_product_names.is_empty() {
        product_tree.insert(
            "full_product_names".into(),
            Value::Array(full_product_names),
        );
    }
    if !relationships.is_empty() {
        product_tree.insert("relationships".into(), Value::Array(relationships));
    }
    let mut out = json!({
        "document": {
            "category": "csaf_vex",
            "csaf_version": "2.0",
            "notes": [{
                "category": "summary",
                "text": format!("VEX statements of OpenVEX document {}, as in force at version {version}.", doc.id),
                "title": "Summary",
            }],
            "publisher": {"category": "other", "name": author, "namespace": namespace},
            "title": format!("VEX for {}", doc.id),
            "tracking": {
                "current_release_date": time,
                "generator": {"engine": {"name": "vexgate", "version": env!("CARGO_PKG_VERSION")}},
                "id": tracking_id,
                "initial_release_date": initial,
                "revision_history": [{"date": time, "number": version, "summary": "Exported from OpenVEX."}],
                "status": "final",
                "version": version,
            },
        },
    });
    if !product_tree.is_empty() {
        out["product_tree"] = Value::Object(product_tree);
    }
    if !vulnerabilities.is_empty() {
        out["vulnerabilities"] = Value::Array(vulnerabilities);
    }
    Ok((out, warnings))
}

/// Product IDs in first-added order, each once (a set beside the list: a document can list
/// many products for one status or note).
#[derive(Debug, Default)]
struct UniqueIds(Vec<String>, std::collections::HashSet<String>);

impl serde::Serialize for UniqueIds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

fn push_unique(v: &mut UniqueIds, id: &str) {
    if v.1.insert(id.to_string()) {
        v.0.push(id.to_string());
    }
}

/// `CVE-YYYY-NNNN…` (the CSAF `cve` pattern).
pub fn is_cve(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let mut parts = rest.splitn(2, '-');
    let (Some(y), Some(n)) = (parts.next(), parts.next()) else {
        return false;
    };
    y.len() == 4
        && y.bytes().all(|b| b.is_ascii_digit())
        && n.len() >= 4
        && n.bytes().all(|b| b.is_ascii_digit())
}

/// The publisher namespace from the document `@id`: the scheme and authority of a URL
/// (`https://example.com`), or the whole `urn:…` name's first two parts.
fn namespace_of(id: &str) -> Option<String> {
    let id = id.trim();
    if let Some((scheme, rest)) = id.split_once("://") {
        if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
        {
            return None;
        }
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return None;
        }
        return Some(format!("{scheme}://{host}"));
    }
    let mut parts = id.splitn(3, ':');
    match (parts.next(), parts.next()) {
        (Some("urn"), Some(nid))
            if !nid.is_empty() && nid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            Some(format!("urn:{nid}"))
        }
        _ => None,
    }
}

/// CSAF hash algorithm names for OpenVEX's.
fn csaf_hash_alg(alg: &str) -> Option<&'static str> {
    Some(match alg {
        "md5" => "md5",
        "sha1" => "sha1",
        "sha-256" | "sha256" => "sha256",
        "sha-384" | "sha384" => "sha384",
        "sha-512" | "sha512" => "sha512",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vex::model::{Product, Vulnerability};

    fn st(name: &str, product: &str, subs: &[&str], status: &str, ts: &str) -> Statement {
        Statement {
            vulnerability: Vulnerability {
                name: name.into(),
                ..Vulnerability::default()
            },
            timestamp: Some(ts.into()),
            products: vec![Product {
                component: Component::from_id(product),
                subcomponents: subs.iter().map(|s| Component::from_id(*s)).collect(),
            }],
            status: status.into(),
            justification: (status == "not_affected").then(|| "component_not_present".into()),
            ..Statement::default()
        }
    }

    fn collapsed(statements: Vec<Statement>) -> (Document, Collapsed) {
        let doc = Document {
            context: crate::vex::model::CONTEXT_V020.into(),
            id: "https://example.com/vex/1".into(),
            timestamp: Some("2025-01-01T00:00:00Z".into()),
            statements,
            ..Document::default()
        };
        let compiled = CompiledOpenVex::compile(&doc).unwrap();
        let c = collapse(&doc, &compiled);
        (doc, c)
    }

    /// A statement with thousands of aliases and subcomponents is bucketed once per token,
    /// not once per alias and token (that took minutes and gigabytes for a 100 KB
    /// document); the overlap through the one alias the later statement names is still
    /// found. Run on a thread with a deadline far above the time it takes (well under a
    /// second in a debug build), so a return of the per-alias blow-up fails instead of
    /// hanging the suite.
    #[test]
    fn many_aliases_and_subcomponents_stay_linear() {
        let n = 2000;
        let subs: Vec<String> = (0..n).map(|i| format!("pkg:npm/s{i}@1")).collect();
        let sub_refs: Vec<&str> = subs.iter().map(String::as_str).collect();
        let mut wide = st(
            "CVE-1",
            "pkg:oci/app",
            &sub_refs,
            "not_affected",
            "2025-01-01T00:00:00Z",
        );
        wide.vulnerability.aliases = (0..n).map(|i| format!("ALIAS-{i}")).collect();
        let later = st(
            "ALIAS-1999",
            "pkg:oci/app",
            &["pkg:npm/s7@1"],
            "affected",
            "2025-06-01T00:00:00Z",
        );
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (_, c) = collapsed(vec![wide, later]);
            let _ = tx.send(c.conflicts);
        });
        let conflicts = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("collapse of 2000 aliases x 2000 subcomponents took over 60 s");
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        assert!(conflicts[0].starts_with("ALIAS-1999: "), "{conflicts:?}");
    }

    fn live(c: &Collapsed) -> Vec<(usize, Option<usize>)> {
        c.entries.iter().map(|e| (e.statement, e.sub)).collect()
    }

    #[test]
    fn the_latest_statement_wins_and_a_tie_goes_to_the_earlier() {
        let (_, c) = collapsed(vec![
            st(
                "CVE-1",
                "pkg:npm/a",
                &[],
                "affected",
                "2025-02-01T00:00:00Z",
            ),
            st(
                "CVE-1",
                "pkg:npm/a",
                &[],
                "not_affected",
                "2025-03-01T00:00:00Z",
            ),
            st("CVE-1", "pkg:npm/a", &[], "fixed", "2025-02-15T00:00:00Z"),
            st("CVE-2", "pkg:npm/a", &[], "fixed", "2025-04-01T00:00:00Z"),
            st(
                "CVE-2",
                "pkg:npm/a",
                &[],
                "affected",
                "2025-04-01T00:00:00Z",
            ),
        ]);
        assert_eq!(live(&c), [(1, None), (3, None)]);
        assert_eq!(
            (c.total, c.superseded_statements, c.live_statements),
            (5, 3, 2)
        );
    }

    #[test]
    fn a_product_wide_statement_competes_with_its_subcomponents() {
        // A later product-wide statement overrides the subcomponent one.
        let (_, c) = collapsed(vec![
            st(
                "CVE-1",
                "pkg:oci/app",
                &["pkg:deb/debian/a"],
                "not_affected",
                "2025-02-01T00:00:00Z",
            ),
            st(
                "CVE-1",
                "pkg:oci/app",
                &[],
                "affected",
                "2025-03-01T00:00:00Z",
            ),
        ]);
        assert_eq!(live(&c), [(1, None)]);
        // A later subcomponent statement stands beside the product-wide one; when only the
        // product-wide one suppresses, the export says CSAF readers still suppress.
        let (_, c) = collapsed(vec![
            st(
                "CVE-1",
                "pkg:oci/app",
                &[],
                "not_affected",
                "2025-02-01T00:00:00Z",
            ),
            st(
                "CVE-1",
                "pkg:oci/app",
                &["pkg:deb/debian/a", "pkg:deb/debian/b"],
                "affected",
                "2025-03-01T00:00:00Z",
            ),
        ]);
        assert_eq!(live(&c), [(0, None), (1, Some(0)), (1, Some(1))]);
        assert_eq!(c.conflicts.len(), 1, "{:?}", c.conflicts);
        assert!(
            c.conflicts[0].contains("statements[0]") && c.conflicts[0].contains("statements[1]")
        );
    }

    #[test]
    fn blake2s_is_not_exported_as_blake2b() {
        assert_eq!(cdx_hash_alg("blake2s-256"), None);
        assert_eq!(cdx_hash_alg("blake2b-256"), Some("BLAKE2b-256"));
        let mut s = st(
            "CVE-1",
            "pkg:oci/app",
            &[],
            "not_affected",
            "2025-01-01T00:00:00Z",
        );
        s.products[0]
            .component
            .hashes
            .insert("blake2s-256".into(), "ab".repeat(32));
        let (doc, c) = collapsed(vec![s]);
        let (v, warnings) = to_cyclonedx(&doc, &c, &Enrichment::default()).unwrap();
        assert!(!v.to_string().contains("BLAKE2b"), "{v}");
        assert!(
            warnings.iter().any(|w| w.contains("blake2s-256")),
            "{warnings:?}"
        );
    }

    #[test]
    fn overlapping_suppressing_and_later_affected_entries_conflict() {
        let jan = "2025-01-01T00:00:00Z";
        let jun = "2025-06-01T00:00:00Z";
        // A product PURL and the same PURL with a qualifier: a finding on the qualified one
        // matches both; the gate applies June's affected.
        let (_, c) = collapsed(vec![
            st("CVE-1", "pkg:oci/app", &[], "not_affected", jan),
            st(
                "CVE-1",
                "pkg:oci/app?repository_url=ghcr.io/o/app",
                &[],
                "affected",
                jun,
            ),
        ]);
        assert_eq!(live(&c), [(0, None), (1, None)]);
        assert_eq!(c.conflicts.len(), 1, "{:?}", c.conflicts);
        assert!(
            c.conflicts[0].starts_with("CVE-1: statements[0] (not_affected, pkg:oci/app)"),
            "{:?}",
            c.conflicts
        );
        // The other way round (the qualified one suppresses, the wider one is later): the
        // wider affected one wins in the gate too, still a conflict.
        let (_, c) = collapsed(vec![
            st(
                "CVE-1",
                "pkg:oci/app?repository_url=ghcr.io/o/app",
                &[],
                "not_affected",
                jan,
            ),
            st("CVE-1", "pkg:oci/app", &[], "affected", jun),
        ]);
        assert_eq!(c.conflicts.len(), 1, "{:?}", c.conflicts);
        // A versionless and a versioned subcomponent PURL.
        let (_, c) = collapsed(vec![
            st(
                "CVE-1",
                "pkg:oci/app",
                &["pkg:deb/debian/a"],
                "not_affected",
                jan,
            ),
            st(
                "CVE-1",
                "pkg:oci/app",
                &["pkg:deb/debian/a@1.0"],
                "affected",
                jun,
            ),
        ]);
        assert_eq!(c.conflicts.len(), 1, "{:?}", c.conflicts);
        // The CVE named by one statement and aliased by the other.
        let mut aliased = st("GHSA-xxxx-yyyy-zzzz", "pkg:oci/app", &[], "affected", jun);
        aliased.vulnerability.aliases = vec!["CVE-1".into()];
        let (_, c) = collapsed(vec![
            st("CVE-1", "pkg:oci/app", &[], "not_affected", jan),
            aliased,
        ]);
        assert_eq!(c.conflicts.len(), 1, "{:?}", c.conflicts);
        // No conflict: the suppressing entry is the later one (the gate suppresses too),
        // the PURLs cannot both match one component (other repository, other version, other
        // package), or other vulnerabilities.
        for (a, b) in [
            (
                st("CVE-1", "pkg:oci/app", &[], "affected", jan),
                st(
                    "CVE-1",
                    "pkg:oci/app?repository_url=r/x",
                    &[],
                    "not_affected",
                    jun,
                ),
            ),
            (
                st(
                    "CVE-1",
                    "pkg:oci/app?repository_url=r/y",
                    &[],
                    "not_affected",
                    jan,
                ),
                st(
                    "CVE-1",
                    "pkg:oci/app?repository_url=r/x",
                    &[],
                    "affected",
                    jun,
                ),
            ),
            (
                st(
                    "CVE-1",
                    "pkg:oci/app",
                    &["pkg:deb/debian/a@2"],
                    "not_affected",
                    jan,
                ),
                st(
                    "CVE-1",
                    "pkg:oci/app",
                    &["pkg:deb/debian/a@1"],
                    "affected",
                    jun,
                ),
            ),
            (
                st(
                    "CVE-1",
                    "pkg:oci/app",
                    &["pkg:deb/debian/a"],
                    "not_affected",
                    jan,
                ),
                st(
                    "CVE-1",
                    "pkg:oci/app",
                    &["pkg:deb/debian/b"],
                    "affected",
                    jun,
                ),
            ),
            (
                st("CVE-1", "pkg:oci/app", &[], "not_affected", jan),
                st("CVE-2", "pkg:oci/app", &[], "affected", jun),
            ),
        ] {
            let (_, c) = collapsed(vec![a, b]);
            assert!(c.conflicts.is_empty(), "{:?}", c.conflicts);
        }
    }

    #[test]
    fn csaf_relationships_and_statuses() {
        let (doc, c) = collapsed(vec![
            st(
                "CVE-2024-0001",
                "pkg:oci/app",
                &["pkg:deb/debian/a"],
                "not_affected",
                "2025-02-01T00:00:00Z",
            ),
            st(
                "GHSA-xxxx-yyyy-zzzz",
                "pkg:npm/b",
                &[],
                "fixed",
                "2025-02-01T00:00:00Z",
            ),
        ]);
        let (v, warnings) = to_csaf(
            &doc,
            &c,
            &Enrichment::default(),
            Path::new("x"),
            &CsafOptions::default(),
        )
        .unwrap();
        let rel = &v["product_tree"]["relationships"][0];
        assert_eq!(rel["category"], "default_component_of");
        let rid = rel["full_product_name"]["product_id"].clone();
        assert_eq!(
            v["vulnerabilities"][0]["product_status"]["known_not_affected"][0],
            rid
        );
        assert_eq!(
            v["vulnerabilities"][0]["flags"][0]["label"],
            "component_not_present"
        );
        assert_eq!(v["vulnerabilities"][1].get("cve"), None);
        assert_eq!(
            v["vulnerabilities"][1]["ids"][0]["text"],
            "GHSA-xxxx-yyyy-zzzz"
        );
        assert!(
            warnings.iter().any(|w| w.contains("no CVE ID")),
            "{warnings:?}"
        );
        assert_eq!(
            v["document"]["publisher"]["namespace"],
            "https://example.com"
        );
    }

    #[test]
    fn cve_and_namespace_shapes() {
        assert!(is_cve("CVE-2024-12345"));
        for bad in [
            "CVE-24-1234",
            "CVE-2024-123",
            "cve-2024-1234",
            "GHSA-1",
            "CVE-2024-1234x",
        ] {
            assert!(!is_cve(bad), "{bad}");
        }
        assert_eq!(
            namespace_of("https://example.com/vex/1?x").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(namespace_of("urn:uuid:1234").as_deref(), Some("urn:uuid"));
        assert_eq!(namespace_of("not a uri"), None);
        assert_eq!(namespace_of("https:///x"), None);
    }
}
