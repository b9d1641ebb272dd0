//! The key service's device API on the wire: the JSON bodies of `keybridge serve` (crate
//! `keybridge-service`) and of the device-side client, defined once here so the two cannot drift.
//!
//! The routes (documented in full in `service/openapi.yaml`):
//!
//! | route | request | answer |
//! |---|---|---|
//! | `POST /v1/devices/{posId}/key-requests` | [`KeyRequest`] (or no body), optional `Idempotency-Key` header | [`KeyRequestResponse`] |
//! | `POST /v1/key-requests/{requestId}/report` | [`Report`] | [`ReportResponse`] |
//! | `GET /v1/devices/{posId}` | — | [`DeviceView`] |
//!
//! Every failure is an [`ErrorBody`] whose `code` is one of [`ErrorCode`]; a 503 also carries a
//! `Retry-After` header. Field names are camelCase. Request bodies refuse unknown fields (a typo
//! must not be silently ignored); answers may grow new fields, so clients should not refuse them.
//! Timestamps are RFC 3339 strings in UTC. Nothing here is key material: key blocks are encrypted
//! under the reader's KEK and KCVs are public check values.

use serde::{Deserialize, Serialize};

use crate::export::KcvAlgorithm;

/// The header that makes a key request safe to retry: the same value for the same device returns
/// the same answer (request id, slots, KSNs, KCVs) and allocates nothing new.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// The body of a key request. It has no fields yet: the device's key profile, kept by the
/// service, decides what it gets. An empty body means the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyRequest {}

/// The answer to a key request: one key block per slot of the device's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRequestResponse {
    /// Names this request in the report and in the audit trail.
    pub request_id: String,
    pub keys: Vec<IssuedKey>,
}

/// One exported key, ready for `KeyLoader::send_tr31_key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedKey {
    /// The reader's key index to load the block into.
    pub slot: u8,
    /// The TR-31 key block as AWS returned it, wrapped under the reader's KEK.
    pub key_block: String,
    /// The KCV AWS reported for the wrapped key (hex).
    pub kcv: String,
    /// How AWS computed `kcv`: `ANSI_X9_24` (comparable with a reader's KCV) or `CMAC` (not).
    #[serde(with = "kcv_algorithm_name")]
    pub kcv_algorithm: KcvAlgorithm,
    /// The initial KSN of a DUKPT initial key (counter zero), hex; absent for other keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ksn: Option<String>,
    /// ARN of the exported key (the BDK for a DUKPT initial key).
    pub key_arn: String,
}

/// What a reader did with each slot of a key request. Slots may be reported in several reports
/// (a cancelled provisioning reports what it did); a slot reported twice must say the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Report {
    pub slots: Vec<SlotReport>,
}

/// One slot's outcome on the reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlotReport {
    pub slot: u8,
    pub outcome: SlotOutcome,
    /// The KCV the reader reported for the slot (hex, the legacy method: encrypt zeros).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader_kcv: Option<String>,
    /// Why the load failed, in the reader's or SDK's words (at most 200 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Whether the reader took the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SlotOutcome {
    Loaded,
    Failed,
    /// Nobody can tell: the load went out and its answer was lost, or the line dropped, or the
    /// provisioning was cancelled during it. The reader may hold the key; read its KCV later.
    Indeterminate,
}

/// The service's judgement of a loaded slot, by comparing the reader's KCV with AWS's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// Same KCV method on both sides and the values agree.
    Verified,
    /// Same method and the values differ: the reader does not hold the key AWS exported.
    Mismatch,
    /// Nothing to compare: AWS used another method (`CMAC` for AES keys) or a side gave fewer
    /// than 3 bytes. Never counted as verified.
    Unverifiable,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 3] = [Verdict::Verified, Verdict::Mismatch, Verdict::Unverifiable];

    /// The name on the wire and in the audit trail: `verified`, `mismatch`, `unverifiable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Mismatch => "mismatch",
            Self::Unverifiable => "unverifiable",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer to a report: the verdict recorded for each reported slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportResponse {
    pub request_id: String,
    pub slots: Vec<SlotVerdict>,
}

/// A reported slot and its verdict (none for a failed load).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotVerdict {
    pub slot: u8,
    pub outcome: SlotOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// What the service knows about a device: what each slot should hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    pub pos_id: String,
    pub group: String,
    pub profile: String,
    pub status: DeviceStatus,
    pub registered_at: String,
    /// The device's most recent key request, answered or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_request: Option<RequestSummary>,
    /// Per slot, the key of the latest answered request and its report.
    pub slots: Vec<DeviceSlot>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeviceStatus {
    Active,
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestSummary {
    pub request_id: String,
    pub state: RequestState,
    pub created_at: String,
}

/// Where a key request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RequestState {
    /// Allocated, not (yet) answered: exports in flight, or the service stopped meanwhile.
    Pending,
    Answered,
    /// Answering failed (AWS unavailable, say); a retry with the same `Idempotency-Key` may
    /// still complete it with the same KSNs.
    Failed,
}

