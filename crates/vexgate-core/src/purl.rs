//! PURL matching: go-vex `PurlMatches`, Trivy `purl.Match`, and the OCI image PURL.
//!
//! PURLs are always parsed (with the `packageurl` crate) and compared component by
//! component, never as strings: Trivy writes `sha256:` unencoded today,
//! older packageurl-go wrote `sha256%3A`, and `repository_url` may or may not encode `/`.
//!
//! Trivy links packageurl-go v0.1.6, whose case folding differs from the `packageurl`
//! crate's in a few types. [`Purl::parse`] re-applies packageurl-go's rules on top of the
//! crate's parse (`packageurl.go` `typeAdjustNamespace`/`typeAdjustName`), so two PURLs are
//! equal here exactly when they are equal to go-vex.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use packageurl::PackageUrl;

/// A parsed PURL with packageurl-go v0.1.6's normalisation: type lowercased, per-type case
/// folding of namespace and name, components percent-decoded, qualifier keys lowercased and
/// empty-valued qualifiers dropped. Missing parts are empty strings, as in Go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    pub ty: String,
    pub namespace: String,
    pub name: String,
    pub version: String,
    pub qualifiers: BTreeMap<String, String>,
    pub subpath: String,
}

/// Why a string is not a PURL go-vex can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PurlError(pub String);

impl Purl {
    /// Parse `s`. A parse failure means "no match" to go-vex (`vex.go` PurlMatches).
    pub fn parse(s: &str) -> Result<Self, PurlError> {
        let p = PackageUrl::from_str(s).map_err(|e| PurlError(e.to_string()))?;
        let ty = p.ty().to_string();
        let mut namespace = p.namespace().unwrap_or("").to_string();
        let mut name = p.name().to_string();
        // packageurl-go v0.1.6 typeAdjustNamespace / typeAdjustName (packageurl.go:775-823).
        match ty.as_str() {
            "alpm" => {
                namespace = namespace.to_lowercase();
                name = name.to_lowercase();
            }
            "apk" | "bitnami" | "chrome-extension" | "golang" => name = name.to_lowercase(),
            // The crate lowercases npm names and hex namespaces/names; Go keeps their case.
            "npm" | "hex" => {
                if let Some((raw_ns, raw_name)) = raw_namespace_and_name(s) {
                    name = raw_name;
                    if ty == "hex" {
                        namespace = raw_ns;
                    }
                }
            }
            _ => {}
        }
        let qualifiers = p
            .qualifiers()
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        Ok(Self {
            ty,
            namespace,
            name,
            version: p.version().unwrap_or("").to_string(),
            qualifiers,
            subpath: p.subpath().unwrap_or("").to_string(),
        })
    }

    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers.get(key).map(String::as_str)
    }

    /// The canonical string form (qualifiers sorted, `/` in qualifier values encoded as
    /// `%2F`, `:` left alone), the same text Trivy prints for the image PURL.
    pub fn to_purl_string(&self) -> String {
        let Ok(mut p) = PackageUrl::new(self.ty.clone(), self.name.clone()) else {
            return format!("pkg:{}/{}", self.ty, self.name);
        };
        if !self.namespace.is_empty() {
            let _ = p.with_namespace(self.namespace.clone());
        }
        if !self.version.is_empty() {
            let _ = p.with_version(self.version.clone());
        }
        for (k, v) in &self.qualifiers {
            let _ = p.add_qualifier(k.clone(), v.clone());
        }
        if !self.subpath.is_empty() {
            let _ = p.with_subpath(self.subpath.clone());
        }
        p.to_string()
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_purl_string())
    }
}

