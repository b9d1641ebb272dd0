//! `keybridge devices add|list|show|revoke`: the device registry, on the service's database.

use clap::{Args, Subcommand};
use keybridge_service::devices::{self, NewDevice};
use keybridge_service::{generations, tokens, view};

use crate::aws_cmd::runtime;
use crate::output::{CliResult, print_json};
use crate::service_args::{ADMIN_INSTANCE, ServiceArgs, open, time};

#[derive(Subcommand)]
pub enum DevicesCommand {
    /// Register a reader by its POS id, with its KEK and key profile.
    Add(AddArgs),
    /// List the registered readers, with the key generation each holds.
    List(ListArgs),
    /// Show a reader: registration, tokens, and what each slot should hold.
    Show(ShowArgs),
    /// Revoke a reader and its device tokens (its KSNs stay burned).
    Revoke(RevokeArgs),
}

#[derive(Args)]
pub struct AddArgs {
    /// The POS id the reader reports (`device info`).
    pos_id: String,
    /// The reader's KEK in AWS (TR31_K0/K1): ARN or alias/NAME.
    #[arg(long)]
    kek: String,
    /// Key profile name from the configuration.
    #[arg(long)]
    profile: String,
    /// Group whose operator tokens may act on this reader.
    #[arg(long, default_value = "default")]
    group: String,
    #[command(flatten)]
    service: ServiceArgs,
}

#[derive(Args)]
pub struct ListArgs {
    /// Only the stale readers: those holding keys of an older generation than their profile's.
    #[arg(long)]
    stale: bool,
    /// Only this group's readers.
    #[arg(long)]
    group: Option<String>,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    service: ServiceArgs,
}

#[derive(Args)]
pub struct ShowArgs {
    pos_id: String,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    service: ServiceArgs,
}

#[derive(Args)]
pub struct RevokeArgs {
    pos_id: String,
    #[command(flatten)]
    service: ServiceArgs,
}

pub fn run(command: DevicesCommand) -> CliResult {
    runtime()?.block_on(async {
        match command {
            DevicesCommand::Add(args) => {
                let (config, pool) = open(&args.service).await?;
                let new = NewDevice {
                    pos_id: args.pos_id,
                    kek: args.kek,
                    profile: args.profile,
                    group: args.group,
                };
                let device = devices::add(&pool, new, &config.profiles, ADMIN_INSTANCE).await?;
                println!(
                    "registered {} (profile {}, group {})",
                    device.pos_id, device.profile, device.group
                );
            }
            DevicesCommand::List(args) => {
                let (_, pool) = open(&args.service).await?;
                let registered = devices::list(&pool).await?;
                let mut held = generations::devices(&pool, args.group.as_deref()).await?;
                if args.stale {
                    held.retain(|d| d.stale);
                }
                for generation in &held {
                    let Some(device) = registered.iter().find(|d| d.pos_id == generation.pos_id) else {
                        continue;
                    };
                    if args.json {
                        print_json(&serde_json::json!({ "device": device, "generation": generation }))?;
                    } else {
                        let status = device
                            .revoked_at
                            .map_or("active".to_owned(), |t| format!("revoked {}", time(t)));
                        let keys = match generation.held_generation {
                            None => "no keys loaded".to_owned(),
                            Some(g) if generation.stale => {
                                format!("STALE: holds generation {g} of {}", generation.current_generation)
                            }
                            Some(g) => format!("holds generation {g}"),
                        };
                        println!(
                            "{:<24} {:<12} {:<12} {}  {status}  {keys}",
                            device.pos_id, device.group, device.profile, device.kek
                        );
                    }
                }
                if args.stale && !args.json {
                    eprintln!("{} stale reader(s)", held.len());
                }
            }
            DevicesCommand::Show(args) => {
                let (_, pool) = open(&args.service).await?;
                let device = devices::get(&pool, &args.pos_id)
                    .await?
                    .ok_or_else(|| devices::RegistryError::UnknownDevice(args.pos_id.clone()))?;
                let view = view::device_view(&pool, &device).await?;
                let tokens = tokens::list(&pool, Some(&device.pos_id)).await?;
                if args.json {
                    print_json(&serde_json::json!({ "device": view, "tokens": tokens }))?;
                } else {
                    println!(
                        "device   {} ({:?}), group {}, profile {}",
                        view.pos_id, view.status, view.group, view.profile
                    );
                    println!("KEK      {}", device.kek);
                    println!("since    {}", view.registered_at);
                    for token in &tokens {
                        println!(
                            "token    {} {}, expires {}",
                            token.id,
                            token.state.as_str(),
                            time(token.expires_at)
                        );
                    }
                    for slot in &view.slots {
                        let report = slot.report.as_ref().map_or("not reported".to_owned(), |r| {
                            format!("{:?} {:?} at {}", r.outcome, r.verdict, r.reported_at)
                        });
                        println!(
                            "slot {:<3} KCV {} ({}) KSN {} from {} at {}: {report}",
                            slot.slot,
                            slot.kcv,
                            slot.kcv_algorithm,
                            slot.ksn.as_deref().unwrap_or("-"),
                            slot.key_arn,
                            slot.issued_at
                        );
                    }
                }
            }
            DevicesCommand::Revoke(args) => {
                let (_, pool) = open(&args.service).await?;
                devices::revoke(&pool, &args.pos_id, ADMIN_INSTANCE).await?;
                println!("revoked {} and its device tokens", args.pos_id);
            }
        }
        Ok(())
    })
}
