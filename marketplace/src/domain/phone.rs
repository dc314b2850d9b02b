//! Phone numbers in E.164, parsed once at the edge.

use super::nanp::{self, NpaInfo};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An E.164 number: a country code and subscriber digits, at most 15 digits.
///
/// Held as the integer value of its digits: E.164 digits never start with 0,
/// so the integer is unique and the number fits a register (and a DNC set of
/// ten million numbers fits 80 MB).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(u64);

/// Why a text is not a phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Characters other than digits, a leading `+`, and visual separators.
    #[error("not a phone number: only digits, an optional leading '+' and separators (space - . ( )) are allowed")]
    Syntax,
    /// E.164 allows 1 to 15 digits, not starting with 0.
    #[error("not E.164: 1 to 15 digits, not starting with 0")]
    Length,
}

/// The parts of a North American (country code 1) number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nanp {
    /// Area code.
    pub npa: u16,
    /// Central-office code.
    pub nxx: u16,
    /// Line number.
    pub line: u16,
}

impl PhoneNumber {
    /// Strict E.164: `+` and digits only, e.g. `+12125551234`.
    pub fn parse(text: &str) -> Result<PhoneNumber, PhoneError> {
        let digits = text.strip_prefix('+').ok_or(PhoneError::Syntax)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError::Syntax);
        }
        Self::from_digits(digits)
    }

    /// Lenient form for numbers as carriers send them (a SIP user part, a
    /// CSV line): drops visual separators, `tel:` and a `;param` tail, and
    /// reads 10 digits, or 11 starting with 1, as North American.
    pub fn normalize(text: &str) -> Result<PhoneNumber, PhoneError> {
        let text = text.trim();
        let text = text.strip_prefix("tel:").unwrap_or(text);
        let text = text.split(';').next().unwrap_or(text);
        let (plus, rest) = match text.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let mut digits = String::with_capacity(16);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(PhoneError::Syntax),
            }
        }
        if !plus && digits.len() == 10 {
            digits.insert(0, '1');
        }
        Self::from_digits(&digits)
    }

    fn from_digits(digits: &str) -> Result<PhoneNumber, PhoneError> {
        if digits.is_empty() || digits.len() > 15 || digits.starts_with('0') {
            return Err(PhoneError::Length);
        }
        digits
            .parse()
            .map(PhoneNumber)
            .map_err(|_| PhoneError::Length)
    }

    /// The integer value of the digits (the DNC set's key).
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// Rebuilds a number from [`PhoneNumber::as_u64`]; `None` if out of E.164 range.
    pub fn from_u64(value: u64) -> Option<PhoneNumber> {
        (value > 0 && value < 1_000_000_000_000_000).then_some(PhoneNumber(value))
    }

    /// Area code, office code and line, when this is a +1 number.
    pub fn nanp(self) -> Option<Nanp> {
        let n = self.0;
        if !(10_000_000_000..20_000_000_000).contains(&n) {
            return None;
        }
        let national = n - 10_000_000_000;
        Some(Nanp {
            npa: (national / 10_000_000) as u16,
            nxx: (national / 10_000 % 1000) as u16,
            line: (national % 10_000) as u16,
        })
    }

    /// Where the number's area code is, for +1 numbers with a geographic area code.
    pub fn location(self) -> Option<&'static NpaInfo> {
        self.nanp().and_then(|n| nanp::npa_info(n.npa))
    }

    /// Whether a +1 number has a possible area code and office code: a
    /// geographic or toll-free area code and an NXX that is not N11 or 0/1xx.
    /// Numbers outside North America are judged by E.164 length alone.
    pub fn is_plausible(self) -> bool {
        match self.nanp() {
            Some(n) => {
                (nanp::npa_info(n.npa).is_some() || nanp::is_toll_free(n.npa))
                    && nanp::is_valid_nxx(n.nxx)
            }
            None => self.0 >= 1_000_000,
        }
    }

    /// A form safe for logs: the last four digits masked.
    pub fn redacted(self) -> Redacted {
        Redacted(self)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

/// Phone numbers are personal data: `Debug` masks them so a stray `{:?}` in a log does not leak one.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.redacted())
    }
}

