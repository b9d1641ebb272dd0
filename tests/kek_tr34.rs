//! A reader's own KEK by TR-34, end to end with real parts: the real aws-sdk client against the
//! AWS emulator over HTTP, the real framing against the reader simulator over a pty and TCP.
//! `KeyLoader::load_kek_tr34` sends the vendor SDK's envelope; the simulator, a KRD, verifies it
//! with `keybridge::tr34` and installs the KEK or refuses it; success is only ever the KEK's KCV.
//!
//! The refusal tests use rust-core's test PKI (rust-core/tests/fixtures/tr34, see its make.sh):
//! the simulator is configured to be its KRD and to trust its KDH CA.

use aws_sdk_paymentcryptography::types as t;
use keybridge::crypto::CipherFamily;
use keybridge::export::{AwsKeyExporter, KeyAlgorithm};
use keybridge::kcv::{self, KcvMethod};
use keybridge::loader::{KekLoadError, KekLoadRequest, KeyLoader, LoadRequest, UpdateResult};
use keybridge::tr34::{
    self, Certificate, Check, ContentCipher, Kdh, Payload, PrivateKey, Shape, Tr34Token, build_with_inner_header,
};
use keybridge_e2e::aws::{create_key, emulator, exporter};
use keybridge_e2e::{LINKS, Link, connect, fast_config};
use keybridge_testkit::emulator::{Emulator, EmulatorConfig, Faults};
use keybridge_testkit::simulator::{KrdIdentity, SimulatorConfig, SimulatorHandle, Tr34Config, device_ca};

const KEK_MODES: &str = "encrypt,decrypt,wrap,unwrap";

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../rust-core/tests/fixtures/tr34/", $name))
    };
}

fn cert(pem: &str) -> Certificate {
    Certificate::from_pem("fixture", pem).unwrap()
}

fn key(pem: &str) -> PrivateKey {
    PrivateKey::from_pem("fixture", pem).unwrap()
}

/// What the test needs to hold to export and check a KEK.
struct Exported {
    kek_arn: String,
    token: Vec<u8>,
    kcv: Vec<u8>,
    kdh: Certificate,
}

/// Reads the reader's certificate and nonce, then has AWS export a new TDES KEK for it. With
/// `vendor_nonce` the nonce is 16 bytes, which only the emulator's vendor-shape knob takes, so
/// ExportKey goes through the SDK client directly.
async fn export_for(aws: &AwsKeyExporter, loader: &mut KeyLoader, vendor_nonce: bool) -> Exported {
    let reader = loader
        .krd_credentials()
        .expect("the reader hands out its certificate and a nonce");
    assert_eq!(reader.nonce.len(), if vendor_nonce { 16 } else { 8 });
    let ca_arn = aws.import_root_certificate(&device_ca()).await.unwrap();
    let kek_arn = create_key(aws, "TR31_K0_KEY_ENCRYPTION_KEY", KeyAlgorithm::Tdes3Key, KEK_MODES).await;
    let parameters = aws.tr34_export_parameters().await.unwrap();
    if !vendor_nonce {
        let exported = aws
            .export_tr34(&kek_arn, &ca_arn, &reader.certificate, &parameters, &reader.nonce)
            .await
            .unwrap();
        return Exported {
            kek_arn,
            token: exported.token,
            kcv: hex::decode(exported.kcv).unwrap(),
            kdh: parameters.signing_certificate,
        };
    }
    let block = t::ExportTr34KeyBlock::builder()
        .certificate_authority_public_key_identifier(&ca_arn)
        .wrapping_key_certificate(reader.certificate.to_base64_pem())
        .export_token(&parameters.export_token)
        .key_block_format(t::Tr34KeyBlockFormat::X9Tr342012)
        .random_nonce(hex::encode_upper(&reader.nonce))
        .build()
        .unwrap();
    let out = aws
        .client()
        .export_key()
        .export_key_identifier(&kek_arn)
        .key_material(t::ExportKeyMaterial::Tr34KeyBlock(block))
        .send()
        .await
        .unwrap();
    let wrapped = out.wrapped_key().unwrap();
    Exported {
        kek_arn,
        token: tr34::decode_hex_token(wrapped.key_material()).unwrap(),
        kcv: hex::decode(wrapped.key_check_value().unwrap()).unwrap(),
        kdh: parameters.signing_certificate,
    }
}

fn vendor_shape_emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        tr34_vendor_shape: true,
        ..EmulatorConfig::default()
    })
    .unwrap()
}

