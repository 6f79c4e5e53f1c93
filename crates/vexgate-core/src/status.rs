//! Trivy's vulnerability statuses as a type (trivy-db v2 pkg/types/status.go: `Status`,
//! `Statuses`): the fix state a report's `Status` field carries and `--ignore-status` names.

use std::fmt;

/// A vulnerability's status in a Trivy report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Unknown,
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
    WillNotFix,
    FixDeferred,
    EndOfLife,
}

impl Status {
    /// Every status, in trivy-db's `Statuses` order.
    pub const ALL: [Status; 8] = [
        Status::Unknown,
        Status::NotAffected,
        Status::Affected,
        Status::Fixed,
        Status::UnderInvestigation,
        Status::WillNotFix,
        Status::FixDeferred,
        Status::EndOfLife,
    ];

    /// Trivy's name: `unknown` .. `end_of_life`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::NotAffected => "not_affected",
            Status::Affected => "affected",
            Status::Fixed => "fixed",
            Status::UnderInvestigation => "under_investigation",
            Status::WillNotFix => "will_not_fix",
            Status::FixDeferred => "fix_deferred",
            Status::EndOfLife => "end_of_life",
        }
    }

    /// The status named exactly `s` (lower case, as in a report).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// `unknown,not_affected,…,end_of_life`, for messages.
    pub fn names() -> String {
        Self::ALL.map(Status::as_str).join(",")
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The status Trivy records for a finding it set aside (`ExperimentalModifiedFindings[].Status`,
/// Trivy 0.76 pkg/types/finding.go `FindingStatus`): an ignore file gives `ignored`, VEX
/// gives `not_affected` or `fixed`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FindingStatus {
    Ignored,
    Unknown,
    NotAffected,
    Fixed,
    UnderInvestigation,
    /// A value Trivy never writes, read from a report's own modified findings (kept as
    /// read, and escaped like every report string when shown).
    Other(String),
}

impl FindingStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "ignored" => FindingStatus::Ignored,
            "unknown" => FindingStatus::Unknown,
            "not_affected" => FindingStatus::NotAffected,
            "fixed" => FindingStatus::Fixed,
            "under_investigation" => FindingStatus::UnderInvestigation,
            other => FindingStatus::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            FindingStatus::Ignored => "ignored",
            FindingStatus::Unknown => "unknown",
            FindingStatus::NotAffected => "not_affected",
            FindingStatus::Fixed => "fixed",
            FindingStatus::UnderInvestigation => "under_investigation",
            FindingStatus::Other(s) => s,
        }
    }
}

impl fmt::Display for FindingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::{FindingStatus, Status};

    #[test]
    fn finding_statuses_round_trip() {
        for s in [
            "ignored",
            "unknown",
            "not_affected",
            "fixed",
            "under_investigation",
        ] {
            let f = FindingStatus::parse(s);
            assert!(!matches!(f, FindingStatus::Other(_)), "{s}");
            assert_eq!(f.as_str(), s);
        }
        assert_eq!(
            FindingStatus::parse("Fixed"),
            FindingStatus::Other("Fixed".into())
        );
    }

    #[test]
    fn names_round_trip_and_are_exact() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            Status::names(),
            "unknown,not_affected,affected,fixed,under_investigation,will_not_fix,fix_deferred,end_of_life"
        );
        assert_eq!(Status::parse("FIXED"), None);
        assert_eq!(Status::parse("wontfix"), None);
    }
}
