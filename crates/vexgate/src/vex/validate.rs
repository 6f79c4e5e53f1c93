//! `vex validate`: the OpenVEX JSON schema, the spec's semantic rules, and the never-match
//! lints (openvex.md §2.6, §2.10, §9.2).
//!
//! Three levels, each problem naming its statement index and JSON path:
//! - **schema** (`openvex_json_schema.json`, draft 2020-12, embedded): `iri`/`uri` format
//!   failures are warnings, because documents scanners accept fail them (Trivy's own
//!   `.vex/trivy.openvex.json` has a non-IRI `@id`); every other failure is an error;
//! - **spec**: the MUSTs the schema cannot express (a statement names a product and has a
//!   timestamp after inheritance, a known `@context`) and go-vex `Statement.Validate`'s
//!   rules, which vexctl and Trivy's go-vex enforce (no justification or impact statement
//!   outside not_affected, no action statement outside affected);
//! - **lint**: identifiers that can never match anything Trivy emits ([`super::lint`]) are
//!   errors (the statement is silently a no-op); hygiene problems are warnings.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::vex::author::parse_timestamp;
use crate::vex::model::{self, CONTEXT_V020, Flavor, JUSTIFICATIONS};

/// The OpenVEX v0.2.0 JSON schema (openvex/spec@d29fab0 `openvex_json_schema.json`).
pub const SCHEMA: &str =
    include_str!("../../../../testdata/upstream/openvex/spec/openvex_json_schema.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One problem in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    /// `schema`, `spec` or a lint code.
    pub code: String,
    /// 0-based statement index, when a statement is to blame.
    pub statement: Option<usize>,
    /// JSON path, e.g. `statements[2].products[0].@id` (`(document)` for the root).
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]: ", self.severity.as_str(), self.code)?;
        if let Some(i) = self.statement {
            write!(f, "statement {i}, ")?;
        }
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let schema: Value = serde_json::from_str(SCHEMA).expect("embedded schema is JSON");
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("embedded schema compiles")
    })
}

/// A JSON pointer (`/statements/0/products/1/@id`) as a path (`statements[0].products[1].@id`)
/// and the statement index it falls in.
pub fn pointer_to_path(ptr: &str) -> (String, Option<usize>) {
    if ptr.is_empty() {
        return ("(document)".into(), None);
    }
    let mut out = String::new();
    let segs: Vec<String> = ptr
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    for s in &segs {
        if s.parse::<usize>().is_ok() {
            out.push_str(&format!("[{s}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(s);
        }
    }
    let stmt = (segs.first().map(String::as_str) == Some("statements"))
        .then(|| segs.get(1).and_then(|s| s.parse().ok()))
        .flatten();
    (out, stmt)
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(77).collect::<String>())
    } else {
        s
    }
}

fn schema_message(e: &jsonschema::ValidationError<'_>) -> String {
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => format!(
            "unknown field{} {} (the schema allows no additional properties)",
            if unexpected.len() > 1 { "s" } else { "" },
            unexpected
                .iter()
                .map(|u| format!("{u:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ValidationErrorKind::Required { property } => {
            format!("required field {property} is missing")
        }
        ValidationErrorKind::Enum { options } => {
            format!("{} is not one of {}", short(e.instance()), options)
        }
        ValidationErrorKind::Format { format } => {
            format!("{} is not a valid {format}", short(e.instance()))
        }
        ValidationErrorKind::UniqueItems => "has duplicate items (uniqueItems)".into(),
        ValidationErrorKind::MinItems { limit } => format!("needs at least {limit} item(s)"),
        ValidationErrorKind::Minimum { limit } => {
            format!("{} is less than the minimum {limit}", short(e.instance()))
        }
        ValidationErrorKind::Type { kind } => {
            let want = match kind {
                jsonschema::error::TypeKind::Single(t) => t.to_string(),
                jsonschema::error::TypeKind::Multiple(_) => "the allowed types".to_string(),
            };
            format!("{} is not of type {want}", short(e.instance()))
        }
        ValidationErrorKind::AnyOf { .. } => format!(
            "{} matches none of the allowed shapes (anyOf){}",
            short(e.instance()),
            anyof_hint(e.schema_path().as_str())
        ),
        _ => {
            let s = e.to_string();
            if s.chars().count() > 200 {
                format!("{}…", s.chars().take(197).collect::<String>())
            } else {
                s
            }
        }
    }
}

fn anyof_hint(schema_path: &str) -> &'static str {
    if schema_path.contains("statements") || schema_path.contains("allOf") {
        ": not_affected needs `justification` or `impact_statement`"
    } else if schema_path.contains("identifiers") {
        ": identifiers needs at least one of purl, cpe22, cpe23"
    } else if schema_path.contains("component") || schema_path.contains("subcomponent") {
        ": a component needs `@id` or `identifiers`"
    } else {
        ""
    }
}

