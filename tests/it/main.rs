//! End-to-end tests of the `dce` binary: one test binary, one module per concern.

mod api_auth;
mod api_bootstrap;
mod api_calls;
mod api_events;
mod api_limits;
mod api_market_crud;
mod api_market_live;
mod api_market_roles;
mod api_market_support;
mod api_schemathesis;
mod api_support;
mod api_tenancy;
mod billing_calls;
mod billing_outage;
mod cli_decide;
mod cli_import;
mod cli_lists;
mod media_calls;
mod metrics;
mod pg;
mod serve_health;
mod sip_calls;
mod sip_support;
mod sip_torture;
mod support;
