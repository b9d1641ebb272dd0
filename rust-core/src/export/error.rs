//! Why an export failed, in three groups: the request was refused before calling AWS, AWS
//! refused or failed, or what AWS returned does not match what was asked for. Every message says
//! what to do next; none carries key material (key blocks are encrypted, KCVs are public).

use crate::tr31::Tr31Error;

/// An export failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    // ---- refused before calling ExportKey ----
    /// A request field is malformed.
    #[error("invalid {field}: {reason}")]
    InvalidRequest { field: &'static str, reason: String },
    /// The header asks for modes of use the key does not have (AWS headers can only narrow).
    #[error(
        "requested modes of use `{requested}` would widen the key's `{allowed}`; ask for a subset of the key's modes"
    )]
    WidensModesOfUse { requested: String, allowed: String },
    /// The header asks for a looser exportability than the key has.
    #[error(
        "requested exportability {requested} would widen the key's {allowed}; ask for EXPORTABLE or NON_EXPORTABLE"
    )]
    WidensExportability {
        requested: &'static str,
        allowed: &'static str,
    },
    /// The key is marked non-exportable in AWS.
    #[error("key {key_arn} is not exportable; create the key with Exportable=true")]
    NotExportable { key_arn: String },
    /// The key or the KEK has attributes the exporter cannot handle.
    #[error("{which} {key_arn} cannot be used: {reason}")]
    UnsupportedKey {
        which: &'static str,
        key_arn: String,
        reason: String,
    },
    /// No region is configured anywhere (neither given nor found in the environment).
    #[error("no AWS region configured; pass a region or set AWS_REGION")]
    NoRegion,

    // ---- AWS refused or failed ----
    #[error("AWS denied access ({message}); grant payment-cryptography:{operation} on the keys to this identity")]
    AccessDenied { operation: &'static str, message: String },
    #[error("AWS has no such key or alias ({message}); check the id, alias and region")]
    NotFound { operation: &'static str, message: String },
    #[error("AWS rejected the request as invalid ({message}); fix the named parameter")]
    Validation { operation: &'static str, message: String },
    #[error("AWS throttled the request after all retries ({message}); retry later or raise the retry attempts")]
    Throttled { operation: &'static str, message: String },
    #[error("AWS reports a conflict ({message}); the key or alias is in a state that forbids this, check KeyState")]
    Conflict { operation: &'static str, message: String },
    #[error("AWS Payment Cryptography is unavailable ({message}); retry later")]
    ServiceUnavailable { operation: &'static str, message: String },
    #[error("AWS service quota exceeded ({message}); delete unused keys or request a quota increase")]
    QuotaExceeded { operation: &'static str, message: String },
    #[error("AWS internal error ({message}); retry later")]
    Internal { operation: &'static str, message: String },
    #[error("{operation} timed out ({detail}); check network reachability of the endpoint or raise the timeouts")]
    Timeout { operation: &'static str, detail: String },
    #[error("no usable AWS credentials ({detail}); configure the default chain or pass static credentials")]
    Credentials { detail: String },
    #[error("AWS rejected the credentials ({message}); check the access key id, secret key and session token")]
    CredentialsRejected { operation: &'static str, message: String },
    #[error("could not reach AWS for {operation} ({detail}); check the endpoint URL and network")]
    Network { operation: &'static str, detail: String },
    #[error("AWS returned an unexpected error for {operation}: {code} ({message})")]
    Other {
        operation: &'static str,
        code: String,
        message: String,
    },

    // ---- what came back does not match the request ----
    /// The returned key block does not parse.
    #[error("AWS returned a malformed key block: {0}")]
    MalformedBlock(Tr31Error),
    /// A field of the returned block or its metadata differs from what was asked for.
    #[error("exported {field} is {found}, expected {expected}; do not load this key block")]
    Mismatch {
        field: &'static str,
        expected: String,
        found: String,
    },
    /// The response lacks a field that must be there.
    #[error("AWS response to {operation} lacks {field}")]
    IncompleteResponse {
        operation: &'static str,
        field: &'static str,
    },
}
