//! AES-128 and AES-256 on the x86-64 AES instructions, for the key sizes TR-31 KBPKs use most.
//!
//! Why not the `aes` crate on this path: in `aes` 0.8 the AES-NI key expansion for 256-bit keys is
//! compiled without the `aes` target feature, so every AESKEYGENASSIST becomes an out-of-line call
//! and building one AES-256 key costs about 120 ns (measured here; an AES-128 key about 20 ns).
//! `aes` 0.9 expands keys quickly but, on CPUs with VAES and AVX-512, broadcasts all round keys
//! into 512-bit registers on every call, about 65 ns for one block. A version D unwrap builds
//! three keys and runs about thirteen dependent single-block operations, so either cost dominates
//! it. The instructions themselves take a few lines; AES-192, other architectures and CPUs without
//! AES-NI stay with the `aes` crate.
//!
//! Checked against the FIPS-197 examples and, for random keys and blocks, against the `aes` crate.

use std::arch::x86_64::{
    __m128i, _mm_aesdec_si128, _mm_aesdeclast_si128, _mm_aesenc_si128, _mm_aesenclast_si128, _mm_aesimc_si128,
    _mm_aeskeygenassist_si128, _mm_loadu_si128, _mm_setzero_si128, _mm_shuffle_epi32, _mm_slli_si128, _mm_storeu_si128,
    _mm_xor_si128,
};

use std::mem::MaybeUninit;

use zeroize::{Zeroize, Zeroizing};

/// Proof that this CPU has AES-NI: the only way to get one is [`Present::detect`].
#[derive(Clone, Copy)]
pub(crate) struct Present(());

impl Present {
    #[inline(always)]
    pub(crate) fn detect() -> Option<Self> {
        std::arch::is_x86_feature_detected!("aes").then_some(Self(()))
    }
}

/// The encryption round keys. Building one takes a [`Present`], so the block functions may use
/// the AES instructions.
///
/// The decryption schedule is not kept: in TR-31 only the KBEK ever decrypts, once per block, so
/// [`AesNi::cbc_decrypt`] derives it per call. That halves what every key costs to build and move.
pub(crate) struct AesNi {
    /// Round keys `0..=rounds` are set; the rest are never read.
    keys: [MaybeUninit<__m128i>; 15],
    /// 10 for AES-128, 14 for AES-256, 0 until [`Self::set_key`].
    rounds: usize,
}

impl AesNi {
    /// Whether this module does keys of `key_len` bytes (AES-128 and AES-256).
    #[inline(always)]
    pub(crate) fn takes(key_len: usize) -> bool {
        matches!(key_len, 16 | 32)
    }

    /// A schedule with no key yet, to be keyed in place by [`Self::set_key`]; until then it has
    /// no round keys (`rounds` 0), and using it panics on a bounds check.
    ///
    /// Built unset and keyed where it lies because a schedule is 240 bytes and returning a keyed
    /// one by value, or in an `Option`, cost copies of it per key (LLVM does not build a callee's
    /// result in the caller's enum), as did a zeroed one: 4 % of a version D unwrap, which
    /// keys three. Moving an uninitialised array copies nothing.
    #[inline(always)]
    pub(crate) fn empty(_: Present) -> Self {
        Self {
            keys: [MaybeUninit::uninit(); 15],
            rounds: 0,
        }
    }

    /// Expands `key` (16 or 32 bytes, see [`Self::takes`]) into this schedule.
    #[inline(always)]
    pub(crate) fn set_key(&mut self, key: &[u8]) {
        if let Ok(key) = key.try_into() {
            // SAFETY: an `AesNi` is only built with a `Present`: the AES instructions are there.
            unsafe { self.expand_128(key) }
        } else if let Ok(key) = key.try_into() {
            // SAFETY: as above.
            unsafe { self.expand_256(key) }
        } else {
            panic!("AES-NI keys are 16 or 32 bytes, not {}", key.len());
        }
    }

