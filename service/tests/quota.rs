//! The account's AWS quota on PostgreSQL: instances sharing one database together stay within
//! it under load, with no call wasted on throttling, and the `GetKey` cache makes each issued key
//! cost about one call.
//!
//! The emulator enforces the account quota as AWS does (calls above it are throttled) and logs
//! every call with its arrival time; the band is measured there, over every 10-second window of
//! the loaded period.

use std::time::{Duration, Instant};

use keybridge::service_api::KeyRequestResponse;
use keybridge_service::Overrides;
use keybridge_service_testing::{Fixture, PgCluster, Running, enrol};
use keybridge_testkit::emulator::Faults;
use serde_json::json;

/// The account quota of these tests, calls per second: small, so a short run is long enough.
const QUOTA: u32 = 20;
const WINDOW: Duration = Duration::from_secs(10);
/// How long the fleet is kept busy; the first second (an empty bucket filling) is not measured.
const LOAD: Duration = Duration::from_secs(13);
const RAMP: Duration = Duration::from_secs(1);

fn account_faults(quota: u32) -> Faults {
    Faults {
        account_calls_per_second: Some(quota),
        ..Faults::default()
    }
}

/// `instances` services on one PostgreSQL, each allowed far more than the account quota on its
/// own, kept busy by 16 clients; the calls reaching AWS stay within 0.9 to 1.05 times the quota
/// in every 10-second window, and none is throttled.
async fn instances_share_the_account_quota(instances: usize) {
    let pg = PgCluster::start();
    let fixture = Fixture::start(account_faults(QUOTA));
    let overrides = Overrides::default()
        .set("aws.account_calls_per_second", QUOTA)
        .set("aws.queue_timeout_ms", 120_000)
        .set("database.max_connections", 4);
    let config = fixture.config(&pg.url(), &overrides);
    let mut running = Vec::new();
    for _ in 0..instances {
        running.push(Running::start(&config, fixture.credentials()).await);
    }
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let mut tokens = Vec::new();
    for n in 0..8 {
        tokens.push(enrol(&pool, &config, &format!("Q-{n}"), "fleet", "fleet").await);
    }
    let start = Instant::now();
    let deadline = start + LOAD;
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..16 {
        let client = running[c % instances].client.with_token(&tokens[c % tokens.len()]);
        let path = format!("/v1/devices/Q-{}/key-requests", c % tokens.len());
        clients.spawn(async move {
            let mut issued = 0;
            while Instant::now() < deadline {
                let reply = client.post_json(&path, &json!({})).await;
                assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
                issued += reply.json::<KeyRequestResponse>().keys.len();
            }
            issued
        });
    }
    let issued: usize = clients.join_all().await.into_iter().sum();
    let log = fixture.emulator.call_log();
    let throttled = log.iter().filter(|c| c.throttled).count();
    assert_eq!(throttled, 0, "no call above the account quota");
    let (fewest, most) = fixture
        .emulator
        .calls_per_window(WINDOW, (start + RAMP, deadline))
        .expect("the load lasted longer than a window");
    let quota = f64::from(QUOTA) * WINDOW.as_secs_f64();
    eprintln!(
        "{instances} instances: {fewest}..={most} calls per {WINDOW:?} window (quota {quota}), {issued} keys, {} calls",
        log.len()
    );
    assert!(
        fewest as f64 >= 0.9 * quota && most as f64 <= 1.05 * quota,
        "{fewest}..={most} calls per window, quota {quota}"
    );
    for instance in running {
        instance.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_the_account_quota() {
    instances_share_the_account_quota(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_instances_share_the_account_quota() {
    instances_share_the_account_quota(4).await;
}

/// Keys issued per AWS call with the `GetKey` cache off (every export asks for the key and the
/// KEK, as before the cache) and on, at the same account quota.
async fn keys_per_call(cache_ttl_ms: u64) -> (f64, String) {
    let pg = PgCluster::start();
    let fixture = Fixture::start(account_faults(50));
    let overrides = Overrides::default()
        .set("aws.account_calls_per_second", 50)
        .set("aws.key_cache_ttl_ms", cache_ttl_ms)
        .set("aws.queue_timeout_ms", 120_000);
    let config = fixture.config(&pg.url(), &overrides);
    let service = Running::start(&config, fixture.credentials()).await;
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let mut clients = tokio::task::JoinSet::new();
    for n in 0..4 {
        let token = enrol(&pool, &config, &format!("C-{n}"), "fleet", "fleet").await;
        let client = service.client.with_token(&token);
        clients.spawn(async move {
            let mut keys = 0;
            for _ in 0..5 {
                let reply = client
                    .post_json(&format!("/v1/devices/C-{n}/key-requests"), &json!({}))
                    .await;
                assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
                keys += reply.json::<KeyRequestResponse>().keys.len();
            }
            keys
        });
    }
    let keys: usize = clients.join_all().await.into_iter().sum();
    let log = fixture.emulator.call_log();
    assert!(log.iter().all(|c| !c.throttled), "no call above the account quota");
    let metrics = String::from_utf8_lossy(&service.client.get("/metrics").await.body).into_owned();
    service.stop().await;
    (keys as f64 / log.len() as f64, metrics)
}

#[tokio::test]
async fn the_key_cache_issues_at_least_two_and_a_half_times_the_keys_per_aws_call() {
    let (uncached, _) = keys_per_call(0).await;
    let (cached, metrics) = keys_per_call(30_000).await;
    eprintln!("keys per AWS call: {uncached:.3} without the cache, {cached:.3} with it");
    assert!(
        cached >= 2.5 * uncached,
        "{cached:.3} keys per call with the cache, {uncached:.3} without"
    );
    assert!(
        metrics.contains("keybridge_key_cache_hit_ratio"),
        "the hit rate is in /metrics"
    );
}
