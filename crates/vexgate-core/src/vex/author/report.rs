//! The findings for one vulnerability ID in a Trivy report, from one read of the file.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

/// Where a finding's ID matched the requested ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchedBy {
    VulnerabilityId,
    VendorIds,
    Aliases,
}

impl MatchedBy {
    pub fn field(self) -> &'static str {
        match self {
            MatchedBy::VulnerabilityId => "VulnerabilityID",
            MatchedBy::VendorIds => "VendorIDs",
            MatchedBy::Aliases => "Aliases",
        }
    }
}

/// One finding for the requested ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub vulnerability_id: String,
    pub purl: Option<String>,
    pub pkg_id: String,
    pub matched_by: MatchedBy,
    /// Found under `ExperimentalModifiedFindings` (already suppressed by VEX or an ignore).
    pub suppressed: bool,
}

/// What `vex add` reads from a report.
#[derive(Debug, Clone, Default)]
pub struct ReportFacts {
    pub findings: Vec<Finding>,
    pub repo_digests: Vec<String>,
    pub repo_tags: Vec<String>,
    pub artifact_type: String,
    pub artifact_name: String,
    /// Every ID of the report's vulnerabilities (VulnerabilityID, VendorIDs, Aliases), for a
    /// "did you mean" hint when nothing matches.
    pub ids: BTreeSet<String>,
}

impl ReportFacts {
    /// IDs in the report that equal `id` ignoring case.
    pub fn ids_ignoring_case(&self, id: &str) -> Vec<String> {
        self.ids
            .iter()
            .filter(|x| x.eq_ignore_ascii_case(id))
            .cloned()
            .collect()
    }
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn finding_from(v: &Value, id: &str, suppressed: bool) -> Option<Finding> {
    let vid = v
        .get("VulnerabilityID")
        .and_then(Value::as_str)
        .unwrap_or("");
    let matched_by = if vid == id {
        MatchedBy::VulnerabilityId
    } else if str_list(v.get("VendorIDs")).iter().any(|x| x == id) {
        MatchedBy::VendorIds
    } else if str_list(v.get("Aliases")).iter().any(|x| x == id) {
        MatchedBy::Aliases
    } else {
        return None;
    };
    let purl = v
        .pointer("/PkgIdentifier/PURL")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Some(Finding {
        vulnerability_id: vid.to_string(),
        purl,
        pkg_id: v
            .get("PkgID")
            .or_else(|| v.get("PkgName"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        matched_by,
        suppressed,
    })
}

/// Every finding for `id` in a Trivy report: `Results[].Vulnerabilities[]` and the
/// suppressed `Results[].ExperimentalModifiedFindings[].Finding` (a report written with
/// `--show-suppressed` after VEX was applied), matching `VulnerabilityID`, `VendorIDs` and
/// `Aliases` (when the report has them). The file is read once, with the bounds of every
/// input.
pub fn read_report(path: &Path, id: &str) -> Result<ReportFacts> {
    let file = crate::report::ReportFile::read(path)?;
    // The typed parse checks that this is a SchemaVersion 2 Trivy report.
    file.parse()?;
    let root: Value = serde_json::from_str(&file.text).map_err(|e| Error::json(path, &e))?;
    let mut facts = ReportFacts {
        repo_digests: str_list(root.pointer("/Metadata/RepoDigests")),
        repo_tags: str_list(root.pointer("/Metadata/RepoTags")),
        artifact_type: root
            .get("ArtifactType")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        artifact_name: root
            .get("ArtifactName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        findings: Vec::new(),
        ids: BTreeSet::new(),
    };
    for r in root
        .get("Results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for v in r
            .get("Vulnerabilities")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            facts.findings.extend(finding_from(v, id, false));
            facts.ids.extend(str_list(v.get("VendorIDs")));
            facts.ids.extend(str_list(v.get("Aliases")));
            facts.ids.extend(
                v.get("VulnerabilityID")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            );
        }
        for m in r
            .get("ExperimentalModifiedFindings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if m.get("Type").and_then(Value::as_str) == Some("vulnerability")
                && let Some(f) = m.get("Finding")
            {
                facts.findings.extend(finding_from(f, id, true));
            }
        }
    }
    Ok(facts)
}
