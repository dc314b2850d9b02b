//! Rating: what a finished call costs the buyer, pays the seller and leaves the house.
//!
//! Pure arithmetic on integer minor units. The terms are fixed when the call
//! is answered (a bid or payout edited mid-call does not change a call in
//! progress), and the outcome always satisfies `charge = payout + margin`.

use crate::auction::{Decision, Ranked};
use crate::domain::{Campaign, Money, PayoutModel};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The terms a call was sold under, captured at answer time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// What the buyer pays for a billable call: its winning bid, static or RTB.
    pub price: Money,
    /// What the seller is paid for a billable call.
    pub payout: PayoutModel,
    /// Connected time from which the call is billable (inclusive).
    #[serde(with = "crate::billing::millis")]
    pub billable_after: Duration,
    /// The decision marked the caller a duplicate: never billable.
    pub duplicate: bool,
}

impl Terms {
    /// The terms of a call `answered` by one of `decision`'s ranked targets.
    pub fn new(campaign: &Campaign, decision: &Decision, answered: &Ranked) -> Terms {
        Terms {
            price: answered.bid,
            payout: campaign.payout,
            billable_after: campaign.billable_after,
            duplicate: decision.duplicate,
        }
    }

    /// Whether a call connected for `connected` is billable under these terms.
    pub fn is_billable(&self, connected: Duration) -> bool {
        !self.duplicate && connected >= self.billable_after
    }
}

/// A call's rating. Only [`rate`] makes one, so `charge = payout + margin` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rating {
    billable: bool,
    charge: Money,
    payout: Money,
    margin: Money,
}

/// Why terms cannot be rated. Bids and payouts are never negative, so
/// this is a bug or a corrupt record, not a call outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    /// The buyer's price is below zero.
    #[error("negative price {0}")]
    NegativePrice(Money),
    /// A fixed payout below zero.
    #[error("negative payout {0}")]
    NegativePayout(Money),
    /// A CDR's buyer, target, terms and answer time are not all present
    /// (answered) or all absent (not answered), or a call no buyer answered
    /// has connected time.
    #[error("a CDR is answered (buyer, target, terms, answer time) or not, never partly")]
    PartlyAnswered,
}

/// Rates a call connected for `connected` under `terms`.
///
/// Billable (connected at least `billable_after`, and not a duplicate): the
/// buyer is charged the price, the seller paid the payout, the house keeps
/// the difference, which is negative when an operator set a fixed payout
/// above the bid. Not billable: all zero.
pub fn rate(terms: &Terms, connected: Duration) -> Result<Rating, RatingError> {
    if terms.price.is_negative() {
        return Err(RatingError::NegativePrice(terms.price));
    }
    if let PayoutModel::Fixed(amount) = terms.payout {
        if amount.is_negative() {
            return Err(RatingError::NegativePayout(amount));
        }
    }
    if !terms.is_billable(connected) {
        return Ok(Rating::NOT_BILLABLE);
    }
    let charge = terms.price;
    let payout = terms.payout.payout_for(charge);
    // Both are in 0..=i64::MAX, so the difference cannot overflow.
    let margin = Money::from_minor(charge.minor() - payout.minor());
    Ok(Rating {
        billable: true,
        charge,
        payout,
        margin,
    })
}

impl Rating {
    /// A call that costs nothing and pays nothing.
    pub const NOT_BILLABLE: Rating = Rating {
        billable: false,
        charge: Money::ZERO,
        payout: Money::ZERO,
        margin: Money::ZERO,
    };

    /// Whether the call is billable.
    pub fn billable(&self) -> bool {
        self.billable
    }

    /// Charged to the buyer.
    pub fn charge(&self) -> Money {
        self.charge
    }

    /// Paid to the seller.
    pub fn payout(&self) -> Money {
        self.payout
    }

    /// Kept by the house: `charge - payout`, possibly negative.
    pub fn margin(&self) -> Money {
        self.margin
    }

