//! A call's event timeline: what happened to it, when, in order.
//!
//! The switch records the events it sees (arrival, decision, attempts,
//! answer); [`Cdr::closed`](super::Cdr::closed) adds [`CallEvent::Ended`]
//! and `Store::close_cdr` adds [`CallEvent::Rated`], so a stored closed
//! record's timeline ends `…, ended, rated`.

use super::cdr::HangupCause;
use crate::domain::{Money, TargetId};
use serde::{Deserialize, Serialize};

/// One event of a call, at a wall-clock time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// When (Unix ms).
    pub at_ms: i64,
    /// What.
    #[serde(flatten)]
    pub event: CallEvent,
}

/// What happened to a call. Attempts are numbered from 1, in the order of
/// the CDR's `attempts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum CallEvent {
    /// The INVITE reached a campaign.
    Arrived,
    /// The auction decided: how many targets were ranked and how many excluded.
    Decided {
        /// Targets ranked.
        ranked: u32,
        /// Targets excluded (each with its reason in the CDR's decision).
        excluded: u32,
    },
    /// Attempt `n`'s INVITE was sent to `target`.
    AttemptStarted {
        /// The attempt's number, from 1.
        n: u32,
        /// The target tried.
        target: TargetId,
    },
    /// Attempt `n`'s target is ringing (a 180 or 183).
    AttemptRinging {
        /// The attempt's number, from 1.
        n: u32,
    },
    /// Attempt `n` failed.
    AttemptFailed {
        /// The attempt's number, from 1.
        n: u32,
        /// Its final SIP status, when there was one.
        status: Option<u16>,
        /// Why, for a human (`busy`, `ring timeout`, `unreachable`…).
        why: String,
    },
    /// Attempt `n`'s target answered.
    Answered {
        /// The attempt's number, from 1.
        n: u32,
    },
    /// The call ended.
    Ended {
        /// Why.
        cause: HangupCause,
    },
    /// The call was rated (once, when its record was closed in the store).
    Rated {
        /// Whether it was billable.
        billable: bool,
        /// What the buyer was charged.
        charge: Money,
    },
}

impl TimelineEvent {
    /// `event` at `at_ms`.
    pub fn new(at_ms: i64, event: CallEvent) -> TimelineEvent {
        TimelineEvent { at_ms, event }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_flat_json_with_a_snake_case_tag() {
        let e = TimelineEvent::new(
            7,
            CallEvent::AttemptFailed {
                n: 2,
                status: Some(486),
                why: "busy".into(),
            },
        );
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"at_ms":7,"event":"attempt_failed","n":2,"status":486,"why":"busy"}"#
        );
        assert_eq!(serde_json::from_str::<TimelineEvent>(&json).unwrap(), e);
        let rated = TimelineEvent::new(
            9,
            CallEvent::Rated {
                billable: true,
                charge: Money::from_minor(1250),
            },
        );
        let json = serde_json::to_string(&rated).unwrap();
        assert_eq!(serde_json::from_str::<TimelineEvent>(&json).unwrap(), rated);
        let ended = TimelineEvent::new(
            8,
            CallEvent::Ended {
                cause: HangupCause::CallerCancel,
            },
        );
        let json = serde_json::to_string(&ended).unwrap();
        assert_eq!(
            json,
            r#"{"at_ms":8,"event":"ended","cause":"caller_cancel"}"#
        );
        assert_eq!(serde_json::from_str::<TimelineEvent>(&json).unwrap(), ended);
    }
}
