//! What a Debian image really has installed, so that fixtures can plant advisories relative to it.
//!
//! A test image built from a live Debian archive changes whenever the archive publishes a point or
//! security release. A fixture that names a literal `FixedVersion` then stops matching (or starts
//! matching something else). Instead, a fixture writes `{"$after_installed": "zlib1g"}` where the
//! version belongs, and `fixture-db --dpkg-status IMAGE_STATUS` replaces it with a version that
//! sorts after the one installed in the image, under dpkg's own ordering ([`compare`]).
//!
//! Trivy's Debian detector (`pkg/detector/ospkg/debian/debian.go`, v0.76) compares an advisory's
//! `FixedVersion` with the installed package's **source** version, so that is the one used here.

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// One installed binary package of a dpkg status file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// The source package (`Source:`, else the package itself).
    pub source: String,
    /// The source version (`Source: name (version)`, else `version`).
    pub source_version: String,
}

/// The installed packages of a dpkg status file, by binary package name.
#[derive(Debug, Default, Clone)]
pub struct Installed {
    packages: BTreeMap<String, Package>,
}

impl Installed {
    /// Parse a dpkg status file (`/var/lib/dpkg/status`). Only stanzas whose `Status` ends in
    /// `installed` count, as in dpkg and in Trivy's dpkg analyzer.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut packages = BTreeMap::new();
        for (i, stanza) in text.split("\n\n").enumerate() {
            let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
            for line in stanza.lines() {
                if line.starts_with([' ', '\t']) || line.is_empty() {
                    continue; // continuation of a multi-line field (Description, Conffiles)
                }
                let Some((k, v)) = line.split_once(':') else {
                    return Err(format!(
                        "stanza {}: line {line:?} is not a `Field: value` line",
                        i + 1
                    ));
                };
                fields.insert(k, v.trim());
            }
            if fields.is_empty() {
                continue;
            }
            let (Some(name), Some(version)) = (fields.get("Package"), fields.get("Version")) else {
                return Err(format!("stanza {}: no Package or no Version field", i + 1));
            };
            if !fields
                .get("Status")
                .is_some_and(|s| s.ends_with(" installed"))
            {
                continue;
            }
            let (source, source_version) = match fields.get("Source") {
                None => (name.to_string(), version.to_string()),
                Some(s) => match s.split_once(' ') {
                    None => (s.to_string(), version.to_string()),
                    Some((src, rest)) => {
                        let v = rest.trim().trim_start_matches('(').trim_end_matches(')');
                        (src.to_string(), v.trim().to_string())
                    }
                },
            };
            packages.insert(
                name.to_string(),
                Package {
                    name: name.to_string(),
                    version: version.to_string(),
                    source,
                    source_version,
                },
            );
        }
        Ok(Self { packages })
    }

    pub fn get(&self, binary: &str) -> Option<&Package> {
        self.packages.get(binary)
    }

    pub fn len(&self) -> usize {
        self.packages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }
}

/// A version that sorts after `installed` under [`compare`], as the archive's next security
/// update would: a trailing `+debNuM` becomes `+debNu(M+1)`; anything else gets `+vexgate1`
/// appended (a suffix that starts with `+` always sorts after the string it extends).
pub fn next_update(installed: &str) -> String {
    if let Some(pos) = installed.rfind("+deb") {
        let tail = &installed[pos + 4..];
        if let Some((release, update)) = tail.split_once('u')
            && !release.is_empty()
            && release.bytes().all(|b| b.is_ascii_digit())
            && !update.is_empty()
            && update.bytes().all(|b| b.is_ascii_digit())
            && let Ok(n) = update.parse::<u64>()
        {
            return format!("{}+deb{release}u{}", &installed[..pos], n + 1);
        }
    }
    format!("{installed}+vexgate1")
}

/// dpkg's version ordering (`lib/dpkg/version.c` `dpkg_version_compare`, dpkg 1.21): the epoch as
/// a number, then the upstream version and the revision with `verrevcmp`.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| verrevcmp(ua, ub))
        .then_with(|| verrevcmp(ra, rb))
}

/// `[epoch:]upstream[-revision]`: the epoch is the digits before the first `:`, the revision
/// what follows the last `-`.
fn split(v: &str) -> (u64, &str, &str) {
    let v = v.trim();
    let (epoch, rest) = match v.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
            (e.parse().unwrap_or(u64::MAX), rest)
        }
        _ => (0, v),
    };
    match rest.rsplit_once('-') {
        Some((up, rev)) => (epoch, up, rev),
        None => (epoch, rest, ""),
    }
}

