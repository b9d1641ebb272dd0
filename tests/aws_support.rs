//! The AWS emulator with a random shared KEK, and the real exporter/SDK client pointed at it.

use std::time::Duration;

use keybridge::SecretBytes;
use keybridge::export::{AwsConfig, AwsKeyExporter, Credentials, KeyAlgorithm, ModesOfUse, StaticCredentials};
use keybridge_testkit::emulator::{self, Emulator, EmulatorConfig, Faults, PreloadedKey};

/// The KEK alias every test emulator has.
pub const KEK_ALIAS: &str = "alias/kek";

/// A random key of `algorithm`'s length from the OS RNG.
pub fn random_key(algorithm: KeyAlgorithm) -> SecretBytes {
    let mut bytes = vec![0u8; algorithm.key_len()];
    getrandom::fill(&mut bytes).expect("OS random number generator");
    SecretBytes::new(bytes)
}

/// An emulator with a random KEK of `kek_algorithm` under [`KEK_ALIAS`] and the given faults.
/// Returns the KEK so tests can unwrap what the service exports.
pub fn emulator(kek_algorithm: KeyAlgorithm, faults: Faults) -> (Emulator, SecretBytes) {
    let kek = random_key(kek_algorithm);
    let preload = format!("{KEK_ALIAS}=K0:{}:{}", kek_algorithm.aws_name(), kek.expose_hex());
    let config = EmulatorConfig {
        keys: vec![preload.parse::<PreloadedKey>().expect("valid preload")],
        faults,
        ..EmulatorConfig::default()
    };
    (Emulator::start(config).expect("emulator starts"), kek)
}

/// Client configuration for `emulator` with the emulator's test credentials, fast back-off.
pub fn config(emulator: &Emulator) -> AwsConfig {
    AwsConfig {
        region: Some(emulator::DEFAULT_REGION.into()),
        endpoint_url: Some(emulator.endpoint_url()),
        credentials: Credentials::Static(StaticCredentials::new(
            emulator::DEFAULT_ACCESS_KEY_ID,
            emulator::DEFAULT_SECRET_ACCESS_KEY,
            None,
        )),
        retry_initial_backoff: Duration::from_millis(10),
        ..AwsConfig::default()
    }
}

pub async fn exporter(emulator: &Emulator) -> AwsKeyExporter {
    AwsKeyExporter::connect(config(emulator)).await.expect("client builds")
}

/// Creates an exportable key through the real SDK and returns its ARN.
pub async fn create_key(exporter: &AwsKeyExporter, usage: &str, algorithm: KeyAlgorithm, modes: &str) -> String {
    use aws_sdk_paymentcryptography::types as t;
    let m = ModesOfUse::parse_list(modes).expect("valid modes");
    let modes = t::KeyModesOfUse::builder()
        .encrypt(m.encrypt)
        .decrypt(m.decrypt)
        .wrap(m.wrap)
        .unwrap(m.unwrap)
        .generate(m.generate)
        .sign(m.sign)
        .verify(m.verify)
        .derive_key(m.derive_key)
        .no_restrictions(m.no_restrictions)
        .build();
    let attributes = t::KeyAttributes::builder()
        .key_usage(t::KeyUsage::from(usage))
        .key_class(t::KeyClass::SymmetricKey)
        .key_algorithm(t::KeyAlgorithm::from(algorithm.aws_name()))
        .key_modes_of_use(modes)
        .build()
        .expect("complete attributes");
    let out = exporter
        .client()
        .create_key()
        .key_attributes(attributes)
        .exportable(true)
        .send()
        .await
        .expect("CreateKey succeeds");
    out.key().expect("a key").key_arn().to_owned()
}
