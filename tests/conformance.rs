//! Conformance: keybridge speaks to a reader byte for byte as the vendor's Android SDK 8.5.4 does.
//!
//! Written from the notes on the SDK's bytecode (the project's `NOTES-dspread-sdk.md`; facts
//! copied below with their offsets), not from keybridge's own command code: every expected frame
//! is spelled out here from those facts. Each test drives the built `keybridge` CLI (and, at the
//! end, the Rust loader) against `keybridge simulate`, through a recording TCP tap that keeps
//! every byte the host sends, and checks
//! * the frames on the wire, exactly;
//! * the outcome (verified, refused, never "loaded" without proof);
//! * 0 deviations in the simulator's log (`deviations: 0` at its exit).
//!
//! Facts used (NOTES-dspread-sdk.md, from `dspread_pos_sdk_8.5.4-min.aar`):
//! * frame: `4D ‖ LEN(2, BE) = n+6 ‖ TYPE ‖ CMD ‖ SUB ‖ TIMEOUT ‖ DATA_LEN(2, BE) ‖ DATA ‖ XOR` of
//!   every byte before it (`j0`); host commands are TYPE 0x21 (`j.<init>` @10).
//! * load: CMD 0x10 SUB 0xF5, DATA = B0 ‖ LEN(2, BE) ‖ ASCII block; B0 = index, or the decimal
//!   digits of index then key type code (NEW_KEY_ALL 0, TMK 1, PIN 2, DATA 3) (s0 l.6627 @24–74).
//!   TIMEOUT = the caller's timeout (5 by default).
//! * KSN: after a successful load, CMD 0x11 SUB 0x60 TIMEOUT 10, DATA = `0000000P ‖ L ‖ KSN ‖ L ‖
//!   KSN ‖ L ‖ KSN`, P = 3 (DATA), 4 (PIN), else 7; the load itself goes with TIMEOUT 10
//!   (s0 l.6742 @155–230, l.6892).
//! * check value: CMD 0x23 SUB 0x20, DATA = `00 00 idx code len`, code = CHECKVALUE_KEYTYPE ordinal
//!   (MKSK_TMK 0, MKSK_PIK 1, MKSK_TDK 2, …, DUKPT_PIN_IPEK 8, …, DUKPT_PIN_KSN 11), len 3, or 10
//!   for KSN types (y l.1913, mpos l.16642).
//! * chunked: CMD 0x40 SUB 0x20 TIMEOUT 60, DATA = offset(2, BE) = byte position / 16 ‖ ≤ 64 bytes;
//!   closed by CMD 0x40 SUB 0x21 TIMEOUT 60 without data (s0 l.796 @31–90, @264–314).
//! * poll after 0x23 ("still working"): TYPE 0x22 CMD 00 SUB 00 TIMEOUT 0x0F, no data (Vpos.d @613).
//!
//! keybridge's own choice where the SDK leaves one (documented in the README): which check value
//! proves a key (K0 → MKSK_TMK, P0 → MKSK_PIK, D0 → MKSK_TDK, B1 → DUKPT_PIN_IPEK unless loaded as
//! NEW_KEY_DATA), and reading back the KSN type after a KSN frame.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keybridge::crypto::CipherFamily;
use keybridge::kcv::{KcvMethod, kcv};
use keybridge::tr31::{
    Algorithm, Exportability, Header, KeyUsage, ModeOfUse, OptionalBlock, Version, WrapOptions, wrap,
};

#[path = "../cli/tests/support/mod.rs"]
mod support;
use support::{Simulator, keybridge};

const AES_KEK: &str = "8899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF0011223344556677";
const TDES_KEK: &str = "0123456789ABCDEFFEDCBA98765432AB";
const KEY: [u8; 16] = [0x42; 16];
const TDES_KSN: &str = "FFFF9876543210E00000";
const AES_KSN: &str = "0123456789ABCDEF00000000";

// ---- frames as the notes describe them -------------------------------------------------------

