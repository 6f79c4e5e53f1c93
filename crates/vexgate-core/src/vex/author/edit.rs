//! The document edit: append the statement to the existing document (or create one), pin
//! inherited timestamps, bump the version, and the diff.
//!
//! The existing document is edited as JSON (`serde_json` with `preserve_order`), so unknown
//! fields, key order and the order of existing statements survive byte-for-byte apart from
//! the pinned timestamps, `last_updated` and `version`. New content is written in the
//! spec examples' key order, 2-space indent, trailing newline.

use std::path::Path;

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::vex::model::{self, CONTEXT_V020, Flavor};

use super::clock::{format_timestamp, parse_timestamp};
use super::{AddOptions, AddOutcome, StatusFields, nonempty};

pub(super) fn obj() -> Map<String, Value> {
    Map::new()
}

/// Insert `key` right after `after` (or at the end), keeping every other key in place.
fn insert_after(m: &mut Map<String, Value>, after: &[&str], key: &str, value: Value) {
    if m.contains_key(key) {
        m.insert(key.to_string(), value);
        return;
    }
    let pos = m
        .keys()
        .enumerate()
        .filter(|(_, k)| after.contains(&k.as_str()))
        .map(|(i, _)| i + 1)
        .max();
    match pos {
        Some(pos) if pos < m.len() => {
            let old = std::mem::take(m);
            for (i, (k, v)) in old.into_iter().enumerate() {
                if i == pos {
                    m.insert(key.to_string(), value.clone());
                }
                m.insert(k, v);
            }
        }
        _ => {
            m.insert(key.to_string(), value);
        }
    }
}

/// 2-space indent, no HTML escaping, trailing newline.
pub fn to_pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// The statement's content without its time fields (for "identical statement" checks).
fn content_of(st: &Value) -> Value {
    let mut v = st.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("timestamp");
        m.remove("last_updated");
        m.remove("action_statement_timestamp");
    }
    v
}

/// A statement built from the options, before it is timed.
#[derive(Debug, Clone)]
pub struct NewStatement {
    pub vulnerability: Value,
    pub products: Value,
    pub fields: StatusFields,
}

impl NewStatement {
    fn to_value(&self, t: &str) -> Value {
        let mut m = obj();
        m.insert("vulnerability".into(), self.vulnerability.clone());
        m.insert("timestamp".into(), Value::String(t.to_string()));
        m.insert("products".into(), self.products.clone());
        m.insert("status".into(), Value::String(self.fields.status.clone()));
        for (k, v) in [
            ("status_notes", &self.fields.status_notes),
            ("justification", &self.fields.justification),
            ("impact_statement", &self.fields.impact_statement),
            ("action_statement", &self.fields.action_statement),
        ] {
            if let Some(v) = v {
                m.insert(k.into(), Value::String(v.clone()));
            }
        }
        if self.fields.action_statement.is_some() {
            m.insert(
                "action_statement_timestamp".into(),
                Value::String(t.to_string()),
            );
        }
        Value::Object(m)
    }
}

