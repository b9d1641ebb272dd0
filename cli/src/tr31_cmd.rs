//! `keybridge tr31 inspect|unwrap|wrap`.

use clap::{Args, Subcommand};
use keybridge::SecretBytes;
use keybridge::tr31::{self, Header, KeyBlock, OptionalValue, Profile, Strictness, Tr31Warning, WrapOptions};
use serde::Serialize;

use crate::output::{CliResult, block_arg, print_json, print_warnings, with_remedy};

#[derive(Subcommand)]
pub enum Tr31Command {
    /// Decode the header and optional blocks of a key block (no key needed). Any block that can
    /// be parsed is shown: what the chosen profile would refuse on unwrap (weak wrapping, a
    /// relaxation it does not apply) is a warning here.
    Inspect {
        /// The key block, or `-` to read it from standard input.
        block: String,
        #[command(flatten)]
        strictness: StrictnessArgs,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Authenticate a key block under a KBPK and print the clear key and its KCV.
    Unwrap {
        /// Key block protection key, hex.
        #[arg(long)]
        kbpk: String,
        /// The key block, or `-` to read it from standard input.
        block: String,
        #[command(flatten)]
        profile: ProfileArgs,
        #[arg(long)]
        json: bool,
    },
    /// Wrap a key under a KBPK.
    Wrap {
        #[arg(long)]
        kbpk: String,
        /// The 16-character header followed by any optional blocks; the length field and PB are
        /// filled in (write the length as 0000).
        #[arg(long)]
        header: String,
        /// The clear key, hex.
        #[arg(long)]
        key: String,
        /// Accept version A and AES keys under TDES KBPKs.
        #[arg(long)]
        allow_weak: bool,
        #[arg(long)]
        json: bool,
    },
}

/// Which profile reads the block. Without either flag: X9.143, and key lengths that are not
/// obfuscated, as HSMs write them (with a warning).
#[derive(Args)]
pub struct StrictnessArgs {
    /// ANSI X9.143 as written: also refuse a key length that is not obfuscated.
    #[arg(long, conflicts_with = "lenient")]
    strict: bool,
    /// Also accept what ISO 20038 and older systems emit outside X9.143: lower-case hex, text in
    /// hex optional blocks, usage and mode pairs outside the X9.143 table, HMAC keys without HM.
    /// Every relaxation applied is a warning naming it and its position.
    #[arg(long)]
    lenient: bool,
}

impl StrictnessArgs {
    fn strictness(&self) -> Strictness {
        match (self.strict, self.lenient) {
            (true, _) => Strictness::Strict,
            (_, true) => Strictness::Lenient,
            _ => Strictness::Default,
        }
    }
}

#[derive(Args)]
pub struct ProfileArgs {
    #[command(flatten)]
    strictness: StrictnessArgs,
    /// Accept version A and AES keys under TDES KBPKs.
    #[arg(long)]
    allow_weak: bool,
}

impl ProfileArgs {
    fn profile(&self) -> Profile {
        Profile::preset(self.strictness.strictness(), self.allow_weak)
    }
}

/// The header as printed by `inspect --json` and `unwrap --json`.
#[derive(Serialize)]
struct HeaderJson<'a> {
    version: tr31::Version,
    key_usage: tr31::KeyUsage,
    algorithm: tr31::Algorithm,
    mode_of_use: tr31::ModeOfUse,
    key_version: tr31::KeyVersion,
    exportability: tr31::Exportability,
    key_context: tr31::KeyContext,
    optional_blocks: Vec<BlockJson<'a>>,
}

#[derive(Serialize)]
struct BlockJson<'a> {
    id: &'a str,
    data: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<OptionalValue>,
}

impl<'a> HeaderJson<'a> {
    fn new(header: &'a Header, profile: &Profile, with_values: bool) -> Self {
        let optional_blocks = header
            .optional_blocks
            .iter()
            .map(|b| BlockJson {
                id: &b.id,
                data: &b.data,
                value: with_values.then(|| b.decode(profile, 0).ok()).flatten(),
            })
            .collect();
        Self {
            version: header.version,
            key_usage: header.key_usage,
            algorithm: header.algorithm,
            mode_of_use: header.mode_of_use,
            key_version: header.key_version,
            exportability: header.exportability,
            key_context: header.key_context,
            optional_blocks,
        }
    }
}

pub fn run(command: Tr31Command) -> CliResult {
    match command {
        Tr31Command::Inspect {
            block,
            strictness,
            json,
        } => inspect(&block, strictness.strictness(), json),
        Tr31Command::Unwrap {
            kbpk,
            block,
            profile,
            json,
        } => unwrap(&kbpk, &block, &profile.profile(), json),
        Tr31Command::Wrap {
            kbpk,
            header,
            key,
            allow_weak,
            json,
        } => wrap(&kbpk, &header, &key, allow_weak, json),
    }
}

