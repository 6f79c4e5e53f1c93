//! The fast load of plain v0.2.0 OpenVEX documents for `gate`: one typed, borrowing parse
//! of the text straight into the compiled form ([`CompiledOpenVex`]) and the lints, without
//! building a [`crate::vex::model::Document`] (whose `#[serde(flatten)]` fields buffer
//! every statement) or a `serde_json::Value` tree.
//!
//! It accepts only v0.2.0 documents that Trivy's decoder reads as written
//! ([`crate::vex::decode::read`] gives the same document with no notes) and produces the
//! same statements, index and lints; everything else (legacy contexts and fields, keys in
//! another case, nulls, CSAF, CycloneDX, and every error) returns `None`, and the caller
//! takes the general path, which decides and explains. The types below mirror go-vex's
//! field for field (names, JSON types, unknown keys kept in a flattened map so that a
//! struct is read only from a JSON object), but borrow their strings.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::decode::{go_field, go_time, keys};
use super::lint::{self, Lint};
use super::matching::{
    CompiledComponent, CompiledOpenVex, CompiledProduct, CompiledStatement, go_zero_time,
    parse_timestamp,
};
use super::model::{Flavor, Status, flavor_of};
use crate::purl::Purl;

/// A JSON string, borrowed from the text when it has no escapes.
#[derive(Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Str<'a>(Cow<'a, str>);

impl Str<'_> {
    fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_str(V).map(Str)
    }
}

/// Keys the model does not know (its `extra`), values skipped.
type Extra<'a> = BTreeMap<Str<'a>, IgnoredAny>;

fn has(extra: &Extra<'_>, key: &str) -> bool {
    extra.contains_key(&Str(Cow::Borrowed(key)))
}

/// Whether an unknown key is one Go reads into a field anyway (another case of its name).
fn folds_to_known(extra: &Extra<'_>, known: &[&str]) -> bool {
    extra.keys().any(|k| go_field(k.as_str(), known).is_some())
}

/// A time field as Go's `time.Time` reads it; `false` when it does not parse.
fn time_ok(t: &Option<Str<'_>>) -> bool {
    t.as_ref().is_none_or(|t| go_time(t.as_str()).is_ok())
}

/// go-vex's `Statement`, read one at a time (see [`Statements`]). The spec's statement
/// `version` and `supplier` are not go-vex fields: Trivy ignores them, and so does this.
#[derive(Deserialize)]
#[allow(dead_code)] // fields read only to check their type, as Go's decoder does
struct Stmt<'a> {
    #[serde(rename = "@id", default, borrow)]
    id: Option<Str<'a>>,
    #[serde(borrow)]
    vulnerability: Vuln<'a>,
    #[serde(default, borrow)]
    timestamp: Option<Str<'a>>,
    #[serde(default, borrow)]
    last_updated: Option<Str<'a>>,
    #[serde(default, borrow)]
    products: Vec<Prod<'a>>,
    #[serde(borrow)]
    status: Str<'a>,
    #[serde(default, borrow)]
    status_notes: Option<Str<'a>>,
    #[serde(default, borrow)]
    justification: Option<Str<'a>>,
    #[serde(default, borrow)]
    impact_statement: Option<Str<'a>>,
    #[serde(default, borrow)]
    action_statement: Option<Str<'a>>,
    #[serde(default, borrow)]
    action_statement_timestamp: Option<Str<'a>>,
    #[serde(flatten, borrow)]
    extra: Extra<'a>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Vuln<'a> {
    #[serde(rename = "@id", default, borrow)]
    id: Option<Str<'a>>,
    #[serde(default, borrow)]
    name: Str<'a>,
    #[serde(default, borrow)]
    description: Option<Str<'a>>,
    #[serde(default, borrow)]
    aliases: Vec<Str<'a>>,
    #[serde(flatten, borrow)]
    extra: Extra<'a>,
}

