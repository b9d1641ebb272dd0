//! `keybridge aws export`: export a key from AWS Payment Cryptography as a validated TR-31 block.
//!
//! Credentials come from the default chain (environment, profile, web identity, ECS, IMDS).

use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use keybridge::export::{AwsConfig, AwsKeyExporter, ExportHeaders, ExportedKeyBlock, ModesOfUse};
use keybridge::tr31::Exportability;

use crate::output::{CliResult, print_json};

#[derive(Subcommand)]
pub enum AwsCommand {
    /// Export a key (or a DUKPT IPEK) as a TR-31 key block under a KEK, validated against GetKey.
    Export(ExportArgs),
}

/// Where AWS Payment Cryptography is and how patient to be with it.
#[derive(Args)]
pub struct ConnectionArgs {
    /// AWS region (default: from the environment / profile).
    #[arg(long)]
    pub region: Option<String>,
    /// Endpoint override, e.g. the emulator's http://127.0.0.1:PORT.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Attempts per AWS call, the first included.
    #[arg(long, default_value_t = AwsConfig::DEFAULT_MAX_ATTEMPTS)]
    pub max_attempts: u32,
    /// Limit for each AWS call including retries, in seconds.
    #[arg(long, default_value_t = AwsConfig::DEFAULT_OPERATION_TIMEOUT.as_secs())]
    pub operation_timeout_secs: u64,
    /// PEM file of root CAs to trust instead of the system's.
    #[arg(long)]
    pub ca_bundle: Option<std::path::PathBuf>,
}

impl ConnectionArgs {
    pub fn config(&self) -> Result<AwsConfig, String> {
        let operation_timeout = Duration::from_secs(self.operation_timeout_secs);
        let root_certificates_pem = match &self.ca_bundle {
            Some(path) => Some(std::fs::read(path).map_err(|e| format!("--ca-bundle {}: {e}", path.display()))?),
            None => None,
        };
        Ok(AwsConfig {
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            max_attempts: self.max_attempts,
            operation_timeout,
            attempt_timeout: AwsConfig::DEFAULT_ATTEMPT_TIMEOUT.min(operation_timeout),
            root_certificates_pem,
            ..AwsConfig::default()
        })
    }
}

#[derive(Args)]
pub struct ExportArgs {
    /// Key to export: ARN or alias/NAME (the BDK with --ipek-ksn).
    #[arg(long)]
    key: String,
    /// KEK to wrap under (TR31_K0/K1): ARN or alias/NAME.
    #[arg(long)]
    wrapping_key: String,
    /// Narrow the modes of use: comma-separated encrypt, decrypt, wrap, unwrap, generate, sign,
    /// verify, derive-key, no-restrictions.
    #[arg(long, value_parser = ModesOfUse::parse_list)]
    mode_of_use: Option<ModesOfUse>,
    /// Exportability written into the block.
    #[arg(long, value_enum)]
    exportability: Option<ExportabilityArg>,
    /// Key version, two characters.
    #[arg(long)]
    key_version: Option<String>,
    /// Optional block ID=DATA (repeatable).
    #[arg(long = "optional-block", value_parser = parse_optional_block)]
    optional_blocks: Vec<(String, String)>,
    /// Export the DUKPT initial key for this KSN instead (20 hex digits TDES, 24 AES).
    #[arg(long, conflicts_with_all = ["mode_of_use", "exportability", "key_version", "optional_blocks"])]
    ipek_ksn: Option<String>,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// One line of JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportabilityArg {
    Exportable,
    NonExportable,
    Sensitive,
}

fn parse_optional_block(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(id, data)| (id.to_owned(), data.to_owned()))
        .ok_or_else(|| format!("`{text}` is not ID=DATA"))
}

/// A runtime for one command: a single thread is plenty for a handful of calls.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}

pub fn run(command: AwsCommand) -> CliResult {
    match command {
        AwsCommand::Export(args) => export(args),
    }
}

fn export(args: ExportArgs) -> CliResult {
    let headers = ExportHeaders {
        modes_of_use: args.mode_of_use,
        exportability: args.exportability.map(|e| match e {
            ExportabilityArg::Exportable => Exportability::Trusted,
            ExportabilityArg::NonExportable => Exportability::NonExportable,
            ExportabilityArg::Sensitive => Exportability::Sensitive,
        }),
        key_version: args.key_version,
        optional_blocks: args.optional_blocks,
    };
    let config = args.connection.config()?;
    let exported = runtime()?.block_on(async {
        let aws = AwsKeyExporter::connect(config).await?;
        match &args.ipek_ksn {
            Some(ksn) => aws.export_dukpt_ipek(&args.key, &args.wrapping_key, ksn).await,
            None => aws.export_tr31(&args.key, &args.wrapping_key, &headers).await,
        }
    })?;
    if args.json {
        print_json(&exported)
    } else {
        print_text(&exported);
        Ok(())
    }
}

pub fn print_text(exported: &ExportedKeyBlock) {
    let h = &exported.header;
    println!("key block      {}", exported.key_block);
    println!("KCV            {} ({})", exported.kcv, exported.kcv_algorithm);
    println!("key            {}", exported.key_arn);
    println!("wrapped under  {}", exported.wrapping_key_arn);
    println!(
        "header         version {}, usage {} ({}), algorithm {}, mode {}, key version {}, exportability {}",
        h.version,
        h.key_usage,
        h.key_usage.meaning(),
        h.algorithm,
        h.mode_of_use,
        h.key_version,
        h.exportability
    );
}
