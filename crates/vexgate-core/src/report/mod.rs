//! Trivy JSON reports: reading files, the typed model, platforms and coverage.
//!
//! - [`text`]: reading a file into memory, bounded;
//! - [`model`]: the one typed, borrowing model of a report;
//! - [`gojson`]: how the model decodes, as Go's `encoding/json` decodes Trivy's structs;
//! - [`pool`]: the bounded thread pool large reports are read on (and several reports
//!   parsed on).

pub mod gojson;
pub mod model;
pub mod pool;
pub mod text;

use std::fmt;
use std::path::{Path, PathBuf};

pub use model::*;
pub use pool::parse_threads;
pub use text::ReportText;

use crate::error::{Error, Result};

/// A report file read into memory. The typed [`Report`] borrows from `text`.
#[derive(Debug)]
pub struct ReportFile {
    pub path: PathBuf,
    pub text: ReportText,
}

impl ReportFile {
    /// Read a report file. Missing files, directories and empty files are input errors.
    pub fn read(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            return Err(Error::input(
                path,
                "is a directory, not a Trivy JSON report",
            ));
        }
        let text = ReportText::load(path)?;
        if text.trim().is_empty() {
            return Err(Error::input(path, "is empty, not a Trivy JSON report"));
        }
        Ok(Self {
            path: path.to_path_buf(),
            text,
        })
    }

    /// Parse the typed view. Checks that this is a Trivy report with SchemaVersion 2.
    pub fn parse(&self) -> Result<Report<'_>> {
        parse_report(&self.path, &self.text)
    }
}

/// Parse `text` (from `path`, used in messages) as a Trivy SchemaVersion 2 report, decoded
/// as Trivy's Go decoder reads it ([`gojson`]), on the calling thread. (Decoding the
/// elements of large arrays on the report pool, taken first as raw JSON slices, was
/// measured slower than this on two CPUs: the extra pass over the text costs more than the
/// second CPU saves.)
pub fn parse_report<'a>(path: &Path, text: &'a str) -> Result<Report<'a>> {
    // Reject JSON that is valid but not an object first, for a clearer message.
    let first = text.trim_start().as_bytes().first().copied();
    if first.is_some() && first != Some(b'{') {
        // Let serde report a syntax error with position if it is not JSON at all.
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
            return Err(Error::json(path, &e));
        }
        return Err(Error::input(
            path,
            "is JSON but not a Trivy report (expected an object with SchemaVersion 2)",
        ));
    }
    let report: Report<'a> = serde_json::from_str(text).map_err(|e| Error::json(path, &e))?;
    match report.schema_version {
        Some(2) => Ok(report),
        Some(v) => Err(Error::input(
            path,
            format!("unsupported SchemaVersion {v} (vexgate reads Trivy's SchemaVersion 2)"),
        )),
        None => Err(Error::input(
            path,
            "is JSON but not a Trivy report (no SchemaVersion; produce it with `trivy ... --format json`)",
        )),
    }
}

/// An `os/arch` pair, e.g. `linux/amd64`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    pub os: String,
    pub arch: String,
}

impl Platform {
    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.split('/');
        let os = it.next()?.trim();
        let arch = it.next()?.trim();
        // A variant (linux/arm64/v8) is accepted and dropped: Trivy's image PURL ignores it.
        if os.is_empty() || arch.is_empty() || it.count() > 1 {
            return None;
        }
        Some(Self {
            os: os.to_ascii_lowercase(),
            arch: arch.to_ascii_lowercase(),
        })
    }

    /// The platform recorded in `Metadata.ImageConfig`, when both parts are there.
    pub fn from_report(report: &Report<'_>) -> Option<Self> {
        let cfg = report.metadata.image_config.as_ref()?;
        let os = cfg.os.as_deref().filter(|s| !s.is_empty())?;
        let arch = cfg.architecture.as_deref().filter(|s| !s.is_empty())?;
        Some(Self {
            os: os.to_string(),
            arch: arch.to_string(),
        })
    }

    /// `trivy-<os>-<arch>.json`, the CI artifact name, or why this platform cannot name a
    /// file (see [`is_platform_part`]).
    pub fn report_file_name(&self) -> std::result::Result<String, String> {
        for (field, v) in [("os", &self.os), ("architecture", &self.arch)] {
            if !is_platform_part(v) {
                return Err(format!("{field} {v:?} {PLATFORM_PART_RULE}"));
            }
        }
        Ok(format!("trivy-{}-{}.json", self.os, self.arch))
    }
}

