//! The KRD's refusals, one per check, on tokens built here (some deliberately wrong), with the test
//! PKI of `tests/fixtures/tr34` (see its `make.sh`).

use std::sync::OnceLock;

use super::asn1::{Cursor, tag};
use super::build::{Inner, assemble};
use super::oids;
use super::*;
use crate::kcv::{self, KcvMethod};

struct Party {
    cert: Certificate,
    key: PrivateKey,
}

struct Pki {
    kdh_ca: Certificate,
    krd_ca: Certificate,
    kdh: Party,
    forged: Party,
    weak: Party,
    krd: Party,
    other: Party,
}

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../tests/fixtures/tr34/", $name))
    };
}

fn party(role: &'static str, cert: &str, key: &str) -> Party {
    Party {
        cert: Certificate::from_pem(role, cert).unwrap(),
        key: PrivateKey::from_pem(role, key).unwrap(),
    }
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| Pki {
        kdh_ca: Certificate::from_pem("KDH CA", fixture!("kdh-ca.pem")).unwrap(),
        krd_ca: Certificate::from_pem("KRD CA", fixture!("krd-ca.pem")).unwrap(),
        kdh: party("KDH", fixture!("kdh.pem"), fixture!("kdh.key")),
        forged: party("forged KDH", fixture!("kdh-forged.pem"), fixture!("kdh-forged.key")),
        weak: party("weak KDH", fixture!("kdh-weak.pem"), fixture!("kdh-weak.key")),
        krd: party("KRD", fixture!("krd.pem"), fixture!("krd.key")),
        other: party("other KRD", fixture!("krd-other.pem"), fixture!("krd-other.key")),
    })
}

const KEY: [u8; 16] = *b"\x01\x23\x45\x67\x89\xAB\xCD\xEF\xFE\xDC\xBA\x98\x76\x54\x32\x10";
const HEADER: &str = "D0000K0TB00E0000";
const NONCE: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

fn payload(shape: Shape) -> Payload<'static> {
    Payload {
        key: &KEY,
        header: HEADER,
        nonce: &NONCE,
        cipher: ContentCipher::TdesCbc,
        shape,
    }
}

fn kdh(party: &Party) -> Kdh<'_> {
    Kdh {
        key: &party.key,
        certificate: &party.cert,
    }
}

fn token() -> Vec<u8> {
    build(kdh(&pki().kdh), &pki().krd.cert, payload(Shape::Aws)).unwrap()
}

/// Opens as the test KRD trusting the test KDH CA and expecting NONCE.
fn open(token: &[u8]) -> Result<ReceivedKey, Tr34Error> {
    open_with(token, &pki().kdh.cert, Some(&pki().kdh_ca), &pki().krd)
}

fn open_with(token: &[u8], kdh: &Certificate, ca: Option<&Certificate>, krd: &Party) -> Result<ReceivedKey, Tr34Error> {
    Tr34Token::parse(token)?.open(
        Krd {
            key: &krd.key,
            certificate: Some(&krd.cert),
        },
        Expected {
            kdh_certificate: kdh,
            kdh_ca: ca,
            nonce: Some(&NONCE),
        },
    )
}

/// The token with the last byte of `part` (found in it) flipped.
fn flip_last(token: &[u8], part: &[u8]) -> Vec<u8> {
    let at = token.windows(part.len()).position(|w| w == part).unwrap() + part.len() - 1;
    let mut out = token.to_vec();
    out[at] ^= 0x01;
    out
}

fn refused(result: Result<ReceivedKey, Tr34Error>) -> Check {
    match result {
        Err(e) => e.check().unwrap_or_else(|| panic!("not a refusal: {e}")),
        Ok(_) => panic!("accepted"),
    }
}

