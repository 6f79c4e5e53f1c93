#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Write a Trivy vulnerability DB (DIR/db/trivy.db + DIR/db/metadata.json) from JSON fixtures.
///
/// Each FIXTURE is a JSON array of {"bucket": NAME, "pairs": [...]}; a pair is
/// {"key": K, "value": V} or a nested {"bucket": ..., "pairs": [...]}. String values are stored
/// raw, others as compact JSON. Several files merge; the same key twice is an error.
/// A value may hold {"$after_installed": "PACKAGE"}: a version that sorts after PACKAGE's
/// installed source version in the image whose dpkg status --dpkg-status names.
/// Then run: trivy <cmd> --cache-dir DIR --skip-db-update ...
///
/// Exit status: 0 written, 2 bad input or usage, 1 failure writing DIR.
#[derive(Parser)]
#[command(name = "fixture-db", version)]
struct Cli {
    /// Trivy cache directory to write (the DB goes to DIR/db/).
    #[arg(long, value_name = "DIR")]
    cache_dir: PathBuf,
    /// The scanned image's dpkg status file (its /var/lib/dpkg/status), for
    /// {"$after_installed": PACKAGE} placeholders.
    #[arg(long, value_name = "FILE")]
    dpkg_status: Option<PathBuf>,
    /// Fixture files, merged in order.
    #[arg(value_name = "FIXTURE.json", required = true)]
    fixtures: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let installed = match cli.dpkg_status.as_deref().map(fixture_db::read_dpkg_status) {
        None => None,
        Some(Ok(i)) => Some(i),
        Some(Err(e)) => {
            eprintln!("fixture-db: {e}");
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    match fixture_db::write_cache(&cli.cache_dir, &cli.fixtures, installed) {
        Ok(w) => {
            eprintln!(
                "fixture-db: wrote {} ({} bytes) and {}",
                w.db_path.display(),
                w.bytes,
                w.metadata_path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fixture-db: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