/// The schema problems of `doc`.
pub fn schema_problems(doc: &Value) -> Vec<Problem> {
    let mut out = Vec::new();
    for e in validator().iter_errors(doc) {
        let (path, statement) = pointer_to_path(e.instance_path().as_str());
        let severity = match e.kind() {
            ValidationErrorKind::Format { format }
                if matches!(
                    format.as_str(),
                    "iri" | "uri" | "iri-reference" | "uri-reference"
                ) =>
            {
                Severity::Warning
            }
            _ => Severity::Error,
        };
        out.push(Problem {
            severity,
            code: "schema".into(),
            statement,
            path,
            message: schema_message(&e),
        });
    }
    out
}

const ERR: Severity = Severity::Error;
const WARN: Severity = Severity::Warning;

fn spec(
    out: &mut Vec<Problem>,
    severity: Severity,
    statement: Option<usize>,
    path: String,
    message: impl Into<String>,
) {
    out.push(Problem {
        severity,
        code: "spec".into(),
        statement,
        path,
        message: message.into(),
    });
}

/// The spec's and go-vex's semantic rules, plus the lints.
pub fn semantic_problems(root: &Value, now: jiff::Timestamp) -> Vec<Problem> {
    let mut out = Vec::new();
    let Value::Object(m) = root else {
        spec(
            &mut out,
            ERR,
            None,
            "(document)".into(),
            "is not a JSON object",
        );
        return out;
    };
    let context = m.get("@context").and_then(Value::as_str).unwrap_or("");
    if context.is_empty() {
        spec(
            &mut out,
            ERR,
            None,
            "@context".into(),
            "missing: not an OpenVEX document",
        );
        return out;
    }
    match model::flavor_of(context) {
        None => {
            spec(
                &mut out,
                ERR,
                None,
                "@context".into(),
                format!("unknown context {context:?} (expected {CONTEXT_V020})"),
            );
            return out;
        }
        Some(Flavor::Legacy) => spec(
            &mut out,
            ERR,
            None,
            "@context".into(),
            format!(
                "{context:?} is the legacy v0.0.1 format; this schema and current tools expect {CONTEXT_V020} (`vexgate vex add` upgrades a legacy file)"
            ),
        ),
        Some(Flavor::V020) if context != CONTEXT_V020 => spec(
            &mut out,
            ERR,
            None,
            "@context".into(),
            format!(
                "{context:?}: go-vex rejects anything but exactly {CONTEXT_V020} (\"unable to get parser for version\")"
            ),
        ),
        Some(Flavor::V020) => {}
    }
    let doc = match model::document_from_value(m.clone()) {
        Ok(d) => d,
        Err(e) => {
            let path = match e.statement {
                Some(i) => format!("statements[{i}]"),
                None => "(document)".into(),
            };
            spec(&mut out, ERR, e.statement, path, e.message);
            return out;
        }
    };

    // Times.
    let time = |v: Option<&str>, stmt: Option<usize>, path: String, out: &mut Vec<Problem>| {
        let s = v?;
        match parse_timestamp(s) {
            Some(t) => {
                if t > now {
                    spec(out, WARN, stmt, path, format!("{s} is in the future"));
                }
                Some(t)
            }
            None => {
                spec(
                    out,
                    ERR,
                    stmt,
                    path,
                    format!("{s:?} is not an RFC 3339 date-time"),
                );
                None
            }
        }
    };
    let doc_ts = time(doc.timestamp.as_deref(), None, "timestamp".into(), &mut out);
    let doc_lu = time(
        doc.last_updated.as_deref(),
        None,
        "last_updated".into(),
        &mut out,
    );
    if let (Some(t), Some(l)) = (doc_ts, doc_lu)
        && l < t
    {
        spec(
            &mut out,
            WARN,
            None,
            "last_updated".into(),
            "is earlier than the document timestamp",
        );
    }

    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (i, st) in doc.statements.iter().enumerate() {
        let p = |f: &str| format!("statements[{i}].{f}");
        let s = Some(i);
        if let Some(id) = st.id.as_deref()
            && let Some(first) = ids.insert(id, i)
        {
            spec(
                &mut out,
                ERR,
                s,
                p("@id"),
                format!(
                    "{id:?} is also the @id of statement {first}; statement IDs must be unique"
                ),
            );
        }
        let ts = time(st.timestamp.as_deref(), s, p("timestamp"), &mut out);
        time(st.last_updated.as_deref(), s, p("last_updated"), &mut out);
        time(
            st.action_statement_timestamp.as_deref(),
            s,
            p("action_statement_timestamp"),
            &mut out,
        );
        if ts.is_none() && doc_ts.is_none() && st.timestamp.is_none() {
            spec(
                &mut out,
                ERR,
                s,
                p("timestamp"),
                "no timestamp, and none to inherit from the document (spec: a complete statement has a timestamp)",
            );
        }
        if st.products.is_empty() {
            spec(
                &mut out,
                ERR,
                s,
                p("products"),
                "no products: a complete statement MUST identify a product, and go-vex (Trivy, grype) never matches a statement without one",
            );
        }
        let status = st.status.as_str();
        if !crate::vex::author::STATUSES.contains(&status) {
            spec(
                &mut out,
                ERR,
                s,
                p("status"),
                format!("{status:?} is not an OpenVEX status"),
            );
        }
        let has = |o: &Option<String>| o.as_deref().is_some_and(|x| !x.trim().is_empty());
        if let Some(j) = st.justification.as_deref() {
            if !JUSTIFICATIONS.contains(&j) {
                spec(
                    &mut out,
                    ERR,
                    s,
                    p("justification"),
                    format!("{j:?} is not one of the five justification labels"),
                );
            }
            if status != "not_affected" {
                spec(
                    &mut out,
                    ERR,
                    s,
                    p("justification"),
                    format!(
                        "a justification with status {status} (go-vex Statement.Validate: only not_affected)"
                    ),
                );
            }
        }
        if st.impact_statement.is_some() && status != "not_affected" {
            spec(
                &mut out,
                ERR,
                s,
                p("impact_statement"),
                format!(
                    "an impact statement with status {status} (go-vex Statement.Validate: only not_affected; use status_notes)"
                ),
            );
        }
        if st.action_statement.is_some() && status != "affected" {
            spec(
                &mut out,
                ERR,
                s,
                p("action_statement"),
                format!(
                    "an action statement with status {status} (go-vex Statement.Validate: only affected; use {})",
                    if status == "not_affected" {
                        "impact_statement"
                    } else {
                        "status_notes"
                    }
                ),
            );
        }
        if status == "not_affected" && !has(&st.justification) && !has(&st.impact_statement) {
            spec(
                &mut out,
                ERR,
                s,
                p("status"),
                "not_affected needs a justification or an impact_statement",
            );
        }
        if status == "affected" && !has(&st.action_statement) {
            spec(
                &mut out,
                ERR,
                s,
                p("action_statement"),
                "affected needs a non-empty action_statement",
            );
        }
        if st.vulnerability.name.is_empty() {
            spec(
                &mut out,
                ERR,
                s,
                p("vulnerability.name"),
                "missing or empty",
            );
        }
        // Hygiene: an OS-package distro qualifier pins the statement to one base-image
        // point release (openvex.md §6.4 item 6).
        for (pi, prod) in st.products.iter().enumerate() {
            let comps = std::iter::once((format!("products[{pi}]"), &prod.component)).chain(
                prod.subcomponents
                    .iter()
                    .enumerate()
                    .map(move |(ci, c)| (format!("products[{pi}].subcomponents[{ci}]"), c)),
            );
            for (cp, c) in comps {
                if let Some(purl) = c.purl()
                    && let Ok(pp) = crate::purl::Purl::parse(purl)
                    && pp.qualifier("distro").is_some()
                {
                    out.push(Problem {
                        severity: WARN,
                        code: "distro-qualifier".into(),
                        statement: s,
                        path: p(&format!("{cp}.@id")),
                        message: format!(
                            "{purl:?} pins distro={}: a base-image point release makes it stop matching (drop the qualifier)",
                            pp.qualifier("distro").unwrap_or("")
                        ),
                    });
                }
            }
        }
    }
    for l in crate::vex::lint::lint_document(&doc) {
        out.push(Problem {
            severity: ERR,
            code: l.code.to_string(),
            statement: Some(l.statement),
            path: l.path,
            message: l.message,
        });
    }
    out
}

