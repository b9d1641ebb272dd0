//! The control-plane operations, one function each, on the JSON shapes of the service.

use keybridge::SecretBytes;
use keybridge::export::names::{
    KcvAlgorithm, KeyAlgorithm, ModesOfUse, exportability_from_aws, key_usage_from_aws, key_usage_to_aws,
};
use keybridge::tr31::{self, Exportability, Header, KeyUsage, KeyVersion, OptionalBlock, Profile, WrapOptions};
use serde_json::{Value, json};

use super::dukpt;
use super::service_error::ServiceError;
use super::store::{Origin, Store, StoredKey, default_modes, now};
use super::tr34;

type Operation = fn(&mut Store, &Value) -> Result<Value, ServiceError>;

/// Every operation the emulator serves, by its `X-Amz-Target` suffix.
pub const OPERATIONS: &[(&str, Operation)] = &[
    ("CreateKey", create_key),
    ("GetKey", get_key),
    ("ListKeys", list_keys),
    ("DeleteKey", delete_key),
    ("CreateAlias", create_alias),
    ("GetAlias", get_alias),
    ("ListAliases", list_aliases),
    ("ExportKey", export_key),
    ("ImportKey", import_key),
    ("GetParametersForExport", tr34::get_parameters_for_export),
];

/// Runs `operation` on `input`.
pub fn call(store: &mut Store, operation: &str, input: &Value) -> Result<Value, ServiceError> {
    let (_, run) = OPERATIONS
        .iter()
        .find(|(name, _)| *name == operation)
        .ok_or_else(|| ServiceError::new("UnknownOperationException", format!("Unknown operation {operation}")))?;
    run(store, input)
}

fn missing(field: &str) -> ServiceError {
    ServiceError::validation(format!(
        "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
    ))
}

fn field<'a>(input: &'a Value, name: &str) -> Result<&'a Value, ServiceError> {
    input.get(name).filter(|v| !v.is_null()).ok_or_else(|| missing(name))
}

fn text<'a>(input: &'a Value, name: &str) -> Result<&'a str, ServiceError> {
    field(input, name)?
        .as_str()
        .ok_or_else(|| ServiceError::validation(format!("'{name}' must be a string")))
}

fn flag(input: &Value, name: &str, default: bool) -> bool {
    input.get(name).and_then(Value::as_bool).unwrap_or(default)
}

fn create_key(store: &mut Store, input: &Value) -> Result<Value, ServiceError> {
    let attributes = field(input, "KeyAttributes")?;
    let usage_name = text(attributes, "KeyUsage")?;
    let usage = key_usage_from_aws(usage_name)
        .ok_or_else(|| ServiceError::validation(format!("KeyUsage {usage_name} is not supported")))?;
    if text(attributes, "KeyClass")? != "SYMMETRIC_KEY" {
        return Err(ServiceError::validation(
            "only SYMMETRIC_KEY keys are supported by the emulator",
        ));
    }
    let algorithm_name = text(attributes, "KeyAlgorithm")?;
    let algorithm = KeyAlgorithm::from_aws(algorithm_name)
        .ok_or_else(|| ServiceError::validation(format!("KeyAlgorithm {algorithm_name} is not supported")))?;
    let modes = match attributes.get("KeyModesOfUse") {
        Some(m) => {
            serde_json::from_value(m.clone()).map_err(|e| ServiceError::validation(format!("KeyModesOfUse: {e}")))?
        }
        None => default_modes(usage),
    };
    if let Some(name) = input.get("KeyCheckValueAlgorithm").and_then(Value::as_str)
        && KcvAlgorithm::from_aws(name) != Some(algorithm.kcv_algorithm())
    {
        return Err(ServiceError::validation(format!(
            "KeyCheckValueAlgorithm {name} does not fit {algorithm}"
        )));
    }
    let mut material = vec![0u8; algorithm.key_len()];
    getrandom::fill(&mut material).map_err(|_| ServiceError::new("InternalServerException", "RNG failed"))?;
    let mut key = StoredKey::new(
        store.new_arn()?,
        usage,
        algorithm,
        modes,
        SecretBytes::new(material),
        Origin::Generated,
    )?;
    key.exportable = flag(input, "Exportable", false);
    key.enabled = flag(input, "Enabled", true);
    let arn = store.insert(key);
    Ok(json!({ "Key": store.keys[&arn].to_json() }))
}

