//! The DCE marketplace: the business of the switch, without SIP.
//!
//! - [`domain`]: ids, [`domain::Money`] (integer minor units),
//!   [`domain::PhoneNumber`] (E.164, with NANP facts), schedules, entities.
//! - [`billing`]: call records, rating and the double-entry ledger (pure).
//! - [`snapshot`]: the immutable in-memory [`Market`], swapped atomically.
//! - [`auction`]: [`decide`] (compliance, fraud, eligibility, ranking) and
//!   real-time bidding.
//! - [`compliance`]: DNC/litigator/suppression lists, calling windows,
//!   recording disclosure.
//! - [`fraud`]: caller screening.
//! - [`counters`]: concurrency, caps, budgets and caller history, in
//!   process or in Redis.
//! - [`store`]: SQLite or PostgreSQL, the market file importer, CDRs and
//!   the ledger, and the spool that keeps CDRs while the database is away.
//!
//! The call path: `gather` the caller's history and RTB bids, `decide` on
//! the current snapshot, then `acquire` a counter slot at the target the
//! switch tries. Nothing below `store` and `counters` is async or does I/O.
#![warn(missing_docs, unreachable_pub)]

pub mod auction;
pub mod billing;
pub mod compliance;
pub mod counters;
pub mod domain;
pub mod fraud;
pub mod market_file;
pub mod snapshot;
pub mod store;

pub use auction::{decide, CallFacts, Decision, Reason};
pub use snapshot::{Market, MarketData, MarketHandle};
