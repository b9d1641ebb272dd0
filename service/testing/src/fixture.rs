//! The AWS emulator preloaded with a fleet's keys (no setup calls, so fault windows count only
//! the service's calls), the service's configuration pointing at it, the service running
//! in-process, and enrolment of devices.

use std::path::Path;

use keybridge::SecretBytes;
use keybridge::crypto::CipherFamily;
use keybridge::export::{Credentials, KeyAlgorithm};
use keybridge::kcv::{self, KcvMethod};
use keybridge::tr31::{self, KeyUsage, Profile as Tr31Profile};
use keybridge_testkit::emulator::{Emulator, EmulatorConfig, Faults, PreloadedKey};
use sqlx::AnyPool;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::Client;
use keybridge_service::config::{Config, Overrides};
use keybridge_service::devices::{self, NewDevice};
use keybridge_service::server::Service;
use keybridge_service::tokens::{self, Scope};

/// The emulator, its keys and a directory for the configuration and a SQLite database.
pub struct Fixture {
    pub emulator: Emulator,
    /// The KEK every reader shares here (`alias/kek`, AES-256).
    pub kek: SecretBytes,
    dir: TempDir,
}

/// (alias, usage, algorithm) of the preloaded keys.
const KEYS: &[(&str, KeyUsage, KeyAlgorithm)] = &[
    (Fixture::KEK, KeyUsage::K0, KeyAlgorithm::Aes256),
    ("alias/pin-aes", KeyUsage::P0, KeyAlgorithm::Aes128),
    ("alias/pin-tdes", KeyUsage::P0, KeyAlgorithm::Tdes2Key),
    ("alias/bdk-tdes", KeyUsage::B0, KeyAlgorithm::Tdes2Key),
    ("alias/bdk-aes", KeyUsage::B0, KeyAlgorithm::Aes128),
    // What the `fleet` profile is rotated to (the next key generation).
    (Fixture::ROTATED_PIN, KeyUsage::P0, KeyAlgorithm::Tdes2Key),
    (Fixture::ROTATED_BDK, KeyUsage::B0, KeyAlgorithm::Tdes2Key),
];

fn random_key(algorithm: KeyAlgorithm) -> SecretBytes {
    let mut bytes = vec![0u8; algorithm.key_len()];
    getrandom::fill(&mut bytes).expect("OS random number generator");
    SecretBytes::new(bytes)
}

impl Fixture {
    pub const KEK: &'static str = "alias/kek";
    /// The TDES KSI of the `standard` and `dukpt` profiles.
    pub const KSI: &'static str = "FFFF987654";
    /// The AES BDK ID of the `standard` profile.
    pub const BDK_ID: &'static str = "12345678";
    /// The TDES KSI of the `fleet` profile (a key set of its own: profiles must not share one).
    pub const FLEET_KSI: &'static str = "FFFF123456";
    /// The `fleet` profile's slot 0 key after a rotation.
    pub const ROTATED_PIN: &'static str = "alias/pin-tdes-2";
    /// The `fleet` profile's slot 1 BDK after a rotation.
    pub const ROTATED_BDK: &'static str = "alias/bdk-tdes-2";

