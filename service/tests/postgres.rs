//! The device API on PostgreSQL, with a cluster each test starts itself: the shared scenarios,
//! two instances allocating at once, and an outage.

mod scenarios;

use std::collections::BTreeSet;
use std::time::Duration;

use keybridge::service_api::KeyRequestResponse;
use keybridge_service::Overrides;
use keybridge_service_testing::{Fixture, PgCluster, Running, enrol};
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

#[tokio::test]
async fn every_refusal_of_an_outage_is_in_the_audit_trail_once_the_database_is_back() {
    let pg = PgCluster::start();
    let fixture = Fixture::start(Faults::default());
    let overrides = Overrides::default().set("database.acquire_timeout_ms", 300);
    let config = fixture.config(&pg.url(), &overrides);
    let service = Running::start(&config, fixture.credentials()).await;
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let token = enrol(&pool, &config, "POS-S", "dukpt", "fleet").await;
    pool.close().await;
    let path = "/v1/devices/POS-S/key-requests";

    pg.stop();
    let mut refused = Vec::new();
    for _ in 0..3 {
        let reply = service.client.post_json(path, &json!({})).await;
        refused.push((reply.status, reply.error_code()));
        let reply = service.client.with_token(&token).post_json(path, &json!({})).await;
        refused.push((reply.status, reply.error_code()));
    }
    let spool = std::fs::read_to_string(fixture.dir().join("refusals.spool")).unwrap();
    assert_eq!(spool.lines().count(), refused.len(), "each refusal spooled: {spool}");
    assert!(!spool.contains(&token[20..]), "no token secret in the spool");

    pg.start_server();
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let mut delayed = Vec::new();
    for _ in 0..100 {
        delayed = keybridge_service::audit::read(&pool, &keybridge_service::audit::Filter::default())
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.delayed_at.is_some())
            .collect();
        if delayed.len() >= refused.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let codes: Vec<(String, String)> = delayed
        .iter()
        .map(|r| (r.event.clone(), r.code.clone().unwrap_or_default()))
        .collect();
    let expected: Vec<(String, String)> = refused
        .iter()
        .map(|(status, code)| {
            let event = if *status >= 500 { "request_failed" } else { "refused" };
            (event.to_owned(), code.clone())
        })
        .collect();
    assert_eq!(codes, expected, "every refusal of the outage, in order, marked delayed");
    assert!(
        refused.iter().any(|(s, c)| *s == 401 && c == "unauthenticated")
            && refused.iter().any(|(s, c)| *s == 503 && c == "database_unavailable")
    );
    assert!(delayed.iter().all(|r| r.time <= *r.delayed_at.as_ref().unwrap()));
    assert_eq!(
        std::fs::read_to_string(fixture.dir().join("refusals.spool")).unwrap(),
        "",
        "the spool is emptied once written"
    );
    service.stop().await;
}
