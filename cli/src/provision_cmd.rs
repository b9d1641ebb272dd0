//! `keybridge provision`: a key-injection station provisions the connected reader from the key
//! service in one call — POS id, keys, loads, report — with a bearer token and no AWS
//! credentials. The token comes from a file or the environment, never the command line (any
//! user on the machine can read another's argv).

use std::path::PathBuf;

use clap::Args;
use keybridge::loader::{LoadError, LoaderConfig};
use keybridge::provision::{ProvisionOptions, ProvisionReport, ProvisionedSlot};
use keybridge::service_api::Verdict;
use keybridge::service_client::{KeyServiceClient, ServiceClientConfig};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::device_cmd::{Target, describe};
use crate::output::{CliResult, print_json};

/// The environment variable a token may come from.
const TOKEN_VARIABLE: &str = "KEYBRIDGE_SERVICE_TOKEN";

#[derive(Args)]
pub struct ProvisionArgs {
    #[command(flatten)]
    target: Target,
    /// The key service, `https://…` (plain `http://` only to a loopback address).
    #[arg(long, env = "KEYBRIDGE_SERVICE_URL", value_name = "URL")]
    service: String,
    /// File holding the bearer token (a device or operator token). Without it the token is read
    /// from KEYBRIDGE_SERVICE_TOKEN.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// PEM root CAs to trust instead of the platform's store.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// PEM client certificate chain and private key, for a service that requires mutual TLS.
    #[arg(long, value_name = "FILE")]
    client_identity: Option<PathBuf>,
    /// Repeat an earlier provisioning's key request (the same keys and KSNs, nothing allocated).
    #[arg(long, value_name = "KEY")]
    idempotency_key: Option<String>,
    /// Exit 0 although some slot loaded without a verified KCV (AWS reports CMAC KCVs for AES
    /// keys, which no reader's KCV can be compared with).
    #[arg(long)]
    accept_unverified_kcv: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(args: ProvisionArgs) -> CliResult {
    let token = match &args.token_file {
        Some(path) => Zeroizing::new(read(path, "--token-file")?),
        None => Zeroizing::new(
            std::env::var(TOKEN_VARIABLE).map_err(|_| format!("give --token-file FILE or set {TOKEN_VARIABLE}"))?,
        ),
    };
    let mut config = ServiceClientConfig::new(&args.service, token.trim());
    config.root_certificates_pem = args
        .ca_file
        .as_ref()
        .map(|path| read(path, "--ca-file").map(String::into_bytes))
        .transpose()?;
    config.client_identity_pem = args
        .client_identity
        .as_ref()
        .map(|path| read(path, "--client-identity").map(|pem| Zeroizing::new(pem.into_bytes())))
        .transpose()?;
    let client = KeyServiceClient::new(config)?;
    let mut loader = args.target.open(LoaderConfig::default()).map_err(describe)?;
    let options = ProvisionOptions {
        idempotency_key: args.idempotency_key.clone(),
        ..ProvisionOptions::default()
    };
    let report = loader.provision(&client, &options, None)?;
    loader.close();
    if args.json {
        print_json(&ReportJson::from(&report))?;
    } else {
        print_report(&report);
    }
    let unverified = report
        .slots
        .iter()
        .any(|s| s.result.as_ref().is_ok_and(|o| !o.is_verified()));
    let failed = report.slots.iter().filter(|s| s.result.is_err()).count();
    match (&report.report, failed, report.cancelled) {
        (_, failed, _) if failed > 0 => Err(format!("{failed} of {} slots did not load", report.slots.len()).into()),
        (Err(e), _, _) => Err(format!("every slot loaded, but the report did not reach the service: {e}").into()),
        _ if unverified && !args.accept_unverified_kcv => Err(
            "some slots loaded without a verified KCV (AWS's CMAC KCV of an AES key cannot be compared with a \
             reader's); pass --accept-unverified-kcv to accept"
                .into(),
        ),
        _ => Ok(()),
    }
}

fn read(path: &PathBuf, flag: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{flag} {}: {e}", path.display()))
}

/// What a slot came to, in words.
fn status(slot: &ProvisionedSlot) -> String {
    match &slot.result {
        Ok(outcome) if outcome.is_verified() => "loaded, KCV verified".into(),
        Ok(_) => "loaded, KCV NOT VERIFIED (the reader's word)".into(),
        Err(e @ LoadError::Indeterminate { .. }) => format!("INDETERMINATE: {e}"),
        Err(e) => format!("FAILED: {}", describe(e)),
    }
}

fn print_report(report: &ProvisionReport) {
    println!("reader {} — key request {}", report.pos_id, report.request_id);
    for slot in &report.slots {
        let kcv = slot
            .result
            .as_ref()
            .map_or(String::new(), |o| hex::encode_upper(&o.reader_kcv));
        let verdict = slot.verdict.map_or("-", Verdict::as_str);
        println!(
            "slot {}: {} | reader KCV {} | AWS KCV {} ({}) | service verdict {verdict}{}",
            slot.slot,
            status(slot),
            if kcv.is_empty() { "-" } else { &kcv },
            slot.service_kcv,
            slot.service_kcv_algorithm,
            slot.ksn.as_ref().map_or(String::new(), |k| format!(" | KSN {k}"))
        );
    }
    if report.cancelled {
        println!("cancelled: the remaining slots were not loaded");
    }
    match &report.report {
        Ok(_) => println!("reported to the key service"),
        Err(e) => println!("NOT reported to the key service: {e}"),
    }
}

/// `provision --json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportJson {
    pos_id: String,
    request_id: String,
    cancelled: bool,
    slots: Vec<SlotJson>,
    /// `null` when the service received the report, else why not.
    report_error: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SlotJson {
    slot: u8,
    key_arn: String,
    ksn: Option<String>,
    loaded: bool,
    verified: bool,
    reader_kcv: Option<String>,
    service_kcv: String,
    error: Option<String>,
    dspread_error: Option<&'static str>,
    verdict: Option<&'static str>,
}

impl From<&ProvisionReport> for ReportJson {
    fn from(report: &ProvisionReport) -> Self {
        Self {
            pos_id: report.pos_id.clone(),
            request_id: report.request_id.clone(),
            cancelled: report.cancelled,
            slots: report
                .slots
                .iter()
                .map(|slot| SlotJson {
                    slot: slot.slot,
                    key_arn: slot.key_arn.clone(),
                    ksn: slot.ksn.clone(),
                    loaded: slot.result.is_ok(),
                    verified: slot.result.as_ref().is_ok_and(|o| o.is_verified()),
                    reader_kcv: slot.result.as_ref().ok().map(|o| hex::encode_upper(&o.reader_kcv)),
                    service_kcv: slot.service_kcv.clone(),
                    error: slot.result.as_ref().err().map(ToString::to_string),
                    dspread_error: slot.result.as_ref().err().map(LoadError::dspread_error_name),
                    verdict: slot.verdict.map(Verdict::as_str),
                })
                .collect(),
            report_error: report.report.as_ref().err().map(ToString::to_string),
        }
    }
}
