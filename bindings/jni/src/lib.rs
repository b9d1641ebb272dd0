//! JNI natives of `io.keybridge.jni.NativeKeyLoader`, for Java integrators that cannot take JNA.
//! Linked into the keybridge-ffi library (feature `java`), next to the uniffi scaffolding.
//!
//! Every native runs inside `EnvUnowned::with_env`, which catches panics, and resolves its
//! outcome with [`ThrowJava`], which turns errors and panics into Java exceptions: nothing unwinds
//! into the JVM. Malformed input becomes `IllegalArgumentException`, a closed or unusable handle
//! `IllegalStateException`, reader and transport failures the checked
//! `io.keybridge.jni.ReaderException` carrying the Dspread error name.
//!
//! A handle is a boxed [`NativeLoader`] owned by the Java object. The Java side guarantees that no
//! call uses a handle while, or after, `nativeClose` frees it (a read-write lock), so this side
//! only has to reject the null handle. Calls are synchronous on the caller's thread: the JNI
//! layer starts no threads of its own. Transports written in Java ([`stream_link`],
//! [`command_link`]) are called back on that same thread.

mod command_link;
mod java_call;
#[cfg(feature = "service-client")]
mod provision;
#[cfg(feature = "service-client")]
mod service;
mod stream_link;
mod throw;
mod tr31_header;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use jni::objects::{JClass, JObject, JObjectArray, JString, JValue};
use jni::sys::{jboolean, jint, jlong};
use jni::{Env, EnvUnowned, jni_sig, jni_str};
use keybridge::device::transport::ForeignTransportAdapter;
use keybridge::loader::{
    CancelHandle, CheckValueType, KcvCheck, KeyLoadOutcome, KeyLoader, LoadError, LoadMethod, LoadPolicy, LoadRequest,
    LoaderConfig, Tr31KeyType, block_from_wire_hex,
};

use crate::command_link::CommandLink;
use crate::stream_link::StreamLink;
use crate::throw::{JniError, ThrowJava};

/// What a handle points to.
struct NativeLoader {
    loader: Mutex<KeyLoader>,
    cancel: CancelHandle,
    /// Calls that have entered a native method, numbered from 1 in order of arrival.
    calls_started: AtomicU64,
    /// Every call numbered up to this one is cancelled, whether it runs or still waits its turn.
    cancelled_through: AtomicU64,
}

impl NativeLoader {
    /// Takes the loader for one call. A `cancel()` that arrives once the call has entered
    /// native code cancels it, even before it gets the loader: the cancellation is kept as the
    /// highest call number it covers instead of a flag the call would have to clear, and lose.
    fn begin_call(&self) -> Result<MutexGuard<'_, KeyLoader>, LoadError> {
        let ticket = self.calls_started.fetch_add(1, Ordering::SeqCst) + 1;
        let loader = self.loader.lock().unwrap_or_else(PoisonError::into_inner);
        // Clear the flag left by a cancellation of earlier calls, then look at the number: a
        // cancel() racing with this sees either its number stored or its flag kept.
        self.cancel.reset();
        if self.cancelled_through.load(Ordering::SeqCst) >= ticket {
            return Err(LoadError::Cancelled);
        }
        Ok(loader)
    }

    /// Cancels the call in progress and every call that has already entered native code.
    fn cancel(&self) {
        self.cancelled_through
            .fetch_max(self.calls_started.load(Ordering::SeqCst), Ordering::SeqCst);
        self.cancel.cancel();
    }
}

fn string(env: &Env<'_>, value: &JString<'_>, what: &str) -> Result<String, JniError> {
    if value.is_null() {
        return Err(JniError::Argument(format!("{what} must not be null")));
    }
    Ok(value.try_to_string(env)?)
}

fn optional_string(env: &Env<'_>, value: &JString<'_>) -> Result<Option<String>, JniError> {
    if value.is_null() {
        return Ok(None);
    }
    Ok(Some(value.try_to_string(env)?))
}

fn config(timeout_ms: jint, lenient: jboolean) -> LoaderConfig {
    let defaults = LoaderConfig::default();
    LoaderConfig {
        policy: if lenient {
            LoadPolicy::lenient()
        } else {
            LoadPolicy::default()
        },
        command_timeout: u64::try_from(timeout_ms)
            .ok()
            .filter(|&ms| ms > 0)
            .map_or(defaults.command_timeout, Duration::from_millis),
        ..defaults
    }
}

