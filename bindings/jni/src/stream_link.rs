//! A reader behind a Java `InputStream`/`OutputStream` pair, what a `BluetoothSocket` or a USB
//! serial library hands out. Java cannot time out a blocking read, so the Java side
//! (`io.keybridge.jni.StreamLink`) pumps the input stream on its own thread and this side asks it
//! for what has arrived, waiting at most the session's read slice.

use jni::objects::{JByteArray, JObject, JValue};
use jni::refs::Global;
use jni::{jni_sig, jni_str};
use keybridge::device::transport::{ForeignTransport, TransportError};

use crate::java_call::with_java;

pub(crate) struct StreamLink {
    link: Global<JObject<'static>>,
}

impl StreamLink {
    pub(crate) fn new(link: Global<JObject<'static>>) -> Self {
        Self { link }
    }
}

impl ForeignTransport for StreamLink {
    /// `StreamLink.read(maxLen, timeoutMs)`: the bytes, empty when none arrived in time, null once
    /// the stream has ended.
    fn read(&self, max_len: u32, timeout_ms: u32) -> Result<Vec<u8>, TransportError> {
        let signed = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        with_java(|env| {
            let bytes = env
                .call_method(
                    &self.link,
                    jni_str!("read"),
                    jni_sig!("(II)[B"),
                    &[JValue::Int(signed(max_len)), JValue::Int(signed(timeout_ms))],
                )?
                .l()?;
            if bytes.is_null() {
                return Ok(None);
            }
            let bytes = env.cast_local::<JByteArray>(bytes)?;
            Ok(Some(env.convert_byte_array(&bytes)?))
        })?
        .ok_or(TransportError::Closed)
    }

    fn write(&self, data: Vec<u8>) -> Result<(), TransportError> {
        with_java(|env| {
            let bytes = env.byte_array_from_slice(&data)?;
            env.call_method(
                &self.link,
                jni_str!("write"),
                jni_sig!("([B)V"),
                &[JValue::Object(&bytes)],
            )?
            .v()
        })
    }

    fn close(&self) {
        // Closing is best effort: the streams may be gone already.
        let _ = with_java(|env| {
            env.call_method(&self.link, jni_str!("close"), jni_sig!("()V"), &[])?
                .v()
        });
    }
}
