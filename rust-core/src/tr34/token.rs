//! Reading a TR-34 two-pass key token (KDH → KRD) into its parts, without keys.
//!
//! ```text
//! ContentInfo { signedData, [0] SignedData {
//!   version (1 in AWS's shape, 0x49 in the vendor's), digestAlgorithms { sha256 },
//!   encapContentInfo { envelopedData, [0] OCTET STRING  -- the EnvelopedData *body*:
//!       version, recipientInfos { KeyTransRecipientInfo { version, KRD issuer+serial,
//!           rsaesOaep { sha256 [NULL], mgf1 { sha256 }, pSpecified "" }   -- untagged
//!           encryptedKey } },
//!       EncryptedContentInfo { data, des-ede3-cbc|aesNNN-cbc IV, [0] ciphertext } },
//!   [0] certificates?, [1] crls?,
//!   signerInfos { SignerInfo { version, KDH issuer+serial, sha256,
//!       [0] { contentType, randomNonce, data (key block header), messageDigest }  -- as sent
//!       rsaEncryption|sha256WithRSAEncryption, signature } } } }
//! ```

use der::oid::ObjectIdentifier as Oid;
use serde::Serialize;

use super::asn1::{Cursor, Tlv, malformed, tag};
use super::error::Tr34Error;
use super::oids;

/// A parsed token. Owns copies of the parts the checks need; no secret is in the clear here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tr34Token {
    pub signed_data_version: u64,
    pub digest_algorithms: Vec<Oid>,
    /// DER certificates the token carries in SignedData's `[0]`, if any (AWS's and the vendor's
    /// carry none: the KDH certificate comes out of band).
    pub certificates: Vec<Vec<u8>>,
    pub envelope: Envelope,
    pub signer: Signer,
}

/// A certificate's issuer and serial number, as DER (how CMS names certificates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerSerial {
    /// The issuer Name, DER.
    pub issuer: Vec<u8>,
    /// The serial INTEGER's content bytes, as encoded.
    pub serial: Vec<u8>,
}

impl IssuerSerial {
    pub(crate) fn parse(tlv: &Tlv<'_>, field: &'static str) -> Result<Self, Tr34Error> {
        let mut inner = tlv.children();
        let issuer = inner.expect(tag::SEQUENCE, field)?;
        let serial = inner.expect(tag::INTEGER, field)?;
        inner.finish(field)?;
        let issuer_der = &tlv.value[issuer.offset - tlv.value_offset..serial.offset - tlv.value_offset];
        Ok(Self {
            issuer: issuer_der.to_vec(),
            serial: serial.value.to_vec(),
        })
    }

    /// DER `SEQUENCE { issuer, serial }`.
    pub(crate) fn encode(&self) -> Vec<u8> {
        super::asn1::sequence(&[&self.issuer, &super::asn1::tlv(tag::INTEGER, &[&self.serial])])
    }

    /// The issuer as RFC 4514 text (`CN=…,O=…`), or its hex if it is not a readable Name.
    pub fn issuer_text(&self) -> String {
        use der::Decode;
        x509_cert::name::Name::from_der(&self.issuer)
            .map(|n| n.to_string())
            .unwrap_or_else(|_| hex::encode_upper(&self.issuer))
    }

    /// Upper-case hex of the serial, without a sign byte.
    pub fn serial_hex(&self) -> String {
        let digits = match self.serial.as_slice() {
            [0, rest @ ..] if !rest.is_empty() => rest,
            s => s,
        };
        hex::encode_upper(digits)
    }
}

/// The EnvelopedData the SignedData carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The eContent octets exactly as sent: what messageDigest covers.
    pub content: Vec<u8>,
    pub version: u64,
    pub recipient: Recipient,
    pub content_type: Oid,
    pub cipher: ContentCipher,
    pub iv: Vec<u8>,
    pub encrypted_content: Vec<u8>,
}

/// The one KeyTransRecipientInfo: the KRD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub version: u64,
    pub id: IssuerSerial,
    pub oaep: OaepParams,
    pub encrypted_key: Vec<u8>,
}

