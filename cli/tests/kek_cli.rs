//! `keybridge kek establish` as a program against the in-process AWS emulator (over HTTP) and a
//! reader simulator (over TCP): the reader gets its own KEK by TR-34, confirmed by KCV, and then
//! `keybridge load --from-aws` loads a working key exported under that KEK.

use std::process::Command;

use keybridge_testkit::emulator::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, Emulator, EmulatorConfig};
use keybridge_testkit::simulator::{self, SimulatorConfig};

const BIN: &str = env!("CARGO_BIN_EXE_keybridge");
const DEVICE_CA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testkit/src/simulator/krd_pki/device-ca.pem"
);

fn keybridge(endpoint_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .args(["--region", "us-east-1", "--endpoint-url", endpoint_url])
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", DEFAULT_SECRET_ACCESS_KEY)
        .output()
        .unwrap()
}

#[test]
fn kek_establish_then_load_a_working_key_under_that_kek() {
    let emulator = Emulator::start(EmulatorConfig {
        keys: vec![
            "alias/pin=P0:TDES_2KEY:0123456789ABCDEFFEDCBA9876543210"
                .parse()
                .unwrap(),
        ],
        ..EmulatorConfig::default()
    })
    .unwrap();
    let reader = simulator::start_tcp("127.0.0.1:0", SimulatorConfig::default()).unwrap();
    let url = emulator.endpoint_url();
    let out = keybridge(
        &url,
        &[
            "kek",
            "establish",
            "--tcp",
            reader.endpoint(),
            "--device-ca",
            DEVICE_CA,
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kek_arn = json["kek_arn"].as_str().unwrap().to_owned();
    let kcv = json["kcv"].as_str().unwrap();
    assert_eq!(json["slot"], 0);
    assert_eq!(&json["header"].as_str().unwrap()[5..7], "K0");
    assert_eq!(
        reader.check_value(0, 0).map(hex::encode_upper).as_deref(),
        Some(kcv),
        "the reader holds the KEK whose KCV was printed"
    );
    assert_eq!(
        json["reader_certificate"],
        "CN=QPOS simulator 01,O=keybridge testkit,C=US"
    );

    let out = keybridge(
        &url,
        &[
            "load",
            "--from-aws",
            "--key",
            "alias/pin",
            "--wrapping-key",
            &kek_arn,
            "--slot",
            "1",
            "--tcp",
            reader.endpoint(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    // 08D7B4 is the published X9.24 KCV of this TDES key: AWS and the reader both report it.
    assert!(
        stdout.contains("VERDICT: OK: reader KCV 08D7B4 = AWS KCV 08D7B4"),
        "{stdout}"
    );
    assert_eq!(reader.finish(), vec![]);
}

#[test]
fn kek_establish_names_the_readers_refusal() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    // A reader that trusts another KDH CA (rust-core's test CA) refuses AWS's token.
    let mut config = SimulatorConfig::default();
    config.tr34.kdh_ca = Some(
        keybridge::tr34::Certificate::from_pem(
            "KDH CA",
            include_str!("../../rust-core/tests/fixtures/tr34/kdh-ca.pem"),
        )
        .unwrap(),
    );
    let reader = simulator::start_tcp("127.0.0.1:0", config).unwrap();
    let out = keybridge(
        &emulator.endpoint_url(),
        &["kek", "establish", "--tcp", reader.endpoint(), "--device-ca", DEVICE_CA],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("UPDATE_PACKET_VEFIRY_ERROR"), "{stderr}");
    assert_eq!(reader.check_value(0, 0), None);
    let refusals = reader.tr34_refusals();
    assert_eq!(refusals[0].check, Some(keybridge::tr34::Check::KdhChain));
    assert_eq!(reader.finish(), vec![]);
}

/// A KDH other than AWS (here `tr34 build` with the emulator's KDH key, which the reader trusts)
/// gets what it needs from `kek credentials`: the reader's certificate and a nonce the reader then
/// accepts; `tr34 build --json`'s envelope is what the vendor's `loadSessionKeyByTR_34` sends.
#[test]
fn kek_credentials_give_a_kdh_what_it_needs_for_the_readers_next_envelope() {
    let reader = simulator::start_tcp("127.0.0.1:0", SimulatorConfig::default()).unwrap();
    let out = Command::new(BIN)
        .args(["kek", "credentials", "--tcp", reader.endpoint(), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let credentials: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let certificate = credentials["certificate"].as_str().unwrap();
    assert_eq!(
        certificate.trim(),
        include_str!("../../testkit/src/simulator/krd_pki/krd-01.pem").trim()
    );
    let nonce = credentials["nonce"].as_str().unwrap();
    assert_eq!(nonce.len(), 2 * simulator::DEFAULT_NONCE_LEN);

    let krd_cert = std::env::temp_dir().join(format!("keybridge-kek-cli-krd-{}.pem", std::process::id()));
    std::fs::write(&krd_cert, certificate).unwrap();
    let pki = concat!(env!("CARGO_MANIFEST_DIR"), "/../testkit/src/emulator/tr34_pki");
    let out = Command::new(BIN)
        .args([
            "tr34",
            "build",
            "--json",
            "--header",
            "D0000K0TB00E0000",
            "--nonce",
            nonce,
        ])
        .args(["--key", "00112233445566778899AABBCCDDEEFF"])
        .args([
            "--kdh-key",
            &format!("{pki}/kdh.key"),
            "--kdh-cert",
            &format!("{pki}/kdh.pem"),
        ])
        .arg("--krd-cert")
        .arg(&krd_cert)
        .output()
        .unwrap();
    std::fs::remove_file(&krd_cert).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let built: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let envelope = hex::decode(built["envelope"].as_str().unwrap()).unwrap();
    let mut loader =
        keybridge::loader::KeyLoader::open_tcp(reader.endpoint(), keybridge::loader::LoaderConfig::default()).unwrap();
    loader.send_tr34_envelope(&envelope).unwrap();
    loader.close();
    assert_eq!(
        reader.check_value(0, 0).map(hex::encode_upper).as_deref(),
        built["kcv"].as_str(),
        "the reader holds the KEK of the token built for its nonce"
    );
    assert_eq!(reader.finish(), vec![]);
}
