//! `KeyLoader::provision`: a reader gets its keys from the key service in one call (feature
//! `service-client`). Read the reader's POS id, ask the service for its keys, load each slot
//! through [`KeyLoader::send_tr31_key_with`] (policy, KCV checks and the indeterminate-result
//! rules are those of every load), then report every slot's outcome and the reader's KCV.
//!
//! What is reported is what happened, whatever happens to the report: a slot that failed is
//! reported failed, one whose outcome nobody can tell is reported indeterminate, a slot a
//! cancellation kept from being sent is reported failed (the reader cannot hold a key it was never
//! sent, and the service's trail then says so instead of leaving the key issued to nobody knows
//! whom), and a report the service never received leaves every load result as it was (the
//! report's own failure is returned beside them, never folded into them).
//!
//! The KCV the service sends with each block is given to the loader as the expected KCV when it
//! is comparable with a reader's (AWS's `ANSI_X9_24`); an AES key's `CMAC` KCV is not, and such a
//! slot loads "unverified" on the device and is judged `unverifiable` by the service.

use std::time::{Duration, Instant};

use crate::export::KcvAlgorithm;
use crate::loader::{KeyLoadOutcome, KeyLoader, LoadError, LoadRequest};
use crate::service_api::{IssuedKey, Report, ReportResponse, SlotOutcome, SlotReport, Verdict};
use crate::service_client::{KeyServiceClient, ServiceError, new_idempotency_key};

/// The longest failure text a report carries (the service keeps at most 200 characters).
const MAX_REPORTED_ERROR_CHARS: usize = 200;

/// The report's failure text for a slot a cancellation kept from being sent.
const NOT_SENT: &str = "not sent: the provisioning was cancelled before this slot";

/// Per-call options of [`KeyLoader::provision`].
#[derive(Debug, Clone, Default)]
pub struct ProvisionOptions {
    /// The key request's `Idempotency-Key`. Give the same one to retry a provisioning that ended
    /// before the keys arrived: the service answers with the same keys and KSNs. `None`: fresh.
    pub idempotency_key: Option<String>,
    /// Overrides the loader's per-answer timeout for the loads.
    pub timeout: Option<Duration>,
}

/// Progress of a provisioning, for UIs. Called on the provisioning thread, in slot order.
pub trait ProvisionProgress: Send + Sync {
    /// The service answered: `slots` keys to load.
    fn keys_received(&self, _request_id: &str, _slots: usize) {}
    /// Loading `slot` begins.
    fn slot_started(&self, _slot: u8) {}
    /// `slot` is done, loaded or not.
    fn slot_finished(&self, _slot: &ProvisionedSlot) {}
}

/// Progress nobody watches.
struct Quiet;

impl ProvisionProgress for Quiet {}

/// What became of one slot.
#[derive(Debug)]
pub struct ProvisionedSlot {
    pub slot: u8,
    /// The key the service exported (the BDK for a DUKPT initial key).
    pub key_arn: String,
    /// The initial KSN of a DUKPT initial key.
    pub ksn: Option<String>,
    /// AWS's KCV of the exported key and how it was computed.
    pub service_kcv: String,
    pub service_kcv_algorithm: KcvAlgorithm,
    /// The load, exactly as [`KeyLoader::send_tr31_key_with`] returned it.
    pub result: Result<KeyLoadOutcome, LoadError>,
    /// The service's judgement of the reported slot, once the report got through.
    pub verdict: Option<Verdict>,
}

impl ProvisionedSlot {
    /// What the report says of this slot.
    pub fn outcome(&self) -> SlotOutcome {
        match &self.result {
            Ok(_) => SlotOutcome::Loaded,
            // The reader may hold the key: saying "failed" would be as wrong as "loaded".
            Err(LoadError::Indeterminate { .. } | LoadError::Cancelled) => SlotOutcome::Indeterminate,
            Err(_) => SlotOutcome::Failed,
        }
    }

    /// The KCV the reader reported for this slot (hex), as the report says it: the loaded key's,
    /// or the one that did not match.
    pub fn reader_kcv(&self) -> Option<String> {
        match &self.result {
            Ok(outcome) if !outcome.reader_kcv.is_empty() => Some(hex::encode_upper(&outcome.reader_kcv)),
            Err(LoadError::KcvMismatch { reader, .. }) if !reader.is_empty() => Some(reader.clone()),
            _ => None,
        }
    }

    fn report(&self) -> SlotReport {
        let error = self.result.as_ref().err().map(|e| {
            let text: String = e.to_string().chars().filter(|c| !c.is_control()).collect();
            text.chars().take(MAX_REPORTED_ERROR_CHARS).collect()
        });
        SlotReport {
            slot: self.slot,
            outcome: self.outcome(),
            reader_kcv: self.reader_kcv(),
            error,
        }
    }
}

/// The result of a provisioning that got its keys from the service.
#[derive(Debug)]
pub struct ProvisionReport {
    pub pos_id: String,
    pub request_id: String,
    /// Every slot attempted, in slot order. After a cancellation, the slots not reached are
    /// missing here and reported to the service as failed (never sent).
    pub slots: Vec<ProvisionedSlot>,
    /// Whether the provisioning was cancelled before every slot was attempted.
    pub cancelled: bool,
    /// The service's answer to the report, or why it never got one. A report that failed
    /// changes no load result.
    pub report: Result<ReportResponse, ServiceError>,
    /// Where the time went.
    pub timings: ProvisionTimings,
}