/// RSAES-OAEP parameters as the token writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OaepParams {
    #[serde(serialize_with = "oid_name")]
    pub hash: Oid,
    /// Whether the hash AlgorithmIdentifier carries a NULL parameter (AWS's shape does).
    pub hash_null: bool,
    #[serde(serialize_with = "oid_name")]
    pub mgf_hash: Oid,
    /// Whether the parameters carry RFC 8017's [0]/[1]/[2] tags (real tokens do not).
    pub tagged: bool,
    /// The pSpecified label (empty in every token seen).
    #[serde(with = "hex_upper")]
    pub label: Vec<u8>,
}

/// The content-encryption algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ContentCipher {
    /// des-ede3-cbc: 24-byte key, 8-byte IV.
    TdesCbc,
    Aes128Cbc,
    Aes192Cbc,
    Aes256Cbc,
}

impl ContentCipher {
    const TABLE: [(ContentCipher, Oid, usize); 4] = [
        (Self::TdesCbc, oids::DES_EDE3_CBC, 24),
        (Self::Aes128Cbc, oids::AES128_CBC, 16),
        (Self::Aes192Cbc, oids::AES192_CBC, 24),
        (Self::Aes256Cbc, oids::AES256_CBC, 32),
    ];

    fn from_oid(oid: &Oid) -> Option<Self> {
        Self::TABLE.iter().find(|(_, o, _)| o == oid).map(|(c, _, _)| *c)
    }

    fn entry(self) -> (Oid, usize) {
        Self::TABLE
            .iter()
            .find(|(c, _, _)| *c == self)
            .map(|(_, o, n)| (*o, *n))
            .unwrap_or((oids::DES_EDE3_CBC, 24))
    }

    pub fn oid(self) -> Oid {
        self.entry().0
    }

    /// Length of the content-encryption key.
    pub fn key_len(self) -> usize {
        self.entry().1
    }

    pub fn family(self) -> crate::crypto::CipherFamily {
        match self {
            Self::TdesCbc => crate::crypto::CipherFamily::Tdes,
            _ => crate::crypto::CipherFamily::Aes,
        }
    }

    pub fn block_size(self) -> usize {
        match self {
            Self::TdesCbc => 8,
            _ => 16,
        }
    }
}

/// The one SignerInfo: the KDH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub version: u64,
    pub id: IssuerSerial,
    pub digest_algorithm: Oid,
    /// The `[0]` signed attributes' content, exactly as received. The signature covers
    /// `SET` (0x31) + length + these bytes.
    pub signed_attributes: Vec<u8>,
    /// The attribute OIDs in the order sent.
    pub attribute_order: Vec<Oid>,
    pub content_type: Oid,
    pub nonce: Vec<u8>,
    /// The key block header (16 characters in every token seen).
    pub header: String,
    pub message_digest: Vec<u8>,
    pub signature_algorithm: Oid,
    pub signature: Vec<u8>,
}

impl Signer {
    /// The bytes the signature is over: the attributes re-tagged as a SET, otherwise untouched.
    pub fn signed_bytes(&self) -> Vec<u8> {
        super::asn1::tlv(tag::SET, &[&self.signed_attributes])
    }
}

