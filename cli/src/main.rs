//! `keybridge`: TR-31 key blocks, key check values, readers and AWS Payment Cryptography from
//! the command line. Each subcommand lives in its own module; this file only dispatches and turns
//! errors into one line on stderr and a non-zero exit.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod audit_cmd;
mod aws_cmd;
mod demo_cmd;
mod device_cmd;
mod devices_cmd;
mod emulator_cmd;
mod fleet_demo;
mod kcv_cmd;
mod load_cmd;
mod output;
mod profiles_cmd;
mod provision_cmd;
mod serve_cmd;
mod service_args;
mod simulate_cmd;
mod tokens_cmd;
mod tr31_cmd;
mod tr34_cmd;

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
    /// Inspect and unwrap TR-34 key tokens (a reader's own KEK from AWS).
    #[command(subcommand)]
    Tr34(tr34_cmd::Tr34Command),
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
    /// End-to-end demo: AWS emulator + reader simulator sharing a KEK; create, export, load, compare KCVs.
    /// With --fleet N: the key service provisions N readers at once.
    Demo(DemoArgs),
    /// Provision the connected reader from the key service: its keys, loaded and reported.
    Provision(provision_cmd::ProvisionArgs),
    /// Run the key service: devices fetch their keys over HTTPS; AWS credentials stay here.
    Serve(serve_cmd::ServeArgs),
    /// The key service's device registry.
    #[command(subcommand)]
    Devices(devices_cmd::DevicesCommand),
    /// The key service's bearer tokens.
    #[command(subcommand)]
    Tokens(tokens_cmd::TokensCommand),
    /// The key service's profiles and their key generations (rotation).
    #[command(subcommand)]
    Profiles(profiles_cmd::ProfilesCommand),
    /// Read the key service's audit trail.
    Audit(audit_cmd::AuditArgs),
}

#[derive(clap::Args)]
struct DemoArgs {
    /// Instead: the AWS emulator, the key service on SQLite and N reader simulators; every reader
    /// gets a PIN key and its own DUKPT initial key through the service (default 20).
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "20")]
    fleet: Option<usize>,
    /// With --fleet: then rotate the fleet's profile to new keys, list the stale readers,
    /// provision them again and check none is left stale.
    #[arg(long, requires = "fleet")]
    rotate: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tr31(command) => tr31_cmd::run(command),
        Command::Tr34(command) => tr34_cmd::run(command),
        Command::Kcv(args) => kcv_cmd::run(args),
        Command::Aws(command) => aws_cmd::run(command),
        Command::AwsEmulator(args) => emulator_cmd::run(args),
        Command::Load(args) => load_cmd::run(args),
        Command::Device(command) => device_cmd::run(command),
        Command::Simulate(args) => simulate_cmd::run(args),
        Command::Demo(DemoArgs { fleet: None, .. }) => demo_cmd::run(),
        Command::Demo(DemoArgs {
            fleet: Some(size),
            rotate,
        }) => fleet_demo::run(size, rotate),
        Command::Provision(args) => provision_cmd::run(args),
        Command::Serve(args) => serve_cmd::run(args),
        Command::Devices(command) => devices_cmd::run(command),
        Command::Tokens(command) => tokens_cmd::run(command),
        Command::Profiles(command) => profiles_cmd::run(command),
        Command::Audit(args) => audit_cmd::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("keybridge: {error}");
            ExitCode::FAILURE
        }
    }
}
