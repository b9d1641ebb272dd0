//! The reader as a TR-34 Key Receiving Device: its RSA key and device certificate (issued by the
//! testkit's device CA), the KDH CA it trusts, the KDH certificate it holds, and the nonce it
//! issued last. An envelope is accepted only when `keybridge::tr34` finds everything a KRD must
//! check in order (the KDH's chain to the trusted CA, RSA sizes, signature, digest, recipient,
//! nonce, header, KDH identity); otherwise it is refused with the vendor's
//! `UpdateInformationResult`, and the refusal is logged with the check that failed.
//!
//! The identities are committed fixtures (`krd_pki/make.sh`): RSA-2048 key generation in a debug
//! build takes seconds per key. By default a reader trusts the AWS emulator's KDH CA and holds
//! the emulator's KDH certificate (as a reader provisioned at the factory would), so the emulator's
//! exports load with or without the KDH certificate sent first.

use std::sync::OnceLock;

use keybridge::SecretBytes;
use keybridge::device::command::UpdateResult;
use keybridge::tr34::{Certificate, Check, Expected, Krd, PrivateKey, SdkEnvelope};

/// How many reader identities the testkit holds (`krd_pki/krd-01` … `krd-32`).
pub const READER_IDENTITIES: usize = 32;

/// The nonce length a reader issues unless told otherwise: AWS's `RandomNonce` is 8 bytes.
pub const DEFAULT_NONCE_LEN: usize = 8;

macro_rules! readers {
    ($($n:literal),*) => {
        [$((include_str!(concat!("krd_pki/krd-", $n, ".key")), include_str!(concat!("krd_pki/krd-", $n, ".pem")))),*]
    };
}

/// (key PEM, certificate PEM) of each testkit reader.
const READERS: [(&str, &str); READER_IDENTITIES] = readers!(
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19",
    "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32"
);

/// The testkit's device CA: the CA every testkit reader certificate is issued by (what an
/// exporter imports into AWS as the readers' root certificate).
pub fn device_ca() -> Certificate {
    static CA: OnceLock<Certificate> = OnceLock::new();
    CA.get_or_init(|| parse_cert("testkit device CA", include_str!("krd_pki/device-ca.pem")))
        .clone()
}

/// The AWS emulator's KDH CA and KDH certificate (`../emulator/tr34_pki`).
pub fn emulator_kdh() -> (Certificate, Certificate) {
    static KDH: OnceLock<(Certificate, Certificate)> = OnceLock::new();
    KDH.get_or_init(|| {
        (
            parse_cert("emulator KDH CA", include_str!("../emulator/tr34_pki/kdh-ca.pem")),
            parse_cert("emulator KDH", include_str!("../emulator/tr34_pki/kdh.pem")),
        )
    })
    .clone()
}

fn parse_cert(role: &'static str, pem: &str) -> Certificate {
    Certificate::from_pem(role, pem).unwrap_or_else(|e| panic!("the committed {role} parses: {e}"))
}

/// A reader's TR-34 identity: its private key and device certificate.
#[derive(Debug, Clone)]
pub struct KrdIdentity {
    pub key: PrivateKey,
    pub certificate: Certificate,
}

impl KrdIdentity {
    /// Testkit reader `n` (1–32; larger numbers wrap around, so big fleets share identities).
    pub fn testkit(n: usize) -> Self {
        static CACHE: [OnceLock<KrdIdentity>; READER_IDENTITIES] = [const { OnceLock::new() }; READER_IDENTITIES];
        let index = n.saturating_sub(1) % READER_IDENTITIES;
        CACHE[index]
            .get_or_init(|| {
                let (key, cert) = READERS[index];
                Self {
                    key: PrivateKey::from_pem("testkit reader key", key)
                        .unwrap_or_else(|e| panic!("the committed reader key parses: {e}")),
                    certificate: parse_cert("testkit reader certificate", cert),
                }
            })
            .clone()
    }
}

/// What a simulated reader knows for TR-34.
#[derive(Debug, Clone)]
pub struct Tr34Config {
    /// Its key and device certificate; `None`: a reader without TR-34 (answers "not supported").
    pub identity: Option<KrdIdentity>,
    /// The KDH CA it trusts; a KDH certificate must chain to it.
    pub kdh_ca: Option<Certificate>,
    /// The KDH certificate it holds before any is sent (the factory's).
    pub kdh_certificate: Option<Certificate>,
    /// Bytes of each nonce it issues (8 for AWS, 16 in the vendor demo).
    pub nonce_len: usize,
}