/// The model's `Product` (a flattened `Component` plus `subcomponents`).
#[derive(Deserialize)]
struct Prod<'a> {
    #[serde(rename = "@id", default, borrow)]
    id: Str<'a>,
    #[serde(default, borrow)]
    identifiers: BTreeMap<Str<'a>, Str<'a>>,
    #[serde(default, borrow)]
    hashes: BTreeMap<Str<'a>, Str<'a>>,
    #[serde(default, borrow)]
    #[allow(dead_code)] // read only to check its type
    supplier: Option<Str<'a>>,
    #[serde(default, borrow)]
    subcomponents: Vec<Comp<'a>>,
    #[serde(flatten, borrow)]
    extra: Extra<'a>,
}

#[derive(Deserialize)]
struct Comp<'a> {
    #[serde(rename = "@id", default, borrow)]
    id: Str<'a>,
    #[serde(default, borrow)]
    identifiers: BTreeMap<Str<'a>, Str<'a>>,
    #[serde(default, borrow)]
    hashes: BTreeMap<Str<'a>, Str<'a>>,
    #[serde(default, borrow)]
    #[allow(dead_code)] // read only to check its type
    supplier: Option<Str<'a>>,
    #[serde(flatten, borrow)]
    extra: Extra<'a>,
}

/// What a component is to the compiler and the linter.
struct CompRef<'c, 'a> {
    id: &'c Str<'a>,
    identifiers: &'c BTreeMap<Str<'a>, Str<'a>>,
    hashes: &'c BTreeMap<Str<'a>, Str<'a>>,
}

/// Per distinct PURL string: its parse (as `PurlCache`) and its lints ([`lint::lint_purl`]),
/// both functions of the string alone; documents repeat their products.
#[derive(Default)]
struct PurlInfo(HashMap<String, PurlEntry>);

