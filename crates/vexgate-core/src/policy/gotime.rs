//! Ignore-file expiry dates exactly as Trivy reads them: Go's `time.Parse` (go1.24
//! src/time/format.go) for the plain `exp:YYYY-MM-DD`, and yaml.v3's timestamp resolution
//! (gopkg.in/yaml.v3 resolve.go `parseTimestamp`) for YAML `expired_at`.
//!
//! Go's `time.Time` spans far more than jiff's `Timestamp`, which ends on 9999-12-30 UTC,
//! so `exp:9999-12-31`, the usual "never expires", does not fit in one. [`GoTime`] keeps
//! the instant as nanoseconds since the Unix epoch instead, and every date Go accepts
//! (years 0000 to 9999) keeps its meaning, including Go's zero time 0001-01-01T00:00:00Z,
//! which Trivy reads as "no expiry" (`!ExpiredAt.IsZero() && ExpiredAt.Before(now)`,
//! pkg/result/ignore.go `Prune`).

use jiff::Timestamp;

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// Year, month, day.
type Ymd = (i64, u32, u32);
/// Hour, minute, second, nanosecond.
type Hmsn = (u32, u32, u32, u32);

/// An instant as Go's `time.Time` holds it, in nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoTime(i128);

impl GoTime {
    /// `time.Date(year, month, day, hour, min, sec, nsec, UTC)` minus a zone offset of
    /// `offset` seconds east of UTC. The fields must be in range.
    fn new(date: Ymd, time: Hmsn, offset: i64) -> Self {
        let (y, m, d) = date;
        let (h, mi, s, ns) = time;
        let secs = days_from_civil(y, m, d) * 86_400
            + i64::from(h) * 3600
            + i64::from(mi) * 60
            + i64::from(s)
            - offset;
        GoTime(i128::from(secs) * NANOS_PER_SECOND + i128::from(ns))
    }

    /// Go's zero `time.Time{}`, 0001-01-01T00:00:00Z.
    pub fn zero() -> Self {
        Self::new((1, 1, 1), (0, 0, 0, 0), 0)
    }

    /// `t.IsZero()`.
    pub fn is_zero(self) -> bool {
        self == Self::zero()
    }

    /// `t.Before(now)`.
    pub fn before(self, now: Timestamp) -> bool {
        self.0 < now.as_nanosecond()
    }

