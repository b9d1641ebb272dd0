//! `AwsKcvAlgorithm`: how AWS computed a key check value, as one FFI type shared by the AWS
//! exporter's [`crate::ExportedKey`], the key service's views and provisioning reports.
//!
//! It is rust-core's [`keybridge::export::KcvAlgorithm`] itself (a uniffi remote custom type), so
//! no record here mirrors it with a string of its own. It crosses as AWS's name, `ANSI_X9_24` or
//! `CMAC`, which is what the AWS console, the CLI and the service's JSON show. The alias gives it
//! a foreign name of its own: `KcvAlgorithm` there is the cipher of `keyCheckValue`.

/// AWS's `KeyCheckValueAlgorithm`: `ANSI_X9_24` or `CMAC` (a `String` in Kotlin and Swift).
pub type AwsKcvAlgorithm = keybridge::export::KcvAlgorithm;

uniffi::custom_type!(AwsKcvAlgorithm, String, {
    remote,
    lower: |algorithm| algorithm.aws_name().to_owned(),
    try_lift: |name| AwsKcvAlgorithm::from_aws(&name)
        .ok_or_else(|| uniffi::deps::anyhow::anyhow!("not an AWS KCV algorithm: {name:?} (ANSI_X9_24 or CMAC)")),
});
