//! `vex import`: CycloneDX VEX and CSAF VEX documents as OpenVEX statements.
//!
//! Both readers are typed and bounded: the file is read with the limits of every input
//! ([`crate::report::text::read_text`]), nesting is bounded by serde_json's recursion
//! limit (128), nested CycloneDX components and CSAF branches are walked with explicit
//! stacks. CSAF is read with the product tree types of the gate's CSAF reader
//! ([`crate::vex::csaf`]).
//!
//! Every status or justification with no OpenVEX equivalent, and every product that names
//! nothing OpenVEX can hold, is an unmapped line ([`Imported::unmapped`]): the caller refuses the import, or
//! with `--skip-unmapped` imports the rest. Nothing is silently changed. The mapping tables
//! are in docs/src/vex-export-import.md.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::vex::author::{NewStatement, StatusFields};
use crate::vex::csaf::{Branch, FullProductName, ProductTree, RELATIONSHIP_CATEGORIES};
use crate::vex::export::{PROP_JUSTIFICATION, PROP_PRODUCT};
use crate::vex::model::{Component, JUSTIFICATIONS, Product, Vulnerability};

/// The input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CycloneDx,
    Csaf,
}

/// What the import found.
#[derive(Debug, Default)]
pub struct Imported {
    pub statements: Vec<NewStatement>,
    /// Parts with no OpenVEX equivalent, one line each (not imported).
    pub unmapped: Vec<String>,
    /// Information that has no OpenVEX field and was not imported, one line each.
    pub notes: Vec<String>,
}

/// Read `path` as `format` and map it to OpenVEX statements.
pub fn read(path: &Path, format: Format) -> Result<Imported> {
    let text = crate::report::text::read_text(path)?;
    parse(path, &text, format)
}

/// Map the text of a CycloneDX or CSAF document (read from `path`, named in errors) to
/// OpenVEX statements.
pub fn parse(path: &Path, text: &str, format: Format) -> Result<Imported> {
    let v: Value = serde_json::from_str(text).map_err(|e| Error::json(path, &e))?;
    if !v.is_object() {
        return Err(Error::input(path, "is JSON but not an object"));
    }
    match format {
        Format::CycloneDx => {
            if v.get("bomFormat").and_then(Value::as_str) != Some("CycloneDX") {
                return Err(Error::input(
                    path,
                    "is not a CycloneDX document (no \"bomFormat\": \"CycloneDX\")",
                ));
            }
            let bom: Bom = serde_json::from_value(v)
                .map_err(|e| Error::input(path, format!("CycloneDX document: {e}")))?;
            from_cyclonedx(path, &bom).map(drop_conflicts)
        }
        Format::Csaf => {
            if v.get("document").is_none_or(|d| !d.is_object()) {
                return Err(Error::input(
                    path,
                    "is not a CSAF document (no \"document\" object)",
                ));
            }
            let doc: CsafDoc = serde_json::from_value(v)
                .map_err(|e| Error::input(path, format!("CSAF document: {e}")))?;
            from_csaf(path, &doc).map(drop_conflicts)
        }
    }
}

/// Every imported statement gets the time of the import, so two statements of one document
/// for the same vulnerability, product and subcomponent with different statuses would be
/// settled by their order in the document, which neither format gives a meaning. Such
/// entries are unmapped (one line per entry) and left out of every statement; a statement
/// left with no product is dropped.
fn drop_conflicts(mut imported: Imported) -> Imported {
    type Key = (String, String, Option<String>);
    let key_of = |c: &Component| serde_json::to_string(c).unwrap_or_default();
    let keys = |st: &NewStatement| -> Vec<Key> {
        let mut out = Vec::new();
        for p in &st.products {
            let pk = key_of(&p.component);
            if p.subcomponents.is_empty() {
                out.push((st.vulnerability.name.clone(), pk, None));
            } else {
                for c in &p.subcomponents {
                    out.push((st.vulnerability.name.clone(), pk.clone(), Some(key_of(c))));
                }
            }
        }
        out
    };
    let mut status: HashMap<Key, &str> = HashMap::new();
    let mut conflicting: BTreeMap<Key, ()> = BTreeMap::new();
    for st in &imported.statements {
        for k in keys(st) {
            match status.get(&k) {
                Some(s) if *s != st.fields.status => {
                    conflicting.insert(k, ());
                }
                Some(_) => {}
                None => {
                    status.insert(k, &st.fields.status);
                }
            }
        }
    }
    if conflicting.is_empty() {
        return imported;
    }
    let display = |k: &str| -> String {
        serde_json::from_str::<Component>(k)
            .ok()
            .and_then(|c| c.purl().map(str::to_string).or(Some(c.id)))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| k.to_string())
    };
    for (name, p, sub) in conflicting.keys() {
        let what = match sub {
            Some(c) => format!("{} in {}", display(c), display(p)),
            None => display(p),
        };
        imported.unmapped.push(format!(
            "{name}: {what} is given different statuses in this document (its order does not say which holds); not imported"
        ));
    }
    for st in &mut imported.statements {
        let name = st.vulnerability.name.clone();
        st.products.retain_mut(|p| {
            let pk = key_of(&p.component);
            if p.subcomponents.is_empty() {
                return !conflicting.contains_key(&(name.clone(), pk, None));
            }
            p.subcomponents.retain(|c| {
                !conflicting.contains_key(&(name.clone(), pk.clone(), Some(key_of(c))))
            });
            !p.subcomponents.is_empty()
        });
    }
    imported.statements.retain(|st| !st.products.is_empty());
    imported
}

// ---------------------------------------------------------------------------------------
// CycloneDX

