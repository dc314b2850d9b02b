//! Closing a call rates it once, by the campaign's rules, on both backends;
//! a call no buyer answered is recorded closed and moves no money.

use crate::billing_fixture::{each_backend, Plan, ANSWERED_AT, ARRIVED_AT};
use dce_marketplace::billing::*;
use dce_marketplace::domain::*;
use dce_marketplace::store::{BillingError, Closed};

const OPENING: i64 = 50_000;

#[tokio::test]
async fn billable_from_the_exact_millisecond_of_billable_after() {
    each_backend(|b| async move {
        let short = b.ended("short", Plan::Fixed, false, 89_999);
        let closed = b
            .store
            .close_cdr(&short, &short.rate().unwrap())
            .await
            .unwrap();
        assert_eq!(
            closed,
            Closed::Rated {
                rating: Rating::NOT_BILLABLE,
                transaction: None
            }
        );
        let version = b.store.market_version().await.unwrap();

        let exact = b.ended("exact", Plan::Fixed, false, 90_000);
        let rating = exact.rate().unwrap();
        assert!(rating.billable());
        let Closed::Rated {
            transaction: Some(_),
            ..
        } = b.store.close_cdr(&exact, &rating).await.unwrap()
        else {
            panic!("a billable call is posted")
        };
        assert_eq!(
            b.balance(Account::Buyer(b.buyer)).await,
            Money::from_minor(OPENING - 1250)
        );
        assert_eq!(
            b.balance(Account::Seller(b.seller)).await,
            Money::from_minor(800)
        );
        assert_eq!(
            b.balance(Account::House).await,
            Money::from_minor(-OPENING + 450)
        );
        assert!(
            b.store.market_version().await.unwrap() > version,
            "a buyer's balance changed: snapshots must refresh"
        );
        let data = b.store.load_market().await.unwrap();
        assert_eq!(data.buyers[0].balance, Money::from_minor(OPENING - 1250));

        let stored = b.store.cdr(&exact.id).await.unwrap().unwrap();
        assert_eq!(
            stored.cdr,
            exact.clone().rated(stored.rated_at_ms.unwrap(), &rating),
            "the record reads back as written, rated"
        );
        assert_eq!(stored.rating, Some(rating));
        assert!(b.store.ledger_check().await.unwrap().is_clean());
    })
    .await;
}

