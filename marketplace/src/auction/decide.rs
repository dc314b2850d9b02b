//! `decide`: compliance, fraud, eligibility and ranking for one call, from
//! the snapshot alone (no I/O, no lock, no allocation beyond the result).

use super::ranking::{rank, Candidate};
use super::{CallFacts, Decision, Excluded, Reason, RtbOutcome};
use crate::compliance::disclosure_required;
use crate::domain::{nanp::NpaInfo, DuplicatePolicy, LocalTime, Money, Ranking};
use crate::fraud::screen_caller;
use crate::snapshot::{CampaignEntry, HotTarget, Market};
use chrono::{DateTime, Utc};
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

    let mut clocks = Clocks::new(now, market);
    let caller = CallerPlace::of(market, location);
    let mut candidates = Vec::with_capacity(entry.targets.len());
    decision.excluded.reserve(entry.targets.len());
    for &index in &entry.targets {
        match check_target(market, index, facts, &caller, &mut clocks, now_ms) {
            Ok((bid, destination)) => candidates.push(Candidate {
                index,
                bid,
                destination,
            }),
            Err(reason) => decision.excluded.push(Excluded {
                target: market.target_at(index).target.id,
                reason,
            }),
        }
    }
    let turn = match campaign.ranking {
        Ranking::RoundRobin => entry.live.turn.fetch_add(1, Ordering::Relaxed),
        _ => 0,
    };
    decision.ranked = rank(market, campaign.ranking, candidates, facts.seed, turn);
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
    if let Some(reason) =
        screen_caller(market.fraud(), facts.caller, market.lists(), &facts.history)
    {
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

/// Where the caller is, as the targets' geography checks need it.
pub(super) struct CallerPlace<'a> {
    location: Option<&'a NpaInfo>,
    region_bit: u128,
}

impl<'a> CallerPlace<'a> {
    pub(super) fn of(market: &Market, location: Option<&'a NpaInfo>) -> CallerPlace<'a> {
        CallerPlace {
            location,
            region_bit: location.map_or(0, |l| market.region_bit(l.region)),
        }
    }
}

/// Checks one target; on success, its bid and an RTB destination override.
fn check_target(
    market: &Market,
    index: u32,
    facts: &CallFacts,
    caller: &CallerPlace<'_>,
    clocks: &mut Clocks,
    now_ms: i64,
) -> Result<(Money, Option<Arc<str>>), Reason> {
    let hot = market.hot_at(index);
    check_static(market, index, caller, clocks)?;
    let (bid, destination) = if !hot.has(HotTarget::RTB) {
        (hot.bid, None)
    } else {
        match facts.rtb.get(market.target_at(index).target.id) {
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
        }
    };
    if hot.has(HotTarget::BUDGET) {
        let day = clocks.local(hot).day_bucket();
        let after = hot.live.spent_in(day).minor().checked_add(bid.minor());
        if after.is_none_or(|a| a > hot.daily_budget) {
            return Err(Reason::BudgetExhausted);
        }
    }
    if hot.buyer.available() < bid {
        return Err(Reason::BalanceExhausted);
    }
    Ok((bid, destination))
}

/// The checks that do not depend on the bid: those an RTB request is only
/// sent after.
pub(super) fn check_static(
    market: &Market,
    index: u32,
    caller: &CallerPlace<'_>,
    clocks: &mut Clocks,
) -> Result<(), Reason> {
    let hot = market.hot_at(index);
    if !hot.has(HotTarget::ENABLED) {
        return Err(Reason::Disabled);
    }
    if hot.has(HotTarget::SCHEDULE) && !clocks.is_open(market, hot) {
        return Err(Reason::ClosedBySchedule);
    }
    if hot.has(HotTarget::GEO) {
        let allowed = hot.region_mask & caller.region_bit != 0
            || (hot.has(HotTarget::AREA_CODES)
                && caller
                    .location
                    .is_some_and(|l| market.target_at(index).target.area_codes.contains(&l.npa)));
        if !allowed {
            return Err(Reason::StateNotAllowed);
        }
    }
    let live = &hot.live;
    if hot.concurrency != u32::MAX && live.concurrent.load(Ordering::Relaxed) >= hot.concurrency {
        return Err(Reason::ConcurrencyFull);
    }
    if hot.has(HotTarget::CAPS) {
        let local = clocks.local(hot);
        let [hourly, daily, monthly] = hot.caps;
        if live.hour.get(local.hour_bucket()) >= hourly {
            return Err(Reason::HourlyCapReached);
        }
        if live.day.get(local.day_bucket()) >= daily {
            return Err(Reason::DailyCapReached);
        }
        if live.month.get(local.month_bucket()) >= monthly {
            return Err(Reason::MonthlyCapReached);
        }
    }
    Ok(())
}

/// Local wall-clock times for the call's instant, computed once per time
/// zone, and opening hours evaluated once per schedule: a campaign's
/// targets share few of either, and a zone conversion costs more than
/// every other check on a target together. Both are indexed by the
/// market's interned ids, so a lookup is an array read.
pub(super) struct Clocks {
    now: DateTime<Utc>,
    locals: Vec<Option<LocalTime>>,
    /// 0: not evaluated yet, 1: open, 2: closed.
    open: Vec<u8>,
}

impl Clocks {
    pub(super) fn new(now: DateTime<Utc>, market: &Market) -> Clocks {
        Clocks {
            now,
            locals: vec![None; market.zone_count()],
            open: vec![0; market.schedule_count()],
        }
    }

    fn local(&mut self, hot: &HotTarget) -> LocalTime {
        let slot = &mut self.locals[hot.zone as usize];
        *slot.get_or_insert_with(|| LocalTime::of(self.now, hot.tz))
    }

    fn is_open(&mut self, market: &Market, hot: &HotTarget) -> bool {
        let i = hot.schedule as usize;
        if self.open[i] == 0 {
            let open = market.schedule(hot.schedule).is_open_local(self.local(hot));
            self.open[i] = if open { 1 } else { 2 };
        }
        self.open[i] == 1
    }
}