#[derive(Debug, Default, Deserialize)]
struct Bom {
    #[serde(default)]
    metadata: Option<BomMetadata>,
    #[serde(default)]
    components: Vec<CdxComponent>,
    #[serde(default)]
    vulnerabilities: Vec<CdxVuln>,
}

#[derive(Debug, Default, Deserialize)]
struct BomMetadata {
    #[serde(default)]
    component: Option<CdxComponent>,
}

#[derive(Debug, Default, Deserialize)]
struct CdxComponent {
    #[serde(rename = "bom-ref", default)]
    bom_ref: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    cpe: Option<String>,
    #[serde(default)]
    components: Vec<CdxComponent>,
}

#[derive(Debug, Default, Deserialize)]
struct CdxVuln {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    references: Vec<CdxReference>,
    #[serde(default)]
    analysis: Option<CdxAnalysis>,
    #[serde(default)]
    recommendation: Option<String>,
    #[serde(default)]
    affects: Vec<CdxAffects>,
    #[serde(default)]
    properties: Vec<CdxProperty>,
}

#[derive(Debug, Default, Deserialize)]
struct CdxReference {
    #[serde(default)]
    id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CdxAnalysis {
    #[serde(default)]
    state: Option<String>,
    #[serde(rename = "lastUpdated", default)]
    last_updated: Option<String>,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    response: Vec<String>,
    #[serde(default)]
    detail: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CdxAffects {
    #[serde(rename = "ref", default)]
    reference: Option<String>,
    #[serde(default)]
    versions: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct CdxProperty {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    value: Option<String>,
}

/// CycloneDX `analysis.state` → OpenVEX status (`None`: no equivalent).
pub fn status_from_cdx(state: &str) -> Option<&'static str> {
    Some(match state {
        "not_affected" => "not_affected",
        "exploitable" => "affected",
        "resolved" | "resolved_with_pedigree" => "fixed",
        "in_triage" => "under_investigation",
        _ => return None,
    })
}

/// CycloneDX `analysis.justification` → OpenVEX justification (`None`: no equivalent).
pub fn justification_from_cdx(j: &str) -> Option<&'static str> {
    Some(match j {
        "code_not_present" => "vulnerable_code_not_present",
        "code_not_reachable" => "vulnerable_code_not_in_execute_path",
        "protected_by_mitigating_control" => "inline_mitigations_already_exist",
        _ => return None,
    })
}

/// Every component by bom-ref (nested ones too, walked with a stack), as OpenVEX
/// components: the PURL when there is one, else the CPE. A component with neither is
/// `None`: a statement about it could never match a finding.
fn cdx_components(bom: &Bom) -> HashMap<String, Option<Component>> {
    let mut out = HashMap::new();
    let mut stack: Vec<&CdxComponent> = bom.components.iter().collect();
    if let Some(c) = bom.metadata.as_ref().and_then(|m| m.component.as_ref()) {
        stack.push(c);
    }
    while let Some(c) = stack.pop() {
        stack.extend(c.components.iter());
        let Some(r) = c.bom_ref.as_deref().filter(|r| !r.is_empty()) else {
            continue;
        };
        let comp = if let Some(p) = c.purl.as_deref().filter(|p| !p.is_empty()) {
            Some(Component::from_id(p))
        } else if let Some(cpe) = c.cpe.as_deref().filter(|p| !p.is_empty()) {
            let mut comp = Component::from_id(r);
            let key = if cpe.starts_with("cpe:2.3:") {
                "cpe23"
            } else {
                "cpe22"
            };
            comp.identifiers.insert(key.into(), cpe.to_string());
            Some(comp)
        } else {
            None
        };
        out.entry(r.to_string()).or_insert(comp);
    }
    out
}

/// Whether a CycloneDX `affects[].versions` list says exactly what the PURL `reference`
/// says: the PURL carries a version and every entry names that version (no range).
fn versions_agree(component: &Component, versions: &[Value]) -> bool {
    let Some(version) = component
        .purl()
        .and_then(|p| crate::purl::Purl::parse(p).ok())
        .map(|p| p.version)
        .filter(|v| !v.is_empty())
    else {
        return false;
    };
    versions.iter().all(|e| {
        e.get("range").is_none()
            && e.get("version").and_then(Value::as_str) == Some(version.as_str())
    })
}

/// The first `affects[].versions` entry whose `status` (`affected`, `unaffected`,
/// `unknown`) says otherwise than the statement's OpenVEX `status`, with its index: a
/// not_affected or fixed statement needs `unaffected`, an affected one `affected`, an
/// under_investigation one `unknown` or `affected`. Importing past it would suppress a
/// version the document itself calls affected (or the reverse).
fn version_status_conflict<'v>(status: &str, versions: &'v [Value]) -> Option<(usize, &'v str)> {
    versions.iter().enumerate().find_map(|(j, e)| {
        let vs = e.get("status")?.as_str().unwrap_or("");
        let agrees = match status {
            "not_affected" | "fixed" => vs == "unaffected",
            "affected" => vs == "affected",
            _ => vs == "unknown" || vs == "affected",
        };
        (!agrees).then_some((j, vs))
    })
}

