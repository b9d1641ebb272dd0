//! The KDH side: build a two-pass token for one KRD (for the AWS emulator, tests and the demo).
//!
//! keybridge writes [`Shape::Aws`] unless told otherwise: the layout of AWS's public samples, which
//! is what AWS Payment Cryptography's `ExportKey` returns and what the emulator must imitate.
//! [`Shape::Dspread`] reproduces the vendor demo's token (version 0x49, no NULL in the OAEP hash
//! identifier; the demo's nonce is 16 bytes, AWS's 8, and the nonce is the caller's).

use rsa::{Oaep, Pkcs1v15Sign};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::asn1::{self, tag};
use super::error::Tr34Error;
use super::keyblock::KeyBlock;
use super::oids;
use super::pki::{Certificate, PrivateKey, require_rsa_bits};
use super::token::{ContentCipher, IssuerSerial};
use crate::crypto::BlockCipher;

/// The two layouts real tokens have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// SignedData and SignerInfo version 1, NULL in the OAEP hash AlgorithmIdentifier (AWS's
    /// samples; what keybridge writes).
    Aws,
    /// Version 0x49 in both places and no NULL (the vendor demo's token).
    Dspread,
}

impl Shape {
    fn version(self) -> u8 {
        match self {
            Self::Aws => 1,
            Self::Dspread => 0x49,
        }
    }
}

/// The KDH: its signing key and certificate.
#[derive(Debug, Clone, Copy)]
pub struct Kdh<'a> {
    pub key: &'a PrivateKey,
    pub certificate: &'a Certificate,
}

/// What to send.
#[derive(Debug, Clone, Copy)]
pub struct Payload<'a> {
    /// The clear key.
    pub key: &'a [u8],
    /// Its key block header (16 characters, e.g. `D0000K0TB00E0000`).
    pub header: &'a str,
    /// The nonce the KRD issued.
    pub nonce: &'a [u8],
    pub cipher: ContentCipher,
    pub shape: Shape,
}

/// Builds a token of `payload` for the KRD holding `krd_certificate`, signed by `kdh`.
pub fn build(kdh: Kdh<'_>, krd_certificate: &Certificate, payload: Payload<'_>) -> Result<Vec<u8>, Tr34Error> {
    require_rsa_bits("KDH private key", kdh.key.bits())?;
    require_rsa_bits("KRD certificate", krd_certificate.rsa_bits())?;
    if kdh.key.public_key() != *kdh.certificate.public_key() {
        return Err(Tr34Error::Build("the KDH key is not the KDH certificate's".into()));
    }
    if payload.header.len() != 16 || !payload.header.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Tr34Error::Build(
            "the key block header must be 16 letters and digits".into(),
        ));
    }
    if payload.nonce.is_empty() {
        return Err(Tr34Error::Build("the nonce is empty".into()));
    }
    let inner = Inner {
        kdh: kdh.certificate.issuer_serial(),
        header: payload.header,
    };
    assemble(kdh, krd_certificate, payload, inner)
}

/// What goes inside the encrypted key block besides the key. Always the signer and the signed
/// header, except in this module's tests, which build the tokens a KRD must refuse.
pub(super) struct Inner<'a> {
    pub kdh: IssuerSerial,
    pub header: &'a str,
}

