//! What the key-service commands (`serve`, `devices`, `tokens`, `audit`) share: where the
//! configuration and the database are.

use std::path::PathBuf;

use clap::Args;
use keybridge_service::db::AnyPool;
use keybridge_service::{Config, Overrides};

/// The instance name admin actions carry in the audit trail.
pub const ADMIN_INSTANCE: &str = "admin-cli";

#[derive(Args)]
pub struct ServiceArgs {
    /// TOML configuration file (settings can also come from KEYBRIDGE_SECTION__KEY variables).
    #[arg(long, env = "KEYBRIDGE_CONFIG")]
    pub config: Option<PathBuf>,
    /// The database: a SQLite file path or a postgres:// URL (overrides [database] url).
    #[arg(long)]
    pub database: Option<String>,
}

impl ServiceArgs {
    /// The configuration with `extra` flag values on top.
    pub fn load(&self, extra: Overrides) -> Result<Config, keybridge_service::ConfigError> {
        Config::load(
            self.config.as_deref(),
            &extra.maybe("database.url", self.database.clone()),
        )
    }
}

/// The configuration and a connection to its database (migrated), for an admin command.
pub async fn open(args: &ServiceArgs) -> Result<(Config, AnyPool), Box<dyn std::error::Error>> {
    let config = args.load(Overrides::default())?;
    let pool = keybridge_service::db::connect(&config.database).await?;
    Ok((config, pool))
}

/// A schema time for people.
pub fn time(ms: i64) -> String {
    keybridge_service::db::format_time(ms)
}
