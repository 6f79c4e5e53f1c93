//! The fast load of plain v0.2.0 OpenVEX documents for `gate`: one typed parse of the text
//! that reads the statements one at a time into the model ([`Statement`]) and compiles each
//! as it goes ([`CompiledStatement::compile_at`], [`lint::lint_statement`]), without
//! building a whole [`crate::vex::model::Document`] (whose `#[serde(flatten)]` field would
//! buffer every statement) or a `serde_json::Value` tree.
//!
//! It accepts only v0.2.0 documents that Trivy's decoder reads as written
//! ([`crate::vex::decode::read`] gives the same document with no notes) and produces the
//! same statements, index and lints; everything else (legacy contexts and fields, keys in
//! another case, nulls, CSAF, CycloneDX, and every error) returns `None`, and the caller
//! takes the general path, which decides and explains. The model keeps the keys it does
//! not know in `extra`; those are checked against go-vex's field names
//! ([`crate::vex::decode::keys`]), since Go would read a key in another case into a field.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use jiff::Timestamp;
use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::decode::{go_field, go_time, keys};
use super::lint::{self, Lint, LintCache};
use super::matching::{
    CompiledOpenVex, CompiledStatement, PurlCache, go_zero_time, parse_timestamp,
};
use super::model::{Flavor, Statement, flavor_of};

/// A time field as Go's `time.Time` reads it; `false` when it does not parse.
fn time_ok(t: &Option<String>) -> bool {
    t.as_deref().is_none_or(|t| go_time(t).is_ok())
}

/// Whether the keys the model keeps in `extra` are ones go-vex ignores too: not another
/// case of a go-vex field's name (Go would read it into that field), and a go-vex field
/// the model does not have (`supplier` of a component) of Go's type (a string or null).
fn extra_as_go(extra: &BTreeMap<String, Value>, known: &[&str]) -> bool {
    extra.iter().all(|(k, v)| match go_field(k, known) {
        None => true,
        Some(f) if f == k => f == "supplier" && matches!(v, Value::String(_) | Value::Null),
        Some(_) => false,
    })
}

/// Whether Trivy reads the statement as the model does, with nothing for the general
/// path to refuse or explain.
fn plain(st: &Statement) -> bool {
    let v = &st.vulnerability;
    !st.extra.contains_key("subcomponents")
        && !st.extra.contains_key("vuln_description")
        && extra_as_go(&st.extra, &keys::STATEMENT)
        && extra_as_go(&v.extra, &keys::VULNERABILITY)
        && st.products.iter().all(|p| {
            extra_as_go(&p.component.extra, &keys::PRODUCT)
                && p.subcomponents
                    .iter()
                    .all(|c| extra_as_go(&c.extra, &keys::COMPONENT))
        })
        && time_ok(&st.last_updated)
        && time_ok(&st.action_statement_timestamp)
        && !st.status.is_empty()
        && !(v.name.is_empty() && v.id.as_deref().unwrap_or("").is_empty() && v.aliases.is_empty())
}

/// The compiler state while the statements stream by.
#[derive(Default)]
struct Compiler {
    statements: Vec<CompiledStatement>,
    lints: Vec<Lint>,
    purls: PurlCache,
    lint_cache: LintCache,
    times: HashMap<String, Timestamp>,
    /// Statements whose sort time is the document's (known only at the end).
    need_doc_time: Vec<u32>,
}

impl Compiler {
    /// The statement compiled as [`CompiledOpenVex::compile`] compiles it, and its lints
    /// as [`lint::lint_document`] finds them; `false` when the statement must go to the
    /// general path.
    fn statement(&mut self, st: Statement) -> bool {
        if !plain(&st) {
            return false;
        }
        let i = self.statements.len();
        let zero = go_zero_time();
        let own = match st.timestamp.as_deref() {
            None => None,
            Some(t) => match self.times.get(t) {
                Some(t) => Some(*t),
                None => {
                    let Ok(p) = parse_timestamp(t) else {
                        return false;
                    };
                    self.times.insert(t.to_string(), p);
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
        lint::lint_statement(&st, i, &mut self.lints, &mut self.lint_cache);
        self.statements.push(CompiledStatement::compile_at(
            i,
            &st,
            sort_time,
            &mut self.purls,
        ));
        true
    }
}

/// `statements`: compiled one by one as they are read, so no statement list is ever
/// materialised.
struct Statements<'c>(&'c mut Compiler);

impl<'de> DeserializeSeed<'de> for Statements<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Statements<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(st) = seq.next_element_seed(AsTrivy)? {
            if !self.0.statement(st) {
                // Not one the fast load takes: stop, the general path decides.
                return Err(de::Error::custom("declined"));
            }
        }
        Ok(())
    }
}

