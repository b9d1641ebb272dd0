//! Random byte streams into the frame decoder: never a panic, never more than one maximum frame
//! buffered, and valid frames embedded in noise still come out.

use keybridge::device::frame::{Frame, FrameCodec};
use proptest::prelude::*;

fn drain(codec: &mut FrameCodec, mut input: &[u8], max: usize) -> Vec<Frame> {
    let mut frames = Vec::new();
    loop {
        let n = codec.push(input);
        input = &input[n..];
        assert!(codec.buffered() <= max, "buffered {} > {max}", codec.buffered());
        match codec.next_frame() {
            Some(Ok(f)) => frames.push(f),
            Some(Err(_)) => {}
            None if input.is_empty() => return frames,
            None => assert!(n > 0 || codec.space() > 0, "decoder stalled"),
        }
    }
}

proptest! {
    #[test]
    fn random_streams_never_panic_or_overgrow(
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..20),
        max in 5usize..2048,
    ) {
        let mut codec = FrameCodec::new(max);
        for chunk in &chunks {
            drain(&mut codec, chunk, max);
        }
    }

    #[test]
    fn frames_survive_leading_noise(
        noise in prop::collection::vec(any::<u8>().prop_filter("not M", |b| *b != 0x4D), 0..64),
        data in prop::collection::vec(any::<u8>(), 0..200),
        split in 0usize..300,
    ) {
        let codec = FrameCodec::default();
        let frame = Frame::new(0x24, 0x10, 0xF5, 0, data);
        let mut bytes = noise;
        bytes.extend(codec.encode(&frame).unwrap());
        let split = split.min(bytes.len());
        let mut decoder = FrameCodec::default();
        let mut got = drain(&mut decoder, &bytes[..split], 1024);
        got.extend(drain(&mut decoder, &bytes[split..], 1024));
        prop_assert_eq!(got, vec![frame]);
    }
}
