//! What Trivy 0.76 reads from an OpenVEX file, and what it refuses.
//!
//! Trivy does not go through go-vex's `Open()` (which converts v0.0.1 documents): it decodes
//! every file with Go's `encoding/json` straight into go-vex v0.2.9's `VEX` struct
//! (trivy pkg/vex/document.go `decodeOpenVEX`), whatever the `@context`. So:
//!
//! - a value of the wrong JSON type for a field go-vex knows (a string `vulnerability`,
//!   string `products`, a string `version`, a fractional number for `version`, an object
//!   for a `supplier`) fails the whole scan ("unable to decode VEX");
//! - a timestamp (`timestamp`, `last_updated`, `action_statement_timestamp`) that Go's
//!   `time.Time` does not parse fails it too ([`go_time`]);
//! - fields go-vex does not have are ignored, even the v0.0.1 ones that change a
//!   statement's meaning (statement-level `subcomponents`, `vuln_description`), and so are
//!   statement `version` and `supplier`;
//! - keys match fields case-insensitively (`"Status"` is `status`), later keys overwrite
//!   earlier ones, and `null` leaves a field at its zero value.
//!
//! [`read`] is the reader `gate`, `scan` and `vex audit` use: it refuses exactly what Trivy's
//! decoder refuses (with Go's own message) and otherwise yields the document Trivy sees,
//! plus [`Note`]s about what Trivy silently ignores or reads differently from the spec.
//! vexgate is stricter than Trivy in a few documented places: an unknown `@context`, a
//! statement without `status` or without any vulnerability identifier, and text after the
//! JSON value are input errors rather than no-ops.

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::vex::model::{self, CONTEXT_V020, Document, Flavor, ModelError};

// ---------------------------------------------------------------------------------------
// Go's time.Time.UnmarshalJSON

/// Parse a timestamp as Go's `time.Time.UnmarshalJSON` does in the Go Trivy 0.76 is built
/// with: go's strict RFC 3339 parser, falling back to `time.Parse(time.RFC3339, s)` (Go
/// src/time/format_rfc3339.go `parseStrictRFC3339`, whose extra strictness is disabled).
/// That accepts a one-digit hour, `,` before the fraction, more than nine fraction digits
/// (truncated) and zone offsets up to `+24:60`; it refuses a space or a lowercase `t`
/// between date and time, a missing seconds field, `+0100`, a lowercase `z`, second 60, and
/// any text before or after.
pub fn go_time(s: &str) -> Result<Timestamp, String> {
    let bad = |why: &str| format!("parsing time {s:?}: {why}");
    let b = s.as_bytes();
    let mut i = 0usize;
    let digit = |i: usize| {
        b.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| i32::from(c - b'0'))
    };
    let fixed = |i: &mut usize, n: usize| -> Option<i32> {
        let mut v = 0;
        for k in 0..n {
            v = v * 10 + digit(*i + k)?;
        }
        *i += n;
        Some(v)
    };
    let lit = |i: &mut usize, c: u8| -> bool {
        if b.get(*i) == Some(&c) {
            *i += 1;
            true
        } else {
            false
        }
    };
    let year = fixed(&mut i, 4).ok_or_else(|| bad("cannot parse the year (2006)"))?;
    if !lit(&mut i, b'-') {
        return Err(bad("expected '-' after the year"));
    }
    let month = fixed(&mut i, 2).ok_or_else(|| bad("cannot parse the month (01)"))?;
    if !lit(&mut i, b'-') {
        return Err(bad("expected '-' after the month"));
    }
    let day = fixed(&mut i, 2).ok_or_else(|| bad("cannot parse the day (02)"))?;
    if !lit(&mut i, b'T') {
        return Err(bad("expected 'T' between date and time"));
    }
    let mut hour = digit(i).ok_or_else(|| bad("cannot parse the hour (15)"))?;
    i += 1;
    if let Some(d) = digit(i) {
        hour = hour * 10 + d;
        i += 1;
    }
    if !lit(&mut i, b':') {
        return Err(bad("expected ':' after the hour"));
    }
    let minute = fixed(&mut i, 2).ok_or_else(|| bad("cannot parse the minute (04)"))?;
    if !lit(&mut i, b':') {
        return Err(bad("expected ':' after the minute"));
    }
    let second = fixed(&mut i, 2).ok_or_else(|| bad("cannot parse the second (05)"))?;
    let mut nanos = 0i32;
    if matches!(b.get(i), Some(b'.' | b',')) && digit(i + 1).is_some() {
        let start = i + 1;
        let mut end = start;
        while digit(end).is_some() {
            end += 1;
        }
        // Go keeps the first nine digits.
        let used = (end - start).min(9);
        for k in 0..9 {
            nanos = nanos * 10
                + if k < used {
                    digit(start + k).unwrap_or(0)
                } else {
                    0
                };
        }
        i = end;
    }
    let offset = if lit(&mut i, b'Z') {
        0
    } else {
        let sign = match b.get(i) {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Err(bad("expected Z or a ±hh:mm zone offset")),
        };
        if b.get(i + 3) != Some(&b':') {
            return Err(bad("expected a ±hh:mm zone offset"));
        }
        let mut j = i + 1;
        let hh = fixed(&mut j, 2).ok_or_else(|| bad("expected a ±hh:mm zone offset"))?;
        j += 1;
        let mm = fixed(&mut j, 2).ok_or_else(|| bad("expected a ±hh:mm zone offset"))?;
        if hh > 24 || mm > 60 {
            return Err(bad("time zone offset out of range"));
        }
        i = j;
        sign * (hh * 3600 + mm * 60)
    };
    if i != b.len() {
        return Err(bad("extra text after the zone"));
    }
    let range = |what: &str| bad(&format!("{what} out of range"));
    if !(1..=12).contains(&month) {
        return Err(range("month"));
    }
    if hour > 23 {
        return Err(range("hour"));
    }
    if minute > 59 {
        return Err(range("minute"));
    }
    if second > 59 {
        return Err(range("second"));
    }
    if day < 1 || day > days_in(month, year) {
        return Err(range("day"));
    }
    let dt = jiff::civil::DateTime::new(
        year as i16,
        month as i8,
        day as i8,
        hour as i8,
        minute as i8,
        second as i8,
        nanos,
    )
    .map_err(|e| bad(&e.to_string()))?;
    let off = jiff::tz::Offset::from_seconds(offset).map_err(|e| bad(&e.to_string()))?;
    // jiff's instants end a day short of Go's (9999-12-30T22:00Z): later ones, which Go
    // reads, are clamped there (they still sort after every other time).
    Ok(off.to_timestamp(dt).unwrap_or(if year >= 9999 {
        Timestamp::MAX
    } else {
        Timestamp::MIN
    }))
}

