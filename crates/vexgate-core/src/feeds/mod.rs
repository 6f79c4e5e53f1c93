//! Exploitation feeds joined to the findings: the CISA Known Exploited Vulnerabilities
//! catalog ([`kev`]) and FIRST's EPSS scores ([`epss`]), each read from the file exactly as
//! its publisher serves it, bounded like every other input, and validated into typed values
//! (dates as jiff types, scores as `f64` in `[0, 1]`). A bad feed is one line naming the
//! file (exit 2).
//!
//! A finding matches a feed on its `VulnerabilityID` when that is a CVE, else on the first
//! CVE among its `VendorIDs` ([`cve_of`]); a finding with no CVE has no KEV entry and no
//! EPSS score.

pub mod epss;
pub mod kev;

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};

use crate::error::{Error, Result};
use crate::report::Vulnerability;
use crate::report::text::NON_REGULAR_MAX;

pub use epss::{EpssScore, EpssScores};
pub use kev::{KevCatalog, KevEntry, Ransomware};

/// Test hook (only with the `test-hooks` cargo feature, which release builds never enable):
/// an RFC 3339 time used instead of the clock when measuring a feed's age.
#[cfg(feature = "test-hooks")]
pub const NOW_ENV: &str = "VEXGATE_TEST_FEEDS_NOW";

/// The clock a feed's age is measured against: always the real clock, never
/// `SOURCE_DATE_EPOCH` (a reproducible build sets that to the commit time, which would make
/// every feed look fresh or from the future).
pub fn now() -> Timestamp {
    #[cfg(feature = "test-hooks")]
    if let Some(t) = std::env::var(NOW_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<Timestamp>().ok())
    {
        return t;
    }
    Timestamp::now()
}

/// The default `--feed-max-age`: seven days.
pub const DEFAULT_MAX_AGE: SignedDuration = SignedDuration::from_hours(7 * 24);

/// Is `s` a CVE ID (`CVE-YYYY-NNNN`, four or more digits in the sequence)?
pub fn is_cve(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, seq)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && seq.len() >= 4
        && seq.len() <= 19
        && seq.bytes().all(|b| b.is_ascii_digit())
}

/// The CVE a finding is looked up by: its `VulnerabilityID` when that is a CVE, else the
/// first CVE among its `VendorIDs` (reports name GHSA, RUSTSEC, DSA or TEMP IDs as the ID
/// and carry vendor IDs there), else none.
pub fn cve_of<'a>(v: &'a Vulnerability<'_>) -> Option<Cow<'a, str>> {
    if is_cve(&v.vulnerability_id) {
        return Some(Cow::Borrowed(&v.vulnerability_id));
    }
    v.vendor_ids?;
    v.vendor_ids()
        .into_iter()
        .find(|s| is_cve(s))
        .map(Cow::Owned)
}

/// Read a feed file's bytes with the same bounds as a report: a regular file up to the size
/// it had when opened, anything else up to [`NON_REGULAR_MAX`].
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::input(path, "is a directory, not a feed file"));
    }
    let limit = if meta.is_file() && meta.len() > 0 {
        meta.len()
    } else {
        NON_REGULAR_MAX
    };
    let mut buf = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, e))?;
    if buf.len() as u64 > limit {
        return Err(Error::input(
            path,
            format!("larger than {limit} bytes; not read"),
        ));
    }
    if buf.is_empty() {
        return Err(Error::input(path, "is empty"));
    }
    Ok(buf)
}

/// The feeds given to one gate run, loaded and validated.
#[derive(Debug, Default)]
pub struct Feeds {
    pub kev: Option<(PathBuf, KevCatalog)>,
    pub epss: Option<(PathBuf, EpssScores)>,
}

impl Feeds {
    /// Read the feeds that are named.
    pub fn read(kev: Option<&Path>, epss: Option<&Path>) -> Result<Self> {
        Ok(Feeds {
            kev: kev
                .map(|p| KevCatalog::read(p).map(|c| (p.to_path_buf(), c)))
                .transpose()?,
            epss: epss
                .map(|p| EpssScores::read(p).map(|c| (p.to_path_buf(), c)))
                .transpose()?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.kev.is_none() && self.epss.is_none()
    }

    /// The KEV entry and EPSS score of `cve`.
    pub fn lookup(&self, cve: &str) -> (Option<&KevEntry>, Option<EpssScore>) {
        (
            self.kev.as_ref().and_then(|(_, c)| c.get(cve)),
            self.epss.as_ref().and_then(|(_, s)| s.get(cve)),
        )
    }
}

/// Which feed a downloaded file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    Kev,
    Epss,
}

impl FeedKind {
    pub const fn label(self) -> &'static str {
        match self {
            FeedKind::Kev => "KEV catalog",
            FeedKind::Epss => "EPSS scores",
        }
    }
}

/// A feed dated more than a day ahead of `now` would never turn stale: an input error
/// naming `path` (the day of slack covers time zones and a clock a little behind).
pub fn check_not_ahead(path: &Path, date: Timestamp, now: Timestamp) -> Result<()> {
    if date.duration_since(now) > SignedDuration::from_hours(24) {
        return Err(Error::input(
            path,
            format!(
                "is dated {date}, later than now ({now}): check the clock, or fetch the feed \
                 again (vexgate feeds fetch)"
            ),
        ));
    }
    Ok(())
}

