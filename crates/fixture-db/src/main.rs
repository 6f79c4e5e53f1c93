use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Write a Trivy vulnerability DB (DIR/db/trivy.db + DIR/db/metadata.json) from JSON fixtures.
///
/// Each FIXTURE is a JSON array of {"bucket": NAME, "pairs": [...]}; a pair is
/// {"key": K, "value": V} or a nested {"bucket": ..., "pairs": [...]}. String values are stored
/// raw, others as compact JSON. Several files merge; the same key twice is an error.
/// Then run: trivy <cmd> --cache-dir DIR --skip-db-update ...
///
/// Exit status: 0 written, 2 bad input or usage, 1 failure writing DIR.
#[derive(Parser)]
#[command(name = "fixture-db", version)]
struct Cli {
    /// Trivy cache directory to write (the DB goes to DIR/db/).
    #[arg(long, value_name = "DIR")]
    cache_dir: PathBuf,
    /// Fixture files, merged in order.
    #[arg(value_name = "FIXTURE.json", required = true)]
    fixtures: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match fixture_db::write_cache(&cli.cache_dir, &cli.fixtures) {
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
