//! Typed, borrowing view of a Trivy JSON report (SchemaVersion 2).
//!
//! Every field of Trivy 0.76's JSON report (pkg/types/report.go) is modelled, and decoded
//! as Go's `encoding/json` decodes it into Trivy's structs (keys folded, the last duplicate
//! winning, wrong types refused: see [`super::gojson`]). Strings borrow from the file
//! buffer whenever they contain no escapes (`Cow<'a, str>`), so parsing a 100 MB report
//! allocates little. Fields this model does not know are not kept here: the
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

use serde_json::value::RawValue;

use super::gojson::{GoDecode, go_struct};
use crate::status::Status;

/// A whole report. `SchemaVersion` is checked by the loader.
///
#[derive(Debug, Default)]
pub struct Report<'a> {
    pub schema_version: Option<i64>,
    pub trivy: Option<TrivyInfo<'a>>,
    pub report_id: Option<Cow<'a, str>>,
    pub created_at: Option<Cow<'a, str>>,
    pub artifact_id: Option<Cow<'a, str>>,
    pub artifact_name: Cow<'a, str>,
    pub artifact_type: Cow<'a, str>,
    pub metadata: Metadata<'a>,
    /// Absent when nothing was found: that is an empty list here.
    pub results: Vec<ScanResult<'a>>,
}

#[derive(Debug, Default)]
pub struct TrivyInfo<'a> {
    pub version: Option<Cow<'a, str>>,
}

#[derive(Debug, Default)]
pub struct Metadata<'a> {
    pub size: Option<i64>,
    pub os: Option<OsInfo<'a>>,
    pub image_id: Option<Cow<'a, str>>,
    pub diff_ids: Vec<Cow<'a, str>>,
    pub repo_tags: Vec<Cow<'a, str>>,
    pub repo_digests: Vec<Cow<'a, str>>,
    pub reference: Option<Cow<'a, str>>,
    pub image_config: Option<ImageConfig<'a>>,
    pub layers: Vec<Layer<'a>>,
}

#[derive(Debug, Default)]
pub struct OsInfo<'a> {
    pub family: Cow<'a, str>,
    pub name: Cow<'a, str>,
    pub eosl: bool,
    pub supplier: Option<Cow<'a, str>>,
    pub extended: bool,
}

/// go-containerregistry `v1.ConfigFile`: keys are lowercase.
#[derive(Debug, Default)]
pub struct ImageConfig<'a> {
    pub architecture: Option<Cow<'a, str>>,
    pub os: Option<Cow<'a, str>>,
    pub variant: Option<Cow<'a, str>>,
    pub created: Option<Cow<'a, str>>,
    /// `config` (User, Entrypoint, Labels, …) is kept raw: vexgate only passes it through.
    pub config: Option<&'a RawValue>,
}

#[derive(Debug, Default, Clone)]
pub struct Layer<'a> {
    pub size: Option<i64>,
    pub digest: Option<Cow<'a, str>>,
    pub diff_id: Option<Cow<'a, str>>,
    pub created_by: Option<Cow<'a, str>>,
}

/// One `Results[]` entry (`types.Result`).
#[derive(Debug, Default)]
pub struct ScanResult<'a> {
    pub target: Cow<'a, str>,
    pub class: Cow<'a, str>,
    pub kind: Cow<'a, str>,
    pub packages: Option<Vec<Package<'a>>>,
    pub vulnerabilities: Vec<Vulnerability<'a>>,
    pub misconf_summary: Option<&'a RawValue>,
    pub misconfigurations: Vec<Misconfiguration<'a>>,
    pub secrets: Vec<Secret<'a>>,
    pub licenses: Vec<License<'a>>,
    pub custom_resources: Option<&'a RawValue>,
    pub modified_findings: Vec<ModifiedFinding<'a>>,
}

#[derive(Debug, Default, Clone)]
pub struct PkgIdentifier<'a> {
    pub purl: Option<Cow<'a, str>>,
    pub uid: Option<Cow<'a, str>>,
    pub bom_ref: Option<Cow<'a, str>>,
}

/// `ftypes.Package`. Only what the VEX graph and the authoring tool use is
/// typed in depth; the rest is kept raw.
#[derive(Debug, Default)]
pub struct Package<'a> {
    pub id: Cow<'a, str>,
    pub name: Cow<'a, str>,
    pub identifier: PkgIdentifier<'a>,
    pub version: Cow<'a, str>,
    pub release: Option<Cow<'a, str>>,
    pub epoch: Option<i64>,
    pub arch: Option<Cow<'a, str>>,
    pub dev: bool,
    pub src_name: Option<Cow<'a, str>>,
    pub src_version: Option<Cow<'a, str>>,
    pub src_release: Option<Cow<'a, str>>,
    pub src_epoch: Option<i64>,
    pub licenses: Vec<Cow<'a, str>>,
    pub indirect: bool,
    /// `root` | `workspace` | `direct` | `indirect`; `unknown` is omitted by Trivy.
    pub relationship: Option<Cow<'a, str>>,
    /// Package IDs (not UIDs) of packages in the same Result.
    pub depends_on: Vec<Cow<'a, str>>,
    pub layer: Option<Layer<'a>>,
    pub file_path: Option<Cow<'a, str>>,
    pub analyzed_by: Option<Cow<'a, str>>,
}