#[test]
fn both_shapes_round_trip_with_tdes_and_aes_content() {
    for (shape, cipher, nonce_len, name) in [
        (Shape::Aws, ContentCipher::TdesCbc, 8, "aws"),
        (Shape::Dspread, ContentCipher::TdesCbc, 16, "dspread"),
        (Shape::Aws, ContentCipher::Aes128Cbc, 8, "aws"),
        (Shape::Dspread, ContentCipher::Aes256Cbc, 16, "dspread"),
    ] {
        let nonce = vec![0x5A; nonce_len];
        let token = build(
            kdh(&pki().kdh),
            &pki().krd.cert,
            Payload {
                nonce: &nonce,
                cipher,
                shape,
                ..payload(shape)
            },
        )
        .unwrap();
        let parsed = Tr34Token::parse(&token).unwrap();
        assert_eq!(parsed.summary().shape, Some(name));
        assert_eq!(parsed.envelope.cipher, cipher);
        let got = parsed
            .open(
                Krd {
                    key: &pki().krd.key,
                    certificate: Some(&pki().krd.cert),
                },
                Expected {
                    kdh_certificate: &pki().kdh.cert,
                    kdh_ca: Some(&pki().kdh_ca),
                    nonce: Some(&nonce),
                },
            )
            .unwrap();
        assert_eq!(got.key.as_bytes(), &KEY);
        assert_eq!(got.header, HEADER);
        assert_eq!(
            got.kcv,
            hex::decode("08D7B4").unwrap(),
            "the factory key's published KCV"
        );
        assert_eq!(got.kcv_method, KcvMethod::Legacy);
        assert!(got.unchecked.is_empty());
    }
}

#[test]
fn an_aes_key_gets_its_cmac_kcv() {
    let key = [0x11u8; 16];
    let header = "D0000K0AB00E0000";
    let token = build(
        kdh(&pki().kdh),
        &pki().krd.cert,
        Payload {
            key: &key,
            header,
            ..payload(Shape::Aws)
        },
    )
    .unwrap();
    let got = open(&token).unwrap();
    assert_eq!(got.kcv_method, KcvMethod::Cmac);
    assert_eq!(
        got.kcv,
        kcv::kcv(&key, crate::crypto::CipherFamily::Aes, KcvMethod::Cmac).unwrap()
    );
}

#[test]
fn what_was_not_given_is_reported_unchecked() {
    let token = Tr34Token::parse(&token()).unwrap();
    let got = token
        .open(
            Krd {
                key: &pki().krd.key,
                certificate: None,
            },
            Expected {
                kdh_certificate: &pki().kdh.cert,
                kdh_ca: None,
                nonce: None,
            },
        )
        .unwrap();
    assert_eq!(got.unchecked, [Check::KdhChain, Check::Nonce, Check::Recipient]);
}

#[test]
fn a_kdh_ca_with_the_right_name_but_another_key_is_refused() {
    // kdh-forged names the KDH CA as issuer but was signed by an impostor CA of the same name.
    let forged = &pki().forged;
    let token = build(kdh(forged), &pki().krd.cert, payload(Shape::Aws)).unwrap();
    let err = open_with(&token, &forged.cert, Some(&pki().kdh_ca), &pki().krd).unwrap_err();
    assert_eq!(err.check(), Some(Check::KdhChain));
    assert!(err.to_string().contains("does not verify its signature"), "{err}");
    // Without the CA the same token opens: only the chain was wrong.
    assert!(open_with(&token, &forged.cert, None, &pki().krd).is_ok());
}

#[test]
fn a_kdh_certificate_from_another_ca_is_refused() {
    let err = open_with(&token(), &pki().kdh.cert, Some(&pki().krd_ca), &pki().krd).unwrap_err();
    assert_eq!(err.check(), Some(Check::KdhChain));
    assert!(err.to_string().contains("its issuer is not"), "{err}");
}