    /// From a jiff timestamp (always within Go's range).
    pub fn from_timestamp(t: Timestamp) -> Self {
        GoTime(t.as_nanosecond())
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (year 0 is 1 BC, as in Go).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// Go's `daysIn(month, year)`.
fn days_in(m: u32, y: i64) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Go's `getnum(s, fixed)`: one or two leading digits (exactly two when `fixed`).
fn getnum(s: &[u8], fixed: bool) -> Option<(u32, &[u8])> {
    let d0 = *s.first().filter(|c| c.is_ascii_digit())?;
    match s.get(1).filter(|c| c.is_ascii_digit()) {
        Some(&d1) => Some((u32::from(d0 - b'0') * 10 + u32::from(d1 - b'0'), &s[2..])),
        None if fixed => None,
        None => Some((u32::from(d0 - b'0'), &s[1..])),
    }
}

/// Layout `2006`: exactly four digits.
fn long_year(s: &[u8]) -> Option<(i64, &[u8])> {
    let y = s.get(..4)?;
    if !y.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = y.iter().fold(0i64, |a, c| a * 10 + i64::from(c - b'0'));
    Some((v, &s[4..]))
}

fn lit(s: &[u8], c: u8) -> Option<&[u8]> {
    s.strip_prefix(&[c])
}

/// `2006-01-02` (`fixed`) or `2006-1-2`: year, month 1-12, and the day (checked later
/// against the month, as Go does after the whole layout matched).
fn date(s: &[u8], fixed: bool) -> Option<(Ymd, &[u8])> {
    let (y, s) = long_year(s)?;
    let s = lit(s, b'-')?;
    let (m, s) = getnum(s, fixed)?;
    if !(1..=12).contains(&m) {
        return None;
    }
    let s = lit(s, b'-')?;
    let (d, s) = getnum(s, fixed)?;
    Some(((y, m, d), s))
}

fn valid_day((y, m, d): Ymd) -> bool {
    d >= 1 && d <= days_in(m, y)
}

/// Go `time.Parse("2006-01-02", s)` in UTC: Trivy's `exp:` field (pkg/result/ignore.go
/// `getExpirationDate`).
pub fn parse_date(s: &str) -> Option<GoTime> {
    let (d, rest) = date(s.as_bytes(), true)?;
    (rest.is_empty() && valid_day(d)).then(|| GoTime::new(d, (0, 0, 0, 0), 0))
}

/// yaml.v3's `allowedTimestampFormats`, tried in order.
#[derive(Clone, Copy)]
enum Layout {
    /// `2006-1-2T15:4:5.999999999Z07:00`, with `T` or `t`.
    Zoned(u8),
    /// `2006-1-2 15:4:5.999999999`, UTC.
    Spaced,
    /// `2006-1-2`.
    DateOnly,
}

/// `15:4:5.999999999`: hour 0-23, minute and second 0-59, then an optional fraction after
/// `.` or `,` of any number of digits (the first nine count), as Go's `stdFracSecond9`.
fn clock(s: &[u8]) -> Option<(Hmsn, &[u8])> {
    let (h, s) = getnum(s, false)?;
    let s = lit(s, b':')?;
    let (mi, s) = getnum(s, false)?;
    let s = lit(s, b':')?;
    let (sec, mut s) = getnum(s, false)?;
    if h >= 24 || mi >= 60 || sec >= 60 {
        return None;
    }
    let mut ns = 0u32;
    if s.len() >= 2 && matches!(s[0], b'.' | b',') && s[1].is_ascii_digit() {
        let n = 1 + s[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        let digits = &s[1..n.min(10)];
        ns = digits
            .iter()
            .fold(0u32, |a, c| a * 10 + u32::from(c - b'0'));
        for _ in digits.len()..9 {
            ns *= 10;
        }
        s = &s[n..];
    }
    Some(((h, mi, sec, ns), s))
}

/// `Z07:00`: `Z`, or `±hh:mm` with hh up to 24 and mm up to 60 (Go's ranges). Seconds
/// east of UTC.
fn zone(s: &[u8]) -> Option<(i64, &[u8])> {
    if let Some(rest) = lit(s, b'Z') {
        return Some((0, rest));
    }
    if s.len() < 6 || s[3] != b':' {
        return None;
    }
    let (hr, _) = getnum(&s[1..3], true)?;
    let (mm, _) = getnum(&s[4..6], true)?;
    if hr > 24 || mm > 60 {
        return None;
    }
    let off = i64::from(hr * 60 + mm) * 60;
    match s[0] {
        b'+' => Some((off, &s[6..])),
        b'-' => Some((-off, &s[6..])),
        _ => None,
    }
}

fn parse_layout(s: &[u8], layout: Layout) -> Option<GoTime> {
    let (d, rest) = date(s, false)?;
    let (time, offset, rest) = match layout {
        Layout::DateOnly => ((0, 0, 0, 0), 0, rest),
        Layout::Spaced => {
            let (t, rest) = clock(lit(rest, b' ')?)?;
            (t, 0, rest)
        }
        Layout::Zoned(sep) => {
            let (t, rest) = clock(lit(rest, sep)?)?;
            let (off, rest) = zone(rest)?;
            (t, off, rest)
        }
    };
    (rest.is_empty() && valid_day(d)).then(|| GoTime::new(d, time, offset))
}

/// A YAML `expired_at` as yaml.v3 decodes it into Trivy's `time.Time`: a plain scalar that
/// starts with exactly four digits and `-` and parses with one of
/// `2006-1-2T15:4:5.999999999Z07:00`, the same with `t`, `2006-1-2 15:4:5.999999999` or
/// `2006-1-2`. Anything else fails in Trivy too (as RFC 3339 text, it never parses when
/// these did not), and Trivy then refuses the whole file.
pub fn parse_yaml_timestamp(s: &str) -> Option<GoTime> {
    let b = s.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits != 4 || b.get(4) != Some(&b'-') {
        return None;
    }
    [
        Layout::Zoned(b'T'),
        Layout::Zoned(b't'),
        Layout::Spaced,
        Layout::DateOnly,
    ]
    .into_iter()
    .find_map(|l| parse_layout(b, l))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> GoTime {
        GoTime::from_timestamp(s.parse().unwrap())
    }

    #[test]
    fn civil_days_match_jiff_everywhere_jiff_reaches() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2020-02-29T00:00:00Z",
            "1900-03-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "-000001-12-31T00:00:00Z",
            "9999-12-30T00:00:00Z",
        ] {
            let t: Timestamp = s.parse().unwrap();
            let d = jiff::tz::TimeZone::UTC.to_datetime(t).date();
            let got = GoTime::new(
                (i64::from(d.year()), d.month() as u32, d.day() as u32),
                (0, 0, 0, 0),
                0,
            );
            assert_eq!(got, GoTime::from_timestamp(t), "{s}");
        }
    }

    #[test]
    fn plain_dates_like_go_time_parse() {
        assert_eq!(parse_date("2024-05-01"), Some(ts("2024-05-01T00:00:00Z")));
        let far = parse_date("9999-12-31").unwrap();
        assert!(far > ts("9999-12-30T22:00:00Z"), "beyond jiff's range");
        assert!(parse_date("0001-01-01").unwrap().is_zero());
        assert!(parse_date("0000-01-01").is_some());
        assert!(parse_date("2020-02-29").is_some());
        for bad in [
            "2021-02-29",
            "2099-1-01",
            "2099-01-1",
            "+999-01-01",
            "10000-01-01",
            "2099-01-01x",
            "",
            "2099-00-10",
            "2099-13-01",
            "2099-01-00",
            "2099-01-32",
            "2099-04-31",
            "2099/01/01",
            "٢٠٩٩-01-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn yaml_timestamps_like_yaml_v3() {
        let t = parse_yaml_timestamp;
        assert_eq!(t("2099-01-01"), Some(ts("2099-01-01T00:00:00Z")));
        assert_eq!(t("2099-1-2"), Some(ts("2099-01-02T00:00:00Z")));
        assert_eq!(t("2099-1-1T1:2:3Z"), Some(ts("2099-01-01T01:02:03Z")));
        assert_eq!(t("2099-01-01t00:00:00Z"), Some(ts("2099-01-01T00:00:00Z")));
        assert_eq!(
            t("2099-01-01 10:00:00.123"),
            Some(ts("2099-01-01T10:00:00.123Z"))
        );
        assert_eq!(
            t("2099-01-01T00:00:00.5+01:00"),
            Some(ts("2098-12-31T23:00:00.5Z"))
        );
        assert_eq!(
            t("2099-01-01T00:00:00,1234567891-24:60"),
            Some(ts("2099-01-02T01:00:00.123456789Z"))
        );
        let far = t("9999-12-31T23:59:59-05:00").unwrap();
        assert!(far > ts("9999-12-30T22:00:00Z"));
        assert!(t("0001-01-01").unwrap().is_zero());
        assert!(t("0001-01-01T01:00:00+01:00").unwrap().is_zero());
        for bad in [
            "2099-01-01t00:00:00z",
            "20990101",
            "soon",
            "2020-02-30",
            "99-01-01",
            "02099-01-01",
            "2099-01-01T24:00:00Z",
            "2099-01-01T00:60:00Z",
            "2099-01-01T00:00:60Z",
            "2099-01-01T00:00:00+25:00",
            "2099-01-01T00:00:00",
            "2099-01-01 10:00",
            " 2099-01-01",
            "2099-01-01 ",
            "2099-01-01T00:00:00Z x",
        ] {
            assert_eq!(t(bad), None, "{bad:?}");
        }
    }
}
