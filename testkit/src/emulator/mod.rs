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
pub mod fuzzing;
mod ops;
mod service_error;
mod sigv4;
mod store;
mod tr34;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
    /// Every authenticated call, in arrival order.
    log: Mutex<Vec<CallRecord>>,
    /// The account quota's bucket: (tokens, last refill), when a quota is set.
    quota: Mutex<(f64, Instant)>,
}

/// One authenticated call as the emulator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// When it arrived.
    pub at: Instant,
    pub operation: String,
    /// Refused for exceeding the account quota ([`Faults::account_calls_per_second`]).
    pub throttled: bool,
}

impl State {
    /// Whether a call arriving now fits the account quota (always, when none is set).
    fn within_quota(&self) -> bool {
        let Some(rate) = self.faults.account_calls_per_second else {
            return true;
        };
        let rate = f64::from(rate.max(1));
        let mut bucket = lock(&self.quota);
        let now = Instant::now();
        let (tokens, refilled) = *bucket;
        let tokens = (tokens + now.duration_since(refilled).as_secs_f64() * rate).min(rate);
        let allowed = tokens >= 1.0;
        *bucket = (if allowed { tokens - 1.0 } else { tokens }, now);
        allowed
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the store half-written (each operation
    // builds its result before inserting), so a poisoned lock is still usable.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The running emulator. Dropping it stops the server.
pub struct Emulator {
    address: SocketAddr,
    region: String,
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
            faults: config.faults.clone(),
            calls: Mutex::new(BTreeMap::new()),
            total: Mutex::new(0),
            log: Mutex::new(Vec::new()),
            quota: Mutex::new((
                f64::from(config.faults.account_calls_per_second.unwrap_or(0)),
                Instant::now(),
            )),
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
            region: config.region.clone(),
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, for `--endpoint-url`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Exporter settings that reach this emulator with its own credentials: what the demo and
    /// the tests hand to [`keybridge::export::AwsKeyExporter::connect`].
    pub fn client_config(&self) -> keybridge::export::AwsConfig {
        use keybridge::export::{AwsConfig, Credentials, StaticCredentials};
        AwsConfig {
            region: Some(self.region.clone()),
            endpoint_url: Some(self.endpoint_url()),
            credentials: Credentials::Static(StaticCredentials::new(
                &self.state.credentials.access_key_id,
                &self.state.credentials.secret_access_key,
                None,
            )),
            ..AwsConfig::default()
        }
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// How many authenticated calls of `operation` arrived (faulted ones included).
    pub fn calls(&self, operation: &str) -> u32 {
        lock(&self.state.calls).get(operation).copied().unwrap_or(0)
    }

    /// Every authenticated call so far, with when it arrived and whether the account quota
    /// throttled it.
    pub fn call_log(&self) -> Vec<CallRecord> {
        lock(&self.state.log).clone()
    }

    /// The most calls of the log that arrived within any `window`, counting only windows that
    /// lie inside `span` (from, to), and the fewest: the band a rate limit kept the account in.
    pub fn calls_per_window(&self, window: Duration, span: (Instant, Instant)) -> Option<(usize, usize)> {
        let times: Vec<Instant> = lock(&self.state.log)
            .iter()
            .filter(|c| c.at >= span.0 && c.at <= span.1)
            .map(|c| c.at)
            .collect();
        let step = Duration::from_millis(50);
        let mut start = span.0;
        let mut band: Option<(usize, usize)> = None;
        while start + window <= span.1 {
            let end = start + window;
            let count = times.iter().filter(|t| **t >= start && **t < end).count();
            band = Some(band.map_or((count, count), |(low, high)| (low.min(count), high.max(count))));
            start += step;
        }
        band
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

/// The body, at most [`MAX_BODY`] bytes: a larger declared length is refused unread, and a
/// chunked body stops being read at the limit.
async fn read_body(headers: &hyper::HeaderMap, body: Incoming) -> Result<Bytes, ServiceError> {
    let too_large = || {
        ServiceError::new(
            "RequestEntityTooLargeException",
            format!("the request body exceeds {MAX_BODY} bytes"),
        )
    };
    let declared = headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(_) => Err(ServiceError::validation("could not read the request body")),
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

/// Decodes an authenticated request's awsJson body and runs `operation` on `store`: what every
/// request that passed authentication comes to. No I/O, so the fuzz target drives it with
/// arbitrary bodies ([`fuzzing`]).
fn dispatch(
    store: &mut Store,
    max_keys: Option<usize>,
    operation: &str,
    body: &[u8],
) -> Result<serde_json::Value, ServiceError> {
    let input: serde_json::Value = if body.is_empty() {
        serde_json::json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| ServiceError::new("SerializationException", e.to_string()))?
    };
    let creates = matches!(operation, "CreateKey" | "ImportKey");
    match max_keys {
        Some(max) if creates && store.keys.len() >= max => Err(ServiceError::new(
            "ServiceQuotaExceededException",
            format!("Key quota of {max} keys reached"),
        )),
        _ => ops::call(store, operation, &input),
    }
}

/// Largest request body the emulator reads: far above any control-plane call (an ImportKey of
/// the longest TR-31 block is about 10 KB), small enough that no client makes it hold much.
const MAX_BODY: usize = 64 * 1024;

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
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
    // Who is asking, and when, is settled before a byte of the body is read.
    if let Err(error) = sigv4::check_headers(&headers, &state.credentials, std::time::SystemTime::now()) {
        return Ok(error_reply(&error));
    }
    let body = match read_body(&parts.headers, body).await {
        Ok(body) => body,
        Err(error) => return Ok(error_reply(&error)),
    };
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
    let within_quota = state.within_quota();
    lock(&state.log).push(CallRecord {
        at: Instant::now(),
        operation: operation.to_owned(),
        throttled: !within_quota,
    });
    if !within_quota {
        return Ok(error_reply(&ServiceError::new("ThrottlingException", "Rate exceeded")));
    }
    if !state.faults.delay.is_zero() {
        tokio::time::sleep(state.faults.delay).await;
    }
    if let Some(error) = state.faults.error_for(index, operation) {
        return Ok(error_reply(&error));
    }
    let result = dispatch(&mut lock(&state.store), state.faults.max_keys, operation, &body);
    Ok(match result {
        Ok(output) => reply(200, output.to_string(), None),
        Err(error) => error_reply(&error),
    })
}

/// What the HTTP front of the emulator refuses, sent as raw requests (no SDK sends these).
#[cfg(test)]
mod http_tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::*;

    /// `X-Amz-Date` for `seconds` since 1970.
    fn amz_date(seconds: u64) -> String {
        // Civil date from days since 1970 (proleptic Gregorian, years starting in March).
        let z = seconds / 86_400 + 719_468;
        let era = z / 146_097;
        let doe = z % 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + u64::from(month <= 2);
        let s = seconds % 86_400;
        format!(
            "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }

    fn now() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    /// Sends `head` (request line and headers, without the blank line) and `body`, and returns
    /// the response's status and body.
    fn exchange(emulator: &Emulator, head: &str, body: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect(emulator.address()).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream
            .write_all(format!("{head}\r\nconnection: close\r\n\r\n").as_bytes())
            .unwrap();
        // The server may answer and close before taking the body: that is the point.
        let _ = stream.write_all(body);
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
        (status, body)
    }

    /// A signed awsJson request for `operation` carrying `body`, dated `seconds`.
    fn signed_head(emulator: &Emulator, operation: &str, body: &[u8], seconds: u64, extra: &[(&str, &str)]) -> String {
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), emulator.address().to_string()),
            ("x-amz-target".into(), format!("{TARGET_PREFIX}{operation}")),
            ("content-type".into(), "application/x-amz-json-1.0".into()),
        ];
        headers.extend(extra.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())));
        let mut request = sigv4::SignedRequest {
            method: "POST",
            path: "/",
            query: "",
            headers,
            body,
        };
        let creds = Credentials {
            access_key_id: DEFAULT_ACCESS_KEY_ID.into(),
            secret_access_key: DEFAULT_SECRET_ACCESS_KEY.into(),
        };
        sigv4::sign(&mut request, &creds, &amz_date(seconds));
        let mut head = String::from("POST / HTTP/1.1");
        for (name, value) in &request.headers {
            head.push_str(&format!("\r\n{name}: {value}"));
        }
        head
    }

    fn emulator() -> Emulator {
        Emulator::start(EmulatorConfig::default()).unwrap()
    }

    #[test]
    fn the_date_helper_round_trips() {
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(amz_date(951_782_400), "20000229T000000Z");
    }

    #[test]
    fn an_unsigned_500_mb_body_is_refused_before_it_is_read() {
        let emulator = emulator();
        let head = format!(
            "POST / HTTP/1.1\r\nhost: {}\r\ncontent-length: 500000000",
            emulator.address()
        );
        let (status, body) = exchange(&emulator, &head, &[b'{'; 4096]);
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("MissingAuthenticationTokenException"), "{body}");
        assert_eq!(emulator.calls("ListKeys"), 0);
    }