#[test]
fn each_tampering_is_refused_by_its_check() {
    let good = token();
    let parsed = Tr34Token::parse(&good).unwrap();
    let cases: Vec<(&str, Result<ReceivedKey, Tr34Error>, Check)> = vec![
        (
            "another KDH's certificate",
            open_with(&good, &pki().forged.cert, None, &pki().krd),
            Check::Signer,
        ),
        (
            "enveloped data changed",
            open(&flip_last(&good, &parsed.envelope.encrypted_content)),
            Check::MessageDigest,
        ),
        (
            "signature changed",
            open(&flip_last(&good, &parsed.signer.signature)),
            Check::Signature,
        ),
        (
            "signed header changed",
            open(&flip_last(&good, HEADER.as_bytes())),
            Check::Signature,
        ),
        (
            "another reader's token",
            open_with(&good, &pki().kdh.cert, Some(&pki().kdh_ca), &pki().other),
            Check::Recipient,
        ),
    ];
    for (name, result, check) in cases {
        assert_eq!(refused(result), check, "{name}");
    }
}

#[test]
fn a_nonce_other_than_the_one_issued_is_refused() {
    let token = build(
        kdh(&pki().kdh),
        &pki().krd.cert,
        Payload {
            nonce: &[9; 8],
            ..payload(Shape::Aws)
        },
    )
    .unwrap();
    assert_eq!(refused(open(&token)), Check::Nonce);
}

#[test]
fn a_certificate_that_is_not_the_krd_keys_is_refused() {
    let mismatched = Tr34Token::parse(&token()).unwrap().open(
        Krd {
            key: &pki().other.key,
            certificate: Some(&pki().krd.cert),
        },
        Expected {
            kdh_certificate: &pki().kdh.cert,
            kdh_ca: Some(&pki().kdh_ca),
            nonce: Some(&NONCE),
        },
    );
    assert_eq!(refused(mismatched), Check::Recipient);
    let no_cert = Tr34Token::parse(&token()).unwrap().open(
        Krd {
            key: &pki().other.key,
            certificate: None,
        },
        Expected {
            kdh_certificate: &pki().kdh.cert,
            kdh_ca: Some(&pki().kdh_ca),
            nonce: Some(&NONCE),
        },
    );
    assert_eq!(refused(no_cert), Check::KeyDecryption);
}

#[test]
fn a_key_block_whose_header_or_kdh_differs_from_the_signed_ones_is_refused() {
    let inner_header = assemble(
        kdh(&pki().kdh),
        &pki().krd.cert,
        payload(Shape::Aws),
        Inner {
            kdh: pki().kdh.cert.issuer_serial(),
            header: "D0000K0TN00N0000",
        },
    )
    .unwrap();
    assert_eq!(refused(open(&inner_header)), Check::Header);
    let inner_kdh = assemble(
        kdh(&pki().kdh),
        &pki().krd.cert,
        payload(Shape::Aws),
        Inner {
            kdh: pki().krd.cert.issuer_serial(),
            header: HEADER,
        },
    )
    .unwrap();
    assert_eq!(refused(open(&inner_kdh)), Check::KdhIdentity);
}

#[test]
fn rsa_keys_under_2048_bits_are_refused_on_both_sides() {
    let weak = &pki().weak;
    let err = build(kdh(weak), &pki().krd.cert, payload(Shape::Aws)).unwrap_err();
    assert_eq!(err.check(), Some(Check::RsaKeySize));
    let inner = Inner {
        kdh: weak.cert.issuer_serial(),
        header: HEADER,
    };
    let token = assemble(kdh(weak), &pki().krd.cert, payload(Shape::Aws), inner).unwrap();
    let err = open_with(&token, &weak.cert, Some(&pki().kdh_ca), &pki().krd).unwrap_err();
    assert_eq!(err.check(), Some(Check::RsaKeySize));
    assert!(err.to_string().contains("RSA-1024"), "{err}");
}

#[test]
fn a_key_that_does_not_fit_its_header_is_refused() {
    let token = build(
        kdh(&pki().kdh),
        &pki().krd.cert,
        Payload {
            key: &[1, 2, 3, 4, 5],
            ..payload(Shape::Aws)
        },
    )
    .unwrap();
    assert_eq!(refused(open(&token)), Check::ContentDecryption);
}

