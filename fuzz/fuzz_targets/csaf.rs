//! A CSAF VEX advisory, through the same `--vex` loader (format detection, then CSAF
//! compilation). The seeds are CSAF documents, so the fuzzer explores that branch.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vexgate_core::vex::load_text("fuzz.csaf.json", text);
    }
});
