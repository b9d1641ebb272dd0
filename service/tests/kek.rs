//! One KEK per reader (TR-34), on SQLite and on PostgreSQL: the real service in-process, the real
//! aws-sdk client against the emulator over HTTP. Two testkit readers (identities issued by the
//! testkit's device CA, testkit/src/simulator/krd_pki) each get their own KEK as a TR-34 token only
//! they can open; each reader's keys are wrapped under its own KEK and the other's does not unwrap
//! them; bad certificates are refused with typed errors; the audit trail names the KEK (ARN and
//! KCV) of every block; a retired reader's KEK is unusable in AWS.

use keybridge::export::{AwsKeyExporter, KcvAlgorithm};
use keybridge::service_api::{KekReportResponse, KekResponse, KeyRequestResponse, Verdict};
use keybridge::tr31::{self, Profile as Tr31Profile};
use keybridge::tr34::{Certificate, Expected, Krd, PrivateKey, Tr34Token};
use keybridge_service::Overrides;
use keybridge_service::audit::{self, Filter};
use keybridge_service::gateway::Gateway;
use keybridge_service::{devices, kek};
use keybridge_service_testing::{Client, Fixture, PgCluster, Running, enrol};
use keybridge_testkit::emulator::Faults;
use keybridge_testkit::simulator::KrdIdentity;
use serde_json::json;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../rust-core/tests/fixtures/tr34/", $name))
    };
}

/// A reader of the test PKI: its device certificate and private key.
struct Reader {
    pos_id: &'static str,
    certificate: Certificate,
    key: PrivateKey,
}

fn readers() -> [Reader; 2] {
    let reader = |pos_id, n| {
        let identity = KrdIdentity::testkit(n);
        Reader {
            pos_id,
            certificate: identity.certificate,
            key: identity.key,
        }
    };
    [reader("POS-A", 1), reader("POS-B", 2)]
}

async fn establish(client: &Client, pos_id: &str, certificate: &str, nonce: &str) -> keybridge_service_testing::Reply {
    client
        .post_json(
            &format!("/v1/devices/{pos_id}/kek"),
            &json!({ "certificate": certificate, "nonce": nonce }),
        )
        .await
}