/// A PURL string's parse and its lints (code, message).
type PurlEntry = (Option<Arc<Purl>>, Vec<(&'static str, String)>);

impl PurlInfo {
    fn get(&mut self, s: &str) -> &PurlEntry {
        if !self.0.contains_key(s) {
            let parsed = Purl::parse(s).ok().map(Arc::new);
            let lints = lint::lint_purl(s, 0, "")
                .into_iter()
                .map(|l| (l.code, l.message))
                .collect();
            self.0.insert(s.to_string(), (parsed, lints));
        }
        &self.0[s]
    }
}

/// The compiler state while the statements stream by.
struct Compiler<'a> {
    statements: Vec<CompiledStatement>,
    lints: Vec<Lint>,
    purls: PurlInfo,
    times: HashMap<Cow<'a, str>, Timestamp>,
    /// Statements whose sort time is the document's (known only at the end).
    need_doc_time: Vec<u32>,
}

impl<'a> Compiler<'a> {
    /// `lint_document`'s lints for one component (`@id`, then `identifiers.purl`), the JSON
    /// path built only when there is something to report; then the component compiled as
    /// [`CompiledComponent::compile_cached`] compiles it.
    fn component(
        &mut self,
        c: &CompRef<'_, 'a>,
        si: usize,
        base: &dyn Fn() -> String,
    ) -> CompiledComponent {
        let id = c.id.as_str();
        let purl_identifier = c
            .identifiers
            .get(&Str(Cow::Borrowed("purl")))
            .map(Str::as_str);
        let mut id_purl = None;
        for (s, suffix) in [
            (id.starts_with("pkg:").then_some(id), ".@id"),
            (purl_identifier, ".identifiers.purl"),
        ] {
            let Some(s) = s else { continue };
            let (parsed, found) = self.purls.get(s);
            if suffix == ".@id" {
                id_purl = parsed.clone();
            }
            if !found.is_empty() {
                let path = format!("{}{suffix}", base());
                self.lints.extend(found.iter().map(|(code, message)| Lint {
                    code,
                    statement: si,
                    path: path.clone(),
                    message: message.clone(),
                }));
            }
        }
        CompiledComponent {
            id: id.to_string(),
            id_purl,
            identifiers: c
                .identifiers
                .iter()
                .map(|(t, v)| {
                    let p = if t.as_str() == "purl" {
                        self.purls.get(v.as_str()).0.clone()
                    } else {
                        None
                    };
                    (t.as_str().to_string(), v.as_str().to_string(), p)
                })
                .collect(),
            hashes: c.hashes.values().map(|h| h.as_str().to_string()).collect(),
        }
    }

    /// The statement compiled as `CompiledStatement::compile_cached` compiles it, and its
    /// lints; `false` when the statement must go to the general path.
    fn statement(&mut self, st: Stmt<'a>) -> bool {
        if has(&st.extra, "subcomponents")
            || has(&st.extra, "vuln_description")
            || folds_to_known(&st.extra, &keys::STATEMENT)
            || folds_to_known(&st.vulnerability.extra, &keys::VULNERABILITY)
            || st.products.iter().any(|p| {
                folds_to_known(&p.extra, &keys::PRODUCT)
                    || p.subcomponents
                        .iter()
                        .any(|c| folds_to_known(&c.extra, &keys::COMPONENT))
            })
            || !time_ok(&st.last_updated)
            || !time_ok(&st.action_statement_timestamp)
        {
            return false;
        }
        let v = &st.vulnerability;
        if st.status.as_str().is_empty()
            || (v.name.as_str().is_empty()
                && v.id.as_ref().is_none_or(|s| s.as_str().is_empty())
                && v.aliases.is_empty())
        {
            return false;
        }
        let i = self.statements.len();
        let zero = go_zero_time();
        let own = match st.timestamp {
            None => None,
            Some(Str(t)) => match self.times.get(&t) {
                Some(t) => Some(*t),
                None => {
                    let Ok(p) = parse_timestamp(&t) else {
                        return false;
                    };
                    self.times.insert(t, p);
                    Some(p)
                }
            },
        };
        let sort_time = match own {
            Some(t) if t != zero => t,
            _ => {
                self.need_doc_time.push(i as u32);
                zero
            }
        };
        let mut products = Vec::with_capacity(st.products.len());
        for (pi, p) in st.products.iter().enumerate() {
            let base = || format!("statements[{i}].products[{pi}]");
            let c = CompRef {
                id: &p.id,
                identifiers: &p.identifiers,
                hashes: &p.hashes,
            };
            let component = self.component(&c, i, &base);
            let mut subcomponents = Vec::with_capacity(p.subcomponents.len());
            for (ci, s) in p.subcomponents.iter().enumerate() {
                let sub = || format!("{}.subcomponents[{ci}]", base());
                let sc = CompRef {
                    id: &s.id,
                    identifiers: &s.identifiers,
                    hashes: &s.hashes,
                };
                subcomponents.push(self.component(&sc, i, &sub));
            }
            products.push(CompiledProduct {
                component,
                subcomponents,
            });
        }
        let v = st.vulnerability;
        self.statements.push(CompiledStatement {
            index: i,
            vuln_id: v.id.map(|s| s.0.into_owned()).unwrap_or_default(),
            name: v.name.0.into_owned(),
            aliases: v.aliases.into_iter().map(|a| a.0.into_owned()).collect(),
            status: Status::parse(st.status.as_str()),
            justification: st
                .justification
                .map(|s| s.0.into_owned())
                .unwrap_or_default(),
            sort_time,
            products,
        });
        true
    }
}

/// `statements`: compiled one by one as they are read, so no statement list is ever
/// materialised.
struct Statements<'c, 'a>(&'c mut Compiler<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for Statements<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for Statements<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(st) = seq.next_element::<Stmt<'a>>()? {
            if !self.0.statement(st) {
                // Not one the fast load takes: stop, the general path decides.
                return Err(de::Error::custom("declined"));
            }
        }
        Ok(())
    }
}