/// A host frame: `4D ‖ LEN ‖ TYPE CMD SUB TIMEOUT ‖ DATA_LEN ‖ DATA ‖ XOR`.
fn frame(kind: u8, cmd: u8, sub: u8, timeout: u8, data: &[u8]) -> Vec<u8> {
    let n = data.len();
    let mut f = vec![0x4D, ((n + 6) >> 8) as u8, (n + 6) as u8, kind, cmd, sub, timeout];
    f.extend([(n >> 8) as u8, n as u8]);
    f.extend(data);
    f.push(f.iter().fold(0, |x, b| x ^ b));
    f
}

/// The load: B0 ‖ LEN ‖ ASCII block.
fn load(b0: u8, timeout: u8, block: &str) -> Vec<u8> {
    let mut data = vec![b0];
    data.extend((block.len() as u16).to_be_bytes());
    data.extend(block.as_bytes());
    frame(0x21, 0x10, 0xF5, timeout, &data)
}

/// The KSN frame: 0000000P ‖ (L ‖ KSN) × 3.
fn ksn_frame(p: u8, ksn_hex: &str) -> Vec<u8> {
    let ksn = hex::decode(ksn_hex).unwrap();
    let mut data = vec![0, 0, 0, p];
    for _ in 0..3 {
        data.push(ksn.len() as u8);
        data.extend(&ksn);
    }
    frame(0x21, 0x11, 0x60, 10, &data)
}

/// A check-value read: 00 00 idx code len.
fn check_value(idx: u8, code: u8, len: u8) -> Vec<u8> {
    frame(0x21, 0x23, 0x20, 5, &[0, 0, idx, code, len])
}

/// The poll.
fn poll() -> Vec<u8> {
    frame(0x22, 0x00, 0x00, 0x0F, &[])
}

/// Splits recorded host bytes into frames by their LEN field.
fn split(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    while bytes.len() >= 3 {
        assert_eq!(
            bytes[0],
            0x4D,
            "a host frame starts with 'M': {}",
            hex::encode_upper(bytes)
        );
        let total = usize::from(u16::from_be_bytes([bytes[1], bytes[2]])) + 4;
        frames.push(bytes[..total].to_vec());
        bytes = &bytes[total..];
    }
    assert!(bytes.is_empty(), "trailing bytes {}", hex::encode_upper(bytes));
    frames
}

/// Asserts the frames exactly, printing both sides in hex when they differ.
fn assert_frames(got: &[Vec<u8>], expected: &[Vec<u8>]) {
    let show = |frames: &[Vec<u8>]| frames.iter().map(hex::encode_upper).collect::<Vec<_>>().join("\n");
    assert_eq!(got, expected, "\ngot:\n{}\nexpected:\n{}", show(got), show(expected));
}

// ---- a recording tap between the CLI and the simulator ----------------------------------------

/// A TCP tap: the CLI connects to it, it connects to the simulator, and it keeps every byte the
/// host sends. Connections are served one after another, like the simulator's.
struct Tap {
    address: String,
    sent: Arc<Mutex<Vec<u8>>>,
    closed: Receiver<()>,
}

