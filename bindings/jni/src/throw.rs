//! How a native call fails on the Java side: each [`JniError`] becomes one Java exception, and
//! [`ThrowJava`] throws it (or the exception for a caught panic) instead of unwinding into the JVM.
//! The exception objects of keybridge's own Java types (`ReaderException`, `KeyServiceException`)
//! are built here too, for the modules that carry them inside results. This module uses no other
//! module of the crate: the arrows only point at it.

use jni::errors::ErrorPolicy;
use jni::objects::{JThrowable, JValue};
use jni::{Env, jni_sig, jni_str};
use keybridge::loader::LoadError;
#[cfg(feature = "service-client")]
use keybridge::service_client::ServiceError;

/// How a native call failed; each becomes one Java exception type.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JniError {
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
        /// The reader's verdict on the key ([`LoadError::is_refusal`]), not a failure to reach it:
        /// the vendor SDK reports it as the call's result `false`, not through `onError`.
        refused: bool,
    },
    /// `io.keybridge.jni.KeyServiceException` (checked).
    #[cfg(feature = "service-client")]
    #[error("{0}")]
    Service(ServiceError),
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
                refused: e.is_refusal(),
                message: e.to_string(),
            },
        }
    }
}

/// Throws the Java exception for an error or a caught panic and returns the default value.
pub(crate) struct ThrowJava;

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
            JniError::Reader {
                message,
                dspread_error,
                refused,
            } => reader_exception(env, &message, dspread_error, refused).and_then(|e| env.throw(e)),
            #[cfg(feature = "service-client")]
            JniError::Service(e) => service_exception(env, &e).and_then(|e| env.throw(e)),
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

/// A new `io.keybridge.jni.ReaderException`: thrown, or carried as a provisioned slot's failure.
pub(crate) fn reader_exception<'local>(
    env: &mut Env<'local>,
    message: &str,
    dspread_error: &str,
    refused: bool,
) -> jni::errors::Result<JThrowable<'local>> {
    let message = env.new_string(message)?;
    let name = env.new_string(dspread_error)?;
    let exception = env.new_object(
        jni_str!("io/keybridge/jni/ReaderException"),
        jni_sig!("(Ljava/lang/String;Ljava/lang/String;Z)V"),
        &[JValue::Object(&message), JValue::Object(&name), JValue::Bool(refused)],
    )?;
    env.cast_local::<JThrowable>(exception)
}

/// A new `io.keybridge.jni.KeyServiceException` for `error`: thrown, or carried as a report's
/// failure.
#[cfg(feature = "service-client")]
pub(crate) fn service_exception<'local>(
    env: &mut Env<'local>,
    error: &ServiceError,
) -> jni::errors::Result<JThrowable<'local>> {
    let (kind, status, code, retry_after) = match error {
        ServiceError::InvalidConfig { .. } => ("INVALID_CONFIG", 0, None, None),
        ServiceError::Refused { status, code, .. } => ("REFUSED", *status, Some(code), None),
        ServiceError::Unavailable {
            status,
            code,
            retry_after,
            ..
        } => ("UNAVAILABLE", *status, Some(code), *retry_after),
        ServiceError::Network { .. } => ("NETWORK", 0, None, None),
        ServiceError::Protocol { .. } => ("PROTOCOL", 0, None, None),
    };
    let kind = env.new_string(kind)?;
    let message = env.new_string(error.to_string())?;
    let code = match code {
        Some(code) => env.new_string(code)?.into(),
        None => jni::objects::JObject::null(),
    };
    let retry_after_ms = retry_after.map_or(-1, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let exception = env.new_object(
        jni_str!("io/keybridge/jni/KeyServiceException"),
        jni_sig!("(Ljava/lang/String;Ljava/lang/String;ILjava/lang/String;J)V"),
        &[
            JValue::Object(&kind),
            JValue::Object(&message),
            JValue::Int(status.into()),
            JValue::Object(&code),
            JValue::Long(retry_after_ms),
        ],
    )?;
    env.cast_local::<JThrowable>(exception)
}
