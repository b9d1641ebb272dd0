//! The native of `io.keybridge.jni.Tr31Header.inspect`: a key block's header read without the
//! KBPK, for Java code that shows or checks a block before it goes to a reader.
//!
//! The header crosses as one `String[]` (see `Tr31Header.java` for the order) that the Java side
//! turns into its object: one array and a string per field is the fewest JNI calls that carry it,
//! and keeps the class and constructor lookups of a `NewObject` per field out of the call.
//!
//! The block is read under the profile the caller names, with weak wrapping accepted: inspecting
//! shows a version A block, and its warnings say it is weak (loading it still needs the opt-in).

use jni::objects::{JClass, JObjectArray, JString};
use jni::sys::jint;
use jni::{Env, EnvUnowned};
use keybridge::tr31::{self, Header, KeyBlock, Profile, Strictness};

use crate::string;
use crate::throw::{JniError, ThrowJava};

/// The fixed fields, in the order `Tr31Header.java` reads them; each optional block then adds
/// its id, data and meaning (null for proprietary and unknown ids).
fn fixed_fields(header: &Header, length: usize) -> [Option<String>; 10] {
    [
        Some(header.version.code().into()),
        Some(header.key_usage.code().into()),
        Some(header.key_usage.meaning().into()),
        Some(header.algorithm.code().into()),
        Some(header.algorithm.meaning().into()),
        Some(header.mode_of_use.code().into()),
        Some(header.key_version.code()),
        Some(header.exportability.code().into()),
        Some(header.key_context.code().into()),
        Some(length.to_string()),
    ]
}

/// `Tr31Header.Profile`'s ordinals.
fn strictness(ordinal: jint) -> Result<Strictness, JniError> {
    match ordinal {
        0 => Ok(Strictness::Strict),
        1 => Ok(Strictness::Default),
        2 => Ok(Strictness::Lenient),
        other => Err(JniError::Argument(format!(
            "profile {other} is not a Tr31Header.Profile"
        ))),
    }
}

/// The fixed fields, the number of warnings and the warnings, then each optional block's id, data
/// and meaning.
fn inspect(block: &str, profile: jint) -> Result<Vec<Option<String>>, JniError> {
    let profile = Profile::preset(strictness(profile)?, true);
    let parsed = KeyBlock::parse(block.trim(), &profile).map_err(|e| JniError::Argument(e.to_string()))?;
    let header = parsed.header();
    let warnings = tr31::reported_warnings(header, parsed.warnings());
    let mut fields = Vec::from(fixed_fields(header, parsed.len()));
    fields.push(Some(warnings.len().to_string()));
    fields.extend(warnings.iter().map(|w| Some(w.to_string())));
    for optional in &header.optional_blocks {
        fields.push(Some(optional.id.clone()));
        fields.push(Some(optional.data.clone()));
        fields.push(optional.known_id().map(|id| id.meaning().into()));
    }
    Ok(fields)
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_keybridge_jni_Tr31Header_nativeInspect<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    block: JString<'local>,
    profile: jint,
) -> JObjectArray<'local, JString<'local>> {
    env.with_env(|env: &mut Env<'local>| -> Result<_, JniError> {
        let fields = inspect(&string(env, &block, "block")?, profile)?;
        let array = JObjectArray::<JString>::new(env, fields.len(), JString::null())?;
        for (index, field) in fields.iter().enumerate() {
            if let Some(text) = field {
                let value = env.new_string(text)?;
                array.set_element(env, index, &value)?;
                env.delete_local_ref(value);
            }
        }
        Ok(array)
    })
    .resolve::<ThrowJava>()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXED: usize = 10;

    /// TR-31:2018 A.7.2.1: version A, key length not obfuscated.
    const A721: &str = "A0072P0TE00E0000F5161ED902807AF26F1D62263644BD24192FDB3193C730301CEE8701";

    #[test]
    fn warnings_follow_the_fixed_fields_with_their_count() {
        let fields = inspect(A721, 1).unwrap();
        assert_eq!(fields[0].as_deref(), Some("A"));
        assert_eq!(fields[FIXED].as_deref(), Some("2"));
        assert!(
            fields[FIXED + 1]
                .as_deref()
                .unwrap()
                .starts_with("weak wrapping accepted")
        );
        assert!(fields[FIXED + 2].as_deref().unwrap().contains("not obfuscated"));
        assert_eq!(fields.len(), FIXED + 3, "no optional blocks");
    }

    #[test]
    fn the_strict_profile_refuses_what_the_default_warns_about() {
        let refused = inspect(A721, 0).unwrap_err().to_string();
        assert!(
            refused.contains("not obfuscated") && refused.contains("position 16"),
            "{refused}"
        );
        assert!(
            inspect(A721, 3)
                .unwrap_err()
                .to_string()
                .contains("not a Tr31Header.Profile")
        );
    }
}
