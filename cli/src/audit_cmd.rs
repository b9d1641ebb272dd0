//! `keybridge audit`: read the audit trail (every export, report, refusal and admin action).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use keybridge_service::audit::{self, Filter};

use crate::aws_cmd::runtime;
use crate::output::{CliResult, print_json};
use crate::service_args::{ServiceArgs, open};

#[derive(Args)]
pub struct AuditArgs {
    /// Only rows about this POS id.
    #[arg(long)]
    device: Option<String>,
    /// Only rows from this time on: RFC 3339 (2026-01-31T12:00:00Z) or an age (2h, 7d).
    #[arg(long, value_parser = parse_since)]
    since: Option<i64>,
    /// One JSON object per line.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// CSV with a header row.
    #[arg(long)]
    csv: bool,
    #[command(flatten)]
    service: ServiceArgs,
}

/// Unix milliseconds from an RFC 3339 time or an age before now.
fn parse_since(text: &str) -> Result<i64, String> {
    let time = match humantime::parse_rfc3339_weak(text) {
        Ok(time) => time,
        Err(_) => {
            let age: Duration = humantime::parse_duration(text)
                .map_err(|_| format!("`{text}` is neither an RFC 3339 time nor an age like 2h or 7d"))?;
            SystemTime::now().checked_sub(age).unwrap_or(UNIX_EPOCH)
        }
    };
    let ms = time
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "before 1970".to_owned())?
        .as_millis();
    i64::try_from(ms).map_err(|_| "too far in the future".to_owned())
}

pub fn run(args: AuditArgs) -> CliResult {
    let records = runtime()?.block_on(async {
        let (_, pool) = open(&args.service).await?;
        let filter = Filter {
            device: args.device.clone(),
            since_ms: args.since,
        };
        Ok::<_, Box<dyn std::error::Error>>(audit::read(&pool, &filter).await?)
    })?;
    if args.csv {
        audit::write_csv(&records, std::io::stdout().lock())?;
        return Ok(());
    }
    for record in &records {
        if args.json {
            print_json(record)?;
        } else {
            let fields = [
                ("device", &record.device_id),
                ("token", &record.token_id),
                ("request", &record.request_id),
                ("key", &record.key_arn),
                ("kek", &record.kek_arn),
                ("ksn", &record.ksn),
                ("kcv", &record.kcv),
                ("outcome", &record.outcome),
                ("code", &record.code),
                ("detail", &record.detail),
            ];
            let mut line = format!("{} {:<15}", record.time, record.event);
            if let Some(slot) = record.slot {
                line.push_str(&format!(" slot={slot}"));
            }
            for (name, value) in fields {
                if let Some(value) = value {
                    line.push_str(&format!(" {name}={value}"));
                }
            }
            println!("{line}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_time_or_an_age() {
        assert_eq!(parse_since("2023-11-14T22:13:20Z").unwrap(), 1_700_000_000_000);
        let an_hour_ago = parse_since("1h").unwrap();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64;
        assert!((now - 3_600_000 - an_hour_ago).abs() < 60_000);
        assert!(parse_since("yesterday-ish").is_err());
    }
}
