//! The Dspread QPOS reader simulator: a real program speaking the reader's framing over a pty
//! (clients open the printed slave path), TCP (clients connect to the printed port) or an
//! in-memory pair. It holds a KEK per slot (the factory KBPK unless told otherwise), unwraps
//! incoming blocks with the rules a reader applies, stores keys in [`SecretBytes`] and answers
//! check-value reads with the KCV of the key it stored. Faults can be injected ([`Faults`]).
//!
//! It speaks exactly what the vendor's Android SDK sends ([`facts`]) and keeps a **deviation
//! log**: every received frame a real reader would not accept, with the fact it breaks
//! ([`SimulatorHandle::deviations`]). A handle whose log is not empty panics when dropped (unless
//! configured otherwise), so every test that drives the simulator asserts 0 deviations.
//!
//! Each simulator runs on its own thread; the returned [`SimulatorHandle`] stops it on drop and
//! lets tests look at what the reader really stored.

pub mod facts;
mod reader;
mod serve;

use std::io;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use keybridge::SecretBytes;
use keybridge::device::answer::ReaderStatus;
use keybridge::device::frame::DEFAULT_MAX_FRAME_LEN;
use keybridge::device::transport::{MemoryTransport, SerialTransport, TcpTransport, memory_pair};
use keybridge::loader::FACTORY_KBPK;

pub use facts::{Deviation, Fact};
use reader::Reader;
pub use reader::StoredKey;
use serve::{End, serve};

/// Number of key slots (indexes 0–9).
pub const SLOT_COUNT: usize = 10;

/// Faults to inject. Counts are consumed across the simulator's life: `drop_responses: 1` drops
/// the first answer only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Carry out the next N commands but send no answer.
    pub drop_responses: u32,
    /// Send the next N answers with a wrong checksum.
    pub corrupt_responses: u32,
    /// Wait this long before every answer.
    pub delay: Duration,
    /// Answer "still working" (0x23) N times over the simulator's life before giving results;
    /// polls (0x22) fetch the result.
    pub busy: u32,
    /// A slow reader: answer every command "still working" (0x23) N times (the command and the
    /// polls after it) before its result.
    pub slow: u32,
    /// Answer every key load with this status and store nothing.
    pub status: Option<ReaderStatus>,
    /// Cut the line in the middle of the next answer.
    pub disconnect_mid_frame: bool,
    /// Send this many garbage bytes before the next answer.
    pub garbage_first: usize,
    /// Answer key loads with this lie and store nothing.
    pub false_answer: Option<FalseAnswer>,
    /// How many key loads get `false_answer` (`None`: every one).
    pub false_answer_limit: Option<u32>,
    /// Report every KCV cut to this many bytes.
    pub short_kcv: Option<usize>,
}

/// Answers a misbehaving reader (firmware bug, a line that repeats frames, a hostile device)
/// gives to a key load it did not carry out. None of them may ever become a reported success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FalseAnswer {
    /// A bare OK status frame (TYPE 0x24, no body): "OK" to nothing in particular.
    BareOk,
    /// "Continue" (0x36), as if the load were a chunk.
    Continue,
    /// An OK frame whose command byte is 0.
    WrongCommand,
    /// Busy, then a poll answered with the answer to the command before the load.
    StalePoll,
    /// A proper OK to the load (the slot keeps its previous key, if any).
    OkWithoutStoring,
}

/// Names of the false answers (CLI `--false-answer`), one row each.
pub const FALSE_ANSWER_NAMES: [(&str, FalseAnswer); 5] = [
    ("bare-ok", FalseAnswer::BareOk),
    ("continue", FalseAnswer::Continue),
    ("wrong-command", FalseAnswer::WrongCommand),
    ("stale-poll", FalseAnswer::StalePoll),
    ("ok-without-storing", FalseAnswer::OkWithoutStoring),
];

/// Status names for the status fault (CLI `--status`), one row each.
pub const STATUS_NAMES: [(&str, ReaderStatus); 9] = [
    ("mac-error", ReaderStatus::MacError),
    ("not-supported", ReaderStatus::NotSupported),
    ("device-error", ReaderStatus::DeviceError),
    ("timeout", ReaderStatus::Timeout),
    ("declined", ReaderStatus::Declined),
    ("cancelled", ReaderStatus::Cancelled),
    ("usage-not-allowed", ReaderStatus::UsageNotAllowed),
    ("version-not-allowed", ReaderStatus::VersionNotAllowed),
    ("invalid-input", ReaderStatus::InvalidInput),
];

