//! `vex import`: a CycloneDX or a CSAF VEX document mapped to OpenVEX statements.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vexgate_core::vex::import::{self, Format};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for format in [Format::CycloneDx, Format::Csaf] {
            let _ = import::parse(Path::new("vex.json"), text, format);
        }
    }
});
