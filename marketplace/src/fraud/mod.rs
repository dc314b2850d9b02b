//! Fraud screening of the caller: caller-id validity, blocklist, velocity.

use crate::auction::{CallerHistory, Reason};
use crate::compliance::Lists;
use crate::domain::{Caller, ListKind};
use std::time::Duration;

/// How strictly callers are screened; set by the operator in `dce.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FraudPolicy {
    /// Refuse calls whose caller id is withheld.
    pub block_anonymous: bool,
    /// Refuse caller ids that are not possible numbers (bad NANP area or office code).
    pub block_implausible: bool,
    /// Most calls one caller may place within `velocity_window`, across all campaigns; `None`: no limit.
    pub max_calls_per_caller: Option<u32>,
    /// The window `max_calls_per_caller` counts over.
    pub velocity_window: Duration,
}

impl Default for FraudPolicy {
    fn default() -> Self {
        FraudPolicy {
            block_anonymous: true,
            block_implausible: true,
            max_calls_per_caller: Some(10),
            velocity_window: Duration::from_secs(3600),
        }
    }
}

/// The first reason, if any, to refuse a call for who is calling.
///
/// Order: withheld or malformed caller id, implausible number, the four
/// lists (blocklist first: it is the operator's own judgement), velocity.
pub fn screen_caller(
    policy: &FraudPolicy,
    caller: Caller,
    lists: &Lists,
    history: &CallerHistory,
) -> Option<Reason> {
    let number = match caller {
        Caller::Number(n) => n,
        Caller::Anonymous if policy.block_anonymous => return Some(Reason::AnonymousCaller),
        Caller::Anonymous => return None,
        Caller::Invalid => return Some(Reason::InvalidCallerId),
    };
    if policy.block_implausible && !number.is_plausible() {
        return Some(Reason::InvalidCallerId);
    }
    if lists.get(ListKind::Blocklist).contains(number) {
        return Some(Reason::Blocklisted);
    }
    if let Some(kind) = lists.find(number) {
        return Some(Reason::from_list(kind));
    }
    match policy.max_calls_per_caller {
        Some(max) if history.calls_in_velocity_window >= max => Some(Reason::CallerVelocity),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PhoneNumber;

    fn caller(s: &str) -> Caller {
        Caller::Number(PhoneNumber::parse(s).unwrap())
    }

    #[test]
    fn screens_in_order() {
        let policy = FraudPolicy::default();
        let lists = Lists::build([
            (ListKind::Blocklist, 12125550001),
            (ListKind::Dnc, 12125550001),
            (ListKind::Litigator, 12125550002),
        ]);
        let quiet = CallerHistory::default();
        let screen = |c| screen_caller(&policy, c, &lists, &quiet);
        assert_eq!(screen(Caller::Anonymous), Some(Reason::AnonymousCaller));
        assert_eq!(screen(Caller::Invalid), Some(Reason::InvalidCallerId));
        assert_eq!(
            screen(caller("+11115551234")),
            Some(Reason::InvalidCallerId)
        );
        assert_eq!(screen(caller("+12125550001")), Some(Reason::Blocklisted));
        assert_eq!(screen(caller("+12125550002")), Some(Reason::Litigator));
        assert_eq!(screen(caller("+12125550003")), None);
        let busy = CallerHistory {
            calls_in_velocity_window: 10,
            ..CallerHistory::default()
        };
        assert_eq!(
            screen_caller(&policy, caller("+12125550003"), &lists, &busy),
            Some(Reason::CallerVelocity)
        );
    }

    #[test]
    fn lenient_policy_lets_withheld_ids_through() {
        let policy = FraudPolicy {
            block_anonymous: false,
            ..FraudPolicy::default()
        };
        let none = screen_caller(
            &policy,
            Caller::Anonymous,
            &Lists::default(),
            &CallerHistory::default(),
        );
        assert_eq!(none, None);
    }
}
