//! CDRs: an answered call's opened at answer, closed and rated at hangup in
//! one database transaction; an unanswered call's written once, closed.

use super::cdr_row::{self, StoredCdr, COLUMNS};
use super::ledger::{post, BillingError};
use super::{now_ms, Store, StoreError};
use crate::billing::{BalancedTransaction, Cdr, CdrId, Rating};

/// What [`Store::close_cdr`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closed {
    /// The CDR is now closed and rated; `transaction` is its ledger
    /// transaction, `None` when the call moved no money.
    Rated {
        /// The rating written.
        rating: Rating,
        /// The rating's ledger transaction id.
        transaction: Option<i64>,
    },
    /// The CDR was already closed: nothing was written.
    AlreadyClosed,
}

fn insert_sql() -> String {
    let params: Vec<String> = (1..=COLUMNS.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO cdrs ({}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
        COLUMNS.join(", "),
        params.join(", ")
    )
}

fn close_sql() -> String {
    let sets: Vec<String> = COLUMNS
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    format!(
        "UPDATE cdrs SET {} WHERE id = $1 AND status = 'open'",
        sets.join(", ")
    )
}

fn select_sql(tail: &str) -> String {
    format!("SELECT {} FROM cdrs {tail}", COLUMNS.join(", "))
}

impl Store {
    /// Records an answered call as open. Idempotent by id: `false` when a
    /// record with this id exists already (open or closed), which is left
    /// alone. A call no buyer answered is refused ([`BillingError::NotAnswered`]):
    /// it has nothing to recover, so it is only ever written closed.
    pub async fn open_cdr(&self, cdr: &Cdr) -> Result<bool, BillingError> {
        let Some(answered_at) = cdr.answered_at_ms else {
            return Err(BillingError::NotAnswered(cdr.id.clone()));
        };
        let sql = insert_sql();
        let q = cdr_row::bind(sqlx::query(&sql), cdr, answered_at, None)?;
        Ok(q.execute(&self.pool).await?.rows_affected() == 1)
    }

    /// Notes that an open call was still up at `at_ms`, so a crash recovery
    /// bills it up to there. `false` if no open CDR has this id.
    pub async fn touch_cdr(&self, id: &CdrId, at_ms: i64) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE cdrs SET last_seen_at = $2 WHERE id = $1 AND status = 'open' AND last_seen_at < $2",
        )
        .bind(id.as_str())
        .bind(at_ms)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Completes an ended call's record and writes its rating transaction,
    /// in one database transaction. `rating` must be `cdr.rate()`. The
    /// stored timeline is `cdr`'s with [`CallEvent::Rated`](crate::billing::CallEvent::Rated)
    /// appended (see [`Cdr::rated`]).
    ///
    /// Idempotent by CDR id: a CDR already closed is left as it is and the
    /// answer is [`Closed::AlreadyClosed`]. A CDR never opened (a call no
    /// buyer answered, or the database was away at answer time) is
    /// inserted closed. A call no buyer answered moves no money: no
    /// ledger transaction.
    pub async fn close_cdr(&self, cdr: &Cdr, rating: &Rating) -> Result<Closed, BillingError> {
        let end = cdr
            .end
            .as_ref()
            .ok_or_else(|| BillingError::NotEnded(cdr.id.clone()))?;
        if cdr.rate()? != *rating {
            return Err(BillingError::RatingMismatch(cdr.id.clone()));
        }
        let transaction = match cdr.buyer {
            Some(buyer) => BalancedTransaction::call_rating(
                rating,
                buyer,
                cdr.seller,
                format!("call {}", cdr.id),
            )?,
            // `rate` gives an unanswered call `NOT_BILLABLE`.
            None => None,
        };
        let now = now_ms();
        let cdr = &cdr.clone().rated(now, rating);
        let mut tx = self.pool.begin().await?;
        let sql = insert_sql();
        let inserted = cdr_row::bind(sqlx::query(&sql), cdr, end.ended_at_ms, Some((rating, now)))?
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if inserted == 0 {
            // The row is locked from here to commit, so a concurrent close
            // of the same CDR waits and then finds it closed.
            let sql = close_sql();
            let updated =
                cdr_row::bind(sqlx::query(&sql), cdr, end.ended_at_ms, Some((rating, now)))?
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if updated == 0 {
                tx.rollback().await?;
                return Ok(Closed::AlreadyClosed);
            }
        }
        let transaction = match &transaction {
            Some(t) => Some(post(&mut tx, t, Some(&cdr.id), now).await?),
            None => None,
        };
        tx.commit().await?;
        tracing::info!(cdr = %cdr.id, charge = %rating.charge(), billable = rating.billable(), "call rated");
        Ok(Closed::Rated {
            rating: *rating,
            transaction,
        })
    }

    /// CDRs that arrived at or after `since_ms` (Unix ms), oldest first, at most `limit`.
    pub async fn list_cdrs(&self, since_ms: i64, limit: u32) -> Result<Vec<StoredCdr>, StoreError> {
        let sql = select_sql("WHERE arrived_at >= $1 ORDER BY arrived_at, id LIMIT $2");
        sqlx::query(&sql)
            .bind(since_ms)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(cdr_row::read)
            .collect()
    }

    /// One CDR by id.
    pub async fn cdr(&self, id: &CdrId) -> Result<Option<StoredCdr>, StoreError> {
        let sql = select_sql("WHERE id = $1");
        sqlx::query(&sql)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(cdr_row::read)
            .transpose()
    }

    /// CDRs still open: after a crash, the answered calls the switch lost
    /// (a call no buyer answered is never open).
    pub async fn open_cdrs(&self) -> Result<Vec<StoredCdr>, StoreError> {
        let sql = select_sql("WHERE status = 'open' ORDER BY arrived_at, id");
        sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(cdr_row::read)
            .collect()
    }

    /// Crash recovery in one call: closes every open CDR at its last known
    /// time with cause `switch_restart`, and rates it. Run at startup,
    /// before the switch takes calls (a call of this node still up would be
    /// closed too early; with several nodes, run it for this node's calls only).
    pub async fn recover_open_cdrs(&self) -> Result<Vec<(CdrId, Closed)>, BillingError> {
        let mut done = Vec::new();
        for stored in self.open_cdrs().await? {
            let cdr = stored.recovered();
            let rating = cdr.rate()?;
            let closed = self.close_cdr(&cdr, &rating).await?;
            tracing::info!(cdr = %cdr.id, "open call closed at recovery");
            done.push((cdr.id, closed));
        }
        Ok(done)
    }
}
