//! Pure entry points into the emulator's request handling for the fuzz targets
//! (`fuzz`): everything the bytes of a request reach — the SigV4 headers, the awsJson
//! body, every operation — without sockets, threads or a clock.

use std::time::{Duration, UNIX_EPOCH};

use keybridge::SecretBytes;
use keybridge::export::KeyAlgorithm;
use keybridge::tr31::KeyUsage;

use super::service_error::ServiceError;
use super::sigv4::{self, Credentials, SignedRequest};
use super::store::{Origin, Store, StoredKey, default_modes};
use super::{DEFAULT_ACCESS_KEY_ID, DEFAULT_REGION, DEFAULT_SECRET_ACCESS_KEY};

/// Checks `headers` and `body` as the emulator checks every request, with its default
/// credentials, at `now_unix_seconds` (a fixed time: the skew check must not depend on the
/// clock a fuzzer runs at).
pub fn authenticate(headers: &[(String, String)], body: &[u8], now_unix_seconds: u64) -> Result<(), ServiceError> {
    let creds = Credentials {
        access_key_id: DEFAULT_ACCESS_KEY_ID.into(),
        secret_access_key: DEFAULT_SECRET_ACCESS_KEY.into(),
    };
    sigv4::check_headers(headers, &creds, UNIX_EPOCH + Duration::from_secs(now_unix_seconds))?;
    sigv4::verify(
        &SignedRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: headers.to_vec(),
            body,
        },
        &creds,
    )
}

/// Runs `operation` with `body` on a fresh store holding one AES-256 KEK (`alias/kek`) and one
/// AES-128 PIN key (`alias/pin`), so that exports, imports and look-ups reach real keys.
pub fn dispatch(operation: &str, body: &[u8]) -> Result<serde_json::Value, ServiceError> {
    let mut store = Store::new(DEFAULT_REGION);
    for (alias, usage, algorithm, byte) in [
        ("alias/kek", KeyUsage::K0, KeyAlgorithm::Aes256, 0x5A),
        ("alias/pin", KeyUsage::P0, KeyAlgorithm::Aes128, 0x33),
    ] {
        let arn = store.new_arn()?;
        let material = SecretBytes::from_slice(&vec![byte; algorithm.key_len()]);
        let key = StoredKey::new(arn, usage, algorithm, default_modes(usage), material, Origin::External)?;
        let arn = store.insert(key);
        store.aliases.insert(alias.into(), Some(arn));
    }
    super::dispatch(&mut store, Some(16), operation, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_points_reach_real_keys_and_real_refusals() {
        let listed = dispatch("ListKeys", b"{}").unwrap();
        assert_eq!(listed["Keys"].as_array().map(Vec::len), Some(2));
        let exported = dispatch(
            "ExportKey",
            br#"{"ExportKeyIdentifier":"alias/pin","KeyMaterial":{"Tr31KeyBlock":{"WrappingKeyIdentifier":"alias/kek"}}}"#,
        )
        .unwrap();
        assert!(
            exported["WrappedKey"]["KeyMaterial"]
                .as_str()
                .is_some_and(|b| b.starts_with('D'))
        );
        assert_eq!(dispatch("GetKey", b"{").unwrap_err().code, "SerializationException");
        let unsigned = authenticate(&[], b"{}", 0).unwrap_err();
        assert_eq!(unsigned.code, "MissingAuthenticationTokenException");
    }
}
