//! Scenarios that must hold on both database engines; `api.rs` runs them on SQLite and
//! `postgres.rs` on PostgreSQL.

use std::collections::BTreeSet;

use axum::http::Method;
use keybridge::export::KcvAlgorithm;
use keybridge::service_api::{DeviceView, KeyRequestResponse, ReportResponse, RequestState, SlotOutcome, Verdict};
use keybridge_service::Overrides;
use keybridge_service::audit::{self, Filter};
use keybridge_service_testing::{Fixture, Running, enrol};
use keybridge_testkit::emulator::Faults;
use serde_json::json;
use sqlx::Row;

/// Four slots issued, exported under the reader's KEK, reported with each verdict, shown back,
/// and audited; a second request gets the next Initial Key IDs.
pub async fn provision_report_and_show(database: impl FnOnce(&Fixture) -> String) {
    let fixture = Fixture::start(Faults::default());
    let config = fixture.config(&database(&fixture), &Overrides::default());
    let service = Running::start(&config, fixture.credentials()).await;
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let token = enrol(&pool, &config, "POS-A", "standard", "shop-1").await;
    let device = service.client.with_token(&token);

    let reply = device.post_json("/v1/devices/POS-A/key-requests", &json!({})).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    assert!(reply.header("server-timing").is_some_and(|t| t.contains("aws;dur=")));
    let answer: KeyRequestResponse = reply.json();
    let slots: Vec<u8> = answer.keys.iter().map(|k| k.slot).collect();
    assert_eq!(slots, [0, 1, 2, 3]);
    let [aes_pin, tdes_pin, tdes_ipek, aes_ipek] = &answer.keys[..] else {
        unreachable!()
    };
    assert_eq!(
        (aes_pin.kcv_algorithm, tdes_pin.kcv_algorithm),
        (KcvAlgorithm::Cmac, KcvAlgorithm::AnsiX924)
    );
    assert_eq!(aes_pin.ksn, None);
    assert_eq!(
        tdes_ipek.ksn.as_deref(),
        Some("FFFF9876540000200000"),
        "device id 1, counter 0"
    );
    assert_eq!(
        aes_ipek.ksn.as_deref(),
        Some("123456780000000100000000"),
        "derivation id 1, counter 0"
    );
    for key in &answer.keys {
        // Every block opens under the reader's KEK (the reader would load it).
        fixture.reader_kcv(&key.key_block);
        assert_eq!(key.key_arn, fixture.emulator.alias_arn(slot_alias(key.slot)).unwrap());
    }

    let report = json!({"slots": [
        {"slot": 0, "outcome": "loaded", "readerKcv": fixture.reader_kcv(&aes_pin.key_block)},
        {"slot": 1, "outcome": "loaded", "readerKcv": fixture.reader_kcv(&tdes_pin.key_block)},
        {"slot": 2, "outcome": "loaded", "readerKcv": "000000"},
        {"slot": 3, "outcome": "failed", "error": "MAC_ERROR"},
    ]});
    let path = format!("/v1/key-requests/{}/report", answer.request_id);
    let reply = device.post_json(&path, &report).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let verdicts: ReportResponse = reply.json();
    let verdicts: Vec<Option<Verdict>> = verdicts.slots.iter().map(|s| s.verdict).collect();
    assert_eq!(
        verdicts,
        [
            Some(Verdict::Unverifiable),
            Some(Verdict::Verified),
            Some(Verdict::Mismatch),
            None
        ]
    );
    // A retried report is answered the same; a different one for a reported slot is a conflict.
    assert_eq!(device.post_json(&path, &report).await.status, 200);
    let changed = json!({"slots": [{"slot": 1, "outcome": "failed"}]});
    let reply = device.post_json(&path, &changed).await;
    assert_eq!((reply.status, reply.error_code().as_str()), (409, "report_conflict"));
    let unknown = json!({"slots": [{"slot": 9, "outcome": "loaded"}]});
    let reply = device.post_json(&path, &unknown).await;
    assert_eq!((reply.status, reply.error_code().as_str()), (422, "unknown_slot"));

    let view: DeviceView = device.get("/v1/devices/POS-A").await.json();
    assert_eq!(
        view.last_request.as_ref().map(|r| r.state),
        Some(RequestState::Answered)
    );
    assert_eq!(view.slots.len(), 4);
    assert_eq!(view.slots[1].kcv, tdes_pin.kcv);
    let tdes_report = view.slots[1].report.as_ref().unwrap();
    assert_eq!(
        (tdes_report.outcome, tdes_report.verdict),
        (SlotOutcome::Loaded, Some(Verdict::Verified))
    );
    assert_eq!(view.slots[3].report.as_ref().unwrap().outcome, SlotOutcome::Failed);

    let rows = audit::read(
        &pool,
        &Filter {
            device: Some("POS-A".into()),
            since_ms: None,
        },
    )
    .await
    .unwrap();
    let count = |event: &str| {
        rows.iter()
            .filter(|r| r.event == event && r.request_id.as_deref() == Some(&answer.request_id))
            .count()
    };
    assert_eq!((count("export"), count("report")), (4, 4));
    let export = rows.iter().find(|r| r.event == "export" && r.slot == Some(2)).unwrap();
    assert_eq!(export.ksn, tdes_ipek.ksn);
    assert_eq!(export.kcv.as_deref(), Some(tdes_ipek.kcv.as_str()));
    for row in &rows {
        let text = serde_json::to_string(row).unwrap();
        assert!(
            !answer.keys.iter().any(|k| text.contains(&k.key_block)),
            "no key block in the audit trail"
        );
    }

    let metrics = service.client.get("/metrics").await;
    let text = String::from_utf8_lossy(&metrics.body);
    for series in [
        "keybridge_exports_total{kind=\"dukpt\"} 2",
        "keybridge_http_requests_total",
        "keybridge_aws_export_duration_seconds_bucket",
        "keybridge_reports_total{verdict=\"verified\"} 1",
    ] {
        assert!(text.contains(series), "{series} in {text}");
    }

    // The next request gets the next Initial Key IDs.
    let next: KeyRequestResponse = device
        .post_json("/v1/devices/POS-A/key-requests", &json!({}))
        .await
        .json();
    assert_eq!(next.keys[2].ksn.as_deref(), Some("FFFF9876540000400000"));
    assert_eq!(next.keys[3].ksn.as_deref(), Some("123456780000000200000000"));
    service.stop().await;
}