/// What a simulated reader starts with.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// KEK of each slot (index = slot).
    pub keks: Vec<SecretBytes>,
    pub faults: Faults,
    pub max_frame_len: usize,
    /// The POS id `device info` reports (a fleet needs one per reader).
    pub pos_id: Vec<u8>,
    /// Panic when the handle is dropped with deviations logged (tests); `false` for programs that
    /// report them themselves (`keybridge simulate`).
    pub panic_on_deviation: bool,
}

/// The POS id a simulator reports unless told otherwise (`3131313131313131`).
pub const DEFAULT_POS_ID: [u8; 8] = [0x31; 8];

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self::with_kek(SecretBytes::from_slice(&FACTORY_KBPK))
    }
}

impl SimulatorConfig {
    /// Every slot under `kek`.
    pub fn with_kek(kek: SecretBytes) -> Self {
        Self {
            keks: vec![kek; SLOT_COUNT],
            faults: Faults::default(),
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            pos_id: DEFAULT_POS_ID.to_vec(),
            panic_on_deviation: true,
        }
    }

    /// Reads a KEK file: one KEK per line, `HEX` for every slot or `N:HEX` for slot N (later
    /// lines win); `#` starts a comment. Errors name the line, never the key.
    pub fn from_kek_file(text: &str) -> Result<Self, String> {
        let mut config = Self::default();
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (slot, hex) = match line.split_once(':') {
                Some((slot, hex)) => {
                    let slot: usize = slot
                        .trim()
                        .parse()
                        .ok()
                        .filter(|s| *s < SLOT_COUNT)
                        .ok_or_else(|| format!("line {}: slot must be 0–9", number + 1))?;
                    (Some(slot), hex)
                }
                None => (None, line),
            };
            let kek = SecretBytes::from_hex(hex).map_err(|e| format!("line {}: {e}", number + 1))?;
            match slot {
                Some(slot) => config.keks[slot] = kek,
                None => config.keks = vec![kek; SLOT_COUNT],
            }
        }
        Ok(config)
    }
}

/// State shared by the simulator thread and its handle.
struct State {
    reader: Reader,
    faults: Faults,
    max_frame_len: usize,
    /// Valid frames received so far.
    frames_received: u64,
    /// "Still working" answers the slow reader still owes the command in progress.
    slow_left: u32,
}

