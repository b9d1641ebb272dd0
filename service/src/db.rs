//! The database: one schema, two engines. SQLite serves one process; PostgreSQL serves several
//! instances behind a load balancer. Both go through sqlx's `Any` driver, so every query is
//! written once (`$1` placeholders work on both) and the embedded migrations in `migrations/`
//! run on both at start-up.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
pub use sqlx::AnyPool;
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use sqlx::error::BoxDynError;
use sqlx::migrate::{MigrateError, Migration, MigrationSource, MigrationType, Migrator};

/// Where the database is and how many connections to keep.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// A SQLite file path, `sqlite://PATH`, or `postgres://USER@HOST:PORT/DB`.
    pub url: String,
    /// Connections to PostgreSQL per instance (SQLite always uses one).
    pub max_connections: u32,
    /// How long a request waits for a connection before it is answered 503.
    pub acquire_timeout_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "keybridge.db".into(),
            max_connections: 8,
            acquire_timeout_ms: 2_000,
        }
    }
}

/// A database failure, split by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database cannot be reached or is shutting down: retry later.
    #[error("the database is unavailable: {0}")]
    Unavailable(sqlx::Error),
    /// A query failed for another reason (a bug or a broken schema).
    #[error("database query failed: {0}")]
    Query(sqlx::Error),
    #[error("database migrations failed: {0}")]
    Migrate(#[from] MigrateError),
    #[error("invalid database URL `{url}`: {reason}")]
    Url { url: String, reason: &'static str },
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            Self::Unavailable(error)
        } else {
            Self::Query(error)
        }
    }
}

impl DbError {
    /// A unique-constraint violation: the row another writer inserted first.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Self::Query(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// Connection-level failures, and the server-side codes that mean "not now" rather than "never":
/// PostgreSQL class 08 (connection exception), 57P0x (shutting down, starting up) and 53300 (too
/// many connections); SQLite BUSY and LOCKED (5 and 6, with their extended codes).
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            // SQLite codes are numbers whose low byte is the primary code (517 is BUSY_SNAPSHOT);
            // PostgreSQL's are five-character SQLSTATEs.
            let sqlite = code.len() < 5 && code.bytes().all(|b| b.is_ascii_digit());
            if sqlite {
                code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
            } else {
                code.starts_with("08") || code.starts_with("57P0") || code == "53300"
            }
        }),
        _ => false,
    }
}

/// The sqlx URL for `configured`: a bare path is a SQLite file, created when missing.
pub fn database_url(configured: &str) -> Result<String, DbError> {
    let bad = |reason| DbError::Url {
        url: configured.to_owned(),
        reason,
    };
    if configured.is_empty() {
        return Err(bad("empty"));
    }
    if is_postgres(configured) {
        return Ok(configured.to_owned());
    }
    let url = match configured.strip_prefix("sqlite:") {
        Some(_) => configured.to_owned(),
        None if configured.contains("://") => return Err(bad("only sqlite: and postgres:// URLs are supported")),
        None => format!("sqlite://{configured}"),
    };
    Ok(if url.contains("mode=") {
        url
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// Whether `configured` names a PostgreSQL database (several instances may share it).
pub fn is_postgres(configured: &str) -> bool {
    configured.starts_with("postgres://") || configured.starts_with("postgresql://")
}

/// Set on every SQLite connection (see [`connect`]).
const SQLITE_PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 10000",
];

/// Opens the pool and brings the schema up to date (for the admin commands and tests; the server
/// uses [`connect_serving`]).
///
/// SQLite runs in WAL mode with `synchronous=FULL`, so a committed KSN allocation survives a
/// power cut as well as a killed process; the busy timeout covers other processes (the admin
/// commands, a second pool) writing at the same time. PostgreSQL's migration run takes an
/// advisory lock, so instances starting together migrate once.
pub async fn connect(config: &DatabaseConfig) -> Result<AnyPool, DbError> {
    open(config, false).await
}

/// The server's pool, and for SQLite the [`Checkpointer`] that keeps WAL checkpoints off the
/// commit of whichever request would otherwise trigger one.
pub async fn connect_serving(config: &DatabaseConfig) -> Result<(AnyPool, Option<Checkpointer>), DbError> {
    let pool = open(config, true).await?;
    let checkpointer = database_url(&config.url)?
        .starts_with("sqlite:")
        .then(|| Checkpointer::start(pool.clone()));
    Ok((pool, checkpointer))
}

async fn open(config: &DatabaseConfig, checkpoints_in_background: bool) -> Result<AnyPool, DbError> {
    sqlx::any::install_default_drivers();
    let url = database_url(&config.url)?;
    // SQLite has one writer at a time, and a writer that finds it busy sleeps in growing steps
    // (up to 100 ms) before trying again: under load that, not the work, sets the latency. One
    // connection makes requests queue for it in arrival order instead.
    let connections = if url.starts_with("sqlite:") {
        1
    } else {
        config.max_connections.max(1)
    };
    let pool = AnyPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_millis(config.acquire_timeout_ms))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if conn.backend_name() == "SQLite" {
                    for pragma in SQLITE_PRAGMAS {
                        conn.execute(*pragma).await?;
                    }
                    if checkpoints_in_background {
                        conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                    }
                }
                Ok(())
            })
        })
        .connect(&url)
        .await?;
    Migrator::new(Embedded).await?.run(&pool).await?;
    Ok(pool)
}

