//! Trivy's OpenVEX matching, rule for rule (Trivy 0.76 pkg/vex/openvex.go and
//! pkg/vex/vex.go; go-vex v0.2.9 as linked by Trivy). Each rule is a named function with its cases in `tests` below.
//!
//! Statements are compiled once at load: PURLs parsed, effective timestamps resolved, so a
//! query never re-parses anything.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use jiff::Timestamp;

use crate::purl::{Purl, PurlMiss, purl_mismatch};
use crate::vex::model::{Component, Document, Statement, Status, Vulnerability};

/// Go's zero `time.Time` (0001-01-01T00:00:00Z): what a missing document timestamp means.
pub fn go_zero_time() -> Timestamp {
    Timestamp::from_second(-62_135_596_800).expect("in range")
}

/// Parse an RFC 3339 timestamp as Go's `time.Time.UnmarshalJSON` does
/// ([`crate::vex::decode::go_time`]).
pub fn parse_timestamp(s: &str) -> Result<Timestamp, String> {
    crate::vex::decode::go_time(s).map_err(|e| format!("invalid timestamp: {e}"))
}

/// A component (product or subcomponent) ready for matching.
#[derive(Debug, Clone)]
pub struct CompiledComponent {
    pub id: String,
    /// `@id` parsed, when it starts with `pkg:` and parses.
    pub id_purl: Option<Arc<Purl>>,
    /// (type, value, parsed value when type is `purl`).
    pub identifiers: Vec<(String, String, Option<Arc<Purl>>)>,
    pub hashes: Vec<String>,
}

impl CompiledComponent {
    pub fn compile(c: &Component) -> Self {
        Self::compile_cached(c, &mut PurlCache::default())
    }

    /// [`Self::compile`] parsing each distinct PURL string once.
    pub fn compile_cached(c: &Component, cache: &mut PurlCache) -> Self {
        let id_purl = if c.id.starts_with("pkg:") {
            cache.get(&c.id)
        } else {
            None
        };
        Self {
            id: c.id.clone(),
            id_purl,
            identifiers: c
                .identifiers
                .iter()
                .map(|(t, v)| {
                    let p = if t == "purl" { cache.get(v) } else { None };
                    (t.clone(), v.clone(), p)
                })
                .collect(),
            hashes: c.hashes.values().cloned().collect(),
        }
    }
}

/// Parsed PURLs by their text: VEX documents repeat the same products and subcomponents.
#[derive(Debug, Default)]
pub struct PurlCache(HashMap<String, Option<Arc<Purl>>>);

impl PurlCache {
    pub fn get(&mut self, s: &str) -> Option<Arc<Purl>> {
        if let Some(p) = self.0.get(s) {
            return p.clone();
        }
        let p = Purl::parse(s).ok().map(Arc::new);
        self.0.insert(s.to_string(), p.clone());
        p
    }
}

/// What Trivy passes to go-vex for one component: `PURL.String()` and its parse.
#[derive(Debug, Clone, Copy)]
pub struct Ident<'a> {
    pub text: &'a str,
    pub purl: Option<&'a Purl>,
}

/// Where a component sits in a statement: product `product`'s own component, or its
/// subcomponent `sub`. Given to a [`Trace`] with each failed comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// Index in `products`.
    pub product: usize,
    /// `None` for the product's component, else the index in `subcomponents`.
    pub subcomponent: Option<usize>,
}

/// Which field of a component took part in a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `@id`.
    Id,
    /// `identifiers`, entry `n` (in the component's order).
    Identifier(usize),
}

/// Why a component matched an identity (the first rule of go-vex's that held).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "rule", content = "index", rename_all = "snake_case")]
pub enum ComponentHit {
    /// `@id` is the identity's PURL text, character for character.
    IdText,
    /// `@id` is a PURL that PurlMatches the identity's PURL.
    IdPurl,
    /// An identifier's value is the identity's text.
    IdentifierText(usize),
    /// The `purl` identifier PurlMatches the identity's PURL.
    IdentifierPurl(usize),
    /// A hash value is the identity's text.
    Hash(usize),
}

