//! The real `aws-sdk-paymentcryptography` client, through `AwsKeyExporter`, against the emulator
//! over HTTP: exports under AES and TDES KEKs, IPEK export, narrowing headers, and every failure
//! mapped to its typed error.

use std::time::Duration;

use keybridge::crypto::CipherFamily;
use keybridge::export::{ExportError, ExportHeaders, ExportedKeyBlock, KcvAlgorithm, KeyAlgorithm, ModesOfUse};
use keybridge::tr31::{self, Exportability, KeyUsage, ModeOfUse, Profile, Version};
use keybridge::{SecretBytes, kcv};
use keybridge_e2e::aws::{KEK_ALIAS, config, create_key, emulator, exporter};
use keybridge_testkit::emulator::Faults;

const PIN_MODES: &str = "encrypt,decrypt,wrap,unwrap";

/// Unwraps `exported` with the KEK and checks the clear key's KCV is the one AWS reported.
fn assert_kcv_matches_service(exported: &ExportedKeyBlock, kek: &SecretBytes) -> tr31::Unwrapped {
    let clear = tr31::unwrap(kek.as_bytes(), &exported.key_block, &Profile::STRICT).expect("the KEK unwraps the block");
    let family = clear.header.algorithm.cipher_family().expect("block cipher key");
    let expected = match family {
        CipherFamily::Aes => KcvAlgorithm::Cmac,
        _ => KcvAlgorithm::AnsiX924,
    };
    assert_eq!(exported.kcv_algorithm, expected);
    let ours = kcv::kcv(clear.key.as_bytes(), family, expected.method()).unwrap();
    assert!(
        kcv::kcv_matches(&ours, &hex::decode(&exported.kcv).unwrap()),
        "KCV of the unwrapped key {} differs from the service's {}",
        hex::encode_upper(&ours),
        exported.kcv
    );
    clear
}

#[tokio::test]
async fn exports_under_an_aes_kek_are_version_d_and_carry_the_service_kcv() {
    let (emu, kek) = emulator(KeyAlgorithm::Aes256, Faults::default());
    let aws = exporter(&emu).await;
    for (usage, algorithm, modes, letter) in [
        (
            "TR31_P0_PIN_ENCRYPTION_KEY",
            KeyAlgorithm::Aes128,
            PIN_MODES,
            KeyUsage::P0,
        ),
        (
            "TR31_D0_SYMMETRIC_DATA_ENCRYPTION_KEY",
            KeyAlgorithm::Aes256,
            PIN_MODES,
            KeyUsage::D0,
        ),
        (
            "TR31_M6_ISO_9797_5_CMAC_KEY",
            KeyAlgorithm::Aes192,
            "generate,verify",
            KeyUsage::M6,
        ),
        (
            "TR31_P0_PIN_ENCRYPTION_KEY",
            KeyAlgorithm::Tdes3Key,
            PIN_MODES,
            KeyUsage::P0,
        ),
    ] {
        let arn = create_key(&aws, usage, algorithm, modes).await;
        let exported = aws
            .export_tr31(&arn, KEK_ALIAS, &ExportHeaders::default())
            .await
            .unwrap();
        assert_eq!(exported.header.version, Version::D);
        assert_eq!(exported.header.key_usage, letter);
        assert_eq!(exported.wrapping_key_arn, emu.alias_arn(KEK_ALIAS).unwrap());
        let clear = assert_kcv_matches_service(&exported, &kek);
        assert_eq!(clear.key.len(), algorithm.key_len());
    }
}

#[tokio::test]
async fn exports_under_a_tdes_kek_are_version_b() {
    let (emu, kek) = emulator(KeyAlgorithm::Tdes3Key, Faults::default());
    let aws = exporter(&emu).await;
    for (usage, algorithm, modes) in [
        ("TR31_P0_PIN_ENCRYPTION_KEY", KeyAlgorithm::Tdes2Key, PIN_MODES),
        ("TR31_M3_ISO_9797_3_MAC_KEY", KeyAlgorithm::Tdes2Key, "generate,verify"),
        (
            "TR31_C0_CARD_VERIFICATION_KEY",
            KeyAlgorithm::Tdes3Key,
            "generate,verify",
        ),
    ] {
        let arn = create_key(&aws, usage, algorithm, modes).await;
        let exported = aws
            .export_tr31(&arn, KEK_ALIAS, &ExportHeaders::default())
            .await
            .unwrap();
        assert_eq!(exported.header.version, Version::B);
        assert_kcv_matches_service(&exported, &kek);
    }
}

