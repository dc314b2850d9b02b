//! The double-entry ledger: accounts, postings, and transactions that are
//! balanced by construction.
//!
//! A posting's amount is what it adds to its account's balance: a buyer's
//! balance is money it can still spend, a seller's is money owed to it, and
//! the house's is the operator's position (top-ups drive it below zero: that
//! is the cash the operator holds on the buyers' behalf). Every transaction
//! sums to zero, so all balances together always sum to zero.

use super::rating::Rating;
use crate::domain::{BuyerId, Money, SellerId};
use std::fmt;

/// A ledger account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// A buyer's prepaid balance.
    Buyer(BuyerId),
    /// What a seller has earned.
    Seller(SellerId),
    /// The operator: margins, and the other side of top-ups and adjustments.
    House,
}

impl Account {
    /// Reads an account's stored name: `buyer:3`, `seller:1` or `house`.
    pub fn parse(text: &str) -> Option<Account> {
        if text == "house" {
            return Some(Account::House);
        }
        let (kind, id) = text.split_once(':')?;
        // Only canonical decimal ids: "buyer:03" would be a second name for buyer 3.
        let id: i64 = id.parse().ok().filter(|n: &i64| n.to_string() == id)?;
        match kind {
            "buyer" => Some(Account::Buyer(BuyerId(id))),
            "seller" => Some(Account::Seller(SellerId(id))),
            _ => None,
        }
    }
}

/// `buyer:3`, `seller:1` or `house`: the name stored with each posting.
impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::Buyer(id) => write!(f, "buyer:{id}"),
            Account::Seller(id) => write!(f, "seller:{id}"),
            Account::House => f.write_str("house"),
        }
    }
}

/// Why money moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransactionKind {
    /// A billable call: buyer charged, seller paid, house keeps the margin.
    CallRating,
    /// Money added to a buyer's balance, against the house (cash received).
    TopUp,
    /// A correction by an operator, against the house.
    Adjustment,
}

impl TransactionKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionKind::CallRating => "call_rating",
            TransactionKind::TopUp => "top_up",
            TransactionKind::Adjustment => "adjustment",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<TransactionKind> {
        [
            TransactionKind::CallRating,
            TransactionKind::TopUp,
            TransactionKind::Adjustment,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// One line of a transaction: `amount` added to `account`'s balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Posting {
    /// Whose balance.
    pub account: Account,
    /// Added to it (negative: taken from it).
    pub amount: Money,
}

/// Why a transaction was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unbalanced {
    /// The postings do not sum to zero (the sum, in minor units, exactly).
    #[error("postings sum to {0} minor units, not zero")]
    Sum(i128),
    /// No posting moves any money.
    #[error("a transaction must move some money")]
    Empty,
    /// One account's total in the transaction does not fit in 64 bits.
    #[error("an account's amount is beyond 64 bits of minor units")]
    Overflow,
}

/// A transaction being put together; [`TransactionBuilder::build`] checks it.
#[derive(Clone, Debug)]
pub struct TransactionBuilder {
    kind: TransactionKind,
    reason: String,
    actor: String,
    postings: Vec<Posting>,
}

/// A transaction whose postings sum to zero: the only kind the store writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalancedTransaction {
    kind: TransactionKind,
    reason: String,
    actor: String,
    postings: Vec<Posting>,
}

impl TransactionBuilder {
    /// Starts a transaction. `reason` says why for a human reading the
    /// ledger; `actor` says who: `switch`, `import`, `cli`, an API user.
    pub fn new(
        kind: TransactionKind,
        reason: impl Into<String>,
        actor: impl Into<String>,
    ) -> TransactionBuilder {
        TransactionBuilder {
            kind,
            reason: reason.into(),
            actor: actor.into(),
            postings: Vec::new(),
        }
    }

    /// Adds `amount` to `account`.
    pub fn post(mut self, account: Account, amount: Money) -> TransactionBuilder {
        self.postings.push(Posting { account, amount });
        self
    }

    /// The transaction, if its postings sum to zero. Postings of zero are
    /// dropped and postings to one account merged, so each account appears
    /// once, in a fixed order (writers then lock balances in the same order).
    pub fn build(self) -> Result<BalancedTransaction, Unbalanced> {
        let sum: i128 = self
            .postings
            .iter()
            .map(|p| i128::from(p.amount.minor()))
            .sum();
        if sum != 0 {
            return Err(Unbalanced::Sum(sum));
        }
        let mut merged: std::collections::BTreeMap<Account, i128> = Default::default();
        for p in &self.postings {
            *merged.entry(p.account).or_default() += i128::from(p.amount.minor());
        }
        let mut postings = Vec::with_capacity(merged.len());
        for (account, amount) in merged {
            if amount != 0 {
                let amount = i64::try_from(amount).map_err(|_| Unbalanced::Overflow)?;
                postings.push(Posting {
                    account,
                    amount: Money::from_minor(amount),
                });
            }
        }
        if postings.is_empty() {
            return Err(Unbalanced::Empty);
        }
        Ok(BalancedTransaction {
            kind: self.kind,
            reason: self.reason,
            actor: self.actor,
            postings,
        })
    }
}

