//! The decision: ranked targets and, for every other target, why not.

use super::Reason;
use crate::domain::{BuyerId, CampaignId, Money, TargetId};
use serde::Serialize;
use std::sync::Arc;

/// A target chosen for the call, in the order to try.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ranked {
    /// The target.
    pub target: TargetId,
    /// Its buyer.
    pub buyer: BuyerId,
    /// What the buyer pays if the call is billable (static or RTB bid).
    pub bid: Money,
    /// An RTB bid's own destination, overriding the target's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<Arc<str>>,
}

/// A target not chosen, with its reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Excluded {
    /// The target.
    pub target: TargetId,
    /// Why.
    pub reason: Reason,
}

/// The outcome of [`super::decide`] for one call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The campaign the dialed number reaches; `None`: unknown number.
    pub campaign: Option<CampaignId>,
    /// A reason that refused the call as a whole (it also excludes every target).
    pub blocked: Option<Reason>,
    /// Targets to try, best first.
    pub ranked: Vec<Ranked>,
    /// Every other target of the campaign, with its reason.
    pub excluded: Vec<Excluded>,
    /// The caller called this campaign within its duplicate window.
    pub duplicate: bool,
    /// The call is recorded and the caller's state needs a disclosure.
    pub disclosure_required: bool,
}

impl Decision {
    /// Whether any target may take the call.
    pub fn has_targets(&self) -> bool {
        !self.ranked.is_empty()
    }
}
