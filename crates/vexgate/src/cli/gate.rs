//! `vexgate gate`.

use std::path::PathBuf;

use clap::Args;

use super::GateArgs;
use crate::error::Result;

#[derive(Debug, Args)]
pub struct GateCommand {
    /// Trivy JSON reports (`trivy ... --format json`), typically one per platform.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
    #[command(flatten)]
    pub args: GateArgs,
}

pub fn run(cmd: GateCommand) -> Result<i32> {
    let _ = cmd;
    Err(crate::Error::usage("gate: not implemented yet"))
}