/// The outcome of [`product_match`] (go-vex `Product.Matches`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductMatch {
    /// The product's component does not match the identity.
    ProductMiss,
    /// The product matches and the statement lists no subcomponents.
    NoSubcomponents(ComponentHit),
    /// The product matches and the query has no subcomponent (the package asked about as
    /// the product itself): the listed subcomponents are not looked at.
    NoSubcomponentAsked(ComponentHit),
    /// The product and subcomponent `n` match.
    Subcomponent(ComponentHit, usize, ComponentHit),
    /// The product matches, but none of the listed subcomponents matches the query's.
    SubcomponentMiss(ComponentHit),
}

impl ProductMatch {
    pub fn is_match(self) -> bool {
        !matches!(
            self,
            ProductMatch::ProductMiss | ProductMatch::SubcomponentMiss(_)
        )
    }
}

/// An observer of the matching rules, for `vex explain`. The gate passes [`NoTrace`], whose
/// methods do nothing and compile away, so the gate and `vex explain` run the same rules.
pub trait Trace {
    /// A PURL of the component at `site` (its `field`) was compared with the identity's
    /// and did not match, for this reason.
    fn purl_miss(&mut self, _site: Site, _field: Field, _miss: PurlMiss<'_>) {}
    /// Product `product` of the statement being matched was decided.
    fn product(&mut self, _product: usize, _outcome: ProductMatch) {}
    /// VEX source `source` (its position in the priority order) is asked next.
    fn source(&mut self, _source: usize) {}
    /// Statement `st` (it names the vulnerability) is matched next.
    fn statement(&mut self, _st: &CompiledStatement) {}
    /// The statements of the current source that matched the query, in document order,
    /// and the one go-vex's order made Trivy act on.
    fn winner(&mut self, _matched: &[&CompiledStatement], _winner: Option<&CompiledStatement>) {}
    /// A CSAF source's answer: (status, statement) when it lists the query.
    fn csaf(&mut self, _answer: Option<(&str, &str)>) {}
}

/// The gate's [`Trace`]: records nothing.
pub struct NoTrace;

impl Trace for NoTrace {}

/// go-vex `Component.Matches(identifier)` (pkg/vex/component.go:41-72): `@id` equal;
/// or `@id` is a `pkg:` PURL that PurlMatches; or an identifier value equal, or the `purl`
/// identifier PurlMatches (identifier starting with `pkg:`); or a hash value equal.
pub fn component_matches(c: &CompiledComponent, ident: Ident<'_>) -> bool {
    let site = Site {
        product: 0,
        subcomponent: None,
    };
    component_match(c, ident, site, &mut NoTrace).is_some()
}

/// [`component_matches`], saying which rule matched, and telling `trace` why each PURL
/// compared did not.
#[inline]
pub fn component_match<T: Trace>(
    c: &CompiledComponent,
    ident: Ident<'_>,
    site: Site,
    trace: &mut T,
) -> Option<ComponentHit> {
    if !c.id.is_empty() && c.id == ident.text {
        return Some(ComponentHit::IdText);
    }
    if let (Some(a), Some(b)) = (c.id_purl.as_deref(), ident.purl) {
        match purl_mismatch(a, b) {
            None => return Some(ComponentHit::IdPurl),
            Some(m) => trace.purl_miss(site, Field::Id, m),
        }
    }
    for (i, (t, v, p)) in c.identifiers.iter().enumerate() {
        if v == ident.text {
            return Some(ComponentHit::IdentifierText(i));
        }
        if t == "purl"
            && ident.text.starts_with("pkg:")
            && let (Some(a), Some(b)) = (p.as_deref(), ident.purl)
        {
            match purl_mismatch(a, b) {
                None => return Some(ComponentHit::IdentifierPurl(i)),
                Some(m) => trace.purl_miss(site, Field::Identifier(i), m),
            }
        }
    }
    c.hashes
        .iter()
        .position(|h| h == ident.text)
        .map(ComponentHit::Hash)
}

#[derive(Debug, Clone)]
pub struct CompiledProduct {
    pub component: CompiledComponent,
    pub subcomponents: Vec<CompiledComponent>,
}

/// go-vex `Product.Matches(identifier, subIdentifier)` (pkg/vex/product.go:25-43): the
/// product must match; then no listed subcomponents, or an empty `subIdentifier`, is a
/// match; otherwise some subcomponent must match `subIdentifier`.
pub fn product_matches(p: &CompiledProduct, product: Ident<'_>, sub: Ident<'_>) -> bool {
    product_match(p, 0, product, sub, &mut NoTrace).is_match()
}

/// [`product_matches`] with the rule that decided it; `index` is the product's position in
/// its statement (for `trace`).
#[inline]
pub fn product_match<T: Trace>(
    p: &CompiledProduct,
    index: usize,
    product: Ident<'_>,
    sub: Ident<'_>,
    trace: &mut T,
) -> ProductMatch {
    let site = Site {
        product: index,
        subcomponent: None,
    };
    let Some(hit) = component_match(&p.component, product, site, trace) else {
        return ProductMatch::ProductMiss;
    };
    if p.subcomponents.is_empty() {
        return ProductMatch::NoSubcomponents(hit);
    }
    if sub.text.is_empty() {
        return ProductMatch::NoSubcomponentAsked(hit);
    }
    for (i, s) in p.subcomponents.iter().enumerate() {
        let site = Site {
            product: index,
            subcomponent: Some(i),
        };
        if let Some(h) = component_match(s, sub, site, trace) {
            return ProductMatch::Subcomponent(hit, i, h);
        }
    }
    ProductMatch::SubcomponentMiss(hit)
}

/// A statement ready for matching.
#[derive(Debug, Clone)]
pub struct CompiledStatement {
    /// 0-based index in the document.
    pub index: usize,
    pub vuln_id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub status: Status,
    pub justification: String,
    /// go-vex's sort timestamp: the statement's, or (missing/zero) the document's, or Go's
    /// zero time.
    pub sort_time: Timestamp,
    pub products: Vec<CompiledProduct>,
}

impl CompiledStatement {
    pub fn compile(
        index: usize,
        st: &Statement,
        doc_time: Option<Timestamp>,
    ) -> Result<Self, String> {
        Self::compile_cached(index, st, doc_time, &mut PurlCache::default())
    }

