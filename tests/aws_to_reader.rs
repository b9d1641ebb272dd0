//! End to end: AWS Payment Cryptography emulator → `AwsKeyExporter` (real SDK over HTTP) →
//! `KeyLoader` → reader simulator (pty and TCP), with the KEK shared as the ceremony would.

use keybridge::SecretBytes;
use keybridge::crypto::CipherFamily;
use keybridge::device::answer::ReaderStatus;
use keybridge::export::{ExportError, ExportHeaders, ExportedKeyBlock, KeyAlgorithm, ModesOfUse};
use keybridge::kcv::{self, KcvMethod};
use keybridge::loader::{KcvCheck, LoadError, LoadRequest};
use keybridge::tr31::{self, Profile};
use keybridge_e2e::aws::{KEK_ALIAS, create_key, emulator, exporter, random_key};
use keybridge_e2e::{LINKS, Link, connect, fast_config};
use keybridge_testkit::emulator::Faults as AwsFaults;
use keybridge_testkit::simulator::{Faults as ReaderFaults, SimulatorConfig};

const PIN_MODES: &str = "encrypt,decrypt,wrap,unwrap";

/// An AES-128 key of `usage` created in an emulator with a random AES-256 KEK and exported under
/// it with the key's own attributes; returns the KEK and what AWS exported.
async fn exported_aes_key(usage: &str) -> (SecretBytes, ExportedKeyBlock) {
    let (emu, kek) = emulator(KeyAlgorithm::Aes256, AwsFaults::default());
    let aws = exporter(&emu).await;
    let arn = create_key(&aws, usage, KeyAlgorithm::Aes128, PIN_MODES).await;
    let exported = aws
        .export_tr31(&arn, KEK_ALIAS, &ExportHeaders::default())
        .await
        .unwrap();
    (kek, exported)
}

#[tokio::test]
async fn an_aes_pin_key_from_aws_lands_in_the_reader_with_the_same_key() {
    let (kek, exported) = exported_aes_key("TR31_P0_PIN_ENCRYPTION_KEY").await;
    // AES: AWS reports CMAC, the reader legacy; the test holds the KEK and ties them together.
    assert_eq!(exported.reader_comparable_kcv(), None);
    let clear = tr31::unwrap(kek.as_bytes(), &exported.key_block, &Profile::STRICT).unwrap();
    let cmac = kcv::kcv(clear.key.as_bytes(), CipherFamily::Aes, KcvMethod::Cmac).unwrap();
    assert!(kcv::kcv_matches(&cmac, &hex::decode(&exported.kcv).unwrap()));
    let legacy = kcv::kcv(clear.key.as_bytes(), CipherFamily::Aes, KcvMethod::Legacy).unwrap();

    for link in LINKS {
        let (sim, mut loader) = connect(link, SimulatorConfig::with_kek(kek.clone()), fast_config());
        let request = LoadRequest {
            slot: Some(3),
            expected_kcv: Some(legacy.clone()),
            ..LoadRequest::default()
        };
        let outcome = loader.send_tr31_key_with(&exported.key_block, &request).unwrap();
        assert_eq!(outcome.kcv_check, KcvCheck::MatchedExpected, "{link:?}");
        assert_eq!(outcome.reader_kcv, legacy);
        assert_eq!(sim.slot_kcv(3), Some(legacy.clone()));
        sim.stop();
    }
}