/// AWS's shape over a pty and TCP: the reader holds the KEK AWS reports, and a TR-31 working key
/// AWS exports under that KEK then loads and verifies.
#[tokio::test]
async fn an_aws_shaped_token_round_trips_and_its_kek_carries_working_keys() {
    for link in LINKS {
        let (emu, _) = emulator(KeyAlgorithm::Tdes3Key, Faults::default());
        let aws = exporter(&emu).await;
        let (sim, mut loader) = connect(link, SimulatorConfig::default(), fast_config());
        let exported = export_for(&aws, &mut loader, false).await;
        let token = Tr34Token::parse(&exported.token).unwrap();
        assert_eq!(token.signed_data_version, 1, "AWS's shape");
        assert_eq!(token.signer.nonce.len(), 8);
        let request = KekLoadRequest {
            expected_kcv: exported.kcv.clone(),
            kdh_certificate: Some(exported.kdh.clone()),
        };
        let outcome = loader.load_kek_tr34(&exported.token, &request).unwrap();
        assert_eq!(outcome.reader_kcv, exported.kcv, "{link:?}");
        assert_eq!(&outcome.header[5..8], "K0T");
        assert_eq!(sim.check_value(0, 0), Some(exported.kcv.clone()), "the reader holds it");

        let pin = create_key(&aws, "TR31_P0_PIN_ENCRYPTION_KEY", KeyAlgorithm::Tdes2Key, KEK_MODES).await;
        let block = aws
            .export_tr31(&pin, &exported.kek_arn, &Default::default())
            .await
            .unwrap();
        let loaded = loader
            .send_tr31_key_with(
                &block.key_block,
                &LoadRequest {
                    slot: Some(1),
                    expected_kcv: block.reader_comparable_kcv(),
                    ..LoadRequest::default()
                },
            )
            .unwrap();
        assert!(loaded.is_verified(), "{link:?}: the working key under the TR-34 KEK");
        loader.close();
        assert_eq!(sim.finish(), vec![], "no deviation");
    }
}

/// The vendor demo's shape (version 0x49, 16-byte nonce, no NULL) from the emulator's knob, and
/// the KDH certificate the reader already holds (nothing sent before the envelope).
#[tokio::test]
async fn a_vendor_shaped_token_round_trips() {
    let emu = vendor_shape_emulator();
    let aws = AwsKeyExporter::connect(keybridge::export::AwsConfig {
        retry_initial_backoff: std::time::Duration::from_millis(10),
        ..emu.client_config()
    })
    .await
    .unwrap();
    let sim = SimulatorConfig {
        tr34: Tr34Config {
            nonce_len: 16,
            ..Tr34Config::testkit(2)
        },
        ..SimulatorConfig::default()
    };
    let (sim, mut loader) = connect(Link::Tcp, sim, fast_config());
    let exported = export_for(&aws, &mut loader, true).await;
    let token = Tr34Token::parse(&exported.token).unwrap();
    assert_eq!(token.signed_data_version, 0x49, "the vendor's shape");
    assert!(!token.envelope.recipient.oaep.hash_null);
    let request = KekLoadRequest {
        expected_kcv: exported.kcv.clone(),
        kdh_certificate: None,
    };
    let outcome = loader.load_kek_tr34(&exported.token, &request).unwrap();
    assert_eq!(outcome.reader_kcv, exported.kcv);
    loader.close();
    assert_eq!(sim.finish(), vec![]);
}

/// A reader that is rust-core's test KRD, trusting rust-core's test KDH CA and holding no KDH
/// certificate, issuing 16-byte nonces.
fn fixture_reader() -> (SimulatorHandle, KeyLoader) {
    let tr34 = Tr34Config {
        identity: Some(KrdIdentity {
            key: key(fixture!("krd.key")),
            certificate: cert(fixture!("krd.pem")),
        }),
        kdh_ca: Some(cert(fixture!("kdh-ca.pem"))),
        kdh_certificate: None,
        nonce_len: 16,
    };
    connect(
        Link::Tcp,
        SimulatorConfig {
            tr34,
            ..SimulatorConfig::default()
        },
        fast_config(),
    )
}

const KEK: [u8; 24] = [
    0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10, 0x89, 0xAB, 0xCD,
    0xEF, 0x01, 0x23, 0x45, 0x67,
];
const HEADER: &str = "A0016K0TN00E0000";

/// Flips the last byte of `part` where it occurs in `token`.
fn flip_last(token: &[u8], part: &[u8]) -> Vec<u8> {
    let at = token.windows(part.len()).position(|w| w == part).unwrap() + part.len() - 1;
    let mut out = token.to_vec();
    out[at] ^= 0x01;
    out
}