/// Validate a parsed document: schema, then spec rules and lints, in a stable order.
pub fn validate_value(doc: &Value, now: jiff::Timestamp) -> Vec<Problem> {
    let is_openvex = doc
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|c| !c.is_empty());
    if !is_openvex {
        // A CSAF or CycloneDX document, or any other JSON: one clear error, not a page of
        // schema complaints.
        let what = if doc.get("document").is_some() && doc.get("vulnerabilities").is_some() {
            " (this looks like CSAF)"
        } else if doc.get("bomFormat").is_some() {
            " (this looks like CycloneDX)"
        } else {
            ""
        };
        return vec![Problem {
            severity: Severity::Error,
            code: "spec".into(),
            statement: None,
            path: "@context".into(),
            message: format!("missing: not an OpenVEX document{what}"),
        }];
    }
    let mut out = schema_problems(doc);
    out.extend(semantic_problems(doc, now));
    out.sort_by(|a, b| {
        a.statement
            .map_or(0, |i| i + 1)
            .cmp(&b.statement.map_or(0, |i| i + 1))
            .then(b.severity.cmp(&a.severity))
    });
    out.dedup();
    out
}

/// Validate a file. `Err` (exit 2): unreadable, or not JSON.
pub fn validate_file(path: &Path, now: jiff::Timestamp) -> Result<Vec<Problem>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::input(path, "is a directory, not a VEX document"));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| Error::json(path, &e))?;
    Ok(validate_value(&v, now))
}

