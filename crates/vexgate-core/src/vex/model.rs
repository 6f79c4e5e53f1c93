//! The OpenVEX document model (spec v0.2.0), with lenient reading of the
//! legacy `https://openvex.dev/ns` and `v0.0.1` shapes the way go-vex `parse001`
//! (pkg/vex/compat.go) converts them: a string `vulnerability` becomes `{name}`,
//! `vuln_description` its description, string `products` become `{@id}` each carrying the
//! statement-level `subcomponents`, and a string document `version` becomes an integer.
//! This lenient reading serves `vex add`, `vex list` and `vex validate`; Trivy has no such
//! conversion, so `gate`, `scan` and `vex audit` read documents with
//! [`crate::vex::decode::read`] instead.
//!
//! Types serialize in the spec examples' key order. Fields this model does not know are
//! kept in `extra` and written back, so a round trip loses nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The current context.
pub const CONTEXT_V020: &str = "https://openvex.dev/ns/v0.2.0";
/// The unversioned legacy context (spec: "defaults to v0.0.1").
pub const CONTEXT_LEGACY: &str = "https://openvex.dev/ns";
pub const CONTEXT_V001: &str = "https://openvex.dev/ns/v0.0.1";

/// Which shape a document's `@context` announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    V020,
    /// `https://openvex.dev/ns` or `https://openvex.dev/ns/v0.0.1`.
    Legacy,
}

/// Classify an `@context`. `None` for a context vexgate does not know (an input error).
/// A trailing `/` is tolerated (go-vex rejects it; Trivy does not look).
pub fn flavor_of(context: &str) -> Option<Flavor> {
    match context.trim_end_matches('/') {
        CONTEXT_V020 => Some(Flavor::V020),
        CONTEXT_LEGACY | CONTEXT_V001 => Some(Flavor::Legacy),
        _ => None,
    }
}

/// An OpenVEX document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    #[serde(rename = "@context")]
    pub context: String,
    #[serde(rename = "@id", default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default)]
    pub author: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// RFC 3339, kept as written; see [`crate::vex::matching::parse_timestamp`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tooling: Option<String>,
    #[serde(default)]
    pub statements: Vec<Statement>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One statement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "@id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Statement version (spec: optional integer ≥ 1; go-vex does not model it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    pub vulnerability: Vulnerability,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<Product>,
    /// Kept as a string: go-vex accepts any value; only `not_affected`/`fixed` suppress.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_statement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_statement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_statement_timestamp: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Statement {
    pub fn status(&self) -> Status {
        Status::parse(&self.status)
    }

    /// The justification as Trivy records it in a ModifiedFinding's `Statement` (may be "").
    pub fn justification_text(&self) -> &str {
        self.justification.as_deref().unwrap_or("")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    #[serde(rename = "@id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Vulnerability {
    /// Every string go-vex `Vulnerability.Matches` compares a finding's ID with: `@id`
    /// (empty when absent, as in Go), `name`, and each alias.
    pub fn match_keys(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_deref().unwrap_or(""))
            .chain(std::iter::once(self.name.as_str()))
            .chain(self.aliases.iter().map(String::as_str))
    }
}

/// A product: a component that may list subcomponents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Product {
    #[serde(flatten)]
    pub component: Component,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subcomponents: Vec<Component>,
}

/// A component or subcomponent: `@id`, `identifiers` (purl/cpe22/cpe23) and `hashes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Component {
    #[serde(rename = "@id", default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub identifiers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hashes: BTreeMap<String, String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Component {
    pub fn from_id(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
    }

    /// The PURL this component names, if any: `@id` when it starts with `pkg:`, else
    /// `identifiers.purl`.
    pub fn purl(&self) -> Option<&str> {
        if self.id.starts_with("pkg:") {
            return Some(&self.id);
        }
        self.identifiers.get("purl").map(String::as_str)
    }
}

/// The four spec statuses plus anything else a document says (go-vex accepts any string).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
    Other(String),
}

impl Status {
    /// The four statuses the OpenVEX spec defines.
    pub const SPEC: [Status; 4] = [
        Status::NotAffected,
        Status::Affected,
        Status::Fixed,
        Status::UnderInvestigation,
    ];

    /// One of the spec's four statuses (not [`Status::Other`]).
    pub fn is_spec(&self) -> bool {
        !matches!(self, Status::Other(_))
    }

    /// `not_affected, affected, fixed, under_investigation`, for messages.
    pub fn spec_names() -> String {
        Self::SPEC
            .iter()
            .map(Status::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "not_affected" => Status::NotAffected,
            "affected" => Status::Affected,
            "fixed" => Status::Fixed,
            "under_investigation" => Status::UnderInvestigation,
            other => Status::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Status::NotAffected => "not_affected",
            Status::Affected => "affected",
            Status::Fixed => "fixed",
            Status::UnderInvestigation => "under_investigation",
            Status::Other(s) => s,
        }
    }

