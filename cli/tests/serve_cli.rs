//! `keybridge serve` and its admin commands as programs: enrol with `devices add` and `tokens
//! create`, serve with nothing but a configuration file, kill the server with SIGKILL in the
//! middle of requests, restart it, and check with `keybridge audit` and the database that no
//! Initial Key ID was issued twice and every answered request has its audit rows.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keybridge::service_api::KeyRequestResponse;
use keybridge_service_testing::{Client, Fixture, Method};
use keybridge_testkit::emulator::{DEFAULT_ACCESS_KEY_ID, DEFAULT_REGION, DEFAULT_SECRET_ACCESS_KEY, Faults};
use sqlx::Row;

const BIN: &str = env!("CARGO_BIN_EXE_keybridge");

fn keybridge(config: &str, args: &[&str]) -> Output {
    let output = Command::new(BIN)
        .args(args)
        .args(["--config", config])
        .output()
        .expect("keybridge runs");
    assert!(
        output.status.success(),
        "keybridge {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `keybridge serve` as a child process with AWS credentials in its environment only.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(args)
            .env_remove("KEYBRIDGE_CONFIG")
            .env("AWS_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", DEFAULT_SECRET_ACCESS_KEY)
            .env("AWS_REGION", DEFAULT_REGION)
            .stdout(Stdio::piped())
            .spawn()
            .expect("keybridge serve starts");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let url = first.split_whitespace().last().unwrap_or_default().to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "first line: {first:?}");
        Self { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Clients requesting keys in a loop until the server goes away; answered requests are kept.
async fn load(url: &str, tokens: &[(String, String)], answered: Arc<Mutex<Vec<KeyRequestResponse>>>) {
    let mut clients = tokio::task::JoinSet::new();
    for (pos_id, token) in tokens {
        let client = Client::new(url, None).with_token(token);
        let path = format!("/v1/devices/{pos_id}/key-requests");
        let answered = answered.clone();
        clients.spawn(async move {
            let Ok(mut connection) = client.connect().await else {
                return;
            };
            for _ in 0..200 {
                match connection.send(Method::POST, &path, &[], None).await {
                    Ok(reply) if reply.status == 200 => answered.lock().unwrap().push(reply.json()),
                    Ok(reply) => panic!("{}: {}", reply.status, String::from_utf8_lossy(&reply.body)),
                    Err(_) => return,
                }
            }
        });
    }
    clients.join_all().await;
}

async fn wait_for(answered: &Mutex<Vec<KeyRequestResponse>>, count: usize) {
    for _ in 0..600 {
        if answered.lock().unwrap().len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {count} answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_restarts_without_duplicate_ksns_or_lost_audit_rows() {
    // Slow AWS answers keep requests in flight when the server is killed.
    let fixture = Fixture::start(Faults {
        delay: Duration::from_millis(40),
        ..Faults::default()
    });
    let config_path = fixture.dir().join("keybridge.toml");
    std::fs::write(&config_path, fixture.config_toml(&fixture.sqlite("kb.db"))).unwrap();
    let config = config_path.display().to_string();

    let mut tokens = Vec::new();
    for n in 0..8 {
        let pos_id = format!("POS-{n}");
        keybridge(
            &config,
            &["devices", "add", &pos_id, "--kek", Fixture::KEK, "--profile", "dukpt"],
        );
        let created = keybridge(&config, &["tokens", "create", "--device", &pos_id, "--json"]);
        let created: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
        tokens.push((pos_id, created["token"].as_str().unwrap().to_owned()));
    }

    let answered = Arc::new(Mutex::new(Vec::new()));
    let first = Server::start(&["--config", &config]);
    let running = tokio::spawn({
        let (url, tokens, answered) = (first.url.clone(), tokens.clone(), answered.clone());
        async move { load(&url, &tokens, answered).await }
    });
    wait_for(&answered, 12).await;
    drop(first); // SIGKILL, mid-request for most clients
    running.await.unwrap();
    let before_restart = answered.lock().unwrap().len();

    let mut second = Server::start(&["--config", &config]);
    let running = tokio::spawn({
        let (url, tokens, answered) = (second.url.clone(), tokens.clone(), answered.clone());
        async move { load(&url, &tokens, answered).await }
    });
    wait_for(&answered, before_restart + 12).await;
    // A graceful stop this time: SIGTERM, in-flight requests finish, exit status 0.
    let terminated = Command::new("kill")
        .args(["-TERM", &second.child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    running.await.unwrap();
    let status = second.child.wait().unwrap();
    assert!(status.success(), "serve exits cleanly on SIGTERM: {status}");

    // Every answered KSN is distinct.
    let answers = answered.lock().unwrap().clone();
    let ksns: BTreeMap<String, String> = answers
        .iter()
        .map(|a| (a.keys[0].ksn.clone().unwrap(), a.request_id.clone()))
        .collect();
    assert_eq!(ksns.len(), answers.len(), "no KSN answered twice");

    // Every answered request has its export row, with the KSN it was answered with.
    let audit = keybridge(&config, &["audit", "--json"]);
    let exports: BTreeMap<String, String> = String::from_utf8_lossy(&audit.stdout)
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|row| row["event"] == "export")
        .map(|row| {
            (
                row["request_id"].as_str().unwrap().to_owned(),
                row["ksn"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (ksn, request_id) in &ksns {
        assert_eq!(exports.get(request_id), Some(ksn), "audit row of {request_id}");
    }

    // In the database: no KSN allocated twice (killed requests' KSNs stay burned), and the
    // sequence has handed out exactly as many ids as there are allocations.
    let database = keybridge_service::config::Config::load(Some(&config_path), &Default::default())
        .unwrap()
        .database;
    let pool = keybridge_service::db::connect(&database).await.unwrap();
    let allocated: Vec<String> = sqlx::query("SELECT ksn FROM request_slots")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let distinct: BTreeSet<&String> = allocated.iter().collect();
    assert_eq!(distinct.len(), allocated.len());
    // Eight clients each keep a request in AWS most of the time, so the kill leaves some
    // allocated and unanswered: burned, never reissued.
    assert!(
        allocated.len() > answers.len(),
        "{} allocated, {} answered",
        allocated.len(),
        answers.len()
    );
    let last: i64 = sqlx::query("SELECT last_value FROM ksn_sequences")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        last,
        allocated.len() as i64,
        "one sequence, every id it handed out allocated once"
    );
}

#[tokio::test]
async fn serve_needs_only_an_aws_endpoint_and_a_database_path() {
    let fixture = Fixture::start(Faults::default());
    let database = fixture.sqlite("bare.db");
    let endpoint = fixture.emulator.endpoint_url();
    let server = Server::start(&[
        "--database",
        &database,
        "--listen",
        "127.0.0.1:0",
        "--aws-endpoint-url",
        &endpoint,
    ]);
    let client = Client::new(&server.url, None);
    assert_eq!(client.get("/healthz").await.status, 200);
    let ready = client.get("/readyz").await;
    assert_eq!(ready.status, 200, "{}", String::from_utf8_lossy(&ready.body));
    assert!(
        std::path::Path::new(&database).exists(),
        "the SQLite file is created and migrated"
    );
    let reply = client
        .post_json("/v1/devices/POS-1/key-requests", &serde_json::json!({}))
        .await;
    assert_eq!((reply.status, reply.error_code().as_str()), (401, "unauthenticated"));
}

#[tokio::test]
async fn profiles_rotate_marks_holders_stale_and_tokens_list_shows_real_states() {
    let fixture = Fixture::start(Faults::default());
    let config_path = fixture.dir().join("keybridge.toml");
    std::fs::write(&config_path, fixture.config_toml(&fixture.sqlite("kb.db"))).unwrap();
    let config = config_path.display().to_string();
    keybridge(
        &config,
        &["devices", "add", "POS-1", "--kek", Fixture::KEK, "--profile", "fleet"],
    );
    keybridge(
        &config,
        &["devices", "add", "POS-2", "--kek", Fixture::KEK, "--profile", "fleet"],
    );
    let created = keybridge(&config, &["tokens", "create", "--device", "POS-1", "--json"]);
    let created: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    keybridge(
        &config,
        &[
            "tokens",
            "create",
            "--device",
            "POS-1",
            "--expires-in",
            "1ms",
            "--label",
            "brief",
        ],
    );
    let revoked = keybridge(&config, &["tokens", "create", "--admin", "--json"]);
    let revoked: serde_json::Value = serde_json::from_slice(&revoked.stdout).unwrap();
    keybridge(&config, &["tokens", "revoke", revoked["id"].as_str().unwrap()]);

    // POS-1 loads generation 1 through a server, and reports it.
    let server = Server::start(&["--config", &config]);
    let device = Client::new(&server.url, None).with_token(&token);
    let answer: KeyRequestResponse = device
        .post_json("/v1/devices/POS-1/key-requests", &serde_json::json!({}))
        .await
        .json();
    let slots: Vec<serde_json::Value> = answer
        .keys
        .iter()
        .map(
            |k| serde_json::json!({"slot": k.slot, "outcome": "loaded", "readerKcv": fixture.reader_kcv(&k.key_block)}),
        )
        .collect();
    let reply = device
        .post_json(
            &format!("/v1/key-requests/{}/report", answer.request_id),
            &serde_json::json!({ "slots": slots }),
        )
        .await;
    assert_eq!(reply.status, 200);
    drop(server);

    let rotated = keybridge(
        &config,
        &[
            "profiles",
            "rotate",
            "fleet",
            "--slot",
            &format!("0={}", Fixture::ROTATED_PIN),
            "--slot",
            &format!("1={}", Fixture::ROTATED_BDK),
        ],
    );
    let rotated = String::from_utf8_lossy(&rotated.stdout);
    assert!(
        rotated.contains("generation 2; 1 reader(s) now hold older keys"),
        "{rotated}"
    );
    let stale = keybridge(&config, &["devices", "list", "--stale"]);
    let stale = String::from_utf8_lossy(&stale.stdout);
    assert_eq!(stale.lines().count(), 1, "{stale}");
    assert!(
        stale.contains("POS-1") && stale.contains("STALE: holds generation 1 of 2"),
        "{stale}"
    );
    let profiles = keybridge(&config, &["profiles", "list"]);
    assert!(
        String::from_utf8_lossy(&profiles.stdout).contains(&format!(
            "generation 2    0={} 1={}",
            Fixture::ROTATED_PIN,
            Fixture::ROTATED_BDK
        )),
        "{}",
        String::from_utf8_lossy(&profiles.stdout)
    );

    let tokens = keybridge(&config, &["tokens", "list"]);
    let tokens = String::from_utf8_lossy(&tokens.stdout);
    let state_of = |needle: &str| {
        tokens
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {tokens}"))
            .to_owned()
    };
    assert!(state_of("brief").contains("  expired  "), "{tokens}");
    assert!(state_of("admin").contains("  revoked "), "{tokens}");
    assert!(
        state_of(created["id"].as_str().unwrap()).contains("  active  "),
        "{tokens}"
    );
    let audit = keybridge(&config, &["audit", "--json"]);
    assert!(String::from_utf8_lossy(&audit.stdout).contains("\"profile_rotated\""));
}
