//! A typed reader for an image index: the raw OCI image index or Docker manifest list that
//! `docker buildx imagetools inspect --raw IMAGE`, `skopeo inspect --raw docker://IMAGE` and
//! `crane manifest IMAGE` print, and an OCI layout's `index.json`.
//!
//! What it returns is the image platforms the index lists. Entries that are not images are
//! left out, each with the reason: BuildKit's attestation manifests (annotation
//! `vnd.docker.reference.type: attestation-manifest`, platform `unknown/unknown`, see
//! moby/buildkit docs/attestations/attestation-storage.md), any other `unknown` platform,
//! artifacts (an `artifactType`, or a media type that is neither an image manifest nor an
//! index). A nested index (an OCI layout's `index.json` usually points at one) is returned as
//! such for the caller to follow. A single image manifest has no platform list: it is read
//! as [`Raw::Manifest`], and [`read_index_platforms`] refuses it.
//!
//! Input is hostile (an index comes from a registry or a PR's files): it is read up to
//! [`INDEX_MAX`] bytes, at most [`MANIFESTS_MAX`] entries, and every platform part must pass
//! [`is_platform_part`] before it names anything. Errors are one line naming the file.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::report::{PLATFORM_PART_RULE, Platform, is_platform_part};

/// The most vexgate reads of an index or manifest: 4 MiB, the limit the distribution
/// registry puts on a manifest body (distribution v2.8 registry/handlers/manifests.go,
/// `maxManifestBodySize`). Real indexes are a few KiB.
pub const INDEX_MAX: u64 = 4 << 20;

/// The most entries an index may list.
pub const MANIFESTS_MAX: usize = 4096;

/// OCI image index and Docker manifest list media types.
pub const INDEX_MEDIA_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// OCI image manifest and Docker image manifest media types.
pub const MANIFEST_MEDIA_TYPES: [&str; 2] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// The annotation BuildKit sets on an attestation manifest's descriptor.
pub const REFERENCE_TYPE: &str = "vnd.docker.reference.type";

/// A parsed index or manifest document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raw {
    Index(ImageIndex),
    /// A single image manifest (no platform list); its media type when it gives one.
    Manifest {
        media_type: Option<String>,
    },
}

/// What an image index lists, in its order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageIndex {
    /// The index's own media type, when it gives one.
    pub media_type: Option<String>,
    pub entries: Vec<Entry>,
}

/// One `manifests[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The descriptor's digest, when it is a well-formed `algorithm:hex` (see [`Digest`]).
    pub digest: Option<Digest>,
    /// The descriptor's `mediaType` and `size`, when given.
    pub media_type: Option<String>,
    pub size: Option<u64>,
    pub kind: EntryKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// An image for this platform (`variant` kept, e.g. `v7` of `linux/arm/v7`).
    Image {
        platform: Platform,
        variant: Option<String>,
    },
    /// An image manifest without a `platform` (an OCI layout's `index.json` may list one;
    /// its config blob says the platform).
    ImageWithoutPlatform,
    /// A nested image index.
    Index,
    /// Not an image: why.
    Skipped(&'static str),
}

/// A descriptor digest checked to be safe as a blob path: `algorithm:hex`, the algorithm
/// of `[a-z0-9]` (at most 32 characters) and the encoded part of `[a-f0-9]` (at most 128).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub algorithm: String,
    pub encoded: String,
}

impl Digest {
    pub fn parse(s: &str) -> Option<Self> {
        let (alg, hex) = s.split_once(':')?;
        let ok_alg = !alg.is_empty()
            && alg.len() <= 32
            && alg
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let ok_hex = !hex.is_empty()
            && hex.len() <= 128
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        (ok_alg && ok_hex).then(|| Self {
            algorithm: alg.to_string(),
            encoded: hex.to_string(),
        })
    }

    /// `DIR/blobs/<algorithm>/<hex>` of an OCI layout.
    pub fn blob_path(&self, layout: &Path) -> PathBuf {
        layout
            .join("blobs")
            .join(&self.algorithm)
            .join(&self.encoded)
    }
}

