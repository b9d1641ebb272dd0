//! The KRD side: verify a token and take the key out of it.
//!
//! Order matters: everything that can be checked without the KRD's private key is checked
//! before it is used (key sizes, the KDH's chain, who signed, the digest, the signature, the nonce,
//! the recipient); only a token that passed all of that is decrypted, and the decrypted block is
//! then held to the signed attributes (header) and to the signer (KDH identity). The pieces are
//! shared with the SDK envelope's reader ([`super::envelope`]).

use rsa::{Oaep, Pkcs1v15Sign};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::asn1::{self, tag};
use super::error::{Check, Tr34Error};
use super::keyblock::KeyBlock;
use super::oids;
use super::pki::{Certificate, PrivateKey, require_rsa_bits};
use super::token::{ContentCipher, IssuerSerial, OaepParams, Tr34Token};
use crate::SecretBytes;
use crate::crypto::{BlockCipher, CipherFamily};
use crate::kcv::{self, KcvMethod};

/// This KRD: its private key and, when known, its certificate (the token must be addressed to it).
#[derive(Debug, Clone, Copy)]
pub struct Krd<'a> {
    pub key: &'a PrivateKey,
    pub certificate: Option<&'a Certificate>,
}

/// What the KRD trusts and expects.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The KDH's certificate (out of band, as AWS's `GetParametersForExport` gives it).
    pub kdh_certificate: &'a Certificate,
    /// The KDH CA the KRD trusts; `None` leaves [`Check::KdhChain`] undone.
    pub kdh_ca: Option<&'a Certificate>,
    /// The nonce this KRD issued for this token; `None` leaves [`Check::Nonce`] undone.
    pub nonce: Option<&'a [u8]>,
}

/// The key a token carried, once every check passed.
#[derive(Debug)]
pub struct ReceivedKey {
    /// The clear key (zeroized on drop, redacted in `Debug`).
    pub key: SecretBytes,
    /// The key block header, e.g. `A0016K0TN00E0000`.
    pub header: String,
    /// Key check value: legacy (3 bytes) for TDES keys, CMAC (5 bytes) for AES keys.
    pub kcv: Vec<u8>,
    pub kcv_method: KcvMethod,
    /// Checks left undone because the caller gave nothing to check against.
    pub unchecked: Vec<Check>,
}

impl Tr34Token {
    /// Verifies the token as a KRD must and decrypts the key. Each refusal names its check.
    pub fn open(&self, krd: Krd<'_>, expected: Expected<'_>) -> Result<ReceivedKey, Tr34Error> {
        let mut unchecked = Vec::new();
        require_rsa_bits("KRD private key", krd.key.bits())?;
        self.verify_origin(expected.kdh_certificate, expected.kdh_ca)?;
        if expected.kdh_ca.is_none() {
            unchecked.push(Check::KdhChain);
        }
        check_nonce(&self.signer.nonce, expected.nonce, &mut unchecked)?;
        let recipient = &self.envelope.recipient;
        match krd.certificate {
            Some(cert) => check_recipient(&recipient.id, cert, krd.key)?,
            None => unchecked.push(Check::Recipient),
        }
        let envelope = &self.envelope;
        let block = decrypt_key_block(
            krd.key,
            &recipient.oaep,
            &recipient.encrypted_key,
            envelope.cipher,
            &envelope.iv,
            &envelope.encrypted_content,
        )?;
        accept(block, &self.signer.id, &self.signer.header, unchecked)
    }

