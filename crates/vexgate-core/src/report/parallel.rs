//! Parse a large report on several threads, one run of array elements per thread.
//!
//! serde_json parses one document on one thread at roughly 700 MB/s; a 100 MB report is
//! then most of the gate's time. Nearly all of a report's bytes are in `Results[]` and, in
//! each Result, in `Vulnerabilities[]`. This parser walks the objects above those arrays
//! itself, cuts each array into runs of elements near equal byte offsets, and deserializes
//! each run with the derived model on its own thread. `Results` is split first; a run that
//! gets several threads (one huge Result, the common case for an OS image) splits that
//! Result's `Vulnerabilities` in turn.
//!
//! Cut points are guesses: an object whose first key is the array's usual first key
//! (`"Target"`, `"VulnerabilityID"`: Trivy writes them first), preceded by a comma, before
//! the array's probable end (the next `]` at the array's own indentation when the report is
//! pretty-printed, as Trivy writes it). A guess is never trusted. Each run must parse as
//! complete elements, each followed by a comma, ending exactly where the next run starts,
//! and the first run starts at the real first element. By induction every cut is then a
//! real element boundary, so the result is exactly what the sequential parse gives. When a
//! run fails, the array is parsed again on one thread; anything else unexpected (a syntax
//! error, a duplicate key) returns `None`, and the caller parses the whole document
//! sequentially, which also produces the precise error message.
//!
//! The fields of [`Report`] and [`ScanResult`] are filled by hand here:
//! `tests::agrees_with_sequential_parse` keeps this equal to the derived parse on every
//! report in testdata, pretty and compacted, on 2 to 5 threads.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::model::{
    License, Metadata, Misconfiguration, ModifiedFinding, Package, Report, ScanResult, Secret,
    TrivyInfo, Vulnerability,
};

/// Documents smaller than this are parsed on one thread.
pub const PARALLEL_MIN: usize = 4 << 20;

/// Arrays spanning fewer bytes than this are not split (in unit tests every array is, so
/// that the small fixtures exercise the cuts).
const SPLIT_MIN: usize = if cfg!(test) { 1 } else { 256 << 10 };

/// Whether a document of this size is worth parsing on `threads` threads.
pub fn worth_it(text: &str, threads: usize) -> bool {
    threads >= 2 && text.len() >= PARALLEL_MIN
}

/// Parse `text` with up to `threads` threads. `None`: use the sequential parser.
pub fn parse(text: &str, threads: usize) -> Option<Report<'_>> {
    if !worth_it(text, threads) {
        return None;
    }
    parse_report(text, threads)
}

fn parse_report(text: &str, threads: usize) -> Option<Report<'_>> {
    let mut report = Report::default();
    let mut seen = [false; 9];
    let mut once = |i: usize| !std::mem::replace(&mut seen[i], true);
    walk_object(text, |key, p| {
        match key.as_ref() {
            "SchemaVersion" if once(0) => report.schema_version = p.value()?,
            "Trivy" if once(1) => report.trivy = p.value::<Option<TrivyInfo<'_>>>()?,
            "ReportID" if once(2) => report.report_id = p.value::<OptBorrowed<'_>>()?.0,
            "CreatedAt" if once(3) => report.created_at = p.value::<OptBorrowed<'_>>()?.0,
            "ArtifactID" if once(4) => report.artifact_id = p.value::<OptBorrowed<'_>>()?.0,
            "ArtifactName" if once(5) => report.artifact_name = p.value::<Borrowed<'_>>()?.0,
            "ArtifactType" if once(6) => report.artifact_type = p.value::<Borrowed<'_>>()?.0,
            "Metadata" if once(7) => report.metadata = p.value::<Metadata<'_>>()?,
            "Results" if once(8) => {
                report.results = p.array(threads, RESULTS, &|c, t| scan_result(c, t))?;
            }
            // A duplicate field: serde's derive rejects it, so the sequential parse reports it.
            "SchemaVersion" | "Trivy" | "ReportID" | "CreatedAt" | "ArtifactID"
            | "ArtifactName" | "ArtifactType" | "Metadata" | "Results" => return None,
            _ => {
                p.value::<IgnoredAny>()?;
            }
        }
        Some(())
    })?;
    Some(report)
}

