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
    /// The key's algorithm. Without it an 8-byte key is DES and a 32-byte key AES; a 16- or
    /// 24-byte key may be TDES or AES, so both KCVs are printed, one line each, labelled
    /// `tdes` and `aes`.
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

impl KeyAlgorithm {
    fn family(self) -> CipherFamily {
        match self {
            Self::Des => CipherFamily::Des,
            Self::Tdes => CipherFamily::Tdes,
            Self::Aes => CipherFamily::Aes,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Des => "des",
            Self::Tdes => "tdes",
            Self::Aes => "aes",
        }
    }
}

pub fn run(args: KcvArgs) -> CliResult {
    let key = SecretBytes::from_hex(&args.key).map_err(|e| format!("--key: {e}"))?;
    let method = match args.method {
        Method::Legacy => KcvMethod::Legacy,
        Method::Cmac => KcvMethod::Cmac,
    };
    // A 16- or 24-byte key used to be taken as TDES without a word: an AES-128 key got a
    // TDES KCV that matched nothing.
    let (algorithms, labelled) = match (args.algorithm, key.len()) {
        (Some(algorithm), _) => (vec![algorithm], false),
        (None, 8) => (vec![KeyAlgorithm::Des], false),
        (None, 16 | 24) => (vec![KeyAlgorithm::Tdes, KeyAlgorithm::Aes], true),
        (None, _) => (vec![KeyAlgorithm::Aes], false),
    };
    let mut lines = Vec::with_capacity(algorithms.len());
    for algorithm in algorithms {
        let value = kcv::kcv(key.as_bytes(), algorithm.family(), method)
            .map_err(|e| format!("--key: {} bytes is not a {:?} key length", e.length, e.family))?;
        let value = hex::encode_upper(value);
        lines.push(if labelled {
            format!("{} {value}", algorithm.label())
        } else {
            value
        });
    }
    println!("{}", lines.join("\n"));
    Ok(())
}