fn from_cyclonedx(path: &Path, bom: &Bom) -> Result<Imported> {
    let _ = path;
    let comps = cdx_components(bom);
    let mut out = Imported::default();
    // Each statement's analysis.lastUpdated, to order them (see the end).
    let mut updated: Vec<Option<jiff::Timestamp>> = Vec::new();
    let resolve = |r: &str| -> std::result::Result<Component, &'static str> {
        match comps.get(r) {
            Some(Some(c)) => Ok(c.clone()),
            Some(None) => Err("names a component with no purl or cpe (no finding can match it)"),
            None if r.starts_with("pkg:") => Ok(Component::from_id(r)),
            None if r.starts_with("urn:cdx:") => {
                Err("is a BOM-Link to another document (no finding can match it)")
            }
            None => Err("names no component of this document"),
        }
    };
    for (i, v) in bom.vulnerabilities.iter().enumerate() {
        let id = v.id.as_deref().unwrap_or("").trim();
        let at = |what: &str| format!("vulnerabilities[{i}] ({id}): {what}");
        if id.is_empty() {
            out.unmapped
                .push(format!("vulnerabilities[{i}]: has no id"));
            continue;
        }
        let Some(a) = &v.analysis else {
            out.unmapped.push(at("has no analysis (no VEX state)"));
            continue;
        };
        let Some(state) = a.state.as_deref() else {
            out.unmapped.push(at("has no analysis.state"));
            continue;
        };
        let Some(status) = status_from_cdx(state) else {
            out.unmapped.push(at(&format!(
                "analysis.state {state:?} has no OpenVEX status"
            )));
            continue;
        };
        let prop = |name: &str| {
            v.properties
                .iter()
                .find(|p| p.name.as_deref() == Some(name))
                .and_then(|p| p.value.clone())
        };
        let mut fields = StatusFields {
            status: status.into(),
            ..StatusFields::default()
        };
        let detail = a.detail.clone().filter(|d| !d.trim().is_empty());
        if status == "not_affected" {
            // The OpenVEX label vexgate wrote beside the CycloneDX one: taken only when it
            // exports to the very justification the document states.
            let original = prop(PROP_JUSTIFICATION);
            if let Some(j) = &original
                && (!JUSTIFICATIONS.contains(&j.as_str())
                    || a.justification.as_deref() != crate::vex::export::cdx_justification(j))
            {
                out.unmapped.push(at(&format!(
                    "property {PROP_JUSTIFICATION} {j:?} disagrees with analysis.justification {:?}",
                    a.justification.as_deref().unwrap_or("")
                )));
                continue;
            }
            match (&a.justification, original) {
                (_, Some(j)) => fields.justification = Some(j),
                (Some(j), None) => match justification_from_cdx(j) {
                    Some(o) => fields.justification = Some(o.into()),
                    None => {
                        out.unmapped.push(at(&format!(
                            "analysis.justification {j:?} has no OpenVEX justification"
                        )));
                        continue;
                    }
                },
                (None, None) => {}
            }
            fields.impact_statement = detail;
            if fields.justification.is_none() && fields.impact_statement.is_none() {
                out.unmapped.push(at(
                    "not_affected without a justification or detail (OpenVEX needs one)",
                ));
                continue;
            }
        } else {
            if a.justification.is_some() {
                out.unmapped.push(at(&format!(
                    "analysis.justification on state {state:?}: OpenVEX allows one only with not_affected"
                )));
                continue;
            }
            fields.status_notes = detail;
        }
        if status == "affected" {
            fields.action_statement = v.recommendation.clone().filter(|r| !r.trim().is_empty());
            if fields.action_statement.is_none() && !a.response.is_empty() {
                fields.action_statement = Some(format!(
                    "CycloneDX analysis.response: {}",
                    a.response.join(", ")
                ));
            } else if !a.response.is_empty() {
                out.notes.push(at(&format!(
                    "analysis.response {} not imported (the recommendation is the action statement)",
                    a.response.join(", ")
                )));
            }
            if fields.action_statement.is_none() {
                out.unmapped.push(at(
                    "exploitable without a recommendation or response (OpenVEX affected needs an action statement)",
                ));
                continue;
            }
        } else {
            if !a.response.is_empty() {
                out.notes.push(at(&format!(
                    "analysis.response {} has no OpenVEX field for status {status}; not imported",
                    a.response.join(", ")
                )));
            }
            if v.recommendation
                .as_deref()
                .is_some_and(|r| !r.trim().is_empty())
            {
                out.notes.push(at(&format!(
                    "recommendation has no OpenVEX field for status {status}; not imported"
                )));
            }
        }
        let mut subjects = Vec::new();
        let mut bad = None;
        for (k, af) in v.affects.iter().enumerate() {
            let r = af.reference.as_deref().unwrap_or("");
            match resolve(r) {
                Ok(_) if let Some((j, vs)) = version_status_conflict(status, &af.versions) => {
                    bad = Some(at(&format!(
                        "affects[{k}].versions[{j}].status {vs:?} disagrees with analysis.state {state:?}"
                    )));
                    break;
                }
                Ok(c) if af.versions.is_empty() || versions_agree(&c, &af.versions) => {
                    subjects.push(c)
                }
                Ok(_) => {
                    bad = Some(at(&format!(
                        "affects[{k}].versions limits the statement to versions its ref {r:?} does not carry (OpenVEX names the version in the PURL)"
                    )));
                    break;
                }
                Err(why) => {
                    bad = Some(at(&format!("affects[{k}].ref {r:?} {why}")));
                    break;
                }
            }
        }
        if let Some(b) = bad {
            out.unmapped.push(b);
            continue;
        }
        if subjects.is_empty() {
            out.unmapped.push(at("affects no component"));
            continue;
        }
        let products = match prop(PROP_PRODUCT) {
            Some(p) => match resolve(&p) {
                Ok(product) => vec![Product {
                    component: product,
                    subcomponents: subjects,
                }],
                Err(why) => {
                    out.unmapped
                        .push(at(&format!("property {PROP_PRODUCT} {p:?} {why}")));
                    continue;
                }
            },
            None => subjects
                .into_iter()
                .map(|c| Product {
                    component: c,
                    subcomponents: Vec::new(),
                })
                .collect(),
        };
        let aliases = v
            .references
            .iter()
            .filter_map(|r| r.id.clone())
            .filter(|r| !r.is_empty() && r != id)
            .collect();
        updated.push(
            a.last_updated
                .as_deref()
                .and_then(crate::vex::author::parse_timestamp),
        );
        out.statements.push(NewStatement {
            vulnerability: Vulnerability {
                name: id.to_string(),
                aliases,
                ..Vulnerability::default()
            },
            products,
            fields,
        });
    }
    // Every imported statement gets the time of the import, and among statements of one
    // name and time the gate (go-vex's order) applies the first in the document. So the
    // statements are written newest analysis.lastUpdated first (those without one last, in
    // document order): of two that overlap (a versioned and a versionless PURL), the one
    // the source document updated last still wins, as it does in the gate on the OpenVEX
    // that `vex export` made the document from.
    let mut order: Vec<usize> = (0..out.statements.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(updated[i]));
    let mut taken: Vec<Option<NewStatement>> = out.statements.drain(..).map(Some).collect();
    out.statements = order.into_iter().filter_map(|i| taken[i].take()).collect();
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// CSAF

