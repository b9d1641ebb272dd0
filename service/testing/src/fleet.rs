//! A fleet on one machine: simulated readers, each with its own POS id and the fixture's KEK,
//! enrolled in one group with one profile, and provisioned concurrently through the key service
//! with one operator token, the way a key-injection station would. Used by `keybridge demo
//! --fleet` and by the provisioning benchmark.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use keybridge::loader::{KeyLoader, LoaderConfig};
use keybridge::provision::{ProvisionError, ProvisionOptions, ProvisionProgress, ProvisionReport};
use keybridge::service_client::{KeyServiceClient, ServiceClientConfig};
use keybridge_testkit::simulator::{self, SimulatorConfig, SimulatorHandle};
use sqlx::AnyPool;

use super::Fixture;
use keybridge_service::config::Config;
use keybridge_service::devices::{self, NewDevice};
use keybridge_service::tokens::{self, Scope};

/// The readers of a fleet and the operator token that provisions them.
pub struct Fleet {
    /// The simulators, in enrolment order.
    pub readers: Vec<SimulatorHandle>,
    /// The POS id each reader reports (hex), in the same order.
    pub pos_ids: Vec<String>,
    token: String,
}

/// One reader's provisioning, timed.
#[derive(Debug)]
pub struct ReaderRun {
    pub pos_id: String,
    pub result: Result<ProvisionReport, ProvisionError>,
    /// Wall time of the whole provisioning: POS id, key request, loads, report.
    pub elapsed: Duration,
    /// CPU time of the provisioning thread: the SDK's own work (framing, TR-31 checks, HTTP and
    /// JSON), without the reader's, the service's or AWS's. `None` where the platform cannot
    /// tell.
    pub sdk_cpu: Option<Duration>,
}

impl Fleet {
    /// The group the fleet's readers are enrolled in.
    pub const GROUP: &'static str = "fleet";

    /// Starts `size` TCP reader simulators sharing the fixture's KEK, registers each with
    /// `profile` in [`Fleet::GROUP`], and creates one operator token for the group.
    pub async fn enrol(fixture: &Fixture, pool: &AnyPool, config: &Config, size: usize, profile: &str) -> Self {
        let mut readers = Vec::with_capacity(size);
        let mut pos_ids = Vec::with_capacity(size);
        for index in 0..size {
            let pos_id = 0x4B42_0000_u32 + u32::try_from(index).expect("a fleet of fewer than 2^32 readers");
            let reader = simulator::start_tcp(
                "127.0.0.1:0",
                SimulatorConfig {
                    pos_id: pos_id.to_be_bytes().to_vec(),
                    ..SimulatorConfig::with_kek(fixture.kek.clone())
                },
            )
            .expect("a reader simulator starts");
            let pos_id = hex::encode_upper(pos_id.to_be_bytes());
            let device = NewDevice {
                pos_id: pos_id.clone(),
                kek: Fixture::KEK.to_owned(),
                profile: profile.to_owned(),
                group: Self::GROUP.to_owned(),
            };
            devices::add(pool, device, &config.profiles, "fleet")
                .await
                .expect("enrol a reader");
            readers.push(reader);
            pos_ids.push(pos_id);
        }
        let token = tokens::create(
            pool,
            Scope::Operator(Self::GROUP.to_owned()),
            "fleet station",
            Duration::from_secs(3600),
            "fleet",
        )
        .await
        .expect("an operator token");
        Self {
            readers,
            pos_ids,
            token: token.token.as_str().to_owned(),
        }
    }

    /// The operator token of [`Fleet::GROUP`].
    pub fn operator_token(&self) -> &str {
        &self.token
    }

    /// Provisions every reader from the service at `url`, `concurrency` at a time, each on its
    /// own thread with its own reader connection and one shared client. Blocks until all are
    /// done; the runs come back in reader order.
    pub fn provision_all(&self, url: &str, concurrency: usize, progress: &dyn ProvisionProgress) -> Vec<ReaderRun> {
        let client =
            KeyServiceClient::new(ServiceClientConfig::new(url, &self.token)).expect("a client for the service");
        let next = AtomicUsize::new(0);
        let runs: Mutex<Vec<Option<ReaderRun>>> = Mutex::new((0..self.readers.len()).map(|_| None).collect());
        std::thread::scope(|scope| {
            for _ in 0..concurrency.clamp(1, self.readers.len().max(1)) {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::SeqCst);
                        let Some(reader) = self.readers.get(index) else { return };
                        let run = self.provision_one(reader, &self.pos_ids[index], &client, progress);
                        runs.lock().expect("no worker panicked")[index] = Some(run);
                    }
                });
            }
        });
        runs.into_inner()
            .expect("no worker panicked")
            .into_iter()
            .map(|run| run.expect("every reader was provisioned"))
            .collect()
    }

    fn provision_one(
        &self,
        reader: &SimulatorHandle,
        pos_id: &str,
        client: &KeyServiceClient,
        progress: &dyn ProvisionProgress,
    ) -> ReaderRun {
        let (start, cpu_start) = (Instant::now(), thread_cpu_time());
        let result = KeyLoader::open_tcp(reader.endpoint(), LoaderConfig::default())
            .map_err(ProvisionError::Reader)
            .and_then(|mut loader| {
                let report = loader.provision(client, &ProvisionOptions::default(), Some(progress));
                loader.close();
                report
            });
        ReaderRun {
            pos_id: pos_id.to_owned(),
            result,
            elapsed: start.elapsed(),
            sdk_cpu: cpu_start.zip(thread_cpu_time()).map(|(a, b)| b.saturating_sub(a)),
        }
    }
}

/// CPU time the calling thread has used.
#[cfg(unix)]
fn thread_cpu_time() -> Option<Duration> {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec; the call only writes it.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } != 0 {
        return None;
    }
    Some(Duration::new(
        u64::try_from(now.tv_sec).ok()?,
        u32::try_from(now.tv_nsec).ok()?,
    ))
}

#[cfg(not(unix))]
fn thread_cpu_time() -> Option<Duration> {
    None
}
