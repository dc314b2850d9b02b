//! Weekly opening hours in a time zone: `"Mon-Fri 08:00-20:00, Sat 10:00-14:00"` or `"24/7"`.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use std::fmt;

/// When a target takes calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    tz: Tz,
    /// `None`: open around the clock.
    windows: Option<Vec<Window>>,
    spec: String,
}

/// One line of opening hours: a set of weekdays and a span of minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    /// Bit `d` set: open on weekday `d` (0 = Monday).
    days: u8,
    /// Minutes after local midnight, start inclusive.
    start: u16,
    /// Minutes after local midnight, end exclusive; below `start` means the
    /// window runs past midnight into the next day.
    end: u16,
}

/// Why a schedule text is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Unknown IANA time zone name.
    #[error("unknown time zone {0:?} (use an IANA name like \"America/New_York\")")]
    TimeZone(String),
    /// A window that is not `Days HH:MM-HH:MM`.
    #[error(
        "cannot read {0:?}: expected \"Mon-Fri 08:00-20:00\" windows joined by commas, or \"24/7\""
    )]
    Syntax(String),
    /// A day name other than Mon..Sun.
    #[error("unknown day {0:?} (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)")]
    Day(String),
    /// A time outside 00:00..=24:00.
    #[error("bad time {0:?} (use HH:MM, 00:00 to 24:00)")]
    Time(String),
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Schedule {
    /// Parses a time zone name and an opening-hours text.
    pub fn parse(tz: &str, open: &str) -> Result<Schedule, ScheduleError> {
        let tz: Tz = tz
            .parse()
            .map_err(|_| ScheduleError::TimeZone(tz.to_string()))?;
        let spec = open.trim().to_string();
        if spec == "24/7" {
            return Ok(Schedule {
                tz,
                windows: None,
                spec,
            });
        }
        let windows = spec
            .split(',')
            .map(|part| parse_window(part.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Schedule {
            tz,
            windows: Some(windows),
            spec,
        })
    }

    /// The time zone the hours are in.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The opening-hours text as given.
    pub fn spec(&self) -> &str {
        &self.spec
    }

    /// Whether the schedule is open at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.is_open_local(LocalTime::of(now, self.tz))
    }

    /// Whether the schedule is open at a local time already computed in its zone.
    pub fn is_open_local(&self, local: LocalTime) -> bool {
        let Some(windows) = &self.windows else {
            return true;
        };
        let yesterday = (local.weekday + 6) % 7;
        windows.iter().any(|w| {
            if w.start < w.end {
                w.days & (1 << local.weekday) != 0 && (w.start..w.end).contains(&local.minute)
            } else {
                // Past midnight: the evening part belongs to today's window,
                // the small hours to yesterday's.
                (w.days & (1 << local.weekday) != 0 && local.minute >= w.start)
                    || (w.days & (1 << yesterday) != 0 && local.minute < w.end)
            }
        })
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.spec, self.tz.name())
    }
}

/// A moment as seen on a wall clock in some zone: what schedules and caps need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// 0 = Monday.
    pub weekday: u8,
    /// Minutes after local midnight.
    pub minute: u16,
    /// Days since 1970-01-01 in local time (for daily buckets).
    pub day: i32,
    /// Local hour 0..24.
    pub hour: u8,
    /// `year * 12 + month0` (for monthly buckets).
    pub month: i32,
}

impl LocalTime {
    /// `now` on the wall clock of `tz`.
    pub fn of(now: DateTime<Utc>, tz: Tz) -> LocalTime {
        let local = now.with_timezone(&tz);
        let date = local.date_naive();
        LocalTime {
            weekday: date.weekday().num_days_from_monday() as u8,
            minute: (local.hour() * 60 + local.minute()) as u16,
            day: date.num_days_from_ce() - 719_163,
            hour: local.hour() as u8,
            month: date.year() * 12 + date.month0() as i32,
        }
    }

    /// A bucket id for hourly caps.
    pub fn hour_bucket(&self) -> u32 {
        (self.day as u32)
            .wrapping_mul(24)
            .wrapping_add(self.hour as u32)
    }

    /// A bucket id for daily caps and budgets.
    pub fn day_bucket(&self) -> u32 {
        self.day as u32
    }

    /// A bucket id for monthly caps.
    pub fn month_bucket(&self) -> u32 {
        self.month as u32
    }
}

fn parse_window(text: &str) -> Result<Window, ScheduleError> {
    let syntax = || ScheduleError::Syntax(text.to_string());
    let (days, hours) = text.split_once(char::is_whitespace).ok_or_else(syntax)?;
    let (start, end) = hours.trim().split_once('-').ok_or_else(syntax)?;
    let start = parse_time(start.trim())?;
    let end = parse_time(end.trim())?;
    if start == end || start == 24 * 60 {
        return Err(syntax());
    }
    Ok(Window {
        days: parse_days(days)?,
        start,
        end: if end == 24 * 60 && start < end {
            end
        } else {
            end % (24 * 60)
        },
    })
}

