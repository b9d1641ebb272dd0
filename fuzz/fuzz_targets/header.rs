//! Header and optional-block parsing of arbitrary text: any outcome but a panic is fine.
#![no_main]

use keybridge::tr31::{Header, KeyBlock, Profile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = Header::from_template(text);
    if let Ok(block) = KeyBlock::parse(text, &Profile::LENIENT.with_weak_wrapping()) {
        // A header that parses must survive encoding and parsing again unchanged.
        let header = block.header();
        assert_eq!(Header::from_template(&header.encode(block.len())).as_ref(), Ok(header));
    }
});
