//! Ended calls spooled while the database is away reach it exactly once.

use crate::billing_fixture::{each_backend, Plan};
use dce_marketplace::billing::*;
use dce_marketplace::domain::*;
use dce_marketplace::store::{Spool, SpoolError};

#[tokio::test]
async fn a_spooled_call_is_replayed_exactly_once() {
    each_backend(|b| async move {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cdr.spool");
        let spool = Spool::open(&path, 1 << 20).unwrap();
        let call = b.ended("spooled", Plan::Fixed, false, 95_000);
        spool.append(&call).unwrap();
        let free = b.ended("free", Plan::Fixed, false, 1_000);
        spool.append(&free).unwrap();
        assert!(matches!(
            spool.append(&b.call("up", Plan::Fixed, false)),
            Err(SpoolError::NotEnded(_))
        ));

        // A crash and restart: the file is what counts.
        drop(spool);
        let spool = Spool::open(&path, 1 << 20).unwrap();
        let first = spool.replay(&b.store).await.unwrap();
        assert_eq!(
            (first.rated, first.already_closed, first.remaining_bytes),
            (2, 0, 0)
        );
        let second = spool.replay(&b.store).await.unwrap();
        assert_eq!(
            (second.rated, second.already_closed),
            (0, 0),
            "the file was emptied"
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);

        // Even a record replayed twice (a crash between commit and truncation) is rated once.
        spool.append(&call).unwrap();
        let again = spool.replay(&b.store).await.unwrap();
        assert_eq!((again.rated, again.already_closed), (0, 1));

        assert_eq!(b.count("cdrs").await, 2);
        assert_eq!(
            b.count("ledger_transactions WHERE cdr_id IS NOT NULL")
                .await,
            1
        );
        assert_eq!(
            b.balance(Account::Buyer(b.buyer)).await,
            Money::from_minor(50_000 - 1250)
        );
        let stats = spool.stats();
        assert_eq!(
            (stats.spooled, stats.replayed, stats.bytes),
            (1, 3, 0),
            "counters since this open"
        );
        assert!(b.store.ledger_check().await.unwrap().is_clean());
    })
    .await;
}

#[tokio::test]
async fn a_full_spool_refuses_and_a_torn_record_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cdr.spool");
    each_backend(|b| {
        let path = path.clone();
        async move {
            let _ = std::fs::remove_file(&path);
            let call = b.ended("big", Plan::Share, false, 95_000);
            let one = serde_json::to_vec(&call).unwrap().len() as u64 + 64;
            let spool = Spool::open(&path, one).unwrap();
            spool.append(&call).unwrap();
            let before = std::fs::metadata(&path).unwrap().len();
            let full = spool.append(&b.ended("more", Plan::Share, false, 95_000));
            assert!(matches!(full, Err(SpoolError::Full { .. })), "{full:?}");
            assert_eq!(
                std::fs::metadata(&path).unwrap().len(),
                before,
                "nothing written"
            );
            assert_eq!(spool.stats().bytes, before);
            drop(spool);

            // A crash mid-append leaves a partial last line: it was never acknowledged.
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            f.write_all(b"{\"v\":1,\"cdr\":{\"id\":").unwrap();
            drop(f);
            let spool = Spool::open(&path, one).unwrap();
            assert_eq!(spool.stats().bytes, before);
            let report = spool.replay(&b.store).await.unwrap();
            assert_eq!(report.rated, 1);
            assert_eq!(b.count("cdrs").await, 1);
        }
    })
    .await;
}

#[tokio::test]
async fn an_unanswered_call_spooled_is_replayed_closed_and_moves_no_money() {
    each_backend(|b| async move {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path().join("cdr.spool"), 1 << 20).unwrap();
        let cancelled = b.unanswered(
            "cancelled",
            &[AttemptOutcome::Cancelled],
            HangupCause::CallerCancel,
            HungUpBy::Caller,
        );
        spool.append(&cancelled).unwrap();
        let report = spool.replay(&b.store).await.unwrap();
        assert_eq!((report.rated, report.already_closed), (1, 0));
        let stored = b.store.cdr(&cancelled.id).await.unwrap().unwrap();
        assert_eq!(stored.rating, Some(Rating::NOT_BILLABLE));
        assert!(matches!(
            stored.cdr.timeline.last().map(|e| &e.event),
            Some(CallEvent::Rated {
                billable: false,
                ..
            })
        ));
        assert_eq!(
            b.count("ledger_transactions WHERE cdr_id IS NOT NULL")
                .await,
            0
        );
        assert!(b.store.ledger_check().await.unwrap().is_clean());
    })
    .await;
}
