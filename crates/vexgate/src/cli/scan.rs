//! `vexgate scan`.

use clap::Args;

use super::GateArgs;
use crate::error::Result;

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Image reference, docker-archive tar, or OCI layout directory.
    #[arg(value_name = "IMAGE")]
    pub image: String,
    #[command(flatten)]
    pub gate: GateArgs,
}

pub fn run(args: ScanArgs) -> Result<i32> {
    let _ = args;
    Err(crate::Error::usage("scan: not implemented yet"))
}
