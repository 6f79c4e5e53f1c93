//! `vexgate vex add|validate|list|audit`.

use clap::Subcommand;

use crate::error::Result;

#[derive(Debug, Subcommand)]
pub enum VexCommand {
    /// Append a statement for a CVE found in a Trivy report (replaces create_vex.sh).
    Add,
}

pub fn run(cmd: VexCommand) -> Result<i32> {
    let _ = cmd;
    Err(crate::Error::usage("vex: not implemented yet"))
}
