//! The document edit: append the statement to the existing document (or create one), pin
//! inherited timestamps, bump the version, and the diff.
//!
//! The existing document is read into the typed OpenVEX model ([`model::Document`]), edited
//! there and written back. Fields the model does not know are kept: every level of the
//! model holds them in its `extra` map and writes them after the known fields. Known fields
//! are written in the order of the spec's examples (and of go-vex's structs, so a document
//! vexctl wrote keeps its layout); statements keep their order; values are written back as
//! read apart from the pinned timestamps, `last_updated`, `version` and the legacy shapes
//! the reader upgrades. 2-space indent, trailing newline.

use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::vex::model::{self, CONTEXT_V020, Document, Flavor, Product, Statement, Vulnerability};

use super::clock::{format_timestamp, parse_timestamp};
use super::{AddOptions, AddOutcome, StatusFields, nonempty};

/// 2-space indent, no HTML escaping, trailing newline.
pub fn to_pretty<T: Serialize + ?Sized>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// The statement without its time fields (for "identical statement" checks).
fn content_of(st: &Statement) -> Statement {
    Statement {
        timestamp: None,
        last_updated: None,
        action_statement_timestamp: None,
        ..st.clone()
    }
}

/// A statement built from the options, before it is timed.
#[derive(Debug, Clone)]
pub struct NewStatement {
    pub vulnerability: Vulnerability,
    pub products: Vec<Product>,
    pub fields: StatusFields,
}

impl NewStatement {
    fn at(&self, t: &str) -> Statement {
        let f = &self.fields;
        Statement {
            vulnerability: self.vulnerability.clone(),
            timestamp: Some(t.to_string()),
            products: self.products.clone(),
            status: f.status.clone(),
            status_notes: f.status_notes.clone(),
            justification: f.justification.clone(),
            impact_statement: f.impact_statement.clone(),
            action_statement: f.action_statement.clone(),
            action_statement_timestamp: f.action_statement.as_ref().map(|_| t.to_string()),
            ..Statement::default()
        }
    }
}

/// The statement index of the latest existing statement with the same vulnerability name
/// and the same products (effective timestamp, then document order).
fn latest_same_subject(
    statements: &[Statement],
    doc_ts: Option<Timestamp>,
    new: &Statement,
) -> Option<usize> {
    statements
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.vulnerability.name == new.vulnerability.name && s.products == new.products
        })
        .max_by_key(|(i, s)| {
            let ts = s.timestamp.as_deref().and_then(parse_timestamp).or(doc_ts);
            (ts, *i)
        })
        .map(|(i, _)| i)
}

/// Read the existing document text into the model; errors say the file was not modified.
/// Returns the document and whether it was in a shape Trivy refuses (legacy, or legacy
/// fields under the v0.2.0 context), which the model's writer upgrades.
fn read_existing(path: &Path, text: &str) -> Result<(Document, bool)> {
    let bad = |msg: String| Error::input(path, format!("{msg}; not modified"));
    let root: Value = serde_json::from_str(text).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "truncated JSON",
            _ => "invalid JSON",
        };
        bad(format!("existing VEX file is {what}: {e}"))
    })?;
    let trivy_refuses = !crate::vex::decode::refusals(&root).0.is_empty();
    let Value::Object(doc) = root else {
        return Err(bad("existing VEX file is JSON but not an object".into()));
    };
    match doc.get("@context") {
        Some(Value::String(s)) if !s.is_empty() => {}
        _ => {
            return Err(bad(
                "existing file has no @context: not an OpenVEX document".into(),
            ));
        }
    }
    let doc = model::document_from_value(doc).map_err(|e| {
        bad(format!(
            "existing file is not a readable OpenVEX document: {e}"
        ))
    })?;
    let legacy = model::flavor_of(&doc.context) == Some(Flavor::Legacy);
    Ok((doc, legacy || trivy_refuses))
}

/// Apply the statement to the existing document text (or create a new document) at time
/// `t`. Returns the new text (`None`: nothing changes) and the outcome.
pub fn apply_to_document(
    o: &AddOptions,
    existing: Option<&str>,
    new: &NewStatement,
    t: Timestamp,
    out: &mut AddOutcome,
) -> Result<Option<String>> {
    apply_statements(o, existing, std::slice::from_ref(new), t, out)
}