/// `order()` of dpkg: digits 0 (never reached), letters themselves, `~` before everything (even
/// the end of the string), other characters after all letters.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs in increasing order, from dpkg's own `t-version.c` cases and Debian's policy examples.
    const ASCENDING: &[(&str, &str)] = &[
        ("1.0~rc1", "1.0"),
        ("1.0-1", "1.0-1+deb12u1"),
        ("1.0-1+deb12u1", "1.0-1+deb12u2"),
        ("1.0-1+deb12u9", "1.0-1+deb12u10"),
        ("1.0-1+b1", "1.0-1+deb12u1"),
        ("2.0", "1:1.0"),
        ("1:1.2.13.dfsg-1", "1:1.2.13.dfsg-1+deb12u1"),
        ("1.2.3", "1.2.3a"),
        ("1.2.3~", "1.2.3"),
        ("1.2.3~~", "1.2.3~"),
        ("9.1-1", "9.1-1.1"),
        ("5.7-0.5~deb12u1", "5.7-0.5"),
        ("0.5.12-2", "0.5.12-10"),
        ("1.34+dfsg-1.2+deb12u1", "1.34+dfsg-1.2+deb12u2"),
        ("a", "a."),
        ("1.0.", "1.0.a"),
    ];

    #[test]
    fn dpkg_order() {
        for (lo, hi) in ASCENDING {
            assert_eq!(compare(lo, hi), Ordering::Less, "{lo} < {hi}");
            assert_eq!(compare(hi, lo), Ordering::Greater, "{hi} > {lo}");
        }
        for v in ["1.0", "0:1.0", "1.0-0", "1.00", "01.0"] {
            assert_eq!(compare("1.0", v), Ordering::Equal, "1.0 = {v}");
        }
    }

    /// The ordering agrees with dpkg itself on every pair of a version set, when dpkg is here.
    #[test]
    fn agrees_with_dpkg_compare_versions() {
        let mut set: Vec<&str> = ASCENDING.iter().flat_map(|(a, b)| [*a, *b]).collect();
        set.extend([
            "1:0",
            "0",
            "1.0+vexgate1",
            "1.0-1+vexgate1",
            "2.36-9+deb12u14",
        ]);
        let probe = std::process::Command::new("dpkg").arg("--version").output();
        if !probe.is_ok_and(|o| o.status.success()) {
            eprintln!("SKIP agrees_with_dpkg_compare_versions: no dpkg on this machine");
            return;
        }
        for a in &set {
            for b in &set {
                let lt = std::process::Command::new("dpkg")
                    .args(["--compare-versions", a, "lt", b])
                    .status()
                    .unwrap()
                    .success();
                assert_eq!(compare(a, b) == Ordering::Less, lt, "{a} lt {b}");
            }
        }
    }

    #[test]
    fn next_update_sorts_after() {
        for (v, want) in [
            ("1:1.2.13.dfsg-1", "1:1.2.13.dfsg-1+vexgate1"),
            ("1:1.2.13.dfsg-1+deb12u1", "1:1.2.13.dfsg-1+deb12u2"),
            ("1.34+dfsg-1.2+deb12u9", "1.34+dfsg-1.2+deb12u10"),
            ("12.4+deb12u15", "12.4+deb12u16"),
            ("5.7-0.5~deb12u1", "5.7-0.5~deb12u1+vexgate1"),
            ("1.0", "1.0+vexgate1"),
            ("1.0~", "1.0~+vexgate1"),
        ] {
            assert_eq!(next_update(v), want);
            assert_eq!(compare(v, &next_update(v)), Ordering::Less, "{v}");
        }
    }

    #[test]
    fn status_file_source_versions() {
        let s = "Package: zlib1g\nStatus: install ok installed\nSource: zlib\n\
                 Version: 1:1.2.13.dfsg-1\nDescription: x\n more\n\n\
                 Package: libc-bin\nStatus: install ok installed\nSource: glibc (2.36-9)\n\
                 Version: 2.36-9+b1\n\n\
                 Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n\
                 Package: dash\nStatus: install ok installed\nVersion: 0.5.12-2\n";
        let i = Installed::parse(s).unwrap();
        assert_eq!(i.len(), 3);
        let z = i.get("zlib1g").unwrap();
        assert_eq!(
            (z.source.as_str(), z.source_version.as_str()),
            ("zlib", "1:1.2.13.dfsg-1")
        );
        let c = i.get("libc-bin").unwrap();
        assert_eq!(
            (c.source.as_str(), c.source_version.as_str()),
            ("glibc", "2.36-9")
        );
        assert_eq!(i.get("dash").unwrap().source, "dash");
        assert!(i.get("gone").is_none());
        assert!(Installed::parse("Package: x\nno colon here\n").is_err());
        assert!(Installed::parse("Package: x\nStatus: install ok installed\n").is_err());
    }
}
