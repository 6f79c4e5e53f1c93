//! "Now" for `vex add`, `vex validate`, `vex list` and `vex audit`, and the timestamp format.

use jiff::Timestamp;

use crate::error::{Error, Result};

/// "Now" for timestamps: `SOURCE_DATE_EPOCH` (Unix seconds or RFC 3339, as vexctl's
/// `vex.DateFromEnv` accepts) when set, else the clock.
pub fn now() -> Result<Timestamp> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => {
            let v = v.trim();
            if let Ok(secs) = v.parse::<i64>() {
                return Timestamp::from_second(secs)
                    .map_err(|e| Error::usage(format!("SOURCE_DATE_EPOCH={v}: {e}")));
            }
            parse_timestamp(v).ok_or_else(|| {
                Error::usage(format!(
                    "SOURCE_DATE_EPOCH={v:?} is neither Unix seconds nor an RFC 3339 time"
                ))
            })
        }
        _ => Ok(Timestamp::now()),
    }
}

/// Parse an RFC 3339 timestamp with any offset (`Z`, `-06:00`, fractional seconds).
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    s.trim().parse::<Timestamp>().ok()
}

/// UTC RFC 3339, fractional seconds only when non-zero (go-vex writes UTC).
pub fn format_timestamp(t: Timestamp) -> String {
    t.to_string()
}
