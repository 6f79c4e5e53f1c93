//! A `vexgate.toml` settings file: parsed into the partial configuration and validated.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vexgate_core::config::PartialConfig::from_toml(Path::new("vexgate.toml"), text);
    }
});
