//! `KeyLoader`: `keybridge::loader::KeyLoader` as an async FFI object, opened on a TCP address, a
//! serial port or a [`ReaderTransport`] the app implements (Bluetooth SPP, BLE, USB).
//!
//! The core loader is blocking. Each async call runs it on the library runtime's blocking pool;
//! when the caller's future is dropped (a Kotlin coroutine cancelled) the loader's `CancelHandle`
//! fires and the blocking call stops at its next wait with `Cancelled`. One call at a time per
//! reader: a second concurrent call fails at once with `CallInProgress` instead of queueing
//! behind (and being cancelled together with) the first — unless the first was cancelled and is
//! only winding down: then the new call waits for it, so "cancel, then try again" just works.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use keybridge::device::transport::{ForeignTransport, ForeignTransportAdapter, TransportError};
use keybridge::loader::{self, CancelHandle, KcvCheck, LoadError, LoadMethod, LoadPolicy, LoaderConfig};

use crate::error::{LoadFailureKind, ReaderError, ReaderTransportError};
use crate::runtime::runtime;

/// A byte stream to a reader, implemented by the app (Kotlin/Swift) over Bluetooth or USB.
#[uniffi::export(foreign)]
pub trait ReaderTransport: Send + Sync {
    /// Up to `max_len` bytes; an EMPTY array means nothing arrived within `timeout_ms`. Both are
    /// positive. Signed so that Java can implement the interface (Kotlin mangles `UInt` methods).
    fn read(&self, max_len: i32, timeout_ms: i32) -> Result<Vec<u8>, ReaderTransportError>;
    fn write(&self, data: Vec<u8>) -> Result<(), ReaderTransportError>;
    /// Closes the link. (Not `close`: generated Kotlin objects are `AutoCloseable` already.)
    fn disconnect(&self);
}

/// Adapts the FFI trait to rust-core's `ForeignTransport` (same shape, different error type).
struct ForeignReader(Arc<dyn ReaderTransport>);

impl ForeignTransport for ForeignReader {
    fn read(&self, max_len: u32, timeout_ms: u32) -> Result<Vec<u8>, TransportError> {
        let signed = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        self.0.read(signed(max_len), signed(timeout_ms)).map_err(Into::into)
    }

    fn write(&self, data: Vec<u8>) -> Result<(), TransportError> {
        self.0.write(data).map_err(Into::into)
    }

    fn close(&self) {
        self.0.disconnect()
    }
}

/// How a loader talks to the reader and what it accepts. `None` keeps keybridge's default.
/// Numbers are signed throughout this API so that Java can call it (Kotlin hides `UInt` members
/// from Java); values outside their range are `ReaderError.InvalidArgument` naming the field.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct LoaderOptions {
    /// How long to wait for each answer from the reader, in ms, at least 1 (default 5000).
    #[uniffi(default = None)]
    pub command_timeout_ms: Option<i32>,
    /// Retries after a lost or corrupted answer, 0–10 (default 2).
    #[uniffi(default = None)]
    pub max_retries: Option<i32>,
    /// Accept blocks as real HSMs emit them outside X9.143 (see `Tr31Profile.lenient`).
    #[uniffi(default = false)]
    pub lenient: bool,
    /// Accept version A and AES keys under TDES KBPKs.
    #[uniffi(default = false)]
    pub allow_weak_wrapping: bool,
    /// Send in 64-byte chunks (CMD 0x40), as the vendor SDK's `sendTR31Key` does, instead of the
    /// direct CMD 0x10 load. Chunked loads carry no key index: slot 0 only.
    #[uniffi(default = false)]
    pub chunked: bool,
}

impl LoaderOptions {
    fn core(&self) -> Result<LoaderConfig, ReaderError> {
        let defaults = LoaderConfig::default();
        let mut policy = if self.lenient {
            LoadPolicy::lenient()
        } else {
            LoadPolicy::default()
        };
        if self.allow_weak_wrapping {
            policy = policy.allow_weak_wrapping();
        }
        let max_retries = match self.max_retries {
            None => defaults.max_retries,
            Some(n) => u32::try_from(n)
                .ok()
                .filter(|&n| n <= LoaderConfig::MAX_RETRIES)
                .ok_or_else(|| invalid(format!("maxRetries is {n}; it must be 0–{}", LoaderConfig::MAX_RETRIES)))?,
        };
        Ok(LoaderConfig {
            policy,
            command_timeout: milliseconds("commandTimeoutMs", self.command_timeout_ms)?
                .unwrap_or(defaults.command_timeout),
            max_retries,
            method: if self.chunked {
                LoadMethod::Chunked
            } else {
                LoadMethod::Direct
            },
            ..defaults
        })
    }
}

