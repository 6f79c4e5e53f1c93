//! CSAF VEX input with Trivy's semantics (pkg/vex/csaf.go): vulnerabilities
//! selected by `cve` (the first one with that CVE); `known_not_affected` → not_affected,
//! `fixed` → fixed, other statuses ignored; products resolved through
//! `product_identification_helper.purl` with Trivy's `purl.Match` constraint semantics;
//! the relationships `default_component_of`, `installed_on` and `installed_with` read as
//! product (`relates_to_product_reference`) → subcomponent (`product_reference`).

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::purl::{Purl, constraint_matches_parsed};
use crate::vex::matching::Ident;

#[derive(Debug, Default, Deserialize)]
pub struct Advisory {
    #[serde(default)]
    pub product_tree: Option<ProductTree>,
    #[serde(default)]
    pub vulnerabilities: Vec<CsafVulnerability>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ProductTree {
    #[serde(default)]
    pub branches: Vec<Branch>,
    #[serde(default)]
    pub full_product_names: Vec<FullProductName>,
    #[serde(default)]
    pub relationships: Vec<Relationship>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Branch {
    #[serde(default)]
    pub product: Option<FullProductName>,
    #[serde(default)]
    pub branches: Vec<Branch>,
}

#[derive(Debug, Default, Deserialize)]
pub struct FullProductName {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub product_id: Option<String>,
    #[serde(default)]
    pub product_identification_helper: Option<Helper>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Helper {
    #[serde(default)]
    pub purl: Option<String>,
    /// Read by `vex import` only.
    #[serde(default)]
    pub cpe: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Relationship {
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub product_reference: Option<String>,
    #[serde(default)]
    pub relates_to_product_reference: Option<String>,
    #[serde(default)]
    pub full_product_name: Option<FullProductName>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CsafVulnerability {
    #[serde(default)]
    pub cve: Option<String>,
    #[serde(default)]
    pub product_status: Option<ProductStatus>,
    #[serde(default)]
    pub threats: Vec<Threat>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ProductStatus {
    #[serde(default)]
    pub known_not_affected: Vec<String>,
    #[serde(default)]
    pub fixed: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Threat {
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub details: Option<String>,
}

/// The relationship categories Trivy reads as product → subcomponent.
pub const RELATIONSHIP_CATEGORIES: [&str; 3] =
    ["default_component_of", "installed_on", "installed_with"];

/// One relationship, by product id: its PURLs are looked up when matching, so n
/// relationships naming a product with n PURLs cost n, not n² (compilation stays linear).
#[derive(Debug)]
struct Rel {
    /// `relates_to_product_reference`: the product.
    product: Option<String>,
    /// `product_reference`: the subcomponent.
    sub: Option<String>,
}

#[derive(Debug)]
struct CompiledVuln {
    /// (status, product ids) with not_affected first; each id once, in first-seen order.
    statuses: Vec<(&'static str, Vec<String>)>,
    /// `threats[category=impact][0].details` (csaf.go statement:169-177).
    statement: String,
}

/// A compiled CSAF document. Its size is linear in the document's.
#[derive(Debug, Default)]
pub struct CompiledCsaf {
    /// product id → helper PURLs (full product names, branches, relationships, in
    /// gocsaf `FindProductIdentificationHelpers` order). Unparsable PURLs are dropped.
    purls: HashMap<String, Vec<Purl>>,
    /// relationship full product id → relationships.
    rels: HashMap<String, Vec<Rel>>,
    vulns: Vec<CompiledVuln>,
    /// cve → index of the first vulnerability with it (`lo.Find`).
    by_cve: HashMap<String, usize>,
    /// Helper PURLs that do not parse (Trivy logs "Invalid PURL" and skips them).
    pub invalid_purls: Vec<String>,
}

/// Each id once, in first-seen order: listing a product twice changes no answer.
fn distinct(ids: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    ids.iter()
        .filter(|id| seen.insert(id.as_str()))
        .cloned()
        .collect()
}

/// Per query, whether a PURL matches some helper PURL of a product id: each id's PURLs are
/// compared at most once per query, however many statuses and relationships name it.
struct Memo<'c> {
    purls: &'c HashMap<String, Vec<Purl>>,
    target: &'c Purl,
    seen: HashMap<&'c str, bool>,
}

impl<'c> Memo<'c> {
    fn new(purls: &'c HashMap<String, Vec<Purl>>, target: &'c Purl) -> Self {
        Self {
            purls,
            target,
            seen: HashMap::new(),
        }
    }

    fn matches(&mut self, id: &'c str) -> bool {
        let (purls, target) = (self.purls, self.target);
        *self.seen.entry(id).or_insert_with(|| {
            purls
                .get(id)
                .is_some_and(|ps| ps.iter().any(|p| constraint_matches_parsed(p, target)))
        })
    }
}

impl CompiledCsaf {
    pub fn compile(adv: &Advisory) -> Self {
        let mut out = CompiledCsaf::default();
        let empty = ProductTree::default();
        let tree = adv.product_tree.as_ref().unwrap_or(&empty);
        let add = |fpn: &FullProductName, out: &mut CompiledCsaf| {
            let (Some(id), Some(h)) = (&fpn.product_id, &fpn.product_identification_helper) else {
                return;
            };
            let Some(p) = &h.purl else { return };
            match Purl::parse(p) {
                Ok(purl) => out.purls.entry(id.clone()).or_default().push(purl),
                Err(_) => out.invalid_purls.push(p.clone()),
            }
        };
        for f in &tree.full_product_names {
            add(f, &mut out);
        }
        // Branches nest: walk them with an explicit stack, depth-first in document order.
        let mut stack: Vec<&Branch> = tree.branches.iter().rev().collect();
        while let Some(b) = stack.pop() {
            if let Some(p) = &b.product {
                add(p, &mut out);
            }
            stack.extend(b.branches.iter().rev());
        }
        for r in &tree.relationships {
            if let Some(f) = &r.full_product_name {
                add(f, &mut out);
            }
        }
        for r in &tree.relationships {
            let Some(full_id) = r
                .full_product_name
                .as_ref()
                .and_then(|f| f.product_id.clone())
            else {
                continue;
            };
            if !RELATIONSHIP_CATEGORIES.contains(&r.category.as_deref().unwrap_or("")) {
                continue;
            }
            out.rels.entry(full_id).or_default().push(Rel {
                product: r.relates_to_product_reference.clone(),
                sub: r.product_reference.clone(),
            });
        }
        for (i, v) in adv.vulnerabilities.iter().enumerate() {
            let ps = v.product_status.as_ref();
            let statement = v
                .threats
                .iter()
                .find(|t| t.category.as_deref() == Some("impact"))
                .and_then(|t| t.details.clone())
                .unwrap_or_default();
            out.vulns.push(CompiledVuln {
                statuses: vec![
                    (
                        "not_affected",
                        ps.map(|p| distinct(&p.known_not_affected))
                            .unwrap_or_default(),
                    ),
                    ("fixed", ps.map(|p| distinct(&p.fixed)).unwrap_or_default()),
                ],
                statement,
            });
            if let Some(cve) = &v.cve {
                out.by_cve.entry(cve.clone()).or_insert(i);
            }
        }
        out
    }

    pub fn has_candidates(&self, vuln: &str) -> bool {
        self.by_cve.contains_key(vuln)
    }

    /// How many PURLs and relationship entries the compiled document holds (its size).
    #[cfg(test)]
    fn stored(&self) -> usize {
        self.purls.values().map(Vec::len).sum::<usize>()
            + self.rels.values().map(Vec::len).sum::<usize>()
            + self
                .vulns
                .iter()
                .flat_map(|v| &v.statuses)
                .map(|s| s.1.len())
                .sum::<usize>()
    }

    /// Trivy `CSAF.NotAffected` (csaf.go:36-83): the status and statement when the
    /// product, or the (product, subcomponent) relationship, is listed as
    /// known_not_affected or fixed. Trivy iterates a Go map over the two statuses (random
    /// order); vexgate checks not_affected first.
    pub fn not_affected<'s>(
        &'s self,
        vuln: &str,
        product: Ident<'s>,
        sub: Option<Ident<'s>>,
    ) -> Option<(&'static str, &'s str)> {
        let v = &self.vulns[*self.by_cve.get(vuln)?];
        let mut as_product = Memo::new(&self.purls, product.purl?);
        // Trivy dereferences a nil subcomponent in matchRelationship (a crash); vexgate
        // treats "no subcomponent" as no relationship match.
        let mut as_sub = sub.and_then(|s| s.purl).map(|p| Memo::new(&self.purls, p));
        for (status, ids) in &v.statuses {
            for id in ids {
                if as_product.matches(id)
                    || as_sub
                        .as_mut()
                        .is_some_and(|s| self.match_relationship(id, &mut as_product, s))
                {
                    return Some((status, &v.statement));
                }
            }
        }
        None
    }

    /// csaf.go matchRelationship:94-110: some relationship of `id` whose product matches
    /// the product and whose subcomponent matches the subcomponent.
    fn match_relationship<'c>(
        &'c self,
        id: &str,
        as_product: &mut Memo<'c>,
        as_sub: &mut Memo<'c>,
    ) -> bool {
        self.rels.get(id).is_some_and(|rels| {
            rels.iter().any(|r| {
                r.product.as_deref().is_some_and(|p| as_product.matches(p))
                    && r.sub.as_deref().is_some_and(|s| as_sub.matches(s))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRANSITIVE: &str = "pkg:golang/github.com/aquasecurity/go-transitive@v4.0.0";
    const DIRECT1: &str = "pkg:golang/github.com/aquasecurity/go-direct1@v2.0.0";

    fn load(name: &str) -> CompiledCsaf {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/vex")
            .join(name);
        let adv: Advisory = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        CompiledCsaf::compile(&adv)
    }

    fn id(s: &str) -> (String, Option<Purl>) {
        (s.to_string(), Purl::parse(s).ok())
    }

    /// Trivy vex_test `CSAF, not affected`: the product is the leaf itself.
    #[test]
    fn product_itself() {
        let c = load("csaf.json");
        let (t, p) = id(TRANSITIVE);
        let leaf = Ident {
            text: &t,
            purl: p.as_ref(),
        };
        assert_eq!(
            c.not_affected("CVE-2024-0001", leaf, None),
            Some(("not_affected", "vulnerable_code_not_in_execute_path"))
        );
        assert_eq!(c.not_affected("CVE-2024-9999", leaf, None), None);
        let (t2, p2) = id("pkg:golang/github.com/aquasecurity/go-transitive@v5.0.0");
        assert_eq!(
            c.not_affected(
                "CVE-2024-0001",
                Ident {
                    text: &t2,
                    purl: p2.as_ref()
                },
                None
            ),
            None
        );
    }

    /// Trivy vex_test `CSAF with relationships, …`: default_component_of go-direct1.
    #[test]
    fn relationships() {
        let c = load("csaf-relationships.json");
        let (tt, tp) = id(TRANSITIVE);
        let (dt, dp) = id(DIRECT1);
        let leaf = Ident {
            text: &tt,
            purl: tp.as_ref(),
        };
        let parent = Ident {
            text: &dt,
            purl: dp.as_ref(),
        };
        assert_eq!(c.not_affected("CVE-2024-0001", leaf, None), None);
        assert!(
            c.not_affected("CVE-2024-0001", parent, Some(leaf))
                .is_some()
        );
        assert_eq!(c.not_affected("CVE-2024-0001", parent, None), None);
    }

    /// n full product names sharing one product id, n relationships naming it as both
    /// product and subcomponent, and the id listed n times as known_not_affected: the
    /// compiled document holds O(n) entries (copying the id's PURLs into each relationship
    /// held n², over 8 GB at n = 4,000) and a query answers in O(n).
    #[test]
    fn shared_product_id_compiles_linearly() {
        let n = 4_000;
        let fpn: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"product_id":"P","product_identification_helper":{{"purl":"pkg:golang/example.com/m{i}@v1.0.0"}}}}"#
                )
            })
            .collect();
        let rels: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"category":"default_component_of","product_reference":"P","relates_to_product_reference":"P","full_product_name":{{"product_id":"R{i}"}}}}"#
                )
            })
            .collect();
        let mut listed: Vec<String> = vec![r#""P""#.to_string(); n];
        listed.extend((0..n).map(|i| format!(r#""R{i}""#)));
        let doc = format!(
            r#"{{"product_tree":{{"full_product_names":[{}],"relationships":[{}]}},"vulnerabilities":[{{"cve":"CVE-2024-0001","product_status":{{"known_not_affected":[{}]}}}}]}}"#,
            fpn.join(","),
            rels.join(","),
            listed.join(",")
        );
        let adv: Advisory = serde_json::from_str(&doc).unwrap();
        let c = CompiledCsaf::compile(&adv);
        // n PURLs + n relationships + (1 + n) distinct listed ids.
        assert_eq!(c.stored(), 3 * n + 1);
        // The last PURL of P is found as a product; no PURL of P matches an unrelated
        // product, which makes every relationship and every listed id be tried.
        let (t, p) = id(&format!("pkg:golang/example.com/m{}@v1.0.0", n - 1));
        let hit = Ident {
            text: &t,
            purl: p.as_ref(),
        };
        let (ot, op) = id("pkg:golang/example.com/other@v1.0.0");
        let miss = Ident {
            text: &ot,
            purl: op.as_ref(),
        };
        let start = std::time::Instant::now();
        assert!(c.not_affected("CVE-2024-0001", hit, None).is_some());
        assert_eq!(c.not_affected("CVE-2024-0001", miss, Some(hit)), None);
        assert!(c.not_affected("CVE-2024-0001", hit, Some(miss)).is_some());
        // Quadratic matching took minutes here; linear takes milliseconds.
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
    }
}