    /// The round keys `0..=rounds`: empty until a key is set.
    #[inline(always)]
    fn round_keys(&self) -> &[__m128i] {
        let set = if self.rounds == 0 { 0 } else { self.rounds + 1 };
        // SAFETY: `expand_128`/`expand_256` wrote keys `0..=rounds` before setting `rounds`, and
        // `MaybeUninit<T>` has `T`'s layout.
        unsafe { std::slice::from_raw_parts(self.keys.as_ptr().cast::<__m128i>(), set) }
    }

    /// Stores a freshly expanded schedule; `rounds` last, so that only written keys are read.
    #[inline(always)]
    fn store_schedule(&mut self, keys: &[__m128i]) {
        for (slot, key) in self.keys.iter_mut().zip(keys) {
            slot.write(*key);
        }
        self.rounds = keys.len() - 1;
    }

    /// Encrypts one 16-byte block in place.
    #[inline(always)]
    pub(crate) fn encrypt_block(&self, block: &mut [u8; 16]) {
        // SAFETY: `self` was built with a `Present`.
        unsafe { self.encrypt_raw(block) }
    }

    /// Encrypts independent blocks in place, four at a time through each round so the CPU
    /// overlaps them: one AES round has several cycles of latency but issues every cycle, so four
    /// blocks cost little more than one.
    #[inline(always)]
    pub(crate) fn encrypt_blocks(&self, blocks: &mut [[u8; 16]]) {
        // SAFETY: `self` was built with a `Present`.
        unsafe { self.encrypt_blocks_raw(blocks) }
    }

    /// CBC decryption in place; `data` must be a whole number of 16-byte blocks.
    #[inline(always)]
    pub(crate) fn cbc_decrypt(&self, iv: &[u8; 16], data: &mut [u8]) {
        // SAFETY: `self` was built with a `Present`.
        unsafe { self.cbc_decrypt_raw(iv, data) }
    }

    #[target_feature(enable = "aes")]
    fn expand_128(&mut self, key: &[u8; 16]) {
        let mut k = [_mm_setzero_si128(); 11];
        k[0] = load(key);
        k[1] = next_words::<0x01, 0xFF>(k[0], k[0]);
        k[2] = next_words::<0x02, 0xFF>(k[1], k[1]);
        k[3] = next_words::<0x04, 0xFF>(k[2], k[2]);
        k[4] = next_words::<0x08, 0xFF>(k[3], k[3]);
        k[5] = next_words::<0x10, 0xFF>(k[4], k[4]);
        k[6] = next_words::<0x20, 0xFF>(k[5], k[5]);
        k[7] = next_words::<0x40, 0xFF>(k[6], k[6]);
        k[8] = next_words::<0x80, 0xFF>(k[7], k[7]);
        k[9] = next_words::<0x1B, 0xFF>(k[8], k[8]);
        k[10] = next_words::<0x36, 0xFF>(k[9], k[9]);
        self.store_schedule(&k);
    }

    /// AES-256 alternates two steps: words 8i..8i+3 take RotWord/SubWord/Rcon of the last word,
    /// words 8i+4..8i+7 take SubWord alone (FIPS-197 5.2, the `Nk > 6` case).
    #[target_feature(enable = "aes")]
    fn expand_256(&mut self, key: &[u8; 32]) {
        let mut k = [_mm_setzero_si128(); 15];
        k[0] = load(&key[..16]);
        k[1] = load(&key[16..]);
        k[2] = next_words::<0x01, 0xFF>(k[0], k[1]);
        k[3] = next_words::<0x00, 0xAA>(k[1], k[2]);
        k[4] = next_words::<0x02, 0xFF>(k[2], k[3]);
        k[5] = next_words::<0x00, 0xAA>(k[3], k[4]);
        k[6] = next_words::<0x04, 0xFF>(k[4], k[5]);
        k[7] = next_words::<0x00, 0xAA>(k[5], k[6]);
        k[8] = next_words::<0x08, 0xFF>(k[6], k[7]);
        k[9] = next_words::<0x00, 0xAA>(k[7], k[8]);
        k[10] = next_words::<0x10, 0xFF>(k[8], k[9]);
        k[11] = next_words::<0x00, 0xAA>(k[9], k[10]);
        k[12] = next_words::<0x20, 0xFF>(k[10], k[11]);
        k[13] = next_words::<0x00, 0xAA>(k[11], k[12]);
        k[14] = next_words::<0x40, 0xFF>(k[12], k[13]);
        self.store_schedule(&k);
    }

