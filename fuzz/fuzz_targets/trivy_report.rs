//! A Trivy JSON report, through the reader every subcommand uses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vexgate_core::report::parse_report(Path::new("fuzz.json"), text);
    }
});
