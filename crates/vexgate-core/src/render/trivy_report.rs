//! The filtered report in Trivy's own JSON schema (`--output-report`).
//!
//! The output is JSON-equal, after parsing, to what `trivy convert --format json
//! --show-suppressed` with the same filters writes for the same input. It is re-emitted from
//! the raw document, never from the typed model, so every field survives, including fields
//! this version of vexgate does not know:
//!
//! - The raw text is read once into ordered lists of `(key, &RawValue)`: the top level, each
//!   `Results[]` entry, and the finding arrays inside it. Nothing else is decoded; no
//!   `serde_json::Value` of the report is ever built. Output goes through a `BufWriter`.
//! - Keys keep their input order. In each Result, `Vulnerabilities`, `Misconfigurations`,
//!   `Secrets` and `Licenses` are replaced by the kept entries in Decision order, and the key
//!   is omitted when nothing is kept (Go's `omitempty`). A Result whose findings were all
//!   filtered stays, as in Trivy (pkg/report/json.go drops only an empty Result with an empty
//!   Target, and so does this writer).
//! - `MisconfSummary` is recomputed from the surviving misconfigurations and only `FAIL` ones
//!   are listed, as trivy pkg/result/filter.go `filterMisconfigurations` does without
//!   `--include-non-failures`; both keys go when the summary is empty.
//! - A vulnerability with an empty or missing `Severity` is written with `"UNKNOWN"`
//!   (`filterVulnerabilities` rewrites it on the copy it keeps or records).
//! - `ExperimentalModifiedFindings` = the entries already in the input, then vexgate's
//!   suppressions as `{Type, Status, Statement, Source, Finding}` (all five keys always). Trivy
//!   appends ignore-file entries while filtering (vulnerabilities in input order, then
//!   misconfigurations, secrets, licenses: pkg/result/filter.go `FilterResult`) and VEX
//!   entries afterwards (pkg/vex/vex.go `filterVulnerabilities`, in the sorted order); this
//!   writer orders them the same way and keeps the Decision's order among VEX entries.
//!   Suppressions of origin `Report` are the input's own entries and are not repeated.
//!
//! - Trivy decodes into Go structs and re-encodes, so a secret or license missing one of its
//!   non-`omitempty` fields comes out with the zero value (e.g. `"Code": {"Lines": null}`);
//!   this writer adds the same (only hand-written input lacks them).
//!
//! Differences from Trivy, by design: Trivy drops fields it does not know and zero-valued
//! `omitzero` fields of hand-written input (e.g. `"Layer": {}`); vexgate passes the input
//! through. On reports Trivy wrote, the two agree.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufWriter, Write};

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::decision::{FindingKind, Origin, ReportDecision, ResultDecision, Suppression};
use crate::report::gojson::go_fold_field;
use crate::report::{ScanResult, Vulnerability};

pub(super) fn render(rep: &ReportDecision<'_>, out: &mut dyn Write) -> io::Result<()> {
    let text = rep.file.text.as_str();
    let raw: RawReport<'_> = serde_json::from_str(text).map_err(|e| {
        invalid(format!(
            "{}: cannot re-read the report for --output-report: {e}",
            rep.file.path.display()
        ))
    })?;
    let doc = build(rep, raw)?;
    let mut w = BufWriter::with_capacity(1 << 16, out);
    write_value(&mut w, &doc, 0)?;
    w.write_all(b"\n")?;
    w.flush()
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

// ---------------------------------------------------------------------------------------
// Reading: ordered raw maps, in one pass over the text.

/// A map key, borrowed unless it contains escapes.
#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// The top level: entries in order; `Results` decoded one level further.
struct RawReport<'a>(Vec<(Cow<'a, str>, TopValue<'a>)>);

