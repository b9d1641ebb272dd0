//! Checks on both sides of `ExportKey`: the request before it is sent (AWS headers may only
//! narrow a key, and some combinations are never right), and the key block that came back
//! against the request and against `GetKey` of the key and the KEK. A key block that passes here
//! says what was asked for; one that does not is never handed to a reader.

use super::error::ExportError;
use super::names::{KcvAlgorithm, ModesOfUse, exportability_to_aws};
use super::{ExportKind, ExportedKeyBlock, KeyFacts};
use crate::tr31::{Exportability, KeyBlock, KeyUsage, KeyVersion, Profile};

/// What `ExportKey` returned, as plain strings (the SDK's `WrappedKey`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKeyReply {
    pub wrapping_key_arn: String,
    pub key_material: String,
    pub key_check_value: Option<String>,
    pub key_check_value_algorithm: Option<String>,
}

/// Refuses, before any export call, a request that AWS would reject or that would widen the key.
pub fn check_request(key: &KeyFacts, kek: &KeyFacts, kind: &ExportKind) -> Result<(), ExportError> {
    if !key.exportable {
        return Err(ExportError::NotExportable {
            key_arn: key.arn.clone(),
        });
    }
    if !matches!(kek.usage, KeyUsage::K0 | KeyUsage::K1) {
        return Err(unsupported(
            "wrapping key",
            kek,
            format!("usage {} is not a KEK (K0/K1)", kek.usage),
        ));
    }
    if key.algorithm.family() == crate::crypto::CipherFamily::Aes
        && kek.algorithm.family() != crate::crypto::CipherFamily::Aes
    {
        return Err(unsupported(
            "wrapping key",
            kek,
            format!(
                "an {} key under a {} KEK is weak wrapping",
                key.algorithm, kek.algorithm
            ),
        ));
    }
    match kind {
        ExportKind::Tr31(headers) => {
            if let Some(modes) = &headers.modes_of_use {
                if modes.tr31().is_none() {
                    return Err(ExportError::InvalidRequest {
                        field: "modes of use",
                        reason: "no mode of use set".into(),
                    });
                }
                if !modes.is_within(&key.modes) {
                    return Err(ExportError::WidensModesOfUse {
                        requested: modes.to_list(),
                        allowed: key.modes.to_list(),
                    });
                }
            }
            // A key AWS lets us export leaves as EXPORTABLE (key blocks only); SENSITIVE would
            // also allow the receiver to export it outside key blocks.
            if headers.exportability == Some(Exportability::Sensitive) {
                return Err(ExportError::WidensExportability {
                    requested: exportability_to_aws(Exportability::Sensitive),
                    allowed: exportability_to_aws(Exportability::Trusted),
                });
            }
            if let Some(version) = &headers.key_version
                && (version.len() != 2 || KeyVersion::from_code(version.as_bytes()).is_none())
            {
                return Err(ExportError::InvalidRequest {
                    field: "key version",
                    reason: format!("`{version}` is not two alphanumeric characters (00 = none)"),
                });
            }
            for (id, data) in &headers.optional_blocks {
                if id.len() != 2 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(ExportError::InvalidRequest {
                        field: "optional block id",
                        reason: format!("`{id}` is not two alphanumeric characters"),
                    });
                }
                if let Some(position) = data.bytes().position(|b| !(0x20..0x7f).contains(&b)) {
                    return Err(ExportError::InvalidRequest {
                        field: "optional block data",
                        reason: format!("block {id}: non-printable character at position {position}"),
                    });
                }
            }
        }
        ExportKind::DukptIpek { key_serial_number } => {
            if key.usage != KeyUsage::B0 {
                return Err(unsupported(
                    "key",
                    key,
                    format!("IPEK export needs a BDK (B0), not {}", key.usage),
                ));
            }
            let digits = if key.algorithm.family() == crate::crypto::CipherFamily::Aes {
                24
            } else {
                20
            };
            if key_serial_number.len() != digits || !key_serial_number.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ExportError::InvalidRequest {
                    field: "key serial number",
                    reason: format!("a {} BDK takes a KSN of {digits} hex digits", key.algorithm),
                });
            }
        }
    }
    Ok(())
}