/// Per-call options of [`KeyLoader::send_tr31_key_with`].
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct LoadRequest {
    /// Key index 0–9.
    #[uniffi(default = 0)]
    pub slot: i32,
    /// The key's legacy KCV (ECB of zeros), compared with what the reader reports.
    #[uniffi(default = None)]
    pub expected_kcv: Option<Vec<u8>>,
    /// KSN of a B1 (DUKPT initial) key, hex (20 digits TDES, 24 AES), sent in the KSN frame after
    /// the load; optional when the block has a KS or IK optional block.
    #[uniffi(default = None)]
    pub ksn: Option<String>,
    /// Overrides the per-answer timeout for this call, in ms (at least 1).
    #[uniffi(default = None)]
    pub timeout_ms: Option<i32>,
    /// The vendor's `TR31KeyType` to load the key as (`NEW_KEY_ALL`, `NEW_KEY_TMK`,
    /// `NEW_KEY_PIN`, `NEW_KEY_DATA`, or `all`/`tmk`/`pin`/`data`); `None` sends the bare index.
    #[uniffi(default = None)]
    pub key_type: Option<String>,
}

impl LoadRequest {
    fn core(&self) -> Result<loader::LoadRequest, ReaderError> {
        Ok(loader::LoadRequest {
            slot: Some(slot(self.slot)?),
            expected_kcv: self.expected_kcv.clone(),
            ksn: self.ksn.clone(),
            key_type: self
                .key_type
                .as_deref()
                .map(|name| {
                    loader::Tr31KeyType::from_name(name)
                        .ok_or_else(|| invalid(format!("keyType {name} is not a TR31KeyType name")))
                })
                .transpose()?,
            method: None,
            timeout: milliseconds("timeoutMs", self.timeout_ms)?,
        })
    }
}

/// A key index from the foreign side: 0–9 (checked again by the core, which names the range).
fn slot(value: i32) -> Result<u8, ReaderError> {
    u8::try_from(value).map_err(|_| invalid(format!("key index {value} is outside 0–9")))
}

/// A positive number of milliseconds named `field`, if given.
pub(crate) fn milliseconds(field: &str, value: Option<i32>) -> Result<Option<Duration>, ReaderError> {
    value
        .map(|ms| {
            u64::try_from(ms)
                .ok()
                .filter(|&ms| ms > 0)
                .map(Duration::from_millis)
                .ok_or_else(|| invalid(format!("{field} is {ms}; it must be at least 1")))
        })
        .transpose()
}

fn invalid(reason: String) -> ReaderError {
    ReaderError::InvalidArgument(LoadError::InvalidArgument { reason })
}

/// Which KCV the reader's was compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum KcvVerification {
    /// The block's KC optional block.
    MatchedKeyBlock,
    /// `LoadRequest.expectedKcv`.
    MatchedExpected,
    /// NOT verified: the reader accepted the key, but no KCV of the key was known or the reader
    /// reports none (see the warnings). As with the vendor SDK's `true`, the reader's word only.
    Unverified,
}

/// A key the reader accepted.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KeyLoadResult {
    pub slot: i32,
    /// Header codes of the loaded block: version `"D"`, usage `"P0"`, algorithm `"T"`.
    pub version: String,
    pub key_usage: String,
    pub algorithm: String,
    /// The KCV the reader reports for the slot (empty if it cannot report one).
    pub reader_kcv: Vec<u8>,
    pub reader_kcv_hex: String,
    pub kcv_verification: KcvVerification,
    /// Things to know although the key was loaded (e.g. wrapped under the factory KBPK).
    pub warnings: Vec<String>,
    pub elapsed_ms: i64,
}