/// The statement index of the latest existing statement with the same vulnerability name
/// and the same products (effective timestamp, then document order).
fn latest_same_subject(
    statements: &[Value],
    doc_ts: Option<Timestamp>,
    new: &Value,
) -> Option<usize> {
    let name = new.pointer("/vulnerability/name");
    let products = new.get("products");
    statements
        .iter()
        .enumerate()
        .filter(|(_, s)| s.pointer("/vulnerability/name") == name && s.get("products") == products)
        .max_by_key(|(i, s)| {
            let ts = s
                .get("timestamp")
                .and_then(Value::as_str)
                .and_then(parse_timestamp)
                .or(doc_ts);
            (ts, *i)
        })
        .map(|(i, _)| i)
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
    let path = o.out.as_path();
    let ts = format_timestamp(t);
    let statement = new.to_value(&ts);
    let Some(text) = existing else {
        let mut doc = obj();
        doc.insert("@context".into(), Value::String(CONTEXT_V020.into()));
        let id = match nonempty(&o.vex_id) {
            Some(id) => id,
            None => format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        };
        doc.insert("@id".into(), Value::String(id));
        doc.insert("author".into(), Value::String(default_author(o)));
        doc.insert("timestamp".into(), Value::String(ts.clone()));
        doc.insert("version".into(), Value::from(1u64));
        doc.insert(
            "tooling".into(),
            Value::String(format!("vexgate {}", env!("CARGO_PKG_VERSION"))),
        );
        doc.insert("statements".into(), Value::Array(vec![statement]));
        out.version = 1;
        out.statements = 1;
        out.changed = true;
        out.notes.push(format!("{}: new document", path.display()));
        return Ok(Some(to_pretty(&Value::Object(doc))));
    };

    let bad = |msg: String| Error::input(path, format!("{msg}; not modified"));
    let root: Value = serde_json::from_str(text).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "truncated JSON",
            _ => "invalid JSON",
        };
        bad(format!("existing VEX file is {what}: {e}"))
    })?;
    let Value::Object(mut doc) = root else {
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
    let parsed = model::document_from_value(doc.clone()).map_err(|e| {
        bad(format!(
            "existing file is not a readable OpenVEX document: {e}"
        ))
    })?;
    let trivy_refuses = !crate::vex::decode::refusals(&Value::Object(doc.clone()))
        .0
        .is_empty();
    if model::flavor_of(&parsed.context) == Some(Flavor::Legacy) || trivy_refuses {
        // Upgrade the legacy v0.0.1 shape (go-vex parse001), as vexctl does on write; also
        // v0.0.1 shapes under the v0.2.0 context, which Trivy refuses as they are.
        let Value::Object(m) = serde_json::to_value(&parsed)
            .map_err(|e| bad(format!("cannot convert the legacy document: {e}")))?
        else {
            return Err(bad("cannot convert the legacy document".into()));
        };
        doc = m;
        doc.insert("@context".into(), Value::String(CONTEXT_V020.into()));
        out.warnings.push(format!(
            "{}: legacy OpenVEX (@context {}) upgraded to v0.2.0",
            path.display(),
            parsed.context
        ));
    }
    if !matches!(doc.get("statements"), Some(Value::Array(_))) {
        doc.insert("statements".into(), Value::Array(Vec::new()));
    }

    // Times must not go backwards (vexctl add: "date cannot be older than document's timestamp").
    let time_of = |v: Option<&Value>, what: &str| -> Result<Option<Timestamp>> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => parse_timestamp(s)
                .map(Some)
                .ok_or_else(|| bad(format!("{what} {s:?} is not an RFC 3339 time"))),
            Some(_) => Err(bad(format!("{what} is not a string"))),
        }
    };
    let doc_ts = time_of(doc.get("timestamp"), "timestamp")?;
    let doc_lu = time_of(doc.get("last_updated"), "last_updated")?;
    let later = |x: Option<Timestamp>, what: String| -> Result<()> {
        match x {
            Some(x) if x > t => Err(bad(format!(
                "{what} ({x}) is later than now ({t}); check the clock or SOURCE_DATE_EPOCH"
            ))),
            _ => Ok(()),
        }
    };
    later(doc_ts, "the document timestamp".into())?;
    later(doc_lu, "the document last_updated".into())?;
    let statements = doc
        .get("statements")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, s) in statements.iter().enumerate() {
        later(
            time_of(s.get("timestamp"), &format!("statements[{i}].timestamp"))?,
            format!("statements[{i}].timestamp"),
        )?;
        later(
            time_of(
                s.get("last_updated"),
                &format!("statements[{i}].last_updated"),
            )?,
            format!("statements[{i}].last_updated"),
        )?;
    }

    let old_version = doc.get("version").and_then(Value::as_u64).unwrap_or(0);
    out.statements = statements.len();
    out.version = old_version;

    // Adding the same statement again changes nothing (not even the version).
    if let Some(i) = latest_same_subject(&statements, doc_ts, &statement)
        && content_of(&statements[i]) == content_of(&statement)
    {
        out.notes.push(format!(
            "{}: identical to statements[{i}], the latest for this vulnerability and these products; nothing changed",
            path.display()
        ));
        return Ok(None);
    }

    // Pin the inherited timestamp into untouched statements (spec "Updating Statements with
    // Inherited Data"; vexctl add.go).
    let inherited = doc_lu.or(doc_ts);
    let mut pinned = 0;
    let mut statements = statements;
    if let Some(inh) = &inherited {
        let inh_text = doc
            .get("last_updated")
            .or_else(|| doc.get("timestamp"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format_timestamp(*inh));
        for s in statements.iter_mut() {
            if let Value::Object(m) = s {
                let has = matches!(m.get("timestamp"), Some(Value::String(x)) if !x.is_empty());
                if !has {
                    insert_after(
                        m,
                        &["@id", "version", "vulnerability"],
                        "timestamp",
                        Value::String(inh_text.clone()),
                    );
                    pinned += 1;
                }
            }
        }
    } else if statements.iter().any(|s| s.get("timestamp").is_none()) {
        out.warnings.push(format!(
            "{}: the document has no timestamp, so statements without one cannot be pinned",
            path.display()
        ));
    }
    if pinned > 0 {
        out.notes.push(format!(
            "pinned the inherited timestamp into {pinned} existing statement(s)"
        ));
    }
    statements.push(statement);
    out.statements = statements.len();
    doc.insert("statements".into(), Value::Array(statements));

    if doc_ts.is_none() {
        insert_after(
            &mut doc,
            &["@context", "@id", "author", "role"],
            "timestamp",
            Value::String(ts.clone()),
        );
    }
    insert_after(
        &mut doc,
        &["timestamp"],
        "last_updated",
        Value::String(ts.clone()),
    );
    let version = old_version + 1;
    insert_after(
        &mut doc,
        &["timestamp", "last_updated"],
        "version",
        Value::from(version),
    );
    out.version = version;

    if !matches!(doc.get("@id"), Some(Value::String(s)) if !s.is_empty()) {
        let id =
            nonempty(&o.vex_id).unwrap_or_else(|| format!("urn:uuid:{}", uuid::Uuid::new_v4()));
        insert_after(&mut doc, &["@context"], "@id", Value::String(id.clone()));
        out.notes
            .push(format!("the document had no @id; set it to {id}"));
    } else if let Some(id) = nonempty(&o.vex_id)
        && doc.get("@id").and_then(Value::as_str) != Some(id.as_str())
    {
        out.warnings.push(format!(
            "--vex-id {id:?} ignored: the document already has @id {} (an @id names the document for its whole history)",
            doc["@id"]
        ));
    }
    if let Some(a) = nonempty(&o.author) {
        let cur = doc.get("author").and_then(Value::as_str).unwrap_or("");
        if cur != a {
            out.warnings.push(format!(
                "document author changed from {cur:?} to {a:?} (the author vouches for the current content)"
            ));
            insert_after(&mut doc, &["@context", "@id"], "author", Value::String(a));
        }
    } else if doc
        .get("author")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        insert_after(
            &mut doc,
            &["@context", "@id"],
            "author",
            Value::String(default_author(o)),
        );
    }
    // Never write a document Trivy would refuse (a value the upgrade cannot repair).
    let doc = Value::Object(doc);
    if let Some(r) = crate::vex::decode::refusals(&doc).0.into_iter().next() {
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

    #[test]
    fn insert_after_keeps_order() {
        let mut m: Map<String, Value> = serde_json::from_str(r#"{"a":1,"b":2,"c":3}"#).unwrap();
        insert_after(&mut m, &["a"], "x", Value::from(9));
        assert_eq!(m.keys().cloned().collect::<Vec<_>>(), ["a", "x", "b", "c"]);
        insert_after(&mut m, &["zz"], "y", Value::from(9));
        assert_eq!(m.keys().next_back().unwrap(), "y");
    }
}