/// `types.DetectedVulnerability`.
#[derive(Debug, Default, Clone)]
pub struct Vulnerability<'a> {
    pub vulnerability_id: Cow<'a, str>,
    /// Kept raw (the gate never reads it; see [`Vulnerability::vendor_ids`]).
    pub vendor_ids: Option<&'a RawValue>,
    pub pkg_id: Cow<'a, str>,
    pub pkg_name: Cow<'a, str>,
    pub pkg_path: Cow<'a, str>,
    pub pkg_identifier: PkgIdentifier<'a>,
    pub installed_version: Cow<'a, str>,
    /// Display text, not a version: may be a list or range text.
    pub fixed_version: Cow<'a, str>,
    /// Absent means `unknown` (Trivy omits the zero value) or a pre-0.35 report; a string
    /// that names no status (`"Fixed"`) and `null` read as absent, as Trivy reads them.
    pub status: Option<Status>,
    /// Kept raw: only re-emitted.
    pub layer: Option<&'a RawValue>,
    pub severity_source: Option<Cow<'a, str>>,
    pub primary_url: Option<Cow<'a, str>>,
    /// Kept raw: only re-emitted (typed on demand with [`Vulnerability::data_source`]).
    pub data_source: Option<&'a RawValue>,
    pub fingerprint: Option<Cow<'a, str>>,
    pub title: Option<Cow<'a, str>>,
    /// Decoded on first use (descriptions often hold escapes, and decoding 30k of them up
    /// front cost a 100 MB report ~14 MB); `description.as_deref()` reads it.
    pub description: LazyStr<'a>,
    /// Empty is treated as `UNKNOWN` by Trivy's filter.
    pub severity: Cow<'a, str>,
    /// Kept raw; see [`Vulnerability::cwe_ids`].
    pub cwe_ids: Option<&'a RawValue>,
    /// source → 0=UNKNOWN 1=LOW 2=MEDIUM 3=HIGH 4=CRITICAL (an integer, not a string).
    /// Kept raw; typed by [`Vulnerability::vendor_severity`].
    pub vendor_severity: Option<&'a RawValue>,
    pub cvss: Option<&'a RawValue>,
    /// Kept raw; see [`Vulnerability::references`].
    pub references: Option<&'a RawValue>,
    pub published_date: Option<&'a RawValue>,
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
    pub fn effective_status(&self) -> Status {
        match self.status {
            Some(s) => s,
            None if !self.fixed_version.is_empty() => Status::Fixed,
            None => Status::Unknown,
        }
    }

    /// Is a fix available (the question `--ignore-unfixed` asks)?
    pub fn is_fixed(&self) -> bool {
        self.effective_status() == Status::Fixed
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

#[derive(Debug, Default, Clone)]
pub struct DataSource<'a> {
    pub id: Option<Cow<'a, str>>,
    pub name: Option<Cow<'a, str>>,
    pub url: Option<Cow<'a, str>>,
}

#[derive(Debug, Default)]
pub struct Misconfiguration<'a> {
    pub kind: Cow<'a, str>,
    pub id: Cow<'a, str>,
    pub avd_id: Option<Cow<'a, str>>,
    /// Other IDs of the check; the ignore file matches them too (pkg/result/filter.go).
    pub aliases: Vec<Cow<'a, str>>,
    pub title: Option<Cow<'a, str>>,
    pub message: Option<Cow<'a, str>>,
    pub severity: Cow<'a, str>,
    /// PASS / FAIL / EXCEPTION; only FAIL counts toward Trivy's exit code.
    pub status: Cow<'a, str>,
    pub primary_url: Option<Cow<'a, str>>,
}

#[derive(Debug, Default)]
pub struct Secret<'a> {
    pub rule_id: Cow<'a, str>,
    pub category: Option<Cow<'a, str>>,
    pub severity: Cow<'a, str>,
    pub title: Option<Cow<'a, str>>,
    pub start_line: Option<i64>,
    pub end_line: Option<i64>,
    pub r#match: Option<Cow<'a, str>>,
}

#[derive(Debug, Default)]
pub struct License<'a> {
    pub severity: Cow<'a, str>,
    pub category: Option<Cow<'a, str>>,
    pub pkg_name: Option<Cow<'a, str>>,
    pub file_path: Option<Cow<'a, str>>,
    pub name: Cow<'a, str>,
}

/// `ExperimentalModifiedFindings[]` (`types.ModifiedFinding`).
#[derive(Debug, Default)]
pub struct ModifiedFinding<'a> {
    pub kind: Cow<'a, str>,
    pub status: Cow<'a, str>,
    pub statement: Cow<'a, str>,
    pub source: Cow<'a, str>,
    /// Decoded according to `Type`; kept raw and parsed on demand with [`Self::vulnerability`].
    pub finding: Option<&'a RawValue>,
}