/// [`apply_to_document`] for several statements (`vex import`): all are appended in order
/// with the same timestamp, in one version. A statement identical to the latest one for its
/// vulnerability and products (including those appended before it) is skipped; when every
/// statement is skipped nothing changes.
pub fn apply_statements(
    o: &AddOptions,
    existing: Option<&str>,
    new: &[NewStatement],
    t: Timestamp,
    out: &mut AddOutcome,
) -> Result<Option<String>> {
    let path = o.out.as_path();
    let ts = format_timestamp(t);
    let statements: Vec<Statement> = new.iter().map(|n| n.at(&ts)).collect();
    if statements.is_empty() {
        out.notes.push(format!(
            "{}: no statements to add; nothing changed",
            path.display()
        ));
        return Ok(None);
    }
    let Some(text) = existing else {
        let mut kept: Vec<Statement> = Vec::with_capacity(statements.len());
        for st in statements {
            if let Some(i) = latest_same_subject(&kept, None, &st)
                && content_of(&kept[i]) == content_of(&st)
            {
                continue;
            }
            kept.push(st);
        }
        let doc = Document {
            context: CONTEXT_V020.into(),
            id: nonempty(&o.vex_id).unwrap_or_else(|| format!("urn:uuid:{}", uuid::Uuid::new_v4())),
            author: default_author(o),
            timestamp: Some(ts.clone()),
            version: Some(1),
            tooling: Some(format!("vexgate {}", env!("CARGO_PKG_VERSION"))),
            statements: kept,
            ..Document::default()
        };
        out.version = 1;
        out.statements = doc.statements.len();
        out.changed = true;
        out.notes.push(format!("{}: new document", path.display()));
        return Ok(Some(to_pretty(&doc)));
    };

    let bad = |msg: String| Error::input(path, format!("{msg}; not modified"));
    let (mut doc, upgraded) = read_existing(path, text)?;
    if upgraded {
        // The legacy v0.0.1 shape (go-vex parse001) is written as v0.2.0, as vexctl does on
        // write; so are v0.0.1 shapes under the v0.2.0 context, which Trivy refuses as they are.
        out.warnings.push(format!(
            "{}: legacy OpenVEX (@context {}) upgraded to v0.2.0",
            path.display(),
            doc.context
        ));
        doc.context = CONTEXT_V020.into();
    }

    // Times must not go backwards (vexctl add: "date cannot be older than document's timestamp").
    let time_of = |v: &Option<String>, what: &str| -> Result<Option<Timestamp>> {
        match v.as_deref() {
            None | Some("") => Ok(None),
            Some(s) => parse_timestamp(s)
                .map(Some)
                .ok_or_else(|| bad(format!("{what} {s:?} is not an RFC 3339 time"))),
        }
    };
    let later = |x: Option<Timestamp>, what: &str| -> Result<()> {
        match x {
            Some(x) if x > t => Err(bad(format!(
                "{what} ({x}) is later than now ({t}); check the clock or SOURCE_DATE_EPOCH"
            ))),
            _ => Ok(()),
        }
    };
    let doc_ts = time_of(&doc.timestamp, "timestamp")?;
    let doc_lu = time_of(&doc.last_updated, "last_updated")?;
    later(doc_ts, "the document timestamp")?;
    later(doc_lu, "the document last_updated")?;
    for (i, s) in doc.statements.iter().enumerate() {
        for (field, value) in [
            ("timestamp", &s.timestamp),
            ("last_updated", &s.last_updated),
        ] {
            let what = format!("statements[{i}].{field}");
            later(time_of(value, &what)?, &what)?;
        }
    }

    let old_version = doc.version.unwrap_or(0);
    out.statements = doc.statements.len();
    out.version = old_version;

    // Adding the same statement again changes nothing (not even the version).
    let mut fresh: Vec<Statement> = Vec::with_capacity(statements.len());
    for st in statements {
        // Statements appended in this run are the latest for their subject.
        let latest = match latest_same_subject(&fresh, None, &st) {
            Some(i) => Some((doc.statements.len() + i, &fresh[i])),
            None => {
                latest_same_subject(&doc.statements, doc_ts, &st).map(|i| (i, &doc.statements[i]))
            }
        };
        if let Some((i, old)) = latest
            && content_of(old) == content_of(&st)
        {
            out.notes.push(format!(
                "{}: identical to statements[{i}], the latest for this vulnerability and these products; {}",
                path.display(),
                if new.len() == 1 { "nothing changed" } else { "not added again" }
            ));
            continue;
        }
        fresh.push(st);
    }
    if fresh.is_empty() {
        return Ok(None);
    }

    // Pin the inherited timestamp into untouched statements (spec "Updating Statements with
    // Inherited Data"; vexctl add.go).
    let inherited = doc
        .last_updated
        .clone()
        .filter(|_| doc_lu.is_some())
        .or_else(|| doc.timestamp.clone().filter(|_| doc_ts.is_some()));
    let untimed = |s: &Statement| s.timestamp.as_deref().is_none_or(str::is_empty);
    if let Some(inh) = &inherited {
        let mut pinned = 0;
        for s in doc.statements.iter_mut().filter(|s| untimed(s)) {
            s.timestamp = Some(inh.clone());
            pinned += 1;
        }
        if pinned > 0 {
            out.notes.push(format!(
                "pinned the inherited timestamp into {pinned} existing statement(s)"
            ));
        }
    } else if doc.statements.iter().any(untimed) {
        out.warnings.push(format!(
            "{}: the document has no timestamp, so statements without one cannot be pinned",
            path.display()
        ));
    }
    doc.statements.extend(fresh);
    out.statements = doc.statements.len();

    if doc_ts.is_none() {
        doc.timestamp = Some(ts.clone());
    }
    doc.last_updated = Some(ts);
    doc.version = Some(old_version + 1);
    out.version = old_version + 1;

    if doc.id.is_empty() {
        doc.id =
            nonempty(&o.vex_id).unwrap_or_else(|| format!("urn:uuid:{}", uuid::Uuid::new_v4()));
        out.notes
            .push(format!("the document had no @id; set it to {}", doc.id));
    } else if let Some(id) = nonempty(&o.vex_id)
        && doc.id != id
    {
        out.warnings.push(format!(
            "--vex-id {id:?} ignored: the document already has @id {:?} (an @id names the document for its whole history)",
            doc.id
        ));
    }
    match nonempty(&o.author) {
        Some(a) if doc.author != a => {
            out.warnings.push(format!(
                "document author changed from {:?} to {a:?} (the author vouches for the current content)",
                doc.author
            ));
            doc.author = a;
        }
        Some(_) => {}
        None if doc.author.is_empty() => doc.author = default_author(o),
        None => {}
    }
    // Never write a document Trivy would refuse (a value the upgrade cannot repair).
    let value =
        serde_json::to_value(&doc).map_err(|e| bad(format!("cannot write the document: {e}")))?;
    if let Some(r) = crate::vex::decode::refusals(&value).0.into_iter().next() {
        return Err(bad(format!(
            "Trivy 0.76 would refuse the result: {r}; fix it first (`vexgate vex validate` lists every problem)"
        )));
    }
    out.changed = true;
    Ok(Some(to_pretty(&doc)))
}