/// The exit code for a set of problems: 1 on any error (or warning with `strict`), else 0.
pub fn verdict(problems: &[Problem], strict: bool) -> i32 {
    let bad = problems
        .iter()
        .any(|p| p.severity == Severity::Error || strict);
    i32::from(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> jiff::Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn pointers_become_paths() {
        assert_eq!(
            pointer_to_path("/statements/3/products/0/@id"),
            ("statements[3].products[0].@id".into(), Some(3))
        );
        assert_eq!(pointer_to_path(""), ("(document)".into(), None));
        assert_eq!(pointer_to_path("/a~1b"), ("a/b".into(), None));
    }

    #[test]
    fn go_vex_rules_and_schema() {
        let doc: Value = serde_json::from_str(
            r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"urn:uuid:1","author":"a",
            "timestamp":"2025-01-01T00:00:00Z","version":1,"statements":[
              {"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"fixed",
               "justification":"component_not_present"},
              {"vulnerability":{"name":"CVE-2"},"products":[{"@id":"pkg:npm/a"}],"status":"affected"},
              {"vulnerability":{"name":"CVE-3"},"status":"fixed","statement":"x"}]}"#,
        )
        .unwrap();
        let p = validate_value(&doc, now());
        let has = |i: usize, path: &str| {
            p.iter()
                .any(|x| x.statement == Some(i) && x.path == path && x.severity == Severity::Error)
        };
        assert!(has(0, "statements[0].justification"), "{p:#?}");
        assert!(has(1, "statements[1].action_statement"), "{p:#?}");
        assert!(has(2, "statements[2].products"), "{p:#?}");
        assert!(has(2, "statements[2]"), "unknown field `statement`: {p:#?}");
        assert_eq!(verdict(&p, false), 1);
    }

    #[test]
    fn iri_format_is_a_warning() {
        let doc: Value = serde_json::from_str(
            r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"not an iri","author":"a",
            "timestamp":"2025-01-01T00:00:00Z","version":1,"statements":[
              {"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"fixed"}]}"#,
        )
        .unwrap();
        let p = validate_value(&doc, now());
        assert!(p.iter().all(|x| x.severity == Severity::Warning), "{p:#?}");
        assert!(p.iter().any(|x| x.path == "@id"), "{p:#?}");
        assert_eq!(verdict(&p, false), 0);
        assert_eq!(verdict(&p, true), 1);
    }
}