/// The longest platform os, architecture or variant vexgate puts into a file name.
pub const PLATFORM_PART_MAX: usize = 32;

/// What [`is_platform_part`] accepts, for messages.
pub const PLATFORM_PART_RULE: &str = "is not a platform name (1 to 32 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit, no '..')";

/// Whether `s` is an OCI platform os, architecture or variant that may go into a file name
/// (`linux`, `amd64`, `arm64`, `v8`, `ppc64le`, `s390x`): 1 to [`PLATFORM_PART_MAX`]
/// characters of `[a-z0-9._-]`, the first a letter or digit (so never `.`, `..` or a hidden
/// name) and no `..` anywhere. A report's `Metadata.ImageConfig` comes from the image, so a
/// name built from it must not be able to leave its directory.
pub fn is_platform_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= PLATFORM_PART_MAX
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(&c))
        && !s.contains("..")
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)
    }
}

/// What a report covered: an empty report is not proof of safety (Trivy 0.76 writes a
/// report with no Results for an image where it inventories nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    Ok,
    /// The report has no `Results` at all.
    NoResults,
    /// A container image report with no OS result and no language result.
    NoPackages,
}

impl Coverage {
    pub fn of(report: &Report<'_>) -> Self {
        if report.results.is_empty() {
            return Coverage::NoResults;
        }
        if report.artifact_type == "container_image" {
            let has_pkgs = report
                .results
                .iter()
                .any(|r| r.class == "os-pkgs" || r.class == "lang-pkgs");
            if !has_pkgs && report.metadata.os.is_none() {
                return Coverage::NoPackages;
            }
        }
        Coverage::Ok
    }

    /// Why this is not proof of safety, for the warning.
    pub fn explain(&self) -> Option<&'static str> {
        match self {
            Coverage::Ok => None,
            Coverage::NoResults => Some(
                "the report has no Results: Trivy detected no OS and no packages, so an empty \
                 report proves nothing (a static binary built without `cargo auditable` is invisible)",
            ),
            Coverage::NoPackages => Some(
                "the image report has no OS result and no language-package result: nothing was \
                 inventoried, so the absence of findings is not proof of safety",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/upstream/trivy")
            .join(name)
    }

    #[test]
    fn parses_every_trivy_golden() {
        let dir = fixture("");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("golden") {
                continue;
            }
            let file = ReportFile::read(&path).unwrap();
            let report = file.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(report.schema_version, Some(2));
            n += 1;
        }
        assert!(n >= 9, "expected the shared Trivy fixtures, found {n}");
    }

