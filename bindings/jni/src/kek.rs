//! The TR-34 natives of `io.keybridge.jni.NativeKeyLoader` (feature `tr34`): a reader's KEK from
//! the token as AWS returns it (`loadKekTr34`), and the vendor SDK's envelope sent as its
//! `loadSessionKeyByTR_34` sends it (`sendTr34Envelope`).

use jni::objects::{JByteArray, JClass, JString};
use jni::sys::jlong;
use jni::{Env, EnvUnowned};
use keybridge::loader::{KekLoadError, KekLoadRequest, UpdateResult};

use crate::native;
use crate::throw::{JniError, ThrowJava};

/// `loadKekTr34`: the TR-34 token as AWS's `ExportKey` returns it (DER bytes) and the KEK's KCV
/// (hex) as AWS reports it; returns the reader's KCV of the KEK (upper-case hex), which matched.
/// A token that does not read is `IllegalArgumentException`; the reader's refusal a
/// `ReaderException` with `refused = true`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeLoadKekTr34<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    token: JByteArray<'local>,
    expected_kcv: JString<'local>,
) -> JString<'local> {
    env.with_env(|env| -> Result<JString<'local>, JniError> {
        // SAFETY: the Java class holds its read lock for the duration of the call.
        let native = unsafe { native(handle) }?;
        let token = bytes(env, &token, "token")?;
        let request = KekLoadRequest {
            expected_kcv: crate::expected_kcv(env, &expected_kcv)?
                .ok_or_else(|| JniError::Argument("the KEK's expected KCV must not be null".into()))?,
            kdh_certificate: None,
        };
        let outcome = native.begin_call()?.load_kek_tr34(&token, &request)?;
        Ok(env.new_string(hex::encode_upper(outcome.reader_kcv))?)
    })
    .resolve::<ThrowJava>()
}

/// `loadSessionKeyByTR_34(hex)`: sends the vendor SDK's TR-34 envelope (the bytes its argument
/// decodes to) as it does (0x40/0x00 chunks, 0x40/0x10 close) and returns the vendor's
/// `UpdateInformationResult` name for the reader's answer (`UPDATE_SUCCESS`, `UPDATE_FAIL`,
/// `UPDATE_PACKET_VEFIRY_ERROR`, `UPDATE_PACKET_LEN_ERROR`): the reader's word, as in the SDK.
/// Link failures throw `ReaderException`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeSendTr34Envelope<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    envelope: JByteArray<'local>,
) -> JString<'local> {
    env.with_env(|env| -> Result<JString<'local>, JniError> {
        // SAFETY: the Java class holds its read lock for the duration of the call.
        let native = unsafe { native(handle) }?;
        let envelope = bytes(env, &envelope, "envelope")?;
        let outcome = match native.begin_call()?.send_tr34_envelope(&envelope) {
            Ok(()) => UpdateResult::Success,
            Err(KekLoadError::Refused { outcome, .. }) => outcome,
            Err(e) => return Err(e.into()),
        };
        Ok(env.new_string(outcome.name())?)
    })
    .resolve::<ThrowJava>()
}

fn bytes(env: &Env<'_>, value: &JByteArray<'_>, what: &str) -> Result<Vec<u8>, JniError> {
    if value.is_null() {
        return Err(JniError::Argument(format!("{what} must not be null")));
    }
    Ok(env.convert_byte_array(value)?)
}
