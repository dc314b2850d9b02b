//! `dce decide`: the operator's view of how a call would be routed.

use crate::app;
use crate::config::Config;
use anyhow::Context;
use chrono::{DateTime, Utc};
use dce_marketplace::auction::{gather, RtbClient};
use dce_marketplace::domain::{Attestation, Caller, PhoneNumber};
use dce_marketplace::{decide, CallFacts, Decision, Market};
use serde::Serialize;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct DecideArgs {
    /// The caller's number (E.164, e.g. +12125551234), or "anonymous".
    #[arg(long)]
    caller: String,
    /// The number dialed: it selects the campaign.
    #[arg(long)]
    dialed: String,
    /// When the call happens (RFC 3339) [default: now].
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// STIR/SHAKEN attestation of the call: A, B or C.
    #[arg(long)]
    attestation: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Out<'a> {
    campaign: Option<&'a str>,
    blocked: Option<&'a str>,
    duplicate: bool,
    disclosure_required: bool,
    ranked: Vec<RankedOut<'a>>,
    excluded: Vec<ExcludedOut<'a>>,
}

#[derive(Serialize)]
struct RankedOut<'a> {
    target: &'a str,
    buyer: &'a str,
    bid: String,
    destination: &'a str,
}

#[derive(Serialize)]
struct ExcludedOut<'a> {
    target: &'a str,
    reason: &'a str,
}

pub async fn run(config: &Config, args: DecideArgs) -> anyhow::Result<ExitCode> {
    let dialed = PhoneNumber::normalize(&args.dialed)
        .with_context(|| format!("--dialed {:?}", args.dialed))?;
    let caller = Caller::from_user(&args.caller);
    let now: DateTime<Utc> = match &args.at {
        Some(at) => DateTime::parse_from_rfc3339(at)
            .with_context(|| {
                format!("--at {at:?} is not RFC 3339 (e.g. 2026-11-23T12:00:00-05:00)")
            })?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    let attestation = match &args.attestation {
        Some(a) => Some(
            Attestation::parse(a).with_context(|| format!("--attestation {a:?}: use A, B or C"))?,
        ),
        None => None,
    };
    let store = app::open_store(config).await?;
    let (market, _registry) = app::load_market(&store, config).await?;
    let counters = app::counters(config, &market).await;
    let mut facts = CallFacts::new(caller, dialed);
    facts.attestation = attestation;
    facts.seed = now.timestamp_nanos_opt().unwrap_or_default() as u64;
    let facts = gather(&market, counters.as_ref(), &RtbClient::new(), facts, now).await;
    let decision = decide(&market, &facts, now);
    let out = present(&market, &decision);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_table(&out, dialed, now);
    }
    Ok(if decision.campaign.is_none() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn present<'a>(market: &'a Market, d: &'a Decision) -> Out<'a> {
    let name = |id| market.target(id).map_or("?", |t| t.target.name.as_str());
    Out {
        campaign: d
            .campaign
            .and_then(|c| market.campaign(c))
            .map(|c| c.campaign.name.as_str()),
        blocked: d.blocked.map(|r| r.as_str()),
        duplicate: d.duplicate,
        disclosure_required: d.disclosure_required,
        ranked: d
            .ranked
            .iter()
            .map(|r| {
                let t = market.target(r.target);
                RankedOut {
                    target: name(r.target),
                    buyer: t.map_or("?", |t| &t.buyer_name),
                    bid: r.bid.to_string(),
                    destination: r
                        .destination
                        .as_deref()
                        .or(t.map(|t| t.target.destination.as_str()))
                        .unwrap_or("?"),
                }
            })
            .collect(),
        excluded: d
            .excluded
            .iter()
            .map(|e| ExcludedOut {
                target: name(e.target),
                reason: e.reason.as_str(),
            })
            .collect(),
    }
}

fn print_table(out: &Out<'_>, dialed: PhoneNumber, now: DateTime<Utc>) {
    let Some(campaign) = out.campaign else {
        println!("no campaign has the number {dialed}");
        return;
    };
    println!("campaign {campaign} ({dialed}) at {}", now.to_rfc3339());
    if let Some(b) = out.blocked {
        println!("call blocked: {b}");
    }
    if out.duplicate {
        println!("duplicate caller (not billable)");
    }
    if out.disclosure_required {
        println!("recording disclosure required");
    }
    println!("ranked:");
    if out.ranked.is_empty() {
        println!("  (none)");
    }
    for (i, r) in out.ranked.iter().enumerate() {
        println!(
            "  {}. {:<20} {:<16} {:>10}  {}",
            i + 1,
            r.target,
            r.buyer,
            r.bid,
            r.destination
        );
    }
    if !out.excluded.is_empty() {
        println!("excluded:");
        for e in &out.excluded {
            println!("  {:<20} {}", e.target, e.reason);
        }
    }
}
