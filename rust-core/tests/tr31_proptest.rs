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

/// An optional block encoded with its true length, so the parser reads it as one.
fn optional_block() -> impl Strategy<Value = String> {
    let id = "(KS|KC|KP|IK|HM|TS|LB|BI|DA|WP|KV|AL|CT|TC|99|0A)";
    (id, "[ -~]{0,24}").prop_map(|(id, data)| format!("{id}{:02X}{data}", data.len() + 4))
}

/// A header as a careless or hostile wrapper might seal it: plausible fixed fields, any optional
/// blocks with correct lengths, usually padded to the version's block size so parsing gets as
/// far as the MAC.
fn sealable_header() -> impl Strategy<Value = String> {
    let fixed = ("[ABCDE]", "(P0|B1|K0|K1|D0|M3|B0)[ATDH][BCDENSVX](00|c1|12)[ENS]");
    (fixed, proptest::collection::vec(optional_block(), 0..4), any::<bool>()).prop_map(
        |((version, middle), blocks, align)| {
            let mut optional: String = blocks.concat();
            let mut count = blocks.len();
            let block_size = if matches!(version.as_str(), "D" | "E") { 16 } else { 8 };
            if align && !optional.len().is_multiple_of(block_size) {
                let mut pad = block_size - optional.len() % block_size;
                if pad < 4 {
                    pad += block_size;
                }
                optional.push_str(&format!("PB{pad:02X}{}", "0".repeat(pad - 4)));
                count += 1;
            }
            format!("{version}0000{middle}{count:02}00{optional}")
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Random blocks never get past the MAC; these do, so the code after it is exercised: any
    /// header and optional blocks unwrap to the sealed key or fail with a typed error.
    #[test]
    fn sealed_blocks_with_any_optional_blocks_unwrap_or_fail_typed(
        header in sealable_header(),
        kbpk_len in prop_oneof![Just(16usize), Just(24), Just(32)],
        key in proptest::collection::vec(any::<u8>(), 1..40),
    ) {
        let kbpk = vec![0x5Au8; kbpk_len];
        if let Some(block) = tr31::seal_unchecked(&kbpk, &header, &key) {
            for profile in [Profile::STRICT, Profile::LENIENT.with_weak_wrapping()] {
                if let Ok(unwrapped) = tr31::unwrap(&kbpk, &block, &profile) {
                    prop_assert_eq!(unwrapped.key.as_bytes(), &key[..]);
                }
            }
        }
    }
}

/// A valid MAC around a `KC` block of text (which the lenient profile lets through) used to
/// reach an `expect` and panic; it is a typed error naming the block.
#[test]
fn a_kc_block_of_text_behind_a_valid_mac_is_a_typed_error() {
    let kbpk = [0x42u8; 32];
    for id in ["KC", "KP"] {
        let header = format!("D0000P0AE00N0200{id}0A00ZZZZPB0600");
        let block = tr31::seal_unchecked(&kbpk, &header, &[7; 16]).unwrap();
        let err = tr31::unwrap(&kbpk, &block, &Profile::LENIENT).unwrap_err();
        assert_eq!(err, tr31::Tr31Error::CheckValueUnreadable { id: id.into() });
        assert!(!err.to_string().contains("ZZZZ"), "{err}");
    }
}