/// A phone number printed with its last four digits masked.
pub struct Redacted(PhoneNumber);

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0 .0.to_string();
        let keep = digits.len().saturating_sub(4);
        write!(f, "+{}****", &digits[..keep])
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        PhoneNumber::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Who is calling, as far as the signalling says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A caller id that parsed as a number (which may still be implausible).
    Number(PhoneNumber),
    /// Caller id withheld (`anonymous`, `Privacy: id`, empty).
    Anonymous,
    /// Something that is not a phone number at all.
    Invalid,
}

impl Caller {
    /// Reads a caller id as a carrier sends it (From / P-Asserted-Identity user part).
    pub fn from_user(user: &str) -> Caller {
        let trimmed = user.trim();
        if trimmed.is_empty()
            || trimmed.eq_ignore_ascii_case("anonymous")
            || trimmed.eq_ignore_ascii_case("restricted")
            || trimmed.eq_ignore_ascii_case("unavailable")
        {
            return Caller::Anonymous;
        }
        match PhoneNumber::normalize(trimmed) {
            Ok(n) => Caller::Number(n),
            Err(_) => Caller::Invalid,
        }
    }

    /// The number, when there is one.
    pub fn number(self) -> Option<PhoneNumber> {
        match self {
            Caller::Number(n) => Some(n),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_parse_takes_e164_only() {
        assert_eq!(
            PhoneNumber::parse("+12125551234").map(|n| n.as_u64()),
            Ok(12125551234)
        );
        assert_eq!(PhoneNumber::parse("12125551234"), Err(PhoneError::Syntax));
        assert_eq!(PhoneNumber::parse("+0125551234"), Err(PhoneError::Length));
        assert_eq!(
            PhoneNumber::parse("+1234567890123456"),
            Err(PhoneError::Length)
        );
        assert_eq!(PhoneNumber::parse("+1212555123x"), Err(PhoneError::Syntax));
        assert_eq!(PhoneNumber::parse("+"), Err(PhoneError::Length));
    }

    #[test]
    fn normalize_reads_what_carriers_send() {
        let n = PhoneNumber::parse("+12125551234").unwrap();
        for text in [
            "2125551234",
            "12125551234",
            "+1 (212) 555-1234",
            "tel:+1-212-555-1234",
            "212.555.1234",
            "+12125551234;npdi",
        ] {
            assert_eq!(PhoneNumber::normalize(text), Ok(n), "{text}");
        }
        assert_eq!(
            PhoneNumber::normalize("+442071234567").map(|n| n.to_string()),
            Ok("+442071234567".into())
        );
    }

    #[test]
    fn nanp_parts_and_location() {
        let n = PhoneNumber::parse("+12125551234").unwrap();
        assert_eq!(
            n.nanp(),
            Some(Nanp {
                npa: 212,
                nxx: 555,
                line: 1234
            })
        );
        assert_eq!(n.location().map(|l| l.region), Some("NY"));
        assert_eq!(PhoneNumber::parse("+442071234567").unwrap().nanp(), None);
    }

    #[test]
    fn plausibility_follows_nanp_rules() {
        let p = |s: &str| PhoneNumber::parse(s).unwrap().is_plausible();
        assert!(p("+12125551234"));
        assert!(p("+18005550100"));
        assert!(!p("+11115551234"), "area code starting with 1");
        assert!(!p("+12124111234"), "N11 office code");
        assert!(!p("+12120551234"), "office code starting with 0");
        assert!(!p("+15555551234"), "555 is not an area code");
    }

    #[test]
    fn caller_ids() {
        assert_eq!(Caller::from_user("anonymous"), Caller::Anonymous);
        assert_eq!(Caller::from_user(""), Caller::Anonymous);
        assert_eq!(Caller::from_user("bob"), Caller::Invalid);
        assert!(matches!(
            Caller::from_user("+12125551234"),
            Caller::Number(_)
        ));
    }

    #[test]
    fn debug_and_redacted_hide_the_line() {
        let n = PhoneNumber::parse("+12125551234").unwrap();
        assert_eq!(format!("{n:?}"), "+1212555****");
        assert_eq!(n.to_string(), "+12125551234");
    }
}
