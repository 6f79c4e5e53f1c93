//! Typed, borrowing view of a Trivy JSON report (SchemaVersion 2).
//!
//! Every field of Trivy 0.76's JSON report (pkg/types/report.go) is modelled. Strings borrow from the file buffer whenever
//! they contain no escapes (`Cow<'a, str>` with `#[serde(borrow)]`), so parsing a 100 MB
//! report allocates little. Fields this model does not know are not kept here: the
//! Trivy-schema writer (`render::trivy_report`) re-emits from the raw document instead, so
//! unknown fields survive a round trip.
//!
//! Vulnerability fields the gate and the renderers never read (VendorIDs, Layer, DataSource,
//! CweIDs, VendorSeverity, References, dates) are kept as `&RawValue` with decoding
//! accessors: typing them cost a 100 MB report ~80 MB of heap and a third of the parse time
//! (scripts/bench-gate.sh).
//!
//! Traps covered: a missing `Status` means `unknown`; `VendorSeverity` values
//! are integers; old reports have no `Status` at all (see [`Vulnerability::is_fixed`]).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

/// A whole report. `SchemaVersion` is checked by the loader.
///
/// Large reports are parsed by `report::parallel`, which fills the fields of `Report` and
/// `ScanResult` by hand: a field added here must be added there too (its test compares the
/// two parses on every report in testdata).
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Report<'a> {
    #[serde(default)]
    pub schema_version: Option<i64>,
    #[serde(borrow, default)]
    pub trivy: Option<TrivyInfo<'a>>,
    #[serde(rename = "ReportID", borrow, default)]
    pub report_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub created_at: Option<Cow<'a, str>>,
    #[serde(rename = "ArtifactID", borrow, default)]
    pub artifact_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub artifact_name: Cow<'a, str>,
    #[serde(borrow, default)]
    pub artifact_type: Cow<'a, str>,
    #[serde(borrow, default)]
    pub metadata: Metadata<'a>,
    /// Absent when nothing was found: that is an empty list here.
    #[serde(borrow, default)]
    pub results: Vec<ScanResult<'a>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TrivyInfo<'a> {
    #[serde(borrow, default)]
    pub version: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Metadata<'a> {
    #[serde(default)]
    pub size: Option<i64>,
    #[serde(rename = "OS", borrow, default)]
    pub os: Option<OsInfo<'a>>,
    #[serde(rename = "ImageID", borrow, default)]
    pub image_id: Option<Cow<'a, str>>,
    #[serde(rename = "DiffIDs", borrow, default)]
    pub diff_ids: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub repo_tags: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub repo_digests: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub reference: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub image_config: Option<ImageConfig<'a>>,
    #[serde(borrow, default)]
    pub layers: Vec<Layer<'a>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct OsInfo<'a> {
    #[serde(borrow, default)]
    pub family: Cow<'a, str>,
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
    #[serde(rename = "EOSL", default)]
    pub eosl: bool,
    #[serde(borrow, default)]
    pub supplier: Option<Cow<'a, str>>,
    #[serde(rename = "extended", default)]
    pub extended: bool,
}

/// go-containerregistry `v1.ConfigFile`: keys are lowercase.
#[derive(Debug, Deserialize, Default)]
pub struct ImageConfig<'a> {
    #[serde(borrow, default)]
    pub architecture: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub os: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub variant: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub created: Option<Cow<'a, str>>,
    /// `config` (User, Entrypoint, Labels, …) is kept raw: vexgate only passes it through.
    #[serde(borrow, default)]
    pub config: Option<&'a RawValue>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct Layer<'a> {
    #[serde(default)]
    pub size: Option<i64>,
    #[serde(borrow, default)]
    pub digest: Option<Cow<'a, str>>,
    #[serde(rename = "DiffID", borrow, default)]
    pub diff_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub created_by: Option<Cow<'a, str>>,
}

/// One `Results[]` entry (`types.Result`). Also filled by hand in
/// `report::parallel` (see [`Report`]).
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ScanResult<'a> {
    #[serde(borrow, default)]
    pub target: Cow<'a, str>,
    #[serde(borrow, default)]
    pub class: Cow<'a, str>,
    #[serde(rename = "Type", borrow, default)]
    pub kind: Cow<'a, str>,
    #[serde(borrow, default)]
    pub packages: Option<Vec<Package<'a>>>,
    #[serde(borrow, default)]
    pub vulnerabilities: Vec<Vulnerability<'a>>,
    #[serde(borrow, default)]
    pub misconf_summary: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub misconfigurations: Vec<Misconfiguration<'a>>,
    #[serde(borrow, default)]
    pub secrets: Vec<Secret<'a>>,
    #[serde(borrow, default)]
    pub licenses: Vec<License<'a>>,
    #[serde(borrow, default)]
    pub custom_resources: Option<&'a RawValue>,
    #[serde(rename = "ExperimentalModifiedFindings", borrow, default)]
    pub modified_findings: Vec<ModifiedFinding<'a>>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct PkgIdentifier<'a> {
    #[serde(rename = "PURL", borrow, default)]
    pub purl: Option<Cow<'a, str>>,
    #[serde(rename = "UID", borrow, default)]
    pub uid: Option<Cow<'a, str>>,
    #[serde(rename = "BOMRef", borrow, default)]
    pub bom_ref: Option<Cow<'a, str>>,
}

/// `ftypes.Package`. Only what the VEX graph and the authoring tool use is
/// typed in depth; the rest is kept raw.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Package<'a> {
    #[serde(rename = "ID", borrow, default)]
    pub id: Cow<'a, str>,
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
    #[serde(borrow, default)]
    pub identifier: PkgIdentifier<'a>,
    #[serde(borrow, default)]
    pub version: Cow<'a, str>,
    #[serde(borrow, default)]
    pub release: Option<Cow<'a, str>>,
    #[serde(default)]
    pub epoch: Option<i64>,
    #[serde(borrow, default)]
    pub arch: Option<Cow<'a, str>>,
    #[serde(default)]
    pub dev: bool,
    #[serde(borrow, default)]
    pub src_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub src_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub src_release: Option<Cow<'a, str>>,
    #[serde(default)]
    pub src_epoch: Option<i64>,
    #[serde(borrow, default)]
    pub licenses: Vec<Cow<'a, str>>,
    #[serde(default)]
    pub indirect: bool,
    /// `root` | `workspace` | `direct` | `indirect`; `unknown` is omitted by Trivy.
    #[serde(borrow, default)]
    pub relationship: Option<Cow<'a, str>>,
    /// Package IDs (not UIDs) of packages in the same Result.
    #[serde(borrow, default)]
    pub depends_on: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub layer: Option<Layer<'a>>,
    #[serde(borrow, default)]
    pub file_path: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub analyzed_by: Option<Cow<'a, str>>,
}

