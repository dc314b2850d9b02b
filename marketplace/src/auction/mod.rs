//! The auction: who may take a call, and in what order.
//!
//! [`decide`] is pure: it reads the snapshot and the [`CallFacts`] and
//! returns a [`Decision`]. What needs I/O (the caller's history from the
//! counters, real-time bids) is gathered first by [`gather`].

mod decide;
mod decision;
mod facts;
mod ranking;
mod reason;
mod rtb;

pub use decide::decide;
pub use decision::{Decision, Excluded, Ranked};
pub use facts::{CallFacts, CallerHistory, RtbBids, RtbOutcome};
pub use ranking::weighted_key;
pub use reason::Reason;
pub use rtb::RtbClient;

use crate::counters::{Counters, HistoryQuery};
use crate::snapshot::Market;
use chrono::{DateTime, Utc};

/// Fills in what `decide` needs from outside the snapshot: the caller's
/// history from the counters, and the RTB bids (bounded by the campaign's
/// deadline).
pub async fn gather(
    market: &Market,
    counters: &dyn Counters,
    rtb: &RtbClient,
    mut facts: CallFacts,
    now: DateTime<Utc>,
) -> CallFacts {
    let Some(entry) = market.campaign_for(facts.dialed) else {
        return facts;
    };
    if let Some(number) = facts.caller.number() {
        let query = HistoryQuery {
            campaign: entry.campaign.id,
            velocity_window: market.fraud().velocity_window,
        };
        facts.history = counters.caller_history(number, query, now).await;
    }
    facts.rtb = rtb.collect(market, &facts, now).await;
    facts
}
