//! Bearer tokens: a device token acts for one reader, an operator token for a named group of
//! readers, an admin token on the service itself (rotating profiles, listing every reader; never
//! a reader's keys). A token is `kbt_<id>_<secret>`: the id (64 random bits) finds the row, the secret
//! (256 random bits) proves possession. Only the SHA-256 of the secret is stored (a salt or a
//! slow hash adds nothing for 256 random bits), and the comparison is constant-time. The token
//! is shown once, when created; tokens expire and can be revoked.

use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::audit::{self, Entry, Event};
use crate::db::{DbError, now_ms, random_hex};
use crate::devices::{self, RegistryError, check_identifier};

const PREFIX: &str = "kbt_";
const ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 32;

/// What a token may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One reader, by POS id.
    Device(String),
    /// Every reader of a group.
    Operator(String),
    /// The service's administration: profile rotation and the whole registry.
    Admin,
}

impl Scope {
    fn kind(&self) -> &'static str {
        match self {
            Self::Device(_) => "device",
            Self::Operator(_) => "operator",
            Self::Admin => "admin",
        }
    }
}

/// Where a token stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenState {
    Active,
    Expired,
    Revoked,
}

impl TokenState {
    /// Revoked wins over expired: it is the operator's act, expiry only the calendar's.
    pub fn at(now_ms: i64, expires_at: i64, revoked_at: Option<i64>) -> Self {
        if revoked_at.is_some() {
            Self::Revoked
        } else if expires_at <= now_ms {
            Self::Expired
        } else {
            Self::Active
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

/// A token just created: the only time its secret exists outside the holder.
pub struct NewToken {
    pub id: String,
    /// The full bearer token, zeroized when dropped.
    pub token: Zeroizing<String>,
    pub expires_at: i64,
}

/// A token as `tokens list` shows it: never the secret or its hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub kind: String,
    pub device_id: Option<String>,
    pub group: Option<String>,
    pub label: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// Active, expired or revoked, as of the listing.
    pub state: TokenState,
}

/// Who is calling, once the token checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: String,
    pub scope: Scope,
}

/// Why a bearer token was not accepted. The token id is kept when the caller named a real token,
/// for the audit trail.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("the bearer token is not a keybridge token")]
    Malformed,
    #[error("unknown token or wrong secret")]
    Unknown { token_id: Option<String> },
    #[error("token {token_id} is revoked")]
    Revoked { token_id: String },
    #[error("token {token_id} has expired")]
    Expired { token_id: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a token for `scope`, valid for `ttl`. A device token needs an active device.
pub async fn create(
    pool: &AnyPool,
    scope: Scope,
    label: &str,
    ttl: Duration,
    instance: &str,
) -> Result<NewToken, RegistryError> {
    match &scope {
        Scope::Device(pos_id) => match devices::get(pool, pos_id).await? {
            None => return Err(RegistryError::UnknownDevice(pos_id.clone())),
            Some(device) if device.revoked_at.is_some() => return Err(RegistryError::DeviceRevoked(pos_id.clone())),
            Some(_) => {}
        },
        Scope::Operator(group) => check_identifier("group", group)?,
        Scope::Admin => {}
    }
    if label.len() > 200 {
        return Err(RegistryError::Invalid {
            field: "label",
            value: label.chars().take(80).collect(),
            reason: "must be at most 200 characters",
        });
    }
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    if ttl_ms <= 0 {
        return Err(RegistryError::Invalid {
            field: "expiry",
            value: format!("{ttl:?}"),
            reason: "must be in the future",
        });
    }
    let id = random_hex(ID_BYTES);
    let secret = Zeroizing::new(random_hex(SECRET_BYTES));
    let now = now_ms();
    let expires_at = now.saturating_add(ttl_ms);
    let (device_id, group) = match &scope {
        Scope::Device(pos_id) => (Some(pos_id.clone()), None),
        Scope::Operator(group) => (None, Some(group.clone())),
        Scope::Admin => (None, None),
    };
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    sqlx::query(
        "INSERT INTO tokens (id, secret_hash, kind, device_id, group_name, label, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(hash(&secret))
    .bind(scope.kind())
    .bind(device_id.clone())
    .bind(group.clone())
    .bind(label)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await
    .map_err(DbError::from)?;
    let mut entry = Entry::new(Event::TokenCreated).token(&id).detail(format!(
        "{} token{}, expires {}",
        scope.kind(),
        group.map(|g| format!(" for group {g}")).unwrap_or_default(),
        crate::db::format_time(expires_at)
    ));
    entry.device_id = device_id;
    audit::append(&mut *tx, instance, &entry).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(NewToken {
        token: Zeroizing::new(format!("{PREFIX}{id}_{}", secret.as_str())),
        id,
        expires_at,
    })
}

fn info_from_row(row: &AnyRow, now: i64) -> Result<TokenInfo, sqlx::Error> {
    let expires_at = row.try_get("expires_at")?;
    let revoked_at = row.try_get("revoked_at")?;
    Ok(TokenInfo {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        device_id: row.try_get("device_id")?,
        group: row.try_get("group_name")?,
        label: row.try_get("label")?,
        created_at: row.try_get("created_at")?,
        expires_at,
        revoked_at,
        state: TokenState::at(now, expires_at, revoked_at),
    })
}

/// Every token, oldest first; of one device when `device` is given.
pub async fn list(pool: &AnyPool, device: Option<&str>) -> Result<Vec<TokenInfo>, DbError> {
    let rows = sqlx::query(
        "SELECT id, kind, device_id, group_name, label, created_at, expires_at, revoked_at FROM tokens \
         WHERE ($1 IS NULL OR device_id = $1) ORDER BY created_at, id",
    )
    .bind(device.map(str::to_owned))
    .fetch_all(pool)
    .await?;
    let now = now_ms();
    Ok(rows
        .iter()
        .map(|row| info_from_row(row, now))
        .collect::<Result<_, _>>()?)
}

/// Revokes a token; revoking a revoked token is refused so that scripts notice typos.
pub async fn revoke(pool: &AnyPool, id: &str, instance: &str) -> Result<(), RegistryError> {
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    let updated = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
    if updated.rows_affected() == 0 {
        return Err(RegistryError::UnknownToken(format!("{id} (or it is already revoked)")));
    }
    audit::append(&mut *tx, instance, &Entry::new(Event::TokenRevoked).token(id)).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Checks an `Authorization` header value (`Bearer kbt_…`) and says who is calling.
pub async fn authenticate(pool: &AnyPool, authorization: Option<&str>) -> Result<Principal, AuthError> {
    let header = authorization.ok_or(AuthError::Missing)?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or(AuthError::Malformed)?
        .trim();
    let (id, secret) = token
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once('_'))
        .ok_or(AuthError::Malformed)?;
    let well_formed = |part: &str, bytes: usize| part.len() == 2 * bytes && part.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed(id, ID_BYTES) || !well_formed(secret, SECRET_BYTES) {
        return Err(AuthError::Malformed);
    }
    let row = sqlx::query(
        "SELECT secret_hash, kind, device_id, group_name, expires_at, revoked_at FROM tokens WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(DbError::from)?;
    let Some(row) = row else {
        return Err(AuthError::Unknown { token_id: None });
    };
    let read = |e: sqlx::Error| AuthError::Db(e.into());
    let stored: String = row.try_get("secret_hash").map_err(read)?;
    if !bool::from(stored.as_bytes().ct_eq(hash(&secret.to_ascii_lowercase()).as_bytes())) {
        return Err(AuthError::Unknown {
            token_id: Some(id.to_owned()),
        });
    }
    let token_id = id.to_owned();
    if row.try_get::<Option<i64>, _>("revoked_at").map_err(read)?.is_some() {
        return Err(AuthError::Revoked { token_id });
    }
    if row.try_get::<i64, _>("expires_at").map_err(read)? <= now_ms() {
        return Err(AuthError::Expired { token_id });
    }
    let kind: String = row.try_get("kind").map_err(read)?;
    let scope = match kind.as_str() {
        "admin" => Scope::Admin,
        "device" => Scope::Device(
            row.try_get::<Option<String>, _>("device_id")
                .map_err(read)?
                .unwrap_or_default(),
        ),
        _ => Scope::Operator(
            row.try_get::<Option<String>, _>("group_name")
                .map_err(read)?
                .unwrap_or_default(),
        ),
    };
    Ok(Principal { token_id, scope })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_revoked_expired_or_active() {
        assert_eq!(TokenState::at(100, 200, None), TokenState::Active);
        assert_eq!(TokenState::at(200, 200, None), TokenState::Expired);
        assert_eq!(TokenState::at(300, 200, Some(150)), TokenState::Revoked);
        assert_eq!(TokenState::at(100, 200, Some(150)), TokenState::Revoked);
    }

    #[test]
    fn the_stored_hash_is_sha256_of_the_secret() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
