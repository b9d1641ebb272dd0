//! The AWS Payment Cryptography control-plane emulator.
