//! Number lists (DNC, litigators, suppression, blocklist) held in memory.

use crate::domain::{ListKind, PhoneNumber};

/// A set of phone numbers, compact and fast to query.
///
/// A sorted `Vec<u64>` rather than a hash set: ten million numbers take
/// 80 MB instead of the ~160 MB a hash set needs, load from a sorted scan,
/// and a lookup is ~24 comparisons, well inside the decision's budget.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NumberSet {
    sorted: Vec<u64>,
}

impl NumberSet {
    /// Builds a set from numbers in any order, with duplicates.
    pub fn from_numbers(mut numbers: Vec<u64>) -> NumberSet {
        numbers.sort_unstable();
        numbers.dedup();
        numbers.shrink_to_fit();
        NumberSet { sorted: numbers }
    }

    /// Whether `number` is in the set.
    pub fn contains(&self, number: PhoneNumber) -> bool {
        self.sorted.binary_search(&number.as_u64()).is_ok()
    }

    /// How many numbers.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// Bytes of heap the set holds.
    pub fn heap_bytes(&self) -> usize {
        self.sorted.capacity() * std::mem::size_of::<u64>()
    }
}

/// Every list, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lists {
    sets: [NumberSet; 4],
}

impl Lists {
    /// Builds the lists from `(kind, number)` pairs.
    pub fn build(entries: impl IntoIterator<Item = (ListKind, u64)>) -> Lists {
        let mut raw: [Vec<u64>; 4] = Default::default();
        for (kind, number) in entries {
            raw[kind as usize].push(number);
        }
        Lists {
            sets: raw.map(NumberSet::from_numbers),
        }
    }

    /// Replaces one list.
    pub fn set(&mut self, kind: ListKind, set: NumberSet) {
        self.sets[kind as usize] = set;
    }

    /// One list.
    pub fn get(&self, kind: ListKind) -> &NumberSet {
        &self.sets[kind as usize]
    }

    /// The first list (in `ListKind::ALL` order) that holds `number`.
    pub fn find(&self, number: PhoneNumber) -> Option<ListKind> {
        ListKind::ALL
            .into_iter()
            .find(|k| self.sets[*k as usize].contains(number))
    }

    /// Bytes of heap all lists hold.
    pub fn heap_bytes(&self) -> usize {
        self.sets.iter().map(NumberSet::heap_bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_numbers_in_their_lists() {
        let n = |s: &str| PhoneNumber::parse(s).unwrap();
        let lists = Lists::build([
            (ListKind::Dnc, n("+12125551234").as_u64()),
            (ListKind::Litigator, n("+13105550000").as_u64()),
            (ListKind::Dnc, n("+12125551234").as_u64()),
        ]);
        assert_eq!(lists.find(n("+12125551234")), Some(ListKind::Dnc));
        assert_eq!(lists.find(n("+13105550000")), Some(ListKind::Litigator));
        assert_eq!(lists.find(n("+13105550001")), None);
        assert_eq!(lists.get(ListKind::Dnc).len(), 1);
    }
}
