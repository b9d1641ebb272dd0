//! The frame decoder on an arbitrary byte stream cut into arbitrary chunks: it never panics,
//! never holds more than one maximum frame, and a valid frame sent after any garbage is still
//! found once the line has carried enough filler to finish whatever frame the garbage began.
//! (Without that pause no decoder can tell: garbage ending `4D 00 01 01` is completed into a
//! valid status frame by the next frame's own start byte; the session resets the decoder before
//! each request for the same reason.)
#![no_main]

use keybridge::device::frame::{Frame, FrameCodec};
use libfuzzer_sys::fuzz_target;

const MAX_FRAME: usize = 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, stream)) = data.split_first() else { return };
    let chunk = usize::from(cut % 64) + 1;
    let mut codec = FrameCodec::new(MAX_FRAME);
    let marker = Frame::new(0x24, 0x10, 0xF5, 0x00, b"keybridge".to_vec());
    // Filler cannot start a frame, and one maximum frame of it completes any frame begun before.
    let filler = || std::iter::repeat_n(0u8, MAX_FRAME);
    let mut input = stream.to_vec();
    input.extend(filler());
    input.extend(codec.encode(&marker).expect("the marker fits"));
    input.extend(filler());
    let mut found = false;
    for piece in input.chunks(chunk) {
        let mut rest = piece;
        while !rest.is_empty() {
            let taken = codec.push(rest);
            rest = &rest[taken..];
            assert!(codec.buffered() <= MAX_FRAME, "the decoder holds at most one frame");
            while let Some(decoded) = codec.next_frame() {
                found |= decoded.is_ok_and(|frame| frame == marker);
            }
        }
    }
    assert!(found, "the valid frame after the garbage was not found");
});
