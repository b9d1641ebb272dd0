//! Request/response over a [`Transport`], as the vendor SDK runs it: per-command timeouts, polling
//! with the TYPE 0x22 frame while the reader answers "still working" (0x23), bounded retries on a
//! corrupted or lost answer to a query, cancellation, and a clean error when the line drops
//! mid-frame.
//!
//! A command that may change the reader's keys is never re-sent here, and no command is re-sent
//! while the reader is still working on it: after a "still working" answer the session only polls
//! (TYPE 0x22, "give me the pending result"), which a reader cannot mistake for a second load.
//! Deciding whether to load again is the loader's job, after it has read the slot's KCV.
//!
//! Silence is [`SessionError::NoResponse`] (the SDK's NO_RESPONSE); the reader's own timeout
//! answer (TYPE 0x25) is `SessionError::Reader(ReaderStatus::Timeout)` (the SDK's TIMEOUT).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::answer::{ReaderStatus, Reply};
use super::command::{CommandCode, poll_frame};
use super::frame::{Frame, FrameBody, FrameCodec, FrameError};
use super::transport::{Transport, TransportError};

/// Longest single blocking read, so cancellation and deadlines are noticed promptly.
const READ_SLICE: Duration = Duration::from_millis(25);
/// Longest wait any request may be configured for: far beyond any reader's patience, and small
/// enough that deadlines never overflow whatever timeout or retry count a caller passes.
const MAX_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

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
    /// Nothing (or nothing complete) came back in time, or the reader was still working when the
    /// time ran out: the SDK's NO_RESPONSE.
    #[error("the reader did not answer")]
    NoResponse,
    #[error("the connection to the reader closed{}", if *.mid_frame { " in the middle of a frame" } else { "" })]
    Disconnected { mid_frame: bool },
    #[error("undecodable answers from the reader: {0}")]
    Protocol(FrameError),
    #[error("the reader answered {command} with {what}")]
    UnexpectedReply { command: &'static str, what: String },
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Transport(TransportError),
}

impl SessionError {
    /// Whether the reader may have acted on the command although no valid answer came back.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            Self::NoResponse | Self::Protocol(_) | Self::UnexpectedReply { .. }
        )
    }
}

/// One reader connection.
pub struct Session {
    transport: Box<dyn Transport>,
    codec: FrameCodec,
    config: SessionConfig,
    cancel: CancelHandle,
}

/// How a reader frame relates to the command in progress.
enum Answer {
    /// The command's successful answer.
    Ours(FrameBody),
    /// The command failed with this status.
    Failed(ReaderStatus),
    /// Still working: poll.
    InProgress,
    /// An answer to another command keybridge sends (a late answer of an earlier exchange).
    NotOurs,
    /// Something no rule makes an answer to this command, described for the error.
    Unexpected(String),
}

/// Applies the protocol's rules for which frame answers `code`.
fn classify(code: CommandCode, reply: Reply) -> Answer {
    let answers_us = |(cmd, sub): (u8, u8)| -> Result<(), Answer> {
        if (cmd, sub) == (code.cmd, code.sub) {
            Ok(())
        } else if CommandCode::lookup(cmd, sub).is_some() {
            Err(Answer::NotOurs)
        } else {
            Err(Answer::Unexpected(format!(
                "an answer to CMD/SUB {cmd:02X}/{sub:02X}, which keybridge never sends"
            )))
        }
    };
    match reply {
        Reply::Done(body) => match answers_us((body.cmd, body.sub)) {
            Ok(()) => Answer::Ours(body),
            Err(other) => other,
        },
        Reply::Failed {
            status,
            answers: Some(answered),
        } => match answers_us(answered) {
            Ok(()) => Answer::Failed(status),
            Err(other) => other,
        },
        // A type nobody knows may mean anything, success included: not a verdict.
        Reply::Failed {
            status: ReaderStatus::UnknownType { kind },
            answers: None,
        } => Answer::Unexpected(format!("answer type 0x{kind:02X}, which the vendor SDK does not know")),
        Reply::Failed { status, answers: None } => Answer::Failed(status),
        Reply::InProgress => Answer::InProgress,
        Reply::Display => Answer::NotOurs,
        Reply::BareOk => Answer::Unexpected("a bare OK status frame, which names no command".into()),
    }
}

/// A wait as a frame's TIMEOUT byte: whole seconds, rounded up, 1–255.
fn timeout_byte(wait: Duration) -> u8 {
    let secs = wait.as_secs().saturating_add(u64::from(wait.subsec_nanos() > 0));
    u8::try_from(secs.max(1)).unwrap_or(u8::MAX)
}

