//! The AWS Payment Cryptography control-plane emulator: an HTTP server on 127.0.0.1 that speaks
//! the service's awsJson 1.0 protocol (`POST /`, `X-Amz-Target:
//! PaymentCryptographyControlPlane.<Operation>`), checks SigV4 signatures, holds real keys (OS
//! RNG, [`keybridge::SecretBytes`]) and answers with real KCVs and real TR-31 blocks from
//! `keybridge::tr31`. Any standard client works against it: the Rust SDK, the AWS CLI and boto3
//! with `--endpoint-url` / `endpoint_url`.
//!
//! Start it in-process with [`Emulator::start`]; it runs on its own thread and tokio runtime, so
//! it serves sync and async callers alike, and stops when the handle is dropped.

mod dukpt;
mod faults;
mod ops;
mod service_error;
mod sigv4;
mod store;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

pub use faults::Faults;
pub use ops::OPERATIONS;
pub use service_error::ServiceError;
pub use sigv4::Credentials;
pub use store::{ACCOUNT, PreloadedKey};

use store::{Origin, Store, StoredKey, default_modes};

/// Test credentials the emulator accepts unless told otherwise (the AWS documentation's
/// example key pair; never valid at AWS).
pub const DEFAULT_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const DEFAULT_REGION: &str = "us-east-1";

/// The `X-Amz-Target` prefix of the control plane.
const TARGET_PREFIX: &str = "PaymentCryptographyControlPlane.";

/// How to run the emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    pub credentials: Credentials,
    /// Region written into ARNs.
    pub region: String,
    pub keys: Vec<PreloadedKey>,
    pub faults: Faults,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            port: 0,
            credentials: Credentials {
                access_key_id: DEFAULT_ACCESS_KEY_ID.into(),
                secret_access_key: DEFAULT_SECRET_ACCESS_KEY.into(),
            },
            region: DEFAULT_REGION.into(),
            keys: Vec::new(),
            faults: Faults::default(),
        }
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("cannot start the emulator's runtime: {0}")]
    Runtime(std::io::Error),
    #[error("preloaded key {alias}: {reason}")]
    Preload { alias: String, reason: String },
}

struct State {
    store: Mutex<Store>,
    credentials: Credentials,
    faults: Faults,
    /// Authenticated calls per operation.
    calls: Mutex<BTreeMap<String, u32>>,
    total: Mutex<u32>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the store half-written (each operation
    // builds its result before inserting), so a poisoned lock is still usable.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The running emulator. Dropping it stops the server.
pub struct Emulator {
    address: SocketAddr,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds 127.0.0.1:`config.port`, loads the preloaded keys and starts serving.
    pub fn start(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let mut store = Store::new(&config.region);
        for key in &config.keys {
            let preload = |reason: String| EmulatorError::Preload {
                alias: key.alias.clone(),
                reason,
            };
            let arn = store.new_arn().map_err(|e| preload(e.message))?;
            let stored = StoredKey::new(
                arn,
                key.usage,
                key.algorithm,
                default_modes(key.usage),
                key.material.clone(),
                Origin::External,
            )
            .map_err(|e| preload(e.message))?;
            if store.aliases.contains_key(&key.alias) {
                return Err(preload("alias given twice".into()));
            }
            let arn = store.insert(stored);
            store.aliases.insert(key.alias.clone(), Some(arn));
        }
        let listener =
            std::net::TcpListener::bind(("127.0.0.1", config.port)).map_err(|source| EmulatorError::Bind {
                port: config.port,
                source,
            })?;
        listener.set_nonblocking(true).map_err(EmulatorError::Runtime)?;
        let address = listener.local_addr().map_err(EmulatorError::Runtime)?;
        let state = Arc::new(State {
            store: Mutex::new(store),
            credentials: config.credentials,
            faults: config.faults,
            calls: Mutex::new(BTreeMap::new()),
            total: Mutex::new(0),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(EmulatorError::Runtime)?;
        let (shutdown, stop) = oneshot::channel();
        let serving = state.clone();
        let thread = std::thread::Builder::new()
            .name("aws-emulator".into())
            .spawn(move || runtime.block_on(serve(listener, serving, stop)))
            .map_err(EmulatorError::Runtime)?;
        Ok(Self {
            address,
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, for `--endpoint-url`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// How many authenticated calls of `operation` arrived (faulted ones included).
    pub fn calls(&self, operation: &str) -> u32 {
        lock(&self.state.calls).get(operation).copied().unwrap_or(0)
    }

    /// The ARN an alias points to, for tests.
    pub fn alias_arn(&self, alias: &str) -> Option<String> {
        lock(&self.state.store).aliases.get(alias).cloned().flatten()
    }

    /// Blocks until the server stops (for the CLI, which runs until killed).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(listener: std::net::TcpListener, state: Arc<State>, mut stop: oneshot::Receiver<()>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| handle(state.clone(), request));
                    // A client that hangs up mid-request is not the emulator's problem.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

fn reply(status: u16, body: String, error_type: Option<&str>) -> Response<Full<Bytes>> {
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-requestid", request_id());
    if let Some(code) = error_type {
        builder = builder.header("x-amzn-errortype", code);
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .expect("static headers are valid")
}

fn request_id() -> String {
    let mut raw = [0u8; 16];
    let _ = getrandom::fill(&mut raw);
    let h = hex::encode(raw);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

fn error_reply(error: &ServiceError) -> Response<Full<Bytes>> {
    reply(error.status, error.body(), Some(error.code))
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return Ok(error_reply(&ServiceError::validation(
            "could not read the request body",
        )));
    };
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let signed = sigv4::SignedRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers,
        body: &body,
    };
    if let Err(error) = sigv4::verify(&signed, &state.credentials) {
        return Ok(error_reply(&error));
    }
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(operation) = target.strip_prefix(TARGET_PREFIX) else {
        return Ok(error_reply(&ServiceError::new(
            "UnknownOperationException",
            format!("X-Amz-Target must start with {TARGET_PREFIX}"),
        )));
    };
    let index = {
        let mut total = lock(&state.total);
        *lock(&state.calls).entry(operation.to_owned()).or_default() += 1;
        *total += 1;
        *total - 1
    };
    if !state.faults.delay.is_zero() {
        tokio::time::sleep(state.faults.delay).await;
    }
    if let Some(error) = state.faults.error_for(index, operation) {
        return Ok(error_reply(&error));
    }
    let input: serde_json::Value = if body.is_empty() {
        serde_json::json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(e) => return Ok(error_reply(&ServiceError::new("SerializationException", e.to_string()))),
        }
    };
    let result = {
        let mut store = lock(&state.store);
        let creates = matches!(operation, "CreateKey" | "ImportKey");
        match state.faults.max_keys {
            Some(max) if creates && store.keys.len() >= max => Err(ServiceError::new(
                "ServiceQuotaExceededException",
                format!("Key quota of {max} keys reached"),
            )),
            _ => ops::call(&mut store, operation, &input),
        }
    };
    Ok(match result {
        Ok(output) => reply(200, output.to_string(), None),
        Err(error) => error_reply(&error),
    })
}
