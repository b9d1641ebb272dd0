//! The device API on PostgreSQL, with a cluster each test starts itself: the shared scenarios,
//! two instances allocating at once, and an outage.

mod scenarios;

use std::collections::BTreeSet;
use std::time::Duration;

use keybridge::service_api::KeyRequestResponse;
use keybridge_service::Overrides;
use keybridge_service::testing::{Fixture, PgCluster, Running, enrol};
use keybridge_testkit::emulator::Faults;
use serde_json::json;
use sqlx::Row;

#[tokio::test]
async fn provision_report_and_show_on_postgres() {
    let pg = PgCluster::start();
    scenarios::provision_report_and_show(|_| pg.url()).await;
}

#[tokio::test]
async fn idempotent_retries_on_postgres() {
    let pg = PgCluster::start();
    scenarios::idempotent_retries(|_| pg.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_issue_the_same_initial_key_id() {
    let pg = PgCluster::start();
    let fixture = Fixture::start(Faults::default());
    let config = fixture.config(&pg.url(), &Overrides::default());
    let instances = [
        Running::start(&config, fixture.credentials()).await,
        Running::start(&config, fixture.credentials()).await,
    ];
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    const DEVICES: usize = 12;
    const REQUESTS_PER_DEVICE: usize = 5;
    let mut tokens = Vec::new();
    for n in 0..DEVICES {
        tokens.push(enrol(&pool, &config, &format!("POS-{n}"), "dukpt", "fleet").await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (n, token) in tokens.iter().enumerate() {
        for r in 0..REQUESTS_PER_DEVICE {
            // Alternate instances so both allocate from the one sequence at the same time.
            let client = instances[(n + r) % 2].client.with_token(token);
            tasks.spawn(async move {
                let reply = client
                    .post_json(&format!("/v1/devices/POS-{n}/key-requests"), &json!({}))
                    .await;
                assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
                reply.json::<KeyRequestResponse>().keys[0].ksn.clone().unwrap()
            });
        }
    }
    let ksns: Vec<String> = tasks.join_all().await;
    let distinct: BTreeSet<&String> = ksns.iter().collect();
    assert_eq!(
        distinct.len(),
        DEVICES * REQUESTS_PER_DEVICE,
        "every answer has its own KSN"
    );
    let row = sqlx::query("SELECT COUNT(*), COUNT(DISTINCT ksn) FROM request_slots")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((row.get::<i64, _>(0), row.get::<i64, _>(1)), (60, 60));
    assert_eq!(scenarios::sequence_total(&pool).await, 60, "no id skipped or reused");
    for instance in instances {
        instance.stop().await;
    }
}

#[tokio::test]
async fn a_database_outage_is_a_503_and_the_service_recovers() {
    let pg = PgCluster::start();
    let fixture = Fixture::start(Faults::default());
    let overrides = Overrides::default().set("database.acquire_timeout_ms", 500);
    let config = fixture.config(&pg.url(), &overrides);
    let service = Running::start(&config, fixture.credentials()).await;
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let token = enrol(&pool, &config, "POS-O", "dukpt", "fleet").await;
    pool.close().await;
    let device = service.client.with_token(&token);
    let path = "/v1/devices/POS-O/key-requests";
    assert_eq!(device.post_json(path, &json!({})).await.status, 200);

    pg.stop();
    let reply = device.post_json(path, &json!({})).await;
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (503, "database_unavailable")
    );
    assert!(reply.header("retry-after").is_some());
    let ready = service.client.get("/readyz").await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json::<serde_json::Value>()["database"], false);
    assert_eq!(
        service.client.get("/healthz").await.status,
        200,
        "alive, just not ready"
    );

    pg.start_server();
    let mut recovered = false;
    for _ in 0..50 {
        if service.client.get("/readyz").await.status == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(recovered, "/readyz turns 200 once PostgreSQL is back");
    let reply = device.post_json(path, &json!({})).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    service.stop().await;
}
