//! `keybridge profiles list|rotate`: the key profiles and their key generations. A rotation
//! points slots of a profile at new AWS keys for every instance on the database; the readers
//! still holding the old keys are then stale (`keybridge devices list --stale`) until their next
//! provisioning.

use clap::{Args, Subcommand};
use keybridge_service::generations;

use crate::aws_cmd::runtime;
use crate::output::{CliResult, print_json};
use crate::service_args::{ADMIN_INSTANCE, ServiceArgs, open};

#[derive(Subcommand)]
pub enum ProfilesCommand {
    /// The configured profiles, their current generation and the key of every slot.
    List(ListArgs),
    /// Rotate a profile to new AWS keys: a new key generation.
    Rotate(RotateArgs),
}

#[derive(Args)]
pub struct ListArgs {
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    service: ServiceArgs,
}

#[derive(Args)]
pub struct RotateArgs {
    /// The profile's name in the configuration.
    profile: String,
    /// SLOT=KEY: slot SLOT exports KEY (ARN or alias/NAME; the BDK of a DUKPT slot) from now on.
    #[arg(long = "slot", value_name = "SLOT=KEY", required = true, value_parser = slot_key)]
    slots: Vec<(u8, String)>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    service: ServiceArgs,
}

fn slot_key(text: &str) -> Result<(u8, String), String> {
    let (slot, key) = text.split_once('=').ok_or("expected SLOT=KEY, e.g. 1=alias/bdk-2027")?;
    let slot = slot
        .trim()
        .parse()
        .map_err(|_| format!("slot `{slot}` is not a number from 0 to 255"))?;
    Ok((slot, key.trim().to_owned()))
}

pub fn run(command: ProfilesCommand) -> CliResult {
    runtime()?.block_on(async {
        match command {
            ProfilesCommand::List(args) => {
                let (config, pool) = open(&args.service).await?;
                for (name, configured) in &config.profiles {
                    let current = generations::current(&pool, name, configured).await?;
                    let slots: Vec<_> = current
                        .profile
                        .slots
                        .iter()
                        .map(|s| (s.slot, s.source.key_id().to_owned()))
                        .collect();
                    if args.json {
                        print_json(&serde_json::json!({
                            "profile": name, "generation": current.generation, "slots": slots,
                        }))?;
                    } else {
                        let slots: Vec<String> = slots.iter().map(|(n, k)| format!("{n}={k}")).collect();
                        println!("{name:<16} generation {:<4} {}", current.generation, slots.join(" "));
                    }
                }
            }
            ProfilesCommand::Rotate(args) => {
                let (config, pool) = open(&args.service).await?;
                let rotated =
                    generations::rotate(&pool, &config.profiles, &args.profile, &args.slots, ADMIN_INSTANCE).await?;
                let stale = generations::devices(&pool, None)
                    .await?
                    .into_iter()
                    .filter(|d| d.stale && d.profile == args.profile)
                    .count();
                if args.json {
                    print_json(&serde_json::json!({
                        "profile": args.profile, "generation": rotated.generation, "staleReaders": stale,
                    }))?;
                } else {
                    println!(
                        "profile {} is at generation {}; {stale} reader(s) now hold older keys (keybridge devices list --stale)",
                        args.profile, rotated.generation
                    );
                }
            }
        }
        Ok(())
    })
}
