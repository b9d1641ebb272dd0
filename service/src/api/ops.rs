//! Operations routes, without authentication: liveness, readiness (database and AWS reachable,
//! not shutting down) and Prometheus metrics.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use crate::db;

/// The process is up.
pub async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// Ready to take traffic: 200 when the database answers, AWS answers (or there is no key to
/// probe) and the service is not draining; 503 otherwise, with what failed.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let database = db::ping(&state.pool).await.is_ok();
    let aws = state.gateway.reachable().await;
    let draining = state.draining.load(Ordering::Relaxed);
    let ready = database && aws != Some(false) && !draining;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({ "ready": ready, "database": database, "aws": aws, "draining": draining });
    (status, Json(body)).into_response()
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