fn days_in(month: i32, year: i32) -> i32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// ---------------------------------------------------------------------------------------
// The go-vex v0.2.9 types Trivy decodes into (pkg/vex/vex.go, statement.go, product.go,
// component.go, vulnerability.go)

#[derive(Debug)]
enum Ty {
    /// A Go string type (its name).
    Str(&'static str),
    /// Go `int` (64-bit).
    Int,
    /// `*time.Time`.
    Time,
    Struct(&'static Struct),
    /// A slice: element type, and the slice's Go type name.
    Slice(&'static Ty, &'static str),
    /// A map with string keys: the map's Go type name and its element's (a string type).
    Map(&'static str, &'static str),
}

#[derive(Debug)]
struct Struct {
    go: &'static str,
    fields: &'static [(&'static str, Ty)],
}

static COMPONENT_FIELDS: [(&str, Ty); 4] = [
    ("@id", Ty::Str("string")),
    ("hashes", Ty::Map("map[vex.Algorithm]vex.Hash", "vex.Hash")),
    (
        "identifiers",
        Ty::Map("map[vex.IdentifierType]string", "string"),
    ),
    ("supplier", Ty::Str("string")),
];
static SUBCOMPONENT: Struct = Struct {
    go: "vex.Subcomponent",
    fields: &COMPONENT_FIELDS,
};
static SUBCOMPONENT_TY: Ty = Ty::Struct(&SUBCOMPONENT);
static PRODUCT_FIELDS: [(&str, Ty); 5] = [
    ("@id", Ty::Str("string")),
    ("hashes", Ty::Map("map[vex.Algorithm]vex.Hash", "vex.Hash")),
    (
        "identifiers",
        Ty::Map("map[vex.IdentifierType]string", "string"),
    ),
    ("supplier", Ty::Str("string")),
    (
        "subcomponents",
        Ty::Slice(&SUBCOMPONENT_TY, "[]vex.Subcomponent"),
    ),
];
static PRODUCT: Struct = Struct {
    go: "vex.Product",
    fields: &PRODUCT_FIELDS,
};
static PRODUCT_TY: Ty = Ty::Struct(&PRODUCT);
static VULN_ID: Ty = Ty::Str("vex.VulnerabilityID");
static VULNERABILITY_FIELDS: [(&str, Ty); 4] = [
    ("@id", Ty::Str("string")),
    ("name", Ty::Str("vex.VulnerabilityID")),
    ("description", Ty::Str("string")),
    ("aliases", Ty::Slice(&VULN_ID, "[]vex.VulnerabilityID")),
];
static VULNERABILITY: Struct = Struct {
    go: "vex.Vulnerability",
    fields: &VULNERABILITY_FIELDS,
};
static STATEMENT_FIELDS: [(&str, Ty); 11] = [
    ("@id", Ty::Str("string")),
    ("vulnerability", Ty::Struct(&VULNERABILITY)),
    ("timestamp", Ty::Time),
    ("last_updated", Ty::Time),
    ("products", Ty::Slice(&PRODUCT_TY, "[]vex.Product")),
    ("status", Ty::Str("vex.Status")),
    ("status_notes", Ty::Str("string")),
    ("justification", Ty::Str("vex.Justification")),
    ("impact_statement", Ty::Str("string")),
    ("action_statement", Ty::Str("string")),
    ("action_statement_timestamp", Ty::Time),
];
static STATEMENT: Struct = Struct {
    go: "vex.Statement",
    fields: &STATEMENT_FIELDS,
};
static STATEMENT_TY: Ty = Ty::Struct(&STATEMENT);
static VEX_FIELDS: [(&str, Ty); 10] = [
    ("@context", Ty::Str("string")),
    ("@id", Ty::Str("string")),
    ("author", Ty::Str("string")),
    ("role", Ty::Str("string")),
    ("timestamp", Ty::Time),
    ("last_updated", Ty::Time),
    ("version", Ty::Int),
    ("tooling", Ty::Str("string")),
    ("supplier", Ty::Str("string")),
    ("statements", Ty::Slice(&STATEMENT_TY, "[]vex.Statement")),
];
static VEX: Struct = Struct {
    go: "vex.VEX",
    fields: &VEX_FIELDS,
};