impl<'a> ModifiedFinding<'a> {
    /// The suppressed vulnerability, when `Type` is `vulnerability`.
    pub fn vulnerability(&self) -> Option<Vulnerability<'a>> {
        if self.kind != "vulnerability" {
            return None;
        }
        serde_json::from_str(self.finding?.get()).ok()
    }
}

// Go `encoding/json` decoding for every struct above (see `gojson`).
go_struct!(Report {
    schema_version: "SchemaVersion",
    trivy: "Trivy",
    report_id: "ReportID",
    created_at: "CreatedAt",
    artifact_id: "ArtifactID",
    artifact_name: "ArtifactName",
    artifact_type: "ArtifactType",
    metadata: "Metadata",
    results: "Results",
});
go_struct!(TrivyInfo { version: "Version" });
go_struct!(Metadata {
    size: "Size",
    os: "OS",
    image_id: "ImageID",
    diff_ids: "DiffIDs",
    repo_tags: "RepoTags",
    repo_digests: "RepoDigests",
    reference: "Reference",
    image_config: "ImageConfig",
    layers: "Layers",
});
go_struct!(OsInfo {
    family: "Family",
    name: "Name",
    eosl: "EOSL",
    supplier: "Supplier",
    extended: "extended",
});
go_struct!(ImageConfig {
    architecture: "architecture",
    os: "os",
    variant: "variant",
    created: "created",
    config: "config" as Object,
});
go_struct!(Layer {
    size: "Size",
    digest: "Digest",
    diff_id: "DiffID",
    created_by: "CreatedBy",
});
go_struct!(ScanResult {
    target: "Target",
    class: "Class",
    kind: "Type",
    packages: "Packages",
    vulnerabilities: "Vulnerabilities",
    misconf_summary: "MisconfSummary" as Object,
    misconfigurations: "Misconfigurations",
    secrets: "Secrets",
    licenses: "Licenses",
    custom_resources: "CustomResources" as Array,
    modified_findings: "ExperimentalModifiedFindings",
});
go_struct!(PkgIdentifier {
    purl: "PURL",
    uid: "UID",
    bom_ref: "BOMRef",
});
go_struct!(Package {
    id: "ID",
    name: "Name",
    identifier: "Identifier",
    version: "Version",
    release: "Release",
    epoch: "Epoch",
    arch: "Arch",
    dev: "Dev",
    src_name: "SrcName",
    src_version: "SrcVersion",
    src_release: "SrcRelease",
    src_epoch: "SrcEpoch",
    licenses: "Licenses",
    indirect: "Indirect",
    relationship: "Relationship",
    depends_on: "DependsOn",
    layer: "Layer",
    file_path: "FilePath",
    analyzed_by: "AnalyzedBy",
});
go_struct!(Vulnerability {
    vulnerability_id: "VulnerabilityID",
    vendor_ids: "VendorIDs" as Array,
    pkg_id: "PkgID",
    pkg_name: "PkgName",
    pkg_path: "PkgPath",
    pkg_identifier: "PkgIdentifier",
    installed_version: "InstalledVersion",
    fixed_version: "FixedVersion",
    status: "Status" as status,
    layer: "Layer" as Object,
    severity_source: "SeveritySource",
    primary_url: "PrimaryURL",
    data_source: "DataSource" as Object,
    fingerprint: "Fingerprint",
    title: "Title",
    description: "Description",
    severity: "Severity",
    cwe_ids: "CweIDs" as Array,
    vendor_severity: "VendorSeverity" as Object,
    cvss: "CVSS" as Object,
    references: "References" as Array,
    published_date: "PublishedDate" as Time,
    last_modified_date: "LastModifiedDate" as Time,
});
go_struct!(DataSource {
    id: "ID",
    name: "Name",
    url: "URL",
});
go_struct!(Misconfiguration {
    kind: "Type",
    id: "ID",
    avd_id: "AVDID",
    aliases: "Aliases",
    title: "Title",
    message: "Message",
    severity: "Severity",
    status: "Status",
    primary_url: "PrimaryURL",
});
go_struct!(Secret {
    rule_id: "RuleID",
    category: "Category",
    severity: "Severity",
    title: "Title",
    start_line: "StartLine",
    end_line: "EndLine",
    r#match: "Match",
});
go_struct!(License {
    severity: "Severity",
    category: "Category",
    pkg_name: "PkgName",
    file_path: "FilePath",
    name: "Name",
});
go_struct!(ModifiedFinding {
    kind: "Type",
    status: "Status",
    statement: "Statement",
    source: "Source",
    finding: "Finding" as Object,
});

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

/// Go `string`: `null` leaves it; anything but a string is an error.
impl<'de: 'a, 'a> GoDecode<'de> for LazyStr<'a> {
    fn go_decode<D: serde::Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        let raw = <&'a RawValue as serde::Deserialize>::deserialize(d)?;
        match raw.get().as_bytes().first() {
            Some(b'n') => {}
            Some(b'"') => {
                self.raw = Some(raw);
                self.decoded = std::sync::OnceLock::new();
            }
            _ => {
                return Err(serde::de::Error::invalid_type(
                    super::gojson::unexpected(raw.get()),
                    &"a string",
                ));
            }
        }
        Ok(())
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
