//! TR-34 tokens written by others: the vendor demo's (a fixed vector) and one laid out as AWS's
//! public samples lay it out, encoded here by a separate, naive encoder (nested tag/children
//! tuples, as those samples write it) so that the parser is not only tested on its own builder.
#![cfg(feature = "tr34")]

use des::TdesEde3;
use des::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use keybridge::tr34::{Certificate, Check, ContentCipher, Expected, Krd, PrivateKey, Tr34Token, decode_hex_token};
use rsa::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};

/// Source: the Dspread demo app (see the file's header).
const DEMO_TOKEN: &str = include_str!("vectors/dspread-demo-tr34-token.hex");

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("fixtures/tr34/", $name))
    };
}

#[test]
fn the_vendor_demo_token_parses_with_its_recipient_header_and_nonce() {
    let token = Tr34Token::parse_hex(DEMO_TOKEN).unwrap();
    let summary = token.summary();
    assert_eq!(summary.shape, Some("dspread"));
    assert_eq!(summary.signed_data_version, 0x49);
    assert_eq!(summary.signer.version, 0x49);
    assert_eq!(summary.signer.header, "A0016K0TN00E0000");
    assert_eq!(summary.signer.nonce, "4CDCEDD916AAACEEAE548A1C5B0A0EAA");
    assert!(
        summary.recipient.krd.issuer.contains("CN=Dspread Devices CA"),
        "{}",
        summary.recipient.krd.issuer
    );
    assert_eq!(summary.recipient.krd.serial, "4EB0D600009880");
    assert!(
        summary.signer.kdh.issuer.contains("CN=Dspread KDH CA"),
        "{}",
        summary.signer.kdh.issuer
    );
    assert_eq!(summary.signer.kdh.serial, "4EB0D60000987E");
    assert_eq!(
        summary.signer.attributes,
        ["contentType", "randomNonce", "data", "messageDigest"]
    );
    assert_eq!(summary.signer.signature_bits, 2048);
    assert_eq!(summary.recipient.encrypted_key_bits, 2048);
    assert!(!summary.recipient.oaep.hash_null && !summary.recipient.oaep.tagged);
    assert_eq!(summary.content.cipher, ContentCipher::TdesCbc);
    assert_eq!(summary.content.iv, "C8FA8F2094E10311");
    assert_eq!(summary.content.encrypted_bytes, 232);
    assert_eq!(summary.certificates, 0);
    // Its messageDigest is the SHA-256 of the enveloped data, as a KRD will check.
    assert_eq!(
        Sha256::digest(&token.envelope.content).as_slice(),
        token.signer.message_digest.as_slice()
    );
}

#[test]
fn every_truncation_of_the_demo_token_is_an_error_not_a_panic() {
    let bytes = decode_hex_token(DEMO_TOKEN).unwrap();
    for len in 0..bytes.len() {
        assert!(Tr34Token::parse(&bytes[..len]).is_err(), "{len}");
    }
}

/// A DER node: primitive (tag, bytes) or constructed (tag, children).
enum N {
    P(u8, Vec<u8>),
    C(u8, Vec<N>),
}

fn enc(node: &N) -> Vec<u8> {
    let (tag, body) = match node {
        N::P(t, b) => (*t, b.clone()),
        N::C(t, kids) => (*t, kids.iter().flat_map(enc).collect()),
    };
    let mut out = vec![tag];
    match body.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend(body);
    out
}

fn oid(hex_oid: &str) -> N {
    N::P(0x06, hex::decode(hex_oid).unwrap())
}