/// The raw (case-preserved, percent-decoded) namespace and name of a PURL string, split the
/// way packageurl-go's `separateNamespaceNameVersion` splits it. Only used to undo the
/// `packageurl` crate's lowercasing where Go keeps case.
fn raw_namespace_and_name(s: &str) -> Option<(String, String)> {
    let rest = s.strip_prefix("pkg:")?.trim_start_matches('/');
    let rest = rest.split('#').next()?;
    let rest = rest.split('?').next()?;
    let (_, mut rest) = rest.split_once('/')?;
    if let Some(i) = rest.rfind('@')
        && i > 0
    {
        rest = &rest[..i];
    }
    let (ns, name) = match rest.rfind('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => ("", rest),
    };
    let decode = |x: &str| {
        percent_encoding::percent_decode_str(x)
            .decode_utf8()
            .ok()
            .map(|c| c.into_owned())
    };
    let ns = ns
        .split('/')
        .filter(|c| !c.is_empty())
        .map(decode)
        .collect::<Option<Vec<_>>>()?
        .join("/");
    Some((ns, decode(name)?))
}

/// go-vex v0.2.7 `PurlMatches(general, specific)` (pkg/vex/vex.go:361-401): type, namespace
/// and name equal; a statement version must equal the scanned version (no ranges); every
/// statement qualifier must be in the scanned PURL with the same value; subpath ignored.
pub fn purl_matches(vex: &Purl, trivy: &Purl) -> bool {
    purl_mismatch(vex, trivy).is_none()
}

/// The first part of a statement PURL that makes [`purl_matches`] fail, in the order go-vex
/// compares them; `None` when it matches. [`purl_matches`] is defined by it, so an
/// explanation names exactly the check that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurlMiss<'a> {
    /// The PURL types differ.
    Type,
    /// The namespaces differ.
    Namespace,
    /// The names differ.
    Name,
    /// The statement has a version and it is not the scanned one.
    Version,
    /// The statement has this qualifier; the scanned PURL lacks it.
    QualifierMissing(&'a str),
    /// The statement has this qualifier with another value than the scanned PURL.
    QualifierDiffers(&'a str),
}

/// See [`PurlMiss`].
pub fn purl_mismatch<'a>(vex: &'a Purl, trivy: &Purl) -> Option<PurlMiss<'a>> {
    if vex.ty != trivy.ty {
        return Some(PurlMiss::Type);
    }
    if vex.namespace != trivy.namespace {
        return Some(PurlMiss::Namespace);
    }
    if vex.name != trivy.name {
        return Some(PurlMiss::Name);
    }
    if !vex.version.is_empty() && vex.version != trivy.version {
        return Some(PurlMiss::Version);
    }
    vex.qualifiers
        .iter()
        .find_map(|(k, v)| match trivy.qualifiers.get(k) {
            Some(t) if t == v => None,
            Some(_) => Some(PurlMiss::QualifierDiffers(k)),
            None => Some(PurlMiss::QualifierMissing(k)),
        })
}

/// [`purl_matches`] on strings; a string that does not parse never matches.
pub fn purl_matches_str(vex: &str, trivy: &str) -> bool {
    match (Purl::parse(vex), Purl::parse(trivy)) {
        (Ok(a), Ok(b)) => purl_matches(&a, &b),
        _ => false,
    }
}

/// Trivy `(*purl.PackageURL).Match(target)` (pkg/purl/purl.go:268-293): like
/// [`purl_matches`], except that a constraint subpath, when set, must equal the target's.
/// Used by CSAF VEX and by `.trivyignore.yaml` `purls`.
pub fn constraint_matches_parsed(constraint: &Purl, target: &Purl) -> bool {
    if !constraint.subpath.is_empty() && constraint.subpath != target.subpath {
        return false;
    }
    purl_matches(constraint, target)
}

/// [`constraint_matches_parsed`] on strings. A constraint or target that does not parse
/// never matches (Trivy drops an unparsable constraint; a nil target never matches).
pub fn constraint_matches(constraint: &str, target: &str) -> bool {
    match (Purl::parse(constraint), Purl::parse(target)) {
        (Ok(c), Ok(t)) => constraint_matches_parsed(&c, &t),
        _ => false,
    }
}

/// Docker Hub's canonical registry name (go-containerregistry `name.DefaultRegistry`).
pub const DOCKER_HUB: &str = "index.docker.io";

