//! End-to-end tests of the `dce` binary: one test binary, one module per concern.

mod billing_calls;
mod billing_outage;
mod cli_decide;
mod cli_import;
mod cli_lists;
mod pg;
mod serve_health;
mod sip_calls;
mod sip_support;
mod sip_torture;
mod support;
