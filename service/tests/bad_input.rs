//! Bad input and refused callers: each gets a JSON error with a stable code and the right
//! status, allocates nothing, and leaves a `refused` row in the audit trail.

use std::time::Duration;

use axum::http::Method;
use keybridge_service::Overrides;
use keybridge_service::audit::{self, Filter};
use keybridge_service::testing::{Fixture, Running, enrol};
use keybridge_service::tokens::{self, Scope};
use keybridge_testkit::emulator::Faults;
use sqlx::Row;

#[tokio::test]
async fn refusals_are_typed_allocate_nothing_and_are_audited() {
    let fixture = Fixture::start(Faults::default());
    let config = fixture.config(
        &fixture.sqlite("kb.db"),
        &Overrides::default().set("server.max_body_bytes", 256),
    );
    let service = Running::start(&config, fixture.credentials()).await;
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let own = enrol(&pool, &config, "POS-1", "dukpt", "shop-1").await;
    enrol(&pool, &config, "POS-2", "dukpt", "shop-2").await;
    let revoked = tokens::create(&pool, Scope::Device("POS-1".into()), "", Duration::from_secs(60), "t")
        .await
        .unwrap();
    tokens::revoke(&pool, &revoked.id, "t").await.unwrap();
    let expired = tokens::create(&pool, Scope::Device("POS-1".into()), "", Duration::from_millis(1), "t")
        .await
        .unwrap();
    let operator = tokens::create(
        &pool,
        Scope::Operator("shop-1".into()),
        "",
        Duration::from_secs(60),
        "t",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let wrong_secret = format!("{}{}", &own[..own.len() - 4], "0000");

    let post = "/v1/devices/POS-1/key-requests";
    let big = vec![b' '; 300];
    let cases: Vec<(&str, Option<&str>, &str, Vec<(&str, &str)>, Option<&[u8]>, u16, &str)> = vec![
        (
            "malformed JSON",
            Some(&own),
            post,
            vec![],
            Some(b"{\"x\":"),
            400,
            "malformed_json",
        ),
        (
            "unknown field",
            Some(&own),
            post,
            vec![],
            Some(br#"{"slots":[1]}"#),
            400,
            "invalid_request",
        ),
        (
            "oversized body",
            Some(&own),
            post,
            vec![],
            Some(&big),
            413,
            "body_too_large",
        ),
        ("no token", None, post, vec![], None, 401, "unauthenticated"),
        (
            "not a keybridge token",
            Some("abc"),
            post,
            vec![],
            None,
            401,
            "unauthenticated",
        ),
        (
            "wrong secret",
            Some(&wrong_secret),
            post,
            vec![],
            None,
            401,
            "unauthenticated",
        ),
        (
            "revoked token",
            Some(&revoked.token),
            post,
            vec![],
            None,
            401,
            "token_revoked",
        ),
        (
            "expired token",
            Some(&expired.token),
            post,
            vec![],
            None,
            401,
            "token_expired",
        ),
        (
            "another device's keys",
            Some(&own),
            "/v1/devices/POS-2/key-requests",
            vec![],
            None,
            403,
            "forbidden",
        ),
        (
            "another group's device",
            Some(&operator.token),
            "/v1/devices/POS-2/key-requests",
            vec![],
            None,
            403,
            "forbidden",
        ),
        (
            "unknown device",
            Some(&operator.token),
            "/v1/devices/POS-9/key-requests",
            vec![],
            None,
            404,
            "unknown_device",
        ),
        (
            "bad POS id",
            Some(&operator.token),
            "/v1/devices/a%20b/key-requests",
            vec![],
            None,
            400,
            "invalid_request",
        ),
        (
            "bad idempotency key",
            Some(&own),
            post,
            vec![("Idempotency-Key", "a b")],
            None,
            400,
            "invalid_request",
        ),
        (
            "unknown request",
            Some(&own),
            "/v1/key-requests/kr_none/report",
            vec![],
            Some(br#"{"slots":[]}"#),
            404,
            "unknown_request",
        ),
        (
            "report with an unknown field",
            Some(&own),
            "/v1/key-requests/kr_none/report",
            vec![],
            Some(br#"{"slots":[],"x":1}"#),
            400,
            "invalid_request",
        ),
    ];
    for (name, token, path, headers, body, status, code) in &cases {
        let client = match token {
            Some(token) => service.client.with_token(token),
            None => service.client.clone(),
        };
        let mut headers = headers.clone();
        headers.push(("content-type", "application/json"));
        let reply = client.send(Method::POST, path, &headers, *body).await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (*status, code.to_string()),
            "{name}: {}",
            String::from_utf8_lossy(&reply.body)
        );
    }
    let requests: i64 = sqlx::query("SELECT COUNT(*) FROM key_requests")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    let sequences: i64 = sqlx::query("SELECT COUNT(*) FROM ksn_sequences")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!((requests, sequences), (0, 0), "nothing allocated");
    assert_eq!(fixture.emulator.calls("ExportKey"), 0, "AWS never called");

    let refused: Vec<_> = audit::read(&pool, &Filter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event == "refused")
        .collect();
    let codes: Vec<&str> = refused.iter().filter_map(|r| r.code.as_deref()).collect();
    let expected: Vec<&str> = cases.iter().map(|c| c.6).collect();
    assert_eq!(codes, expected, "one refused row per case, in order");
    let forbidden = refused.iter().find(|r| r.code.as_deref() == Some("forbidden")).unwrap();
    assert_eq!(
        (forbidden.device_id.as_deref(), forbidden.token_id.is_some()),
        (Some("POS-2"), true),
        "the refusal names the device asked for and the token that asked"
    );
    for row in &refused {
        let text = serde_json::to_string(row).unwrap();
        assert!(!text.contains(&own[20..]), "no token secret in the audit trail");
    }

    // Unknown routes and methods are JSON errors too.
    let reply = service.client.get("/v2/nothing").await;
    assert_eq!((reply.status, reply.error_code().as_str()), (404, "not_found"));
    let reply = service
        .client
        .send(Method::DELETE, "/v1/devices/POS-1", &[], None)
        .await;
    assert_eq!((reply.status, reply.error_code().as_str()), (405, "method_not_allowed"));
    service.stop().await;
}

#[tokio::test]
async fn a_revoked_device_gets_no_keys_but_its_operator_can_still_look() {
    let fixture = Fixture::start(Faults::default());
    let config = fixture.config(&fixture.sqlite("kb.db"), &Overrides::default());
    let service = Running::start(&config, fixture.credentials()).await;
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let device_token = enrol(&pool, &config, "POS-R", "dukpt", "shop-1").await;
    let operator = tokens::create(
        &pool,
        Scope::Operator("shop-1".into()),
        "",
        Duration::from_secs(60),
        "t",
    )
    .await
    .unwrap();
    keybridge_service::devices::revoke(&pool, "POS-R", "t").await.unwrap();

    let reply = service
        .client
        .with_token(&device_token)
        .post_json("/v1/devices/POS-R/key-requests", &serde_json::json!({}))
        .await;
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (401, "token_revoked"),
        "device tokens go with the device"
    );
    let ops = service.client.with_token(&operator.token);
    let reply = ops
        .post_json("/v1/devices/POS-R/key-requests", &serde_json::json!({}))
        .await;
    assert_eq!((reply.status, reply.error_code().as_str()), (403, "device_revoked"));
    let view = ops.get("/v1/devices/POS-R").await;
    assert_eq!(view.status, 200);
    assert_eq!(view.json::<serde_json::Value>()["status"], "revoked");
    service.stop().await;
}
