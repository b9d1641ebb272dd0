//! Throughput and latency of the key service under load (a standalone benchmark, not a test):
//! N concurrent clients, each a reader with its own device token on a keep-alive connection,
//! request keys (one TDES DUKPT slot: an Initial Key ID allocation and, with the `GetKey` cache,
//! one AWS call) through one instance on SQLite and through two instances sharing one
//! PostgreSQL, with the emulator holding every AWS call for 50 ms. The account quota R
//! (`account_calls_per_second`) is shared by the instances. Then the same two instances at the
//! default-sized quota of 50 calls/s, with the cache off (three calls per key, as before it) and
//! on.
//!
//! Reported: keys (requests)/s and AWS calls/s as the emulator counted them (against R),
//! client-side latency p50/p99, and the service's own time per request from its `Server-Timing`
//! header: total minus the wait for the rate limit and minus the AWS calls.
//!
//! `cargo bench -p keybridge-service --bench key_service` (env: CLIENTS=200, RATE=300,
//! SECONDS=20, WARMUP=4).

use std::time::{Duration, Instant};

use keybridge_service::Overrides;
use keybridge_service_testing::{Client, Fixture, Method, PgCluster, Running, enrol};
use keybridge_testkit::emulator::Faults;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One answered request.
struct Sample {
    done: Duration,
    latency: Duration,
    total_ms: f64,
    queue_ms: f64,
    aws_ms: f64,
}

fn server_timing(header: &str, name: &str) -> f64 {
    header
        .split(',')
        .filter_map(|part| part.trim().strip_prefix(name)?.strip_prefix(";dur=")?.parse().ok())
        .next()
        .unwrap_or(f64::NAN)
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((values.len() as f64 - 1.0) * p).round() as usize]
}

/// One scenario: `instances` on `database`, account quota `rate`, the `GetKey` cache on or off.
async fn run(label: &str, instances: usize, database: String, fixture: &Fixture, rate: u64, cache: bool) {
    let clients = setting("CLIENTS", 200) as usize;
    let seconds = setting("SECONDS", 20);
    let warmup = setting("WARMUP", 4);
    let overrides = Overrides::default()
        .set("aws.account_calls_per_second", rate)
        .set("aws.calls_per_second", rate)
        .set("aws.burst", (rate / 10).max(3))
        .set("aws.key_cache_ttl_ms", if cache { 30_000 } else { 0 })
        .set("aws.max_concurrent_exports", 128)
        .set("aws.queue_timeout_ms", 120_000)
        .set("database.max_connections", 16);
    let config = fixture.config(&database, &overrides);
    let mut running = Vec::new();
    for _ in 0..instances {
        running.push(Running::start(&config, fixture.credentials()).await);
    }
    let pool = keybridge_service::db::connect(&config.database).await.unwrap();
    let mut tokens = Vec::new();
    for n in 0..clients {
        tokens.push(enrol(&pool, &config, &format!("{label}-{n}"), "dukpt", "bench").await);
    }
    let calls_before = fixture.emulator.call_log().len();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for (n, token) in tokens.into_iter().enumerate() {
        let client = Client::new(&running[n % instances].url, None).with_token(&token);
        let path = format!("/v1/devices/{label}-{n}/key-requests");
        tasks.spawn(async move {
            let mut samples = Vec::new();
            let mut connection = client.connect().await.unwrap();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let reply = connection.send(Method::POST, &path, &[], None).await.unwrap();
                assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
                let timing = reply.header("server-timing").unwrap_or_default().to_owned();
                samples.push(Sample {
                    done: sent.elapsed() + (sent - start),
                    latency: sent.elapsed(),
                    total_ms: server_timing(&timing, "total"),
                    queue_ms: server_timing(&timing, "queue"),
                    aws_ms: server_timing(&timing, "aws"),
                });
            }
            samples
        });
    }
    let samples: Vec<Sample> = tasks.join_all().await.into_iter().flatten().collect();
    let elapsed = start.elapsed();
    let log = fixture.emulator.call_log();
    let calls = log.len() - calls_before;
    let throttled = log[calls_before..].iter().filter(|c| c.throttled).count();
    // Steady state: answers completed, and AWS calls made, between the warm-up and the deadline.
    let window = Duration::from_secs(seconds - warmup);
    let steady_calls = log[calls_before..]
        .iter()
        .filter(|c| c.at >= start + Duration::from_secs(warmup) && c.at < deadline)
        .count();
    let steady: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.done >= Duration::from_secs(warmup) && s.done < Duration::from_secs(seconds))
        .collect();
    let requests_per_second = steady.len() as f64 / window.as_secs_f64();
    let calls_per_second = steady_calls as f64 / window.as_secs_f64();
    let mut latency: Vec<f64> = steady.iter().map(|s| s.latency.as_secs_f64() * 1e3).collect();
    let mut own: Vec<f64> = steady.iter().map(|s| s.total_ms - s.queue_ms - s.aws_ms).collect();
    let mut aws: Vec<f64> = steady.iter().map(|s| s.aws_ms).collect();
    let mut http: Vec<f64> = steady
        .iter()
        .map(|s| s.latency.as_secs_f64() * 1e3 - s.total_ms)
        .collect();
    let cache = if cache { "on" } else { "off" };
    println!(
        "\n== {label}: {instances} instance(s), {clients} clients, account quota R = {rate} calls/s, GetKey cache {cache}, 50 ms per AWS call"
    );
    println!(
        "keys/s {requests_per_second:.1}  <-  AWS calls/s {calls_per_second:.1} = {:.1} % of R, {:.2} calls per key   ({} answers, {calls} AWS calls, {throttled} throttled, in {:.1} s)",
        100.0 * calls_per_second / rate as f64,
        calls_per_second / requests_per_second,
        samples.len(),
        elapsed.as_secs_f64()
    );
    println!(
        "client latency      p50 {:8.1} ms  p99 {:8.1} ms  (mostly waiting for the AWS rate limit, by design)",
        percentile(&mut latency, 0.5),
        percentile(&mut latency, 0.99)
    );
    println!(
        "AWS calls           p50 {:8.1} ms  p99 {:8.1} ms  (sequential calls x 50 ms emulator delay)",
        percentile(&mut aws, 0.5),
        percentile(&mut aws, 0.99)
    );
    println!(
        "service's own time  p50 {:8.3} ms  p99 {:8.3} ms  (total - rate-limit wait - AWS: auth, allocation, validation, audit)",
        percentile(&mut own, 0.5),
        percentile(&mut own, 0.99)
    );
    println!(
        "HTTP + client       p50 {:8.3} ms  p99 {:8.3} ms  (client latency - server total)",
        percentile(&mut http, 0.5),
        percentile(&mut http, 0.99)
    );
    for instance in running {
        instance.stop().await;
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let fixture = Fixture::start(Faults {
            delay: Duration::from_millis(50),
            ..Faults::default()
        });
        let rate = setting("RATE", 300);
        run("sqlite", 1, fixture.sqlite("bench.db"), &fixture, rate, true).await;
        let pg = PgCluster::start();
        run("postgres", 2, pg.url(), &fixture, rate, true).await;
        run("quota50-nocache", 2, pg.url(), &fixture, 50, false).await;
        run("quota50-cache", 2, pg.url(), &fixture, 50, true).await;
    });
}