fn parse_days(text: &str) -> Result<u8, ScheduleError> {
    let day = |name: &str| {
        DAYS.iter()
            .position(|d| d.eq_ignore_ascii_case(name))
            .ok_or_else(|| ScheduleError::Day(name.to_string()))
    };
    if text.eq_ignore_ascii_case("daily") {
        return Ok(0x7f);
    }
    match text.split_once('-') {
        None => Ok(1 << day(text)?),
        Some((from, to)) => {
            let (from, to) = (day(from)?, day(to)?);
            let mut mask = 0u8;
            let mut d = from;
            loop {
                mask |= 1 << d;
                if d == to {
                    break;
                }
                d = (d + 1) % 7;
            }
            Ok(mask)
        }
    }
}

fn parse_time(text: &str) -> Result<u16, ScheduleError> {
    let bad = || ScheduleError::Time(text.to_string());
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn weekday_hours_are_start_inclusive_end_exclusive() {
        let s = Schedule::parse("America/New_York", "Mon-Fri 08:00-20:00").unwrap();
        let ny = chrono_tz::America::New_York;
        // 2026-11-23 is a Monday.
        assert!(!s.is_open(at(ny, 2026, 11, 23, 7, 59)));
        assert!(s.is_open(at(ny, 2026, 11, 23, 8, 0)));
        assert!(s.is_open(at(ny, 2026, 11, 23, 19, 59)));
        assert!(!s.is_open(at(ny, 2026, 11, 23, 20, 0)));
        assert!(!s.is_open(at(ny, 2026, 11, 22, 12, 0)), "Sunday");
    }

    #[test]
    fn several_windows_and_24_7() {
        let s = Schedule::parse("UTC", "Mon-Fri 08:00-20:00, Sat 10:00-14:00").unwrap();
        assert!(s.is_open(at(Tz::UTC, 2026, 11, 21, 10, 0)), "Saturday");
        assert!(!s.is_open(at(Tz::UTC, 2026, 11, 21, 14, 0)));
        let always = Schedule::parse("UTC", "24/7").unwrap();
        assert!(always.is_open(at(Tz::UTC, 2026, 11, 22, 3, 0)));
    }

    #[test]
    fn windows_past_midnight_and_wrapping_day_ranges() {
        let s = Schedule::parse("UTC", "Fri-Sat 22:00-02:00").unwrap();
        assert!(s.is_open(at(Tz::UTC, 2026, 11, 20, 23, 0)), "Friday night");
        assert!(
            s.is_open(at(Tz::UTC, 2026, 11, 21, 1, 59)),
            "Saturday small hours"
        );
        assert!(!s.is_open(at(Tz::UTC, 2026, 11, 21, 2, 0)));
        assert!(
            s.is_open(at(Tz::UTC, 2026, 11, 22, 1, 0)),
            "Sunday small hours from Saturday"
        );
        assert!(
            !s.is_open(at(Tz::UTC, 2026, 11, 20, 1, 0)),
            "Friday small hours belong to Thursday"
        );
        let weekend = Schedule::parse("UTC", "Sat-Sun 00:00-24:00").unwrap();
        assert!(weekend.is_open(at(Tz::UTC, 2026, 11, 22, 23, 59)));
        assert!(!weekend.is_open(at(Tz::UTC, 2026, 11, 23, 0, 0)));
    }

    #[test]
    fn follows_daylight_saving() {
        let s = Schedule::parse("America/Los_Angeles", "Daily 09:00-17:00").unwrap();
        // 16:30 UTC is 09:30 PDT in July and 08:30 PST in January.
        assert!(s.is_open(at(Tz::UTC, 2026, 7, 1, 16, 30)));
        assert!(!s.is_open(at(Tz::UTC, 2026, 1, 7, 16, 30)));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(matches!(
            Schedule::parse("Mars/Olympus", "24/7"),
            Err(ScheduleError::TimeZone(_))
        ));
        assert!(matches!(
            Schedule::parse("UTC", "Mon-Fri"),
            Err(ScheduleError::Syntax(_))
        ));
        assert!(matches!(
            Schedule::parse("UTC", "Mon-Fry 08:00-20:00"),
            Err(ScheduleError::Day(_))
        ));
        assert!(matches!(
            Schedule::parse("UTC", "Mon 25:00-26:00"),
            Err(ScheduleError::Time(_))
        ));
        assert!(matches!(
            Schedule::parse("UTC", "Mon 8:00-20:00"),
            Err(ScheduleError::Time(_))
        ));
        assert!(matches!(
            Schedule::parse("UTC", "Mon 08:00-08:00"),
            Err(ScheduleError::Syntax(_))
        ));
    }
}
