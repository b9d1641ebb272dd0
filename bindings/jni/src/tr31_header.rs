//! The native of `io.keybridge.jni.Tr31Header.inspect`: a key block's header read without the
//! KBPK, for Java code that shows or checks a block before it goes to a reader.
//!
//! The header crosses as one `String[]` (see `Tr31Header.java` for the order) that the Java side
//! turns into its object: one array and a string per field is the fewest JNI calls that carry it,
//! and keeps the class and constructor lookups of a `NewObject` per field out of the call.

use jni::objects::{JClass, JObjectArray, JString};
use jni::sys::jboolean;
use jni::{Env, EnvUnowned};
use keybridge::tr31::{Header, KeyBlock, Profile};

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

fn inspect(block: &str, lenient: bool, allow_weak_wrapping: bool) -> Result<Vec<Option<String>>, JniError> {
    let parsed = KeyBlock::parse(block.trim(), &Profile::preset(lenient, allow_weak_wrapping))
        .map_err(|e| JniError::Argument(e.to_string()))?;
    let header = parsed.header();
    let mut fields = Vec::from(fixed_fields(header, parsed.len()));
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
    lenient: jboolean,
    allow_weak_wrapping: jboolean,
) -> JObjectArray<'local, JString<'local>> {
    env.with_env(|env: &mut Env<'local>| -> Result<_, JniError> {
        let fields = inspect(&string(env, &block, "block")?, lenient, allow_weak_wrapping)?;
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