/// Checks the key block AWS returned against the request and both keys' attributes.
pub fn check_reply(
    key: &KeyFacts,
    kek: &KeyFacts,
    kind: &ExportKind,
    reply: WrappedKeyReply,
) -> Result<ExportedKeyBlock, ExportError> {
    expect("wrapping key ARN", &kek.arn, &reply.wrapping_key_arn)?;
    let block = KeyBlock::parse(&reply.key_material, &Profile::LENIENT).map_err(ExportError::MalformedBlock)?;
    let header = block.header();
    expect("key block version", kek.algorithm.wrapping_version(), header.version)?;
    let usage = match kind {
        ExportKind::Tr31(_) => key.usage,
        ExportKind::DukptIpek { .. } => KeyUsage::B1,
    };
    expect("key usage", usage, header.key_usage)?;
    expect("key algorithm", key.algorithm.tr31(), header.algorithm)?;

    let headers = match kind {
        ExportKind::Tr31(headers) => Some(headers),
        ExportKind::DukptIpek { .. } => None,
    };
    let requested_modes = headers.and_then(|h| h.modes_of_use);
    match requested_modes.and_then(|m| m.tr31()) {
        Some(mode) => expect("mode of use", mode, header.mode_of_use)?,
        None if usage == KeyUsage::B1 => {}
        None => {
            if !ModesOfUse::from_tr31(header.mode_of_use).is_within(&key.modes)
                && key.modes.tr31() != Some(header.mode_of_use)
            {
                return Err(mismatch("mode of use", key.modes.to_list(), header.mode_of_use));
            }
        }
    }
    match headers.and_then(|h| h.exportability) {
        Some(wanted) => expect("exportability", wanted, header.exportability)?,
        None if header.exportability == Exportability::Sensitive => {
            return Err(mismatch("exportability", "E or N", header.exportability));
        }
        None => {}
    }
    if let Some(version) = headers.and_then(|h| h.key_version.as_deref()) {
        expect("key version", version, header.key_version.code().as_str())?;
    }
    for (id, data) in headers.map(|h| h.optional_blocks.as_slice()).unwrap_or_default() {
        let found = header.optional_blocks.iter().find(|b| b.id == *id);
        match found {
            Some(b) => expect("optional block data", data.as_str(), b.data.as_str())?,
            None => return Err(mismatch("optional blocks", format!("a {id} block"), "none")),
        }
    }

    let kcv_algorithm_name = reply.key_check_value_algorithm.ok_or(ExportError::IncompleteResponse {
        operation: "ExportKey",
        field: "KeyCheckValueAlgorithm",
    })?;
    let kcv_algorithm = KcvAlgorithm::from_aws(&kcv_algorithm_name)
        .ok_or_else(|| mismatch("KCV algorithm", "ANSI_X9_24 or CMAC", &kcv_algorithm_name))?;
    // A TR-31 export reports the key's own KCV, by the method GetKey names; an IPEK's KCV is by
    // the method the exporter asked for, the one that fits the algorithm.
    let expected_algorithm = match kind {
        ExportKind::Tr31(_) => key.kcv_algorithm.unwrap_or(key.algorithm.kcv_algorithm()),
        ExportKind::DukptIpek { .. } => key.algorithm.kcv_algorithm(),
    };
    expect("KCV algorithm", expected_algorithm, kcv_algorithm)?;
    let kcv = reply.key_check_value.ok_or(ExportError::IncompleteResponse {
        operation: "ExportKey",
        field: "KeyCheckValue",
    })?;
    let block_size = key.algorithm.family_block_size();
    let kcv_bytes = hex::decode(&kcv).map_err(|_| mismatch("KCV", "hex digits", &kcv))?;
    if !(KcvAlgorithm::SERVICE_LEN..=block_size).contains(&kcv_bytes.len()) {
        return Err(mismatch(
            "KCV length",
            format!("{}..={block_size} bytes for {kcv_algorithm}", KcvAlgorithm::SERVICE_LEN),
            format!("{} bytes", kcv_bytes.len()),
        ));
    }
    if let ExportKind::Tr31(_) = kind {
        let known = hex::decode(&key.kcv).unwrap_or_default();
        if !crate::kcv::kcv_matches(&known, &kcv_bytes) {
            return Err(mismatch("KCV", &key.kcv, &kcv));
        }
    }
    Ok(ExportedKeyBlock {
        header: header.clone(),
        key_block: reply.key_material,
        kcv: kcv.to_ascii_uppercase(),
        kcv_algorithm,
        wrapping_key_arn: reply.wrapping_key_arn,
        key_arn: key.arn.clone(),
    })
}

