//! Statements that can never match anything Trivy emits (trivy.md §3.5.1–3.5.2, issue 3
//! item 5). `gate` prints these as warnings; `vex validate` treats them as errors.
//! A non-PURL `@id` is legal and never linted.

use std::collections::HashMap;

use crate::purl::{DOCKER_HUB, ImageRepo, Purl};
use crate::vex::model::{Component, Document};

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
pub const CODES: [&str; 7] = [
    "purl-unparsable",
    "oci-qualifier-never-emitted",
    "epoch-in-version",
    "docker-io-repository-url",
    "repository-url-invalid",
    "oci-name-invalid",
    "oci-name-repository-mismatch",
];

/// Lint every product and subcomponent identifier of every statement.
pub fn lint_document(doc: &Document) -> Vec<Lint> {
    let mut out = Vec::new();
    let mut cache = LintCache::new();
    for (si, st) in doc.statements.iter().enumerate() {
        for (pi, p) in st.products.iter().enumerate() {
            let base = || format!("statements[{si}].products[{pi}]");
            lint_component(&p.component, si, &base, &mut out, &mut cache);
            for (ci, c) in p.subcomponents.iter().enumerate() {
                let sub = || format!("{}.subcomponents[{ci}]", base());
                lint_component(c, si, &sub, &mut out, &mut cache);
            }
        }
    }
    out
}

/// Lints per distinct PURL string (documents repeat their products).
type LintCache = HashMap<String, Vec<(&'static str, String)>>;

/// Lint one component; its JSON path is only built when there is something to report.
fn lint_component(
    c: &Component,
    si: usize,
    base: &dyn Fn() -> String,
    out: &mut Vec<Lint>,
    cache: &mut LintCache,
) {
    let mut one = |s: &str, suffix: &str| {
        if !cache.contains_key(s) {
            let found = lint_purl(s, 0, "")
                .into_iter()
                .map(|l| (l.code, l.message))
                .collect();
            cache.insert(s.to_string(), found);
        }
        let found = &cache[s];
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

    /// A real Trivy image PURL (trivy.md §3.5.1 form) and package PURLs to prove each
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
        // The seed's committed statement.
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

    #[test]
    fn codes_are_unique() {
        let mut c = CODES.to_vec();
        c.sort_unstable();
        c.dedup();
        assert_eq!(c.len(), CODES.len());
    }
}