/// `types.DetectedVulnerability`.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct Vulnerability<'a> {
    #[serde(rename = "VulnerabilityID", borrow, default)]
    pub vulnerability_id: Cow<'a, str>,
    /// Kept raw (the gate never reads it; see [`Vulnerability::vendor_ids`]).
    #[serde(rename = "VendorIDs", borrow, default)]
    pub vendor_ids: Option<&'a RawValue>,
    #[serde(rename = "PkgID", borrow, default)]
    pub pkg_id: Cow<'a, str>,
    #[serde(borrow, default)]
    pub pkg_name: Cow<'a, str>,
    #[serde(borrow, default)]
    pub pkg_path: Cow<'a, str>,
    #[serde(borrow, default)]
    pub pkg_identifier: PkgIdentifier<'a>,
    #[serde(borrow, default)]
    pub installed_version: Cow<'a, str>,
    /// Display text, not a version: may be a list or range text.
    #[serde(borrow, default)]
    pub fixed_version: Cow<'a, str>,
    /// Absent means `unknown` (Trivy omits the zero value) or a pre-0.35 report.
    #[serde(borrow, default)]
    pub status: Option<Cow<'a, str>>,
    /// Kept raw: only re-emitted.
    #[serde(borrow, default)]
    pub layer: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub severity_source: Option<Cow<'a, str>>,
    #[serde(rename = "PrimaryURL", borrow, default)]
    pub primary_url: Option<Cow<'a, str>>,
    /// Kept raw: only re-emitted (typed on demand with [`Vulnerability::data_source`]).
    #[serde(borrow, default)]
    pub data_source: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub fingerprint: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub title: Option<Cow<'a, str>>,
    /// Decoded on first use (descriptions often hold escapes, and decoding 30k of them up
    /// front cost a 100 MB report ~14 MB); `description.as_deref()` reads it.
    #[serde(borrow, default)]
    pub description: LazyStr<'a>,
    /// Empty is treated as `UNKNOWN` by Trivy's filter.
    #[serde(borrow, default)]
    pub severity: Cow<'a, str>,
    /// Kept raw; see [`Vulnerability::cwe_ids`].
    #[serde(rename = "CweIDs", borrow, default)]
    pub cwe_ids: Option<&'a RawValue>,
    /// source → 0=UNKNOWN 1=LOW 2=MEDIUM 3=HIGH 4=CRITICAL (an integer, not a string).
    /// Kept raw; typed by [`Vulnerability::vendor_severity`].
    #[serde(borrow, default)]
    pub vendor_severity: Option<&'a RawValue>,
    #[serde(rename = "CVSS", borrow, default)]
    pub cvss: Option<&'a RawValue>,
    /// Kept raw; see [`Vulnerability::references`].
    #[serde(borrow, default)]
    pub references: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub published_date: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub last_modified_date: Option<&'a RawValue>,
}

