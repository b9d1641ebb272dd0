//! `keybridge demo --fleet N`: a whole deployment on one machine, every part real. The AWS
//! Payment Cryptography emulator holds the fleet's KEK, a TDES PIN key and a TDES BDK; the key
//! service (`keybridge serve`, in-process, on SQLite in a temporary directory) fronts it; N reader
//! simulators, each with its own POS id and the KEK, are enrolled in one group, and a station
//! with one operator token provisions them all at once: each reader gets the PIN key in slot 0
//! and its own DUKPT initial key in slot 1. The keys are TDES because AWS reports their KCVs by
//! the method readers use, so every load is verified on the device and by the service.
//!
//! With `--rotate`, the profile is then rotated to a new PIN key and BDK through the admin API
//! (a new key generation), every reader is listed stale, the fleet is provisioned again, and no
//! reader is stale any more: each holds generation 2, verified by KCV.
//!
//! Exits 0 only when every reader holds exactly the keys AWS exported (the reader's KCV of each
//! slot equals AWS's), every verdict is `verified`, every KSN is distinct, and after a rotation
//! no reader is stale.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use keybridge::kcv::kcv_matches;
use keybridge::provision::{ProvisionProgress, ProvisionedSlot};
use keybridge::service_api::Verdict;
use keybridge_service::Overrides;
use keybridge_service::audit::{self, Filter};
use keybridge_service::db::AnyPool;
use keybridge_service::tokens::{self, Scope};
use keybridge_service_testing::{Client, Fixture, Fleet, ReaderRun, Running};
use keybridge_testkit::emulator::Faults;

use crate::output::CliResult;

/// The profile every reader of the fleet gets (see `keybridge_service_testing::Fixture`).
const PROFILE: &str = "fleet";
/// Slots per reader in that profile.
const SLOTS: usize = 2;

/// Advances the bar as slots finish.
struct Bar(ProgressBar);

impl ProvisionProgress for Bar {
    fn slot_finished(&self, _slot: &ProvisionedSlot) {
        self.0.inc(1);
    }
}

