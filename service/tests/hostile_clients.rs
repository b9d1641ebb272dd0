//! Clients that lie about their body or send it slowly, on raw sockets (no HTTP client sends
//! these): each is answered, or its connection closed, within the service's limits, so no client
//! can pin a connection; nothing is allocated and the refusals are audited.

use std::net::SocketAddr;
use std::time::Duration;

use keybridge_service::Overrides;
use keybridge_service::audit::{self, Filter};
use keybridge_service_testing::{Fixture, Running, enrol};
use keybridge_testkit::emulator::Faults;
use sqlx::Row;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Far longer than any limit below: reaching it means the service held the connection.
const PATIENCE: Duration = Duration::from_secs(20);

/// Sends `bytes`, then reads until the service closes the connection. Returns what it answered
/// (empty when it closed without an answer); panics if it neither answers nor closes.
async fn send_and_wait(address: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
        .await
        .expect("the service closes the connection instead of waiting for the client")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

fn head(token: &str, length: &str) -> String {
    format!(
        "POST /v1/devices/POS-1/key-requests HTTP/1.1\r\nhost: keybridge\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: {length}\r\n\r\n"
    )
}

fn status_and_code(answer: &str) -> (u16, String) {
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let code = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
        .unwrap_or_default();
    (status, code)
}

#[tokio::test]
async fn lying_lengths_slow_bodies_and_slow_headers_cannot_pin_a_connection() {
    let fixture = Fixture::start(Faults::default());
    let overrides = Overrides::default()
        .set("server.max_body_bytes", 1024)
        .set("server.body_timeout_ms", 300)
        .set("server.header_timeout_ms", 300);
    let config = fixture.config(&fixture.sqlite("kb.db"), &overrides);
    let service = Running::start(&config, fixture.credentials()).await;
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let token = enrol(&pool, &config, "POS-1", "dukpt", "shop-1").await;
    let address: SocketAddr = service.url.trim_start_matches("http://").parse().unwrap();

    // Declares 99,999,999,999 bytes and sends two: refused from the declaration, not after a
    // wait for the body (which would be a 408).
    let lying = format!("{}{{}}", head(&token, "99999999999"));
    let answer = send_and_wait(address, lying.as_bytes()).await;
    assert_eq!(status_and_code(&answer), (413, "body_too_large".into()), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");

    // Declares 10 bytes and sends 2, then nothing: answered 408 once the body timeout passes.
    let slow = format!("{}{{\"", head(&token, "10"));
    let answer = send_and_wait(address, slow.as_bytes()).await;
    assert_eq!(status_and_code(&answer), (408, "request_timeout".into()), "{answer}");

    // Half a request line and headers, then nothing; and a connection that sends nothing at all.
    for partial in ["POST /v1/devices/POS-1/key-requests HTTP/1.1\r\nhost: k", ""] {
        let answer = send_and_wait(address, partial.as_bytes()).await;
        assert!(!answer.starts_with("HTTP/1.1 2"), "{partial:?}: {answer}");
    }

    let requests: i64 = sqlx::query("SELECT COUNT(*) FROM key_requests")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(requests, 0, "nothing allocated");
    let codes: Vec<String> = audit::read(&pool, &Filter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event == "refused")
        .filter_map(|r| r.code)
        .collect();
    assert_eq!(codes, ["body_too_large", "request_timeout"]);

    // The service still serves.
    let reply = service
        .client
        .with_token(&token)
        .post_json("/v1/devices/POS-1/key-requests", &serde_json::json!({}))
        .await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    service.stop().await;
}
