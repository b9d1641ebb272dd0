//! The enveloped content: TR-34's key block.
//!
//! ```text
//! SEQUENCE { INTEGER 1, SEQUENCE { KDH issuer, KDH serial }, OCTET STRING clear key,
//!            SEQUENCE { data, SET { OCTET STRING header } } }   then padding
//! ```

use zeroize::Zeroizing;

use super::asn1::{self, Cursor, malformed, tag};
use super::error::{Check, Tr34Error};
use super::oids;
use super::token::IssuerSerial;
use crate::SecretBytes;

/// A decrypted key block.
pub(crate) struct KeyBlock {
    pub kdh: IssuerSerial,
    pub key: SecretBytes,
    pub header: String,
}

impl KeyBlock {
    /// Reads the key block from decrypted content of `block_size`-byte blocks. Padding is read
    /// leniently: AWS's samples pad only when the block is not already aligned (so there may be
    /// none) and PKCS#7-style otherwise, so what follows the DER SEQUENCE is only required to be
    /// shorter than a block.
    pub fn parse(plain: &[u8], block_size: usize) -> Result<Self, Tr34Error> {
        let refuse = |detail: &str| Tr34Error::refused(Check::ContentDecryption, detail);
        let mut top = Cursor::new(plain);
        let seq = top
            .expect(tag::SEQUENCE, "key block")
            .map_err(|_| refuse("the decrypted content is not a key block (wrong key or corrupted)"))?;
        let used = seq.value_offset + seq.value.len();
        if plain.len() - used >= block_size {
            return Err(refuse("more than one block follows the key block"));
        }
        let mut k = seq.children();
        let version = k
            .expect(tag::INTEGER, "key block version")?
            .small_uint("key block version")?;
        if version != 1 {
            return Err(malformed("key block version", seq.offset, "not 1"));
        }
        let id = k.expect(tag::SEQUENCE, "key block KDH")?;
        let kdh = IssuerSerial::parse(&id, "key block KDH")?;
        let key = k.expect(tag::OCTET_STRING, "key block key")?;
        let attr = k.expect(tag::SEQUENCE, "key block header")?;
        k.finish("key block")?;
        let mut a = attr.children();
        let oid = a.expect(tag::OID, "key block header type")?;
        if oid.value != oids::DATA.as_bytes() {
            return Err(malformed("key block header type", oid.offset, "not pkcs7-data"));
        }
        let set = a.expect(tag::SET, "key block header")?;
        a.finish("key block header")?;
        let mut s = set.children();
        let header = s.any("key block header")?;
        s.finish("key block header")?;
        if !header.value.iter().all(|b| (0x20..0x7F).contains(b)) {
            return Err(malformed("key block header", header.offset, "not printable ASCII"));
        }
        Ok(Self {
            kdh,
            key: SecretBytes::from_slice(key.value),
            header: String::from_utf8_lossy(header.value).into_owned(),
        })
    }

    /// Encodes and pads (PKCS#7, always at least one byte) to `block_size`.
    pub fn encode_padded(kdh: &IssuerSerial, key: &[u8], header: &str, block_size: usize) -> Zeroizing<Vec<u8>> {
        let key_element = Zeroizing::new(asn1::tlv(tag::OCTET_STRING, &[key]));
        let header_attr = asn1::sequence(&[
            &asn1::oid(&oids::DATA),
            &asn1::tlv(tag::SET, &[&asn1::tlv(tag::OCTET_STRING, &[header.as_bytes()])]),
        ]);
        let mut block = Zeroizing::new(asn1::sequence(&[
            &asn1::small_uint(1),
            &kdh.encode(),
            &key_element,
            &header_attr,
        ]));
        let pad = block_size - block.len() % block_size;
        block.extend(std::iter::repeat_n(pad as u8, pad));
        block
    }
}
