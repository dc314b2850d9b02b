//! Call control: the only place a SIP dialog, a relay session and an
//! auction decision meet.
//!
//! - `core`: the B2BUA, sans-IO: one inbound leg and its buyer attempts per
//!   call, over the transaction layer of `dce-sip`.
//! - `call`: one call's state; `legs`: the messages of each leg.
//! - `job`: the auction and counter slots the core asks for.
//! - `trace`: per-call SIP traces for the NOC, shared with the API.
//! - `live`: the live events of a call, for `observe`'s bus.
//! - `driver`: the tokio task that runs the core.

mod billing;
mod call;
mod core;
mod driver;
mod job;
mod legs;
mod live;
mod media;
mod stats;
mod trace;
mod uas;

#[cfg(test)]
mod tests;

pub use self::core::{CoreConfig, SwitchCore};
#[cfg(test)]
pub use call::AttemptState;
pub use call::EndCause;
pub use driver::Driver;
pub use job::{Ledger, Services};
pub use stats::SwitchStats;
pub use trace::{Direction, Trace, TraceEntry, TraceStore};
