//! `keybridge`: TR-31 key blocks, key check values, readers and AWS Payment Cryptography from
//! the command line. Each subcommand lives in its own module; this file only dispatches and turns
//! errors into one line on stderr and a non-zero exit.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod aws_cmd;
mod demo_cmd;
mod device_cmd;
mod emulator_cmd;
mod kcv_cmd;
mod load_cmd;
mod output;
mod simulate_cmd;
mod tr31_cmd;

#[derive(Parser)]
#[command(
    name = "keybridge",
    version,
    about = "Move TR-31 payment keys from AWS Payment Cryptography into Dspread readers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inspect, unwrap and wrap TR-31 key blocks.
    #[command(subcommand)]
    Tr31(tr31_cmd::Tr31Command),
    /// Compute a key check value.
    Kcv(kcv_cmd::KcvArgs),
    /// AWS Payment Cryptography: export keys as validated TR-31 key blocks.
    #[command(subcommand)]
    Aws(aws_cmd::AwsCommand),
    /// Run the AWS Payment Cryptography emulator on 127.0.0.1 until killed.
    AwsEmulator(emulator_cmd::EmulatorArgs),
    /// Export a key from AWS under the reader's KEK, load it into the reader, compare KCVs.
    Load(load_cmd::LoadArgs),
    /// Talk to a Dspread reader: device info, load a TR-31 key block, read a slot's KCV.
    #[command(subcommand)]
    Device(device_cmd::DeviceCommand),
    /// Run the reader simulator on a pty or a TCP port.
    Simulate(simulate_cmd::SimulateArgs),
    /// End-to-end demo: simulator on a pty, wrap a key under its KEK, load it, verify the KCV.
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tr31(command) => tr31_cmd::run(command),
        Command::Kcv(args) => kcv_cmd::run(args),
        Command::Aws(command) => aws_cmd::run(command),
        Command::AwsEmulator(args) => emulator_cmd::run(args),
        Command::Load(args) => load_cmd::run(args),
        Command::Device(command) => device_cmd::run(command),
        Command::Simulate(args) => simulate_cmd::run(args),
        Command::Demo => demo_cmd::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("keybridge: {error}");
            ExitCode::FAILURE
        }
    }
}
