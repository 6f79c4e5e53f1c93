//! A plain `.trivyignore`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let mut warnings = Vec::new();
        let _ = vexgate_core::policy::ignorefile::parse_ignore_plain(
            Path::new(".trivyignore"),
            text,
            &mut warnings,
        );
    }
});