/// The JSON keys go-vex's statement, vulnerability, product and document structs read, for
/// [`go_field`] callers outside this module (`vex validate`, the fast load).
pub mod keys {
    pub const DOCUMENT: [&str; 10] = [
        "@context",
        "@id",
        "author",
        "role",
        "timestamp",
        "last_updated",
        "version",
        "tooling",
        "supplier",
        "statements",
    ];
    pub const STATEMENT: [&str; 11] = [
        "@id",
        "vulnerability",
        "timestamp",
        "last_updated",
        "products",
        "status",
        "status_notes",
        "justification",
        "impact_statement",
        "action_statement",
        "action_statement_timestamp",
    ];
    pub const VULNERABILITY: [&str; 4] = ["@id", "name", "description", "aliases"];
    pub const PRODUCT: [&str; 5] = ["@id", "hashes", "identifiers", "supplier", "subcomponents"];
    pub const COMPONENT: [&str; 4] = ["@id", "hashes", "identifiers", "supplier"];
}

/// The go-vex field `key` decodes into among `fields`: the exact name, else the one it
/// case-folds to (Go prefers an exact match, then accepts one equal under Go's folding,
/// [`crate::report::gojson::go_fold_eq`]).
pub fn go_field<'f>(key: &str, fields: &[&'f str]) -> Option<&'f str> {
    if let Some(f) = fields.iter().find(|f| **f == key) {
        return Some(f);
    }
    fields
        .iter()
        .find(|f| crate::report::gojson::go_fold_eq(key, f))
        .copied()
}

// ---------------------------------------------------------------------------------------
// The decode

/// Why Trivy refuses a document: the first value Go's decoder rejects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// vexgate's path of the value, e.g. `statements[0].vulnerability`.
    pub path: String,
    /// 0-based statement index, when the value is inside a statement.
    pub statement: Option<usize>,
    /// What was found, e.g. `a string`.
    pub found: String,
    /// What go-vex expects, e.g. `an object (vex.Vulnerability)`.
    pub expected: String,
    /// Go's own message, as Trivy prints it after "unable to decode VEX".
    pub go: String,
}

impl Refusal {
    /// The one-line explanation `gate` and `scan` print (after the file name).
    pub fn gate_message(&self) -> String {
        format!(
            "Trivy 0.76 refuses to load this VEX document: {} is {}, expected {} (Trivy: \"unable to decode VEX: {}\"); run `vexgate vex validate FILE` for the whole list",
            self.path, self.found, self.expected, self.go
        )
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is {}, expected {}: Trivy refuses to load the document (\"{}\")",
            self.path, self.found, self.expected, self.go
        )
    }
}

