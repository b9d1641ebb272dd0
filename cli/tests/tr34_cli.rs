//! `keybridge tr34 inspect|unwrap|build`, run as the built binary on the vendor demo's token and on
//! tokens built here with the test PKI of rust-core/tests/fixtures/tr34 (see its make.sh).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use keybridge::tr34::{Certificate, ContentCipher, Kdh, Payload, PrivateKey, Shape, build};

const BIN: &str = env!("CARGO_BIN_EXE_keybridge");
const KEY: &str = "0123456789ABCDEFFEDCBA9876543210";
const NONCE: &str = "0011223344556677";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rust-core/tests/fixtures/tr34")
        .join(name)
}

fn demo_token() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rust-core/tests/vectors/dspread-demo-tr34-token.hex")
}

fn pem(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

/// A token for the test KRD from `kdh` (a fixture name), as hex.
fn token(kdh: &str) -> String {
    let key = PrivateKey::from_pem("KDH", &pem(&format!("{kdh}.key"))).unwrap();
    let cert = Certificate::from_pem("KDH", &pem(&format!("{kdh}.pem"))).unwrap();
    let krd = Certificate::from_pem("KRD", &pem("krd.pem")).unwrap();
    let der = build(
        Kdh {
            key: &key,
            certificate: &cert,
        },
        &krd,
        Payload {
            key: &hex::decode(KEY).unwrap(),
            header: "D0000K0TB00E0000",
            nonce: &hex::decode(NONCE).unwrap(),
            cipher: ContentCipher::TdesCbc,
            shape: Shape::Aws,
        },
    )
    .unwrap();
    hex::encode_upper(der)
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run keybridge")
}

fn unwrap_args<'a>(token: &'a str, kdh_cert: &'a str, nonce: &'a str) -> Vec<String> {
    let mut args: Vec<String> = ["tr34", "unwrap", token, "--krd-key"].map(String::from).to_vec();
    args.push(fixture("krd.key").display().to_string());
    args.extend(["--kdh-cert".into(), fixture(kdh_cert).display().to_string()]);
    args.extend(["--kdh-ca".into(), fixture("kdh-ca.pem").display().to_string()]);
    args.extend(["--krd-cert".into(), fixture("krd.pem").display().to_string()]);
    args.extend(["--nonce".into(), nonce.into()]);
    args
}

fn run_owned(args: &[String]) -> Output {
    Command::new(BIN).args(args).output().expect("run keybridge")
}

fn failure_line(output: &Output) -> String {
    assert!(!output.status.success(), "expected a failure");
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr}");
    assert!(!stderr.contains(KEY), "no key in errors: {stderr}");
    stderr
}

#[test]
fn inspect_shows_the_vendor_demo_tokens_recipient_and_header() {
    let out = run(&["tr34", "inspect", demo_token().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = |label: &str| text.lines().find(|l| l.starts_with(label)).unwrap_or("").to_owned();
    assert!(line("recipient (KRD)").contains("Dspread Devices CA"), "{text}");
    assert!(line("header").ends_with("A0016K0TN00E0000"), "{text}");
    assert!(line("nonce").ends_with("4CDCEDD916AAACEEAE548A1C5B0A0EAA"), "{text}");
    assert!(line("shape").contains("Dspread"), "{text}");
}

#[test]
fn inspect_json_reads_hex_from_an_argument_too() {
    let hex = std::fs::read_to_string(demo_token()).unwrap();
    let hex: String = hex.lines().filter(|l| !l.starts_with('#')).collect();
    let out = run(&["tr34", "inspect", "--json", &hex]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["signer"]["header"], "A0016K0TN00E0000");
    assert_eq!(json["signed_data_version"], 0x49);
    assert_eq!(json["recipient"]["serial"], "4EB0D600009880");
    assert_eq!(json["content"]["cipher"], "TdesCbc");
    assert_eq!(json["recipient"]["oaep"]["hash"], "sha256");
}

#[test]
fn inspect_of_a_broken_token_names_the_field_and_offset() {
    let line = failure_line(&run(&["tr34", "inspect", "308200050201"]));
    assert!(line.contains("ContentInfo at offset 0"), "{line}");
}

#[test]
fn unwrap_verifies_and_prints_header_key_and_kcv() {
    let token = token("kdh");
    let out = run_owned(&unwrap_args(&token, "kdh.pem", NONCE));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.stderr.is_empty(),
        "every check ran: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        format!("header  D0000K0TB00E0000\nkey     {KEY}\nkcv     08D7B4\n")
    );

    let mut json_args = unwrap_args(&token, "kdh.pem", NONCE);
    json_args.push("--json".into());
    let out = run_owned(&json_args);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["key"], KEY);
    assert_eq!(json["kcv"], "08D7B4");
    assert_eq!(json["unchecked"], serde_json::json!([]));
}

