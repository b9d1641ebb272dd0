//! Object identifiers TR-34 tokens use.

use der::oid::ObjectIdentifier as Oid;

pub const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
pub const ENVELOPED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.3");
/// pkcs7-data: the encrypted content's type, and the signed attribute that carries the key block
/// header.
pub const DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
pub const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
pub const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
/// id-aa-randomNonce, TR-34's two-pass nonce.
pub const RANDOM_NONCE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.25.3");
pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
pub const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
pub const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
pub const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
pub const RSAES_OAEP: Oid = Oid::new_unwrap("1.2.840.113549.1.1.7");
pub const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");
pub const P_SPECIFIED: Oid = Oid::new_unwrap("1.2.840.113549.1.1.9");
pub const DES_EDE3_CBC: Oid = Oid::new_unwrap("1.2.840.113549.3.7");
pub const AES128_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.2");
pub const AES192_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.22");
pub const AES256_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.42");

/// A short name for the OIDs above, for `tr34 inspect`; dotted form otherwise.
pub fn name(oid: &Oid) -> String {
    const NAMES: &[(Oid, &str)] = &[
        (SIGNED_DATA, "signedData"),
        (ENVELOPED_DATA, "envelopedData"),
        (DATA, "data"),
        (CONTENT_TYPE, "contentType"),
        (MESSAGE_DIGEST, "messageDigest"),
        (RANDOM_NONCE, "randomNonce"),
        (SHA256, "sha256"),
        (RSA_ENCRYPTION, "rsaEncryption"),
        (SHA256_WITH_RSA, "sha256WithRSAEncryption"),
        (SHA384_WITH_RSA, "sha384WithRSAEncryption"),
        (SHA512_WITH_RSA, "sha512WithRSAEncryption"),
        (RSAES_OAEP, "rsaesOaep"),
        (MGF1, "mgf1"),
        (P_SPECIFIED, "pSpecified"),
        (DES_EDE3_CBC, "des-ede3-cbc"),
        (AES128_CBC, "aes128-cbc"),
        (AES192_CBC, "aes192-cbc"),
        (AES256_CBC, "aes256-cbc"),
    ];
    NAMES
        .iter()
        .find(|(known, _)| known == oid)
        .map_or_else(|| oid.to_string(), |(_, name)| (*name).to_owned())
}
