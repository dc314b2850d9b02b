//! Balances set before the ledger existed become opening top-ups when 0002 runs.

use crate::services::{database_url, unique};
use dce_marketplace::billing::Account;
use dce_marketplace::domain::*;
use dce_marketplace::store::Store;
use sqlx::migrate::Migrator;
use std::path::Path;

/// Applies only 0001 at `url`, adds two buyers with balances the old way, then opens the store (0002).
async fn upgrade(url: &str, folder: &str) {
    sqlx::any::install_default_drivers();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(folder);
    let mut old = Migrator::new(dir).await.unwrap();
    old.migrations = old
        .migrations
        .iter()
        .filter(|m| m.version == 1)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    old.run(&pool).await.unwrap();
    for (name, balance) in [("old-a", 12_345i64), ("old-b", 0), ("old-c", 700)] {
        sqlx::query("INSERT INTO buyers (name, balance_minor, created_at) VALUES ($1, $2, 0)")
            .bind(name)
            .bind(balance)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;

    let store = Store::open(url).await.unwrap();
    let report = store.ledger_check().await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.transactions, 2, "one top-up per buyer with money");
    let balances = store.balances().await.unwrap();
    let of = |a: Account| {
        balances
            .iter()
            .find(|b| b.account == a)
            .map(|b| b.balance.minor())
    };
    assert_eq!(of(Account::House), Some(-13_045));
    assert_eq!(of(Account::Buyer(BuyerId(1))), Some(12_345));
    assert_eq!(of(Account::Buyer(BuyerId(2))), None);
    // New transactions continue after the migrated ones.
    assert_eq!(
        store
            .top_up(BuyerId(2), Money::from_minor(1), "first", "test")
            .await
            .unwrap(),
        3
    );
}

#[tokio::test]
async fn existing_balances_become_top_ups_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    upgrade(&url, "sqlite").await;
}

#[tokio::test]
async fn existing_balances_become_top_ups_on_postgres() {
    let Some(base) = database_url() else {
        return;
    };
    let schema = unique("dce_mig");
    let pool = sqlx::PgPool::connect(&base).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    upgrade(
        &format!("{base}{sep}options=-c%20search_path%3D{schema}"),
        "postgres",
    )
    .await;
}