enum TopValue<'a> {
    Raw(&'a RawValue),
    Results(Vec<RawResult<'a>>),
}

/// One `Results[]` entry; the finding arrays are split into their raw elements.
struct RawResult<'a>(Vec<(Cow<'a, str>, ResultValue<'a>)>);

enum ResultValue<'a> {
    Raw(&'a RawValue),
    Items(Vec<&'a RawValue>),
}

/// A plain object as raw entries (used to rewrite one vulnerability's `Severity`).
struct RawObject<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

const ITEM_KEYS: [&str; 5] = [
    "Vulnerabilities",
    "Misconfigurations",
    "Secrets",
    "Licenses",
    "ExperimentalModifiedFindings",
];

impl<'de> Deserialize<'de> for RawReport<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawReport<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Trivy report object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(Key(k)) = map.next_key()? {
                    let k = go_name(k, crate::report::Report::GO_FIELDS);
                    let v = if k == "Results" {
                        let results: Option<Vec<RawResult<'de>>> = map.next_value()?;
                        TopValue::Results(results.unwrap_or_default())
                    } else {
                        TopValue::Raw(map.next_value()?)
                    };
                    last_wins(&mut entries, k, v);
                }
                Ok(RawReport(entries))
            }
        }
        d.deserialize_map(V)
    }
}

/// A key as the field name it selects in Trivy's struct (Go's matching, see
/// `report::gojson`); a key that selects no field is kept as it is.
fn go_name<'a>(k: Cow<'a, str>, fields: &[&'static str]) -> Cow<'a, str> {
    if fields.contains(&k.as_ref()) {
        return k;
    }
    go_fold_field(&k, fields).map_or(k, Cow::Borrowed)
}

/// Add an entry; a later one for the same field replaces it (Go keeps the last value; an
/// array given twice is merged element by element by Go, replaced here).
fn last_wins<'a, V>(entries: &mut Vec<(Cow<'a, str>, V)>, k: Cow<'a, str>, v: V) {
    match entries.iter().position(|(e, _)| *e == k) {
        Some(at) => entries[at].1 = v,
        None => entries.push((k, v)),
    }
}

impl<'de> Deserialize<'de> for RawResult<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawResult<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Trivy result object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(Key(k)) = map.next_key()? {
                    let k = go_name(k, ScanResult::GO_FIELDS);
                    let v = if ITEM_KEYS.contains(&k.as_ref()) {
                        let items: Option<Vec<&'de RawValue>> = map.next_value()?;
                        ResultValue::Items(items.unwrap_or_default())
                    } else {
                        ResultValue::Raw(map.next_value()?)
                    };
                    last_wins(&mut entries, k, v);
                }
                Ok(RawResult(entries))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(Key(k)) = map.next_key()? {
                    entries.push((k, map.next_value()?));
                }
                Ok(RawObject(entries))
            }
        }
        d.deserialize_map(V)
    }
}

// ---------------------------------------------------------------------------------------
// Building the output tree (small: raw leaves are borrowed).

/// An output value. `Raw` carries the depth it had in the input, so multi-line raw text can
/// be re-indented when written at another depth.
enum Out<'a> {
    Raw {
        raw: &'a RawValue,
        depth: usize,
    },
    Object(Vec<(Cow<'a, str>, Out<'a>)>),
    Array(Vec<Out<'a>>),
    Str(&'a str),
    Int(u64),
    /// JSON text written as it is.
    Literal(&'static str),
}

/// Depths in the input (top-level object = 0) of the values this writer moves around.
const DEPTH_RESULT_VALUE: usize = 3; // Results[i].<key>
const DEPTH_FINDING: usize = 4; // Results[i].Vulnerabilities[j]

fn build<'a>(rep: &'a ReportDecision<'a>, raw: RawReport<'a>) -> io::Result<Out<'a>> {
    let mut top = Vec::with_capacity(raw.0.len());
    for (k, v) in raw.0 {
        match v {
            TopValue::Raw(raw) => top.push((k, Out::Raw { raw, depth: 1 })),
            TopValue::Results(results) => {
                if results.len() != rep.results.len() || results.len() != rep.report.results.len() {
                    return Err(invalid(format!(
                        "{}: the decision has {} results but the report has {}",
                        rep.file.path.display(),
                        rep.results.len(),
                        results.len()
                    )));
                }
                let mut out = Vec::with_capacity(results.len());
                for ((raw_result, d), typed) in results
                    .into_iter()
                    .zip(&rep.results)
                    .zip(&rep.report.results)
                {
                    if let Some(r) = build_result(rep, raw_result, d, typed)? {
                        out.push(r);
                    }
                }
                // `Results` is omitempty in Trivy.
                if !out.is_empty() {
                    top.push((k, Out::Array(out)));
                }
            }
        }
    }
    Ok(Out::Object(top))
}