/// `now + wait`, with `wait` capped at [`MAX_WAIT`] so no configuration can overflow it.
fn deadline_after(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait.min(MAX_WAIT)).unwrap_or(now)
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

    /// Sends `code` with `data` and returns the reader's successful answer to it. The frame's
    /// TIMEOUT byte is the command's fixed one, else `wait` (or the configured timeout) in whole
    /// seconds, 1–255. See [`request_with`](Self::request_with).
    pub fn request(
        &mut self,
        code: CommandCode,
        data: Vec<u8>,
        wait: Option<Duration>,
    ) -> Result<FrameBody, SessionError> {
        let wait = wait.unwrap_or(self.config.command_timeout);
        self.request_with(code, timeout_byte(wait), data, Some(wait))
    }

    /// Sends `code` with TIMEOUT `timeout_secs` (the command's fixed TIMEOUT wins) and `data`, and
    /// returns the reader's successful answer to it. `wait` (or the configured timeout) bounds each
    /// wait; retries and polling together never exceed `wait × (max_retries + 1)`.
    ///
    /// Only a frame that names this command (CMD/SUB), or an error type, which answers whatever
    /// is pending, is taken as the answer; a late answer to an earlier command and display
    /// updates are skipped. A bare OK, an unknown answer type, or an answer naming a command
    /// keybridge never sends is [`SessionError::UnexpectedReply`].
    ///
    /// "Still working" (0x23) is answered with the poll frame, never by sending the command
    /// again; silence after it ends the request with [`SessionError::NoResponse`]. Commands that
    /// do not change keys are re-sent after a lost, corrupted or unexpected answer (when the
    /// reader is not working on them). For a key load, such an answer ends the request at once
    /// with an error whose [`outcome_unknown`](SessionError::outcome_unknown) is true: only the
    /// slot's KCV can settle it, and that is the loader's job.
    pub fn request_with(
        &mut self,
        code: CommandCode,
        timeout_secs: u8,
        data: Vec<u8>,
        wait: Option<Duration>,
    ) -> Result<FrameBody, SessionError> {
        let wait = wait.unwrap_or(self.config.command_timeout).min(MAX_WAIT);
        let request = code.frame(timeout_secs, data);
        let overall = deadline_after(wait.saturating_mul(self.config.max_retries.saturating_add(1)));
        let mut failures = 0u32;
        let mut last_problem = None;
        let mut in_progress = false;
        // Anything still buffered belongs to an earlier exchange.
        self.codec.reset();
        self.send(&request)?;
        loop {
            let deadline = deadline_after(wait).min(overall);
            let problem = match self.read_frame(deadline) {
                Ok(frame) => match classify(code, Reply::from_frame(frame)) {
                    Answer::Ours(body) => return Ok(body),
                    Answer::Failed(status) => return Err(SessionError::Reader(status)),
                    Answer::NotOurs => continue,
                    Answer::InProgress => {
                        if deadline_after(self.config.poll_interval) >= overall {
                            return Err(SessionError::NoResponse);
                        }
                        in_progress = true;
                        self.pause(self.config.poll_interval)?;
                        self.send(&poll_frame())?;
                        continue;
                    }
                    Answer::Unexpected(what) => Some(SessionError::UnexpectedReply {
                        command: code.name,
                        what,
                    }),
                },
                Err(Wait::Fatal(e)) => return Err(e),
                Err(Wait::Lost) => None,
                Err(Wait::Bad(e)) => Some(SessionError::Protocol(e)),
            };
            last_problem = problem.or(last_problem);
            failures += 1;
            // While the reader works on the command, sending it again is what the SDK never does.
            if in_progress || code.changes_keys() || failures > self.config.max_retries || Instant::now() >= overall {
                return Err(last_problem.unwrap_or(SessionError::NoResponse));
            }
            self.codec.reset();
            self.send(&request)?;
        }
    }

    /// Tells the transport whether a KSN frame will follow the next load (see
    /// [`Transport::announce_ksn`]).
    pub fn announce_ksn(&mut self, ksn: Option<&[u8]>) {
        self.transport.announce_ksn(ksn);
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
        let end = deadline_after(duration);
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

    fn read_frame(&mut self, deadline: Instant) -> Result<Frame, Wait> {
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
    use crate::device::answer::{TYPE_IN_PROGRESS as TYPE_BUSY, TYPE_OK};
    use crate::device::command::{
        DEVICE_INFO, DeviceInfo, GET_CHECK_VALUE as GET_KCV, LOAD_TR31, POLL_TIMEOUT, TR31_CHUNK, TYPE_POLL,
    };
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
        for poll in &seen[1..] {
            assert_eq!(*poll, Frame::new(TYPE_POLL, 0, 0, POLL_TIMEOUT, vec![]));
        }
    }

    #[test]
    fn a_lost_load_answer_ends_the_request_unresolved_without_a_poll_or_a_resend() {
        let (host, dev) = memory_pair();
        let sim = reader(dev, |i, _| if i == 0 { vec![] } else { ok(LOAD_TR31, &[]) });
        let mut s = Session::new(Box::new(host), config());
        let err = s.request(LOAD_TR31, vec![0], None).unwrap_err();
        assert!(err.outcome_unknown(), "{err}");
        s.close();
        assert_eq!(
            sim.join().unwrap().len(),
            1,
            "nothing after the load: no poll, no resend"
        );
    }

    fn encoded(frame: Frame) -> Vec<u8> {
        FrameCodec::default().encode(&frame).unwrap()
    }

    /// Answers that do not answer a key load: each leaves its outcome unknown, never success.
    #[test]
    fn only_an_answer_naming_the_load_answers_it() {
        let not_answers: [(&str, Vec<u8>); 4] = [
            ("bare OK", encoded(Frame::status(TYPE_OK))),
            ("an unknown type", encoded(Frame::status(0x36))),
            ("command byte 0", encoded(Frame::new(TYPE_OK, 0, 0, 0, vec![]))),
            (
                "an earlier device-info answer",
                ok(DEVICE_INFO, &DeviceInfo::encode(&[1], &[2], &[])),
            ),
        ];
        for (what, answer) in not_answers {
            let (host, dev) = memory_pair();
            let _sim = reader(dev, move |_, _| answer.clone());
            let mut s = Session::new(Box::new(host), config());
            let err = s.request(LOAD_TR31, vec![0], None).unwrap_err();
            assert!(err.outcome_unknown(), "{what}: {err}");
        }
    }

    /// A stale answer is skipped, and the command's own answer after it is taken.
    #[test]
    fn a_late_answer_to_an_earlier_command_is_skipped() {
        let (host, dev) = memory_pair();
        let _sim = reader(dev, |_, _| {
            let mut bytes = ok(GET_KCV, &[9, 9, 9]);
            bytes.extend(ok(DEVICE_INFO, &[1, 2, 1, 3]));
            bytes
        });
        let mut s = Session::new(Box::new(host), config());
        assert_eq!(s.request(DEVICE_INFO, vec![], None).unwrap().data, vec![1, 2, 1, 3]);
    }

    /// A bare OK to a query is retried like a corrupted answer, then named in the error.
    #[test]
    fn a_bare_ok_to_a_query_is_an_unexpected_reply() {
        let (host, dev) = memory_pair();
        let sim = reader(dev, |_, _| encoded(Frame::status(TYPE_OK)));
        let mut s = Session::new(Box::new(host), config());
        let err = s.request(GET_KCV, vec![0], None).unwrap_err();
        assert!(
            matches!(&err, SessionError::UnexpectedReply { what, .. } if what.contains("bare OK")),
            "{err}"
        );
        s.close();
        assert_eq!(sim.join().unwrap().len(), 3, "sent once and retried twice");
    }

    /// A chunk is answered with an OK naming it; after "still working" the command is never sent
    /// again, and silence after a poll is NO_RESPONSE.
    #[test]
    fn in_progress_is_polled_never_resent() {
        let (host, dev) = memory_pair();
        let sim = reader(dev, |i, _| {
            if i == 0 {
                encoded(Frame::status(TYPE_BUSY))
            } else {
                vec![]
            }
        });
        let mut s = Session::new(Box::new(host), config());
        assert_eq!(
            s.request(TR31_CHUNK, vec![0, 0, b'D'], None),
            Err(SessionError::NoResponse)
        );
        s.close();
        let seen = sim.join().unwrap();
        assert_eq!(seen.len(), 2, "the command, then one poll: {seen:?}");
        assert_eq!(seen[1].kind, TYPE_POLL);
        assert_eq!(seen[0].body.as_ref().unwrap().param, 60, "the chunk's fixed TIMEOUT");
    }

    #[test]
    fn a_reader_timeout_answer_is_timeout_and_silence_is_no_response() {
        let (host, dev) = memory_pair();
        let _sim = reader(dev, |_, _| encoded(Frame::status(0x25)));
        let mut s = Session::new(Box::new(host), config());
        assert_eq!(
            s.request(DEVICE_INFO, vec![], None),
            Err(SessionError::Reader(ReaderStatus::Timeout))
        );
        assert_eq!(timeout_byte(Duration::from_millis(150)), 1);
        assert_eq!(timeout_byte(Duration::from_millis(5000)), 5);
        assert_eq!(timeout_byte(Duration::from_secs(1000)), 255);
    }

    /// Retry counts and timeouts from a foreign caller cannot overflow the deadline arithmetic.
    #[test]
    fn extreme_retry_counts_and_timeouts_do_not_overflow() {
        let (host, dev) = memory_pair();
        let _sim = reader(dev, |_, _| ok(DEVICE_INFO, &[0, 0]));
        let mut s = Session::new(
            Box::new(host),
            SessionConfig {
                command_timeout: Duration::MAX,
                max_retries: u32::MAX,
                poll_interval: Duration::MAX,
                ..config()
            },
        );
        assert!(s.request(DEVICE_INFO, vec![], Some(Duration::MAX)).is_ok());
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
