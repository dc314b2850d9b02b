//! Every exclusion reason, each shown by the smallest market that causes it.

use crate::support::*;
use chrono::Duration as Chrono;
use dce_marketplace::auction::{Excluded, RtbOutcome};
use dce_marketplace::counters::LiveRegistry;
use dce_marketplace::domain::*;
use dce_marketplace::{decide, CallFacts, Reason};
use std::sync::atomic::Ordering;
use std::sync::Arc;

fn only_reason(m: &TestMarket, f: &CallFacts) -> Reason {
    let d = decide(&m.build(), f, monday_noon_ny());
    assert!(d.ranked.is_empty(), "{d:?}");
    assert_eq!(d.excluded.len(), 1, "{d:?}");
    d.excluded[0].reason
}

fn one_target(edit: impl FnOnce(&mut Target)) -> TestMarket {
    let mut t = target(10, 1, 1, 1250);
    edit(&mut t);
    TestMarket::new().with_target(t)
}

#[test]
fn an_eligible_target_is_ranked_with_its_bid() {
    let m = one_target(|_| {});
    let d = decide(&m.build(), &facts(NY_CALLER), monday_noon_ny());
    assert_eq!(d.campaign, Some(CampaignId(1)));
    assert_eq!(d.ranked.len(), 1);
    assert_eq!(d.ranked[0].bid, Money::from_minor(1250));
    assert!(d.excluded.is_empty());
}

#[test]
fn unknown_dialed_number_has_no_campaign() {
    let m = one_target(|_| {});
    let mut f = facts(NY_CALLER);
    f.dialed = n("+18005550199");
    let d = decide(&m.build(), &f, monday_noon_ny());
    assert_eq!(d.campaign, None);
    assert!(d.ranked.is_empty() && d.excluded.is_empty());
}

#[test]
fn call_wide_reasons_exclude_every_target() {
    let mut m = TestMarket::new()
        .with_target(target(10, 1, 1, 1000))
        .with_target(target(11, 2, 1, 900));
    m.lists.push((ListKind::Dnc, n(NY_CALLER).as_u64()));
    let d = decide(&m.build(), &facts(NY_CALLER), monday_noon_ny());
    assert_eq!(d.blocked, Some(Reason::Dnc));
    assert_eq!(
        d.excluded,
        vec![
            Excluded {
                target: TargetId(10),
                reason: Reason::Dnc
            },
            Excluded {
                target: TargetId(11),
                reason: Reason::Dnc
            },
        ]
    );
}

#[test]
fn lists() {
    for (kind, reason) in [
        (ListKind::Dnc, Reason::Dnc),
        (ListKind::Litigator, Reason::Litigator),
        (ListKind::Suppression, Reason::Suppressed),
        (ListKind::Blocklist, Reason::Blocklisted),
    ] {
        let mut m = one_target(|_| {});
        m.lists.push((kind, n(NY_CALLER).as_u64()));
        assert_eq!(only_reason(&m, &facts(NY_CALLER)), reason);
    }
}

#[test]
fn caller_ids() {
    let m = one_target(|_| {});
    assert_eq!(
        only_reason(&m, &facts("anonymous")),
        Reason::AnonymousCaller
    );
    assert_eq!(
        only_reason(&m, &facts("not-a-number")),
        Reason::InvalidCallerId
    );
    assert_eq!(
        only_reason(&m, &facts("+12121111234")),
        Reason::InvalidCallerId,
        "N11 office code"
    );
}

#[test]
fn wrong_seller() {
    let m = one_target(|_| {});
    let mut f = facts(NY_CALLER);
    f.seller = Some(SellerId(2));
    assert_eq!(only_reason(&m, &f), Reason::WrongSeller);
}

#[test]
fn campaign_disabled() {
    let mut m = one_target(|_| {});
    m.campaign().enabled = false;
    assert_eq!(only_reason(&m, &facts(NY_CALLER)), Reason::CampaignDisabled);
}

#[test]
fn attestation_below_minimum() {
    let mut m = one_target(|_| {});
    m.campaign().min_attestation = Some(Attestation::B);
    let mut f = facts(NY_CALLER);
    assert_eq!(
        only_reason(&m, &f),
        Reason::AttestationBelowMinimum,
        "none at all"
    );
    f.attestation = Some(Attestation::C);
    assert_eq!(only_reason(&m, &f), Reason::AttestationBelowMinimum);
    f.attestation = Some(Attestation::B);
    assert!(decide(&m.build(), &f, monday_noon_ny()).has_targets());
}

