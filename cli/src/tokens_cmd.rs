//! `keybridge tokens create|list|revoke`: bearer tokens for devices and operators. A token is
//! printed once, when created; the database keeps only a hash.

use std::time::Duration;

use clap::{ArgGroup, Args, Subcommand};
use keybridge_service::tokens::{self, Scope};

use crate::aws_cmd::runtime;
use crate::output::{CliResult, print_json};
use crate::service_args::{ADMIN_INSTANCE, ServiceArgs, open, time};

#[derive(Subcommand)]
pub enum TokensCommand {
    /// Create a device token (one reader), an operator token (a group of readers) or an admin token.
    Create(CreateArgs),
    /// List tokens (never their secrets) and their state: active, expired or revoked.
    List(ListArgs),
    /// Revoke a token by id.
    Revoke(RevokeArgs),
}

#[derive(Args)]
#[command(group(ArgGroup::new("scope").required(true).args(["device", "operator", "admin"])))]
pub struct CreateArgs {
    /// The POS id the token acts for.
    #[arg(long)]
    device: Option<String>,
    /// The group of readers the token acts on.
    #[arg(long)]
    operator: Option<String>,
    /// An admin token: rotates profiles and lists every reader over the API, never gets keys.
    #[arg(long)]
    admin: bool,
    /// A note for people (who holds it).
    #[arg(long, default_value = "")]
    label: String,
    /// Lifetime, e.g. 90d, 12h.
    #[arg(long, default_value = "90d", value_parser = humantime::parse_duration)]
    expires_in: Duration,
    /// Print {id, token, expiresAt} as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    service: ServiceArgs,
}

#[derive(Args)]
pub struct ListArgs {
    /// Only this device's tokens.
    #[arg(long)]
    device: Option<String>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    service: ServiceArgs,
}

#[derive(Args)]
pub struct RevokeArgs {
    id: String,
    #[command(flatten)]
    service: ServiceArgs,
}

pub fn run(command: TokensCommand) -> CliResult {
    runtime()?.block_on(async {
        match command {
            TokensCommand::Create(args) => {
                let (_, pool) = open(&args.service).await?;
                let scope = match (args.device, args.operator) {
                    (Some(device), _) => Scope::Device(device),
                    (None, Some(group)) => Scope::Operator(group),
                    (None, None) => Scope::Admin,
                };
                let created = tokens::create(&pool, scope, &args.label, args.expires_in, ADMIN_INSTANCE).await?;
                if args.json {
                    print_json(&serde_json::json!({
                        "id": created.id,
                        "token": created.token.as_str(),
                        "expiresAt": time(created.expires_at),
                    }))?;
                } else {
                    println!("{}", created.token.as_str());
                    eprintln!(
                        "token id {}, expires {}; the token is shown only now, store it on the device",
                        created.id,
                        time(created.expires_at)
                    );
                }
            }
            TokensCommand::List(args) => {
                let (_, pool) = open(&args.service).await?;
                for token in tokens::list(&pool, args.device.as_deref()).await? {
                    if args.json {
                        print_json(&token)?;
                    } else {
                        let target = token.device_id.clone().or(token.group.clone()).unwrap_or_default();
                        let state = match token.revoked_at {
                            Some(t) => format!("revoked {}", time(t)),
                            None => token.state.as_str().to_owned(),
                        };
                        println!(
                            "{}  {:<8} {:<24} expires {}  {state}  {}",
                            token.id,
                            token.kind,
                            target,
                            time(token.expires_at),
                            token.label
                        );
                    }
                }
            }
            TokensCommand::Revoke(args) => {
                let (_, pool) = open(&args.service).await?;
                tokens::revoke(&pool, &args.id, ADMIN_INSTANCE).await?;
                println!("revoked token {}", args.id);
            }
        }
        Ok(())
    })
}