/// An image repository parsed the way go-containerregistry `name.NewRepository` parses it
/// (non-strict, default registry Docker Hub).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRepo {
    /// `index.docker.io` for Docker Hub (`docker.io` is rewritten), else `host[:port]`.
    pub registry: String,
    /// The repository path, with `library/` added for one-segment Docker Hub names
    /// (`RepositoryStr()`).
    pub repository: String,
}

impl ImageRepo {
    /// `Repository.Name()`: registry + `/` + repository; the `repository_url` qualifier.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The PURL name: the last path segment, lowercased (pkg/purl/purl.go parseOCI).
    pub fn purl_name(&self) -> String {
        let r = self.repository.to_lowercase();
        match r.rfind('/') {
            Some(i) => r[i + 1..].to_string(),
            None => r,
        }
    }

    /// go-containerregistry `name.NewRepository` (pkg/name/repository.go): the first
    /// segment is a registry iff it contains `.` or `:`; repository characters are
    /// `[a-z0-9_./-]`, 2..=255 long; `docker.io` becomes `index.docker.io`.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("a repository name must be specified".into());
        }
        let (registry, repo) = match s.split_once('/') {
            Some((first, rest)) if first.contains('.') || first.contains(':') => (first, rest),
            _ => ("", s),
        };
        check_repository(repo)?;
        if !registry.is_empty() && !valid_authority(registry) {
            return Err(format!(
                "registries must be valid RFC 3986 URI authorities: {registry}"
            ));
        }
        let registry = match registry {
            "" | "docker.io" => DOCKER_HUB,
            r => r,
        };
        let repository = if registry == DOCKER_HUB && !repo.contains('/') {
            format!("library/{repo}")
        } else {
            repo.to_string()
        };
        Ok(Self {
            registry: registry.to_string(),
            repository,
        })
    }
}

fn check_repository(repo: &str) -> Result<(), String> {
    if repo.len() < 2 || repo.len() > 255 {
        return Err(format!(
            "repository must be between 2 and 255 characters in length: {repo}"
        ));
    }
    if let Some(c) = repo
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_' | '-' | '.' | '/'))
    {
        return Err(format!(
            "repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: {repo} (found {c:?})"
        ));
    }
    Ok(())
}

/// `url.Parse("//"+name).Host == name`, approximately: a host (letters, digits, `.`, `-`,
/// `_`, or a bracketed IPv6 literal) and an optional numeric port.
fn valid_authority(a: &str) -> bool {
    let (host, port) = if let Some(rest) = a.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, p)) => (
                h,
                p.strip_prefix(':')
                    .unwrap_or(if p.is_empty() { "" } else { "x" }),
            ),
            None => return false,
        }
    } else {
        match a.rsplit_once(':') {
            Some((h, p)) => (h, p),
            None => (a, ""),
        }
    };
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
        && port.chars().all(|c| c.is_ascii_digit())
}

/// go-containerregistry `name.NewDigest` (non-strict): `repo[:tag]@sha256:<64 hex>`.
/// Returns the repository and the digest.
pub fn parse_repo_digest(s: &str) -> Result<(ImageRepo, String), String> {
    let parts: Vec<&str> = s.split('@').collect();
    if parts.len() != 2 {
        return Err(format!(
            "a digest must contain exactly one '@' separator (e.g. registry/repository@digest) saw: {s}"
        ));
    }
    let (base, digest) = (parts[0], parts[1]);
    let hex = digest.strip_prefix("sha256:").unwrap_or("");
    if hex.len() != 64 || !hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
        return Err(format!(
            "digest must be sha256:<64 lowercase hex>: {digest}"
        ));
    }
    // NewTag: a trailing `:tag` is split off unless the last part contains a `/`
    // (then the colon belongs to a registry port).
    let base = match base.rsplit_once(':') {
        Some((b, tag)) if !tag.contains('/') => {
            if !valid_tag(tag) {
                return Err(format!("tag {tag:?} is not valid"));
            }
            b
        }
        _ => base,
    };
    Ok((ImageRepo::parse(base)?, digest.to_string()))
}