impl ImageIndex {
    /// The distinct image platforms (os/architecture), sorted. Two variants of one
    /// os/architecture are refused before this is asked ([`Variants`]).
    pub fn platforms(&self) -> Vec<Platform> {
        let mut out: Vec<Platform> = self
            .entries
            .iter()
            .filter_map(|e| match &e.kind {
                EntryKind::Image { platform, .. } => Some(platform.clone()),
                _ => None,
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// How many entries were left out as not images (attestations, artifacts).
    pub fn skipped(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.kind, EntryKind::Skipped(_)))
            .count()
    }
}

/// The variants seen per os/architecture while reading one target's indexes: two image
/// entries of the same os/architecture that differ only in variant (`linux/arm/v6` and
/// `linux/arm/v7`) are an error, since vexgate tells platforms apart by os/architecture (a
/// report's platform, a baseline's, `--report-platform`, and the saved report's name
/// `trivy-<os>-<arch>.json`): the two would be one platform, and a check that one of them
/// was scanned would pass for the other.
#[derive(Debug, Default)]
pub struct Variants(BTreeMap<Platform, Option<String>>);

impl Variants {
    /// Note every image entry of `index` (read from `path`).
    pub fn note(&mut self, path: &Path, index: &ImageIndex) -> Result<()> {
        for e in &index.entries {
            let EntryKind::Image { platform, variant } = &e.kind else {
                continue;
            };
            let seen = self
                .0
                .entry(platform.clone())
                .or_insert_with(|| variant.clone());
            if seen != variant {
                let name = |v: &Option<String>| match v {
                    Some(v) => format!("{platform}/{v}"),
                    None => platform.to_string(),
                };
                return Err(Error::input(
                    path,
                    format!(
                        "lists both {} and {}, images of one os/architecture that differ only in \
                         variant; vexgate tells platforms apart by os/architecture, so it \
                         cannot scan or check them apart",
                        name(seen),
                        name(variant)
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDoc {
    schema_version: Option<serde_json::Value>,
    media_type: Option<String>,
    manifests: Option<Vec<RawDescriptor>>,
    config: Option<serde::de::IgnoredAny>,
    layers: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    media_type: Option<String>,
    digest: Option<String>,
    size: Option<u64>,
    artifact_type: Option<String>,
    platform: Option<RawPlatform>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawPlatform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    variant: Option<String>,
}

/// Parse an index or manifest document; `path` names it in errors.
pub fn parse(path: &Path, text: &str) -> Result<Raw> {
    let first = text.trim_start().as_bytes().first().copied();
    if first != Some(b'{') {
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
            return Err(Error::json(path, &e));
        }
        return Err(Error::input(
            path,
            "is JSON but not an image index (expected an object with schemaVersion 2 and manifests)",
        ));
    }
    let doc: RawDoc = serde_json::from_str(text).map_err(|e| Error::json(path, &e))?;
    if doc
        .schema_version
        .as_ref()
        .and_then(serde_json::Value::as_u64)
        != Some(2)
    {
        return Err(Error::input(
            path,
            "is not an image index or manifest (schemaVersion is not 2; produce it with \
             `docker buildx imagetools inspect --raw IMAGE` or `skopeo inspect --raw docker://IMAGE`)",
        ));
    }
    let media = doc.media_type.as_deref();
    let Some(manifests) = doc.manifests else {
        if doc.config.is_some()
            || doc.layers.is_some()
            || media.is_some_and(|m| MANIFEST_MEDIA_TYPES.contains(&m))
        {
            return Ok(Raw::Manifest {
                media_type: doc.media_type,
            });
        }
        return Err(Error::input(
            path,
            "is not an image index or manifest (no manifests, no config)",
        ));
    };
    if let Some(m) = media
        && !INDEX_MEDIA_TYPES.contains(&m)
    {
        return Err(Error::input(
            path,
            format!(
                "has mediaType {:?}, not an image index or manifest list",
                crate::escape::term(m)
            ),
        ));
    }
    if manifests.len() > MANIFESTS_MAX {
        return Err(Error::input(
            path,
            format!(
                "lists {} manifests, more than the {MANIFESTS_MAX} vexgate reads",
                manifests.len()
            ),
        ));
    }
    let entries = manifests
        .into_iter()
        .enumerate()
        .map(|(i, d)| entry(path, i, d))
        .collect::<Result<Vec<_>>>()?;
    Ok(Raw::Index(ImageIndex {
        media_type: doc.media_type,
        entries,
    }))
}

fn entry(path: &Path, i: usize, d: RawDescriptor) -> Result<Entry> {
    let digest = d.digest.as_deref().and_then(Digest::parse);
    let media_type = d.media_type.clone();
    let size = d.size;
    let media = d.media_type.as_deref().unwrap_or_default();
    let kind =
        if d.annotations.get(REFERENCE_TYPE).map(String::as_str) == Some("attestation-manifest") {
            EntryKind::Skipped("attestation manifest")
        } else if d.artifact_type.is_some() {
            EntryKind::Skipped("artifact")
        } else if INDEX_MEDIA_TYPES.contains(&media) {
            EntryKind::Index
        } else if !MANIFEST_MEDIA_TYPES.contains(&media) {
            EntryKind::Skipped("not an image manifest")
        } else {
            match d.platform {
                None => EntryKind::ImageWithoutPlatform,
                Some(p) if p.os == "unknown" || p.architecture == "unknown" => {
                    EntryKind::Skipped("platform unknown")
                }
                Some(p) => {
                    let variant = p.variant.filter(|v| !v.is_empty());
                    for (field, v) in [
                        ("os", Some(&p.os)),
                        ("architecture", Some(&p.architecture)),
                        ("variant", variant.as_ref()),
                    ] {
                        if let Some(v) = v
                            && !is_platform_part(v)
                        {
                            return Err(Error::input(
                                path,
                                format!(
                                    "manifests[{i}].platform.{field} {:?} {PLATFORM_PART_RULE}",
                                    crate::escape::term(v)
                                ),
                            ));
                        }
                    }
                    EntryKind::Image {
                        platform: Platform {
                            os: p.os,
                            arch: p.architecture,
                        },
                        variant,
                    }
                }
            }
        };
    Ok(Entry {
        digest,
        media_type,
        size,
        kind,
    })
}

/// Read a file of at most [`INDEX_MAX`] bytes as UTF-8 (a FIFO or `/dev/stdin` too).
pub fn read_bounded(path: &Path) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::input(path, "is a directory, not an image index"));
    }
    let mut buf = Vec::new();
    file.take(INDEX_MAX + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, e))?;
    if buf.len() as u64 > INDEX_MAX {
        return Err(Error::input(
            path,
            format!(
                "is larger than {} MiB, the most an image index can be",
                INDEX_MAX >> 20
            ),
        ));
    }
    String::from_utf8(buf).map_err(|_| Error::input(path, "is not UTF-8 text"))
}

/// Read blob `d` of the OCI layout `layout` (at most [`INDEX_MAX`] bytes, UTF-8). It must be
/// a regular file at `blobs/<algorithm>/<hex>`: a symlink (which could lead out of the
/// layout), a FIFO or a device is refused, as is a missing blob; errors name the blob.
pub fn read_blob(layout: &Path, d: &Digest) -> Result<String> {
    let path = d.blob_path(layout);
    let meta = std::fs::symlink_metadata(&path).map_err(|e| Error::io(&path, e))?;
    if !meta.file_type().is_file() {
        return Err(Error::input(
            &path,
            "is not a regular file (a layout's blobs must be; symlinks are not followed)",
        ));
    }
    let file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
    let opened = file.metadata().map_err(|e| Error::io(&path, e))?;
    if !opened.file_type().is_file() {
        return Err(Error::input(&path, "is not a regular file"));
    }
    let mut buf = Vec::new();
    file.take(INDEX_MAX + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(&path, e))?;
    if buf.len() as u64 > INDEX_MAX {
        return Err(Error::input(
            &path,
            format!(
                "is larger than {} MiB, more than image metadata can be",
                INDEX_MAX >> 20
            ),
        ));
    }
    String::from_utf8(buf).map_err(|_| Error::input(&path, "is not UTF-8 text"))
}

/// Read and parse an index file.
pub fn read(path: &Path) -> Result<Raw> {
    parse(path, &read_bounded(path)?)
}

/// The image platforms of a raw index file, for `--expect-platforms-from`: a single
/// manifest, an index that only points at other indexes, or one without any image
/// platform is an error (it cannot say what to expect).
pub fn read_index_platforms(path: &Path) -> Result<Vec<Platform>> {
    platforms_of(path, read(path)?)
}

/// [`read_index_platforms`] of a document already read.
pub fn platforms_of(path: &Path, raw: Raw) -> Result<Vec<Platform>> {
    let index = match raw {
        Raw::Index(i) => i,
        Raw::Manifest { .. } => {
            return Err(Error::input(
                path,
                "is a single-platform image manifest, not an image index: it lists no \
                 platforms (give --expect-platforms OS/ARCH instead)",
            ));
        }
    };
    if let Some(i) = index
        .entries
        .iter()
        .position(|e| matches!(e.kind, EntryKind::ImageWithoutPlatform))
    {
        return Err(Error::input(
            path,
            format!("manifests[{i}] is an image manifest without a platform"),
        ));
    }
    // A nested index's platforms are in a document this one only names: skipping it
    // would leave them unscanned or unexpected without a word.
    if let Some(i) = index
        .entries
        .iter()
        .position(|e| matches!(e.kind, EntryKind::Index))
    {
        return Err(Error::input(
            path,
            format!(
                "manifests[{i}] is a nested image index, whose platforms are not in this \
                 document; give the platforms with --expect-platforms (or --platform for scan)"
            ),
        ));
    }
    Variants::default().note(path, &index)?;
    let platforms = index.platforms();
    if platforms.is_empty() {
        return Err(Error::input(
            path,
            format!(
                "lists no image platform ({} entries, {} of them attestations or artifacts)",
                index.entries.len(),
                index.skipped()
            ),
        ));
    }
    Ok(platforms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    fn names(p: &[Platform]) -> Vec<String> {
        p.iter().map(ToString::to_string).collect()
    }

    /// The `platform` fields of every entry whose annotation is not an attestation, read
    /// with serde_json's untyped model: the expected value of the typed reader.
    fn untyped_image_platforms(text: &str) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut out: Vec<String> = v["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["annotations"][REFERENCE_TYPE] != "attestation-manifest")
            .map(|m| {
                format!(
                    "{}/{}",
                    m["platform"]["os"].as_str().unwrap(),
                    m["platform"]["architecture"].as_str().unwrap()
                )
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn buildah_index_lists_its_two_platforms() {
        let path = root().join("testdata/index/buildah-two-platform-index.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let got = read_index_platforms(&path).unwrap();
        assert_eq!(names(&got), untyped_image_platforms(&text));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn buildx_index_skips_attestation_manifests() {
        let path = root().join("testdata/upstream/buildx/buildkit-master-index-attestations.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let Raw::Index(index) = read(&path).unwrap() else {
            panic!("an index")
        };
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let attestations = v["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["annotations"][REFERENCE_TYPE] == "attestation-manifest")
            .count();
        assert!(attestations > 0);
        assert_eq!(index.skipped(), attestations);
        assert!(
            index
                .entries
                .iter()
                .filter(|e| matches!(e.kind, EntryKind::Skipped(_)))
                .all(|e| e.kind == EntryKind::Skipped("attestation manifest"))
        );
        let got = names(&index.platforms());
        assert_eq!(got, untyped_image_platforms(&text));
        assert!(!got.iter().any(|p| p.contains("unknown")), "{got:?}");
        // linux/arm/v7 keeps its variant in the entry.
        assert!(index.entries.iter().any(|e| matches!(
            &e.kind,
            EntryKind::Image { variant: Some(v), .. } if v == "v7"
        )));
    }

    #[test]
    fn docker_manifest_list_and_single_manifest() {
        let list = root().join("testdata/upstream/buildx/buildkit-master-manifest-list.json");
        let text = std::fs::read_to_string(&list).unwrap();
        assert_eq!(
            names(&read_index_platforms(&list).unwrap()),
            untyped_image_platforms(&text)
        );
        let single = root().join("testdata/upstream/buildx/loop-single-manifest.json");
        assert!(matches!(read(&single).unwrap(), Raw::Manifest { .. }));
        let e = read_index_platforms(&single).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}: ", single.display())), "{e}");
        assert!(e.contains("not an image index"), "{e}");
    }

    #[test]
    fn hostile_and_malformed_input_is_one_line_naming_the_file() {
        let p = Path::new("idx.json");
        for (text, want) in [
            ("", "truncated JSON"),
            ("[1]", "not an image index"),
            ("{\"manifests\": []}", "schemaVersion is not 2"),
            ("{\"schemaVersion\": 2}", "no manifests, no config"),
            (
                "{\"schemaVersion\":2,\"mediaType\":\"application/x\\u001b[31m\",\"manifests\":[]}",
                "not an image index or manifest list",
            ),
            (
                "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"platform\":{\"os\":\"linux\",\"architecture\":\"../../x\"}}]}",
                "manifests[0].platform.architecture",
            ),
            (
                "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\",\"variant\":\"v\\n8\"}}]}",
                "manifests[0].platform.variant",
            ),
            (
                "{\"schemaVersion\":2,\"manifests\":{}}",
                "unexpected JSON shape",
            ),
        ] {
            let e = parse(p, text).unwrap_err().to_string();
            assert!(e.starts_with("idx.json: "), "{text}: {e}");
            assert!(!e.contains("  "), "{text}: {e}");
            assert!(e.contains(want), "{text}: {e}");
            assert!(!e.contains('\n') && !e.contains('\u{1b}'), "{text}: {e}");
        }
        // Too many entries.
        let many = format!(
            "{{\"schemaVersion\":2,\"manifests\":[{}]}}",
            vec!["{}"; MANIFESTS_MAX + 1].join(",")
        );
        assert!(
            parse(p, &many)
                .unwrap_err()
                .to_string()
                .contains("more than")
        );
        // Only attestations: nothing to expect.
        let only = r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","annotations":{"vnd.docker.reference.type":"attestation-manifest"},"platform":{"os":"unknown","architecture":"unknown"}}]}"#;
        let e = platforms_of(p, parse(p, only).unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("lists no image platform"), "{e}");
    }

    /// A raw index (`--expect-platforms-from`, a registry's index for `scan`) with two
    /// variants of one os/architecture, or a nested index, is refused: the first could not
    /// be checked apart, the second's platforms are not in the document.
    #[test]
    fn variants_of_one_platform_and_nested_indexes_are_refused() {
        let p = Path::new("idx.json");
        let m = |arch: &str, variant: &str| {
            format!(
                r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{:0>64}","platform":{{"os":"linux","architecture":"{arch}"{}}}}}"#,
                arch.len() + variant.len(),
                if variant.is_empty() {
                    String::new()
                } else {
                    format!(r#","variant":"{variant}""#)
                }
            )
        };
        let doc = |entries: &[String]| {
            format!(
                r#"{{"schemaVersion":2,"manifests":[{}]}}"#,
                entries.join(",")
            )
        };
        let e = platforms_of(
            p,
            parse(p, &doc(&[m("amd64", ""), m("arm", "v6"), m("arm", "v7")])).unwrap(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("idx.json: ") && e.contains("linux/arm/v6") && e.contains("linux/arm/v7"),
            "{e}"
        );
        assert!(e.contains("differ only in variant"), "{e}");
        // One variant of each is fine; so is the same variant twice.
        let ok = platforms_of(
            p,
            parse(p, &doc(&[m("arm", "v7"), m("arm64", "v8"), m("arm", "v7")])).unwrap(),
        )
        .unwrap();
        assert_eq!(names(&ok), ["linux/arm", "linux/arm64"]);
        let nested = format!(
            r#"{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:{:0>64}"}}"#,
            "dd"
        );
        let e = platforms_of(p, parse(p, &doc(&[m("amd64", ""), nested])).unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("idx.json: manifests[1] is a nested image index"),
            "{e}"
        );
    }

    #[test]
    fn oversized_file_is_refused_before_parsing() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.json");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(INDEX_MAX + 1).unwrap();
        let e = read(&big).unwrap_err().to_string();
        assert!(e.contains("larger than 4 MiB"), "{e}");
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
    }

    #[test]
    fn digests_are_checked_before_they_name_a_blob() {
        assert!(Digest::parse("sha256:abc123").is_some());
        for bad in [
            "sha256:../../etc",
            "sha256:",
            ":ab",
            "SHA256:ab",
            "sha256:ab/cd",
            "ab",
        ] {
            assert!(Digest::parse(bad).is_none(), "{bad}");
        }
        let d = Digest::parse("sha256:ab").unwrap();
        assert_eq!(d.blob_path(Path::new("l")), Path::new("l/blobs/sha256/ab"));
    }
}