#[tokio::test]
async fn aliases_resolve_and_narrowing_headers_are_honoured() {
    let (emu, kek) = emulator(KeyAlgorithm::Aes256, Faults::default());
    let aws = exporter(&emu).await;
    let arn = create_key(&aws, "TR31_P0_PIN_ENCRYPTION_KEY", KeyAlgorithm::Aes128, PIN_MODES).await;
    aws.client()
        .create_alias()
        .alias_name("alias/pin-key")
        .key_arn(&arn)
        .send()
        .await
        .unwrap();
    let got = aws
        .client()
        .get_alias()
        .alias_name("alias/pin-key")
        .send()
        .await
        .unwrap();
    assert_eq!(got.alias().unwrap().key_arn(), Some(arn.as_str()));

    let headers = ExportHeaders {
        modes_of_use: Some(ModesOfUse::parse_list("encrypt,wrap").unwrap()),
        exportability: Some(Exportability::NonExportable),
        key_version: Some("07".into()),
        optional_blocks: vec![("LB".into(), "KEYBRIDGE".into())],
    };
    let exported = aws.export_tr31("alias/pin-key", KEK_ALIAS, &headers).await.unwrap();
    assert_eq!(exported.key_arn, arn);
    assert_eq!(exported.header.mode_of_use, ModeOfUse::EncryptOnly);
    assert_eq!(exported.header.exportability, Exportability::NonExportable);
    assert_eq!(exported.header.key_version.code(), "07");
    assert!(
        exported
            .header
            .optional_blocks
            .iter()
            .any(|b| b.id == "LB" && b.data == "KEYBRIDGE")
    );
    assert_kcv_matches_service(&exported, &kek);
}

#[tokio::test]
async fn dukpt_ipek_exports_are_b1_blocks_of_the_derived_key() {
    for (kek_algorithm, bdk_algorithm, ksn) in [
        (KeyAlgorithm::Tdes2Key, KeyAlgorithm::Tdes2Key, "FFFF9876543210E00000"),
        (KeyAlgorithm::Aes256, KeyAlgorithm::Aes128, "123456789012345600000000"),
    ] {
        let (emu, kek) = emulator(kek_algorithm, Faults::default());
        let aws = exporter(&emu).await;
        let bdk = create_key(&aws, "TR31_B0_BASE_DERIVATION_KEY", bdk_algorithm, "derive-key").await;
        let exported = aws.export_dukpt_ipek(&bdk, KEK_ALIAS, ksn).await.unwrap();
        assert_eq!(exported.header.key_usage, KeyUsage::B1);
        assert_eq!(exported.header.version, kek_algorithm.wrapping_version());
        let bdk_kcv = aws.key_facts(&bdk).await.unwrap().kcv;
        assert_ne!(exported.kcv, bdk_kcv, "the IPEK is not the BDK");
        assert_kcv_matches_service(&exported, &kek);
    }
}

#[tokio::test]
async fn a_widening_request_is_refused_before_export_key_is_sent() {
    let (emu, _) = emulator(KeyAlgorithm::Aes256, Faults::default());
    let aws = exporter(&emu).await;
    let arn = create_key(&aws, "TR31_P0_PIN_ENCRYPTION_KEY", KeyAlgorithm::Aes128, "encrypt,wrap").await;
    let widen = ExportHeaders {
        modes_of_use: Some(ModesOfUse::parse_list("encrypt,decrypt").unwrap()),
        ..Default::default()
    };
    let error = aws.export_tr31(&arn, KEK_ALIAS, &widen).await.unwrap_err();
    assert!(matches!(error, ExportError::WidensModesOfUse { .. }), "{error:?}");
    let sensitive = ExportHeaders {
        exportability: Some(Exportability::Sensitive),
        ..Default::default()
    };
    let error = aws.export_tr31(&arn, KEK_ALIAS, &sensitive).await.unwrap_err();
    assert!(matches!(error, ExportError::WidensExportability { .. }), "{error:?}");
    assert_eq!(emu.calls("ExportKey"), 0);
}

/// Runs one export against an emulator with `faults` and `attempts`, returning the error.
async fn export_error(faults: Faults, tweak: impl FnOnce(&mut keybridge::export::AwsConfig)) -> ExportError {
    let (emu, _) = emulator(KeyAlgorithm::Aes256, faults);
    let mut cfg = config(&emu);
    tweak(&mut cfg);
    let aws = keybridge::export::AwsKeyExporter::connect(cfg).await.unwrap();
    aws.export_tr31("alias/kek", KEK_ALIAS, &ExportHeaders::default())
        .await
        .unwrap_err()
}

fn attempts(n: u32) -> impl FnOnce(&mut keybridge::export::AwsConfig) {
    move |c| c.max_attempts = n
}