impl BalancedTransaction {
    /// A call's rating: buyer −charge, seller +payout, house +margin.
    /// `Ok(None)` when the call moves no money (not billable, or free).
    pub fn call_rating(
        rating: &Rating,
        buyer: BuyerId,
        seller: SellerId,
        reason: impl Into<String>,
    ) -> Result<Option<BalancedTransaction>, Unbalanced> {
        if !rating.billable() {
            return Ok(None);
        }
        let built = TransactionBuilder::new(TransactionKind::CallRating, reason, "switch")
            // A rating's charge is never negative, so its negation fits.
            .post(
                Account::Buyer(buyer),
                Money::from_minor(-rating.charge().minor()),
            )
            .post(Account::Seller(seller), rating.payout())
            .post(Account::House, rating.margin())
            .build();
        match built {
            Ok(t) => Ok(Some(t)),
            Err(Unbalanced::Empty) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `amount` moved from the house to `account` (negative: the other way).
    pub fn against_house(
        kind: TransactionKind,
        account: Account,
        amount: Money,
        reason: impl Into<String>,
        actor: impl Into<String>,
    ) -> Result<BalancedTransaction, Unbalanced> {
        let negated = Money::ZERO
            .checked_sub(amount)
            .ok_or(Unbalanced::Overflow)?;
        TransactionBuilder::new(kind, reason, actor)
            .post(account, amount)
            .post(Account::House, negated)
            .build()
    }

    /// Why money moved.
    pub fn kind(&self) -> TransactionKind {
        self.kind
    }

    /// Why, for a human.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Who.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The postings: each account once, none zero, summing to zero.
    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn account_names_round_trip() {
        for a in [
            Account::Buyer(BuyerId(3)),
            Account::Seller(SellerId(1)),
            Account::House,
        ] {
            assert_eq!(Account::parse(&a.to_string()), Some(a));
        }
        for bad in [
            "buyer:", "buyer:03", "seller:x", "bank:1", "House", "buyer:+3",
        ] {
            assert_eq!(Account::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn unbalanced_and_empty_transactions_are_refused() {
        let t = TransactionBuilder::new(TransactionKind::Adjustment, "typo", "cli")
            .post(Account::House, Money::from_minor(100))
            .post(Account::Buyer(BuyerId(1)), Money::from_minor(-99));
        assert_eq!(t.build(), Err(Unbalanced::Sum(1)));
        let t = TransactionBuilder::new(TransactionKind::Adjustment, "nothing", "cli")
            .post(Account::House, Money::ZERO);
        assert_eq!(t.build(), Err(Unbalanced::Empty));
    }

    #[test]
    fn extreme_amounts_neither_wrap_nor_panic() {
        let t = TransactionBuilder::new(TransactionKind::Adjustment, "max", "cli")
            .post(Account::House, Money::from_minor(i64::MAX))
            .post(Account::House, Money::from_minor(i64::MAX))
            .post(Account::Buyer(BuyerId(1)), Money::from_minor(i64::MIN))
            .post(Account::Buyer(BuyerId(1)), Money::from_minor(i64::MIN + 2));
        assert!(t.build().is_err());
        assert!(BalancedTransaction::against_house(
            TransactionKind::Adjustment,
            Account::Buyer(BuyerId(1)),
            Money::from_minor(i64::MIN),
            "min",
            "cli"
        )
        .is_err());
    }

    fn account() -> impl Strategy<Value = Account> {
        prop_oneof![
            (1i64..4).prop_map(|i| Account::Buyer(BuyerId(i))),
            (1i64..4).prop_map(|i| Account::Seller(SellerId(i))),
            Just(Account::House),
        ]
    }

    proptest! {
        #[test]
        fn what_builds_sums_to_zero_and_what_does_not_sum_is_refused(
            postings in proptest::collection::vec((account(), any::<i64>()), 0..8),
        ) {
            let sum: i128 = postings.iter().map(|(_, m)| i128::from(*m)).sum();
            let t = postings.iter().fold(
                TransactionBuilder::new(TransactionKind::Adjustment, "p", "test"),
                |t, (a, m)| t.post(*a, Money::from_minor(*m)),
            );
            match t.build() {
                Ok(b) => {
                    prop_assert_eq!(sum, 0);
                    let built: i128 = b.postings().iter().map(|p| i128::from(p.amount.minor())).sum();
                    prop_assert_eq!(built, 0);
                    prop_assert!(b.postings().iter().all(|p| p.amount != Money::ZERO));
                }
                Err(Unbalanced::Sum(s)) => prop_assert!(s != 0),
                Err(Unbalanced::Overflow) => prop_assert_eq!(sum, 0),
                Err(Unbalanced::Empty) => prop_assert_eq!(sum, 0),
            }
        }

        #[test]
        fn balanced_by_construction(
            legs in proptest::collection::vec((account(), account(), -1_000_000_000i64..1_000_000_000), 1..8),
        ) {
            // Each leg moves money between two accounts: always balanced.
            let t = legs.iter().fold(
                TransactionBuilder::new(TransactionKind::Adjustment, "p", "test"),
                |t, (from, to, m)| t.post(*from, Money::from_minor(-*m)).post(*to, Money::from_minor(*m)),
            );
            match t.build() {
                Ok(b) => {
                    let built: i128 = b.postings().iter().map(|p| i128::from(p.amount.minor())).sum();
                    prop_assert_eq!(built, 0);
                }
                Err(e) => prop_assert_eq!(e, Unbalanced::Empty),
            }
        }
    }
}
