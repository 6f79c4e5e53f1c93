//! An OpenVEX document: as `gate`/`scan` load a `--vex` file, and as `vex validate` checks it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vexgate_core::vex::load_text("fuzz.openvex.json", text);
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
            let _ =
                vexgate_core::vex::validate::validate_value(&value, jiff::Timestamp::UNIX_EPOCH);
        }
    }
});