fn kind_index(k: FindingKind) -> usize {
    match k {
        FindingKind::Vulnerability => 0,
        FindingKind::Misconfiguration => 1,
        FindingKind::Secret => 2,
        FindingKind::License => 3,
    }
}

fn build_result<'a>(
    rep: &'a ReportDecision<'a>,
    raw: RawResult<'a>,
    d: &'a ResultDecision,
    typed: &'a ScanResult<'a>,
) -> io::Result<Option<Out<'a>>> {
    let path = rep.file.path.display();
    // The raw finding arrays, by FindingKind index, plus the pre-existing modified findings.
    let mut arrays: [Vec<&'a RawValue>; 4] = Default::default();
    let mut preexisting: Vec<&'a RawValue> = Vec::new();
    for (k, v) in &raw.0 {
        if let ResultValue::Items(items) = v {
            match k.as_ref() {
                "Vulnerabilities" => arrays[0] = items.clone(),
                "Misconfigurations" => arrays[1] = items.clone(),
                "Secrets" => arrays[2] = items.clone(),
                "Licenses" => arrays[3] = items.clone(),
                _ => preexisting = items.clone(),
            }
        }
    }
    if arrays[0].len() != typed.vulnerabilities.len()
        || arrays[1].len() != typed.misconfigurations.len()
        || arrays[2].len() != typed.secrets.len()
        || arrays[3].len() != typed.licenses.len()
    {
        return Err(invalid(format!(
            "{path}: result {:?} differs between its raw and typed views",
            typed.target
        )));
    }
    let get = |kind: FindingKind, i: usize| -> io::Result<&'a RawValue> {
        arrays[kind_index(kind)].get(i).copied().ok_or_else(|| {
            invalid(format!(
                "{path}: the decision names {} #{i} of result {:?}, which has only {}",
                kind.trivy_type(),
                typed.target,
                arrays[kind_index(kind)].len()
            ))
        })
    };

    // Kept findings.
    let mut vulns = Vec::with_capacity(d.vulnerabilities.len());
    for &i in &d.vulnerabilities {
        let raw = get(FindingKind::Vulnerability, i)?;
        vulns.push(vulnerability(
            raw,
            &typed.vulnerabilities[i],
            DEPTH_FINDING,
        )?);
    }
    let (mut successes, mut failures) = (0u64, 0u64);
    let mut misconfs = Vec::new();
    for &i in &d.misconfigurations {
        let raw = get(FindingKind::Misconfiguration, i)?;
        match typed.misconfigurations[i].status.as_ref() {
            "FAIL" => {
                failures += 1;
                misconfs.push(Out::Raw {
                    raw,
                    depth: DEPTH_FINDING,
                });
            }
            "PASS" => successes += 1,
            _ => {}
        }
    }
    let kept = |kind: FindingKind, idx: &[usize]| -> io::Result<Vec<Out<'a>>> {
        idx.iter()
            .map(|&i| get(kind, i).and_then(|raw| other_finding(kind, raw)))
            .collect()
    };
    let secrets = kept(FindingKind::Secret, &d.secrets)?;
    let licenses = kept(FindingKind::License, &d.licenses)?;

    // Modified findings: the input's own, then ignore-file entries per kind in input order,
    // then VEX entries in Decision order.
    let mut ours: Vec<&'a (FindingKind, usize, Suppression)> = d
        .suppressed
        .iter()
        .filter(|(_, _, s)| s.origin != Origin::Report)
        .collect();
    ours.sort_by_key(|(kind, i, s)| match s.origin {
        Origin::IgnoreFile => (0, kind_index(*kind), *i),
        _ => (1, 0, 0),
    });
    let mut modified: Vec<Out<'a>> = preexisting
        .iter()
        .map(|&raw| Out::Raw {
            raw,
            depth: DEPTH_FINDING,
        })
        .collect();
    for (kind, i, s) in ours {
        let raw = get(*kind, *i)?;
        let finding = if *kind == FindingKind::Vulnerability {
            vulnerability(raw, &typed.vulnerabilities[*i], DEPTH_FINDING)?
        } else {
            other_finding(*kind, raw)?
        };
        modified.push(Out::Object(vec![
            (Cow::Borrowed("Type"), Out::Str(kind.trivy_type())),
            (Cow::Borrowed("Status"), Out::Str(s.status.as_str())),
            (Cow::Borrowed("Statement"), Out::Str(&s.statement)),
            (Cow::Borrowed("Source"), Out::Str(&s.source)),
            (Cow::Borrowed("Finding"), finding),
        ]));
    }

    let summary = (successes > 0 || failures > 0).then(|| {
        Out::Object(vec![
            (Cow::Borrowed("Successes"), Out::Int(successes)),
            (Cow::Borrowed("Failures"), Out::Int(failures)),
        ])
    });
    let has_summary_key = raw.0.iter().any(|(k, _)| k == "MisconfSummary");

    // Emptiness as pkg/report/json.go sees it (Result.IsEmpty), for the empty-Target rule.
    let mut nonempty = !vulns.is_empty()
        || !misconfs.is_empty()
        || !secrets.is_empty()
        || !licenses.is_empty()
        || !modified.is_empty();

    let mut entries = Vec::with_capacity(raw.0.len() + 1);
    let (mut vulns, mut misconfs, mut secrets, mut licenses, mut modified) = (
        Some(vulns),
        Some(misconfs),
        Some(secrets),
        Some(licenses),
        Some(modified),
    );
    let mut summary = summary;
    for (k, v) in raw.0 {
        let slot = match k.as_ref() {
            "Vulnerabilities" => vulns.take(),
            "Misconfigurations" => {
                if !has_summary_key && let Some(s) = summary.take() {
                    entries.push((Cow::Borrowed("MisconfSummary"), s));
                }
                misconfs.take()
            }
            "Secrets" => secrets.take(),
            "Licenses" => licenses.take(),
            "ExperimentalModifiedFindings" => modified.take(),
            "MisconfSummary" => {
                if let Some(s) = summary.take() {
                    entries.push((k, s));
                }
                continue;
            }
            _ => {
                if let ResultValue::Raw(raw) = v {
                    if matches!(k.as_ref(), "Packages" | "CustomResources") && !is_empty_json(raw) {
                        nonempty = true;
                    }
                    entries.push((
                        k,
                        Out::Raw {
                            raw,
                            depth: DEPTH_RESULT_VALUE,
                        },
                    ));
                }
                continue;
            }
        };
        if let Some(items) = slot.filter(|items| !items.is_empty()) {
            entries.push((k, Out::Array(items)));
        }
    }
    // Keys the input did not have: a recomputed summary (before any misconfigurations it
    // would precede) and the modified findings, which are the last field of a Result.
    if let Some(s) = summary {
        entries.push((Cow::Borrowed("MisconfSummary"), s));
    }
    if let Some(items) = modified.filter(|items| !items.is_empty()) {
        entries.push((
            Cow::Borrowed("ExperimentalModifiedFindings"),
            Out::Array(items),
        ));
    }
    if typed.target.is_empty() && !nonempty {
        return Ok(None);
    }
    Ok(Some(Out::Object(entries)))
}