/// The token as AWS's sample `import_tr34_raw_key_to_apc.py` lays it out: SignedData version 1,
/// 8-byte nonce, NULL in the OAEP hash identifier, 3DES content key, pad only when unaligned.
fn aws_sample_shaped_token(
    kdh: &Certificate,
    kdh_key: &rsa::RsaPrivateKey,
    krd: &Certificate,
    clear: &[u8],
    nonce: &[u8],
) -> Vec<u8> {
    const SHA256: &str = "608648016503040201";
    let id = |c: &Certificate| {
        let is = c.issuer_serial();
        let mut der = is.issuer.clone();
        der.extend(enc(&N::P(0x02, is.serial.clone())));
        N::P(0x30, der)
    };
    let header = b"D9999K0TB00E0000";
    let mut block = enc(&N::C(
        0x30,
        vec![
            N::P(0x02, vec![1]),
            id(kdh),
            N::P(0x04, clear.to_vec()),
            N::C(
                0x30,
                vec![oid("2A864886F70D010701"), N::C(0x31, vec![N::P(0x04, header.to_vec())])],
            ),
        ],
    ));
    if !block.len().is_multiple_of(8) {
        let pad = 8 - block.len() % 8;
        block.extend(std::iter::repeat_n(pad as u8, pad));
    }
    let content_key = [0x3Cu8; 24];
    let iv = [0x1Fu8; 8];
    let cipher = TdesEde3::new(GenericArray::from_slice(&content_key));
    let mut chain = iv;
    for chunk in block.chunks_exact_mut(8) {
        chunk.iter_mut().zip(chain).for_each(|(b, c)| *b ^= c);
        cipher.encrypt_block(GenericArray::from_mut_slice(chunk));
        chain.copy_from_slice(chunk);
    }
    let encrypted_key = krd
        .public_key()
        .encrypt(&mut rsa::rand_core::OsRng, rsa::Oaep::new::<Sha256>(), &content_key)
        .unwrap();
    let envelope: Vec<u8> = [
        N::P(0x02, vec![0]),
        N::C(
            0x31,
            vec![N::C(
                0x30,
                vec![
                    N::P(0x02, vec![0]),
                    id(krd),
                    N::C(
                        0x30,
                        vec![
                            oid("2A864886F70D010107"),
                            N::C(
                                0x30,
                                vec![
                                    N::C(0x30, vec![oid(SHA256), N::P(0x05, vec![])]),
                                    N::C(0x30, vec![oid("2A864886F70D010108"), N::C(0x30, vec![oid(SHA256)])]),
                                    N::C(0x30, vec![oid("2A864886F70D010109"), N::P(0x04, vec![])]),
                                ],
                            ),
                        ],
                    ),
                    N::P(0x04, encrypted_key),
                ],
            )],
        ),
        N::C(
            0x30,
            vec![
                oid("2A864886F70D010701"),
                N::C(0x30, vec![oid("2A864886F70D0307"), N::P(0x04, iv.to_vec())]),
                N::P(0x80, block),
            ],
        ),
    ]
    .iter()
    .flat_map(enc)
    .collect();
    let attrs = || {
        vec![
            N::C(
                0x30,
                vec![oid("2A864886F70D010903"), N::C(0x31, vec![oid("2A864886F70D010703")])],
            ),
            N::C(
                0x30,
                vec![
                    oid("2A864886F70D01091903"),
                    N::C(0x31, vec![N::P(0x04, nonce.to_vec())]),
                ],
            ),
            N::C(
                0x30,
                vec![oid("2A864886F70D010701"), N::C(0x31, vec![N::P(0x04, header.to_vec())])],
            ),
            N::C(
                0x30,
                vec![
                    oid("2A864886F70D010904"),
                    N::C(0x31, vec![N::P(0x04, Sha256::digest(&envelope).to_vec())]),
                ],
            ),
        ]
    };
    let signature = kdh_key
        .sign(
            rsa::Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(enc(&N::C(0x31, attrs()))),
        )
        .unwrap();
    enc(&N::C(
        0x30,
        vec![
            oid("2A864886F70D010702"),
            N::C(
                0xA0,
                vec![N::C(
                    0x30,
                    vec![
                        N::P(0x02, vec![1]),
                        N::C(0x31, vec![N::C(0x30, vec![oid(SHA256)])]),
                        N::C(
                            0x30,
                            vec![
                                oid("2A864886F70D010703"),
                                N::C(0xA0, vec![N::P(0x04, envelope.clone())]),
                            ],
                        ),
                        N::C(
                            0x31,
                            vec![N::C(
                                0x30,
                                vec![
                                    N::P(0x02, vec![1]),
                                    id(kdh),
                                    N::C(0x30, vec![oid(SHA256)]),
                                    N::C(0xA0, attrs()),
                                    N::C(0x30, vec![oid("2A864886F70D010101"), N::P(0x05, vec![])]),
                                    N::P(0x04, signature),
                                ],
                            )],
                        ),
                    ],
                )],
            ),
        ],
    ))
}

#[test]
fn a_token_laid_out_as_aws_samples_do_parses_verifies_and_opens() {
    let kdh = Certificate::from_pem("KDH", fixture!("kdh.pem")).unwrap();
    let kdh_key = rsa::RsaPrivateKey::from_pkcs8_pem(fixture!("kdh.key")).unwrap();
    let kdh_ca = Certificate::from_pem("KDH CA", fixture!("kdh-ca.pem")).unwrap();
    let krd = Certificate::from_pem("KRD", fixture!("krd.pem")).unwrap();
    let krd_key = PrivateKey::from_pem("KRD", fixture!("krd.key")).unwrap();
    let nonce = [0xA5u8; 8];
    let clear = hex::decode("8A8349794C9EE9A4C2927098F249FED6").unwrap();
    let der = aws_sample_shaped_token(&kdh, &kdh_key, &krd, &clear, &nonce);

    let token = Tr34Token::parse(&der).unwrap();
    assert_eq!(token.summary().shape, Some("aws"));
    let krd_side = Krd {
        key: &krd_key,
        certificate: Some(&krd),
    };
    let expected = Expected {
        kdh_certificate: &kdh,
        kdh_ca: Some(&kdh_ca),
        nonce: Some(&nonce),
    };
    let got = token.open(krd_side, expected).unwrap();
    assert_eq!(got.key.as_bytes(), clear.as_slice());
    assert_eq!(got.header, "D9999K0TB00E0000");
    assert!(got.unchecked.is_empty());

    let wrong_nonce = Expected {
        nonce: Some(&[0; 8]),
        ..expected
    };
    assert_eq!(
        token.open(krd_side, wrong_nonce).unwrap_err().check(),
        Some(Check::Nonce)
    );
}
