//! Keys → dense indexes, found first through a small id the key carries.
//!
//! The daily pod groups are keyed by (day, namespace, node, label set), and a label set id is
//! nearly unique to its group within a day: a pod's labels name it. A hash table of the full keys
//! places consecutive keys at random, so every lookup of a table larger than the cache waits on
//! memory twice (control bytes, then the bucket), and those loads were most of the merging
//! thread's time at 70,000 groups a day. [`DirectIndex`] looks a key up in a plain vector indexed
//! by that small id (its [`DirectKey::direct`]) and checks the key stored at the index it finds;
//! the keys and the caller's per-key state sit in insertion order. Pages list groups in the same
//! order from one file to the next, and set ids were handed out in that order, so both loads walk
//! forward through memory. A key whose id is already taken by another key, is NULL
//! (`u32::MAX`) or is past [`MAX_DIRECT`] goes to an ordinary hash table: correct whatever the
//! ids, and as fast as before where they are shared.

use hashbrown::HashMap;
use std::hash::Hash;

/// Direct ids at or above this go to the hash table: the direct vector is at most 16 MiB.
pub const MAX_DIRECT: u32 = 1 << 22;

/// No key holds this direct slot.
const VACANT: u32 = u32::MAX;

/// A key with a small id that few other keys share.
pub trait DirectKey: Copy + Eq + Hash {
    /// The id to try first; `u32::MAX` (or anything from [`MAX_DIRECT`] up) for none.
    fn direct(&self) -> u32;
}

/// Distinct keys, each with a dense index from 0 in order of first [`DirectIndex::insert`].
#[derive(Debug, Clone)]
pub struct DirectIndex<K> {
    /// Index of the first key with each direct id, or [`VACANT`].
    by_direct: Vec<u32>,
    /// Keys whose direct slot holds another key, or that have none.
    others: HashMap<K, u32>,
    /// Every key, by index.
    keys: Vec<K>,
}

impl<K> Default for DirectIndex<K> {
    fn default() -> Self {
        Self {
            by_direct: Vec::new(),
            others: HashMap::new(),
            keys: Vec::new(),
        }
    }
}

impl<K: DirectKey> DirectIndex<K> {
    /// The index of `key`, and whether it is new (then it is `len() - 1`).
    ///
    /// # Panics
    ///
    /// Past `u32::MAX - 1` keys (indexes are `u32`, and `u32::MAX` marks a vacant slot).
    #[inline]
    pub fn insert(&mut self, key: K) -> (u32, bool) {
        let direct = key.direct();
        if direct >= MAX_DIRECT {
            return self.insert_other(key);
        }
        let d = direct as usize;
        if d >= self.by_direct.len() {
            self.by_direct.resize(d + 1, VACANT);
        }
        match self.by_direct[d] {
            VACANT => {
                let index = self.push(key);
                self.by_direct[d] = index;
                (index, true)
            }
            index if self.keys[index as usize] == key => (index, false),
            _ => self.insert_other(key),
        }
    }

    fn insert_other(&mut self, key: K) -> (u32, bool) {
        let next = self.keys.len() as u32;
        let index = *self.others.entry(key).or_insert(next);
        if index == next {
            self.push(key);
        }
        (index, index == next)
    }

    fn push(&mut self, key: K) -> u32 {
        let index = u32::try_from(self.keys.len())
            .ok()
            .filter(|&i| i != VACANT)
            .expect("fewer than u32::MAX keys");
        self.keys.push(key);
        index
    }

    /// Every key, by index.
    #[inline]
    #[must_use]
    pub fn keys(&self) -> &[K] {
        &self.keys
    }

    /// Number of distinct keys.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key has been inserted.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Forgets every key and keeps the memory: only the direct slots the keys used are reset,
    /// so clearing costs the keys held, not the highest id seen.
    pub fn clear(&mut self) {
        for key in &self.keys {
            if let Some(slot) = self.by_direct.get_mut(key.direct() as usize) {
                *slot = VACANT;
            }
        }
        self.keys.clear();
        self.others.clear();
    }
}

/// A [`DirectIndex`] with a value per key: group tables whose state is one struct per group.
#[derive(Debug, Clone)]
pub struct DirectMap<K, V> {
    index: DirectIndex<K>,
    /// `values[i]` belongs to `index.keys()[i]`.
    values: Vec<V>,
}

impl<K, V> Default for DirectMap<K, V> {
    fn default() -> Self {
        Self {
            index: DirectIndex::default(),
            values: Vec::new(),
        }
    }
}

