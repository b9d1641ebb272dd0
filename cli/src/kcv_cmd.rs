//! `keybridge kcv`: the check value of a clear key.

use clap::{Args, ValueEnum};
use keybridge::SecretBytes;
use keybridge::crypto::CipherFamily;
use keybridge::kcv::{self, KcvMethod};

use crate::output::CliResult;

#[derive(Args)]
pub struct KcvArgs {
    /// The clear key, hex.
    #[arg(long)]
    key: String,
    /// legacy: encrypt zeros, 3 bytes; cmac: CMAC of zeros, 5 bytes.
    #[arg(long, value_enum, default_value = "legacy")]
    method: Method,
    /// The key's algorithm. Default: AES for cmac and 32-byte keys, TDES for 16/24-byte legacy
    /// keys, DES for 8-byte keys (16 bytes could be either; say --algorithm aes for AES-128).
    #[arg(long, value_enum)]
    algorithm: Option<KeyAlgorithm>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Method {
    Legacy,
    Cmac,
}

#[derive(Clone, Copy, ValueEnum)]
enum KeyAlgorithm {
    Des,
    Tdes,
    Aes,
}

pub fn run(args: KcvArgs) -> CliResult {
    let key = SecretBytes::from_hex(&args.key).map_err(|e| format!("--key: {e}"))?;
    let method = match args.method {
        Method::Legacy => KcvMethod::Legacy,
        Method::Cmac => KcvMethod::Cmac,
    };
    let family = match (args.algorithm, method, key.len()) {
        (Some(KeyAlgorithm::Des), ..) => CipherFamily::Des,
        (Some(KeyAlgorithm::Tdes), ..) => CipherFamily::Tdes,
        (Some(KeyAlgorithm::Aes), ..) | (None, KcvMethod::Cmac, _) | (None, _, 32) => CipherFamily::Aes,
        (None, _, 8) => CipherFamily::Des,
        (None, ..) => CipherFamily::Tdes,
    };
    let value = kcv::kcv(key.as_bytes(), family, method)
        .map_err(|e| format!("--key: {} bytes is not a {:?} key length", e.length, e.family))?;
    println!("{}", hex::encode_upper(value));
    Ok(())
}
