//! The `keybridge tr31` and `keybridge kcv` commands, run as the built binary: output shapes, exit
//! codes, and that failures are one line on stderr without key material.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_keybridge");

/// TR-31:2018 A.7.4 (version D, AES KBPK) from rust-core/tests/vectors/tr31-published.tsv.
const D_KBPK: &str = "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6";
const D_KEY: &str = "3F419E1CB7079442AA37474C2EFBF8B8";
const D_BLOCK: &str =
    "D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34";
/// TR-31:2018 A.7.3.2 (version B with a KS block).
const B_KBPK: &str = "1D22BF32387C600AD97F9B97A51311AC";
const B_KEY: &str = "E8BC63E5479455E26577F715D587FE68";
const B_BLOCK: &str =
    "B0104B0TX12S0100KS1800604B120F9292800000BB68BE8680A400D9191AD4ECE45B6E6C0D21C4738A52190E248719E24B433627";

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run keybridge")
}

fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON object on stdout")
}

fn failure_line(output: &Output) -> String {
    assert!(!output.status.success(), "expected a failure");
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr}");
    stderr
}

#[test]
fn unwrap_json_has_the_documented_fields() {
    let out = json(&run(&[
        "tr31",
        "unwrap",
        "--lenient",
        "--json",
        "--kbpk",
        D_KBPK,
        D_BLOCK,
    ]));
    let mut fields: Vec<&str> = out.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = [
        "version",
        "key_usage",
        "algorithm",
        "mode_of_use",
        "key_version",
        "exportability",
        "key_context",
        "optional_blocks",
        "key",
        "kcv",
        "warnings",
    ];
    fields.sort_unstable();
    expected.sort_unstable();
    assert_eq!(fields, expected);
    assert_eq!(out["version"], "D");
    assert_eq!(out["key_usage"], "P0");
    assert_eq!(out["key"], D_KEY);
    // AES: the 5-byte CMAC KCV.
    assert_eq!(out["kcv"].as_str().unwrap().len(), 10);

    let out = json(&run(&[
        "tr31",
        "unwrap",
        "--lenient",
        "--json",
        "--kbpk",
        B_KBPK,
        B_BLOCK,
    ]));
    assert_eq!(out["key"], B_KEY);
    assert_eq!(out["optional_blocks"][0]["id"], "KS");
    assert_eq!(out["optional_blocks"][0]["data"], "00604B120F9292800000");
    // TDES: the 3-byte legacy KCV.
    assert_eq!(out["kcv"].as_str().unwrap().len(), 6);
}

#[test]
fn inspect_needs_no_key() {
    let out = json(&run(&["tr31", "inspect", "--json", B_BLOCK]));
    assert_eq!(out["length"], 104);
    assert_eq!(out["algorithm"], "T");
    assert_eq!(out["optional_blocks"][0]["value"]["ksi"], "00604B120F9292800000");
    let text = run(&["tr31", "inspect", B_BLOCK]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("Base Derivation Key"));
}

