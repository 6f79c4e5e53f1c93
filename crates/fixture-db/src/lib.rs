//! `fixture-db`: write a Trivy vulnerability DB (`db/trivy.db` + `db/metadata.json`) from JSON
//! fixtures, deterministically, with no Go and no network.
//!
//! Trivy (trivy-db `pkg/db`, schema version 2) reads the bbolt file written by [`bolt`] from the
//! tree merged by [`fixture`]. The fixture format is described in `fixture` and in
//! `testdata/db/README.md`. Advisories can be planted relative to what an image really has
//! installed ([`dpkg`]), so that fixtures survive the Debian archive's next release.

#![forbid(unsafe_code)]

pub mod bolt;
pub mod dpkg;
pub mod fixture;

use std::path::{Path, PathBuf};

/// trivy-db `pkg/metadata` with `Version` = `pkg/db/db.go SchemaVersion` (2). The dates are fixed
/// so the output is byte-identical run to run; `NextUpdate` is the last instant Go's time.Parse
/// accepts (9999-12-31T23:59:59Z), so that it never falls behind the clock and even a
/// Trivy run without `--skip-db-update` does not try to download a DB.
pub const METADATA_JSON: &str = "{\"Version\":2,\"NextUpdate\":\"9999-12-31T23:59:59Z\",\"UpdatedAt\":\"2026-01-01T00:00:00Z\",\"DownloadedAt\":\"2026-01-01T00:00:00Z\"}\n";

/// Why a build failed. `Input` is bad input (exit 2); `Output` is a failure writing the result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Input(#[from] fixture::FixtureError),
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{files}: {source}")]
    Tree {
        files: String,
        source: bolt::BoltError,
    },
}

impl Error {
    /// Process exit code: 2 for bad input, 1 for failures writing the output.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Write { .. } => 1,
            _ => 2,
        }
    }
}

/// What was written.
#[derive(Debug)]
pub struct Written {
    pub db_path: PathBuf,
    pub metadata_path: PathBuf,
    pub bytes: usize,
}

/// Read and parse a dpkg status file (an image's `/var/lib/dpkg/status`).
pub fn read_dpkg_status(path: &Path) -> Result<dpkg::Installed, Error> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: name.clone(),
        source,
    })?;
    dpkg::Installed::parse(&text).map_err(|message| {
        Error::Input(fixture::FixtureError {
            file: name,
            message,
        })
    })
}

/// Merge `fixtures` and return the bytes of `trivy.db`. `{"$after_installed": PACKAGE}`
/// placeholders resolve against `installed`.
pub fn build_db(
    fixtures: &[PathBuf],
    installed: Option<dpkg::Installed>,
) -> Result<Vec<u8>, Error> {
    let mut tree = match installed {
        Some(i) => fixture::Tree::with_installed(i),
        None => fixture::Tree::new(),
    };
    for f in fixtures {
        let name = f.display().to_string();
        let text = std::fs::read_to_string(f).map_err(|source| Error::Read {
            path: name.clone(),
            source,
        })?;
        tree.add_file(&name, &text)?;
    }
    let files = fixtures
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    bolt::write_db(&tree.to_bucket()).map_err(|source| Error::Tree { files, source })
}

/// Build the DB from `fixtures` and write `cache_dir/db/trivy.db` and `cache_dir/db/metadata.json`.
/// Nothing is written when any fixture is bad.
pub fn write_cache(
    cache_dir: &Path,
    fixtures: &[PathBuf],
    installed: Option<dpkg::Installed>,
) -> Result<Written, Error> {
    let db = build_db(fixtures, installed)?;
    let dir = cache_dir.join("db");
    let werr = |p: &Path| {
        let path = p.display().to_string();
        move |source| Error::Write { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(werr(&dir))?;
    let db_path = dir.join("trivy.db");
    let metadata_path = dir.join("metadata.json");
    std::fs::write(&db_path, &db).map_err(werr(&db_path))?;
    std::fs::write(&metadata_path, METADATA_JSON).map_err(werr(&metadata_path))?;
    Ok(Written {
        db_path,
        metadata_path,
        bytes: db.len(),
    })
}