/// Checkpoints a SQLite WAL in small, frequent steps through the pool's one connection.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1000 WAL pages, so every
/// hundredth request or so waited for a whole checkpoint (about 300 ms of p99 in the benchmark);
/// a checkpoint on a second connection collides with the writer's WAL restart and sends it into
/// SQLite's sleeping busy handler instead. Here checkpoints queue with the requests for the one
/// connection, and are small because they are frequent.
pub struct Checkpointer {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Checkpointer {
    const INTERVAL: Duration = Duration::from_millis(100);

    fn start(pool: AnyPool) -> Self {
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            loop {
                let last = tokio::select! {
                    _ = tokio::time::sleep(Self::INTERVAL) => false,
                    _ = &mut stopped => true,
                };
                let mode = if last { "TRUNCATE" } else { "PASSIVE" };
                let checkpoint = format!("PRAGMA wal_checkpoint({mode})");
                if let Err(error) = sqlx::query(&checkpoint).execute(&pool).await {
                    tracing::warn!(%error, "WAL checkpoint failed");
                }
                if last {
                    break;
                }
            }
        });
        Self { stop, task }
    }

    /// A last checkpoint that empties the WAL.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// `SELECT 1`, for readiness.
pub async fn ping(pool: &AnyPool) -> Result<(), DbError> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}

/// The migrations, compiled into the binary so a deployment is one file.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (
        2,
        "quota generations delayed",
        include_str!("../migrations/0002_quota_generations_delayed.sql"),
    ),
];

#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// Milliseconds since the Unix epoch: the schema's time unit.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// RFC 3339 (UTC, milliseconds) for a schema time.
pub fn format_time(ms: i64) -> String {
    let time = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(time).to_string()
}

/// `bytes` random bytes from the OS, as lower-case hex: request ids, token ids, audit ids.
pub fn random_hex(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    getrandom::fill(&mut raw).expect("the OS random number generator works");
    hex::encode(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_sqlite_urls_that_create_the_file() {
        assert_eq!(
            database_url("/var/lib/kb.db").unwrap(),
            "sqlite:///var/lib/kb.db?mode=rwc"
        );
        assert_eq!(database_url("kb.db").unwrap(), "sqlite://kb.db?mode=rwc");
        assert_eq!(
            database_url("sqlite://x.db?cache=shared").unwrap(),
            "sqlite://x.db?cache=shared&mode=rwc"
        );
        assert_eq!(database_url("sqlite://x.db?mode=ro").unwrap(), "sqlite://x.db?mode=ro");
        assert_eq!(
            database_url("postgres://kb@127.0.0.1:5432/kb").unwrap(),
            "postgres://kb@127.0.0.1:5432/kb"
        );
        assert!(matches!(database_url("mysql://x"), Err(DbError::Url { .. })));
        assert!(matches!(database_url(""), Err(DbError::Url { .. })));
    }

    #[test]
    fn times_print_as_rfc3339() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_time(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
