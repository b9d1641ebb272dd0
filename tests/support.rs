//! Helpers shared by the end-to-end tests in this folder.

/// Starting the AWS Payment Cryptography emulator and a real SDK client against it.
#[path = "aws_support.rs"]
pub mod aws;
