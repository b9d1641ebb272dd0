//! The built `keybridge` binary: `demo`, and `device …` against `simulate --tcp 0` / `--pty`.

use std::process::{Command, Stdio};

mod support;
use support::{BIN, Simulator, keybridge};

use keybridge::crypto::CipherFamily;
use keybridge::kcv::{KcvMethod, kcv};
use keybridge::tr31::{Algorithm, Exportability, Header, KeyUsage, ModeOfUse, Version, WrapOptions, wrap};

const KEK: &str = "8899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF0011223344556677";
const KEY: [u8; 16] = [0x42; 16];

fn p0_block(kek: &[u8]) -> String {
    let header = Header::new(
        Version::D,
        KeyUsage::P0,
        Algorithm::Aes,
        ModeOfUse::EncryptOnly,
        Exportability::NonExportable,
    );
    wrap(kek, &header, &KEY, &WrapOptions::default()).unwrap()
}

fn key_kcv() -> String {
    hex::encode_upper(kcv(&KEY, CipherFamily::Aes, KcvMethod::Legacy).unwrap())
}

#[test]
fn demo_loads_a_key_and_reports_the_matching_kcv() {
    let out = keybridge(&["demo"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("VERDICT: OK"), "{stdout}");
    assert!(stdout.contains("CreateKey (real AWS SDK)"), "{stdout}");
    assert!(stdout.contains("matches the expected KCV"), "{stdout}");
    // The reader's KCV is the legacy KCV of the key in the exported block.
    let legacy = stdout
        .split("its legacy KCV, as readers report it, is ")
        .nth(1)
        .and_then(|rest| rest.get(..6))
        .expect("the legacy KCV line");
    assert!(stdout.contains(&format!("reader KCV: {legacy}")), "{stdout}");
}

#[test]
fn send_tr31_over_tcp_against_the_simulator() {
    let sim = Simulator::start(&["--tcp", "0", "--kek", KEK]);
    let addr = sim.tcp_address();
    let kek = hex::decode(KEK).unwrap();

    let out = keybridge(&[
        "device",
        "send-tr31",
        "--tcp",
        &addr,
        &p0_block(&kek),
        "--slot",
        "4",
        "--expect-kcv",
        &key_kcv(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["reader_kcv"], key_kcv().as_str());
    assert_eq!(json["kcv_check"], "matched_expected");
    assert_eq!(json["slot"], 4);

    let out = keybridge(&["device", "kcv", "--tcp", &addr, "--slot", "4", "--type", "MKSK_PIK"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), key_kcv());
    let out = keybridge(&["device", "kcv", "--tcp", &addr, "--slot", "4"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains(&format!("MKSK_PIK_KCV {}", key_kcv())), "{table}");
    assert_eq!(table.lines().count(), 12, "9 KCVs and 3 KSNs: {table}");

    let out = keybridge(&["device", "send-tr31", "--tcp", &addr, &p0_block(&[0x01; 32])]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MAC_ERROR") && stderr.lines().count() == 1, "{stderr}");

    // No KCV known: the reader's word alone is not "loaded" unless the caller accepts it.
    let out = keybridge(&["device", "send-tr31", "--tcp", &addr, &p0_block(&kek), "--chunked"]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("KCV NOT VERIFIED") && !stdout.contains("loaded"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--accept-unverified-kcv"));
    let out = keybridge(&[
        "device",
        "send-tr31",
        "--tcp",
        &addr,
        &p0_block(&kek),
        "--chunked",
        "--accept-unverified-kcv",
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (json["verified"].as_bool(), json["kcv_check"].as_str()),
        (Some(false), Some("unverified"))
    );
    assert_eq!(json["reader_kcv"], key_kcv().as_str());
    // Rounded to 0.1 ms: no float noise.
    let elapsed = json["elapsed_ms"].to_string();
    assert!(elapsed.split('.').nth(1).is_none_or(|d| d.len() == 1), "{elapsed}");
    assert!(sim.finish(), "simulate exits cleanly when stdin closes");
}

/// A reader that answers loads with a bare OK and stores nothing: never "loaded".
#[test]
fn send_tr31_against_a_lying_reader_fails_without_a_panic() {
    let sim = Simulator::start(&["--tcp", "0", "--kek", KEK, "--false-answer", "bare-ok"]);
    let addr = sim.tcp_address();
    let kek = hex::decode(KEK).unwrap();
    for extra in [&["--expect-kcv", &key_kcv()][..], &["--accept-unverified-kcv"]] {
        let mut args = vec!["device", "send-tr31", "--tcp", &addr, "--timeout", "0.3"];
        let block = p0_block(&kek);
        args.push(&block);
        args.extend_from_slice(extra);
        let out = keybridge(&args);
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).is_empty());
    }
    assert!(sim.finish());
}

/// Numeric flags are validated by the parser: no panic (exit 101), a usage error naming the flag.
#[test]
fn bad_numeric_flags_are_usage_errors() {
    for timeout in ["NaN", "inf", "-1", "0", "1e9"] {
        let out = keybridge(&[
            "device",
            "info",
            "--tcp",
            "127.0.0.1:9",
            &format!("--timeout={timeout}"),
        ]);
        assert_eq!(out.status.code(), Some(2), "--timeout {timeout}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--timeout"), "{timeout}");
    }
    let out = keybridge(&["simulate", "--tcp", "0", "--false-answer", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bare-ok"));
}

#[cfg(unix)]
#[test]
fn device_info_over_the_simulators_pty_with_faults() {
    let sim = Simulator::start(&["--pty", "--busy", "2", "--corrupt", "1", "--garbage", "9"]);
    assert!(sim.first_line.starts_with("/dev/"), "{}", sim.first_line);
    let out = keybridge(&["device", "info", "--port", &sim.first_line, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["pos_id"], "3131313131313131");
    assert!(sim.finish());
}

/// `device send-tr31 -` takes the block from standard input.
#[test]
fn send_tr31_reads_the_block_from_standard_input() {
    use std::io::Write;
    let sim = Simulator::start(&["--tcp", "0", "--kek", KEK]);
    let addr = sim.tcp_address();
    let mut child = Command::new(BIN)
        .args(["device", "send-tr31", "--tcp", &addr, "--expect-kcv", &key_kcv(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let block = p0_block(&hex::decode(KEK).unwrap());
    child.stdin.take().unwrap().write_all(block.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("matches the expected KCV"));
    assert!(sim.finish());
}
