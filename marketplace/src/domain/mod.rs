//! The marketplace's vocabulary: ids, money, phone numbers, schedules and entities.

mod entities;
mod ids;
mod money;
pub mod nanp;
mod phone;
mod schedule;

pub use entities::{
    Attestation, Buyer, Campaign, Caps, Consent, DuplicatePolicy, ListKind, MediaMode, PayoutModel,
    Ranking, Seller, Target,
};
pub use ids::{BuyerId, CampaignId, SellerId, TargetId};
pub use money::{Money, MoneyError};
pub use phone::{Caller, Nanp, PhoneError, PhoneNumber, Redacted};
pub use schedule::{LocalTime, Schedule, ScheduleError};
