//! A reader's own KEK by TR-34: [`KeyLoader::load_kek_tr34`] takes the token as AWS Payment
//! Cryptography's `ExportKey` returns it (`Tr34KeyBlock`, DER), cuts it into the vendor SDK's
//! envelope ([`SdkEnvelope`]), sends it the way `loadSessionKeyByTR_34` does (0x40/0x00 chunks,
//! 0x40/0x10 close) and reports success only when the reader's MKSK_TMK check value at
//! [`TR34_KEK_SLOT`] matches the KEK's known KCV.
//!
//! [`KeyLoader::krd_credentials`] reads what AWS needs first: the reader's device certificate
//! (a command keybridge chose, unconfirmed on real readers, see
//! [`TR34_COMMANDS`](crate::device::command::TR34_COMMANDS)) and a fresh nonce (`getTR31Token`).
//!
//! The reader is the verifier (KRD): it checks the KDH's chain, the signature, the digest, the
//! recipient, its nonce and the header, and answers with the vendor's `UpdateInformationResult`.
//! The host only parses the token to build the envelope; it does not second-guess the reader, so a
//! refusal comes back as [`KekLoadError::Refused`] with the reader's RESULT.

use std::time::{Duration, Instant};

use crate::device::answer::ReaderStatus;
use crate::device::command::{
    CERTIFICATE_PAGE_LEN, CheckValueType, TR34_CHUNK, TR34_CHUNK_END, TR34_CLOSE_TIMEOUT, TR34_KEK_SLOT, TR34_NONCE,
    TR34_READ_KRD_CERTIFICATE, TR34_STORE_KDH_CERTIFICATE, UpdateResult, certificate_page_request, chunk_data,
    parse_certificate_page,
};
use crate::device::session::SessionError;
use crate::kcv::MIN_KCV_LEN;
use crate::tr34::{Certificate, SdkEnvelope, Tr34Error, Tr34Token};

use super::outcome::{KcvCheck, compare_kcvs};
use super::{KeyLoader, LoadError, invalid};

/// What a TR-34 KEK load needs besides the token.
#[derive(Debug, Clone, Default)]
pub struct KekLoadRequest {
    /// The KEK's KCV as AWS reports it (legacy, at least 3 bytes): the reader's must match it.
    pub expected_kcv: Vec<u8>,
    /// The KDH's certificate (AWS's `SigningKeyCertificate`), sent to the reader before the
    /// envelope; `None` for a reader that already holds it.
    pub kdh_certificate: Option<Certificate>,
}

/// A KEK the reader holds, proven by its check value.
#[derive(Debug, Clone)]
pub struct KekLoadOutcome {
    /// The key index whose MKSK_TMK check value was read ([`TR34_KEK_SLOT`]).
    pub slot: u8,
    /// The token's key block header (e.g. `D0000K0TB00E0000`).
    pub header: String,
    /// The reader's KCV of the KEK; it matched the expected one.
    pub reader_kcv: Vec<u8>,
    pub elapsed: Duration,
}

/// What the reader tells an exporter: its device certificate and the nonce it issued.
#[derive(Debug, Clone)]
pub struct KrdCredentials {
    /// The reader's (KRD's) certificate: AWS wraps the KEK for its key.
    pub certificate: Certificate,
    /// The nonce the next token must carry.
    pub nonce: Vec<u8>,
}

/// Why a TR-34 KEK load or query failed. No variant means the KEK was loaded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KekLoadError {
    /// The token does not read as TR-34 or does not fit the SDK envelope: nothing was sent.
    #[error("{0}")]
    Token(Tr34Error),
    /// The reader refused the envelope (or the KDH certificate) with this RESULT: the vendor's
    /// `onRequestUpdateWorkKeyResult` outcome. It does not hold the KEK.
    #[error("the reader refused the TR-34 token: {outcome} (result 0x{result:02X})")]
    Refused { result: u8, outcome: UpdateResult },
    /// Anything else: the exchange failed, the KCV differs or could not be compared, or the
    /// outcome is unknown ([`LoadError::Indeterminate`]).
    #[error("{0}")]
    Load(LoadError),
}

