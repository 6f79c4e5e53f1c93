//! Trivy ignore files: plain `.trivyignore` and `.trivyignore.yaml` (pkg/result/ignore.go).
//!
//! Every rule here is a named function citing the Trivy code it copies. The clock is a
//! parameter (`now`), so the `filter_test.go` cases run with Trivy's fake clock 2020-08-10.

use crate::diags::Code;
use std::path::{Component, Path};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use jiff::Timestamp;
use serde::Deserialize;

use super::gotime;
pub use super::gotime::GoTime;

use crate::decision::Warning;
use crate::error::{Error, Result};
use crate::purl::{Purl, constraint_matches_parsed};

/// One ignore entry (`result.IgnoreFinding`, ignore.go:25-52).
#[derive(Debug, Clone, Default)]
pub struct IgnoreFinding {
    /// Exact, case-sensitive ID (VulnerabilityID, misconfig ID/AVDID/alias, secret RuleID,
    /// license name).
    pub id: String,
    /// doublestar globs as written; compiled into `globs`.
    pub paths: Vec<String>,
    globs: Vec<GlobSet>,
    /// Constraint PURLs (vulnerabilities only; ignored for other finding types).
    pub purls: Vec<Purl>,
    /// As Go's `time.Time` (see `gotime`): years up to 9999 fit.
    pub expired_at: Option<GoTime>,
    /// Copied to `ModifiedFinding.Statement`.
    pub statement: String,
}

/// A loaded ignore file (`result.IgnoreConfig`, ignore.go:143-150). The default is empty.
#[derive(Debug, Clone, Default)]
pub struct IgnoreConfig {
    /// The path after `filepath.ToSlash(filepath.Clean(...))`: the `Source` of suppressions.
    pub file_path: String,
    pub vulnerabilities: Vec<IgnoreFinding>,
    pub misconfigurations: Vec<IgnoreFinding>,
    pub secrets: Vec<IgnoreFinding>,
    pub licenses: Vec<IgnoreFinding>,
}

impl IgnoreConfig {
    pub fn is_empty(&self) -> bool {
        self.vulnerabilities.is_empty()
            && self.misconfigurations.is_empty()
            && self.secrets.is_empty()
            && self.licenses.is_empty()
    }

