//! One connection's loop: read frames, let the [`Reader`] answer, and apply the injected faults
//! to what goes back on the wire.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use keybridge::device::frame::{Frame, FrameCodec};
use keybridge::device::transport::{Transport, TransportError};

use super::State;
use super::facts;
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
    let end = serve_frames(transport, state, stop);
    if let Ok(mut st) = state.lock() {
        st.reader.end_of_connection();
    }
    end
}

fn serve_frames(transport: &mut dyn Transport, state: &Mutex<State>, stop: &AtomicBool) -> End {
    let mut codec = FrameCodec::new(state.lock().map_or(1024, |s| s.max_frame_len));
    let mut buf = [0u8; 1024];
    loop {
        while let Some(decoded) = codec.next_frame() {
            // A frame that does not decode is ignored, as a reader does; the host retries.
            let frame = match decoded {
                Ok(frame) => frame,
                Err(e) => {
                    if let Ok(mut st) = state.lock() {
                        st.reader.bad_frame(e.to_string());
                    }
                    continue;
                }
            };
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
            Err(TransportError::TimedOut) => {}
            Err(_) => return End::Closed,
        }
    }
}

/// Computes the answer to `frame` and writes it with the faults applied.
fn answer(transport: &mut dyn Transport, state: &Mutex<State>, frame: &Frame) -> Result<Option<End>, ()> {
    let in_progress = Frame::status(facts::IN_PROGRESS);
    let (bytes, delay, cut) = {
        let mut st = state.lock().map_err(|_| ())?;
        let st = &mut *st;
        st.frames_received += 1;
        let is_poll = frame.kind == facts::POLL;
        let answer = if is_poll && st.slow_left > 0 {
            // The slow reader: still working, whatever the poll.
            st.slow_left -= 1;
            st.reader.poll(frame);
            in_progress.clone()
        } else {
            let mut result = carry_out(st, frame);
            if let (Some(len), Some(body)) = (st.faults.short_kcv, result.body.as_mut())
                && (body.cmd, body.sub) == facts::CHECK_VALUE
            {
                body.data.truncate(len);
                st.reader.last_answer = Some(result.clone());
            }
            if !is_poll && st.faults.slow > 0 {
                st.slow_left = st.faults.slow - 1;
                in_progress.clone()
            } else if st.faults.busy > 0 {
                // The busy fault: the command has been carried out (its answer is what a poll
                // returns), but the reader says "still working" first.
                st.faults.busy -= 1;
                in_progress.clone()
            } else {
                result
            }
        };
        let mut bytes = FrameCodec::new(st.max_frame_len).encode(&answer).map_err(|_| ())?;
        if st.faults.drop_responses > 0 {
            st.faults.drop_responses -= 1;
            st.reader.delivered(&answer, false);
            return Ok(None);
        }
        let corrupt = st.faults.corrupt_responses > 0;
        if corrupt {
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
        st.reader.delivered(&answer, !corrupt && !cut);
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

/// The reader's answer to `frame` with the status and false-answer faults applied.
fn carry_out(st: &mut State, frame: &Frame) -> Frame {
    let is_load = Reader::is_load(frame);
    let lie = st
        .faults
        .false_answer
        .filter(|_| is_load && st.faults.false_answer_limit != Some(0));
    match (st.faults.status, lie) {
        (Some(status), _) if is_load => st.reader.refuse(frame, status),
        (_, Some(lie)) => {
            if let Some(left) = st.faults.false_answer_limit.as_mut() {
                *left -= 1;
            }
            st.reader.answer_falsely(frame, lie)
        }
        _ => st.reader.handle(frame),
    }
}