fn unsupported(which: &'static str, key: &KeyFacts, reason: String) -> ExportError {
    ExportError::UnsupportedKey {
        which,
        key_arn: key.arn.clone(),
        reason,
    }
}

fn mismatch(field: &'static str, expected: impl ToString, found: impl ToString) -> ExportError {
    ExportError::Mismatch {
        field,
        expected: expected.to_string(),
        found: found.to_string(),
    }
}

fn expect<T: PartialEq + ToString>(field: &'static str, expected: T, found: T) -> Result<(), ExportError> {
    if expected == found {
        Ok(())
    } else {
        Err(mismatch(field, expected, found))
    }
}

#[cfg(test)]
mod tests {
    use super::super::ExportHeaders;
    use super::super::names::KeyAlgorithm;
    use super::*;
    use crate::tr31::{Header, ModeOfUse, OptionalBlock, WrapOptions, wrap};

    const KEK: [u8; 32] = [0x11; 32];
    const KEY: [u8; 16] = [0x22; 16];

    fn facts(arn: &str, usage: KeyUsage, algorithm: KeyAlgorithm, key: &[u8]) -> KeyFacts {
        let kcv_algorithm = algorithm.kcv_algorithm();
        KeyFacts {
            arn: arn.into(),
            usage,
            algorithm,
            modes: ModesOfUse::parse_list("encrypt,decrypt,wrap,unwrap").unwrap(),
            exportable: true,
            kcv: hex::encode_upper(kcv_algorithm.service_kcv(key, algorithm.family()).unwrap()),
            kcv_algorithm: Some(kcv_algorithm),
            enabled: true,
            state: "CREATE_COMPLETE".into(),
        }
    }

    fn pair() -> (KeyFacts, KeyFacts) {
        (
            facts("arn:key", KeyUsage::P0, KeyAlgorithm::Aes128, &KEY),
            facts("arn:kek", KeyUsage::K0, KeyAlgorithm::Aes256, &KEK),
        )
    }

    fn reply(header: &Header, key: &KeyFacts) -> WrappedKeyReply {
        WrappedKeyReply {
            wrapping_key_arn: "arn:kek".into(),
            key_material: wrap(&KEK, header, &KEY, &WrapOptions::default()).unwrap(),
            key_check_value: Some(key.kcv.clone()),
            key_check_value_algorithm: Some("CMAC".into()),
        }
    }

    fn p0_header(mode: ModeOfUse) -> Header {
        Header::new(
            crate::tr31::Version::D,
            KeyUsage::P0,
            crate::tr31::Algorithm::Aes,
            mode,
            Exportability::Trusted,
        )
    }

    #[test]
    fn a_faithful_block_passes() {
        let (key, kek) = pair();
        let kind = ExportKind::Tr31(ExportHeaders::default());
        let out = check_reply(&key, &kek, &kind, reply(&p0_header(ModeOfUse::Both), &key)).unwrap();
        assert_eq!(out.kcv_algorithm, KcvAlgorithm::Cmac);
        assert_eq!(out.header.key_usage, KeyUsage::P0);
    }

