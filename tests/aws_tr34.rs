//! TR-34 export through the real `aws-sdk-paymentcryptography` client against the emulator over
//! HTTP: the reader CA imported as a root certificate, GetParametersForExport, ExportKey with
//! Tr34KeyBlock; the token then opened as the reader (KRD) would, with the test PKI of
//! rust-core/tests/fixtures/tr34 (see its make.sh).

use keybridge::export::{ExportError, KeyAlgorithm, Tr34ExportParameters};
use keybridge::tr34::{Certificate, Expected, Krd, PrivateKey, Tr34Token};
use keybridge_e2e::aws::{create_key, emulator, exporter};
use keybridge_testkit::emulator::Faults;

const KEK_MODES: &str = "encrypt,decrypt,wrap,unwrap";

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../rust-core/tests/fixtures/tr34/", $name))
    };
}

fn cert(role: &'static str, pem: &str) -> Certificate {
    Certificate::from_pem(role, pem).unwrap()
}

#[tokio::test]
async fn each_readers_kek_comes_out_as_a_token_only_that_reader_opens() {
    let (emu, _) = emulator(KeyAlgorithm::Tdes3Key, Faults::default());
    let aws = exporter(&emu).await;
    let device_ca = cert("device CA", fixture!("krd-ca.pem"));
    let ca_arn = aws.import_root_certificate(&device_ca).await.unwrap();
    let described = aws.client().get_key().key_identifier(&ca_arn).send().await.unwrap();
    let attributes = described.key().unwrap().key_attributes().unwrap();
    assert_eq!(attributes.key_class().as_str(), "PUBLIC_KEY");
    assert_eq!(attributes.key_algorithm().as_str(), "RSA_2048");

    let parameters = aws.tr34_export_parameters().await.unwrap();
    assert!(parameters.export_token.starts_with("export-token-"));
    parameters
        .signing_certificate
        .check_issued_by(&parameters.signing_ca)
        .expect("AWS's signing certificate comes with its CA");

    let readers = [
        (
            cert("reader", fixture!("krd.pem")),
            PrivateKey::from_pem("reader", fixture!("krd.key")).unwrap(),
        ),
        (
            cert("reader", fixture!("krd-other.pem")),
            PrivateKey::from_pem("reader", fixture!("krd-other.key")).unwrap(),
        ),
    ];
    let mut kcvs = Vec::new();
    for (index, (reader, reader_key)) in readers.iter().enumerate() {
        let kek = create_key(&aws, "TR31_K0_KEY_ENCRYPTION_KEY", KeyAlgorithm::Tdes3Key, KEK_MODES).await;
        let nonce = [index as u8 + 1; 8];
        let exported = aws
            .export_tr34(&kek, &ca_arn, reader, &parameters, &nonce)
            .await
            .unwrap();
        assert_eq!(exported.key_arn, kek);
        assert_eq!(&exported.header[5..8], "K0T", "{}", exported.header);

        let token = Tr34Token::parse(&exported.token).unwrap();
        assert_eq!(token.summary().shape, Some("aws"), "the emulator writes AWS's shape");
        let expected = Expected {
            kdh_certificate: &parameters.signing_certificate,
            kdh_ca: Some(&parameters.signing_ca),
            nonce: Some(&nonce),
        };
        let received = token
            .open(
                Krd {
                    key: reader_key,
                    certificate: Some(reader),
                },
                expected,
            )
            .unwrap();
        assert!(received.unchecked.is_empty());
        assert_eq!(received.key.len(), 24);
        assert_eq!(
            hex::encode_upper(&received.kcv),
            exported.kcv,
            "the reader's KCV is AWS's"
        );
        assert_eq!(received.header, exported.header);

        // The other reader cannot take it.
        let (other, other_key) = &readers[1 - index];
        let refused = token
            .open(
                Krd {
                    key: other_key,
                    certificate: Some(other),
                },
                expected,
            )
            .unwrap_err();
        assert_eq!(refused.check(), Some(keybridge::tr34::Check::Recipient));
        kcvs.push(exported.kcv);
    }
    assert_ne!(kcvs[0], kcvs[1], "each reader has its own KEK");
    assert_eq!(
        emu.calls("GetParametersForExport"),
        1,
        "one export token serves many exports"
    );
}

#[tokio::test]
async fn exports_the_service_or_the_exporter_must_refuse_are_refused() {
    let (emu, _) = emulator(KeyAlgorithm::Tdes3Key, Faults::default());
    let aws = exporter(&emu).await;
    let ca_arn = aws
        .import_root_certificate(&cert("device CA", fixture!("krd-ca.pem")))
        .await
        .unwrap();
    let parameters = aws.tr34_export_parameters().await.unwrap();
    let reader = cert("reader", fixture!("krd.pem"));
    let tdes = create_key(&aws, "TR31_K0_KEY_ENCRYPTION_KEY", KeyAlgorithm::Tdes2Key, KEK_MODES).await;
    let aes = create_key(&aws, "TR31_K0_KEY_ENCRYPTION_KEY", KeyAlgorithm::Aes128, KEK_MODES).await;
    let nonce = [7u8; 8];

    // A certificate the imported CA did not issue (the KDH test certificate): AWS refuses it.
    let stranger = cert("stranger", fixture!("kdh.pem"));
    let err = aws
        .export_tr34(&tdes, &ca_arn, &stranger, &parameters, &nonce)
        .await
        .unwrap_err();
    assert!(matches!(err, ExportError::Validation { .. }), "{err:?}");

    // TR-34 carries TDES keys only: refused before ExportKey is sent.
    let exports_before = emu.calls("ExportKey");
    let err = aws
        .export_tr34(&aes, &ca_arn, &reader, &parameters, &nonce)
        .await
        .unwrap_err();
    assert!(matches!(err, ExportError::UnsupportedKey { .. }), "{err:?}");
    // AWS's nonce is 8 bytes.
    let err = aws
        .export_tr34(&tdes, &ca_arn, &reader, &parameters, &[1; 16])
        .await
        .unwrap_err();
    assert!(
        matches!(err, ExportError::InvalidRequest { field: "nonce", .. }),
        "{err:?}"
    );
    assert_eq!(emu.calls("ExportKey"), exports_before);

    // An export token the service never issued.
    let forged = Tr34ExportParameters {
        export_token: "export-token-0000000000000000".into(),
        ..parameters.clone()
    };
    let err = aws
        .export_tr34(&tdes, &ca_arn, &reader, &forged, &nonce)
        .await
        .unwrap_err();
    assert!(matches!(err, ExportError::NotFound { .. }), "{err:?}");

    // A signing certificate that is not the one that signed: the reply check refuses the token.
    let not_aws = Tr34ExportParameters {
        signing_certificate: cert("KDH", fixture!("kdh.pem")),
        signing_ca: cert("KDH CA", fixture!("kdh-ca.pem")),
        ..parameters.clone()
    };
    let err = aws
        .export_tr34(&tdes, &ca_arn, &reader, &not_aws, &nonce)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ExportError::Mismatch {
                field: "TR-34 signature",
                ..
            }
        ),
        "{err:?}"
    );
}