/// The document head the fast load checks.
#[derive(Default)]
struct Head<'a> {
    context: Option<Str<'a>>,
    timestamp: Option<Str<'a>>,
    last_updated: Option<Str<'a>>,
    bom_format: bool,
    /// A key Go reads into a field although it is spelled in another case.
    folded_key: bool,
}

/// go-vex's `VEX`, field for field, read from a JSON object only, a known key twice being
/// an error (as in a derived struct).
struct DocVisitor<'c, 'a>(&'c mut Compiler<'a>);

impl<'de: 'a, 'a> Visitor<'de> for DocVisitor<'_, 'a> {
    type Value = Head<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OpenVEX document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Head<'a>, A::Error> {
        const KNOWN: [&str; 10] = keys::DOCUMENT;
        let mut seen = [false; KNOWN.len()];
        let mut head = Head::default();
        while let Some(key) = map.next_key::<Str<'a>>()? {
            let Some(k) = KNOWN.iter().position(|k| *k == key.as_str()) else {
                if key.as_str() == "bomFormat" {
                    head.bom_format = true;
                }
                head.folded_key |= go_field(key.as_str(), &KNOWN).is_some();
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if std::mem::replace(&mut seen[k], true) {
                return Err(de::Error::duplicate_field(KNOWN[k]));
            }
            match KNOWN[k] {
                "@context" => head.context = Some(map.next_value()?),
                "@id" | "author" => {
                    map.next_value::<Str<'a>>()?;
                }
                "timestamp" => head.timestamp = map.next_value()?,
                "last_updated" => head.last_updated = map.next_value()?,
                "version" => {
                    map.next_value::<Option<i64>>()?;
                }
                "statements" => map.next_value_seed(Statements(&mut *self.0))?,
                _ => {
                    map.next_value::<Option<Str<'a>>>()?;
                }
            }
        }
        if head.context.is_none() {
            return Err(de::Error::missing_field("@context"));
        }
        Ok(head)
    }
}