impl Tr34Token {
    /// Reads a DER token. Accepts AWS's shape and the vendor's (see the module docs); refuses
    /// anything else with the field and offset that did not fit.
    pub fn parse(der: &[u8]) -> Result<Self, Tr34Error> {
        let mut top = Cursor::new(der);
        let content_info = top.expect(tag::SEQUENCE, "ContentInfo")?;
        top.finish("ContentInfo")?;
        let mut ci = content_info.children();
        expect_oid(&mut ci, "ContentInfo.contentType", &oids::SIGNED_DATA)?;
        let wrapper = ci.expect(tag::CONTEXT_0, "ContentInfo.content")?;
        ci.finish("ContentInfo")?;
        let mut w = wrapper.children();
        let signed_data = w.expect(tag::SEQUENCE, "SignedData")?;
        w.finish("SignedData")?;

        let mut sd = signed_data.children();
        let signed_data_version = sd
            .expect(tag::INTEGER, "SignedData.version")?
            .small_uint("SignedData.version")?;
        let digest_set = sd.expect(tag::SET, "SignedData.digestAlgorithms")?;
        let mut digest_algorithms = Vec::new();
        let mut digests = digest_set.children();
        while !digests.is_empty() {
            let alg = digests.expect(tag::SEQUENCE, "SignedData.digestAlgorithms")?;
            digest_algorithms.push(algorithm(&alg, "SignedData.digestAlgorithms")?.0);
        }

        let encap = sd.expect(tag::SEQUENCE, "encapContentInfo")?;
        let mut ec = encap.children();
        expect_oid(&mut ec, "encapContentInfo.eContentType", &oids::ENVELOPED_DATA)?;
        let explicit = ec.expect(tag::CONTEXT_0, "encapContentInfo.eContent")?;
        ec.finish("encapContentInfo")?;
        let mut ex = explicit.children();
        let econtent = ex.expect(tag::OCTET_STRING, "encapContentInfo.eContent")?;
        ex.finish("encapContentInfo.eContent")?;
        let envelope = Envelope::parse(&econtent)?;

        let mut certificates = Vec::new();
        if let Some(certs) = sd.optional(tag::CONTEXT_0, "SignedData.certificates")? {
            let mut c = certs.children();
            while !c.is_empty() {
                let cert = c.any("SignedData.certificates")?;
                let start = cert.offset - certs.value_offset;
                let end = cert.value_offset - certs.value_offset + cert.value.len();
                certificates.push(certs.value[start..end].to_vec());
            }
        }
        sd.optional(tag::CONTEXT_1, "SignedData.crls")?;
        let signer_infos = sd.expect(tag::SET, "SignedData.signerInfos")?;
        sd.finish("SignedData")?;
        let mut si = signer_infos.children();
        let signer = si.expect(tag::SEQUENCE, "SignerInfo")?;
        if !si.is_empty() {
            return Err(Tr34Error::Unsupported {
                field: "SignedData.signerInfos",
                found: "more than one signer".into(),
            });
        }
        Ok(Self {
            signed_data_version,
            digest_algorithms,
            certificates,
            envelope,
            signer: Signer::parse(&signer)?,
        })
    }

    /// Reads a token given as hex (AWS returns it so), ignoring whitespace and `#` comment lines.
    pub fn parse_hex(text: &str) -> Result<Self, Tr34Error> {
        Self::parse(&decode_hex_token(text)?)
    }
}

/// Hex with whitespace and `#` comment lines allowed, as a token is kept in a file.
pub fn decode_hex_token(text: &str) -> Result<Vec<u8>, Tr34Error> {
    let digits: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .flat_map(|line| line.chars().filter(|c| !c.is_whitespace()))
        .collect();
    hex::decode(&digits).map_err(|e| Tr34Error::Malformed {
        field: "token hex",
        offset: match e {
            hex::FromHexError::InvalidHexCharacter { index, .. } => index,
            _ => digits.len(),
        },
        detail: "not hex".into(),
    })
}

impl Envelope {
    fn parse(econtent: &Tlv<'_>) -> Result<Self, Tr34Error> {
        // TR-34 puts the EnvelopedData body (its fields, without the outer SEQUENCE) in eContent,
        // as both AWS and the vendor do. A standard CMS writer would put the whole SEQUENCE there;
        // read that too.
        let mut body = econtent.children();
        if body.peek_tag() == Some(tag::SEQUENCE) {
            let whole = body.expect(tag::SEQUENCE, "EnvelopedData")?;
            body.finish("EnvelopedData")?;
            body = whole.children();
        }
        let version = body
            .expect(tag::INTEGER, "EnvelopedData.version")?
            .small_uint("EnvelopedData.version")?;
        let recipients = body.expect(tag::SET, "EnvelopedData.recipientInfos")?;
        let mut r = recipients.children();
        let ktri = r.expect(tag::SEQUENCE, "KeyTransRecipientInfo")?;
        if !r.is_empty() {
            return Err(Tr34Error::Unsupported {
                field: "EnvelopedData.recipientInfos",
                found: "more than one recipient".into(),
            });
        }
        let recipient = Recipient::parse(&ktri)?;

        let eci = body.expect(tag::SEQUENCE, "EncryptedContentInfo")?;
        body.finish("EnvelopedData")?;
        let mut e = eci.children();
        let content_type = read_oid(&mut e, "EncryptedContentInfo.contentType")?;
        let alg = e.expect(tag::SEQUENCE, "EncryptedContentInfo.contentEncryptionAlgorithm")?;
        let (cipher_oid, params) = algorithm(&alg, "EncryptedContentInfo.contentEncryptionAlgorithm")?;
        let cipher = ContentCipher::from_oid(&cipher_oid).ok_or_else(|| Tr34Error::Unsupported {
            field: "EncryptedContentInfo.contentEncryptionAlgorithm",
            found: oids::name(&cipher_oid),
        })?;
        let iv = match params {
            Some(p) if p.tag == tag::OCTET_STRING && p.value.len() == cipher.block_size() => p.value.to_vec(),
            _ => {
                return Err(malformed(
                    "EncryptedContentInfo IV",
                    alg.offset,
                    "no IV of the cipher's block size",
                ));
            }
        };
        let content = e.expect(tag::CONTEXT_0_PRIMITIVE, "EncryptedContentInfo.encryptedContent")?;
        e.finish("EncryptedContentInfo")?;
        if content.value.is_empty() || !content.value.len().is_multiple_of(cipher.block_size()) {
            return Err(malformed(
                "EncryptedContentInfo.encryptedContent",
                content.offset,
                "not a whole number of cipher blocks",
            ));
        }
        Ok(Self {
            content: econtent.value.to_vec(),
            version,
            recipient,
            content_type,
            cipher,
            iv,
            encrypted_content: content.value.to_vec(),
        })
    }
}

