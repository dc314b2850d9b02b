//! Writing the ledger: postings, their transaction, and the cached balances.
//!
//! Postings go in first and the `ledger_transactions` row last: the row's
//! insert trigger refuses it unless the postings sum to zero, so even SQL
//! written by hand cannot record an unbalanced transaction. Balances are
//! caches of the postings (`account_balances` for every account, and
//! `buyers.balance_minor` for the snapshot), changed only here.

use super::{bump, now_ms, Store, StoreError};
use crate::billing::{
    Account, BalancedTransaction, CdrId, RatingError, TransactionKind, Unbalanced,
};
use crate::domain::{BuyerId, Money};
use serde::Serialize;
use sqlx::AnyConnection;

/// Errors from billing writes.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// The database failed (a retry, or the spool, may help).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The postings would not sum to zero: a bug in the caller, never retried.
    #[error("refused: {0}")]
    Unbalanced(#[from] Unbalanced),
    /// The CDR's terms cannot be rated (a negative price or payout).
    #[error("cannot rate: {0}")]
    Rating(#[from] RatingError),
    /// The rating given is not the CDR's own (`cdr.rate()`).
    #[error("the rating given for CDR {0} is not what its terms give")]
    RatingMismatch(CdrId),
    /// `close_cdr` was given a CDR without an end.
    #[error("CDR {0} has not ended")]
    NotEnded(CdrId),
    /// `open_cdr` was given a call no buyer answered: such a call is
    /// written once, closed, with `close_cdr`.
    #[error("CDR {0} was not answered: only answered calls are opened")]
    NotAnswered(CdrId),
    /// A top-up must add money.
    #[error("a top-up must be positive, not {0}")]
    NotPositive(Money),
    /// The house cannot be adjusted against itself.
    #[error("adjust a buyer or a seller: the house is the other side")]
    HouseAgainstHouse,
    /// The account's buyer or seller does not exist.
    #[error("no such account {0}")]
    UnknownAccount(Account),
}

impl From<sqlx::Error> for BillingError {
    fn from(e: sqlx::Error) -> Self {
        BillingError::Store(StoreError::Query(e))
    }
}

/// An account's balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Balance {
    /// Whose.
    #[serde(serialize_with = "display")]
    pub account: Account,
    /// The sum of its postings.
    pub balance: Money,
}

fn display<S: serde::Serializer>(a: &Account, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(a)
}

/// Writes `t` on `conn`, which must be inside a database transaction.
/// Returns the ledger transaction's id.
/// [`Store::top_up`] inside the caller's transaction, so that what the
/// caller writes beside it (an audit record) commits or fails with it.
pub async fn top_up_in(
    conn: &mut AnyConnection,
    buyer: BuyerId,
    amount: Money,
    reason: &str,
    actor: &str,
) -> Result<i64, BillingError> {
    if amount <= Money::ZERO {
        return Err(BillingError::NotPositive(amount));
    }
    let t = BalancedTransaction::against_house(
        TransactionKind::TopUp,
        Account::Buyer(buyer),
        amount,
        reason,
        actor,
    )?;
    post(conn, &t, None, now_ms()).await
}

pub(super) async fn post(
    conn: &mut AnyConnection,
    t: &BalancedTransaction,
    cdr: Option<&CdrId>,
    now: i64,
) -> Result<i64, BillingError> {
    // Taking the next id locks the counter row until commit: ledger writers
    // run one at a time, so their balance updates never deadlock.
    let (id,): (i64,) = sqlx::query_as(
        "UPDATE change_counters SET version = version + 1 WHERE name = 'ledger' RETURNING version",
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut buyer_changed = false;
    for p in t.postings() {
        match p.account {
            Account::Buyer(BuyerId(buyer)) => {
                let found = sqlx::query(
                    "UPDATE buyers SET balance_minor = balance_minor + $2 WHERE id = $1",
                )
                .bind(buyer)
                .bind(p.amount.minor())
                .execute(&mut *conn)
                .await?
                .rows_affected();
                if found == 0 {
                    return Err(BillingError::UnknownAccount(p.account));
                }
                buyer_changed = true;
            }
            Account::Seller(seller) => {
                let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM sellers WHERE id = $1")
                    .bind(seller.0)
                    .fetch_optional(&mut *conn)
                    .await?;
                if found.is_none() {
                    return Err(BillingError::UnknownAccount(p.account));
                }
            }
            Account::House => {}
        }
        let account = p.account.to_string();
        sqlx::query(
            "INSERT INTO ledger_postings (transaction_id, account, amount_minor) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(&account)
        .bind(p.amount.minor())
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO account_balances (account, balance_minor) VALUES ($1, $2) \
             ON CONFLICT (account) DO UPDATE SET balance_minor = account_balances.balance_minor + excluded.balance_minor",
        )
        .bind(&account)
        .bind(p.amount.minor())
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "INSERT INTO ledger_transactions (id, cdr_id, kind, reason, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(cdr.map(CdrId::as_str))
    .bind(t.kind().as_str())
    .bind(t.reason())
    .bind(t.actor())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if buyer_changed {
        // Buyers' balances are in the snapshot (the auction checks them).
        bump(&mut *conn, "market").await?;
    }
    Ok(id)
}

impl Store {
    /// Writes a balanced transaction on its own; returns its id.
    pub async fn post(&self, t: &BalancedTransaction) -> Result<i64, BillingError> {
        let mut tx = self.pool.begin().await?;
        let id = post(&mut tx, t, None, now_ms()).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds `amount` (positive) to a buyer's balance, against the house:
    /// money received from the buyer. Returns the transaction's id.
    pub async fn top_up(
        &self,
        buyer: BuyerId,
        amount: Money,
        reason: &str,
        actor: &str,
    ) -> Result<i64, BillingError> {
        let mut tx = self.pool.begin().await?;
        let id = top_up_in(&mut tx, buyer, amount, reason, actor).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds `amount` (either sign) to a buyer's or seller's balance, against
    /// the house: a correction. Returns the transaction's id.
    pub async fn adjust(
        &self,
        account: Account,
        amount: Money,
        reason: &str,
        actor: &str,
    ) -> Result<i64, BillingError> {
        if account == Account::House {
            return Err(BillingError::HouseAgainstHouse);
        }
        let t = BalancedTransaction::against_house(
            TransactionKind::Adjustment,
            account,
            amount,
            reason,
            actor,
        )?;
        self.post(&t).await
    }

    /// Every account with postings, and its balance (from the cache that
    /// [`Store::ledger_check`] verifies).
    pub async fn balances(&self) -> Result<Vec<Balance>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT account, balance_minor FROM account_balances ORDER BY account")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(account, balance)| {
                Ok(Balance {
                    account: Account::parse(&account).ok_or_else(|| StoreError::Corrupt {
                        what: "account_balances.account".into(),
                        detail: account.clone(),
                    })?,
                    balance: Money::from_minor(balance),
                })
            })
            .collect()
    }
}
