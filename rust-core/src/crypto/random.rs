//! Random bytes for key padding: a ChaCha12 generator per thread, seeded from the operating system
//! and reseeded after every 64 KiB it hands out.
//!
//! Why not the OS call each time: a wrap needs 14–30 bytes of padding, and the system call for them
//! was a fifth of a version D wrap. A seeded stream cipher is the standard user-space CSPRNG (it
//! is what `rand`'s `ThreadRng` is); the generator is written out here rather than taken from
//! `ThreadRng` because that one panics when the OS cannot seed it, where a wrap must return an
//! error.

use std::cell::RefCell;

use rand_chacha::ChaCha12Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use zeroize::Zeroizing;

/// Bytes a generator hands out before it is seeded afresh from the OS.
const RESEED_AFTER: usize = 64 * 1024;

thread_local! {
    /// The thread's generator and how many bytes it has produced.
    static GENERATOR: RefCell<Option<(ChaCha12Rng, usize)>> = const { RefCell::new(None) };
}

/// Fills `buf` with random bytes; fails only when the OS cannot provide a seed.
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), getrandom::Error> {
    GENERATOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|(_, used)| *used >= RESEED_AFTER) {
            let mut seed = Zeroizing::new([0u8; 32]);
            getrandom::fill(&mut *seed)?;
            *slot = Some((ChaCha12Rng::from_seed(*seed), 0));
        }
        if let Some((generator, used)) = slot.as_mut() {
            generator.fill_bytes(buf);
            *used += buf.len();
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_differ_and_reseeding_keeps_going() {
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        fill(&mut a).unwrap();
        fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0; 32]);
        let mut big = vec![0u8; RESEED_AFTER + 100];
        fill(&mut big).unwrap();
        fill(&mut a).unwrap();
        assert!(GENERATOR.with(|g| g.borrow().as_ref().is_some_and(|(_, used)| *used == 32)));
    }
}