#[test]
fn wrap_fills_in_length_and_padding_and_unwraps_back() {
    let kbpk = "0123456789ABCDEFFEDCBA9876543210";
    let key = "89ABCDEF0123456776543210FEDCBA98";
    let wrapped = run(&[
        "tr31",
        "wrap",
        "--kbpk",
        kbpk,
        "--header",
        "B0000B1TX00N0100KS0C00604B12",
        "--key",
        key,
    ]);
    assert!(wrapped.status.success(), "{}", String::from_utf8_lossy(&wrapped.stderr));
    let block = String::from_utf8(wrapped.stdout).unwrap().trim().to_owned();
    assert_eq!(block[1..5].parse::<usize>().unwrap(), block.len());
    assert_eq!(&block[12..14], "02", "KS plus the PB that aligns it: {block}");
    let out = json(&run(&["tr31", "unwrap", "--json", "--kbpk", kbpk, &block]));
    assert_eq!(out["key"], key);
    assert_eq!(out["optional_blocks"][1]["id"], "PB");
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn kcv_methods() {
    let factory = "0123456789ABCDEFFEDCBA9876543210";
    let legacy = run(&["kcv", "--key", factory, "--algorithm", "tdes"]);
    assert_eq!(stdout(&legacy).trim(), "08D7B4");
    let cmac = run(&["kcv", "--key", D_KEY, "--method", "cmac", "--algorithm", "aes"]);
    assert_eq!(stdout(&cmac).trim().len(), 10);
    // 8 and 32 bytes can only be DES and AES.
    assert_eq!(stdout(&run(&["kcv", "--key", &factory[..16]])).trim().len(), 6);
    assert_eq!(stdout(&run(&["kcv", "--key", D_KBPK])).trim().len(), 6);
}

/// A 16-byte key is TDES or AES-128: without --algorithm both KCVs are printed, each labelled,
/// and each equals what --algorithm gives (it used to print the TDES one alone, unlabelled).
#[test]
fn kcv_of_an_ambiguous_key_length_prints_both_labelled() {
    let both = stdout(&run(&["kcv", "--key", D_KEY]));
    let tdes = stdout(&run(&["kcv", "--key", D_KEY, "--algorithm", "tdes"]));
    let aes = stdout(&run(&["kcv", "--key", D_KEY, "--algorithm", "aes"]));
    assert_ne!(tdes, aes);
    assert_eq!(both, format!("tdes {tdes}aes {aes}"));
    let key24 = &B_KEY.repeat(2)[..48];
    let both = stdout(&run(&["kcv", "--key", key24, "--method", "cmac"]));
    let lines: Vec<&str> = both.lines().collect();
    assert_eq!(lines.len(), 2, "{both}");
    assert!(lines[0].starts_with("tdes ") && lines[1].starts_with("aes "), "{both}");
}

#[test]
fn failures_are_one_line_without_key_material() {
    // Wrong KBPK: the MAC does not verify.
    let wrong = "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF";
    let line = failure_line(&run(&["tr31", "unwrap", "--lenient", "--kbpk", wrong, D_BLOCK]));
    assert!(line.contains("MAC"), "{line}");
    assert!(!line.contains("0011223344") && !line.contains(&D_BLOCK[80..]), "{line}");
    // A malformed block names the field and position.
    let line = failure_line(&run(&["tr31", "inspect", "D0112Q0AE00E0000"]));
    assert!(line.contains("key usage at position 5"), "{line}");
    // The strict profile refuses the unobfuscated published block, and says what accepts it.
    let line = failure_line(&run(&["tr31", "unwrap", "--strict", "--kbpk", D_KBPK, D_BLOCK]));
    assert!(line.contains("obfuscated") && line.contains("drop --strict"), "{line}");
    // A bad hex key names the option, not the value.
    let line = failure_line(&run(&["kcv", "--key", "0123SECRET"]));
    assert!(line.contains("--key") && !line.contains("SECRET"), "{line}");
    // A valid MAC around a KC block of text the lenient profile lets through (built with
    // `tr31::seal_unchecked` under a KBPK of 0x42 bytes): it used to panic (exit 101).
    let kc_of_text = "D0128P0AE00N0200KC0A00ZZZZPB06006ABD06C87902F90B51F32060DA2297200E0981EB056E07AA3BE626462C47B38FE9564D3E1AF2CC96936F9E96A5E6D774";
    let line = failure_line(&run(&[
        "tr31",
        "unwrap",
        "--lenient",
        "--kbpk",
        &"42".repeat(32),
        kc_of_text,
    ]));
    assert!(line.contains("optional block KC") && !line.contains("ZZZZ"), "{line}");
}

/// ISO 20038:2017 B.2 (in rust-core/tests/vectors): version E, B0 with mode V, outside the X9.143
/// table. Strict refuses it naming --lenient; lenient unwraps it and warns, naming the rule.
const ISO_KBPK: &str = "3235362D62697420414553207772617070696E67202849534F20323030333829";
const ISO_BLOCK: &str = "E0084B0TV16N0000B2AE5E26BBA7F246E84D5EA24167E208A6B66EF2E27E55A52DB52F0AEACB94C57547";

#[test]
fn iso_20038s_own_example_unwraps_with_lenient_and_a_warning() {
    let line = failure_line(&run(&["tr31", "unwrap", "--kbpk", ISO_KBPK, ISO_BLOCK]));
    assert!(
        line.contains("'V' is not allowed with key usage B0") && line.contains("pass --lenient"),
        "{line}"
    );
    let out = run(&["tr31", "unwrap", "--lenient", "--kbpk", ISO_KBPK, ISO_BLOCK]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // "wrapped 3DES key" in ASCII.
    assert!(String::from_utf8_lossy(&out.stdout).contains("key  777261707065642033444553206B6579"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("warning: mode of use at position 8: 'V' is not allowed with key usage B0"),
        "{stderr}"
    );
    // Its key length is not obfuscated either: both relaxations are told.
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    let inspect = json(&run(&["tr31", "inspect", "--lenient", "--json", ISO_BLOCK]));
    assert_eq!(inspect["warnings"].as_array().map(Vec::len), Some(2));
}

/// The default profile takes a key length that is not obfuscated, as HSMs write it, and says so:
/// on stderr, or in `warnings` of `--json`.
#[test]
fn the_default_profile_unwraps_an_unobfuscated_block_with_a_warning() {
    let out = run(&["tr31", "unwrap", "--kbpk", D_KBPK, D_BLOCK]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(D_KEY));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("warning: encrypted key at position 16: the key length is not obfuscated"),
        "{stderr}"
    );
    let out = json(&run(&["tr31", "unwrap", "--json", "--kbpk", D_KBPK, D_BLOCK]));
    let warnings = out["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].as_str().unwrap().contains("not obfuscated"));
    let flags = run(&["tr31", "unwrap", "--strict", "--lenient", "--kbpk", D_KBPK, D_BLOCK]);
    assert!(!flags.status.success(), "--strict and --lenient exclude each other");
}

/// Every relaxation `--lenient` applies is named with its position: here lower-case hex in the
/// encrypted key and the MAC, and the real key length (moov-io/tr31's Apple example,
/// rust-core/tests/vectors/peers/moov-io-tr31.tsv).
#[test]
fn lenient_names_each_relaxation_and_its_position() {
    let block = "D0112D0AD00E00009ef4ff063d9757987d1768a1e317a6530de7d8ac81972c19a3659afb28e8d35f48aaa5b0f124e73893163e9a020ae5f3";
    let kbpk = "000102030405060708090A0B0C0D0E0F";
    let line = failure_line(&run(&["tr31", "unwrap", "--kbpk", kbpk, block]));
    assert!(
        line.contains("position 17") && line.contains("pass --lenient"),
        "{line}"
    );
    let out = json(&run(&["tr31", "unwrap", "--lenient", "--json", "--kbpk", kbpk, block]));
    assert_eq!(out["key"], "B9517FF24FD4C71833478D424C29751D");
    let warnings: Vec<&str> = out["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert_eq!(
        warnings,
        [
            "encrypted key at position 17: lower-case hex (X9.143 writes upper case); accepted by the lenient profile",
            "MAC at position 82: lower-case hex (X9.143 writes upper case); accepted by the lenient profile",
            "encrypted key at position 16: the key length is not obfuscated (X9.143 pads every key to its algorithm's longest); accepted as HSMs write it",
        ]
    );
}

/// `inspect` shows any block it can parse: version A without --allow-weak, with warnings that say
/// it is weak and that unwrap would refuse it (naming the flag).
#[test]
fn inspect_shows_weak_blocks_with_warnings() {
    let version_a = "A0072P0TE00E0000F5161ED902807AF26F1D62263644BD24192FDB3193C730301CEE8701";
    let out = json(&run(&["tr31", "inspect", "--json", version_a]));
    assert_eq!(out["version"], "A");
    let warnings: Vec<&str> = out["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert!(warnings[0].starts_with("weak wrapping accepted"), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("not obfuscated")), "{warnings:?}");
    assert!(
        warnings.last().unwrap().starts_with("unwrap would refuse it")
            && warnings.last().unwrap().contains("--allow-weak"),
        "{warnings:?}"
    );
    let text = run(&["tr31", "inspect", version_a]);
    assert!(text.status.success());
    assert!(String::from_utf8_lossy(&text.stderr).contains("warning: weak wrapping accepted"));
}

/// An RSA private key (PKCS #1 DER, 2048 bits) wraps and unwraps in a block with algorithm R;
/// a key that is not one is refused naming why.
#[test]
fn rsa_private_keys_wrap_and_unwrap() {
    let published = include_str!("../../rust-core/tests/vectors/tr31-published.tsv");
    let rsa_key = published
        .lines()
        .find(|l| l.starts_with("x9.143-2021-8.5"))
        .and_then(|l| l.split('\t').nth(3))
        .unwrap();
    let kbpk = D_KBPK;
    let wrapped = run(&[
        "tr31",
        "wrap",
        "--kbpk",
        kbpk,
        "--header",
        "D0000S0RS00N0000",
        "--key",
        rsa_key,
    ]);
    assert!(wrapped.status.success(), "{}", String::from_utf8_lossy(&wrapped.stderr));
    let block = String::from_utf8(wrapped.stdout).unwrap().trim().to_owned();
    assert!(block.starts_with("D") && &block[5..9] == "S0RS", "{block}");
    let out = json(&run(&["tr31", "unwrap", "--strict", "--json", "--kbpk", kbpk, &block]));
    assert_eq!(out["key"], rsa_key);
    assert_eq!(out["warnings"].as_array().map(Vec::len), Some(0));
    let line = failure_line(&run(&[
        "tr31",
        "wrap",
        "--kbpk",
        kbpk,
        "--header",
        "D0000S0RS00N0000",
        "--key",
        "3003020100",
    ]));
    assert!(line.contains("RSAPrivateKey"), "{line}");
}

/// Every remedy the CLI suggests is its own flag, not the library option behind it.
#[test]
fn remedies_name_the_cli_flags() {
    let kbpk = "00112233445566778899AABBCCDDEEFF";
    let wrap_version_a = |extra: &[&str]| {
        let key = "0123456789ABCDEFFEDCBA9876543210";
        let mut args = vec![
            "tr31",
            "wrap",
            "--kbpk",
            kbpk,
            "--header",
            "A0000P0TE00E0000",
            "--key",
            key,
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let line = failure_line(&wrap_version_a(&[]));
    assert!(
        line.contains("pass --allow-weak") && !line.contains("allow_weak_wrapping"),
        "{line}"
    );
    let block = wrap_version_a(&["--allow-weak"]);
    let block = String::from_utf8(block.stdout).unwrap();
    let line = failure_line(&run(&["tr31", "unwrap", "--kbpk", kbpk, block.trim()]));
    assert!(
        line.contains("pass --allow-weak") && !line.contains("allow_weak_wrapping"),
        "{line}"
    );
}

/// A multi-byte character is named by its character position; lengths are never miscounted.
#[test]
fn non_ascii_characters_are_named_by_position() {
    let mut block = D_BLOCK.to_owned();
    block.replace_range(20..21, "é");
    let line = failure_line(&run(&["tr31", "inspect", &block]));
    assert!(line.contains("non-ASCII character at position 20"), "{line}");
    assert!(!line.contains("113"), "no byte count: {line}");
}

/// `-` reads the block from standard input: it need not pass through argv.
#[test]
fn a_block_can_come_from_standard_input() {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(["tr31", "unwrap", "--lenient", "--json", "--kbpk", D_KBPK, "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{D_BLOCK}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(json(&out)["key"], D_KEY);
    let empty = Command::new(BIN)
        .args(["tr31", "inspect", "-"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(failure_line(&empty).contains("standard input held no key block"));
}
