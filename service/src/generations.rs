//! Key generations: rotating a profile to new AWS keys, and finding the readers left behind.
//!
//! A profile's keys are replaced in AWS from time to time (a compromise, a policy, a new BDK per
//! year). Generation 1 of a profile is the keys the configuration names; each rotation stores the
//! next generation in the database with the AWS key of every slot, so every instance on the
//! database serves the same generation at once and the configuration file needs no edit. A
//! rotated DUKPT slot keeps its KSN layout and its Initial Key ID sequence, so no KSN is ever
//! issued twice, across generations either.
//!
//! Every key request records the generation it was issued from. A reader is **stale** when the
//! newest request it reported a loaded slot for is of an older generation than its profile's
//! current one: it holds old keys. Its next key request is issued from the current generation,
//! and its report of that load clears the mark. Readers that never loaded anything hold no old
//! keys and are not stale.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::{AnyPool, Row};

use crate::audit::{self, Entry, Event};
use crate::db::{DbError, now_ms};
use crate::profiles::{KeySource, Profile};

/// A profile as it stands: its generation and its keys in that generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub generation: i64,
    pub profile: Profile,
}

/// Why a rotation was refused.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("profile `{0}` is not in the configuration")]
    UnknownProfile(String),
    #[error("profile `{profile}` has no slot {slot}")]
    UnknownSlot { profile: String, slot: u8 },
    #[error("slot {slot}: {reason}")]
    Invalid { slot: u8, reason: &'static str },
    #[error("a rotation names at least one slot")]
    Empty,
    #[error("profile `{0}` was rotated at the same moment by someone else; look at it and try again")]
    Concurrent(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// `configured` with the keys of its newest generation.
pub async fn current(pool: &AnyPool, name: &str, configured: &Profile) -> Result<Current, DbError> {
    let row = sqlx::query(
        "SELECT generation, slot_keys FROM profile_generations WHERE profile = $1 ORDER BY generation DESC LIMIT 1",
    )
    .bind(name)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(Current {
            generation: 1,
            profile: configured.clone(),
        });
    };
    let keys: String = row.try_get("slot_keys")?;
    let keys: BTreeMap<u8, String> = serde_json::from_str(&keys).map_err(|e| {
        DbError::Query(sqlx::Error::Decode(
            format!("profile_generations.slot_keys: {e}").into(),
        ))
    })?;
    Ok(Current {
        generation: row.try_get("generation")?,
        profile: with_keys(configured, &keys),
    })
}

/// `profile` with the slots in `keys` exporting those keys instead.
fn with_keys(profile: &Profile, keys: &BTreeMap<u8, String>) -> Profile {
    let mut profile = profile.clone();
    for spec in &mut profile.slots {
        if let Some(key) = keys.get(&spec.slot) {
            match &mut spec.source {
                KeySource::Fixed { key: k } => k.clone_from(key),
                KeySource::Dukpt { bdk, .. } => bdk.clone_from(key),
            }
        }
    }
    profile
}

/// The slots' keys of `profile`, by slot.
fn keys_of(profile: &Profile) -> BTreeMap<u8, String> {
    profile
        .slots
        .iter()
        .map(|spec| (spec.slot, spec.source.key_id().to_owned()))
        .collect()
}

/// Rotates profile `name` so that each `(slot, key)` of `changes` exports `key` from now on, and
/// audits it. Returns the new generation.
pub async fn rotate(
    pool: &AnyPool,
    profiles: &BTreeMap<String, Profile>,
    name: &str,
    changes: &[(u8, String)],
    instance: &str,
) -> Result<Current, RotationError> {
    let configured = profiles
        .get(name)
        .ok_or_else(|| RotationError::UnknownProfile(name.to_owned()))?;
    if changes.is_empty() {
        return Err(RotationError::Empty);
    }
    for (slot, key) in changes {
        if !configured.slots.iter().any(|s| s.slot == *slot) {
            return Err(RotationError::UnknownSlot {
                profile: name.to_owned(),
                slot: *slot,
            });
        }
        if key.trim().is_empty() || key.len() > 2048 || key.chars().any(char::is_control) {
            return Err(RotationError::Invalid {
                slot: *slot,
                reason: "the key must be an ARN or alias/NAME",
            });
        }
    }
    let before = current(pool, name, configured).await?;
    let mut keys = keys_of(&before.profile);
    for (slot, key) in changes {
        keys.insert(*slot, key.clone());
    }
    let generation = before.generation + 1;
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    let inserted = sqlx::query(
        "INSERT INTO profile_generations (profile, generation, slot_keys, rotated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (profile, generation) DO NOTHING",
    )
    .bind(name)
    .bind(generation)
    .bind(serde_json::to_string(&keys).expect("a map of strings serializes"))
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    if inserted.rows_affected() == 0 {
        return Err(RotationError::Concurrent(name.to_owned()));
    }
    let changed: Vec<String> = changes.iter().map(|(slot, key)| format!("slot {slot} {key}")).collect();
    let entry = Entry::new(Event::ProfileRotated).detail(format!(
        "profile {name} to generation {generation}: {}",
        changed.join(", ")
    ));
    audit::append(&mut *tx, instance, &entry).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(Current {
        generation,
        profile: with_keys(configured, &keys),
    })
}

/// A registered reader and the generation of the keys it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceGeneration {
    pub pos_id: String,
    pub group: String,
    pub profile: String,
    pub revoked: bool,
    /// The generation of the newest request the reader reported a loaded slot for; none when it
    /// never loaded one.
    pub held_generation: Option<i64>,
    /// The profile's generation now.
    pub current_generation: i64,
    /// Holds keys of an older generation (and is not revoked).
    pub stale: bool,
}