    /// Trivy suppresses on `not_affected` and `fixed` only (pkg/vex/openvex.go:66-74).
    pub fn suppresses(&self) -> bool {
        matches!(self, Status::NotAffected | Status::Fixed)
    }
}

/// The five spec justification labels.
pub const JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// A problem reading a document: `statement` is the 0-based index when one is to blame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError {
    pub statement: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.statement {
            Some(i) => write!(f, "statement {i} (statements[{i}]): {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

fn err(statement: Option<usize>, message: impl Into<String>) -> ModelError {
    ModelError {
        statement,
        message: message.into(),
    }
}

/// Read an OpenVEX document from a parsed JSON object whose `@context` is non-empty.
/// Unknown contexts, statements without a vulnerability or a status, and wrongly typed
/// fields are errors naming the statement index.
pub fn document_from_value(mut root: Map<String, Value>) -> Result<Document, ModelError> {
    let context = match root.get("@context") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(err(None, "`@context` must be a string")),
    };
    let Some(flavor) = flavor_of(&context) else {
        return Err(err(
            None,
            format!(
                "unknown @context {context:?} (expected {CONTEXT_V020}, or the legacy {CONTEXT_LEGACY} / {CONTEXT_V001})"
            ),
        ));
    };
    // Legacy string `version` (go-vex parse001: Atoi, ignored when not an integer); be
    // equally lenient with v0.2.0 documents.
    if let Some(v) = root.get("version").cloned() {
        match v {
            Value::String(s) => match s.trim().parse::<u64>() {
                Ok(n) => {
                    root.insert("version".into(), Value::from(n));
                }
                Err(_) => {
                    root.remove("version");
                }
            },
            Value::Number(n) if n.as_u64().is_none() => {
                root.remove("version");
            }
            _ => {}
        }
    }
    let statements = match root.remove("statements") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(err(None, "`statements` must be an array")),
    };
    let mut doc: Document = serde_json::from_value(Value::Object(root))
        .map_err(|e| err(None, format!("document: {e}")))?;
    doc.statements.reserve(statements.len());
    for (i, raw) in statements.into_iter().enumerate() {
        doc.statements.push(statement_from_value(raw, i, flavor)?);
    }
    Ok(doc)
}

fn statement_from_value(raw: Value, i: usize, flavor: Flavor) -> Result<Statement, ModelError> {
    let Value::Object(mut m) = raw else {
        return Err(err(Some(i), "is not a JSON object"));
    };
    // Legacy shapes (also accepted under the v0.2.0 context: reading is lenient).
    match m.remove("vulnerability") {
        None | Some(Value::Null) => {
            return Err(err(Some(i), "has no `vulnerability`"));
        }
        Some(Value::String(name)) => {
            let mut v = Map::new();
            v.insert("name".into(), Value::String(name));
            if let Some(Value::String(d)) = m.remove("vuln_description") {
                v.insert("description".into(), Value::String(d));
            }
            m.insert("vulnerability".into(), Value::Object(v));
        }
        Some(other) => {
            m.insert("vulnerability".into(), other);
        }
    }
    match m.get("status") {
        None | Some(Value::Null) => return Err(err(Some(i), "has no `status`")),
        Some(Value::String(s)) if s.is_empty() => {
            return Err(err(Some(i), "has an empty `status`"));
        }
        _ => {}
    }
    let statement_subs =
        if flavor == Flavor::Legacy || m.get("subcomponents").is_some_and(Value::is_array) {
            m.remove("subcomponents")
        } else {
            None
        };
    if let Some(Value::Array(products)) = m.get_mut("products") {
        for p in products.iter_mut() {
            if let Value::String(id) = p {
                let mut obj = Map::new();
                obj.insert("@id".into(), Value::String(std::mem::take(id)));
                *p = Value::Object(obj);
            }
            if let (Value::Object(obj), Some(Value::Array(subs))) = (&mut *p, &statement_subs)
                && !obj.contains_key("subcomponents")
            {
                obj.insert(
                    "subcomponents".into(),
                    Value::Array(subs.iter().map(legacy_component).collect()),
                );
            }
            if let Value::Object(obj) = p
                && let Some(Value::Array(subs)) = obj.get_mut("subcomponents")
            {
                for s in subs.iter_mut() {
                    *s = legacy_component(s);
                }
            }
        }
    }
    let st: Statement =
        serde_json::from_value(Value::Object(m)).map_err(|e| err(Some(i), e.to_string()))?;
    if st.vulnerability.name.is_empty()
        && st.vulnerability.id.as_deref().unwrap_or("").is_empty()
        && st.vulnerability.aliases.is_empty()
    {
        return Err(err(Some(i), "`vulnerability` has no name, @id or aliases"));
    }
    Ok(st)
}