    pub fn compile_cached(
        index: usize,
        st: &Statement,
        doc_time: Option<Timestamp>,
        cache: &mut PurlCache,
    ) -> Result<Self, String> {
        let own = match st.timestamp.as_deref() {
            None => None,
            Some(t) => Some(parse_timestamp(t)?),
        };
        let zero = go_zero_time();
        let sort_time = match own {
            Some(t) if t != zero => t,
            _ => doc_time.unwrap_or(zero),
        };
        Ok(Self::compile_at(index, st, sort_time, cache))
    }

    /// [`Self::compile_cached`] with the sort time already resolved.
    pub fn compile_at(
        index: usize,
        st: &Statement,
        sort_time: Timestamp,
        cache: &mut PurlCache,
    ) -> Self {
        Self {
            index,
            vuln_id: st.vulnerability.id.clone().unwrap_or_default(),
            name: st.vulnerability.name.clone(),
            aliases: st.vulnerability.aliases.clone(),
            status: st.status(),
            justification: st.justification_text().to_string(),
            sort_time,
            products: st
                .products
                .iter()
                .map(|p| CompiledProduct {
                    component: CompiledComponent::compile_cached(&p.component, cache),
                    subcomponents: p
                        .subcomponents
                        .iter()
                        .map(|c| CompiledComponent::compile_cached(c, cache))
                        .collect(),
                })
                .collect(),
        }
    }
}

/// go-vex `Vulnerability.Matches(id)` (pkg/vex/vulnerability.go:32-47): exact,
/// case-sensitive equality with `@id` (empty when absent), `name` or an alias. Trivy's
/// `VendorIDs` are never tried.
pub fn vulnerability_matches(v: &Vulnerability, id: &str) -> bool {
    v.match_keys().any(|k| k == id)
}

/// The same rule over a compiled statement.
pub fn compiled_vulnerability_matches(st: &CompiledStatement, id: &str) -> bool {
    named_by(st, id).is_some()
}

/// Which field of a statement's vulnerability names `id` (the first of `@id`, `name`,
/// `aliases` that does), or `None`: [`compiled_vulnerability_matches`] as a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NamedBy {
    Id,
    Name,
    Alias,
}