#[tokio::test]
async fn service_errors_map_to_their_variants() {
    let denied = export_error(
        Faults {
            deny: vec!["GetKey".into()],
            ..Default::default()
        },
        attempts(1),
    )
    .await;
    assert!(
        matches!(
            denied,
            ExportError::AccessDenied {
                operation: "GetKey",
                ..
            }
        ),
        "{denied:?}"
    );
    assert!(denied.to_string().contains("grant payment-cryptography:GetKey"));

    let throttled = export_error(
        Faults {
            throttle_first: 100,
            ..Default::default()
        },
        attempts(2),
    )
    .await;
    assert!(matches!(throttled, ExportError::Throttled { .. }), "{throttled:?}");

    let internal = export_error(
        Faults {
            fail_first: 100,
            ..Default::default()
        },
        attempts(1),
    )
    .await;
    assert!(matches!(internal, ExportError::Internal { .. }), "{internal:?}");

    let unavailable = export_error(
        Faults {
            unavailable_first: 100,
            ..Default::default()
        },
        attempts(1),
    )
    .await;
    assert!(
        matches!(unavailable, ExportError::ServiceUnavailable { .. }),
        "{unavailable:?}"
    );

    let (emu, _) = emulator(
        KeyAlgorithm::Aes256,
        Faults {
            max_keys: Some(1),
            ..Default::default()
        },
    );
    let aws = exporter(&emu).await;
    let missing = aws
        .export_tr31("alias/no-such-key", KEK_ALIAS, &ExportHeaders::default())
        .await
        .unwrap_err();
    assert!(matches!(missing, ExportError::NotFound { .. }), "{missing:?}");

    // A KS block is not allowed on an AES key: the service refuses the headers.
    let kek_arn = emu.alias_arn(KEK_ALIAS).unwrap();
    let bad_block = ExportHeaders {
        optional_blocks: vec![("KS".into(), "ZZ".into())],
        ..Default::default()
    };
    let invalid = aws.export_tr31(&kek_arn, KEK_ALIAS, &bad_block).await.unwrap_err();
    assert!(matches!(invalid, ExportError::Validation { .. }), "{invalid:?}");

    let conflict = aws
        .client()
        .create_alias()
        .alias_name(KEK_ALIAS)
        .send()
        .await
        .map_err(|e| ExportError::from_sdk("CreateAlias", e))
        .unwrap_err();
    assert!(matches!(conflict, ExportError::Conflict { .. }), "{conflict:?}");

    let quota = aws
        .client()
        .create_key()
        .key_attributes(
            aws_sdk_paymentcryptography::types::KeyAttributes::builder()
                .key_usage("TR31_P0_PIN_ENCRYPTION_KEY".into())
                .key_class(aws_sdk_paymentcryptography::types::KeyClass::SymmetricKey)
                .key_algorithm("AES_128".into())
                .key_modes_of_use(
                    aws_sdk_paymentcryptography::types::KeyModesOfUse::builder()
                        .encrypt(true)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .exportable(true)
        .send()
        .await
        .map_err(|e| ExportError::from_sdk("CreateKey", e))
        .unwrap_err();
    assert!(matches!(quota, ExportError::QuotaExceeded { .. }), "{quota:?}");
}

#[tokio::test]
async fn throttling_is_retried_to_success() {
    let (emu, kek) = emulator(
        KeyAlgorithm::Aes256,
        Faults {
            throttle_first: 2,
            ..Default::default()
        },
    );
    let aws = exporter(&emu).await;
    let kek_arn = emu.alias_arn(KEK_ALIAS).unwrap();
    // The first GetKey is throttled twice and succeeds on its third attempt.
    let exported = aws
        .export_tr31(&kek_arn, KEK_ALIAS, &ExportHeaders::default())
        .await
        .unwrap();
    assert_eq!(emu.calls("GetKey"), 4);
    assert_kcv_matches_service(&exported, &kek);
}

#[tokio::test]
async fn a_slow_service_ends_in_a_timeout_error() {
    let slow = Faults {
        delay: Duration::from_secs(5),
        ..Default::default()
    };
    let error = export_error(slow, |c| {
        c.max_attempts = 1;
        c.attempt_timeout = Duration::from_millis(200);
        c.operation_timeout = Duration::from_millis(400);
    })
    .await;
    assert!(
        matches!(
            error,
            ExportError::Timeout {
                operation: "GetKey",
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn wrong_credentials_are_refused_by_the_sigv4_check() {
    use keybridge::export::{Credentials, StaticCredentials};
    let wrong_secret = export_error(Faults::default(), |c| {
        c.credentials = Credentials::Static(StaticCredentials::new(
            keybridge_testkit::emulator::DEFAULT_ACCESS_KEY_ID,
            "not-the-secret",
            None,
        ))
    })
    .await;
    assert!(
        matches!(wrong_secret, ExportError::CredentialsRejected { .. }),
        "{wrong_secret:?}"
    );
    assert!(wrong_secret.to_string().contains("signature"), "{wrong_secret}");

    let wrong_key = export_error(Faults::default(), |c| {
        c.credentials = Credentials::Static(StaticCredentials::new(
            "AKIAOTHER",
            keybridge_testkit::emulator::DEFAULT_SECRET_ACCESS_KEY,
            Some("session-token".into()),
        ))
    })
    .await;
    assert!(
        matches!(wrong_key, ExportError::CredentialsRejected { .. }),
        "{wrong_key:?}"
    );
}
