//! An image index or manifest (`--expect-platforms-from`, an OCI layout's index.json, a
//! registry's raw index): parsing, and the platform list the check expects.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vexgate_core::index;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(raw) = index::parse(Path::new("index.json"), text)
    {
        let _ = index::platforms_of(Path::new("index.json"), raw);
    }
});