#[derive(Debug, Default, Deserialize)]
struct CsafDoc {
    #[serde(default)]
    product_tree: Option<ImportTree>,
    #[serde(default)]
    vulnerabilities: Vec<CsafVuln>,
}

#[derive(Debug, Default, Deserialize)]
struct ImportTree {
    #[serde(flatten)]
    base: ProductTree,
    #[serde(default)]
    product_groups: Vec<ProductGroup>,
}

#[derive(Debug, Default, Deserialize)]
struct ProductGroup {
    #[serde(default)]
    group_id: Option<String>,
    #[serde(default)]
    product_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CsafVuln {
    #[serde(default)]
    cve: Option<String>,
    #[serde(default)]
    ids: Vec<CsafId>,
    #[serde(default)]
    product_status: Option<CsafStatus>,
    #[serde(default)]
    flags: Vec<Scoped>,
    #[serde(default)]
    threats: Vec<Scoped>,
    #[serde(default)]
    remediations: Vec<Scoped>,
}

#[derive(Debug, Default, Deserialize)]
struct CsafId {
    #[serde(default)]
    text: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CsafStatus {
    #[serde(default)]
    first_affected: Vec<String>,
    #[serde(default)]
    first_fixed: Vec<String>,
    #[serde(default)]
    fixed: Vec<String>,
    #[serde(default)]
    known_affected: Vec<String>,
    #[serde(default)]
    known_not_affected: Vec<String>,
    #[serde(default)]
    last_affected: Vec<String>,
    #[serde(default)]
    recommended: Vec<String>,
    #[serde(default)]
    under_investigation: Vec<String>,
}

/// A flag, threat or remediation: what it says and to which products.
#[derive(Debug, Default, Deserialize)]
struct Scoped {
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    product_ids: Vec<String>,
    #[serde(default)]
    group_ids: Vec<String>,
}

/// The first of a list of flags, threats or remediations (those of one category, when
/// given) that applies to a product: listed, in a listed group, or (neither product_ids nor
/// group_ids given) to every product of the vulnerability. Built once per list, so looking
/// up a product does not scan the list.
struct ScopeIndex {
    by_id: HashMap<String, usize>,
    all: Option<usize>,
}

impl ScopeIndex {
    fn new(
        items: &[Scoped],
        category: Option<&str>,
        groups: &HashMap<String, Vec<String>>,
    ) -> Self {
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut all = None;
        // A group is expanded once: its members already point at an earlier item.
        let mut expanded: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for (i, s) in items.iter().enumerate() {
            if category.is_some_and(|c| s.category.as_deref() != Some(c)) {
                continue;
            }
            if s.product_ids.is_empty() && s.group_ids.is_empty() {
                all.get_or_insert(i);
                continue;
            }
            for p in &s.product_ids {
                by_id.entry(p.clone()).or_insert(i);
            }
            for g in &s.group_ids {
                if !expanded.insert(g.as_str()) {
                    continue;
                }
                for p in groups.get(g).into_iter().flatten() {
                    by_id.entry(p.clone()).or_insert(i);
                }
            }
        }
        Self { by_id, all }
    }

    fn first<'a>(&self, items: &'a [Scoped], id: &str) -> Option<&'a Scoped> {
        let i = match (self.by_id.get(id).copied(), self.all) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        items.get(i)
    }
}

/// What a CSAF product ID stands for in OpenVEX.
#[derive(Debug, Clone)]
enum Subject {
    Product(Component),
    /// (product, subcomponent) of a relationship.
    Pair(Component, Component),
}

fn component_of(f: &FullProductName) -> Option<Component> {
    let h = f.product_identification_helper.as_ref()?;
    if let Some(p) = h.purl.as_deref().filter(|p| !p.is_empty()) {
        return Some(Component::from_id(p));
    }
    let cpe = h.cpe.as_deref().filter(|c| !c.is_empty())?;
    let mut c = Component::default();
    let key = if cpe.starts_with("cpe:2.3:") {
        "cpe23"
    } else {
        "cpe22"
    };
    c.identifiers.insert(key.into(), cpe.to_string());
    Some(c)
}

