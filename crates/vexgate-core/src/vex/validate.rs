//! `vex validate`: what Trivy 0.76 makes of an OpenVEX document, the JSON schema, the spec's
//! rules, go-vex's rules and the never-match lints.
//!
//! Every problem names its statement index and JSON path, and says what Trivy does with the
//! thing ([`Trivy`]: refuses the document, ignores it, applies it, or loads a statement
//! that never matches). Errors (exit 1) are kept for what changes the outcome:
//! - **trivy**: a value Trivy's decoder refuses, so the scan fails ([`super::decode`]), and
//!   v0.0.1 fields Trivy silently ignores in a way that widens a statement;
//! - a statement that can never match or never suppress (no products, an unknown status,
//!   the never-match lints of [`super::lint`]), and what `gate` itself refuses;
//! - the spec's two status rules: not_affected needs a justification or an impact
//!   statement, affected needs an action statement.
//!
//! Everything else is a warning, `--strict` turns warnings into exit 1 too:
//! - **schema** (`openvex_json_schema.json`, draft 2020-12, embedded): missing `@id`,
//!   `author`, `timestamp` or `version`, an empty `statements` list, unknown fields, formats.
//!   Trivy loads such documents;
//! - **go-vex**: `Statement.Validate`'s rules (vexctl refuses an impact statement outside
//!   not_affected, a justification outside not_affected, an action statement outside
//!   affected), which neither the spec text nor the schema forbids and which Trivy does not
//!   check;
//! - **spec** hygiene: timestamps in the future or out of order, duplicate statement
//!   `@id`s, a `distro` qualifier, an identifier that matches only in some scans.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::vex::decode::{self, go_time};
use crate::vex::model::{self, CONTEXT_V020, Flavor, JUSTIFICATIONS};

/// The OpenVEX v0.2.0 JSON schema (openvex/spec@d29fab0 `openvex_json_schema.json`).
pub const SCHEMA: &str = include_str!("../../schema/openvex_json_schema.json");

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

/// What Trivy 0.76 does with the thing a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trivy {
    /// Its decoder fails: the scan stops ("unable to decode VEX").
    Refuses,
    /// It skips the value: no effect on any finding.
    Ignores,
    /// It uses the document or statement as written.
    Applies,
    /// It loads the statement, which never matches a finding.
    NeverMatches,
    /// It loads the statement, which matches but never suppresses.
    NeverSuppresses,
}

impl Trivy {
    fn text(self, statement: bool) -> &'static str {
        match (self, statement) {
            (Trivy::Refuses, _) => "refuses to load the document",
            (Trivy::Ignores, _) => "ignores it",
            (Trivy::Applies, true) => "applies the statement",
            (Trivy::Applies, false) => "loads the document",
            (Trivy::NeverMatches, _) => "loads it, it never matches",
            (Trivy::NeverSuppresses, _) => "loads it, it never suppresses",
        }
    }
}

/// One problem in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    /// `trivy`, `schema`, `spec`, `go-vex` or a lint code.
    pub code: String,
    /// 0-based statement index, when a statement is to blame.
    pub statement: Option<usize>,
    /// JSON path, e.g. `statements[2].products[0].@id` (`(document)` for the root).
    pub path: String,
    pub message: String,
    /// What Trivy does with it.
    pub trivy: Trivy,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]: ", self.severity.as_str(), self.code)?;
        if let Some(i) = self.statement {
            write!(f, "statement {i}, ")?;
        }
        write!(
            f,
            "{}: {} (Trivy: {})",
            self.path,
            self.message,
            self.trivy.text(self.statement.is_some())
        )
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