fn into_handle(loader: KeyLoader) -> jlong {
    let cancel = loader.cancel_handle();
    Box::into_raw(Box::new(NativeLoader {
        loader: Mutex::new(loader),
        cancel,
        calls_started: AtomicU64::new(0),
        cancelled_through: AtomicU64::new(0),
    })) as jlong
}

/// The loader behind a live handle.
///
/// Safety: `handle` is 0 or a value returned by `into_handle` that `nativeClose` has not freed;
/// the Java class's lock guarantees that.
unsafe fn native<'a>(handle: jlong) -> Result<&'a NativeLoader, JniError> {
    if handle == 0 {
        return Err(JniError::State("the key loader is closed".into()));
    }
    // SAFETY: see the function's contract.
    Ok(unsafe { &*(handle as *const NativeLoader) })
}

fn slot(value: jint) -> Result<u8, JniError> {
    u8::try_from(value).map_err(|_| JniError::Argument(format!("key index {value} is outside 0–9")))
}

fn result_object<'local>(env: &mut Env<'local>, outcome: &KeyLoadOutcome) -> jni::errors::Result<JObject<'local>> {
    let usage = env.new_string(outcome.key_usage.code())?;
    let kcv = env.new_string(hex::encode_upper(&outcome.reader_kcv))?;
    let verification = env.new_string(match outcome.kcv_check {
        KcvCheck::MatchedKeyBlock => "MATCHED_KEY_BLOCK",
        KcvCheck::MatchedExpected => "MATCHED_EXPECTED",
        KcvCheck::Unverified => "UNVERIFIED",
    })?;
    let warnings: Vec<String> = outcome.warnings.iter().map(ToString::to_string).collect();
    let warnings = env.new_string(warnings.join("\n"))?;
    env.new_object(
        jni_str!("io/keybridge/jni/KeyLoadResult"),
        jni_sig!("(ILjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)V"),
        &[
            JValue::Int(outcome.slot.into()),
            JValue::Object(&usage),
            JValue::Object(&kcv),
            JValue::Object(&verification),
            JValue::Object(&warnings),
        ],
    )
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeOpenTcp<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    address: JString<'local>,
    timeout_ms: jint,
    lenient: jboolean,
) -> jlong {
    env.with_env(|env| -> Result<jlong, JniError> {
        let address = string(env, &address, "address")?;
        Ok(into_handle(KeyLoader::open_tcp(&address, config(timeout_ms, lenient))?))
    })
    .resolve::<ThrowJava>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeOpenSerial<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    path: JString<'local>,
    timeout_ms: jint,
    lenient: jboolean,
) -> jlong {
    env.with_env(|env| -> Result<jlong, JniError> {
        let path = string(env, &path, "path")?;
        open_serial(&path, config(timeout_ms, lenient))
    })
    .resolve::<ThrowJava>()
}

#[cfg(feature = "serial")]
fn open_serial(path: &str, config: LoaderConfig) -> Result<jlong, JniError> {
    let serial = keybridge::device::transport::SerialConfig::default();
    Ok(into_handle(KeyLoader::open_serial(path, &serial, config)?))
}

/// Mobile builds leave serial ports out; the Java method stays, so say why it cannot work.
#[cfg(not(feature = "serial"))]
fn open_serial(_path: &str, _config: LoaderConfig) -> Result<jlong, JniError> {
    Err(JniError::State(
        "this keybridge library is built without serial ports (feature `serial`): use openTcp or openStreams".into(),
    ))
}

/// A reader behind a Java stream pair: `link` is the `io.keybridge.jni.StreamLink` pumping it.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeOpenStreams<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    link: JObject<'local>,
    timeout_ms: jint,
    lenient: jboolean,
) -> jlong {
    env.with_env(|env| -> Result<jlong, JniError> {
        let link = StreamLink::new(env.new_global_ref(non_null(link, "streams")?)?);
        let transport = ForeignTransportAdapter::new(Arc::new(link));
        Ok(into_handle(KeyLoader::new(
            Box::new(transport),
            config(timeout_ms, lenient),
        )))
    })
    .resolve::<ThrowJava>()
}

/// A reader driven through another SDK: `commands` is an `io.keybridge.jni.ReaderCommands`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeOpenCommands<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    commands: JObject<'local>,
    timeout_ms: jint,
    lenient: jboolean,
) -> jlong {
    env.with_env(|env| -> Result<jlong, JniError> {
        let link = CommandLink::new(env.new_global_ref(non_null(commands, "commands")?)?);
        Ok(into_handle(KeyLoader::new(Box::new(link), config(timeout_ms, lenient))))
    })
    .resolve::<ThrowJava>()
}