async fn per_reader_keks(database: impl Fn(&Fixture) -> String) {
    let fixture = Fixture::start(Faults::default());
    let config = fixture.config(&database(&fixture), &Overrides::default());
    let service = Running::start(&config, fixture.credentials()).await;
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let aws = AwsKeyExporter::connect(fixture.emulator.client_config()).await.unwrap();
    let parameters = aws.tr34_export_parameters().await.unwrap();
    let readers = readers();

    let mut keks = Vec::new();
    for (index, reader) in readers.iter().enumerate() {
        let token = enrol(&pool, &config, reader.pos_id, "own", "shop").await;
        let client = service.client.with_token(&token);
        // No keys before the reader has its KEK.
        let early = client
            .post_json(&format!("/v1/devices/{}/key-requests", reader.pos_id), &json!({}))
            .await;
        assert_eq!(
            (early.status, early.error_code().as_str()),
            (409, "kek_not_established")
        );

        let nonce = [index as u8 + 0x10; 8];
        let reply = establish(&client, reader.pos_id, reader.certificate.pem(), &hex::encode(nonce)).await;
        assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
        let answer: KekResponse = reply.json();
        assert_eq!(answer.kcv_algorithm, KcvAlgorithm::AnsiX924);
        // Only this reader opens it, and what it opens is the KEK AWS reports.
        let der = hex::decode(&answer.token).unwrap();
        let token = Tr34Token::parse(&der).unwrap();
        let expected = Expected {
            kdh_certificate: &parameters.signing_certificate,
            kdh_ca: Some(&parameters.signing_ca),
            nonce: Some(&nonce),
        };
        let received = token
            .open(
                Krd {
                    key: &reader.key,
                    certificate: Some(&reader.certificate),
                },
                expected,
            )
            .unwrap();
        assert_eq!(hex::encode_upper(&received.kcv), answer.kek_kcv);
        let other = &readers[1 - index];
        assert!(
            token
                .open(
                    Krd {
                        key: &other.key,
                        certificate: Some(&other.certificate),
                    },
                    expected
                )
                .is_err()
        );

        // Its report of the KEK's KCV is judged and audited.
        let report = client
            .post_json(
                &format!("/v1/devices/{}/kek/report", reader.pos_id),
                &json!({ "outcome": "loaded", "readerKcv": answer.kek_kcv }),
            )
            .await;
        assert_eq!(report.status, 200, "{}", String::from_utf8_lossy(&report.body));
        assert_eq!(report.json::<KekReportResponse>().verdict, Some(Verdict::Verified));

        // The same KEK again for a new nonce, but never to another certificate.
        let again = establish(&client, reader.pos_id, reader.certificate.pem(), "0102030405060708").await;
        assert_eq!(again.status, 200);
        assert_eq!(again.json::<KekResponse>().kek_arn, answer.kek_arn);
        let stolen = establish(&client, reader.pos_id, other.certificate.pem(), "0102030405060708").await;
        assert_eq!(
            (stolen.status, stolen.error_code().as_str()),
            (409, "kek_certificate_mismatch")
        );

        let keys = client
            .post_json(&format!("/v1/devices/{}/key-requests", reader.pos_id), &json!({}))
            .await;
        assert_eq!(keys.status, 200, "{}", String::from_utf8_lossy(&keys.body));
        keks.push((answer, received.key, keys.json::<KeyRequestResponse>()));
    }
    assert_ne!(keks[0].0.kek_kcv, keks[1].0.kek_kcv, "each reader has its own KEK");
    assert_ne!(keks[0].0.kek_arn, keks[1].0.kek_arn);
    for (index, (_, own_kek, answer)) in keks.iter().enumerate() {
        let other_kek = &keks[1 - index].1;
        assert_eq!(answer.keys.len(), 2);
        for key in &answer.keys {
            let clear = tr31::unwrap(own_kek.as_bytes(), &key.key_block, &Tr31Profile::LENIENT)
                .expect("the reader's own KEK unwraps its block");
            assert!(!clear.key.as_bytes().is_empty());
            assert!(
                tr31::unwrap(other_kek.as_bytes(), &key.key_block, &Tr31Profile::LENIENT).is_err(),
                "another reader's KEK must not unwrap the block"
            );
        }
    }
    assert_eq!(fixture.emulator.calls("CreateKey"), 2, "one KEK per reader");
    assert_eq!(fixture.emulator.calls("ImportKey"), 1, "the device CA is imported once");

    // The audit trail names the KEK of every block, and the readers' reports of their KEKs.
    let records = audit::read(&pool, &Filter::default()).await.unwrap();
    for (reader, (answer, _, _)) in readers.iter().zip(&keks) {
        let of = |event: &str| {
            records
                .iter()
                .filter(|r| r.event == event && r.device_id.as_deref() == Some(reader.pos_id))
                .collect::<Vec<_>>()
        };
        let exports = of("export");
        assert_eq!(exports.len(), 2);
        for row in exports.iter().chain(&of("kek_created")).chain(&of("kek_export")) {
            assert_eq!(row.kek_arn.as_deref(), Some(answer.kek_arn.as_str()), "{row:?}");
            assert_eq!(row.kek_kcv.as_deref(), Some(answer.kek_kcv.as_str()), "{row:?}");
        }
        let reports = of("kek_report");
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].kcv.as_deref(), Some(answer.kek_kcv.as_str()));
        assert_eq!(reports[0].code.as_deref(), Some("verified"));
    }

    // Retiring a reader disables its KEK in AWS.
    let gateway = Gateway::connect(&config.aws, fixture.credentials(), None, None)
        .await
        .unwrap();
    let (a, b) = (&keks[0].0, &keks[1].0);
    assert!(matches!(
        kek::retire(&pool, &gateway, "POS-A", 7, "test").await,
        Err(kek::KekError::Active(_))
    ));
    devices::revoke(&pool, "POS-A", "test").await.unwrap();
    let retired = kek::retire(&pool, &gateway, "POS-A", 7, "test").await.unwrap();
    assert_eq!(retired.as_deref(), Some(a.kek_arn.as_str()));
    assert!(
        !aws.key_facts(&a.kek_arn).await.unwrap().enabled,
        "the retired reader's KEK is disabled"
    );
    assert!(
        aws.key_facts(&b.kek_arn).await.unwrap().enabled,
        "the other reader's KEK is untouched"
    );
    assert_eq!(
        kek::retire(&pool, &gateway, "POS-A", 7, "test").await.unwrap(),
        None,
        "once"
    );
    let retired_rows = audit::read(&pool, &Filter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event == "kek_retired")
        .collect::<Vec<_>>();
    assert_eq!(retired_rows.len(), 1);
    assert_eq!(retired_rows[0].kek_arn.as_deref(), Some(a.kek_arn.as_str()));
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_reader_keks_on_sqlite() {
    per_reader_keks(|f| f.sqlite("kb.db")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_reader_keks_on_postgres() {
    let pg = PgCluster::start();
    per_reader_keks(|_| pg.url()).await;
}

#[tokio::test]
async fn bad_certificates_nonces_and_shared_profiles_are_refused() {
    let fixture = Fixture::start(Faults::default());
    let config = fixture.config(&fixture.sqlite("kb.db"), &Overrides::default());
    let service = Running::start(&config, fixture.credentials()).await;
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let token = enrol(&pool, &config, "POS-C", "own", "shop").await;
    let client = service.client.with_token(&token);
    let good = KrdIdentity::testkit(3).certificate.pem().to_owned();
    let good = good.as_str();
    let nonce = "0102030405060708";
    let cases: &[(&str, &str, u16, &str)] = &[
        // A real reader certificate, issued by another device CA (rust-core's test PKI).
        (fixture!("krd.pem"), nonce, 422, "bad_device_certificate"),
        // Issued by another CA (the KDH CA of the test PKI), not the device CA.
        (fixture!("kdh.pem"), nonce, 422, "bad_device_certificate"),
        // RSA-1024.
        (fixture!("kdh-weak.pem"), nonce, 422, "bad_device_certificate"),
        // Forged: it names the KDH CA as issuer, another key signed it.
        (fixture!("kdh-forged.pem"), nonce, 422, "bad_device_certificate"),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            nonce,
            422,
            "bad_device_certificate",
        ),
        ("bm90IGEgY2VydGlmaWNhdGU=", nonce, 422, "bad_device_certificate"),
        (good, "0102", 400, "invalid_request"),
        (good, "0102030405060708090A0B0C0D0E0F10", 400, "invalid_request"),
        (good, "not hex at all!!", 400, "invalid_request"),
    ];
    for (certificate, nonce, status, code) in cases {
        let reply = establish(&client, "POS-C", certificate, nonce).await;
        assert_eq!(
            (reply.status, reply.error_code().as_str()),
            (*status, *code),
            "{certificate:.40} {nonce}"
        );
        let body: serde_json::Value = reply.json();
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(
        fixture.emulator.calls("CreateKey"),
        0,
        "nothing made for a refused reader"
    );
    // A reader on the shared KEK has no TR-34 step; one without a KEK has nothing to report.
    let shared = enrol(&pool, &config, "POS-S", "fleet", "shop").await;
    let reply = establish(&service.client.with_token(&shared), "POS-S", good, nonce).await;
    assert_eq!((reply.status, reply.error_code().as_str()), (409, "kek_shared"));
    let report = client
        .post_json(
            "/v1/devices/POS-C/kek/report",
            &json!({ "outcome": "loaded", "readerKcv": "AABBCC" }),
        )
        .await;
    assert_eq!(
        (report.status, report.error_code().as_str()),
        (409, "kek_not_established")
    );
    // The refusals are in the audit trail.
    let refused = audit::read(&pool, &Filter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event == "refused" && r.code.as_deref() == Some("bad_device_certificate"))
        .count();
    assert_eq!(refused, 6);
    service.stop().await;
}

#[tokio::test]
async fn a_per_reader_profile_needs_a_device_ca_and_takes_no_named_kek() {
    let fixture = Fixture::start(Faults::default());
    let config = fixture.config(&fixture.sqlite("kb.db"), &Overrides::default());
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let named = devices::NewDevice {
        pos_id: "POS-N".into(),
        kek: Fixture::KEK.into(),
        profile: "own".into(),
        group: "shop".into(),
    };
    let error = devices::add(&pool, named, &config.profiles, "test").await.unwrap_err();
    assert!(error.to_string().contains("its own KEK"), "{error}");
    let path = fixture.dir().join("no-ca.toml");
    std::fs::write(
        &path,
        "[profiles.own]\nkek = \"per-reader\"\nslots = [{ slot = 0, key = \"alias/k\" }]\n",
    )
    .unwrap();
    let error = keybridge_service::Config::load(Some(&path), &Overrides::default()).unwrap_err();
    assert!(error.to_string().contains("device_ca"), "{error}");
}

#[tokio::test]
async fn a_reader_moved_from_the_shared_kek_to_its_own_gets_keys_only_under_its_own() {
    let fixture = Fixture::start(Faults::default());
    let config = fixture.config(&fixture.sqlite("kb.db"), &Overrides::default());
    let service = Running::start(&config, fixture.credentials()).await;
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let token = enrol(&pool, &config, "POS-M", "fleet", "shop").await;
    let client = service.client.with_token(&token);
    // The operator moves it to the per-reader profile.
    sqlx::query("UPDATE devices SET profile = 'own' WHERE pos_id = 'POS-M'")
        .execute(&pool)
        .await
        .unwrap();
    let early = client.post_json("/v1/devices/POS-M/key-requests", &json!({})).await;
    assert_eq!(
        (early.status, early.error_code().as_str()),
        (409, "kek_not_established")
    );
    let reader = &readers()[0];
    let reply = establish(&client, "POS-M", reader.certificate.pem(), "0102030405060708").await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let own = reply.json::<KekResponse>();
    assert_ne!(own.kek_arn, fixture.emulator.alias_arn(Fixture::KEK).unwrap());
    let keys = client.post_json("/v1/devices/POS-M/key-requests", &json!({})).await;
    assert_eq!(keys.status, 200);
    let device = devices::get(&pool, "POS-M").await.unwrap().unwrap();
    assert_eq!(device.kek, own.kek_arn);
    service.stop().await;
}
