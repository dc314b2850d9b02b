//! `decide`: compliance, fraud, eligibility and ranking for one call, from
//! the snapshot alone (no I/O, no lock, no allocation beyond the result).

use super::ranking::{rank, Candidate};
use super::{CallFacts, Decision, Excluded, Ranked, Reason, RtbOutcome};
use crate::compliance::disclosure_required;
use crate::domain::{nanp::NpaInfo, DuplicatePolicy, LocalTime, Money, Ranking};
use crate::fraud::screen_caller;
use crate::snapshot::{CampaignEntry, Market, TargetEntry};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Decides who may take a call and in what order.
///
/// Call-wide checks come first, in this order: seller, campaign enabled,
/// attestation, caller screening (see [`screen_caller`]), duplicate caller,
/// consent. The first that fails excludes every target with its reason.
/// Then each target is checked in this order, the first failure being its
/// reason: enabled, schedule, caller state/area code, concurrency, hourly,
/// daily and monthly caps, real-time bid, daily budget, buyer balance.
pub fn decide(market: &Market, facts: &CallFacts, now: DateTime<Utc>) -> Decision {
    let Some(entry) = market.campaign_for(facts.dialed) else {
        return Decision::default();
    };
    let campaign = &entry.campaign;
    let now_ms = now.timestamp_millis();
    let location = facts.caller.number().and_then(|n| n.location());
    let mut decision = Decision {
        campaign: Some(campaign.id),
        disclosure_required: disclosure_required(campaign.recording, location.map(|l| l.region)),
        ..Decision::default()
    };
    decision.duplicate = match (campaign.dedupe_window, facts.history.last_in_campaign_ms) {
        (Some(window), Some(last)) => now_ms.saturating_sub(last) < window.as_millis() as i64,
        _ => false,
    };
    if let Some(reason) = call_block(market, entry, facts, decision.duplicate, now_ms) {
        decision.blocked = Some(reason);
        decision.excluded = entry
            .targets
            .iter()
            .map(|i| Excluded {
                target: market.target_at(*i).target.id,
                reason,
            })
            .collect();
        return decision;
    }

    let mut clocks = Clocks::new(now);
    let mut candidates = Vec::with_capacity(entry.targets.len());
    for &index in &entry.targets {
        let target = market.target_at(index);
        match check_target(target, facts, location, &mut clocks, now_ms) {
            Ok((bid, destination)) => candidates.push(Candidate {
                index,
                id: target.target.id,
                bid,
                priority: target.target.priority,
                weight: target.target.weight,
                destination,
            }),
            Err(reason) => decision.excluded.push(Excluded {
                target: target.target.id,
                reason,
            }),
        }
    }
    let turn = match campaign.ranking {
        Ranking::RoundRobin => entry.live.turn.fetch_add(1, Ordering::Relaxed),
        _ => 0,
    };
    rank(campaign.ranking, &mut candidates, facts.seed, turn);
    decision.ranked = candidates
        .into_iter()
        .map(|c| Ranked {
            target: c.id,
            buyer: market.target_at(c.index).target.buyer,
            bid: c.bid,
            destination: c.destination,
        })
        .collect();
    decision
}

fn call_block(
    market: &Market,
    entry: &CampaignEntry,
    facts: &CallFacts,
    duplicate: bool,
    now_ms: i64,
) -> Option<Reason> {
    let campaign = &entry.campaign;
    if facts.seller.is_some_and(|s| s != campaign.seller) {
        return Some(Reason::WrongSeller);
    }
    if !campaign.enabled {
        return Some(Reason::CampaignDisabled);
    }
    if let Some(min) = campaign.min_attestation {
        if facts.attestation.is_none_or(|a| a < min) {
            return Some(Reason::AttestationBelowMinimum);
        }
    }
    if let Some(reason) = screen_caller(market.fraud(), facts.caller, market.lists(), &facts.history) {
        return Some(reason);
    }
    if duplicate && campaign.duplicate_policy == DuplicatePolicy::Reject {
        return Some(Reason::DuplicateCaller);
    }
    if campaign.require_consent
        && facts
            .caller
            .number()
            .is_none_or(|n| !market.has_consent(n, campaign.id, now_ms))
    {
        return Some(Reason::NoConsent);
    }
    None
}

