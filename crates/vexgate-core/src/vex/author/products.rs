//! Package PURLs for statements and the image product (Trivy's image PURL).

use crate::error::{Error, Result};
use crate::purl::{self, Purl};

use super::{PurlDetail, ReportFacts};

/// Normalise a package PURL for a statement ([`PurlDetail`]).
pub fn normalize_package_purl(p: &str, detail: PurlDetail) -> std::result::Result<String, String> {
    let mut purl = Purl::parse(p).map_err(|e| format!("{p:?} is not a valid PURL: {e}"))?;
    match detail {
        PurlDetail::Exact => {}
        PurlDetail::Default => {
            purl.qualifiers.retain(|k, _| k == "epoch");
            purl.subpath.clear();
        }
        PurlDetail::Versionless => {
            purl.qualifiers.clear();
            purl.version.clear();
            purl.subpath.clear();
        }
    }
    Ok(purl.to_purl_string())
}

/// The image products for `--image-repo` (Trivy 0.76 `pkg/purl/purl.go`
/// parseOCI): `pkg:oci/<last segment, lowercased>?repository_url=<registry>/<path>` with
/// Docker Hub normalised to `index.docker.io[/library]`. No digest and no `arch`, so the
/// statement holds for every build and platform of the repository.
/// With `compat`, also the forms other scanners look for: a bare `pkg:oci/<name>` (grype before
/// anchore/grype#3659) and `pkg:docker/<namespace>/<name>@<tag>` (Docker Scout) when a tag
/// is known.
pub fn image_products(
    image_repo: &str,
    report_tags: &[String],
    compat: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>> {
    let (repo, tag, digest) = purl::split_image_reference(image_repo);
    if tag.is_some() || digest.is_some() {
        warnings.push(format!(
            "--image-repo {image_repo:?}: the {} was stripped; the statement names the repository \
             {repo:?} (every tag and digest), which is what Trivy matches",
            match (&tag, &digest) {
                (Some(_), Some(_)) => "tag and digest",
                (Some(_), None) => "tag",
                _ => "digest",
            }
        ));
    }
    if repo != repo.to_lowercase() {
        warnings.push(format!(
            "--image-repo {repo:?} lowercased: registries and Trivy's image PURL use lowercase names"
        ));
    }
    let p = purl::oci_purl_from_image_repo(&repo, None).map_err(Error::usage)?;
    let mut out = vec![p.to_purl_string()];
    if compat {
        let bare = Purl {
            qualifiers: Default::default(),
            ..p.clone()
        };
        out.push(bare.to_purl_string());
        let parsed = purl::ImageRepo::parse(&repo.to_lowercase()).map_err(Error::usage)?;
        let tag = tag.or_else(|| {
            report_tags.iter().find_map(|t| {
                let (r, tg, _) = purl::split_image_reference(t);
                let same = purl::ImageRepo::parse(&r.to_lowercase())
                    .map(|x| x.name() == parsed.name())
                    .unwrap_or(false);
                if same { tg } else { None }
            })
        });
        match tag {
            Some(tag) => {
                let name = parsed.purl_name();
                let ns = parsed
                    .repository
                    .rsplit_once('/')
                    .map(|(ns, _)| ns.to_string())
                    .unwrap_or_default();
                let mut d = Purl {
                    ty: "docker".into(),
                    namespace: ns,
                    name,
                    version: tag,
                    qualifiers: Default::default(),
                    subpath: String::new(),
                };
                if parsed.registry != purl::DOCKER_HUB {
                    d.qualifiers
                        .insert("repository_url".into(), parsed.registry.clone());
                }
                out.push(d.to_purl_string());
            }
            None => warnings.push(
                "--compat: no tag known (none in --image-repo or the report's RepoTags), so no \
                 pkg:docker product for Docker Scout was added"
                    .to_string(),
            ),
        }
    }
    Ok(out)
}

/// Warn when the report's image is not the `--image-repo` repository, or has no
/// RepoDigests (then Trivy builds no image PURL and image-scoped statements never apply).
pub(super) fn cross_check_image(image_repo: &str, facts: &ReportFacts, warnings: &mut Vec<String>) {
    if facts.artifact_type.is_empty() {
        return;
    }
    if facts.artifact_type != "container_image" {
        warnings.push(format!(
            "the report's ArtifactType is {:?}, not container_image: an image product will not \
             match it; consider --scope package",
            facts.artifact_type
        ));
        return;
    }
    let Some(first) = facts.repo_digests.first() else {
        warnings.push(format!(
            "the report ({}) has no RepoDigests (a local or tar-scanned image): Trivy builds no \
             image PURL for it, so this image-scoped statement only applies to scans of the \
             pushed image; use --scope package for local scans",
            facts.artifact_name
        ));
        return;
    };
    let (repo, _, _) = purl::split_image_reference(image_repo);
    let ours = purl::ImageRepo::parse(&repo.to_lowercase()).map(|r| r.name());
    match (purl::parse_repo_digest(first), ours) {
        (Ok((theirs, _)), Ok(ours)) if theirs.name() != ours => warnings.push(format!(
            "the report's image is {} (RepoDigests[0]), not {ours}: the statement will not match \
             this report",
            theirs.name()
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// purl normalisation: default keeps name, version, epoch; drops distro/arch.
    #[test]
    fn subcomponent_normalisation() {
        let deb = "pkg:deb/debian/libc6@2.36-9%2Bdeb12u8?arch=amd64&distro=debian-12.8";
        assert_eq!(
            normalize_package_purl(deb, PurlDetail::Default).unwrap(),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u8"
        );
        assert_eq!(normalize_package_purl(deb, PurlDetail::Exact).unwrap(), deb);
        assert_eq!(
            normalize_package_purl(deb, PurlDetail::Versionless).unwrap(),
            "pkg:deb/debian/libc6"
        );
        let rpm =
            "pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&distro=centos-7.6.1810&epoch=1";
        assert_eq!(
            normalize_package_purl(rpm, PurlDetail::Default).unwrap(),
            "pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?epoch=1"
        );
        assert!(normalize_package_purl("not a purl", PurlDetail::Default).is_err());
    }

    /// Trivy pkg/purl/purl.go parseOCI via go-containerregistry name.NewRepository.
    #[test]
    fn image_product_like_trivy() {
        let mut w = Vec::new();
        let p = image_products("ghcr.io/Acme/Hello-Express:1.2.3", &[], false, &mut w).unwrap();
        assert_eq!(
            p,
            ["pkg:oci/hello-express?repository_url=ghcr.io%2Facme%2Fhello-express"]
        );
        assert_eq!(w.len(), 2, "{w:?}");
        let mut w = Vec::new();
        assert_eq!(
            image_products("node", &[], false, &mut w).unwrap(),
            ["pkg:oci/node?repository_url=index.docker.io%2Flibrary%2Fnode"]
        );
        assert_eq!(
            image_products("docker.io/org/x@sha256:abc", &[], false, &mut w).unwrap(),
            ["pkg:oci/x?repository_url=index.docker.io%2Forg%2Fx"]
        );
        assert_eq!(
            image_products("localhost:5000/app", &[], false, &mut w).unwrap(),
            ["pkg:oci/app?repository_url=localhost:5000%2Fapp"]
        );
        let mut w = Vec::new();
        let p = image_products(
            "ghcr.io/acme/hello-express",
            &["ghcr.io/acme/hello-express:1.2.3".into()],
            true,
            &mut w,
        )
        .unwrap();
        assert_eq!(
            p,
            [
                "pkg:oci/hello-express?repository_url=ghcr.io%2Facme%2Fhello-express",
                "pkg:oci/hello-express",
                "pkg:docker/acme/hello-express@1.2.3?repository_url=ghcr.io",
            ]
        );
        assert!(w.is_empty(), "{w:?}");
    }
}
