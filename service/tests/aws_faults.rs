//! AWS throttling, 5xx answers and timeouts, from the emulator's fault flags: retried within the
//! configured attempts, then a typed 503 with Retry-After; a KSN allocated to a failed request is
//! never issued to another; the same request retried with its Idempotency-Key completes with
//! its own KSN.

use std::time::{Duration, Instant};

use axum::http::Method;
use keybridge::service_api::KeyRequestResponse;
use keybridge_service::Overrides;
use keybridge_service_testing::{Fixture, Running, enrol};
use keybridge_testkit::emulator::Faults;
use serde_json::json;
use sqlx::Row;

const PATH: &str = "/v1/devices/POS-F/key-requests";

async fn setup(
    faults: Faults,
    overrides: Overrides,
) -> (Fixture, Running, keybridge_service_testing::Client, sqlx::AnyPool) {
    let fixture = Fixture::start(faults);
    let config = fixture.config(&fixture.sqlite("kb.db"), &overrides);
    let service = Running::start(&config, fixture.credentials()).await;
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let token = enrol(&pool, &config, "POS-F", "dukpt", "shop").await;
    let client = service.client.with_token(&token);
    (fixture, service, client, pool)
}

#[tokio::test]
async fn throttling_within_the_retry_budget_is_invisible() {
    let faults = Faults {
        throttle_first: 2,
        ..Faults::default()
    };
    let (fixture, service, client, _pool) = setup(faults, Overrides::default().set("aws.max_attempts", 3)).await;
    let reply = client.post_json(PATH, &json!({})).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    assert_eq!(
        fixture.emulator.calls("GetKey"),
        4,
        "the first GetKey was tried three times"
    );
    service.stop().await;
}

#[tokio::test]
async fn failures_beyond_the_budget_are_503_and_burn_their_ksn() {
    // One attempt per call, so each failed request costs exactly one (throttled) call.
    let faults = Faults {
        throttle_first: 1,
        fail_first: 2,
        unavailable_first: 3,
        ..Faults::default()
    };
    let (_fixture, service, client, pool) = setup(faults, Overrides::default().set("aws.max_attempts", 1)).await;
    let first = client
        .send(Method::POST, PATH, &[("Idempotency-Key", "first")], None)
        .await;
    assert_eq!(
        (first.status, first.error_code().as_str()),
        (503, "aws_unavailable"),
        "throttled"
    );
    assert_eq!(first.header("retry-after"), Some("5"));
    for fault in ["500", "503"] {
        let reply = client.post_json(PATH, &json!({})).await;
        assert_eq!(
            (reply.status, reply.error_code().as_str()),
            (503, "aws_unavailable"),
            "{fault}"
        );
    }
    let failed: Vec<(String, String)> = sqlx::query(
        "SELECT q.state, s.ksn FROM key_requests q JOIN request_slots s ON s.request_id = q.id ORDER BY s.ksn",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().all(|(state, _)| state == "failed"));

    // AWS is back: a new request gets a new KSN, never one of the failed requests'.
    let fresh: KeyRequestResponse = client.post_json(PATH, &json!({})).await.json();
    let fresh_ksn = fresh.keys[0].ksn.clone().unwrap();
    assert_eq!(fresh_ksn, "FFFF9876540000800000", "device id 4: ids 1 to 3 are burned");
    assert!(failed.iter().all(|(_, ksn)| *ksn != fresh_ksn));
    // The first request, retried with its key, completes with its own KSN.
    let retried = client
        .send(Method::POST, PATH, &[("Idempotency-Key", "first")], None)
        .await;
    assert_eq!(retried.status, 200);
    let retried: KeyRequestResponse = retried.json();
    assert_eq!(retried.keys[0].ksn.as_deref(), Some("FFFF9876540000200000"));
    let failed_rows: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log WHERE event = 'request_failed'")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(failed_rows, 3, "each failure audited once");
    service.stop().await;
}

#[tokio::test]
async fn a_slow_aws_times_out_into_a_503() {
    let faults = Faults {
        delay: Duration::from_millis(400),
        ..Faults::default()
    };
    let overrides = Overrides::default()
        .set("aws.max_attempts", 2)
        .set("aws.attempt_timeout_ms", 50)
        .set("aws.operation_timeout_ms", 150);
    let (_fixture, service, client, _pool) = setup(faults, overrides).await;
    let reply = client.post_json(PATH, &json!({})).await;
    assert_eq!((reply.status, reply.error_code().as_str()), (503, "aws_unavailable"));
    service.stop().await;
}

#[tokio::test]
async fn a_saturated_rate_limit_is_busy_not_a_hang() {
    let overrides = Overrides::default()
        .set("aws.calls_per_second", 1)
        .set("aws.burst", 3)
        .set("aws.queue_timeout_ms", 50);
    let (_fixture, service, client, pool) = setup(Faults::default(), overrides).await;
    assert_eq!(
        client.post_json(PATH, &json!({})).await.status,
        200,
        "the burst covers one export"
    );
    let start = Instant::now();
    let reply = client.post_json(PATH, &json!({})).await;
    assert_eq!((reply.status, reply.error_code().as_str()), (503, "busy"));
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "refused at the queue timeout, not after the refill"
    );
    let burned: i64 = sqlx::query("SELECT COUNT(*) FROM key_requests WHERE state = 'failed'")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(burned, 1);
    service.stop().await;
}

#[tokio::test]
async fn readiness_follows_aws() {
    let faults = Faults {
        unavailable_first: 1_000,
        ..Faults::default()
    };
    let (_fixture, service, _client, _pool) = setup(faults, Overrides::default().set("aws.max_attempts", 1)).await;
    let reply = service.client.get("/readyz").await;
    assert_eq!(reply.status, 503);
    let body: serde_json::Value = reply.json();
    assert_eq!(
        (body["database"].as_bool(), body["aws"].as_bool()),
        (Some(true), Some(false))
    );
    service.stop().await;
}

#[tokio::test]
async fn shutdown_finishes_the_requests_in_flight() {
    let faults = Faults {
        delay: Duration::from_millis(150),
        ..Faults::default()
    };
    let (fixture, service, client, _pool) = setup(faults, Overrides::default()).await;
    let in_flight = tokio::spawn(async move { client.post_json(PATH, &json!({})).await });
    // Stop once the request is inside the service, talking to AWS.
    while fixture.emulator.calls("GetKey") == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    service.stop().await;
    let reply = in_flight.await.unwrap();
    assert_eq!(reply.status, 200, "answered although shutdown began meanwhile");
}
