//! The JSON fixture format and how several fixture files merge into one bucket tree.
//!
//! A fixture file is a JSON array of top-level buckets, the shape of trivy's
//! `integration/testdata/fixtures/db/*.yaml` (loaded there by aquasecurity/bolt-fixtures):
//!
//! ```json
//! [ {"bucket": "debian 12", "pairs": [
//!     {"bucket": "zlib", "pairs": [ {"key": "CVE-2023-45853", "value": {"Status": 5}} ]} ]} ]
//! ```
//!
//! A pair is either `{"key", "value"}` or a nested `{"bucket", "pairs"}`. A `value` that is a JSON
//! string is stored as its raw bytes; any other value is stored as compact JSON with object keys
//! sorted, as Go's `encoding/json` marshals the maps bolt-fixtures reads.
//!
//! Files merge: buckets with the same path merge their keys; the same key twice (in one file or
//! across files) is an error that names both places.
//!
//! Inside a value, an object `{"$after_installed": "PACKAGE"}` stands for a version that sorts
//! after the source version of the binary package PACKAGE installed in the scanned image (see
//! [`crate::dpkg`]); it needs the image's dpkg status ([`Tree::with_installed`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::bolt::{Bucket, Node};
use crate::dpkg::{self, Installed};

/// The placeholder key (see the module docs).
pub const AFTER_INSTALLED: &str = "$after_installed";

/// A problem with one fixture file; `Display` is one line starting with the file name.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{file}: {message}")]
pub struct FixtureError {
    pub file: String,
    pub message: String,
}

/// A bucket tree that remembers which file defined each key, for duplicate reports.
#[derive(Debug, Default)]
pub struct Tree {
    root: MBucket,
    installed: Option<Installed>,
}

#[derive(Debug, Default)]
struct MBucket {
    entries: BTreeMap<Vec<u8>, MNode>,
}

#[derive(Debug)]
enum MNode {
    Value {
        bytes: Vec<u8>,
        file: String,
        at: String,
    },
    Bucket {
        bucket: MBucket,
        file: String,
        at: String,
    },
}

impl Tree {
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree whose `{"$after_installed": PACKAGE}` placeholders resolve against `installed`.
    pub fn with_installed(installed: Installed) -> Self {
        Self {
            root: MBucket::default(),
            installed: Some(installed),
        }
    }

    /// Parse one fixture file's text and merge it in. `file` names it in errors.
    pub fn add_file(&mut self, file: &str, text: &str) -> Result<(), FixtureError> {
        let err = |message: String| FixtureError {
            file: file.to_string(),
            message,
        };
        let doc: Value =
            serde_json::from_str(text).map_err(|e| err(format!("invalid JSON: {e}")))?;
        let Value::Array(buckets) = doc else {
            return Err(err(format!(
                "expected a JSON array of buckets at the top level, found {}",
                kind(&doc)
            )));
        };
        for (i, b) in buckets.iter().enumerate() {
            let at = format!("[{i}]");
            let obj = b.as_object().ok_or_else(|| {
                err(format!(
                    "{at}: a top-level entry must be {{\"bucket\", \"pairs\"}}, found {}",
                    kind(b)
                ))
            })?;
            if obj.contains_key("key") {
                return Err(err(format!(
                    "{at}: top-level entries must be buckets (bbolt's root bucket holds only buckets)"
                )));
            }
            merge_entry(&mut self.root, obj, &at, &[], file, self.installed.as_ref())
                .map_err(err)?;
        }
        Ok(())
    }