/// A statement as Trivy reads it: the model's statement without the spec fields go-vex
/// does not have (`version`, `supplier`), which Trivy ignores whatever their type, as
/// [`crate::vex::decode::read`] drops them.
struct AsTrivy;

impl<'de> DeserializeSeed<'de> for AsTrivy {
    type Value = Statement;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Statement, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AsTrivy {
    type Value = Statement;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OpenVEX statement")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Statement, A::Error> {
        Statement::deserialize(MapAccessDeserializer::new(WithoutNotGoVex(map)))
    }
}

/// A map without its `version` and `supplier` entries.
struct WithoutNotGoVex<A>(A);

impl<'de, A: MapAccess<'de>> MapAccess<'de> for WithoutNotGoVex<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(key) = self.0.next_key::<Key<'de>>()? else {
                return Ok(None);
            };
            match key {
                Key(Cow::Borrowed("version" | "supplier")) => {
                    self.0.next_value::<IgnoredAny>()?;
                }
                Key(Cow::Owned(k)) if k == "version" || k == "supplier" => {
                    self.0.next_value::<IgnoredAny>()?;
                }
                Key(Cow::Borrowed(k)) => {
                    return seed.deserialize(BorrowedStrDeserializer::new(k)).map(Some);
                }
                Key(Cow::Owned(k)) => {
                    return seed.deserialize(StringDeserializer::new(k)).map(Some);
                }
            }
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.0.next_value_seed(seed)
    }
}

/// An object key, borrowed from the text when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The document fields the fast load checks.
#[derive(Default)]
struct Head {
    context: Option<String>,
    timestamp: Option<String>,
    last_updated: Option<String>,
    bom_format: bool,
    /// A key Go reads into a field although it is spelled in another case.
    folded_key: bool,
}

/// The document read key by key as go-vex's `VEX` is (its fields are
/// [`keys::DOCUMENT`]), from a JSON object only, a known key twice being an error (as in a
/// derived struct), the statements streamed through [`Statements`].
struct DocVisitor<'c>(&'c mut Compiler);

impl<'de> Visitor<'de> for DocVisitor<'_> {
    type Value = Head;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OpenVEX document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Head, A::Error> {
        const KNOWN: [&str; 10] = keys::DOCUMENT;
        let mut seen = [false; KNOWN.len()];
        let mut head = Head::default();
        while let Some(key) = map.next_key::<String>()? {
            let Some(k) = KNOWN.iter().position(|k| *k == key) else {
                if key == "bomFormat" {
                    head.bom_format = true;
                }
                head.folded_key |= go_field(&key, &KNOWN).is_some();
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if std::mem::replace(&mut seen[k], true) {
                return Err(de::Error::duplicate_field(KNOWN[k]));
            }
            match KNOWN[k] {
                "@context" => head.context = Some(map.next_value()?),
                "@id" | "author" => {
                    map.next_value::<String>()?;
                }
                "timestamp" => head.timestamp = map.next_value()?,
                "last_updated" => head.last_updated = map.next_value()?,
                "version" => {
                    map.next_value::<Option<i64>>()?;
                }
                "statements" => map.next_value_seed(Statements(&mut *self.0))?,
                _ => {
                    map.next_value::<Option<String>>()?;
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
    let mut c = Compiler::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let head = de.deserialize_map(DocVisitor(&mut c)).ok()?;
    de.end().ok()?;
    // A plain document (the statements were checked as they streamed by).
    let context = head.context?;
    if context.is_empty()
        || head.bom_format
        || head.folded_key
        || flavor_of(&context) != Some(Flavor::V020)
        || !time_ok(&head.last_updated)
    {
        return None;
    }
    // `CompiledOpenVex::compile`: the document timestamp for statements without their own.
    if let Some(t) = head.timestamp {
        let t = parse_timestamp(&t).ok()?;
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
