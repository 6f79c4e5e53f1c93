//! Statements that can never match anything Trivy emits. `gate` prints these as warnings;
//! `vex validate` treats them as errors, except the [`UNCERTAIN`] ones (warnings: they can
//! match in some kind of scan). A non-PURL `@id` is legal and never linted.
//!
//! The PURLs Trivy gives packages come from pkg/purl/purl.go (`purlType`: no analyzer yields
//! a `docker` or `github` type, and `trivy sbom` skips components of types it does not know,
//! pkg/sbom/io/decode.go); the image's is `pkg:oci/NAME@DIGEST?arch=…&repository_url=…`
//! (`NewPackageURL` for `TypeOCI`); Go module versions are written as in go.mod, with their
//! leading `v` (pkg/dependency/parser/golang).

use std::collections::HashMap;

use crate::purl::{DOCKER_HUB, ImageRepo, Purl};
use crate::vex::model::{Component, Document, Statement};

/// One never-matching identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lint {
    /// Stable code, e.g. `purl-unparsable`.
    pub code: &'static str,
    /// 0-based statement index.
    pub statement: usize,
    /// JSON path of the offending value, e.g. `statements[0].products[1].@id`.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Lint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]: {}", self.path, self.code, self.message)
    }
}

/// Every lint code this module can emit.
pub const CODES: [&str; 12] = [
    "purl-unparsable",
    "oci-qualifier-never-emitted",
    "epoch-in-version",
    "docker-io-repository-url",
    "repository-url-invalid",
    "repository-url-without-name",
    "oci-name-invalid",
    "oci-name-repository-mismatch",
    "oci-version-not-digest",
    "purl-type-docker",
    "purl-type-github",
    "golang-version-without-v",
];

/// Codes for identifiers that never match in most scans but can in one kind of target:
/// `vex validate` reports them as warnings, `gate` as `vex-may-never-match`.
///
/// `golang-version-without-v`: go.mod, go.sum and a Go binary's dependencies and stdlib
/// always carry the `v`; a binary's own main module can take its version from
/// `-ldflags -X main.version=1.2.3` as written (pkg/dependency/parser/golang/binary/parse.go
/// `ParseLDFlags`), so a version without `v` can match that one package.
pub const UNCERTAIN: [&str; 1] = ["golang-version-without-v"];

/// Whether a lint code means "never matches, whatever the scan".
pub fn certain(code: &str) -> bool {
    !UNCERTAIN.contains(&code)
}

/// Lint every product and subcomponent identifier of every statement.
pub fn lint_document(doc: &Document) -> Vec<Lint> {
    let mut out = Vec::new();
    let mut cache = LintCache::default();
    for (si, st) in doc.statements.iter().enumerate() {
        lint_statement(st, si, &mut out, &mut cache);
    }
    out
}

/// Lint every product and subcomponent identifier of statement `si`, appending to `out`.
pub fn lint_statement(st: &Statement, si: usize, out: &mut Vec<Lint>, cache: &mut LintCache) {
    for (pi, p) in st.products.iter().enumerate() {
        let base = || format!("statements[{si}].products[{pi}]");
        lint_component(&p.component, si, &base, out, cache);
        for (ci, c) in p.subcomponents.iter().enumerate() {
            let sub = || format!("{}.subcomponents[{ci}]", base());
            lint_component(c, si, &sub, out, cache);
        }
    }
}

