//! Compliance: number lists, calling windows and recording disclosure.

mod disclosure;
mod lists;
mod window;

pub use disclosure::{disclosure_required, ALL_PARTY_CONSENT_STATES};
pub use lists::{Lists, NumberSet};
pub use window::{
    check_calling_window, rule_for, WindowRule, WindowViolation, FEDERAL, STATE_RULES,
};