impl From<loader::KeyLoadOutcome> for KeyLoadResult {
    fn from(o: loader::KeyLoadOutcome) -> Self {
        Self {
            slot: o.slot.into(),
            version: o.version.code().into(),
            key_usage: o.key_usage.code().into(),
            algorithm: o.algorithm.code().into(),
            reader_kcv_hex: hex::encode_upper(&o.reader_kcv),
            reader_kcv: o.reader_kcv,
            kcv_verification: match o.kcv_check {
                KcvCheck::MatchedKeyBlock => KcvVerification::MatchedKeyBlock,
                KcvCheck::MatchedExpected => KcvVerification::MatchedExpected,
                KcvCheck::Unverified => KcvVerification::Unverified,
            },
            warnings: o.warnings.iter().map(ToString::to_string).collect(),
            elapsed_ms: o.elapsed.as_millis().try_into().unwrap_or(i64::MAX),
        }
    }
}

/// What the reader says about itself.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceInfo {
    pub pos_id: String,
    pub psam_id: String,
    pub extra: String,
}

/// A failed call, as data rather than an exception: for callback-style layers (the
/// Dspread-compatible `QPOSService`) that report `onError(Error)` with the vendor's names.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LoadFailure {
    /// Which `ReaderException` the call would have thrown.
    pub kind: LoadFailureKind,
    /// The Dspread `QPOSService.Error` name: TIMEOUT, NO_RESPONSE, DEVICE_BUSY, INPUT_INVALID, …
    pub dspread_error: String,
    /// The readable reason (the same text the exception would carry).
    pub message: String,
}

impl From<ReaderError> for LoadFailure {
    fn from(e: ReaderError) -> Self {
        Self {
            kind: e.kind(),
            dspread_error: e.dspread_error_name().into(),
            message: e.to_string(),
        }
    }
}

/// The result of [`KeyLoader::load_report`]: exactly one of the two is set.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LoadReport {
    pub loaded: Option<KeyLoadResult>,
    pub failure: Option<LoadFailure>,
}

/// The result of [`KeyLoader::kcv_report`]: exactly one of the two is set.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KcvReport {
    pub kcv: Option<Vec<u8>>,
    pub failure: Option<LoadFailure>,
}

/// The result of [`KeyLoader::device_info_report`]: exactly one of the two is set.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceInfoReport {
    pub info: Option<DeviceInfo>,
    pub failure: Option<LoadFailure>,
}

/// A result as the `*_report` records carry it.
fn as_data<T>(result: Result<T, ReaderError>) -> (Option<T>, Option<LoadFailure>) {
    match result {
        Ok(value) => (Some(value), None),
        Err(e) => (None, Some(e.into())),
    }
}

/// Loads TR-31 key blocks into one reader.
#[derive(uniffi::Object)]
pub struct KeyLoader {
    /// `None` once closed. Held by the blocking worker for the whole call.
    inner: Arc<Mutex<Option<loader::KeyLoader>>>,
    cancel: CancelHandle,
    /// Held (owned guard, moved into the blocking worker) for as long as a call really runs.
    call_slot: Arc<tokio::sync::Mutex<()>>,
    /// Set when the caller of the running call went away; cleared when the next call starts.
    winding_down: Arc<AtomicBool>,
}

#[uniffi::export]
impl KeyLoader {
    /// Connects to a reader over TCP (`host:port`), e.g. a reader simulator or a network bridge.
    #[uniffi::constructor]
    pub fn open_tcp(address: String, options: LoaderOptions) -> Result<Arc<Self>, ReaderError> {
        Ok(Self::wrap(loader::KeyLoader::open_tcp(&address, options.core()?)?))
    }

    /// Talks to the reader through a transport the app implements.
    #[uniffi::constructor]
    pub fn with_transport(
        transport: Arc<dyn ReaderTransport>,
        options: LoaderOptions,
    ) -> Result<Arc<Self>, ReaderError> {
        let adapter = ForeignTransportAdapter::new(Arc::new(ForeignReader(transport)));
        Ok(Self::wrap(loader::KeyLoader::new(Box::new(adapter), options.core()?)))
    }

    /// Validates the block (as AWS returns it), loads it into slot 0 and verifies the reader's KCV.
    pub async fn send_tr31_key(&self, block: String) -> Result<KeyLoadResult, ReaderError> {
        self.send_tr31_key_with(block, LoadRequest::default()).await
    }

    pub async fn send_tr31_key_with(&self, block: String, request: LoadRequest) -> Result<KeyLoadResult, ReaderError> {
        let request = request.core()?;
        self.run(move |l| l.send_tr31_key_with(&block, &request).map(Into::into))
            .await
    }

