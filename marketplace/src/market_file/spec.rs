//! A market file after validation: domain types, references still by name.

use crate::domain::{
    Attestation, Caps, DuplicatePolicy, MediaMode, Money, PayoutModel, PhoneNumber, Ranking,
    Schedule,
};
use ipnet::IpNet;
use std::time::Duration;

/// A validated market file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MarketSpec {
    /// `[[seller]]` tables.
    pub sellers: Vec<SellerSpec>,
    /// `[[buyer]]` tables.
    pub buyers: Vec<BuyerSpec>,
    /// `[[campaign]]` tables.
    pub campaigns: Vec<CampaignSpec>,
    /// `[[target]]` tables.
    pub targets: Vec<TargetSpec>,
}

/// A seller and its trunks.
#[derive(Clone, Debug, PartialEq)]
pub struct SellerSpec {
    /// Line of the table in the file.
    pub line: usize,
    /// Unique name.
    pub name: String,
    /// Source networks.
    pub trunks: Vec<IpNet>,
}

/// A buyer.
#[derive(Clone, Debug, PartialEq)]
pub struct BuyerSpec {
    /// Line of the table in the file.
    pub line: usize,
    /// Unique name.
    pub name: String,
    /// Balance given when the buyer is first created (later imports leave
    /// the balance alone: money moves only through billing and top-ups).
    pub opening_balance: Money,
}

/// A campaign.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignSpec {
    /// Line of the table in the file.
    pub line: usize,
    /// Unique name.
    pub name: String,
    /// Seller's name.
    pub seller: String,
    /// Dialed numbers.
    pub numbers: Vec<PhoneNumber>,
    /// Payout per billable call: `payout` (fixed) or `payout_share` (a share of the price).
    pub payout: PayoutModel,
    /// Connected time from which a call is billable.
    pub billable_after: Duration,
    /// Duplicate-caller window.
    pub dedupe_window: Option<Duration>,
    /// What duplicates get.
    pub duplicate_policy: DuplicatePolicy,
    /// Minimum STIR/SHAKEN attestation.
    pub min_attestation: Option<Attestation>,
    /// Calls recorded.
    pub recording: bool,
    /// Ranking strategy.
    pub ranking: Ranking,
    /// RTB deadline.
    pub rtb_timeout: Duration,
    /// Tags for RTB requests.
    pub tags: Vec<(String, String)>,
    /// Consent required.
    pub require_consent: bool,
    /// Media relayed or bypassed.
    pub media: MediaMode,
    /// Takes calls.
    pub enabled: bool,
}

/// A target.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetSpec {
    /// Line of the table in the file.
    pub line: usize,
    /// Unique name.
    pub name: String,
    /// Buyer's name.
    pub buyer: String,
    /// Campaign's name.
    pub campaign: String,
    /// SIP URI.
    pub destination: String,
    /// Static bid.
    pub bid: Money,
    /// Priority.
    pub priority: u32,
    /// Weight.
    pub weight: u32,
    /// Concurrency limit.
    pub concurrency: Option<u32>,
    /// Caps.
    pub caps: Caps,
    /// Daily budget.
    pub daily_budget: Option<Money>,
    /// Schedule.
    pub schedule: Option<Schedule>,
    /// Allowed caller states.
    pub states: Vec<String>,
    /// Allowed caller area codes.
    pub area_codes: Vec<u16>,
    /// RTB endpoint.
    pub rtb_url: Option<String>,
    /// Ring timeout.
    pub ring_timeout: Duration,
    /// Takes calls.
    pub enabled: bool,
}