/// See [`NamedBy`].
#[inline]
pub fn named_by(st: &CompiledStatement, id: &str) -> Option<NamedBy> {
    if st.vuln_id == id {
        Some(NamedBy::Id)
    } else if st.name == id {
        Some(NamedBy::Name)
    } else if st.aliases.iter().any(|a| a == id) {
        Some(NamedBy::Alias)
    } else {
        None
    }
}

/// go-vex `Statement.Matches(vuln, product, subcomponents)` (pkg/vex/statement.go:177-196)
/// as Trivy calls it: always one subcomponent, `""` when there is none
/// (pkg/vex/openvex.go:89-99). Statements without products never match.
pub fn statement_matches(
    st: &CompiledStatement,
    vuln: &str,
    product: Ident<'_>,
    sub: Ident<'_>,
) -> bool {
    statement_match(st, vuln, product, sub, &mut NoTrace)
}

/// [`statement_matches`], telling `trace` how each product it tried was decided (products
/// after the first match are not tried, as in go-vex).
#[inline]
pub fn statement_match<T: Trace>(
    st: &CompiledStatement,
    vuln: &str,
    product: Ident<'_>,
    sub: Ident<'_>,
    trace: &mut T,
) -> bool {
    compiled_vulnerability_matches(st, vuln)
        && st.products.iter().enumerate().any(|(i, p)| {
            let m = product_match(p, i, product, sub, trace);
            trace.product(i, m);
            m.is_match()
        })
}

/// go-vex v0.2.7 `VEX.Matches` + `SortStatements` (pkg/vex/vex.go:195-212,
/// statement.go:142-173), literally: collect matches walking the document backwards, then
/// stable-sort by `vulnerability.name`, then by timestamp (missing or zero → document
/// timestamp). Trivy takes the last element (pkg/vex/openvex.go:66). So the winner is the
/// greatest (name, time); on a tie the statement earliest in the document.
pub fn go_vex_sorted<'s>(
    matches_in_doc_order: &[&'s CompiledStatement],
) -> Vec<&'s CompiledStatement> {
    let mut v: Vec<&CompiledStatement> = matches_in_doc_order.iter().rev().copied().collect();
    v.sort_by(|a, b| go_vex_order(a, b));
    v
}

/// The comparison `SortStatements` uses (name, then `Before` on the sort time).
pub fn go_vex_order(a: &CompiledStatement, b: &CompiledStatement) -> Ordering {
    a.name
        .as_bytes()
        .cmp(b.name.as_bytes())
        .then(a.sort_time.cmp(&b.sort_time))
}

/// The statement Trivy acts on among statements matching one (vuln, product, sub) query.
pub fn go_vex_winner<'s>(
    matches_in_doc_order: &[&'s CompiledStatement],
) -> Option<&'s CompiledStatement> {
    go_vex_sorted(matches_in_doc_order).last().copied()
}

/// The spec's order (OpenVEX spec v0.2.0: "sort by effective timestamp only"): the latest
/// effective timestamp wins whatever the vulnerability name; on a tie the statement later
/// in the document wins. For `vex list` / `vex audit`; `gate` uses [`go_vex_winner`].
pub fn spec_winner<'s>(
    matches_in_doc_order: &[&'s CompiledStatement],
) -> Option<&'s CompiledStatement> {
    matches_in_doc_order
        .iter()
        .copied()
        .max_by(|a, b| a.sort_time.cmp(&b.sort_time).then(a.index.cmp(&b.index)))
}

/// Do the two orders pick different statements (a lint for `vex list`/`vex audit`)?
/// Returns (Trivy's winner, the spec's winner) when they differ.
pub fn order_disagreement<'s>(
    matches_in_doc_order: &[&'s CompiledStatement],
) -> Option<(&'s CompiledStatement, &'s CompiledStatement)> {
    let g = go_vex_winner(matches_in_doc_order)?;
    let s = spec_winner(matches_in_doc_order)?;
    (g.index != s.index).then_some((g, s))
}

/// Trivy `OpenVEX.NotAffected` (pkg/vex/openvex.go:60-87): the winner suppresses iff its
/// status is `not_affected` or `fixed`.
pub fn winner_suppresses(winner: Option<&CompiledStatement>) -> Option<&CompiledStatement> {
    winner.filter(|w| w.status.suppresses())
}

