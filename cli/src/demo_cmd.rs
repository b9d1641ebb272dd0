//! `keybridge demo`: the whole flow on one machine, every part real. The AWS Payment Cryptography
//! emulator (HTTP on 127.0.0.1) and the reader simulator (on a pty) start in-process sharing a
//! fresh random AES-256 KEK (standing in for the KEK ceremony); a P0 AES-128 PIN key is created
//! through the real AWS SDK, exported as TR-31 under the KEK, validated, and loaded into the
//! reader with `KeyLoader`. Exits 0 only when the reader's KCV and the AWS KCV identify the same
//! key.
//!
//! AWS reports a CMAC KCV for AES keys and readers a legacy one, so the two numbers differ by
//! method. The demo holds the KEK (it played the ceremony), so it unwraps the exported block once
//! to tie them together: the key in the block must have AWS's CMAC KCV, and the reader must
//! report that key's legacy KCV (the loader compares it).

use keybridge::SecretBytes;
use keybridge::crypto::CipherFamily;
use keybridge::device::transport::SerialConfig;
use keybridge::export::{AwsKeyExporter, ExportHeaders, KcvAlgorithm, KeyAlgorithm};
use keybridge::kcv::{self, KcvMethod, kcv_matches};
use keybridge::loader::{KeyLoader, LoaderConfig};
use keybridge::tr31::{self, Profile};
use keybridge_testkit::emulator::{Emulator, EmulatorConfig, PreloadedKey};
use keybridge_testkit::simulator::{self, SimulatorConfig};

use crate::device_cmd::print_outcome;
use crate::load_cmd::load_exported;
use crate::output::CliResult;

const KEK_ALIAS: &str = "alias/demo-kek";
const PIN_KEY_ALIAS: &str = "alias/demo-pin-key";

/// A random key; the buffer moves into the zeroizing container without a copy.
fn random_key(len: usize) -> Result<SecretBytes, String> {
    let mut bytes = vec![0u8; len];
    let filled = getrandom::fill(&mut bytes);
    let key = SecretBytes::new(bytes);
    filled.map_err(|e| format!("random number generator: {e}"))?;
    Ok(key)
}

fn kcv_hex(key: &[u8], method: KcvMethod) -> Result<String, String> {
    let mut value = kcv::kcv(key, CipherFamily::Aes, method).map_err(|e| format!("KCV: {} bytes", e.length))?;
    value.truncate(KcvAlgorithm::SERVICE_LEN);
    Ok(hex::encode_upper(value))
}

