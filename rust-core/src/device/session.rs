//! Request/response over a [`Transport`]: per-command timeouts, polling while the reader is busy,
//! bounded retries on a corrupted or lost answer, cancellation, and a clean error when the line
//! drops mid-frame.
//!
//! A command that may change the reader's keys is never re-sent here: after a lost or corrupted
//! answer the session only polls (TYPE 0x22, "give me the pending result"), which a reader cannot
//! mistake for a second load. Deciding whether to load again is the loader's job, after it has
//! read the slot's KCV.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::command::{CommandCode, ReaderStatus, Reply, poll_frame};
use super::frame::{Frame, FrameBody, FrameCodec, FrameError};
use super::transport::{Transport, TransportError};

/// Longest single blocking read, so cancellation and deadlines are noticed promptly.
const READ_SLICE: Duration = Duration::from_millis(25);

/// Cancels the call in progress on another thread (and later calls until [`reset`](Self::reset)).
#[derive(Debug, Clone, Default)]
pub struct CancelHandle(Arc<AtomicBool>);

impl CancelHandle {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Clears a cancellation so that new calls can run.
    pub fn reset(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// Timing and retry settings of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// How long to wait for each answer.
    pub command_timeout: Duration,
    /// How many times a lost or corrupted answer is retried (re-sent or polled for).
    pub max_retries: u32,
    pub max_frame_len: usize,
    /// Pause between polls while the reader answers busy.
    pub poll_interval: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            command_timeout: Duration::from_secs(5),
            max_retries: 2,
            max_frame_len: super::frame::DEFAULT_MAX_FRAME_LEN,
            poll_interval: Duration::from_millis(20),
        }
    }
}

/// Why an exchange with the reader failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("{0}")]
    Reader(ReaderStatus),
    #[error("the reader sent something but no complete answer within the timeout")]
    Timeout,
    #[error("the reader did not answer")]
    NoResponse,
    #[error("the connection to the reader closed{}", if *.mid_frame { " in the middle of a frame" } else { "" })]
    Disconnected { mid_frame: bool },
    #[error("undecodable answers from the reader: {0}")]
    Protocol(FrameError),
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Transport(TransportError),
}

impl SessionError {
    /// Whether the reader may have acted on the command although no valid answer came back.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Self::Timeout | Self::NoResponse | Self::Protocol(_))
    }
}

/// One reader connection.
pub struct Session {
    transport: Box<dyn Transport>,
    codec: FrameCodec,
    config: SessionConfig,
    cancel: CancelHandle,
}

/// Why waiting for a frame ended without one.
enum Wait {
    Lost,
    Bad(FrameError),
    Fatal(SessionError),
}