    #[test]
    fn status_falls_back_to_fixed_version_and_unknown() {
        let v: Vulnerability = serde_json::from_str(r#"{"FixedVersion":"1.2"}"#).unwrap();
        assert!(v.is_fixed());
        let v: Vulnerability = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!(v.effective_status(), crate::status::Status::Unknown);
        assert_eq!(v.effective_severity(), "UNKNOWN");
        let v: Vulnerability =
            serde_json::from_str(r#"{"Status":"affected","VendorSeverity":{"nvd":3}}"#).unwrap();
        assert!(!v.is_fixed());
        assert_eq!(v.vendor_severity().values().next(), Some(&3));
    }

    #[test]
    fn platform_and_coverage() {
        let file = ReportFile::read(&fixture("busybox-with-lockfile.json.golden")).unwrap();
        let r = file.parse().unwrap();
        assert_eq!(Coverage::of(&r), Coverage::Ok);
        let empty = parse_report(
            Path::new("x"),
            r#"{"SchemaVersion":2,"ArtifactType":"container_image"}"#,
        )
        .unwrap();
        assert_eq!(Coverage::of(&empty), Coverage::NoResults);
        assert_eq!(
            Platform::parse("linux/arm64/v8").unwrap().to_string(),
            "linux/arm64"
        );
        assert!(Platform::parse("linux").is_none());
    }

    #[test]
    fn platform_parts_that_may_name_a_file() {
        for ok in [
            "linux", "amd64", "arm64", "v8", "ppc64le", "s390x", "386", "mips64le", "x86_64",
        ] {
            assert!(is_platform_part(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            ".hidden",
            "-x",
            "a..b",
            "Linux",
            "a/b",
            "../x",
            "a b",
            "a\nb",
            "cache/../../outside/pwn",
            "é",
            &"a".repeat(33),
        ] {
            assert!(!is_platform_part(bad), "{bad:?}");
        }
        let p = Platform {
            os: "cache/../../outside/pwn".into(),
            arch: "amd64".into(),
        };
        assert!(p.report_file_name().unwrap_err().starts_with("os \"cache/"));
        assert_eq!(
            Platform::parse("linux/arm64")
                .unwrap()
                .report_file_name()
                .unwrap(),
            "trivy-linux-arm64.json"
        );
    }

    #[test]
    fn bad_inputs_name_the_file() {
        let e =
            parse_report(Path::new("r.json"), r#"{"SchemaVersion":2,"Results":[{"#).unwrap_err();
        assert!(e.to_string().starts_with("r.json: truncated JSON"), "{e}");
        assert!(e.to_string().contains("line 1 column"), "{e}");
        let e = parse_report(Path::new("r.json"), r#"{"SchemaVersion":3}"#).unwrap_err();
        assert!(e.to_string().contains("unsupported SchemaVersion 3"), "{e}");
        let e = parse_report(Path::new("r.json"), r#"[1,2]"#).unwrap_err();
        assert!(e.to_string().contains("not a Trivy report"), "{e}");
        let e = parse_report(Path::new("r.json"), r#"{"a":1}"#).unwrap_err();
        assert!(e.to_string().contains("not a Trivy report"), "{e}");
    }

    fn vulns(text: &str) -> Vec<String> {
        let doc = format!(
            r#"{{"SchemaVersion":2,"Results":[{{"Target":"t","Vulnerabilities":{text}}}]}}"#
        );
        let r = parse_report(Path::new("r.json"), &doc).unwrap_or_else(|e| panic!("{e}"));
        r.results[0]
            .vulnerabilities
            .iter()
            .map(|v| {
                format!(
                    "{} {} {}",
                    v.vulnerability_id,
                    v.pkg_name,
                    v.effective_severity()
                )
            })
            .collect()
    }

    /// Keys match fields as Go's encoding/json matches them: exactly, else ASCII case-folded
    /// with `ſ` as s and the Kelvin sign as k.
    #[test]
    fn keys_fold_as_go_folds_them() {
        assert_eq!(
            vulns(r#"[{"VulnerabilityID":"CVE-1","PkgName":"a","severity":"HIGH"}]"#),
            ["CVE-1 a HIGH"]
        );
        assert_eq!(
            vulns(r#"[{"vulnerabilityid":"CVE-1","PKGNAME":"a","ſeverity":"CRITICAL"}]"#),
            ["CVE-1 a CRITICAL"]
        );
        assert_eq!(
            vulns(r#"[{"VulnerabilityID":"CVE-1","P\u212agName":"a","Severity":"LOW"}]"#),
            ["CVE-1 a LOW"]
        );
        // Not a fold of `Severity`: ignored.
        assert_eq!(
            vulns(r#"[{"VulnerabilityID":"CVE-1","Sévérity":"HIGH","Severity_":"HIGH"}]"#),
            ["CVE-1  UNKNOWN"]
        );
        // Both keys select `Severity`: the last wins.
        assert_eq!(
            vulns(r#"[{"VulnerabilityID":"CVE-1","Severity":"LOW","severity":"HIGH"}]"#),
            ["CVE-1  HIGH"]
        );
    }

    /// The last of duplicate keys wins; objects merge; `null` leaves a string alone.
    #[test]
    fn duplicates_and_null_as_go_decodes_them() {
        assert_eq!(
            vulns(r#"[{"VulnerabilityID":"CVE-1","Severity":"LOW","Severity":"CRITICAL"}]"#),
            ["CVE-1  CRITICAL"]
        );
        assert_eq!(
            vulns(r#"[{"VulnerabilityID":"CVE-1","Severity":"HIGH","Severity":null}]"#),
            ["CVE-1  HIGH"]
        );
        assert_eq!(
            vulns(r#"[{"VulnerabilityID":"CVE-1","Severity":null}]"#),
            ["CVE-1  UNKNOWN"]
        );
        let doc = r#"{"SchemaVersion":2,"Metadata":{"ImageConfig":{"os":"linux"}},"Metadata":{"ImageConfig":{"architecture":"arm64"}}}"#;
        let r = parse_report(Path::new("r.json"), doc).unwrap();
        assert_eq!(
            Platform::from_report(&r).unwrap().to_string(),
            "linux/arm64"
        );
        // A second array is decoded over the first, element by element, then cut.
        let doc = r#"{"SchemaVersion":2,"Results":[{"Target":"t","Vulnerabilities":[{"VulnerabilityID":"A","Severity":"HIGH"},{"VulnerabilityID":"B"}],"Vulnerabilities":[{"VulnerabilityID":"C"}]}]}"#;
        let r = parse_report(Path::new("r.json"), doc).unwrap();
        let v = &r.results[0].vulnerabilities;
        assert_eq!(v.len(), 1);
        assert_eq!(
            (&*v[0].vulnerability_id, v[0].effective_severity()),
            ("C", "HIGH")
        );
        // `null` empties a slice.
        let doc = r#"{"SchemaVersion":2,"Results":[{"Target":"t"}],"Results":null}"#;
        assert!(
            parse_report(Path::new("r.json"), doc)
                .unwrap()
                .results
                .is_empty()
        );
    }

    /// A value of the wrong JSON type refuses the whole report, naming the file.
    #[test]
    fn wrong_types_refuse_the_report() {
        for bad in [
            r#"{"SchemaVersion":2,"Results":[{"Target":"t","Vulnerabilities":[["CVE-1"]]}]}"#,
            r#"{"SchemaVersion":2,"Results":[{"Target":"t","Vulnerabilities":{"VulnerabilityID":"CVE-1"}}]}"#,
            r#"{"SchemaVersion":2,"Results":{"Target":"t"}}"#,
            r#"{"SchemaVersion":2,"Results":[{"Target":"t","Vulnerabilities":[{"Severity":["HIGH"]}]}]}"#,
            r#"{"SchemaVersion":2,"Results":[{"Target":"t","Vulnerabilities":[{"Severity":3}]}]}"#,
            r#"{"SchemaVersion":2,"Results":[{"Target":"t","Vulnerabilities":[{"CweIDs":"CWE-1"}]}]}"#,
            r#"{"SchemaVersion":2,"Results":[{"Target":"t","Vulnerabilities":[{"VendorSeverity":[3]}]}]}"#,
            r#"{"SchemaVersion":2,"Results":[{"Target":"t","Vulnerabilities":[{"PublishedDate":"yesterday"}]}]}"#,
            r#"{"SchemaVersion":2,"Results":[{"Target":"t","Vulnerabilities":[{"Description":{}}]}]}"#,
            r#"{"SchemaVersion":2.5}"#,
            r#"{"SchemaVersion":2,"Metadata":[]}"#,
        ] {
            let e = parse_report(Path::new("r.json"), bad).unwrap_err();
            let msg = e.to_string();
            assert!(msg.starts_with("r.json: "), "{bad}: {msg}");
            assert!(!msg.contains('\n'), "{bad}: {msg}");
            assert_eq!(e.exit_code(), 2);
        }
    }
}