/// Fields of trivy's `DetectedSecret` (pkg/fanal/types/secret.go) and `DetectedLicense`
/// (pkg/types/license.go) that have no `omitempty`: Go writes their zero value when the
/// input lacks them, so they are added (with that zero value) to match Trivy's output.
const SECRET_FIELDS: [(&str, &str); 8] = [
    ("RuleID", "\"\""),
    ("Category", "\"\""),
    ("Severity", "\"\""),
    ("Title", "\"\""),
    ("StartLine", "0"),
    ("EndLine", "0"),
    ("Code", "{\"Lines\": null}"),
    ("Match", "\"\""),
];
const LICENSE_FIELDS: [(&str, &str); 8] = [
    ("Severity", "\"\""),
    ("Category", "\"\""),
    ("PkgName", "\"\""),
    ("FilePath", "\"\""),
    ("Name", "\"\""),
    ("Text", "\"\""),
    ("Confidence", "0"),
    ("Link", "\"\""),
];

/// A misconfiguration, secret or license as it is, with the non-`omitempty` fields Go
/// would add when they are missing (secrets and licenses only; every misconfiguration
/// field is `omitempty`/`omitzero`).
fn other_finding(kind: FindingKind, raw: &RawValue) -> io::Result<Out<'_>> {
    let required: &[(&str, &'static str)] = match kind {
        FindingKind::Secret => &SECRET_FIELDS,
        FindingKind::License => &LICENSE_FIELDS,
        _ => &[],
    };
    let depth = DEPTH_FINDING;
    if required.is_empty() {
        return Ok(Out::Raw { raw, depth });
    }
    let obj: RawObject<'_> = serde_json::from_str(raw.get())
        .map_err(|e| invalid(format!("cannot re-read a {}: {e}", kind.trivy_type())))?;
    let missing: Vec<&(&str, &'static str)> = required
        .iter()
        .filter(|(k, _)| !obj.0.iter().any(|(have, _)| have == k))
        .collect();
    if missing.is_empty() {
        return Ok(Out::Raw { raw, depth });
    }
    let mut entries: Vec<(Cow<'_, str>, Out<'_>)> = obj
        .0
        .into_iter()
        .map(|(k, v)| {
            (
                k,
                Out::Raw {
                    raw: v,
                    depth: depth + 1,
                },
            )
        })
        .collect();
    entries.extend(
        missing
            .into_iter()
            .map(|(k, zero)| (Cow::Borrowed(*k), Out::Literal(zero))),
    );
    Ok(Out::Object(entries))
}

fn is_empty_json(raw: &RawValue) -> bool {
    matches!(raw.get().trim(), "" | "null" | "[]" | "{}")
}

/// One vulnerability as Trivy re-encodes it. A finding written as Trivy writes it (every key
/// a field name, once, no `null`, a status Trivy knows, a severity) is copied as it is. Any
/// other is rebuilt as Trivy's decoder read it (see `report::gojson`): keys by their field
/// names, the last of duplicates, no `null`s, `Severity` and `Status` as the model decoded
/// them (an empty severity is `UNKNOWN`, as `filterVulnerabilities` writes it). Keys Trivy
/// does not know are passed through.
fn vulnerability<'a>(
    raw: &'a RawValue,
    typed: &'a Vulnerability<'a>,
    depth: usize,
) -> io::Result<Out<'a>> {
    let obj: RawObject<'a> = serde_json::from_str(raw.get())
        .map_err(|e| invalid(format!("cannot re-read a vulnerability: {e}")))?;
    let fields = Vulnerability::GO_FIELDS;
    let name = |k: &str| -> Option<&'static str> {
        fields
            .iter()
            .copied()
            .find(|f| *f == k)
            .or_else(|| go_fold_field(k, fields))
    };
    let mut seen = 0u64;
    let mut as_written = !typed.severity.is_empty();
    for (k, v) in &obj.0 {
        let Some(i) = fields.iter().position(|f| *f == k.as_ref()) else {
            as_written &= name(k).is_none();
            continue;
        };
        as_written &= seen & (1 << i) == 0 && v.get() != "null";
        seen |= 1 << i;
        if k == "Status" {
            as_written &= typed.status.is_some();
        }
    }
    if as_written {
        return Ok(Out::Raw { raw, depth });
    }
    let mut entries: Vec<(Cow<'a, str>, Out<'a>)> = Vec::with_capacity(obj.0.len() + 1);
    for (k, v) in obj.0 {
        let out = Out::Raw {
            raw: v,
            depth: depth + 1,
        };
        let Some(field) = name(&k) else {
            entries.push((k, out));
            continue;
        };
        let value = match field {
            "Severity" | "Status" => None,
            _ if v.get() == "null" => None,
            _ => Some(out),
        };
        match entries.iter().position(|(e, _)| e == field) {
            Some(at) => match value {
                Some(value) => entries[at].1 = value,
                None if !matches!(field, "Severity" | "Status") => {
                    entries.remove(at);
                }
                None => {}
            },
            None => match value {
                Some(value) => entries.push((Cow::Borrowed(field), value)),
                None if matches!(field, "Severity" | "Status") => {
                    entries.push((Cow::Borrowed(field), Out::Literal("null")));
                }
                None => {}
            },
        }
    }
    let severity = Out::Str(typed.effective_severity());
    match entries.iter().position(|(e, _)| e == "Severity") {
        Some(at) => entries[at].1 = severity,
        None => entries.push((Cow::Borrowed("Severity"), severity)),
    }
    if let Some(at) = entries.iter().position(|(e, _)| e == "Status") {
        match typed.status {
            Some(s) => entries[at].1 = Out::Str(s.as_str()),
            None => {
                entries.remove(at);
            }
        }
    }
    Ok(Out::Object(entries))
}