fn slot_alias(slot: u8) -> &'static str {
    ["alias/pin-aes", "alias/pin-tdes", "alias/bdk-tdes", "alias/bdk-aes"][slot as usize]
}

/// A retried request with the same `Idempotency-Key`, also two at once, returns the same answer
/// and allocates nothing new.
pub async fn idempotent_retries(database: impl FnOnce(&Fixture) -> String) {
    let fixture = Fixture::start(Faults::default());
    let config = fixture.config(&database(&fixture), &Overrides::default());
    let service = Running::start(&config, fixture.credentials()).await;
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let token = enrol(&pool, &config, "POS-B", "standard", "shop-1").await;
    let device = service.client.with_token(&token);
    let request = |key: &'static str| {
        let device = device.clone();
        async move {
            let reply = device
                .send(
                    Method::POST,
                    "/v1/devices/POS-B/key-requests",
                    &[("Idempotency-Key", key)],
                    None,
                )
                .await;
            assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
            reply.json::<KeyRequestResponse>()
        }
    };
    let first = request("retry-1").await;
    let allocated = sequence_total(&pool).await;
    let (again, concurrent) = tokio::join!(request("retry-1"), request("retry-1"));
    for replay in [&again, &concurrent] {
        assert_eq!(replay.request_id, first.request_id);
        for (a, b) in first.keys.iter().zip(&replay.keys) {
            assert_eq!(
                (a.slot, &a.ksn, &a.kcv, &a.key_arn),
                (b.slot, &b.ksn, &b.kcv, &b.key_arn)
            );
            // Same key, fresh random padding: the reader gets the same key either way.
            assert_eq!(fixture.reader_kcv(&a.key_block), fixture.reader_kcv(&b.key_block));
        }
    }
    assert_eq!(sequence_total(&pool).await, allocated, "a replay allocates nothing");
    let requests: i64 = sqlx::query("SELECT COUNT(*) FROM key_requests")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(requests, 1);
    // Another key is another request, with new Initial Key IDs.
    let other = request("retry-2").await;
    assert_ne!(other.request_id, first.request_id);
    let ksns: BTreeSet<_> = first
        .keys
        .iter()
        .chain(&other.keys)
        .filter_map(|k| k.ksn.clone())
        .collect();
    assert_eq!(ksns.len(), 4);
    service.stop().await;
}

/// The sum of every sequence's last value: how many Initial Key IDs were ever handed out.
pub async fn sequence_total(pool: &sqlx::AnyPool) -> i64 {
    sqlx::query("SELECT last_value FROM ksn_sequences")
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get::<i64, _>(0))
        .sum()
}
