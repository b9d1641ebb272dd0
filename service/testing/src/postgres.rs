//! A PostgreSQL cluster of the test's own: `initdb` and `pg_ctl` from the installed server (see
//! `service/scripts/setup-postgres.sh`) in a temporary directory, on a free loopback port,
//! stopped and deleted when dropped. PostgreSQL refuses to run as root, so as root the cluster is
//! run as `nobody` (through `runuser`) in a directory that user owns.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Command;

use tempfile::TempDir;

/// A running cluster.
pub struct PgCluster {
    dir: TempDir,
    bin: PathBuf,
    port: u16,
    /// The unprivileged user to run as, when the test runs as root.
    run_as: Option<&'static str>,
}

const USER: &str = "keybridge";

/// Where `initdb` is: `KEYBRIDGE_PG_BIN`, the newest /usr/lib/postgresql/*/bin, or the PATH.
fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("KEYBRIDGE_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.retain(|dir| dir.join("initdb").exists());
    versions.sort();
    versions.pop().unwrap_or_default()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl PgCluster {
    /// `initdb` and start; panics with PostgreSQL's own output if either fails.
    pub fn start() -> Self {
        let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
        // As root the cluster runs as `nobody`, who must be able to reach the directory: /tmp
        // rather than a TMPDIR that may sit in root's home.
        let parent = if root {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let dir = tempfile::Builder::new()
            .prefix("keybridge-pg-")
            .tempdir_in(parent)
            .expect("a temporary directory");
        let run_as = root.then_some("nobody");
        if root {
            let nobody = Command::new("id").args(["-u", "nobody"]).output().expect("id runs");
            let uid: u32 = String::from_utf8_lossy(&nobody.stdout)
                .trim()
                .parse()
                .expect("nobody's uid");
            std::os::unix::fs::chown(dir.path(), Some(uid), None).expect("chown the cluster directory");
        }
        let cluster = Self {
            dir,
            bin: bin_dir(),
            port: free_port(),
            run_as,
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
        );
        cluster.start_server();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// `tool` from the server's binaries, as the unprivileged user when needed, in the cluster's
    /// directory (as `nobody`, the working directory must be one it can enter).
    fn command(&self, tool: &str) -> Command {
        let program = if self.bin.as_os_str().is_empty() {
            PathBuf::from(tool)
        } else {
            self.bin.join(tool)
        };
        let mut command = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        };
        command.current_dir(self.dir.path());
        command
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let output = self
            .command(tool)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e}; run service/scripts/setup-postgres.sh"));
        assert!(
            output.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Starts the server (again, after [`PgCluster::stop`]) on the same port and data.
    pub fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("postgres.log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-l", &log, "-o", &options, "-w", "start"],
        );
    }

    /// Stops the server, as an outage would (clients are disconnected).
    pub fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    /// The sqlx URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}