/// A slot as the service last issued it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceSlot {
    pub slot: u8,
    pub request_id: String,
    pub issued_at: String,
    pub key_arn: String,
    pub kcv: String,
    #[serde(with = "kcv_algorithm_name")]
    pub kcv_algorithm: KcvAlgorithm,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ksn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<SlotReportView>,
}

/// A slot's report as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotReportView {
    pub outcome: SlotOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader_kcv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    pub reported_at: String,
}

/// Every error answer: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// `code` is stable (see [`ErrorCode`]); `message` is for people and may change. The code is
/// kept as text so a client keeps codes added by a newer service; [`ErrorDetail::kind`] types it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.as_str().to_owned(),
                message: message.into(),
            },
        }
    }
}

impl ErrorDetail {
    /// The typed code, `None` for a code this version does not know.
    pub fn kind(&self) -> Option<ErrorCode> {
        ErrorCode::from_name(&self.code)
    }
}

/// The stable error codes, with the HTTP status each comes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 400: the body is not JSON.
    MalformedJson,
    /// 400: the body or a parameter is JSON of the wrong shape or value (unknown field too).
    InvalidRequest,
    /// 413: the body is larger than the service accepts.
    BodyTooLarge,
    /// 415: the body is not sent as JSON (`Content-Type: application/json`).
    UnsupportedMediaType,
    /// 408: the body did not arrive in time.
    RequestTimeout,
    /// 401: no bearer token, or one the service does not know.
    Unauthenticated,
    /// 401: the token was revoked.
    TokenRevoked,
    /// 401: the token has expired.
    TokenExpired,
    /// 403: the token may not act on this device.
    Forbidden,
    /// 403: the device is revoked.
    DeviceRevoked,
    /// 404: no such device.
    UnknownDevice,
    /// 404: no such key request.
    UnknownRequest,
    /// 404: no such key profile.
    UnknownProfile,
    /// 404: no such route.
    NotFound,
    /// 405: the route does not take this method.
    MethodNotAllowed,
    /// 409: the request was never answered, so there is nothing to report on.
    RequestNotAnswered,
    /// 409: the slot was already reported with a different outcome or KCV.
    ReportConflict,
    /// 409: the profile was rotated by someone else at the same moment.
    RotationConflict,
    /// 422: the report names a slot the request did not issue.
    UnknownSlot,
    /// 500: the service's configuration cannot serve this device (profile missing, KSN space
    /// used up).
    Misconfigured,
    /// 500: an unexpected failure inside the service.
    Internal,
    /// 502: AWS refused the export (permissions, missing key, invalid request).
    AwsRejected,
    /// 502: what AWS returned failed validation; no block was handed out.
    ExportInvalid,
    /// 503 + Retry-After: AWS throttled, failed or timed out after retries.
    AwsUnavailable,
    /// 503 + Retry-After: the database cannot be reached.
    DatabaseUnavailable,
    /// 503 + Retry-After: the service's own AWS rate or concurrency limit is saturated.
    Busy,
}

/// (code, wire name, HTTP status).
const ERROR_CODES: &[(ErrorCode, &str, u16)] = &[
    (ErrorCode::MalformedJson, "malformed_json", 400),
    (ErrorCode::InvalidRequest, "invalid_request", 400),
    (ErrorCode::BodyTooLarge, "body_too_large", 413),
    (ErrorCode::UnsupportedMediaType, "unsupported_media_type", 415),
    (ErrorCode::RequestTimeout, "request_timeout", 408),
    (ErrorCode::Unauthenticated, "unauthenticated", 401),
    (ErrorCode::TokenRevoked, "token_revoked", 401),
    (ErrorCode::TokenExpired, "token_expired", 401),
    (ErrorCode::Forbidden, "forbidden", 403),
    (ErrorCode::DeviceRevoked, "device_revoked", 403),
    (ErrorCode::UnknownDevice, "unknown_device", 404),
    (ErrorCode::UnknownRequest, "unknown_request", 404),
    (ErrorCode::UnknownProfile, "unknown_profile", 404),
    (ErrorCode::NotFound, "not_found", 404),
    (ErrorCode::MethodNotAllowed, "method_not_allowed", 405),
    (ErrorCode::RequestNotAnswered, "request_not_answered", 409),
    (ErrorCode::ReportConflict, "report_conflict", 409),
    (ErrorCode::RotationConflict, "rotation_conflict", 409),
    (ErrorCode::UnknownSlot, "unknown_slot", 422),
    (ErrorCode::Misconfigured, "misconfigured", 500),
    (ErrorCode::Internal, "internal", 500),
    (ErrorCode::AwsRejected, "aws_rejected", 502),
    (ErrorCode::ExportInvalid, "export_invalid", 502),
    (ErrorCode::AwsUnavailable, "aws_unavailable", 503),
    (ErrorCode::DatabaseUnavailable, "database_unavailable", 503),
    (ErrorCode::Busy, "busy", 503),
];