#[tokio::test]
async fn tdes_keys_and_ipeks_are_checked_against_the_aws_kcv_directly() {
    let (emu, kek) = emulator(KeyAlgorithm::Tdes3Key, AwsFaults::default());
    let aws = exporter(&emu).await;
    let pin = create_key(&aws, "TR31_P0_PIN_ENCRYPTION_KEY", KeyAlgorithm::Tdes2Key, PIN_MODES).await;
    let bdk = create_key(
        &aws,
        "TR31_B0_BASE_DERIVATION_KEY",
        KeyAlgorithm::Tdes2Key,
        "derive-key",
    )
    .await;
    let blocks = [
        aws.export_tr31(&pin, KEK_ALIAS, &ExportHeaders::default())
            .await
            .unwrap(),
        aws.export_dukpt_ipek(&bdk, KEK_ALIAS, "FFFF9876543210E00000")
            .await
            .unwrap(),
    ];
    let (sim, mut loader) = connect(Link::Tcp, SimulatorConfig::with_kek(kek), fast_config());
    for (slot, exported) in (1u8..).zip(&blocks) {
        let expected = exported.reader_comparable_kcv().expect("TDES KCVs are comparable");
        let request = LoadRequest {
            slot: Some(slot),
            expected_kcv: Some(expected.clone()),
            ..LoadRequest::default()
        };
        let outcome = loader.send_tr31_key_with(&exported.key_block, &request).unwrap();
        assert_eq!(outcome.kcv_check, KcvCheck::MatchedExpected);
        assert_eq!(outcome.reader_kcv, expected, "{}", exported.header.key_usage);
    }
    sim.stop();
}

#[tokio::test]
async fn a_reader_with_another_kek_refuses_and_stores_nothing() {
    let (_, exported) = exported_aes_key("TR31_P0_PIN_ENCRYPTION_KEY").await;
    let other = random_key(KeyAlgorithm::Aes256);
    let (sim, mut loader) = connect(Link::Pty, SimulatorConfig::with_kek(other), fast_config());
    let error = loader.send_tr31_key(&exported.key_block).unwrap_err();
    assert!(matches!(error, LoadError::Reader(ReaderStatus::MacError)), "{error:?}");
    assert_eq!(sim.slot_kcv(0), None);
    sim.stop();
}

#[tokio::test]
async fn a_reader_fault_after_a_good_export_is_a_typed_error_not_success() {
    let (kek, exported) = exported_aes_key("TR31_D0_SYMMETRIC_DATA_ENCRYPTION_KEY").await;
    let mut config = SimulatorConfig::with_kek(kek);
    config.faults = ReaderFaults {
        status: Some(ReaderStatus::DeviceError),
        ..ReaderFaults::default()
    };
    let (sim, mut loader) = connect(Link::Tcp, config, fast_config());
    let error = loader.send_tr31_key(&exported.key_block).unwrap_err();
    assert!(
        matches!(error, LoadError::Reader(ReaderStatus::DeviceError)),
        "{error:?}"
    );
    assert_eq!(sim.slot_kcv(0), None);
    sim.stop();
}

#[tokio::test]
async fn an_export_refused_by_aws_or_by_policy_never_reaches_the_reader() {
    let (emu, kek) = emulator(
        KeyAlgorithm::Aes256,
        AwsFaults {
            deny: vec!["ExportKey".into()],
            ..AwsFaults::default()
        },
    );
    let aws = exporter(&emu).await;
    let arn = create_key(&aws, "TR31_P0_PIN_ENCRYPTION_KEY", KeyAlgorithm::Aes128, "encrypt,wrap").await;
    let (sim, _loader) = connect(Link::Tcp, SimulatorConfig::with_kek(kek), fast_config());
    let denied = aws
        .export_tr31(&arn, KEK_ALIAS, &ExportHeaders::default())
        .await
        .unwrap_err();
    assert!(matches!(denied, ExportError::AccessDenied { .. }), "{denied:?}");
    let widen = ExportHeaders {
        modes_of_use: Some(ModesOfUse::parse_list("encrypt,decrypt").unwrap()),
        ..ExportHeaders::default()
    };
    let refused = aws.export_tr31(&arn, KEK_ALIAS, &widen).await.unwrap_err();
    assert!(matches!(refused, ExportError::WidensModesOfUse { .. }), "{refused:?}");
    assert_eq!(emu.calls("ExportKey"), 1, "the widening request was never sent");
    assert_eq!(sim.frames_received(), 0);
    sim.stop();
}
