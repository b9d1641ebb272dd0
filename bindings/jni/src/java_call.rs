//! Calls from a transport into Java. The loader runs transports on the thread that entered a
//! native method, which the JVM has attached already, so getting its environment is cheap; a
//! Java exception comes back as a transport error carrying the exception's class and message.

use jni::errors::Error;
use jni::{Env, JavaVM};
use keybridge::device::transport::TransportError;

pub(crate) fn with_java<T>(call: impl FnOnce(&mut Env) -> Result<T, Error>) -> Result<T, TransportError> {
    let vm = JavaVM::singleton().map_err(|e| TransportError::Io(e.to_string()))?;
    vm.attach_current_thread(call).map_err(|e| match e {
        Error::CaughtJavaException { name, msg, .. } => TransportError::Io(format!("{name}: {msg}")),
        other => TransportError::Io(format!("JNI: {other}")),
    })
}