fn get_key(store: &mut Store, input: &Value) -> Result<Value, ServiceError> {
    let id = text(input, "KeyIdentifier")?;
    if let Ok(root) = tr34::certificate(store, id) {
        return Ok(json!({ "Key": root.to_json() }));
    }
    Ok(json!({ "Key": store.key(id)?.to_json() }))
}

/// Pagination over sorted names: `NextToken` is the first name of the next page.
fn page<'a, T>(items: impl Iterator<Item = (&'a String, T)>, input: &Value) -> (Vec<T>, Option<String>) {
    let max = input.get("MaxResults").and_then(Value::as_u64).unwrap_or(100) as usize;
    let start = input.get("NextToken").and_then(Value::as_str).unwrap_or("");
    let mut items = items.skip_while(|(name, _)| name.as_str() < start);
    let page: Vec<T> = items.by_ref().take(max).map(|(_, v)| v).collect();
    (page, items.next().map(|(name, _)| name.clone()))
}

fn with_token(mut body: Value, token: Option<String>) -> Value {
    if let Some(token) = token {
        body["NextToken"] = json!(token);
    }
    body
}

fn list_keys(store: &mut Store, input: &Value) -> Result<Value, ServiceError> {
    let state = input.get("KeyState").and_then(Value::as_str);
    let keys = store
        .keys
        .iter()
        .filter(|(_, k)| state.is_none_or(|s| s == k.state()))
        .map(|(arn, k)| (arn, k.summary()));
    let (keys, token) = page(keys, input);
    Ok(with_token(json!({ "Keys": keys }), token))
}

fn delete_key(store: &mut Store, input: &Value) -> Result<Value, ServiceError> {
    let arn = store.resolve(text(input, "KeyIdentifier")?)?;
    let days = input.get("DeleteKeyInDays").and_then(Value::as_u64).unwrap_or(7);
    if !(3..=180).contains(&days) {
        return Err(ServiceError::validation("DeleteKeyInDays must be between 3 and 180"));
    }
    let key = store
        .keys
        .get_mut(&arn)
        .ok_or_else(|| ServiceError::validation(format!("Key {arn} is a public key certificate")))?;
    if key.delete_pending.is_some() {
        return Err(ServiceError::new(
            "ConflictException",
            format!("Key {arn} is already pending deletion"),
        ));
    }
    key.delete_pending = Some(now() + days as f64 * 86_400.0);
    key.enabled = false;
    Ok(json!({ "Key": key.to_json() }))
}

fn valid_alias(name: &str) -> bool {
    name.strip_prefix("alias/")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b)))
}

fn create_alias(store: &mut Store, input: &Value) -> Result<Value, ServiceError> {
    let name = text(input, "AliasName")?;
    if !valid_alias(name) {
        return Err(ServiceError::validation(format!(
            "AliasName {name} must match ^alias/[a-zA-Z0-9/_-]+$"
        )));
    }
    if store.aliases.contains_key(name) {
        return Err(ServiceError::new(
            "ConflictException",
            format!("Alias {name} already exists"),
        ));
    }
    let arn = match input.get("KeyArn").and_then(Value::as_str) {
        Some(arn) => Some(store.resolve(arn)?),
        None => None,
    };
    store.aliases.insert(name.to_owned(), arn);
    Ok(json!({ "Alias": store.alias_json(name) }))
}

fn get_alias(store: &mut Store, input: &Value) -> Result<Value, ServiceError> {
    let name = text(input, "AliasName")?;
    if !store.aliases.contains_key(name) {
        return Err(ServiceError::not_found(format!("Alias {name} not found")));
    }
    Ok(json!({ "Alias": store.alias_json(name) }))
}

