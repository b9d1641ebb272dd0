//! How a native call fails on the Java side: each [`JniError`] becomes one Java exception, and
//! [`ThrowJava`] throws it (or the exception for a caught panic) instead of unwinding into the JVM.

use jni::errors::ErrorPolicy;
use jni::objects::{JThrowable, JValue};
use jni::{Env, jni_sig, jni_str};
use keybridge::loader::LoadError;

/// How a native call failed; each becomes one Java exception type.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JniError {
    /// `IllegalArgumentException`: a malformed block, a bad argument, a refused block.
    #[error("{0}")]
    Argument(String),
    /// `IllegalStateException`: a closed handle.
    #[error("{0}")]
    State(String),
    /// `io.keybridge.jni.ReaderException` (checked). `refused` is set only by the natives that
    /// report refusals apart (see [`JniError::refusal_apart`]), which build the exception with
    /// its 3-argument constructor.
    #[error("{message}")]
    Reader {
        message: String,
        dspread_error: &'static str,
        refused: Option<bool>,
    },
    /// `io.keybridge.jni.KeyServiceException` (checked).
    #[cfg(feature = "service-client")]
    #[error("{0}")]
    Service(keybridge::service_client::ServiceError),
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
                refused: None,
            },
        }
    }
}

impl JniError {
    /// The error for a native whose Java caller reports a refusal as the vendor's `false` result
    /// (`onReturnUpdateKeyByTR_31Result(false)`) rather than `onError`: the `ReaderException`
    /// says which through `ReaderException(String message, String dspreadError, boolean refused)`.
    pub(crate) fn refusal_apart(e: LoadError) -> Self {
        let refused = e.is_refusal();
        match Self::from(e) {
            Self::Reader {
                message, dspread_error, ..
            } => Self::Reader {
                message,
                dspread_error,
                refused: Some(refused),
            },
            other => other,
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
            JniError::Service(e) => crate::service::service_exception(env, &e).and_then(|e| env.throw(e)),
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
/// With `refused`, through the constructor that also says whether the reader refused the key.
pub(crate) fn reader_exception<'local>(
    env: &mut Env<'local>,
    message: &str,
    dspread_error: &str,
    refused: Option<bool>,
) -> jni::errors::Result<JThrowable<'local>> {
    let message = env.new_string(message)?;
    let name = env.new_string(dspread_error)?;
    let exception = match refused {
        None => env.new_object(
            jni_str!("io/keybridge/jni/ReaderException"),
            jni_sig!("(Ljava/lang/String;Ljava/lang/String;)V"),
            &[JValue::Object(&message), JValue::Object(&name)],
        )?,
        Some(refused) => env.new_object(
            jni_str!("io/keybridge/jni/ReaderException"),
            jni_sig!("(Ljava/lang/String;Ljava/lang/String;Z)V"),
            &[JValue::Object(&message), JValue::Object(&name), JValue::Bool(refused)],
        )?,
    };
    env.cast_local::<JThrowable>(exception)
}
