//! Contract tests of the repository: workflows, pins, scripts, crate metadata and dependency
//! boundaries. One test binary; `common` holds the parsed repository and the shared checks.

mod common;
mod distribution;
mod library_deps;
mod pins;
mod test_hooks;
mod trivy_db;
mod verify_image;
mod workflow_scripts;
mod workflows;
