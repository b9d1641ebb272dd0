//! The X9.143 rules that relate header fields to each other and to the version. Syntax of each
//! field is checked by the parser; this module decides whether a well-formed header is allowed.

use super::compat::{self, Incompatible};
use super::error::{Tr31Error, Tr31Warning};
use super::fields::{Algorithm, Exportability, KeyContext, KeyUsage, KeyVersion, Version};
use super::header::Header;
use super::layout::{FIXED_LEN, Field};
use super::optional::KnownBlockId;
use super::profile::Profile;

/// Checks every header rule; the first broken one is returned. A rule the profile lets through
/// comes back as a warning.
pub fn validate_header(header: &Header, profile: &Profile) -> Result<Vec<Tr31Warning>, Tr31Error> {
    let mut warnings = Vec::new();
    check_weak_wrapping(header, profile)?;
    match check_compatibility(header) {
        Err(e) if profile.outside_usage_table => warnings.push(Tr31Warning::OutsideUsageTable(e)),
        other => other?,
    }
    check_context_and_exportability(header)?;
    check_optional_blocks(header, profile, &mut warnings)?;
    Ok(warnings)
}

/// Why the header's wrapping is weak, if it is: version A, or an AES key under a TDES KBPK.
/// Callers that accept weak wrapping by opt-in use this to warn about it.
pub fn weak_wrapping(header: &Header) -> Option<&'static str> {
    if header.version == Version::A {
        return Some("version A (TR-31:2005 variant binding) is deprecated");
    }
    if header.algorithm == Algorithm::Aes && header.version.kbpk_family() == crate::crypto::CipherFamily::Tdes {
        return Some("an AES key under a TDES KBPK (versions A, B, C) is protected by less than its own strength");
    }
    None
}

/// The warnings to show for a block: weak wrapping first, when the block has it (accepted only by
/// opt-in, so a caller that opted in is still told), then the profile's relaxations. Every front
/// end (CLI, bindings) reports this list.
pub fn reported_warnings(header: &Header, warnings: &[Tr31Warning]) -> Vec<Tr31Warning> {
    weak_wrapping(header)
        .map(|reason| Tr31Warning::WeakWrapping { reason })
        .into_iter()
        .chain(warnings.iter().cloned())
        .collect()
}

fn check_weak_wrapping(header: &Header, profile: &Profile) -> Result<(), Tr31Error> {
    match weak_wrapping(header) {
        Some(reason) if !profile.allow_weak_wrapping => Err(Tr31Error::WeakWrapping { reason }),
        _ => Ok(()),
    }
}

fn check_compatibility(header: &Header) -> Result<(), Tr31Error> {
    match compat::check(header.key_usage, header.algorithm, header.mode_of_use) {
        Ok(()) => Ok(()),
        Err(Incompatible::Algorithm) => Err(Tr31Error::AlgorithmNotAllowed {
            usage: header.key_usage,
            algorithm: header.algorithm,
        }),
        Err(Incompatible::ModeOfUse) => Err(Tr31Error::ModeNotAllowed {
            usage: header.key_usage,
            mode: header.mode_of_use,
        }),
    }
}

fn check_context_and_exportability(header: &Header) -> Result<(), Tr31Error> {
    // A storage-context block is bound to the device that stores it; marking it exportable
    // contradicts that context.
    if header.key_context == KeyContext::Storage && header.exportability != Exportability::NonExportable {
        return Err(rule(
            Field::Exportability,
            "a key in storage context only (key context 1) must be non-exportable (N)",
        ));
    }
    // Key components are halves of a secret: they may only travel in trusted form.
    if matches!(header.key_version, KeyVersion::Component(_)) && header.exportability == Exportability::Sensitive {
        return Err(rule(
            Field::Exportability,
            "a key component (key version cN) cannot be exportable under an untrusted key (S)",
        ));
    }
    // A KBPK exported under an untrusted key would expose every block it protects.
    if matches!(header.key_usage, KeyUsage::K1 | KeyUsage::K4) && header.exportability == Exportability::Sensitive {
        return Err(rule(
            Field::Exportability,
            "a key block protection key (K1/K4) cannot be exportable under an untrusted key (S)",
        ));
    }
    Ok(())
}

fn check_optional_blocks(header: &Header, profile: &Profile, warnings: &mut Vec<Tr31Warning>) -> Result<(), Tr31Error> {
    let mut position = FIXED_LEN;
    let mut seen: Vec<&str> = Vec::with_capacity(header.optional_blocks.len());
    let last = header.optional_blocks.len().saturating_sub(1);
    for (index, block) in header.optional_blocks.iter().enumerate() {
        let fail = |reason: &str| Tr31Error::OptionalBlock {
            id: block.id.clone(),
            position,
            reason: reason.to_owned(),
        };
        if block.id.len() != 2 || !block.id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(fail("ID must be two letters or digits"));
        }
        if !block.data.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
            return Err(fail("data must be printable ASCII"));
        }
        block.decode_noting(profile, position, warnings)?;
        if let Some(id) = block.known_id() {
            if seen.contains(&block.id.as_str()) {
                return Err(fail("appears more than once"));
            }
            seen.push(&block.id);
            match id {
                KnownBlockId::Padding if index != last => return Err(fail("padding must be the last optional block")),
                KnownBlockId::KeySetId if header.algorithm == Algorithm::Aes => {
                    return Err(fail("AES DUKPT keys carry their identifier in IK, not KS (X9.143)"));
                }
                KnownBlockId::HmacHash if header.algorithm != Algorithm::Hmac => {
                    return Err(fail("HM is only for HMAC keys (algorithm H)"));
                }
                _ => {}
            }
        }
        position += block.encoded_len();
    }
    if header.algorithm == Algorithm::Hmac && header.optional_block(KnownBlockId::HmacHash).is_none() {
        if !profile.hmac_without_hash_block {
            return Err(Tr31Error::HmacWithoutHashBlock);
        }
        warnings.push(Tr31Warning::HmacWithoutHashBlock);
    }
    let length = position - FIXED_LEN;
    let block_size = header.version.block_size();
    if !length.is_multiple_of(block_size) {
        return Err(Tr31Error::OptionalBlocksNotAligned {
            version: header.version,
            length,
            block_size,
        });
    }
    Ok(())
}