/// Checks one target; on success, its bid and an RTB destination override.
pub(super) fn check_target(
    entry: &TargetEntry,
    facts: &CallFacts,
    location: Option<&NpaInfo>,
    clocks: &mut Clocks,
    now_ms: i64,
) -> Result<(Money, Option<Arc<str>>), Reason> {
    let t = &entry.target;
    check_static(entry, location, clocks)?;
    let (bid, destination) = match &t.rtb_url {
        None => (t.bid, None),
        Some(_) => match facts.rtb.get(t.id) {
            Some(RtbOutcome::Bid {
                amount,
                destination,
                expires_at_ms,
            }) => {
                if expires_at_ms.is_some_and(|e| e <= now_ms) {
                    return Err(Reason::RtbExpired);
                }
                if amount.minor() <= 0 {
                    return Err(Reason::RtbNoBid);
                }
                (*amount, destination.clone())
            }
            Some(RtbOutcome::Timeout) => return Err(Reason::RtbTimeout),
            Some(RtbOutcome::Error) => return Err(Reason::RtbError),
            Some(RtbOutcome::NoBid) | None => return Err(Reason::RtbNoBid),
        },
    };
    if let Some(budget) = t.daily_budget {
        let day = clocks.local(entry.tz).day_bucket();
        let after = entry.live.spent_in(day).checked_add(bid);
        if after.is_none_or(|a| a > budget) {
            return Err(Reason::BudgetExhausted);
        }
    }
    if entry.buyer.available() < bid {
        return Err(Reason::BalanceExhausted);
    }
    Ok((bid, destination))
}

/// The checks that do not depend on the bid: those an RTB request is only
/// sent after.
pub(super) fn check_static(
    entry: &TargetEntry,
    location: Option<&NpaInfo>,
    clocks: &mut Clocks,
) -> Result<(), Reason> {
    let t = &entry.target;
    if !t.enabled {
        return Err(Reason::Disabled);
    }
    if let Some(schedule) = &t.schedule {
        if !schedule.is_open_local(clocks.local(entry.tz)) {
            return Err(Reason::ClosedBySchedule);
        }
    }
    if !t.states.is_empty() || !t.area_codes.is_empty() {
        let allowed = location.is_some_and(|l| {
            t.states.iter().any(|s| s == l.region) || t.area_codes.contains(&l.npa)
        });
        if !allowed {
            return Err(Reason::StateNotAllowed);
        }
    }
    let live = &entry.live;
    if t.concurrency
        .is_some_and(|limit| live.concurrent.load(Ordering::Relaxed) >= limit)
    {
        return Err(Reason::ConcurrencyFull);
    }
    let has_caps = t.caps.hourly.is_some() || t.caps.daily.is_some() || t.caps.monthly.is_some();
    if has_caps {
        let local = clocks.local(entry.tz);
        let over = |count: u32, cap: Option<u32>| cap.is_some_and(|c| count >= c);
        if over(live.hour.get(local.hour_bucket()), t.caps.hourly) {
            return Err(Reason::HourlyCapReached);
        }
        if over(live.day.get(local.day_bucket()), t.caps.daily) {
            return Err(Reason::DailyCapReached);
        }
        if over(live.month.get(local.month_bucket()), t.caps.monthly) {
            return Err(Reason::MonthlyCapReached);
        }
    }
    Ok(())
}

/// Local wall-clock times for the call's instant, computed once per zone:
/// a campaign's targets share few zones, and a zone conversion costs more
/// than every other check on a target together.
pub(super) struct Clocks {
    now: DateTime<Utc>,
    seen: Vec<(Tz, LocalTime)>,
}

impl Clocks {
    pub(super) fn new(now: DateTime<Utc>) -> Clocks {
        Clocks {
            now,
            seen: Vec::new(),
        }
    }

    pub(super) fn local(&mut self, tz: Tz) -> LocalTime {
        if let Some((_, local)) = self.seen.iter().find(|(z, _)| *z == tz) {
            return *local;
        }
        let local = LocalTime::of(self.now, tz);
        self.seen.push((tz, local));
        local
    }
}
