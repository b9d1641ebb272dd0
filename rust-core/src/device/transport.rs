//! Byte transports to a reader: serial (USB CDC-ACM, UART, a pty), TCP, an in-memory pair for
//! tests, and an adapter for transports written in Kotlin/Swift (Bluetooth SPP, BLE, USB on a
//! phone). All blocking; a read waits at most its timeout so that sessions can check deadlines
//! and cancellation between reads.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

#[cfg(feature = "serial")]
pub use serialport::{DataBits, FlowControl, Parity, StopBits};

/// A blocking byte stream to a reader.
pub trait Transport: Send {
    /// Reads at least 1 and at most `buf.len()` bytes, waiting at most `timeout`.
    /// `Err(TimedOut)` when nothing arrived in time; `Err(Closed)` on EOF or when the peer is gone.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError>;
    /// Writes all of `data`.
    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError>;
    /// Closes the stream; later reads and writes fail with `Closed`.
    fn close(&mut self) -> Result<(), TransportError>;
    /// Told before a key load is written: the KSN (bytes) of the KSN frame that follows a
    /// successful load, or `None` when none follows. Byte streams ignore it; a transport that
    /// drives another SDK, whose one call sends both frames (`updateKeyByTR_31(idx, ksn, block)`),
    /// needs to know before the load.
    fn announce_ksn(&mut self, _ksn: Option<&[u8]>) {}
}

/// Why a transport operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("nothing arrived from the reader within the timeout")]
    TimedOut,
    #[error("the connection to the reader is closed")]
    Closed,
    #[error("I/O error talking to the reader: {0}")]
    Io(String),
}

impl From<io::Error> for TransportError {
    fn from(error: io::Error) -> Self {
        use io::ErrorKind::*;
        match error.kind() {
            TimedOut | WouldBlock => Self::TimedOut,
            BrokenPipe | ConnectionReset | ConnectionAborted | UnexpectedEof | NotConnected => Self::Closed,
            _ => Self::Io(error.to_string()),
        }
    }
}

#[cfg(feature = "serial")]
/// Serial line settings. Default: 115200 baud, 8N1, no flow control, exclusive access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialConfig {
    pub baud_rate: u32,
    pub parity: Parity,
    pub flow_control: FlowControl,
    pub data_bits: DataBits,
    pub stop_bits: StopBits,
    /// Lock the port against other openers (TIOCEXCL on Unix).
    pub exclusive: bool,
}

#[cfg(feature = "serial")]
impl Default for SerialConfig {
    fn default() -> Self {
        Self {
            baud_rate: 115_200,
            parity: Parity::None,
            flow_control: FlowControl::None,
            data_bits: DataBits::Eight,
            stop_bits: StopBits::One,
            exclusive: true,
        }
    }
}

#[cfg(feature = "serial")]
/// A serial port (also a pty slave, which is how the simulator is reached).
pub struct SerialTransport {
    port: Option<Box<dyn serialport::SerialPort>>,
}

#[cfg(feature = "serial")]
impl SerialTransport {
    pub fn open(path: &str, config: &SerialConfig) -> Result<Self, TransportError> {
        let builder = serialport::new(path, config.baud_rate)
            .parity(config.parity)
            .flow_control(config.flow_control)
            .data_bits(config.data_bits)
            .stop_bits(config.stop_bits)
            .timeout(Duration::from_millis(100));
        #[cfg(unix)]
        let port: Box<dyn serialport::SerialPort> = {
            let mut port = serialport::TTYPort::open(&builder).map_err(|e| open_error(path, e))?;
            port.set_exclusive(config.exclusive).map_err(|e| open_error(path, e))?;
            Box::new(port)
        };
        #[cfg(not(unix))]
        let port = builder.open().map_err(|e| open_error(path, e))?;
        Ok(Self::from_port(port))
    }

    /// Wraps an already open port (the simulator wraps its pty master this way).
    pub fn from_port(port: Box<dyn serialport::SerialPort>) -> Self {
        Self { port: Some(port) }
    }

    fn port(&mut self) -> Result<&mut Box<dyn serialport::SerialPort>, TransportError> {
        self.port.as_mut().ok_or(TransportError::Closed)
    }
}

#[cfg(feature = "serial")]
fn open_error(path: &str, error: serialport::Error) -> TransportError {
    TransportError::Io(format!("cannot open serial port {path}: {error}"))
}

#[cfg(feature = "serial")]
impl Transport for SerialTransport {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let port = self.port()?;
        port.set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(|e| TransportError::Io(e.to_string()))?;
        match port.read(buf) {
            Ok(0) => Err(TransportError::Closed),
            Ok(n) => Ok(n),
            // A pty whose other side is gone reads EIO on Linux.
            Err(e) if e.raw_os_error() == Some(5) => Err(TransportError::Closed),
            Err(e) => Err(e.into()),
        }
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        let port = self.port()?;
        port.set_timeout(Duration::from_secs(5))
            .map_err(|e| TransportError::Io(e.to_string()))?;
        Write::write_all(port, data).map_err(Into::into)
    }

    fn close(&mut self) -> Result<(), TransportError> {
        self.port = None;
        Ok(())
    }
}