fn list_aliases(store: &mut Store, input: &Value) -> Result<Value, ServiceError> {
    let key = input.get("KeyArn").and_then(Value::as_str);
    let aliases = store
        .aliases
        .iter()
        .filter(|(_, arn)| key.is_none_or(|k| arn.as_deref() == Some(k)))
        .map(|(name, _)| (name, store.alias_json(name)));
    let (aliases, token) = page(aliases, input);
    Ok(with_token(json!({ "Aliases": aliases }), token))
}

/// The KEK named by `WrappingKeyIdentifier`, checked to be a usable key block protection key.
fn wrapping_key<'a>(store: &'a Store, block: &Value) -> Result<&'a StoredKey, ServiceError> {
    let kek = store.key(text(block, "WrappingKeyIdentifier")?)?.usable()?;
    if !matches!(kek.usage, KeyUsage::K0 | KeyUsage::K1) {
        return Err(ServiceError::validation(format!(
            "Wrapping key {} has usage {}; TR-31 needs TR31_K0_KEY_ENCRYPTION_KEY or TR31_K1_KEY_BLOCK_PROTECTION_KEY",
            kek.arn,
            key_usage_to_aws(kek.usage).unwrap_or("?")
        )));
    }
    Ok(kek)
}

fn export_key(store: &mut Store, input: &Value) -> Result<Value, ServiceError> {
    let key = store.key(text(input, "ExportKeyIdentifier")?)?.usable()?;
    let material = field(input, "KeyMaterial")?;
    if !key.exportable {
        return Err(ServiceError::validation(format!("Key {} is not exportable", key.arn)));
    }
    if let Some(block) = material.get("Tr34KeyBlock") {
        return tr34::export(store, key, block);
    }
    let block = material.get("Tr31KeyBlock").ok_or_else(|| {
        ServiceError::validation("the emulator exports only Tr31KeyBlock and Tr34KeyBlock key material")
    })?;
    let kek = wrapping_key(store, block)?;
    let version = kek.algorithm.wrapping_version();
    if version.kbpk_family() != key.algorithm.family() && key.algorithm.family() == keybridge::crypto::CipherFamily::Aes
    {
        return Err(ServiceError::validation(
            "an AES key cannot be exported under a TDES wrapping key",
        ));
    }

    let ipek = input
        .get("ExportAttributes")
        .and_then(|a| a.get("ExportDukptInitialKey"));
    let (header, clear, kcv_of) = match ipek {
        Some(ipek) => {
            if key.usage != KeyUsage::B0 {
                return Err(ServiceError::validation(
                    "ExportDukptInitialKey needs a TR31_B0_BASE_DERIVATION_KEY",
                ));
            }
            let ksn_text = text(ipek, "KeySerialNumber")?;
            let ksn = hex::decode(ksn_text).map_err(|_| ServiceError::validation("KeySerialNumber must be hex"))?;
            let initial = dukpt::initial_key(key.material.as_bytes(), key.algorithm.family(), &ksn)?;
            let mut header = Header::new(
                version,
                KeyUsage::B1,
                key.algorithm.tr31(),
                keybridge::tr31::ModeOfUse::DeriveKeys,
                Exportability::Trusted,
            );
            let (id, data) = match key.algorithm.family() {
                keybridge::crypto::CipherFamily::Aes => ("IK", &ksn_text[..16]),
                _ => ("KS", ksn_text),
            };
            header
                .optional_blocks
                .push(OptionalBlock::new(id, &data.to_ascii_uppercase()));
            (header, initial, "IPEK")
        }
        None => (
            tr31_header(key, version, block.get("KeyBlockHeaders"))?,
            key.material.clone(),
            "key",
        ),
    };
    let wrapped = tr31::wrap(
        kek.material.as_bytes(),
        &header,
        clear.as_bytes(),
        &WrapOptions::default(),
    )
    .map_err(|e| ServiceError::validation(format!("KeyBlockHeaders: {e}")))?;
    let kcv_algorithm = key.kcv_algorithm();
    let kcv = kcv_algorithm
        .service_kcv(clear.as_bytes(), key.algorithm.family())
        .map_err(|_| ServiceError::new("InternalServerException", format!("no KCV for the {kcv_of}")))?;
    Ok(json!({
        "WrappedKey": {
            "WrappingKeyArn": kek.arn,
            "WrappedKeyMaterialFormat": "TR31_KEY_BLOCK",
            "KeyMaterial": wrapped,
            "KeyCheckValue": hex::encode_upper(kcv),
            "KeyCheckValueAlgorithm": kcv_algorithm.aws_name(),
        }
    }))
}

