//! Call-recording disclosure: where every party must consent to a recording.

/// States whose wiretap laws require the consent of every party to record a
/// call (all-party consent): California, Connecticut, Delaware, Florida,
/// Illinois, Maryland, Massachusetts, Michigan, Montana, Nevada, New
/// Hampshire, Oregon, Pennsylvania and Washington. DCE plays or requires a
/// disclosure for callers from these states whenever a campaign records.
pub const ALL_PARTY_CONSENT_STATES: [&str; 14] = [
    "CA", "CT", "DE", "FL", "IL", "MA", "MD", "MI", "MT", "NH", "NV", "OR", "PA", "WA",
];

/// Whether a recorded call from a caller in `state` needs a recording
/// disclosure. An unknown location is treated as needing one: the safe side.
pub fn disclosure_required(recording: bool, state: Option<&str>) -> bool {
    recording && state.is_none_or(|s| ALL_PARTY_CONSENT_STATES.contains(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_party_states_and_unknown_callers_need_a_disclosure() {
        assert!(disclosure_required(true, Some("CA")));
        assert!(disclosure_required(true, Some("FL")));
        assert!(disclosure_required(true, None));
        assert!(!disclosure_required(true, Some("NY")));
        assert!(!disclosure_required(false, Some("CA")));
    }
}
