//! Why a target was not chosen.

use crate::domain::ListKind;
use serde::Serialize;
use std::fmt;

/// The reason a target is excluded from a call's ranking. Reasons marked
/// *call* exclude every target of the campaign at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// *call*: the call came from a trunk of another seller than the campaign's.
    WrongSeller,
    /// *call*: the campaign is disabled.
    CampaignDisabled,
    /// *call*: caller id is not a possible phone number.
    InvalidCallerId,
    /// *call*: caller id withheld and the policy refuses that.
    AnonymousCaller,
    /// *call*: caller on the operator's fraud blocklist.
    Blocklisted,
    /// *call*: caller on the do-not-call list.
    Dnc,
    /// *call*: caller on the litigator list.
    Litigator,
    /// *call*: caller on the suppression list.
    Suppressed,
    /// *call*: caller placed too many calls recently.
    CallerVelocity,
    /// *call*: caller already called this campaign within its duplicate window.
    DuplicateCaller,
    /// *call*: STIR/SHAKEN attestation missing or below the campaign's minimum.
    AttestationBelowMinimum,
    /// *call*: the campaign requires consent and none is on file.
    NoConsent,
    /// The target is disabled.
    Disabled,
    /// Outside the target's opening hours.
    ClosedBySchedule,
    /// The caller's state or area code is not among the target's.
    StateNotAllowed,
    /// The target's concurrent-call limit is reached.
    ConcurrencyFull,
    /// The target's hourly cap is reached.
    HourlyCapReached,
    /// The target's daily cap is reached.
    DailyCapReached,
    /// The target's monthly cap is reached.
    MonthlyCapReached,
    /// The real-time bidder answered with no bid (or was not asked).
    RtbNoBid,
    /// The real-time bidder did not answer before the campaign's deadline.
    RtbTimeout,
    /// The real-time bidder's answer was malformed or an HTTP error.
    RtbError,
    /// The real-time bid had expired by decision time.
    RtbExpired,
    /// The bid would exceed the target's daily budget.
    BudgetExhausted,
    /// The buyer's balance cannot cover the bid.
    BalanceExhausted,
}

impl Reason {
    /// The reason a caller on `kind` list is refused.
    pub fn from_list(kind: ListKind) -> Reason {
        match kind {
            ListKind::Dnc => Reason::Dnc,
            ListKind::Litigator => Reason::Litigator,
            ListKind::Suppression => Reason::Suppressed,
            ListKind::Blocklist => Reason::Blocklisted,
        }
    }

    /// The reason's stable name (as in JSON and metrics labels).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::WrongSeller => "wrong_seller",
            Reason::CampaignDisabled => "campaign_disabled",
            Reason::InvalidCallerId => "invalid_caller_id",
            Reason::AnonymousCaller => "anonymous_caller",
            Reason::Blocklisted => "blocklisted",
            Reason::Dnc => "dnc",
            Reason::Litigator => "litigator",
            Reason::Suppressed => "suppressed",
            Reason::CallerVelocity => "caller_velocity",
            Reason::DuplicateCaller => "duplicate_caller",
            Reason::AttestationBelowMinimum => "attestation_below_minimum",
            Reason::NoConsent => "no_consent",
            Reason::Disabled => "disabled",
            Reason::ClosedBySchedule => "closed_by_schedule",
            Reason::StateNotAllowed => "state_not_allowed",
            Reason::ConcurrencyFull => "concurrency_full",
            Reason::HourlyCapReached => "hourly_cap_reached",
            Reason::DailyCapReached => "daily_cap_reached",
            Reason::MonthlyCapReached => "monthly_cap_reached",
            Reason::RtbNoBid => "rtb_no_bid",
            Reason::RtbTimeout => "rtb_timeout",
            Reason::RtbError => "rtb_error",
            Reason::RtbExpired => "rtb_expired",
            Reason::BudgetExhausted => "budget_exhausted",
            Reason::BalanceExhausted => "balance_exhausted",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