/// Load a plain v0.2.0 OpenVEX document: the compiled statements and the never-matching
/// lints, or `None` when the general path must decide (see the module docs).
pub fn load_openvex(text: &str) -> Option<(CompiledOpenVex, Vec<Lint>)> {
    let mut c = Compiler {
        statements: Vec::new(),
        lints: Vec::new(),
        purls: PurlInfo::default(),
        times: HashMap::new(),
        need_doc_time: Vec::new(),
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let head = de.deserialize_map(DocVisitor(&mut c)).ok()?;
    de.end().ok()?;
    // A plain document (the statements were checked as they streamed by).
    let context = head.context?;
    if context.as_str().is_empty()
        || head.bom_format
        || head.folded_key
        || flavor_of(context.as_str()) != Some(Flavor::V020)
        || !time_ok(&head.last_updated)
    {
        return None;
    }
    // `CompiledOpenVex::compile`: the document timestamp for statements without their own.
    if let Some(t) = head.timestamp {
        let t = parse_timestamp(t.as_str()).ok()?;
        for &i in &c.need_doc_time {
            c.statements[i as usize].sort_time = t;
        }
    }
    Some((CompiledOpenVex::from_statements(c.statements), c.lints))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vex::decode;

    /// The general path's answer for a document: Trivy's reading ([`decode::read`]) when it
    /// has no notes, compiled, with its lints.
    fn general(text: &str) -> Option<(CompiledOpenVex, Vec<Lint>)> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let decode::Read::Ok(doc, notes) = decode::read(v) else {
            return None;
        };
        if !notes.is_empty() {
            return None;
        }
        let c = CompiledOpenVex::compile(&doc).ok()?;
        Some((c, lint::lint_document(&doc)))
    }

    /// The fast load equals the general path (`decode::read`, `CompiledOpenVex::compile`
    /// and `lint_document`) on the committed OpenVEX fixtures it accepts; every document
    /// it declines is one the general path refuses, explains with a note, or is not plain
    /// v0.2.0.
    #[test]
    fn fast_load_equals_model_path() {
        let dirs = [
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata"),
        ];
        let mut files = Vec::new();
        for d in dirs {
            collect_json(std::path::Path::new(d), &mut files);
        }
        let (mut same, mut declined) = (0, 0);
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            let fast = load_openvex(&text);
            let slow = general(&text);
            let plain = text.contains("\"https://openvex.dev/ns/v0.2.0\"");
            match (fast, slow) {
                (Some(a), Some(b)) => {
                    // The index is built from the statements by the same function in
                    // both paths (its hashes are randomly keyed per instance).
                    assert_eq!(
                        format!("{:?}", a.0.statements),
                        format!("{:?}", b.0.statements),
                        "{}",
                        f.display()
                    );
                    assert_eq!(a.1, b.1, "{}", f.display());
                    same += 1;
                }
                (None, None) => declined += 1,
                (None, Some(_)) if !plain => declined += 1,
                (a, b) => panic!(
                    "{}: fast {} but model path {}",
                    f.display(),
                    a.is_some(),
                    b.is_some()
                ),
            }
        }
        assert!(
            same >= 10 && declined >= 10,
            "same {same}, declined {declined}"
        );
    }

    /// Every branch of the fast load against the model path on one document: statement
    /// timestamps absent, zero and escaped, `identifiers` and `hashes`, subcomponents,
    /// escaped strings, unknown fields, and never-matching PURLs (lints).
    #[test]
    fn fast_load_equals_model_path_on_every_branch() {
        let text = r#"{"x-top":[1,{"a":null}],"statements":[
          {"vulnerability":{"name":"CVE-1","aliases":["GHSA-\u0031"],"x-v":1},"status":"not_affected",
           "justification":"component_not_present","products":[{"@id":"pkg:oci/app?repository_url=docker.io%2Flibrary%2Fapp&tag=1",
           "subcomponents":[{"@id":"pkg:deb/debian/bash@1:5.2","hashes":{"sha256":"abc"}},{"@id":"https://example.com/x",
           "identifiers":{"purl":"pkg:npm/%40scope/Pkg","cpe23":"cpe:2.3:a:x"}}]}]},
          {"vulnerability":{"@id":"https://nvd/CVE-2"},"timestamp":"0001-01-01T00:00:00Z","status":"fixed",
           "products":[{"@id":"pkg:deb/debian/a","x-p":{"k":[1]}}],"x-s":"kept"},
          {"vulnerability":{"name":"CVE-3"},"timestamp":"2024-03-01T00:00:00\u002b01:00","status":"affected",
           "products":[{"@id":"pkg:oci/A@sha256:x"},{"@id":"not a purl"},{"@id":"pkg:"}]},
          {"vulnerability":{"name":"CVE-3"},"timestamp":"2024-03-01T00:00:00+01:00","status":"under_investigation","products":[]}
        ],"@context":"https://openvex.dev/ns/v0.2.0","timestamp":"2023-06-01T12:00:00Z","version":2}"#;
        let (fast, fast_lints) = load_openvex(text).expect("fast path");
        let (slow, lints) = general(text).expect("general path");
        assert_eq!(
            format!("{:?}", fast.statements),
            format!("{:?}", slow.statements)
        );
        assert!(lints.len() >= 4, "{lints:?}");
        assert_eq!(fast_lints, lints);
        for k in ["CVE-1", "GHSA-1", "https://nvd/CVE-2", "CVE-3", "", "CVE-4"] {
            assert_eq!(fast.candidates(k), slow.candidates(k), "{k}");
        }
    }

    fn collect_json(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect_json(&p, out);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }

    /// Shapes the fast load must decline (the general path reads, explains or rejects
    /// them): a statement written as an array, legacy keys, a null statement-level
    /// `subcomponents`, keys in another case, nulls, times Go does not parse, errors.
    #[test]
    fn declines_what_the_model_fast_path_declines() {
        let ctx = r#""@context":"https://openvex.dev/ns/v0.2.0""#;
        let ok = format!(
            r#"{{{ctx},"timestamp":"2024-01-01T00:00:00Z","statements":[{{"vulnerability":{{"name":"CVE-1"}},"products":[{{"@id":"pkg:deb/debian/a"}}],"status":"fixed"}}]}}"#
        );
        assert!(load_openvex(&ok).is_some());
        // Spec fields go-vex does not have: Trivy ignores them whatever their type.
        let ignored = format!(
            r#"{{{ctx},"version":-1,"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":"fixed","supplier":5,"version":"x"}}]}}"#
        );
        assert!(load_openvex(&ignored).is_some());
        assert!(general(&ignored).is_some());
        for bad in [
            format!(r#"{{{ctx},"statements":[["x"]]}}"#),
            format!(r#"{{{ctx},"statements":[{{"vulnerability":["CVE-1"],"status":"fixed"}}]}}"#),
            format!(r#"{{{ctx},"statements":[{{"vulnerability":"CVE-1","status":"fixed"}}]}}"#),
            format!(
                r#"{{{ctx},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":"fixed","subcomponents":null}}]}}"#
            ),
            format!(
                r#"{{{ctx},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":"fixed","vuln_description":"d"}}]}}"#
            ),
            format!(r#"{{{ctx},"bomFormat":"CycloneDX","statements":[]}}"#),
            format!(
                r#"{{{ctx},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":""}}]}}"#
            ),
            format!(r#"{{{ctx},"statements":[{{"vulnerability":{{}},"status":"fixed"}}]}}"#),
            format!(
                r#"{{{ctx},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":"fixed","timestamp":"yesterday"}}]}}"#
            ),
            format!(
                r#"{{{ctx},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":"fixed","timestamp":"2024-01-01 00:00:00Z"}}]}}"#
            ),
            format!(
                r#"{{{ctx},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":"fixed","last_updated":"yesterday"}}]}}"#
            ),
            format!(
                r#"{{{ctx},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":"fixed","action_statement_timestamp":"2024"}}]}}"#
            ),
            format!(r#"{{{ctx},"last_updated":"2024-01-01","statements":[]}}"#),
            format!(
                r#"{{{ctx},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":"fixed","status":"fixed"}}]}}"#
            ),
            format!(
                r#"{{{ctx},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"Status":"fixed","status":"affected"}}]}}"#
            ),
            format!(
                r#"{{{ctx},"statements":[{{"vulnerability":{{"NAME":"CVE-1"}},"status":"fixed"}}]}}"#
            ),
            format!(
                r#"{{{ctx},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":"fixed","products":[{{"@id":"a","Subcomponents":[]}}]}}]}}"#
            ),
            format!(
                r#"{{{ctx},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":"fixed","products":[{{"@id":"a","supplier":{{"name":"x"}}}}]}}]}}"#
            ),
            format!(
                r#"{{{ctx},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":"fixed","products":null}}]}}"#
            ),
            format!(r#"{{{ctx},"Statements":[]}}"#),
            format!(r#"{{{ctx},"supplier":{{"name":"x"}},"statements":[]}}"#),
            format!(r#"{{{ctx},"version":1.0,"statements":[]}}"#),
            format!(r#"{{{ctx},"version":"1","statements":[]}}"#),
            r#"{"@context":"https://openvex.dev/ns","statements":[]}"#.to_string(),
            r#"{"@context":"","statements":[]}"#.to_string(),
            r#"["https://openvex.dev/ns/v0.2.0"]"#.to_string(),
        ] {
            assert!(load_openvex(&bad).is_none(), "{bad}");
        }
    }
}