impl<K: DirectKey, V: Default> DirectMap<K, V> {
    /// The value of `key`, a default one if `key` is new.
    #[inline]
    pub fn entry_or_default(&mut self, key: K) -> &mut V {
        let (i, new) = self.index.insert(key);
        if new {
            self.values.push(V::default());
        }
        &mut self.values[i as usize]
    }

    /// Every key and its value, in order of first insertion.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&K, &V)> + '_ {
        self.index.keys().iter().zip(&self.values)
    }

    /// Number of keys.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no key has been inserted.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Room for `additional` more values without growing.
    pub fn reserve(&mut self, additional: usize) {
        self.values.reserve(additional);
    }

    /// Forgets every key and value and keeps the memory ([`DirectIndex::clear`]).
    pub fn clear(&mut self) {
        self.index.clear();
        self.values.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap as StdHashMap;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    struct Key {
        group: u8,
        direct: u32,
    }

    impl DirectKey for Key {
        fn direct(&self) -> u32 {
            self.direct
        }
    }

    fn key(group: u8, direct: u32) -> Key {
        Key { group, direct }
    }

    /// The reference: a hash map and a vector.
    fn check(index: &mut DirectIndex<Key>, keys: &[Key]) -> Result<(), TestCaseError> {
        let mut want: StdHashMap<Key, u32> = StdHashMap::new();
        let mut order = Vec::new();
        for &k in keys {
            let next = order.len() as u32;
            let w = *want.entry(k).or_insert(next);
            if w == next {
                order.push(k);
            }
            prop_assert_eq!(index.insert(k), (w, w == next));
        }
        prop_assert_eq!(index.keys(), &order[..]);
        prop_assert_eq!(index.len(), order.len());
        Ok(())
    }

    #[test]
    fn shared_null_and_large_ids_fall_back_to_the_table() {
        let mut index = DirectIndex::default();
        assert!(index.is_empty());
        let keys = [
            key(0, 3),
            key(1, 3), // slot 3 is taken
            key(0, u32::MAX),
            key(1, u32::MAX),
            key(0, MAX_DIRECT),
            key(0, MAX_DIRECT - 1),
        ];
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(index.insert(*k), (i as u32, true));
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(index.insert(*k), (i as u32, false));
        }
        assert_eq!(index.others.len(), 4);
        assert!(index.by_direct.len() <= MAX_DIRECT as usize);
    }

    #[test]
    fn a_map_keeps_one_value_per_key_in_insertion_order() {
        let mut map: DirectMap<Key, u32> = DirectMap::default();
        for (k, add) in [
            (key(0, 1), 1),
            (key(1, 1), 10),
            (key(0, 1), 2),
            (key(2, u32::MAX), 5),
        ] {
            *map.entry_or_default(k) += add;
        }
        let got: Vec<(Key, u32)> = map.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(
            got,
            [(key(0, 1), 3), (key(1, 1), 10), (key(2, u32::MAX), 5)]
        );
        map.clear();
        assert!(map.is_empty());
        assert_eq!(
            *map.entry_or_default(key(1, 1)),
            0,
            "a cleared map starts over"
        );
        assert_eq!(map.len(), 1);
    }

    proptest! {
        /// Small ranges make ids shared, NULL and repeated; the indexes are the reference's.
        #[test]
        fn matches_a_hash_map(keys in proptest::collection::vec(
            (0u8..3, prop_oneof![0u32..8, Just(u32::MAX), Just(MAX_DIRECT)]), 0..200)) {
            let keys: Vec<Key> = keys.into_iter().map(|(g, d)| key(g, d)).collect();
            check(&mut DirectIndex::default(), &keys)?;
        }

        /// A cleared index is a new one, whatever it held before.
        #[test]
        fn a_cleared_index_starts_over(
            first in proptest::collection::vec((0u8..3, 0u32..8), 0..60),
            second in proptest::collection::vec((0u8..3, 0u32..8), 0..60),
        ) {
            let mut index = DirectIndex::default();
            let first: Vec<Key> = first.into_iter().map(|(g, d)| key(g, d)).collect();
            check(&mut index, &first)?;
            index.clear();
            prop_assert!(index.is_empty());
            prop_assert!(index.by_direct.iter().all(|&s| s == VACANT));
            let second: Vec<Key> = second.into_iter().map(|(g, d)| key(g, d)).collect();
            check(&mut index, &second)?;
        }
    }
}
