//! Shared by the integration tests.

use std::path::{Path, PathBuf};

/// dpkg status stanzas of packages in a bookworm minbase system, at the versions bookworm ships.
pub const DPKG_STATUS: &str = "\
Package: base-files
Essential: yes
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 340
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Multi-Arch: foreign
Version: 12.4+deb12u15
Description: Debian base system miscellaneous files

Package: coreutils
Essential: yes
Status: install ok installed
Priority: required
Section: utils
Installed-Size: 18062
Maintainer: Michael Stone <mstone@debian.org>
Architecture: amd64
Multi-Arch: foreign
Version: 9.1-1
Pre-Depends: libacl1 (>= 2.2.23), libattr1 (>= 1:2.4.44), libc6 (>= 2.34), libgmp10 (>= 2:6.2.1+dfsg1), libselinux1 (>= 3.1~), libssl3 (>= 3.0.0)
Description: GNU core utilities

Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12988
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u14
Depends: libgcc-s1
Description: GNU C Library: Shared libraries

Package: perl-base
Essential: yes
Status: install ok installed
Priority: required
Section: perl
Installed-Size: 7650
Maintainer: Niko Tyni <ntyni@debian.org>
Architecture: amd64
Source: perl
Version: 5.36.0-7+deb12u4
Pre-Depends: libc6 (>= 2.35), libcrypt1 (>= 1:4.1.0)
Description: minimal Perl system

Package: zlib1g
Status: install ok installed
Priority: required
Section: libs
Installed-Size: 168
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Depends: libc6 (>= 2.14)
Description: compression library - runtime
";

/// Writes [`DPKG_STATUS`] beside `path` (as `PATH.dpkg-status`) and returns its path, for
/// `fixture-db --dpkg-status`.
pub fn status_beside(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".dpkg-status");
    let p = path.with_file_name(name);
    std::fs::write(&p, DPKG_STATUS).unwrap();
    p
}

/// `text` (a fixture) with every `{"$after_installed": PKG}` placeholder replaced by the version
/// fixture-db resolves it to against [`DPKG_STATUS`], for checkers that read fixtures themselves.
pub fn resolved_fixture(text: &str) -> String {
    fn walk(v: &mut serde_json::Value, installed: &fixture_db::dpkg::Installed) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::String(pkg)) = m.get("$after_installed") {
                    let p = installed
                        .get(pkg)
                        .expect("placeholder names an installed package");
                    *v = fixture_db::dpkg::next_update(&p.source_version).into();
                    return;
                }
                m.values_mut().for_each(|x| walk(x, installed));
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, installed)),
            _ => {}
        }
    }
    let installed = fixture_db::dpkg::Installed::parse(DPKG_STATUS).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
    walk(&mut v, &installed);
    v.to_string()
}

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