#[test]
fn unwrap_without_ca_certificate_or_nonce_says_what_it_did_not_check() {
    let token = token("kdh");
    let out = run(&[
        "tr34",
        "unwrap",
        &token,
        "--krd-key",
        fixture("krd.key").to_str().unwrap(),
        "--kdh-cert",
        fixture("kdh.pem").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    for flag in ["--kdh-ca", "--nonce", "--krd-cert"] {
        assert!(stderr.contains(flag), "{stderr}");
    }
}

#[test]
fn unwrap_refusals_exit_non_zero_naming_the_check() {
    let good = token("kdh");
    let forged = token("kdh-forged");
    for (token, kdh_cert, nonce, check) in [
        (&good, "kdh.pem", "FFFFFFFFFFFFFFFF", "check nonce"),
        (&forged, "kdh-forged.pem", NONCE, "check kdh-chain"),
        (&forged, "kdh.pem", NONCE, "check signer"),
    ] {
        let line = failure_line(&run_owned(&unwrap_args(token, kdh_cert, nonce)));
        assert!(line.contains(check), "{check}: {line}");
    }
}

fn build_args(shape: &str, header: &str, key: &str, nonce: &str) -> Vec<String> {
    let mut args: Vec<String> = ["tr34", "build", "--json", "--shape", shape].map(String::from).to_vec();
    for (flag, file) in [
        ("--kdh-key", "kdh.key"),
        ("--kdh-cert", "kdh.pem"),
        ("--krd-cert", "krd.pem"),
    ] {
        args.extend([flag.into(), fixture(file).display().to_string()]);
    }
    args.extend(["--header".into(), header.into(), "--key".into(), key.into()]);
    args.extend(["--nonce".into(), nonce.into()]);
    args
}

#[test]
fn build_writes_a_token_of_either_shape_that_unwrap_opens_to_the_key_and_kcv_it_reported() {
    const AES_KEY: &str = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";
    for (shape, header, key, nonce, cipher) in [
        ("aws", "D0000K0TB00E0000", KEY, NONCE, "tdes"),
        (
            "dspread",
            "D0000K0AB00E0000",
            AES_KEY,
            "00112233445566778899AABBCCDDEEFF",
            "aes256",
        ),
    ] {
        let mut args = build_args(shape, header, key, nonce);
        args.extend(["--cipher".into(), cipher.into()]);
        let out = run_owned(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let built: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let token = built["token"].as_str().unwrap();
        // The vendor SDK's envelope carries TDES content only.
        assert_eq!(built["envelope"].is_string(), cipher == "tdes", "{built}");

        let inspected = run(&["tr34", "inspect", "--json", token]);
        let summary: serde_json::Value = serde_json::from_slice(&inspected.stdout).unwrap();
        assert_eq!(summary["shape"], shape);

        let mut unwrap = unwrap_args(token, "kdh.pem", nonce);
        unwrap.push("--json".into());
        let out = run_owned(&unwrap);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let opened: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(opened["key"], key);
        assert_eq!(opened["header"], header);
        assert_eq!(opened["kcv"], built["kcv"]);
        assert_eq!(opened["unchecked"], serde_json::json!([]));
    }
}

#[test]
fn build_refuses_a_header_without_a_tdes_or_aes_algorithm() {
    let line = failure_line(&run_owned(&build_args("aws", "D0000K0HB00E0000", KEY, NONCE)));
    assert!(line.contains("--header"), "{line}");
}
