//! The vendor SDK's TR-34 envelope: what `loadSessionKeyByTR_34(hex)` sends to the reader.
//!
//! The vendor demo (`getDigitalEnvelopStr`) does not pass the CMS token; it cuts it into this
//! layout, which the SDK hex-decodes and sends in 0x40/0x00 chunks:
//!
//! ```text
//! TOTAL (2, little-endian: the whole envelope, TOTAL included) ‖ 01 00 00
//! ‖ L2 ‖ RSA-OAEP encrypted content key ‖ L2 ‖ TDES-CBC encrypted key block
//! ‖ IV length (1) ‖ IV ‖ key type (1, 01) ‖ L2 ‖ signed attributes as [0] (A0 …) ‖ L2 ‖ signature
//! ```
//! (L2: 2-byte big-endian length.) The demo writes the IV length as `"0" + hex(len)`, which is one
//! byte only for IVs under 16 bytes: the layout carries TDES content only.
//!
//! The envelope drops the recipient and the enveloped data's encoding, so the signature no longer
//! covers the encrypted key directly. A reader that knows its own certificate rebuilds the
//! enveloped data (trying AWS's and the vendor's OAEP identifier) and checks the signed digest
//! against it, so a substituted key is refused; without the certificate that check is reported
//! undone.

use super::asn1::{self, Cursor, malformed, tag};
use super::build::enveloped_content;
use super::error::{Check, Tr34Error};
use super::oids;
use super::open::{
    Expected, Krd, ReceivedKey, accept, check_content_type, check_digest, check_kdh, check_nonce, check_recipient,
    decrypt_key_block, verify_signature,
};
use super::pki::require_rsa_bits;
use super::token::{Attributes, ContentCipher, OaepParams, Tr34Token};

/// The key type byte the demo writes (`"01"`).
pub const KEY_TYPE: u8 = 0x01;
/// The three bytes after TOTAL.
const MARKER: [u8; 3] = [0x01, 0x00, 0x00];

/// The parts of the SDK envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkEnvelope {
    pub encrypted_key: Vec<u8>,
    pub encrypted_content: Vec<u8>,
    pub iv: Vec<u8>,
    pub key_type: u8,
    /// The signed attributes' content (without the `[0]` header), as the token had them.
    pub signed_attributes: Vec<u8>,
    pub signature: Vec<u8>,
}

impl SdkEnvelope {
    /// Cuts a token (as AWS returns it) into the envelope. TDES content only (see the module doc).
    pub fn from_token(token: &Tr34Token) -> Result<Self, Tr34Error> {
        if token.envelope.cipher != ContentCipher::TdesCbc {
            return Err(Tr34Error::Unsupported {
                field: "SDK envelope",
                found: format!("{:?} content (the envelope carries TDES only)", token.envelope.cipher),
            });
        }
        Ok(Self {
            encrypted_key: token.envelope.recipient.encrypted_key.clone(),
            encrypted_content: token.envelope.encrypted_content.clone(),
            iv: token.envelope.iv.clone(),
            key_type: KEY_TYPE,
            signed_attributes: token.signer.signed_attributes.clone(),
            signature: token.signer.signature.clone(),
        })
    }

    /// The envelope's bytes; `loadSessionKeyByTR_34` takes their upper-case hex.
    pub fn encode(&self) -> Result<Vec<u8>, Tr34Error> {
        let attributes = asn1::tlv(tag::CONTEXT_0, &[&self.signed_attributes]);
        let mut body = MARKER.to_vec();
        for part in [&self.encrypted_key, &self.encrypted_content] {
            push_l2(&mut body, part)?;
        }
        let iv_len = u8::try_from(self.iv.len())
            .ok()
            .filter(|n| *n < 16)
            .ok_or_else(|| Tr34Error::Build("the SDK envelope takes IVs under 16 bytes".into()))?;
        body.push(iv_len);
        body.extend_from_slice(&self.iv);
        body.push(self.key_type);
        push_l2(&mut body, &attributes)?;
        push_l2(&mut body, &self.signature)?;
        let total =
            u16::try_from(body.len() + 2).map_err(|_| Tr34Error::Build("the SDK envelope exceeds 64 KiB".into()))?;
        let mut out = total.to_le_bytes().to_vec();
        out.extend(body);
        Ok(out)
    }

