//! The CISA Known Exploited Vulnerabilities catalog, as CISA publishes it
//! (`known_exploited_vulnerabilities.json`, schema
//! <https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities_schema.json>):
//! `title`, `catalogVersion`, `dateReleased`, `count`, then `vulnerabilities[]` with
//! `cveID`, `vendorProject`, `product`, `vulnerabilityName`, `dateAdded`,
//! `shortDescription`, `requiredAction`, `dueDate`, `knownRansomwareCampaignUse`
//! (`Known` / `Unknown`), `notes` and `cwes`. Keys CISA adds later are ignored; a missing
//! required key, a date that is not a date, a `cveID` that is not a CVE, a ransomware value
//! other than the two, or a `count` that disagrees with the list (a truncated download) is
//! an error naming the file.

use std::collections::HashMap;
use std::path::Path;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;

use crate::error::{Error, Result};

/// `knownRansomwareCampaignUse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ransomware {
    Known,
    Unknown,
}

impl Ransomware {
    pub const fn as_str(self) -> &'static str {
        match self {
            Ransomware::Known => "Known",
            Ransomware::Unknown => "Unknown",
        }
    }
}

/// One catalog entry. Every string is as CISA wrote it (hostile for display: escape it).
#[derive(Debug, Clone, PartialEq)]
pub struct KevEntry {
    pub cve_id: String,
    pub vendor_project: String,
    pub product: String,
    pub vulnerability_name: String,
    pub date_added: Date,
    pub short_description: String,
    pub required_action: String,
    pub due_date: Date,
    pub ransomware: Ransomware,
    pub notes: String,
    pub cwes: Vec<String>,
}

/// The catalog, indexed by CVE ID.
#[derive(Debug, Clone)]
pub struct KevCatalog {
    pub title: String,
    pub catalog_version: String,
    pub date_released: Timestamp,
    entries: HashMap<String, KevEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCatalog {
    title: String,
    catalog_version: String,
    date_released: String,
    count: u64,
    vulnerabilities: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    #[serde(rename = "cveID")]
    cve_id: String,
    vendor_project: String,
    product: String,
    vulnerability_name: String,
    date_added: String,
    short_description: String,
    required_action: String,
    due_date: String,
    known_ransomware_campaign_use: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    cwes: Vec<String>,
}

fn date(s: &str) -> Option<Date> {
    s.parse::<Date>().ok()
}

impl KevCatalog {
    /// Read and validate a catalog file.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = super::read_bytes(path)?;
        Self::parse(path, &bytes)
    }

    /// Validate catalog bytes; `path` names the file in errors.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self> {
        let raw: RawCatalog = serde_json::from_slice(bytes).map_err(|e| {
            let mut err = Error::json(path, &e);
            if let Error::Input { message, .. } = &mut err {
                message.insert_str(0, "not a CISA KEV catalog: ");
            }
            err
        })?;
        let bad = |what: String| Error::input(path, format!("not a CISA KEV catalog: {what}"));
        let date_released = raw.date_released.parse::<Timestamp>().map_err(|_| {
            bad(format!(
                "dateReleased {:?} is not a time",
                raw.date_released
            ))
        })?;
        if raw.count != raw.vulnerabilities.len() as u64 {
            return Err(bad(format!(
                "count is {} but the catalog lists {} vulnerabilities (truncated?)",
                raw.count,
                raw.vulnerabilities.len()
            )));
        }
        if raw.vulnerabilities.is_empty() {
            return Err(bad("the catalog lists no vulnerabilities".to_string()));
        }
        let mut entries = HashMap::with_capacity(raw.vulnerabilities.len());
        for (i, e) in raw.vulnerabilities.into_iter().enumerate() {
            let at = |field: &str, v: &str| bad(format!("vulnerabilities[{i}].{field} {v:?}"));
            if !super::is_cve(&e.cve_id) {
                return Err(at("cveID is not a CVE ID:", &e.cve_id));
            }
            let date_added =
                date(&e.date_added).ok_or_else(|| at("dateAdded is not a date:", &e.date_added))?;
            let due_date =
                date(&e.due_date).ok_or_else(|| at("dueDate is not a date:", &e.due_date))?;
            let ransomware = match e.known_ransomware_campaign_use.as_str() {
                "Known" => Ransomware::Known,
                "Unknown" => Ransomware::Unknown,
                other => {
                    return Err(at(
                        "knownRansomwareCampaignUse is neither Known nor Unknown:",
                        other,
                    ));
                }
            };
            // The first entry of a CVE wins (CISA lists each CVE once).
            entries.entry(e.cve_id.clone()).or_insert(KevEntry {
                cve_id: e.cve_id,
                vendor_project: e.vendor_project,
                product: e.product,
                vulnerability_name: e.vulnerability_name,
                date_added,
                short_description: e.short_description,
                required_action: e.required_action,
                due_date,
                ransomware,
                notes: e.notes,
                cwes: e.cwes,
            });
        }
        Ok(KevCatalog {
            title: raw.title,
            catalog_version: raw.catalog_version,
            date_released,
            entries,
        })
    }

    pub fn get(&self, cve: &str) -> Option<&KevEntry> {
        self.entries.get(cve)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/feeds/kev.json")
    }

    #[test]
    fn reads_the_fixture_catalog() {
        let c = KevCatalog::read(&fixture()).unwrap();
        let raw: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fixture()).unwrap()).unwrap();
        assert_eq!(c.catalog_version, raw["catalogVersion"].as_str().unwrap());
        let list = raw["vulnerabilities"].as_array().unwrap();
        assert_eq!(c.len(), list.len());
        for v in list {
            let e = c.get(v["cveID"].as_str().unwrap()).unwrap();
            assert_eq!(e.due_date.to_string(), v["dueDate"].as_str().unwrap());
            assert_eq!(
                e.ransomware.as_str(),
                v["knownRansomwareCampaignUse"].as_str().unwrap()
            );
        }
    }

    #[test]
    fn refuses_malformed_catalogs() {
        let p = Path::new("kev.json");
        let good = std::fs::read_to_string(fixture()).unwrap();
        let cases = [
            ("{}".to_string(), "missing field"),
            ("[1]".to_string(), "not a CISA KEV catalog"),
            (
                good.replacen("\"Known\"", "\"Maybe\"", 1)
                    .replacen("\"Unknown\"", "\"Maybe\"", 1),
                "knownRansomwareCampaignUse",
            ),
            (
                good.replacen("\"dueDate\": \"", "\"dueDate\": \"x", 1),
                "dueDate",
            ),
            (
                good.replacen("\"cveID\": \"CVE-", "\"cveID\": \"XVE-", 1),
                "cveID",
            ),
            (good.replacen("\"count\": ", "\"count\": 9", 1), "truncated"),
        ];
        for (text, want) in cases {
            let e = KevCatalog::parse(p, text.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("kev.json: "), "{e}");
            assert!(e.contains(want), "{want}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
