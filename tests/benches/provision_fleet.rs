//! Provisioning a fleet through the key service: 200 simulated readers (TCP) provisioned by one
//! station, 64 at a time, each getting a TDES PIN key and its own TDES DUKPT initial key from
//! the real service (in-process, SQLite) in front of the AWS emulator. Run once with the emulator
//! answering at once and once with 50 ms per AWS call, as the real service roughly does.
//!
//! Reports readers per second and, per reader, the wall time of each step (reader round trips:
//! POS id, loads; service round trips, AWS included: key request, report) and the CPU time of the
//! provisioning thread, which is the SDK's own work.
//!
//! `cargo bench -p keybridge-e2e --bench provision_fleet`

use std::time::{Duration, Instant};

use keybridge::provision::ProvisionProgress;
use keybridge_service::Overrides;
use keybridge_service_testing::{Fixture, Fleet, ReaderRun, Running};
use keybridge_testkit::emulator::Faults;

const READERS: usize = 200;
const CONCURRENCY: usize = 64;

struct Quiet;

impl ProvisionProgress for Quiet {}

fn main() {
    println!("provisioning {READERS} readers, {CONCURRENCY} at a time, 2 slots each");
    println!(
        "{:>9} {:>10} | {:>17} | {:>15} {:>17} {:>15} {:>15} | {:>15} {:>6}",
        "AWS call", "readers/s", "per reader p50/99", "POS id", "key request", "loads", "report", "SDK CPU", "share"
    );
    for aws_delay in [Duration::ZERO, Duration::from_millis(50)] {
        run(aws_delay);
    }
}

fn run(aws_delay: Duration) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fixture = Fixture::start(Faults {
        delay: aws_delay,
        ..Faults::default()
    });
    let config = fixture.config(&fixture.sqlite("bench.db"), &Overrides::default());
    let (service, fleet) = runtime.block_on(async {
        let service = Running::start(&config, fixture.credentials()).await;
        let pool = keybridge_service::db::connect(&config.database).await.unwrap();
        let fleet = Fleet::enrol(&fixture, &pool, &config, READERS, "fleet").await;
        (service, fleet)
    });
    let start = Instant::now();
    let runs = fleet.provision_all(&service.url, CONCURRENCY, &Quiet);
    let total = start.elapsed();
    let reports: Vec<_> = runs.iter().map(|r| r.result.as_ref().expect("provisioned")).collect();
    assert!(reports.iter().all(|r| r.all_verified()), "every reader verified");

    let step = |f: &dyn Fn(&keybridge::provision::ProvisionTimings) -> Duration| {
        percentiles(reports.iter().map(|r| f(&r.timings)).collect())
    };
    let cpu: Vec<Duration> = runs.iter().filter_map(|r| r.sdk_cpu).collect();
    let wall: Duration = runs.iter().map(|r: &ReaderRun| r.elapsed).sum();
    println!(
        "{:>6} ms {:>10.1} | {:>17} | {:>15} {:>17} {:>15} {:>15} | {:>15} {:>5.1}%",
        aws_delay.as_millis(),
        READERS as f64 / total.as_secs_f64(),
        percentiles(runs.iter().map(|r| r.elapsed).collect()),
        step(&|t| t.device_info),
        step(&|t| t.key_request),
        step(&|t| t.loads),
        step(&|t| t.report),
        percentiles(cpu.clone()),
        100.0 * cpu.iter().sum::<Duration>().as_secs_f64() / wall.as_secs_f64()
    );
    runtime.block_on(service.stop());
}

/// "p50/p99" in milliseconds.
fn percentiles(mut values: Vec<Duration>) -> String {
    values.sort_unstable();
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    format!("{:.2}/{:.2} ms", at(0.5), at(0.99))
}