/// Something Trivy reads differently from what the document seems to say, found while
/// decoding: `gate` prints these as warnings and `vex validate` explains them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// `key-case`, `v001-field`, `statement-subcomponents`.
    pub code: &'static str,
    pub statement: Option<usize>,
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Render a key from the document for a message: control, format (bidi) and other
/// invisible characters are escaped.
fn safe_key(k: &str) -> String {
    if k.chars()
        .all(|c| c.is_ascii_graphic() || (c.is_alphanumeric() && !c.is_control()))
    {
        k.to_string()
    } else {
        k.escape_default().to_string()
    }
}

fn our_path(segs: &[Seg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&safe_key(k));
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "(document)".into()
    } else {
        out
    }
}

fn go_path(segs: &[Seg]) -> String {
    let mut out = String::from("VEX");
    for s in segs {
        out.push('.');
        match s {
            Seg::Key(k) => out.push_str(&safe_key(k)),
            Seg::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

fn statement_of(segs: &[Seg]) -> Option<usize> {
    match segs {
        [Seg::Key(k), Seg::Index(i), ..] if k == "statements" => Some(*i),
        _ => None,
    }
}

/// Go's word for a JSON value's kind in "cannot unmarshal X into …".
fn go_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn our_kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let short: String = s.chars().take(60).collect();
            let short = if short.len() < s.len() {
                format!("{short}…")
            } else {
                short
            };
            format!("the string {short:?}")
        }
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn expected(ty: &Ty) -> String {
    match ty {
        Ty::Str(go) => format!("a string ({go})"),
        Ty::Int => "an integer (int)".into(),
        Ty::Time => "an RFC 3339 date-time string (time.Time)".into(),
        Ty::Struct(s) => format!("an object ({})", s.go),
        Ty::Slice(elem, go) => {
            let what = match elem {
                Ty::Struct(_) => "objects",
                _ => "strings",
            };
            format!("an array of {what} ({go})")
        }
        Ty::Map(go, _) => format!("an object of strings ({go})"),
    }
}

fn go_type(ty: &Ty) -> &'static str {
    match ty {
        Ty::Str(go) => go,
        Ty::Int => "int",
        Ty::Time => "time.Time",
        Ty::Struct(s) => s.go,
        Ty::Slice(_, go) => go,
        Ty::Map(go, _) => go,
    }
}

/// How far to go: stop at the first refusal (as Trivy does), or collect them all (to explain
/// a document).
struct Walk {
    all: bool,
    refusals: Vec<Refusal>,
    notes: Vec<Note>,
}

impl Walk {
    fn refuse(&mut self, segs: &[Seg], v: &Value, ty: &Ty, time_error: Option<String>) {
        let go = match time_error {
            Some(e) => e,
            None => {
                let value = match (ty, v) {
                    (Ty::Int, Value::Number(n)) => format!("number {n}"),
                    _ => go_kind(v).to_string(),
                };
                let into = if matches!(segs.last(), Some(Seg::Index(_))) {
                    go_path(segs)
                } else {
                    format!("Go struct field {}", go_path(segs))
                };
                format!(
                    "json: cannot unmarshal {value} into {into} of type {}",
                    go_type(ty)
                )
            }
        };
        self.refusals.push(Refusal {
            path: our_path(segs),
            statement: statement_of(segs),
            found: our_kind(v),
            expected: expected(ty),
            go,
        });
    }

    fn done(&self) -> bool {
        !self.all && !self.refusals.is_empty()
    }

    /// Decode `v` as `ty`: the value Trivy ends up with (`None`: the field keeps its zero
    /// value), or a refusal recorded.
    fn value(&mut self, v: Value, ty: &'static Ty, segs: &mut Vec<Seg>) -> Option<Value> {
        if v.is_null() {
            return None;
        }
        match (ty, v) {
            (Ty::Str(_), v @ Value::String(_)) => Some(v),
            (Ty::Int, Value::Number(n)) => match n.as_i64() {
                Some(i) => Some(Value::from(i)),
                None => {
                    self.refuse(segs, &Value::Number(n), ty, None);
                    None
                }
            },
            (Ty::Time, Value::String(s)) => match go_time(&s) {
                Ok(_) => Some(Value::String(s)),
                Err(e) => {
                    self.refuse(segs, &Value::String(s), ty, Some(e));
                    None
                }
            },
            (Ty::Struct(st), Value::Object(m)) => Some(Value::Object(self.object(m, st, segs))),
            (Ty::Slice(elem, _), Value::Array(a)) => {
                let mut out = Vec::with_capacity(a.len());
                for (i, e) in a.into_iter().enumerate() {
                    if self.done() {
                        break;
                    }
                    segs.push(Seg::Index(i));
                    let zero = match elem {
                        Ty::Struct(_) => Value::Object(Map::new()),
                        _ => Value::String(String::new()),
                    };
                    out.push(self.value(e, elem, segs).unwrap_or(zero));
                    segs.pop();
                }
                Some(Value::Array(out))
            }
            (Ty::Map(_, elem_go), Value::Object(m)) => {
                let mut out = Map::new();
                for (k, e) in m {
                    if self.done() {
                        break;
                    }
                    segs.push(Seg::Key(k.clone()));
                    match e {
                        Value::String(_) => {
                            out.insert(k, e);
                        }
                        Value::Null => {
                            out.insert(k, Value::String(String::new()));
                        }
                        other => self.refuse(segs, &other, &MAP_ELEM[map_elem(elem_go)], None),
                    }
                    segs.pop();
                }
                Some(Value::Object(out))
            }
            (_, v) => {
                self.refuse(segs, &v, ty, None);
                None
            }
        }
    }

    fn object(
        &mut self,
        m: Map<String, Value>,
        st: &'static Struct,
        segs: &mut Vec<Seg>,
    ) -> Map<String, Value> {
        let names: Vec<&'static str> = st.fields.iter().map(|(n, _)| *n).collect();
        let mut out = Map::new();
        for (k, v) in m {
            if self.done() {
                break;
            }
            let Some(field) = go_field(&k, &names) else {
                // Unknown to go-vex: Trivy skips it. Kept, for the model's `extra`.
                out.insert(k, v);
                continue;
            };
            if field != k {
                self.notes.push(Note {
                    code: "key-case",
                    statement: statement_of(segs),
                    path: our_path(&with(segs, &k)),
                    message: format!(
                        "key {:?} is read as `{field}` (Go matches JSON keys case-insensitively; the schema, go-vex's other readers and grype do not)",
                        safe_key(&k)
                    ),
                });
            }
            let ty = &st
                .fields
                .iter()
                .find(|(n, _)| *n == field)
                .expect("known")
                .1;
            segs.push(Seg::Key(field.to_string()));
            let got = self.value(v, ty, segs);
            segs.pop();
            match got {
                Some(v) => {
                    out.insert(field.to_string(), v);
                }
                // null: a pointer (time) becomes nil; anything else keeps its value.
                None if matches!(ty, Ty::Time) => {
                    out.shift_remove(field);
                }
                None => {}
            }
        }
        out
    }
}

static MAP_ELEM: [Ty; 2] = [Ty::Str("string"), Ty::Str("vex.Hash")];

fn map_elem(go: &str) -> usize {
    usize::from(go == "vex.Hash")
}

fn with(segs: &[Seg], k: &str) -> Vec<Seg> {
    let mut v = segs.to_vec();
    v.push(Seg::Key(k.to_string()));
    v
}

/// Decode a parsed document as Trivy does: the object Trivy ends up with (canonical keys,
/// nulls resolved, values of unknown keys kept as they are), or the refusals (only the
/// first unless `all`), and the notes.
fn decode(root: Value, all: bool) -> (Option<Map<String, Value>>, Vec<Refusal>, Vec<Note>) {
    let mut w = Walk {
        all,
        refusals: Vec::new(),
        notes: Vec::new(),
    };
    let Value::Object(m) = root else {
        let go = format!(
            "json: cannot unmarshal {} into Go value of type vex.VEX",
            go_kind(&root)
        );
        w.refusals.push(Refusal {
            path: "(document)".into(),
            statement: None,
            found: our_kind(&root),
            expected: "an object (vex.VEX)".into(),
            go,
        });
        return (None, w.refusals, w.notes);
    };
    let out = w.object(m, &VEX, &mut Vec::new());
    (Some(out), w.refusals, w.notes)
}

/// Every value in `root` that makes Trivy refuse the document, in document order (Trivy
/// reports the first), and the notes.
pub fn refusals(root: &Value) -> (Vec<Refusal>, Vec<Note>) {
    let (_, r, n) = decode(root.clone(), true);
    (r, n)
}

/// The document Trivy reads from `root` (a JSON object whose `@context` folds to a non-empty
/// string), or why Trivy refuses it.
pub enum Read {
    Ok(Document, Vec<Note>),
    /// Trivy's decoder fails.
    Refused(Refusal),
    /// Trivy loads it, vexgate does not (see the module docs).
    Invalid(ModelError),
}

/// Read `root` as Trivy does ([`Read`]).
pub fn read(root: Value) -> Read {
    let (m, mut refusals, mut notes) = decode(root, false);
    if let Some(r) = refusals.drain(..).next() {
        return Read::Refused(r);
    }
    let Some(mut m) = m else {
        unreachable!("a non-object is refused")
    };
    let context = m
        .get("@context")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    match model::flavor_of(&context) {
        None => {
            return Read::Invalid(ModelError {
                statement: None,
                message: format!(
                    "unknown @context {context:?} (expected {CONTEXT_V020}; Trivy would read the document as v0.2.0 anyway, vexgate refuses to guess)"
                ),
            });
        }
        Some(Flavor::Legacy) => notes.push(Note {
            code: "legacy-context",
            statement: None,
            path: "@context".into(),
            message: format!(
                "{context:?} announces the v0.0.1 format, but Trivy has no v0.0.1 reader: it reads the document as {CONTEXT_V020}"
            ),
        }),
        Some(Flavor::V020) => {}
    }
    if let Some(Value::Array(statements)) = m.get_mut("statements") {
        for (i, st) in statements.iter_mut().enumerate() {
            let Value::Object(st) = st else { continue };
            // Spec fields go-vex does not have (so neither has Trivy).
            st.shift_remove("version");
            st.shift_remove("supplier");
            statement_notes(st, i, &mut notes);
            if let Err(e) = required(st, i) {
                return Read::Invalid(e);
            }
        }
    }
    if let Some(v) = m.get("version").and_then(Value::as_i64)
        && v < 1
    {
        m.shift_remove("version");
    }
    match serde_json::from_value::<Document>(Value::Object(m)) {
        Ok(doc) => Read::Ok(doc, notes),
        Err(e) => Read::Invalid(ModelError {
            statement: None,
            message: format!("document: {e}"),
        }),
    }
}

/// The v0.0.1 fields Trivy ignores in a statement.
fn statement_notes(st: &Map<String, Value>, i: usize, notes: &mut Vec<Note>) {
    if st.contains_key("subcomponents") {
        notes.push(Note {
            code: "statement-subcomponents",
            statement: Some(i),
            path: format!("statements[{i}].subcomponents"),
            message: "statement-level `subcomponents` is a v0.0.1 field that Trivy ignores: the statement covers its products and every package reached only through them; put the list under each product (`products[].subcomponents`)".into(),
        });
    }
    if st.contains_key("vuln_description") {
        notes.push(Note {
            code: "v001-field",
            statement: Some(i),
            path: format!("statements[{i}].vuln_description"),
            message: "`vuln_description` is a v0.0.1 field that Trivy ignores (v0.2.0: `vulnerability.description`)".into(),
        });
    }
}

/// vexgate's own requirements beyond Trivy's: a status and something to match.
fn required(st: &Map<String, Value>, i: usize) -> Result<(), ModelError> {
    let e = |m: &str| ModelError {
        statement: Some(i),
        message: m.into(),
    };
    let Some(Value::Object(v)) = st.get("vulnerability") else {
        return Err(e("has no `vulnerability`"));
    };
    let nonempty = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    let aliases = v
        .get("aliases")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if !nonempty("name") && !nonempty("@id") && !aliases {
        return Err(e("`vulnerability` has no name, @id or aliases"));
    }
    match st.get("status") {
        None => Err(e("has no `status`")),
        Some(Value::String(s)) if s.is_empty() => Err(e("has an empty `status`")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Option<String> {
        go_time(s).ok().map(|t| t.to_string())
    }

    /// Go's time.Time.UnmarshalJSON, case by case (testdata/oracle's `go_timestamps` has
    /// real Trivy 0.76's verdict on these and more; the oracle tests of crates/vexgate hold
    /// `gate` to it).
    #[test]
    fn go_time_is_gos_rfc3339() {
        assert!(
            go_time("9999-12-31T23:59:59Z").unwrap() > go_time("9999-12-30T00:00:00Z").unwrap()
        );
        assert_eq!(
            ts("2023-01-16T19:07:16-06:00").as_deref(),
            Some("2023-01-17T01:07:16Z")
        );
        assert_eq!(
            ts("2016-12-31T3:59:00Z").as_deref(),
            Some("2016-12-31T03:59:00Z")
        );
        assert_eq!(
            ts("2016-12-31T03:59:00.1234567891234Z").as_deref(),
            Some("2016-12-31T03:59:00.123456789Z")
        );
        assert_eq!(
            ts("2016-12-31T03:59:00,5Z").as_deref(),
            Some("2016-12-31T03:59:00.5Z")
        );
        assert_eq!(
            ts("2023-02-03T03:59:00+24:00").as_deref(),
            Some("2023-02-02T03:59:00Z")
        );
        assert_eq!(
            ts("0001-01-01T00:00:00Z").as_deref(),
            Some("0001-01-01T00:00:00Z")
        );
        for bad in [
            "",
            "yesterday",
            "2024-01-01 00:00:00Z",
            "2016-12-31t23:59:00z",
            "2016-12-31T23:59:00z",
            "2016-12-31T03:59Z",
            "2016-12-31T03:59:00+0100",
            "2016-12-31T03:59:00",
            "2016-12-31T23:59:60Z",
            "2023-02-30T03:59:00Z",
            "2023-02-03T24:00:00Z",
            " 2023-02-03T03:59:00Z",
            "2023-02-03T03:59:00Z ",
            "2023-02-03T03:59:00+25:00",
            "2023-2-03T03:59:00Z",
            "+2023-02-03T03:59:00Z",
        ] {
            assert!(go_time(bad).is_err(), "{bad:?} parsed");
        }
        assert!(ts("2024-02-29T00:00:00Z").is_some());
        assert!(ts("2023-02-29T00:00:00Z").is_none());
        assert!(ts("2000-02-29T00:00:00Z").is_some());
        assert!(ts("1900-02-29T00:00:00Z").is_none());
    }

    fn first(text: &str) -> Option<Refusal> {
        let v: Value = serde_json::from_str(text).unwrap();
        match read(v) {
            Read::Refused(r) => Some(r),
            _ => None,
        }
    }

    const CTX: &str = r#""@context":"https://openvex.dev/ns/v0.2.0""#;

    /// The messages Trivy 0.76 printed for these shapes (see the oracle's decode scenarios).
    #[test]
    fn refusals_carry_gos_message() {
        let r = first(&format!(
            r#"{{{CTX},"statements":[{{"vulnerability":"CVE-1","products":["pkg:a/b"],"status":"fixed"}}]}}"#
        ))
        .unwrap();
        assert_eq!(
            r.go,
            "json: cannot unmarshal string into Go struct field VEX.statements.0.vulnerability of type vex.Vulnerability"
        );
        assert_eq!(r.path, "statements[0].vulnerability");
        assert_eq!(r.statement, Some(0));
        let r = first(&format!(
            r#"{{{CTX},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"products":["pkg:a/b"],"status":"fixed"}}]}}"#
        ))
        .unwrap();
        assert_eq!(
            r.go,
            "json: cannot unmarshal string into VEX.statements.0.products.0 of type vex.Product"
        );
        let r = first(&format!(r#"{{{CTX},"version":"1","statements":[]}}"#)).unwrap();
        assert_eq!(
            r.go,
            "json: cannot unmarshal string into Go struct field VEX.version of type int"
        );
        assert!(
            r.gate_message().contains("vexgate vex validate FILE"),
            "{}",
            r.gate_message()
        );
        let r = first(&format!(r#"{{{CTX},"version":1.0,"statements":[]}}"#)).unwrap();
        assert_eq!(
            r.go,
            "json: cannot unmarshal number 1.0 into Go struct field VEX.version of type int"
        );
        let r = first(&format!(
            r#"{{{CTX},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":"fixed","products":[{{"@id":"x","identifiers":{{"purl":5}}}}]}}]}}"#
        ))
        .unwrap();
        assert_eq!(
            r.go,
            "json: cannot unmarshal number into Go struct field VEX.statements.0.products.0.identifiers.purl of type string"
        );
        let r = first(&format!(
            r#"{{{CTX},"supplier":{{"name":"x"}},"statements":[]}}"#
        ))
        .unwrap();
        assert_eq!(
            r.go,
            "json: cannot unmarshal object into Go struct field VEX.supplier of type string"
        );
        let r = first(&format!(
            r#"{{{CTX},"last_updated":"yesterday","statements":[]}}"#
        ))
        .unwrap();
        assert!(r.go.starts_with("parsing time \"yesterday\""), "{}", r.go);
        // Case-folded keys are decoded too.
        let r = first(&format!(r#"{{{CTX},"VERSION":"1","statements":[]}}"#)).unwrap();
        assert_eq!(r.path, "version");
        // The first in document order.
        let r = first(&format!(
            r#"{{{CTX},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"products":["a"],"status":"fixed"}},{{"vulnerability":"CVE-2","status":"fixed"}}]}}"#
        ))
        .unwrap();
        assert_eq!(r.path, "statements[0].products[0]");
        let (all, _) = refusals(
            &serde_json::from_str(&format!(
                r#"{{{CTX},"version":"2","statements":[{{"vulnerability":{{"name":"CVE-1"}},"products":["a"],"status":"fixed"}},{{"vulnerability":"CVE-2","status":"fixed"}}]}}"#
            ))
            .unwrap(),
        );
        let paths: Vec<_> = all.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "version",
                "statements[0].products[0]",
                "statements[1].vulnerability"
            ]
        );
    }

    fn doc(text: &str) -> (Document, Vec<Note>) {
        match read(serde_json::from_str(text).unwrap()) {
            Read::Ok(d, n) => (d, n),
            Read::Refused(r) => panic!("refused: {r}"),
            Read::Invalid(e) => panic!("invalid: {e}"),
        }
    }

    /// What Trivy loads although the schema or go-vex's other readers would not: all of
    /// these suppressed in Trivy 0.76.
    #[test]
    fn reads_what_trivy_reads() {
        // v0.0.1 context with v0.2.0 shapes: statement-level subcomponents are ignored.
        let (d, n) = doc(
            r#"{"@context":"https://openvex.dev/ns/v0.0.1","version":1,"statements":[{"vulnerability":{"name":"CVE-1"},
            "vuln_description":"d","products":[{"@id":"pkg:golang/a/b"}],"subcomponents":["pkg:golang/c/d"],"status":"fixed"}]}"#,
        );
        assert!(d.statements[0].products[0].subcomponents.is_empty());
        let codes: Vec<_> = n.iter().map(|n| n.code).collect();
        assert_eq!(
            codes,
            ["legacy-context", "statement-subcomponents", "v001-field"]
        );
        // Keys fold; statement version and supplier are not go-vex fields; nulls are zero
        // values; negative document versions load.
        let (d, n) = doc(&format!(
            r#"{{{CTX},"version":-3,"Statements":[{{"VULNERABILITY":{{"Name":"CVE-1"}},"Status":"not_affected","justification":null,
            "version":"x","supplier":{{"a":1}},"products":[{{"@id":"pkg:golang/a/b","identifiers":{{"purl":null}}}},null],"timestamp":null}}]}}"#
        ));
        let st = &d.statements[0];
        assert_eq!(st.vulnerability.name, "CVE-1");
        assert_eq!(st.status, "not_affected");
        assert_eq!(st.justification, None);
        assert_eq!(st.version, None);
        assert_eq!(st.products.len(), 2);
        assert_eq!(st.products[0].component.identifiers["purl"], "");
        assert_eq!(d.version, None);
        assert_eq!(
            n.iter().filter(|n| n.code == "key-case").count(),
            4,
            "{n:#?}"
        );
        // Later keys win, as in Go.
        let (d, _) = doc(&format!(
            r#"{{{CTX},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":"affected","STATUS":"fixed"}}]}}"#
        ));
        assert_eq!(d.statements[0].status, "fixed");
    }

    /// Where vexgate stays stricter than Trivy (these load in Trivy as no-ops).
    #[test]
    fn vexgate_still_refuses_what_it_cannot_mean() {
        for (text, want) in [
            (
                r#"{"@context":"https://example.com/x","statements":[]}"#,
                "unknown @context",
            ),
            (
                &format!(
                    r#"{{{CTX},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":null}}]}}"#
                ),
                "has no `status`",
            ),
            (
                &format!(r#"{{{CTX},"statements":[{{"vulnerability":null,"status":"fixed"}}]}}"#),
                "has no `vulnerability`",
            ),
            (
                &format!(
                    r#"{{{CTX},"statements":[{{"vulnerability":{{"aliases":[]}},"status":"fixed"}}]}}"#
                ),
                "no name, @id or aliases",
            ),
        ] {
            match read(serde_json::from_str(text).unwrap()) {
                Read::Invalid(e) => assert!(e.to_string().contains(want), "{e}"),
                _ => panic!("{text} read"),
            }
        }
    }

    #[test]
    fn hostile_values_are_escaped() {
        let r = first(&format!(
            r#"{{{CTX},"statements":[{{"vulnerability":"CVE-1\u202e\u001b[2J","status":"fixed"}}]}}"#
        ))
        .unwrap();
        let m = r.gate_message();
        assert!(!m.chars().any(|c| c.is_control() || c == '\u{202e}'), "{m}");
    }

    #[test]
    fn hostile_keys_are_escaped() {
        let r = first(&format!(
            r#"{{{CTX},"statements":[{{"vulnerability":{{"name":"CVE-1"}},"status":"fixed","products":[{{"identifiers":{{"a\u202eb\u001b[31m":5}}}}]}}]}}"#
        ))
        .unwrap();
        assert!(
            !r.go.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{}",
            r.go
        );
        assert!(
            !r.path.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{}",
            r.path
        );
    }
}