    #[target_feature(enable = "aes")]
    fn encrypt_raw(&self, block: &mut [u8; 16]) {
        let keys = self.round_keys();
        let mut state = _mm_xor_si128(load(block), keys[0]);
        for key in &keys[1..self.rounds] {
            state = _mm_aesenc_si128(state, *key);
        }
        store(block, _mm_aesenclast_si128(state, keys[self.rounds]));
    }

    #[target_feature(enable = "aes")]
    fn encrypt_blocks_raw(&self, blocks: &mut [[u8; 16]]) {
        let keys = self.round_keys();
        let (groups, rest) = blocks.as_chunks_mut::<4>();
        for group in groups {
            let mut state = [0, 1, 2, 3].map(|i| _mm_xor_si128(load(&group[i]), keys[0]));
            for key in &keys[1..self.rounds] {
                state = state.map(|s| _mm_aesenc_si128(s, *key));
            }
            for (block, s) in group.iter_mut().zip(state) {
                store(block, _mm_aesenclast_si128(s, keys[self.rounds]));
            }
        }
        for block in rest {
            self.encrypt_raw(block);
        }
    }

    /// The equivalent inverse cipher (FIPS-197 5.3.5): the round keys in reverse, InvMixColumns
    /// applied to all but the first and last. The blocks do not depend on each other, so the CPU
    /// overlaps them.
    #[target_feature(enable = "aes")]
    fn cbc_decrypt_raw(&self, iv: &[u8; 16], data: &mut [u8]) {
        let keys = self.round_keys();
        let rounds = self.rounds;
        let mut inverse = Zeroizing::new([_mm_setzero_si128(); 15]);
        inverse[0] = keys[rounds];
        for round in 1..rounds {
            inverse[round] = _mm_aesimc_si128(keys[rounds - round]);
        }
        inverse[rounds] = keys[0];
        let mut chain = load(iv);
        for block in data.as_chunks_mut::<16>().0 {
            let cipher = load(block);
            let mut state = _mm_xor_si128(cipher, inverse[0]);
            for key in &inverse[1..rounds] {
                state = _mm_aesdec_si128(state, *key);
            }
            state = _mm_aesdeclast_si128(state, inverse[rounds]);
            store(block, _mm_xor_si128(state, chain));
            chain = cipher;
        }
    }
}

impl Drop for AesNi {
    fn drop(&mut self) {
        self.keys.as_mut_slice().zeroize();
    }
}

/// Four round-key words from the four `nk` words back (`base`) and the latest four (`last`):
/// each word of `base` xored with every word before it, then with one word of AESKEYGENASSIST
/// on `last`, spread to all four lanes. `PICK` 0xFF takes RotWord(SubWord(w3)) ⊕ `RCON`, 0xAA
/// takes SubWord(w3) alone.
#[inline]
#[target_feature(enable = "aes")]
fn next_words<const RCON: i32, const PICK: i32>(base: __m128i, last: __m128i) -> __m128i {
    let chained = _mm_xor_si128(base, _mm_slli_si128::<4>(base));
    let chained = _mm_xor_si128(chained, _mm_slli_si128::<8>(chained));
    _mm_xor_si128(
        chained,
        _mm_shuffle_epi32::<PICK>(_mm_aeskeygenassist_si128::<RCON>(last)),
    )
}

