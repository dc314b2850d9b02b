//! The market's entities as the store holds them: already validated, in domain types.

use super::{BuyerId, CampaignId, Money, PhoneNumber, Schedule, SellerId, TargetId};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A seller (publisher): sends calls in over its SIP trunks.
#[derive(Clone, Debug, PartialEq)]
pub struct Seller {
    /// Id.
    pub id: SellerId,
    /// Unique name.
    pub name: String,
    /// Source networks the seller's calls come from (a single address is a /32 or /128).
    pub trunks: Vec<IpNet>,
}

/// A buyer: a call center with a prepaid balance.
#[derive(Clone, Debug, PartialEq)]
pub struct Buyer {
    /// Id.
    pub id: BuyerId,
    /// Unique name.
    pub name: String,
    /// Money available for calls.
    pub balance: Money,
}

/// STIR/SHAKEN attestation level (RFC 8588 `attest`): A is full, C is gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Attestation {
    /// Gateway attestation: the least trust.
    C,
    /// Partial attestation.
    B,
    /// Full attestation: the most trust.
    A,
}

impl Attestation {
    /// Reads `"A"`, `"B"` or `"C"` (any case).
    pub fn parse(text: &str) -> Option<Attestation> {
        match text.trim() {
            "A" | "a" => Some(Attestation::A),
            "B" | "b" => Some(Attestation::B),
            "C" | "c" => Some(Attestation::C),
            _ => None,
        }
    }

    /// `"A"`, `"B"` or `"C"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Attestation::A => "A",
            Attestation::B => "B",
            Attestation::C => "C",
        }
    }
}

/// How a campaign orders its eligible targets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ranking {
    /// Highest bid first; ties by priority, then target id.
    #[default]
    HighestBid,
    /// Lowest priority number first; within a priority, weighted random.
    PriorityWeighted,
    /// Each call starts one further along the eligible targets.
    RoundRobin,
}

impl Ranking {
    /// Reads the market file's name for a strategy.
    pub fn parse(text: &str) -> Option<Ranking> {
        match text {
            "highest_bid" => Some(Ranking::HighestBid),
            "priority_weighted" => Some(Ranking::PriorityWeighted),
            "round_robin" => Some(Ranking::RoundRobin),
            _ => None,
        }
    }

    /// The market file's name for the strategy.
    pub fn as_str(self) -> &'static str {
        match self {
            Ranking::HighestBid => "highest_bid",
            Ranking::PriorityWeighted => "priority_weighted",
            Ranking::RoundRobin => "round_robin",
        }
    }
}

/// What happens to a caller seen again within a campaign's duplicate window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicatePolicy {
    /// The call is not routed: every target is excluded as `duplicate_caller`.
    #[default]
    Reject,
    /// The call is routed as usual and marked a duplicate, so it is never billable.
    RouteUnbilled,
}

impl DuplicatePolicy {
    /// Reads the market file's name for a policy.
    pub fn parse(text: &str) -> Option<DuplicatePolicy> {
        match text {
            "reject" => Some(DuplicatePolicy::Reject),
            "route_unbilled" => Some(DuplicatePolicy::RouteUnbilled),
            _ => None,
        }
    }

    /// The market file's name for the policy.
    pub fn as_str(self) -> &'static str {
        match self {
            DuplicatePolicy::Reject => "reject",
            DuplicatePolicy::RouteUnbilled => "route_unbilled",
        }
    }
}

/// Whether a campaign's calls have their media anchored through DCE.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaMode {
    /// SDP rewritten to DCE's relay: DCE sees the audio (stats, media
    /// timeout, NAT traversal).
    #[default]
    Relay,
    /// Signalling only: SDP passes unchanged and media flows end to end.
    Bypass,
}

impl MediaMode {
    /// Reads the market file's name for a mode.
    pub fn parse(text: &str) -> Option<MediaMode> {
        match text {
            "relay" => Some(MediaMode::Relay),
            "bypass" => Some(MediaMode::Bypass),
            _ => None,
        }
    }

    /// The market file's name for the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaMode::Relay => "relay",
            MediaMode::Bypass => "bypass",
        }
    }
}

/// How a campaign pays its seller for a billable call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutModel {
    /// The same amount for every billable call, whatever the buyer paid.
    Fixed(Money),
    /// A share of what the buyer is charged, in basis points (4000 = 40%).
    Share {
        /// Hundredths of a percent; above 10000 counts as 10000 (all of it).
        basis_points: u32,
    },
}

impl PayoutModel {
    /// The most a share can be: the whole price.
    pub const FULL_SHARE: u32 = 10_000;

