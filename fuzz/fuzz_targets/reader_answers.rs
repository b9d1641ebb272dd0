//! A key load against a reader whose every byte comes from the fuzzer: the loader decodes,
//! classifies and acts on arbitrary answers (busy, stale, bare OK, failures, KCVs of any length)
//! without panicking, and never reports a verified load unless the reader answered the KCV read
//! with the key's KCV.
#![no_main]

use std::time::Duration;

use keybridge::device::transport::{Transport, TransportError};
use keybridge::kcv::{KcvMethod, kcv};
use keybridge::loader::{KeyLoader, LoaderConfig};
use keybridge::tr31::{self, Algorithm, Exportability, Header, KeyUsage, ModeOfUse, OptionalBlock, Version};
use libfuzzer_sys::fuzz_target;

/// A reader that answers with the fuzzer's bytes, `chunk` at a time, then hangs up.
struct Scripted {
    answers: Vec<u8>,
    chunk: usize,
    at: usize,
}

impl Transport for Scripted {
    fn read(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, TransportError> {
        let rest = &self.answers[self.at..];
        if rest.is_empty() {
            return Err(TransportError::Closed);
        }
        let n = rest.len().min(self.chunk).min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }

    fn write_all(&mut self, _data: &[u8]) -> Result<(), TransportError> {
        Ok(())
    }

    fn close(&mut self) -> Result<(), TransportError> {
        Ok(())
    }
}

const KEK: [u8; 32] = [0x5A; 32];
const KEY: [u8; 16] = [0x2B; 16];

fuzz_target!(|data: &[u8]| {
    let Some((&cut, answers)) = data.split_first() else { return };
    let key_kcv = kcv(&KEY, keybridge::crypto::CipherFamily::Aes, KcvMethod::Legacy).unwrap();
    let mut header = Header::new(
        Version::D,
        KeyUsage::P0,
        Algorithm::Aes,
        ModeOfUse::EncryptOnly,
        Exportability::NonExportable,
    );
    header.optional_blocks.push(OptionalBlock::new("KC", &format!("00{}", hex::encode_upper(&key_kcv))));
    let block = tr31::wrap(&KEK, &header, &KEY, &tr31::WrapOptions::default()).unwrap();
    let transport = Scripted {
        answers: answers.to_vec(),
        chunk: usize::from(cut % 32) + 1,
        at: 0,
    };
    let config = LoaderConfig {
        command_timeout: Duration::from_millis(1),
        poll_interval: Duration::ZERO,
        ..LoaderConfig::default()
    };
    let mut loader = KeyLoader::new(Box::new(transport), config);
    if let Ok(outcome) = loader.send_tr31_key(&block)
        && outcome.is_verified()
    {
        assert!(outcome.reader_kcv.len() >= 3 && key_kcv.starts_with(&outcome.reader_kcv[..3]));
    }
});