fn schema_message(e: &jsonschema::ValidationError<'_>, unexpected: &[String]) -> String {
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { .. } => format!(
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
        ValidationErrorKind::MinItems { limit } => {
            format!("needs at least {limit} item(s); Trivy loads it and suppresses nothing")
        }
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
    if schema_path.contains("identifiers") {
        ": identifiers needs at least one of purl, cpe22, cpe23"
    } else if schema_path.contains("component") || schema_path.contains("subcomponent") {
        ": a component needs `@id` or `identifiers`"
    } else {
        ""
    }
}

/// Statement fields go-vex does not have: Trivy ignores them, whatever their value.
const NOT_GO_VEX: [&str; 2] = ["version", "supplier"];

/// The schema problems of `doc`, calibrated: all warnings (Trivy loads documents that fail
/// the schema), except those another check reports with more precision, which are left
/// out: a value Trivy refuses (`refused` paths), a missing or invalid status,
/// vulnerability or justification, the status rules, and unknown fields that are v0.0.1
/// fields or another case of a known one.
pub fn schema_problems(doc: &Value, refused: &[String]) -> Vec<Problem> {
    let mut out = Vec::new();
    for e in validator().iter_errors(doc) {
        let (path, statement) = pointer_to_path(e.instance_path().as_str());
        let schema_path = e.schema_path().as_str().to_string();
        let in_statement =
            statement.is_some() && path == format!("statements[{}]", statement.unwrap_or(0));
        let mut unexpected = Vec::new();
        let mut trivy = Trivy::Applies;
        match e.kind() {
            ValidationErrorKind::Type { .. } | ValidationErrorKind::Format { .. }
                if refused.contains(&path) =>
            {
                continue;
            }
            ValidationErrorKind::Format { format } if format.as_str() == "date-time" => {}
            ValidationErrorKind::Required { property }
                if in_statement
                    && matches!(
                        property.as_str(),
                        Some("vulnerability" | "status" | "action_statement")
                    ) =>
            {
                continue;
            }
            ValidationErrorKind::Required { property }
                if path.ends_with(".vulnerability") && property.as_str() == Some("name") =>
            {
                continue;
            }
            ValidationErrorKind::Enum { .. }
                if path.ends_with(".status") || path.ends_with(".justification") =>
            {
                continue;
            }
            ValidationErrorKind::AnyOf { .. } if in_statement || schema_path.contains("allOf") => {
                continue;
            }
            ValidationErrorKind::AnyOf { .. } if schema_path.contains("identifiers") => {}
            ValidationErrorKind::AnyOf { .. } => trivy = Trivy::NeverMatches,
            ValidationErrorKind::AdditionalProperties { unexpected: u } => {
                let known: &[&str] = if in_statement {
                    &decode::keys::STATEMENT
                } else if path.ends_with(".vulnerability") {
                    &decode::keys::VULNERABILITY
                } else if path.contains("products") && !path.contains("subcomponents") {
                    &decode::keys::PRODUCT
                } else if path.contains("products") {
                    &decode::keys::COMPONENT
                } else {
                    &decode::keys::DOCUMENT
                };
                unexpected = u
                    .iter()
                    .filter(|k| {
                        let v001 = in_statement
                            && matches!(k.as_str(), "subcomponents" | "vuln_description");
                        let folded = decode::go_field(k, known).is_some_and(|f| f != k.as_str());
                        !v001 && !folded
                    })
                    .cloned()
                    .collect();
                if unexpected.is_empty() {
                    continue;
                }
                trivy = Trivy::Ignores;
            }
            ValidationErrorKind::Type { .. } | ValidationErrorKind::Minimum { .. }
                if statement.is_some()
                    && NOT_GO_VEX
                        .iter()
                        .any(|f| path == format!("statements[{}].{f}", statement.unwrap_or(0))) =>
            {
                trivy = Trivy::Ignores;
            }
            _ => {}
        }
        out.push(Problem {
            severity: Severity::Warning,
            code: "schema".into(),
            statement,
            path,
            message: schema_message(&e, &unexpected),
            trivy,
        });
    }
    out
}

const ERR: Severity = Severity::Error;
const WARN: Severity = Severity::Warning;

/// Collects problems.
struct Out(Vec<Problem>);

impl Out {
    fn push(
        &mut self,
        severity: Severity,
        code: &str,
        statement: Option<usize>,
        path: impl Into<String>,
        message: impl Into<String>,
        trivy: Trivy,
    ) {
        self.0.push(Problem {
            severity,
            code: code.into(),
            statement,
            path: path.into(),
            message: message.into(),
            trivy,
        });
    }
}

/// What Trivy's decoder refuses in `root` (errors) and the keys it reads in another case
/// (warnings); the paths refused.
pub fn trivy_problems(root: &Value) -> (Vec<Problem>, Vec<String>) {
    let (refusals, notes) = decode::refusals(root);
    let mut out = Out(Vec::new());
    let mut refused = Vec::new();
    for r in refusals {
        refused.push(r.path.clone());
        out.push(
            ERR,
            "trivy",
            r.statement,
            r.path,
            format!("{}, expected {} (Go: {})", r.found, r.expected, r.go),
            Trivy::Refuses,
        );
    }
    for n in notes {
        out.push(
            WARN,
            "trivy",
            n.statement,
            n.path,
            n.message,
            Trivy::Applies,
        );
    }
    (out.0, refused)
}

/// The spec's, go-vex's and Trivy's semantic rules, plus the lints. `refused`: the document
/// has values Trivy's decoder refuses (already reported).
pub fn semantic_problems(root: &Value, now: jiff::Timestamp, refused: bool) -> Vec<Problem> {
    let mut out = Out(Vec::new());
    let Value::Object(m) = root else {
        out.push(
            ERR,
            "spec",
            None,
            "(document)",
            "is not a JSON object",
            Trivy::Refuses,
        );
        return out.0;
    };
    let context = m.get("@context").and_then(Value::as_str).unwrap_or("");
    if context.is_empty() {
        out.push(
            ERR,
            "spec",
            None,
            "@context",
            "missing: not an OpenVEX document",
            Trivy::Refuses,
        );
        return out.0;
    }
    match model::flavor_of(context) {
        None => {
            out.push(
                ERR,
                "spec",
                None,
                "@context",
                format!(
                    "unknown context {context:?} (expected {CONTEXT_V020}); Trivy reads it as v0.2.0 anyway, `vexgate gate` refuses it"
                ),
                Trivy::Applies,
            );
            return out.0;
        }
        Some(Flavor::Legacy) => out.push(
            WARN,
            "spec",
            None,
            "@context",
            format!(
                "{context:?} announces the legacy v0.0.1 format, but Trivy has no v0.0.1 reader: it reads every document as {CONTEXT_V020}, so v0.0.1 shapes make it refuse the document (`vexgate vex add` rewrites a legacy file as v0.2.0 when it appends)"
            ),
            Trivy::Ignores,
        ),
        Some(Flavor::V020) if context != CONTEXT_V020 => out.push(
            WARN,
            "spec",
            None,
            "@context",
            format!(
                "{context:?}: go-vex's Open() (vexctl, grype) rejects anything but exactly {CONTEXT_V020} (\"unable to get parser for version\"); Trivy and `vexgate gate` read it"
            ),
            Trivy::Applies,
        ),
        Some(Flavor::V020) => {}
    }
    // v0.0.1 fields Trivy ignores (before the lenient reader turns them into v0.2.0 ones).
    if let Some(Value::Array(sts)) = m.get("statements") {
        for (i, st) in sts.iter().enumerate() {
            let Value::Object(st) = st else { continue };
            if st.contains_key("subcomponents") {
                out.push(
                    ERR,
                    "trivy",
                    Some(i),
                    format!("statements[{i}].subcomponents"),
                    "statement-level `subcomponents` is a v0.0.1 field: the statement covers its products and every package reached only through them, not just these subcomponents; put the list under each product (`products[].subcomponents`)",
                    Trivy::Ignores,
                );
            }
            if st.contains_key("vuln_description") {
                out.push(
                    WARN,
                    "trivy",
                    Some(i),
                    format!("statements[{i}].vuln_description"),
                    "a v0.0.1 field (v0.2.0: `vulnerability.description`)",
                    Trivy::Ignores,
                );
            }
        }
    }
    let doc = match model::document_from_value(m.clone()) {
        Ok(d) => d,
        Err(_) if refused => return out.0,
        Err(e) => {
            let path = match e.statement {
                Some(i) => format!("statements[{i}]"),
                None => "(document)".into(),
            };
            let trivy = if e.message.contains("status") {
                Trivy::NeverSuppresses
            } else {
                Trivy::NeverMatches
            };
            out.push(
                ERR,
                "spec",
                e.statement,
                path,
                format!("{}; `vexgate gate` refuses the document", e.message),
                trivy,
            );
            return out.0;
        }
    };

    // Times: what Go does not parse was reported by the decoder.
    let time = |v: Option<&str>, stmt: Option<usize>, path: String, out: &mut Out| {
        let s = v?;
        let t = go_time(s).ok()?;
        if !strict_rfc3339(s) {
            out.push(
                WARN,
                "spec",
                stmt,
                path.clone(),
                format!("{s:?} is not RFC 3339 (Go reads it as {t}; other readers may refuse it)"),
                Trivy::Applies,
            );
        }
        if t > now {
            out.push(
                WARN,
                "spec",
                stmt,
                path,
                format!("{s} is in the future"),
                Trivy::Applies,
            );
        }
        Some(t)
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
        out.push(
            WARN,
            "spec",
            None,
            "last_updated",
            "is earlier than the document timestamp",
            Trivy::Ignores,
        );
    }

    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (i, st) in doc.statements.iter().enumerate() {
        let p = |f: &str| format!("statements[{i}].{f}");
        let s = Some(i);
        if let Some(id) = st.id.as_deref()
            && let Some(first) = ids.insert(id, i)
        {
            out.push(
                WARN,
                "spec",
                s,
                p("@id"),
                format!(
                    "{id:?} is also the @id of statement {first}; statement IDs must be unique"
                ),
                Trivy::Ignores,
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
        if ts.is_none() && doc_ts.is_none() && st.timestamp.is_none() && doc.timestamp.is_none() {
            out.push(
                WARN,
                "spec",
                s,
                p("timestamp"),
                "no timestamp, and none to inherit from the document (the spec requires one); Trivy orders it at Go's zero time, before every dated statement about the same vulnerability",
                Trivy::Applies,
            );
        }
        if st.products.is_empty() {
            out.push(
                ERR,
                "spec",
                s,
                p("products"),
                "no products: a statement MUST identify a product, and go-vex (Trivy, grype) never matches a statement without one",
                Trivy::NeverMatches,
            );
        }
        let status = st.status.as_str();
        if !crate::vex::model::Status::parse(status).is_spec() {
            out.push(
                ERR,
                "spec",
                s,
                p("status"),
                format!(
                    "{status:?} is not an OpenVEX status: only not_affected and fixed suppress, and as the newest statement for its products it hides older ones"
                ),
                Trivy::NeverSuppresses,
            );
        }
        let has = |o: &Option<String>| o.as_deref().is_some_and(|x| !x.trim().is_empty());
        let go_vex = |field: &str| {
            format!(
                "go-vex's Statement.Validate (vexctl) refuses {field} with status {status}; neither the spec text nor the schema forbids it"
            )
        };
        if let Some(j) = st.justification.as_deref() {
            if !JUSTIFICATIONS.contains(&j) {
                out.push(
                    WARN,
                    "go-vex",
                    s,
                    p("justification"),
                    format!(
                        "{j:?} is not one of the five justification labels (go-vex refuses it; Trivy records it as the suppression's statement)"
                    ),
                    Trivy::Applies,
                );
            }
            if status != "not_affected" {
                out.push(
                    WARN,
                    "go-vex",
                    s,
                    p("justification"),
                    format!("{}; use status_notes", go_vex("a justification")),
                    Trivy::Applies,
                );
            }
        }
        if st.impact_statement.is_some() && status != "not_affected" {
            out.push(
                WARN,
                "go-vex",
                s,
                p("impact_statement"),
                format!("{}; use status_notes", go_vex("an impact statement")),
                Trivy::Applies,
            );
        }
        if st.action_statement.is_some() && status != "affected" {
            out.push(
                WARN,
                "go-vex",
                s,
                p("action_statement"),
                format!(
                    "{}; use {}",
                    go_vex("an action statement"),
                    if status == "not_affected" {
                        "impact_statement"
                    } else {
                        "status_notes"
                    }
                ),
                Trivy::Applies,
            );
        }
        if status == "not_affected" && !has(&st.justification) && !has(&st.impact_statement) {
            out.push(
                ERR,
                "spec",
                s,
                p("status"),
                "not_affected needs a justification or an impact_statement (Trivy suppresses with it anyway, with an empty reason)",
                Trivy::Applies,
            );
        }
        if status == "affected" && !has(&st.action_statement) {
            out.push(
                ERR,
                "spec",
                s,
                p("action_statement"),
                "affected needs a non-empty action_statement",
                Trivy::Applies,
            );
        }
        if st.vulnerability.name.is_empty() {
            out.push(
                WARN,
                "spec",
                s,
                p("vulnerability.name"),
                "missing or empty: the schema requires it (Trivy matches the @id and aliases)",
                Trivy::Applies,
            );
        }
        // Hygiene: an OS-package distro qualifier pins the statement to one base-image
        // point release.
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
                    out.push(
                        WARN,
                        "distro-qualifier",
                        s,
                        p(&format!("{cp}.@id")),
                        format!(
                            "{purl:?} pins distro={}: a base-image point release makes it stop matching (drop the qualifier)",
                            pp.qualifier("distro").unwrap_or("")
                        ),
                        Trivy::Applies,
                    );
                }
            }
        }
    }
    let lints = crate::vex::lint::lint_document(&doc);
    for l in &lints {
        // A pkg:docker or pkg:github product next to one Trivy can match is there for other
        // tools (`vex add --compat` writes Docker Scout's pkg:docker form): the statement
        // still applies in Trivy, through the other product.
        let other_tool = matches!(l.code, "purl-type-docker" | "purl-type-github")
            && !l.path.contains("subcomponents")
            && statement_has_clean_product(&doc.statements[l.statement], l.statement, &lints);
        let (severity, message) = if !crate::vex::lint::certain(l.code) {
            (WARN, l.message.clone())
        } else if other_tool {
            (
                WARN,
                format!(
                    "{}; another product of this statement does match in Trivy, so this one only serves other tools",
                    l.message
                ),
            )
        } else {
            (ERR, l.message.clone())
        };
        out.push(
            severity,
            l.code,
            Some(l.statement),
            l.path.clone(),
            message,
            Trivy::NeverMatches,
        );
    }
    out.0
}

