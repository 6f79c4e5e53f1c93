//! A package URL: parsing, printing back, and matching against itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vexgate_core::purl::{Purl, purl_matches};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(p) = Purl::parse(text)
    {
        let printed = p.to_purl_string();
        let _ = Purl::parse(&printed);
        let _ = purl_matches(&p, &p);
    }
});
