//! The HTTP API: the device routes (`/v1/…`, bearer tokens, JSON bodies of
//! [`keybridge::service_api`]), the administration routes (profile rotation, the reader list)
//! and the operations routes (`/healthz`, `/readyz`, `/metrics`).
//! `service/openapi.yaml` documents every route; a test checks it against [`routes`].

mod admin;
mod auth;
pub mod body;
mod device;
pub mod error;
mod key_requests;
mod ops;
mod report;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use keybridge::service_api::ErrorCode;
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::AnyPool;

use crate::audit::{self, Entry, Event};
use crate::db::DbError;
use crate::gateway::Gateway;
use crate::profiles::Profile;
use crate::spool::Spool;
use error::ApiError;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub pool: AnyPool,
    pub gateway: Gateway,
    pub profiles: BTreeMap<String, Profile>,
    /// Names this instance in the audit trail.
    pub instance: String,
    pub body_limits: body::BodyLimits,
    pub metrics: PrometheusHandle,
    /// Where refusals go while the database is down.
    pub spool: Spool,
    /// Set when shutdown begins, so `/readyz` turns the load balancer away.
    pub draining: AtomicBool,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Who and what a device-route call was about, filled in as the handler learns it, for the
/// audit row of a refusal.
#[derive(Debug, Default)]
struct CallContext {
    device: Option<String>,
    token: Option<String>,
    request: Option<String>,
}

impl AppState {
    /// Answers a failed device-route call: audits it (a refusal for 4xx, a failure for 5xx) unless
    /// the flow already did, logs it, and turns it into the JSON error.
    async fn fail(&self, context: CallContext, error: ApiError) -> Response {
        let server_side = error.code.http_status() >= 500;
        if server_side {
            tracing::warn!(code = %error.code, detail = error.detail.as_deref().unwrap_or(&error.message), "request failed");
        } else {
            tracing::info!(code = %error.code, detail = error.detail.as_deref().unwrap_or(&error.message), "request refused");
        }
        metrics::counter!("keybridge_errors_total", "code" => error.code.as_str()).increment(1);
        if !error.audited {
            let event = if server_side {
                Event::RequestFailed
            } else {
                Event::Refused
            };
            let entry = Entry {
                device_id: context.device,
                token_id: context.token,
                request_id: context.request,
                ..Entry::new(event).code(error.code.as_str()).detail(&error.message)
            };
            match audit::append(&self.pool, &self.instance, &entry).await {
                Ok(()) => {}
                // Down, not broken: keep the row until the database is back.
                Err(DbError::Unavailable(_)) => {
                    if let Err(e) = self.spool.push(&self.instance, &entry).await {
                        tracing::error!(error = %e, "could not spool a refusal for the audit trail");
                    }
                }
                Err(e) => tracing::error!(error = %e, "could not audit a failed request"),
            }
        }
        error.into_response()
    }
}

/// The routes, with their methods and paths kept alongside for the OpenAPI check.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<(Method, &'static str)>,
}

impl Routes {
    fn add<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("routes use standard methods");
        self.router = self.router.route(path, on(filter, handler));
        self.table.push((method, path));
        self
    }

    /// (method, path) of every route, paths in OpenAPI form (`/v1/devices/{posId}`).
    pub fn table(&self) -> &[(Method, &'static str)] {
        &self.table
    }

    /// The finished router: JSON answers for unknown routes and methods, request metrics and logs.
    pub fn into_router(self, state: AppState) -> Router {
        self.router
            .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such route") })
            .method_not_allowed_fallback(|| async {
                ApiError::new(ErrorCode::MethodNotAllowed, "the route does not take this method")
            })
            .layer(middleware::from_fn(track))
            .with_state(state)
    }
}

/// Every route of the service.
pub fn routes() -> Routes {
    Routes {
        router: Router::new(),
        table: Vec::new(),
    }
    .add(Method::POST, "/v1/devices/{posId}/key-requests", key_requests::create)
    .add(Method::POST, "/v1/key-requests/{requestId}/report", report::create)
    .add(Method::GET, "/v1/devices/{posId}", device::show)
    .add(Method::GET, "/v1/devices", admin::list)
    .add(Method::POST, "/v1/profiles/{profile}/rotations", admin::rotate)
    .add(Method::GET, "/healthz", ops::healthz)
    .add(Method::GET, "/readyz", ops::readyz)
    .add(Method::GET, "/metrics", ops::metrics)
}

/// Request count, latency and a log line per request, by route template (never the raw path,
/// which would make one metric series per device).
async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = request.method().clone();
    let start = Instant::now();
    let response = next.run(request).await;
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    metrics::counter!("keybridge_http_requests_total", "route" => route.clone(), "method" => method.to_string(),
        "status" => status.to_string())
    .increment(1);
    metrics::histogram!("keybridge_http_request_duration_seconds", "route" => route.clone())
        .record(elapsed.as_secs_f64());
    tracing::debug!(%method, route, status, ms = elapsed.as_secs_f64() * 1e3, "request");
    response
}
