//! `vexgate generate`: shell completions and man pages, written to standard output. Hidden
//! from `--help`: release packaging (scripts/package-release.sh) calls it, so the archives
//! carry completions and man pages that always match the binary they ship with.

use std::io::Write;

use clap::{Args, CommandFactory, Subcommand};
use clap_complete::Shell;

use vexgate_core::error::{Error, Result};

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// Completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Man page (roff) of vexgate, or of one subcommand (`gate`, `scan`, `vex`, `vex add`…).
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Subcommand path, e.g. `gate` or `vex add`; none: the top-level page.
    pub subcommand: Vec<String>,
}

pub fn run(cmd: GenerateCommand) -> Result<i32> {
    let mut out = Vec::new();
    match cmd {
        GenerateCommand::Completions(a) => {
            let mut cli = super::Cli::command();
            clap_complete::generate(a.shell, &mut cli, "vexgate", &mut out);
        }
        GenerateCommand::Man(a) => {
            let mut cli = super::Cli::command();
            cli.build();
            let mut page = cli;
            let mut name = String::from("vexgate");
            for sub in &a.subcommand {
                let next = page
                    .find_subcommand(sub)
                    .filter(|c| !c.is_hide_set())
                    .cloned()
                    .ok_or_else(|| {
                        Error::usage(format!(
                            "generate man: `{name}` has no subcommand `{}`",
                            vexgate_core::escape::term(sub)
                        ))
                    })?;
                name = format!("{name}-{sub}");
                page = next;
            }
            clap_mangen::Man::new(page)
                .title(name)
                .render(&mut out)
                .map_err(|e| Error::usage(format!("generate man: {e}")))?;
        }
    }
    std::io::stdout()
        .lock()
        .write_all(&out)
        .map_err(|e| Error::usage(format!("generate: writing standard output: {e}")))?;
    Ok(0)
}
