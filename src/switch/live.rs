//! A call's live events, built from its state when the core notes a step
//! of its timeline, and from its rated record when billing wrote it.

use super::call::Call;
use crate::observe::{Details, EventBus, EventKind, LiveEvent, RankedTarget};
use dce_marketplace::billing::{Cdr, Rating};
use dce_marketplace::domain::BuyerId;

/// What just happened to a call.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Moment {
    Arrived,
    Decided,
    /// Attempt `n` (from 0) is ringing.
    Ringing(usize),
    /// Attempt `n` (from 0) answered.
    Answered(usize),
    Ended,
}

/// Publishes `moment` of `call` at `at_ms` (Unix ms) if anyone listens;
/// otherwise builds nothing.
pub(crate) fn publish(bus: &EventBus, call: &Call, moment: Moment, at_ms: i64) {
    if !bus.has_subscribers() {
        return;
    }
    let Some(call_id) = call.cdr_id.clone() else {
        return;
    };
    let ranked: Vec<RankedTarget> = call
        .decision
        .iter()
        .flat_map(|d| d.ranked.iter().enumerate())
        .map(|(i, r)| RankedTarget {
            target_id: r.target,
            buyer_id: r.buyer,
            rank: Some(i as u32 + 1),
        })
        .collect();
    let attempt = |i: usize| {
        let target = call.attempts.get(i).map(|a| a.target);
        let buyer = ranked
            .iter()
            .find(|r| Some(r.target_id) == target)
            .map(|r| r.buyer_id);
        (buyer, target)
    };
    let (kind, (buyer_id, target_id), details) = match moment {
        Moment::Arrived => (EventKind::Arrived, (None, None), Details::None),
        Moment::Decided => (
            EventKind::Decided,
            (None, None),
            Details::Decided {
                ranked: ranked.clone(),
                ranked_count: None,
                excluded_count: call.decision.as_ref().map(|d| d.excluded.len() as u32),
            },
        ),
        Moment::Ringing(i) => (
            EventKind::Ringing,
            attempt(i),
            Details::Attempt {
                attempt: i as u32 + 1,
            },
        ),
        Moment::Answered(i) => (
            EventKind::Answered,
            attempt(i),
            Details::Attempt {
                attempt: i as u32 + 1,
            },
        ),
        Moment::Ended => {
            let Some((cause, ended)) = call.end else {
                return;
            };
            let connected = call
                .answered
                .map(|(_, at)| ended.saturating_duration_since(at).as_millis() as u64);
            (
                EventKind::Ended,
                call.answered.map_or((None, None), |(i, _)| attempt(i)),
                Details::Ended {
                    cause: cause.as_str(),
                    connected_ms: connected,
                },
            )
        }
    };
    let mut ranked_buyers: Vec<BuyerId> = ranked.iter().map(|r| r.buyer_id).collect();
    ranked_buyers.sort_unstable();
    ranked_buyers.dedup();
    bus.publish(LiveEvent {
        call_id,
        at: at_ms,
        kind,
        seller_id: call.seller,
        campaign_id: call.campaign,
        buyer_id,
        target_id,
        details,
        ranked_buyers,
    });
}

/// Publishes that `cdr` was written and rated at `at_ms`.
pub(crate) fn publish_rated(bus: &EventBus, cdr: &Cdr, rating: &Rating, at_ms: i64) {
    if !bus.has_subscribers() {
        return;
    }
    bus.publish(LiveEvent {
        call_id: cdr.id.clone(),
        at: at_ms,
        kind: EventKind::Rated,
        seller_id: cdr.seller,
        campaign_id: cdr.campaign,
        buyer_id: cdr.buyer,
        target_id: cdr.target,
        details: Details::Rated {
            billable: rating.billable(),
            charge: Some(rating.charge().minor()),
            payout: Some(rating.payout().minor()),
        },
        ranked_buyers: cdr.buyer.into_iter().collect(),
    });
}