#[test]
fn caller_velocity() {
    let m = one_target(|_| {});
    let mut f = facts(NY_CALLER);
    f.history.calls_in_velocity_window = 10;
    assert_eq!(only_reason(&m, &f), Reason::CallerVelocity);
}

#[test]
fn duplicate_caller_within_the_window_only() {
    let mut m = one_target(|_| {});
    m.campaign().dedupe_window = Some(std::time::Duration::from_secs(24 * 3600));
    let now = monday_noon_ny();
    let mut f = facts(NY_CALLER);
    f.history.last_in_campaign_ms = Some((now - Chrono::hours(23)).timestamp_millis());
    assert_eq!(only_reason(&m, &f), Reason::DuplicateCaller);
    f.history.last_in_campaign_ms = Some((now - Chrono::hours(24)).timestamp_millis());
    let d = decide(&m.build(), &f, now);
    assert!(
        d.has_targets() && !d.duplicate,
        "exactly one window ago is no longer a duplicate"
    );

    m.campaign().duplicate_policy = DuplicatePolicy::RouteUnbilled;
    f.history.last_in_campaign_ms = Some((now - Chrono::hours(1)).timestamp_millis());
    let d = decide(&m.build(), &f, now);
    assert!(
        d.has_targets() && d.duplicate,
        "routed, but marked so it is not billed"
    );
}

#[test]
fn consent_required() {
    let mut m = one_target(|_| {});
    m.campaign().require_consent = true;
    assert_eq!(only_reason(&m, &facts(NY_CALLER)), Reason::NoConsent);
    let now = monday_noon_ny().timestamp_millis();
    m.data.consents.push(Consent {
        number: n(NY_CALLER),
        campaign: Some(CampaignId(1)),
        granted_at_ms: now - 1000,
        expires_at_ms: Some(now + 1000),
        source: "https://example.com/form".into(),
    });
    assert!(decide(&m.build(), &facts(NY_CALLER), monday_noon_ny()).has_targets());
    m.data.consents[0].expires_at_ms = Some(now);
    assert_eq!(
        only_reason(&m, &facts(NY_CALLER)),
        Reason::NoConsent,
        "expired at this instant"
    );
}

#[test]
fn disabled_target() {
    let m = one_target(|t| t.enabled = false);
    assert_eq!(only_reason(&m, &facts(NY_CALLER)), Reason::Disabled);
}

#[test]
fn closed_by_schedule() {
    let m = one_target(|t| {
        t.schedule = Some(Schedule::parse("America/New_York", "Mon-Fri 13:00-20:00").unwrap())
    });
    assert_eq!(only_reason(&m, &facts(NY_CALLER)), Reason::ClosedBySchedule);
    let open = one_target(|t| {
        t.schedule = Some(Schedule::parse("America/New_York", "Mon-Fri 12:00-20:00").unwrap())
    });
    assert!(decide(&open.build(), &facts(NY_CALLER), monday_noon_ny()).has_targets());
}

#[test]
fn state_and_area_code_targeting() {
    let m = one_target(|t| t.states = vec!["CA".into(), "TX".into()]);
    assert_eq!(only_reason(&m, &facts(NY_CALLER)), Reason::StateNotAllowed);
    let by_state = one_target(|t| t.states = vec!["NY".into()]);
    assert!(decide(&by_state.build(), &facts(NY_CALLER), monday_noon_ny()).has_targets());
    let by_npa = one_target(|t| {
        t.states = vec!["CA".into()];
        t.area_codes = vec![212];
    });
    assert!(decide(&by_npa.build(), &facts(NY_CALLER), monday_noon_ny()).has_targets());
    let m = one_target(|t| t.states = vec!["NY".into()]);
    assert_eq!(
        only_reason(&m, &facts("+442071234567")),
        Reason::StateNotAllowed,
        "location unknown"
    );
}

fn live(m: &TestMarket) -> (Arc<LiveRegistry>, dce_marketplace::domain::LocalTime) {
    let local = LocalTime::of(monday_noon_ny(), chrono_tz::Tz::UTC);
    (m.registry.clone(), local)
}

#[test]
fn concurrency_full() {
    let m = one_target(|t| t.concurrency = Some(2));
    let (reg, _) = live(&m);
    reg.target(TargetId(10))
        .concurrent
        .store(2, Ordering::Relaxed);
    assert_eq!(only_reason(&m, &facts(NY_CALLER)), Reason::ConcurrencyFull);
    reg.target(TargetId(10))
        .concurrent
        .store(1, Ordering::Relaxed);
    assert!(decide(&m.build(), &facts(NY_CALLER), monday_noon_ny()).has_targets());
}