/// How to cut one kind of array.
#[derive(Clone, Copy)]
pub struct Split {
    /// The key Trivy writes first in each element, quoted.
    first_key: &'static [u8],
    /// Whether the array may end anywhere before the end of the document (nested): then
    /// a compact document, whose arrays cannot be bounded by indentation, is not split.
    nested: bool,
}

pub const RESULTS: Split = Split {
    first_key: b"\"Target\"",
    nested: false,
};

const VULNERABILITIES: Split = Split {
    first_key: b"\"VulnerabilityID\"",
    nested: true,
};

/// One `Results[]` element; its `Vulnerabilities` are split when it has `threads >= 2`.
fn scan_result<'a>(p: &mut Cursor<'a>, threads: usize) -> Option<ScanResult<'a>> {
    if threads < 2 {
        return p.value();
    }
    let mut r = ScanResult::default();
    let mut seen = [false; 11];
    let mut once = |i: usize| !std::mem::replace(&mut seen[i], true);
    p.object(|key, p| {
        match key.as_ref() {
            "Target" if once(0) => r.target = p.value::<Borrowed<'_>>()?.0,
            "Class" if once(1) => r.class = p.value::<Borrowed<'_>>()?.0,
            "Type" if once(2) => r.kind = p.value::<Borrowed<'_>>()?.0,
            "Packages" if once(3) => r.packages = p.value::<Option<Vec<Package<'_>>>>()?,
            "Vulnerabilities" if once(4) => {
                r.vulnerabilities = p.array(threads, VULNERABILITIES, &|c, _| {
                    c.value::<Vulnerability<'_>>()
                })?;
            }
            "MisconfSummary" if once(5) => r.misconf_summary = p.value::<Option<&RawValue>>()?,
            "Misconfigurations" if once(6) => {
                r.misconfigurations = p.value::<Vec<Misconfiguration<'_>>>()?;
            }
            "Secrets" if once(7) => r.secrets = p.value::<Vec<Secret<'_>>>()?,
            "Licenses" if once(8) => r.licenses = p.value::<Vec<License<'_>>>()?,
            "CustomResources" if once(9) => r.custom_resources = p.value::<Option<&RawValue>>()?,
            "ExperimentalModifiedFindings" if once(10) => {
                r.modified_findings = p.value::<Vec<ModifiedFinding<'_>>>()?;
            }
            "Target"
            | "Class"
            | "Type"
            | "Packages"
            | "Vulnerabilities"
            | "MisconfSummary"
            | "Misconfigurations"
            | "Secrets"
            | "Licenses"
            | "CustomResources"
            | "ExperimentalModifiedFindings" => return None,
            _ => {
                p.value::<IgnoredAny>()?;
            }
        }
        Some(())
    })?;
    Some(r)
}

/// Walk the document's top-level object (see [`Cursor::object`]); `None` unless the
/// document is that one object followed by whitespace.
pub fn walk_object<'a>(
    text: &'a str,
    field: impl FnMut(Cow<'a, str>, &mut Cursor<'a>) -> Option<()>,
) -> Option<()> {
    let mut p = Cursor {
        text,
        pos: 0,
        limit: text.len(),
    };
    p.object(field)?;
    p.ws();
    (p.pos == text.len()).then_some(())
}

