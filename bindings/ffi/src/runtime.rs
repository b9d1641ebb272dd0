//! The library's own multi-thread tokio runtime. Async exports spawn their work here instead of
//! relying on uniffi's per-call fallback runtime, so every language binding shares one pool and
//! blocking reader I/O runs on its blocking threads, never on the caller's thread.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

pub(crate) fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("keybridge")
            .enable_all()
            .build()
            .expect("the operating system refused to start the keybridge runtime threads")
    })
}