impl From<LoadError> for KekLoadError {
    fn from(error: LoadError) -> Self {
        Self::Load(error)
    }
}

impl From<SessionError> for KekLoadError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::Reader(status) => match status.result_code() {
                Some(result) => Self::Refused {
                    result,
                    outcome: UpdateResult::from_result(result),
                },
                None => Self::Load(LoadError::Reader(status)),
            },
            other => Self::Load(other.into()),
        }
    }
}

impl KekLoadError {
    /// The vendor's `UpdateInformationResult` for a refusal (`None` for other failures, which the
    /// SDK reports through `onError`).
    pub fn update_result(&self) -> Option<UpdateResult> {
        match self {
            Self::Refused { outcome, .. } => Some(*outcome),
            _ => None,
        }
    }
}

impl KeyLoader {
    /// The reader's device certificate (DER, read in pages with the chosen command
    /// `TR34_READ_KRD_CERTIFICATE`).
    pub fn krd_certificate(&mut self) -> Result<Certificate, KekLoadError> {
        let mut der = Vec::new();
        loop {
            let offset = u16::try_from(der.len()).map_err(|_| protocol("the device certificate exceeds 64 KiB"))?;
            let body = self
                .session
                .request(TR34_READ_KRD_CERTIFICATE, certificate_page_request(offset), None)?;
            let (total, page) = parse_certificate_page(&body.data).map_err(|e| protocol(&e))?;
            if page.is_empty() || page.len() > CERTIFICATE_PAGE_LEN || der.len() + page.len() > total {
                return Err(protocol(&format!(
                    "a certificate page of {} bytes at offset {offset} of a {total}-byte certificate",
                    page.len()
                )));
            }
            der.extend_from_slice(page);
            if der.len() == total {
                return Certificate::from_der("device certificate", &der).map_err(KekLoadError::Token);
            }
        }
    }

    /// A fresh nonce from the reader (`getTR31Token`): the next token must carry it.
    pub fn tr34_nonce(&mut self) -> Result<Vec<u8>, KekLoadError> {
        let body = self.session.request(TR34_NONCE, Vec::new(), None)?;
        if body.data.is_empty() {
            return Err(protocol("the reader answered getTR31Token without a nonce"));
        }
        Ok(body.data)
    }

    /// The reader's certificate, then a fresh nonce: what `ExportKey` with `Tr34KeyBlock` needs.
    pub fn krd_credentials(&mut self) -> Result<KrdCredentials, KekLoadError> {
        let certificate = self.krd_certificate()?;
        let nonce = self.tr34_nonce()?;
        Ok(KrdCredentials { certificate, nonce })
    }

    /// Sends the KDH's certificate for the next envelope (the chosen command
    /// `TR34_STORE_KDH_CERTIFICATE`, in chunks like the envelope's).
    pub fn store_kdh_certificate(&mut self, certificate: &Certificate) -> Result<(), KekLoadError> {
        for chunk in chunk_data(certificate.der()) {
            self.session.request(TR34_STORE_KDH_CERTIFICATE, chunk, None)?;
        }
        Ok(())
    }

    /// Sends an SDK envelope as `loadSessionKeyByTR_34` does and returns when the reader answers
    /// UPDATE_SUCCESS. This is the reader's word only: [`load_kek_tr34`](Self::load_kek_tr34)
    /// also proves the KEK by its KCV.
    pub fn send_tr34_envelope(&mut self, envelope: &[u8]) -> Result<(), KekLoadError> {
        self.send_envelope(envelope).map_err(KekLoadError::from)
    }