    /// Starts the emulator with fresh random keys and `faults`.
    pub fn start(faults: Faults) -> Self {
        let mut kek = None;
        let keys = KEYS
            .iter()
            .map(|(alias, usage, algorithm)| {
                let material = random_key(*algorithm);
                if *alias == Self::KEK {
                    kek = Some(material.clone());
                }
                PreloadedKey {
                    alias: (*alias).to_owned(),
                    usage: *usage,
                    algorithm: *algorithm,
                    material,
                }
            })
            .collect();
        let emulator = Emulator::start(EmulatorConfig {
            keys,
            faults,
            ..EmulatorConfig::default()
        })
        .expect("the emulator starts");
        Self {
            emulator,
            kek: kek.expect("the KEK is among the keys"),
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// The emulator's static test credentials.
    pub fn credentials(&self) -> Credentials {
        self.emulator.client_config().credentials
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A SQLite database file in the fixture's directory.
    pub fn sqlite(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// The configuration file: AWS at the emulator with fast retries, `database`, and three
    /// profiles: `standard` (slot 0 AES P0, slot 1 TDES P0, slot 2 TDES DUKPT, slot 3 AES
    /// DUKPT), `dukpt` (slot 0 TDES DUKPT only) and `fleet` (slot 0 TDES P0, slot 1 TDES DUKPT:
    /// keys whose AWS KCVs a reader's can verify).
    pub fn config_toml(&self, database: &str) -> String {
        format!(
            r#"
[server]
listen = "127.0.0.1:0"
spool_path = "{spool}"

[database]
url = "{database}"

[aws]
region = "us-east-1"
endpoint_url = "{endpoint}"
retry_initial_backoff_ms = 5
calls_per_second = 1000
burst = 1000
max_concurrent_exports = 64

[log]
filter = "warn"

[profiles.standard]
slots = [
  {{ slot = 0, key = "alias/pin-aes" }},
  {{ slot = 1, key = "alias/pin-tdes" }},
  {{ slot = 2, dukpt = "tdes", bdk = "alias/bdk-tdes", ksi = "{ksi}" }},
  {{ slot = 3, dukpt = "aes", bdk = "alias/bdk-aes", bdk_id = "{bdk_id}" }},
]

[profiles.dukpt]
slots = [{{ slot = 0, dukpt = "tdes", bdk = "alias/bdk-tdes", ksi = "{ksi}" }}]

[profiles.fleet]
slots = [
  {{ slot = 0, key = "alias/pin-tdes" }},
  {{ slot = 1, dukpt = "tdes", bdk = "alias/bdk-tdes", ksi = "{fleet_ksi}" }},
]
"#,
            fleet_ksi = Self::FLEET_KSI,
            spool = self.dir.path().join("refusals.spool").display(),
            endpoint = self.emulator.endpoint_url(),
            ksi = Self::KSI,
            bdk_id = Self::BDK_ID,
        )
    }

    /// Writes [`Fixture::config_toml`] and loads it with `overrides` on top.
    pub fn config(&self, database: &str, overrides: &Overrides) -> Config {
        let path = self.dir.path().join("keybridge.toml");
        std::fs::write(&path, self.config_toml(database)).expect("write the configuration");
        Config::load(Some(&path), overrides).expect("the test configuration loads")
    }

    /// The legacy KCV (hex) a reader holding the KEK reports for `key_block`.
    pub fn reader_kcv(&self, key_block: &str) -> String {
        let clear =
            tr31::unwrap(self.kek.as_bytes(), key_block, &Tr31Profile::LENIENT).expect("the KEK unwraps the block");
        let family = clear.header.algorithm.cipher_family().unwrap_or(CipherFamily::Aes);
        hex::encode_upper(kcv::kcv(clear.key.as_bytes(), family, KcvMethod::Legacy).expect("a block-cipher key"))
    }
}

/// Registers `pos_id` with `profile` in `group` (KEK `alias/kek`) and returns a device token.
pub async fn enrol(pool: &AnyPool, config: &Config, pos_id: &str, profile: &str, group: &str) -> String {
    let device = NewDevice {
        pos_id: pos_id.to_owned(),
        kek: Fixture::KEK.to_owned(),
        profile: profile.to_owned(),
        group: group.to_owned(),
    };
    devices::add(pool, device, &config.profiles, "test")
        .await
        .expect("enrol the device");
    let token = tokens::create(
        pool,
        Scope::Device(pos_id.to_owned()),
        "test",
        std::time::Duration::from_secs(3600),
        "test",
    )
    .await
    .expect("a device token");
    token.token.as_str().to_owned()
}

/// The service running in-process on a task.
pub struct Running {
    pub url: String,
    pub client: Client,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    pub async fn start(config: &Config, credentials: Credentials) -> Self {
        let service = Service::start(config, credentials).await.expect("the service starts");
        let url = service.url();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(service.run(async {
            let _ = stopped.await;
        }));
        Self {
            client: Client::new(&url, None),
            url,
            stop,
            task,
        }
    }

    /// Starts a graceful shutdown and waits for it to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("the service task ends cleanly");
    }
}
