//! FIRST's EPSS scores, as published (`epss_scores-YYYY-MM-DD.csv.gz` and
//! `epss_scores-current.csv.gz`, <https://www.first.org/epss/data_stats>): optionally gzip
//! (recognised by its magic bytes, not the file name), a first line
//! `#model_version:v2025.03.14,score_date:2025-03-14T00:00:00+0000`, the header
//! `cve,epss,percentile`, then one row per CVE with the score and percentile in `[0, 1]`.
//! Anything else (no score date, another header, a row that is not a CVE, a score outside
//! `[0, 1]`, no rows at all) is an error naming the file.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use jiff::Timestamp;

use crate::error::{Error, Result};
use std::borrow::Cow;

/// A CVE's score and percentile, both in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpssScore {
    pub score: f64,
    pub percentile: f64,
}

/// The scores of one EPSS file, indexed by CVE ID.
#[derive(Debug, Clone)]
pub struct EpssScores {
    pub model_version: String,
    pub score_date: Timestamp,
    /// The highest score in the file.
    pub max_score: f64,
    /// foldhash's seeded hasher: a score file holds some 300 000 CVEs, and SipHash was a
    /// third of the time it takes to read one.
    scores: HashMap<String, EpssScore, foldhash::quality::RandomState>,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The most a score file may decompress to: 64 MiB, several times FIRST's file (about
/// 300 000 rows, some 10 MB of text), so a gzip bomb fails early.
pub const DECOMPRESSED_MAX: u64 = 64 << 20;

/// The most scores a file may hold: every CVE ever published, several times over.
pub const ROWS_MAX: usize = 2_000_000;

/// `2025-03-14T00:00:00+0000` (FIRST's form), or any RFC 3339 time.
fn parse_time(s: &str) -> Option<Timestamp> {
    s.parse::<Timestamp>().ok().or_else(|| {
        jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%z", s)
            .ok()?
            .to_timestamp()
            .ok()
    })
}

fn unit(s: &str) -> Option<f64> {
    let x: f64 = s.trim().parse().ok()?;
    (x.is_finite() && (0.0..=1.0).contains(&x)).then_some(x)
}

impl EpssScores {
    /// Read and validate a score file (plain or gzip).
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = super::read_bytes(path)?;
        Self::parse(path, &bytes)
    }

