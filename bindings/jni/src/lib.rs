//! JNI natives of `io.keybridge.jni.NativeKeyLoader`, for Java integrators that cannot take JNA.
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
//! layer starts no threads of its own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use jni::errors::ErrorPolicy;
use jni::objects::{JClass, JObject, JString, JValue};
use jni::sys::{jboolean, jint, jlong};
use jni::{Env, EnvUnowned, jni_sig, jni_str};
use keybridge::loader::{
    CancelHandle, KcvCheck, KeyLoadOutcome, KeyLoader, LoadError, LoadPolicy, LoadRequest, LoaderConfig,
};

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

/// How a native call failed; each becomes one Java exception type.
#[derive(Debug, thiserror::Error)]
enum JniError {
    /// `IllegalArgumentException`: a malformed block, a bad argument, a refused block.
    #[error("{0}")]
    Argument(String),
    /// `IllegalStateException`: a closed handle.
    #[error("{0}")]
    State(String),
    /// `io.keybridge.jni.ReaderException` (checked).
    #[error("{message}")]
    Reader {
        message: String,
        dspread_error: &'static str,
    },
    /// A JNI call failed; an exception is usually pending already.
    #[error("JNI error: {0}")]
    Jni(#[from] jni::errors::Error),
}

impl From<LoadError> for JniError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::InvalidBlock(_) | LoadError::Refused { .. } | LoadError::InvalidArgument { .. } => {
                Self::Argument(e.to_string())
            }
            _ => Self::Reader {
                dspread_error: e.dspread_error_name(),
                message: e.to_string(),
            },
        }
    }
}

/// Throws the Java exception for an error or a caught panic and returns the default value.
struct ThrowJava;

impl<T: Default> ErrorPolicy<T, JniError> for ThrowJava {
    type Captures<'local: 'native_method, 'native_method> = ();

    fn on_error<'local: 'native_method, 'native_method>(
        env: &mut Env<'local>,
        _cap: &mut (),
        err: JniError,
    ) -> jni::errors::Result<T> {
        if env.exception_check() {
            return Ok(T::default());
        }
        // A successful throw reports the now-pending exception as an `Err`: that is the intent.
        let _ = match err {
            JniError::Argument(m) => throw_new(env, jni_str!("java/lang/IllegalArgumentException"), &m),
            JniError::State(m) => throw_new(env, jni_str!("java/lang/IllegalStateException"), &m),
            JniError::Reader { message, dspread_error } => throw_reader(env, &message, dspread_error),
            JniError::Jni(e) => throw_new(env, jni_str!("java/lang/IllegalStateException"), &format!("{e}")),
        };
        Ok(T::default())
    }

    fn on_panic<'local: 'native_method, 'native_method>(
        env: &mut Env<'local>,
        _cap: &mut (),
        _payload: Box<dyn std::any::Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        if !env.exception_check() {
            let _ = throw_new(
                env,
                jni_str!("java/lang/IllegalStateException"),
                "internal error in keybridge (a panic was caught)",
            );
        }
        Ok(T::default())
    }
}

fn throw_new(env: &mut Env<'_>, class: &jni::strings::JNIStr, message: &str) -> jni::errors::Result<()> {
    let class = env.find_class(class)?;
    let message = jni::strings::JNIString::from(message);
    env.throw_new(&class, &message)
}

fn throw_reader(env: &mut Env<'_>, message: &str, dspread_error: &str) -> jni::errors::Result<()> {
    let message = env.new_string(message)?;
    let name = env.new_string(dspread_error)?;
    let exception = env.new_object(
        jni_str!("io/keybridge/jni/ReaderException"),
        jni_sig!("(Ljava/lang/String;Ljava/lang/String;)V"),
        &[JValue::Object(&message), JValue::Object(&name)],
    )?;
    let exception = env.cast_local::<jni::objects::JThrowable>(exception)?;
    env.throw(exception)
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

fn result_object<'local>(env: &mut Env<'local>, outcome: &KeyLoadOutcome) -> Result<JObject<'local>, JniError> {
    let usage = env.new_string(outcome.key_usage.code())?;
    let kcv = env.new_string(hex::encode_upper(&outcome.reader_kcv))?;
    let verification = env.new_string(match outcome.kcv_check {
        KcvCheck::MatchedKeyBlock => "MATCHED_KEY_BLOCK",
        KcvCheck::MatchedExpected => "MATCHED_EXPECTED",
        KcvCheck::Unverified => "UNVERIFIED",
    })?;
    let warnings: Vec<String> = outcome.warnings.iter().map(ToString::to_string).collect();
    let warnings = env.new_string(warnings.join("\n"))?;
    Ok(env.new_object(
        jni_str!("io/keybridge/jni/KeyLoadResult"),
        jni_sig!("(ILjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)V"),
        &[
            JValue::Int(outcome.slot.into()),
            JValue::Object(&usage),
            JValue::Object(&kcv),
            JValue::Object(&verification),
            JValue::Object(&warnings),
        ],
    )?)
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
        let serial = keybridge::device::transport::SerialConfig::default();
        Ok(into_handle(KeyLoader::open_serial(
            &path,
            &serial,
            config(timeout_ms, lenient),
        )?))
    })
    .resolve::<ThrowJava>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeSend<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    block: JString<'local>,
    key_index: jint,
    ksn: JString<'local>,
    timeout_ms: jint,
) -> JObject<'local> {
    env.with_env(|env| -> Result<JObject<'local>, JniError> {
        // SAFETY: the Java class holds its read lock for the duration of the call.
        let native = unsafe { native(handle) }?;
        let block = string(env, &block, "key block")?;
        let request = LoadRequest {
            slot: Some(slot(key_index)?),
            ksn: optional_string(env, &ksn)?,
            timeout: u64::try_from(timeout_ms)
                .ok()
                .filter(|&ms| ms > 0)
                .map(Duration::from_millis),
            expected_kcv: None,
        };
        let outcome = native.begin_call()?.send_tr31_key_with(&block, &request)?;
        result_object(env, &outcome)
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
        let kcv = native.begin_call()?.key_check_value(slot)?;
        Ok(env.new_string(hex::encode_upper(kcv))?)
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
