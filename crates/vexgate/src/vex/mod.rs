//! OpenVEX (and CSAF) model, Trivy's VEX matching, authoring and validation.

pub mod model;

use crate::decision::{ResultDecision, Warning};
use crate::error::Result;
use crate::report::Report;

/// The VEX documents given to the gate, loaded and indexed, in priority order.
#[derive(Debug, Default)]
pub struct VexSet {}

impl VexSet {
    /// Load each `--vex` argument (a path; `none` handled by the caller). Bad VEX input is an
    /// error naming the file (and the statement index where there is one).
    pub fn load(sources: &[String], warnings: &mut Vec<Warning>) -> Result<Self> {
        let _ = (sources, warnings);
        Ok(Self {})
    }

    pub fn is_empty(&self) -> bool {
        true
    }
}

/// Apply VEX to one report with Trivy's exact semantics (pkg/vex/vex.go Filter), after the
/// policy filters: move suppressed vulnerabilities from `results[i].vulnerabilities` into
/// `results[i].suppressed`. `image_repo` is vexgate's PR-image identity (`--image-repo`).
/// Returns the image PURL vexgate assumed, when it assumed one.
pub fn apply(
    report: &Report<'_>,
    results: &mut [ResultDecision],
    set: &VexSet,
    image_repo: Option<&str>,
    warnings: &mut Vec<Warning>,
) -> Option<String> {
    let _ = (report, results, set, image_repo, warnings);
    None
}