/// The header of an exported key: the key's attributes, narrowed by `KeyBlockHeaders`.
pub(super) fn tr31_header(
    key: &StoredKey,
    version: tr31::Version,
    headers: Option<&Value>,
) -> Result<Header, ServiceError> {
    let empty = json!({});
    let headers = headers.unwrap_or(&empty);
    let modes = match headers.get("KeyModesOfUse") {
        Some(m) => {
            let wanted: ModesOfUse = serde_json::from_value(m.clone())
                .map_err(|e| ServiceError::validation(format!("KeyModesOfUse: {e}")))?;
            if !wanted.is_within(&key.modes) {
                return Err(ServiceError::validation(
                    "KeyModesOfUse in KeyBlockHeaders can only restrict the key's modes of use",
                ));
            }
            wanted
        }
        None => key.modes,
    };
    let mode = modes
        .tr31()
        .ok_or_else(|| ServiceError::validation("KeyModesOfUse must enable at least one mode"))?;
    let exportability = match headers.get("KeyExportability").and_then(Value::as_str) {
        Some(name) => exportability_from_aws(name)
            .ok_or_else(|| ServiceError::validation(format!("KeyExportability {name} is not valid")))?,
        None => Exportability::Trusted,
    };
    let mut header = Header::new(version, key.usage, key.algorithm.tr31(), mode, exportability);
    if let Some(v) = headers.get("KeyVersion").and_then(Value::as_str) {
        header.key_version = KeyVersion::from_code(v.as_bytes())
            .filter(|_| v.len() == 2)
            .ok_or_else(|| ServiceError::validation("KeyVersion must be 2 alphanumeric characters"))?;
    }
    if let Some(blocks) = headers.get("OptionalBlocks").and_then(Value::as_object) {
        for (id, data) in blocks {
            let data = data
                .as_str()
                .ok_or_else(|| ServiceError::validation("OptionalBlocks values must be strings"))?;
            header.optional_blocks.push(OptionalBlock::new(id, data));
        }
    }
    Ok(header)
}