    /// The reader's KCV of a slot (first 3 bytes of ECB of zeros): of the key this loader last
    /// loaded there, or of the PIN key (MKSK_PIK) for a slot it has not loaded.
    pub async fn key_check_value(&self, slot: i32) -> Result<Vec<u8>, ReaderError> {
        let slot = self::slot(slot)?;
        self.run(move |l| l.slot_check_value(slot)).await
    }

    pub async fn device_info(&self) -> Result<DeviceInfo, ReaderError> {
        self.run(|l| {
            l.device_info().map(|i| DeviceInfo {
                pos_id: i.pos_id,
                psam_id: i.psam_id,
                extra: i.extra,
            })
        })
        .await
    }

    /// [`KeyLoader::send_tr31_key_with`] that reports a failure as data with its Dspread name.
    pub async fn load_report(&self, block: String, request: LoadRequest) -> LoadReport {
        let (loaded, failure) = as_data(self.send_tr31_key_with(block, request).await);
        LoadReport { loaded, failure }
    }

    /// [`KeyLoader::key_check_value`] that reports a failure as data with its Dspread name.
    pub async fn kcv_report(&self, slot: i32) -> KcvReport {
        let (kcv, failure) = as_data(self.key_check_value(slot).await);
        KcvReport { kcv, failure }
    }

    /// [`KeyLoader::device_info`] that reports a failure as data with its Dspread name.
    pub async fn device_info_report(&self) -> DeviceInfoReport {
        let (info, failure) = as_data(self.device_info().await);
        DeviceInfoReport { info, failure }
    }

    /// Parse + policy check only, nothing sent: the warnings, or why it would be refused.
    pub fn check(&self, block: String) -> Result<Vec<String>, ReaderError> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let loader = inner.as_ref().ok_or(ReaderError::Closed)?;
        Ok(loader.check(&block)?.iter().map(ToString::to_string).collect())
    }

    /// Cancels the call in progress, if any (Swift callers: Swift tasks do not drop the future).
    pub fn cancel(&self) {
        if self.call_slot.try_lock().is_err() {
            self.cancel.cancel();
        }
    }

    /// Cancels any call in progress, waits for it to stop and closes the connection. Later calls
    /// fail with `Closed`. Idempotent. (Kotlin's `close()` frees the object itself.)
    pub fn disconnect(&self) {
        self.cancel.cancel();
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(mut loader) = inner.take() {
            loader.close();
        }
    }

    pub fn is_disconnected(&self) -> bool {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).is_none()
    }
}

/// Serial ports exist on desktops only (feature `serial`); mobile builds and their generated
/// bindings have no `openSerial`.
#[cfg(feature = "serial")]
#[uniffi::export]
impl KeyLoader {
    /// Opens a serial port (USB CDC-ACM, UART) at 115200 8N1.
    #[uniffi::constructor]
    pub fn open_serial(path: String, options: LoaderOptions) -> Result<Arc<Self>, ReaderError> {
        Ok(Self::wrap(loader::KeyLoader::open_serial(
            &path,
            &keybridge::device::transport::SerialConfig::default(),
            options.core()?,
        )?))
    }
}