/// A TCP connection (readers behind a serial-to-TCP bridge, and the simulator's TCP mode).
pub struct TcpTransport {
    stream: Option<TcpStream>,
}

impl TcpTransport {
    /// Connects to `addr` (`host:port`), trying each resolved address for at most `timeout`.
    pub fn connect(addr: &str, timeout: Duration) -> Result<Self, TransportError> {
        let addrs = addr
            .to_socket_addrs()
            .map_err(|e| TransportError::Io(format!("cannot resolve {addr}: {e}")))?;
        let mut last = TransportError::Io(format!("{addr} resolves to no address"));
        for a in addrs {
            match TcpStream::connect_timeout(&a, timeout.max(Duration::from_millis(1))) {
                Ok(stream) => return Self::from_stream(stream),
                Err(e) => last = TransportError::Io(format!("cannot connect to {a}: {e}")),
            }
        }
        Err(last)
    }

    /// Wraps a connected stream (the simulator wraps accepted connections this way).
    pub fn from_stream(stream: TcpStream) -> Result<Self, TransportError> {
        stream.set_nodelay(true)?;
        Ok(Self { stream: Some(stream) })
    }

    fn stream(&mut self) -> Result<&mut TcpStream, TransportError> {
        self.stream.as_mut().ok_or(TransportError::Closed)
    }
}

impl Transport for TcpTransport {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let stream = self.stream()?;
        stream.set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        match stream.read(buf) {
            Ok(0) => Err(TransportError::Closed),
            Ok(n) => Ok(n),
            Err(e) => Err(e.into()),
        }
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        Write::write_all(self.stream()?, data).map_err(Into::into)
    }

    fn close(&mut self) -> Result<(), TransportError> {
        if let Some(stream) = self.stream.take() {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        Ok(())
    }
}

/// One end of an in-memory duplex pair (see [`memory_pair`]).
pub struct MemoryTransport {
    tx: Option<Sender<Vec<u8>>>,
    rx: Receiver<Vec<u8>>,
    pending: Vec<u8>,
}

/// Two connected in-memory transports: what one writes, the other reads.
pub fn memory_pair() -> (MemoryTransport, MemoryTransport) {
    let (a_tx, b_rx) = mpsc::channel();
    let (b_tx, a_rx) = mpsc::channel();
    let end = |tx, rx| MemoryTransport {
        tx: Some(tx),
        rx,
        pending: Vec::new(),
    };
    (end(a_tx, a_rx), end(b_tx, b_rx))
}

impl Transport for MemoryTransport {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        if self.pending.is_empty() {
            if self.tx.is_none() {
                return Err(TransportError::Closed);
            }
            self.pending = match self.rx.recv_timeout(timeout) {
                Ok(chunk) => chunk,
                Err(RecvTimeoutError::Timeout) => return Err(TransportError::TimedOut),
                Err(RecvTimeoutError::Disconnected) => return Err(TransportError::Closed),
            };
        }
        Ok(take_front(&mut self.pending, buf))
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        let tx = self.tx.as_ref().ok_or(TransportError::Closed)?;
        if data.is_empty() {
            return Ok(());
        }
        tx.send(data.to_vec()).map_err(|_| TransportError::Closed)
    }

    fn close(&mut self) -> Result<(), TransportError> {
        self.tx = None;
        Ok(())
    }
}

/// Moves up to `buf.len()` bytes from the front of `pending` into `buf`.
fn take_front(pending: &mut Vec<u8>, buf: &mut [u8]) -> usize {
    let n = pending.len().min(buf.len());
    buf[..n].copy_from_slice(&pending[..n]);
    pending.drain(..n);
    n
}

/// A transport implemented outside Rust (Kotlin/Swift over Bluetooth SPP, BLE, USB). `&self` and
/// owned buffers so that an FFI foreign trait can implement it directly.
pub trait ForeignTransport: Send + Sync {
    /// Up to `max_len` bytes; an EMPTY vector means nothing arrived within `timeout_ms`.
    fn read(&self, max_len: u32, timeout_ms: u32) -> Result<Vec<u8>, TransportError>;
    fn write(&self, data: Vec<u8>) -> Result<(), TransportError>;
    fn close(&self);
}

/// Makes any [`ForeignTransport`] a [`Transport`]. Bytes beyond what the caller asked for (a
/// foreign side that ignores `max_len`) are kept for the next read rather than lost.
pub struct ForeignTransportAdapter {
    inner: Arc<dyn ForeignTransport>,
    pending: Vec<u8>,
}