fn import_key(store: &mut Store, input: &Value) -> Result<Value, ServiceError> {
    let material = field(input, "KeyMaterial")?;
    if material.get("RootCertificatePublicKey").is_some() {
        return tr34::import_root_certificate(store, material);
    }
    let block = material.get("Tr31KeyBlock").ok_or_else(|| {
        ServiceError::validation("the emulator imports only Tr31KeyBlock and RootCertificatePublicKey key material")
    })?;
    let kek = wrapping_key(store, block)?;
    let text_block = text(block, "WrappedKeyBlock")?;
    let unwrapped = tr31::unwrap(kek.material.as_bytes(), text_block, &Profile::LENIENT)
        .map_err(|e| ServiceError::validation(format!("WrappedKeyBlock: {e}")))?;
    let header = &unwrapped.header;
    let usage = key_usage_to_aws(header.key_usage)
        .and(Some(header.key_usage))
        .ok_or_else(|| ServiceError::validation(format!("key usage {} cannot be imported", header.key_usage)))?;
    let algorithm = KeyAlgorithm::from_tr31(header.algorithm, unwrapped.key.len())
        .ok_or_else(|| ServiceError::validation(format!("algorithm {} cannot be imported", header.algorithm)))?;
    let mut key = StoredKey::new(
        store.new_arn()?,
        usage,
        algorithm,
        ModesOfUse::from_tr31(header.mode_of_use),
        unwrapped.key.clone(),
        Origin::External,
    )?;
    key.exportable = header.exportability != Exportability::NonExportable;
    key.enabled = flag(input, "Enabled", true);
    let arn = store.insert(key);
    Ok(json!({ "Key": store.keys[&arn].to_json() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with_kek() -> (Store, SecretBytes) {
        let mut store = Store::new("us-east-1");
        let kek = SecretBytes::from_slice(&[0x5A; 32]);
        let key = StoredKey::new(
            store.new_arn().unwrap(),
            KeyUsage::K0,
            KeyAlgorithm::Aes256,
            default_modes(KeyUsage::K0),
            kek.clone(),
            Origin::External,
        )
        .unwrap();
        let arn = store.insert(key);
        store.aliases.insert("alias/kek".into(), Some(arn));
        (store, kek)
    }

    #[test]
    fn create_export_and_unwrap_give_the_reported_kcv() {
        let (mut store, kek) = store_with_kek();
        let created = call(
            &mut store,
            "CreateKey",
            &json!({"KeyAttributes": {"KeyUsage": "TR31_P0_PIN_ENCRYPTION_KEY", "KeyClass": "SYMMETRIC_KEY",
                "KeyAlgorithm": "AES_128", "KeyModesOfUse": {"Encrypt": true, "Decrypt": true, "Wrap": true, "Unwrap": true}},
                "Exportable": true}),
        )
        .unwrap();
        let arn = created["Key"]["KeyArn"].as_str().unwrap();
        let exported = call(
            &mut store,
            "ExportKey",
            &json!({"ExportKeyIdentifier": arn, "KeyMaterial": {"Tr31KeyBlock": {"WrappingKeyIdentifier": "alias/kek"}}}),
        )
        .unwrap();
        let block = exported["WrappedKey"]["KeyMaterial"].as_str().unwrap();
        assert!(block.starts_with('D'), "{block}");
        let clear = tr31::unwrap(kek.as_bytes(), block, &Profile::STRICT).unwrap();
        let kcv = KcvAlgorithm::Cmac
            .service_kcv(clear.key.as_bytes(), keybridge::crypto::CipherFamily::Aes)
            .unwrap();
        assert_eq!(hex::encode_upper(kcv), exported["WrappedKey"]["KeyCheckValue"]);
        assert_eq!(created["Key"]["KeyCheckValue"], exported["WrappedKey"]["KeyCheckValue"]);

        // The block imports back under the same KEK as an EXTERNAL key with the same KCV.
        let imported = call(
            &mut store,
            "ImportKey",
            &json!({"KeyMaterial": {"Tr31KeyBlock": {"WrappingKeyIdentifier": "alias/kek", "WrappedKeyBlock": block}}}),
        )
        .unwrap();
        assert_eq!(imported["Key"]["KeyOrigin"], "EXTERNAL");
        assert_eq!(imported["Key"]["KeyCheckValue"], created["Key"]["KeyCheckValue"]);
    }

    #[test]
    fn errors_have_the_service_codes() {
        let (mut store, _) = store_with_kek();
        let code = |store: &mut Store, op: &str, input: Value| call(store, op, &input).unwrap_err().code;
        assert_eq!(
            code(&mut store, "GetKey", json!({"KeyIdentifier": "alias/none"})),
            "ResourceNotFoundException"
        );
        assert_eq!(code(&mut store, "GetKey", json!({})), "ValidationException");
        assert_eq!(
            code(&mut store, "CreateAlias", json!({"AliasName": "alias/kek"})),
            "ConflictException"
        );
        assert_eq!(code(&mut store, "Fly", json!({})), "UnknownOperationException");
        // A header that widens the key's modes of use.
        let kek_arn = store.resolve("alias/kek").unwrap();
        assert_eq!(
            code(
                &mut store,
                "ExportKey",
                json!({"ExportKeyIdentifier": kek_arn, "KeyMaterial": {"Tr31KeyBlock": {"WrappingKeyIdentifier": "alias/kek",
                    "KeyBlockHeaders": {"KeyModesOfUse": {"Generate": true}}}}})
            ),
            "ValidationException"
        );
    }
}
