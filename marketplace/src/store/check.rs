//! `ledger_check`: the ledger's invariants, verified from the raw rows.

use super::{Store, StoreError};
use crate::billing::{Account, CdrId};
use crate::domain::Money;
use serde::Serialize;
use std::collections::BTreeMap;

/// Which cache of a balance disagrees with the postings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceCache {
    /// `account_balances.balance_minor`.
    AccountBalances,
    /// `buyers.balance_minor` (what the snapshot reads).
    Buyers,
}

/// A cached balance that is not the sum of its account's postings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BalanceMismatch {
    /// The account, as stored (`buyer:3`).
    pub account: String,
    /// Which cache.
    pub cache: BalanceCache,
    /// What the cache says.
    pub cached: Money,
    /// What the postings sum to.
    pub posted: Money,
}

/// A transaction whose postings do not sum to zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct UnbalancedTransaction {
    /// Its id.
    pub id: i64,
    /// What its postings sum to.
    pub sum: Money,
}

/// What [`Store::ledger_check`] found. Every list empty: the ledger is sound.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LedgerReport {
    /// Transactions checked.
    pub transactions: u64,
    /// Postings checked.
    pub postings: u64,
    /// Transactions whose postings do not sum to zero.
    pub unbalanced: Vec<UnbalancedTransaction>,
    /// Transactions with no postings.
    pub empty: Vec<i64>,
    /// Transaction ids named by postings but never recorded.
    pub orphan_postings: Vec<i64>,
    /// Posting account names that are not accounts.
    pub unknown_accounts: Vec<String>,
    /// Cached balances that differ from their postings.
    pub mismatches: Vec<BalanceMismatch>,
    /// Closed, billable CDRs that moved money but have no rating transaction.
    pub unposted_cdrs: Vec<CdrId>,
}

impl LedgerReport {
    /// Whether every invariant holds.
    pub fn is_clean(&self) -> bool {
        self.unbalanced.is_empty()
            && self.empty.is_empty()
            && self.orphan_postings.is_empty()
            && self.unknown_accounts.is_empty()
            && self.mismatches.is_empty()
            && self.unposted_cdrs.is_empty()
    }
}

impl Store {
    /// Checks the ledger: every transaction sums to zero, every cached
    /// balance equals its postings, every billable CDR was posted. Lists
    /// each offender. Reads everything: an operator's command, not a hot path.
    pub async fn ledger_check(&self) -> Result<LedgerReport, StoreError> {
        let mut report = LedgerReport::default();
        let (transactions,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM ledger_transactions")
            .fetch_one(&self.pool)
            .await?;
        let (postings,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM ledger_postings")
            .fetch_one(&self.pool)
            .await?;
        report.transactions = transactions as u64;
        report.postings = postings as u64;
        // CAST: PostgreSQL sums BIGINT as NUMERIC.
        report.unbalanced = sqlx::query_as::<_, (i64, i64)>(
            "SELECT transaction_id, CAST(SUM(amount_minor) AS BIGINT) FROM ledger_postings \
             GROUP BY transaction_id HAVING SUM(amount_minor) <> 0 ORDER BY transaction_id",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|(id, sum)| UnbalancedTransaction {
            id,
            sum: Money::from_minor(sum),
        })
        .collect();
        report.empty = ids(
            self,
            "SELECT t.id FROM ledger_transactions t WHERE NOT EXISTS \
             (SELECT 1 FROM ledger_postings p WHERE p.transaction_id = t.id) ORDER BY t.id",
        )
        .await?;
        report.orphan_postings = ids(
            self,
            "SELECT DISTINCT p.transaction_id FROM ledger_postings p WHERE NOT EXISTS \
             (SELECT 1 FROM ledger_transactions t WHERE t.id = p.transaction_id) ORDER BY p.transaction_id",
        )
        .await?;

        let posted: BTreeMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
            "SELECT account, CAST(SUM(amount_minor) AS BIGINT) FROM ledger_postings GROUP BY account",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .collect();
        report.unknown_accounts = posted
            .keys()
            .filter(|a| Account::parse(a).is_none())
            .cloned()
            .collect();
        let cached: BTreeMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
            "SELECT account, balance_minor FROM account_balances",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .collect();
        let mut accounts: Vec<&String> = posted.keys().chain(cached.keys()).collect();
        accounts.sort();
        accounts.dedup();
        for account in accounts {
            let p = posted.get(account).copied().unwrap_or(0);
            let c = cached.get(account).copied().unwrap_or(0);
            if p != c {
                report.mismatches.push(mismatch(
                    account.clone(),
                    BalanceCache::AccountBalances,
                    c,
                    p,
                ));
            }
        }
        for (buyer, balance) in
            sqlx::query_as::<_, (i64, i64)>("SELECT id, balance_minor FROM buyers ORDER BY id")
                .fetch_all(&self.pool)
                .await?
        {
            let account = Account::Buyer(crate::domain::BuyerId(buyer)).to_string();
            let p = posted.get(&account).copied().unwrap_or(0);
            if p != balance {
                report
                    .mismatches
                    .push(mismatch(account, BalanceCache::Buyers, balance, p));
            }
        }

        for (id,) in sqlx::query_as::<_, (String,)>(
            "SELECT c.id FROM cdrs c WHERE c.status = 'closed' AND c.billable = 1 \
             AND (c.charge_minor <> 0 OR c.payout_minor <> 0) \
             AND NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.cdr_id = c.id) ORDER BY c.id",
        )
        .fetch_all(&self.pool)
        .await?
        {
            report.unposted_cdrs.push(CdrId::new(id.clone()).map_err(|e| StoreError::Corrupt {
                what: format!("cdr id {id:?}"),
                detail: e.to_string(),
            })?);
        }
        Ok(report)
    }
}

fn mismatch(account: String, cache: BalanceCache, cached: i64, posted: i64) -> BalanceMismatch {
    BalanceMismatch {
        account,
        cache,
        cached: Money::from_minor(cached),
        posted: Money::from_minor(posted),
    }
}

async fn ids(store: &Store, sql: &str) -> Result<Vec<i64>, StoreError> {
    Ok(sqlx::query_as::<_, (i64,)>(sql)
        .fetch_all(&store.pool)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect())
}