    /// The merged tree, ready for [`crate::bolt::write_db`].
    pub fn to_bucket(&self) -> Bucket {
        fn conv(b: &MBucket) -> Bucket {
            Bucket {
                entries: b
                    .entries
                    .iter()
                    .map(|(k, n)| {
                        let node = match n {
                            MNode::Value { bytes, .. } => Node::Value(bytes.clone()),
                            MNode::Bucket { bucket, .. } => Node::Bucket(conv(bucket)),
                        };
                        (k.clone(), node)
                    })
                    .collect(),
            }
        }
        conv(&self.root)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn show_path(path: &[String]) -> String {
    if path.is_empty() {
        "the root".to_string()
    } else {
        path.iter()
            .map(|p| format!("{p:?}"))
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

/// Merge one pair object (`{"key","value"}` or `{"bucket","pairs"}`) found at JSON location `at`
/// into `into`, whose bucket path is `path`.
fn merge_entry(
    into: &mut MBucket,
    obj: &serde_json::Map<String, Value>,
    at: &str,
    path: &[String],
    file: &str,
    installed: Option<&Installed>,
) -> Result<(), String> {
    for field in obj.keys() {
        if !matches!(field.as_str(), "key" | "value" | "bucket" | "pairs") {
            return Err(format!(
                "{at}: unknown field {field:?} (expected key/value or bucket/pairs)"
            ));
        }
    }
    match (obj.get("key"), obj.get("bucket")) {
        (Some(_), Some(_)) => Err(format!("{at}: has both \"key\" and \"bucket\"")),
        (None, None) => Err(format!(
            "{at}: needs \"key\" (with \"value\") or \"bucket\" (with \"pairs\")"
        )),
        (Some(key), None) => {
            if obj.contains_key("pairs") {
                return Err(format!("{at}: \"pairs\" belongs to a bucket, not to a key"));
            }
            let key = name(key, at, "key")?;
            let value = obj
                .get("value")
                .ok_or_else(|| format!("{at}: key {key:?} has no \"value\""))?;
            let value = resolve(value, &format!("{at}.value"), installed)?;
            let bytes = match &value {
                Value::String(s) => s.clone().into_bytes(),
                v => go_json(v).into_bytes(),
            };
            match into.entries.get(key.as_bytes()) {
                None => {
                    into.entries.insert(
                        key.into_bytes(),
                        MNode::Value {
                            bytes,
                            file: file.to_string(),
                            at: at.to_string(),
                        },
                    );
                    Ok(())
                }
                Some(prev) => Err(conflict(prev, &key, "a key", path, at, file)),
            }
        }
        (None, Some(bucket)) => {
            if obj.contains_key("value") {
                return Err(format!("{at}: \"value\" belongs to a key, not to a bucket"));
            }
            let name = name(bucket, at, "bucket")?;
            let pairs = match obj.get("pairs") {
                None => &Vec::new(),
                Some(Value::Array(p)) => p,
                Some(other) => {
                    return Err(format!(
                        "{at}: \"pairs\" of bucket {name:?} must be an array, found {}",
                        kind(other)
                    ));
                }
            };
            let entry = into
                .entries
                .entry(name.clone().into_bytes())
                .or_insert_with(|| MNode::Bucket {
                    bucket: MBucket::default(),
                    file: file.to_string(),
                    at: at.to_string(),
                });
            let sub = match entry {
                MNode::Bucket { bucket, .. } => bucket,
                prev @ MNode::Value { .. } => {
                    return Err(conflict(prev, &name, "a bucket", path, at, file));
                }
            };
            let mut sub_path = path.to_vec();
            sub_path.push(name);
            for (j, p) in pairs.iter().enumerate() {
                let p_at = format!("{at}.pairs[{j}]");
                let o = p.as_object().ok_or_else(|| {
                    format!("{p_at}: a pair must be an object, found {}", kind(p))
                })?;
                merge_entry(sub, o, &p_at, &sub_path, file, installed)?;
            }
            Ok(())
        }
    }
}

/// `value` with every `{"$after_installed": PACKAGE}` replaced by [`dpkg::next_update`] of
/// PACKAGE's installed source version.
fn resolve(value: &Value, at: &str, installed: Option<&Installed>) -> Result<Value, String> {
    Ok(match value {
        Value::Object(map) if map.contains_key(AFTER_INSTALLED) => {
            let pkg = match map.get(AFTER_INSTALLED) {
                Some(Value::String(p)) if map.len() == 1 => p,
                _ => {
                    return Err(format!(
                        "{at}: {AFTER_INSTALLED:?} must be the only field, with a package name"
                    ));
                }
            };
            let installed = installed.ok_or_else(|| {
                format!(
                    "{at}: {{{AFTER_INSTALLED:?}: {pkg:?}}} needs the image's dpkg status \
                     (fixture-db --dpkg-status FILE)"
                )
            })?;
            let p = installed.get(pkg).ok_or_else(|| {
                format!("{at}: package {pkg:?} is not installed in the given dpkg status")
            })?;
            Value::String(dpkg::next_update(&p.source_version))
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), resolve(v, &format!("{at}.{k}"), installed)?)))
                .collect::<Result<_, String>>()?,
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| resolve(v, &format!("{at}[{i}]"), installed))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

fn name(v: &Value, at: &str, what: &str) -> Result<String, String> {
    match v {
        Value::String(s) if s.is_empty() => Err(format!(
            "{at}: empty {what} name (bbolt rejects empty keys)"
        )),
        Value::String(s) => Ok(s.clone()),
        other => Err(format!(
            "{at}: {what} must be a string, found {}",
            kind(other)
        )),
    }
}

fn conflict(prev: &MNode, name: &str, now: &str, path: &[String], at: &str, file: &str) -> String {
    let (was, pfile, pat) = match prev {
        MNode::Value { file, at, .. } => ("a key", file, at),
        MNode::Bucket { file, at, .. } => ("a bucket", file, at),
    };
    let where_ = if pfile == file {
        format!("at {pat}")
    } else {
        format!("in {pfile} at {pat}")
    };
    if was == now {
        format!(
            "{at}: duplicate {} {name:?} in {} (already defined {where_})",
            &now[2..],
            show_path(path)
        )
    } else {
        format!(
            "{at}: {name:?} in {} is {now} here but {was} {where_}",
            show_path(path)
        )
    }
}

/// Marshal like Go's `encoding/json`: compact, object keys sorted, and `<`, `>`, `&`, U+2028,
/// U+2029 escaped as `\u003c` etc. Independent of serde_json's `preserve_order` feature, which
/// another workspace crate may switch on.
pub fn go_json(v: &Value) -> String {
    let mut out = String::new();
    write_go_json(v, &mut out);
    out
}

fn write_go_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_string(k, out);
                out.push(':');
                write_go_json(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json(item, out);
            }
            out.push(']');
        }
        Value::String(s) => write_go_string(s, out),
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn write_go_string(s: &str, out: &mut String) {
    let quoted = Value::String(s.to_string()).to_string();
    for c in quoted.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Result<Bucket, FixtureError> {
        let mut t = Tree::new();
        for (f, text) in files {
            t.add_file(f, text)?;
        }
        Ok(t.to_bucket())
    }

    fn get<'a>(b: &'a Bucket, path: &[&str]) -> &'a Node {
        let (first, rest) = path.split_first().unwrap();
        let n = &b.entries[first.as_bytes()];
        match (n, rest.is_empty()) {
            (_, true) => n,
            (Node::Bucket(sub), false) => get(sub, rest),
            _ => panic!("not a bucket"),
        }
    }

