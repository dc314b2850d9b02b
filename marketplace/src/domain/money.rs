//! Money as integer minor units (cents). Never a float: every sum is exact.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An amount in minor units of the deployment's currency (cents for USD).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// Why a text is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not of the form `123`, `123.4` or `123.45` (optionally negative).
    #[error("not an amount: expected digits with at most two decimals, like \"12.50\"")]
    Syntax,
    /// More than two decimal places would need rounding, which money never does.
    #[error("more than two decimal places")]
    TooPrecise,
    /// Does not fit in 64 bits of minor units.
    #[error("amount too large")]
    Overflow,
}

impl Money {
    /// Nothing.
    pub const ZERO: Money = Money(0);

    /// An amount of `minor` units (cents).
    pub const fn from_minor(minor: i64) -> Money {
        Money(minor)
    }

    /// The amount in minor units.
    pub const fn minor(self) -> i64 {
        self.0
    }

    /// Parses `"12.50"`, `"12.5"`, `"12"` or `"-3.00"`; rejects anything that would round.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, frac) = match digits.split_once('.') {
            Some((w, f)) => (w, f),
            None => (digits, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(frac) {
            return Err(MoneyError::Syntax);
        }
        if digits.contains('.') && frac.is_empty() {
            return Err(MoneyError::Syntax);
        }
        if frac.len() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        let whole: i64 = whole.parse().map_err(|_| MoneyError::Overflow)?;
        let mut cents: i64 = frac.parse().unwrap_or(0);
        if frac.len() == 1 {
            cents *= 10;
        }
        let minor = whole
            .checked_mul(100)
            .and_then(|m| m.checked_add(cents))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money(if negative { -minor } else { minor }))
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// `self × n`, or `None` on overflow.
    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }

    /// Whether the amount is below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Money::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_exact_amounts() {
        assert_eq!(Money::parse("12.50"), Ok(Money(1250)));
        assert_eq!(Money::parse("12.5"), Ok(Money(1250)));
        assert_eq!(Money::parse("12"), Ok(Money(1200)));
        assert_eq!(Money::parse("0.01"), Ok(Money(1)));
        assert_eq!(Money::parse("-3.07"), Ok(Money(-307)));
    }

    #[test]
    fn rejects_what_would_round_or_is_not_money() {
        assert_eq!(Money::parse("12.505"), Err(MoneyError::TooPrecise));
        for bad in ["", ".5", "12.", "1,00", "abc", "1e3", "+1", "--1", " 1"] {
            assert_eq!(Money::parse(bad), Err(MoneyError::Syntax), "{bad:?}");
        }
        assert_eq!(
            Money::parse("99999999999999999999"),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(Money(i64::MAX).checked_add(Money(1)), None);
        assert_eq!(Money(5).checked_sub(Money(7)), Some(Money(-2)));
        assert_eq!(Money(1250).checked_mul(20), Some(Money(25_000)));
    }

    proptest! {
        #[test]
        fn display_round_trips(minor in -1_000_000_000_000i64..1_000_000_000_000) {
            let m = Money(minor);
            prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
        }

        #[test]
        fn sums_are_exact(parts in proptest::collection::vec(-100_000i64..100_000, 0..50)) {
            let total = parts.iter().fold(Money::ZERO, |acc, p| acc.checked_add(Money(*p)).unwrap());
            prop_assert_eq!(total.minor(), parts.iter().sum::<i64>());
        }
    }
}
