//! The built `keybridge` binary and a `keybridge simulate` child process, for the tests that
//! drive the CLI (`device_cli.rs` here, and the conformance suite in the top-level `tests/`).
#![allow(dead_code)] // each test target that includes this module uses a part of it

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_keybridge");

pub fn keybridge(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run keybridge")
}

/// A running `keybridge simulate`; closing its stdin ends it.
pub struct Simulator {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    pub first_line: String,
}

impl Simulator {
    pub fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .arg("simulate")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start simulator");
        let mut first_line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut first_line).unwrap();
        let stdin = child.stdin.take();
        Self {
            child,
            stdin,
            stdout,
            first_line: first_line.trim().to_owned(),
        }
    }

    /// The `HOST:PORT` a `--tcp` simulator printed.
    pub fn tcp_address(&self) -> String {
        let address = self.first_line.strip_prefix("listening on ");
        address.expect(&self.first_line).to_owned()
    }

    /// Closes stdin and waits (bounded) for the process to exit by itself; true when it exited
    /// cleanly. Asserts that it printed `deviations: 0`: nothing keybridge sent breaks what the
    /// vendor SDK sends.
    pub fn finish(mut self) -> bool {
        drop(self.stdin.take());
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut rest = String::new();
                let _ = self.stdout.read_to_string(&mut rest);
                assert!(
                    rest.contains("deviations: 0\n"),
                    "the simulator logged deviations:\n{rest}"
                );
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        false
    }
}