/// Validate a downloaded feed (`source` names it in errors, e.g. its URL) with the gate's
/// own readers, then write it atomically into `dir` twice: under its stable name
/// (`kev.json`, `epss.csv.gz`) and under a name with its own date (`kev-2025-08-25.json`).
/// Nothing is written, and the previous copy is kept, when the feed is malformed, dated
/// more than a day after `now` (the gate would refuse it), or older than the copy already
/// under the stable name (a stale mirror or a replayed response would roll the feed back);
/// a failed write leaves the previous file. Returns the paths written and the feed's date.
pub fn store(
    dir: &Path,
    kind: FeedKind,
    bytes: &[u8],
    source: &Path,
    now: Timestamp,
) -> Result<(Vec<PathBuf>, jiff::civil::Date)> {
    let (date, stem, ext, bytes) = match kind {
        FeedKind::Kev => {
            let c = KevCatalog::parse(source, bytes)?;
            (
                c.date_released,
                "kev",
                "json",
                std::borrow::Cow::Borrowed(bytes),
            )
        }
        FeedKind::Epss => {
            let s = EpssScores::parse(source, bytes)?;
            // Always `epss.csv.gz`, whatever the server sent: the gate and the CI workflows
            // read that name, and a plain `epss.csv` beside an old `.gz` would go unread.
            let gz = if bytes.starts_with(&[0x1f, 0x8b]) {
                std::borrow::Cow::Borrowed(bytes)
            } else {
                let mut e =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(bytes)
                    .and_then(|()| e.finish())
                    .map(std::borrow::Cow::Owned)
                    .map_err(|e| Error::io(source, e))?
            };
            (s.score_date, "epss", "csv.gz", gz)
        }
    };
    check_not_ahead(source, date, now)?;
    let stable = dir.join(format!("{stem}.{ext}"));
    // An unreadable or malformed previous copy is no reason to keep it.
    let previous = match kind {
        _ if !stable.exists() => None,
        FeedKind::Kev => KevCatalog::read(&stable).ok().map(|c| c.date_released),
        FeedKind::Epss => EpssScores::read(&stable).ok().map(|s| s.score_date),
    };
    if let Some(prev) = previous
        && prev > date
    {
        return Err(Error::input(
            source,
            format!(
                "is dated {date}, older than the copy already in {} ({prev}): a stale mirror \
                 or a replayed response would roll the feed back",
                stable.display()
            ),
        ));
    }
    let day = jiff::tz::TimeZone::UTC.to_datetime(date).date();
    let mut written = Vec::new();
    for name in [format!("{stem}-{day}.{ext}"), format!("{stem}.{ext}")] {
        let path = dir.join(name);
        crate::output::write_atomic(&path, crate::output::Sync::Durable, |w| w.write_all(&bytes))?;
        written.push(path);
    }
    Ok((written, day))
}

/// A duration as `3d 4h` (days and hours; minutes under an hour), for warnings and outputs.
pub fn describe_age(d: SignedDuration) -> String {
    let secs = d.as_secs().max(0);
    let (days, hours, mins) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (days, hours) {
        (0, 0) => format!("{mins}m"),
        (0, h) => format!("{h}h"),
        (d, 0) => format!("{d}d"),
        (d, h) => format!("{d}d {h}h"),
    }
}

/// Parse `--feed-max-age`: a positive span such as `7d`, `36h`, `2d12h` or an ISO 8601
/// duration (`P7D`), as jiff reads them.
pub fn parse_max_age(s: &str) -> std::result::Result<SignedDuration, String> {
    let bad = || {
        format!(
            "invalid --feed-max-age {s:?}: expected a positive duration such as 7d, 36h or 2d12h"
        )
    };
    let span: jiff::Span = s.trim().parse().map_err(|_| bad())?;
    let d = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| bad())?;
    if d <= SignedDuration::ZERO {
        return Err(bad());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain EPSS download is stored gzipped under the one name the gate reads.
    #[test]
    fn plain_epss_is_stored_as_csv_gz() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/feeds/epss.csv");
        let plain = std::fs::read(&fixture).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (written, _) = store(
            dir.path(),
            FeedKind::Epss,
            &plain,
            &fixture,
            Timestamp::now(),
        )
        .unwrap();
        assert!(
            written
                .iter()
                .all(|p| p.to_str().unwrap().ends_with(".csv.gz")),
            "{written:?}"
        );
        let gz = std::fs::read(dir.path().join("epss.csv.gz")).unwrap();
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, plain);
        assert!(!dir.path().join("epss.csv").exists());
    }

    #[test]
    fn cve_ids() {
        assert!(is_cve("CVE-2021-44228"));
        assert!(is_cve("CVE-2019-1010022"));
        assert!(!is_cve("CVE-21-44228"));
        assert!(!is_cve("CVE-2021-123"));
        assert!(!is_cve("GHSA-jfh8-c2jp-5v3q"));
        assert!(!is_cve("cve-2021-44228"));
        assert!(!is_cve("CVE-2021-4422x"));
    }

    #[test]
    fn max_age() {
        assert_eq!(parse_max_age("7d").unwrap(), DEFAULT_MAX_AGE);
        assert_eq!(
            parse_max_age("36h").unwrap(),
            SignedDuration::from_hours(36)
        );
        assert_eq!(
            parse_max_age("P2D").unwrap(),
            SignedDuration::from_hours(48)
        );
        assert!(parse_max_age("0d").is_err());
        assert!(parse_max_age("-1d").is_err());
        assert!(parse_max_age("soon").is_err());
        assert_eq!(describe_age(SignedDuration::from_hours(50)), "2d 2h");
    }
}