    /// A rating read back from storage; `None` unless it balances.
    pub(crate) fn from_stored(
        billable: bool,
        charge: Money,
        payout: Money,
        margin: Money,
    ) -> Option<Rating> {
        let balanced =
            i128::from(charge.minor()) - i128::from(payout.minor()) - i128::from(margin.minor())
                == 0;
        balanced.then_some(Rating {
            billable,
            charge,
            payout,
            margin,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn terms(price: i64, payout: PayoutModel, after_ms: u64) -> Terms {
        Terms {
            price: Money::from_minor(price),
            payout,
            billable_after: Duration::from_millis(after_ms),
            duplicate: false,
        }
    }

    const FIXED_8: PayoutModel = PayoutModel::Fixed(Money::from_minor(800));

    #[test]
    fn billable_from_the_exact_millisecond() {
        let t = terms(1250, FIXED_8, 90_000);
        let r = |ms| rate(&t, Duration::from_millis(ms)).unwrap();
        assert!(!r(89_999).billable());
        assert_eq!(r(89_999), Rating::NOT_BILLABLE);
        let at = r(90_000);
        assert!(at.billable());
        assert_eq!(
            (at.charge(), at.payout(), at.margin()),
            (
                Money::from_minor(1250),
                Money::from_minor(800),
                Money::from_minor(450)
            )
        );
    }

    #[test]
    fn a_duplicate_is_never_billable() {
        let mut t = terms(1250, FIXED_8, 0);
        t.duplicate = true;
        assert_eq!(
            rate(&t, Duration::from_secs(3600)),
            Ok(Rating::NOT_BILLABLE)
        );
    }

    #[test]
    fn share_rounds_down_and_house_keeps_the_fraction() {
        let t = terms(999, PayoutModel::Share { basis_points: 4000 }, 0);
        let r = rate(&t, Duration::ZERO).unwrap();
        // 40% of 9.99 is 3.996: the seller gets 3.99, the house 6.00.
        assert_eq!(r.payout(), Money::from_minor(399));
        assert_eq!(r.margin(), Money::from_minor(600));
    }

    #[test]
    fn a_payout_above_the_bid_is_a_visible_loss() {
        let r = rate(&terms(500, FIXED_8, 0), Duration::ZERO).unwrap();
        assert_eq!(r.margin(), Money::from_minor(-300));
    }

    #[test]
    fn negative_terms_are_refused() {
        assert_eq!(
            rate(&terms(-1, FIXED_8, 0), Duration::ZERO),
            Err(RatingError::NegativePrice(Money::from_minor(-1)))
        );
        assert!(rate(
            &terms(1, PayoutModel::Fixed(Money::from_minor(-1)), 0),
            Duration::ZERO
        )
        .is_err());
    }

    fn payout_model() -> impl Strategy<Value = PayoutModel> {
        prop_oneof![
            any::<i64>().prop_map(|m| PayoutModel::Fixed(Money::from_minor(m))),
            any::<u32>().prop_map(|basis_points| PayoutModel::Share { basis_points }),
            (0u32..=10_000).prop_map(|basis_points| PayoutModel::Share { basis_points }),
        ]
    }

    proptest! {
        #[test]
        fn charge_minus_payout_minus_margin_is_zero(
            price in any::<i64>(),
            payout in payout_model(),
            after in any::<u64>(),
            connected in any::<u64>(),
            duplicate in any::<bool>(),
        ) {
            let t = Terms { duplicate, ..terms(price, payout, after) };
            if let Ok(r) = rate(&t, Duration::from_millis(connected)) {
                let sum = i128::from(r.charge().minor())
                    - i128::from(r.payout().minor())
                    - i128::from(r.margin().minor());
                prop_assert_eq!(sum, 0);
                prop_assert_eq!(r.billable(), !duplicate && connected >= after);
            }
        }

        #[test]
        fn billable_is_monotonic_in_connected_time(
            after in 0u64..1_000_000,
            a in 0u64..2_000_000,
            b in 0u64..2_000_000,
        ) {
            let t = terms(1000, FIXED_8, after);
            let (short, long) = (a.min(b), a.max(b));
            let billable = |ms| rate(&t, Duration::from_millis(ms)).unwrap().billable();
            prop_assert!(!billable(short) || billable(long));
        }

        #[test]
        fn a_share_never_exceeds_the_price(price in 0i64..=i64::MAX, basis_points in any::<u32>()) {
            let r = rate(&terms(price, PayoutModel::Share { basis_points }, 0), Duration::ZERO).unwrap();
            prop_assert!(r.payout() <= r.charge());
            prop_assert!(!r.payout().is_negative());
            prop_assert!(!r.margin().is_negative());
        }
    }
}