/// A compiled OpenVEX document with its statements indexed by every vulnerability key.
#[derive(Debug, Default)]
pub struct CompiledOpenVex {
    pub statements: Vec<CompiledStatement>,
    /// (hash of a vulnerability key (`@id`, name, alias), statement index), sorted: one
    /// allocation for the whole index. Hash hits are verified with the real rule.
    index: Vec<(u64, u32)>,
    hasher: RandomState,
}

impl CompiledOpenVex {
    pub fn compile(doc: &Document) -> Result<Self, (Option<usize>, String)> {
        let doc_time = match doc.timestamp.as_deref() {
            None => None,
            Some(t) => Some(parse_timestamp(t).map_err(|e| (None, format!("document {e}")))?),
        };
        let mut cache = PurlCache::default();
        let mut statements = Vec::with_capacity(doc.statements.len());
        for (i, st) in doc.statements.iter().enumerate() {
            let c = CompiledStatement::compile_cached(i, st, doc_time, &mut cache)
                .map_err(|e| (Some(i), e))?;
            statements.push(c);
        }
        Ok(Self::from_statements(statements))
    }

    /// Index compiled statements (in document order, `index` = position) by every
    /// vulnerability key: `@id` (empty when absent), name and aliases, the strings
    /// [`Vulnerability::match_keys`] yields.
    pub fn from_statements(statements: Vec<CompiledStatement>) -> Self {
        let mut out = CompiledOpenVex {
            statements,
            ..Default::default()
        };
        let mut index = Vec::with_capacity(out.statements.len() * 3);
        for (i, st) in out.statements.iter().enumerate() {
            let keys = std::iter::once(st.vuln_id.as_str())
                .chain(std::iter::once(st.name.as_str()))
                .chain(st.aliases.iter().map(String::as_str));
            for k in keys {
                index.push((out.hasher.hash_one(k), i as u32));
            }
        }
        index.sort_unstable();
        index.dedup();
        out.index = index;
        out
    }

    /// Indices of the statements whose vulnerability matches `vuln`, in document order.
    pub fn candidates(&self, vuln: &str) -> Vec<u32> {
        self.candidate_statements(vuln)
            .map(|st| st.index as u32)
            .collect()
    }

