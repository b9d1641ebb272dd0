//! The Dspread QPOS serial frame and its codec.
//!
//! Wire format, as the vendor's Android SDK 8.5.4 builds it (`j0`: the packet builder) and as
//! public material for the Dspread PC SDK shows it:
//!
//! ```text
//! 'M' (0x4D) | LEN (2, BE) | TYPE | CMD | SUB | TIMEOUT-or-RESULT | DATA_LEN (2, BE) | DATA | XOR
//! ```
//!
//! `LEN` counts `TYPE` through the end of `DATA` (6 + `DATA_LEN`); `XOR` is the XOR of every byte
//! from `'M'` through the last data byte. A reader's bare status frame has `LEN` 1 and carries only
//! `TYPE` (the PC harness's "still working" frame `4D 00 01 23 6F`).
//!
//! [`FrameCodec`] encodes frames and decodes a byte stream incrementally: bytes may arrive in any
//! split, garbage before an `'M'` is skipped, and the buffer never holds more than one maximum
//! frame, so a hostile or noisy line cannot make it allocate without bound.

/// The byte every frame starts with.
pub const FRAME_START: u8 = 0x4D;
/// Frame size (start byte through XOR) most firmware takes; some takes 4096.
pub const DEFAULT_MAX_FRAME_LEN: usize = 1024;
/// `'M'` + `LEN` + `XOR`: the bytes outside what `LEN` counts.
const ENVELOPE_LEN: usize = 4;
/// `TYPE CMD SUB TIMEOUT DATA_LEN(2)`: the part of `LEN` before the data.
const BODY_HEADER_LEN: usize = 6;
/// The smallest frame: a bare status (`'M' 00 01 TYPE XOR`).
pub const MIN_FRAME_LEN: usize = ENVELOPE_LEN + 1;

/// One frame. `body` is `None` for a bare status frame (`LEN` = 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// `TYPE`: 0x21 for a host command, 0x22 to poll for a pending result, the answer type for the reader.
    pub kind: u8,
    pub body: Option<FrameBody>,
}

/// The part of a frame after `TYPE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameBody {
    pub cmd: u8,
    pub sub: u8,
    /// Timeout in seconds in a host frame; the command's result code in a reader frame.
    pub param: u8,
    pub data: Vec<u8>,
}

impl Frame {
    /// A bare status frame (only `TYPE`).
    pub fn status(kind: u8) -> Self {
        Self { kind, body: None }
    }

    /// A frame with a command body.
    pub fn new(kind: u8, cmd: u8, sub: u8, param: u8, data: Vec<u8>) -> Self {
        Self {
            kind,
            body: Some(FrameBody { cmd, sub, param, data }),
        }
    }

    /// Bytes on the wire, start byte through XOR.
    pub fn encoded_len(&self) -> usize {
        ENVELOPE_LEN + self.body.as_ref().map_or(1, |b| BODY_HEADER_LEN + b.data.len())
    }
}

/// Why bytes could not be (de)coded as a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame checksum mismatch: XOR of the frame is {computed:#04x} but it carries {received:#04x}")]
    BadXor { computed: u8, received: u8 },
    #[error("frame of {length} bytes exceeds the maximum of {max} bytes")]
    TooLong { length: usize, max: usize },
    #[error("frame length field {len} does not fit its data length field {data_len} (LEN must be 1 or 6 + DATA_LEN)")]
    BadLength { len: usize, data_len: usize },
}

/// Encoder and incremental decoder for QPOS frames, bounded by a maximum frame length.
///
/// Decoding: [`push`](Self::push) bytes as they arrive, then take results from
/// [`next_frame`](Self::next_frame) until it returns `None`. After an error the decoder
/// resynchronises on the next `'M'` after the one that started the bad frame.
#[derive(Debug, Clone)]
pub struct FrameCodec {
    max_frame_len: usize,
    buf: Vec<u8>,
    skipped: usize,
}

impl Default for FrameCodec {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME_LEN)
    }
}

impl FrameCodec {
    /// A codec for frames of at most `max_frame_len` bytes (clamped to 5..=65539, what `LEN`
    /// can describe).
    pub fn new(max_frame_len: usize) -> Self {
        let max_frame_len = max_frame_len.clamp(MIN_FRAME_LEN, usize::from(u16::MAX) + ENVELOPE_LEN);
        Self {
            max_frame_len,
            buf: Vec::new(),
            skipped: 0,
        }
    }

    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// Encodes a frame; errors when it would exceed the maximum frame length.
    pub fn encode(&self, frame: &Frame) -> Result<Vec<u8>, FrameError> {
        let length = frame.encoded_len();
        if length > self.max_frame_len {
            return Err(FrameError::TooLong {
                length,
                max: self.max_frame_len,
            });
        }
        let mut out = Vec::with_capacity(length);
        out.push(FRAME_START);
        out.extend_from_slice(&((length - ENVELOPE_LEN) as u16).to_be_bytes());
        out.push(frame.kind);
        if let Some(body) = &frame.body {
            out.extend_from_slice(&[body.cmd, body.sub, body.param]);
            out.extend_from_slice(&(body.data.len() as u16).to_be_bytes());
            out.extend_from_slice(&body.data);
        }
        out.push(xor(&out));
        Ok(out)
    }

