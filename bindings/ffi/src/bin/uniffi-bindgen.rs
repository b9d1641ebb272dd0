//! `uniffi-bindgen generate <libkeybridge_ffi.so> --language kotlin|swift --out-dir DIR`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