impl Recipient {
    fn parse(ktri: &Tlv<'_>) -> Result<Self, Tr34Error> {
        let mut k = ktri.children();
        let version = k
            .expect(tag::INTEGER, "KeyTransRecipientInfo.version")?
            .small_uint("KeyTransRecipientInfo.version")?;
        let rid = k.expect(tag::SEQUENCE, "KeyTransRecipientInfo.rid")?;
        let id = IssuerSerial::parse(&rid, "KeyTransRecipientInfo.rid")?;
        let alg = k.expect(tag::SEQUENCE, "KeyTransRecipientInfo.keyEncryptionAlgorithm")?;
        let (alg_oid, params) = algorithm(&alg, "KeyTransRecipientInfo.keyEncryptionAlgorithm")?;
        if alg_oid != oids::RSAES_OAEP {
            return Err(Tr34Error::Unsupported {
                field: "KeyTransRecipientInfo.keyEncryptionAlgorithm",
                found: oids::name(&alg_oid),
            });
        }
        let params = params
            .filter(|p| p.tag == tag::SEQUENCE)
            .ok_or_else(|| Tr34Error::Unsupported {
                field: "RSAES-OAEP parameters",
                found: "defaults (SHA-1)".into(),
            })?;
        let oaep = OaepParams::parse(&params)?;
        let encrypted_key = k.expect(tag::OCTET_STRING, "KeyTransRecipientInfo.encryptedKey")?;
        k.finish("KeyTransRecipientInfo")?;
        Ok(Self {
            version,
            id,
            oaep,
            encrypted_key: encrypted_key.value.to_vec(),
        })
    }
}

impl OaepParams {
    /// RFC 8017 writes `SEQUENCE { [0] hash, [1] mgf, [2] pSource }`; TR-34 tokens (AWS's, the
    /// vendor's) write the three AlgorithmIdentifiers bare, one after the other. Read both; an
    /// absent field takes RFC 8017's default only if it is SHA-1, which is refused later.
    pub(crate) fn parse(params: &Tlv<'_>) -> Result<Self, Tr34Error> {
        const FIELD: &str = "RSAES-OAEP parameters";
        let mut p = params.children();
        let mut tagged = false;
        let hash = next_oaep_field(&mut p, &mut tagged, 0xA0)?;
        let mgf = next_oaep_field(&mut p, &mut tagged, 0xA1)?;
        let source = next_oaep_field(&mut p, &mut tagged, 0xA2)?;
        p.finish(FIELD)?;

        let (hash, hash_null) = match hash {
            Some(h) => {
                let (oid, param) = algorithm(&h, "RSAES-OAEP hash")?;
                (oid, param.is_some_and(|p| p.tag == tag::NULL))
            }
            None => return Err(unsupported_sha1("RSAES-OAEP hash")),
        };
        let mgf_hash = match mgf {
            Some(m) => {
                let (oid, param) = algorithm(&m, "RSAES-OAEP mask generation")?;
                if oid != oids::MGF1 {
                    return Err(Tr34Error::Unsupported {
                        field: "RSAES-OAEP mask generation",
                        found: oids::name(&oid),
                    });
                }
                let param = param
                    .filter(|p| p.tag == tag::SEQUENCE)
                    .ok_or_else(|| malformed("RSAES-OAEP MGF1 hash", m.offset, "missing"))?;
                algorithm(&param, "RSAES-OAEP MGF1 hash")?.0
            }
            None => return Err(unsupported_sha1("RSAES-OAEP mask generation")),
        };
        let label = match source {
            Some(s) => {
                let (oid, param) = algorithm(&s, "RSAES-OAEP label source")?;
                if oid != oids::P_SPECIFIED {
                    return Err(Tr34Error::Unsupported {
                        field: "RSAES-OAEP label source",
                        found: oids::name(&oid),
                    });
                }
                match param {
                    Some(l) if l.tag == tag::OCTET_STRING => l.value.to_vec(),
                    _ => return Err(malformed("RSAES-OAEP label", s.offset, "not an OCTET STRING")),
                }
            }
            None => Vec::new(),
        };
        Ok(Self {
            hash,
            hash_null,
            mgf_hash,
            tagged,
            label,
        })
    }
}