    /// Trivy `ParseIgnoreFile` (ignore.go:220-251): `.yml`/`.yaml` is YAML, anything else is
    /// the plain format, whose IDs apply to every finding type; then expired entries are
    /// pruned against `now` and the path is cleaned. Existence is the caller's business
    /// (an explicit file that is missing is an error; a missing default is no file).
    pub fn load(path: &Path, now: Timestamp, warnings: &mut Vec<Warning>) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            return Err(Error::input(path, "is a directory, not an ignore file"));
        }
        let text = crate::report::text::read_text(path)?;
        let mut conf = if is_yaml_ignore_file(path) {
            parse_ignore_yaml(path, &text)?
        } else {
            let findings = parse_ignore_plain(path, &text, warnings);
            IgnoreConfig {
                file_path: String::new(),
                vulnerabilities: findings.clone(),
                misconfigurations: findings.clone(),
                secrets: findings.clone(),
                licenses: findings,
            }
        };
        prune(&mut conf.vulnerabilities, now);
        prune(&mut conf.misconfigurations, now);
        prune(&mut conf.secrets, now);
        prune(&mut conf.licenses, now);
        conf.file_path = go_clean_path(&path.to_string_lossy());
        Ok(conf)
    }

    /// Trivy `IgnoreConfig.MatchVulnerability` (ignore.go:153-163): the ID, then either the
    /// result Target or the PkgPath against `paths` (Target first), and the finding's PURL
    /// against `purls`. `purl` is parsed only when an entry with this ID has purls.
    pub fn match_vulnerability(
        &self,
        vuln_id: &str,
        target: &str,
        pkg_path: &str,
        purl: Option<&str>,
    ) -> Option<&IgnoreFinding> {
        let mut parsed: Option<Option<Purl>> = None;
        for path in [target, pkg_path] {
            for f in &self.vulnerabilities {
                if f.id != vuln_id || !f.match_path(path) {
                    continue;
                }
                if f.purls.is_empty() {
                    return Some(f);
                }
                let target_purl = parsed.get_or_insert_with(|| {
                    // Trivy parses the PURL when it reads the report; an unparsable one would
                    // have failed there. We treat it as absent (which matches, like nil).
                    purl.filter(|p| !p.is_empty())
                        .and_then(|p| Purl::parse(p).ok())
                });
                if match_purl(target_purl.as_ref(), &f.purls) {
                    return Some(f);
                }
            }
        }
        None
    }

    /// Trivy `MatchMisconfiguration` (ignore.go:165-172): ID, AVDID and aliases, in that order,
    /// each against the result Target.
    pub fn match_misconfiguration<'s>(
        &self,
        ids: impl IntoIterator<Item = &'s str>,
        target: &str,
    ) -> Option<&IgnoreFinding> {
        ids.into_iter()
            .find_map(|id| match_findings(&self.misconfigurations, id, target))
    }

    /// Trivy `MatchSecret` (ignore.go:174-176): RuleID against the result Target.
    pub fn match_secret(&self, rule_id: &str, target: &str) -> Option<&IgnoreFinding> {
        match_findings(&self.secrets, rule_id, target)
    }

    /// Trivy `MatchLicense` (ignore.go:178-218): the license name against the license's
    /// FilePath; failing an exact match, an SPDX expression whose every component is ignored
    /// is ignored with the statement "All license components are individually ignored".
    pub fn match_license(&self, name: &str, file_path: &str) -> Option<LicenseMatch<'_>> {
        if let Some(f) = match_findings(&self.licenses, name, file_path) {
            return Some(LicenseMatch::Entry(f));
        }
        if super::license::all_components_ignored(name, |component| {
            match_findings(&self.licenses, component, file_path).is_some()
        }) {
            return Some(LicenseMatch::AllComponents);
        }
        None
    }
}

/// How a license was ignored.
#[derive(Debug, Clone, Copy)]
pub enum LicenseMatch<'c> {
    Entry(&'c IgnoreFinding),
    /// ignore.go:207-212: every component of the expression is ignored on its own.
    AllComponents,
}

impl LicenseMatch<'_> {
    pub fn statement(&self) -> &str {
        match self {
            LicenseMatch::Entry(f) => &f.statement,
            LicenseMatch::AllComponents => "All license components are individually ignored",
        }
    }
}

impl IgnoreFinding {
    /// Trivy `matchPath` (ignore.go:104-116): no patterns match everything; otherwise any
    /// doublestar pattern matching `path`.
    fn match_path(&self, path: &str) -> bool {
        self.globs.is_empty() || self.globs.iter().any(|g| g.is_match(path))
    }
}

/// Trivy `IgnoreFindings.Match` (ignore.go:88-102) without a PURL: first entry with this exact
/// ID whose paths match.
fn match_findings<'c>(
    findings: &'c [IgnoreFinding],
    id: &str,
    path: &str,
) -> Option<&'c IgnoreFinding> {
    findings.iter().find(|f| f.id == id && f.match_path(path))
}

/// Trivy `matchPURL` (ignore.go:118-129): a finding with no PURL matches every entry (so a
/// PURL-scoped entry also ignores findings Trivy recorded without a PURL); otherwise any constraint must match (pkg/purl/purl.go Match).
pub fn match_purl(target: Option<&Purl>, purls: &[Purl]) -> bool {
    match target {
        None => true,
        Some(_) if purls.is_empty() => true,
        Some(t) => purls.iter().any(|c| purl_constraint_matches(c, t)),
    }
}