fn non_null<'local>(object: JObject<'local>, what: &str) -> Result<JObject<'local>, JniError> {
    if object.is_null() {
        return Err(JniError::Argument(format!("{what} must not be null")));
    }
    Ok(object)
}

/// The optional expected KCV of a Java call, hex.
fn expected_kcv(env: &Env<'_>, value: &JString<'_>) -> Result<Option<Vec<u8>>, JniError> {
    optional_string(env, value)?
        .map(|kcv| hex::decode(kcv.trim()).map_err(|_| JniError::Argument("the expected KCV is not hex".into())))
        .transpose()
}

/// A positive Java timeout in ms, if given.
fn timeout(timeout_ms: jint) -> Option<Duration> {
    u64::try_from(timeout_ms)
        .ok()
        .filter(|&ms| ms > 0)
        .map(Duration::from_millis)
}

/// One load for the send natives: the call is registered for `cancel()`, and its outcome becomes
/// a `KeyLoadResult` (a failure, refusals included, becomes the exception [`ThrowJava`] throws).
fn load_and_report<'local>(
    env: &mut Env<'local>,
    native: &NativeLoader,
    block: &str,
    request: &LoadRequest,
) -> Result<JObject<'local>, JniError> {
    let outcome = native.begin_call()?.send_tr31_key_with(block, request)?;
    Ok(result_object(env, &outcome)?)
}

#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // one per parameter of the Java method
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeSend<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    block: JString<'local>,
    key_index: jint,
    ksn: JString<'local>,
    expected_kcv: JString<'local>,
    timeout_ms: jint,
) -> JObject<'local> {
    env.with_env(|env| -> Result<JObject<'local>, JniError> {
        // SAFETY: the Java class holds its read lock for the duration of the call.
        let native = unsafe { native(handle) }?;
        let block = string(env, &block, "key block")?;
        let request = LoadRequest {
            slot: Some(slot(key_index)?),
            ksn: optional_string(env, &ksn)?,
            timeout: timeout(timeout_ms),
            expected_kcv: self::expected_kcv(env, &expected_kcv)?,
            ..LoadRequest::default()
        };
        load_and_report(env, native, &block, &request)
    })
    .resolve::<ThrowJava>()
}

/// `updateKeyByTR_31(keyIndex, [ksn,] block, [keyType,] timeout)`: `key_type` is the vendor
/// `TR31KeyType` code (its ordinal) or -1 for none. A reader's refusal throws `ReaderException`
/// built with `refused = true` (the vendor's `onReturnUpdateKeyByTR_31Result(false)`).
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // one per parameter of the Java method
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeSendTyped<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    block: JString<'local>,
    key_index: jint,
    key_type: jint,
    ksn: JString<'local>,
    expected_kcv: JString<'local>,
    timeout_ms: jint,
) -> JObject<'local> {
    env.with_env(|env| -> Result<JObject<'local>, JniError> {
        // SAFETY: the Java class holds its read lock for the duration of the call.
        let native = unsafe { native(handle) }?;
        let block = string(env, &block, "key block")?;
        let key_type = match key_type {
            -1 => None,
            code => Some(
                u8::try_from(code)
                    .ok()
                    .and_then(Tr31KeyType::from_code)
                    .ok_or_else(|| JniError::Argument(format!("key type {code} is not a TR31KeyType ordinal 0–3")))?,
            ),
        };
        let request = LoadRequest {
            slot: Some(slot(key_index)?),
            ksn: optional_string(env, &ksn)?,
            key_type,
            timeout: timeout(timeout_ms),
            expected_kcv: self::expected_kcv(env, &expected_kcv)?,
            ..LoadRequest::default()
        };
        load_and_report(env, native, &block, &request)
    })
    .resolve::<ThrowJava>()
}