#[tokio::test]
async fn a_duplicate_is_never_billable() {
    each_backend(|b| async move {
        let dup = b.ended("dup", Plan::Fixed, true, 600_000);
        assert_eq!(dup.rate(), Ok(Rating::NOT_BILLABLE));
        b.store.close_cdr(&dup, &dup.rate().unwrap()).await.unwrap();
        assert_eq!(
            b.balance(Account::Buyer(b.buyer)).await,
            Money::from_minor(OPENING)
        );
        let stored = b.store.cdr(&dup.id).await.unwrap().unwrap();
        assert!(stored.cdr.decision.duplicate);
        assert_eq!(
            b.count("ledger_transactions WHERE cdr_id IS NOT NULL")
                .await,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn fixed_and_share_payouts() {
    each_backend(|b| async move {
        let fixed = b.ended("fixed", Plan::Fixed, false, 120_000);
        let share = b.ended("share", Plan::Share, false, 120_000);
        let rf = fixed.rate().unwrap();
        let rs = share.rate().unwrap();
        assert_eq!(
            (
                rf.charge().minor(),
                rf.payout().minor(),
                rf.margin().minor()
            ),
            (1250, 800, 450)
        );
        // 40% of 9.99 is 3.996: the seller gets 3.99, rounded down.
        assert_eq!(
            (
                rs.charge().minor(),
                rs.payout().minor(),
                rs.margin().minor()
            ),
            (999, 399, 600)
        );
        b.store.close_cdr(&fixed, &rf).await.unwrap();
        b.store.close_cdr(&share, &rs).await.unwrap();
        assert_eq!(
            b.balance(Account::Seller(b.seller)).await,
            Money::from_minor(1199)
        );
        assert_eq!(
            b.balance(Account::Buyer(b.buyer)).await,
            Money::from_minor(OPENING - 2249)
        );
        let data = b.store.load_market().await.unwrap();
        let share_campaign = data.campaigns.iter().find(|c| c.name == "share").unwrap();
        assert_eq!(
            share_campaign.payout,
            PayoutModel::Share { basis_points: 4000 }
        );
        assert!(b.store.ledger_check().await.unwrap().is_clean());
    })
    .await;
}

#[tokio::test]
async fn closing_twice_rates_once() {
    each_backend(|b| async move {
        let call = b.ended("twice", Plan::Fixed, false, 100_000);
        let rating = call.rate().unwrap();
        assert!(b
            .store
            .open_cdr(&b.call("twice", Plan::Fixed, false))
            .await
            .unwrap());
        assert!(matches!(
            b.store.close_cdr(&call, &rating).await.unwrap(),
            Closed::Rated { .. }
        ));
        assert_eq!(
            b.store.close_cdr(&call, &rating).await.unwrap(),
            Closed::AlreadyClosed
        );
        assert!(
            !b.store
                .open_cdr(&b.call("twice", Plan::Fixed, false))
                .await
                .unwrap(),
            "a closed CDR is not reopened"
        );
        assert_eq!(b.count("cdrs").await, 1);
        assert_eq!(
            b.count("ledger_transactions WHERE cdr_id IS NOT NULL")
                .await,
            1
        );
        assert_eq!(
            b.balance(Account::Buyer(b.buyer)).await,
            Money::from_minor(OPENING - 1250)
        );

        // A rating that is not the call's own, or a call still up, is refused.
        let other = b.ended("other", Plan::Fixed, false, 1_000);
        assert!(matches!(
            b.store.close_cdr(&other, &rating).await,
            Err(BillingError::RatingMismatch(_))
        ));
        let open = b.call("open", Plan::Fixed, false);
        assert!(matches!(
            b.store.close_cdr(&open, &Rating::NOT_BILLABLE).await,
            Err(BillingError::NotEnded(_))
        ));
        assert_eq!(b.count("cdrs").await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_call_no_buyer_answered_is_stored_closed_without_a_transaction() {
    each_backend(|b| async move {
        let failed = b.unanswered(
            "all-failed",
            &[
                AttemptOutcome::Rejected { status: 486 },
                AttemptOutcome::Unreachable,
            ],
            HangupCause::AllTargetsFailed,
            HungUpBy::Switch,
        );
        assert!(!failed.is_answered());
        let rating = failed.rate().unwrap();
        assert_eq!(rating, Rating::NOT_BILLABLE);
        assert!(
            matches!(
                b.store.open_cdr(&failed).await,
                Err(BillingError::NotAnswered(_))
            ),
            "only an answered call is ever open"
        );
        assert_eq!(
            b.store.close_cdr(&failed, &rating).await.unwrap(),
            Closed::Rated {
                rating: Rating::NOT_BILLABLE,
                transaction: None
            }
        );
        assert_eq!(
            b.store.close_cdr(&failed, &rating).await.unwrap(),
            Closed::AlreadyClosed,
            "idempotent"
        );

        let stored = b.store.cdr(&failed.id).await.unwrap().unwrap();
        let rated_at = stored.rated_at_ms.unwrap();
        assert_eq!(stored.cdr, failed.clone().rated(rated_at, &rating));
        assert_eq!(stored.rating, Some(Rating::NOT_BILLABLE));
        assert_eq!((stored.cdr.buyer, stored.cdr.target), (None, None));
        assert_eq!(stored.cdr.terms, None);
        assert_eq!(stored.cdr.answered_at_ms, None);
        let outcomes: Vec<_> = stored
            .cdr
            .attempts
            .iter()
            .map(|a| (a.outcome.clone(), a.ended_at_ms.is_some()))
            .collect();
        assert_eq!(
            outcomes,
            [
                (AttemptOutcome::Rejected { status: 486 }, true),
                (AttemptOutcome::Unreachable, true)
            ]
        );
        let end = stored.cdr.end.as_ref().unwrap();
        assert_eq!(end.cause, HangupCause::AllTargetsFailed);
        assert_eq!(end.connected, std::time::Duration::ZERO);
        let events: Vec<_> = stored.cdr.timeline.iter().map(|e| &e.event).collect();
        assert_eq!(events.first(), Some(&&CallEvent::Arrived));
        assert_eq!(
            &events[events.len() - 2..],
            [
                &CallEvent::Ended {
                    cause: HangupCause::AllTargetsFailed
                },
                &CallEvent::Rated {
                    billable: false,
                    charge: Money::ZERO
                },
            ]
        );

        assert_eq!(
            b.count("ledger_transactions WHERE cdr_id IS NOT NULL")
                .await,
            0
        );
        assert_eq!(
            b.balance(Account::Buyer(b.buyer)).await,
            Money::from_minor(OPENING)
        );
        assert!(b.store.open_cdrs().await.unwrap().is_empty());
        assert!(
            b.store.recover_open_cdrs().await.unwrap().is_empty(),
            "nothing to recover: an unanswered call is written closed"
        );
        let listed = b.store.list_cdrs(0, 10).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(b.store.ledger_check().await.unwrap().is_clean());

        // Half an answer is a bug, refused before the database.
        let mut partly = b.unanswered(
            "partly",
            &[],
            HangupCause::NoEligibleTarget,
            HungUpBy::Switch,
        );
        partly.buyer = Some(b.buyer);
        assert_eq!(partly.rate(), Err(RatingError::PartlyAnswered));
        assert!(matches!(
            b.store.close_cdr(&partly, &Rating::NOT_BILLABLE).await,
            Err(BillingError::Rating(RatingError::PartlyAnswered))
        ));
        let mut connected =
            b.unanswered("conn", &[], HangupCause::NoEligibleTarget, HungUpBy::Switch);
        connected.end.as_mut().unwrap().connected = std::time::Duration::from_secs(1);
        assert_eq!(connected.rate(), Err(RatingError::PartlyAnswered));
        assert_eq!(b.count("cdrs").await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_call_the_caller_cancelled_while_ringing_is_recorded() {
    each_backend(|b| async move {
        let cancelled = b.unanswered(
            "cancelled",
            &[
                AttemptOutcome::RingTimeout,
                AttemptOutcome::Cancelled,
            ],
            HangupCause::CallerCancel,
            HungUpBy::Caller,
        );
        let rating = cancelled.rate().unwrap();
        assert_eq!(rating, Rating::NOT_BILLABLE);
        assert!(matches!(
            b.store.close_cdr(&cancelled, &rating).await.unwrap(),
            Closed::Rated {
                transaction: None,
                ..
            }
        ));
        let stored = b.store.cdr(&cancelled.id).await.unwrap().unwrap();
        assert_eq!(
            stored.cdr,
            cancelled.clone().rated(stored.rated_at_ms.unwrap(), &rating)
        );
        assert_eq!(
            stored.cdr.attempts.last().unwrap().outcome,
            AttemptOutcome::Cancelled
        );
        let end = stored.cdr.end.as_ref().unwrap();
        assert_eq!((end.cause.clone(), end.by), (HangupCause::CallerCancel, HungUpBy::Caller));

        // Stored under the stable names, with no buyer and no terms.
        let raw = b.raw().await;
        let (cause, by, buyer, price): (String, String, Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT hangup_cause, hung_up_by, buyer_id, price_minor FROM cdrs WHERE id = 'cancelled'",
        )
        .fetch_one(&raw)
        .await
        .unwrap();
        raw.close().await;
        assert_eq!(
            (cause.as_str(), by.as_str(), buyer, price),
            ("caller_cancel", "caller", None, None)
        );
        assert_eq!(b.count("ledger_transactions WHERE cdr_id IS NOT NULL").await, 0);
        assert!(b.store.ledger_check().await.unwrap().is_clean());
    })
    .await;
}

#[tokio::test]
async fn the_timeline_round_trips_and_ends_with_rated() {
    each_backend(|b| async move {
        let open = b.call("timeline", Plan::Fixed, false);
        assert!(b.store.open_cdr(&open).await.unwrap());
        let stored = b.store.cdr(&open.id).await.unwrap().unwrap();
        assert_eq!(
            stored.cdr.timeline, open.timeline,
            "the open record's timeline"
        );
        assert_eq!(
            stored.cdr.timeline.last().unwrap().event,
            CallEvent::Answered { n: 1 }
        );

        let ended = b.ended("timeline", Plan::Fixed, false, 95_000);
        let rating = ended.rate().unwrap();
        b.store.close_cdr(&ended, &rating).await.unwrap();
        let stored = b.store.cdr(&ended.id).await.unwrap().unwrap();
        let rated_at = stored.rated_at_ms.unwrap();
        let mut expected = open.timeline.clone();
        expected.extend([
            TimelineEvent::new(
                ANSWERED_AT + 95_000,
                CallEvent::Ended {
                    cause: HangupCause::Bye,
                },
            ),
            TimelineEvent::new(
                rated_at,
                CallEvent::Rated {
                    billable: true,
                    charge: Money::from_minor(1250),
                },
            ),
        ]);
        assert_eq!(stored.cdr.timeline, expected);
        assert_eq!(
            stored.cdr.timeline[0],
            TimelineEvent::new(ARRIVED_AT, CallEvent::Arrived)
        );
        assert_eq!(
            stored.cdr.attempts[0].ended_at_ms,
            Some(ANSWERED_AT + 95_000),
            "the answered attempt ends with the call"
        );

        // The same JSON the column holds.
        let raw = b.raw().await;
        let (json,): (String,) = sqlx::query_as("SELECT timeline FROM cdrs WHERE id = 'timeline'")
            .fetch_one(&raw)
            .await
            .unwrap();
        raw.close().await;
        let events: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
        let tags: Vec<_> = events
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        assert_eq!(
            tags,
            [
                "arrived",
                "decided",
                "attempt_started",
                "attempt_ringing",
                "answered",
                "ended",
                "rated"
            ]
        );
        assert_eq!(events[6]["charge"], "12.50");
    })
    .await;
}