/// Whether statement `i` has a product none of whose identifiers has a certain lint.
fn statement_has_clean_product(
    st: &model::Statement,
    i: usize,
    lints: &[crate::vex::lint::Lint],
) -> bool {
    (0..st.products.len()).any(|pi| {
        let prefix = format!("statements[{i}].products[{pi}].");
        !lints.iter().any(|l| {
            l.statement == i
                && l.path.starts_with(&prefix)
                && !l.path[prefix.len()..].starts_with("subcomponents")
                && crate::vex::lint::certain(l.code)
        })
    })
}

/// Validate a parsed document: what Trivy refuses, the schema, then spec rules and lints,
/// in a stable order.
pub fn validate_value(doc: &Value, now: jiff::Timestamp) -> Vec<Problem> {
    let is_openvex = doc
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|c| !c.is_empty());
    if !is_openvex {
        // A CSAF or CycloneDX document, or any other JSON: one clear error, not a page of
        // schema complaints.
        let (what, trivy) = if doc.get("document").is_some() && doc.get("vulnerabilities").is_some()
        {
            (
                " (this looks like CSAF, which Trivy and `gate` read as CSAF VEX; `vex validate` checks OpenVEX only)",
                Trivy::Applies,
            )
        } else if doc.get("bomFormat").is_some() {
            (" (this looks like CycloneDX)", Trivy::Refuses)
        } else {
            ("", Trivy::Refuses)
        };
        return vec![Problem {
            severity: Severity::Error,
            code: "spec".into(),
            statement: None,
            path: "@context".into(),
            message: format!("missing: not an OpenVEX document{what}"),
            trivy,
        }];
    }
    let (mut out, refused) = trivy_problems(doc);
    out.extend(schema_problems(doc, &refused));
    out.extend(semantic_problems(doc, now, !refused.is_empty()));
    out.sort_by(|a, b| {
        a.statement
            .map_or(0, |i| i + 1)
            .cmp(&b.statement.map_or(0, |i| i + 1))
            .then(b.severity.cmp(&a.severity))
    });
    out.dedup();
    out
}

