//! Starting and stopping the service: database (migrated), AWS gateway, listener (TLS or, on
//! loopback only unless told otherwise, plain HTTP), the accept loop, and a graceful shutdown that
//! stops accepting, lets in-flight requests finish (up to a grace period) and closes the pool.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use keybridge::export::Credentials;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::api::body::BodyLimits;
use crate::api::{self, AppState, Shared};
use crate::config::Config;
use crate::db::{self, DbError, random_hex};
use crate::gateway::{Gateway, GatewayError};
use crate::spool::{Spool, SpoolError};
use crate::telemetry;
use crate::tls::{self, TlsError};

/// Why the service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(
        "refusing plain HTTP on {0}, which is not a loopback address: configure tls_cert and tls_key, or pass --insecure-http behind a TLS-terminating proxy"
    )]
    PlainHttpExposed(SocketAddr),
    #[error("tls_cert and tls_key go together; client_ca needs both")]
    TlsIncomplete,
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("AWS client: {0}")]
    Gateway(#[from] GatewayError),
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
}

/// A started service, listening but not yet serving.
pub struct Service {
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    state: AppState,
    grace: Duration,
    header_timeout: Duration,
    checkpointer: Option<db::Checkpointer>,
}

impl Service {
    /// Connects the database (running migrations), builds the AWS client and binds the listener.
    pub async fn start(config: &Config, credentials: Credentials) -> Result<Self, ServerError> {
        let server = &config.server;
        let tls = match (&server.tls_cert, &server.tls_key) {
            (Some(cert), Some(key)) => Some(TlsAcceptor::from(tls::server_config(
                cert,
                key,
                server.client_ca.as_deref(),
            )?)),
            (None, None) if server.client_ca.is_none() => None,
            _ => return Err(ServerError::TlsIncomplete),
        };
        if tls.is_none() && !server.listen.ip().is_loopback() && !server.insecure_http {
            return Err(ServerError::PlainHttpExposed(server.listen));
        }
        let (pool, checkpointer) = db::connect_serving(&config.database).await?;
        let shared_quota = db::is_postgres(&config.database.url).then(|| pool.clone());
        let gateway = Gateway::connect(&config.aws, credentials, config.first_profile_key(), shared_quota).await?;
        let listener = TcpListener::bind(server.listen)
            .await
            .map_err(|source| ServerError::Bind {
                address: server.listen,
                source,
            })?;
        let state = AppState::new(Shared {
            pool,
            gateway,
            profiles: config.profiles.clone(),
            instance: server
                .instance
                .clone()
                .unwrap_or_else(|| format!("kb-{}", random_hex(4))),
            body_limits: BodyLimits {
                max_bytes: server.max_body_bytes,
                timeout: Duration::from_millis(server.body_timeout_ms),
            },
            metrics: telemetry::metrics_handle(),
            spool: Spool::open(&server.spool_path, server.spool_max_entries)?,
            draining: AtomicBool::new(false),
        });
        Ok(Self {
            listener,
            tls,
            state,
            grace: Duration::from_millis(server.shutdown_grace_ms),
            header_timeout: Duration::from_millis(server.header_timeout_ms),
            checkpointer,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// `http://…` or `https://…` with the bound address.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.local_addr())
    }

    /// Serves until `shutdown` completes, then drains.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let app = api::routes().into_router(self.state.clone());
        let graceful = GracefulShutdown::new();
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(self.header_timeout);
        let spool_drainer = tokio::spawn(drain_spool(self.state.clone()));
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let service = TowerToHyperService::new(app.clone());
            let watcher = graceful.watcher();
            let http = http.clone();
            let tls = self.tls.clone();
            tokio::spawn(async move {
                let served = match tls {
                    Some(acceptor) => {
                        let handshake = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await;
                        match handshake {
                            Ok(Ok(stream)) => {
                                watcher
                                    .watch(http.serve_connection(TokioIo::new(stream), service))
                                    .await
                            }
                            Ok(Err(error)) => {
                                tracing::info!(%peer, %error, "TLS handshake failed");
                                return;
                            }
                            Err(_) => return,
                        }
                    }
                    None => {
                        watcher
                            .watch(http.serve_connection(TokioIo::new(stream), service))
                            .await
                    }
                };
                if let Err(error) = served {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
            });
        }
        drop(self.listener);
        self.state.draining.store(true, Ordering::Relaxed);
        tracing::info!(
            grace_ms = self.grace.as_millis() as u64,
            "shutting down: finishing in-flight requests"
        );
        if tokio::time::timeout(self.grace, graceful.shutdown()).await.is_err() {
            tracing::warn!("grace period over; dropping the remaining connections");
        }
        spool_drainer.abort();
        if let Err(error) = self.state.spool.drain(&self.state.pool).await {
            tracing::warn!(%error, "refusals stay spooled for the next start");
        }
        if let Some(checkpointer) = self.checkpointer {
            checkpointer.stop().await;
        }
        self.state.pool.close().await;
    }
}

/// Writes spooled refusals to the audit trail whenever there are some and the database answers:
/// at start (rows a previous run left) and every second after.
async fn drain_spool(state: AppState) {
    loop {
        if !state.spool.is_empty().await
            && let Err(error) = state.spool.drain(&state.pool).await
        {
            tracing::debug!(%error, "the database is still unavailable; refusals stay spooled");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
