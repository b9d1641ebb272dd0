//! `keybridge serve`: run the key service until SIGTERM or Ctrl-C. The first stdout line gives
//! the URL it listens on; logs go to stderr. AWS credentials come from the default chain.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use keybridge::export::Credentials;
use keybridge_service::{Overrides, Service, shutdown_signal, telemetry};

use crate::output::CliResult;
use crate::service_args::ServiceArgs;

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    service: ServiceArgs,
    /// Address to listen on (default 127.0.0.1:8080; port 0 picks a free one).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// AWS endpoint override, e.g. the emulator's http://127.0.0.1:PORT.
    #[arg(long)]
    aws_endpoint_url: Option<String>,
    /// AWS region (default: from the environment).
    #[arg(long)]
    aws_region: Option<String>,
    /// Server certificate chain (PEM).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Server private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// CA bundle (PEM) that client certificates must chain to: turns on mutual TLS.
    #[arg(long, requires = "tls_cert")]
    client_ca: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address (only behind a TLS-terminating proxy).
    #[arg(long)]
    insecure_http: bool,
}

fn path(p: &Option<PathBuf>) -> Option<String> {
    p.as_ref().map(|p| p.display().to_string())
}

pub fn run(args: ServeArgs) -> CliResult {
    let mut overrides = Overrides::default()
        .maybe("server.listen", args.listen.map(|a| a.to_string()))
        .maybe("aws.endpoint_url", args.aws_endpoint_url)
        .maybe("aws.region", args.aws_region)
        .maybe("server.tls_cert", path(&args.tls_cert))
        .maybe("server.tls_key", path(&args.tls_key))
        .maybe("server.client_ca", path(&args.client_ca));
    if args.insecure_http {
        overrides = overrides.set("server.insecure_http", true);
    }
    let config = args.service.load(overrides)?;
    telemetry::init_logs(&config.log);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let service = Service::start(&config, Credentials::DefaultChain).await?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "keybridge serve listening on {}", service.url())?;
        out.flush()?;
        drop(out);
        service.run(shutdown_signal()).await;
        Ok(())
    })
}