impl Tap {
    fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let (tx, closed) = mpsc::channel();
        let record = sent.clone();
        std::thread::spawn(move || {
            for host in listener.incoming() {
                let (Ok(host), Ok(reader)) = (host, TcpStream::connect(&upstream)) else {
                    return;
                };
                let (mut from_host, mut to_reader) = (host.try_clone().unwrap(), reader.try_clone().unwrap());
                let record = record.clone();
                let upstream_pump = std::thread::spawn(move || {
                    let mut buf = [0u8; 512];
                    while let Ok(n @ 1..) = from_host.read(&mut buf) {
                        record.lock().unwrap().extend_from_slice(&buf[..n]);
                        if to_reader.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to_reader.shutdown(Shutdown::Both);
                });
                let (mut from_reader, mut to_host) = (reader, host);
                let mut buf = [0u8; 512];
                while let Ok(n @ 1..) = from_reader.read(&mut buf) {
                    if to_host.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = to_host.shutdown(Shutdown::Both);
                let _ = upstream_pump.join();
                let _ = tx.send(());
            }
        });
        Self { address, sent, closed }
    }

    /// The frames the host sent over the connection that just ended.
    fn frames(&self) -> Vec<Vec<u8>> {
        self.closed
            .recv_timeout(Duration::from_secs(10))
            .expect("the CLI's connection ends");
        split(&std::mem::take(&mut *self.sent.lock().unwrap()))
    }
}

/// A simulator (`keybridge simulate --tcp 0 ARGS`) behind a tap.
fn reader(args: &[&str]) -> (Simulator, Tap) {
    let mut all = vec!["--tcp", "0"];
    all.extend_from_slice(args);
    let sim = Simulator::start(&all);
    let tap = Tap::start(sim.tcp_address());
    (sim, tap)
}

/// `keybridge device send-tr31 --tcp TAP BLOCK ARGS --json`: (exit success, stdout JSON or text,
/// stderr).
fn send(tap: &Tap, block: &str, args: &[&str]) -> (bool, String, String) {
    let mut all = vec!["device", "send-tr31", "--tcp", &tap.address, block];
    all.extend_from_slice(args);
    let out = keybridge(&all);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

// ---- blocks --------------------------------------------------------------------------------------

fn block(version: Version, usage: KeyUsage, kek: &str, extra: &[(&str, &str)]) -> String {
    let algorithm = if version == Version::D {
        Algorithm::Aes
    } else {
        Algorithm::Tdes
    };
    let mode = match usage {
        KeyUsage::B1 => ModeOfUse::DeriveKeys,
        KeyUsage::P0 => ModeOfUse::EncryptOnly,
        _ => ModeOfUse::Both,
    };
    let mut header = Header::new(version, usage, algorithm, mode, Exportability::NonExportable);
    for (id, data) in extra {
        header.optional_blocks.push(OptionalBlock::new(id, data));
    }
    wrap(&hex::decode(kek).unwrap(), &header, &KEY, &WrapOptions::default()).unwrap()
}

/// The legacy KCV of [`KEY`] as a reader computes it (3 bytes of ECB of zeros).
fn key_kcv(algorithm: Algorithm) -> String {
    let family = if algorithm == Algorithm::Aes {
        CipherFamily::Aes
    } else {
        CipherFamily::Tdes
    };
    hex::encode_upper(kcv(&KEY, family, KcvMethod::Legacy).unwrap())
}

// ---- the kinds of load ---------------------------------------------------------------------------

#[test]
fn aes_p0_version_d_and_a_check_value_read_of_the_preloaded_slot() {
    let (sim, tap) = reader(&["--kek", AES_KEK]);
    let p0 = block(Version::D, KeyUsage::P0, AES_KEK, &[]);
    let kcv = key_kcv(Algorithm::Aes);
    let (ok, out, err) = send(&tap, &p0, &["--slot", "3", "--expect-kcv", &kcv, "--json"]);
    assert!(ok, "{err}");
    let outcome = json(&out);
    assert_eq!(
        (outcome["verified"].as_bool(), outcome["reader_kcv"].as_str()),
        (Some(true), Some(&kcv[..]))
    );
    assert_eq!(outcome["check_value_type"], "MKSK_PIK");
    assert_frames(&tap.frames(), &[load(3, 5, &p0), check_value(3, 1, 3)]);

    // The slot loaded above, read in another session as getKeyCheckValue(3, MKSK_PIK) reads it.
    let out = keybridge(&[
        "device",
        "kcv",
        "--tcp",
        &tap.address,
        "--slot",
        "3",
        "--type",
        "MKSK_PIK",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), kcv);
    assert_frames(&tap.frames(), &[check_value(3, 1, 3)]);
    assert!(sim.finish());
}

#[test]
fn tdes_d0_and_k0_version_b() {
    let (sim, tap) = reader(&["--kek", TDES_KEK]);
    let kcv = key_kcv(Algorithm::Tdes);
    let d0 = block(Version::B, KeyUsage::D0, TDES_KEK, &[]);
    let (ok, _, err) = send(&tap, &d0, &["--slot", "2", "--expect-kcv", &kcv]);
    assert!(ok, "{err}");
    assert_frames(&tap.frames(), &[load(2, 5, &d0), check_value(2, 2, 3)]);

    // K0 as NEW_KEY_TMK into index 1: B0 = "1" + "1" = 11 = 0x0B.
    let k0 = block(Version::B, KeyUsage::K0, TDES_KEK, &[]);
    let (ok, out, err) = send(
        &tap,
        &k0,
        &["--slot", "1", "--key-type", "tmk", "--expect-kcv", &kcv, "--json"],
    );
    assert!(ok, "{err}");
    assert_eq!(json(&out)["check_value_type"], "MKSK_TMK");
    assert_frames(&tap.frames(), &[load(0x0B, 5, &k0), check_value(1, 0, 3)]);
    assert!(sim.finish());
}

#[test]
fn tdes_dukpt_initial_key_with_ksn() {
    let (sim, tap) = reader(&["--kek", TDES_KEK]);
    let b1 = block(Version::B, KeyUsage::B1, TDES_KEK, &[]);
    let kcv = key_kcv(Algorithm::Tdes);
    let (ok, out, err) = send(
        &tap,
        &b1,
        &["--slot", "1", "--ksn", TDES_KSN, "--expect-kcv", &kcv, "--json"],
    );
    assert!(ok, "{err}");
    assert_eq!(json(&out)["reader_ksn"], TDES_KSN);
    assert_frames(
        &tap.frames(),
        &[
            load(1, 10, &b1),
            ksn_frame(7, TDES_KSN),
            check_value(1, 8, 3),
            check_value(1, 11, 10),
        ],
    );
    assert!(sim.finish());
}

#[test]
fn aes_dukpt_initial_key_with_ksn_as_a_pin_key() {
    let (sim, tap) = reader(&["--kek", AES_KEK]);
    let b1 = block(Version::D, KeyUsage::B1, AES_KEK, &[]);
    let kcv = key_kcv(Algorithm::Aes);
    // NEW_KEY_PIN into index 2: B0 = 22 = 0x16, prefix 00000004, L = 12.
    let args = [
        "--slot",
        "2",
        "--key-type",
        "pin",
        "--ksn",
        AES_KSN,
        "--expect-kcv",
        &kcv,
    ];
    let (ok, _, err) = send(&tap, &b1, &args);
    assert!(ok, "{err}");
    assert_frames(
        &tap.frames(),
        &[
            load(0x16, 10, &b1),
            ksn_frame(4, AES_KSN),
            check_value(2, 8, 3),
            check_value(2, 11, 10),
        ],
    );
    assert!(sim.finish());
}

/// A block with its KSN in KS (TDES) or IK (AES) goes without the KSN frame, as the vendor's
/// demo loads one.
#[test]
fn dukpt_initial_keys_with_ks_or_ik_go_without_the_ksn_frame() {
    let (sim, tap) = reader(&["--kek", TDES_KEK]);
    let with_ks = block(Version::B, KeyUsage::B1, TDES_KEK, &[("KS", TDES_KSN)]);
    let (ok, _, err) = send(
        &tap,
        &with_ks,
        &["--slot", "4", "--expect-kcv", &key_kcv(Algorithm::Tdes)],
    );
    assert!(ok, "{err}");
    assert_frames(&tap.frames(), &[load(4, 5, &with_ks), check_value(4, 8, 3)]);
    assert!(sim.finish());

    let (sim, tap) = reader(&["--kek", AES_KEK]);
    let with_ik = block(Version::D, KeyUsage::B1, AES_KEK, &[("IK", &AES_KSN[..16])]);
    let (ok, _, err) = send(
        &tap,
        &with_ik,
        &["--slot", "5", "--expect-kcv", &key_kcv(Algorithm::Aes)],
    );
    assert!(ok, "{err}");
    assert_frames(&tap.frames(), &[load(5, 5, &with_ik), check_value(5, 8, 3)]);
    // The reader took the KSN from IK: IK ‖ counter 0.
    let out = keybridge(&[
        "device",
        "kcv",
        "--tcp",
        &tap.address,
        "--slot",
        "5",
        "--type",
        "DUKPT_PIN_KSN",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), AES_KSN);
    assert_frames(&tap.frames(), &[check_value(5, 11, 10)]);
    assert!(sim.finish());
}

/// A reader that answers 0x23 three times to every command: the host polls, never re-sends.
#[test]
fn a_slow_reader_is_polled_never_sent_the_command_again() {
    let (sim, tap) = reader(&["--kek", AES_KEK, "--slow", "3"]);
    let p0 = block(Version::D, KeyUsage::P0, AES_KEK, &[]);
    let kcv = key_kcv(Algorithm::Aes);
    let (ok, _, err) = send(&tap, &p0, &["--expect-kcv", &kcv]);
    assert!(ok, "{err}");
    assert_frames(
        &tap.frames(),
        &[
            load(0, 5, &p0),
            poll(),
            poll(),
            poll(),
            check_value(0, 1, 3),
            poll(),
            poll(),
            poll(),
        ],
    );
    assert!(sim.finish());
}

/// A block under another KEK: refused, nothing reported loaded, nothing stored.
#[test]
fn a_block_under_the_wrong_kek_is_refused() {
    let (sim, tap) = reader(&["--kek", AES_KEK]);
    let foreign = block(Version::D, KeyUsage::P0, &"11".repeat(32), &[]);
    let (ok, out, err) = send(
        &tap,
        &foreign,
        &["--slot", "6", "--expect-kcv", &key_kcv(Algorithm::Aes)],
    );
    assert!(!ok);
    assert!(out.is_empty() && !err.contains("loaded"), "{out}{err}");
    assert_frames(&tap.frames(), &[load(6, 5, &foreign)]);
    let out = keybridge(&[
        "device",
        "kcv",
        "--tcp",
        &tap.address,
        "--slot",
        "6",
        "--type",
        "MKSK_PIK",
    ]);
    assert!(!out.status.success(), "slot 6 holds nothing");
    tap.frames();
    assert!(sim.finish());
}

/// A wrong expected KCV is an error; without any KCV to compare the load is never "verified".
#[test]
fn a_wrong_or_absent_expected_kcv_is_never_verified() {
    let (sim, tap) = reader(&["--kek", AES_KEK]);
    let p0 = block(Version::D, KeyUsage::P0, AES_KEK, &[]);
    let (ok, out, err) = send(&tap, &p0, &["--expect-kcv", "DEAD00"]);
    assert!(
        !ok && err.contains("KCV mismatch") && !out.contains("loaded"),
        "{out}{err}"
    );
    assert_frames(&tap.frames(), &[load(0, 5, &p0), check_value(0, 1, 3)]);

    let (ok, out, err) = send(&tap, &p0, &["--json"]);
    assert!(!ok && err.contains("--accept-unverified-kcv"), "{err}");
    let outcome = json(&out);
    assert_eq!(
        (outcome["verified"].as_bool(), outcome["kcv_check"].as_str()),
        (Some(false), Some("unverified"))
    );
    tap.frames();
    assert!(sim.finish());
}

/// The chunked path (`sendTR31Key`): 64-byte chunks at offsets 0, 4, 8, … (units of 16 bytes),
/// TIMEOUT 60, closed by 0x40/0x21.
#[test]
fn the_chunked_path() {
    let (sim, tap) = reader(&["--kek", AES_KEK]);
    let p0 = block(Version::D, KeyUsage::P0, AES_KEK, &[]);
    let kcv = key_kcv(Algorithm::Aes);
    let (ok, _, err) = send(&tap, &p0, &["--chunked", "--expect-kcv", &kcv]);
    assert!(ok, "{err}");
    let mut expected: Vec<Vec<u8>> = p0
        .as_bytes()
        .chunks(64)
        .enumerate()
        .map(|(i, chunk)| {
            let mut data = ((i * 4) as u16).to_be_bytes().to_vec();
            data.extend(chunk);
            frame(0x21, 0x40, 0x20, 60, &data)
        })
        .collect();
    assert!(expected.len() >= 2, "the block spans several chunks");
    expected.push(frame(0x21, 0x40, 0x21, 60, &[]));
    expected.push(check_value(0, 1, 3));
    assert_frames(&tap.frames(), &expected);
    assert!(sim.finish());
}

// ---- the Rust loader against the in-process simulator -------------------------------------------

/// The loader API for the DUKPT kinds the CLI does not spell out: NEW_KEY_DATA (prefix 3, the
/// track and EMV groups, checked by DUKPT_TRK_IPEK and DUKPT_TRK_KSN), every check value the
/// simulator then holds, and 0 deviations.
#[test]
fn the_rust_loader_loads_dukpt_data_keys_and_reads_the_vendor_table() {
    use keybridge::loader::{CheckValueType, KeyLoader, LoadRequest, LoaderConfig, Tr31KeyType};
    use keybridge_testkit::simulator::{SimulatorConfig, start_tcp};
    let sim = start_tcp(
        "127.0.0.1:0",
        SimulatorConfig::with_kek(keybridge::SecretBytes::from_hex(TDES_KEK).unwrap()),
    )
    .unwrap();
    let mut loader = KeyLoader::open_tcp(sim.endpoint(), LoaderConfig::default()).unwrap();
    let b1 = block(Version::B, KeyUsage::B1, TDES_KEK, &[]);
    let request = LoadRequest {
        slot: Some(7),
        ksn: Some(TDES_KSN.into()),
        key_type: Some(Tr31KeyType::NewKeyData),
        expected_kcv: Some(hex::decode(key_kcv(Algorithm::Tdes)).unwrap()),
        ..LoadRequest::default()
    };
    let outcome = loader.send_tr31_key_with(&b1, &request).unwrap();
    assert!(outcome.is_verified());
    assert_eq!(outcome.check_value_type, Some(CheckValueType::DukptTrkIpek));
    let kcv = hex::decode(key_kcv(Algorithm::Tdes)).unwrap();
    let ksn = hex::decode(TDES_KSN).unwrap();
    // Ordinals 6 and 7 (track and EMV IPEKs) and 9 and 10 (their KSNs); not the PIN group.
    assert_eq!(
        (sim.check_value(7, 6), sim.check_value(7, 7)),
        (Some(kcv.clone()), Some(kcv.clone()))
    );
    assert_eq!(
        (sim.check_value(7, 9), sim.check_value(7, 10)),
        (Some(ksn.clone()), Some(ksn.clone()))
    );
    assert_eq!((sim.check_value(7, 8), sim.check_value(7, 11)), (None, None));

    let table = loader.check_values(7, CheckValueType::DukptMkskAllType).unwrap();
    let names: Vec<&str> = table.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "MKSK_TMK_KCV",
            "MKSK_PIK_KCV",
            "MKSK_TDK_KCV",
            "MKSK_MCK_KCV",
            "TCK_KCV",
            "MAGK_KCV",
            "DUKPT_TRK_IPEK_KCV",
            "DUKPT_EMV_IPEK_KCV",
            "DUKPT_PIN_IPEK_KCV",
            "DUKPT_TRK_KSN",
            "DUKPT_EMV_KSN",
            "DUKPT_PIN_KSN"
        ]
    );
    assert_eq!(table[6].1, kcv);
    assert_eq!(table[9].1, ksn);
    loader.close();
    drop(loader);
    assert_eq!(sim.finish(), vec![]);
}
