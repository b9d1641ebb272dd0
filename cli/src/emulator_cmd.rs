//! `keybridge aws-emulator`: the AWS Payment Cryptography emulator as a program, for the AWS CLI,
//! boto3 or another process's SDK client. The first stdout line gives the endpoint URL.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use keybridge_testkit::emulator::{
    Credentials, DEFAULT_ACCESS_KEY_ID, DEFAULT_REGION, DEFAULT_SECRET_ACCESS_KEY, Emulator, EmulatorConfig, Faults,
    PreloadedKey,
};

use crate::output::CliResult;

#[derive(Args)]
pub struct EmulatorArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Access key id clients must sign with.
    #[arg(long, default_value = DEFAULT_ACCESS_KEY_ID)]
    access_key_id: String,
    /// Secret key clients must sign with (default: the AWS documentation's example secret).
    #[arg(long, default_value = DEFAULT_SECRET_ACCESS_KEY)]
    secret_access_key: String,
    /// Region written into ARNs.
    #[arg(long, default_value = DEFAULT_REGION)]
    region: String,
    /// Preload a key: alias/NAME=USAGE:ALGORITHM:HEX, e.g. alias/kek=K0:AES_256:<64 hex>
    /// (stands in for the KEK component ceremony). Repeatable. Parsed here, not by the argument
    /// parser, whose errors would echo the whole value, key included.
    #[arg(long = "key", value_name = "SPEC")]
    keys: Vec<String>,
    /// File with one --key spec per line (# starts a comment); keeps key material out of argv.
    #[arg(long)]
    keys_file: Option<std::path::PathBuf>,
    /// Answer the first N calls with ThrottlingException.
    #[arg(long, default_value_t = 0)]
    throttle_first: u32,
    /// Answer the first N calls with InternalServerException.
    #[arg(long, default_value_t = 0)]
    fail_first: u32,
    /// Answer the first N calls with ServiceUnavailableException.
    #[arg(long, default_value_t = 0)]
    unavailable_first: u32,
    /// Delay every reply by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Answer this operation with AccessDeniedException (repeatable).
    #[arg(long)]
    deny: Vec<String>,
    /// Refuse new keys with ServiceQuotaExceededException beyond this many.
    #[arg(long)]
    max_keys: Option<usize>,
    /// Throttle calls above this many per second, over all clients (an account's quota).
    #[arg(long)]
    account_calls_per_second: Option<u32>,
}

pub fn run(args: EmulatorArgs) -> CliResult {
    let mut keys = args
        .keys
        .iter()
        .enumerate()
        .map(|(n, spec)| {
            spec.parse::<PreloadedKey>()
                .map_err(|e| format!("--key #{}: {e}", n + 1))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(path) = &args.keys_file {
        let text = std::fs::read_to_string(path).map_err(|e| format!("--keys-file {}: {e}", path.display()))?;
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = line
                .parse::<PreloadedKey>()
                .map_err(|e| format!("--keys-file {} line {}: {e}", path.display(), number + 1))?;
            keys.push(key);
        }
    }
    let aliases: Vec<String> = keys.iter().map(|k| k.alias.clone()).collect();
    let emulator = Emulator::start(EmulatorConfig {
        port: args.port,
        credentials: Credentials {
            access_key_id: args.access_key_id,
            secret_access_key: args.secret_access_key,
        },
        region: args.region,
        keys,
        faults: Faults {
            throttle_first: args.throttle_first,
            fail_first: args.fail_first,
            unavailable_first: args.unavailable_first,
            delay: Duration::from_millis(args.delay_ms),
            deny: args.deny,
            max_keys: args.max_keys,
            account_calls_per_second: args.account_calls_per_second,
        },
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "aws-emulator listening on {}", emulator.endpoint_url())?;
    for alias in aliases {
        writeln!(
            out,
            "preloaded {alias} -> {}",
            emulator.alias_arn(&alias).unwrap_or_default()
        )?;
    }
    out.flush()?;
    drop(out);
    emulator.wait();
    Ok(())
}