    /// Takes bytes from `input` into the decoder and returns how many it took. It takes fewer
    /// than offered only when its buffer holds a full maximum frame; call
    /// [`next_frame`](Self::next_frame) and push the rest.
    pub fn push(&mut self, input: &[u8]) -> usize {
        let mut input_used = 0;
        if self.buf.is_empty() {
            let garbage = input.iter().take_while(|&&b| b != FRAME_START).count();
            self.skipped += garbage;
            input_used = garbage;
        }
        let take = (input.len() - input_used).min(self.space());
        self.buf.extend_from_slice(&input[input_used..input_used + take]);
        input_used + take
    }

    /// How many more bytes [`push`](Self::push) would take now.
    pub fn space(&self) -> usize {
        self.max_frame_len - self.buf.len()
    }

    /// Bytes held that belong to a frame not yet complete: non-zero means "mid-frame".
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Bytes skipped as garbage (not part of any frame) since the codec was made.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Forgets any partial frame (e.g. before sending a new request).
    pub fn reset(&mut self) {
        self.skipped += self.buf.len();
        self.buf.clear();
    }

    /// The next complete frame or decoding error, or `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        self.drop_garbage();
        if self.buf.len() < 3 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([self.buf[1], self.buf[2]]));
        let total = len + ENVELOPE_LEN;
        if total > self.max_frame_len {
            return Some(Err(self.resync(FrameError::TooLong {
                length: total,
                max: self.max_frame_len,
            })));
        }
        if len != 1 && len < BODY_HEADER_LEN {
            return Some(Err(self.resync(FrameError::BadLength { len, data_len: 0 })));
        }
        if self.buf.len() < total {
            return None;
        }
        let computed = xor(&self.buf[..total - 1]);
        let received = self.buf[total - 1];
        if computed != received {
            return Some(Err(self.resync(FrameError::BadXor { computed, received })));
        }
        let frame = if len == 1 {
            Frame::status(self.buf[3])
        } else {
            let b = &self.buf[3..total - 1];
            let data_len = usize::from(u16::from_be_bytes([b[4], b[5]]));
            if data_len + BODY_HEADER_LEN != len {
                return Some(Err(self.resync(FrameError::BadLength { len, data_len })));
            }
            Frame::new(b[0], b[1], b[2], b[3], b[BODY_HEADER_LEN..].to_vec())
        };
        self.buf.drain(..total);
        Some(Ok(frame))
    }

    /// Drops leading bytes that cannot start a frame.
    fn drop_garbage(&mut self) {
        let garbage = self.buf.iter().take_while(|&&b| b != FRAME_START).count();
        if garbage > 0 {
            self.skipped += garbage;
            self.buf.drain(..garbage);
        }
    }

    /// Gives up on the frame at the head of the buffer: drops its start byte so the next
    /// `next_frame` rescans what followed for another `'M'`.
    fn resync(&mut self, error: FrameError) -> FrameError {
        self.buf.remove(0);
        self.skipped += 1;
        error
    }
}

