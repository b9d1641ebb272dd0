//! The exchange with the reader for one load: the frames the SDK sends, and what the loader does
//! when an answer is lost (read the key's check value, never send the key again blindly).

use std::time::Duration;

use crate::device::answer::ReaderStatus;
use crate::device::command::{
    CheckValueType, GET_CHECK_VALUE, KSN_PATH_TIMEOUT, LOAD_KSN, LOAD_TR31, TR31_CHUNK, TR31_CHUNK_END, Tr31KeyType,
    check_value_data, chunk_data, ksn_data, load_b0, load_tr31_data,
};
use crate::device::session::SessionError;

use super::outcome::{KnownKcv, compare_kcvs};
use super::{KeyLoader, LoadError, LoadMethod};

/// What one load sends, decided before anything is sent.
pub(super) struct Plan<'a> {
    pub block: &'a str,
    pub slot: u8,
    pub key_type: Option<Tr31KeyType>,
    /// The KSN frame's KSN, when one follows the load.
    pub ksn: Option<Vec<u8>>,
    /// The check value that shows the key (`None`: no check value covers its usage).
    pub check: Option<CheckValueType>,
    pub method: LoadMethod,
    pub wait: Option<Duration>,
}

impl Plan<'_> {
    /// The KSN type that reads back the KSN frame's KSN: the track group for NEW_KEY_DATA
    /// (prefix 3), else the PIN group (prefix 4 or 7).
    fn ksn_type(&self) -> CheckValueType {
        if self.key_type == Some(Tr31KeyType::NewKeyData) {
            CheckValueType::DukptTrkKsn
        } else {
            CheckValueType::DukptPinKsn
        }
    }
}

/// How a load came to be known as done.
enum Confirmed {
    /// The reader answered the load (and its KSN frame) with success.
    ByReader,
    /// The answer was lost, and the key's check value (this one) shows the key.
    ByKcv(Vec<u8>),
}

/// What the slot shows after a load whose answer was lost.
enum SlotRead {
    /// The key (and its KSN), with this KCV.
    Holds(Vec<u8>),
    /// Another key, no key or another KSN: the reader certainly does not hold this one.
    Other,
    /// Nobody can tell, for this reason.
    Unknown(String),
    Cancelled,
}

impl KeyLoader {
    /// Sends the load until the reader certainly holds it and returns the key's check value, or
    /// `None` when the reader reports none.
    pub(super) fn load_and_read_back(
        &mut self,
        plan: &Plan<'_>,
        known: &[KnownKcv],
    ) -> Result<Option<Vec<u8>>, LoadError> {
        match self.load_until_known(plan, known)? {
            Confirmed::ByKcv(kcv) => Ok(Some(kcv)),
            Confirmed::ByReader => self.read_back_after_load(plan),
        }
    }

    /// One check-value read, `len` the SDK's for the type.
    pub(super) fn read_check_value(
        &mut self,
        slot: u8,
        kind: CheckValueType,
        wait: Option<Duration>,
    ) -> Result<Vec<u8>, SessionError> {
        let data = check_value_data(slot, kind, kind.read_len());
        Ok(self.session.request(GET_CHECK_VALUE, data, wait)?.data)
    }

