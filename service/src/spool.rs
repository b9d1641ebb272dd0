//! The refusal spool: audit rows that could not be written because the database was down.
//!
//! While the database is unreachable every request is refused (it cannot be authenticated or
//! allocated), and its audit row cannot be written either. Rather than leave those refusals only
//! in the log, the service appends each row to a local file, one JSON object per line, and
//! `fsync`s it before answering; a background task writes the rows to the audit trail, marked
//! with the time they were written (`delayed_at`), once the database answers again, then empties
//! the file. Rows keep the id and time they were given when spooled, so a drain interrupted after
//! its commit writes nothing twice. The file is bounded (`spool_max_entries`): past that, rows
//! are dropped and counted (`keybridge_spool_dropped_total`), never the service's disk.
//!
//! A spooled row is an audit row, so it holds what the trail holds: ids, codes and messages,
//! never a token secret or key material.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

use crate::audit::{self, Entry};
use crate::db::{DbError, now_ms};

/// One spooled row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Spooled {
    id: String,
    at: i64,
    instance: String,
    entry: Entry,
}

/// The spool file and how many rows it holds.
pub struct Spool {
    path: PathBuf,
    max_entries: usize,
    /// Rows in the file; the lock also orders appends and drains.
    held: tokio::sync::Mutex<usize>,
}

/// Why a row could not be spooled.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("the refusal spool is full ({0} rows); the row is dropped")]
    Full(usize),
    #[error("refusal spool {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

impl Spool {
    /// The spool at `path`, counting rows a previous run left (drained by the next
    /// [`Spool::drain`]). The file is created on the first row.
    pub fn open(path: &Path, max_entries: usize) -> Result<Self, SpoolError> {
        let held = match File::open(path) {
            Ok(file) => BufReader::new(file).lines().count(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(source) => return Err(io_error(path, source)),
        };
        Ok(Self {
            path: path.to_owned(),
            max_entries,
            held: tokio::sync::Mutex::new(held),
        })
    }

    /// Appends `entry` (made by `instance` now) and syncs it to disk.
    pub async fn push(&self, instance: &str, entry: &Entry) -> Result<(), SpoolError> {
        let mut held = self.held.lock().await;
        if *held >= self.max_entries {
            metrics::counter!("keybridge_spool_dropped_total").increment(1);
            return Err(SpoolError::Full(self.max_entries));
        }
        let at = now_ms();
        let row = Spooled {
            id: audit::new_id(at),
            at,
            instance: instance.to_owned(),
            entry: entry.clone(),
        };
        let mut line = serde_json::to_vec(&row).expect("an audit row serializes");
        line.push(b'\n');
        let write = || -> std::io::Result<()> {
            let mut file = OpenOptions::new().create(true).append(true).open(&self.path)?;
            file.write_all(&line)?;
            file.sync_data()
        };
        write().map_err(|source| io_error(&self.path, source))?;
        *held += 1;
        metrics::counter!("keybridge_spool_rows_total").increment(1);
        Ok(())
    }

    /// Rows waiting for the database.
    pub async fn len(&self) -> usize {
        *self.held.lock().await
    }

    /// Whether no row is waiting.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }

    /// Writes every spooled row to the audit trail in one transaction, marked delayed, then
    /// empties the file. Returns how many rows were written. A line that does not parse (a torn
    /// write at a crash) is logged and skipped.
    pub async fn drain(&self, pool: &AnyPool) -> Result<usize, DbError> {
        let mut held = self.held.lock().await;
        if *held == 0 {
            return Ok(0);
        }
        let rows: Vec<Spooled> = match File::open(&self.path) {
            Ok(file) => BufReader::new(file)
                .lines()
                .map_while(Result::ok)
                .filter_map(|line| {
                    serde_json::from_str(&line)
                        .inspect_err(|error| tracing::warn!(%error, "skipping an unreadable spool line"))
                        .ok()
                })
                .collect(),
            Err(error) => {
                tracing::error!(%error, path = %self.path.display(), "cannot read the refusal spool");
                return Ok(0);
            }
        };
        let delayed_at = now_ms();
        let mut tx = pool.begin().await?;
        for row in &rows {
            audit::insert(&mut *tx, &row.id, row.at, &row.instance, &row.entry, Some(delayed_at)).await?;
        }
        tx.commit().await?;
        let emptied = File::create(&self.path).and_then(|file| file.sync_all());
        if let Err(error) = emptied {
            // The rows are in the trail; a later drain finds them there and writes nothing twice.
            tracing::error!(%error, path = %self.path.display(), "cannot empty the refusal spool");
            return Ok(rows.len());
        }
        *held = 0;
        tracing::info!(
            rows = rows.len(),
            "refusals spooled during a database outage are in the audit trail"
        );
        Ok(rows.len())
    }
}

fn io_error(path: &Path, source: std::io::Error) -> SpoolError {
    SpoolError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Event;

    #[tokio::test]
    async fn rows_survive_a_restart_and_the_spool_is_bounded() {
        let dir = std::env::temp_dir().join(format!("kb-spool-{}", crate::db::random_hex(6)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("refusals.spool");
        let spool = Spool::open(&path, 2).unwrap();
        let entry = Entry::new(Event::Refused).code("unauthenticated");
        spool.push("kb-1", &entry).await.unwrap();
        spool.push("kb-1", &entry).await.unwrap();
        assert!(matches!(spool.push("kb-1", &entry).await, Err(SpoolError::Full(2))));
        let reopened = Spool::open(&path, 2).unwrap();
        assert_eq!(reopened.len().await, 2);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.lines().all(|line| line.contains("\"unauthenticated\"")), "{text}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
