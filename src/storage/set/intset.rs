//! The `intset` encoding: a sorted array of distinct integers, all stored at one width.
//!
//! Owns: `IntSet`. The width is the smallest of 16, 32 and 64 bits that holds every member, and
//! it only ever grows: removing the one wide member leaves the array wide, as in Redis. Lookups
//! are binary searches; an insert or a removal shifts the tail of the array, which stays cheap
//! because the set converts to a hash table past `set-max-intset-entries` members.

/// A sorted set of distinct integers at the narrowest width that holds them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntSet {
    /// Every member fits in 16 bits.
    W16(Vec<i16>),
    /// Some member needs 32 bits.
    W32(Vec<i32>),
    /// Some member needs 64 bits.
    W64(Vec<i64>),
}

impl Default for IntSet {
    fn default() -> IntSet {
        IntSet::W16(Vec::new())
    }
}

/// Where `x` is, or would go, in the sorted `v`. A value too wide for `T` is smaller or larger
/// than every element, so it belongs at one end.
fn search<T>(v: &[T], x: i64) -> Result<usize, usize>
where
    T: Ord + Copy + TryFrom<i64>,
{
    match T::try_from(x) {
        Ok(x) => v.binary_search(&x),
        Err(_) if x < 0 => Err(0),
        Err(_) => Err(v.len()),
    }
}

/// Inserts `x` into the sorted `v` unless present. Requires: `x` fits in `T`.
fn insert_sorted<T>(v: &mut Vec<T>, x: i64) -> bool
where
    T: Ord + Copy + TryFrom<i64>,
{
    match search(v, x) {
        Ok(_) => false,
        Err(at) => {
            let x = T::try_from(x).ok().expect("the width was checked");
            v.insert(at, x);
            true
        }
    }
}

/// Removes `x` from the sorted `v` when present.
fn remove_sorted<T>(v: &mut Vec<T>, x: i64) -> bool
where
    T: Ord + Copy + TryFrom<i64>,
{
    match search(v, x) {
        Ok(at) => {
            v.remove(at);
            true
        }
        Err(_) => false,
    }
}

/// Bytes per member needed to hold `x`: 2, 4 or 8.
fn width_of(x: i64) -> usize {
    if i16::try_from(x).is_ok() {
        2
    } else if i32::try_from(x).is_ok() {
        4
    } else {
        8
    }
}

impl IntSet {
    /// An empty set at 16 bits.
    pub fn new() -> IntSet {
        IntSet::default()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            IntSet::W16(v) => v.len(),
            IntSet::W32(v) => v.len(),
            IntSet::W64(v) => v.len(),
        }
    }

    /// True when the set has no member.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes each member takes: 2, 4 or 8.
    pub fn width(&self) -> usize {
        match self {
            IntSet::W16(_) => 2,
            IntSet::W32(_) => 4,
            IntSet::W64(_) => 8,
        }
    }

    /// The member at `index` in ascending order. Requires: `index < len()`.
    pub fn get(&self, index: usize) -> i64 {
        match self {
            IntSet::W16(v) => i64::from(v[index]),
            IntSet::W32(v) => i64::from(v[index]),
            IntSet::W64(v) => v[index],
        }
    }

    /// True when `x` is a member. O(log n).
    pub fn contains(&self, x: i64) -> bool {
        match self {
            IntSet::W16(v) => search(v, x).is_ok(),
            IntSet::W32(v) => search(v, x).is_ok(),
            IntSet::W64(v) => search(v, x).is_ok(),
        }
    }

    /// Adds `x`; false when it was already a member. Widens every member first when `x` does not
    /// fit the current width.
    pub fn insert(&mut self, x: i64) -> bool {
        if width_of(x) > self.width() {
            self.widen(width_of(x));
        }
        match self {
            IntSet::W16(v) => insert_sorted(v, x),
            IntSet::W32(v) => insert_sorted(v, x),
            IntSet::W64(v) => insert_sorted(v, x),
        }
    }

    /// Removes `x`; false when it was not a member. The width stays.
    pub fn remove(&mut self, x: i64) -> bool {
        match self {
            IntSet::W16(v) => remove_sorted(v, x),
            IntSet::W32(v) => remove_sorted(v, x),
            IntSet::W64(v) => remove_sorted(v, x),
        }
    }

    /// The members in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Re-encodes every member at `width` bytes (4 or 8), which is wider than now.
    fn widen(&mut self, width: usize) {
        let all: Vec<i64> = self.iter().collect();
        *self = if width == 4 {
            IntSet::W32(all.into_iter().map(|x| x as i32).collect())
        } else {
            IntSet::W64(all)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_stay_sorted_and_distinct() {
        let mut s = IntSet::new();
        for x in [5, -3, 9, 5, 0, -3] {
            s.insert(x);
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![-3, 0, 5, 9]);
        assert!(s.contains(0) && !s.contains(1));
        assert!(s.remove(5));
        assert!(!s.remove(5));
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn the_width_is_the_narrowest_that_holds_every_member() {
        let mut s = IntSet::new();
        s.insert(i64::from(i16::MAX));
        s.insert(i64::from(i16::MIN));
        assert_eq!(s.width(), 2);
        s.insert(i64::from(i16::MAX) + 1);
        assert_eq!(s.width(), 4);
        s.insert(i64::from(i32::MIN) - 1);
        assert_eq!(s.width(), 8);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![
                i64::from(i32::MIN) - 1,
                i64::from(i16::MIN),
                i64::from(i16::MAX),
                i64::from(i16::MAX) + 1
            ]
        );
    }

    #[test]
    fn a_removal_never_narrows() {
        let mut s = IntSet::new();
        s.insert(1);
        s.insert(i64::MAX);
        assert!(s.remove(i64::MAX));
        assert_eq!(s.width(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn values_wider_than_the_array_are_never_found() {
        let mut s = IntSet::new();
        s.insert(7);
        assert!(!s.contains(i64::MAX));
        assert!(!s.contains(i64::MIN));
        assert!(!s.remove(1 << 40));
        assert_eq!(s.width(), 2, "a lookup does not widen");
    }
}
