//! Billing: call records, rating, and the double-entry ledger.
//!
//! - `cdr`: [`Cdr`], the record of one inbound call, answered or not, and
//!   the [`Terms`] an answered call was sold under.
//! - `timeline`: [`TimelineEvent`]s, what happened to a call, in order.
//! - `rating`: [`rate`], pure: billable or not, charge, payout, margin.
//! - `ledger`: [`Account`]s and [`BalancedTransaction`]s, which cannot be
//!   built unless their postings sum to zero.
//!
//! The switch's part: at answer, `Terms::new(campaign, decision, ranked)`
//! and `Store::open_cdr`; while up, `Store::touch_cdr` now and then; at
//! hangup, `cdr.closed(end)`, `cdr.rate()` and `Store::close_cdr` (or
//! `Spool::append` when the database is away); at startup,
//! `Store::recover_open_cdrs` and `Spool::replay`. A call no buyer answered
//! skips the first two: its CDR is built when it ends and closed at once.
//!
//! Writing them (in one database transaction per call), the balances and the
//! local spool for when the database is away live in [`crate::store`]. The
//! rules are in `docs/billing.md`.

mod cdr;
mod ledger;
mod rating;
mod timeline;

pub use cdr::{
    Attempt, AttemptOutcome, CallEnd, Cdr, CdrId, DecisionRecord, ExcludedRecord, HangupCause,
    HungUpBy, InvalidCdrId, RankedRecord,
};
pub use ledger::{
    Account, BalancedTransaction, Posting, TransactionBuilder, TransactionKind, Unbalanced,
};
pub use rating::{rate, Rating, RatingError, Terms};
pub use timeline::{CallEvent, TimelineEvent};

/// A `Duration` as whole milliseconds in records (JSON lines, the spool).
pub(crate) mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}
