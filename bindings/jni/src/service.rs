//! JNI natives of `io.keybridge.jni.NativeKeyService` (feature `service-client`): rust-core's
//! key service client behind a handle. Its failures become the Java `KeyServiceException` built
//! in [`crate::throw`].
//!
//! A handle is a boxed `KeyServiceClient` owned by the Java object, which guarantees (a
//! read-write lock) that no provisioning uses it while, or after, `nativeClose` frees it. The
//! token is copied out of the Java string into a zeroizing buffer and never put in any text.

use std::time::Duration;

use jni::objects::{JByteArray, JClass, JString};
use jni::sys::{jboolean, jint, jlong};
use jni::{Env, EnvUnowned};
use keybridge::service_client::{KeyServiceClient, ServiceClientConfig};
use zeroize::Zeroizing;

use crate::string;
use crate::throw::{JniError, ThrowJava};

/// The client behind a live handle.
///
/// Safety: `handle` is 0 or a value returned by `nativeOpen` that `nativeClose` has not freed;
/// the Java class's lock guarantees that.
pub(crate) unsafe fn client<'a>(handle: jlong) -> Result<&'a KeyServiceClient, JniError> {
    if handle == 0 {
        return Err(JniError::State("the key service client is closed".into()));
    }
    // SAFETY: see the function's contract.
    Ok(unsafe { &*(handle as *const KeyServiceClient) })
}

fn optional_bytes(env: &Env<'_>, bytes: &JByteArray<'_>) -> Result<Option<Vec<u8>>, JniError> {
    if bytes.is_null() {
        return Ok(None);
    }
    Ok(Some(env.convert_byte_array(bytes)?))
}

/// A positive Java number, or `None` (keep the default) for 0 and below.
fn positive(value: jint) -> Option<u32> {
    u32::try_from(value).ok().filter(|&n| n > 0)
}

#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // one per setting of KeyServiceSettings
pub extern "system" fn Java_io_keybridge_jni_NativeKeyService_nativeOpen<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    base_url: JString<'local>,
    token: JString<'local>,
    root_certificates_pem: JByteArray<'local>,
    client_identity_pem: JByteArray<'local>,
    connect_timeout_ms: jint,
    request_timeout_ms: jint,
    max_attempts: jint,
    allow_insecure_http: jboolean,
) -> jlong {
    env.with_env(|env| -> Result<jlong, JniError> {
        let base_url = string(env, &base_url, "base URL")?;
        let token = Zeroizing::new(string(env, &token, "token")?);
        let defaults = ServiceClientConfig::new(&base_url, &token);
        let millis = |ms| positive(ms).map(|ms| Duration::from_millis(ms.into()));
        let config = ServiceClientConfig {
            connect_timeout: millis(connect_timeout_ms).unwrap_or(defaults.connect_timeout),
            request_timeout: millis(request_timeout_ms).unwrap_or(defaults.request_timeout),
            max_attempts: positive(max_attempts).unwrap_or(defaults.max_attempts),
            root_certificates_pem: optional_bytes(env, &root_certificates_pem)?,
            client_identity_pem: optional_bytes(env, &client_identity_pem)?.map(Zeroizing::new),
            allow_insecure_http,
            ..defaults
        };
        let client = KeyServiceClient::new(config).map_err(JniError::Service)?;
        Ok(Box::into_raw(Box::new(client)) as jlong)
    })
    .resolve::<ThrowJava>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyService_nativeClose<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
) {
    env.with_env(|_env| -> Result<(), JniError> {
        if handle != 0 {
            // SAFETY: the Java class calls this once, under its write lock, and forgets the
            // handle: no other call can hold or later use it.
            drop(unsafe { Box::from_raw(handle as *mut KeyServiceClient) });
        }
        Ok(())
    })
    .resolve::<ThrowJava>()
}