/// A key block error in the CLI's words.
fn refused(error: tr31::Tr31Error) -> String {
    let remedy = error.remedy();
    with_remedy(error, remedy)
}

/// The warnings to print for a block: weak wrapping, then every relaxation applied.
fn warning_lines(header: &Header, warnings: &[Tr31Warning]) -> Vec<String> {
    tr31::reported_warnings(header, warnings)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn inspect(text: &str, strictness: Strictness, json: bool) -> CliResult {
    let text = block_arg(text)?;
    // Read with every relaxation and weak wrapping, so any block that parses is shown; each
    // relaxation applied is a warning, and so is a refusal of the profile unwrap would use.
    let shown = Profile::LENIENT.with_weak_wrapping();
    let block = KeyBlock::parse(&text, &shown).map_err(refused)?;
    let header = block.header();
    let mut warnings = warning_lines(header, block.warnings());
    if let Err(e) = KeyBlock::parse(&text, &Profile::preset(strictness, false)) {
        warnings.push(format!("unwrap would refuse it: {}", refused(e)));
    }
    if json {
        #[derive(Serialize)]
        struct Inspect<'a> {
            length: usize,
            #[serde(flatten)]
            header: HeaderJson<'a>,
            warnings: Vec<String>,
        }
        return print_json(&Inspect {
            length: block.len(),
            header: HeaderJson::new(header, &shown, true),
            warnings,
        });
    }
    print_warnings(&warnings);
    println!("version        {}  {}", header.version, header.version.meaning());
    println!("length         {}", block.len());
    println!("key usage      {}  {}", header.key_usage, header.key_usage.meaning());
    println!("algorithm      {}  {}", header.algorithm, header.algorithm.meaning());
    println!(
        "mode of use    {}  {}",
        header.mode_of_use,
        header.mode_of_use.meaning()
    );
    println!("key version    {}", header.key_version);
    println!(
        "exportability  {}  {}",
        header.exportability,
        header.exportability.meaning()
    );
    println!(
        "key context    {}  {}",
        header.key_context,
        header.key_context.meaning()
    );
    for b in &header.optional_blocks {
        let meaning = b.known_id().map_or("proprietary or unknown", |id| id.meaning());
        println!("optional block {}  {}  ({meaning})", b.id, b.data);
    }
    Ok(())
}

fn unwrap(kbpk: &str, text: &str, profile: &Profile, json: bool) -> CliResult {
    let kbpk = SecretBytes::from_hex(kbpk).map_err(|e| format!("--kbpk: {e}"))?;
    let unwrapped = tr31::unwrap(kbpk.as_bytes(), &block_arg(text)?, profile).map_err(refused)?;
    let kcv = unwrapped.kcv().map(hex::encode_upper);
    let warnings = warning_lines(&unwrapped.header, &unwrapped.warnings);
    if json {
        #[derive(Serialize)]
        struct UnwrapJson<'a> {
            #[serde(flatten)]
            header: HeaderJson<'a>,
            key: String,
            kcv: Option<String>,
            warnings: Vec<String>,
        }
        let header = HeaderJson::new(&unwrapped.header, profile, false);
        return print_json(&UnwrapJson {
            header,
            key: unwrapped.key.expose_hex(),
            kcv,
            warnings,
        });
    }
    print_warnings(&warnings);
    println!("key  {}", unwrapped.key.expose_hex());
    println!("kcv  {}", kcv.as_deref().unwrap_or("-"));
    Ok(())
}

fn wrap(kbpk: &str, header: &str, key: &str, allow_weak: bool, json: bool) -> CliResult {
    let kbpk = SecretBytes::from_hex(kbpk).map_err(|e| format!("--kbpk: {e}"))?;
    let key = SecretBytes::from_hex(key).map_err(|e| format!("--key: {e}"))?;
    let header = Header::from_template(header.trim()).map_err(|e| format!("--header: {e}"))?;
    let options = WrapOptions {
        allow_weak_wrapping: allow_weak,
        ..WrapOptions::default()
    };
    // wrap builds X9.143 blocks only: --allow-weak is the one opt-in it has.
    let block = tr31::wrap(kbpk.as_bytes(), &header, key.as_bytes(), &options).map_err(|e| {
        let remedy = e.remedy().filter(|r| *r == tr31::Remedy::AllowWeakWrapping);
        with_remedy(e, remedy)
    })?;
    if json {
        #[derive(Serialize)]
        struct WrapJson {
            key_block: String,
        }
        return print_json(&WrapJson { key_block: block });
    }
    println!("{block}");
    Ok(())
}