fn valid_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && !t.starts_with(['.', '-'])
}

/// Trivy's image PURL (pkg/purl/purl.go parseOCI:300-331): from `RepoDigests[0]` and
/// `ImageConfig.architecture`. No RepoDigests → `Ok(None)`; an unparsable digest is an
/// error (`failed to parse digest`). Only `repository_url` and `arch` are emitted.
pub fn oci_purl_from_repo_digests(
    repo_digests: &[impl AsRef<str>],
    arch: Option<&str>,
) -> Result<Option<Purl>, String> {
    let Some(first) = repo_digests.first() else {
        return Ok(None);
    };
    let (repo, digest) =
        parse_repo_digest(first.as_ref()).map_err(|e| format!("failed to parse digest: {e}"))?;
    Ok(Some(oci_purl(&repo, &digest, arch)))
}

/// An image reference split into repository, tag and digest: `repo[:tag][@digest]`, the
/// tag being a `:` in the last path segment (a registry port is not a tag). Trimmed, case
/// kept. The one place `--image-repo` (gate and `vex add`) and RepoTags are taken apart.
pub fn split_image_reference(reference: &str) -> (String, Option<String>, Option<String>) {
    let mut s = reference.trim().to_string();
    let mut digest = None;
    if let Some(i) = s.find('@') {
        digest = Some(s[i + 1..].to_string());
        s.truncate(i);
    }
    let mut tag = None;
    let last_slash = s.rfind('/').map_or(0, |i| i + 1);
    if let Some(i) = s[last_slash..].rfind(':') {
        let i = last_slash + i;
        tag = Some(s[i + 1..].to_string());
        s.truncate(i);
    }
    (s, tag, digest)
}

/// The root identity vexgate assumes for an unpushed image from `--image-repo`
/// (e.g. `ghcr.io/OWNER/REPO`): lowercased (registries store lowercase names, and GitHub's
/// `github.repository` keeps the owner's case), `docker.io` normalised, no version.
pub fn oci_purl_from_image_repo(image_repo: &str, arch: Option<&str>) -> Result<Purl, String> {
    let (s, tag, digest) = split_image_reference(&image_repo.to_lowercase());
    if digest.is_some() {
        return Err(format!(
            "--image-repo {image_repo:?}: give a repository without a digest, e.g. ghcr.io/owner/repo"
        ));
    }
    if tag.is_some() {
        return Err(format!(
            "--image-repo {image_repo:?}: give a repository without a tag, e.g. ghcr.io/owner/repo"
        ));
    }
    let repo = ImageRepo::parse(&s).map_err(|e| format!("--image-repo {image_repo:?}: {e}"))?;
    Ok(oci_purl(&repo, "", arch))
}

