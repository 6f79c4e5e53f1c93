//! The `vexgate` binary: parse arguments, run, map errors to exit codes. Nothing more.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A write past `ulimit -f` must fail with EFBIG (one error line, exit 2, the previous
    // output left in place) instead of killing the process with SIGXFSZ.
    // SAFETY: setting a signal's disposition to SIG_IGN before any thread exists.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let cli = vexgate::cli::Cli::parse();
    match vexgate::cli::run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(err) => {
            // One line, whatever the paths and values in the message hold.
            eprintln!(
                "vexgate: error: {}",
                vexgate::escape::term(&err.to_string())
            );
            ExitCode::from(err.exit_code() as u8)
        }
    }
}
