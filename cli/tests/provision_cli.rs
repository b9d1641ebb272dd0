//! `keybridge provision` (a key-injection station) and `keybridge demo --fleet [--tr34]` as programs,
//! against the key service running in-process in front of the AWS emulator, and the reader
//! simulator on TCP.

use std::process::{Command, Output};

use keybridge_service::Overrides;
use keybridge_service_testing::{Fixture, Running, enrol};
use keybridge_testkit::emulator::Faults;
use keybridge_testkit::simulator::{self, SimulatorConfig, SimulatorHandle};

const BIN: &str = env!("CARGO_BIN_EXE_keybridge");

/// The emulator and the service (on its own runtime), and readers enrolled with a profile.
struct Station {
    runtime: tokio::runtime::Runtime,
    fixture: Fixture,
    service: Running,
    config: keybridge_service::Config,
}

impl Station {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let fixture = Fixture::start(Faults::default());
        let config = fixture.config(&fixture.sqlite("kb.db"), &Overrides::default());
        let service = runtime.block_on(Running::start(&config, fixture.credentials()));
        Self {
            runtime,
            fixture,
            service,
            config,
        }
    }

    /// A reader simulator with the fleet's KEK, enrolled with `profile`; its token in a file.
    fn reader(&self, pos_id: &[u8], profile: &str) -> (SimulatorHandle, std::path::PathBuf) {
        let token = self.runtime.block_on(async {
            let pool = keybridge_service::db::connect(&self.config.database).await.unwrap();
            enrol(&pool, &self.config, &hex::encode_upper(pos_id), profile, "shop").await
        });
        let path = self.fixture.dir().join(format!("token-{}", hex::encode(pos_id)));
        std::fs::write(&path, format!("{token}\n")).unwrap();
        let sim = SimulatorConfig {
            pos_id: pos_id.to_vec(),
            ..SimulatorConfig::with_kek(self.fixture.kek.clone())
        };
        (simulator::start_tcp("127.0.0.1:0", sim).unwrap(), path)
    }

    fn provision(&self, reader: &SimulatorHandle, extra: &[&str]) -> Output {
        Command::new(BIN)
            .args(["provision", "--tcp", reader.endpoint(), "--service", &self.service.url])
            .args(extra)
            .env_remove("KEYBRIDGE_SERVICE_TOKEN")
            .output()
            .unwrap()
    }
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

#[test]
fn a_station_provisions_a_reader_with_a_token_from_a_file() {
    let station = Station::start();
    let (reader, token) = station.reader(&[0xC1], "dukpt");
    let out = station.provision(&reader, &["--token-file", token.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out);
    assert_eq!(report["posId"], "C1");
    assert_eq!(report["reportError"], serde_json::Value::Null);
    let slot = &report["slots"][0];
    assert_eq!(
        (slot["verified"].as_bool(), slot["verdict"].as_str()),
        (Some(true), Some("verified"))
    );
    assert_eq!(
        slot["readerKcv"].as_str(),
        reader.slot_kcv(0).map(hex::encode_upper).as_deref()
    );
    assert_eq!(slot["ksn"].as_str(), reader.slot_ksn(0).as_deref());
}

/// AES keys load unverified (AWS reports CMAC KCVs): an error unless accepted; the token may
/// come from the environment; a bad token is the service's code, never the token.
#[test]
fn unverified_slots_need_the_opt_in_and_refusals_keep_the_service_code() {
    let station = Station::start();
    let (reader, token_file) = station.reader(&[0xC2], "standard");
    let token = std::fs::read_to_string(&token_file).unwrap();
    let run = |extra: &[&str]| {
        Command::new(BIN)
            .args([
                "provision",
                "--tcp",
                reader.endpoint(),
                "--service",
                &station.service.url,
            ])
            .args(extra)
            .env("KEYBRIDGE_SERVICE_TOKEN", token.trim())
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("KCV NOT VERIFIED") && stdout.contains("reported to the key service"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--accept-unverified-kcv"));
    let out = run(&["--accept-unverified-kcv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let wrong = station.fixture.dir().join("wrong-token");
    std::fs::write(&wrong, "kbt_0000_not-a-real-token").unwrap();
    let out = station.provision(&reader, &["--token-file", wrong.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("unauthenticated") && !stderr.contains("not-a-real-token"),
        "{stderr}"
    );
    let out = station.provision(&reader, &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("KEYBRIDGE_SERVICE_TOKEN"));
}

/// Runs `keybridge demo` with `args`, fails the test unless it succeeded, and returns its stdout.
fn fleet_demo(args: &[&str]) -> String {
    let out = Command::new(BIN).arg("demo").args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The `column`th word of every reader row (the rows start with the readers' POS ids, `4B42…`).
fn reader_column(stdout: &str, column: usize) -> std::collections::BTreeSet<&str> {
    stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("4B42"))
        .filter_map(|l| l.split_whitespace().nth(column))
        .collect()
}

#[test]
fn the_fleet_demo_provisions_every_reader_with_distinct_ksns() {
    let stdout = fleet_demo(&["--fleet", "6"]);
    assert!(
        stdout.contains("VERDICT: OK: 6 readers hold the keys AWS exported"),
        "{stdout}"
    );
    let ksns = reader_column(&stdout, 2);
    assert_eq!(ksns.len(), 6, "{stdout}");
    assert!(stdout.contains("12 export") && stdout.contains("12 report"), "{stdout}");
}

#[test]
fn the_fleet_demo_rotates_and_leaves_no_reader_stale() {
    let stdout = fleet_demo(&["--fleet", "4", "--rotate"]);
    for line in [
        "rotated profile \"fleet\" to generation 2",
        "stale readers (GET /v1/devices?stale=true): 4 of 4",
        "stale readers after reprovisioning: 0",
        "1 profile_rotated",
        "none stale",
    ] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
    // Both rounds verified every slot: 4 readers x 2 slots x 2 rounds.
    assert!(stdout.contains("16 export") && stdout.contains("16 report"), "{stdout}");
}

#[test]
fn the_fleet_demo_with_tr34_gives_every_reader_its_own_kek() {
    let stdout = fleet_demo(&["--fleet", "3", "--tr34"]);
    assert!(
        stdout.contains("each under its own KEK (3 KEK check values, all different)"),
        "{stdout}"
    );
    // reader, KEK, slots, KSN, …: three rows, three different KEK check values.
    let keks = reader_column(&stdout, 1);
    assert_eq!(keks.len(), 3, "{stdout}");
    assert!(
        keks.iter()
            .all(|k| k.len() == 6 && k.bytes().all(|b| b.is_ascii_hexdigit())),
        "{stdout}"
    );
    for line in ["3 kek_created", "3 kek_export", "3 kek_report", "6 export", "6 report"] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
}
