//! The `vexgate` binary: parse arguments, run, map errors to exit codes. Nothing more.

#![forbid(unsafe_code)]
// The doc comments on the argument types are clap's --help text, written for a terminal
// (`<os>/<arch>`, `[default: …]`), not rustdoc Markdown.
#![allow(rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]

mod cli;
mod settings;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A write past `ulimit -f` must fail with EFBIG (one error line, exit 2, the previous
    // output left in place) instead of killing the process with SIGXFSZ: a caught SIGXFSZ
    // makes the write return EFBIG (POSIX write(2)).
    if let Err(e) = signal_hook::flag::register(
        signal_hook::consts::SIGXFSZ,
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    ) {
        eprintln!("vexgate: error: installing the SIGXFSZ handler: {e}");
        return ExitCode::from(2);
    }
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(err) => {
            // One line, whatever the paths and values in the message hold.
            eprintln!(
                "vexgate: error: {}",
                vexgate_core::escape::term(&err.to_string())
            );
            ExitCode::from(err.exit_code() as u8)
        }
    }
}
