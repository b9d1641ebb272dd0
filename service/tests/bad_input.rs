//! Bad input and refused callers: each gets a JSON error with a stable code and the right
//! status, allocates nothing, and leaves a `refused` row in the audit trail. Tokens list with
//! their real state.

use std::time::Duration;

use axum::http::Method;
use keybridge_service::Overrides;
use keybridge_service::audit::{self, Filter};
use keybridge_service::tokens::{self, Scope, TokenState};
use keybridge_service_testing::{Fixture, Running, enrol};
use keybridge_testkit::emulator::Faults;
use sqlx::Row;

/// One bad call and the answer it must get.
struct Case<'a> {
    name: &'a str,
    token: Option<&'a str>,
    path: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: Option<&'a [u8]>,
    status: u16,
    code: &'a str,
}

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
    let admin = tokens::create(&pool, Scope::Admin, "", Duration::from_secs(60), "t")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let wrong_secret = format!("{}{}", &own[..own.len() - 4], "0000");

    let post = "/v1/devices/POS-1/key-requests";
    let big = vec![b' '; 300];
    let cases = [
        Case {
            name: "malformed JSON",
            token: Some(&own),
            path: post,
            headers: &[],
            body: Some(b"{\"x\":"),
            status: 400,
            code: "malformed_json",
        },
        Case {
            name: "a JSON array, not an object",
            token: Some(&own),
            path: post,
            headers: &[],
            body: Some(b"[]"),
            status: 400,
            code: "invalid_request",
        },
        Case {
            name: "JSON null",
            token: Some(&own),
            path: post,
            headers: &[],
            body: Some(b"null"),
            status: 400,
            code: "invalid_request",
        },
        Case {
            name: "a JSON number",
            token: Some(&own),
            path: post,
            headers: &[],
            body: Some(b" 42 "),
            status: 400,
            code: "invalid_request",
        },
        Case {
            name: "a JSON string",
            token: Some(&own),
            path: post,
            headers: &[],
            body: Some(br#""x""#),
            status: 400,
            code: "invalid_request",
        },
        Case {
            name: "a report that is an array",
            token: Some(&own),
            path: "/v1/key-requests/kr_none/report",
            headers: &[],
            body: Some(br#"[[]]"#),
            status: 400,
            code: "invalid_request",
        },
        Case {
            name: "JSON sent as text/plain",
            token: Some(&own),
            path: post,
            headers: &[("content-type", "text/plain")],
            body: Some(b"{}"),
            status: 415,
            code: "unsupported_media_type",
        },
        Case {
            name: "a body without a content type",
            token: Some(&own),
            path: post,
            headers: &[("content-type", "")],
            body: Some(b"{}"),
            status: 415,
            code: "unsupported_media_type",
        },
        Case {
            name: "unknown field",
            token: Some(&own),
            path: post,
            headers: &[],
            body: Some(br#"{"slots":[1]}"#),
            status: 400,
            code: "invalid_request",
        },
        Case {
            name: "oversized body",
            token: Some(&own),
            path: post,
            headers: &[],
            body: Some(&big),
            status: 413,
            code: "body_too_large",
        },
        Case {
            name: "no token",
            token: None,
            path: post,
            headers: &[],
            body: None,
            status: 401,
            code: "unauthenticated",
        },
        Case {
            name: "not a keybridge token",
            token: Some("abc"),
            path: post,
            headers: &[],
            body: None,
            status: 401,
            code: "unauthenticated",
        },
        Case {
            name: "wrong secret",
            token: Some(&wrong_secret),
            path: post,
            headers: &[],
            body: None,
            status: 401,
            code: "unauthenticated",
        },
        Case {
            name: "revoked token",
            token: Some(&revoked.token),
            path: post,
            headers: &[],
            body: None,
            status: 401,
            code: "token_revoked",
        },
        Case {
            name: "expired token",
            token: Some(&expired.token),
            path: post,
            headers: &[],
            body: None,
            status: 401,
            code: "token_expired",
        },
        Case {
            name: "another device's keys",
            token: Some(&own),
            path: "/v1/devices/POS-2/key-requests",
            headers: &[],
            body: None,
            status: 403,
            code: "forbidden",
        },
        Case {
            name: "another group's device",
            token: Some(&operator.token),
            path: "/v1/devices/POS-2/key-requests",
            headers: &[],
            body: None,
            status: 403,
            code: "forbidden",
        },
        Case {
            name: "unknown device",
            token: Some(&operator.token),
            path: "/v1/devices/POS-9/key-requests",
            headers: &[],
            body: None,
            status: 404,
            code: "unknown_device",
        },
        Case {
            name: "bad POS id",
            token: Some(&operator.token),
            path: "/v1/devices/a%20b/key-requests",
            headers: &[],
            body: None,
            status: 400,
            code: "invalid_request",
        },
        Case {
            name: "bad idempotency key",
            token: Some(&own),
            path: post,
            headers: &[("Idempotency-Key", "a b")],
            body: None,
            status: 400,
            code: "invalid_request",
        },
        Case {
            name: "unknown request",
            token: Some(&own),
            path: "/v1/key-requests/kr_none/report",
            headers: &[],
            body: Some(br#"{"slots":[]}"#),
            status: 404,
            code: "unknown_request",
        },
        Case {
            name: "report with an unknown field",
            token: Some(&own),
            path: "/v1/key-requests/kr_none/report",
            headers: &[],
            body: Some(br#"{"slots":[],"x":1}"#),
            status: 400,
            code: "invalid_request",
        },
        Case {
            name: "an admin token asking for a reader's keys",
            token: Some(&admin.token),
            path: post,
            headers: &[],
            body: None,
            status: 403,
            code: "forbidden",
        },
    ];
    for case in &cases {
        let Case {
            name,
            token,
            path,
            headers,
            body,
            status,
            code,
        } = case;
        let client = match token {
            Some(token) => service.client.with_token(token),
            None => service.client.clone(),
        };
        // JSON unless the case says otherwise (an empty value: no content type at all).
        let mut headers: Vec<(&str, &str)> = headers.to_vec();
        if !headers.iter().any(|(name, _)| *name == "content-type") {
            headers.push(("content-type", "application/json"));
        }
        headers.retain(|(_, value)| !value.is_empty());
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
    let expected: Vec<&str> = cases.iter().map(|c| c.code).collect();
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

#[tokio::test]
async fn tokens_list_with_their_real_state() {
    let fixture = Fixture::start(Faults::default());
    let config = fixture.config(&fixture.sqlite("kb.db"), &Overrides::default());
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    enrol(&pool, &config, "POS-T", "dukpt", "shop-1").await;
    let device = Scope::Device("POS-T".into());
    let expired = tokens::create(&pool, device.clone(), "short", Duration::from_millis(1), "t")
        .await
        .unwrap();
    let revoked = tokens::create(&pool, device, "gone", Duration::from_secs(60), "t")
        .await
        .unwrap();
    tokens::revoke(&pool, &revoked.id, "t").await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let states: Vec<(String, TokenState)> = tokens::list(&pool, Some("POS-T"))
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.label, t.state))
        .collect();
    assert_eq!(states.len(), 3);
    for (label, state) in &states {
        let expected = match label.as_str() {
            "short" => TokenState::Expired,
            "gone" => TokenState::Revoked,
            _ => TokenState::Active,
        };
        assert_eq!(*state, expected, "{label}");
    }
    assert!(expired.expires_at > 0);
}