#[test]
fn caps_per_period() {
    let (hourly, daily, monthly) = (
        Caps {
            hourly: Some(1),
            ..Caps::default()
        },
        Caps {
            daily: Some(1),
            ..Caps::default()
        },
        Caps {
            monthly: Some(1),
            ..Caps::default()
        },
    );
    for (caps, reason) in [
        (hourly, Reason::HourlyCapReached),
        (daily, Reason::DailyCapReached),
        (monthly, Reason::MonthlyCapReached),
    ] {
        let m = one_target(|t| t.caps = caps);
        let (reg, local) = live(&m);
        let t = reg.target(TargetId(10));
        t.hour.set(local.hour_bucket(), 1);
        t.day.set(local.day_bucket(), 1);
        t.month.set(local.month_bucket(), 1);
        assert_eq!(only_reason(&m, &facts(NY_CALLER)), reason);
        // Last hour's count does not hold this hour's cap.
        t.hour.set(local.hour_bucket() - 1, 1);
        t.day.set(local.day_bucket() - 1, 1);
        t.month.set(local.month_bucket() - 1, 1);
        assert!(decide(&m.build(), &facts(NY_CALLER), monday_noon_ny()).has_targets());
    }
}

#[test]
fn budget_exhausted() {
    let m = one_target(|t| t.daily_budget = Some(Money::from_minor(2000)));
    let (reg, local) = live(&m);
    let t = reg.target(TargetId(10));
    assert!(t.try_spend(local.day_bucket(), Money::from_minor(751), None));
    assert_eq!(only_reason(&m, &facts(NY_CALLER)), Reason::BudgetExhausted);
    t.refund(local.day_bucket(), Money::from_minor(1));
    assert!(
        decide(&m.build(), &facts(NY_CALLER), monday_noon_ny()).has_targets(),
        "exactly at budget"
    );
}

#[test]
fn balance_exhausted() {
    let mut m = one_target(|_| {});
    m.data.buyers[0].balance = Money::from_minor(1249);
    assert_eq!(only_reason(&m, &facts(NY_CALLER)), Reason::BalanceExhausted);
    m.data.buyers[0].balance = Money::from_minor(1250);
    assert!(decide(&m.build(), &facts(NY_CALLER), monday_noon_ny()).has_targets());
    m.registry
        .buyer(BuyerId(1))
        .reserved
        .store(1, Ordering::Relaxed);
    assert_eq!(
        only_reason(&m, &facts(NY_CALLER)),
        Reason::BalanceExhausted,
        "reservations count"
    );
}

#[test]
fn rtb_outcomes() {
    let m = one_target(|t| t.rtb_url = Some("http://127.0.0.1:9/bid".into()));
    let now = monday_noon_ny();
    let mut f = facts(NY_CALLER);
    assert_eq!(only_reason(&m, &f), Reason::RtbNoBid, "not asked");
    for (outcome, reason) in [
        (RtbOutcome::NoBid, Reason::RtbNoBid),
        (RtbOutcome::Timeout, Reason::RtbTimeout),
        (RtbOutcome::Error, Reason::RtbError),
        (
            RtbOutcome::Bid {
                amount: Money::from_minor(500),
                destination: None,
                expires_at_ms: Some(now.timestamp_millis()),
            },
            Reason::RtbExpired,
        ),
    ] {
        f.rtb.insert(TargetId(10), outcome);
        assert_eq!(only_reason(&m, &f), reason);
    }
    f.rtb.insert(
        TargetId(10),
        RtbOutcome::Bid {
            amount: Money::from_minor(1725),
            destination: Some("sip:rtb@127.0.0.1".into()),
            expires_at_ms: None,
        },
    );
    let d = decide(&m.build(), &f, now);
    assert_eq!(d.ranked[0].bid, Money::from_minor(1725));
    assert_eq!(
        d.ranked[0].destination.as_deref(),
        Some("sip:rtb@127.0.0.1")
    );
}

#[test]
fn recording_disclosure_follows_the_callers_state() {
    let mut m = one_target(|_| {});
    m.campaign().recording = true;
    let ca = decide(&m.build(), &facts("+13105551234"), monday_noon_ny());
    let ny = decide(&m.build(), &facts(NY_CALLER), monday_noon_ny());
    assert!(ca.disclosure_required);
    assert!(!ny.disclosure_required);
}
