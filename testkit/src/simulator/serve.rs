//! One connection's loop: read frames, let the [`Reader`] answer, and apply the injected faults
//! to what goes back on the wire.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use keybridge::device::command::{GET_KCV, TYPE_BUSY};
use keybridge::device::frame::{Frame, FrameCodec};
use keybridge::device::transport::Transport;

use super::State;
use super::reader::Reader;

/// Bytes sent before an answer by the garbage fault: no `'M'`, so the decoder must skip them.
const GARBAGE: &[u8] = &[0x00, 0xFF, 0x13, 0x37, 0xAA, 0x55, 0x0D, 0x0A];

/// How a connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// The host went away or the simulator was stopped.
    Closed,
    /// The disconnect fault cut the line mid-frame.
    CutMidFrame,
}

/// Serves one connection until it closes, the simulator stops, or a disconnect fault fires.
pub fn serve(transport: &mut dyn Transport, state: &Mutex<State>, stop: &AtomicBool) -> End {
    let mut codec = FrameCodec::new(state.lock().map_or(1024, |s| s.max_frame_len));
    let mut buf = [0u8; 1024];
    loop {
        while let Some(decoded) = codec.next_frame() {
            // A frame that fails its checksum is ignored, as a reader does; the host retries.
            let Ok(frame) = decoded else { continue };
            match answer(transport, state, &frame) {
                Ok(None) => {}
                Ok(Some(end)) => return end,
                Err(()) => return End::Closed,
            }
        }
        if stop.load(Ordering::SeqCst) {
            return End::Closed;
        }
        let room = codec.space().min(buf.len());
        match transport.read(&mut buf[..room], Duration::from_millis(50)) {
            Ok(n) => {
                codec.push(&buf[..n]);
            }
            Err(keybridge::device::transport::TransportError::TimedOut) => {}
            Err(_) => return End::Closed,
        }
    }
}

/// Computes the answer to `frame` and writes it with the faults applied.
fn answer(transport: &mut dyn Transport, state: &Mutex<State>, frame: &Frame) -> Result<Option<End>, ()> {
    let (bytes, delay, cut) = {
        let mut st = state.lock().map_err(|_| ())?;
        let st = &mut *st;
        st.frames_received += 1;
        let is_load = Reader::is_load(frame);
        let lie = st
            .faults
            .false_answer
            .filter(|_| is_load && st.faults.false_answer_limit != Some(0));
        let mut result = match (st.faults.status, lie) {
            (Some(status), _) if is_load => st.reader.refuse(frame, status),
            (_, Some(lie)) => {
                if let Some(left) = st.faults.false_answer_limit.as_mut() {
                    *left -= 1;
                }
                st.reader.answer_falsely(frame, lie)
            }
            _ => st.reader.handle(frame),
        };
        if let (Some(len), Some(body)) = (st.faults.short_kcv, result.body.as_mut())
            && (body.cmd, body.sub) == (GET_KCV.cmd, GET_KCV.sub)
        {
            body.data.truncate(len);
        }
        // The busy fault: the command has been carried out (its answer is what a poll returns),
        // but the reader says busy first.
        let answer = if st.faults.busy > 0 {
            st.faults.busy -= 1;
            Frame::status(TYPE_BUSY)
        } else {
            result
        };
        let mut bytes = FrameCodec::new(st.max_frame_len).encode(&answer).map_err(|_| ())?;
        if st.faults.drop_responses > 0 {
            st.faults.drop_responses -= 1;
            return Ok(None);
        }
        if st.faults.corrupt_responses > 0 {
            st.faults.corrupt_responses -= 1;
            let last = bytes.len() - 1;
            bytes[last] ^= 0x5A;
        }
        if st.faults.garbage_first > 0 {
            let garbage: Vec<u8> = GARBAGE.iter().copied().cycle().take(st.faults.garbage_first).collect();
            st.faults.garbage_first = 0;
            bytes.splice(0..0, garbage);
        }
        let cut = std::mem::take(&mut st.faults.disconnect_mid_frame);
        (bytes, st.faults.delay, cut)
    };
    if !delay.is_zero() {
        std::thread::sleep(delay);
    }
    if cut {
        let _ = transport.write_all(&bytes[..bytes.len() / 2]);
        let _ = transport.close();
        return Ok(Some(End::CutMidFrame));
    }
    transport.write_all(&bytes).map_err(|_| ())?;
    Ok(None)
}