fn rule(field: Field, reason: &'static str) -> Tr31Error {
    Tr31Error::Rule {
        field,
        position: field.header_offset(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fields::ModeOfUse;
    use super::super::optional::OptionalBlock;
    use super::*;

    fn header(text: &str) -> Header {
        Header::parse(text, &Profile::STRICT).unwrap().header
    }

    fn check(text: &str) -> Result<(), Tr31Error> {
        validate_header(&header(text), &Profile::STRICT).map(|warnings| assert!(warnings.is_empty()))
    }

    /// ISO 20038's own example pairs B0 with mode V; lenient reads it and says which rule it breaks.
    #[test]
    fn the_lenient_profile_accepts_pairs_outside_the_table_with_a_warning() {
        let iso = header("E0000B0TV16N0000");
        let refusal = Tr31Error::ModeNotAllowed {
            usage: KeyUsage::B0,
            mode: ModeOfUse::VerifyOnly,
        };
        assert_eq!(validate_header(&iso, &Profile::STRICT), Err(refusal.clone()));
        let warnings = validate_header(&iso, &Profile::LENIENT).unwrap();
        assert_eq!(warnings, vec![Tr31Warning::OutsideUsageTable(refusal)]);
        assert!(warnings[0].to_string().contains("'V' is not allowed with key usage B0"));
        // Every other rule still holds under the lenient profile.
        assert!(validate_header(&header("E0000B0TV16S0010"), &Profile::LENIENT).is_err());
    }

    #[test]
    fn every_rule_has_a_failing_case() {
        assert_eq!(check("D0000P0AE00E0000"), Ok(()));
        assert!(matches!(check("A0000P0TE00E0000"), Err(Tr31Error::WeakWrapping { .. })));
        assert!(matches!(check("B0000P0AE00E0000"), Err(Tr31Error::WeakWrapping { .. })));
        assert!(validate_header(&header("A0000P0TE00E0000"), &Profile::STRICT.with_weak_wrapping()).is_ok());
        assert_eq!(
            check("D0000M3AC00E0000"),
            Err(Tr31Error::AlgorithmNotAllowed {
                usage: KeyUsage::M3,
                algorithm: Algorithm::Aes
            })
        );
        assert_eq!(
            check("D0000P0AX00E0000"),
            Err(Tr31Error::ModeNotAllowed {
                usage: KeyUsage::P0,
                mode: ModeOfUse::DeriveKeys
            })
        );
        assert!(matches!(
            check("D0000P0AE00E0010"),
            Err(Tr31Error::Rule {
                field: Field::Exportability,
                ..
            })
        ));
        assert_eq!(check("D0000P0AE00N0010"), Ok(()));
        assert!(matches!(
            check("D0000P0AEc1S0000"),
            Err(Tr31Error::Rule {
                field: Field::Exportability,
                ..
            })
        ));
        assert!(matches!(
            check("D0000K1AB00S0000"),
            Err(Tr31Error::Rule {
                field: Field::Exportability,
                ..
            })
        ));
        assert_eq!(check("D0000M7HC00N0000"), Err(Tr31Error::HmacWithoutHashBlock));
        // KS under an AES key, duplicated blocks, PB not last, HM on a non-HMAC key, misalignment.
        assert!(matches!(
            check("D0000B1AX00N0200KS0E0123456789PB1200000000000000"),
            Err(Tr31Error::OptionalBlock { position: 16, .. })
        ));
        assert!(matches!(
            check("B0000B1TX00N0200KS080000KS080000"),
            Err(Tr31Error::OptionalBlock { position: 24, .. })
        ));
        assert!(matches!(
            check("B0000B1TX00N0200PB080000KS080000"),
            Err(Tr31Error::OptionalBlock { position: 16, .. })
        ));
        assert!(matches!(
            check("D0000P0AE00N0200HM0621PB0A000000"),
            Err(Tr31Error::OptionalBlock { position: 16, .. })
        ));
        assert!(matches!(
            check("B0000B1TX00N0100KS060000"),
            Err(Tr31Error::OptionalBlocksNotAligned {
                length: 6,
                block_size: 8,
                ..
            })
        ));
        assert_eq!(check("B0000B1TX00N0100KS080000"), Ok(()));
    }

    #[test]
    fn hmac_keys_need_hm() {
        let mut h = Header::new(
            Version::D,
            KeyUsage::M7,
            Algorithm::Hmac,
            ModeOfUse::GenerateAndVerify,
            Exportability::NonExportable,
        );
        h.optional_blocks = vec![OptionalBlock::new("HM", "21"), OptionalBlock::new("PB", "000000")];
        assert_eq!(validate_header(&h, &Profile::STRICT), Ok(vec![]));
    }
}
