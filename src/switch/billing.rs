//! From a call to its CDR: built at answer (written open, so a crash cannot
//! lose it), closed at hangup with what rating needs.

use super::call::{AttemptState, Call, EndCause};
use dce_marketplace::billing::{
    Attempt, AttemptOutcome, CallEnd, Cdr, CdrId, DecisionRecord, HangupCause, HungUpBy, Terms,
};
use std::time::Duration;

/// A CDR id unique across restarts and nodes: random high bits, the call's
/// number in this process low.
pub(crate) fn cdr_id(call: u64) -> Option<CdrId> {
    CdrId::new(format!("{}-{call:08x}", super::legs::token())).ok()
}

/// The open CDR of a call whose attempt `answered` was just answered.
/// The record of a call no buyer answered (written once, at its end).
pub(crate) fn unanswered(call: &Call, now_ms: i64) -> Option<Cdr> {
    Some(Cdr {
        id: call.cdr_id.clone()?,
        seller: call.seller,
        campaign: call.campaign,
        buyer: None,
        target: None,
        caller: call.caller.number(),
        dialed: call.dialed,
        attestation: call.attestation,
        decision: call
            .decision
            .as_ref()
            .map(DecisionRecord::from)
            .unwrap_or_default(),
        attempts: attempts(call, now_ms),
        terms: None,
        arrived_at_ms: call.arrived_ms,
        answered_at_ms: None,
        end: None,
        media: None,
        timeline: call.timeline.clone(),
    })
}

pub(crate) fn at_answer(call: &Call, answered: usize, now_ms: i64) -> Option<Cdr> {
    let market = call.market.as_ref()?;
    let decision = call.decision.as_ref()?;
    let attempt = call.attempts.get(answered)?;
    let ranked = decision
        .ranked
        .iter()
        .find(|r| r.target == attempt.target)?;
    let campaign = &market.campaign(call.campaign)?.campaign;
    Some(Cdr {
        id: call.cdr_id.clone()?,
        seller: call.seller,
        campaign: call.campaign,
        buyer: Some(ranked.buyer),
        target: Some(ranked.target),
        caller: call.caller.number(),
        dialed: call.dialed,
        attestation: call.attestation,
        decision: DecisionRecord::from(decision),
        attempts: attempts(call, now_ms),
        terms: Some(Terms::new(campaign, decision, ranked)),
        arrived_at_ms: call.arrived_ms,
        answered_at_ms: Some(now_ms),
        end: None,
        media: None,
        timeline: call.timeline.clone(),
    })
}

fn attempts(call: &Call, now_ms: i64) -> Vec<Attempt> {
    call.attempts
        .iter()
        .filter_map(|a| {
            let outcome = match a.state {
                AttemptState::Answered => AttemptOutcome::Answered,
                AttemptState::Failed(408) => AttemptOutcome::Unreachable,
                AttemptState::Failed(status) => AttemptOutcome::Rejected { status },
                AttemptState::RingTimeout => AttemptOutcome::RingTimeout,
                AttemptState::Cancelled => AttemptOutcome::Cancelled,
                AttemptState::Calling | AttemptState::Ringing | AttemptState::Skipped => {
                    return None
                }
            };
            Some(Attempt {
                target: a.target,
                started_at_ms: a.started_ms.unwrap_or(now_ms),
                ended_at_ms: a.ended_ms,
                outcome,
            })
        })
        .collect()
}

/// The record closed for `cause`, connected for `connected`, with the
/// call's whole timeline and attempts.
pub(crate) fn at_end(
    mut cdr: Cdr,
    call: &Call,
    cause: EndCause,
    connected: Duration,
    now_ms: i64,
) -> Cdr {
    cdr.timeline = call.timeline.clone();
    cdr.attempts = attempts(call, now_ms);
    let (cause, by) = match cause {
        EndCause::CallerBye => (HangupCause::Bye, HungUpBy::Caller),
        EndCause::BuyerBye => (HangupCause::Bye, HungUpBy::Buyer),
        EndCause::CallerCancel => (HangupCause::CallerCancel, HungUpBy::Caller),
        EndCause::MaxDuration => (HangupCause::MaxDuration, HungUpBy::Switch),
        // The same stable names, also named by billing.
        other => (HangupCause::parse(other.as_str()), HungUpBy::Switch),
    };
    cdr.closed(CallEnd {
        ended_at_ms: now_ms,
        connected,
        cause,
        by,
    })
}