/// Every refusal a KRD owes: the reader answers UPDATE_PACKET_VEFIRY_ERROR, names the check in
/// its log, holds no KEK, and `load_kek_tr34` reports the typed refusal, never success. Then a
/// good token in the vendor's shape (16-byte nonce) loads on the same reader.
#[test]
fn each_refusal_is_the_readers_and_never_a_success() {
    let kdh = (cert(fixture!("kdh.pem")), key(fixture!("kdh.key")));
    let forged = (cert(fixture!("kdh-forged.pem")), key(fixture!("kdh-forged.key")));
    let weak = (cert(fixture!("kdh-weak.pem")), key(fixture!("kdh-weak.key")));
    let krd = cert(fixture!("krd.pem"));
    let other = cert(fixture!("krd-other.pem"));
    let kcv = kcv::kcv(&KEK, CipherFamily::Tdes, KcvMethod::Legacy).unwrap();
    let (sim, mut loader) = fixture_reader();

    type Case<'a> = (&'a str, &'a (Certificate, PrivateKey), &'a Certificate, Check);
    let cases: [Case<'_>; 7] = [
        ("wrong nonce", &kdh, &krd, Check::Nonce),
        // The envelope drops the recipient: the digest the reader rebuilds for its own
        // certificate is what refuses a token addressed to another reader.
        ("addressed to another reader", &kdh, &other, Check::MessageDigest),
        (
            "KDH from a CA with the right name and another key",
            &forged,
            &krd,
            Check::KdhChain,
        ),
        ("bad signature", &kdh, &krd, Check::Signature),
        ("digest mismatch", &kdh, &krd, Check::MessageDigest),
        ("header mismatch", &kdh, &krd, Check::Header),
        ("RSA-1024 KDH", &weak, &krd, Check::RsaKeySize),
    ];
    for (index, (case, (kdh_cert, kdh_key), recipient, check)) in cases.into_iter().enumerate() {
        let nonce = loader.tr34_nonce().unwrap();
        let signed_nonce = if case == "wrong nonce" { vec![0xEE; 16] } else { nonce };
        let payload = Payload {
            key: &KEK,
            header: HEADER,
            nonce: &signed_nonce,
            cipher: ContentCipher::TdesCbc,
            shape: Shape::Dspread,
        };
        let kdh = Kdh {
            key: kdh_key,
            certificate: kdh_cert,
        };
        let inner_header = if case == "header mismatch" {
            "A0016K0TN00E0001"
        } else {
            HEADER
        };
        // The KDH side's own checks would refuse an RSA-1024 signer; this hook does not.
        let mut token = build_with_inner_header(kdh, recipient, payload, inner_header).unwrap();
        let parsed = Tr34Token::parse(&token).unwrap();
        if case == "bad signature" {
            token = flip_last(&token, &parsed.signer.signature);
        }
        if case == "digest mismatch" {
            token = flip_last(&token, &parsed.envelope.encrypted_content);
        }
        let request = KekLoadRequest {
            expected_kcv: kcv.clone(),
            kdh_certificate: Some(kdh_cert.clone()),
        };
        let err = loader.load_kek_tr34(&token, &request).unwrap_err();
        assert!(
            matches!(
                err,
                KekLoadError::Refused {
                    result: 3,
                    outcome: UpdateResult::PacketVerifyError
                }
            ),
            "{case}: {err}"
        );
        let refusals = sim.tr34_refusals();
        assert_eq!(refusals.len(), index + 1, "{case}");
        assert_eq!(refusals[index].check, Some(check), "{case}: {}", refusals[index].detail);
        assert_eq!(sim.check_value(0, 0), None, "{case}: no KEK installed");
    }

    let nonce = loader.tr34_nonce().unwrap();
    let payload = Payload {
        key: &KEK,
        header: HEADER,
        nonce: &nonce,
        cipher: ContentCipher::TdesCbc,
        shape: Shape::Dspread,
    };
    let kdh_side = Kdh {
        key: &kdh.1,
        certificate: &kdh.0,
    };
    let token = tr34::build(kdh_side, &krd, payload).unwrap();
    let request = KekLoadRequest {
        expected_kcv: kcv.clone(),
        kdh_certificate: Some(kdh.0.clone()),
    };
    assert_eq!(loader.load_kek_tr34(&token, &request).unwrap().reader_kcv, kcv);
    // The nonce is used up: the same token again is refused.
    let err = loader.load_kek_tr34(&token, &request).unwrap_err();
    assert_eq!(err.update_result(), Some(UpdateResult::Fail), "{err}");
    loader.close();
    assert_eq!(sim.finish(), vec![]);
}