fn xor(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |acc, b| acc ^ b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUSY: [u8; 5] = [0x4D, 0x00, 0x01, 0x23, 0x6F];

    fn device_info_frame() -> Vec<u8> {
        let mut f = vec![0x4D, 0x00, 0x1F, 0x24, 0x10, 0x00, 0x00, 0x00, 0x19, 0x08];
        f.extend([0x31; 8]);
        f.push(0x0A);
        f.extend([0x11; 10]);
        f.extend([0x00; 5]);
        f.push(0x7D);
        f
    }

    fn decode_all(codec: &mut FrameCodec, mut input: &[u8]) -> Vec<Result<Frame, FrameError>> {
        let mut out = Vec::new();
        loop {
            let n = codec.push(input);
            input = &input[n..];
            match codec.next_frame() {
                Some(r) => out.push(r),
                None if input.is_empty() => return out,
                None => {}
            }
        }
    }

    #[test]
    fn decodes_the_published_busy_frame() {
        let mut c = FrameCodec::default();
        assert_eq!(decode_all(&mut c, &BUSY), vec![Ok(Frame::status(0x23))]);
        assert_eq!(c.encode(&Frame::status(0x23)).unwrap(), BUSY);
    }

    #[test]
    fn decodes_the_published_device_info_frame() {
        let bytes = device_info_frame();
        let mut c = FrameCodec::default();
        let frames = decode_all(&mut c, &bytes);
        let Ok(frame) = &frames[0] else { panic!("{frames:?}") };
        assert_eq!(frame.kind, 0x24);
        let body = frame.body.as_ref().unwrap();
        assert_eq!(
            (body.cmd, body.sub, body.param, body.data.len()),
            (0x10, 0x00, 0x00, 25)
        );
        assert_eq!(&body.data[1..9], &[0x31; 8]);
        assert_eq!(c.encode(frame).unwrap(), bytes, "re-encodes byte for byte");
    }

    #[test]
    fn every_split_of_a_frame_decodes_the_same() {
        let bytes = device_info_frame();
        let expected = decode_all(&mut FrameCodec::default(), &bytes);
        for a in 0..=bytes.len() {
            for b in a..=bytes.len() {
                let mut c = FrameCodec::default();
                let mut got = decode_all(&mut c, &bytes[..a]);
                got.extend(decode_all(&mut c, &bytes[a..b]));
                got.extend(decode_all(&mut c, &bytes[b..]));
                assert_eq!(got, expected, "split at {a}/{b}");
                assert_eq!(c.buffered(), 0);
            }
        }
        let mut c = FrameCodec::default();
        let one_at_a_time: Vec<_> = bytes.iter().flat_map(|b| decode_all(&mut c, &[*b])).collect();
        assert_eq!(one_at_a_time, expected);
    }

    #[test]
    fn many_frames_in_one_read_with_garbage_between() {
        let mut input = vec![0x00, 0xFF, 0x12];
        input.extend(BUSY);
        input.extend([0x55, 0xAA]);
        input.extend(device_info_frame());
        input.extend(BUSY);
        let mut c = FrameCodec::default();
        let frames = decode_all(&mut c, &input);
        assert_eq!(frames.len(), 3);
        assert!(frames.iter().all(Result::is_ok));
        assert_eq!(c.skipped(), 5);
    }

    #[test]
    fn truncated_frame_stays_pending() {
        let bytes = device_info_frame();
        let mut c = FrameCodec::default();
        assert!(decode_all(&mut c, &bytes[..bytes.len() - 1]).is_empty());
        assert_eq!(c.buffered(), bytes.len() - 1);
        c.reset();
        assert_eq!(c.buffered(), 0);
    }

    #[test]
    fn bad_xor_is_a_typed_error_and_the_decoder_recovers() {
        let mut bad = BUSY;
        bad[4] ^= 0x01;
        let mut input = bad.to_vec();
        input.extend(BUSY);
        let got = decode_all(&mut FrameCodec::default(), &input);
        assert_eq!(
            got,
            vec![
                Err(FrameError::BadXor {
                    computed: 0x6F,
                    received: 0x6E
                }),
                Ok(Frame::status(0x23))
            ]
        );
    }

    #[test]
    fn over_long_frames_are_rejected_without_buffering_them() {
        let mut c = FrameCodec::new(64);
        let got = decode_all(&mut c, &[0x4D, 0x01, 0x00, 0x21]);
        assert_eq!(got, vec![Err(FrameError::TooLong { length: 260, max: 64 })]);
        assert!(c.buffered() <= 64);
        let big = Frame::new(0x21, 0x10, 0xF5, 5, vec![0; 100]);
        assert!(matches!(c.encode(&big), Err(FrameError::TooLong { .. })));
    }

    #[test]
    fn inconsistent_length_fields_are_rejected() {
        let mut frame = FrameCodec::default()
            .encode(&Frame::new(0x21, 1, 2, 3, vec![9, 9]))
            .unwrap();
        frame[8] = 3; // DATA_LEN says 3, LEN says 2 bytes of data
        let last = frame.len() - 1;
        frame[last] = xor(&frame[..last]);
        assert_eq!(
            decode_all(&mut FrameCodec::default(), &frame),
            vec![Err(FrameError::BadLength { len: 8, data_len: 3 })]
        );
    }

    #[test]
    fn host_command_round_trips() {
        let c = FrameCodec::default();
        let frame = Frame::new(0x21, 0x10, 0xF5, 30, b"\x00\x00\x04ABCD".to_vec());
        let bytes = c.encode(&frame).unwrap();
        assert_eq!(&bytes[..9], &[0x4D, 0x00, 0x0D, 0x21, 0x10, 0xF5, 30, 0x00, 0x07]);
        assert_eq!(decode_all(&mut FrameCodec::default(), &bytes), vec![Ok(frame)]);
    }
}
