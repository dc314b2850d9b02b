//! Closing a call rates it once, by the campaign's rules, on both backends.

use crate::billing_fixture::{each_backend, Plan};
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
        assert_eq!(stored.cdr, exact, "the record reads back as written");
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
