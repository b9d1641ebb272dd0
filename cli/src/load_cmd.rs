//! `keybridge load --from-aws`: export a key from AWS Payment Cryptography under the reader's KEK,
//! validate it, load it into the reader and compare the reader's KCV with the one AWS reported.
//!
//! Readers report legacy KCVs. For TDES keys AWS reports the same (`ANSI_X9_24`) and the two are
//! compared; for AES keys AWS reports a CMAC KCV, which cannot be compared with the reader's
//! without the clear key, so the load only counts as verified with `--accept-unverified-kcv`.

use clap::Args;
use keybridge::export::{AwsKeyExporter, ExportHeaders, ExportedKeyBlock};
use keybridge::loader::{KcvCheck, KeyLoadOutcome, LoadRequest, LoaderConfig};

use crate::aws_cmd::{ConnectionArgs, print_text, runtime};
use crate::device_cmd::{Target, describe, print_outcome};
use crate::output::CliResult;

#[derive(Args)]
pub struct LoadArgs {
    /// Take the key block from AWS Payment Cryptography (the only source for now).
    #[arg(long, required = true)]
    from_aws: bool,
    /// Key to export: ARN or alias/NAME.
    #[arg(long)]
    key: String,
    /// The KEK shared with the reader, as AWS knows it: ARN or alias/NAME.
    #[arg(long)]
    wrapping_key: String,
    /// Reader key slot 0–9.
    #[arg(long)]
    slot: Option<u8>,
    /// Succeed even when the KCVs cannot be compared (AES keys: AWS reports CMAC, readers legacy).
    #[arg(long)]
    accept_unverified_kcv: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
    #[command(flatten)]
    target: Target,
}

/// How the reader's KCV relates to the one AWS reported.
pub enum Verdict {
    /// Both are legacy KCVs and they are equal.
    Verified,
    /// The reader loaded the key; the KCVs use different methods.
    NotComparable,
}

/// Loads `exported` with the KCV AWS reported as the expectation where the reader's KCV is
/// comparable; a mismatch is the loader's `KcvMismatch` error, never a success.
pub fn load_exported(
    loader: &mut keybridge::loader::KeyLoader,
    exported: &ExportedKeyBlock,
    slot: Option<u8>,
    expected_legacy_kcv: Option<Vec<u8>>,
) -> Result<(KeyLoadOutcome, Verdict), String> {
    let expected = exported.reader_comparable_kcv().or(expected_legacy_kcv);
    let request = LoadRequest {
        slot,
        expected_kcv: expected,
        ..LoadRequest::default()
    };
    let outcome = loader
        .send_tr31_key_with(&exported.key_block, &request)
        .map_err(describe)?;
    let verdict = match outcome.kcv_check {
        KcvCheck::MatchedExpected | KcvCheck::MatchedKeyBlock => Verdict::Verified,
        KcvCheck::Unverified => Verdict::NotComparable,
    };
    Ok((outcome, verdict))
}

pub fn run(args: LoadArgs) -> CliResult {
    let config = args.connection.config()?;
    let exported = runtime()?.block_on(async {
        let aws = AwsKeyExporter::connect(config).await?;
        aws.export_tr31(&args.key, &args.wrapping_key, &ExportHeaders::default())
            .await
    })?;
    print_text(&exported);
    let mut loader = args.target.open(LoaderConfig::default()).map_err(describe)?;
    let (outcome, verdict) = load_exported(&mut loader, &exported, args.slot, None)?;
    loader.close();
    print_outcome(&outcome);
    let reader_kcv = hex::encode_upper(&outcome.reader_kcv);
    match verdict {
        Verdict::Verified => {
            println!("VERDICT: OK: reader KCV {reader_kcv} = AWS KCV {}", exported.kcv);
            Ok(())
        }
        Verdict::NotComparable if args.accept_unverified_kcv => {
            println!(
                "VERDICT: LOADED, KCV NOT VERIFIED: reader KCV {reader_kcv} (legacy), AWS KCV {} ({})",
                exported.kcv, exported.kcv_algorithm
            );
            Ok(())
        }
        Verdict::NotComparable => Err(format!(
            "the reader loaded the key (KCV {reader_kcv}, legacy) but AWS reports a {} KCV ({}); \
             they cannot be compared without the clear key, pass --accept-unverified-kcv to accept",
            exported.kcv_algorithm, exported.kcv
        )
        .into()),
    }
}
