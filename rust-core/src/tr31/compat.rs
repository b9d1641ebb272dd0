//! The X9.143 compatibility table: for each key usage, the key algorithms and modes of use that
//! may appear with it. One row per usage, as in the standard; `check` is the only logic.

use super::fields::{Algorithm, KeyUsage, ModeOfUse};

use Algorithm::{Aes as A, Des as D, Dsa as S, Ec as E, Hmac as H, Rsa as R, Tdes as T};
use ModeOfUse::{
    Both as MB, CreateVariants as MY, DecryptOnly as MD, DeriveKeys as MX, EncryptOnly as ME, GenerateAndVerify as MC,
    GenerateOnly as MG, NoRestrictions as MN, SignAndDecrypt as MT, SignOnly as MS, VerifyOnly as MV,
};

/// One row of the table.
pub struct Rule {
    pub usage: KeyUsage,
    pub algorithms: &'static [Algorithm],
    pub modes: &'static [ModeOfUse],
}

const fn row(usage: KeyUsage, algorithms: &'static [Algorithm], modes: &'static [ModeOfUse]) -> Rule {
    Rule {
        usage,
        algorithms,
        modes,
    }
}

const ENCRYPT: &[ModeOfUse] = &[MB, MD, ME, MN];
const MAC: &[ModeOfUse] = &[MC, MG, MV, MN];
const DERIVE: &[ModeOfUse] = &[MX, MN];
const SIGN: &[ModeOfUse] = &[MS, MV, MN];
const SYMMETRIC: &[Algorithm] = &[A, T];
const ASYMMETRIC: &[Algorithm] = &[R, E, S];

/// Key usage × algorithm × mode of use, X9.143 (symmetric rows also admit single DES where the
/// standard lists DEA for legacy use).
pub const TABLE: &[Rule] = &[
    row(KeyUsage::B0, SYMMETRIC, DERIVE),
    row(KeyUsage::B1, SYMMETRIC, DERIVE),
    row(KeyUsage::B2, &[T], &[MY, MN]),
    row(KeyUsage::B3, &[A, T, H], DERIVE),
    row(KeyUsage::C0, SYMMETRIC, MAC),
    row(KeyUsage::D0, &[A, D, T], ENCRYPT),
    row(KeyUsage::D1, &[R, E], &[MB, MD, ME, MN]),
    row(KeyUsage::D2, SYMMETRIC, ENCRYPT),
    row(KeyUsage::D3, SYMMETRIC, ENCRYPT),
    row(KeyUsage::E0, SYMMETRIC, DERIVE),
    row(KeyUsage::E1, SYMMETRIC, DERIVE),
    row(KeyUsage::E2, SYMMETRIC, DERIVE),
    row(KeyUsage::E3, SYMMETRIC, DERIVE),
    row(KeyUsage::E4, SYMMETRIC, DERIVE),
    row(KeyUsage::E5, SYMMETRIC, DERIVE),
    row(KeyUsage::E6, SYMMETRIC, DERIVE),
    row(KeyUsage::E7, &[R, E], &[MS, MT, MN]),
    row(KeyUsage::I0, &[A, D, T], &[MN]),
    row(KeyUsage::K0, &[A, D, T], ENCRYPT),
    row(KeyUsage::K1, SYMMETRIC, ENCRYPT),
    row(KeyUsage::K2, &[R], ENCRYPT),
    row(KeyUsage::K3, &[R, E], &[MB, MD, ME, MN, MX]),
    row(KeyUsage::K4, SYMMETRIC, ENCRYPT),
    row(KeyUsage::M0, &[D, T], MAC),
    row(KeyUsage::M1, &[D, T], MAC),
    row(KeyUsage::M2, &[D, T], MAC),
    row(KeyUsage::M3, &[D, T], MAC),
    row(KeyUsage::M4, &[D, T], MAC),
    row(KeyUsage::M5, SYMMETRIC, MAC),
    row(KeyUsage::M6, SYMMETRIC, MAC),
    row(KeyUsage::M7, &[H], MAC),
    row(KeyUsage::M8, SYMMETRIC, MAC),
    row(KeyUsage::P0, &[A, D, T], ENCRYPT),
    row(KeyUsage::P1, SYMMETRIC, MAC),
    row(KeyUsage::S0, ASYMMETRIC, SIGN),
    row(KeyUsage::S1, ASYMMETRIC, SIGN),
    row(KeyUsage::S2, ASYMMETRIC, SIGN),
    row(KeyUsage::V0, SYMMETRIC, MAC),
    row(KeyUsage::V1, &[D, T], MAC),
    row(KeyUsage::V2, &[D, T], MAC),
    row(KeyUsage::V3, SYMMETRIC, MAC),
    row(KeyUsage::V4, SYMMETRIC, MAC),
    row(KeyUsage::V5, SYMMETRIC, MAC),
];

/// The row for a usage. Every usage has exactly one (checked by a test).
pub fn rule(usage: KeyUsage) -> &'static Rule {
    &TABLE[ROW_OF_USAGE[usage as usize]]
}

/// The index of each usage's row in [`TABLE`], by the usage's discriminant, computed when
/// compiling: every unwrap looks its usage up, and a search goes row by row through the table.
const ROW_OF_USAGE: [usize; KeyUsage::ALL.len()] = {
    let mut rows = [usize::MAX; KeyUsage::ALL.len()];
    let mut row = 0;
    while row < TABLE.len() {
        rows[TABLE[row].usage as usize] = row;
        row += 1;
    }
    rows
};

/// Which part of the combination the table refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incompatible {
    Algorithm,
    ModeOfUse,
}

/// Checks one combination against the table.
pub fn check(usage: KeyUsage, algorithm: Algorithm, mode: ModeOfUse) -> Result<(), Incompatible> {
    let rule = rule(usage);
    if !rule.algorithms.contains(&algorithm) {
        return Err(Incompatible::Algorithm);
    }
    if !rule.modes.contains(&mode) {
        return Err(Incompatible::ModeOfUse);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_usage_has_exactly_one_row() {
        for usage in KeyUsage::ALL {
            assert_eq!(TABLE.iter().filter(|r| r.usage == *usage).count(), 1, "{usage}");
            assert_eq!(rule(*usage).usage, *usage);
        }
    }

    #[test]
    fn examples_from_the_flow() {
        assert_eq!(check(KeyUsage::P0, Algorithm::Aes, ModeOfUse::EncryptOnly), Ok(()));
        assert_eq!(check(KeyUsage::B1, Algorithm::Tdes, ModeOfUse::DeriveKeys), Ok(()));
        assert_eq!(
            check(KeyUsage::M3, Algorithm::Aes, ModeOfUse::GenerateAndVerify),
            Err(Incompatible::Algorithm)
        );
        assert_eq!(
            check(KeyUsage::P0, Algorithm::Tdes, ModeOfUse::DeriveKeys),
            Err(Incompatible::ModeOfUse)
        );
    }
}