impl ForeignTransportAdapter {
    pub fn new(inner: Arc<dyn ForeignTransport>) -> Self {
        Self {
            inner,
            pending: Vec::new(),
        }
    }
}

impl Transport for ForeignTransportAdapter {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        if self.pending.is_empty() {
            let max_len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
            let timeout_ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX).max(1);
            self.pending = self.inner.read(max_len, timeout_ms)?;
            if self.pending.is_empty() {
                return Err(TransportError::TimedOut);
            }
        }
        Ok(take_front(&mut self.pending, buf))
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        self.inner.write(data.to_vec())
    }

    fn close(&mut self) -> Result<(), TransportError> {
        self.inner.close();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(all(unix, feature = "serial"))]
    use serialport::SerialPort;
    use std::sync::Mutex;

    #[test]
    fn memory_pair_is_duplex_and_reports_close() {
        let (mut a, mut b) = memory_pair();
        a.write_all(b"hello").unwrap();
        let mut buf = [0u8; 3];
        assert_eq!(b.read(&mut buf, Duration::from_millis(10)), Ok(3));
        assert_eq!(&buf, b"hel");
        assert_eq!(b.read(&mut buf, Duration::from_millis(10)), Ok(2));
        assert_eq!(
            b.read(&mut buf, Duration::from_millis(10)),
            Err(TransportError::TimedOut)
        );
        b.write_all(b"x").unwrap();
        assert_eq!(a.read(&mut buf, Duration::from_millis(10)), Ok(1));
        a.close().unwrap();
        assert_eq!(b.read(&mut buf, Duration::from_millis(10)), Err(TransportError::Closed));
        assert_eq!(a.write_all(b"x"), Err(TransportError::Closed));
    }

    /// A foreign transport that hands out scripted reads, ignoring `max_len` on purpose.
    struct Scripted(Mutex<Vec<Vec<u8>>>, Mutex<Vec<u8>>);

    impl ForeignTransport for Scripted {
        fn read(&self, _max_len: u32, _timeout_ms: u32) -> Result<Vec<u8>, TransportError> {
            let mut reads = self.0.lock().unwrap();
            if reads.is_empty() {
                return Err(TransportError::Closed);
            }
            Ok(reads.remove(0))
        }
        fn write(&self, data: Vec<u8>) -> Result<(), TransportError> {
            self.1.lock().unwrap().extend(data);
            Ok(())
        }
        fn close(&self) {}
    }

    #[test]
    fn foreign_adapter_maps_empty_reads_to_timeouts_and_keeps_excess_bytes() {
        let foreign = Arc::new(Scripted(Mutex::new(vec![vec![], vec![1, 2, 3, 4]]), Mutex::new(vec![])));
        let mut t = ForeignTransportAdapter::new(foreign.clone());
        let mut buf = [0u8; 2];
        assert_eq!(
            t.read(&mut buf, Duration::from_millis(1)),
            Err(TransportError::TimedOut)
        );
        assert_eq!(t.read(&mut buf, Duration::from_millis(1)), Ok(2));
        assert_eq!(t.read(&mut buf, Duration::from_millis(1)), Ok(2));
        assert_eq!(buf, [3, 4]);
        assert_eq!(t.read(&mut buf, Duration::from_millis(1)), Err(TransportError::Closed));
        t.write_all(&[9]).unwrap();
        assert_eq!(*foreign.1.lock().unwrap(), vec![9]);
    }

    #[test]
    fn tcp_transport_times_out_reads_and_sees_the_peer_close() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let mut t = TcpTransport::connect(&addr, Duration::from_secs(1)).unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(
            t.read(&mut buf, Duration::from_millis(10)),
            Err(TransportError::TimedOut)
        );
        peer.write_all(b"ok").unwrap();
        assert_eq!(t.read(&mut buf, Duration::from_secs(1)), Ok(2));
        drop(peer);
        assert_eq!(t.read(&mut buf, Duration::from_secs(1)), Err(TransportError::Closed));
    }

    #[cfg(all(unix, feature = "serial"))]
    #[test]
    fn serial_transport_works_on_a_pty() {
        let (master, slave) = serialport::TTYPort::pair().unwrap();
        let path = slave.name().unwrap();
        let mut host = SerialTransport::open(&path, &SerialConfig::default()).unwrap();
        let mut reader = SerialTransport::from_port(Box::new(master));
        host.write_all(&[0x4D, 0x00, 0x0A, 0x0D]).unwrap();
        let mut buf = [0u8; 8];
        let mut got = Vec::new();
        while got.len() < 4 {
            let n = reader.read(&mut buf, Duration::from_secs(1)).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, [0x4D, 0x00, 0x0A, 0x0D], "raw mode: no CR/LF translation");
        assert_eq!(
            host.read(&mut buf, Duration::from_millis(10)),
            Err(TransportError::TimedOut)
        );
        drop(slave);
    }
}