/// `--author`, else `$USER`, else go-vex's default "Unknown Author".
fn default_author(o: &AddOptions) -> String {
    nonempty(&o.author)
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.trim().is_empty()))
        .unwrap_or_else(|| "Unknown Author".to_string())
}

/// A unified diff of the document change.
pub fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let name = path.display().to_string();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(name: &str) -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/upstream/openvex/spec")
            .join(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    fn fixed(vuln: &str, product: &str) -> NewStatement {
        NewStatement {
            vulnerability: Vulnerability {
                name: vuln.into(),
                ..Vulnerability::default()
            },
            products: vec![Product {
                component: model::Component::from_id(product),
                subcomponents: Vec::new(),
            }],
            fields: StatusFields {
                status: "fixed".into(),
                ..StatusFields::default()
            },
        }
    }

    fn add(existing: &str, new: &NewStatement, t: &str) -> (Value, AddOutcome) {
        let o = AddOptions {
            out: "vex.json".into(),
            ..AddOptions::default()
        };
        let mut out = AddOutcome::default();
        let text = apply_to_document(&o, Some(existing), new, t.parse().unwrap(), &mut out)
            .unwrap()
            .expect("the document changes");
        (serde_json::from_str(&text).unwrap(), out)
    }

    /// The spec's "Updating Statements with Inherited Data" example: the edit pins the
    /// inherited timestamp into the old statement and appends the new one, as the spec's
    /// "after" document shows; vexgate also records when (`last_updated`, the statement's
    /// `timestamp`) and keeps the document's creation time.
    #[test]
    fn matches_the_spec_update_example() {
        let before = spec("example-update-before.openvex.json");
        let after: Value =
            serde_json::from_str(&spec("example-update-after.openvex.json")).unwrap();
        let t = "2023-01-09T15:08:42Z";
        let (got, out) = add(
            &before,
            &fixed("CVE-2023-12345", "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"),
            t,
        );
        for key in ["@context", "@id", "author", "role", "version"] {
            assert_eq!(got[key], after[key], "{key}");
        }
        assert_eq!(got["statements"][0], after["statements"][0]);
        let mut new = got["statements"][1].clone();
        assert_eq!(new["timestamp"], t);
        new.as_object_mut().unwrap().remove("timestamp");
        assert_eq!(new, after["statements"][1]);
        let before: Value = serde_json::from_str(&before).unwrap();
        assert_eq!(got["timestamp"], before["timestamp"]);
        assert_eq!(got["last_updated"], t);
        assert_eq!((out.version, out.statements), (2, 2));
    }

    /// Fields the model does not know survive the edit at every level, with their values.
    #[test]
    fn keeps_unknown_fields_at_every_level() {
        let doc = json!({
            "@context": CONTEXT_V020, "@id": "urn:x", "author": "a", "x-doc": {"b": 1, "a": [2]},
            "timestamp": "2025-01-01T00:00:00Z", "version": 3,
            "statements": [{
                "x-st": "keep",
                "vulnerability": {"name": "CVE-1", "x-vuln": null},
                "products": [{"@id": "pkg:oci/app", "x-prod": true,
                    "identifiers": {"purl": "pkg:oci/app"},
                    "subcomponents": [{"@id": "pkg:deb/debian/bash", "x-sub": 1.5}]}],
                "status": "not_affected", "justification": "component_not_present"
            }]
        });
        let (got, _) = add(
            &doc.to_string(),
            &fixed("CVE-2", "pkg:oci/app"),
            "2025-02-01T00:00:00Z",
        );
        let old = &got["statements"][0];
        assert_eq!(got["x-doc"], doc["x-doc"]);
        assert_eq!(old["x-st"], "keep");
        assert_eq!(old["vulnerability"], doc["statements"][0]["vulnerability"]);
        assert_eq!(old["products"], doc["statements"][0]["products"]);
        assert_eq!(old["timestamp"], "2025-01-01T00:00:00Z", "pinned");
        assert_eq!(got["version"], 4);
    }

    /// A document vexctl wrote keeps its layout: the old text's lines stay, in order.
    #[test]
    fn keeps_the_layout_of_a_written_document() {
        let o = AddOptions {
            out: "vex.json".into(),
            ..AddOptions::default()
        };
        let first = fixed("CVE-1", "pkg:oci/app");
        let mut out = AddOutcome::default();
        let t1: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
        let one = apply_to_document(&o, None, &first, t1, &mut out)
            .unwrap()
            .unwrap();
        let t2: Timestamp = "2025-01-02T00:00:00Z".parse().unwrap();
        let two = apply_to_document(&o, Some(&one), &fixed("CVE-2", "pkg:oci/app"), t2, &mut out)
            .unwrap()
            .unwrap();
        let diff = similar::TextDiff::from_lines(&one, &two);
        let removed: Vec<_> = diff
            .iter_all_changes()
            .filter(|c| c.tag() == similar::ChangeTag::Delete)
            .map(|c| c.value().trim().to_string())
            .collect();
        assert_eq!(
            removed,
            [r#""version": 1,"#],
            "{}",
            unified_diff(Path::new("v"), &one, &two)
        );
    }
}