impl Tr34Config {
    /// Testkit reader `n` trusting the AWS emulator's KDH CA and holding its KDH certificate.
    pub fn testkit(n: usize) -> Self {
        let (kdh_ca, kdh) = emulator_kdh();
        Self {
            identity: Some(KrdIdentity::testkit(n)),
            kdh_ca: Some(kdh_ca),
            kdh_certificate: Some(kdh),
            nonce_len: DEFAULT_NONCE_LEN,
        }
    }
}

impl Default for Tr34Config {
    /// [`Tr34Config::testkit`]`(1)`.
    fn default() -> Self {
        Self::testkit(1)
    }
}

/// An envelope the reader refused: the RESULT it answered and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tr34Refusal {
    pub outcome: UpdateResult,
    /// The KRD check that failed, when a check failed (not for a malformed envelope).
    pub check: Option<Check>,
    pub detail: String,
}

/// The KRD state of one reader.
pub(super) struct KrdState {
    pub config: Tr34Config,
    /// The nonce issued last, until an envelope uses it.
    pub nonce: Option<Vec<u8>>,
    pub refusals: Vec<Tr34Refusal>,
}

impl KrdState {
    pub fn new(config: Tr34Config) -> Self {
        Self {
            config,
            nonce: None,
            refusals: Vec::new(),
        }
    }

    /// Issues a fresh nonce and remembers it (the one before is forgotten).
    pub fn issue_nonce(&mut self) -> Option<Vec<u8>> {
        self.config.identity.as_ref()?;
        let mut nonce = vec![0u8; self.config.nonce_len];
        getrandom::fill(&mut nonce).ok()?;
        self.nonce = Some(nonce.clone());
        Some(nonce)
    }

    /// Verifies `envelope` and returns the KEK in it, checked with the KDH certificate sent before it (`kdh_der`, empty when none
    /// was) or the one held, and the nonce issued last (used up either way).
    pub fn open(&mut self, envelope: &[u8], kdh_der: &[u8]) -> Result<SecretBytes, Tr34Refusal> {
        let result = self.try_open(envelope, kdh_der);
        if let Err(refusal) = &result {
            self.refusals.push(refusal.clone());
        }
        result
    }

    fn try_open(&mut self, envelope: &[u8], kdh_der: &[u8]) -> Result<SecretBytes, Tr34Refusal> {
        let nonce = self.nonce.take();
        let fail = |outcome, detail: String| Tr34Refusal {
            outcome,
            check: None,
            detail,
        };
        if !kdh_der.is_empty() {
            let sent = Certificate::from_der("KDH certificate", kdh_der)
                .map_err(|e| fail(UpdateResult::PacketLenError, e.to_string()))?;
            self.config.kdh_certificate = Some(sent);
        }
        let config = &self.config;
        let (Some(identity), Some(kdh_ca), Some(kdh)) = (&config.identity, &config.kdh_ca, &config.kdh_certificate)
        else {
            return Err(fail(
                UpdateResult::Fail,
                "the reader has no TR-34 identity, trusted KDH CA or KDH certificate".into(),
            ));
        };
        let nonce = nonce.ok_or_else(|| fail(UpdateResult::Fail, "no nonce was issued for this envelope".into()))?;
        let parsed = SdkEnvelope::parse(envelope).map_err(|e| fail(UpdateResult::PacketLenError, e.to_string()))?;
        let received = parsed
            .open(
                Krd {
                    key: &identity.key,
                    certificate: Some(&identity.certificate),
                },
                Expected {
                    kdh_certificate: kdh,
                    kdh_ca: Some(kdh_ca),
                    nonce: Some(&nonce),
                },
            )
            .map_err(|e| Tr34Refusal {
                outcome: UpdateResult::PacketVerifyError,
                check: e.check(),
                detail: e.to_string(),
            })?;
        if !received.unchecked.is_empty() {
            return Err(fail(
                UpdateResult::PacketVerifyError,
                format!("checks left undone: {:?}", received.unchecked),
            ));
        }
        // A KEK: usage K0 or K1, TDES (the envelope carries TDES content and keys).
        let usage = received.header.get(5..7).unwrap_or_default();
        if !["K0", "K1"].contains(&usage) || received.header.as_bytes().get(7) != Some(&b'T') {
            return Err(fail(
                UpdateResult::Fail,
                format!("header {} is not a TDES key-encryption key", received.header),
            ));
        }
        Ok(received.key)
    }
}
