//! Unwrap arbitrary input under a KBPK taken from the input: any outcome but a panic is fine.
#![no_main]

use keybridge::tr31::{self, Profile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kbpk_len, rest)) = data.split_first() else { return };
    let kbpk_len = usize::from(kbpk_len % 33).min(rest.len());
    let (kbpk, text) = rest.split_at(kbpk_len);
    let Ok(text) = std::str::from_utf8(text) else { return };
    let _ = tr31::unwrap(kbpk, text, &Profile::STRICT);
    let _ = tr31::unwrap(kbpk, text, &Profile::LENIENT.with_weak_wrapping());
});
