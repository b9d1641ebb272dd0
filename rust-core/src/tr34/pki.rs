//! Certificates and RSA keys of the two parties, read with RustCrypto (`x509-cert`, `rsa`).

use der::{Decode, Encode};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::asn1::{Cursor, tag};
use super::error::{Check, Tr34Error};
use super::oids;
use super::token::IssuerSerial;

/// The smallest RSA modulus TR-34 allows.
pub const MIN_RSA_BITS: usize = 2048;

/// An X.509 certificate with an RSA key: a KDH's, a KRD's or a CA's.
#[derive(Debug, Clone)]
pub struct Certificate {
    der: Vec<u8>,
    pem: String,
    cert: x509_cert::Certificate,
    public_key: RsaPublicKey,
}

impl Certificate {
    /// The first certificate in a PEM text. `role` names it in errors ("KDH certificate").
    pub fn from_pem(role: &'static str, pem: &str) -> Result<Self, Tr34Error> {
        let first = x509_cert::Certificate::load_pem_chain(pem.as_bytes())
            .map_err(|e| credential(role, format!("not a PEM certificate ({e})")))?
            .into_iter()
            .next()
            .ok_or_else(|| credential(role, "no certificate in the PEM text".into()))?;
        let der = first.to_der().map_err(|e| credential(role, e.to_string()))?;
        Self::from_der(role, &der)
    }

    pub fn from_der(role: &'static str, der: &[u8]) -> Result<Self, Tr34Error> {
        let cert =
            x509_cert::Certificate::from_der(der).map_err(|e| credential(role, format!("not a certificate ({e})")))?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| credential(role, e.to_string()))?;
        let public_key =
            RsaPublicKey::from_public_key_der(&spki).map_err(|_| credential(role, "not an RSA key".into()))?;
        let pem =
            der::EncodePem::to_pem(&cert, der::pem::LineEnding::LF).map_err(|e| credential(role, e.to_string()))?;
        Ok(Self {
            der: der.to_vec(),
            pem,
            cert,
            public_key,
        })
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM text.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The certificate as AWS Payment Cryptography's API carries certificates: base64 of the PEM.
    pub fn to_base64_pem(&self) -> String {
        use base64ct::{Base64, Encoding};
        Base64::encode_string(self.pem.as_bytes())
    }

    /// Reads a certificate in AWS's form (base64 of the PEM text).
    pub fn from_base64_pem(role: &'static str, text: &str) -> Result<Self, Tr34Error> {
        use base64ct::{Base64, Encoding};
        let pem = Base64::decode_vec(text.trim()).map_err(|_| credential(role, "not base64".into()))?;
        Self::from_pem(role, &String::from_utf8_lossy(&pem))
    }

    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public_key
    }

    pub fn rsa_bits(&self) -> usize {
        self.public_key.n().bits()
    }

    /// How CMS names this certificate: its issuer and serial.
    pub fn issuer_serial(&self) -> IssuerSerial {
        let tbs = &self.cert.tbs_certificate;
        IssuerSerial {
            issuer: tbs.issuer.to_der().unwrap_or_default(),
            serial: tbs.serial_number.as_bytes().to_vec(),
        }
    }

    /// Subject as RFC 4514 text.
    pub fn subject(&self) -> String {
        self.cert.tbs_certificate.subject.to_string()
    }

    /// Checks that `ca` issued this certificate: the issuer name is the CA's subject and the CA's
    /// key verifies the signature over the TBS bytes as received. A CA with the right name but
    /// another key fails the second part. The error says which, in words.
    pub fn check_issued_by(&self, ca: &Certificate) -> Result<(), String> {
        if self.cert.tbs_certificate.issuer != ca.cert.tbs_certificate.subject {
            return Err(format!("its issuer is not {}", ca.subject()));
        }
        let tbs = self.tbs_bytes().ok_or("it has no readable TBS part")?;
        let signature = self
            .cert
            .signature
            .as_bytes()
            .ok_or("its signature is not whole bytes")?;
        let alg = self.cert.signature_algorithm.oid;
        let (scheme, digest) = match alg {
            a if a == oids::SHA256_WITH_RSA => (Pkcs1v15Sign::new::<Sha256>(), Sha256::digest(tbs).to_vec()),
            a if a == oids::SHA384_WITH_RSA => (Pkcs1v15Sign::new::<Sha384>(), Sha384::digest(tbs).to_vec()),
            a if a == oids::SHA512_WITH_RSA => (Pkcs1v15Sign::new::<Sha512>(), Sha512::digest(tbs).to_vec()),
            other => return Err(format!("it is signed with {}, not RSA with SHA-2", oids::name(&other))),
        };
        ca.public_key
            .verify(scheme, &digest, signature)
            .map_err(|_| format!("the key of {} does not verify its signature", ca.subject()))
    }

    /// The TBSCertificate exactly as encoded in the certificate.
    fn tbs_bytes(&self) -> Option<&[u8]> {
        let mut top = Cursor::new(&self.der);
        let cert = top.expect(tag::SEQUENCE, "certificate").ok()?;
        let tbs = cert.children().expect(tag::SEQUENCE, "tbsCertificate").ok()?;
        let start = tbs.offset;
        let end = tbs.value_offset + tbs.value.len();
        self.der.get(start..end)
    }
}

/// An RSA private key (a KRD's or a KDH's). Zeroized on drop (by `rsa`); `Debug` shows only its size.
#[derive(Clone)]
pub struct PrivateKey(RsaPrivateKey);

impl PrivateKey {
    /// PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM.
    pub fn from_pem(role: &'static str, pem: &str) -> Result<Self, Tr34Error> {
        RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
            .map(Self)
            .map_err(|_| credential(role, "not an unencrypted RSA private key in PEM".into()))
    }

    pub fn bits(&self) -> usize {
        self.0.n().bits()
    }

    pub fn public_key(&self) -> RsaPublicKey {
        self.0.to_public_key()
    }

    pub(crate) fn rsa(&self) -> &RsaPrivateKey {
        &self.0
    }
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey([REDACTED; RSA-{}])", self.bits())
    }
}

/// Refuses an RSA key under [`MIN_RSA_BITS`].
pub(crate) fn require_rsa_bits(role: &str, bits: usize) -> Result<(), Tr34Error> {
    if bits < MIN_RSA_BITS {
        return Err(Tr34Error::refused(
            Check::RsaKeySize,
            format!("the {role} has an RSA-{bits} key; TR-34 needs at least {MIN_RSA_BITS} bits"),
        ));
    }
    Ok(())
}

fn credential(role: &'static str, detail: String) -> Tr34Error {
    Tr34Error::Credential { role, detail }
}