    /// Loads the KEK in a TR-34 token (DER, as AWS returns it) and proves it by the reader's
    /// MKSK_TMK check value at [`TR34_KEK_SLOT`], which must match `request.expected_kcv`. Success
    /// only then; a lost answer to the close is settled by that KCV, never by sending again.
    pub fn load_kek_tr34(&mut self, token: &[u8], request: &KekLoadRequest) -> Result<KekLoadOutcome, KekLoadError> {
        let start = Instant::now();
        if request.expected_kcv.len() < MIN_KCV_LEN {
            return Err(invalid(&format!(
                "the expected KCV is {} bytes; at least {MIN_KCV_LEN} are needed to tell keys apart",
                request.expected_kcv.len()
            ))
            .into());
        }
        let token = Tr34Token::parse(token).map_err(KekLoadError::Token)?;
        let envelope = SdkEnvelope::from_token(&token)
            .and_then(|e| e.encode())
            .map_err(KekLoadError::Token)?;
        if let Some(kdh) = &request.kdh_certificate {
            self.store_kdh_certificate(kdh)?;
        }
        let expected = [(request.expected_kcv.clone(), KcvCheck::MatchedExpected)];
        let sent = self.send_envelope(&envelope);
        let reader_kcv = match sent {
            Ok(()) => self.kek_kcv().map_err(|e| after_success(e, &request.expected_kcv))?,
            Err(SessionError::Cancelled) => return Err(LoadError::Cancelled.into()),
            Err(e) if e.outcome_unknown() || matches!(e, SessionError::Disconnected { .. }) => {
                self.kek_kcv().map_err(|read| LoadError::Indeterminate {
                    reason: format!("{e} after the TR-34 envelope was sent, and reading the KEK's KCV failed: {read}"),
                })?
            }
            Err(e) => return Err(e.into()),
        };
        compare_kcvs(&reader_kcv, &expected)?;
        Ok(KekLoadOutcome {
            slot: TR34_KEK_SLOT,
            header: token.signer.header.clone(),
            reader_kcv,
            elapsed: start.elapsed(),
        })
    }

    /// The chunks, then the close with the SDK's 180-second wait.
    fn send_envelope(&mut self, envelope: &[u8]) -> Result<(), SessionError> {
        for chunk in chunk_data(envelope) {
            self.session.request(TR34_CHUNK, chunk, None)?;
        }
        let wait = Duration::from_secs(TR34_CLOSE_TIMEOUT.into());
        self.session.request(TR34_CHUNK_END, Vec::new(), Some(wait)).map(drop)
    }

    fn kek_kcv(&mut self) -> Result<Vec<u8>, SessionError> {
        self.read_check_value(TR34_KEK_SLOT, CheckValueType::MkskTmk, None)
    }
}

/// The reader said UPDATE_SUCCESS but its KCV cannot be read: never a success.
fn after_success(error: SessionError, expected: &[u8]) -> KekLoadError {
    match error {
        SessionError::Reader(ReaderStatus::NotSupported) => LoadError::KcvUncompared {
            expected: hex::encode_upper(expected),
        },
        SessionError::Cancelled => LoadError::Cancelled,
        e => LoadError::Indeterminate {
            reason: format!("the reader accepted the TR-34 envelope, but reading its KEK's KCV failed: {e}"),
        },
    }
    .into()
}