/// Trivy `(*purl.PackageURL).Match` (pkg/purl/purl.go:265-293): type, namespace, name equal;
/// version and subpath equal when the constraint has them; every constraint qualifier present
/// in the target with the same value. Delegates to [`crate::purl`].
pub fn purl_constraint_matches(constraint: &Purl, target: &Purl) -> bool {
    constraint_matches_parsed(constraint, target)
}

/// Trivy `IgnoreFindings.Prune` (ignore.go:131-141): drop entries whose expiry is before
/// now. An `exp:2020-01-01` entry stops applying at 2020-01-01T00:00:00Z.
pub fn prune(findings: &mut Vec<IgnoreFinding>, now: Timestamp) {
    findings.retain(|f| !is_expired(f.expired_at, now));
}

/// `!ExpiredAt.IsZero() && ExpiredAt.Before(now)`: Go's zero time (0001-01-01T00:00:00Z,
/// also when written out) never expires.
pub fn is_expired(expired_at: Option<GoTime>, now: Timestamp) -> bool {
    matches!(expired_at, Some(t) if !t.is_zero() && t.before(now))
}

/// ignore.go:225: the YAML format is chosen by the extension `.yml` or `.yaml` (exact, as Go's
/// `filepath.Ext`).
pub fn is_yaml_ignore_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml") | Some("yaml")
    )
}

/// Trivy `parseIgnore` (ignore.go:271-302): trimmed lines; empty and `#` lines skipped; the
/// first whitespace-separated field is the ID; only an `exp:` field matters; a bad `exp:`
/// date drops the whole line with a warning.
pub fn parse_ignore_plain(
    path: &Path,
    text: &str,
    warnings: &mut Vec<Warning>,
) -> Vec<IgnoreFinding> {
    let mut out = Vec::new();
    for (lineno, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let mut expired_at = None;
        if fields.len() > 1 {
            match expiration_date(&fields) {
                Ok(e) => expired_at = e,
                Err(msg) => {
                    warnings.push(Warning {
                        code: Code::IgnorefileBadExp,
                        message: format!(
                            "{}:{}: {msg}; the line is skipped (as Trivy does)",
                            path.display(),
                            lineno + 1
                        ),
                    });
                    continue;
                }
            }
        }
        out.push(IgnoreFinding {
            id: fields[0].to_string(),
            expired_at,
            ..IgnoreFinding::default()
        });
    }
    out
}

/// Trivy `getExpirationDate` (ignore.go:304-314): the first field (the ID included) starting
/// with `exp:` is parsed with Go's layout `2006-01-02`, as midnight UTC.
pub fn expiration_date(fields: &[&str]) -> std::result::Result<Option<GoTime>, String> {
    for field in fields {
        if let Some(date) = field.strip_prefix("exp:") {
            return parse_go_date(date)
                .map(Some)
                .ok_or_else(|| format!("invalid expiration date {date:?} (want exp:YYYY-MM-DD)"));
        }
    }
    Ok(None)
}

/// Go `time.Parse("2006-01-02", s)`: exactly four-digit year, two-digit month and day, a real
/// calendar date; the result is 00:00:00 UTC. Years 0000 to 9999, as in Go.
pub fn parse_go_date(s: &str) -> Option<GoTime> {
    gotime::parse_date(s)
}

#[derive(Debug, Deserialize, Default)]
struct YamlFile {
    #[serde(default)]
    vulnerabilities: Option<Vec<YamlFinding>>,
    #[serde(default)]
    misconfigurations: Option<Vec<YamlFinding>>,
    #[serde(default)]
    secrets: Option<Vec<YamlFinding>>,
    #[serde(default)]
    licenses: Option<Vec<YamlFinding>>,
}

