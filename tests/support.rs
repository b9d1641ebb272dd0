//! Helpers shared by the end-to-end tests in this folder.

use std::time::Duration;

use keybridge::SecretBytes;
use keybridge::crypto::CipherFamily;
use keybridge::kcv::{self, KcvMethod};
use keybridge::loader::{KeyLoader, LoaderConfig};
use keybridge::tr31::{
    Algorithm, Exportability, Header, KeyUsage, ModeOfUse, OptionalBlock, Version, WrapOptions, wrap,
};
use keybridge_testkit::simulator::{self, SimulatorConfig, SimulatorHandle};

/// How the test reaches the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Pty,
    Tcp,
}

/// Both links, for tests that must pass over each.
pub const LINKS: [Link; 2] = [Link::Pty, Link::Tcp];

/// The AES-256 KEK the tests configure the simulator with.
pub fn kek() -> SecretBytes {
    SecretBytes::from_slice(&[0x5A; 32])
}

/// The AES-128 working key the tests load.
pub const WORKING_KEY: [u8; 16] = [
    0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6, 0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C,
];

/// Legacy KCV (as readers compute it) of an AES key.
pub fn aes_kcv(key: &[u8]) -> Vec<u8> {
    kcv::kcv(key, CipherFamily::Aes, KcvMethod::Legacy).expect("AES key")
}

/// A version D P0 block of `key` under `kek`, with a legacy `KC` block when `with_kc`.
pub fn p0_block(kek: &[u8], key: &[u8], with_kc: bool) -> String {
    let mut header = Header::new(
        Version::D,
        KeyUsage::P0,
        Algorithm::Aes,
        ModeOfUse::EncryptOnly,
        Exportability::NonExportable,
    );
    if with_kc {
        let kc = format!("00{}", hex::encode_upper(aes_kcv(key)));
        header.optional_blocks.push(OptionalBlock::new("KC", &kc));
    }
    wrap(kek, &header, key, &WrapOptions::default()).expect("wrap")
}

/// Short timeouts so fault tests end quickly.
pub fn fast_config() -> LoaderConfig {
    LoaderConfig {
        command_timeout: Duration::from_millis(400),
        max_retries: 2,
        poll_interval: Duration::from_millis(5),
        ..LoaderConfig::default()
    }
}

/// Starts a simulator on `link` and connects a loader to it.
pub fn connect(link: Link, sim: SimulatorConfig, config: LoaderConfig) -> (SimulatorHandle, KeyLoader) {
    match link {
        Link::Pty => {
            let handle = simulator::start_pty(sim).expect("pty simulator");
            let loader = KeyLoader::open_serial(handle.endpoint(), &Default::default(), config).expect("open pty");
            (handle, loader)
        }
        Link::Tcp => {
            let handle = simulator::start_tcp("127.0.0.1:0", sim).expect("tcp simulator");
            let loader = KeyLoader::open_tcp(handle.endpoint(), config).expect("connect");
            (handle, loader)
        }
    }
}

/// Starting the AWS Payment Cryptography emulator and a real SDK client against it.
#[path = "aws_support.rs"]
pub mod aws;