    #[test]
    fn each_deviation_is_a_typed_mismatch() {
        let (key, kek) = pair();
        let narrow = ExportKind::Tr31(ExportHeaders {
            modes_of_use: Some(ModesOfUse::parse_list("encrypt").unwrap()),
            key_version: Some("07".into()),
            optional_blocks: vec![("LB".into(), "KEYBRIDGE".into())],
            ..Default::default()
        });
        let field_of = |kind: &ExportKind, r: WrappedKeyReply| match check_reply(&key, &kek, kind, r) {
            Err(ExportError::Mismatch { field, .. }) => field,
            other => panic!("expected a mismatch, got {other:?}"),
        };
        // Modes not honoured.
        assert_eq!(
            field_of(&narrow, reply(&p0_header(ModeOfUse::Both), &key)),
            "mode of use"
        );
        // Key version not honoured.
        let mut h = p0_header(ModeOfUse::EncryptOnly);
        assert_eq!(field_of(&narrow, reply(&h, &key)), "key version");
        // Optional block missing.
        h.key_version = KeyVersion::Version(*b"07");
        assert_eq!(field_of(&narrow, reply(&h, &key)), "optional blocks");
        h.optional_blocks.push(OptionalBlock::new("LB", "KEYBRIDGE"));
        check_reply(&key, &kek, &narrow, reply(&h, &key)).unwrap();

        let plain = ExportKind::Tr31(ExportHeaders::default());
        let good = reply(&p0_header(ModeOfUse::Both), &key);
        let wrong_kek = WrappedKeyReply {
            wrapping_key_arn: "arn:other".into(),
            ..good.clone()
        };
        assert_eq!(field_of(&plain, wrong_kek), "wrapping key ARN");
        let wrong_kcv = WrappedKeyReply {
            key_check_value: Some("000000".into()),
            ..good.clone()
        };
        assert_eq!(field_of(&plain, wrong_kcv), "KCV");
        let long_kcv = WrappedKeyReply {
            key_check_value: Some("00".repeat(17)),
            ..good.clone()
        };
        assert_eq!(field_of(&plain, long_kcv), "KCV length");
        let wrong_method = WrappedKeyReply {
            key_check_value_algorithm: Some("ANSI_X9_24".into()),
            ..good.clone()
        };
        assert_eq!(field_of(&plain, wrong_method), "KCV algorithm");
        let mut d0 = p0_header(ModeOfUse::Both);
        d0.key_usage = KeyUsage::D0;
        assert_eq!(field_of(&plain, reply(&d0, &key)), "key usage");
        // A version B block where the KEK is AES.
        let tdes_kek = [0x33u8; 16];
        let mut b = p0_header(ModeOfUse::Both);
        b.version = crate::tr31::Version::B;
        b.algorithm = crate::tr31::Algorithm::Tdes;
        let block = WrappedKeyReply {
            key_material: wrap(&tdes_kek, &b, &KEY, &WrapOptions::default()).unwrap(),
            ..good
        };
        assert_eq!(field_of(&plain, block), "key block version");
    }

    #[test]
    fn garbage_is_a_malformed_block() {
        let (key, kek) = pair();
        let mut r = reply(&p0_header(ModeOfUse::Both), &key);
        r.key_material.truncate(20);
        let kind = ExportKind::Tr31(ExportHeaders::default());
        assert!(matches!(
            check_reply(&key, &kek, &kind, r),
            Err(ExportError::MalformedBlock(_))
        ));
    }

    #[test]
    fn requests_that_widen_or_are_malformed_are_refused() {
        let (key, kek) = pair();
        let ask = |headers: ExportHeaders| check_request(&key, &kek, &ExportKind::Tr31(headers));
        let widen = ExportHeaders {
            modes_of_use: Some(ModesOfUse::parse_list("encrypt,generate").unwrap()),
            ..Default::default()
        };
        assert!(matches!(ask(widen), Err(ExportError::WidensModesOfUse { .. })));
        let sensitive = ExportHeaders {
            exportability: Some(Exportability::Sensitive),
            ..Default::default()
        };
        assert!(matches!(ask(sensitive), Err(ExportError::WidensExportability { .. })));
        let bad_version = ExportHeaders {
            key_version: Some("7".into()),
            ..Default::default()
        };
        assert!(matches!(
            ask(bad_version),
            Err(ExportError::InvalidRequest {
                field: "key version",
                ..
            })
        ));
        ask(ExportHeaders {
            modes_of_use: Some(ModesOfUse::parse_list("encrypt").unwrap()),
            exportability: Some(Exportability::NonExportable),
            ..Default::default()
        })
        .unwrap();

        let locked = KeyFacts {
            exportable: false,
            ..key.clone()
        };
        let kind = ExportKind::Tr31(ExportHeaders::default());
        assert!(matches!(
            check_request(&locked, &kek, &kind),
            Err(ExportError::NotExportable { .. })
        ));
        let tdes_kek = facts("arn:t", KeyUsage::K0, KeyAlgorithm::Tdes2Key, &[0x33; 16]);
        assert!(matches!(
            check_request(&key, &tdes_kek, &kind),
            Err(ExportError::UnsupportedKey { .. })
        ));
        let ipek = ExportKind::DukptIpek {
            key_serial_number: "FFFF9876543210E00000".into(),
        };
        assert!(matches!(
            check_request(&key, &kek, &ipek),
            Err(ExportError::UnsupportedKey { .. })
        ));
    }
}
