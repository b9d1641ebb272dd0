//! One `send_tr31_key` round trip (parse, policy, factory-KBPK check, load, KCV read, compare)
//! against the reader simulator over a pty and over TCP; the frame codec alone; and a raw echo of
//! the load frame's bytes over the same transport, the floor any protocol on that link pays.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use keybridge::device::command::{self, LOAD_TR31};
use keybridge::device::frame::FrameCodec;
use keybridge::device::transport::{SerialConfig, SerialTransport, TcpTransport, Transport};
use keybridge::loader::{KeyLoader, LoaderConfig};
use keybridge_e2e::{WORKING_KEY, kek, p0_block};
use keybridge_testkit::simulator::{self, SimulatorConfig};

fn load_frame_bytes(block: &str) -> Vec<u8> {
    FrameCodec::default()
        .encode(&LOAD_TR31.frame(5, command::load_tr31_data(0, block)))
        .unwrap()
}

fn codec(c: &mut Criterion, block: &str) {
    let bytes = load_frame_bytes(block);
    c.bench_function("codec/encode+decode load frame", |b| {
        let mut codec = FrameCodec::default();
        b.iter(|| {
            let encoded = codec
                .encode(&LOAD_TR31.frame(5, command::load_tr31_data(0, block)))
                .unwrap();
            codec.push(&encoded);
            codec.next_frame().unwrap().unwrap()
        })
    });
    c.bench_function("codec/decode load frame byte by byte", |b| {
        let mut codec = FrameCodec::default();
        b.iter(|| {
            for byte in &bytes {
                codec.push(std::slice::from_ref(byte));
            }
            codec.next_frame().unwrap().unwrap()
        })
    });
}

fn send_tr31(c: &mut Criterion, block: &str) {
    let sim = simulator::start_pty(SimulatorConfig::with_kek(kek())).unwrap();
    let mut loader = KeyLoader::open_serial(sim.endpoint(), &SerialConfig::default(), LoaderConfig::default()).unwrap();
    c.bench_function("send_tr31_key/pty", |b| b.iter(|| loader.send_tr31_key(block).unwrap()));

    let sim = simulator::start_tcp("127.0.0.1:0", SimulatorConfig::with_kek(kek())).unwrap();
    let mut loader = KeyLoader::open_tcp(sim.endpoint(), LoaderConfig::default()).unwrap();
    c.bench_function("send_tr31_key/tcp", |b| b.iter(|| loader.send_tr31_key(block).unwrap()));
}

/// Writes `bytes` and reads the same number back from an echoing peer.
fn echo_once(host: &mut dyn Transport, bytes: &[u8], buf: &mut [u8]) {
    host.write_all(bytes).unwrap();
    let mut got = 0;
    while got < bytes.len() {
        got += host.read(&mut buf[got..], Duration::from_secs(1)).unwrap();
    }
}

/// Runs `peer` as an echo loop until `stop`.
fn echo_peer(mut peer: Box<dyn Transport>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while !stop.load(Ordering::SeqCst) {
            match peer.read(&mut buf, Duration::from_millis(20)) {
                Ok(n) => peer.write_all(&buf[..n]).unwrap(),
                Err(keybridge::device::transport::TransportError::TimedOut) => {}
                Err(_) => return,
            }
        }
    })
}

fn raw_echo(c: &mut Criterion, block: &str) {
    let bytes = load_frame_bytes(block);
    let mut buf = vec![0u8; bytes.len()];

    let stop = Arc::new(AtomicBool::new(false));
    let (master, slave) = serialport::TTYPort::pair().unwrap();
    let path = serialport::SerialPort::name(&slave).unwrap();
    let peer = echo_peer(Box::new(SerialTransport::from_port(Box::new(master))), stop.clone());
    let mut host = SerialTransport::open(&path, &SerialConfig::default()).unwrap();
    c.bench_function("raw_echo/pty", |b| b.iter(|| echo_once(&mut host, &bytes, &mut buf)));
    stop.store(true, Ordering::SeqCst);
    peer.join().unwrap();
    drop(slave);

    let stop = Arc::new(AtomicBool::new(false));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut host = TcpTransport::connect(&addr, Duration::from_secs(1)).unwrap();
    let peer = TcpTransport::from_stream(listener.accept().unwrap().0).unwrap();
    let peer = echo_peer(Box::new(peer), stop.clone());
    c.bench_function("raw_echo/tcp", |b| b.iter(|| echo_once(&mut host, &bytes, &mut buf)));
    stop.store(true, Ordering::SeqCst);
    peer.join().unwrap();
}

fn benches(c: &mut Criterion) {
    let block = p0_block(kek().as_bytes(), &WORKING_KEY, true);
    codec(c, &block);
    send_tr31(c, &block);
    raw_echo(c, &block);
}

criterion_group!(device, benches);
criterion_main!(device);
