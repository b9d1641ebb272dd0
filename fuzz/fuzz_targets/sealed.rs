//! Seal the key behind an arbitrary header and optional blocks with a known KBPK, then unwrap it:
//! the MAC verifies, so everything after the MAC check runs on hostile headers (random input
//! never gets that far). An unwrap either fails with a typed error or returns the sealed key.
#![no_main]

use keybridge::tr31::{self, Profile};
use libfuzzer_sys::fuzz_target;

const KBPK_LENGTHS: [usize; 3] = [16, 24, 32];

fuzz_target!(|data: &[u8]| {
    let [pick, key_len, rest @ ..] = data else { return };
    let key_len = usize::from(*key_len % 48).min(rest.len());
    let (key, header) = rest.split_at(key_len);
    let Ok(header) = std::str::from_utf8(header) else { return };
    let kbpk = vec![0x5A; KBPK_LENGTHS[usize::from(*pick) % KBPK_LENGTHS.len()]];
    let Some(block) = tr31::seal_unchecked(&kbpk, header, key) else { return };
    for profile in [Profile::STRICT, Profile::LENIENT.with_weak_wrapping()] {
        if let Ok(unwrapped) = tr31::unwrap(&kbpk, &block, &profile) {
            assert_eq!(unwrapped.key.as_bytes(), key, "unwrap returned another key than was sealed");
        }
    }
});