#[test]
fn signed_attributes_are_verified_as_sent_not_re_sorted() {
    // With the vendor's 16-byte nonce the TR-34 order is not DER order (with an 8-byte one it
    // happens to be).
    let nonce = [0x4C; 16];
    let good = build(
        kdh(&pki().kdh),
        &pki().krd.cert,
        Payload {
            nonce: &nonce,
            ..payload(Shape::Dspread)
        },
    )
    .unwrap();
    let open_as_sent = |token: &[u8]| {
        Tr34Token::parse(token)?.open(
            krd_side(&pki().krd, true),
            Expected {
                nonce: Some(&nonce),
                ..trusting_kdh()
            },
        )
    };
    assert!(open_as_sent(&good).is_ok());
    let parsed = Tr34Token::parse(&good).unwrap();
    let names: Vec<String> = parsed.summary().signer.attributes;
    assert_eq!(names, ["contentType", "randomNonce", "data", "messageDigest"]);
    // Put the attributes in DER SET OF order (by encoding), as a strict re-encoder would: same
    // bytes, other order, and the signature no longer holds.
    let attrs = &parsed.signer.signed_attributes;
    let mut cursor = Cursor::new(attrs);
    let mut each = Vec::new();
    while !cursor.is_empty() {
        let start = cursor.offset();
        cursor.expect(tag::SEQUENCE, "attribute").unwrap();
        each.push(attrs[start..cursor.offset()].to_vec());
    }
    let mut sorted = each.clone();
    sorted.sort();
    assert_ne!(sorted, each, "the TR-34 order is not DER order");
    let at = good.windows(attrs.len()).position(|w| w == attrs.as_slice()).unwrap();
    let mut resorted = good.clone();
    resorted[at..at + attrs.len()].copy_from_slice(&sorted.concat());
    assert_eq!(refused(open_as_sent(&resorted)), Check::Signature);
}

#[test]
fn rfc_8017_tagged_oaep_parameters_are_read_too() {
    use super::asn1;
    let sha256 = asn1::sequence(&[&asn1::oid(&oids::SHA256), &asn1::tlv(tag::NULL, &[])]);
    let mgf = asn1::sequence(&[&asn1::oid(&oids::MGF1), &asn1::sequence(&[&asn1::oid(&oids::SHA256)])]);
    let source = asn1::sequence(&[&asn1::oid(&oids::P_SPECIFIED), &asn1::tlv(tag::OCTET_STRING, &[])]);
    let bytes = asn1::sequence(&[
        &asn1::tlv(0xA0, &[&sha256]),
        &asn1::tlv(0xA1, &[&mgf]),
        &asn1::tlv(0xA2, &[&source]),
    ]);
    let params = Cursor::new(&bytes).expect(tag::SEQUENCE, "params").unwrap();
    let oaep = OaepParams::parse(&params).unwrap();
    assert!(oaep.tagged && oaep.hash_null && oaep.label.is_empty());
    assert_eq!((oaep.hash, oaep.mgf_hash), (oids::SHA256, oids::SHA256));
}

#[test]
fn private_keys_do_not_show_in_debug() {
    let shown = format!("{:?}", pki().krd.key);
    assert_eq!(shown, "PrivateKey([REDACTED; RSA-2048])");
}

fn krd_side(party: &Party, with_cert: bool) -> Krd<'_> {
    Krd {
        key: &party.key,
        certificate: with_cert.then_some(&party.cert),
    }
}

fn trusting_kdh() -> Expected<'static> {
    Expected {
        kdh_certificate: &pki().kdh.cert,
        kdh_ca: Some(&pki().kdh_ca),
        nonce: Some(&NONCE),
    }
}