    #[test]
    fn strings_raw_and_other_values_as_sorted_compact_json() {
        let b = tree(&[(
            "a.json",
            r#"[{"bucket":"b","pairs":[
                {"key":"s","value":"raw <text>"},
                {"key":"o","value":{"Z":1,"A":[true,null,1.5],"M":"<&>"}},
                {"key":"n","value":7}]}]"#,
        )])
        .unwrap();
        assert_eq!(get(&b, &["b", "s"]), &Node::Value(b"raw <text>".to_vec()));
        assert_eq!(
            get(&b, &["b", "o"]),
            &Node::Value(br#"{"A":[true,null,1.5],"M":"\u003c\u0026\u003e","Z":1}"#.to_vec())
        );
        assert_eq!(get(&b, &["b", "n"]), &Node::Value(b"7".to_vec()));
    }

    #[test]
    fn files_merge_by_bucket_path() {
        let a = r#"[{"bucket":"debian 12","pairs":[{"bucket":"zlib","pairs":[{"key":"CVE-1","value":{}}]}]}]"#;
        let b = r#"[{"bucket":"debian 12","pairs":[{"bucket":"zlib","pairs":[{"key":"CVE-2","value":{}}]},
                   {"bucket":"glibc","pairs":[]}]}]"#;
        let t = tree(&[("a.json", a), ("b.json", b)]).unwrap();
        let Node::Bucket(zlib) = get(&t, &["debian 12", "zlib"]) else {
            panic!()
        };
        assert_eq!(zlib.entries.len(), 2);
        assert!(
            matches!(get(&t, &["debian 12", "glibc"]), Node::Bucket(g) if g.entries.is_empty())
        );
    }

    #[test]
    fn duplicate_key_across_files_names_both() {
        let a = r#"[{"bucket":"v","pairs":[{"key":"CVE-1","value":{}}]}]"#;
        let e = tree(&[("a.json", a), ("b.json", a)]).unwrap_err();
        assert_eq!(e.file, "b.json");
        assert_eq!(
            e.to_string(),
            r#"b.json: [0].pairs[0]: duplicate key "CVE-1" in "v" (already defined in a.json at [0].pairs[0])"#
        );
    }

    #[test]
    fn duplicate_key_in_one_file() {
        let a = r#"[{"bucket":"v","pairs":[{"key":"K","value":1},{"key":"K","value":2}]}]"#;
        let e = tree(&[("a.json", a)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"a.json: [0].pairs[1]: duplicate key "K" in "v" (already defined at [0].pairs[0])"#
        );
    }

    #[test]
    fn key_versus_bucket_conflict() {
        let a = r#"[{"bucket":"v","pairs":[{"key":"K","value":1}]}]"#;
        let b = r#"[{"bucket":"v","pairs":[{"bucket":"K","pairs":[]}]}]"#;
        let e = tree(&[("a.json", a), ("b.json", b)]).unwrap_err();
        assert!(
            e.to_string()
                .contains(r#""K" in "v" is a bucket here but a key in a.json"#),
            "{e}"
        );
    }

    #[test]
    fn malformed_fixtures_are_one_line_errors() {
        let cases = [
            (
                "",
                "invalid JSON: EOF while parsing a value at line 1 column 0",
            ),
            ("[{\"bucket\":\"v\",", "invalid JSON: EOF while parsing"),
            (
                "{}",
                "expected a JSON array of buckets at the top level, found an object",
            ),
            ("[1]", "[0]: a top-level entry must be"),
            (
                r#"[{"key":"k","value":1}]"#,
                "[0]: top-level entries must be buckets",
            ),
            (
                r#"[{"bucket":"v","pairs":{}}]"#,
                "\"pairs\" of bucket \"v\" must be an array",
            ),
            (
                r#"[{"bucket":"v","pairs":[{"key":"k"}]}]"#,
                "[0].pairs[0]: key \"k\" has no \"value\"",
            ),
            (
                r#"[{"bucket":"v","pairs":[{"key":"","value":1}]}]"#,
                "empty key name",
            ),
            (
                r#"[{"bucket":"v","pairs":[{"key":3,"value":1}]}]"#,
                "key must be a string, found a number",
            ),
            (
                r#"[{"bucket":"v","pairs":[{"key":"k","bucket":"b"}]}]"#,
                "has both \"key\" and \"bucket\"",
            ),
            (
                r#"[{"bucket":"v","pairs":[{"valu":1}]}]"#,
                "unknown field \"valu\"",
            ),
            (r#"[{"bucket":"v","pairs":[{}]}]"#, "needs \"key\""),
            (
                r#"[{"bucket":"v","pairs":["x"]}]"#,
                "a pair must be an object, found a string",
            ),
        ];
        for (text, want) in cases {
            let e = tree(&[("f.json", text)]).unwrap_err().to_string();
            assert!(e.starts_with("f.json: "), "{e}");
            assert!(e.contains(want), "{text:?}: got {e:?}, want {want:?}");
            assert!(!e.contains('\n'), "{e:?}");
        }
    }

    #[test]
    fn after_installed_placeholders_resolve_against_the_image() {
        let status = "Package: zlib1g\nStatus: install ok installed\nSource: zlib\n\
                      Version: 1:1.2.13.dfsg-1+deb12u1\n";
        let text = r#"[{"bucket":"debian 12","pairs":[{"bucket":"zlib","pairs":[
            {"key":"CVE-1","value":{"FixedVersion":{"$after_installed":"zlib1g"},"Severity":4}},
            {"key":"CVE-2","value":{"Entries":[{"FixedVersion":{"$after_installed":"zlib1g"}}]}}
        ]}]}]"#;
        let mut t = Tree::with_installed(Installed::parse(status).unwrap());
        t.add_file("f.json", text).unwrap();
        let b = t.to_bucket();
        let Node::Value(v) = get(&b, &["debian 12", "zlib", "CVE-1"]) else {
            panic!("not a value")
        };
        assert_eq!(
            std::str::from_utf8(v).unwrap(),
            r#"{"FixedVersion":"1:1.2.13.dfsg-1+deb12u2","Severity":4}"#
        );
        let Node::Value(v) = get(&b, &["debian 12", "zlib", "CVE-2"]) else {
            panic!("not a value")
        };
        assert_eq!(
            std::str::from_utf8(v).unwrap(),
            r#"{"Entries":[{"FixedVersion":"1:1.2.13.dfsg-1+deb12u2"}]}"#
        );

        // Without a dpkg status, with an unknown package or a malformed placeholder: one line.
        let e = tree(&[("f.json", text)]).unwrap_err().to_string();
        assert!(
            e.starts_with("f.json: [0].pairs[0].pairs[0].value.FixedVersion: "),
            "{e}"
        );
        assert!(e.contains("--dpkg-status"), "{e}");
        for (bad, want) in [
            (
                r#"{"$after_installed":"libfoo"}"#,
                "package \"libfoo\" is not installed",
            ),
            (
                r#"{"$after_installed":"zlib1g","x":1}"#,
                "must be the only field",
            ),
            (r#"{"$after_installed":3}"#, "must be the only field"),
        ] {
            let text =
                format!(r#"[{{"bucket":"b","pairs":[{{"key":"k","value":{{"V":{bad}}}}}]}}]"#);
            let mut t = Tree::with_installed(Installed::parse(status).unwrap());
            let e = t.add_file("f.json", &text).unwrap_err().to_string();
            assert!(e.contains(want), "{bad}: {e}");
            assert!(!e.contains('\n'), "{e:?}");
        }
    }
}
