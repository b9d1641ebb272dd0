//! `keybridge tr34 inspect|unwrap|build`: TR-34 key tokens (the KEK a reader receives from AWS).

use clap::{Args, Subcommand, ValueEnum};
use keybridge::SecretBytes;
use keybridge::crypto::CipherFamily;
use keybridge::kcv::{self, KcvMethod};
use keybridge::tr34::{
    self, Certificate, ContentCipher, Expected, Kdh, Krd, Payload, PrivateKey, SdkEnvelope, Shape, Summary, Tr34Token,
    decode_hex_token,
};
use serde::Serialize;

use crate::output::{CliResult, print_json, print_warnings};

#[derive(Subcommand)]
pub enum Tr34Command {
    /// Show a token's structure: versions, issuers and serials, nonce, header, algorithms (no keys).
    Inspect {
        /// The token: hex, a file (hex or DER), or `-` for standard input.
        token: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Verify a token as the reader (KRD) and print the key it carries, its header and KCV.
    Unwrap {
        /// The token: hex, a file (hex or DER), or `-` for standard input.
        token: String,
        /// The KRD's RSA private key (PEM, PKCS#8 or PKCS#1).
        #[arg(long, value_name = "FILE")]
        krd_key: String,
        /// The KDH's certificate (PEM): AWS's signing certificate from GetParametersForExport.
        #[arg(long, value_name = "FILE")]
        kdh_cert: String,
        /// The KDH CA to check the KDH certificate against (PEM). Without it the chain is not checked.
        #[arg(long, value_name = "FILE")]
        kdh_ca: Option<String>,
        /// The KRD's certificate (PEM): the token must be addressed to it.
        #[arg(long, value_name = "FILE")]
        krd_cert: Option<String>,
        /// The nonce the KRD issued, hex.
        #[arg(long, value_name = "HEX")]
        nonce: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Build a token as the KDH: a key for one reader, wrapped under its certificate and signed.
    /// For test labs and stations that are their own KDH (test KEKs for development readers,
    /// checking a reader's TR-34 side); production KEKs come from AWS's ExportKey.
    Build(BuildArgs),
}

#[derive(Args)]
pub struct BuildArgs {
    /// The KDH's RSA private key (PEM, PKCS#8 or PKCS#1).
    #[arg(long, value_name = "FILE")]
    kdh_key: String,
    /// The KDH's certificate (PEM), the one the reader trusts through its KDH CA.
    #[arg(long, value_name = "FILE")]
    kdh_cert: String,
    /// The reader's (KRD's) certificate (PEM): the token is addressed and encrypted to it.
    #[arg(long, value_name = "FILE")]
    krd_cert: String,
    /// The clear key, hex.
    #[arg(long)]
    key: String,
    /// Its 16-character key block header, e.g. D0000K0TB00E0000 (algorithm T or A).
    #[arg(long)]
    header: String,
    /// The nonce the reader issued, hex.
    #[arg(long, value_name = "HEX")]
    nonce: String,
    /// The cipher of the enveloped key block.
    #[arg(long, value_enum, default_value = "tdes")]
    cipher: CipherArg,
    /// The layout: AWS's (version 1, NULL in the OAEP hash) or the vendor demo's (version 0x49).
    #[arg(long, value_enum, default_value = "aws")]
    shape: ShapeArg,
    /// Print one JSON object: the token (hex), the header and the key's KCV.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CipherArg {
    Tdes,
    Aes128,
    Aes192,
    Aes256,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ShapeArg {
    Aws,
    Dspread,
}

pub fn run(command: Tr34Command) -> CliResult {
    match command {
        Tr34Command::Inspect { token, json } => inspect(&token, json),
        Tr34Command::Unwrap {
            token,
            krd_key,
            kdh_cert,
            kdh_ca,
            krd_cert,
            nonce,
            json,
        } => unwrap(
            &token,
            &Files {
                krd_key,
                kdh_cert,
                kdh_ca,
                krd_cert,
            },
            nonce.as_deref(),
            json,
        ),
        Tr34Command::Build(args) => build(&args),
    }
}

/// The token's bytes from the argument: `-` (stdin), a file (DER or hex) or hex itself.
fn token_arg(arg: &str) -> Result<Tr34Token, Box<dyn std::error::Error>> {
    let bytes = if arg == "-" {
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut raw)
            .map_err(|e| format!("reading the token from standard input: {e}"))?;
        raw
    } else if std::path::Path::new(arg).is_file() {
        std::fs::read(arg).map_err(|e| format!("{arg}: {e}"))?
    } else {
        arg.as_bytes().to_vec()
    };
    let der = if bytes.first() == Some(&0x30) {
        bytes
    } else {
        decode_hex_token(&String::from_utf8_lossy(&bytes))?
    };
    Ok(Tr34Token::parse(&der)?)
}

fn inspect(arg: &str, json: bool) -> CliResult {
    let summary = token_arg(arg)?.summary();
    if json {
        return print_json(&summary);
    }
    print_summary(&summary);
    Ok(())
}

fn print_summary(s: &Summary) {
    let shape = match s.shape {
        Some("aws") => "AWS (version 1, 8-byte nonce, NULL in the OAEP hash)",
        Some(_) => "Dspread demo (version 0x49, no NULL in the OAEP hash)",
        None => "neither known layout",
    };
    println!("shape              {shape}");
    println!(
        "signed data        version {:#04X}, digests {}",
        s.signed_data_version,
        s.digest_algorithms.join(", ")
    );
    println!("certificates       {}", s.certificates);
    println!("signer (KDH)       {}", s.signer.kdh.issuer);
    println!("  serial           {}", s.signer.kdh.serial);
    println!("  version          {:#04X}", s.signer.version);
    println!(
        "  algorithms       {} / {}, {}-bit signature",
        s.signer.digest_algorithm, s.signer.signature_algorithm, s.signer.signature_bits
    );
    println!("  attributes       {}", s.signer.attributes.join(", "));
    println!("nonce              {}", s.signer.nonce);
    println!("header             {}", s.signer.header);
    println!("recipient (KRD)    {}", s.recipient.krd.issuer);
    println!("  serial           {}", s.recipient.krd.serial);
    println!("  version          {}", s.recipient.version);
    println!(
        "  key encryption   {} (hash {}{}, MGF1 {}, {}), {}-bit encrypted key",
        s.recipient.key_encryption,
        s.recipient.oaep.hash,
        if s.recipient.oaep.hash_null { " with NULL" } else { "" },
        s.recipient.oaep.mgf_hash,
        if s.recipient.oaep.tagged {
            "RFC 8017 tags"
        } else {
            "untagged"
        },
        s.recipient.encrypted_key_bits,
    );
    println!(
        "content            {}, {:?}, IV {}, {} encrypted bytes",
        s.content.content_type, s.content.cipher, s.content.iv, s.content.encrypted_bytes
    );
}

struct Files {
    krd_key: String,
    kdh_cert: String,
    kdh_ca: Option<String>,
    krd_cert: Option<String>,
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
}

fn certificate(role: &'static str, path: &str) -> Result<Certificate, Box<dyn std::error::Error>> {
    Ok(Certificate::from_pem(role, &read(path)?).map_err(|e| format!("{path}: {e}"))?)
}

fn unwrap(arg: &str, files: &Files, nonce: Option<&str>, json: bool) -> CliResult {
    let token = token_arg(arg)?;
    let krd_key = PrivateKey::from_pem("KRD private key", &read(&files.krd_key)?)
        .map_err(|e| format!("{}: {e}", files.krd_key))?;
    let kdh_cert = certificate("KDH certificate", &files.kdh_cert)?;
    let kdh_ca = files.kdh_ca.as_deref().map(|p| certificate("KDH CA", p)).transpose()?;
    let krd_cert = files
        .krd_cert
        .as_deref()
        .map(|p| certificate("KRD certificate", p))
        .transpose()?;
    let nonce = nonce
        .map(|n| hex::decode(n.trim()).map_err(|e| format!("--nonce: {e}")))
        .transpose()?;
    let received = token.open(
        Krd {
            key: &krd_key,
            certificate: krd_cert.as_ref(),
        },
        Expected {
            kdh_certificate: &kdh_cert,
            kdh_ca: kdh_ca.as_ref(),
            nonce: nonce.as_deref(),
        },
    )?;
    let warnings: Vec<String> = received
        .unchecked
        .iter()
        .map(|check| format!("not checked: {check} (no {})", given_by(*check)))
        .collect();
    if json {
        #[derive(Serialize)]
        struct UnwrapJson<'a> {
            header: &'a str,
            key: String,
            kcv: String,
            unchecked: &'a [keybridge::tr34::Check],
        }
        return print_json(&UnwrapJson {
            header: &received.header,
            key: received.key.expose_hex(),
            kcv: hex::encode_upper(&received.kcv),
            unchecked: &received.unchecked,
        });
    }
    print_warnings(&warnings);
    println!("header  {}", received.header);
    println!("key     {}", received.key.expose_hex());
    println!("kcv     {}", hex::encode_upper(&received.kcv));
    Ok(())
}

/// The option that would have let a check run.
fn given_by(check: keybridge::tr34::Check) -> &'static str {
    use keybridge::tr34::Check;
    match check {
        Check::KdhChain => "--kdh-ca",
        Check::Nonce => "--nonce",
        Check::Recipient => "--krd-cert",
        _ => "input",
    }
}