/// Whether a timestamp Go reads is also RFC 3339 proper (Go accepts a one-digit hour, `,`
/// before the fraction and zone offsets up to +24:60 as well).
fn strict_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    match &b[i..] {
        [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            let n = |a: u8, b: u8| (a - b'0') * 10 + (b - b'0');
            n(*h1, *h2) <= 23 && n(*m1, *m2) <= 59
        }
        _ => false,
    }
}

/// Validate a file. `Err` (exit 2): unreadable, or not JSON.
pub fn validate_file(path: &Path, now: jiff::Timestamp) -> Result<Vec<Problem>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::input(path, "is a directory, not a VEX document"));
    }
    let text = crate::report::text::read_text(path)?;
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

    fn problems(text: &str) -> Vec<Problem> {
        validate_value(&serde_json::from_str(text).unwrap(), now())
    }

    fn find<'p>(p: &'p [Problem], code: &str, path: &str) -> &'p Problem {
        p.iter()
            .find(|x| x.code == code && x.path == path)
            .unwrap_or_else(|| panic!("no [{code}] at {path} in {p:#?}"))
    }

    /// go-vex's Statement.Validate rules are warnings: Trivy applies such statements (the
    /// oracle's `vex-go-vex-rules-applied` scenario suppresses with them).
    #[test]
    fn go_vex_rules_are_warnings() {
        let p = problems(
            r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"urn:uuid:1","author":"a",
            "timestamp":"2025-01-01T00:00:00Z","version":1,"statements":[
              {"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"fixed",
               "justification":"component_not_present","impact_statement":"x"},
              {"vulnerability":{"name":"CVE-2"},"products":[{"@id":"pkg:npm/a"}],"status":"not_affected",
               "justification":"component_not_present","action_statement":"upgrade"}]}"#,
        );
        for (path, code) in [
            ("statements[0].justification", "go-vex"),
            ("statements[0].impact_statement", "go-vex"),
            ("statements[1].action_statement", "go-vex"),
        ] {
            let x = find(&p, code, path);
            assert_eq!(x.severity, Severity::Warning, "{x}");
            assert_eq!(x.trivy, Trivy::Applies, "{x}");
            assert!(
                x.to_string().ends_with("(Trivy: applies the statement)"),
                "{x}"
            );
        }
        assert_eq!(verdict(&p, false), 0, "{p:#?}");
        assert_eq!(verdict(&p, true), 1);
    }

    /// Errors are what changes the outcome.
    #[test]
    fn outcome_changing_problems_are_errors() {
        let p = problems(
            r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"urn:uuid:1","author":"a",
            "timestamp":"2025-01-01T00:00:00Z","version":1,"statements":[
              {"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"not_affected"},
              {"vulnerability":{"name":"CVE-2"},"products":[{"@id":"pkg:npm/a"}],"status":"affected"},
              {"vulnerability":{"name":"CVE-3"},"status":"fixed","statement":"x"},
              {"vulnerability":{"name":"CVE-4"},"products":[{"@id":"pkg:docker/acme/app"}],"status":"fixed"},
              {"vulnerability":{"name":"CVE-5"},"products":[{"@id":"pkg:npm/a"}],"status":"not-affected","justification":"component_not_present"}]}"#,
        );
        for (code, path, trivy) in [
            ("spec", "statements[0].status", Trivy::Applies),
            ("spec", "statements[1].action_statement", Trivy::Applies),
            ("spec", "statements[2].products", Trivy::NeverMatches),
            (
                "purl-type-docker",
                "statements[3].products[0].@id",
                Trivy::NeverMatches,
            ),
            ("spec", "statements[4].status", Trivy::NeverSuppresses),
        ] {
            let x = find(&p, code, path);
            assert_eq!((x.severity, x.trivy), (Severity::Error, trivy), "{x}");
        }
        // The unknown field is a warning: Trivy ignores it.
        let x = find(&p, "schema", "statements[2]");
        assert_eq!(
            (x.severity, x.trivy),
            (Severity::Warning, Trivy::Ignores),
            "{x}"
        );
        assert!(x.message.contains("\"statement\""), "{x}");
    }

    /// What Trivy's decoder refuses is an error quoting Go's message, with no schema
    /// duplicate; the legacy context itself is a warning.
    #[test]
    fn what_trivy_refuses_is_an_error() {
        let p = problems(
            r#"{"@context":"https://openvex.dev/ns","@id":"urn:uuid:1","author":"a","version":"1",
            "timestamp":"2025-01-01T00:00:00Z","statements":[
              {"vulnerability":"CVE-1","products":["pkg:npm/a"],"subcomponents":["pkg:npm/b"],"status":"fixed"}]}"#,
        );
        let x = find(&p, "trivy", "version");
        assert_eq!(
            (x.severity, x.trivy),
            (Severity::Error, Trivy::Refuses),
            "{x}"
        );
        assert!(
            x.message.contains(
                "json: cannot unmarshal string into Go struct field VEX.version of type int"
            ),
            "{x}"
        );
        find(&p, "trivy", "statements[0].vulnerability");
        find(&p, "trivy", "statements[0].products[0]");
        let x = find(&p, "trivy", "statements[0].subcomponents");
        assert_eq!(
            (x.severity, x.trivy),
            (Severity::Error, Trivy::Ignores),
            "{x}"
        );
        let x = find(&p, "spec", "@context");
        assert_eq!(x.severity, Severity::Warning, "{x}");
        assert!(
            !p.iter().any(|x| x.code == "schema" && x.path == "version"),
            "{p:#?}"
        );
    }

    /// An empty statements list, extra top-level fields and a missing @id: warnings.
    #[test]
    fn schema_violations_trivy_accepts_are_warnings() {
        let p = problems(
            r#"{"@context":"https://openvex.dev/ns/v0.2.0","author":"a","timestamp":"2025-01-01T00:00:00Z",
            "version":1,"statements":[],"metadata":{"x":1},"Supplier":"acme"}"#,
        );
        assert!(p.iter().all(|x| x.severity == Severity::Warning), "{p:#?}");
        let x = find(&p, "schema", "statements");
        assert_eq!(x.trivy, Trivy::Applies);
        let x = find(&p, "schema", "(document)");
        assert!(
            x.message.contains("metadata") || x.message.contains("@id"),
            "{x}"
        );
        let x = find(&p, "trivy", "Supplier");
        assert!(x.message.contains("read as `supplier`"), "{x}");
        assert_eq!(verdict(&p, false), 0);
    }

    #[test]
    fn timestamps_go_reads_but_rfc_3339_does_not_are_warnings() {
        for (ts, warn) in [
            ("2016-12-31T3:59:00Z", true),
            ("2016-12-31T03:59:00,5Z", true),
            ("2023-02-03T03:59:00+24:00", true),
            ("9999-12-31T23:59:59Z", false),
            ("2023-01-16T19:07:16.123-06:00", false),
        ] {
            let p = problems(&format!(
                r#"{{"@context":"https://openvex.dev/ns/v0.2.0","@id":"urn:uuid:1","author":"a",
                "timestamp":"2025-01-01T00:00:00Z","version":1,"statements":[
                  {{"vulnerability":{{"name":"CVE-1"}},"products":[{{"@id":"pkg:npm/a"}}],"status":"fixed","timestamp":"{ts}"}}]}}"#
            ));
            let got = p.iter().any(|x| x.message.contains("is not RFC 3339"));
            assert_eq!(got, warn, "{ts}: {p:#?}");
            assert!(
                p.iter().all(|x| x.severity == Severity::Warning),
                "{ts}: {p:#?}"
            );
        }
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