    /// Statements whose vulnerability matches `vuln`, in document order.
    pub fn candidate_statements<'s>(
        &'s self,
        vuln: &'s str,
    ) -> impl Iterator<Item = &'s CompiledStatement> + 's {
        let h = self.hasher.hash_one(vuln);
        let start = self.index.partition_point(|&(x, _)| x < h);
        self.index[start..]
            .iter()
            .take_while(move |&&(x, _)| x == h)
            .map(|&(_, i)| &self.statements[i as usize])
            .filter(move |st| compiled_vulnerability_matches(st, vuln))
    }

    /// Does any statement name `vuln`?
    pub fn has_candidates(&self, vuln: &str) -> bool {
        self.candidate_statements(vuln).next().is_some()
    }

    /// `VEX.Matches(vuln, product, [sub])` then Trivy's last-wins: the statement Trivy
    /// acts on, if it suppresses.
    pub fn not_affected<'s>(
        &'s self,
        vuln: &'s str,
        product: Ident<'_>,
        sub: Ident<'_>,
    ) -> Option<&'s CompiledStatement> {
        let matches: Vec<&CompiledStatement> = self
            .candidate_statements(vuln)
            .filter(|st| statement_matches(st, vuln, product, sub))
            .collect();
        winner_suppresses(go_vex_winner(&matches))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vex::model::Product;

    fn st(
        i: usize,
        name: &str,
        status: &str,
        ts: Option<&str>,
        doc: Option<&str>,
        products: &[(&str, &[&str])],
    ) -> CompiledStatement {
        let s = Statement {
            vulnerability: Vulnerability {
                name: name.into(),
                ..Default::default()
            },
            status: status.into(),
            timestamp: ts.map(str::to_string),
            products: products
                .iter()
                .map(|(p, subs)| Product {
                    component: Component::from_id(*p),
                    subcomponents: subs.iter().map(|s| Component::from_id(*s)).collect(),
                })
                .collect(),
            ..Default::default()
        };
        CompiledStatement::compile(i, &s, doc.map(|d| parse_timestamp(d).unwrap())).unwrap()
    }

    fn ident(s: &str) -> (String, Option<Purl>) {
        (s.to_string(), Purl::parse(s).ok())
    }

    const SPRING: &str = "pkg:maven/org.springframework.boot/spring-boot@2.6.0";

    #[test]
    fn vulnerability_by_name_id_or_alias() {
        let v = Vulnerability {
            id: Some("https://nvd.nist.gov/vuln/detail/CVE-1".into()),
            name: "GHSA-x".into(),
            aliases: vec!["CVE-1".into()],
            ..Default::default()
        };
        assert!(vulnerability_matches(&v, "GHSA-x"));
        assert!(vulnerability_matches(&v, "CVE-1"));
        assert!(vulnerability_matches(
            &v,
            "https://nvd.nist.gov/vuln/detail/CVE-1"
        ));
        assert!(!vulnerability_matches(&v, "cve-1"), "case-sensitive");
        assert!(!vulnerability_matches(&v, "DSA-1"));
        // Integration fixture: `@id` only.
        let v = Vulnerability {
            id: Some("CVE-2022-23628".into()),
            ..Default::default()
        };
        assert!(vulnerability_matches(&v, "CVE-2022-23628"));
    }

    #[test]
    fn component_rules() {
        let (t, p) = ident("pkg:deb/debian/bash@5.3?arch=amd64&distro=debian-12");
        let id = Ident {
            text: &t,
            purl: p.as_ref(),
        };
        let c = |s: &str| CompiledComponent::compile(&Component::from_id(s));
        assert!(component_matches(&c("pkg:deb/debian/bash"), id));
        assert!(component_matches(&c("pkg:deb/debian/bash@5.3"), id));
        assert!(!component_matches(
            &c("pkg:deb/debian/bash?distro=debian-13"),
            id
        ));
        assert!(!component_matches(&c("https://example.com/bash"), id));
        // Exact @id equality holds even for a non-PURL identifier.
        assert!(component_matches(
            &c("weird"),
            Ident {
                text: "weird",
                purl: None
            }
        ));
        // identifiers.purl and hashes.
        let mut comp = Component::default();
        comp.identifiers
            .insert("purl".into(), "pkg:deb/debian/bash".into());
        assert!(component_matches(&CompiledComponent::compile(&comp), id));
        let mut comp = Component::default();
        comp.hashes.insert("sha-256".into(), "abc".into());
        assert!(
            !component_matches(&CompiledComponent::compile(&comp), id),
            "hashes never match a PURL"
        );
    }

    #[test]
    fn product_and_subcomponent_rules() {
        let img = ident(
            "pkg:oci/debian@sha256:4482958b4461ff7d9fabc24b3a9ab1e9a2c85ece07b2db1840c7cbc01d053e90?arch=amd64&repository_url=index.docker.io%2Flibrary%2Fdebian",
        );
        let bash = ident("pkg:deb/debian/bash@5.3");
        let other = ident("pkg:deb/debian/zsh@5");
        let img = Ident {
            text: &img.0,
            purl: img.1.as_ref(),
        };
        let bash_i = Ident {
            text: &bash.0,
            purl: bash.1.as_ref(),
        };
        let other_i = Ident {
            text: &other.0,
            purl: other.1.as_ref(),
        };
        let empty = Ident {
            text: "",
            purl: None,
        };
        let s = st(
            0,
            "CVE-2022-3715",
            "not_affected",
            None,
            None,
            &[("pkg:oci/debian", &["pkg:deb/debian/bash"])],
        );
        let p = &s.products[0];
        assert!(product_matches(p, img, bash_i));
        assert!(!product_matches(p, img, other_i));
        // Trivy passes [""]: an image-only query matches a product that lists subcomponents.
        assert!(product_matches(p, img, empty));
        // The package as product matches even though the statement lists subcomponents.
        let s2 = st(
            0,
            "CVE-1",
            "not_affected",
            None,
            None,
            &[(SPRING, &["pkg:deb/debian/bash"])],
        );
        let (sp, spp) = ident(SPRING);
        assert!(product_matches(
            &s2.products[0],
            Ident {
                text: &sp,
                purl: spp.as_ref()
            },
            empty
        ));
        // Mismatched image.
        let s3 = st(
            0,
            "CVE-2022-3715",
            "not_affected",
            None,
            None,
            &[("pkg:oci/mismatch", &["pkg:deb/debian/bash"])],
        );
        assert!(!statement_matches(&s3, "CVE-2022-3715", img, bash_i));
        // No products: never.
        let s4 = st(0, "CVE-2022-3715", "not_affected", None, None, &[]);
        assert!(!statement_matches(&s4, "CVE-2022-3715", img, bash_i));
    }

    /// The go-vex SortStatements table (go-vex pkg/vex/vex.go behaviour, checked with Go).
    #[test]
    fn go_vex_sort_and_last_wins() {
        const DOC_TS: &str = "2023-01-16T19:07:16.853479631-06:00";
        let doc = Some(DOC_TS);
        let p: &[(&str, &[&str])] = &[(SPRING, &[])];
        // Trivy `OpenVEX, multiple statements`: affected @01-15, not_affected (doc ts 01-16).
        let a = st(
            0,
            "CVE-2021-44228",
            "affected",
            Some("2023-01-15T01:02:03.853479631-06:00"),
            doc,
            p,
        );
        let b = st(1, "CVE-2021-44228", "not_affected", None, doc, p);
        assert_eq!(go_vex_winner(&[&a, &b]).unwrap().index, 1);
        // not_affected (no ts), affected @later → affected.
        let a = st(0, "CVE-1", "not_affected", None, doc, p);
        let b = st(1, "CVE-1", "affected", Some("2023-02-01T00:00:00Z"), doc, p);
        assert_eq!(go_vex_winner(&[&a, &b]).unwrap().status, Status::Affected);
        // A tie: the first in the document wins.
        let a = st(0, "CVE-1", "not_affected", None, doc, p);
        let b = st(1, "CVE-1", "affected", None, doc, p);
        assert_eq!(go_vex_winner(&[&a, &b]).unwrap().index, 0);
        let a = st(0, "CVE-1", "affected", None, doc, p);
        let b = st(1, "CVE-1", "not_affected", None, doc, p);
        assert_eq!(go_vex_winner(&[&a, &b]).unwrap().index, 0);
        // Different names: ordered by name first, GHSA- sorts after CVE- whatever the time.
        let a = st(
            0,
            "GHSA-aaaa",
            "not_affected",
            Some("2020-01-01T00:00:00Z"),
            doc,
            p,
        );
        let b = st(1, "CVE-1", "affected", Some("2024-01-01T00:00:00Z"), doc, p);
        assert_eq!(go_vex_winner(&[&a, &b]).unwrap().index, 0);
        // ... which is where the spec's order disagrees.
        assert_eq!(spec_winner(&[&a, &b]).unwrap().index, 1);
        assert!(order_disagreement(&[&a, &b]).is_some());
        // The spec order breaks a tie by document position (later wins).
        let a = st(0, "CVE-1", "not_affected", None, doc, p);
        let b = st(1, "CVE-1", "affected", None, doc, p);
        assert_eq!(spec_winner(&[&a, &b]).unwrap().index, 1);
        // A zero statement timestamp means the document's; a missing document timestamp
        // means Go's zero time.
        let a = st(0, "CVE-1", "affected", Some("0001-01-01T00:00:00Z"), doc, p);
        assert_eq!(a.sort_time, parse_timestamp(DOC_TS).unwrap());
        let a = st(0, "CVE-1", "affected", None, None, p);
        assert_eq!(a.sort_time, go_zero_time());
        // Timestamps with offsets compare as instants.
        let a = st(
            0,
            "CVE-1",
            "not_affected",
            Some("2023-01-01T10:00:00+02:00"),
            None,
            p,
        );
        let b = st(
            1,
            "CVE-1",
            "affected",
            Some("2023-01-01T09:00:00Z"),
            None,
            p,
        );
        assert_eq!(go_vex_winner(&[&a, &b]).unwrap().index, 1);
    }

    /// Records the PURL misses a rule reports.
    #[derive(Default)]
    struct Misses(Vec<(Site, Field, String)>, Vec<(usize, ProductMatch)>);

    impl Trace for Misses {
        fn purl_miss(&mut self, site: Site, field: Field, miss: PurlMiss<'_>) {
            self.0.push((site, field, format!("{miss:?}")));
        }
        fn product(&mut self, product: usize, outcome: ProductMatch) {
            self.1.push((product, outcome));
        }
    }

    /// [`product_match`] says which rule held, or why it missed, and agrees with
    /// [`product_matches`] on every case.
    #[test]
    fn product_match_reasons() {
        let (img, img_p) = ident(
            "pkg:oci/app@sha256:1111111111111111111111111111111111111111111111111111111111111111?arch=amd64&repository_url=index.docker.io%2Flibrary%2Fapp",
        );
        let (zlib, zlib_p) = ident("pkg:deb/debian/zlib1g@1.2.13?arch=amd64&epoch=1");
        let image = Ident {
            text: &img,
            purl: img_p.as_ref(),
        };
        let sub = Ident {
            text: &zlib,
            purl: zlib_p.as_ref(),
        };
        let none = Ident {
            text: "",
            purl: None,
        };
        let case = |product: &str, subs: &[&str], q: Ident<'_>, s: Ident<'_>| {
            let st = st(0, "CVE-1", "not_affected", None, None, &[(product, subs)]);
            let p = &st.products[0];
            let mut t = Misses::default();
            let m = product_match(p, 0, q, s, &mut t);
            assert_eq!(m.is_match(), product_matches(p, q, s), "{product}");
            (m, t.0)
        };
        let at = |sub| Site {
            product: 0,
            subcomponent: sub,
        };
        // The image by repository_url, the package as subcomponent.
        let (m, misses) = case(
            "pkg:oci/app?repository_url=index.docker.io/library/app",
            &["pkg:deb/debian/zlib1g"],
            image,
            sub,
        );
        assert_eq!(
            m,
            ProductMatch::Subcomponent(ComponentHit::IdPurl, 0, ComponentHit::IdPurl)
        );
        assert!(misses.is_empty());
        // docker.io is not index.docker.io.
        let (m, misses) = case(
            "pkg:oci/app?repository_url=docker.io/library/app",
            &[],
            image,
            none,
        );
        assert_eq!(m, ProductMatch::ProductMiss);
        assert_eq!(
            misses,
            [(
                at(None),
                Field::Id,
                "QualifierDiffers(\"repository_url\")".into()
            )]
        );
        // The product matches, no listed subcomponent does (the epoch in the version).
        let (m, misses) = case(
            "pkg:oci/app",
            &["pkg:deb/debian/zlib1g@1:1.2.13"],
            image,
            sub,
        );
        assert_eq!(m, ProductMatch::SubcomponentMiss(ComponentHit::IdPurl));
        assert_eq!(misses, [(at(Some(0)), Field::Id, "Version".into())]);
        // Asked without a subcomponent, the listed ones are not looked at.
        let (m, _) = case("pkg:oci/app", &["pkg:deb/debian/other"], image, none);
        assert_eq!(m, ProductMatch::NoSubcomponentAsked(ComponentHit::IdPurl));
        // The exact text matches before any PURL comparison.
        let (m, _) = case(&img, &[], image, none);
        assert_eq!(m, ProductMatch::NoSubcomponents(ComponentHit::IdText));
    }

    /// [`named_by`] is the field that names the ID, in go-vex's order.
    #[test]
    fn named_by_field() {
        let mut s = st(0, "CVE-1", "affected", None, None, &[(SPRING, &[])]);
        s.vuln_id = "https://x/CVE-1".into();
        s.aliases = vec!["GHSA-1".into()];
        assert_eq!(named_by(&s, "CVE-1"), Some(NamedBy::Name));
        assert_eq!(named_by(&s, "https://x/CVE-1"), Some(NamedBy::Id));
        assert_eq!(named_by(&s, "GHSA-1"), Some(NamedBy::Alias));
        assert_eq!(named_by(&s, "cve-1"), None);
    }

    #[test]
    fn statuses() {
        let p: &[(&str, &[&str])] = &[(SPRING, &[])];
        for (status, sup) in [
            ("not_affected", true),
            ("fixed", true),
            ("affected", false),
            ("under_investigation", false),
            ("bogus", false),
        ] {
            let s = st(0, "CVE-1", status, None, None, p);
            assert_eq!(winner_suppresses(Some(&s)).is_some(), sup, "{status}");
        }
    }
}
