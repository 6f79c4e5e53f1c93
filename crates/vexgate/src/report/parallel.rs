//! Parse a large report on several threads, one run of `Results[]` elements per thread.
//!
//! serde_json parses one document on one thread at roughly 700 MB/s; a 100 MB report is
//! then most of the gate's time. The `Results` array is where the bytes are (one element
//! per OS, lock file or jar), so this parser walks the top-level object itself, picks split
//! points inside `Results` near equal byte offsets, and deserializes each run of elements
//! with the derived model on its own thread.
//!
//! Split points are guesses: an object whose first key is `"Target"` (Trivy writes it
//! first), preceded by a comma. A guess is never trusted. Each run must parse as complete
//! elements, each followed by a comma, ending exactly where the next run starts, and the
//! first run starts at the real array start. By induction every split point is then a real
//! element boundary, so the result is exactly what the sequential parse gives. Anything
//! unexpected (a failed guess, a syntax error, a duplicate key) returns `None`, and the
//! caller parses sequentially, which also produces the precise error message.
//!
//! `tests::agrees_with_sequential_parse` keeps the two paths equal on every fixture.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::model::{Metadata, Report, ScanResult, TrivyInfo};

// The module docs speak of `Results`; `Cursor::array` and `walk_object` are also used by
// the Trivy-schema writer (render::trivy_report) to re-read the raw document.

/// Documents smaller than this are parsed on one thread.
pub const PARALLEL_MIN: usize = 4 << 20;

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
            "Results" if once(8) => report.results = p.array::<ScanResult<'_>>(threads)?,
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

/// Walk the document's top-level object: `field(key, cursor)` is called for each member
/// with the cursor on its value, and must consume exactly that value. `None` when the
/// document is not one object followed by whitespace, or when `field` gives up.
pub fn walk_object<'a>(
    text: &'a str,
    mut field: impl FnMut(Cow<'a, str>, &mut Cursor<'a>) -> Option<()>,
) -> Option<()> {
    let mut p = Cursor { text, pos: 0 };
    p.ws();
    p.expect(b'{')?;
    p.ws();
    if p.peek() == Some(b'}') {
        p.pos += 1;
    } else {
        loop {
            p.ws();
            let key: Borrowed<'a> = p.value()?;
            p.ws();
            p.expect(b':')?;
            p.ws();
            field(key.0, &mut p)?;
            p.ws();
            match p.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
    }
    p.ws();
    (p.pos == text.len()).then_some(())
}

impl<'a> Cursor<'a> {
    /// The array at the cursor, its elements deserialized on up to `threads` threads (one
    /// run of elements each, split at guessed `Results[]` element starts; see the module
    /// docs). Leaves the cursor after the `]`.
    pub fn array<T: Deserialize<'a> + Send>(&mut self, threads: usize) -> Option<Vec<T>> {
        let text = self.text;
        self.ws();
        self.expect(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Some(Vec::new());
        }
        let bounds = split_points(text.as_bytes(), self.pos, threads);
        let (&tail_start, _) = bounds.split_last()?;
        let (closed, last) = std::thread::scope(|s| {
            // Runs 1.. on new threads, run 0 here: `threads` threads in all.
            let handles: Vec<_> = bounds
                .windows(2)
                .skip(1)
                .map(|w| {
                    let (start, end) = (w[0], w[1]);
                    s.spawn(move || closed_run::<T>(text, start, end))
                })
                .collect();
            let tail = (bounds.len() > 1).then(|| s.spawn(move || last_run::<T>(text, tail_start)));
            let mut closed = Vec::with_capacity(bounds.len());
            let last = match tail {
                Some(tail) => {
                    closed.push(closed_run::<T>(text, bounds[0], bounds[1]));
                    closed.extend(handles.into_iter().map(|h| h.join().ok().flatten()));
                    tail.join().ok().flatten()
                }
                None => last_run::<T>(text, tail_start),
            };
            (closed, last)
        });
        let (last, end) = last?;
        let mut out =
            Vec::with_capacity(closed.iter().flatten().map(Vec::len).sum::<usize>() + last.len());
        for run in closed {
            out.extend(run?);
        }
        out.extend(last);
        self.pos = end;
        Some(out)
    }
}

/// Elements in `[start, end)`: each followed by a comma, the last comma's trailing
/// whitespace ending exactly at `end`.
fn closed_run<'a, T: Deserialize<'a>>(text: &'a str, start: usize, end: usize) -> Option<Vec<T>> {
    let mut p = Cursor { text, pos: start };
    let mut out = Vec::new();
    loop {
        out.push(p.value_until(end)?);
        p.ws_until(end);
        if p.pos >= end || text.as_bytes()[p.pos] != b',' {
            return None;
        }
        p.pos += 1;
        p.ws_until(end);
        if p.pos == end {
            return Some(out);
        }
    }
}

/// Elements from `start` up to and including the array's closing `]`, and the offset
/// after it.
fn last_run<'a, T: Deserialize<'a>>(text: &'a str, start: usize) -> Option<(Vec<T>, usize)> {
    let mut p = Cursor { text, pos: start };
    let mut out = Vec::new();
    loop {
        out.push(p.value()?);
        p.ws();
        match p.next()? {
            b',' => p.ws(),
            b']' => return Some((out, p.pos)),
            _ => return None,
        }
    }
}

/// The first element's offset, then up to `threads - 1` guessed element starts near equal
/// byte offsets of the rest of the document, strictly increasing.
fn split_points(bytes: &[u8], first: usize, threads: usize) -> Vec<usize> {
    let mut out = vec![first];
    let span = bytes.len() - first;
    let finder = memchr::memmem::Finder::new(b"\"Target\"");
    for k in 1..threads {
        let from = (first + span / threads * k).max(*out.last().unwrap_or(&first) + 1);
        if from >= bytes.len() {
            break;
        }
        let mut at = from;
        let found = loop {
            let Some(off) = finder.find(&bytes[at..]) else {
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

/// `, {  "Target"` with the cursor on the quote: the offset of the `{`.
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

/// A position in a document being walked.
pub struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
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
        self.ws_until(self.text.len());
    }

    fn ws_until(&mut self, end: usize) {
        let bytes = self.text.as_bytes();
        while self.pos < end && is_ws(bytes[self.pos]) {
            self.pos += 1;
        }
    }

    /// One JSON value of type `T` at the cursor (after optional whitespace).
    pub fn value<T: Deserialize<'a>>(&mut self) -> Option<T> {
        self.value_until(self.text.len())
    }

    /// One JSON value of type `T` at the cursor, ending at or before `end`.
    fn value_until<T: Deserialize<'a>>(&mut self, end: usize) -> Option<T> {
        let slice = self.text.get(self.pos..end)?;
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
                    if split_points(text.as_bytes(), start, threads).len() > 1 {
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

    /// A `"Target"` key that is not a Result's is a false split point: the run before it
    /// cannot end there, so the parse gives up and the caller parses sequentially.
    #[test]
    fn false_split_point_falls_back() {
        let pad = "x".repeat(4000);
        let text = format!(
            r#"{{"SchemaVersion":2,"Results":[{{"Target":"a","Description":"{pad}","Secrets":[{{"RuleID":"r"}},{{"Target":"fake"}}]}}]}}"#
        );
        assert_eq!(split_points(text.as_bytes(), 29, 2).len(), 2);
        assert!(parse_report(&text, 2).is_none());
        let seq: Report<'_> = serde_json::from_str(&text).unwrap();
        assert_eq!(seq.results.len(), 1);
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