    /// Sends the load until the reader has certainly taken it. After an answer that was lost,
    /// garbled or did not name the load, the key's check value decides: the key is there (done),
    /// it is not (send again, within the retry budget), or nobody can tell (`Indeterminate`).
    fn load_until_known(&mut self, plan: &Plan<'_>, known: &[KnownKcv]) -> Result<Confirmed, LoadError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.send_load(plan)? {
                None => return Ok(Confirmed::ByReader),
                Some(error) => error,
            };
            let slot = plan.slot;
            let unknown = |why: String| LoadError::Indeterminate {
                reason: format!("{error} after the load was sent, and {why}"),
            };
            match error {
                SessionError::Cancelled => return Err(LoadError::Cancelled),
                SessionError::Disconnected { .. } => return Err(unknown(format!("slot {slot}'s KCV cannot be read"))),
                _ if known.is_empty() => {
                    return Err(unknown(format!(
                        "no KCV of the key is known (no KC block, no expected KCV) to check slot {slot} with"
                    )));
                }
                _ => {}
            }
            match self.slot_shows(plan, known) {
                SlotRead::Holds(kcv) => return Ok(Confirmed::ByKcv(kcv)),
                // Another key: the reader certainly does not hold this one, so sending it again
                // is safe.
                SlotRead::Other => {}
                SlotRead::Unknown(why) => return Err(unknown(why)),
                SlotRead::Cancelled => return Err(LoadError::Cancelled),
            }
            if attempt > self.session.config().max_retries {
                return Err(error.into());
            }
        }
    }

    /// Reads the key's check value (and the KSN it was loaded with) after a lost answer.
    fn slot_shows(&mut self, plan: &Plan<'_>, known: &[KnownKcv]) -> SlotRead {
        let slot = plan.slot;
        let Some(kind) = plan.check else {
            return SlotRead::Unknown(format!("no check value covers the key's usage in slot {slot}"));
        };
        let failed = |what: &str, e: SessionError| match e {
            SessionError::Cancelled => SlotRead::Cancelled,
            SessionError::Reader(ReaderStatus::KeyNotFound) => SlotRead::Other,
            e => SlotRead::Unknown(format!("reading slot {slot}'s {what} failed: {e}")),
        };
        let kcv = match self.read_check_value(slot, kind, plan.wait) {
            Ok(kcv) => kcv,
            Err(e) => return failed(kind.name(), e),
        };
        match compare_kcvs(&kcv, known) {
            Ok(_) => {}
            Err(short @ LoadError::ShortReaderKcv { .. }) => return SlotRead::Unknown(short.to_string()),
            Err(_) => return SlotRead::Other,
        }
        if let Some(ksn) = &plan.ksn {
            let ksn_type = plan.ksn_type();
            match self.read_check_value(slot, ksn_type, plan.wait) {
                Ok(reader) if reader == *ksn => {}
                Ok(_) => return SlotRead::Other,
                Err(e) => return failed(ksn_type.name(), e),
            }
        }
        SlotRead::Holds(kcv)
    }

    /// The key's check value after the reader confirmed the load (and the KSN, compared with
    /// the one sent); `None` when the reader cannot report check values. A reader that confirmed
    /// the load but cannot be asked afterwards leaves the result open.
    fn read_back_after_load(&mut self, plan: &Plan<'_>) -> Result<Option<Vec<u8>>, LoadError> {
        let Some(kind) = plan.check else { return Ok(None) };
        let slot = plan.slot;
        let open = |what: &str, e: SessionError| match e {
            e @ (SessionError::Reader(_) | SessionError::Cancelled) => LoadError::from(e),
            e => LoadError::Indeterminate {
                reason: format!("the reader confirmed the load, but reading slot {slot}'s {what} failed: {e}"),
            },
        };
        let kcv = match self.read_check_value(slot, kind, plan.wait) {
            Ok(kcv) => kcv,
            Err(SessionError::Reader(ReaderStatus::NotSupported)) => return Ok(None),
            Err(e) => return Err(open(kind.name(), e)),
        };
        if let Some(ksn) = &plan.ksn {
            let ksn_type = plan.ksn_type();
            match self.read_check_value(slot, ksn_type, plan.wait) {
                Ok(reader) if reader == *ksn => {}
                Ok(reader) => {
                    return Err(LoadError::KsnMismatch {
                        expected: hex::encode_upper(ksn),
                        reader: hex::encode_upper(reader),
                    });
                }
                Err(SessionError::Reader(ReaderStatus::NotSupported)) => {}
                Err(e) => return Err(open(ksn_type.name(), e)),
            }
        }
        Ok(Some(kcv))
    }

    /// Sends the load. `Ok(None)`: the reader confirmed it. `Ok(Some(e))`: the load went out but
    /// its outcome is unknown (`e` says why). `Err`: the reader certainly did not take the key
    /// (it refused, or the failure came before anything that changes keys was sent).
    fn send_load(&mut self, plan: &Plan<'_>) -> Result<Option<SessionError>, LoadError> {
        let wait = plan.wait;
        let result = match plan.method {
            LoadMethod::Direct => {
                self.session.announce_ksn(plan.ksn.as_deref());
                let data = load_tr31_data(load_b0(plan.slot, plan.key_type), plan.block);
                let load = match &plan.ksn {
                    // The SDK's KSN path sends both frames with TIMEOUT 10.
                    Some(_) => self.session.request_with(LOAD_TR31, KSN_PATH_TIMEOUT, data, wait),
                    None => self.session.request(LOAD_TR31, data, wait),
                };
                match (load, &plan.ksn) {
                    (Ok(_), Some(ksn)) => self
                        .session
                        .request(LOAD_KSN, ksn_data(plan.key_type, ksn), wait)
                        .map(drop),
                    (load, _) => load.map(drop),
                }
            }
            LoadMethod::Chunked => {
                // Chunks only fill the reader's buffer; any failure here leaves its keys alone.
                for chunk in chunk_data(plan.block.as_bytes()) {
                    self.session.request(TR31_CHUNK, chunk, wait)?;
                }
                self.session.request(TR31_CHUNK_END, Vec::new(), wait).map(drop)
            }
        };
        match result {
            Ok(()) => Ok(None),
            Err(e)
                if e.outcome_unknown() || matches!(e, SessionError::Disconnected { .. } | SessionError::Cancelled) =>
            {
                Ok(Some(e))
            }
            Err(e) => Err(e.into()),
        }
    }
}