/// Lints per distinct PURL string (documents repeat their products).
#[derive(Default)]
pub struct LintCache(HashMap<String, Vec<(&'static str, String)>>);

/// Lint one component; its JSON path is only built when there is something to report.
fn lint_component(
    c: &Component,
    si: usize,
    base: &dyn Fn() -> String,
    out: &mut Vec<Lint>,
    cache: &mut LintCache,
) {
    let mut one = |s: &str, suffix: &str| {
        if !cache.0.contains_key(s) {
            let found = lint_purl(s, 0, "")
                .into_iter()
                .map(|l| (l.code, l.message))
                .collect();
            cache.0.insert(s.to_string(), found);
        }
        let found = &cache.0[s];
        if found.is_empty() {
            return;
        }
        let path = format!("{}{suffix}", base());
        out.extend(found.iter().map(|(code, message)| Lint {
            code,
            statement: si,
            path: path.clone(),
            message: message.clone(),
        }));
    };
    if c.id.starts_with("pkg:") {
        one(&c.id, ".@id");
    }
    if let Some(p) = c.identifiers.get("purl") {
        one(p, ".identifiers.purl");
    }
}

/// The lints for one `pkg:` string at `path`.
pub fn lint_purl(s: &str, statement: usize, path: &str) -> Vec<Lint> {
    let mut out = Vec::new();
    let mut push = |code: &'static str, message: String| {
        out.push(Lint {
            code,
            statement,
            path: path.to_string(),
            message,
        })
    };
    let p = match Purl::parse(s) {
        Ok(p) => p,
        Err(e) => {
            let hint = if s.starts_with("pkg:oci/")
                && s["pkg:oci/".len()..]
                    .split(['?', '@', '#'])
                    .next()
                    .is_some_and(|x| x.contains('/'))
            {
                " (pkg:oci has no namespace: write pkg:oci/<name>?repository_url=<registry>/<path>)"
            } else {
                ""
            };
            push(
                "purl-unparsable",
                format!("{s:?} does not parse as a PURL ({e}){hint}; go-vex treats it as no match"),
            );
            return out;
        }
    };
    match p.ty.as_str() {
        "docker" => push(
            "purl-type-docker",
            format!(
                "Trivy never emits pkg:docker (its image PURL type is oci), so this never matches: write {}",
                docker_to_oci(&p)
            ),
        ),
        "github" => push(
            "purl-type-github",
            format!(
                "Trivy never emits pkg:github (no analyzer yields it, and `trivy sbom` skips such components), so this never matches: for the Go module write {}; for the project's image, pkg:oci/NAME?repository_url=REGISTRY/PATH/NAME",
                github_to_golang(&p)
            ),
        ),
        "golang" if !p.version.is_empty() && !p.version.starts_with('v') => push(
            "golang-version-without-v",
            format!(
                "version {:?} has no leading v: Trivy writes Go module versions as go.mod does (v{}), so this matches no module from go.mod, go.sum or a Go binary's dependencies (only a binary's own main module can carry an -ldflags version without v): write @v{}",
                p.version, p.version, p.version
            ),
        ),
        _ => {}
    }
    if matches!(p.ty.as_str(), "deb" | "rpm") && has_epoch_prefix(&p.version) {
        let (epoch, rest) = p.version.split_once(':').unwrap_or_default();
        push(
            "epoch-in-version",
            format!(
                "version {:?} carries the epoch; Trivy puts it in the `epoch` qualifier, so this never matches: write @{rest}?epoch={epoch} or omit the version",
                p.version
            ),
        );
    }
    if p.ty != "oci" {
        return out;
    }
    for q in ["tag", "os", "variant", "platform"] {
        if let Some(v) = p.qualifier(q) {
            push(
                "oci-qualifier-never-emitted",
                format!(
                    "qualifier {q}={v:?}: Trivy's image PURL only has `arch` and `repository_url`, so this never matches"
                ),
            );
        }
    }
    if !p.version.is_empty() && !is_digest(&p.version) {
        let what = if p.version.contains(':') {
            "is not an image digest (sha256: and 64 lowercase hex digits)"
        } else {
            "is a tag"
        };
        push(
            "oci-version-not-digest",
            format!(
                "version {:?} {what}: Trivy's image PURL version is the image digest (sha256:…), so this never matches: drop the version, or write @sha256:<digest>",
                p.version
            ),
        );
    }
    if p.name.contains(':') || p.name.contains('@') || p.name != p.name.to_lowercase() {
        push(
            "oci-name-invalid",
            format!(
                "name {:?}: Trivy's image PURL name is the lowercase last path segment of the repository, without tag or digest, so this never matches",
                p.name
            ),
        );
    }
    let Some(url) = p.qualifier("repository_url") else {
        return out;
    };
    let last = url.rsplit('/').next().unwrap_or("");
    if last.contains(':') || url.contains('@') || url != url.to_lowercase() {
        push(
            "repository-url-invalid",
            format!(
                "repository_url {url:?} has a tag, a digest or uppercase letters; Trivy's is the lowercase repository (registry/path) only, so this never matches"
            ),
        );
        return out;
    }
    if let Some(full) = repository_without_name(url, &p.name) {
        push(
            "repository-url-without-name",
            format!(
                "repository_url {url:?} lacks the image name: Trivy's repository_url is the whole repository, registry/path/NAME, so this never matches: write repository_url={full}"
            ),
        );
        return out;
    }
    match ImageRepo::parse(url) {
        Ok(repo) => {
            let want = repo.name();
            if want != url
                && (url.starts_with("docker.io/")
                    || !url.contains('/')
                    || repo.registry == DOCKER_HUB)
            {
                push(
                    "docker-io-repository-url",
                    format!(
                        "repository_url {url:?}: Trivy writes Docker Hub repositories as {want:?}, so this never matches"
                    ),
                );
            }
            if repo.purl_name() != p.name {
                push(
                    "oci-name-repository-mismatch",
                    format!(
                        "name {:?} is not the last segment of repository_url {url:?} ({:?}); Trivy's image PURL always has them equal, so this never matches",
                        p.name,
                        repo.purl_name()
                    ),
                );
            }
        }
        Err(e) => push(
            "repository-url-invalid",
            format!("repository_url {url:?} is not an image repository ({e}); this never matches"),
        ),
    }
    out
}

/// An OCI digest as Trivy writes the image PURL version: `sha256:` + 64 lowercase hex
/// digits (or `sha512:` + 128).
fn is_digest(v: &str) -> bool {
    let hex = |h: &str, n: usize| {
        h.len() == n
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    match v.split_once(':') {
        Some(("sha256", h)) => hex(h, 64),
        Some(("sha512", h)) => hex(h, 128),
        _ => false,
    }
}

/// When `url` is only a registry, or a registry and one namespace (`docker.io/library`,
/// `ghcr.io/acme`), and does not end in `name`: the repository it should be.
fn repository_without_name(url: &str, name: &str) -> Option<String> {
    let segs: Vec<&str> = url.split('/').collect();
    let registry = segs[0].contains('.') || segs[0].contains(':');
    if !registry || segs.len() > 2 || segs.last() == Some(&name) || name.is_empty() {
        return None;
    }
    ImageRepo::parse(&format!("{url}/{name}"))
        .ok()
        .map(|r| r.name())
}

/// The `pkg:oci` form of a `pkg:docker` PURL (purl-spec PURL-TYPES `docker`: the namespace is
/// the user or organisation, `repository_url` the registry, default Docker Hub).
fn docker_to_oci(p: &Purl) -> String {
    let registry = p
        .qualifier("repository_url")
        .map(|r| r.trim_end_matches('/'))
        .unwrap_or("");
    let path = if p.namespace.is_empty() {
        p.name.clone()
    } else {
        format!("{}/{}", p.namespace, p.name)
    };
    let full = if registry.is_empty() {
        path
    } else if registry.rsplit('/').next() == Some(p.name.as_str()) {
        registry.to_string()
    } else {
        format!("{registry}/{path}")
    };
    let repo = ImageRepo::parse(&full.to_lowercase())
        .map(|r| r.name())
        .unwrap_or(full);
    let version = if is_digest(&p.version) {
        format!("@{}", p.version)
    } else {
        String::new()
    };
    format!(
        "pkg:oci/{}{version}?repository_url={repo}",
        p.name.to_lowercase()
    )
}

/// The `pkg:golang` form of a `pkg:github/OWNER/REPO@VERSION` PURL.
fn github_to_golang(p: &Purl) -> String {
    let mut s = format!("pkg:golang/github.com/{}/{}", p.namespace, p.name);
    if !p.version.is_empty() {
        s.push('@');
        if !p.version.starts_with('v') {
            s.push('v');
        }
        s.push_str(&p.version);
    }
    s
}

fn has_epoch_prefix(v: &str) -> bool {
    match v.split_once(':') {
        Some((e, rest)) => {
            !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty()
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::purl::purl_matches_str;

    fn codes(s: &str) -> Vec<&'static str> {
        lint_purl(s, 0, "p").into_iter().map(|l| l.code).collect()
    }

    /// A real Trivy image PURL (the form pkg/purl/purl.go builds) and package PURLs to prove each
    /// linted identifier indeed never matches.
    const IMG: &str = "pkg:oci/app@sha256:1111111111111111111111111111111111111111111111111111111111111111?arch=amd64&repository_url=index.docker.io%2Fmyorg%2Fapp";
    const NODE: &str = "pkg:oci/node@sha256:1111111111111111111111111111111111111111111111111111111111111111?arch=amd64&repository_url=index.docker.io%2Flibrary%2Fnode";

    #[test]
    fn clean_identifiers_have_no_lints() {
        for s in [
            "pkg:oci/app?repository_url=index.docker.io/myorg/app",
            "pkg:oci/app",
            "pkg:oci/hello?repository_url=ghcr.io%2Facme%2Fhello&arch=amd64",
            "pkg:oci/app?repository_url=localhost:5000/app",
            "pkg:deb/debian/bash@5.2.15-2%2Bb13",
            "pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?epoch=1",
            "pkg:golang/github.com/a/b@v1.0.0",
        ] {
            assert_eq!(codes(s), Vec::<&str>::new(), "{s}");
        }
        assert!(purl_matches_str(
            "pkg:oci/app?repository_url=index.docker.io/myorg/app",
            IMG
        ));
    }

    #[test]
    fn lint_unparsable_pkg_id() {
        assert_eq!(codes("pkg:"), ["purl-unparsable"]);
        assert_eq!(codes("pkg:oci/ghcr.io/acme/app"), ["purl-unparsable"]);
        assert!(
            lint_purl("pkg:oci/ghcr.io/acme/app", 0, "p")[0]
                .message
                .contains("no namespace")
        );
        assert!(!purl_matches_str("pkg:oci/ghcr.io/acme/app", IMG));
        // A non-PURL @id is legal.
        let doc: Document = serde_json::from_str(
            r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"fixed",
                "products":[{"@id":"https://example.com/product/1"},{"@id":"pkg:"}]}]}"#,
        )
        .unwrap();
        let l = lint_document(&doc);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].path, "statements[0].products[1].@id");
    }

    #[test]
    fn lint_oci_qualifiers_trivy_never_emits() {
        for q in [
            "tag=1.2.3",
            "os=linux",
            "variant=v8",
            "platform=linux%2Famd64",
        ] {
            let s = format!("pkg:oci/app?{q}");
            assert_eq!(codes(&s), ["oci-qualifier-never-emitted"], "{s}");
            assert!(!purl_matches_str(&s, IMG));
        }
    }

    #[test]
    fn lint_epoch_in_deb_rpm_version() {
        let s = "pkg:rpm/centos/openssl-libs@1:1.0.2k-16.el7";
        assert_eq!(codes(s), ["epoch-in-version"]);
        assert!(!purl_matches_str(
            s,
            "pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&epoch=1"
        ));
        assert_eq!(codes("pkg:deb/debian/libc6@2:2.36-9"), ["epoch-in-version"]);
        assert!(
            codes("pkg:npm/a@1:2").is_empty(),
            "only deb and rpm carry epochs as qualifiers"
        );
    }

    #[test]
    fn lint_docker_io_repository_url() {
        let s = "pkg:oci/node?repository_url=docker.io%2Flibrary%2Fnode";
        assert_eq!(codes(s), ["docker-io-repository-url"]);
        assert!(!purl_matches_str(s, NODE));
        let s = "pkg:oci/node?repository_url=index.docker.io/node";
        assert_eq!(codes(s), ["docker-io-repository-url"]);
        assert!(!purl_matches_str(s, NODE));
    }

    #[test]
    fn lint_repository_with_tag_or_uppercase() {
        // The statement create_vex.sh's original usage committed.
        let seed = "pkg:oci/node:latest?repository_url=node%3Alatest";
        let c = codes(seed);
        assert!(
            c.contains(&"oci-name-invalid") && c.contains(&"repository-url-invalid"),
            "{c:?}"
        );
        assert!(!purl_matches_str(seed, NODE));
        let s = "pkg:oci/app?repository_url=ghcr.io/Acme/app";
        assert_eq!(codes(s), ["repository-url-invalid"]);
        assert!(!purl_matches_str(
            s,
            "pkg:oci/app@sha256:1111111111111111111111111111111111111111111111111111111111111111?repository_url=ghcr.io%2Facme%2Fapp"
        ));
        assert_eq!(codes("pkg:oci/App"), ["oci-name-invalid"]);
        let s = "pkg:oci/other?repository_url=ghcr.io/acme/app";
        assert_eq!(codes(s), ["oci-name-repository-mismatch"]);
    }

    /// The suggested fix of a lint, taken from its message.
    fn fix(s: &str) -> String {
        let m = &lint_purl(s, 0, "p")[0].message;
        let w = m.rsplit(" write ").next().unwrap();
        w.split(&[';', ' '][..]).next().unwrap().to_string()
    }

    #[test]
    fn lint_golang_version_without_v() {
        let s = "pkg:golang/golang.org/x/text@0.3.5";
        assert_eq!(codes(s), ["golang-version-without-v"]);
        assert!(!certain("golang-version-without-v"));
        let trivy = "pkg:golang/golang.org/x/text@v0.3.5";
        assert!(!purl_matches_str(s, trivy));
        assert_eq!(fix(s), "@v0.3.5");
        assert!(purl_matches_str(
            "pkg:golang/golang.org/x/text@v0.3.5",
            trivy
        ));
        assert!(codes("pkg:golang/golang.org/x/text@v0.3.5").is_empty());
        assert!(codes("pkg:golang/golang.org/x/text").is_empty());
        assert!(codes("pkg:golang/github.com/a/b@v0.0.0-20230101000000-abcdef123456").is_empty());
    }

    #[test]
    fn lint_docker_purls() {
        for (s, want) in [
            (
                "pkg:docker/n8nio/n8n@1.64.0",
                "pkg:oci/n8n?repository_url=index.docker.io/n8nio/n8n",
            ),
            (
                "pkg:docker/node",
                "pkg:oci/node?repository_url=index.docker.io/library/node",
            ),
            (
                "pkg:docker/cilium/cilium?repository_url=quay.io",
                "pkg:oci/cilium?repository_url=quay.io/cilium/cilium",
            ),
            (
                "pkg:docker/acme/app@sha256:1111111111111111111111111111111111111111111111111111111111111111?repository_url=ghcr.io",
                "pkg:oci/app@sha256:1111111111111111111111111111111111111111111111111111111111111111?repository_url=ghcr.io/acme/app",
            ),
        ] {
            assert_eq!(codes(s), ["purl-type-docker"], "{s}");
            assert!(certain("purl-type-docker"));
            assert_eq!(fix(s), want, "{s}");
            assert!(codes(want).is_empty(), "{want}: {:?}", codes(want));
        }
        assert!(!purl_matches_str("pkg:docker/library/node", NODE));
        assert!(purl_matches_str(&fix("pkg:docker/library/node"), NODE));
    }

    #[test]
    fn lint_github_purls() {
        let s = "pkg:github/dgraph-io/dgraph@v24.0.5";
        assert_eq!(codes(s), ["purl-type-github"]);
        assert_eq!(fix(s), "pkg:golang/github.com/dgraph-io/dgraph@v24.0.5");
        let s = "pkg:github/kubernetes-sigs/kind@0.23.0";
        assert!(
            lint_purl(s, 0, "p")[0]
                .message
                .contains("pkg:golang/github.com/kubernetes-sigs/kind@v0.23.0")
        );
        assert!(!purl_matches_str(
            s,
            "pkg:golang/github.com/kubernetes-sigs/kind@v0.23.0"
        ));
    }

    #[test]
    fn lint_oci_version_not_a_digest() {
        let s = "pkg:oci/rekor-server@v1.3.6?repository_url=ghcr.io/sigstore/rekor-server";
        assert_eq!(codes(s), ["oci-version-not-digest"]);
        let trivy = "pkg:oci/rekor-server@sha256:1111111111111111111111111111111111111111111111111111111111111111?arch=amd64&repository_url=ghcr.io%2Fsigstore%2Frekor-server";
        assert!(!purl_matches_str(s, trivy));
        assert!(purl_matches_str(
            "pkg:oci/rekor-server?repository_url=ghcr.io/sigstore/rekor-server",
            trivy
        ));
        assert!(
            lint_purl("pkg:oci/app@sha256:ABC", 0, "p")[0]
                .message
                .contains("not an image digest")
        );
        assert!(codes("pkg:oci/app@sha256:1111111111111111111111111111111111111111111111111111111111111111").is_empty());
    }

    /// `repository_url=docker.io/library` names a namespace, not a repository.
    #[test]
    fn lint_repository_url_without_the_image_name() {
        for (s, want) in [
            (
                "pkg:oci/x?repository_url=docker.io/library",
                "index.docker.io/library/x",
            ),
            (
                "pkg:oci/operator?repository_url=quay.io/cilium",
                "quay.io/cilium/operator",
            ),
            ("pkg:oci/app?repository_url=ghcr.io", "ghcr.io/app"),
        ] {
            assert_eq!(codes(s), ["repository-url-without-name"], "{s}");
            let m = &lint_purl(s, 0, "p")[0].message;
            assert!(
                m.contains("lacks the image name")
                    && m.ends_with(&format!("repository_url={want}")),
                "{m}"
            );
            assert!(!m.contains("library/library"), "{m}");
        }
        let fixed = "pkg:oci/x?repository_url=index.docker.io/library/x";
        assert!(codes(fixed).is_empty());
    }

    #[test]
    fn codes_are_unique() {
        let mut c = CODES.to_vec();
        c.sort_unstable();
        c.dedup();
        assert_eq!(c.len(), CODES.len());
    }
}
