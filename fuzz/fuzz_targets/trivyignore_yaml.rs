//! A `.trivyignore.yaml`: YAML, doublestar path patterns and PURLs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vexgate_core::policy::ignorefile::parse_ignore_yaml(
            Path::new(".trivyignore.yaml"),
            text,
        );
    }
});
