//! Calling windows for legs placed *to* a consumer: when a call may ring,
//! by the called party's local time.
//!
//! Federal rule (47 CFR § 64.1200(c)(1)): 8:00 to 21:00 at the called
//! party's location. Stricter state rules override it. Windows are
//! start-inclusive and end-exclusive: a call at 20:59 is allowed, one at
//! 21:00 is not.

use crate::domain::{LocalTime, PhoneNumber};
use chrono::{DateTime, Utc};

/// The hours and call limits in force for a called party.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowRule {
    /// Whose rule: `"federal"` or a state code.
    pub authority: &'static str,
    /// Per weekday (0 = Monday): `(open, close)` minutes after local
    /// midnight, close exclusive; `None` means no calls that day.
    pub hours: [Option<(u16, u16)>; 7],
    /// Most calls to the same party in 24 hours, where the state limits it.
    pub max_calls_per_24h: Option<u32>,
}

const H: u16 = 60;
const EVERY_DAY_8_TO_21: [Option<(u16, u16)>; 7] = [Some((8 * H, 21 * H)); 7];
const EVERY_DAY_8_TO_20: [Option<(u16, u16)>; 7] = [Some((8 * H, 20 * H)); 7];

/// The federal rule.
pub const FEDERAL: WindowRule = WindowRule {
    authority: "federal",
    hours: EVERY_DAY_8_TO_21,
    max_calls_per_24h: None,
};

/// State rules stricter than the federal one.
///
/// - FL: Fla. Stat. § 501.059(8)(a), 8:00–20:00, at most 3 calls in 24 h.
/// - OK: Okla. Stat. tit. 15 § 775C.4, 8:00–20:00, at most 3 calls in 24 h.
/// - MD: Md. Com. Law § 14-4503 (2023), 8:00–20:00, at most 3 calls in 24 h.
/// - WA: RCW 80.36.390, 8:00–20:00.
/// - TX: Tex. Bus. & Com. Code § 301.051, 9:00–21:00 Monday to Saturday,
///   12:00–21:00 on Sunday.
pub const STATE_RULES: [WindowRule; 5] = [
    WindowRule {
        authority: "FL",
        hours: EVERY_DAY_8_TO_20,
        max_calls_per_24h: Some(3),
    },
    WindowRule {
        authority: "OK",
        hours: EVERY_DAY_8_TO_20,
        max_calls_per_24h: Some(3),
    },
    WindowRule {
        authority: "MD",
        hours: EVERY_DAY_8_TO_20,
        max_calls_per_24h: Some(3),
    },
    WindowRule {
        authority: "WA",
        hours: EVERY_DAY_8_TO_20,
        max_calls_per_24h: None,
    },
    WindowRule {
        authority: "TX",
        hours: [
            Some((9 * H, 21 * H)),
            Some((9 * H, 21 * H)),
            Some((9 * H, 21 * H)),
            Some((9 * H, 21 * H)),
            Some((9 * H, 21 * H)),
            Some((9 * H, 21 * H)),
            Some((12 * H, 21 * H)),
        ],
        max_calls_per_24h: None,
    },
];

/// Why a call to a consumer may not be placed now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WindowViolation {
    /// Outside the hours of the rule in force.
    #[error("outside calling hours ({authority} rule, called party's local time)")]
    OutsideHours {
        /// `"federal"` or the state whose rule applies.
        authority: &'static str,
    },
    /// The state's limit of calls per 24 hours is reached.
    #[error("{authority} allows at most {limit} calls in 24 hours")]
    TooManyCalls {
        /// The state.
        authority: &'static str,
        /// Its limit.
        limit: u32,
    },
    /// The called party's location (hence local time) is unknown: not called.
    #[error("called party's location unknown, so its local time is too")]
    UnknownLocation,
}

/// The rule in force for a called party in `state`.
pub fn rule_for(state: &str) -> &'static WindowRule {
    STATE_RULES
        .iter()
        .find(|r| r.authority == state)
        .unwrap_or(&FEDERAL)
}