/// Wall time of each step of a provisioning: the reader's round trips (`device_info`, most of
/// `loads`) against the service's, which include AWS's (`key_request`, `report`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProvisionTimings {
    /// Reading the reader's POS id.
    pub device_info: Duration,
    /// The key request, retries included (the service exports from AWS meanwhile).
    pub key_request: Duration,
    /// Loading and verifying every slot.
    pub loads: Duration,
    /// Delivering the report, retries included.
    pub report: Duration,
}

impl ProvisionReport {
    /// Whether every slot of the request is loaded, its KCV verified by the reader against
    /// AWS's, and the service received the report.
    pub fn all_verified(&self) -> bool {
        !self.cancelled
            && self.report.is_ok()
            && self
                .slots
                .iter()
                .all(|s| s.result.as_ref().is_ok_and(KeyLoadOutcome::is_verified))
    }
}

/// Why provisioning ended before any key was loaded.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The reader's POS id could not be read; the service was not asked.
    #[error("reading the reader's POS id: {0}")]
    Reader(LoadError),
    /// The service gave no keys (refused, unavailable, unreachable).
    #[error(transparent)]
    Service(ServiceError),
    /// Cancelled before any key was sent to the reader. If the service had answered, it was
    /// told that no slot was sent (best effort: a report that fails is not retried further).
    #[error("cancelled")]
    Cancelled,
}

impl KeyLoader {
    /// Provisions the connected reader from the key service: see the [module](self) docs.
    /// `progress` is told of each step; `None` keeps quiet. Cancel through
    /// [`KeyLoader::cancel_handle`]: the slot being loaded ends as it ends, the rest are not
    /// attempted, and what was done is still reported.
    pub fn provision(
        &mut self,
        client: &KeyServiceClient,
        options: &ProvisionOptions,
        progress: Option<&dyn ProvisionProgress>,
    ) -> Result<ProvisionReport, ProvisionError> {
        let progress = progress.unwrap_or(&Quiet);
        let cancel = self.cancel_handle();
        let mut timings = ProvisionTimings::default();
        let mut step = Instant::now();
        let mut lap = |into: &mut Duration| {
            *into = step.elapsed();
            step = Instant::now();
        };
        let pos_id = self.device_info().map_err(ProvisionError::Reader)?.pos_id;
        lap(&mut timings.device_info);
        if cancel.is_cancelled() {
            return Err(ProvisionError::Cancelled);
        }
        let idempotency_key = options.idempotency_key.clone().unwrap_or_else(new_idempotency_key);
        let mut answer = client
            .request_keys(&pos_id, &idempotency_key)
            .map_err(ProvisionError::Service)?;
        lap(&mut timings.key_request);
        answer.keys.sort_by_key(|key| key.slot);
        progress.keys_received(&answer.request_id, answer.keys.len());

        let mut slots = Vec::with_capacity(answer.keys.len());
        for key in &answer.keys {
            if cancel.is_cancelled() {
                break;
            }
            progress.slot_started(key.slot);
            let slot = self.provision_slot(key, options.timeout);
            progress.slot_finished(&slot);
            slots.push(slot);
        }
        let cancelled = slots.len() < answer.keys.len();
        lap(&mut timings.loads);
        let not_sent = answer.keys[slots.len()..].iter().map(|key| SlotReport {
            slot: key.slot,
            outcome: SlotOutcome::Failed,
            reader_kcv: None,
            error: Some(NOT_SENT.into()),
        });
        let report = Report {
            slots: slots.iter().map(ProvisionedSlot::report).chain(not_sent).collect(),
        };
        let report = client.report(&answer.request_id, &report);
        if cancelled && slots.is_empty() {
            return Err(ProvisionError::Cancelled);
        }
        lap(&mut timings.report);
        if let Ok(response) = &report {
            for slot in &mut slots {
                slot.verdict = response
                    .slots
                    .iter()
                    .find(|v| v.slot == slot.slot)
                    .and_then(|v| v.verdict);
            }
        }
        Ok(ProvisionReport {
            pos_id,
            request_id: answer.request_id,
            slots,
            cancelled,
            report,
            timings,
        })
    }

    fn provision_slot(&mut self, key: &IssuedKey, timeout: Option<Duration>) -> ProvisionedSlot {
        let expected_kcv = match key.kcv_algorithm {
            KcvAlgorithm::AnsiX924 => hex::decode(&key.kcv).ok(),
            KcvAlgorithm::Cmac => None,
        };
        let request = LoadRequest {
            slot: Some(key.slot),
            expected_kcv,
            ksn: key.ksn.clone(),
            timeout,
            ..LoadRequest::default()
        };
        ProvisionedSlot {
            slot: key.slot,
            key_arn: key.key_arn.clone(),
            ksn: key.ksn.clone(),
            service_kcv: key.kcv.clone(),
            service_kcv_algorithm: key.kcv_algorithm,
            result: self.send_tr31_key_with(&key.key_block, &request),
            verdict: None,
        }
    }
}