impl Session {
    pub fn new(transport: Box<dyn Transport>, config: SessionConfig) -> Self {
        Self {
            transport,
            codec: FrameCodec::new(config.max_frame_len),
            config,
            cancel: CancelHandle::default(),
        }
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// Sends `code` with `data` and returns the reader's successful answer. `timeout` (or the
    /// configured one) bounds each wait; retries and busy polling together never exceed
    /// `timeout × (max_retries + 1)`. Commands that do not change keys are re-sent after a lost
    /// or corrupted answer; key loads are only polled for.
    pub fn request(
        &mut self,
        code: CommandCode,
        data: Vec<u8>,
        timeout: Option<Duration>,
    ) -> Result<FrameBody, SessionError> {
        let timeout = timeout.unwrap_or(self.config.command_timeout);
        let secs = u8::try_from(timeout.as_secs().max(1)).unwrap_or(u8::MAX);
        let request = code.frame(secs, data);
        let overall = Instant::now() + timeout * (self.config.max_retries + 1);
        let mut heard = false;
        let mut failures = 0;
        let mut last_bad = None;
        self.send(&request)?;
        loop {
            let deadline = (Instant::now() + timeout).min(overall);
            let retry_frame = match self.read_frame(deadline, &mut heard) {
                Ok(frame) => match Reply::from_frame(frame) {
                    Reply::Done(body) if (body.cmd, body.sub) != (code.cmd, code.sub) && body.cmd != 0 => {
                        // A late answer to an earlier command: not ours, keep waiting.
                        continue;
                    }
                    Reply::Done(body) => return Ok(body),
                    Reply::Continue => {
                        return Ok(FrameBody {
                            cmd: code.cmd,
                            sub: code.sub,
                            param: 0,
                            data: Vec::new(),
                        });
                    }
                    Reply::Failed(status) => return Err(SessionError::Reader(status)),
                    Reply::Busy => {
                        if Instant::now() + self.config.poll_interval >= overall {
                            return Err(SessionError::Timeout);
                        }
                        self.pause(self.config.poll_interval)?;
                        self.send(&poll_frame(secs))?;
                        continue;
                    }
                },
                Err(Wait::Fatal(e)) => return Err(e),
                Err(Wait::Lost) => None,
                Err(Wait::Bad(e)) => Some(e),
            };
            last_bad = retry_frame.or(last_bad);
            failures += 1;
            if failures > self.config.max_retries || Instant::now() >= overall {
                return Err(match (last_bad, heard) {
                    (Some(e), _) => SessionError::Protocol(e),
                    (None, true) => SessionError::Timeout,
                    (None, false) => SessionError::NoResponse,
                });
            }
            self.codec.reset();
            if code.changes_keys() {
                self.send(&poll_frame(secs))?;
            } else {
                self.send(&request)?;
            }
        }
    }

    /// Closes the transport.
    pub fn close(&mut self) {
        let _ = self.transport.close();
    }

    fn send(&mut self, frame: &Frame) -> Result<(), SessionError> {
        self.check_cancelled()?;
        let bytes = self.codec.encode(frame).map_err(SessionError::Protocol)?;
        self.transport.write_all(&bytes).map_err(|e| self.transport_error(e))
    }

    fn check_cancelled(&self) -> Result<(), SessionError> {
        if self.cancel.is_cancelled() {
            Err(SessionError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Sleeps in short steps so a cancellation is noticed.
    fn pause(&self, duration: Duration) -> Result<(), SessionError> {
        let end = Instant::now() + duration;
        loop {
            self.check_cancelled()?;
            let now = Instant::now();
            if now >= end {
                return Ok(());
            }
            std::thread::sleep((end - now).min(READ_SLICE));
        }
    }

    fn transport_error(&self, error: TransportError) -> SessionError {
        match error {
            TransportError::Closed => SessionError::Disconnected {
                mid_frame: self.codec.buffered() > 0,
            },
            other => SessionError::Transport(other),
        }
    }

    fn read_frame(&mut self, deadline: Instant, heard: &mut bool) -> Result<Frame, Wait> {
        let mut buf = [0u8; 512];
        loop {
            match self.codec.next_frame() {
                Some(Ok(frame)) => return Ok(frame),
                Some(Err(e)) => return Err(Wait::Bad(e)),
                None => {}
            }
            self.check_cancelled().map_err(Wait::Fatal)?;
            let now = Instant::now();
            if now >= deadline {
                return Err(Wait::Lost);
            }
            let room = self.codec.space().min(buf.len());
            match self.transport.read(&mut buf[..room], (deadline - now).min(READ_SLICE)) {
                Ok(n) => {
                    *heard = true;
                    self.codec.push(&buf[..n]);
                }
                Err(TransportError::TimedOut) => {}
                Err(e) => return Err(Wait::Fatal(self.transport_error(e))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::command::{DEVICE_INFO, LOAD_TR31, TYPE_BUSY, TYPE_OK, TYPE_POLL};
    use crate::device::transport::{MemoryTransport, memory_pair};

    fn config() -> SessionConfig {
        SessionConfig {
            command_timeout: Duration::from_millis(150),
            max_retries: 2,
            poll_interval: Duration::from_millis(1),
            ..SessionConfig::default()
        }
    }

    /// Runs a scripted reader on the other end: for each received frame, `script` returns the
    /// raw bytes to answer with. Returns the received frames when the host side closes.
    fn reader(
        mut end: MemoryTransport,
        mut script: impl FnMut(usize, &Frame) -> Vec<u8> + Send + 'static,
    ) -> std::thread::JoinHandle<Vec<Frame>> {
        std::thread::spawn(move || {
            let mut codec = FrameCodec::default();
            let mut seen = Vec::new();
            let mut buf = [0u8; 256];
            loop {
                while let Some(Ok(frame)) = codec.next_frame() {
                    let answer = script(seen.len(), &frame);
                    seen.push(frame);
                    if !answer.is_empty() && end.write_all(&answer).is_err() {
                        return seen;
                    }
                }
                match end.read(&mut buf, Duration::from_millis(500)) {
                    Ok(n) => {
                        codec.push(&buf[..n]);
                    }
                    Err(_) => return seen,
                }
            }
        })
    }

    fn ok(code: CommandCode, data: &[u8]) -> Vec<u8> {
        FrameCodec::default()
            .encode(&Frame::new(TYPE_OK, code.cmd, code.sub, 0, data.to_vec()))
            .unwrap()
    }

    #[test]
    fn busy_then_result_polls_with_type_0x22() {
        let (host, dev) = memory_pair();
        let sim = reader(dev, |i, _| {
            if i < 2 {
                vec![0x4D, 0, 1, TYPE_BUSY, 0x6F]
            } else {
                ok(LOAD_TR31, &[])
            }
        });
        let mut s = Session::new(Box::new(host), config());
        assert!(s.request(LOAD_TR31, vec![0], None).is_ok());
        s.close();
        let seen = sim.join().unwrap();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[1].kind, TYPE_POLL);
        assert_eq!(seen[2].kind, TYPE_POLL);
    }

    #[test]
    fn a_lost_load_answer_is_polled_for_never_resent() {
        let (host, dev) = memory_pair();
        let sim = reader(dev, |i, _| if i == 0 { vec![] } else { ok(LOAD_TR31, &[]) });
        let mut s = Session::new(Box::new(host), config());
        assert!(s.request(LOAD_TR31, vec![0], None).is_ok());
        s.close();
        let seen = sim.join().unwrap();
        assert_eq!(seen.iter().filter(|f| f.kind == 0x21).count(), 1, "{seen:?}");
    }

    #[test]
    fn a_corrupted_info_answer_is_retried_by_resending() {
        let (host, dev) = memory_pair();
        let sim = reader(dev, |i, _| {
            let mut answer = ok(DEVICE_INFO, &[1, 2, 1, 3]);
            if i == 0 {
                answer[6] ^= 0xFF;
            }
            answer
        });
        let mut s = Session::new(Box::new(host), config());
        assert_eq!(s.request(DEVICE_INFO, vec![], None).unwrap().data, vec![1, 2, 1, 3]);
        s.close();
        assert_eq!(sim.join().unwrap().len(), 2);
    }

    #[test]
    fn silence_is_no_response_and_garbage_is_a_protocol_error() {
        let (host, dev) = memory_pair();
        let _sim = reader(dev, |_, _| vec![]);
        let mut s = Session::new(Box::new(host), config());
        assert_eq!(s.request(DEVICE_INFO, vec![], None), Err(SessionError::NoResponse));

        let (host, dev) = memory_pair();
        let _sim = reader(dev, |_, _| vec![0x4D, 0, 1, TYPE_BUSY, 0x00]);
        let mut s = Session::new(Box::new(host), config());
        assert!(matches!(
            s.request(DEVICE_INFO, vec![], None),
            Err(SessionError::Protocol(FrameError::BadXor { .. }))
        ));
    }

    #[test]
    fn disconnect_mid_frame_is_reported_as_such() {
        let (host, mut dev) = memory_pair();
        let t = std::thread::spawn(move || {
            let mut buf = [0u8; 64];
            let _ = dev.read(&mut buf, Duration::from_secs(1));
            dev.write_all(&ok(DEVICE_INFO, &[1, 2, 3])[..6]).unwrap();
            dev.close().unwrap();
        });
        let mut s = Session::new(Box::new(host), config());
        assert_eq!(
            s.request(DEVICE_INFO, vec![], None),
            Err(SessionError::Disconnected { mid_frame: true })
        );
        t.join().unwrap();
    }

    #[test]
    fn cancellation_ends_the_wait() {
        let (host, dev) = memory_pair();
        let _sim = reader(dev, |_, _| vec![]);
        let mut s = Session::new(
            Box::new(host),
            SessionConfig {
                command_timeout: Duration::from_secs(30),
                ..config()
            },
        );
        let cancel = s.cancel_handle();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            cancel.cancel();
        });
        let start = Instant::now();
        assert_eq!(s.request(DEVICE_INFO, vec![], None), Err(SessionError::Cancelled));
        assert!(start.elapsed() < Duration::from_secs(5));
        t.join().unwrap();
    }
}
