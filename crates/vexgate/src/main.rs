//! The `vexgate` binary: parse arguments, run, map errors to exit codes. Nothing more.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = vexgate::cli::Cli::parse();
    match vexgate::cli::run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(err) => {
            eprintln!("vexgate: error: {err}");
            ExitCode::from(err.exit_code() as u8)
        }
    }
}