    /// Validate score bytes (plain or gzip); `path` names the file in errors.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self> {
        let bad = |what: String| Error::input(path, format!("not an EPSS score file: {what}"));
        let text = if bytes.starts_with(&GZIP_MAGIC) {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(bytes)
                .take(DECOMPRESSED_MAX + 1)
                .read_to_end(&mut out)
                .map_err(|e| bad(format!("gzip: {e}")))?;
            if out.len() as u64 > DECOMPRESSED_MAX {
                return Err(bad(format!(
                    "decompresses to more than {DECOMPRESSED_MAX} bytes"
                )));
            }
            Cow::Owned(String::from_utf8(out).map_err(|_| bad("not UTF-8 text".to_string()))?)
        } else {
            Cow::Borrowed(
                std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8 text".to_string()))?,
            )
        };
        let mut lines = text.lines().enumerate();
        let first = lines.next().map(|(_, l)| l).unwrap_or_default();
        let meta = first.strip_prefix('#').ok_or_else(|| {
            bad("the first line is not #model_version:...,score_date:...".to_string())
        })?;
        let (mut model_version, mut score_date) = (None, None);
        for part in meta.split(',') {
            match part.split_once(':') {
                Some(("model_version", v)) => model_version = Some(v.trim().to_string()),
                Some(("score_date", v)) => score_date = Some(v.trim()),
                _ => {}
            }
        }
        let model_version =
            model_version.ok_or_else(|| bad("no model_version in the first line".to_string()))?;
        let score_date =
            score_date.ok_or_else(|| bad("no score_date in the first line".to_string()))?;
        let score_date = parse_time(score_date)
            .ok_or_else(|| bad(format!("score_date {score_date:?} is not a time")))?;
        match lines.next() {
            Some((_, h)) if h.trim_end() == "cve,epss,percentile" => {}
            _ => {
                return Err(bad(
                    "line 2 is not the header cve,epss,percentile".to_string()
                ));
            }
        }
        let mut scores = HashMap::with_capacity_and_hasher(
            (text.len() / 32).min(ROWS_MAX),
            foldhash::quality::RandomState::default(),
        );
        let mut max_score: f64 = 0.0;
        for (i, line) in lines {
            let line = line.trim_end();
            if line.is_empty() {
                continue;
            }
            let row = || bad(format!("line {}: expected CVE,score,percentile", i + 1));
            // Three fields: memchr, as `str::split(',')` costs a memcmp per comma (a quarter
            // of the time for 300 000 rows).
            let mut commas = memchr::memchr_iter(b',', line.as_bytes());
            let (Some(a), Some(b), None) = (commas.next(), commas.next(), commas.next()) else {
                return Err(row());
            };
            let (cve, score, pct) = (&line[..a], &line[a + 1..b], &line[b + 1..]);
            if !super::is_cve(cve) {
                return Err(row());
            }
            let (Some(score), Some(percentile)) = (unit(score), unit(pct)) else {
                return Err(bad(format!(
                    "line {}: score and percentile must be numbers in [0, 1]",
                    i + 1
                )));
            };
            max_score = max_score.max(score);
            if scores.len() >= ROWS_MAX {
                return Err(bad(format!("more than {ROWS_MAX} scores")));
            }
            scores
                .entry(cve.to_string())
                .or_insert(EpssScore { score, percentile });
        }
        if scores.is_empty() {
            return Err(bad("no scores".to_string()));
        }
        Ok(EpssScores {
            model_version,
            score_date,
            max_score,
            scores,
        })
    }

    pub fn get(&self, cve: &str) -> Option<EpssScore> {
        self.scores.get(cve).copied()
    }

    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/feeds")
            .join(name)
    }

    /// A gzip stream that inflates past the cap is refused before it is all in memory.
    #[test]
    fn gzip_bomb_is_refused() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![b'0'; 1 << 20];
        for _ in 0..=(DECOMPRESSED_MAX >> 20) {
            gz.write_all(&zeros).unwrap();
        }
        let bomb = gz.finish().unwrap();
        assert!(bomb.len() < 1 << 20, "{}", bomb.len());
        let e = EpssScores::parse(Path::new("epss.csv.gz"), &bomb)
            .unwrap_err()
            .to_string();
        assert!(e.contains("decompresses to more than"), "{e}");
    }

    /// The plain and gzip fixtures hold the same scores, and every row of the text is read.
    #[test]
    fn plain_and_gzip_read_alike() {
        let plain = EpssScores::read(&fixture("epss.csv")).unwrap();
        let gz = EpssScores::read(&fixture("epss.csv.gz")).unwrap();
        assert_eq!(plain.model_version, gz.model_version);
        assert_eq!(plain.score_date, gz.score_date);
        let text = std::fs::read_to_string(fixture("epss.csv")).unwrap();
        let first = text.lines().next().unwrap();
        assert!(first.contains(&plain.model_version));
        let rows: Vec<&str> = text.lines().skip(2).filter(|l| !l.is_empty()).collect();
        assert_eq!(plain.len(), rows.len());
        for r in rows {
            let f: Vec<&str> = r.split(',').collect();
            let s = plain.get(f[0]).unwrap();
            assert_eq!(s.score, f[1].parse::<f64>().unwrap());
            assert_eq!(s.percentile, f[2].parse::<f64>().unwrap());
            assert_eq!(gz.get(f[0]), Some(s));
        }
    }

    #[test]
    fn first_score_date_form() {
        let t = parse_time("2025-03-14T00:00:00+0000").unwrap();
        assert_eq!(t, "2025-03-14T00:00:00Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn refuses_malformed_files() {
        let p = Path::new("epss.csv");
        let head = "#model_version:v2025.03.14,score_date:2025-03-14T00:00:00+0000\n";
        let cases = [
            (
                "cve,epss,percentile\nCVE-2021-44228,0.9,0.9\n".to_string(),
                "first line",
            ),
            (format!("{head}cve,score\n"), "header"),
            (format!("{head}cve,epss,percentile\n"), "no scores"),
            (
                format!("{head}cve,epss,percentile\nCVE-2021-44228,1.5,0.9\n"),
                "[0, 1]",
            ),
            (
                format!("{head}cve,epss,percentile\nCVE-2021-44228,NaN,0.9\n"),
                "[0, 1]",
            ),
            (
                format!("{head}cve,epss,percentile\nfoo,0.5,0.9\n"),
                "line 3",
            ),
            (
                "#model_version:v1,score_date:yesterday\ncve,epss,percentile\n".to_string(),
                "score_date",
            ),
        ];
        for (text, want) in cases {
            let e = EpssScores::parse(p, text.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("epss.csv: not an EPSS score file"), "{e}");
            assert!(e.contains(want), "{want}: {e}");
        }
        // A gzip stream cut short is refused too.
        let gz = std::fs::read(fixture("epss.csv.gz")).unwrap();
        let e = EpssScores::parse(p, &gz[..gz.len() / 2])
            .unwrap_err()
            .to_string();
        assert!(e.contains("gzip"), "{e}");
    }
}
