//! Real programs that stand in for the outside world in tests, the CLI demo and the JVM tests:
//! a Dspread QPOS reader simulator (pty / TCP / in-memory) and an AWS Payment Cryptography
//! control-plane emulator (HTTP on 127.0.0.1).

pub mod emulator;
pub mod simulator;
