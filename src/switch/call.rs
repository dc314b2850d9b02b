//! One call: the caller's leg, the buyer attempts, and where it stands.

use super::legs::Dialog;
use dce_marketplace::counters::Slot;
use dce_marketplace::domain::{CampaignId, SellerId, TargetId};
use dce_marketplace::{Decision, Market};
use dce_sip::{ClientKey, Peer, Request, ServerKey};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A call's id inside this switch.
pub type CallId = u64;

/// Why a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndCause {
    /// The caller hung up (BYE) after answer.
    CallerBye,
    /// The buyer hung up (BYE) after answer.
    BuyerBye,
    /// The caller cancelled before answer.
    CallerCancel,
    /// No target was eligible.
    NoEligibleTarget,
    /// Every ranked target rejected the call or did not answer.
    AllTargetsFailed,
    /// The call reached the maximum duration.
    MaxDuration,
    /// The switch was shutting down.
    Shutdown,
    /// The caller never acknowledged the answer.
    AckTimeout,
    /// A party sent no media for the media timeout.
    MediaTimeout,
}

impl EndCause {
    /// The cause's stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            EndCause::CallerBye => "caller_bye",
            EndCause::BuyerBye => "buyer_bye",
            EndCause::CallerCancel => "caller_cancel",
            EndCause::NoEligibleTarget => "no_eligible_target",
            EndCause::AllTargetsFailed => "all_targets_failed",
            EndCause::MaxDuration => "max_duration",
            EndCause::Shutdown => "shutdown",
            EndCause::AckTimeout => "ack_timeout",
            EndCause::MediaTimeout => "media_timeout",
        }
    }
}

/// Where a buyer attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptState {
    /// INVITE sent, nothing back yet.
    Calling,
    /// A provisional response came.
    Ringing,
    /// The buyer answered.
    Answered,
    /// The buyer rejected (status) or timed out (408).
    Failed(u16),
    /// DCE cancelled it because the caller cancelled.
    Cancelled,
    /// DCE cancelled it: it rang past its ring timeout.
    RingTimeout,
    /// The slot for it was refused or its destination unusable.
    Skipped,
}

/// One try at one target.
#[derive(Debug)]
pub(crate) struct Attempt {
    pub(crate) target: TargetId,
    pub(crate) slot: Option<Slot>,
    pub(crate) key: Option<ClientKey>,
    pub(crate) peer: Option<Peer>,
    pub(crate) invite: Option<Request>,
    pub(crate) dialog: Option<Dialog>,
    pub(crate) state: AttemptState,
    /// When its INVITE left (Unix ms).
    pub(crate) started_ms: Option<i64>,
    /// When it was answered, failed or cancelled (Unix ms).
    pub(crate) ended_ms: Option<i64>,
}

/// Where the call stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for the decision.
    Routing,
    /// Waiting for a slot at the next target.
    Acquiring,
    /// An attempt is ringing.
    Calling,
    /// Connected.
    Answered,
    /// BYEs sent, waiting to finish.
    Ending,
    /// Over; kept briefly so late messages find it.
    Ended,
}

/// One call, owned by the switch core.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) id: CallId,
    pub(crate) arrived: Instant,
    pub(crate) seller: SellerId,
    pub(crate) campaign: CampaignId,
    pub(crate) caller: dce_marketplace::domain::Caller,
    pub(crate) dialed: dce_marketplace::domain::PhoneNumber,
    pub(crate) attestation: Option<dce_marketplace::domain::Attestation>,
    /// When the INVITE arrived (Unix ms, for the record).
    pub(crate) arrived_ms: i64,
    /// The call's CDR id, fixed at arrival: its record, its trace and its
    /// live events all go by it.
    pub(crate) cdr_id: Option<dce_marketplace::billing::CdrId>,
    /// The call's record, from answer on.
    pub(crate) cdr: Option<dce_marketplace::billing::Cdr>,
    /// What happened, when (arrived, decided, attempts, answered).
    pub(crate) timeline: Vec<dce_marketplace::billing::TimelineEvent>,
    pub(crate) a_key: ServerKey,
    pub(crate) a_invite: Request,
    pub(crate) a_peer: Peer,
    pub(crate) a_tag: String,
    pub(crate) a_dialog: Option<Dialog>,
    pub(crate) phase: Phase,
    pub(crate) market: Option<Arc<Market>>,
    pub(crate) decision: Option<Decision>,
    /// The next rank of the decision to try.
    pub(crate) next_rank: usize,
    pub(crate) attempts: Vec<Attempt>,
    pub(crate) answered: Option<(usize, Instant)>,
    /// The caller's ACK for DCE's 2xx has arrived.
    pub(crate) acked: bool,
    /// DCE's 2xx to the caller, retransmitted until the ACK.
    pub(crate) ok: Option<dce_sip::Response>,
    pub(crate) ok_interval: Duration,
    pub(crate) end: Option<(EndCause, Instant)>,
    /// In-dialog BYEs sent and not yet answered.
    pub(crate) pending_byes: u8,
    /// The call's relay session, when its media is anchored.
    pub(crate) media: Option<super::media::Anchored>,
}

impl Call {
    /// The attempt currently ringing, if any.
    pub(crate) fn live_attempt(&self) -> Option<usize> {
        self.attempts
            .iter()
            .rposition(|a| matches!(a.state, AttemptState::Calling | AttemptState::Ringing))
    }

    /// Whether the call has been answered and not yet ended.
    pub(crate) fn is_up(&self) -> bool {
        self.phase == Phase::Answered
    }
}