    #[test]
    fn oversized_signed_bodies_are_413() {
        let emulator = emulator();
        let big = vec![b' '; MAX_BODY + 1];
        let declared = big.len().to_string();
        let head = signed_head(&emulator, "ListKeys", &big, now(), &[("content-length", &declared)]);
        let (status, body) = exchange(&emulator, &head, &big);
        assert_eq!(status, 413, "{body}");
        // Chunked, so no length is declared: reading stops at the limit.
        let chunked = signed_head(&emulator, "ListKeys", &big, now(), &[("transfer-encoding", "chunked")]);
        let mut payload = format!("{:X}\r\n", big.len()).into_bytes();
        payload.extend_from_slice(&big);
        payload.extend_from_slice(b"\r\n0\r\n\r\n");
        let (status, body) = exchange(&emulator, &chunked, &payload);
        assert_eq!(status, 413, "{body}");
    }

    #[test]
    fn malformed_json_is_a_400_serialization_exception() {
        let emulator = emulator();
        let bad = b"{\"KeyIdentifier\": ";
        let head = signed_head(
            &emulator,
            "GetKey",
            bad,
            now(),
            &[("content-length", &bad.len().to_string())],
        );
        let (status, body) = exchange(&emulator, &head, bad);
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("SerializationException"), "{body}");
        // The same request, well-formed, is served: the signing above is right.
        let good = b"{}";
        let head = signed_head(&emulator, "ListKeys", good, now(), &[("content-length", "2")]);
        assert_eq!(exchange(&emulator, &head, good).0, 200);
    }

    #[test]
    fn a_date_more_than_five_minutes_off_is_refused() {
        let emulator = emulator();
        let body = b"{}";
        for seconds in [now() - 600, now() + 600] {
            let head = signed_head(&emulator, "ListKeys", body, seconds, &[("content-length", "2")]);
            let (status, text) = exchange(&emulator, &head, body);
            assert_eq!(status, 403, "{text}");
            assert!(
                text.contains("InvalidSignatureException") && text.contains("5 minutes"),
                "{text}"
            );
        }
        assert_eq!(emulator.calls("ListKeys"), 0);
    }
}
