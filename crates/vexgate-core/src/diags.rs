//! Every warning code the gate can emit: one enum, one stable kebab-case name each. The
//! names are part of the `vexgate/gate/v2` JSON output (`warnings[].code`), the table's
//! warning lines and the Markdown summary, so a name never changes once released.

use std::fmt;

/// A gate warning's stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// A report's platform has no baseline and `--baseline-missing allow` let it gate in full.
    BaselineMissing,
    /// A baseline's platform matches no report, so it is not used.
    BaselineUnused,
    /// A report covers nothing (no Results, or an image report with no OS and no
    /// language-package result).
    Coverage,
    /// The platform check (`--expect-platforms`) found a missing, unexpected or unknown
    /// platform; it fails the gate.
    ExpectPlatforms,
    /// An exploitation feed (`--kev`, `--epss`) is older than `--feed-max-age` (an error
    /// with `--strict-feeds`).
    FeedStale,
    /// `--ignore-unfixed` was given together with `--ignore-status`, which wins.
    IgnoreUnfixedOverridden,
    /// An ignore-file line has an `exp:` date that does not parse (the line still applies).
    IgnorefileBadExp,
    /// The image PURL of a report could not be built.
    ImagePurl,
    /// `--image-repo` is not a usable image repository.
    ImageRepo,
    /// `--image-repo` differs from the repository the report records.
    ImageRepoMismatch,
    /// A result lists no packages, so package-scoped VEX statements cannot match.
    NoPackages,
    /// `--report-platform` differs from the platform the report records.
    ReportPlatformDiffers,
    /// Trivy reads a VEX document differently from what it seems to say.
    VexAsTrivyReads,
    /// A VEX subcomponent is not in the report's dependency graph.
    VexComponentNotFound,
    /// A VEX statement may never match (depends on data the report may lack).
    VexMayNeverMatch,
    /// A VEX statement can never match, as Trivy reads it.
    VexNeverMatches,
}

impl Code {
    /// Every code, in name order.
    pub const ALL: [Code; 16] = [
        Code::BaselineMissing,
        Code::BaselineUnused,
        Code::Coverage,
        Code::ExpectPlatforms,
        Code::FeedStale,
        Code::IgnoreUnfixedOverridden,
        Code::IgnorefileBadExp,
        Code::ImagePurl,
        Code::ImageRepo,
        Code::ImageRepoMismatch,
        Code::NoPackages,
        Code::ReportPlatformDiffers,
        Code::VexAsTrivyReads,
        Code::VexComponentNotFound,
        Code::VexMayNeverMatch,
        Code::VexNeverMatches,
    ];

    /// The stable name, as written in every output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::BaselineMissing => "baseline-missing",
            Code::BaselineUnused => "baseline-unused",
            Code::Coverage => "coverage",
            Code::ExpectPlatforms => "expect-platforms",
            Code::FeedStale => "feed-stale",
            Code::IgnoreUnfixedOverridden => "ignore-unfixed-overridden",
            Code::IgnorefileBadExp => "ignorefile-bad-exp",
            Code::ImagePurl => "image-purl",
            Code::ImageRepo => "image-repo",
            Code::ImageRepoMismatch => "image-repo-mismatch",
            Code::NoPackages => "no-packages",
            Code::ReportPlatformDiffers => "report-platform-differs",
            Code::VexAsTrivyReads => "vex-as-trivy-reads",
            Code::VexComponentNotFound => "vex-component-not-found",
            Code::VexMayNeverMatch => "vex-may-never-match",
            Code::VexNeverMatches => "vex-never-matches",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::Code;

    #[test]
    fn codes_are_unique_kebab_case_and_all_listed() {
        let names: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Code::ALL.len(), "two codes share a name");
        let codes: BTreeSet<Code> = Code::ALL.into_iter().collect();
        assert_eq!(codes.len(), Code::ALL.len(), "a code is listed twice");
        for name in &names {
            assert!(
                !name.is_empty()
                    && !name.starts_with('-')
                    && !name.ends_with('-')
                    && !name.contains("--")
                    && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{name} is not kebab-case"
            );
        }
        // ALL is in name order, so a new code has one obvious place.
        let listed: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, names.into_iter().collect::<Vec<_>>());
    }
}
