//! Trivy's severities as a type (trivy-db v2 pkg/types/types.go: `Severity`,
//! `SeverityNames`), ordered as Trivy compares them: UNKNOWN < LOW < MEDIUM < HIGH < CRITICAL.

use std::fmt;

/// A vulnerability severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, lowest first (Trivy's `SeverityNames` order).
    pub const ALL: [Severity; 5] = [
        Severity::Unknown,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// Every severity, most severe first (the order of every table and summary).
    pub const MOST_SEVERE_FIRST: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Unknown,
    ];

    /// Trivy's name: `UNKNOWN` .. `CRITICAL`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// The severity named exactly `s` (upper case, as in a report).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// A report's severity string as Trivy ranks it: anything unrecognised is `UNKNOWN`
    /// (trivy-db `NewSeverity` returns `SeverityUnknown` on error).
    pub fn of_report(s: &str) -> Self {
        Self::parse(s).unwrap_or(Severity::Unknown)
    }

    /// Position in [`Severity::MOST_SEVERE_FIRST`].
    pub const fn display_index(self) -> usize {
        4 - self as usize
    }

    /// `UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL`, for messages.
    pub fn names() -> String {
        Self::ALL.map(Severity::as_str).join(",")
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Severity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Severity;

    #[test]
    fn order_names_and_unknown_fallback() {
        assert!(Severity::Unknown < Severity::Low && Severity::High < Severity::Critical);
        for (i, s) in Severity::MOST_SEVERE_FIRST.into_iter().enumerate() {
            assert_eq!(s.display_index(), i);
            assert_eq!(Severity::parse(s.as_str()), Some(s));
        }
        assert_eq!(Severity::names(), "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL");
        assert_eq!(Severity::parse("high"), None);
        assert_eq!(Severity::of_report("SEVERE"), Severity::Unknown);
        assert_eq!(Severity::of_report(""), Severity::Unknown);
    }
}
