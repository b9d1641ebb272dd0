//! `keybridge kek establish`: give a reader its own KEK from AWS Payment Cryptography by TR-34.
//! `keybridge kek credentials`: what any other KDH (`keybridge tr34 build`, a lab's own host)
//! needs from the reader for a token: its device certificate and a fresh nonce.
//!
//! Reads the reader's device certificate and a fresh nonce, imports the device CA into AWS (or
//! takes its ARN), creates a TDES KEK (or takes `--kek-arn`), gets AWS's export parameters (the
//! KDH's certificate), exports the KEK as a TR-34 token for that reader, loads it and succeeds only
//! when the reader's KCV of the KEK is the one AWS reports.

use clap::{Args, Subcommand};
use keybridge::export::{AwsKeyExporter, ExportError, KcvAlgorithm, ModesOfUse};
use keybridge::loader::{KekLoadError, KekLoadRequest, LoaderConfig};
use keybridge::tr34::Certificate;
use serde::Serialize;

use crate::aws_cmd::{ConnectionArgs, runtime};
use crate::device_cmd::{Target, describe};
use crate::output::{CliResult, print_json};

#[derive(Subcommand)]
pub enum KekCommand {
    /// Create (or take) a KEK in AWS and load it into the reader by TR-34, confirmed by its KCV.
    Establish(EstablishArgs),
    /// Print the reader's device certificate (PEM) and a fresh nonce: what a KDH needs to build
    /// the reader's next TR-34 token (the nonce is good for the next envelope only).
    Credentials {
        #[command(flatten)]
        target: Target,
        /// One line of JSON (`certificate`, `nonce`) instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct EstablishArgs {
    /// The KEK to send (a TDES K0 key): ARN or alias/NAME. Default: create a new TDES_3KEY KEK.
    #[arg(long)]
    kek_arn: Option<String>,
    /// PEM file of the CA that issued the reader's device certificate; imported into AWS.
    #[arg(long, required_unless_present = "device_ca_arn", conflicts_with = "device_ca_arn")]
    device_ca: Option<std::path::PathBuf>,
    /// The device CA as already imported into AWS (ARN or alias/NAME).
    #[arg(long)]
    device_ca_arn: Option<String>,
    /// Do not send AWS's signing (KDH) certificate to the reader first: for readers that already
    /// hold it (the store command is keybridge's choice, unconfirmed on real readers).
    #[arg(long)]
    skip_kdh_certificate: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
    #[command(flatten)]
    target: Target,
    /// One line of JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// What `kek establish` prints.
#[derive(Serialize)]
struct Established {
    kek_arn: String,
    /// The KEK's KCV (ANSI X9.24 legacy), as AWS and the reader report it.
    kcv: String,
    header: String,
    /// The key index whose MKSK_TMK check value shows the KEK.
    slot: u8,
    device_ca_arn: String,
    reader_certificate: String,
}

pub fn run(command: KekCommand) -> CliResult {
    match command {
        KekCommand::Establish(args) => establish(args),
        KekCommand::Credentials { target, json } => credentials(&target, json),
    }
}

fn credentials(target: &Target, json: bool) -> CliResult {
    let mut loader = target.open(LoaderConfig::default()).map_err(describe)?;
    let reader = loader.krd_credentials().map_err(describe_kek)?;
    loader.close();
    let nonce = hex::encode_upper(&reader.nonce);
    if json {
        #[derive(Serialize)]
        struct Credentials<'a> {
            certificate: &'a str,
            nonce: &'a str,
        }
        return print_json(&Credentials {
            certificate: reader.certificate.pem(),
            nonce: &nonce,
        });
    }
    println!("nonce          {nonce}");
    println!("reader         {}", reader.certificate.subject());
    print!("{}", reader.certificate.pem());
    Ok(())
}

fn establish(args: EstablishArgs) -> CliResult {
    let device_ca = match &args.device_ca {
        Some(path) => {
            let pem = std::fs::read_to_string(path).map_err(|e| format!("--device-ca {}: {e}", path.display()))?;
            Some(Certificate::from_pem("device CA", &pem).map_err(|e| format!("--device-ca {}: {e}", path.display()))?)
        }
        None => None,
    };
    let config = args.connection.config()?;
    let mut loader = args.target.open(LoaderConfig::default()).map_err(describe)?;
    let reader = loader.krd_credentials().map_err(describe_kek)?;
    let (kek_arn, ca_arn, parameters, exported) = runtime()?.block_on(async {
        let aws = AwsKeyExporter::connect(config).await?;
        let ca_arn = match (&args.device_ca_arn, &device_ca) {
            (Some(arn), _) => arn.clone(),
            (None, Some(ca)) => aws.import_root_certificate(ca).await?,
            (None, None) => unreachable!("clap requires --device-ca or --device-ca-arn"),
        };
        let kek_arn = match &args.kek_arn {
            Some(arn) => arn.clone(),
            None => create_kek(&aws).await?,
        };
        let parameters = aws.tr34_export_parameters().await?;
        let exported = aws
            .export_tr34(&kek_arn, &ca_arn, &reader.certificate, &parameters, &reader.nonce)
            .await?;
        Ok::<_, ExportError>((kek_arn, ca_arn, parameters, exported))
    })?;
    if exported.kcv_algorithm != KcvAlgorithm::AnsiX924 {
        return Err(format!(
            "AWS reports the KEK's KCV as {}, which a reader's legacy KCV cannot be compared with",
            exported.kcv_algorithm
        )
        .into());
    }
    let request = KekLoadRequest {
        expected_kcv: hex::decode(&exported.kcv).map_err(|e| format!("AWS's KCV {}: {e}", exported.kcv))?,
        kdh_certificate: (!args.skip_kdh_certificate).then(|| parameters.signing_certificate.clone()),
    };
    let outcome = loader.load_kek_tr34(&exported.token, &request).map_err(describe_kek)?;
    loader.close();
    let established = Established {
        kek_arn,
        kcv: hex::encode_upper(&outcome.reader_kcv),
        header: outcome.header,
        slot: outcome.slot,
        device_ca_arn: ca_arn,
        reader_certificate: reader.certificate.subject(),
    };
    if args.json {
        return print_json(&established);
    }
    println!("reader         {}", established.reader_certificate);
    println!("device CA      {}", established.device_ca_arn);
    println!("KEK            {}", established.kek_arn);
    println!("header         {}", established.header);
    println!(
        "KCV            {} (reader, MKSK_TMK of key index {}) = AWS",
        established.kcv, established.slot
    );
    Ok(())
}

/// A new exportable TDES_3KEY key-encryption key.
async fn create_kek(aws: &AwsKeyExporter) -> Result<String, ExportError> {
    use aws_sdk_paymentcryptography::types as t;
    let modes =
        ModesOfUse::parse_list("encrypt,decrypt,wrap,unwrap").map_err(|reason| ExportError::InvalidRequest {
            field: "modes of use",
            reason,
        })?;
    let attributes = t::KeyAttributes::builder()
        .key_usage(t::KeyUsage::Tr31K0KeyEncryptionKey)
        .key_class(t::KeyClass::SymmetricKey)
        .key_algorithm(t::KeyAlgorithm::Tdes3Key)
        .key_modes_of_use(t::KeyModesOfUse::from(modes))
        .build()
        .map_err(|e| ExportError::InvalidRequest {
            field: "KEK attributes",
            reason: e.to_string(),
        })?;
    let out = aws
        .client()
        .create_key()
        .key_attributes(attributes)
        .exportable(true)
        .enabled(true)
        .send()
        .await
        .map_err(|e| ExportError::from_sdk("CreateKey", e))?;
    out.key()
        .map(|key| key.key_arn().to_owned())
        .ok_or(ExportError::IncompleteResponse {
            operation: "CreateKey",
            field: "Key",
        })
}

/// A KEK load error for the one-line report: a refusal names the vendor's result, a load error
/// the vendor's error name.
fn describe_kek(error: KekLoadError) -> String {
    match error {
        KekLoadError::Load(load) => describe(load),
        other => other.to_string(),
    }
}
