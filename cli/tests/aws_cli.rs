//! `keybridge aws-emulator` and `keybridge aws export` as programs: the default credential chain
//! with no HOME and no profile (as on Android), missing credentials, and a standard AWS client
//! (boto3) against the emulator.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use keybridge::crypto::CipherFamily;
use keybridge::kcv::{self, KcvMethod};
use keybridge::tr31::{self, Profile};

const BIN: &str = env!("CARGO_BIN_EXE_keybridge");
const KEK: &str = "00112233445566778899AABBCCDDEEFF0123456789ABCDEFFEDCBA9876543210";
const PIN_KEY: &str = "2B7E151628AED2A6ABF7158809CF4F3C";
const ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The emulator as a child process, killed when dropped.
struct EmulatorProcess {
    child: Child,
    url: String,
    /// Held open: the emulator's later lines must not hit a closed pipe.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl EmulatorProcess {
    /// With the AES KEK and PIN key preloaded.
    fn start() -> Self {
        Self::start_with(&[
            "--key",
            &format!("alias/kek=K0:AES_256:{KEK}"),
            "--key",
            &format!("alias/pin=P0:AES_128:{PIN_KEY}"),
        ])
    }

    fn start_with(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(["aws-emulator", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("keybridge aws-emulator starts");
        let mut first = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut first).unwrap();
        let url = first
            .split_whitespace()
            .last()
            .expect("endpoint on the first line")
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{first}");
        Self {
            child,
            url,
            _stdout: stdout,
        }
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The emulator's test credentials, as the default chain reads them from the environment.
const TEST_CREDENTIALS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
    ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
];

/// Runs `keybridge ARGS` against the emulator at `endpoint_url` with only `env` in its
/// environment (no HOME unless given).
fn keybridge_against(endpoint_url: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .args(["--region", "us-east-1", "--endpoint-url", endpoint_url])
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// `keybridge aws export` with only the given environment.
fn export(emulator: &EmulatorProcess, env: &[(&str, &str)]) -> std::process::Output {
    let args = [
        "aws",
        "export",
        "--key",
        "alias/pin",
        "--wrapping-key",
        "alias/kek",
        "--json",
    ];
    keybridge_against(&emulator.url, &args, env)
}

fn service_kcv_of_pin_key() -> String {
    let key = hex::decode(PIN_KEY).unwrap();
    hex::encode_upper(&kcv::kcv(&key, CipherFamily::Aes, KcvMethod::Cmac).unwrap()[..3])
}

#[test]
fn the_default_chain_works_without_home_or_profile() {
    let emulator = EmulatorProcess::start();
    let nowhere = [
        ("HOME", "/nonexistent/keybridge-home"),
        ("AWS_CONFIG_FILE", "/nonexistent/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
    ];
    for env in [
        TEST_CREDENTIALS.to_vec(),
        [TEST_CREDENTIALS.as_slice(), nowhere.as_slice()].concat(),
    ] {
        let out = export(&emulator, &env);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["kcv"], service_kcv_of_pin_key());
        assert_eq!(json["kcv_algorithm"], "CMAC");
        let clear = tr31::unwrap(
            &hex::decode(KEK).unwrap(),
            json["key_block"].as_str().unwrap(),
            &Profile::STRICT,
        )
        .unwrap();
        assert_eq!(clear.key.expose_hex(), PIN_KEY);
    }
}

#[test]
fn missing_credentials_end_in_a_credentials_error() {
    let emulator = EmulatorProcess::start();
    let out = export(&emulator, &[("AWS_EC2_METADATA_DISABLED", "true")]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no usable AWS credentials"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

const BOTO3_SCRIPT: &str = r#"
import json, sys, boto3, botocore
url = sys.argv[1]
def client(secret):
    return boto3.client("payment-cryptography", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key=secret)
pc = client("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
key = pc.create_key(Exportable=True, KeyAttributes={"KeyUsage": "TR31_D0_SYMMETRIC_DATA_ENCRYPTION_KEY",
    "KeyClass": "SYMMETRIC_KEY", "KeyAlgorithm": "AES_256",
    "KeyModesOfUse": {"Encrypt": True, "Decrypt": True}})["Key"]
pc.create_alias(AliasName="alias/boto3", KeyArn=key["KeyArn"])
assert pc.get_key(KeyIdentifier="alias/boto3")["Key"]["KeyArn"] == key["KeyArn"]
wrapped = pc.export_key(ExportKeyIdentifier="alias/boto3",
    KeyMaterial={"Tr31KeyBlock": {"WrappingKeyIdentifier": "alias/kek"}})["WrappedKey"]
try:
    client("wrong").list_keys()
    refused = ""
except botocore.exceptions.ClientError as e:
    refused = e.response["Error"]["Code"]
print(json.dumps({"kcv": key["KeyCheckValue"], "block": wrapped["KeyMaterial"],
                  "export_kcv": wrapped["KeyCheckValue"], "refused": refused}))
"#;

#[test]
fn boto3_drives_the_emulator() {
    let has_boto3 = Command::new("python3")
        .args(["-c", "import boto3"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_boto3 {
        eprintln!("skipped: python3 with boto3 is not installed");
        return;
    }
    let emulator = EmulatorProcess::start();
    let out = Command::new("python3")
        .args(["-c", BOTO3_SCRIPT, &emulator.url])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["refused"], "InvalidSignatureException");
    assert_eq!(json["kcv"], json["export_kcv"]);
    let clear = tr31::unwrap(
        &hex::decode(KEK).unwrap(),
        json["block"].as_str().unwrap(),
        &Profile::STRICT,
    )
    .unwrap();
    let ours = kcv::kcv(clear.key.as_bytes(), CipherFamily::Aes, KcvMethod::Cmac).unwrap();
    assert_eq!(hex::encode_upper(&ours[..3]), json["kcv"]);
}

/// `keybridge load --from-aws` against an in-process emulator and reader simulator sharing `kek`.
fn load_from_aws(kek_spec: &str, key_spec: &str, kek: &str, extra: &[&str]) -> std::process::Output {
    use keybridge::SecretBytes;
    use keybridge_testkit::emulator::{Emulator, EmulatorConfig};
    use keybridge_testkit::simulator::{self, SimulatorConfig};
    let emulator = Emulator::start(EmulatorConfig {
        keys: vec![kek_spec.parse().unwrap(), key_spec.parse().unwrap()],
        ..EmulatorConfig::default()
    })
    .unwrap();
    let reader = simulator::start_tcp(
        "127.0.0.1:0",
        SimulatorConfig::with_kek(SecretBytes::from_hex(kek).unwrap()),
    )
    .unwrap();
    let mut args = vec![
        "load",
        "--from-aws",
        "--key",
        "alias/pin",
        "--wrapping-key",
        "alias/kek",
        "--tcp",
        reader.endpoint(),
    ];
    args.extend_from_slice(extra);
    let out = keybridge_against(&emulator.endpoint_url(), &args, &TEST_CREDENTIALS);
    reader.stop();
    out
}

const TDES_KEK: &str = "0123456789ABCDEFFEDCBA987654321089ABCDEF01234567";
const TDES_PIN_KEY: &str = "0123456789ABCDEFFEDCBA9876543210";

#[test]
fn load_from_aws_compares_tdes_kcvs_directly() {
    let out = load_from_aws(
        &format!("alias/kek=K0:TDES_3KEY:{TDES_KEK}"),
        &format!("alias/pin=P0:TDES_2KEY:{TDES_PIN_KEY}"),
        TDES_KEK,
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    // 08D7B4 is the published X9.24 KCV of this TDES key: AWS and the reader both report it.
    assert!(
        stdout.contains("VERDICT: OK: reader KCV 08D7B4 = AWS KCV 08D7B4"),
        "{stdout}"
    );
}

#[test]
fn load_from_aws_does_not_claim_an_aes_kcv_match_it_cannot_check() {
    let kek_spec = format!("alias/kek=K0:AES_256:{KEK}");
    let key_spec = format!("alias/pin=P0:AES_128:{PIN_KEY}");
    let refused = load_from_aws(&kek_spec, &key_spec, KEK, &[]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("cannot be compared"), "{stderr}");
    let accepted = load_from_aws(&kek_spec, &key_spec, KEK, &["--accept-unverified-kcv"]);
    let stdout = String::from_utf8_lossy(&accepted.stdout);
    assert!(accepted.status.success(), "{stdout}");
    assert!(stdout.contains("KCV NOT VERIFIED"), "{stdout}");
}

#[test]
fn load_from_aws_under_the_wrong_kek_is_a_reader_mac_error() {
    let other_kek = "FF".repeat(32);
    let out = load_from_aws(
        &format!("alias/kek=K0:AES_256:{KEK}"),
        &format!("alias/pin=P0:AES_128:{PIN_KEY}"),
        &other_kek,
        &["--accept-unverified-kcv"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MAC_ERROR"), "{stderr}");
}

#[test]
fn ipek_export_from_a_keys_file_gives_the_published_x9_24_ipek() {
    let dir = std::env::temp_dir().join(format!("keybridge-aws-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("keys");
    std::fs::write(
        &file,
        format!("# KEK ceremony result\nalias/kek=K0:TDES_3KEY:{TDES_KEK}\nalias/bdk=B0:TDES_2KEY:{TDES_PIN_KEY}\n"),
    )
    .unwrap();
    let emulator = EmulatorProcess::start_with(&["--keys-file", file.to_str().unwrap()]);
    let args = [
        "aws",
        "export",
        "--key",
        "alias/bdk",
        "--wrapping-key",
        "alias/kek",
        "--json",
        "--ipek-ksn",
        "FFFF9876543210E00000",
    ];
    let out = keybridge_against(&emulator.url, &args, &TEST_CREDENTIALS);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let block = json["key_block"].as_str().unwrap();
    assert!(block.starts_with('B') && &block[5..7] == "B1", "{block}");
    let clear = tr31::unwrap(&hex::decode(TDES_KEK).unwrap(), block, &Profile::STRICT).unwrap();
    // ANSI X9.24-1 example: BDK 0123…3210, KSN FFFF9876543210E00000.
    assert_eq!(clear.key.expose_hex(), "6AC292FAA1315B4D858AB3A3D7D5933A");

    // A bad line is reported by number, without echoing key material.
    std::fs::write(&file, format!("alias/kek=K0:AES_256:{}\n", "AB".repeat(16))).unwrap();
    let bad = Command::new(BIN)
        .args(["aws-emulator", "--keys-file", file.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success());
    assert!(stderr.contains("line 1") && !stderr.contains("ABAB"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A bad key spec names the field and where it starts, and never repeats key material: not from
/// `--key` (the argument parser used to echo the whole value) nor from `--keys-file`.
#[test]
fn bad_key_specs_never_echo_key_material() {
    let secret = "00112233445566778899AABBCCDDEEFF";
    let file = std::env::temp_dir().join(format!("keybridge-bad-keys-{}", std::process::id()));
    std::fs::write(&file, format!("# a missing ALGORITHM field\nalias/kek=K0:{secret}\n")).unwrap();
    let cases = [
        vec!["--key".to_owned(), format!("alias/kek=K0:AES_128:{secret}ZZ")],
        vec!["--key".to_owned(), format!("alias/kek=K0:{secret}")],
        vec!["--keys-file".to_owned(), file.display().to_string()],
    ];
    for args in cases {
        let out = Command::new(BIN).arg("aws-emulator").args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(!stderr.contains("0011"), "{stderr}");
        assert!(stderr.contains("character") && stderr.lines().count() == 1, "{stderr}");
    }
    std::fs::remove_file(file).unwrap();
}
