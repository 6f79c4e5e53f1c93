//! Shared by the integration tests.
#![allow(dead_code)]

/// A Trivy-shaped fixture of `vulns` vulnerability details and `pkgs` debian package buckets
/// (each with 6 advisories), as JSON text.
pub fn large_fixture(vulns: usize, pkgs: usize) -> String {
    let mut details = Vec::new();
    for i in 0..vulns {
        details.push(format!(
            r#"{{"key":"CVE-2099-{i:05}","value":{{"Title":"synthetic {i}","Description":"synthetic vulnerability number {i} for the size test","Severity":"MEDIUM","VendorSeverity":{{"nvd":2}}}}}}"#
        ));
    }
    let mut buckets = Vec::new();
    for p in 0..pkgs {
        let adv: Vec<String> = (0..6)
            .map(|j| {
                format!(
                    r#"{{"key":"CVE-2099-{:05}","value":{{"FixedVersion":"1.{j}-1"}}}}"#,
                    (p * 6 + j) % vulns
                )
            })
            .collect();
        buckets.push(format!(
            r#"{{"bucket":"synthetic-pkg-{p:04}","pairs":[{}]}}"#,
            adv.join(",")
        ));
    }
    format!(
        r#"[{{"bucket":"vulnerability","pairs":[{}]}},{{"bucket":"debian 12","pairs":[{}]}}]"#,
        details.join(","),
        buckets.join(",")
    )
}