/// Every reader (of `group`, when given) with the generation it holds, by POS id.
pub async fn devices(pool: &AnyPool, group: Option<&str>) -> Result<Vec<DeviceGeneration>, DbError> {
    let rows = sqlx::query(
        "SELECT d.pos_id, d.group_name, d.profile, d.revoked_at, \
                (SELECT MAX(q.generation) FROM key_requests q \
                 WHERE q.device_id = d.pos_id AND EXISTS (SELECT 1 FROM slot_reports r \
                       WHERE r.request_id = q.id AND r.outcome = 'loaded')) AS held, \
                COALESCE((SELECT MAX(g.generation) FROM profile_generations g WHERE g.profile = d.profile), 1) \
                  AS current_generation \
         FROM devices d WHERE ($1 IS NULL OR d.group_name = $1) ORDER BY d.pos_id",
    )
    .bind(group.map(str::to_owned))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let revoked = row.try_get::<Option<i64>, _>("revoked_at")?.is_some();
            let held: Option<i64> = row.try_get("held")?;
            let current: i64 = row.try_get("current_generation")?;
            Ok(DeviceGeneration {
                pos_id: row.try_get("pos_id")?,
                group: row.try_get("group_name")?,
                profile: row.try_get("profile")?,
                revoked,
                held_generation: held,
                current_generation: current,
                stale: !revoked && held.is_some_and(|h| h < current),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::{DukptScheme, SlotSpec};

    #[test]
    fn a_generation_replaces_the_keys_of_its_slots_only() {
        let profile = Profile {
            slots: vec![
                SlotSpec {
                    slot: 0,
                    source: KeySource::Fixed {
                        key: "alias/pin".into(),
                    },
                },
                SlotSpec {
                    slot: 1,
                    source: KeySource::Dukpt {
                        bdk: "alias/bdk".into(),
                        scheme: DukptScheme::Aes { bdk_id: 1 },
                    },
                },
            ],
        };
        let rotated = with_keys(&profile, &BTreeMap::from([(1, "alias/bdk-2027".to_owned())]));
        assert_eq!(rotated.slots[0], profile.slots[0]);
        assert_eq!(
            rotated.slots[1].source,
            KeySource::Dukpt {
                bdk: "alias/bdk-2027".into(),
                scheme: DukptScheme::Aes { bdk_id: 1 }
            }
        );
        assert_eq!(keys_of(&rotated)[&1], "alias/bdk-2027");
    }
}