struct Tree {
    /// product id → component (PURL or CPE), `None` when it has neither.
    products: HashMap<String, Option<Component>>,
    /// relationship full product id → (category, product reference, relates-to reference).
    relationships: HashMap<String, (String, String, String)>,
    groups: HashMap<String, Vec<String>>,
}

impl Tree {
    fn build(t: Option<&ImportTree>) -> Self {
        let mut products = HashMap::new();
        let mut relationships = HashMap::new();
        let mut groups = HashMap::new();
        if let Some(t) = t {
            let mut add = |f: &FullProductName| {
                if let Some(id) = &f.product_id {
                    products
                        .entry(id.clone())
                        .or_insert_with(|| component_of(f));
                }
            };
            for f in &t.base.full_product_names {
                add(f);
            }
            let mut stack: Vec<&Branch> = t.base.branches.iter().collect();
            while let Some(b) = stack.pop() {
                if let Some(p) = &b.product {
                    add(p);
                }
                stack.extend(b.branches.iter());
            }
            for r in &t.base.relationships {
                if let Some(f) = &r.full_product_name
                    && let Some(id) = &f.product_id
                {
                    relationships.entry(id.clone()).or_insert((
                        r.category.clone().unwrap_or_default(),
                        r.product_reference.clone().unwrap_or_default(),
                        r.relates_to_product_reference.clone().unwrap_or_default(),
                    ));
                }
            }
            for g in &t.product_groups {
                if let Some(id) = &g.group_id {
                    groups.insert(id.clone(), g.product_ids.clone());
                }
            }
        }
        Tree {
            products,
            relationships,
            groups,
        }
    }

    fn plain(&self, id: &str) -> std::result::Result<Component, String> {
        match self.products.get(id) {
            Some(Some(c)) => Ok(c.clone()),
            Some(None) => Err(format!(
                "product {id:?} has no purl or cpe in its product_identification_helper"
            )),
            None => Err(format!("product {id:?} is not in the product_tree")),
        }
    }

    fn subject(&self, id: &str) -> std::result::Result<Subject, String> {
        if let Some((cat, sub, product)) = self.relationships.get(id) {
            if !RELATIONSHIP_CATEGORIES.contains(&cat.as_str()) {
                return Err(format!(
                    "product {id:?} is a relationship of category {cat:?}, which OpenVEX has no equivalent of"
                ));
            }
            return Ok(Subject::Pair(self.plain(product)?, self.plain(sub)?));
        }
        self.plain(id).map(Subject::Product)
    }
}

fn from_csaf(path: &Path, doc: &CsafDoc) -> Result<Imported> {
    let _ = path;
    let tree = Tree::build(doc.product_tree.as_ref());
    let mut out = Imported::default();
    // Products that name nothing OpenVEX can hold: one line per product, with a count.
    let mut bad_products: Vec<(String, usize)> = Vec::new();
    let mut bad_index: HashMap<String, usize> = HashMap::new();
    for (i, v) in doc.vulnerabilities.iter().enumerate() {
        let mut names: Vec<String> = v.cve.iter().cloned().collect();
        names.extend(v.ids.iter().filter_map(|x| x.text.clone()));
        names.retain(|n| !n.trim().is_empty());
        let Some(name) = names.first().cloned() else {
            out.unmapped
                .push(format!("vulnerabilities[{i}]: has no cve or ids"));
            continue;
        };
        let aliases: Vec<String> = names[1..].iter().filter(|a| **a != name).cloned().collect();
        let at = |what: &str| format!("vulnerabilities[{i}] ({name}): {what}");
        let Some(ps) = &v.product_status else {
            out.unmapped.push(at("has no product_status"));
            continue;
        };
        let lists: [(&str, &Vec<String>, Option<&str>); 8] = [
            (
                "known_not_affected",
                &ps.known_not_affected,
                Some("not_affected"),
            ),
            ("fixed", &ps.fixed, Some("fixed")),
            ("first_fixed", &ps.first_fixed, Some("fixed")),
            ("known_affected", &ps.known_affected, Some("affected")),
            ("first_affected", &ps.first_affected, Some("affected")),
            ("last_affected", &ps.last_affected, Some("affected")),
            (
                "under_investigation",
                &ps.under_investigation,
                Some("under_investigation"),
            ),
            ("recommended", &ps.recommended, None),
        ];
        let flags_ix = ScopeIndex::new(&v.flags, None, &tree.groups);
        let threats_ix = ScopeIndex::new(&v.threats, Some("impact"), &tree.groups);
        let remediations_ix = ScopeIndex::new(&v.remediations, None, &tree.groups);
        // (status fields) → subjects, in first-seen order.
        let mut groups: Vec<(StatusFields, Vec<Subject>)> = Vec::new();
        let mut group_of: HashMap<StatusFields, usize> = HashMap::new();
        for (list_name, ids, status) in lists {
            for id in ids {
                let at_id = |what: &str| at(&format!("product_status.{list_name} {id:?}: {what}"));
                let Some(status) = status else {
                    out.unmapped
                        .push(at_id("\"recommended\" has no OpenVEX status"));
                    continue;
                };
                let subject = match tree.subject(id) {
                    Ok(s) => s,
                    Err(e) => {
                        match bad_index.get(&e) {
                            Some(&b) => bad_products[b].1 += 1,
                            None => {
                                bad_index.insert(e.clone(), bad_products.len());
                                bad_products.push((e, 1));
                            }
                        }
                        continue;
                    }
                };
                let details = |items: &[Scoped], ix: &ScopeIndex| -> Option<String> {
                    ix.first(items, id)
                        .and_then(|s| s.details.clone())
                        .filter(|d| !d.trim().is_empty())
                };
                let mut f = StatusFields {
                    status: status.into(),
                    ..StatusFields::default()
                };
                match status {
                    "not_affected" => {
                        let label = flags_ix.first(&v.flags, id).and_then(|s| s.label.clone());
                        if let Some(l) = &label
                            && !JUSTIFICATIONS.contains(&l.as_str())
                        {
                            out.unmapped.push(at_id(&format!(
                                "flag label {l:?} is not an OpenVEX justification"
                            )));
                            continue;
                        }
                        f.justification = label;
                        f.impact_statement = details(&v.threats, &threats_ix);
                        if f.justification.is_none() && f.impact_statement.is_none() {
                            out.unmapped.push(at_id(
                                "no flag or impact threat (OpenVEX not_affected needs a justification or an impact statement)",
                            ));
                            continue;
                        }
                    }
                    "affected" => {
                        f.action_statement = details(&v.remediations, &remediations_ix);
                        if f.action_statement.is_none() {
                            out.unmapped.push(at_id(
                                "no remediation (OpenVEX affected needs an action statement)",
                            ));
                            continue;
                        }
                    }
                    _ => {}
                }
                match group_of.get(&f) {
                    Some(&g) => groups[g].1.push(subject),
                    None => {
                        group_of.insert(f.clone(), groups.len());
                        groups.push((f, vec![subject]));
                    }
                }
            }
        }
        for (fields, subjects) in groups {
            out.statements.push(NewStatement {
                vulnerability: Vulnerability {
                    name: name.clone(),
                    aliases: aliases.clone(),
                    ..Vulnerability::default()
                },
                products: merge_products(subjects),
                fields,
            });
        }
    }
    for (e, n) in bad_products {
        out.unmapped
            .push(format!("{e} (named {n} time(s) in product_status)"));
    }
    if doc.vulnerabilities.is_empty() {
        out.notes.push("the document has no vulnerabilities".into());
    }
    Ok(out)
}