    /// Reads an envelope (the reader's side of `loadSessionKeyByTR_34`). Errors name the field and
    /// its offset.
    pub fn parse(bytes: &[u8]) -> Result<Self, Tr34Error> {
        let mut r = Reader { bytes, at: 0 };
        let total = r.take(2, "envelope length")?;
        let total = usize::from(u16::from_le_bytes([total[0], total[1]]));
        if total != bytes.len() {
            return Err(malformed(
                "envelope length",
                0,
                &format!("says {total}, the envelope has {}", bytes.len()),
            ));
        }
        if r.take(3, "envelope marker")? != MARKER {
            return Err(malformed("envelope marker", 2, "not 01 00 00"));
        }
        let encrypted_key = r.l2("encrypted key")?.to_vec();
        let encrypted_content = r.l2("encrypted key block")?.to_vec();
        let iv_len = usize::from(r.take(1, "IV length")?[0]);
        let iv = r.take(iv_len, "IV")?.to_vec();
        let key_type = r.take(1, "key type")?[0];
        let attributes_at = r.at + 2;
        let attributes = r.l2("signed attributes")?;
        let signature = r.l2("signature")?.to_vec();
        if r.at != bytes.len() {
            return Err(malformed("envelope", r.at, "bytes after the signature"));
        }
        let mut c = Cursor::new(attributes);
        let tlv = c.expect(tag::CONTEXT_0, "signed attributes")?;
        c.finish("signed attributes")
            .map_err(|_| malformed("signed attributes", attributes_at, "trailing bytes"))?;
        Ok(Self {
            encrypted_key,
            encrypted_content,
            iv,
            key_type,
            signed_attributes: tlv.value.to_vec(),
            signature,
        })
    }

    /// Verifies and decrypts as the reader does with the envelope: KDH chain and sizes, the
    /// signature over the attributes, the nonce, the digest (rebuilt for this KRD's certificate),
    /// then decryption, header and KDH identity. Without the KRD's certificate, the digest and
    /// the recipient are reported unchecked.
    pub fn open(&self, krd: Krd<'_>, expected: Expected<'_>) -> Result<ReceivedKey, Tr34Error> {
        let mut unchecked = Vec::new();
        require_rsa_bits("KRD private key", krd.key.bits())?;
        let kdh = expected.kdh_certificate;
        check_kdh(kdh, expected.kdh_ca)?;
        if expected.kdh_ca.is_none() {
            unchecked.push(Check::KdhChain);
        }
        verify_signature(kdh, &self.signed_attributes, &self.signature)?;
        let wrapped = asn1::tlv(tag::CONTEXT_0, &[&self.signed_attributes]);
        let attributes = Attributes::parse(&Cursor::new(&wrapped).expect(tag::CONTEXT_0, "signed attributes")?)?;
        check_content_type(&attributes.content_type)?;
        check_nonce(&attributes.nonce, expected.nonce, &mut unchecked)?;
        match krd.certificate {
            Some(cert) => {
                check_recipient(&cert.issuer_serial(), cert, krd.key)?;
                let digest_of = |hash_null| {
                    enveloped_content(
                        &cert.issuer_serial(),
                        hash_null,
                        &self.encrypted_key,
                        ContentCipher::TdesCbc,
                        &self.iv,
                        &self.encrypted_content,
                    )
                };
                check_digest(&digest_of(true), &attributes.message_digest)
                    .or_else(|_| check_digest(&digest_of(false), &attributes.message_digest))?;
            }
            None => unchecked.extend([Check::MessageDigest, Check::Recipient]),
        }
        let oaep = OaepParams {
            hash: oids::SHA256,
            hash_null: true,
            mgf_hash: oids::SHA256,
            tagged: false,
            label: Vec::new(),
        };
        let block = decrypt_key_block(
            krd.key,
            &oaep,
            &self.encrypted_key,
            ContentCipher::TdesCbc,
            &self.iv,
            &self.encrypted_content,
        )?;
        accept(block, &kdh.issuer_serial(), &attributes.header, unchecked)
    }
}

fn push_l2(out: &mut Vec<u8>, part: &[u8]) -> Result<(), Tr34Error> {
    let len = u16::try_from(part.len()).map_err(|_| Tr34Error::Build("an envelope part exceeds 64 KiB".into()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(part);
    Ok(())
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], Tr34Error> {
        let part = self
            .bytes
            .get(self.at..)
            .and_then(|rest| rest.get(..n))
            .ok_or_else(|| malformed(field, self.at, "runs past the end"))?;
        self.at += n;
        Ok(part)
    }

    fn l2(&mut self, field: &'static str) -> Result<&'a [u8], Tr34Error> {
        let len = self.take(2, field)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        self.take(len, field)
    }
}