/// Builds the token without the sanity checks of [`build`].
pub(super) fn assemble(
    kdh: Kdh<'_>,
    krd_certificate: &Certificate,
    payload: Payload<'_>,
    inner: Inner<'_>,
) -> Result<Vec<u8>, Tr34Error> {
    let shape = payload.shape;
    let cipher = payload.cipher;
    let kdh_id = kdh.certificate.issuer_serial();
    let mut rng = rsa::rand_core::OsRng;

    let mut content_key = Zeroizing::new(vec![0u8; cipher.key_len()]);
    let mut iv = vec![0u8; cipher.block_size()];
    crate::crypto::random::fill(&mut content_key).map_err(|e| Tr34Error::Build(e.to_string()))?;
    crate::crypto::random::fill(&mut iv).map_err(|e| Tr34Error::Build(e.to_string()))?;
    let mut content = KeyBlock::encode_padded(&inner.kdh, payload.key, inner.header, cipher.block_size());
    BlockCipher::new(cipher.family(), &content_key)
        .map_err(|_| Tr34Error::Build("content key length".into()))?
        .cbc_encrypt(&iv, &mut content);
    let encrypted_key = krd_certificate
        .public_key()
        .encrypt(&mut rng, Oaep::new::<Sha256>(), &content_key)
        .map_err(|e| Tr34Error::Build(format!("RSAES-OAEP: {e}")))?;

    let envelope = enveloped_content(
        &krd_certificate.issuer_serial(),
        shape == Shape::Aws,
        &encrypted_key,
        cipher,
        &iv,
        &content,
    );
    let sha256 = asn1::oid(&oids::SHA256);
    let null = asn1::tlv(tag::NULL, &[]);

    let attribute = |oid: &der::oid::ObjectIdentifier, value: Vec<u8>| {
        asn1::sequence(&[&asn1::oid(oid), &asn1::tlv(tag::SET, &[&value])])
    };
    // TR-34's order (contentType, nonce, header, messageDigest), not DER SET OF order: the
    // signature is over these bytes as written, which is what KRDs verify.
    let attributes = [
        attribute(&oids::CONTENT_TYPE, asn1::oid(&oids::ENVELOPED_DATA)),
        attribute(&oids::RANDOM_NONCE, asn1::tlv(tag::OCTET_STRING, &[payload.nonce])),
        attribute(&oids::DATA, asn1::tlv(tag::OCTET_STRING, &[payload.header.as_bytes()])),
        attribute(
            &oids::MESSAGE_DIGEST,
            asn1::tlv(tag::OCTET_STRING, &[&Sha256::digest(&envelope)]),
        ),
    ]
    .concat();
    let signature = kdh
        .key
        .rsa()
        .sign_with_rng(
            &mut rng,
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(asn1::tlv(tag::SET, &[&attributes])),
        )
        .map_err(|e| Tr34Error::Build(format!("signature: {e}")))?;
    // rsaEncryption with NULL in both shapes (the vendor's token has it too).
    let signature_algorithm = asn1::sequence(&[&asn1::oid(&oids::RSA_ENCRYPTION), &null]);
    let version = asn1::small_uint(shape.version());
    let signer_info = asn1::sequence(&[
        &version,
        &kdh_id.encode(),
        &asn1::sequence(&[&sha256]),
        &asn1::tlv(tag::CONTEXT_0, &[&attributes]),
        &signature_algorithm,
        &asn1::tlv(tag::OCTET_STRING, &[&signature]),
    ]);
    let signed_data = asn1::sequence(&[
        &version,
        &asn1::tlv(tag::SET, &[&asn1::sequence(&[&sha256])]),
        &asn1::sequence(&[
            &asn1::oid(&oids::ENVELOPED_DATA),
            &asn1::tlv(tag::CONTEXT_0, &[&asn1::tlv(tag::OCTET_STRING, &[&envelope])]),
        ]),
        &asn1::tlv(tag::SET, &[&signer_info]),
    ]);
    Ok(asn1::sequence(&[
        &asn1::oid(&oids::SIGNED_DATA),
        &asn1::tlv(tag::CONTEXT_0, &[&signed_data]),
    ]))
}

/// The EnvelopedData body (without its SEQUENCE header, as TR-34 tokens carry it) for one KRD:
/// what messageDigest covers. `oaep_hash_null` is AWS's NULL in the OAEP hash identifier. Shared
/// with the SDK envelope's reader, which rebuilds it to check the digest.
pub(super) fn enveloped_content(
    recipient: &IssuerSerial,
    oaep_hash_null: bool,
    encrypted_key: &[u8],
    cipher: ContentCipher,
    iv: &[u8],
    encrypted_content: &[u8],
) -> Vec<u8> {
    let sha256 = asn1::oid(&oids::SHA256);
    let oaep_hash = if oaep_hash_null {
        asn1::sequence(&[&sha256, &asn1::tlv(tag::NULL, &[])])
    } else {
        asn1::sequence(&[&sha256])
    };
    // Untagged, as real tokens write them (see token.rs).
    let oaep_params = asn1::sequence(&[
        &oaep_hash,
        &asn1::sequence(&[&asn1::oid(&oids::MGF1), &asn1::sequence(&[&sha256])]),
        &asn1::sequence(&[&asn1::oid(&oids::P_SPECIFIED), &asn1::tlv(tag::OCTET_STRING, &[])]),
    ]);
    let recipient_info = asn1::sequence(&[
        &asn1::small_uint(0),
        &recipient.encode(),
        &asn1::sequence(&[&asn1::oid(&oids::RSAES_OAEP), &oaep_params]),
        &asn1::tlv(tag::OCTET_STRING, &[encrypted_key]),
    ]);
    let encrypted_content_info = asn1::sequence(&[
        &asn1::oid(&oids::DATA),
        &asn1::sequence(&[&asn1::oid(&cipher.oid()), &asn1::tlv(tag::OCTET_STRING, &[iv])]),
        &asn1::tlv(tag::CONTEXT_0_PRIMITIVE, &[encrypted_content]),
    ]);
    [
        asn1::small_uint(0),
        asn1::tlv(tag::SET, &[&recipient_info]),
        encrypted_content_info,
    ]
    .concat()
}
