//! `KeyLoader.provision`: the reader gets its keys from the key service in one call (feature
//! `service-client`), as rust-core's `KeyLoader::provision` does it: read the POS id, request the
//! keys, load each slot with the policy and KCV checks of every load, report what happened.
//!
//! It runs like every loader call (see [`crate::loader`]): on the library's blocking pool, one call
//! per reader, and a cancelled coroutine (or `KeyLoader.cancel()` from Swift) fires the loader's
//! cancel handle: the slot being loaded ends as it ends, the rest are not attempted, and what was
//! done is still reported to the service before the call winds down (the slots never sent as
//! failed).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use keybridge::loader::KeyLoadOutcome;
use keybridge::provision::{self, ProvisionError};
use keybridge::service_api::{SlotOutcome, Verdict};

use crate::error::{LoadFailureKind, ReaderError};
use crate::loader::milliseconds;
use crate::service::{KeyServiceClient, KeyServiceError, ServiceFailure};
use crate::{AwsKcvAlgorithm, KeyLoadResult, KeyLoader, LoadFailure};

/// Per-call options of [`KeyLoader::provision`].
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct ProvisionOptions {
    /// The key request's `Idempotency-Key`. Give the same one again to retry a provisioning that
    /// ended before the keys arrived: the service answers with the same keys and KSNs. `None`:
    /// a fresh one.
    #[uniffi(default = None)]
    pub idempotency_key: Option<String>,
    /// Overrides the loader's per-answer timeout for the loads, in ms (at least 1).
    #[uniffi(default = None)]
    pub timeout_ms: Option<i32>,
}

/// Progress of a provisioning, for a UI. Called on a keybridge thread, in slot order; an
/// exception thrown here is ignored (progress is for display and never changes what is loaded).
#[uniffi::export(foreign)]
pub trait ProvisionProgress: Send + Sync {
    /// The service answered: `slots` keys to load under `request_id`.
    fn keys_received(&self, request_id: String, slots: i32);
    /// Loading `slot` begins.
    fn slot_started(&self, slot: i32);
    /// `slot` is done, loaded or not.
    fn slot_finished(&self, slot: ProvisionedSlot);
}

/// Calls the app's [`ProvisionProgress`] for rust-core, containing whatever it throws.
struct Progress(Arc<dyn ProvisionProgress>);

impl Progress {
    fn tell(&self, call: impl FnOnce(&dyn ProvisionProgress)) {
        // A foreign exception arrives as a panic in the generated callback code: contain it here.
        let _ = catch_unwind(AssertUnwindSafe(|| call(self.0.as_ref())));
    }
}

impl provision::ProvisionProgress for Progress {
    fn keys_received(&self, request_id: &str, slots: usize) {
        let slots = i32::try_from(slots).unwrap_or(i32::MAX);
        self.tell(|p| p.keys_received(request_id.to_owned(), slots));
    }

    fn slot_started(&self, slot: u8) {
        self.tell(|p| p.slot_started(slot.into()));
    }

    fn slot_finished(&self, slot: &provision::ProvisionedSlot) {
        let slot = ProvisionedSlot::from(slot);
        self.tell(|p| p.slot_finished(slot));
    }
}

/// What became of one slot of a provisioning.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProvisionedSlot {
    pub slot: i32,
    /// The key the service exported (the BDK of a DUKPT initial key).
    pub key_arn: String,
    /// The initial KSN of a DUKPT initial key.
    pub ksn: Option<String>,
    /// AWS's KCV of the exported key (hex) and how AWS computed it: `ANSI_X9_24` (comparable with
    /// the reader's) or `CMAC` (AES keys: not comparable, such a slot loads unverified).
    pub service_kcv: String,
    pub service_kcv_algorithm: AwsKcvAlgorithm,
    /// What was reported to the service: loaded, failed, or indeterminate (the reader may hold
    /// the key: read its KCV before loading again).
    pub outcome: SlotOutcome,
    /// The KCV the reader reported for the slot (hex): the loaded key's, or the one that did not
    /// match the expected KCV.
    pub reader_kcv_hex: Option<String>,
    /// Loaded, and the reader's KCV matched a KCV known for the key.
    pub verified: bool,
    /// The service's judgement of the reported slot; `None` for a failed load or when the report
    /// did not get through.
    pub verdict: Option<Verdict>,
    /// The load, when the reader took the key.
    pub loaded: Option<KeyLoadResult>,
    /// Why the load failed, as the `ReaderException` it would have been.
    pub failure: Option<LoadFailure>,
}