#[derive(Debug, Deserialize, Default)]
struct YamlFinding {
    #[serde(default)]
    id: Option<YamlScalar>,
    #[serde(default)]
    paths: Option<Vec<String>>,
    #[serde(default)]
    purls: Option<Vec<String>>,
    #[serde(default)]
    expired_at: Option<YamlScalar>,
    #[serde(default)]
    statement: Option<String>,
}

/// A YAML scalar that yaml.v3 would decode into a Go string (numbers included: `id: 100`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum YamlScalar {
    S(String),
    I(i64),
    F(f64),
    B(bool),
}

impl YamlScalar {
    fn text(&self) -> String {
        match self {
            YamlScalar::S(s) => s.clone(),
            YamlScalar::I(i) => i.to_string(),
            YamlScalar::F(f) => f.to_string(),
            YamlScalar::B(b) => b.to_string(),
        }
    }
}

/// Trivy `parseIgnoreYAML` + `IgnoreFinding.UnmarshalYAML` (ignore.go:54-84,253-269): the
/// four sections; each path validated as a doublestar pattern and each PURL parsed, either
/// failure being fatal for the whole file.
pub fn parse_ignore_yaml(path: &Path, text: &str) -> Result<IgnoreConfig> {
    if let Some(at) = flow_nesting_beyond(text, MAX_YAML_NESTING) {
        return Err(Error::input(
            path,
            format!(
                "invalid ignore YAML: nests more than {MAX_YAML_NESTING} levels of [ and {{ (at byte {at})"
            ),
        ));
    }
    let file: YamlFile = if text.trim().is_empty() {
        YamlFile::default()
    } else {
        serde_yaml_ng::from_str(text)
            .map_err(|e| Error::input(path, format!("invalid ignore YAML: {e}")))?
    };
    let section = |items: Option<Vec<YamlFinding>>| -> Result<Vec<IgnoreFinding>> {
        items
            .unwrap_or_default()
            .into_iter()
            .map(|y| convert_yaml_finding(path, y))
            .collect()
    };
    Ok(IgnoreConfig {
        file_path: String::new(),
        vulnerabilities: section(file.vulnerabilities)?,
        misconfigurations: section(file.misconfigurations)?,
        secrets: section(file.secrets)?,
        licenses: section(file.licenses)?,
    })
}

