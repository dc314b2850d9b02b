//! The ledger's invariants hold in the database itself, and `ledger_check` finds what breaks them.

use crate::billing_fixture::each_backend;
use dce_marketplace::billing::*;
use dce_marketplace::domain::*;
use dce_marketplace::market_file;
use dce_marketplace::store::{BalanceCache, BillingError};

#[tokio::test]
async fn the_database_refuses_an_unbalanced_transaction() {
    each_backend(|b| async move {
        let raw = b.raw().await;
        let mut tx = raw.begin().await.unwrap();
        for (account, amount) in [("buyer:1", 100i64), ("house", -99)] {
            sqlx::query("INSERT INTO ledger_postings (transaction_id, account, amount_minor) VALUES (999, $1, $2)")
                .bind(account)
                .bind(amount)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        let refused = sqlx::query(
            "INSERT INTO ledger_transactions (id, kind, reason, actor, created_at) VALUES (999, 'adjustment', 'x', 'test', 0)",
        )
        .execute(&mut *tx)
        .await;
        let err = refused.expect_err("an unbalanced transaction is refused").to_string();
        assert!(err.contains("unbalanced"), "{err}");
        drop(tx);

        // Nor can the ledger be rewritten afterwards.
        let updated = sqlx::query("UPDATE ledger_postings SET amount_minor = amount_minor + 1")
            .execute(&raw)
            .await;
        assert!(updated.is_err(), "postings are append-only");
        let deleted = sqlx::query("DELETE FROM ledger_transactions").execute(&raw).await;
        assert!(deleted.is_err(), "transactions are append-only");
        raw.close().await;
        assert!(b.store.ledger_check().await.unwrap().is_clean());
    })
    .await;
}

#[tokio::test]
async fn tampering_with_a_cached_balance_is_caught() {
    each_backend(|b| async move {
        let raw = b.raw().await;
        sqlx::query("UPDATE buyers SET balance_minor = balance_minor + 1000000")
            .execute(&raw)
            .await
            .unwrap();
        sqlx::query("UPDATE account_balances SET balance_minor = 7 WHERE account = 'house'")
            .execute(&raw)
            .await
            .unwrap();
        raw.close().await;
        let report = b.store.ledger_check().await.unwrap();
        assert!(!report.is_clean());
        let found: Vec<_> = report
            .mismatches
            .iter()
            .map(|m| {
                (
                    m.account.as_str(),
                    m.cache,
                    m.cached.minor(),
                    m.posted.minor(),
                )
            })
            .collect();
        let buyer = Account::Buyer(b.buyer).to_string();
        assert_eq!(
            found,
            [
                ("house", BalanceCache::AccountBalances, 7, -50_000),
                (buyer.as_str(), BalanceCache::Buyers, 1_050_000, 50_000),
            ]
        );
        assert!(report.unbalanced.is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_imported_opening_balance_is_a_top_up_posting() {
    each_backend(|b| async move {
        let report = b.store.ledger_check().await.unwrap();
        assert!(report.is_clean(), "{report:?}");
        assert_eq!((report.transactions, report.postings), (1, 2));
        let raw = b.raw().await;
        let (kind, actor): (String, String) =
            sqlx::query_as("SELECT kind, actor FROM ledger_transactions")
                .fetch_one(&raw)
                .await
                .unwrap();
        raw.close().await;
        assert_eq!((kind.as_str(), actor.as_str()), ("top_up", "import"));
        assert_eq!(
            b.balance(Account::Buyer(b.buyer)).await,
            Money::from_minor(50_000)
        );
        assert_eq!(b.balance(Account::House).await, Money::from_minor(-50_000));

        // Importing again neither posts nor resets anything.
        b.store
            .import(&market_file::parse(crate::billing_fixture::MARKET).unwrap())
            .await
            .unwrap();
        assert_eq!(b.store.ledger_check().await.unwrap().transactions, 1);
        // A buyer without an opening balance has no posting at all.
        b.store
            .import(&market_file::parse("[[buyer]]\nname = \"b2\"\n").unwrap())
            .await
            .unwrap();
        assert_eq!(b.store.ledger_check().await.unwrap().transactions, 1);
    })
    .await;
}

#[tokio::test]
async fn top_ups_and_adjustments_balance_against_the_house() {
    each_backend(|b| async move {
        let v = b.store.market_version().await.unwrap();
        b.store
            .top_up(b.buyer, Money::from_minor(2_500), "wire 42", "cli")
            .await
            .unwrap();
        assert!(b.store.market_version().await.unwrap() > v);
        b.store
            .adjust(
                Account::Seller(b.seller),
                Money::from_minor(-300),
                "chargeback",
                "ops@example",
            )
            .await
            .unwrap();
        b.store
            .adjust(
                Account::Buyer(b.buyer),
                Money::from_minor(-500),
                "goodwill reversed",
                "ops@example",
            )
            .await
            .unwrap();
        assert_eq!(
            b.balance(Account::Buyer(b.buyer)).await,
            Money::from_minor(52_000)
        );
        assert_eq!(
            b.balance(Account::Seller(b.seller)).await,
            Money::from_minor(-300)
        );
        assert_eq!(b.balance(Account::House).await, Money::from_minor(-51_700));
        let total: i64 = b
            .store
            .balances()
            .await
            .unwrap()
            .iter()
            .map(|x| x.balance.minor())
            .sum();
        assert_eq!(total, 0, "all balances together sum to zero");

        assert!(matches!(
            b.store.top_up(b.buyer, Money::ZERO, "nothing", "cli").await,
            Err(BillingError::NotPositive(_))
        ));
        assert!(matches!(
            b.store
                .adjust(Account::House, Money::from_minor(1), "self", "cli")
                .await,
            Err(BillingError::HouseAgainstHouse)
        ));
        assert!(matches!(
            b.store
                .top_up(BuyerId(9_999), Money::from_minor(1), "ghost", "cli")
                .await,
            Err(BillingError::UnknownAccount(_))
        ));
        let report = b.store.ledger_check().await.unwrap();
        assert!(report.is_clean(), "{report:?}");
        assert_eq!(report.transactions, 4, "the refused ones wrote nothing");
    })
    .await;
}

#[tokio::test]
async fn a_cdr_row_no_buyer_answered_can_move_no_money_nor_stay_open() {
    each_backend(|b| async move {
        let raw = b.raw().await;
        // id, status, buyer, price, answered_at, connected, billable, charge, payout, margin
        type Row = (
            &'static str,
            &'static str,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            i64,
            i64,
            i64,
            i64,
            i64,
        );
        let insert = |r: Row| {
            let raw = raw.clone();
            async move {
                sqlx::query(
                    "INSERT INTO cdrs (id, seller_id, campaign_id, buyer_id, target_id, dialed, \
                     decision, attempts, timeline, price_minor, payout_fixed_minor, billable_after_ms, \
                     duplicate, arrived_at, answered_at, last_seen_at, ended_at, connected_ms, \
                     hangup_cause, hung_up_by, status, billable, charge_minor, payout_minor, \
                     margin_minor, rated_at) \
                     VALUES ($1, 1, 1, $3, $3, 18005550100, '{}', '[]', '[]', $4, $4, $4, $4, 0, $5, 0, 1, \
                     $6, 'all_targets_failed', 'switch', $2, $7, $8, $9, $10, 1)",
                )
                .bind(r.0)
                .bind(r.1)
                .bind(r.2)
                .bind(r.3)
                .bind(r.4)
                .bind(r.5)
                .bind(r.6)
                .bind(r.7)
                .bind(r.8)
                .bind(r.9)
                .execute(&raw)
                .await
            }
        };
        let ok = insert(("none", "closed", None, None, None, 0, 0, 0, 0, 0)).await;
        assert!(ok.is_ok(), "an unanswered call rated zero: {ok:?}");
        for (why, row) in [
            ("charged", ("c", "closed", None, None, None, 0, 1, 100, 100, 0)),
            ("connected", ("d", "closed", None, None, None, 5, 0, 0, 0, 0)),
            ("open", ("o", "open", None, None, None, 0, 0, 0, 0, 0)),
            ("buyer without terms", ("p", "closed", Some(1), None, Some(1), 0, 0, 0, 0, 0)),
        ] {
            assert!(insert(row).await.is_err(), "refused: {why}");
        }
        raw.close().await;
        assert_eq!(b.count("cdrs").await, 1);
        assert!(b.store.ledger_check().await.unwrap().is_clean());
    })
    .await;
}
