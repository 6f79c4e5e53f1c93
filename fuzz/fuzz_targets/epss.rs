//! The FIRST EPSS scores, plain CSV or gzip (`gate --epss`, `feeds fetch`'s validation).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vexgate_core::feeds::epss::EpssScores;

fuzz_target!(|data: &[u8]| {
    let _ = EpssScores::parse(Path::new("epss.csv"), data);
});
