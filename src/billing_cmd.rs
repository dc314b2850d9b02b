//! `dce ledger check` and `dce cdr list`: the operator's view of the money.

use crate::app;
use crate::config::Config;
use anyhow::Context;
use serde::Serialize;
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum LedgerCommand {
    /// Verify every transaction sums to zero and every cached balance
    /// equals its postings; exits non-zero otherwise.
    Check,
    /// Credit a buyer's prepaid balance (a posting from the house, with a reason and an actor).
    TopUp {
        /// The buyer's name.
        #[arg(long)]
        buyer: String,
        /// The amount, e.g. 250.00.
        #[arg(long)]
        amount: String,
        /// Why (shown in the ledger).
        #[arg(long)]
        reason: String,
        /// Who (shown in the ledger).
        #[arg(long, default_value = "operator")]
        actor: String,
    },
    /// Every account's balance, from its postings.
    Balances {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum CdrCommand {
    /// Print recent call records.
    List {
        /// Only calls that arrived at or after this time (RFC 3339) [default: 24 hours ago].
        #[arg(long, value_name = "RFC3339")]
        since: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 1000)]
        limit: u32,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub async fn ledger(config: &Config, command: LedgerCommand) -> anyhow::Result<ExitCode> {
    match command {
        LedgerCommand::Check => {
            let store = app::open_store(config).await?;
            let report = store.ledger_check().await?;
            println!(
                "{} transactions, {} postings checked",
                report.transactions, report.postings
            );
            if report.is_clean() {
                println!("ledger is balanced");
                return Ok(ExitCode::SUCCESS);
            }
            println!("LEDGER PROBLEMS:\n{report:#?}");
            Ok(ExitCode::from(1))
        }
        LedgerCommand::TopUp {
            buyer,
            amount,
            reason,
            actor,
        } => {
            let amount = dce_marketplace::domain::Money::parse(&amount)
                .map_err(|e| anyhow::anyhow!("--amount {amount:?}: {e}"))?;
            let store = app::open_store(config).await?;
            let id = store
                .buyer_id(&buyer)
                .await?
                .with_context(|| format!("--buyer {buyer:?}: no such buyer"))?;
            let tx = store.top_up(id, amount, &reason, &actor).await?;
            println!("{buyer} credited {amount} (ledger transaction {tx})");
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Balances { json } => {
            let store = app::open_store(config).await?;
            let balances = store.balances().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&balances)?);
            } else {
                for b in &balances {
                    println!(
                        "{:<20} {:>14}",
                        b.account.to_string(),
                        b.balance.to_string()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One line of `dce cdr list --json`.
#[derive(Serialize)]
struct CdrOut {
    id: String,
    campaign: i64,
    seller: i64,
    buyer: Option<i64>,
    target: Option<i64>,
    caller: Option<String>,
    dialed: String,
    arrived_at: i64,
    answered_at: Option<i64>,
    ended_at: Option<i64>,
    duration_secs: Option<f64>,
    billable: Option<bool>,
    charge: Option<String>,
    payout: Option<String>,
    margin: Option<String>,
    hangup_cause: Option<String>,
    hung_up_by: Option<&'static str>,
    /// Every target tried, with how each ended.
    attempts: serde_json::Value,
    /// The decision: ranked targets and why the others were not.
    decision: serde_json::Value,
    /// What happened, when.
    timeline: serde_json::Value,
    /// The relay's per-direction stats (packets, loss, jitter); null when
    /// the media was not anchored.
    media: Option<serde_json::Value>,
}

pub async fn cdr(config: &Config, command: CdrCommand) -> anyhow::Result<ExitCode> {
    let CdrCommand::List { since, limit, json } = command;
    let since_ms = match since {
        Some(s) => chrono::DateTime::parse_from_rfc3339(&s)
            .with_context(|| format!("--since {s:?} is not RFC 3339"))?
            .timestamp_millis(),
        None => chrono::Utc::now().timestamp_millis() - 24 * 3600 * 1000,
    };
    let store = app::open_store(config).await?;
    let rows: Vec<CdrOut> = store
        .list_cdrs(since_ms, limit)
        .await?
        .into_iter()
        .map(|s| {
            let c = &s.cdr;
            CdrOut {
                id: c.id.as_str().to_string(),
                campaign: c.campaign.0,
                seller: c.seller.0,
                buyer: c.buyer.map(|b| b.0),
                target: c.target.map(|t| t.0),
                caller: c.caller.map(|n| n.to_string()),
                dialed: c.dialed.to_string(),
                arrived_at: c.arrived_at_ms,
                answered_at: c.answered_at_ms,
                ended_at: c.end.as_ref().map(|e| e.ended_at_ms),
                // Seconds with millisecond precision, for people; rating uses whole milliseconds.
                duration_secs: c
                    .end
                    .as_ref()
                    .map(|e| e.connected.as_millis() as f64 / 1000.0),
                billable: s.rating.map(|r| r.billable()),
                charge: s.rating.map(|r| r.charge().to_string()),
                payout: s.rating.map(|r| r.payout().to_string()),
                margin: s.rating.map(|r| r.margin().to_string()),
                hangup_cause: c.end.as_ref().map(|e| e.cause.as_str().to_string()),
                hung_up_by: c.end.as_ref().map(|e| e.by.as_str()),
                attempts: serde_json::to_value(&c.attempts).unwrap_or_default(),
                decision: serde_json::to_value(&c.decision).unwrap_or_default(),
                timeline: serde_json::to_value(&c.timeline).unwrap_or_default(),
                media: c.media.clone(),
            }
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("id                         campaign  buyer  duration   charge   payout  cause");
    for r in &rows {
        println!(
            "{:<26} {:>8} {:>6} {:>9} {:>8} {:>8}  {}",
            r.id,
            r.campaign,
            r.buyer.map_or("-".into(), |b| b.to_string()),
            r.duration_secs
                .map_or("open".into(), |d| format!("{d:.1}s")),
            r.charge.as_deref().unwrap_or("-"),
            r.payout.as_deref().unwrap_or("-"),
            r.hangup_cause.as_deref().unwrap_or("-"),
        );
    }
    Ok(ExitCode::SUCCESS)
}