fn oci_purl(repo: &ImageRepo, digest: &str, arch: Option<&str>) -> Purl {
    let mut qualifiers = BTreeMap::new();
    qualifiers.insert("repository_url".to_string(), repo.name());
    if let Some(a) = arch.filter(|a| !a.is_empty()) {
        qualifiers.insert("arch".to_string(), a.to_string());
    }
    Purl {
        ty: "oci".into(),
        namespace: String::new(),
        name: repo.purl_name(),
        version: digest.to_string(),
        qualifiers,
        subpath: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// go-vex v0.2.7 pkg/vex/vex_test.go:276-306 TestPurlMatches (p1 = VEX, p2 = Trivy).
    #[test]
    fn go_vex_purl_matches_table() {
        let cases = [
            ("pkg:apk/wolfi/bash@1.0.0", "pkg:apk/wolfi/bash@1.0.0", true),
            (
                "pkg:apk/wolfi/bash@1.0.0",
                "pkg:deb/wolfi/bash@1.0.0",
                false,
            ),
            (
                "pkg:apk/wolfi/bash@1.0.0",
                "pkg:apk/debian/bash@1.0.0",
                false,
            ),
            ("pkg:apk/wolfi/bash@1.0.0", "pkg:apk/wolfi/bsh@1.0.0", false),
            (
                "pkg:apk/wolfi/curl@8.1.2-r0",
                "pkg:apk/wolfi/curl@8.1.2-r0?arch=x86_64",
                true,
            ),
            (
                "pkg:apk/wolfi/curl@8.1.2-r0?arch=x86_64",
                "pkg:apk/wolfi/curl@8.1.2-r0",
                false,
            ),
            (
                "pkg:oci/curl",
                "pkg:oci/curl@sha256:47fed8868b46b060efb8699dc40e981a0c785650223e03602d8c4493fc75b68c",
                true,
            ),
            (
                "pkg:apk/wolfi/curl@8.1.2-r0?arch=amd64&os=linux",
                "pkg:apk/wolfi/curl@8.1.2-r0?arch=arm64&os=linux",
                false,
            ),
            (
                "pkg:apk/wolfi/curl@8.1.2-r0?arch=x86_64",
                "pkg:apk/wolfi/curl@8.1.2-r0?arch=x86_64&os=linux",
                true,
            ),
        ];
        for (vex, trivy, want) in cases {
            assert_eq!(purl_matches_str(vex, trivy), want, "{vex} vs {trivy}");
        }
    }

    /// Trivy pkg/purl/purl_test.go:975-1037 TestPackageURL_Match (constraint vs target).
    #[test]
    fn trivy_constraint_match_table() {
        let cases = [
            (
                "pkg:golang/github.com/aquasecurity/trivy@v0.49.0",
                "pkg:golang/github.com/aquasecurity/trivy@v0.49.0",
                true,
            ),
            (
                "pkg:golang/github.com/aquasecurity/trivy@v0.49.0",
                "pkg:maven/github.com/aquasecurity/trivy@v0.49.0",
                false,
            ),
            (
                "pkg:golang/github.com/aquasecurity/trivy@v0.49.0",
                "pkg:golang/github.com/aquasecurity2/trivy@v0.49.0",
                false,
            ),
            (
                "pkg:golang/github.com/aquasecurity/trivy@v0.49.0",
                "pkg:golang/github.com/aquasecurity/tracee@v0.49.0",
                false,
            ),
            (
                "pkg:golang/github.com/aquasecurity/trivy@v0.49.0",
                "pkg:golang/github.com/aquasecurity/trivy@v0.49.1",
                false,
            ),
            (
                "pkg:golang/github.com/aquasecurity/trivy",
                "pkg:golang/github.com/aquasecurity/trivy@v0.50.0",
                true,
            ),
            (
                "pkg:bitnami/wordpress@6.2.0?arch=arm64&distro=debian-12",
                "pkg:bitnami/wordpress@6.2.0?arch=arm64&distro=debian-13",
                false,
            ),
            (
                "pkg:bitnami/wordpress@6.2.0?arch=arm64",
                "pkg:bitnami/wordpress@6.2.0?arch=arm64&distro=debian-13",
                true,
            ),
        ];
        for (c, t, want) in cases {
            assert_eq!(constraint_matches(c, t), want, "{c} vs {t}");
        }
    }

    #[test]
    fn subpath_ignored_by_go_vex_but_compared_by_trivy_constraint() {
        let vex = "pkg:golang/github.com/a/b@v1.0.0#sub";
        let trivy = "pkg:golang/github.com/a/b@v1.0.0#other";
        assert!(purl_matches_str(vex, trivy));
        assert!(!constraint_matches(vex, trivy));
        assert!(constraint_matches("pkg:golang/github.com/a/b", trivy));
    }

    #[test]
    fn encoding_and_epoch_rules() {
        // `:` and `/` encoded or not are the same after parsing.
        let trivy = "pkg:oci/hello@sha256%3A1111111111111111111111111111111111111111111111111111111111111111?arch=amd64&repository_url=ghcr.io%2Facme%2Fhello";
        assert!(purl_matches_str(
            "pkg:oci/hello?repository_url=ghcr.io/acme/hello",
            trivy
        ));
        assert!(purl_matches_str(
            "pkg:oci/hello@sha256:1111111111111111111111111111111111111111111111111111111111111111",
            trivy
        ));
        // docker.io is not index.docker.io.
        assert!(!purl_matches_str(
            "pkg:oci/node?repository_url=docker.io%2Flibrary%2Fnode",
            "pkg:oci/node@sha256:1111111111111111111111111111111111111111111111111111111111111111?repository_url=index.docker.io%2Flibrary%2Fnode"
        ));
        // `+` raw or %2B (Trivy writes %2B; a raw + in VEX still matches, as the oracle shows).
        assert!(purl_matches_str(
            "pkg:deb/debian/bash@5.2.15-2+b13",
            "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12.8"
        ));
        // The epoch is a qualifier: `1:` in the version never matches.
        let rpm = "pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&epoch=1";
        assert!(!purl_matches_str(
            "pkg:rpm/centos/openssl-libs@1:1.0.2k-16.el7",
            rpm
        ));
        assert!(purl_matches_str(
            "pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?epoch=1",
            rpm
        ));
        assert!(purl_matches_str("pkg:rpm/centos/openssl-libs", rpm));
        // Unparsable never matches.
        assert!(!purl_matches_str("pkg:", rpm));
        assert!(!purl_matches_str("not a purl", rpm));
    }

    #[test]
    fn go_case_folding() {
        // packageurl-go lowercases apk/golang names, keeps npm case.
        assert!(purl_matches_str(
            "pkg:apk/alpine/BusyBox",
            "pkg:apk/alpine/busybox@1.36.1-r5"
        ));
        assert!(purl_matches_str(
            "pkg:golang/github.com/Foo/Bar",
            "pkg:golang/github.com/foo/bar@v1.0.0"
        ));
        assert!(!purl_matches_str(
            "pkg:npm/jsonstream",
            "pkg:npm/JSONStream@1.3.5"
        ));
        assert!(purl_matches_str(
            "pkg:npm/JSONStream",
            "pkg:npm/JSONStream@1.3.5"
        ));
        assert!(purl_matches_str(
            "pkg:npm/%40babel/core",
            "pkg:npm/%40babel/core@7.0.0"
        ));
        // pypi: lowercase and `_` → `-` on both sides.
        assert!(purl_matches_str("pkg:pypi/Foo_Bar", "pkg:pypi/foo-bar@1.0"));
    }

    /// Trivy pkg/purl/purl_test.go:345-435 (OCI PURL construction).
    #[test]
    fn oci_purl_construction() {
        let d = "sha256:8fe1727132b2506c17ba0e1f6a6ed8a016bb1f5735e43b2738cd3fd1979b6260";
        let p = oci_purl_from_repo_digests(
            &[format!("cblmariner2preview.azurecr.io/base/core@{d}")],
            Some("amd64"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.name, "core");
        assert_eq!(p.version, d);
        assert_eq!(
            p.qualifier("repository_url"),
            Some("cblmariner2preview.azurecr.io/base/core")
        );
        assert_eq!(p.qualifier("arch"), Some("amd64"));
        assert_eq!(
            p.to_string(),
            format!(
                "pkg:oci/core@{d}?arch=amd64&repository_url=cblmariner2preview.azurecr.io%2Fbase%2Fcore"
            )
        );

        let p = oci_purl_from_repo_digests(&[format!("alpine:3.14@{d}")], Some("amd64"))
            .unwrap()
            .unwrap();
        assert_eq!(p.name, "alpine");
        assert_eq!(
            p.qualifier("repository_url"),
            Some("index.docker.io/library/alpine")
        );

        let none: [&str; 0] = [];
        assert_eq!(oci_purl_from_repo_digests(&none, Some("amd64")), Ok(None));

        let e = oci_purl_from_repo_digests(&[d], Some("amd64")).unwrap_err();
        assert!(e.starts_with("failed to parse digest"), "{e}");

        // Rows checked against real Trivy 0.76 image PURLs.
        let c191 = "sha256:c1911111111111111111111111111111111111111111111111111111111111ff";
        let p = oci_purl_from_repo_digests(&[format!("docker.io/myorg/app@{c191}")], Some("arm64"))
            .unwrap()
            .unwrap();
        assert_eq!(
            p.to_string(),
            format!("pkg:oci/app@{c191}?arch=arm64&repository_url=index.docker.io%2Fmyorg%2Fapp")
        );
        let p = oci_purl_from_repo_digests(&[format!("localhost:5000/app@{c191}")], Some("arm64"))
            .unwrap()
            .unwrap();
        assert_eq!(
            p.to_string(),
            format!("pkg:oci/app@{c191}?arch=arm64&repository_url=localhost:5000%2Fapp")
        );
        // Uppercase repositories are a hard error in Trivy.
        assert!(oci_purl_from_repo_digests(&[format!("ghcr.io/Foo/bar@{c191}")], None).is_err());
        // The built PURL round-trips through the parser unchanged.
        assert_eq!(Purl::parse(&p.to_string()).unwrap(), p);
    }

    #[test]
    fn image_repo_identity() {
        let p = oci_purl_from_image_repo("ghcr.io/Acme/Hello-Express", Some("amd64")).unwrap();
        assert_eq!(
            p.to_string(),
            "pkg:oci/hello-express?arch=amd64&repository_url=ghcr.io%2Facme%2Fhello-express"
        );
        let p = oci_purl_from_image_repo("docker.io/node", None).unwrap();
        assert_eq!(
            p.qualifier("repository_url"),
            Some("index.docker.io/library/node")
        );
        assert!(oci_purl_from_image_repo("ghcr.io/a/b:1.0", None).is_err());
        assert!(oci_purl_from_image_repo("ghcr.io/a/b@sha256:00", None).is_err());
        assert!(oci_purl_from_image_repo("", None).is_err());
        // A version-less root never matches a digest-pinned statement.
        assert!(!purl_matches(
            &Purl::parse("pkg:oci/hello-express@sha256:1111111111111111111111111111111111111111111111111111111111111111").unwrap(),
            &oci_purl_from_image_repo("ghcr.io/acme/hello-express", None).unwrap()
        ));
    }

    /// [`purl_mismatch`] names the first part go-vex's comparison fails on, and is `None`
    /// exactly when [`purl_matches`] holds.
    #[test]
    fn purl_mismatch_names_the_failing_part() {
        let scanned = Purl::parse(
            "pkg:deb/debian/passwd@4.13%2Bdfsg1-1?arch=amd64&distro=debian-12.11&epoch=1",
        )
        .unwrap();
        for (vex, want) in [
            ("pkg:deb/debian/passwd", None),
            ("pkg:deb/debian/passwd@4.13+dfsg1-1?epoch=1", None),
            ("pkg:rpm/debian/passwd", Some(PurlMiss::Type)),
            ("pkg:deb/ubuntu/passwd", Some(PurlMiss::Namespace)),
            ("pkg:deb/debian/login", Some(PurlMiss::Name)),
            (
                "pkg:deb/debian/passwd@1:4.13+dfsg1-1",
                Some(PurlMiss::Version),
            ),
            (
                "pkg:deb/debian/passwd?distro=debian-12.10",
                Some(PurlMiss::QualifierDiffers("distro")),
            ),
            (
                "pkg:deb/debian/passwd?os=linux",
                Some(PurlMiss::QualifierMissing("os")),
            ),
        ] {
            let p = Purl::parse(vex).unwrap();
            assert_eq!(purl_mismatch(&p, &scanned), want, "{vex}");
            assert_eq!(purl_matches(&p, &scanned), want.is_none(), "{vex}");
        }
    }
}
