//! The TR-34 token parser on arbitrary bytes (DER) and text (hex): it never panics, and whatever it
//! accepts can be summarised (`tr34 inspect`) and yields the exact signed bytes it will verify.
#![no_main]

use keybridge::tr34::Tr34Token;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = Tr34Token::parse(data) {
        let summary = token.summary();
        assert_eq!(summary.signer.header, token.signer.header);
        // What the signature covers is the attributes as received, re-tagged as a SET.
        let signed = token.signer.signed_bytes();
        assert!(signed.ends_with(&token.signer.signed_attributes));
        assert_eq!(signed[0], 0x31);
    }
    let _ = Tr34Token::parse_hex(&String::from_utf8_lossy(data));
});
