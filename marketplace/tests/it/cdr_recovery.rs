//! Calls open when the switch stopped are closed at their last known time and rated.

use crate::billing_fixture::{each_backend, Plan, ANSWERED_AT};
use dce_marketplace::billing::*;
use dce_marketplace::domain::*;
use dce_marketplace::store::Closed;
use std::time::Duration;

#[tokio::test]
async fn open_calls_are_recovered_at_their_last_known_time() {
    each_backend(|b| async move {
        let long = b.call("long", Plan::Fixed, false);
        let short = b.call("short", Plan::Fixed, false);
        assert!(b.store.open_cdr(&long).await.unwrap());
        assert!(
            !b.store.open_cdr(&long).await.unwrap(),
            "opening is idempotent"
        );
        assert!(b.store.open_cdr(&short).await.unwrap());
        assert!(b
            .store
            .touch_cdr(&long.id, ANSWERED_AT + 120_000)
            .await
            .unwrap());
        assert!(
            !b.store
                .touch_cdr(&long.id, ANSWERED_AT + 60_000)
                .await
                .unwrap(),
            "time never goes back"
        );

        let open = b.store.open_cdrs().await.unwrap();
        assert_eq!(open.len(), 2);
        assert!(open.iter().all(|s| s.rating.is_none() && s.cdr.is_open()));
        assert_eq!(open[0].cdr, long, "an open record reads back as written");

        let recovered = b.store.recover_open_cdrs().await.unwrap();
        assert_eq!(recovered.len(), 2);
        assert!(b.store.open_cdrs().await.unwrap().is_empty());

        let long = b.store.cdr(&long.id).await.unwrap().unwrap();
        let end = long.cdr.end.as_ref().unwrap();
        assert_eq!(end.cause, HangupCause::SwitchRestart);
        assert_eq!(end.by, HungUpBy::Switch);
        assert_eq!(end.connected, Duration::from_secs(120));
        assert_eq!(end.ended_at_ms, ANSWERED_AT + 120_000);
        assert!(
            long.rating.unwrap().billable(),
            "120 s connected, billable after 90 s"
        );
        let short = b.store.cdr(&short.id).await.unwrap().unwrap();
        assert_eq!(
            short.rating,
            Some(Rating::NOT_BILLABLE),
            "never seen after answer"
        );

        assert_eq!(
            b.balance(Account::Buyer(b.buyer)).await,
            Money::from_minor(50_000 - 1250)
        );
        assert!(
            b.store.recover_open_cdrs().await.unwrap().is_empty(),
            "nothing left to recover"
        );
        let closed = b
            .store
            .close_cdr(&long.cdr, &long.rating.unwrap())
            .await
            .unwrap();
        assert_eq!(closed, Closed::AlreadyClosed);
        assert!(b.store.ledger_check().await.unwrap().is_clean());

        let listed = b.store.list_cdrs(0, 10).await.unwrap();
        assert_eq!(listed.len(), 2);
        assert!(b.store.list_cdrs(ANSWERED_AT, 10).await.unwrap().is_empty());
        assert_eq!(b.store.list_cdrs(0, 1).await.unwrap().len(), 1);
    })
    .await;
}