// ---------------------------------------------------------------------------------------
// Writing, in the shape of Go's json.MarshalIndent(report, "", "  ").

fn indent(w: &mut impl Write, depth: usize) -> io::Result<()> {
    const SPACES: &[u8] = &[b' '; 64];
    let mut n = depth * 2;
    while n > 0 {
        let k = n.min(SPACES.len());
        w.write_all(&SPACES[..k])?;
        n -= k;
    }
    Ok(())
}

fn write_value(w: &mut impl Write, v: &Out<'_>, depth: usize) -> io::Result<()> {
    match v {
        Out::Raw { raw, depth: from } => write_raw(w, raw.get(), depth.saturating_sub(*from)),
        Out::Str(s) => serde_json::to_writer(&mut *w, s).map_err(io::Error::other),
        Out::Int(n) => write!(w, "{n}"),
        Out::Literal(s) => w.write_all(s.as_bytes()),
        Out::Array(items) => {
            if items.is_empty() {
                return w.write_all(b"[]");
            }
            w.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
                indent(w, depth + 1)?;
                write_value(w, item, depth + 1)?;
            }
            w.write_all(b"\n")?;
            indent(w, depth)?;
            w.write_all(b"]")
        }
        Out::Object(entries) => {
            if entries.is_empty() {
                return w.write_all(b"{}");
            }
            w.write_all(b"{")?;
            for (i, (k, item)) in entries.iter().enumerate() {
                w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
                indent(w, depth + 1)?;
                serde_json::to_writer(&mut *w, k.as_ref()).map_err(io::Error::other)?;
                w.write_all(b": ")?;
                write_value(w, item, depth + 1)?;
            }
            w.write_all(b"\n")?;
            indent(w, depth)?;
            w.write_all(b"}")
        }
    }
}