/// The KDH side; prints the token in hex (what `inspect` and `unwrap` read), and with `--json`
/// its key's KCV and the vendor SDK's envelope of the token (what `loadSessionKeyByTR_34` takes;
/// null for AES content, which the envelope does not carry).
fn build(args: &BuildArgs) -> CliResult {
    let kdh_key =
        PrivateKey::from_pem("KDH private key", &read(&args.kdh_key)?).map_err(|e| format!("{}: {e}", args.kdh_key))?;
    let kdh_cert = certificate("KDH certificate", &args.kdh_cert)?;
    let krd_cert = certificate("KRD certificate", &args.krd_cert)?;
    let key = SecretBytes::from_hex(&args.key).map_err(|e| format!("--key: {e}"))?;
    let nonce = hex::decode(args.nonce.trim()).map_err(|e| format!("--nonce: {e}"))?;
    let header = args.header.trim();
    let (family, method) = match header.as_bytes().get(7) {
        Some(b'T') => (CipherFamily::Tdes, KcvMethod::Legacy),
        Some(b'A') => (CipherFamily::Aes, KcvMethod::Cmac),
        _ => return Err("--header: the algorithm (8th character) must be T (TDES) or A (AES)".into()),
    };
    let kcv = kcv::kcv(key.as_bytes(), family, method).map_err(|e| {
        format!(
            "--key: {} bytes do not fit the header's algorithm {:?}",
            e.length, e.family
        )
    })?;
    let token = tr34::build(
        Kdh {
            key: &kdh_key,
            certificate: &kdh_cert,
        },
        &krd_cert,
        Payload {
            key: key.as_bytes(),
            header,
            nonce: &nonce,
            cipher: match args.cipher {
                CipherArg::Tdes => ContentCipher::TdesCbc,
                CipherArg::Aes128 => ContentCipher::Aes128Cbc,
                CipherArg::Aes192 => ContentCipher::Aes192Cbc,
                CipherArg::Aes256 => ContentCipher::Aes256Cbc,
            },
            shape: match args.shape {
                ShapeArg::Aws => Shape::Aws,
                ShapeArg::Dspread => Shape::Dspread,
            },
        },
    )?;
    // The SDK envelope carries TDES content only: none for a token with AES content.
    let envelope = SdkEnvelope::from_token(&Tr34Token::parse(&token)?)
        .and_then(|e| e.encode())
        .ok()
        .map(hex::encode_upper);
    let token = hex::encode_upper(token);
    if args.json {
        #[derive(Serialize)]
        struct BuildJson<'a> {
            token: &'a str,
            header: &'a str,
            kcv: String,
            /// `null` when the envelope cannot carry the token (AES content).
            envelope: Option<String>,
        }
        return print_json(&BuildJson {
            token: &token,
            header,
            kcv: hex::encode_upper(&kcv),
            envelope,
        });
    }
    println!("{token}");
    Ok(())
}