/// Loads 16 bytes; `bytes` must be at least that long (callers pass exact slices).
#[inline(always)]
fn load(bytes: &[u8]) -> __m128i {
    assert!(bytes.len() >= 16);
    // SAFETY: 16 readable bytes, checked above; unaligned loads are allowed.
    unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
}

#[inline(always)]
fn store(block: &mut [u8; 16], value: __m128i) {
    // SAFETY: `block` is 16 writable bytes; unaligned stores are allowed.
    unsafe { _mm_storeu_si128(block.as_mut_ptr().cast(), value) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit, generic_array::GenericArray};

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn block(bytes: &[u8]) -> [u8; 16] {
        bytes.try_into().unwrap()
    }

    // FIPS-197 Appendix C.1 and C.3.
    #[test]
    fn fips_197_examples() {
        let plain = block(&h("00112233445566778899aabbccddeeff"));
        for (key, cipher) in [
            ("000102030405060708090a0b0c0d0e0f", "69c4e0d86a7b0430d8cdb78070b4c55a"),
            (
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "8ea2b7ca516745bfeafc49904b496089",
            ),
        ] {
            let Some(aes) = keyed(&h(key)) else {
                eprintln!("no AES-NI on this CPU; nothing to check");
                return;
            };
            let mut data = plain;
            aes.encrypt_block(&mut data);
            assert_eq!(data.to_vec(), h(cipher));
            aes.cbc_decrypt(&[0; 16], &mut data);
            assert_eq!(data, plain);
        }
    }

    fn keyed(key: &[u8]) -> Option<AesNi> {
        let mut aes = AesNi::empty(Present::detect()?);
        aes.set_key(key);
        Some(aes)
    }

    /// Encrypts the first block of `data` with both implementations, and CBC-decrypts all of it;
    /// both must agree.
    fn same_as<C: BlockEncrypt + BlockDecrypt>(ours: &AesNi, theirs: &C, data: &[u8], iv: [u8; 16]) {
        let mut a: [u8; 16] = data[..16].try_into().unwrap();
        let mut b = GenericArray::clone_from_slice(&a);
        ours.encrypt_block(&mut a);
        theirs.encrypt_block(&mut b);
        assert_eq!(a[..], b[..]);

        // Batches of every size up to two groups of four and a remainder.
        let blocks: Vec<[u8; 16]> = data
            .chunks_exact(16)
            .cycle()
            .take(9)
            .map(|b| b.try_into().unwrap())
            .collect();
        for n in 0..=blocks.len() {
            let mut batch = blocks[..n].to_vec();
            ours.encrypt_blocks(&mut batch);
            for (out, input) in batch.iter().zip(&blocks) {
                let mut expected = GenericArray::clone_from_slice(input);
                theirs.encrypt_block(&mut expected);
                assert_eq!(out[..], expected[..]);
            }
        }

        let mut ours_clear = data.to_vec();
        ours.cbc_decrypt(&iv, &mut ours_clear);
        let mut chain = iv;
        for (block, clear) in data.chunks_exact(16).zip(ours_clear.chunks_exact(16)) {
            let mut expected = GenericArray::clone_from_slice(block);
            theirs.decrypt_block(&mut expected);
            expected.iter_mut().zip(chain).for_each(|(e, c)| *e ^= c);
            assert_eq!(clear, &expected[..]);
            chain = block.try_into().unwrap();
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_aes_crate(
            key in proptest::prelude::any::<[u8; 32]>(),
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 48),
            iv in proptest::prelude::any::<[u8; 16]>(),
        ) {
            let (Some(ours_256), Some(ours_128)) = (keyed(&key), keyed(&key[..16])) else {
                return Ok(());
            };
            same_as(&ours_256, &aes::Aes256::new(GenericArray::from_slice(&key)), &data, iv);
            same_as(&ours_128, &aes::Aes128::new(GenericArray::from_slice(&key[..16])), &data, iv);
        }
    }
}