impl From<&provision::ProvisionedSlot> for ProvisionedSlot {
    fn from(s: &provision::ProvisionedSlot) -> Self {
        let (loaded, failure) = match &s.result {
            Ok(outcome) => (Some(KeyLoadResult::from(outcome.clone())), None),
            Err(e) => (None, Some(LoadFailure::from(ReaderError::from(e.clone())))),
        };
        Self {
            slot: s.slot.into(),
            key_arn: s.key_arn.clone(),
            ksn: s.ksn.clone(),
            service_kcv: s.service_kcv.clone(),
            service_kcv_algorithm: s.service_kcv_algorithm,
            outcome: s.outcome(),
            reader_kcv_hex: s.reader_kcv(),
            verified: s.result.as_ref().is_ok_and(KeyLoadOutcome::is_verified),
            verdict: s.verdict,
            loaded,
            failure,
        }
    }
}

/// The result of a provisioning that got its keys from the service. The load results are what
/// happened on the reader whatever became of the report; [`ProvisionReport::report_failure`] says
/// whether the service heard of them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProvisionReport {
    pub pos_id: String,
    pub request_id: String,
    /// Every slot attempted, in slot order. After a cancellation the slots not reached are absent.
    pub slots: Vec<ProvisionedSlot>,
    /// Cancelled before every slot was attempted.
    pub cancelled: bool,
    /// Why the service never got the report; `None` when it did.
    pub report_failure: Option<ServiceFailure>,
    /// Every slot loaded and verified against AWS's KCV, nothing cancelled, the report received.
    pub all_verified: bool,
}

impl From<provision::ProvisionReport> for ProvisionReport {
    fn from(r: provision::ProvisionReport) -> Self {
        Self {
            all_verified: r.all_verified(),
            slots: r.slots.iter().map(ProvisionedSlot::from).collect(),
            pos_id: r.pos_id,
            request_id: r.request_id,
            cancelled: r.cancelled,
            report_failure: r.report.err().map(Into::into),
        }
    }
}

/// A loader failure before the service was asked: cancelled, or the reader's.
fn stopped(e: ReaderError) -> KeyServiceError {
    match e.kind() {
        LoadFailureKind::Cancelled => KeyServiceError::Cancelled,
        _ => KeyServiceError::Reader { failure: e.into() },
    }
}

#[uniffi::export]
impl KeyLoader {
    /// Provisions the connected reader from the key service: reads its POS id, requests its keys,
    /// loads each slot (the service's KCV as the expected one where AWS's is comparable) and
    /// reports every slot's outcome and reader KCV. A service refusal or outage before any key
    /// arrived throws; once keys arrived the result holds every slot's outcome, and a report that
    /// could not be delivered is `reportFailure`, never a changed load result.
    #[uniffi::method(default(progress = None, options))]
    pub async fn provision(
        &self,
        client: Arc<KeyServiceClient>,
        options: ProvisionOptions,
        progress: Option<Arc<dyn ProvisionProgress>>,
    ) -> Result<ProvisionReport, KeyServiceError> {
        let options = provision::ProvisionOptions {
            idempotency_key: options.idempotency_key,
            timeout: milliseconds("timeoutMs", options.timeout_ms).map_err(stopped)?,
        };
        let service = client.inner.clone();
        let progress = progress.map(Progress);
        let provisioned = self
            .run(move |loader| {
                let progress = progress.as_ref().map(|p| p as &dyn provision::ProvisionProgress);
                Ok(loader.provision(&service, &options, progress))
            })
            .await
            .map_err(stopped)?;
        match provisioned {
            Ok(report) => Ok(report.into()),
            Err(ProvisionError::Reader(e)) => Err(stopped(e.into())),
            Err(ProvisionError::Service(e)) => Err(e.into()),
            Err(ProvisionError::Cancelled) => Err(KeyServiceError::Cancelled),
        }
    }
}