pub fn run() -> CliResult {
    let kek = random_key(KeyAlgorithm::Aes256.key_len())?;
    println!(
        "1. KEK ceremony: fresh AES-256 KEK, KCV {} (CMAC) / {} (legacy), shared by AWS and the reader",
        kcv_hex(kek.as_bytes(), KcvMethod::Cmac)?,
        kcv_hex(kek.as_bytes(), KcvMethod::Legacy)?
    );

    let preload = format!("{KEK_ALIAS}=K0:AES_256:{}", kek.expose_hex()).parse::<PreloadedKey>()?;
    let aws_emulator = Emulator::start(EmulatorConfig {
        keys: vec![preload],
        ..EmulatorConfig::default()
    })?;
    println!(
        "2. AWS Payment Cryptography emulator on {}, KEK as {KEK_ALIAS}",
        aws_emulator.endpoint_url()
    );
    let reader = simulator::start_pty(SimulatorConfig {
        panic_on_deviation: false,
        ..SimulatorConfig::with_kek(kek.clone())
    })?;
    println!("3. reader simulator on pty {}", reader.endpoint());

    let config = aws_emulator.client_config();
    let (arn, aws_kcv, exported) = crate::aws_cmd::runtime()?.block_on(async {
        let aws = AwsKeyExporter::connect(config).await?;
        let (arn, aws_kcv) = create_pin_key(&aws).await?;
        let exported = aws
            .export_tr31(PIN_KEY_ALIAS, KEK_ALIAS, &ExportHeaders::default())
            .await?;
        Ok::<_, Box<dyn std::error::Error>>((arn, aws_kcv, exported))
    })?;
    println!("4. CreateKey (real AWS SDK): P0 AES-128 PIN key {arn} as {PIN_KEY_ALIAS}, KCV {aws_kcv} (CMAC)");
    println!(
        "5. ExportKey: TR-31 version {} block, {} characters, under {}; validated against GetKey of both keys",
        exported.header.version,
        exported.key_block.len(),
        exported.wrapping_key_arn
    );

    let clear = tr31::unwrap(kek.as_bytes(), &exported.key_block, &Profile::STRICT)?;
    let block_cmac = kcv_hex(clear.key.as_bytes(), KcvMethod::Cmac)?;
    let block_legacy = kcv::kcv(clear.key.as_bytes(), CipherFamily::Aes, KcvMethod::Legacy)
        .map_err(|e| format!("KCV: {} bytes", e.length))?;
    drop(clear);
    if !kcv_matches(&hex::decode(&exported.kcv)?, &hex::decode(&block_cmac)?) {
        return Err(format!(
            "VERDICT: FAILED: the exported block holds a key with CMAC KCV {block_cmac}, AWS reported {}",
            exported.kcv
        )
        .into());
    }
    println!(
        "6. the key in the block has AWS's KCV {block_cmac} (CMAC); its legacy KCV, as readers report it, is {}",
        hex::encode_upper(&block_legacy)
    );

    let mut loader = KeyLoader::open_serial(reader.endpoint(), &SerialConfig::default(), LoaderConfig::default())?;
    let info = loader.device_info()?;
    println!("7. reader connected: POS id {}, PSAM id {}", info.pos_id, info.psam_id);
    print!("8. ");
    let (outcome, _) = load_exported(&mut loader, &exported, None, Some(block_legacy))?;
    print_outcome(&outcome);
    loader.close();
    let deviations = reader.finish();
    if let Some(first) = deviations.first() {
        return Err(format!(
            "VERDICT: FAILED: keybridge sent {} frame(s) a real reader would not accept; first: {first}",
            deviations.len()
        )
        .into());
    }

    println!(
        "VERDICT: OK: the reader holds the AWS key in slot {}: reader KCV {} (legacy) and AWS KCV {} (CMAC) are the same key; 0 deviations from the vendor SDK's frames",
        outcome.slot,
        hex::encode_upper(&outcome.reader_kcv),
        exported.kcv
    );
    Ok(())
}

/// CreateKey + CreateAlias through the SDK client; returns the ARN and the KCV AWS reports.
async fn create_pin_key(aws: &AwsKeyExporter) -> Result<(String, String), keybridge::export::ExportError> {
    use aws_sdk_paymentcryptography::types as t;
    use keybridge::export::ExportError;
    let modes = t::KeyModesOfUse::builder()
        .encrypt(true)
        .decrypt(true)
        .wrap(true)
        .unwrap(true)
        .build();
    let attributes = t::KeyAttributes::builder()
        .key_usage(t::KeyUsage::Tr31P0PinEncryptionKey)
        .key_class(t::KeyClass::SymmetricKey)
        .key_algorithm(t::KeyAlgorithm::Aes128)
        .key_modes_of_use(modes)
        .build()
        .map_err(|e| ExportError::InvalidRequest {
            field: "key attributes",
            reason: e.to_string(),
        })?;
    let created = aws
        .client()
        .create_key()
        .key_attributes(attributes)
        .exportable(true)
        .send()
        .await
        .map_err(|e| ExportError::from_sdk("CreateKey", e))?;
    let key = created.key().ok_or(ExportError::IncompleteResponse {
        operation: "CreateKey",
        field: "Key",
    })?;
    aws.client()
        .create_alias()
        .alias_name(PIN_KEY_ALIAS)
        .key_arn(key.key_arn())
        .send()
        .await
        .map_err(|e| ExportError::from_sdk("CreateAlias", e))?;
    Ok((key.key_arn().to_owned(), key.key_check_value().to_owned()))
}