fn convert_yaml_finding(path: &Path, y: YamlFinding) -> Result<IgnoreFinding> {
    let id = y.id.map(|s| s.text()).unwrap_or_default();
    let paths = y.paths.unwrap_or_default();
    let globs = paths
        .iter()
        .map(|p| {
            compile_doublestar(p).map_err(|e| {
                Error::input(
                    path,
                    format!("invalid path pattern in the ignore file, id: {id}, path: {p}: {e}"),
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let purls = y
        .purls
        .unwrap_or_default()
        .iter()
        .map(|p| {
            Purl::parse(p).map_err(|e| {
                Error::input(
                    path,
                    format!(
                        "purl error in the ignore file, id: {id}: failed to parse purl({p}): {e}"
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let expired_at = match y.expired_at {
        None => None,
        Some(v) => {
            let s = v.text();
            Some(gotime::parse_yaml_timestamp(&s).ok_or_else(|| {
                Error::input(
                    path,
                    format!("invalid expired_at {s:?} for id {id} (want YYYY-MM-DD)"),
                )
            })?)
        }
    };
    Ok(IgnoreFinding {
        id,
        paths,
        globs,
        purls,
        expired_at,
        statement: y.statement.unwrap_or_default(),
    })
}

/// The deepest `[`/`{` nesting an ignore file may have. Trivy's format needs three levels;
/// YAML parsing time grows faster than linearly with nesting, so a hostile file 200,000
/// levels deep would take minutes.
pub const MAX_YAML_NESTING: usize = 64;

/// The offset of the first `[` or `{` that opens level `max + 1`, counting every bracket
/// (a quoted string holding more than `max` unbalanced opening brackets counts too: no ignore
/// file needs that). Block nesting needs indentation that grows with depth, so it cannot get
/// deep in a file of reasonable size; flow nesting costs one byte per level.
fn flow_nesting_beyond(text: &str, max: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// A doublestar (bmatcuk/doublestar v4) pattern as a globset matcher: `*` and `?` never cross
/// `/`, `**` spans directories, `\` escapes, `{a,b}` alternates, `[...]` classes.
///
/// Built as a one-pattern `GlobSet`, whose construction reports a regex that exceeds the
/// size limit as an error; `Glob::compile_matcher` panics on it instead (globset 0.4), and
/// a pattern with a 50,000-way `{a,b,...}` alternation in a hostile ignore file gets there.
pub fn compile_doublestar(pattern: &str) -> std::result::Result<GlobSet, globset::Error> {
    let glob = GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .empty_alternates(true)
        .build()?;
    GlobSetBuilder::new().add(glob).build()
}

/// Go `filepath.ToSlash(filepath.Clean(p))` on Unix: collapse separators, drop `.`, resolve
/// `..` lexically, `""` becomes `"."` (ignore.go:249).
pub fn go_clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for comp in Path::new(p).components() {
        match comp {
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            Component::Normal(s) => parts.push(s.to_str().unwrap_or("")),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/filter")
            .join(name)
    }

    /// filter_test.go's fake clock: 2020-08-10T07:28:17.000958601Z.
    pub(crate) fn fake_now() -> Timestamp {
        "2020-08-10T07:28:17.000958601Z".parse().unwrap()
    }

    #[test]
    fn plain_file_fields_and_expiry() {
        let mut w = Vec::new();
        let conf = IgnoreConfig::load(&data(".trivyignore"), fake_now(), &mut w).unwrap();
        let ids: Vec<&str> = conf.vulnerabilities.iter().map(|f| f.id.as_str()).collect();
        // CVE-2019-0004 exp:2020-01-01 is pruned; 0006's `key2:value2` is ignored.
        assert_eq!(
            ids,
            [
                "CVE-2019-0001",
                "CVE-2019-0002",
                "CVE-2019-0005",
                "CVE-2019-0006",
                "ID300",
                "AVD-ID400",
                "generic-unwanted-rule",
                "GPL-3.0"
            ]
        );
        assert_eq!(
            conf.secrets.len(),
            ids.len(),
            "plain IDs apply to every type"
        );
        assert_eq!(
            conf.file_path,
            go_clean_path(&data(".trivyignore").to_string_lossy())
        );
        assert!(w.is_empty());
    }

    #[test]
    fn plain_file_bad_exp_drops_the_line_with_a_warning() {
        let mut w = Vec::new();
        let text =
            "CVE-1 exp:2020-13-01\nCVE-2 # why\nCVE-3 exp:20200101\n  \n# c\nCVE-4 exp:2020-1-01\n";
        let f = parse_ignore_plain(Path::new(".trivyignore"), text, &mut w);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].id, "CVE-2");
        assert_eq!(w.len(), 3);
        assert!(
            w[0].message
                .starts_with(".trivyignore:1: invalid expiration date"),
            "{}",
            w[0].message
        );
    }

    #[test]
    fn expiry_stops_at_midnight_utc_on_the_date() {
        let exp = parse_go_date("2024-05-01");
        let before: Timestamp = "2024-04-30T23:59:59Z".parse().unwrap();
        let at: Timestamp = "2024-05-01T00:00:00Z".parse().unwrap();
        let during: Timestamp = "2024-05-01T00:00:01Z".parse().unwrap();
        assert!(!is_expired(exp, before));
        assert!(!is_expired(exp, at), "Before(now) is strict");
        assert!(is_expired(exp, during));
        assert!(!is_expired(None, during));
        // Go's zero time is "no expiry"; the far future never comes.
        assert!(!is_expired(parse_go_date("0001-01-01"), during));
        assert!(is_expired(parse_go_date("0001-01-02"), during));
        assert!(!is_expired(parse_go_date("9999-12-31"), Timestamp::MAX));
    }

    #[test]
    fn id_match_is_exact_and_case_sensitive() {
        let mut w = Vec::new();
        let f = parse_ignore_plain(Path::new("x"), "CVE-2019-0001\n", &mut w);
        let conf = IgnoreConfig {
            vulnerabilities: f,
            ..Default::default()
        };
        assert!(
            conf.match_vulnerability("CVE-2019-0001", "t", "", None)
                .is_some()
        );
        assert!(
            conf.match_vulnerability("cve-2019-0001", "t", "", None)
                .is_none()
        );
        assert!(
            conf.match_vulnerability("CVE-2019-00011", "t", "", None)
                .is_none()
        );
    }

    #[test]
    fn yaml_file_paths_purls_expiry_statement() {
        let conf =
            IgnoreConfig::load(&data(".trivyignore.yaml"), fake_now(), &mut Vec::new()).unwrap();
        let ids: Vec<&str> = conf.vulnerabilities.iter().map(|f| f.id.as_str()).collect();
        // 0005 expires 2023-01-01 (after the fake clock), 0006 expired 2020-01-01.
        assert_eq!(
            ids,
            [
                "CVE-2019-0001",
                "CVE-2019-0002",
                "CVE-2019-0003",
                "CVE-2019-0004",
                "CVE-2019-0005",
                "CVE-2019-0007"
            ]
        );
        let t = "foo/package-lock.json";
        assert!(
            conf.match_vulnerability("CVE-2019-0001", t, "", None)
                .is_some()
        );
        assert!(
            conf.match_vulnerability("CVE-2019-0004", t, "", None)
                .is_none()
        );
        // PkgPath is tried too.
        assert!(
            conf.match_vulnerability("CVE-2019-0004", t, "bar/package.json", None)
                .is_some()
        );
        let bar = Some("pkg:golang/github.com/aquasecurity/bar@v2.3.4");
        let foo = Some("pkg:golang/github.com/aquasecurity/foo@v1.2.3");
        assert!(
            conf.match_vulnerability("CVE-2019-0007", t, "", bar)
                .is_some()
        );
        assert!(
            conf.match_vulnerability("CVE-2019-0007", t, "", foo)
                .is_none()
        );
        // The gotcha: a finding without a PURL matches a purl-restricted entry.
        assert!(
            conf.match_vulnerability("CVE-2019-0007", t, "", None)
                .is_some()
        );
    }

    #[test]
    fn doublestar_star_does_not_cross_slash() {
        let g = compile_doublestar("**/*-lock.json").unwrap();
        assert!(g.is_match("foo/package-lock.json"));
        assert!(g.is_match("package-lock.json"));
        assert!(g.is_match("a/b/c/yarn-lock.json"));
        let g = compile_doublestar("*.json").unwrap();
        assert!(!g.is_match("foo/a.json"));
        assert!(g.is_match("a.json"));
        // Trivy 0.76 pkg/result/ignore.go: matches the OS target string.
        let g = compile_doublestar("testdata/fixtures/images/*.tar.gz*").unwrap();
        assert!(g.is_match("testdata/fixtures/images/centos-7.tar.gz (centos 7.6.1810)"));
        assert!(compile_doublestar("foo/[ab").is_err());
        assert!(compile_doublestar("{a,b").is_err());
    }

    /// YAML nested 200,000 levels deep is refused before parsing, at once.
    #[test]
    fn deep_yaml_nesting_is_refused_quickly() {
        let n = 200_000;
        let text = format!("vulnerabilities: {}{}\n", "[".repeat(n), "]".repeat(n));
        let started = std::time::Instant::now();
        let e = parse_ignore_yaml(Path::new("ig.yaml"), &text).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ig.yaml: invalid ignore YAML: nests more than 64 levels of [ and { (at byte 81)"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Real files (Trivy's own YAML ignore fixtures nest three levels) still parse.
        let ok = "vulnerabilities:\n  - id: CVE-1\n    paths: [\"{a,b}/*.json\"]\n";
        assert!(parse_ignore_yaml(Path::new("ig.yaml"), ok).is_ok());
    }

    /// A pattern whose regex is too large is an error, not a panic (exit 2, not 101).
    #[test]
    fn huge_alternation_is_an_error_not_a_panic() {
        let alts: Vec<String> = (0..50_000)
            .map(|i| format!("dir{i}/file{i}.json"))
            .collect();
        let pattern = format!("{{{}}}", alts.join(","));
        // globset 0.4 words it "error building NFA" (the regex size limit).
        let e = compile_doublestar(&pattern).unwrap_err();
        assert!(!e.to_string().is_empty());
    }

    #[test]
    fn purl_constraint_rules() {
        let p = |s: &str| Purl::parse(s).unwrap();
        let target = p(
            "pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&distro=centos-7.6.1810&epoch=1",
        );
        assert!(purl_constraint_matches(
            &p("pkg:rpm/centos/openssl-libs"),
            &target
        ));
        assert!(purl_constraint_matches(
            &p("pkg:rpm/centos/openssl-libs?arch=x86_64"),
            &target
        ));
        assert!(!purl_constraint_matches(
            &p("pkg:rpm/centos/openssl-libs?arch=aarch64"),
            &target
        ));
        assert!(!purl_constraint_matches(
            &p("pkg:rpm/centos/openssl-libs@1.0.2k"),
            &target
        ));
        assert!(purl_constraint_matches(
            &p("pkg:rpm/centos/openssl-libs@1.0.2k-16.el7"),
            &target
        ));
        assert!(!purl_constraint_matches(
            &p("pkg:rpm/redhat/openssl-libs"),
            &target
        ));
        assert!(match_purl(None, &[p("pkg:rpm/redhat/x")]));
    }

    #[test]
    fn yaml_errors_name_the_file() {
        let e = parse_ignore_yaml(
            Path::new("ig.yaml"),
            "vulnerabilities:\n  - id: X\n    paths: [\"a/[b\"]\n",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("ig.yaml: invalid path pattern in the ignore file, id: X, path: a/[b"),
            "{e}"
        );
        let e = parse_ignore_yaml(
            Path::new("ig.yaml"),
            "vulnerabilities:\n  - id: X\n    purls: [\"not-a-purl\"]\n",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("ig.yaml: purl error in the ignore file, id: X"),
            "{e}"
        );
        let e = parse_ignore_yaml(Path::new("ig.yaml"), "vulnerabilities: [").unwrap_err();
        assert!(
            e.to_string().starts_with("ig.yaml: invalid ignore YAML"),
            "{e}"
        );
        let e = parse_ignore_yaml(
            Path::new("ig.yaml"),
            "vulnerabilities:\n  - id: X\n    expired_at: soon\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("invalid expired_at"), "{e}");
    }

    #[test]
    fn yaml_extension_rule() {
        assert!(is_yaml_ignore_file(Path::new(".trivyignore.yaml")));
        assert!(is_yaml_ignore_file(Path::new("x.yml")));
        assert!(!is_yaml_ignore_file(Path::new(".trivyignore")));
        assert!(!is_yaml_ignore_file(Path::new("x.YAML")));
    }

    #[test]
    fn clean_path_like_go() {
        assert_eq!(go_clean_path("./.trivyignore"), ".trivyignore");
        assert_eq!(
            go_clean_path("testdata//./.trivyignore"),
            "testdata/.trivyignore"
        );
        assert_eq!(go_clean_path("a/../b"), "b");
        assert_eq!(go_clean_path("../a"), "../a");
        assert_eq!(go_clean_path("/../a/"), "/a");
        assert_eq!(go_clean_path("./"), ".");
    }
}