impl ErrorCode {
    /// Every code, in the order of the table above.
    pub fn all() -> impl Iterator<Item = ErrorCode> {
        ERROR_CODES.iter().map(|row| row.0)
    }

    fn row(self) -> &'static (ErrorCode, &'static str, u16) {
        ERROR_CODES
            .iter()
            .find(|row| row.0 == self)
            .expect("every error code has a row")
    }

    /// The name on the wire, e.g. `unknown_device`.
    pub fn as_str(self) -> &'static str {
        self.row().1
    }

    /// The HTTP status the service answers with.
    pub fn http_status(self) -> u16 {
        self.row().2
    }

    pub fn from_name(name: &str) -> Option<Self> {
        ERROR_CODES.iter().find(|row| row.1 == name).map(|row| row.0)
    }

    /// Whether the same request may succeed later (the answer carries `Retry-After`).
    pub fn is_retryable(self) -> bool {
        self.http_status() == 503
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `KcvAlgorithm` as AWS names it (`ANSI_X9_24`, `CMAC`), in both directions.
mod kcv_algorithm_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::export::KcvAlgorithm;

    pub fn serialize<S: Serializer>(value: &KcvAlgorithm, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value.aws_name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<KcvAlgorithm, D::Error> {
        let name = String::deserialize(deserializer)?;
        KcvAlgorithm::from_aws(&name).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown KCV algorithm `{name}`, expected ANSI_X9_24 or CMAC"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_keys_are_camel_case_with_aws_kcv_names() {
        let key = IssuedKey {
            slot: 1,
            key_block: "D0112B1TX00E0000".into(),
            kcv: "08D7B4".into(),
            kcv_algorithm: KcvAlgorithm::AnsiX924,
            ksn: Some("FFFF9876540000200000".into()),
            key_arn: "arn:bdk".into(),
        };
        let json = serde_json::to_value(&key).unwrap();
        assert_eq!(json["keyBlock"], "D0112B1TX00E0000");
        assert_eq!(json["kcvAlgorithm"], "ANSI_X9_24");
        assert_eq!(json["ksn"], "FFFF9876540000200000");
        assert_eq!(serde_json::from_value::<IssuedKey>(json).unwrap(), key);
        let fixed = IssuedKey { ksn: None, ..key };
        assert!(serde_json::to_value(&fixed).unwrap().get("ksn").is_none());
    }

    #[test]
    fn reports_refuse_unknown_fields_and_outcomes() {
        let report: Report =
            serde_json::from_str(r#"{"slots":[{"slot":0,"outcome":"loaded","readerKcv":"08D7B4"}]}"#).unwrap();
        assert_eq!(report.slots[0].outcome, SlotOutcome::Loaded);
        assert!(serde_json::from_str::<Report>(r#"{"slots":[],"extra":1}"#).is_err());
        assert!(serde_json::from_str::<Report>(r#"{"slots":[{"slot":0,"outcome":"maybe"}]}"#).is_err());
        assert!(serde_json::from_str::<KeyRequest>(r#"{"slots":[1]}"#).is_err());
    }

    #[test]
    fn error_codes_round_trip_and_unknown_codes_survive() {
        for code in ErrorCode::all() {
            assert_eq!(ErrorCode::from_name(code.as_str()), Some(code));
        }
        let body = ErrorBody::new(ErrorCode::Busy, "try later");
        let text = serde_json::to_string(&body).unwrap();
        assert_eq!(text, r#"{"error":{"code":"busy","message":"try later"}}"#);
        assert!(ErrorCode::Busy.is_retryable() && !ErrorCode::Forbidden.is_retryable());
        let newer: ErrorBody = serde_json::from_str(r#"{"error":{"code":"brand_new","message":"m"}}"#).unwrap();
        assert_eq!(newer.error.kind(), None);
        assert_eq!(newer.error.code, "brand_new");
    }
}
