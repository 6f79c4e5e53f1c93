//! The CISA KEV catalog (`gate --kev`, `feeds fetch`'s validation).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vexgate_core::feeds::kev::KevCatalog;

fuzz_target!(|data: &[u8]| {
    let _ = KevCatalog::parse(Path::new("kev.json"), data);
});
