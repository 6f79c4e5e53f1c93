//! CSAF VEX input with Trivy's semantics (pkg/vex/csaf.go): vulnerabilities
//! selected by `cve` (the first one with that CVE); `known_not_affected` → not_affected,
//! `fixed` → fixed, other statuses ignored; products resolved through
//! `product_identification_helper.purl` with Trivy's `purl.Match` constraint semantics;
//! the relationships `default_component_of`, `installed_on` and `installed_with` read as
//! product (`relates_to_product_reference`) → subcomponent (`product_reference`).

use std::collections::HashMap;

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
    pub product_id: Option<String>,
    #[serde(default)]
    pub product_identification_helper: Option<Helper>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Helper {
    #[serde(default)]
    pub purl: Option<String>,
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

#[derive(Debug)]
struct Rel {
    products: Vec<Purl>,
    subproducts: Vec<Purl>,
}

#[derive(Debug)]
struct CompiledVuln {
    /// (status, product ids) with not_affected first.
    statuses: Vec<(&'static str, Vec<String>)>,
    /// `threats[category=impact][0].details` (csaf.go statement:169-177).
    statement: String,
}

/// A compiled CSAF document.
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

impl CompiledCsaf {
    pub fn compile(adv: &Advisory) -> Self {
        let mut out = CompiledCsaf::default();
        let empty = ProductTree::default();
        let tree = adv.product_tree.as_ref().unwrap_or(&empty);
        let mut add = |fpn: &FullProductName, out: &mut CompiledCsaf| {
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
        fn walk(
            b: &Branch,
            out: &mut CompiledCsaf,
            add: &mut dyn FnMut(&FullProductName, &mut CompiledCsaf),
        ) {
            if let Some(p) = &b.product {
                add(p, out);
            }
            for c in &b.branches {
                walk(c, out, add);
            }
        }
        for b in &tree.branches {
            walk(b, &mut out, &mut add);
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
            let lookup = |id: &Option<String>| -> Vec<Purl> {
                id.as_ref()
                    .and_then(|i| out.purls.get(i))
                    .cloned()
                    .unwrap_or_default()
            };
            let rel = Rel {
                products: lookup(&r.relates_to_product_reference),
                subproducts: lookup(&r.product_reference),
            };
            out.rels.entry(full_id).or_default().push(rel);
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
                        ps.map(|p| p.known_not_affected.clone()).unwrap_or_default(),
                    ),
                    ("fixed", ps.map(|p| p.fixed.clone()).unwrap_or_default()),
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

    /// Trivy `CSAF.NotAffected` (csaf.go:36-83): the status and statement when the
    /// product, or the (product, subcomponent) relationship, is listed as
    /// known_not_affected or fixed. Trivy iterates a Go map over the two statuses (random
    /// order); vexgate checks not_affected first.
    pub fn not_affected(
        &self,
        vuln: &str,
        product: Ident<'_>,
        sub: Option<Ident<'_>>,
    ) -> Option<(&'static str, &str)> {
        let v = &self.vulns[*self.by_cve.get(vuln)?];
        let prod = product.purl?;
        for (status, ids) in &v.statuses {
            for id in ids {
                if self.match_product(id, prod) || self.match_relationship(id, prod, sub) {
                    return Some((status, &v.statement));
                }
            }
        }
        None
    }

    /// csaf.go matchProduct:85-92.
    fn match_product(&self, id: &str, product: &Purl) -> bool {
        self.purls
            .get(id)
            .is_some_and(|ps| ps.iter().any(|p| constraint_matches_parsed(p, product)))
    }

    /// csaf.go matchRelationship:94-110. Trivy dereferences a nil subcomponent here (a
    /// crash); vexgate treats "no subcomponent" as no match.
    fn match_relationship(&self, id: &str, product: &Purl, sub: Option<Ident<'_>>) -> bool {
        let Some(sub) = sub.and_then(|s| s.purl) else {
            return false;
        };
        self.rels.get(id).is_some_and(|rels| {
            rels.iter().any(|r| {
                r.products
                    .iter()
                    .any(|p| constraint_matches_parsed(p, product))
                    && r.subproducts
                        .iter()
                        .any(|p| constraint_matches_parsed(p, sub))
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
}
