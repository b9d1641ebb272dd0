//! `NativeKeyLoader.provision` (feature `service-client`): rust-core's `KeyLoader::provision` on
//! the caller's thread, its progress told to a Java `io.keybridge.jni.ProvisionListener`, its
//! result built as `io.keybridge.jni.ProvisionReport`.

use std::time::Duration;

use jni::objects::{JClass, JObject, JString, JValue};
use jni::refs::Global;
use jni::sys::{jint, jlong};
use jni::{Env, EnvUnowned, jni_sig, jni_str};
use keybridge::loader::{KeyLoadOutcome, LoadError};
use keybridge::provision::{ProvisionError, ProvisionOptions, ProvisionProgress, ProvisionReport, ProvisionedSlot};
use keybridge::service_api::{SlotOutcome, Verdict};

use crate::java_call::with_java;
use crate::service::client;
use crate::throw::{JniError, ThrowJava, reader_exception, service_exception};
use crate::{native, optional_string, result_object};

/// Local references one slot's Java objects take (strings, the load result, the exception).
const SLOT_LOCALS: usize = 16;

/// The app's `ProvisionListener`, called on the provisioning thread. What it throws is caught by
/// `with_java` and ignored: progress never changes what is loaded or reported.
struct JavaProgress(Global<JObject<'static>>);

impl ProvisionProgress for JavaProgress {
    fn keys_received(&self, request_id: &str, slots: usize) {
        let _ = with_java(|env| {
            let request_id = env.new_string(request_id)?;
            env.call_method(
                &self.0,
                jni_str!("keysReceived"),
                jni_sig!("(Ljava/lang/String;I)V"),
                &[
                    JValue::Object(&request_id),
                    JValue::Int(i32::try_from(slots).unwrap_or(i32::MAX)),
                ],
            )?
            .v()
        });
    }

    fn slot_started(&self, slot: u8) {
        let _ = with_java(|env| {
            env.call_method(
                &self.0,
                jni_str!("slotStarted"),
                jni_sig!("(I)V"),
                &[JValue::Int(slot.into())],
            )?
            .v()
        });
    }

    fn slot_finished(&self, slot: &ProvisionedSlot) {
        let _ = with_java(|env| {
            let slot = slot_object(env, slot)?;
            env.call_method(
                &self.0,
                jni_str!("slotFinished"),
                jni_sig!("(Lio/keybridge/jni/ProvisionedSlot;)V"),
                &[JValue::Object(&slot)],
            )?
            .v()
        });
    }
}

fn optional_java_string<'local>(env: &mut Env<'local>, value: Option<&str>) -> jni::errors::Result<JObject<'local>> {
    Ok(match value {
        Some(text) => env.new_string(text)?.into(),
        None => JObject::null(),
    })
}

/// An `io.keybridge.jni.ProvisionedSlot`.
fn slot_object<'local>(env: &mut Env<'local>, slot: &ProvisionedSlot) -> jni::errors::Result<JObject<'local>> {
    env.with_local_frame_returning_local::<_, JObject, _>(SLOT_LOCALS, |env| {
        let key_arn = env.new_string(&slot.key_arn)?;
        let ksn = optional_java_string(env, slot.ksn.as_deref())?;
        let service_kcv = env.new_string(&slot.service_kcv)?;
        let algorithm = env.new_string(slot.service_kcv_algorithm.aws_name())?;
        let outcome = env.new_string(match slot.outcome() {
            SlotOutcome::Loaded => "LOADED",
            SlotOutcome::Failed => "FAILED",
            SlotOutcome::Indeterminate => "INDETERMINATE",
        })?;
        let reader_kcv = optional_java_string(env, slot.reader_kcv().as_deref())?;
        let verdict = optional_java_string(
            env,
            slot.verdict.map(|v| match v {
                Verdict::Verified => "VERIFIED",
                Verdict::Mismatch => "MISMATCH",
                Verdict::Unverifiable => "UNVERIFIABLE",
            }),
        )?;
        let (loaded, failure) = match &slot.result {
            Ok(outcome) => (result_object(env, outcome)?, JObject::null()),
            Err(e) => (
                JObject::null(),
                reader_exception(env, &e.to_string(), e.dspread_error_name(), e.is_refusal())?.into(),
            ),
        };
        env.new_object(
            jni_str!("io/keybridge/jni/ProvisionedSlot"),
            jni_sig!(
                "(ILjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;ZLjava/lang/String;Lio/keybridge/jni/KeyLoadResult;Lio/keybridge/jni/ReaderException;)V"
            ),
            &[
                JValue::Int(slot.slot.into()),
                JValue::Object(&key_arn),
                JValue::Object(&ksn),
                JValue::Object(&service_kcv),
                JValue::Object(&algorithm),
                JValue::Object(&outcome),
                JValue::Object(&reader_kcv),
                JValue::Bool(slot.result.as_ref().is_ok_and(KeyLoadOutcome::is_verified)),
                JValue::Object(&verdict),
                JValue::Object(&loaded),
                JValue::Object(&failure),
            ],
        )
    })
}

