//! What the decision knows about a call.

use crate::domain::{Attestation, Caller, Money, PhoneNumber, SellerId, TargetId};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Everything the decision needs to know about one inbound call.
#[derive(Clone, Debug)]
pub struct CallFacts {
    /// The seller whose trunk sent the call; `None` skips the seller check
    /// (an operator asking "what would happen").
    pub seller: Option<SellerId>,
    /// Who is calling.
    pub caller: Caller,
    /// The number dialed: it selects the campaign.
    pub dialed: PhoneNumber,
    /// STIR/SHAKEN attestation of the call, when it carried one.
    pub attestation: Option<Attestation>,
    /// The caller's recent calls (from the counters).
    pub history: CallerHistory,
    /// Real-time bids collected for this call.
    pub rtb: RtbBids,
    /// Seed for weighted-random ranking: the same seed, the same order.
    pub seed: u64,
}

impl CallFacts {
    /// Facts for a call with no history, no RTB bids and seed 0.
    pub fn new(caller: Caller, dialed: PhoneNumber) -> CallFacts {
        CallFacts {
            seller: None,
            caller,
            dialed,
            attestation: None,
            history: CallerHistory::default(),
            rtb: RtbBids::default(),
            seed: 0,
        }
    }
}

/// A caller's recent calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallerHistory {
    /// Calls from this caller within the fraud policy's velocity window.
    pub calls_in_velocity_window: u32,
    /// When this caller last called this campaign (Unix milliseconds).
    pub last_in_campaign_ms: Option<i64>,
}

/// What a real-time bidder answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RtbOutcome {
    /// A bid.
    Bid {
        /// Price offered for the call.
        amount: Money,
        /// Where to send the call instead of the target's destination.
        destination: Option<Arc<str>>,
        /// When the bid lapses (Unix milliseconds).
        expires_at_ms: Option<i64>,
    },
    /// An explicit no-bid.
    NoBid,
    /// No answer before the deadline.
    Timeout,
    /// An HTTP error or an answer that could not be read.
    Error,
}

/// Real-time bids for one call, by target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RtbBids(FxHashMap<TargetId, RtbOutcome>);

impl RtbBids {
    /// Records a bidder's answer.
    pub fn insert(&mut self, target: TargetId, outcome: RtbOutcome) {
        self.0.insert(target, outcome);
    }

    /// The answer for `target`, if it was asked.
    pub fn get(&self, target: TargetId) -> Option<&RtbOutcome> {
        self.0.get(&target)
    }

    /// How many bidders answered or timed out.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no bidder was asked.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
