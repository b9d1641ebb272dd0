//! The device registry: readers by the POS id they report, each with its KEK in AWS, its key
//! profile and the group whose operators may act on it. A reader of a `kek = "per-reader"`
//! profile is registered without a KEK: the service makes it one at the TR-34 step
//! ([`crate::kek`]). Revoking a device also revokes its device
//! tokens; a revoked POS id is never registered again, so its history stays unambiguous.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Executor, Row};

use crate::audit::{self, Entry, Event};
use crate::db::{DbError, now_ms};
use crate::profiles::{KekChoice, Profile};

/// A registered reader.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Device {
    pub pos_id: String,
    /// ARN or alias of the reader's KEK (TR31_K0/K1) in AWS; empty for a per-reader KEK not
    /// made yet.
    pub kek: String,
    pub profile: String,
    pub group: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// The check value of the reader's own KEK (made by the service); none for a shared KEK.
    pub kek_kcv: Option<String>,
    /// SHA-256 (hex) of the device certificate the reader's own KEK was exported to.
    pub kek_certificate: Option<String>,
    /// When the reader's own KEK was retired in AWS.
    pub kek_retired_at: Option<i64>,
}

impl Device {
    /// Whether the reader has a KEK the service made for it.
    pub fn has_own_kek(&self) -> bool {
        self.kek_kcv.is_some()
    }
}

/// Why an admin action on devices or tokens was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("invalid {field} `{value}`: {reason}")]
    Invalid {
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("no device `{0}` is registered")]
    UnknownDevice(String),
    #[error("device `{0}` is already registered (a revoked POS id is not reused)")]
    DeviceExists(String),
    #[error("device `{0}` is revoked")]
    DeviceRevoked(String),
    #[error("profile `{0}` is not in the configuration (known: {1})")]
    UnknownProfile(String, String),
    #[error("no token `{0}`")]
    UnknownToken(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// POS ids, group names and similar identifiers: 1 to 64 of `A-Z a-z 0-9 . _ -`. They end up in
/// URLs, logs and the audit trail, so nothing else is let in.
pub fn check_identifier(field: &'static str, value: &str) -> Result<(), RegistryError> {
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(RegistryError::Invalid {
            field,
            value: value.chars().take(80).collect(),
            reason: "must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '-'",
        })
    }
}

/// What `devices add` takes.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub pos_id: String,
    pub kek: String,
    pub profile: String,
    pub group: String,
}

/// Registers a device after checking its fields and that its profile exists.
pub async fn add(
    pool: &AnyPool,
    new: NewDevice,
    profiles: &BTreeMap<String, Profile>,
    instance: &str,
) -> Result<Device, RegistryError> {
    check_identifier("POS id", &new.pos_id)?;
    check_identifier("group", &new.group)?;
    let Some(profile) = profiles.get(&new.profile) else {
        let known: Vec<&str> = profiles.keys().map(String::as_str).collect();
        let known = if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        };
        return Err(RegistryError::UnknownProfile(new.profile, known));
    };
    let bad_kek = |reason| RegistryError::Invalid {
        field: "KEK",
        value: new.kek.chars().take(80).collect(),
        reason,
    };
    match profile.kek {
        KekChoice::PerReader if !new.kek.is_empty() => {
            return Err(bad_kek(
                "the profile gives each reader its own KEK (made at the TR-34 step): name none",
            ));
        }
        KekChoice::Shared if new.kek.trim().is_empty() || new.kek.len() > 2048 => {
            return Err(bad_kek("must be an ARN or alias/NAME"));
        }
        _ => {}
    }
    let device = Device {
        pos_id: new.pos_id,
        kek: new.kek,
        profile: new.profile,
        group: new.group,
        created_at: now_ms(),
        revoked_at: None,
        kek_kcv: None,
        kek_certificate: None,
        kek_retired_at: None,
    };
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    let inserted = sqlx::query(
        "INSERT INTO devices (pos_id, kek, profile, group_name, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (pos_id) DO NOTHING",
    )
    .bind(&device.pos_id)
    .bind(&device.kek)
    .bind(&device.profile)
    .bind(&device.group)
    .bind(device.created_at)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    if inserted.rows_affected() == 0 {
        return Err(RegistryError::DeviceExists(device.pos_id));
    }
    let kek = if device.kek.is_empty() {
        "its own (TR-34)"
    } else {
        &device.kek
    };
    let entry = Entry::new(Event::DeviceAdded)
        .device(&device.pos_id)
        .detail(format!("profile {}, group {}, KEK {kek}", device.profile, device.group));
    audit::append(&mut *tx, instance, &entry).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(device)
}

const COLUMNS: &str =
    "pos_id, kek, profile, group_name, created_at, revoked_at, kek_kcv, kek_certificate, kek_retired_at";

fn from_row(row: &AnyRow) -> Result<Device, sqlx::Error> {
    Ok(Device {
        pos_id: row.try_get("pos_id")?,
        kek: row.try_get("kek")?,
        profile: row.try_get("profile")?,
        group: row.try_get("group_name")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
        kek_kcv: row.try_get("kek_kcv")?,
        kek_certificate: row.try_get("kek_certificate")?,
        kek_retired_at: row.try_get("kek_retired_at")?,
    })
}

/// The device with `pos_id`, if registered.
pub async fn get<'e, E: Executor<'e, Database = Any>>(executor: E, pos_id: &str) -> Result<Option<Device>, DbError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM devices WHERE pos_id = $1"))
        .bind(pos_id)
        .fetch_optional(executor)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Every device, by POS id.
pub async fn list(pool: &AnyPool) -> Result<Vec<Device>, DbError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM devices ORDER BY pos_id"))
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Revokes the device and its device tokens. Its allocated KSNs stay allocated.
pub async fn revoke(pool: &AnyPool, pos_id: &str, instance: &str) -> Result<(), RegistryError> {
    let now = now_ms();
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    let updated = sqlx::query("UPDATE devices SET revoked_at = $1 WHERE pos_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(pos_id)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
    if updated.rows_affected() == 0 {
        return match get(&mut *tx, pos_id).await? {
            Some(_) => Err(RegistryError::DeviceRevoked(pos_id.to_owned())),
            None => Err(RegistryError::UnknownDevice(pos_id.to_owned())),
        };
    }
    let tokens = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE device_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(pos_id)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
    let entry = Entry::new(Event::DeviceRevoked)
        .device(pos_id)
        .detail(format!("{} device token(s) revoked with it", tokens.rows_affected()));
    audit::append(&mut *tx, instance, &entry).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_short_and_plain() {
        assert!(check_identifier("POS id", "QPOS-0001_a.b").is_ok());
        for bad in ["", "a b", "x/y", "é", &"x".repeat(65), "a\nb"] {
            assert!(check_identifier("POS id", bad).is_err(), "{bad:?}");
        }
    }
}