/// The next OAEP parameter: an AlgorithmIdentifier, bare or inside its RFC 8017 `context` tag.
fn next_oaep_field<'a>(p: &mut Cursor<'a>, tagged: &mut bool, context: u8) -> Result<Option<Tlv<'a>>, Tr34Error> {
    const FIELD: &str = "RSAES-OAEP parameters";
    match p.peek_tag() {
        Some(t) if t == context => {
            *tagged = true;
            let wrapper = p.expect(context, FIELD)?;
            let mut inner = wrapper.children();
            let alg = inner.expect(tag::SEQUENCE, FIELD)?;
            inner.finish(FIELD)?;
            Ok(Some(alg))
        }
        Some(tag::SEQUENCE) => p.expect(tag::SEQUENCE, FIELD).map(Some),
        None => Ok(None),
        Some(_) => Err(malformed(FIELD, p.offset(), "not an AlgorithmIdentifier")),
    }
}

fn unsupported_sha1(field: &'static str) -> Tr34Error {
    Tr34Error::Unsupported {
        field,
        found: "SHA-1 (the RFC 8017 default)".into(),
    }
}

impl Signer {
    fn parse(signer: &Tlv<'_>) -> Result<Self, Tr34Error> {
        let mut s = signer.children();
        let version = s
            .expect(tag::INTEGER, "SignerInfo.version")?
            .small_uint("SignerInfo.version")?;
        let sid = s.expect(tag::SEQUENCE, "SignerInfo.sid")?;
        let id = IssuerSerial::parse(&sid, "SignerInfo.sid")?;
        let digest = s.expect(tag::SEQUENCE, "SignerInfo.digestAlgorithm")?;
        let digest_algorithm = algorithm(&digest, "SignerInfo.digestAlgorithm")?.0;
        let attrs = s.expect(tag::CONTEXT_0, "SignerInfo.signedAttrs")?;
        let sig_alg = s.expect(tag::SEQUENCE, "SignerInfo.signatureAlgorithm")?;
        let signature_algorithm = algorithm(&sig_alg, "SignerInfo.signatureAlgorithm")?.0;
        let signature = s.expect(tag::OCTET_STRING, "SignerInfo.signature")?;
        s.optional(0xA1, "SignerInfo.unsignedAttrs")?;
        s.finish("SignerInfo")?;

        let attributes = Attributes::parse(&attrs)?;
        Ok(Self {
            version,
            id,
            digest_algorithm,
            signed_attributes: attrs.value.to_vec(),
            attribute_order: attributes.order,
            content_type: attributes.content_type,
            nonce: attributes.nonce,
            header: attributes.header,
            message_digest: attributes.message_digest,
            signature_algorithm,
            signature: signature.value.to_vec(),
        })
    }
}

/// The signed attributes TR-34 requires, read in whatever order they come.
pub(crate) struct Attributes {
    pub order: Vec<Oid>,
    pub content_type: Oid,
    pub nonce: Vec<u8>,
    pub header: String,
    pub message_digest: Vec<u8>,
}