/// Decode a raw JSON value kept by the model; a value of the wrong shape decodes as empty.
fn decode_raw<T: serde::de::DeserializeOwned + Default>(raw: Option<&RawValue>) -> T {
    raw.and_then(|r| serde_json::from_str(r.get()).ok())
        .unwrap_or_default()
}

impl<'a> Vulnerability<'a> {
    /// `Severity` with Trivy's rule that an empty value is `UNKNOWN`
    /// (pkg/result/filter.go filterVulnerabilities).
    pub fn effective_severity(&self) -> &str {
        if self.severity.is_empty() {
            "UNKNOWN"
        } else {
            &self.severity
        }
    }

    /// The status Trivy filters on. A missing `Status` is `unknown`, except that a report
    /// older than ~v0.35 has no statuses at all: there a non-empty `FixedVersion` means
    /// `fixed` (Trivy sets fixed iff FixedVersion != "", pkg/vulnerability/vulnerability.go:70-74).
    pub fn effective_status(&self) -> &str {
        match self.status.as_deref() {
            Some(s) if !s.is_empty() => s,
            _ if !self.fixed_version.is_empty() => "fixed",
            _ => "unknown",
        }
    }

    /// Is a fix available (the question `--ignore-unfixed` asks)?
    pub fn is_fixed(&self) -> bool {
        self.effective_status() == "fixed"
    }

    /// `VendorIDs`, decoded on demand.
    pub fn vendor_ids(&self) -> Vec<String> {
        decode_raw(self.vendor_ids)
    }

    /// `CweIDs`, decoded on demand.
    pub fn cwe_ids(&self) -> Vec<String> {
        decode_raw(self.cwe_ids)
    }

    /// `References`, decoded on demand.
    pub fn references(&self) -> Vec<String> {
        decode_raw(self.references)
    }

    /// `VendorSeverity` (source → 0..4), decoded on demand.
    pub fn vendor_severity(&self) -> BTreeMap<String, i64> {
        decode_raw(self.vendor_severity)
    }

    /// `DataSource`, decoded on demand.
    pub fn data_source(&self) -> Option<DataSource<'a>> {
        self.data_source
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
    }

    /// `Layer`, decoded on demand.
    pub fn layer(&self) -> Option<Layer<'a>> {
        self.layer
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
    }

    pub fn purl(&self) -> Option<&str> {
        self.pkg_identifier
            .purl
            .as_deref()
            .filter(|p| !p.is_empty())
    }
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct DataSource<'a> {
    #[serde(rename = "ID", borrow, default)]
    pub id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(rename = "URL", borrow, default)]
    pub url: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Misconfiguration<'a> {
    #[serde(rename = "Type", borrow, default)]
    pub kind: Cow<'a, str>,
    #[serde(rename = "ID", borrow, default)]
    pub id: Cow<'a, str>,
    #[serde(rename = "AVDID", borrow, default)]
    pub avd_id: Option<Cow<'a, str>>,
    /// Other IDs of the check; the ignore file matches them too (pkg/result/filter.go).
    #[serde(borrow, default)]
    pub aliases: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub title: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub severity: Cow<'a, str>,
    /// PASS / FAIL / EXCEPTION; only FAIL counts toward Trivy's exit code.
    #[serde(borrow, default)]
    pub status: Cow<'a, str>,
    #[serde(rename = "PrimaryURL", borrow, default)]
    pub primary_url: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Secret<'a> {
    #[serde(rename = "RuleID", borrow, default)]
    pub rule_id: Cow<'a, str>,
    #[serde(borrow, default)]
    pub category: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub severity: Cow<'a, str>,
    #[serde(borrow, default)]
    pub title: Option<Cow<'a, str>>,
    #[serde(default)]
    pub start_line: Option<i64>,
    #[serde(default)]
    pub end_line: Option<i64>,
    #[serde(borrow, default)]
    pub r#match: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct License<'a> {
    #[serde(borrow, default)]
    pub severity: Cow<'a, str>,
    #[serde(borrow, default)]
    pub category: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub pkg_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub file_path: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
}

