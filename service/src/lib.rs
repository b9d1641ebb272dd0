//! `keybridge serve`: the key service. Devices ask it for their keys over HTTPS with a bearer
//! token; it exports them from AWS Payment Cryptography under each reader's KEK, gives every
//! reader its own DUKPT Initial Key ID, and keeps an audit trail of every key that left AWS.
//!
//! * [`config`] — TOML file, environment, flags.
//! * [`profiles`] — which keys a reader gets, slot by slot; DUKPT KSN layouts; [`generations`] —
//!   rotating a profile to new keys, and the readers left stale.
//! * [`db`] — SQLite or PostgreSQL through one schema and one set of queries.
//! * [`devices`], [`tokens`] — the registry and bearer tokens (also used by the admin CLI).
//! * [`requests`] — key requests and Initial Key ID allocation; [`reports`] — verdicts;
//!   [`view`] — what a device should hold.
//! * [`audit`] — the append-only trail; [`spool`] — refusals kept while the database is down.
//! * [`gateway`] — the shared AWS client, rate limits and concurrency bound; [`quota`] — the
//!   account's AWS quota shared by every instance; [`key_cache`] — `GetKey` answers, kept briefly.
//! * [`api`] — the HTTP routes; [`server`] — listener, TLS ([`tls`]), shutdown.
//! * [`telemetry`] — logs and metrics.
//!
//! The JSON types of the device API are in [`keybridge::service_api`], shared with the device
//! client.

pub mod api;
pub mod audit;
pub mod config;
pub mod db;
pub mod devices;
pub mod gateway;
pub mod generations;
pub mod key_cache;
pub mod profiles;
pub mod quota;
pub mod reports;
pub mod requests;
pub mod server;
pub mod spool;
pub mod telemetry;
pub mod tls;
pub mod tokens;
pub mod view;

pub use config::{Config, ConfigError, Overrides};
pub use server::{ServerError, Service, shutdown_signal};