impl Attributes {
    /// Reads the `[0]` (or SET) element holding the attributes.
    pub(crate) fn parse(attrs: &Tlv<'_>) -> Result<Self, Tr34Error> {
        let mut content_type = None;
        let mut nonce = None;
        let mut header = None;
        let mut message_digest = None;
        let mut order = Vec::new();
        let mut a = attrs.children();
        while !a.is_empty() {
            let attr = a.expect(tag::SEQUENCE, "signed attribute")?;
            let mut parts = attr.children();
            let oid = read_oid(&mut parts, "signed attribute type")?;
            let values = parts.expect(tag::SET, "signed attribute values")?;
            parts.finish("signed attribute")?;
            let mut v = values.children();
            let value = v.any("signed attribute value")?;
            v.finish("signed attribute values (one value)")?;
            if order.contains(&oid) {
                return Err(malformed("signed attributes", attr.offset, "attribute repeated"));
            }
            order.push(oid);
            let slot = match oid {
                o if o == oids::CONTENT_TYPE => {
                    if value.tag != tag::OID {
                        return Err(malformed(
                            "contentType attribute",
                            value.offset,
                            "not an OBJECT IDENTIFIER",
                        ));
                    }
                    let oid = Oid::from_bytes(value.value)
                        .map_err(|_| malformed("contentType attribute", value.offset, "not an OBJECT IDENTIFIER"))?;
                    content_type = Some(oid);
                    continue;
                }
                o if o == oids::RANDOM_NONCE => &mut nonce,
                o if o == oids::DATA => {
                    header = Some(header_text(&value)?);
                    continue;
                }
                o if o == oids::MESSAGE_DIGEST => &mut message_digest,
                _ => continue,
            };
            if value.tag != tag::OCTET_STRING {
                return Err(malformed("signed attribute value", value.offset, "not an OCTET STRING"));
            }
            *slot = Some(value.value.to_vec());
        }
        let missing = |field| malformed(field, attrs.offset, "attribute missing");
        Ok(Self {
            order,
            content_type: content_type.ok_or_else(|| missing("contentType attribute"))?,
            nonce: nonce.ok_or_else(|| missing("randomNonce attribute"))?,
            header: header.ok_or_else(|| missing("key block header attribute"))?,
            message_digest: message_digest.ok_or_else(|| missing("messageDigest attribute"))?,
        })
    }
}

/// The key block header attribute: an OCTET STRING in AWS's samples; also read as a
/// Printable/IA5/UTF8String, since it is always printable ASCII.
fn header_text(value: &Tlv<'_>) -> Result<String, Tr34Error> {
    const STRING_TAGS: [u8; 4] = [tag::OCTET_STRING, 0x13, 0x16, 0x0C];
    if !STRING_TAGS.contains(&value.tag) {
        return Err(malformed("key block header attribute", value.offset, "not a string"));
    }
    if value.value.is_empty() || !value.value.iter().all(|b| (0x20..0x7F).contains(b)) {
        return Err(malformed(
            "key block header attribute",
            value.offset,
            "not printable ASCII",
        ));
    }
    Ok(String::from_utf8_lossy(value.value).into_owned())
}

fn read_oid(cursor: &mut Cursor<'_>, field: &'static str) -> Result<Oid, Tr34Error> {
    let tlv = cursor.expect(tag::OID, field)?;
    Oid::from_bytes(tlv.value).map_err(|_| malformed(field, tlv.offset, "not an OBJECT IDENTIFIER"))
}

fn expect_oid(cursor: &mut Cursor<'_>, field: &'static str, want: &Oid) -> Result<(), Tr34Error> {
    let offset = cursor.offset();
    let oid = read_oid(cursor, field)?;
    if oid != *want {
        return Err(Tr34Error::Malformed {
            field,
            offset,
            detail: format!("{}, expected {}", oids::name(&oid), oids::name(want)),
        });
    }
    Ok(())
}

/// An AlgorithmIdentifier: its OID and its parameters element, if any.
fn algorithm<'a>(alg: &Tlv<'a>, field: &'static str) -> Result<(Oid, Option<Tlv<'a>>), Tr34Error> {
    let mut a = alg.children();
    let oid = read_oid(&mut a, field)?;
    let params = if a.is_empty() { None } else { Some(a.any(field)?) };
    a.finish(field)?;
    Ok((oid, params))
}

fn oid_name<S: serde::Serializer>(oid: &Oid, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&oids::name(oid))
}

mod hex_upper {
    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_upper(bytes))
    }
}