/// `sendTR31Key(String)`: `wire_hex` is hex of the bytes to send, as the vendor SDK decodes its
/// argument (hex of the ASCII key block); sent on the chunked path into slot 0. A refusal throws
/// `ReaderException` with `refused = true` (`onRequestSendTR31KeyResult(false)`).
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeSendChunked<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    wire_hex: JString<'local>,
    expected_kcv: JString<'local>,
    timeout_ms: jint,
) -> JObject<'local> {
    env.with_env(|env| -> Result<JObject<'local>, JniError> {
        // SAFETY: the Java class holds its read lock for the duration of the call.
        let native = unsafe { native(handle) }?;
        let block = block_from_wire_hex(&string(env, &wire_hex, "key block hex")?)?;
        let request = LoadRequest {
            method: Some(LoadMethod::Chunked),
            timeout: timeout(timeout_ms),
            expected_kcv: self::expected_kcv(env, &expected_kcv)?,
            ..LoadRequest::default()
        };
        load_and_report(env, native, &block, &request)
    })
    .resolve::<ThrowJava>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeKeyCheckValue<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    key_index: jint,
) -> JString<'local> {
    env.with_env(|env| -> Result<JString<'local>, JniError> {
        // SAFETY: the Java class holds its read lock for the duration of the call.
        let native = unsafe { native(handle) }?;
        let slot = slot(key_index)?;
        let kcv = native.begin_call()?.slot_check_value(slot)?;
        Ok(env.new_string(hex::encode_upper(kcv))?)
    })
    .resolve::<ThrowJava>()
}

/// `getKeyCheckValue(keyIndex, CHECKVALUE_KEYTYPE)`: `check_value_type` is the vendor enum's
/// ordinal (0 MKSK_TMK … 11 DUKPT_PIN_KSN, 12 DUKPT_MKSK_ALLTYPE). Returns the rows of the
/// vendor's `onGetKeyCheckValue` table flattened: key, upper-case hex value, key, value, …
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeCheckValues<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    key_index: jint,
    check_value_type: jint,
) -> JObjectArray<'local> {
    env.with_env(|env| -> Result<JObjectArray<'local>, JniError> {
        // SAFETY: the Java class holds its read lock for the duration of the call.
        let native = unsafe { native(handle) }?;
        let slot = slot(key_index)?;
        let kind = match check_value_type {
            12 => Some(CheckValueType::DukptMkskAllType),
            code => u8::try_from(code)
                .ok()
                .filter(|&c| c < 12)
                .and_then(CheckValueType::from_code),
        }
        .ok_or_else(|| {
            JniError::Argument(format!(
                "check value type {check_value_type} is not a CHECKVALUE_KEYTYPE ordinal 0–12"
            ))
        })?;
        let rows = native.begin_call()?.check_values(slot, kind)?;
        let flat: Vec<String> = rows
            .into_iter()
            .flat_map(|(key, value)| [key, hex::encode_upper(value)])
            .collect();
        let array = env.new_object_array(
            i32::try_from(flat.len()).unwrap_or(i32::MAX),
            jni_str!("java/lang/String"),
            JObject::null(),
        )?;
        for (i, text) in flat.iter().enumerate() {
            let text = env.new_string(text)?;
            array.set_element(env, i, &text)?;
        }
        Ok(array)
    })
    .resolve::<ThrowJava>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeDeviceInfo<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
) -> JObject<'local> {
    env.with_env(|env| -> Result<JObject<'local>, JniError> {
        // SAFETY: the Java class holds its read lock for the duration of the call.
        let native = unsafe { native(handle) }?;
        let info = native.begin_call()?.device_info()?;
        let pos_id = env.new_string(info.pos_id)?;
        let psam_id = env.new_string(info.psam_id)?;
        let extra = env.new_string(info.extra)?;
        Ok(env.new_object(
            jni_str!("io/keybridge/jni/DeviceInfo"),
            jni_sig!("(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)V"),
            &[
                JValue::Object(&pos_id),
                JValue::Object(&psam_id),
                JValue::Object(&extra),
            ],
        )?)
    })
    .resolve::<ThrowJava>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeCancel<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
) {
    env.with_env(|_env| -> Result<(), JniError> {
        // SAFETY: the Java class holds its read lock for the duration of the call.
        unsafe { native(handle) }?.cancel();
        Ok(())
    })
    .resolve::<ThrowJava>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeClose<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
) {
    env.with_env(|_env| -> Result<(), JniError> {
        if handle != 0 {
            // SAFETY: the Java class calls this once, under its write lock, and forgets the
            // handle: no other call can hold or later use it.
            let native = unsafe { Box::from_raw(handle as *mut NativeLoader) };
            native.loader.lock().unwrap_or_else(PoisonError::into_inner).close();
        }
        Ok(())
    })
    .resolve::<ThrowJava>()
}