pub fn run(size: usize, rotate: bool) -> CliResult {
    if !(1..=500).contains(&size) {
        return Err("--fleet: give 1 to 500 readers".into());
    }
    println!(
        "keybridge fleet demo: {size} readers, each a TDES PIN key (slot 0) and its own TDES DUKPT initial key (slot 1)"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let fixture = Fixture::start(Faults::default());
    println!(
        "1. AWS Payment Cryptography emulator on {}: the fleet's AES-256 KEK as {}, PIN key, BDK",
        fixture.emulator.endpoint_url(),
        Fixture::KEK
    );
    let database = fixture.sqlite("fleet.db");
    let config = fixture.config(&database, &Overrides::default());
    let (service, pool) = runtime.block_on(async {
        let service = Running::start(&config, fixture.credentials()).await;
        let pool = keybridge_service::db::connect(&config.database).await?;
        Ok::<_, keybridge_service::db::DbError>((service, pool))
    })?;
    println!("2. key service on {} (SQLite {database})", service.url);
    let fleet = runtime.block_on(Fleet::enrol(&fixture, &pool, &config, size, PROFILE));
    println!(
        "3. {size} reader simulators on TCP, POS ids {}…{}, enrolled in group {:?}; one operator token",
        fleet.pos_ids[0],
        fleet.pos_ids[size - 1],
        Fleet::GROUP
    );

    let bar = ProgressBar::new((size * SLOTS) as u64).with_style(
        ProgressStyle::with_template("   provisioning {bar:40} {pos}/{len} slots {elapsed}")
            .map_err(|e| e.to_string())?,
    );
    let runs = fleet.provision_all(&service.url, size, &Bar(bar.clone()));
    bar.finish_and_clear();
    println!("4. provisioned {size} readers concurrently through the key service:");
    let mut problems = print_table(&fleet, &runs);
    let mut rounds = 1;
    let mut all_runs = runs;
    if rotate {
        let bar = ProgressBar::new((size * SLOTS) as u64).with_style(
            ProgressStyle::with_template("   reprovisioning {bar:40} {pos}/{len} slots {elapsed}")
                .map_err(|e| e.to_string())?,
        );
        let again = runtime.block_on(rotate_and_list(&pool, &service.client, &fleet, size, &mut problems))?;
        let runs = fleet.provision_all(&service.url, size, &Bar(bar.clone()));
        bar.finish_and_clear();
        println!("7. provisioned the {size} readers again, from generation {again}:");
        problems.extend(print_table(&fleet, &runs));
        let (stale, held) = runtime.block_on(stale_readers(&service.client, &fleet))?;
        println!("8. stale readers after reprovisioning: {stale}");
        if stale != 0 || held.iter().any(|g| *g != Some(again)) {
            problems.push(format!(
                "{stale} reader(s) still stale; generations held: {held:?}, expected all {again}"
            ));
        }
        rounds = 2;
        all_runs.extend(runs);
    }
    let runs = all_runs;

    let records = runtime.block_on(audit::read(&pool, &Filter::default()))?;
    let mut events: BTreeMap<&str, usize> = BTreeMap::new();
    for record in &records {
        *events.entry(record.event.as_str()).or_default() += 1;
    }
    let counts: Vec<String> = events.iter().map(|(event, n)| format!("{n} {event}")).collect();
    println!("{}. audit trail: {}", if rotate { 9 } else { 5 }, counts.join(", "));
    let exports = events.get("export").copied().unwrap_or(0);
    let reports = events.get("report").copied().unwrap_or(0);
    runtime.block_on(service.stop());

    let ksns: BTreeSet<&str> = runs
        .iter()
        .filter_map(|run| run.result.as_ref().ok())
        .flat_map(|report| report.slots.iter().filter_map(|s| s.ksn.as_deref()))
        .collect();
    let mut failures = problems;
    if ksns.len() != size * rounds {
        failures.push(format!(
            "{} distinct KSNs for {size} readers provisioned {rounds} time(s)",
            ksns.len()
        ));
    }
    if exports != size * SLOTS * rounds || reports != size * SLOTS * rounds {
        failures.push(format!(
            "audit trail has {exports} exports and {reports} reports for {} slots",
            size * SLOTS * rounds
        ));
    }
    if rotate && events.get("profile_rotated").copied() != Some(1) {
        failures.push("the rotation is not in the audit trail".into());
    }
    if failures.is_empty() {
        let rotation = if rotate {
            ", rotated and reprovisioned: none stale"
        } else {
            ""
        };
        println!(
            "VERDICT: OK: {size} readers hold the keys AWS exported, every KCV verified; {} KSNs, all distinct{rotation}",
            size * rounds
        );
        Ok(())
    } else {
        Err(format!("VERDICT: FAILED: {}", failures.join("; ")).into())
    }
}

/// Rotates the fleet's profile to the fixture's second PIN key and BDK through the admin API,
/// then lists the stale readers (every one of them, or a problem is noted). Returns the new
/// generation.
async fn rotate_and_list(
    pool: &AnyPool,
    client: &Client,
    fleet: &Fleet,
    size: usize,
    problems: &mut Vec<String>,
) -> Result<i64, Box<dyn std::error::Error>> {
    let admin = tokens::create(pool, Scope::Admin, "fleet demo", Duration::from_secs(600), "fleet").await?;
    let body = serde_json::json!({"slots": [
        {"slot": 0, "key": Fixture::ROTATED_PIN},
        {"slot": 1, "key": Fixture::ROTATED_BDK},
    ]});
    let reply = client
        .with_token(admin.token.as_str())
        .post_json(&format!("/v1/profiles/{PROFILE}/rotations"), &body)
        .await;
    if reply.status != 200 {
        return Err(format!(
            "rotation refused: {} {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        )
        .into());
    }
    let generation = reply.json::<serde_json::Value>()["generation"]
        .as_i64()
        .ok_or("the rotation answer has no generation")?;
    println!(
        "5. rotated profile {PROFILE:?} to generation {generation}: slot 0 {}, slot 1 {} (admin API, audited)",
        Fixture::ROTATED_PIN,
        Fixture::ROTATED_BDK
    );
    let (stale, _) = stale_readers(client, fleet).await?;
    println!("6. stale readers (GET /v1/devices?stale=true): {stale} of {size}");
    if stale != size {
        problems.push(format!("{stale} stale readers after the rotation, expected {size}"));
    }
    Ok(generation)
}

/// How many of the fleet's readers the service lists stale, and the generation each holds.
async fn stale_readers(
    client: &Client,
    fleet: &Fleet,
) -> Result<(usize, Vec<Option<i64>>), Box<dyn std::error::Error>> {
    let operator = client.with_token(fleet.operator_token());
    let stale = operator.get("/v1/devices?stale=true").await;
    let all = operator.get("/v1/devices").await;
    if stale.status != 200 || all.status != 200 {
        return Err(format!("listing readers failed: {} / {}", stale.status, all.status).into());
    }
    let count = stale.json::<serde_json::Value>()["devices"]
        .as_array()
        .map_or(0, Vec::len);
    let held = all.json::<serde_json::Value>()["devices"]
        .as_array()
        .map(|devices| devices.iter().map(|d| d["heldGeneration"].as_i64()).collect())
        .unwrap_or_default();
    Ok((count, held))
}

/// Prints one row per reader and returns what is wrong, checked against what each simulator
/// really holds.
fn print_table(fleet: &Fleet, runs: &[ReaderRun]) -> Vec<String> {
    let mut problems = Vec::new();
    println!(
        "   {:<10} {:<5} {:<22} {:<18} {:<18} {:>8}",
        "reader", "slots", "KSN (slot 1)", "slot 0 (PIN)", "slot 1 (IPEK)", "time"
    );
    for (run, reader) in runs.iter().zip(&fleet.readers) {
        let report = match &run.result {
            Ok(report) => report,
            Err(e) => {
                println!("   {:<10} FAILED: {e}", run.pos_id);
                problems.push(format!("reader {}: {e}", run.pos_id));
                continue;
            }
        };
        let mut cells = Vec::new();
        let mut loaded = 0;
        for slot in &report.slots {
            let held = reader.slot_kcv(slot.slot).map(hex::encode_upper);
            let aws = hex::decode(&slot.service_kcv).unwrap_or_default();
            let holds_aws_key = reader.slot_kcv(slot.slot).is_some_and(|kcv| kcv_matches(&aws, &kcv));
            let verdict = slot.verdict.map_or("no verdict", Verdict::as_str);
            match (&slot.result, holds_aws_key, slot.verdict) {
                (Ok(outcome), true, Some(Verdict::Verified)) if outcome.is_verified() => loaded += 1,
                (result, _, _) => problems.push(format!(
                    "reader {} slot {}: {} (reader holds {}, AWS KCV {})",
                    run.pos_id,
                    slot.slot,
                    result.as_ref().map_or_else(ToString::to_string, |_| verdict.to_owned()),
                    held.as_deref().unwrap_or("nothing"),
                    slot.service_kcv
                )),
            }
            cells.push(format!("{verdict} {}", held.unwrap_or_else(|| "-".into())));
        }
        if report.slots.len() != SLOTS {
            problems.push(format!(
                "reader {}: {} slots provisioned",
                run.pos_id,
                report.slots.len()
            ));
        }
        let ksn = report.slots.iter().find_map(|s| s.ksn.clone()).unwrap_or_default();
        println!(
            "   {:<10} {:<5} {:<22} {:<18} {:<18} {:>5} ms",
            run.pos_id,
            format!("{loaded}/{}", report.slots.len()),
            ksn,
            cells.first().map_or("", String::as_str),
            cells.get(1).map_or("", String::as_str),
            run.elapsed.as_millis()
        );
    }
    problems
}
