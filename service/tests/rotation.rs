//! Key rotation on PostgreSQL: an admin rotates a profile to new AWS keys through the API, the
//! rotation is audited, every reader holding the old keys is listed stale, a reader's next key
//! request is issued from the new generation, and its report of the load clears the mark.

use std::collections::BTreeSet;
use std::time::Duration;

use keybridge::service_api::KeyRequestResponse;
use keybridge_service::Overrides;
use keybridge_service::audit::{self, Filter};
use keybridge_service::generations;
use keybridge_service::tokens::{self, Scope};
use keybridge_service_testing::{Client, Fixture, PgCluster, Running, enrol};
use keybridge_testkit::emulator::Faults;
use serde_json::{Value, json};

/// Requests keys for `pos_id` and, when `report`, reports every slot loaded with the KCV the
/// reader computes. Returns the answer.
async fn provision(fixture: &Fixture, device: &Client, pos_id: &str, report: bool) -> KeyRequestResponse {
    let reply = device
        .post_json(&format!("/v1/devices/{pos_id}/key-requests"), &json!({}))
        .await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let answer: KeyRequestResponse = reply.json();
    if report {
        let slots: Vec<Value> = answer
            .keys
            .iter()
            .map(|k| json!({"slot": k.slot, "outcome": "loaded", "readerKcv": fixture.reader_kcv(&k.key_block)}))
            .collect();
        let reply = device
            .post_json(
                &format!("/v1/key-requests/{}/report", answer.request_id),
                &json!({ "slots": slots }),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    }
    answer
}

async fn stale(operator: &Client) -> Vec<String> {
    let reply = operator.get("/v1/devices?stale=true").await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    reply.json::<Value>()["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["posId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_rotation_makes_holders_stale_until_they_reload_and_report() {
    let pg = PgCluster::start();
    let fixture = Fixture::start(Faults::default());
    let config = fixture.config(&pg.url(), &Overrides::default());
    let service = Running::start(&config, fixture.credentials()).await;
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let mut devices = Vec::new();
    for pos_id in ["R-1", "R-2", "R-3"] {
        let token = enrol(&pool, &config, pos_id, "fleet", "fleet").await;
        devices.push((pos_id, service.client.with_token(&token)));
    }
    enrol(&pool, &config, "R-NEW", "fleet", "fleet").await;
    let day = Duration::from_secs(86_400);
    let operator = tokens::create(&pool, Scope::Operator("fleet".into()), "", day, "t")
        .await
        .unwrap();
    let operator = service.client.with_token(&operator.token);
    let admin = tokens::create(&pool, Scope::Admin, "", day, "t").await.unwrap();
    let admin = service.client.with_token(&admin.token);

    let mut ksns = BTreeSet::new();
    for (pos_id, device) in &devices {
        let answer = provision(&fixture, device, pos_id, true).await;
        ksns.insert(answer.keys[1].ksn.clone().unwrap());
    }
    assert!(stale(&operator).await.is_empty(), "nothing rotated yet");

    // Only an admin rotates; a rotation names real slots.
    let rotation = json!({"slots": [
        {"slot": 0, "key": Fixture::ROTATED_PIN},
        {"slot": 1, "key": Fixture::ROTATED_BDK},
    ]});
    let path = "/v1/profiles/fleet/rotations";
    assert_eq!(operator.post_json(path, &rotation).await.error_code(), "forbidden");
    let reply = admin
        .post_json(path, &json!({"slots": [{"slot": 7, "key": "alias/x"}]}))
        .await;
    assert_eq!((reply.status, reply.error_code().as_str()), (422, "unknown_slot"));
    let reply = admin.post_json("/v1/profiles/nope/rotations", &rotation).await;
    assert_eq!((reply.status, reply.error_code().as_str()), (404, "unknown_profile"));
    let reply = admin.post_json(path, &rotation).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let rotated: Value = reply.json();
    assert_eq!(rotated["generation"], 2);
    assert_eq!(rotated["slots"][1]["key"], Fixture::ROTATED_BDK);
    let rows = audit::read(&pool, &Filter::default()).await.unwrap();
    let rotations: Vec<_> = rows.iter().filter(|r| r.event == "profile_rotated").collect();
    assert_eq!(rotations.len(), 1);
    assert!(rotations[0].detail.as_deref().unwrap().contains("generation 2"));

    // Every holder is stale; the reader that never loaded anything holds no old keys.
    assert_eq!(stale(&operator).await, ["R-1", "R-2", "R-3"]);
    let admin_view = admin.get("/v1/devices").await.json::<Value>();
    assert_eq!(admin_view["devices"].as_array().unwrap().len(), 4);
    assert!(admin_view["devices"][3]["heldGeneration"].is_null());

    // R-1 reloads from generation 2 but has not reported yet: still stale. Its report clears it.
    let (pos_id, device) = &devices[0];
    let answer = provision(&fixture, device, pos_id, false).await;
    assert_eq!(
        answer.keys[0].key_arn,
        fixture.emulator.alias_arn(Fixture::ROTATED_PIN).unwrap()
    );
    assert_eq!(
        answer.keys[1].key_arn,
        fixture.emulator.alias_arn(Fixture::ROTATED_BDK).unwrap()
    );
    assert!(stale(&operator).await.contains(&"R-1".to_owned()));
    let answer = provision(&fixture, device, pos_id, true).await;
    ksns.insert(answer.keys[1].ksn.clone().unwrap());
    assert_eq!(stale(&operator).await, ["R-2", "R-3"]);

    for (pos_id, device) in &devices[1..] {
        let answer = provision(&fixture, device, pos_id, true).await;
        ksns.insert(answer.keys[1].ksn.clone().unwrap());
    }
    assert!(stale(&operator).await.is_empty());
    let held: Vec<Option<i64>> = generations::devices(&pool, Some("fleet"))
        .await
        .unwrap()
        .iter()
        .map(|d| d.held_generation)
        .collect();
    assert_eq!(held, [Some(2), Some(2), Some(2), None]);
    // The Initial Key ID sequence went on across the generations: six loads, six KSNs.
    assert_eq!(ksns.len(), 6);
    service.stop().await;
}