fn legacy_component(v: &Value) -> Value {
    match v {
        Value::String(s) => {
            let mut obj = Map::new();
            obj.insert("@id".into(), Value::String(s.clone()));
            Value::Object(obj)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Result<Document, ModelError> {
        let Value::Object(m) = serde_json::from_str(s).unwrap() else {
            panic!()
        };
        document_from_value(m)
    }

    #[test]
    fn reads_v020_and_round_trips_unknown_fields() {
        let text = r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://x/1","author":"a",
          "timestamp":"2023-01-16T19:07:16-06:00","version":1,"x-custom":{"k":1},
          "statements":[{"vulnerability":{"name":"CVE-1","aliases":["GHSA-1"]},
            "products":[{"@id":"pkg:oci/app","subcomponents":[{"@id":"pkg:deb/debian/bash"}],"x-p":true}],
            "status":"not_affected","justification":"component_not_present","x-s":"keep"}]}"#;
        let doc = read(text).unwrap();
        assert_eq!(doc.statements[0].vulnerability.aliases, ["GHSA-1"]);
        assert_eq!(
            doc.statements[0].products[0].subcomponents[0].id,
            "pkg:deb/debian/bash"
        );
        assert_eq!(doc.statements[0].status(), Status::NotAffected);
        let back = serde_json::to_value(&doc).unwrap();
        assert_eq!(back["x-custom"]["k"], 1);
        assert_eq!(back["statements"][0]["x-s"], "keep");
        assert_eq!(back["statements"][0]["products"][0]["x-p"], true);
        let again: Document = serde_json::from_value(back).unwrap();
        assert_eq!(again, doc);
    }

    /// go-vex pkg/vex/compat.go parse001: the v0.0.1 shape.
    #[test]
    fn reads_legacy_shapes() {
        let text = r#"{"@context":"https://openvex.dev/ns","@id":"x","author":"a","version":"3",
          "timestamp":"2023-01-01T00:00:00Z",
          "statements":[{"vulnerability":"CVE-2023-1","vuln_description":"d",
            "products":["pkg:oci/a","pkg:oci/b"],"subcomponents":["pkg:apk/alpine/busybox"],
            "status":"not_affected","justification":"component_not_present"}]}"#;
        let doc = read(text).unwrap();
        assert_eq!(doc.version, Some(3));
        let st = &doc.statements[0];
        assert_eq!(st.vulnerability.name, "CVE-2023-1");
        assert_eq!(st.vulnerability.description.as_deref(), Some("d"));
        assert_eq!(st.products.len(), 2);
        for p in &st.products {
            assert_eq!(p.subcomponents[0].id, "pkg:apk/alpine/busybox");
        }
        assert!(!st.extra.contains_key("subcomponents"));
        let doc =
            read(r#"{"@context":"https://openvex.dev/ns/v0.0.1","version":"x","statements":[]}"#)
                .unwrap();
        assert_eq!(doc.version, None);
    }

    #[test]
    fn bad_documents_name_the_statement() {
        let e = read(r#"{"@context":"https://example.com/ns","statements":[]}"#).unwrap_err();
        assert!(e.message.contains("unknown @context"), "{e}");
        let e = read(
            r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[
            {"vulnerability":{"name":"CVE-1"},"status":"fixed","products":[{"@id":"pkg:oci/a"}]},
            {"status":"fixed"}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.statement, Some(1));
        assert!(e.to_string().contains("no `vulnerability`"), "{e}");
        let e = read(r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"}}]}"#)
            .unwrap_err();
        assert_eq!(e.statement, Some(0));
        assert!(e.to_string().contains("no `status`"), "{e}");
        let e = read(r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"fixed","products":{"a":1}}]}"#)
            .unwrap_err();
        assert_eq!(e.statement, Some(0));
        let e = read(r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{},"status":"fixed"}]}"#)
            .unwrap_err();
        assert!(e.to_string().contains("no name"), "{e}");
    }

    #[test]
    fn component_purl_and_status() {
        let mut c = Component::from_id("https://example.com/x");
        assert_eq!(c.purl(), None);
        c.identifiers.insert("purl".into(), "pkg:npm/a".into());
        assert_eq!(c.purl(), Some("pkg:npm/a"));
        assert!(Status::parse("fixed").suppresses());
        assert!(!Status::parse("affected").suppresses());
        assert!(!Status::parse("bogus").suppresses());
        assert_eq!(Status::parse("bogus").as_str(), "bogus");
    }
}