#[test]
fn the_sdk_envelope_round_trips_and_opens_for_both_shapes() {
    for shape in [Shape::Aws, Shape::Dspread] {
        let token = Tr34Token::parse(&build(kdh(&pki().kdh), &pki().krd.cert, payload(shape)).unwrap()).unwrap();
        let envelope = SdkEnvelope::from_token(&token).unwrap();
        let bytes = envelope.encode().unwrap();
        assert_eq!(usize::from(u16::from_le_bytes([bytes[0], bytes[1]])), bytes.len());
        assert_eq!(&bytes[2..5], &[1, 0, 0]);
        let read = SdkEnvelope::parse(&bytes).unwrap();
        assert_eq!(read, envelope);
        let got = read.open(krd_side(&pki().krd, true), trusting_kdh()).unwrap();
        assert_eq!(got.key.as_bytes(), &KEY);
        assert!(got.unchecked.is_empty(), "{:?}", got.unchecked);
        // Another reader's key opens nothing.
        assert_eq!(
            refused(read.open(krd_side(&pki().other, true), trusting_kdh())),
            Check::MessageDigest
        );
    }
}

#[test]
fn a_key_substituted_into_the_envelope_is_refused_by_the_rebuilt_digest() {
    let signed = Tr34Token::parse(&token()).unwrap();
    let other_key = Tr34Token::parse(
        &build(
            kdh(&pki().kdh),
            &pki().krd.cert,
            Payload {
                key: &[0x22; 16],
                ..payload(Shape::Aws)
            },
        )
        .unwrap(),
    )
    .unwrap();
    let mut envelope = SdkEnvelope::from_token(&signed).unwrap();
    let substitute = SdkEnvelope::from_token(&other_key).unwrap();
    envelope.encrypted_key = substitute.encrypted_key;
    envelope.encrypted_content = substitute.encrypted_content;
    envelope.iv = substitute.iv;
    assert_eq!(
        refused(envelope.open(krd_side(&pki().krd, true), trusting_kdh())),
        Check::MessageDigest
    );
    // Without its certificate the reader cannot rebuild the digest, and says so.
    let blind = envelope.open(krd_side(&pki().krd, false), trusting_kdh()).unwrap();
    assert!(blind.unchecked.contains(&Check::MessageDigest) && blind.unchecked.contains(&Check::Recipient));
}

#[test]
fn the_vendor_demo_tokens_envelope_carries_the_demos_signed_attributes() {
    let demo = Tr34Token::parse_hex(include_str!("../../tests/vectors/dspread-demo-tr34-token.hex")).unwrap();
    let envelope = SdkEnvelope::from_token(&demo).unwrap();
    let bytes = envelope.encode().unwrap();
    // The demo app (PaymentActivity, its `clearData`) hard-codes these attribute bytes for the
    // same token; the envelope must carry exactly them.
    let clear_data = "A0818E301806092A864886F70D010903310B06092A864886F70D0107033020060A2A864886F70D01091903\
                      311204104CDCEDD916AAACEEAE548A1C5B0A0EAA301F06092A864886F70D0107013112041041303031364B\
                      30544E30304530303030302F06092A864886F70D01090431220420A0E06A133DA8D4A5EC5A2E51E468B470\
                      B19E13834019A0C2563BA39308660A1F";
    let hex_envelope = hex::encode_upper(&bytes);
    assert!(
        hex_envelope.contains(&format!("{:04X}{clear_data}", clear_data.len() / 2)),
        "{hex_envelope}"
    );
    assert!(
        hex_envelope[4..].starts_with("0100000100"),
        "marker, then a 256-byte encrypted key"
    );
    assert_eq!(SdkEnvelope::parse(&bytes).unwrap(), envelope);
}

#[test]
fn broken_envelopes_name_the_field_and_offset() {
    let bytes = SdkEnvelope::from_token(&Tr34Token::parse(&token()).unwrap())
        .unwrap()
        .encode()
        .unwrap();
    for len in 0..bytes.len() {
        assert!(SdkEnvelope::parse(&bytes[..len]).is_err(), "{len}");
    }
    let mut wrong_total = bytes.clone();
    wrong_total[0] ^= 1;
    let err = SdkEnvelope::parse(&wrong_total).unwrap_err();
    assert!(err.to_string().contains("envelope length at offset 0"), "{err}");
}
