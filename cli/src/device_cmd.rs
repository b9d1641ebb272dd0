//! `keybridge device info|send-tr31|kcv`: talk to a reader over a serial port (or pty) or TCP.

use std::time::Duration;

use clap::{Args, Subcommand};
use keybridge::device::transport::SerialConfig;
use keybridge::loader::{
    CheckValueType, KcvCheck, KeyLoadOutcome, KeyLoader, LoadError, LoadMethod, LoadPolicy, LoadRequest, LoaderConfig,
    Tr31KeyType,
};
use serde::Serialize;

use crate::output::{CliResult, block_arg, print_json, with_remedy};

#[derive(Subcommand)]
pub enum DeviceCommand {
    /// Print the reader's POS id and PSAM id.
    Info {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        json: bool,
    },
    /// Load a TR-31 key block into the reader and verify the KCV it reports.
    #[command(name = "send-tr31")]
    SendTr31 {
        #[command(flatten)]
        target: Target,
        /// The key block as AWS Payment Cryptography returns it, or `-` to read it from standard input.
        block: String,
        /// Key index 0–9.
        #[arg(long)]
        slot: Option<u8>,
        /// The key's legacy KCV (hex) to compare with the reader's.
        #[arg(long)]
        expect_kcv: Option<String>,
        /// KSN of a DUKPT (B1) key, hex: 20 digits (TDES) or 24 (AES). Sent in the KSN frame after
        /// the load. Optional when the block carries a KS or IK optional block.
        #[arg(long)]
        ksn: Option<String>,
        /// The vendor's TR31KeyType to load the key as: all, tmk, pin or data (B0 = index digit
        /// then the type's code; needs --slot 1–9).
        #[arg(long, value_parser = parse_key_type)]
        key_type: Option<Tr31KeyType>,
        /// Send 64-byte chunks (CMD 0x40) instead of one load command (slot 0 only).
        #[arg(long)]
        chunked: bool,
        /// Accept blocks as HSMs emit them outside X9.143.
        #[arg(long)]
        lenient: bool,
        /// Accept version A and AES keys under TDES KBPKs.
        #[arg(long)]
        allow_weak: bool,
        /// Exit 0 when the reader accepted the key but no KCV verified it (no --expect-kcv, no
        /// legacy KC block, or a reader that reports none). Without it that is an error.
        #[arg(long)]
        accept_unverified_kcv: bool,
        #[arg(long)]
        json: bool,
    },
    /// Print the reader's check values of a slot, as the vendor SDK's getKeyCheckValue reads
    /// them: one value, or for `--type all` the table of 9 KCVs and 3 KSNs.
    Kcv {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 0)]
        slot: u8,
        /// The vendor's CHECKVALUE_KEYTYPE: MKSK_TMK, MKSK_PIK, MKSK_TDK, MKSK_MCK, TCK, MAGK,
        /// DUKPT_TRK_IPEK, DUKPT_EMV_IPEK, DUKPT_PIN_IPEK, DUKPT_TRK_KSN, DUKPT_EMV_KSN,
        /// DUKPT_PIN_KSN, or all (DUKPT_MKSK_ALLTYPE).
        #[arg(long = "type", default_value = "all", value_parser = parse_check_value_type)]
        kind: CheckValueType,
    },
}

/// Where the reader is.
#[derive(Args)]
pub struct Target {
    /// Serial port or pty path.
    #[arg(long, required_unless_present = "tcp", conflicts_with = "tcp")]
    port: Option<String>,
    /// HOST:PORT of a reader behind TCP (or `keybridge simulate --tcp`).
    #[arg(long)]
    tcp: Option<String>,
    /// Serial speed.
    #[arg(long, default_value_t = 115_200)]
    baud: u32,
    /// Seconds to wait for each answer (0.01–255).
    #[arg(long, default_value = "5", value_parser = parse_timeout)]
    timeout: Duration,
}

/// A `--timeout` in seconds: a finite number from 0.01 to 255 (the frame's timeout byte).
fn parse_timeout(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(secs) if (0.01..=255.0).contains(&secs) => Ok(Duration::from_secs_f64(secs)),
        _ => Err("expected a number of seconds from 0.01 to 255".into()),
    }
}

fn parse_key_type(text: &str) -> Result<Tr31KeyType, String> {
    Tr31KeyType::from_name(text).ok_or_else(|| "expected all, tmk, pin or data".into())
}

fn parse_check_value_type(text: &str) -> Result<CheckValueType, String> {
    if text.eq_ignore_ascii_case("all") {
        return Ok(CheckValueType::DukptMkskAllType);
    }
    CheckValueType::from_name(text)
        .ok_or_else(|| "expected a CHECKVALUE_KEYTYPE name (MKSK_PIK, DUKPT_PIN_KSN, …) or all".into())
}

impl Target {
    pub fn open(&self, mut config: LoaderConfig) -> Result<KeyLoader, LoadError> {
        config.command_timeout = self.timeout;
        match (&self.port, &self.tcp) {
            (Some(port), _) => {
                let serial = SerialConfig {
                    baud_rate: self.baud,
                    ..SerialConfig::default()
                };
                KeyLoader::open_serial(port, &serial, config)
            }
            (None, Some(addr)) => KeyLoader::open_tcp(addr, config),
            (None, None) => Err(LoadError::InvalidArgument {
                reason: "give --port PATH or --tcp HOST:PORT".into(),
            }),
        }
    }
}

