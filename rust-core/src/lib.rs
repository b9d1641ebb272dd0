//! keybridge: TR-31 key blocks from AWS Payment Cryptography into Dspread QPOS card readers.
//!
//! * [`tr31`] — the key block codec (parse, validate, wrap, unwrap).
//! * `tr34` (feature `tr34`) — TR-34 key tokens: parse, verify and decrypt (KRD), build (KDH).
//! * [`kcv`] — key check values.
//! * [`secret`] — zeroizing, redacting containers for key material.
//! * [`export`] — AWS Payment Cryptography export and its checks (client behind feature `aws`).
//! * [`crypto`] — the block-cipher modes the two above are built on.
//! * [`device`] — reader framing, commands, transports and sessions.
//! * [`loader`] — `KeyLoader::send_tr31_key`: validate, send, verify.
//! * [`service_api`] — the key service's device API on the wire (shared by server and client).
//! * `service_client`, `provision` (feature `service-client`) — `KeyServiceClient` and
//!   `KeyLoader::provision`: a reader gets its keys from `keybridge serve` in one call.

pub mod crypto;
pub mod device;
pub mod export;
pub mod kcv;
pub mod loader;
#[cfg(feature = "service-client")]
pub mod provision;
pub mod secret;
pub mod service_api;
#[cfg(feature = "service-client")]
pub mod service_client;
pub mod tr31;
#[cfg(feature = "tr34")]
pub mod tr34;

pub use secret::SecretBytes;
