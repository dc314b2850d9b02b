//! The marketplace's integration tests: one binary, one module per concern.

mod decide_matches_reference;
mod exclusion_reasons;
mod ranking_strategies;
mod redis_counters;
mod rtb_bidding;
mod services;
mod slots_and_limits;
mod store_backends;
mod support;