/// An `io.keybridge.jni.ProvisionReport`.
fn report_object<'local>(env: &mut Env<'local>, report: &ProvisionReport) -> Result<JObject<'local>, JniError> {
    let length = i32::try_from(report.slots.len()).unwrap_or(i32::MAX);
    let slots = env.new_object_array(length, jni_str!("io/keybridge/jni/ProvisionedSlot"), JObject::null())?;
    for (index, slot) in report.slots.iter().enumerate() {
        let object = slot_object(env, slot)?;
        slots.set_element(env, index, &object)?;
        env.delete_local_ref(object);
    }
    let pos_id = env.new_string(&report.pos_id)?;
    let request_id = env.new_string(&report.request_id)?;
    let report_failure: JObject = match &report.report {
        Ok(_) => JObject::null(),
        Err(e) => service_exception(env, e)?.into(),
    };
    Ok(env.new_object(
        jni_str!("io/keybridge/jni/ProvisionReport"),
        jni_sig!(
            "(Ljava/lang/String;Ljava/lang/String;[Lio/keybridge/jni/ProvisionedSlot;ZLio/keybridge/jni/KeyServiceException;Z)V"
        ),
        &[
            JValue::Object(&pos_id),
            JValue::Object(&request_id),
            JValue::Object(&slots),
            JValue::Bool(report.cancelled),
            JValue::Object(&report_failure),
            JValue::Bool(report.all_verified()),
        ],
    )?)
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_NativeKeyLoader_nativeProvision<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    service: jlong,
    idempotency_key: JString<'local>,
    timeout_ms: jint,
    listener: JObject<'local>,
) -> JObject<'local> {
    env.with_env(|env| -> Result<JObject<'local>, JniError> {
        // SAFETY: the Java class holds the loader's and the service's read locks for the call.
        let native = unsafe { native(handle) }?;
        // SAFETY: as above.
        let service = unsafe { client(service) }?;
        let options = ProvisionOptions {
            idempotency_key: optional_string(env, &idempotency_key)?,
            timeout: u64::try_from(timeout_ms)
                .ok()
                .filter(|&ms| ms > 0)
                .map(Duration::from_millis),
        };
        let progress = if listener.is_null() {
            None
        } else {
            Some(JavaProgress(env.new_global_ref(listener)?))
        };
        let provisioned = native.begin_call()?.provision(
            service,
            &options,
            progress.as_ref().map(|p| p as &dyn ProvisionProgress),
        );
        match provisioned {
            Ok(report) => report_object(env, &report),
            Err(ProvisionError::Reader(e)) => Err(e.into()),
            Err(ProvisionError::Service(e)) => Err(JniError::Service(e)),
            Err(ProvisionError::Cancelled) => Err(LoadError::Cancelled.into()),
        }
    })
    .resolve::<ThrowJava>()
}