    /// What anyone holding the KDH's certificate can check, without the KRD's key: RSA sizes,
    /// the KDH's chain to `kdh_ca` (when given), that the KDH signed, the message digest and the
    /// signature over the signed attributes as received. The exporter runs this on what AWS
    /// returns; [`Tr34Token::open`] runs it first.
    pub fn verify_origin(&self, kdh: &Certificate, kdh_ca: Option<&Certificate>) -> Result<(), Tr34Error> {
        check_kdh(kdh, kdh_ca)?;
        let signer = &self.signer;
        if signer.id != kdh.issuer_serial() {
            return Err(Tr34Error::refused(
                Check::Signer,
                format!(
                    "signed by {} serial {}, not by the KDH certificate given",
                    signer.id.issuer_text(),
                    signer.id.serial_hex()
                ),
            ));
        }
        if signer.digest_algorithm != oids::SHA256 {
            return Err(Tr34Error::Unsupported {
                field: "SignerInfo.digestAlgorithm",
                found: oids::name(&signer.digest_algorithm),
            });
        }
        check_digest(&self.envelope.content, &signer.message_digest)?;
        if signer.signature_algorithm != oids::RSA_ENCRYPTION && signer.signature_algorithm != oids::SHA256_WITH_RSA {
            return Err(Tr34Error::Unsupported {
                field: "SignerInfo.signatureAlgorithm",
                found: oids::name(&signer.signature_algorithm),
            });
        }
        verify_signature(kdh, &signer.signed_attributes, &signer.signature)?;
        check_content_type(&signer.content_type)
    }
}

/// RSA sizes of the KDH and its CA, and the KDH's chain to the CA when one is given.
pub(super) fn check_kdh(kdh: &Certificate, kdh_ca: Option<&Certificate>) -> Result<(), Tr34Error> {
    require_rsa_bits("KDH certificate", kdh.rsa_bits())?;
    if let Some(ca) = kdh_ca {
        require_rsa_bits("KDH CA", ca.rsa_bits())?;
        kdh.check_issued_by(ca).map_err(|reason| {
            Tr34Error::refused(
                Check::KdhChain,
                format!("the KDH certificate is not from the trusted KDH CA: {reason}"),
            )
        })?;
    }
    Ok(())
}

/// messageDigest is the SHA-256 of the enveloped data.
pub(super) fn check_digest(content: &[u8], message_digest: &[u8]) -> Result<(), Tr34Error> {
    if bool::from(Sha256::digest(content).as_slice().ct_eq(message_digest)) {
        Ok(())
    } else {
        Err(Tr34Error::refused(
            Check::MessageDigest,
            "the messageDigest attribute is not the SHA-256 of the enveloped data",
        ))
    }
}

/// The KDH's PKCS#1 v1.5 SHA-256 signature over the attributes as received, re-tagged as a SET.
pub(super) fn verify_signature(kdh: &Certificate, attributes: &[u8], signature: &[u8]) -> Result<(), Tr34Error> {
    let signed = Sha256::digest(asn1::tlv(tag::SET, &[attributes]));
    kdh.public_key()
        .verify(Pkcs1v15Sign::new::<Sha256>(), &signed, signature)
        .map_err(|_| Tr34Error::refused(Check::Signature, "the KDH's key does not verify the signed attributes"))
}

pub(super) fn check_content_type(content_type: &der::oid::ObjectIdentifier) -> Result<(), Tr34Error> {
    if *content_type == oids::ENVELOPED_DATA {
        Ok(())
    } else {
        Err(Tr34Error::Unsupported {
            field: "contentType attribute",
            found: oids::name(content_type),
        })
    }
}

pub(super) fn check_nonce(signed: &[u8], issued: Option<&[u8]>, unchecked: &mut Vec<Check>) -> Result<(), Tr34Error> {
    match issued {
        Some(nonce) if nonce != signed => Err(Tr34Error::refused(
            Check::Nonce,
            format!("the token's nonce {} is not the one issued", hex::encode_upper(signed)),
        )),
        Some(_) => Ok(()),
        None => {
            unchecked.push(Check::Nonce);
            Ok(())
        }
    }
}

/// The token names this KRD's certificate, and that certificate holds the KRD's key.
pub(super) fn check_recipient(recipient: &IssuerSerial, cert: &Certificate, key: &PrivateKey) -> Result<(), Tr34Error> {
    if *recipient != cert.issuer_serial() {
        return Err(Tr34Error::refused(
            Check::Recipient,
            format!(
                "addressed to {} serial {}, not to this KRD's certificate",
                recipient.issuer_text(),
                recipient.serial_hex()
            ),
        ));
    }
    if *cert.public_key() != key.public_key() {
        return Err(Tr34Error::refused(
            Check::Recipient,
            "the KRD certificate's key is not the KRD private key",
        ));
    }
    Ok(())
}