/// An element parser: the cursor is on the element; `usize` is its thread budget.
type Elem<'f, 'a, T> = dyn Fn(&mut Cursor<'a>, usize) -> Option<T> + Sync + 'f;

impl<'a> Cursor<'a> {
    /// The object at the cursor: `field(key, cursor)` is called for each member with the
    /// cursor on its value, and must consume exactly that value. Leaves the cursor after
    /// the `}`.
    pub fn object(
        &mut self,
        mut field: impl FnMut(Cow<'a, str>, &mut Cursor<'a>) -> Option<()>,
    ) -> Option<()> {
        self.ws();
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.ws();
            let key: Borrowed<'a> = self.value()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            field(key.0, self)?;
            self.ws();
            match self.next()? {
                b',' => continue,
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// The array at the cursor, its elements parsed by `elem` in runs on up to `threads`
    /// threads (see the module docs). Leaves the cursor after the `]`.
    pub fn array<T: Send>(
        &mut self,
        threads: usize,
        split: Split,
        elem: &Elem<'_, 'a, T>,
    ) -> Option<Vec<T>> {
        let text = self.text;
        let limit = self.limit;
        self.ws();
        let open = self.pos;
        self.expect(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Some(Vec::new());
        }
        let first = self.pos;
        let bounds = match self.probable_end(open, split) {
            Some(end) if threads >= 2 && end.saturating_sub(first) >= SPLIT_MIN => {
                split_points(text.as_bytes(), first, end, threads, split.first_key)
            }
            _ => vec![first],
        };
        if bounds.len() == 1 {
            let (v, end) = run(text, first, limit, None, elem, threads)?;
            self.pos = end;
            return Some(v);
        }
        let each = (threads / bounds.len()).max(1);
        let (&tail_start, _) = bounds.split_last()?;
        let (closed, last) = std::thread::scope(|s| {
            // Runs 1.. on new threads, run 0 here.
            let handles: Vec<_> = bounds
                .windows(2)
                .skip(1)
                .map(|w| {
                    let (start, end) = (w[0], w[1]);
                    s.spawn(move || run(text, start, limit, Some(end), elem, each))
                })
                .collect();
            let tail = s.spawn(move || run(text, tail_start, limit, None, elem, each));
            let mut closed = vec![run(text, bounds[0], limit, Some(bounds[1]), elem, each)];
            closed.extend(handles.into_iter().map(|h| h.join().ok().flatten()));
            (closed, tail.join().ok().flatten())
        });
        let runs: Option<Vec<Vec<T>>> = closed
            .into_iter()
            .map(|r| r.map(|(elements, _)| elements))
            .collect();
        let (out, end) = match (runs, last) {
            (Some(runs), Some((last, end))) => {
                let mut out =
                    Vec::with_capacity(runs.iter().map(Vec::len).sum::<usize>() + last.len());
                for run in runs {
                    out.extend(run);
                }
                out.extend(last);
                (out, end)
            }
            // A cut was not an element boundary: parse the array on this thread.
            _ => run(text, first, limit, None, elem, 1)?,
        };
        self.pos = end;
        Some(out)
    }

    /// Where the array opened at `open` probably ends. A top-level array (`Results`, last
    /// in Trivy's reports) runs to the limit. A nested one, in pretty-printed JSON, ends at
    /// the next `]` that starts a line at the indentation of the line that opened it; in
    /// compact JSON its end is unknown (`None`: not split).
    fn probable_end(&self, open: usize, split: Split) -> Option<usize> {
        if !split.nested {
            return Some(self.limit);
        }
        let bytes = self.text.as_bytes();
        let line = bytes[..open].iter().rposition(|&b| b == b'\n')?;
        let indent = &bytes[line + 1..open];
        let indent = &indent[..indent
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count()];
        // Every `]` of a pretty-printed document starts its line, so this visits each
        // closing bracket once (memchr), not each line.
        memchr::memchr_iter(b']', &bytes[open..self.limit])
            .map(|at| open + at)
            .find(|&at| {
                at > indent.len()
                    && bytes[at - indent.len()..at] == *indent
                    && bytes[at - indent.len() - 1] == b'\n'
            })
    }
}

/// One run of elements from `start`. With `Some(cut)`, the run is closed: each element is
/// followed by a comma, and the whitespace after the last comma ends exactly at `cut` (the
/// next run's start). With `None`, it runs up to and including the array's `]`, before
/// `limit`. Returns the elements and the offset after the run.
fn run<'a, T>(
    text: &'a str,
    start: usize,
    limit: usize,
    cut: Option<usize>,
    elem: &Elem<'_, 'a, T>,
    threads: usize,
) -> Option<(Vec<T>, usize)> {
    let mut p = Cursor {
        text,
        pos: start,
        limit: cut.unwrap_or(limit),
    };
    let mut out = Vec::new();
    loop {
        p.ws();
        out.push(elem(&mut p, threads)?);
        p.ws();
        match (p.next()?, cut) {
            (b',', Some(cut)) => {
                p.ws();
                if p.pos == cut {
                    return Some((out, cut));
                }
            }
            (b',', None) => {}
            (b']', None) => return Some((out, p.pos)),
            _ => return None,
        }
    }
}

/// The first element's offset, then up to `threads - 1` guessed element starts near equal
/// byte offsets of `[first, end)`, strictly increasing.
fn split_points(bytes: &[u8], first: usize, end: usize, threads: usize, key: &[u8]) -> Vec<usize> {
    let mut out = vec![first];
    let span = end.saturating_sub(first);
    let finder = memchr::memmem::Finder::new(key);
    for k in 1..threads {
        let from = (first + span / threads * k).max(*out.last().unwrap_or(&first) + 1);
        if from >= end {
            break;
        }
        let mut at = from;
        let found = loop {
            let Some(off) = finder.find(&bytes[at..end]) else {
                break None;
            };
            let quote = at + off;
            if let Some(open) = element_start(bytes, quote)
                && open >= from
            {
                break Some(open);
            }
            at = quote + 1;
        };
        match found {
            Some(open) => out.push(open),
            None => break,
        }
    }
    out
}

/// `, {  "Key"` with the cursor on the quote: the offset of the `{`.
fn element_start(bytes: &[u8], quote: usize) -> Option<usize> {
    let open = skip_ws_back(bytes, quote)?;
    if bytes[open] != b'{' {
        return None;
    }
    let comma = skip_ws_back(bytes, open)?;
    (bytes[comma] == b',').then_some(open)
}

/// The offset of the last non-whitespace byte before `at`.
fn skip_ws_back(bytes: &[u8], at: usize) -> Option<usize> {
    bytes[..at].iter().rposition(|b| !is_ws(*b))
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// A `Cow` that borrows from the document when it can, as `#[serde(borrow)]` fields do.
#[derive(Deserialize)]
struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);

#[derive(Deserialize)]
struct OptBorrowed<'a>(#[serde(borrow)] Option<Cow<'a, str>>);

/// A position in a document being walked; nothing is read at or past `limit`.
pub struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    limit: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        if self.pos >= self.limit {
            return None;
        }
        self.text.as_bytes().get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn expect(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    fn ws(&mut self) {
        let bytes = self.text.as_bytes();
        while self.pos < self.limit && is_ws(bytes[self.pos]) {
            self.pos += 1;
        }
    }

    /// One JSON value of type `T` at the cursor (after optional whitespace), ending before
    /// the limit.
    pub fn value<T: Deserialize<'a>>(&mut self) -> Option<T> {
        let slice = self.text.get(self.pos..self.limit)?;
        let mut stream = serde_json::Deserializer::from_str(slice).into_iter::<T>();
        let v = stream.next()?.ok()?;
        self.pos += stream.byte_offset();
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn sequential(text: &str) -> String {
        let r: Report<'_> = serde_json::from_str(text).unwrap();
        format!("{r:#?}")
    }

    fn reports() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
        let mut out = Vec::new();
        let mut stack = vec![
            root.join("upstream/trivy"),
            root.join("oracle"),
            root.join("e2e"),
        ];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.to_string_lossy().ends_with(".json")
                    || path.to_string_lossy().ends_with(".golden")
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    if text.contains("\"SchemaVersion\"") && text.contains("\"Results\"") {
                        out.push(path);
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// Every real report, pretty as Trivy wrote it and compacted, on 2 to 5 threads: the
    /// parallel parse succeeds and gives exactly the sequential model.
    #[test]
    fn agrees_with_sequential_parse() {
        let files = reports();
        assert!(files.len() >= 40, "found only {} reports", files.len());
        let mut split = 0;
        for path in &files {
            let pretty = std::fs::read_to_string(path).unwrap();
            let value: serde_json::Value = serde_json::from_str(&pretty).unwrap();
            let compact = serde_json::to_string(&value).unwrap();
            for text in [&pretty, &compact] {
                let want = sequential(text);
                for threads in 2..=5 {
                    let start = text.find("\"Results\"").unwrap();
                    let cuts =
                        split_points(text.as_bytes(), start, text.len(), threads, b"\"Target\"");
                    if cuts.len() > 1 {
                        split += 1;
                    }
                    let got = parse_report(text, threads)
                        .unwrap_or_else(|| panic!("{}: parallel parse failed", path.display()));
                    assert_eq!(format!("{got:#?}"), want, "{}", path.display());
                }
            }
        }
        assert!(
            split > 50,
            "the fixtures exercised splitting only {split} times"
        );
    }

    /// A `"Target"` key that is not a Result's is a false cut: the run before it cannot end
    /// there, so the array is parsed again on one thread, with the sequential answer.
    #[test]
    fn false_cut_falls_back_to_one_thread() {
        let pad = "x".repeat(4000);
        let text = format!(
            r#"{{"SchemaVersion":2,"Results":[{{"Target":"a","Description":"{pad}","Secrets":[{{"RuleID":"r"}},{{"Target":"fake"}}]}}]}}"#
        );
        let first = text.find("[{").unwrap() + 1;
        let cuts = split_points(text.as_bytes(), first, text.len(), 2, b"\"Target\"");
        assert_eq!(cuts.len(), 2, "the fake Target is taken as a cut");
        let got = parse_report(&text, 2).expect("falls back within the array");
        assert_eq!(format!("{got:#?}"), sequential(&text));
        assert_eq!(got.results.len(), 1);
    }

    /// A top-level array runs to the limit; a pretty-printed nested one ends at the `]`
    /// on a line of its own indentation; a compact nested one is not bounded (not split).
    #[test]
    fn probable_end_of_arrays() {
        let text = "{\n  \"Results\": [\n    {\n      \"V\": [\n        {\"a\": [\n          1\n        ]}\n      ]\n    }\n  ]\n}";
        let p = Cursor {
            text,
            pos: 0,
            limit: text.len(),
        };
        let results = text.find('[').unwrap();
        let v = text.find("\"V\": [").unwrap() + 5;
        let nested = Split {
            first_key: b"\"a\"",
            nested: true,
        };
        assert_eq!(p.probable_end(results, RESULTS), Some(text.len()));
        let end = p.probable_end(v, nested).unwrap();
        assert_eq!(&text[end - 7..=end], "\n      ]");
        let compact = r#"{"Results":[{"V":[{"a":1}]}]}"#;
        let p = Cursor {
            text: compact,
            pos: 0,
            limit: compact.len(),
        };
        assert_eq!(p.probable_end(11, RESULTS), Some(compact.len()));
        assert_eq!(p.probable_end(17, nested), None);
    }

    /// Inputs the sequential parser rejects are never accepted here.
    #[test]
    fn bad_documents_fall_back() {
        let good = r#"{"SchemaVersion":2,"Results":[{"Target":"a"},{"Target":"b"}]}"#;
        assert!(parse_report(good, 2).is_some());
        for bad in [
            r#"{"SchemaVersion":2,"Results":[{"Target":"a"},{"Target":"b"}]"#,
            r#"{"SchemaVersion":2,"Results":[{"Target":"a"},{"Target":"b"}]} x"#,
            r#"{"SchemaVersion":2,"Results":[{"Target":"a"},{"Target":"b"},]}"#,
            r#"{"SchemaVersion":2,"Results":[{"Target":"a"},{"Target":"b"}],"Results":[]}"#,
            r#"{"SchemaVersion":2,"SchemaVersion":2,"Results":[]}"#,
            r#"{"SchemaVersion":2,"Results":[{"Target":"a"} {"Target":"b"}]}"#,
            r#"{"SchemaVersion":2,"Results":[{"Target":"a"},{"Target":7}]}"#,
            r#"{"SchemaVersion":2,,"Results":[]}"#,
            r#"{"SchemaVersion":2,}"#,
        ] {
            assert!(parse_report(bad, 2).is_none(), "{bad}");
            assert!(serde_json::from_str::<Report<'_>>(bad).is_err(), "{bad}");
        }
    }
}