    /// The seller's payout for a call the buyer is charged `price` for.
    ///
    /// A share is rounded toward zero to the minor unit (down, for the
    /// non-negative prices bids are), so the house keeps the fraction and a
    /// share never exceeds the price. Computed in 128 bits: never overflows.
    pub fn payout_for(self, price: Money) -> Money {
        match self {
            PayoutModel::Fixed(amount) => amount,
            PayoutModel::Share { basis_points } => {
                let bp = i128::from(basis_points.min(Self::FULL_SHARE));
                // |price × bp / 10000| ≤ |price|, so the result fits in i64.
                Money::from_minor((i128::from(price.minor()) * bp / 10_000) as i64)
            }
        }
    }
}

/// A seller's campaign: the numbers it sends calls to and what it is paid.
#[derive(Clone, Debug, PartialEq)]
pub struct Campaign {
    /// Id.
    pub id: CampaignId,
    /// Unique name.
    pub name: String,
    /// The seller whose trunks may send calls to these numbers.
    pub seller: SellerId,
    /// Dialed numbers that reach this campaign.
    pub numbers: Vec<PhoneNumber>,
    /// What the seller is paid per billable call.
    pub payout: PayoutModel,
    /// Connected time from which a call is billable.
    pub billable_after: Duration,
    /// A caller seen again within this window is a duplicate; `None`: no check.
    pub dedupe_window: Option<Duration>,
    /// What a duplicate caller gets.
    pub duplicate_policy: DuplicatePolicy,
    /// Calls with a lower (or no) STIR/SHAKEN attestation are refused.
    pub min_attestation: Option<Attestation>,
    /// Whether calls are recorded (which may need a disclosure, by the caller's state).
    pub recording: bool,
    /// How eligible targets are ordered.
    pub ranking: Ranking,
    /// Hard deadline for real-time bids.
    pub rtb_timeout: Duration,
    /// Free-form tags sent to RTB endpoints.
    pub tags: Vec<(String, String)>,
    /// Only callers with a consent record on file for this campaign are routed.
    pub require_consent: bool,
    /// Media relayed through DCE or bypassed.
    pub media: MediaMode,
    /// A disabled campaign takes no calls.
    pub enabled: bool,
}

/// Call-count caps per period; `None` is no cap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    /// Calls per local clock hour.
    pub hourly: Option<u32>,
    /// Calls per local day.
    pub daily: Option<u32>,
    /// Calls per local calendar month.
    pub monthly: Option<u32>,
}

/// One buyer's destination and bid for one campaign.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// Id.
    pub id: TargetId,
    /// Unique name.
    pub name: String,
    /// Who pays.
    pub buyer: BuyerId,
    /// Which calls.
    pub campaign: CampaignId,
    /// Where the call goes: a `sip:` or `sips:` URI.
    pub destination: String,
    /// Static bid per call.
    pub bid: Money,
    /// Lower is tried first under `priority_weighted`.
    pub priority: u32,
    /// Share within a priority under `priority_weighted`.
    pub weight: u32,
    /// Calls up at once; `None` is no limit.
    pub concurrency: Option<u32>,
    /// Calls per hour/day/month.
    pub caps: Caps,
    /// Spend per local day; `None` is no limit.
    pub daily_budget: Option<Money>,
    /// Opening hours; `None` is always open.
    pub schedule: Option<Schedule>,
    /// Caller states (two-letter) accepted; empty with empty `area_codes`: anywhere.
    pub states: Vec<String>,
    /// Caller area codes accepted, in addition to `states`.
    pub area_codes: Vec<u16>,
    /// Real-time bidding endpoint; when set, the bid comes from it.
    pub rtb_url: Option<String>,
    /// How long the buyer may ring before the next target is tried.
    pub ring_timeout: Duration,
    /// A disabled target is never chosen.
    pub enabled: bool,
}

/// Which number list an entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    /// Do-not-call registry.
    Dnc,
    /// Known TCPA litigators.
    Litigator,
    /// Numbers that asked to be suppressed.
    Suppression,
    /// Fraud blocklist.
    Blocklist,
}

impl ListKind {
    /// Every list.
    pub const ALL: [ListKind; 4] = [
        ListKind::Dnc,
        ListKind::Litigator,
        ListKind::Suppression,
        ListKind::Blocklist,
    ];

    /// The list's name in files, the database and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Dnc => "dnc",
            ListKind::Litigator => "litigator",
            ListKind::Suppression => "suppression",
            ListKind::Blocklist => "blocklist",
        }
    }

    /// Reads a list's name.
    pub fn parse(text: &str) -> Option<ListKind> {
        ListKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// A caller's consent to be contacted about a campaign (or any of a seller's).
#[derive(Clone, Debug, PartialEq)]
pub struct Consent {
    /// The consumer's number.
    pub number: PhoneNumber,
    /// The campaign consented to; `None`: all campaigns.
    pub campaign: Option<CampaignId>,
    /// When it was given (Unix milliseconds).
    pub granted_at_ms: i64,
    /// When it lapses (Unix milliseconds); `None`: until revoked.
    pub expires_at_ms: Option<i64>,
    /// Where it was captured (a form URL, a recording id).
    pub source: String,
}
