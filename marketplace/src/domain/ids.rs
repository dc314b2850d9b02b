//! Typed ids: a `CampaignId` can never be passed where a `TargetId` is meant.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id!(
    /// A seller (publisher): the party whose trunks send calls in.
    SellerId
);
id!(
    /// A buyer: a call center that pays for calls.
    BuyerId
);
id!(
    /// A campaign: the numbers a seller sends calls to, and its payout.
    CampaignId
);
id!(
    /// A target: one buyer's destination and bid for one campaign.
    TargetId
);
