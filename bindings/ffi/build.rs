//! Links the shared library with 16 KB-aligned LOAD segments on ELF targets (Linux, Android).
//! Android 15+ devices may run with 16 KB memory pages and Google Play requires native libraries
//! that load there; the NDK's default before r28 is 4 KB. Only the cdylib is affected, so no other
//! crate is rebuilt. Apple's linker has no such option and needs none.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(os.as_str(), "linux" | "android") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,max-page-size=16384");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
