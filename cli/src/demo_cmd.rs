//! `keybridge demo`: the whole flow on one machine. Start the reader simulator on a pty with a
//! fresh AES-256 KEK, wrap a fresh AES-128 PIN key (P0, version D) under it as AWS Payment
//! Cryptography would export it, load it with `KeyLoader` over the pty, and print the verdict.
//! Exits 0 only when the reader's KCV equals the key's KCV.

use keybridge::SecretBytes;
use keybridge::crypto::CipherFamily;
use keybridge::device::transport::SerialConfig;
use keybridge::kcv::{self, KcvMethod};
use keybridge::loader::{KeyLoader, LoaderConfig};
use keybridge::tr31::{
    Algorithm, Exportability, Header, KeyUsage, ModeOfUse, OptionalBlock, Version, WrapOptions, wrap,
};
use keybridge_testkit::simulator::{self, SimulatorConfig};

use crate::device_cmd::print_outcome;
use crate::output::CliResult;

/// A random key; the buffer moves into the zeroizing container without a copy.
fn random_key(len: usize) -> Result<SecretBytes, String> {
    let mut bytes = vec![0u8; len];
    let filled = getrandom::fill(&mut bytes);
    let key = SecretBytes::new(bytes);
    filled.map_err(|e| format!("random number generator: {e}"))?;
    Ok(key)
}

fn legacy_kcv(key: &SecretBytes) -> Result<String, String> {
    kcv::kcv(key.as_bytes(), CipherFamily::Aes, KcvMethod::Legacy)
        .map(hex::encode_upper)
        .map_err(|e| format!("KCV: {} bytes is not an AES key", e.length))
}

pub fn run() -> CliResult {
    let kek = random_key(32)?;
    println!(
        "1. KEK: fresh AES-256 key (KCV {}), shared with the reader",
        legacy_kcv(&kek)?
    );

    let sim = simulator::start_pty(SimulatorConfig::with_kek(kek.clone()))?;
    println!("2. reader simulator listening on pty {}", sim.endpoint());

    let key = random_key(16)?;
    let key_kcv = legacy_kcv(&key)?;
    let mut header = Header::new(
        Version::D,
        KeyUsage::P0,
        Algorithm::Aes,
        ModeOfUse::EncryptOnly,
        Exportability::NonExportable,
    );
    header
        .optional_blocks
        .push(OptionalBlock::new("KC", &format!("00{key_kcv}")));
    let block = wrap(kek.as_bytes(), &header, key.as_bytes(), &WrapOptions::default())?;
    drop(key);
    println!(
        "3. working key: AES-128 PIN key (KCV {key_kcv}) wrapped as TR-31 version D, {} characters: {}…",
        block.len(),
        &block[..16]
    );

    let mut loader = KeyLoader::open_serial(sim.endpoint(), &SerialConfig::default(), LoaderConfig::default())?;
    let info = loader.device_info()?;
    println!("4. connected: POS id {}, PSAM id {}", info.pos_id, info.psam_id);

    print!("5. ");
    let outcome = loader.send_tr31_key(&block)?;
    print_outcome(&outcome);
    loader.close();
    sim.stop();

    let reader_kcv = hex::encode_upper(&outcome.reader_kcv);
    if reader_kcv != key_kcv {
        return Err(format!("VERDICT: FAILED — reader KCV {reader_kcv} differs from the key's KCV {key_kcv}").into());
    }
    println!(
        "VERDICT: OK — the reader holds the key in slot {}, KCV {reader_kcv}",
        outcome.slot
    );
    Ok(())
}
