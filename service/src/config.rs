//! The configuration: defaults, then a TOML file, then environment variables, then command-line
//! flags, each overriding the one before (figment does the layering). Each section's type lives
//! with the module it configures, except `[server]`, kept here so that the server module, which
//! starts from a whole [`Config`], is not also a dependency of it.
//!
//! Every setting has an environment variable: `KEYBRIDGE_` + section + `__` + key, upper case,
//! e.g. `KEYBRIDGE_AWS__CALLS_PER_SECOND=10` or `KEYBRIDGE_DATABASE__URL=postgres://…`. Only
//! variables with a `__` are read, so other `KEYBRIDGE_*` variables do not disturb the server.
//!
//! ```toml
//! [server]
//! listen = "0.0.0.0:8443"
//! tls_cert = "/etc/keybridge/server.pem"
//! tls_key = "/etc/keybridge/server.key"
//! client_ca = "/etc/keybridge/devices-ca.pem"   # optional: mutual TLS
//!
//! [database]
//! url = "postgres://keybridge@db.internal/keybridge"
//!
//! [aws]
//! region = "us-east-1"
//! calls_per_second = 5            # this instance
//! account_calls_per_second = 5    # every instance on the database together
//!
//! [profiles.standard]
//! slots = [{ slot = 0, key = "alias/pin-key" }, { slot = 1, dukpt = "tdes", bdk = "alias/bdk", ksi = "FFFF987654" }]
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::Deserialize;

use crate::db::DatabaseConfig;
use crate::gateway::AwsSettings;
use crate::profiles::{Profile, ProfileConfig, ProfileError, check_profiles};
use crate::telemetry::LogConfig;

/// Everything `keybridge serve` and the admin commands read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub aws: AwsSettings,
    pub log: LogConfig,
    #[serde(rename = "profiles")]
    profile_configs: BTreeMap<String, ProfileConfig>,
    /// The checked profiles, filled by [`Config::load`].
    #[serde(skip)]
    pub profiles: BTreeMap<String, Profile>,
}

/// Where and how to listen.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// CA bundle for client certificates: set it for mutual TLS.
    pub client_ca: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address (behind a TLS-terminating proxy only).
    pub insecure_http: bool,
    /// A declared `Content-Length` above this is refused at once (413).
    pub max_body_bytes: usize,
    /// A request's headers must arrive within this, or the connection is closed (slow clients
    /// cannot pin connections).
    pub header_timeout_ms: u64,
    /// A request's body must arrive within this, or the answer is 408 and the connection closes.
    pub body_timeout_ms: u64,
    /// Where refusals are kept while the database is down, until they can be audited.
    pub spool_path: PathBuf,
    /// The most rows the spool holds; further refusals are only logged.
    pub spool_max_entries: usize,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_grace_ms: u64,
    /// This instance's name in the audit trail; default: random.
    pub instance: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tls_cert: None,
            tls_key: None,
            client_ca: None,
            insecure_http: false,
            max_body_bytes: 16 * 1024,
            header_timeout_ms: 10_000,
            body_timeout_ms: 10_000,
            spool_path: PathBuf::from("keybridge-refusals.spool"),
            spool_max_entries: 10_000,
            shutdown_grace_ms: 30_000,
            instance: None,
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Parse(Box<figment::Error>),
    #[error("configuration file {0} does not exist")]
    Missing(String),
    #[error("configuration: {0}")]
    Profile(#[from] ProfileError),
}

/// Values from command-line flags, by dotted key (`server.listen`, `database.url`, …).
#[derive(Debug, Clone, Default)]
pub struct Overrides(Vec<(&'static str, figment::value::Value)>);

impl Overrides {
    pub fn set(mut self, key: &'static str, value: impl Into<figment::value::Value>) -> Self {
        self.0.push((key, value.into()));
        self
    }

    /// Sets `key` when `value` is given.
    pub fn maybe(self, key: &'static str, value: Option<impl Into<figment::value::Value>>) -> Self {
        match value {
            Some(v) => self.set(key, v),
            None => self,
        }
    }
}

impl Config {
    /// Loads the layers and checks the profiles.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Missing(path.display().to_string()));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(
            Env::prefixed("KEYBRIDGE_")
                .filter(|key| key.as_str().contains("__"))
                .split("__"),
        );
        for (key, value) in &overrides.0 {
            figment = figment.merge(Serialized::default(key, value));
        }
        let mut config: Config = figment.extract().map_err(|e| ConfigError::Parse(Box::new(e)))?;
        config.profiles = check_profiles(&config.profile_configs)?;
        Ok(config)
    }

    /// The key the readiness probe reads when none is configured: the first the profiles name.
    pub fn first_profile_key(&self) -> Option<String> {
        self.profiles
            .values()
            .flat_map(|p| p.slots.iter())
            .map(|s| s.source.key_id().to_owned())
            .next()
    }
}

// figment's `Jail` takes closures returning its own (large) error type.
#[cfg(test)]
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_then_flags() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "keybridge.toml",
                r#"
                [database]
                url = "from-file.db"
                max_connections = 3
                [aws]
                calls_per_second = 7
                [profiles.p]
                slots = [{ slot = 0, key = "alias/k" }]
                "#,
            )?;
            jail.set_env("KEYBRIDGE_AWS__CALLS_PER_SECOND", "9");
            jail.set_env("KEYBRIDGE_DATABASE__URL", "from-env.db");
            jail.set_env("KEYBRIDGE_SERVICE_URL", "ignored: no section separator");
            let overrides = Overrides::default().set("database.url", "from-flag.db");
            let config = Config::load(Some(Path::new("keybridge.toml")), &overrides).unwrap();
            assert_eq!(config.database.url, "from-flag.db");
            assert_eq!(config.database.max_connections, 3);
            assert_eq!(config.aws.calls_per_second, 9);
            assert_eq!(config.first_profile_key().as_deref(), Some("alias/k"));
            Ok(())
        });
    }

    #[test]
    fn no_file_means_defaults() {
        figment::Jail::expect_with(|_| {
            let config = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(config.database.url, "keybridge.db");
            assert!(config.server.listen.ip().is_loopback());
            assert!(config.profiles.is_empty());
            Ok(())
        });
    }

    #[test]
    fn mistakes_are_named() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("typo.toml", "[aws]\ncalls_per_secnd = 3\n")?;
            let error = Config::load(Some(Path::new("typo.toml")), &Overrides::default()).unwrap_err();
            assert!(error.to_string().contains("calls_per_secnd"), "{error}");
            jail.create_file("bad.toml", "[profiles.p]\nslots = [{ slot = 0 }]\n")?;
            let error = Config::load(Some(Path::new("bad.toml")), &Overrides::default()).unwrap_err();
            assert!(error.to_string().contains("profile `p`, slot 0"), "{error}");
            assert!(matches!(
                Config::load(Some(Path::new("absent.toml")), &Overrides::default()),
                Err(ConfigError::Missing(_))
            ));
            Ok(())
        });
    }
}