/// RSAES-OAEP-SHA-256 for the content key, then the content cipher in CBC mode.
pub(super) fn decrypt_key_block(
    krd: &PrivateKey,
    oaep: &OaepParams,
    encrypted_key: &[u8],
    cipher: ContentCipher,
    iv: &[u8],
    encrypted_content: &[u8],
) -> Result<KeyBlock, Tr34Error> {
    if oaep.hash != oids::SHA256 || oaep.mgf_hash != oids::SHA256 {
        return Err(Tr34Error::Unsupported {
            field: "RSAES-OAEP parameters",
            found: format!("hash {}, MGF1 {}", oids::name(&oaep.hash), oids::name(&oaep.mgf_hash)),
        });
    }
    let label = String::from_utf8(oaep.label.clone()).map_err(|_| Tr34Error::Unsupported {
        field: "RSAES-OAEP label",
        found: "a label that is not text".into(),
    })?;
    let padding = if label.is_empty() {
        Oaep::new::<Sha256>()
    } else {
        Oaep::new_with_label::<Sha256, _>(label)
    };
    let content_key = Zeroizing::new(
        krd.rsa()
            .decrypt_blinded(&mut rsa::rand_core::OsRng, padding, encrypted_key)
            .map_err(|_| {
                Tr34Error::refused(
                    Check::KeyDecryption,
                    "the encrypted key does not decrypt under the KRD's key",
                )
            })?,
    );
    if content_key.len() != cipher.key_len() {
        return Err(Tr34Error::refused(
            Check::KeyDecryption,
            format!(
                "the content key has {} bytes; {cipher:?} needs {}",
                content_key.len(),
                cipher.key_len()
            ),
        ));
    }
    if iv.len() != cipher.block_size()
        || encrypted_content.is_empty()
        || !encrypted_content.len().is_multiple_of(cipher.block_size())
    {
        return Err(Tr34Error::refused(
            Check::ContentDecryption,
            "the IV or the encrypted content does not fit the cipher's block size",
        ));
    }
    let block = BlockCipher::new(cipher.family(), &content_key)
        .map_err(|_| Tr34Error::refused(Check::KeyDecryption, "the content key does not fit its cipher"))?;
    let mut plain = Zeroizing::new(encrypted_content.to_vec());
    block.cbc_decrypt(iv, &mut plain);
    KeyBlock::parse(&plain, cipher.block_size())
}

/// Holds the decrypted block to the signer and the signed header, and computes its KCV.
pub(super) fn accept(
    block: KeyBlock,
    signer: &IssuerSerial,
    signed_header: &str,
    unchecked: Vec<Check>,
) -> Result<ReceivedKey, Tr34Error> {
    if block.kdh != *signer {
        return Err(Tr34Error::refused(
            Check::KdhIdentity,
            format!(
                "the key block names {} serial {} as KDH, not the signer",
                block.kdh.issuer_text(),
                block.kdh.serial_hex()
            ),
        ));
    }
    if block.header != signed_header {
        return Err(Tr34Error::refused(
            Check::Header,
            format!("signed header {signed_header} but the key block holds {}", block.header),
        ));
    }
    let (kcv, kcv_method) = key_check_value(&block.key, &block.header)?;
    Ok(ReceivedKey {
        key: block.key,
        header: block.header,
        kcv,
        kcv_method,
        unchecked,
    })
}

/// The KCV a reader reports for this key: legacy for TDES (header algorithm `T`), CMAC for AES (`A`).
fn key_check_value(key: &SecretBytes, header: &str) -> Result<(Vec<u8>, KcvMethod), Tr34Error> {
    let (family, method) = match header.as_bytes().get(7) {
        Some(b'A') => (CipherFamily::Aes, KcvMethod::Cmac),
        Some(b'T') => (CipherFamily::Tdes, KcvMethod::Legacy),
        _ => {
            return Err(Tr34Error::Unsupported {
                field: "key block header algorithm",
                found: format!("{header:?}"),
            });
        }
    };
    let kcv = kcv::kcv(key.as_bytes(), family, method).map_err(|e| {
        Tr34Error::refused(
            Check::ContentDecryption,
            format!(
                "a {}-byte key does not fit the header's algorithm ({:?})",
                e.length, e.family
            ),
        )
    })?;
    Ok((kcv, method))
}
