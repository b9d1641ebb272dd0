//! The account's AWS quota, shared by every instance on one database.
//!
//! AWS Payment Cryptography limits calls per second per account, not per process, so
//! `[aws] account_calls_per_second` is one token bucket for the whole fleet. On PostgreSQL the
//! bucket is a row (`aws_quota`): an instance that needs calls takes a small batch of tokens in
//! one short transaction (`SELECT … FOR UPDATE`, refill by the time elapsed on the database's
//! clock, take, `UPDATE`), then spends them itself, so the database sees one transaction per
//! batch rather than one per call. Tokens are only taken when calls are waiting for them, and an
//! instance holds at most one batch: one that dies takes at most that batch with it, and the rest
//! of the quota goes to the instances still running at once. The bucket holds little more than a
//! batch, so a quiet spell does not save up a burst that AWS would throttle.
//!
//! On SQLite (one instance) the same quota is an in-process token bucket.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota};
use sqlx::{AnyPool, Row};

use crate::db::DbError;

/// Micro-tokens per token: the bucket's level is stored as an integer.
const MICRO: i64 = 1_000_000;

/// The bucket's row name.
const BUCKET: &str = "account";

/// The account-wide limit, however it is kept.
pub enum AccountQuota {
    /// No account limit configured: only the instance's own rate applies.
    Unlimited,
    /// One instance: a bucket in this process.
    Local(DefaultDirectRateLimiter),
    /// Several instances: the bucket in PostgreSQL.
    Shared(SharedQuota),
}

impl AccountQuota {
    /// The quota for `calls_per_second` (none: unlimited), shared through `pool` when given.
    pub fn new(calls_per_second: Option<u32>, shared: Option<AnyPool>) -> Self {
        let Some(rate) = calls_per_second.and_then(NonZeroU32::new) else {
            return Self::Unlimited;
        };
        let capacity = capacity(rate.get());
        match shared {
            Some(pool) => Self::Shared(SharedQuota {
                pool,
                rate: rate.get(),
                leased: tokio::sync::Mutex::new(0),
            }),
            None => {
                let burst = NonZeroU32::new(capacity).expect("the capacity is at least one export's calls");
                Self::Local(DefaultDirectRateLimiter::direct(
                    Quota::per_second(rate).allow_burst(burst),
                ))
            }
        }
    }

    /// Waits until `calls` calls may go to AWS. Callers take turns (the gateway holds its turn
    /// lock), so this never competes with itself inside one instance.
    pub async fn acquire(&self, calls: u32) -> Result<(), DbError> {
        match self {
            Self::Unlimited => Ok(()),
            Self::Local(limiter) => {
                let calls = NonZeroU32::new(calls).unwrap_or(NonZeroU32::MIN);
                // The capacity covers an export's calls (checked when the gateway is built).
                let _ = limiter.until_n_ready(calls).await;
                Ok(())
            }
            Self::Shared(shared) => shared.acquire(calls).await,
        }
    }

    /// Takes one call's token if one is free right now (for the readiness probe, which must not
    /// queue behind exports).
    pub async fn try_acquire_one(&self) -> bool {
        match self {
            Self::Unlimited => true,
            Self::Local(limiter) => limiter.check().is_ok(),
            Self::Shared(shared) => shared.try_acquire_one().await,
        }
    }
}

/// Tokens an instance takes at once: a tenth of a second's worth, 1 to 10. Small, so that what a
/// dying instance takes with it, and what sits leased while calls are prepared, stays a sliver of
/// the quota.
pub fn batch(rate: u32) -> u32 {
    (rate / 10).clamp(1, 10)
}

/// The most the bucket holds: a batch, and at least the calls of one uncached export.
pub fn capacity(rate: u32) -> u32 {
    batch(rate).max(crate::gateway::CALLS_PER_EXPORT)
}

/// The PostgreSQL bucket, and the tokens this instance has taken but not spent.
pub struct SharedQuota {
    pool: AnyPool,
    rate: u32,
    leased: tokio::sync::Mutex<u32>,
}

/// What one lease attempt got.
enum Lease {
    Granted(u32),
    /// Not enough tokens yet; this long until there are.
    Wait(Duration),
}

impl SharedQuota {
    async fn acquire(&self, calls: u32) -> Result<(), DbError> {
        let mut leased = self.leased.lock().await;
        while *leased < calls {
            let short = calls - *leased;
            match self.lease(short, short.max(batch(self.rate))).await? {
                Lease::Granted(tokens) => *leased += tokens,
                Lease::Wait(wait) => tokio::time::sleep(wait).await,
            }
        }
        *leased -= calls;
        Ok(())
    }

    async fn try_acquire_one(&self) -> bool {
        let Ok(mut leased) = self.leased.try_lock() else {
            return false;
        };
        if *leased == 0 {
            match self.lease(1, 1).await {
                Ok(Lease::Granted(tokens)) => *leased += tokens,
                _ => return false,
            }
        }
        *leased -= 1;
        true
    }

    /// Takes between `least` and `most` tokens from the bucket, or says how long until `least`
    /// are there.
    async fn lease(&self, least: u32, most: u32) -> Result<Lease, DbError> {
        let per_ms = i64::from(self.rate) * MICRO / 1000;
        let capacity = i64::from(capacity(self.rate).max(least)) * MICRO;
        let mut tx = self.pool.begin().await?;
        let select = "SELECT micro_tokens, refilled_at, \
                      CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS now_ms \
                      FROM aws_quota WHERE name = $1 FOR UPDATE";
        let mut row = sqlx::query(select).bind(BUCKET).fetch_optional(&mut *tx).await?;
        if row.is_none() {
            // The first instance creates the bucket, empty: nothing is spent before it is earned.
            sqlx::query(
                "INSERT INTO aws_quota (name, micro_tokens, refilled_at) \
                 VALUES ($1, 0, CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(BUCKET)
            .execute(&mut *tx)
            .await?;
            row = sqlx::query(select).bind(BUCKET).fetch_optional(&mut *tx).await?;
        }
        let row = row.ok_or(DbError::Query(sqlx::Error::RowNotFound))?;
        let (level, refilled_at, now): (i64, i64, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let level = level
            .saturating_add(now.saturating_sub(refilled_at).max(0).saturating_mul(per_ms))
            .min(capacity);
        let wanted = i64::from(least) * MICRO;
        if level < wanted {
            // Committed, not rolled back: the bucket row may have been created just now.
            tx.commit().await?;
            let per_ms = per_ms.max(1);
            let ms = ((wanted - level + per_ms - 1) / per_ms).max(1);
            return Ok(Lease::Wait(Duration::from_millis(ms as u64)));
        }
        let granted = (level / MICRO).min(i64::from(most));
        sqlx::query("UPDATE aws_quota SET micro_tokens = $1, refilled_at = $2 WHERE name = $3")
            .bind(level - granted * MICRO)
            .bind(now)
            .bind(BUCKET)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        metrics::counter!("keybridge_quota_leases_total").increment(1);
        Ok(Lease::Granted(granted as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_a_tenth_of_a_second_and_the_bucket_holds_an_export() {
        assert_eq!((batch(5), capacity(5)), (1, 3));
        assert_eq!((batch(20), capacity(20)), (2, 3));
        assert_eq!((batch(50), capacity(50)), (5, 5));
        assert_eq!((batch(10_000), capacity(10_000)), (10, 10));
    }
}
