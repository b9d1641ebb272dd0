//! Parsing and unwrapping arbitrary input never panics: it returns a key or a typed error.

use keybridge::tr31::{self, KeyBlock, Profile};
use proptest::prelude::*;

/// Strings that look like key blocks: a plausible header followed by block-ish characters, so
/// that the generator reaches past the first field checks.
fn blockish() -> impl Strategy<Value = String> {
    let header = "[ABCDEZ][0-9]{4}(P0|B1|K0|D0|M3|Q9)[ATDHRZ][BCDENSVXZ](00|c1|12)[ENS]0[0-3][0-2]0";
    let optional = "((KS|KC|KP|PB|IK|HM|TS|LB|99)[0-9A-F]{2}[ -~]{0,24}){0,3}";
    (header, optional, "[0-9A-Fa-f]{0,200}", any::<bool>()).prop_map(|(h, o, p, fix_length)| {
        let mut text = format!("{h}{o}{p}");
        // Usually write the true length, so generation gets past the length check.
        if fix_length && text.len() <= 9999 {
            text.replace_range(1..5, &format!("{:04}", text.len()));
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsing_arbitrary_text_never_panics(text in any::<String>()) {
        let _ = KeyBlock::parse(&text, &Profile::STRICT);
        let _ = KeyBlock::parse(&text, &Profile::LENIENT.with_weak_wrapping());
    }

    #[test]
    fn unwrapping_blockish_text_never_panics(text in blockish(), kbpk in proptest::collection::vec(any::<u8>(), 0..40)) {
        let _ = tr31::unwrap(&kbpk, &text, &Profile::STRICT);
        let _ = tr31::unwrap(&kbpk, &text, &Profile::LENIENT.with_weak_wrapping());
    }

    #[test]
    fn header_templates_never_panic(text in blockish()) {
        let _ = tr31::Header::from_template(&text);
    }
}