/// `ExperimentalModifiedFindings[]` (`types.ModifiedFinding`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifiedFinding<'a> {
    #[serde(rename = "Type", borrow, default)]
    pub kind: Cow<'a, str>,
    #[serde(borrow, default)]
    pub status: Cow<'a, str>,
    #[serde(borrow, default)]
    pub statement: Cow<'a, str>,
    #[serde(borrow, default)]
    pub source: Cow<'a, str>,
    /// Decoded according to `Type`; kept raw and parsed on demand with [`Self::vulnerability`].
    #[serde(borrow)]
    pub finding: &'a RawValue,
}

impl<'a> ModifiedFinding<'a> {
    /// The suppressed vulnerability, when `Type` is `vulnerability`.
    pub fn vulnerability(&self) -> Option<Vulnerability<'a>> {
        if self.kind != "vulnerability" {
            return None;
        }
        serde_json::from_str(self.finding.get()).ok()
    }
}

/// A JSON string kept as its raw text and decoded on first use. A string without escapes is
/// returned straight from the file buffer; one with escapes is decoded once and cached.
#[derive(Debug, Clone, Default)]
pub struct LazyStr<'a> {
    raw: Option<&'a RawValue>,
    decoded: std::sync::OnceLock<Option<String>>,
}

impl<'a> LazyStr<'a> {
    /// The string, or `None` when the key was absent, `null` or not a string.
    pub fn as_deref(&self) -> Option<&str> {
        let raw = self.raw?.get();
        let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
        if !inner.contains('\\') {
            return Some(inner);
        }
        self.decoded
            .get_or_init(|| serde_json::from_str::<String>(raw).ok())
            .as_deref()
    }

    pub fn is_some(&self) -> bool {
        self.as_deref().is_some()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for LazyStr<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: Option<&'a RawValue> = Option::deserialize(d)?;
        Ok(Self {
            raw: raw.filter(|r| r.get() != "null"),
            decoded: std::sync::OnceLock::new(),
        })
    }
}

#[cfg(test)]
mod lazy_str_tests {
    use super::*;

    #[test]
    fn borrowed_escaped_absent_and_raw_fields() {
        let v: Vulnerability = serde_json::from_str(
            r#"{"Description":"plain","Title":"t","References":["https://x?a=1\u0026b=2"],"CweIDs":["CWE-1"],"VendorIDs":["DSA-1"],"DataSource":{"ID":"debian"}}"#,
        )
        .unwrap();
        assert_eq!(v.description.as_deref(), Some("plain"));
        assert_eq!(v.references(), ["https://x?a=1&b=2"]);
        assert_eq!(v.cwe_ids(), ["CWE-1"]);
        assert_eq!(v.vendor_ids(), ["DSA-1"]);
        assert_eq!(v.data_source().unwrap().id.as_deref(), Some("debian"));
        let v: Vulnerability =
            serde_json::from_str(r#"{"Description":"a \"quoted\"\nline \u0026 more"}"#).unwrap();
        assert_eq!(v.description.as_deref(), Some("a \"quoted\"\nline & more"));
        let v: Vulnerability = serde_json::from_str(r#"{"Description":null}"#).unwrap();
        assert_eq!(v.description.as_deref(), None);
        let v: Vulnerability = serde_json::from_str(r#"{}"#).unwrap();
        assert!(!v.description.is_some());
    }
}