fn protocol(what: &str) -> KekLoadError {
    LoadError::Protocol(what.into()).into()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::device::answer::TYPE_OK;
    use crate::device::frame::{Frame, FrameCodec};
    use crate::device::transport::{Transport, memory_pair};
    use crate::kcv::{self, KcvMethod};
    use crate::loader::LoaderConfig;
    use crate::tr34::{ContentCipher, Kdh, Payload, PrivateKey, Shape, build};

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!("../../tests/fixtures/tr34/", $name))
        };
    }

    const KEK: [u8; 16] = *b"\x01\x23\x45\x67\x89\xAB\xCD\xEF\xFE\xDC\xBA\x98\x76\x54\x32\x10";

    fn kek_kcv() -> Vec<u8> {
        kcv::kcv(&KEK, crate::crypto::CipherFamily::Tdes, KcvMethod::Legacy).unwrap()
    }

    fn token() -> Vec<u8> {
        let kdh_key = PrivateKey::from_pem("KDH", fixture!("kdh.key")).unwrap();
        let kdh_cert = Certificate::from_pem("KDH", fixture!("kdh.pem")).unwrap();
        let krd = Certificate::from_pem("KRD", fixture!("krd.pem")).unwrap();
        let kdh = Kdh {
            key: &kdh_key,
            certificate: &kdh_cert,
        };
        let payload = Payload {
            key: &KEK,
            header: "D0000K0TB00E0000",
            nonce: &[1; 8],
            cipher: ContentCipher::TdesCbc,
            shape: Shape::Aws,
        };
        build(kdh, &krd, payload).unwrap()
    }

    /// A scripted reader: `answer` gives (RESULT, DATA) for each (CMD, SUB) received, `None` to
    /// answer "not supported" (0x35). Returns the loader and every byte the host sent.
    fn loader(answer: impl Fn(u8, u8) -> Option<(u8, Vec<u8>)> + Send + 'static) -> (KeyLoader, Arc<Mutex<Vec<u8>>>) {
        let (host, mut reader) = memory_pair();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let seen = sent.clone();
        std::thread::spawn(move || {
            let mut codec = FrameCodec::default();
            let mut buf = [0u8; 512];
            while let Ok(n) = reader.read(&mut buf, Duration::from_secs(2)) {
                seen.lock().unwrap().extend_from_slice(&buf[..n]);
                codec.push(&buf[..n]);
                while let Some(Ok(frame)) = codec.next_frame() {
                    let body = frame.body.unwrap();
                    let reply = match answer(body.cmd, body.sub) {
                        Some((result, data)) => Frame::new(TYPE_OK, body.cmd, body.sub, result, data),
                        None => Frame::status(0x35),
                    };
                    if reader.write_all(&codec.encode(&reply).unwrap()).is_err() {
                        return;
                    }
                }
            }
        });
        (KeyLoader::new(Box::new(host), LoaderConfig::default()), sent)
    }

    fn frame_bytes(cmd: u8, sub: u8, timeout: u8, data: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0x4D];
        bytes.extend(((6 + data.len()) as u16).to_be_bytes());
        bytes.extend([0x21, cmd, sub, timeout]);
        bytes.extend((data.len() as u16).to_be_bytes());
        bytes.extend(data);
        bytes.push(bytes.iter().fold(0, |x, b| x ^ b));
        bytes
    }

    /// `loadSessionKeyByTR_34` on the wire: 0x40/0x00 TIMEOUT 10 chunks of offset/16 ‖ 64 bytes,
    /// then 0x40/0x10 TIMEOUT 180 without data (`4D 00 06 21 40 10 B4 00 00 8E`).
    #[test]
    fn the_envelope_goes_out_in_the_sdks_exact_bytes() {
        let (mut l, sent) = loader(|_, _| Some((0, vec![])));
        let envelope: Vec<u8> = (0..130u8).collect();
        l.send_tr34_envelope(&envelope).unwrap();
        l.close();
        let mut expected = frame_bytes(0x40, 0x00, 0x0A, &[&[0, 0][..], &envelope[..64]].concat());
        expected.extend(frame_bytes(
            0x40,
            0x00,
            0x0A,
            &[&[0, 4][..], &envelope[64..128]].concat(),
        ));
        expected.extend(frame_bytes(0x40, 0x00, 0x0A, &[&[0, 8][..], &envelope[128..]].concat()));
        expected.extend([0x4D, 0x00, 0x06, 0x21, 0x40, 0x10, 0xB4, 0x00, 0x00, 0x8E]);
        assert_eq!(expected[..9], [0x4D, 0x00, 0x48, 0x21, 0x40, 0x00, 0x0A, 0x00, 0x42]);
        assert_eq!(hex::encode_upper(&*sent.lock().unwrap()), hex::encode_upper(expected));
    }

    /// `getTR31Token`: `4D 00 06 21 40 30 3C 00 00 26`, the answer's DATA is the nonce.
    #[test]
    fn the_nonce_is_get_tr31_tokens_answer() {
        let (mut l, sent) = loader(|_, _| Some((0, vec![7; 8])));
        assert_eq!(l.tr34_nonce().unwrap(), vec![7; 8]);
        assert_eq!(
            *sent.lock().unwrap(),
            [0x4D, 0x00, 0x06, 0x21, 0x40, 0x30, 0x3C, 0x00, 0x00, 0x26]
        );
    }

    #[test]
    fn the_device_certificate_is_read_in_pages() {
        let der = Certificate::from_pem("KRD", fixture!("krd.pem"))
            .unwrap()
            .der()
            .to_vec();
        assert!(der.len() > CERTIFICATE_PAGE_LEN, "two pages at least");
        let served = der.clone();
        let (mut l, _) = loader(move |_, _| Some((0, crate::device::command::certificate_page(&served, 0))));
        // A reader that always answers the first page never completes the certificate.
        assert!(matches!(
            l.krd_certificate(),
            Err(KekLoadError::Load(LoadError::Protocol(_)))
        ));
        let pages = Arc::new(Mutex::new(0usize));
        let served = der.clone();
        let (mut l, _) = loader(move |_, _| {
            let mut at = pages.lock().unwrap();
            let page = crate::device::command::certificate_page(&served, *at);
            *at += CERTIFICATE_PAGE_LEN;
            Some((0, page))
        });
        assert_eq!(l.krd_certificate().unwrap().der(), der);
    }

    /// RESULT 3 to the close is UPDATE_PACKET_VEFIRY_ERROR, and no KCV is even read.
    #[test]
    fn a_refused_envelope_is_the_vendors_result() {
        let (mut l, _) = loader(|cmd, sub| match (cmd, sub) {
            (0x40, 0x10) => Some((3, vec![])),
            (0x23, _) => panic!("no KCV is read after a refusal"),
            _ => Some((0, vec![])),
        });
        let request = KekLoadRequest {
            expected_kcv: kek_kcv(),
            kdh_certificate: None,
        };
        let err = l.load_kek_tr34(&token(), &request).unwrap_err();
        assert!(
            matches!(
                err,
                KekLoadError::Refused {
                    result: 3,
                    outcome: UpdateResult::PacketVerifyError
                }
            ),
            "{err}"
        );
        assert_eq!(err.update_result(), Some(UpdateResult::PacketVerifyError));
    }

    /// UPDATE_SUCCESS alone is never success: the KEK's KCV must be read and match.
    #[test]
    fn success_is_the_keks_kcv_and_nothing_less() {
        let token = token();
        let request = KekLoadRequest {
            expected_kcv: kek_kcv(),
            kdh_certificate: None,
        };
        let cases: [(Option<Vec<u8>>, &str); 3] = [
            (Some(vec![1, 2, 3]), "mismatch"),
            (None, "uncompared"),
            (Some(kek_kcv()), "ok"),
        ];
        for (reader_kcv, case) in cases {
            let (mut l, _) = loader(move |cmd, _| match cmd {
                0x23 => reader_kcv.clone().map(|kcv| (0, kcv)),
                _ => Some((0, vec![])),
            });
            let result = l.load_kek_tr34(&token, &request);
            match case {
                "mismatch" => assert!(matches!(result, Err(KekLoadError::Load(LoadError::KcvMismatch { .. })))),
                "uncompared" => assert!(matches!(
                    result,
                    Err(KekLoadError::Load(LoadError::KcvUncompared { .. }))
                )),
                _ => {
                    let outcome = result.unwrap();
                    assert_eq!((outcome.slot, outcome.reader_kcv), (0, kek_kcv()));
                    assert_eq!(outcome.header, "D0000K0TB00E0000");
                }
            }
        }
    }

    #[test]
    fn bad_input_sends_nothing() {
        let (mut l, sent) = loader(|_, _| Some((0, vec![])));
        let short = KekLoadRequest {
            expected_kcv: vec![1, 2],
            kdh_certificate: None,
        };
        let err = l.load_kek_tr34(&token(), &short).unwrap_err();
        assert!(
            matches!(err, KekLoadError::Load(LoadError::InvalidArgument { .. })),
            "{err}"
        );
        let request = KekLoadRequest {
            expected_kcv: kek_kcv(),
            kdh_certificate: None,
        };
        let err = l.load_kek_tr34(b"not a token", &request).unwrap_err();
        assert!(matches!(err, KekLoadError::Token(_)), "{err}");
        assert!(sent.lock().unwrap().is_empty());
    }
}
