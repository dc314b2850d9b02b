//! The marketplace's integration tests: one binary, one module per concern.

mod billing_fixture;
mod billing_rating;
mod cdr_recovery;
mod decide_matches_reference;
mod exclusion_reasons;
mod ledger_integrity;
mod ledger_migration;
mod ranking_strategies;
mod redis_counters;
mod rtb_bidding;
mod services;
mod slots_and_limits;
mod spool_replay;
mod store_backends;
mod support;