/// A load error with the Dspread error name, for the one-line report.
pub fn describe(error: impl std::borrow::Borrow<LoadError>) -> String {
    let error = error.borrow();
    with_remedy(format!("{error} ({})", error.dspread_error_name()), error.remedy())
}

pub fn run(command: DeviceCommand) -> CliResult {
    match command {
        DeviceCommand::Info { target, json } => {
            let mut loader = target.open(LoaderConfig::default()).map_err(describe)?;
            let info = loader.device_info().map_err(describe)?;
            if json {
                print_json(&info)
            } else {
                println!("POS id:  {}\nPSAM id: {}", info.pos_id, info.psam_id);
                Ok(())
            }
        }
        DeviceCommand::Kcv { target, slot, kind } => {
            let mut loader = target.open(LoaderConfig::default()).map_err(describe)?;
            let values = loader.check_values(slot, kind).map_err(describe)?;
            match &values[..] {
                [(_, value)] => println!("{}", hex::encode_upper(value)),
                table => {
                    for (name, value) in table {
                        println!("{name} {}", hex::encode_upper(value));
                    }
                }
            }
            Ok(())
        }
        DeviceCommand::SendTr31 {
            target,
            block,
            slot,
            expect_kcv,
            ksn,
            key_type,
            chunked,
            lenient,
            allow_weak,
            accept_unverified_kcv,
            json,
        } => {
            let mut policy = if lenient {
                LoadPolicy::lenient()
            } else {
                LoadPolicy::default()
            };
            if allow_weak {
                policy = policy.allow_weak_wrapping();
            }
            let config = LoaderConfig {
                policy,
                method: if chunked {
                    LoadMethod::Chunked
                } else {
                    LoadMethod::Direct
                },
                ..LoaderConfig::default()
            };
            let expected_kcv = expect_kcv
                .map(|k| hex::decode(k.trim()).map_err(|e| format!("--expect-kcv: {e}")))
                .transpose()?;
            let request = LoadRequest {
                slot,
                expected_kcv,
                ksn,
                key_type,
                ..LoadRequest::default()
            };
            let block = block_arg(&block)?;
            let mut loader = target.open(config).map_err(describe)?;
            let outcome = loader.send_tr31_key_with(&block, &request).map_err(describe)?;
            if json {
                print_json(&OutcomeJson::from(&outcome))?;
            } else {
                print_outcome(&outcome);
            }
            if outcome.is_verified() || accept_unverified_kcv {
                Ok(())
            } else {
                Err(
                    "the reader accepted the key but no KCV verified that it holds it: give --expect-kcv HEX, \
                     or --accept-unverified-kcv to take the reader's word"
                        .into(),
                )
            }
        }
    }
}

/// The outcome as `send-tr31 --json` prints it.
#[derive(Serialize)]
pub struct OutcomeJson {
    pub slot: u8,
    pub version: keybridge::tr31::Version,
    pub key_usage: keybridge::tr31::KeyUsage,
    pub algorithm: keybridge::tr31::Algorithm,
    /// The vendor's CHECKVALUE_KEYTYPE read for the key (null when none covers its usage).
    pub check_value_type: Option<&'static str>,
    pub reader_kcv: String,
    /// The KSN the reader reports for a DUKPT key loaded with a KSN frame (empty otherwise).
    pub reader_ksn: String,
    pub kcv_check: &'static str,
    /// Whether the reader's KCV proved it holds the key.
    pub verified: bool,
    pub warnings: Vec<String>,
    /// Milliseconds, to 0.1 ms.
    pub elapsed_ms: f64,
}

impl From<&KeyLoadOutcome> for OutcomeJson {
    fn from(o: &KeyLoadOutcome) -> Self {
        Self {
            slot: o.slot,
            version: o.version,
            key_usage: o.key_usage,
            algorithm: o.algorithm,
            check_value_type: o.check_value_type.map(CheckValueType::name),
            reader_kcv: hex::encode_upper(&o.reader_kcv),
            reader_ksn: hex::encode_upper(&o.reader_ksn),
            kcv_check: match o.kcv_check {
                KcvCheck::MatchedKeyBlock => "matched_key_block",
                KcvCheck::MatchedExpected => "matched_expected",
                KcvCheck::Unverified => "unverified",
            },
            verified: o.is_verified(),
            warnings: o.warnings.iter().map(ToString::to_string).collect(),
            elapsed_ms: (o.elapsed.as_secs_f64() * 10_000.0).round() / 10.0,
        }
    }
}

/// Prints a load outcome for people.
pub fn print_outcome(o: &KeyLoadOutcome) {
    let what = if o.is_verified() {
        "loaded"
    } else {
        "the reader ACCEPTED (KCV NOT VERIFIED)"
    };
    println!(
        "{what} {} ({}, version {}) into slot {} in {:.1} ms",
        o.key_usage,
        o.algorithm.meaning(),
        o.version,
        o.slot,
        o.elapsed.as_secs_f64() * 1000.0
    );
    let check = match o.kcv_check {
        KcvCheck::MatchedKeyBlock => "matches the key block's KC",
        KcvCheck::MatchedExpected => "matches the expected KCV",
        KcvCheck::Unverified => "not verified",
    };
    let read = o.check_value_type.map_or("none", CheckValueType::name);
    println!(
        "reader KCV: {} ({check}; check value {read})",
        hex::encode_upper(&o.reader_kcv)
    );
    if !o.reader_ksn.is_empty() {
        println!("reader KSN: {}", hex::encode_upper(&o.reader_ksn));
    }
    for warning in &o.warnings {
        println!("warning: {warning}");
    }
}