/// A running simulator. Dropping it stops the simulator.
pub struct SimulatorHandle {
    endpoint: String,
    panic_on_deviation: bool,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SimulatorHandle {
    /// The pty slave path, the `127.0.0.1:PORT` address, or `memory`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The legacy KCV of the key last loaded into `slot`, if any: what tests check a reported
    /// success against.
    pub fn slot_kcv(&self, slot: u8) -> Option<Vec<u8>> {
        let state = self.state.lock().ok()?;
        state.reader.slots.get(usize::from(slot))?.last_key()?.kcv()
    }

    /// The KSN (upper-case hex) of the DUKPT key last loaded into `slot`, if any.
    pub fn slot_ksn(&self, slot: u8) -> Option<String> {
        let state = self.state.lock().ok()?;
        state
            .reader
            .slots
            .get(usize::from(slot))?
            .last_ksn()
            .map(hex::encode_upper)
    }

    /// What the reader holds for check value type `ordinal` (the vendor's `CHECKVALUE_KEYTYPE`
    /// ordinal 0–11) in `slot`: a key's KCV or a DUKPT group's KSN.
    pub fn check_value(&self, slot: u8, ordinal: u8) -> Option<Vec<u8>> {
        let state = self.state.lock().ok()?;
        state.reader.slots.get(usize::from(slot))?.check_value(ordinal)
    }

    /// Every received frame a real reader would not accept, so far.
    pub fn deviations(&self) -> Vec<Deviation> {
        self.state
            .lock()
            .map_or_else(|_| Vec::new(), |s| s.reader.deviations.clone())
    }

    /// Stops the simulator and returns its deviation log (never panics over it).
    pub fn finish(mut self) -> Vec<Deviation> {
        self.panic_on_deviation = false;
        self.shutdown();
        self.deviations()
    }

    /// How many valid frames the reader has received: tests use it to prove nothing was sent.
    pub fn frames_received(&self) -> u64 {
        self.state.lock().map_or(0, |s| s.frames_received)
    }

    /// Replaces the faults still to inject.
    pub fn set_faults(&self, faults: Faults) {
        if let Ok(mut state) = self.state.lock() {
            state.faults = faults;
        }
    }

    /// Whether the simulator thread has ended (e.g. after the disconnect fault on a pty).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the simulator and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SimulatorHandle {
    fn drop(&mut self) {
        self.shutdown();
        if self.panic_on_deviation && !std::thread::panicking() {
            let deviations = self.deviations();
            assert!(
                deviations.is_empty(),
                "the reader simulator logged {} deviation(s) from what the vendor SDK sends:\n{}",
                deviations.len(),
                deviations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

fn shared(config: SimulatorConfig) -> (Arc<Mutex<State>>, bool) {
    let state = Arc::new(Mutex::new(State {
        reader: Reader::new(config.keks, config.pos_id),
        faults: config.faults,
        max_frame_len: config.max_frame_len,
        frames_received: 0,
        slow_left: 0,
    }));
    (state, config.panic_on_deviation)
}

fn spawn(
    endpoint: String,
    (state, panic_on_deviation): (Arc<Mutex<State>>, bool),
    run: impl FnOnce(Arc<Mutex<State>>, Arc<AtomicBool>) + Send + 'static,
) -> SimulatorHandle {
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let (state, stop) = (state.clone(), stop.clone());
        std::thread::spawn(move || run(state, stop))
    };
    SimulatorHandle {
        endpoint,
        panic_on_deviation,
        state,
        stop,
        thread: Some(thread),
    }
}

/// Starts a simulator on a new pty; clients open [`SimulatorHandle::endpoint`]. The simulator
/// keeps the slave side open itself, so clients may come and go; the disconnect fault closes
/// the pty for good.
#[cfg(unix)]
pub fn start_pty(config: SimulatorConfig) -> io::Result<SimulatorHandle> {
    use serialport::SerialPort;
    let (master, slave) = serialport::TTYPort::pair().map_err(io::Error::other)?;
    let path = slave
        .name()
        .ok_or_else(|| io::Error::other("the pty has no slave path"))?;
    Ok(spawn(path, shared(config), move |state, stop| {
        let mut transport = SerialTransport::from_port(Box::new(master));
        while !stop.load(Ordering::SeqCst) {
            if serve(&mut transport, &state, &stop) == End::CutMidFrame {
                break;
            }
        }
        drop(slave);
    }))
}

/// Starts a simulator listening on `addr` (e.g. `127.0.0.1:0` for any free port); connections
/// are served one after another, like a single reader.
pub fn start_tcp(addr: &str, config: SimulatorConfig) -> io::Result<SimulatorHandle> {
    let listener = TcpListener::bind(addr)?;
    let endpoint = listener.local_addr()?.to_string();
    listener.set_nonblocking(true)?;
    Ok(spawn(endpoint, shared(config), move |state, stop| {
        while !stop.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((stream, _)) => {
                    let transport = stream
                        .set_nonblocking(false)
                        .ok()
                        .and_then(|()| TcpTransport::from_stream(stream).ok());
                    if let Some(mut transport) = transport {
                        serve(&mut transport, &state, &stop);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(5)),
                Err(_) => return,
            }
        }
    }))
}

/// Starts a simulator on an in-memory pair and returns the host's end.
pub fn start_memory(config: SimulatorConfig) -> (MemoryTransport, SimulatorHandle) {
    let (host, mut device) = memory_pair();
    let handle = spawn("memory".into(), shared(config), move |state, stop| {
        serve(&mut device, &state, &stop);
    });
    (host, handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kek_files_set_every_slot_or_one() {
        let config =
            SimulatorConfig::from_kek_file("# keks\n00112233445566778899AABBCCDDEEFF\n3: 0011223344556677\n").unwrap();
        assert_eq!(config.keks[0].as_bytes()[15], 0xFF);
        assert_eq!(config.keks[3].len(), 8);
        let err = SimulatorConfig::from_kek_file("12:00").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        let err = SimulatorConfig::from_kek_file("ZZ").unwrap_err();
        assert!(!err.contains("ZZ"), "{err}");
    }
}