/// Whether a call may be placed to `callee` at `now`, given how many calls
/// it already received in the last 24 hours.
pub fn check_calling_window(
    callee: PhoneNumber,
    now: DateTime<Utc>,
    calls_last_24h: u32,
) -> Result<(), WindowViolation> {
    let place = callee.location().ok_or(WindowViolation::UnknownLocation)?;
    let rule = rule_for(place.region);
    let local = LocalTime::of(now, place.tz);
    let open = rule.hours[local.weekday as usize]
        .is_some_and(|(from, to)| (from..to).contains(&local.minute));
    if !open {
        return Err(WindowViolation::OutsideHours {
            authority: rule.authority,
        });
    }
    match rule.max_calls_per_24h {
        Some(limit) if calls_last_24h >= limit => Err(WindowViolation::TooManyCalls {
            authority: rule.authority,
            limit,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Tz;

    fn at(tz: Tz, d: u32, h: u32, m: u32) -> DateTime<Utc> {
        // November 2026: the 23rd is a Monday, the 22nd a Sunday.
        tz.with_ymd_and_hms(2026, 11, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }
    fn n(s: &str) -> PhoneNumber {
        PhoneNumber::parse(s).unwrap()
    }

    #[test]
    fn federal_window_boundaries_in_the_called_partys_zone() {
        let ny = n("+12125551234");
        let tz = chrono_tz::America::New_York;
        let outside = Err(WindowViolation::OutsideHours {
            authority: "federal",
        });
        assert_eq!(check_calling_window(ny, at(tz, 23, 7, 59), 0), outside);
        assert_eq!(check_calling_window(ny, at(tz, 23, 8, 0), 0), Ok(()));
        assert_eq!(check_calling_window(ny, at(tz, 23, 20, 59), 0), Ok(()));
        assert_eq!(check_calling_window(ny, at(tz, 23, 21, 0), 0), outside);
    }

    #[test]
    fn the_called_partys_zone_not_the_callers() {
        let la = n("+13105551234");
        // 23:30 in New York is 20:30 in Los Angeles: allowed there.
        let when = at(chrono_tz::America::New_York, 23, 23, 30);
        assert_eq!(check_calling_window(la, when, 0), Ok(()));
    }

    #[test]
    fn florida_closes_at_eight_and_limits_calls() {
        let miami = n("+13055551234");
        let tz = chrono_tz::America::New_York;
        assert_eq!(check_calling_window(miami, at(tz, 23, 19, 59), 2), Ok(()));
        assert_eq!(
            check_calling_window(miami, at(tz, 23, 20, 0), 0),
            Err(WindowViolation::OutsideHours { authority: "FL" })
        );
        assert_eq!(
            check_calling_window(miami, at(tz, 23, 12, 0), 3),
            Err(WindowViolation::TooManyCalls {
                authority: "FL",
                limit: 3
            })
        );
    }

    #[test]
    fn oklahoma_boundaries() {
        let okc = n("+14055551234");
        let tz = chrono_tz::America::Chicago;
        assert_eq!(
            check_calling_window(okc, at(tz, 23, 7, 59), 0),
            Err(WindowViolation::OutsideHours { authority: "OK" })
        );
        assert_eq!(check_calling_window(okc, at(tz, 23, 8, 0), 0), Ok(()));
        assert_eq!(check_calling_window(okc, at(tz, 23, 19, 59), 0), Ok(()));
        assert_eq!(
            check_calling_window(okc, at(tz, 23, 20, 0), 0),
            Err(WindowViolation::OutsideHours { authority: "OK" })
        );
    }

    #[test]
    fn texas_sunday_opens_at_noon() {
        let dallas = n("+12145551234");
        let tz = chrono_tz::America::Chicago;
        assert!(check_calling_window(dallas, at(tz, 22, 11, 59), 0).is_err());
        assert_eq!(check_calling_window(dallas, at(tz, 22, 12, 0), 0), Ok(()));
        assert!(check_calling_window(dallas, at(tz, 23, 8, 59), 0).is_err());
        assert_eq!(check_calling_window(dallas, at(tz, 23, 9, 0), 0), Ok(()));
    }

    #[test]
    fn unknown_location_is_not_called() {
        assert_eq!(
            check_calling_window(n("+442071234567"), at(Tz::UTC, 23, 12, 0), 0),
            Err(WindowViolation::UnknownLocation)
        );
    }
}