/// Raw JSON text, re-indented by `shift` levels when it spans lines (a newline in JSON text
/// outside strings is always whitespace; inside strings it is escaped).
fn write_raw(w: &mut impl Write, text: &str, shift: usize) -> io::Result<()> {
    if shift == 0 || !text.contains('\n') {
        return w.write_all(text.as_bytes());
    }
    let mut lines = text.split('\n');
    if let Some(first) = lines.next() {
        w.write_all(first.as_bytes())?;
    }
    for line in lines {
        w.write_all(b"\n")?;
        indent(w, shift)?;
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_reindent_keeps_json_equal() {
        let text = "{\n  \"a\": [\n    1\n  ]\n}";
        let mut out = Vec::new();
        write_raw(&mut out, text, 2).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s, "{\n      \"a\": [\n        1\n      ]\n    }");
        let a: serde_json::Value = serde_json::from_str(text).unwrap();
        let b: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn escaped_keys_survive() {
        let text =
            r#"{"Results":[{"Target":"x","K\u00e9y":1,"Vulnerabilities":null}],"A\"b":{"c":2}}"#;
        let raw: RawReport<'_> = serde_json::from_str(text).unwrap();
        assert_eq!(raw.0[1].0, "A\"b");
        let TopValue::Results(results) = &raw.0[0].1 else {
            panic!("Results not decoded")
        };
        assert_eq!(results[0].0[1].0, "Kéy");
        assert!(matches!(&results[0].0[2].1, ResultValue::Items(v) if v.is_empty()));
    }

    // Trivy 0.76 `convert` writes `"Code": {"Lines": null}` and zero lines for a secret that
    // lacks them (seen in testdata/oracle/convert, checked by the oracle tests of crates/vexgate).
    #[test]
    fn secret_and_license_zero_fields_are_added() {
        let raw: &RawValue =
            serde_json::from_str(r#"{"RuleID":"r","Severity":"HIGH","Extra":1}"#).unwrap();
        let mut buf = Vec::new();
        write_value(
            &mut buf,
            &other_finding(FindingKind::Secret, raw).unwrap(),
            4,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"RuleID":"r","Severity":"HIGH","Extra":1,"Category":"","Title":"",
                "StartLine":0,"EndLine":0,"Code":{"Lines":null},"Match":""})
        );
        let raw: &RawValue = serde_json::from_str(r#"{"Name":"MIT"}"#).unwrap();
        let mut buf = Vec::new();
        write_value(
            &mut buf,
            &other_finding(FindingKind::License, raw).unwrap(),
            4,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["Confidence"], 0);
        assert_eq!(v["Link"], "");
        // Complete findings and misconfigurations pass through untouched.
        let raw: &RawValue = serde_json::from_str(r#"{"ID":"DS001","Layer":{}}"#).unwrap();
        assert!(matches!(
            other_finding(FindingKind::Misconfiguration, raw).unwrap(),
            Out::Raw { .. }
        ));
    }

    #[test]
    fn severity_is_set_when_missing_or_empty() {
        for text in [
            r#"{"VulnerabilityID":"CVE-1"}"#,
            r#"{"VulnerabilityID":"CVE-1","Severity":""}"#,
        ] {
            let v = rewritten(text);
            assert_eq!(v["Severity"], "UNKNOWN");
            assert_eq!(v["VulnerabilityID"], "CVE-1");
        }
    }

    fn rewritten(text: &str) -> serde_json::Value {
        let raw: &RawValue = serde_json::from_str(text).unwrap();
        let typed: crate::report::Vulnerability<'_> = serde_json::from_str(text).unwrap();
        let out = vulnerability(raw, &typed, 4).unwrap();
        let mut buf = Vec::new();
        write_value(&mut buf, &out, 4).unwrap();
        serde_json::from_slice(&buf).unwrap()
    }

    /// A finding is written as Trivy's decoder read it: field names, the last duplicate,
    /// no nulls, a known status or none; unknown keys pass through.
    #[test]
    fn findings_are_written_as_go_decoded_them() {
        let v = rewritten(
            r#"{"vulnerabilityid":"CVE-1","\u017feverity":"LOW","Severity":"HIGH","Title":null,"Status":"Fixed","X":1}"#,
        );
        assert_eq!(
            v,
            serde_json::json!({"VulnerabilityID":"CVE-1","Severity":"HIGH","X":1})
        );
        let v = rewritten(r#"{"VulnerabilityID":"CVE-1","Severity":"HIGH","status":"fixed"}"#);
        assert_eq!(v["Status"], "fixed");
        let text = r#"{"VulnerabilityID":"CVE-1","Severity":"HIGH","Status":"fixed"}"#;
        let raw: &RawValue = serde_json::from_str(text).unwrap();
        let typed: crate::report::Vulnerability<'_> = serde_json::from_str(text).unwrap();
        assert!(matches!(
            vulnerability(raw, &typed, 4).unwrap(),
            Out::Raw { .. }
        ));
    }
}
