//! uniffi bindings of keybridge for Kotlin (package `io.keybridge`) and Swift (module `KeyBridge`).
//!
//! Everything here is a thin adapter over the `keybridge` crate: FFI-shaped types (records,
//! objects, error enums) in, core calls, FFI-shaped results out. No key block, KCV, framing or
//! key service protocol logic lives in this crate.
//!
//! Panics never cross the boundary: uniffi catches unwinding panics in every exported call and
//! raises them as an internal error on the foreign side, which is why the workspace keeps
//! `panic = "unwind"` in every profile.

// The JNI natives (`Java_io_keybridge_jni_*`) are exported from this library with the uniffi
// scaffolding: naming the crate is what links it in.
#[cfg(feature = "java")]
use keybridge_jni as _;

#[cfg(feature = "aws")]
mod aws;
#[cfg(any(feature = "aws", feature = "service-client"))]
mod aws_kcv;
mod error;
mod keyblock;
mod loader;
#[cfg(feature = "service-client")]
mod provision;
mod runtime;
#[cfg(feature = "service-client")]
mod service;

#[cfg(feature = "aws")]
pub use aws::{AwsError, AwsExporterConfig, AwsKeyExporter, ExportedKey};
#[cfg(any(feature = "aws", feature = "service-client"))]
pub use aws_kcv::AwsKcvAlgorithm;
pub use error::{KeyBlockError, LoadFailureKind, ReaderError, ReaderTransportError};
pub use keyblock::{
    KcvAlgorithm, KcvMethod, Tr31Header, Tr31Key, Tr31KeyBlock, Tr31OptionalBlock, Tr31Profile, Tr31WrapOptions,
    key_check_value,
};

pub use loader::{
    DeviceInfo, DeviceInfoReport, KcvReport, KcvVerification, KeyLoadResult, KeyLoader, LoadFailure, LoadReport,
    LoadRequest, LoaderOptions, ReaderTransport,
};
#[cfg(feature = "service-client")]
pub use provision::{ProvisionOptions, ProvisionProgress, ProvisionReport, ProvisionedSlot};
#[cfg(feature = "service-client")]
pub use service::{KeyServiceClient, KeyServiceConfig, KeyServiceError, ServiceFailure, ServiceFailureKind};

uniffi::setup_scaffolding!();
