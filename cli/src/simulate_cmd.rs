//! `keybridge simulate`: run the reader simulator on a pty or a TCP port until killed or until
//! standard input closes (when it is a pipe or a terminal). At exit it prints its deviation log:
//! `deviations: N`, then one line per frame a real reader would not accept.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use clap::Args;
use keybridge::SecretBytes;
use keybridge_testkit::simulator::{self, FALSE_ANSWER_NAMES, Faults, STATUS_NAMES, SimulatorConfig, SimulatorHandle};

use crate::output::CliResult;

#[derive(Args)]
pub struct SimulateArgs {
    /// Serve on a new pty and print its path.
    #[arg(long, required_unless_present = "tcp", conflicts_with = "tcp")]
    pty: bool,
    /// Serve on 127.0.0.1:PORT (0: any free port) and print `listening on 127.0.0.1:PORT`.
    #[arg(long)]
    tcp: Option<u16>,
    /// KEK of every slot, hex (default: the factory KBPK 0123…3210).
    #[arg(long, conflicts_with = "kek_file")]
    kek: Option<String>,
    /// File of KEKs: `HEX` for every slot or `N:HEX` for slot N, one per line.
    #[arg(long)]
    kek_file: Option<PathBuf>,
    /// The POS id `device info` reports, hex (default 3131313131313131).
    #[arg(long, value_name = "HEX")]
    pos_id: Option<String>,
    #[command(flatten)]
    faults: FaultArgs,
}

/// Fault injection.
#[derive(Args)]
pub struct FaultArgs {
    /// Carry out the first N commands but send no answer.
    #[arg(long, default_value_t = 0)]
    drop: u32,
    /// Send the first N answers with a wrong checksum.
    #[arg(long, default_value_t = 0)]
    corrupt: u32,
    /// Wait this many milliseconds before every answer.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Answer "still working" (0x23) N times first.
    #[arg(long, default_value_t = 0)]
    busy: u32,
    /// A slow reader: answer every command "still working" (0x23) N times before its result.
    #[arg(long, default_value_t = 0)]
    slow: u32,
    /// Answer key loads with this status: mac-error, not-supported, device-error, timeout,
    /// declined, cancelled, usage-not-allowed, version-not-allowed, invalid-input.
    #[arg(long)]
    status: Option<String>,
    /// Cut the line in the middle of the first answer.
    #[arg(long)]
    disconnect_mid_frame: bool,
    /// Send N garbage bytes before the first answer.
    #[arg(long, default_value_t = 0)]
    garbage: usize,
    /// Answer key loads falsely and store nothing: bare-ok (an OK frame naming no command),
    /// continue (0x36), wrong-command (an OK frame with command byte 0), stale-poll (busy, then
    /// the previous command's answer to the poll), ok-without-storing (a proper OK).
    #[arg(long, value_name = "LIE")]
    false_answer: Option<String>,
    /// Only the first N key loads get --false-answer (default: every one).
    #[arg(long, value_name = "N", requires = "false_answer")]
    false_answers: Option<u32>,
    /// Report every KCV cut to N bytes.
    #[arg(long, value_name = "N")]
    short_kcv: Option<usize>,
}

impl FaultArgs {
    fn faults(&self) -> Result<Faults, String> {
        Ok(Faults {
            status: named("--status", &STATUS_NAMES, self.status.as_deref())?,
            false_answer: named("--false-answer", &FALSE_ANSWER_NAMES, self.false_answer.as_deref())?,
            false_answer_limit: self.false_answers,
            short_kcv: self.short_kcv,
            drop_responses: self.drop,
            corrupt_responses: self.corrupt,
            delay: Duration::from_millis(self.delay_ms),
            busy: self.busy,
            slow: self.slow,
            disconnect_mid_frame: self.disconnect_mid_frame,
            garbage_first: self.garbage,
        })
    }
}

/// The value named `name` in a `(name, value)` table, or an error listing the names.
fn named<T: Copy>(flag: &str, table: &[(&str, T)], name: Option<&str>) -> Result<Option<T>, String> {
    let Some(name) = name else { return Ok(None) };
    match table.iter().find(|(n, _)| *n == name) {
        Some((_, value)) => Ok(Some(*value)),
        None => {
            let names: Vec<_> = table.iter().map(|(n, _)| *n).collect();
            Err(format!("{flag} {name}: not one of {}", names.join(", ")))
        }
    }
}

pub fn run(args: SimulateArgs) -> CliResult {
    let mut config = match (&args.kek, &args.kek_file) {
        (Some(kek), _) => SimulatorConfig::with_kek(SecretBytes::from_hex(kek).map_err(|e| format!("--kek: {e}"))?),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("--kek-file {}: {e}", path.display()))?;
            SimulatorConfig::from_kek_file(&text).map_err(|e| format!("--kek-file {}: {e}", path.display()))?
        }
        (None, None) => SimulatorConfig::default(),
    };
    config.faults = args.faults.faults()?;
    config.panic_on_deviation = false;
    if let Some(pos_id) = &args.pos_id {
        config.pos_id = hex::decode(pos_id)
            .ok()
            .filter(|id| (1..=32).contains(&id.len()))
            .ok_or("--pos-id: expected 1 to 32 bytes of hex")?;
    }
    let handle = match args.tcp {
        Some(port) => {
            let handle = simulator::start_tcp(&format!("127.0.0.1:{port}"), config)?;
            println!("listening on {}", handle.endpoint());
            handle
        }
        None => {
            let handle = start_pty(config)?;
            println!("{}", handle.endpoint());
            handle
        }
    };
    std::io::stdout().flush()?;
    wait_until_done(&handle);
    let deviations = handle.finish();
    println!("deviations: {}", deviations.len());
    for deviation in &deviations {
        println!("deviation: {deviation}");
    }
    std::io::stdout().flush()?;
    Ok(())
}

#[cfg(unix)]
fn start_pty(config: SimulatorConfig) -> std::io::Result<SimulatorHandle> {
    simulator::start_pty(config)
}

#[cfg(not(unix))]
fn start_pty(_config: SimulatorConfig) -> std::io::Result<SimulatorHandle> {
    Err(std::io::Error::other("--pty needs a Unix system; use --tcp"))
}

/// Blocks until standard input reaches end of file (when it is a pipe or a terminal: a
/// backgrounded `simulate … &` with stdin on /dev/null runs until killed) or the simulator ends.
fn wait_until_done(handle: &SimulatorHandle) {
    // `_keep` holds the channel open when no watcher runs, so only a real EOF ends the wait.
    let (_keep, rx) = mpsc::channel::<()>();
    if stdin_can_close() {
        let tx = _keep.clone();
        std::thread::spawn(move || {
            let mut sink = [0u8; 256];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            let _ = tx.send(());
        });
    }
    while !handle.is_finished() {
        if !matches!(
            rx.recv_timeout(Duration::from_millis(200)),
            Err(mpsc::RecvTimeoutError::Timeout)
        ) {
            return;
        }
    }
}

fn stdin_can_close() -> bool {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata("/dev/stdin").is_ok_and(|m| m.file_type().is_fifo() || m.file_type().is_socket())
    }
    #[cfg(not(unix))]
    false
}