impl KeyLoader {
    fn wrap(loader: loader::KeyLoader) -> Arc<Self> {
        Arc::new(Self {
            cancel: loader.cancel_handle(),
            inner: Arc::new(Mutex::new(Some(loader))),
            call_slot: Arc::new(tokio::sync::Mutex::new(())),
            winding_down: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Runs `call` on the runtime's blocking pool, one call at a time, cancelling it if the
    /// returned future is dropped before it finishes.
    pub(crate) async fn run<T, F>(&self, call: F) -> Result<T, ReaderError>
    where
        T: Send + 'static,
        F: FnOnce(&mut loader::KeyLoader) -> Result<T, LoadError> + Send + 'static,
    {
        let slot = match self.call_slot.clone().try_lock_owned() {
            Ok(slot) => slot,
            // A cancelled call stops at its next wait: queue behind it rather than fail.
            Err(_) if self.winding_down.load(Ordering::SeqCst) => self.call_slot.clone().lock_owned().await,
            Err(_) => return Err(ReaderError::CallInProgress),
        };
        let (inner, cancel, winding_down) = (self.inner.clone(), self.cancel.clone(), self.winding_down.clone());
        let abandoned = Arc::new(AtomicBool::new(false));
        let mut on_drop = CancelOnDrop(Some((
            self.cancel.clone(),
            abandoned.clone(),
            self.winding_down.clone(),
        )));
        let task = runtime().spawn_blocking(move || {
            // Freed only when the blocking call really ends, even if the caller went away.
            let _slot = slot;
            winding_down.store(false, Ordering::SeqCst);
            let mut inner = inner.lock().unwrap_or_else(PoisonError::into_inner);
            let loader = inner.as_mut().ok_or(ReaderError::Closed)?;
            // No other call runs now: clear a cancel left over from an earlier dropped call, then
            // honour one for this call that came before the worker started (reset first, so a
            // drop between the two is seen by either the check or the loader).
            cancel.reset();
            if abandoned.load(Ordering::SeqCst) {
                return Err(LoadError::Cancelled.into());
            }
            call(loader).map_err(ReaderError::from)
        });
        let result = task.await;
        on_drop.0 = None;
        result.unwrap_or_else(|e| {
            Err(ReaderError::Internal {
                reason: format!("the reader call did not complete: {e}"),
            })
        })
    }
}

/// Cancels the loader's current call when the future awaiting it is dropped unfinished, marks
/// the call abandoned in case its worker has not started yet, and lets the next call know that
/// the running one is only winding down.
struct CancelOnDrop(Option<(CancelHandle, Arc<AtomicBool>, Arc<AtomicBool>)>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some((handle, abandoned, winding_down)) = self.0.take() {
            abandoned.store(true, Ordering::SeqCst);
            winding_down.store(true, Ordering::SeqCst);
            handle.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that never answers.
    struct Silent;

    impl ReaderTransport for Silent {
        fn read(&self, _max_len: i32, timeout_ms: i32) -> Result<Vec<u8>, ReaderTransportError> {
            std::thread::sleep(Duration::from_millis(timeout_ms.unsigned_abs().into()));
            Ok(Vec::new())
        }

        fn write(&self, _data: Vec<u8>) -> Result<(), ReaderTransportError> {
            Ok(())
        }

        fn disconnect(&self) {}
    }

    fn silent(options: LoaderOptions) -> Result<Arc<KeyLoader>, ReaderError> {
        KeyLoader::with_transport(Arc::new(Silent), options)
    }

    /// The most retries allowed is a bounded wait; `max_retries + 1` used to overflow.
    #[test]
    fn the_largest_retry_count_is_a_bounded_wait() {
        let options = LoaderOptions {
            command_timeout_ms: Some(5),
            max_retries: Some(LoaderConfig::MAX_RETRIES as i32),
            ..LoaderOptions::default()
        };
        let result = runtime().block_on(silent(options).unwrap().device_info());
        assert!(matches!(result, Err(ReaderError::NoResponse(_))), "{result:?}");
    }

    /// Signed numbers (for Java) outside their range are refused by name, not wrapped around.
    #[test]
    fn numbers_out_of_range_are_invalid_arguments_naming_the_field() {
        let cases = [
            (Some(-1), None, "commandTimeoutMs is -1"),
            (Some(0), None, "commandTimeoutMs is 0"),
            (None, Some(-1), "maxRetries is -1"),
            (None, Some(11), "maxRetries is 11"),
        ];
        for (command_timeout_ms, max_retries, message) in cases {
            let options = LoaderOptions {
                command_timeout_ms,
                max_retries,
                ..LoaderOptions::default()
            };
            match silent(options) {
                Err(e @ ReaderError::InvalidArgument(_)) => assert!(e.to_string().contains(message), "{e}"),
                other => panic!("{message}: {:?}", other.map(|_| "a loader")),
            }
        }
        let loader = silent(LoaderOptions::default()).unwrap();
        for (request, message) in [
            (
                LoadRequest {
                    slot: -1,
                    ..LoadRequest::default()
                },
                "key index -1",
            ),
            (
                LoadRequest {
                    slot: 256,
                    ..LoadRequest::default()
                },
                "key index 256",
            ),
            (
                LoadRequest {
                    timeout_ms: Some(-5),
                    ..LoadRequest::default()
                },
                "timeoutMs is -5",
            ),
        ] {
            let result = runtime().block_on(loader.send_tr31_key_with("B0000P0TE00E0000".into(), request));
            match result {
                Err(e @ ReaderError::InvalidArgument(_)) => assert!(e.to_string().contains(message), "{e}"),
                other => panic!("{message}: {other:?}"),
            }
        }
        let kcv = runtime().block_on(loader.key_check_value(10));
        assert!(matches!(kcv, Err(ReaderError::InvalidArgument(_))), "{kcv:?}");
    }
}
