//! What the AWS emulator does with the bytes of a request: SigV4 headers (authorization, date,
//! content hash) and the awsJson body of every operation, on a store with real keys. Any answer
//! is fine; a panic is not.
#![no_main]

use keybridge_testkit::emulator::OPERATIONS;
use keybridge_testkit::emulator::fuzzing::{authenticate, dispatch};
use libfuzzer_sys::fuzz_target;

/// The header names SigV4 looks at.
const HEADERS: [&str; 4] = ["authorization", "x-amz-date", "x-amz-content-sha256", "host"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let (operation, _) = OPERATIONS[usize::from(pick) % OPERATIONS.len()];
    let _ = dispatch(operation, rest);
    // The same bytes as headers: lines of `name-index value`, then a body.
    let text = String::from_utf8_lossy(rest);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let headers: Vec<(String, String)> = head
        .lines()
        .enumerate()
        .map(|(i, line)| (HEADERS[i % HEADERS.len()].to_owned(), line.to_owned()))
        .collect();
    let _ = authenticate(&headers, body.as_bytes(), 1_440_938_160);
});