/// Products in first-seen order; pairs with the same product share it, their
/// subcomponents listed under it. A product named both alone and in pairs is listed twice
/// (alone it covers all it contains).
fn merge_products(subjects: Vec<Subject>) -> Vec<Product> {
    let mut out: Vec<Product> = Vec::new();
    let mut pair_index: BTreeMap<String, usize> = BTreeMap::new();
    let key = |c: &Component| serde_json::to_string(c).unwrap_or_default();
    // Products listed alone, and (product position, subcomponent) listed, by key.
    let mut alone: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut listed: std::collections::HashSet<(usize, String)> = std::collections::HashSet::new();
    for s in subjects {
        match s {
            Subject::Product(c) => {
                if alone.insert(key(&c)) {
                    out.push(Product {
                        component: c,
                        subcomponents: Vec::new(),
                    });
                }
            }
            Subject::Pair(p, sub) => {
                let k = key(&p);
                match pair_index.get(&k) {
                    Some(&i) => {
                        if listed.insert((i, key(&sub))) {
                            out[i].subcomponents.push(sub);
                        }
                    }
                    None => {
                        pair_index.insert(k, out.len());
                        listed.insert((out.len(), key(&sub)));
                        out.push(Product {
                            component: p,
                            subcomponents: vec![sub],
                        });
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csaf(text: &str) -> Imported {
        let doc: CsafDoc = serde_json::from_str(text).unwrap();
        from_csaf(Path::new("x"), &doc).unwrap()
    }

    fn cdx(v: serde_json::Value) -> Imported {
        parse(Path::new("x"), &v.to_string(), Format::CycloneDx).unwrap()
    }

    /// One vulnerability, not_affected, affecting `affects`, with `components`.
    fn cdx_doc(components: serde_json::Value, affects: serde_json::Value) -> serde_json::Value {
        serde_json::json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "components": components,
            "vulnerabilities": [{
                "id": "CVE-2024-0001",
                "analysis": {"state": "not_affected", "justification": "code_not_present"},
                "affects": affects
            }]
        })
    }

    #[test]
    fn cyclonedx_versions_must_agree_with_the_ref_purl() {
        let comps = serde_json::json!([
            {"type": "library", "bom-ref": "a", "name": "a", "purl": "pkg:npm/a@1.0.0"},
            {"type": "library", "bom-ref": "b", "name": "b", "purl": "pkg:npm/b"}
        ]);
        // The PURL's own version: the same statement.
        let i = cdx(cdx_doc(
            comps.clone(),
            serde_json::json!([{"ref": "a", "versions": [{"version": "1.0.0", "status": "unaffected"}]}]),
        ));
        assert!(i.unmapped.is_empty(), "{:?}", i.unmapped);
        assert_eq!(i.statements.len(), 1);
        // Another version, a range, or a versionless PURL: importing would widen it.
        for affects in [
            serde_json::json!([{"ref": "a", "versions": [{"version": "2.0.0"}]}]),
            serde_json::json!([{"ref": "a", "versions": [{"range": "vers:npm/<2"}]}]),
            serde_json::json!([{"ref": "b", "versions": [{"version": "1.0.0"}]}]),
        ] {
            let i = cdx(cdx_doc(comps.clone(), affects.clone()));
            assert!(i.statements.is_empty(), "{affects}");
            assert_eq!(i.unmapped.len(), 1, "{affects}");
            assert!(
                i.unmapped[0].contains("affects[0].versions"),
                "{:?}",
                i.unmapped
            );
        }
    }

    /// A version's own status must say what the analysis state says: `not_affected` with
    /// a version `affected` (or `unknown`) would suppress a version the document calls
    /// affected; `exploitable` with a version `unaffected` the reverse.
    #[test]
    fn cyclonedx_version_status_must_agree_with_the_state() {
        let comps = serde_json::json!([
            {"type": "library", "bom-ref": "a", "name": "a", "purl": "pkg:npm/a@1.0.0"}
        ]);
        let with = |state: &str, vs: &str| {
            let mut d = cdx_doc(
                comps.clone(),
                serde_json::json!([{"ref": "a", "versions": [{"version": "1.0.0", "status": vs}]}]),
            );
            d["vulnerabilities"][0]["analysis"]["state"] = state.into();
            if state != "not_affected" {
                d["vulnerabilities"][0]["analysis"]
                    .as_object_mut()
                    .unwrap()
                    .remove("justification");
                d["vulnerabilities"][0]["recommendation"] = "upgrade".into();
            }
            cdx(d)
        };
        for (state, vs, ok) in [
            ("not_affected", "unaffected", true),
            ("not_affected", "affected", false),
            ("not_affected", "unknown", false),
            ("resolved", "unaffected", true),
            ("resolved", "affected", false),
            ("exploitable", "affected", true),
            ("exploitable", "unaffected", false),
            ("in_triage", "unknown", true),
            ("in_triage", "unaffected", false),
        ] {
            let i = with(state, vs);
            assert_eq!(
                i.statements.len(),
                usize::from(ok),
                "{state} {vs}: {:?}",
                i.unmapped
            );
            if !ok {
                assert_eq!(i.unmapped.len(), 1, "{state} {vs}");
                assert!(
                    i.unmapped[0].contains(&format!(
                        "affects[0].versions[0].status {vs:?} disagrees with analysis.state {state:?}"
                    )),
                    "{:?}",
                    i.unmapped
                );
            }
        }
    }

    #[test]
    fn cyclonedx_refs_that_can_never_match_are_unmapped() {
        let comps = serde_json::json!([
            {"type": "library", "bom-ref": "bare", "name": "bare"},
            {"type": "library", "bom-ref": "ok", "name": "ok", "purl": "pkg:npm/ok@1"}
        ]);
        for (r, why) in [
            ("bare", "no purl or cpe"),
            (
                "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#x",
                "BOM-Link",
            ),
            ("nothing", "names no component"),
        ] {
            let i = cdx(cdx_doc(comps.clone(), serde_json::json!([{"ref": r}])));
            assert!(i.statements.is_empty(), "{r}");
            assert_eq!(i.unmapped.len(), 1, "{r}");
            assert!(i.unmapped[0].contains(why), "{:?}", i.unmapped);
        }
        let i = cdx(cdx_doc(comps, serde_json::json!([{"ref": "ok"}])));
        assert!(i.unmapped.is_empty(), "{:?}", i.unmapped);
    }

    #[test]
    fn cyclonedx_justification_property_must_agree() {
        let with = |cdx_j: Option<&str>, prop: &str| {
            let mut d = cdx_doc(
                serde_json::json!([{"type": "library", "bom-ref": "a", "name": "a", "purl": "pkg:npm/a@1"}]),
                serde_json::json!([{"ref": "a"}]),
            );
            let v = &mut d["vulnerabilities"][0];
            match cdx_j {
                Some(j) => v["analysis"]["justification"] = j.into(),
                None => {
                    v["analysis"]
                        .as_object_mut()
                        .unwrap()
                        .remove("justification");
                }
            }
            v["properties"] = serde_json::json!([{"name": PROP_JUSTIFICATION, "value": prop}]);
            cdx(d)
        };
        // What export writes: the label and its CycloneDX justification.
        let i = with(Some("code_not_present"), "component_not_present");
        assert!(i.unmapped.is_empty(), "{:?}", i.unmapped);
        assert_eq!(
            i.statements[0].fields.justification.as_deref(),
            Some("component_not_present")
        );
        // A property that says something else than the document, or nothing OpenVEX knows.
        for (j, p) in [
            (Some("requires_configuration"), "component_not_present"),
            (None, "component_not_present"),
            (Some("code_not_present"), "made_up"),
        ] {
            let i = with(j, p);
            assert!(i.statements.is_empty(), "{j:?} {p}");
            assert_eq!(i.unmapped.len(), 1, "{:?}", i.unmapped);
        }
    }

    #[test]
    fn conflicting_statuses_in_one_document_are_unmapped() {
        // CycloneDX: the same vulnerability twice for one component, two states.
        let comps = serde_json::json!([
            {"type": "library", "bom-ref": "a", "name": "a", "purl": "pkg:npm/a@1"},
            {"type": "library", "bom-ref": "b", "name": "b", "purl": "pkg:npm/b@1"}
        ]);
        let mut d = cdx_doc(comps, serde_json::json!([{"ref": "a"}, {"ref": "b"}]));
        d["vulnerabilities"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "id": "CVE-2024-0001",
                "analysis": {"state": "exploitable", "response": ["update"]},
                "affects": [{"ref": "a"}]
            }));
        let i = cdx(d);
        assert_eq!(i.unmapped.len(), 1, "{:?}", i.unmapped);
        assert!(i.unmapped[0].contains("pkg:npm/a@1"), "{:?}", i.unmapped);
        // b keeps its statement; a is in none.
        assert_eq!(i.statements.len(), 1);
        assert_eq!(i.statements[0].products.len(), 1);
        assert_eq!(i.statements[0].products[0].component.id, "pkg:npm/b@1");
        // CSAF: one product both known_not_affected and known_affected.
        let i = parse(
            Path::new("x"),
            r#"{"document": {}, "product_tree": {"full_product_names": [
                {"product_id": "P", "name": "p", "product_identification_helper": {"purl": "pkg:npm/p@1"}}]},
              "vulnerabilities": [{"cve": "CVE-2024-0002",
                "product_status": {"known_not_affected": ["P"], "known_affected": ["P"]},
                "flags": [{"label": "component_not_present", "product_ids": ["P"]}],
                "remediations": [{"category": "mitigation", "details": "x", "product_ids": ["P"]}]}]}"#,
            Format::Csaf,
        )
        .unwrap();
        assert!(i.statements.is_empty(), "{:?}", i.statements);
        assert!(
            i.unmapped.iter().any(|u| u.contains("different statuses")),
            "{:?}",
            i.unmapped
        );
    }

    /// The first item that applies wins, whether it names the product, a group holding it,
    /// or nothing (every product); the category filter skips the others.
    #[test]
    fn scope_index_finds_the_first_item_that_applies() {
        let item = |cat: &str, ids: &[&str], groups: &[&str]| Scoped {
            category: Some(cat.into()),
            product_ids: ids.iter().map(|s| s.to_string()).collect(),
            group_ids: groups.iter().map(|s| s.to_string()).collect(),
            ..Scoped::default()
        };
        let groups: HashMap<String, Vec<String>> =
            [("G".to_string(), vec!["B".to_string(), "C".to_string()])].into();
        let items = [
            item("other", &[], &[]),
            item("impact", &["A"], &[]),
            item("impact", &[], &["G"]),
            item("impact", &[], &[]),
            item("impact", &["B", "D"], &["G"]),
        ];
        let ix = ScopeIndex::new(&items, Some("impact"), &groups);
        let at = |id: &str| {
            ix.first(&items, id)
                .map(|s| items.iter().position(|x| std::ptr::eq(x, s)).unwrap())
        };
        assert_eq!(at("A"), Some(1));
        assert_eq!(at("B"), Some(2));
        assert_eq!(at("C"), Some(2));
        assert_eq!(at("D"), Some(3));
        let ix = ScopeIndex::new(&items, None, &groups);
        let first = ix.first(&items, "Z").map(|s| std::ptr::eq(s, &items[0]));
        assert_eq!(first, Some(true));
        let none = ScopeIndex::new(&items[1..3], None, &groups);
        assert!(none.first(&items[1..3], "Z").is_none());
    }

    #[test]
    fn cyclonedx_tables() {
        assert_eq!(status_from_cdx("exploitable"), Some("affected"));
        assert_eq!(status_from_cdx("resolved_with_pedigree"), Some("fixed"));
        assert_eq!(status_from_cdx("false_positive"), None);
        assert_eq!(
            justification_from_cdx("code_not_reachable"),
            Some("vulnerable_code_not_in_execute_path")
        );
        assert_eq!(justification_from_cdx("requires_environment"), None);
        // Every OpenVEX label exports to a CycloneDX label, and the ones that map back map
        // back to themselves.
        for j in JUSTIFICATIONS {
            let c = crate::vex::export::cdx_justification(j).unwrap();
            if let Some(back) = justification_from_cdx(c) {
                assert!(
                    back == j || j == "component_not_present",
                    "{j} -> {c} -> {back}"
                );
            }
        }
    }

    /// Groups, relationships, and a flag that names no product (it applies to all).
    #[test]
    fn csaf_groups_relationships_and_unscoped_flags() {
        let got = csaf(
            r#"{"product_tree":{
              "full_product_names":[
                {"name":"app","product_id":"A","product_identification_helper":{"purl":"pkg:oci/app"}},
                {"name":"lib","product_id":"L","product_identification_helper":{"purl":"pkg:deb/debian/lib"}},
                {"name":"c","product_id":"C","product_identification_helper":{"cpe":"cpe:2.3:a:x:c:1:*:*:*:*:*:*:*"}}],
              "relationships":[{"category":"default_component_of","product_reference":"L",
                "relates_to_product_reference":"A","full_product_name":{"name":"lib in app","product_id":"L:A"}},
                {"category":"external_component_of","product_reference":"L",
                "relates_to_product_reference":"A","full_product_name":{"name":"ext","product_id":"E"}}],
              "product_groups":[{"group_id":"G","product_ids":["C"]}]},
             "vulnerabilities":[{"cve":"CVE-2024-0001","ids":[{"system_name":"GHSA","text":"GHSA-1"}],
               "product_status":{"known_not_affected":["L:A","C"],"known_affected":["E"],"recommended":["A"]},
               "flags":[{"label":"vulnerable_code_not_present"}],
               "threats":[{"category":"impact","details":"only C","group_ids":["G"]}]}]}"#,
        );
        assert_eq!(got.statements.len(), 2, "{:?}", got.statements);
        let pair = &got.statements[0];
        assert_eq!(pair.vulnerability.aliases, ["GHSA-1"]);
        assert_eq!(pair.products[0].component.id, "pkg:oci/app");
        assert_eq!(pair.products[0].subcomponents[0].id, "pkg:deb/debian/lib");
        assert_eq!(
            pair.fields.justification.as_deref(),
            Some("vulnerable_code_not_present")
        );
        assert_eq!(pair.fields.impact_statement, None);
        let c = &got.statements[1];
        assert_eq!(c.fields.impact_statement.as_deref(), Some("only C"));
        assert!(c.products[0].component.identifiers.contains_key("cpe23"));
        assert_eq!(got.unmapped.len(), 2, "{:?}", got.unmapped);
        assert!(
            got.unmapped
                .iter()
                .any(|u| u.contains("external_component_of"))
        );
        assert!(got.unmapped.iter().any(|u| u.contains("recommended")));
    }
}
