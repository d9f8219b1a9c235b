//! Byte-string interning: each distinct string gets a dense `u32` id from 0 and is stored once.
//!
//! Label values, dictionary strings and keys repeat across millions of rows; the pipeline keeps
//! one id per distinct string and compares ids. All strings live back to back in one arena
//! (`bytes`) with an offset table, so there is one allocation per interner rather than one per
//! string. The hash table holds only ids; probing compares against the arena, and a resize
//! rehashes from the arena (resizes are amortised, and ids keep the table half the size of
//! `(hash, id)` pairs).

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// Interned byte strings, ids dense from 0 in order of first [`Interner::intern`].
#[derive(Clone, Default)]
pub struct Interner {
    /// Every string, back to back.
    bytes: Vec<u8>,
    /// `ends[id]` is the end of string `id` in `bytes`; it starts where `id - 1` ends.
    ends: Vec<usize>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.len())
            .field("bytes_used", &self.bytes_used())
            .finish()
    }
}

impl Interner {
    /// An empty interner.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty interner with room for `strings` strings totalling `bytes` bytes.
    #[must_use]
    pub fn with_capacity(strings: usize, bytes: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(strings),
            table: HashTable::with_capacity(strings),
            hasher: DefaultHashBuilder::default(),
        }
    }

    /// The id of `s`, adding it if it is new.
    ///
    /// # Panics
    ///
    /// If more than `u32::MAX` distinct strings are interned.
    #[inline]
    pub fn intern(&mut self, s: &[u8]) -> u32 {
        let hash = self.hasher.hash_one(s);
        let Self {
            bytes,
            ends,
            table,
            hasher,
        } = self;
        let found = table.find(hash, |&id| string(bytes, ends, id) == s);
        if let Some(&id) = found {
            return id;
        }
        let id = u32::try_from(ends.len()).expect("more than u32::MAX interned strings");
        bytes.extend_from_slice(s);
        ends.push(bytes.len());
        table.insert_unique(hash, id, |&other| {
            hasher.hash_one(string(bytes, ends, other))
        });
        id
    }

    /// The id of `s` if it has been interned.
    #[inline]
    #[must_use]
    pub fn lookup(&self, s: &[u8]) -> Option<u32> {
        let hash = self.hasher.hash_one(s);
        self.table
            .find(hash, |&id| string(&self.bytes, &self.ends, id) == s)
            .copied()
    }

    /// The string with id `id`.
    ///
    /// # Panics
    ///
    /// If `id` was not returned by this interner (`id >= self.len()`).
    #[inline]
    #[must_use]
    pub fn get(&self, id: u32) -> &[u8] {
        string(&self.bytes, &self.ends, id)
    }

    /// Number of distinct strings.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether nothing has been interned.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Total bytes of the distinct strings (the arena's length, not its capacity).
    #[inline]
    #[must_use]
    pub fn bytes_used(&self) -> usize {
        self.bytes.len()
    }

    /// `(id, string)` in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (u32, &[u8])> + '_ {
        (0..self.ends.len()).map(|i| {
            let id = i as u32; // ids are checked to fit in u32 when created
            (id, self.get(id))
        })
    }
}

/// String `id` of the arena.
#[inline]
fn string<'a>(bytes: &'a [u8], ends: &[usize], id: u32) -> &'a [u8] {
    let id = id as usize;
    let start = if id == 0 { 0 } else { ends[id - 1] };
    &bytes[start..ends[id]]
}

/// Reference interner for the tests: a `HashMap` and a `Vec`, nothing clever.
#[cfg(test)]
mod naive {
    use std::collections::HashMap;

    #[derive(Default)]
    pub struct Interner {
        pub ids: HashMap<Vec<u8>, u32>,
        pub strings: Vec<Vec<u8>>,
    }

    impl Interner {
        pub fn intern(&mut self, s: &[u8]) -> u32 {
            if let Some(&id) = self.ids.get(s) {
                return id;
            }
            let id = self.strings.len() as u32;
            self.ids.insert(s.to_vec(), id);
            self.strings.push(s.to_vec());
            id
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edge_cases() {
        let mut i = Interner::new();
        assert!(i.is_empty());
        assert_eq!(i.lookup(b""), None);
        let table: &[(&[u8], u32)] = &[
            (b"", 0),
            (b"a", 1),
            (b"", 0),
            (b"ab", 2),
            (b"a", 1),
            (b"\xff\x00", 3),
            ("é".as_bytes(), 4),
        ];
        for &(s, id) in table {
            assert_eq!(i.intern(s), id, "{s:?}");
            assert_eq!(i.lookup(s), Some(id));
            assert_eq!(i.get(id), s);
        }
        assert_eq!(i.len(), 5);
        assert_eq!(i.bytes_used(), 1 + 2 + 2 + 2);
        assert_eq!(i.lookup(b"b"), None);
        let all: Vec<_> = i.iter().collect();
        assert_eq!(all[2], (2, &b"ab"[..]));
        assert_eq!(all.len(), 5);
    }

    #[test]
    #[should_panic]
    fn get_out_of_range_panics() {
        let _ = Interner::new().get(0);
    }

    #[test]
    fn survives_many_resizes() {
        let mut i = Interner::with_capacity(1, 1);
        for n in 0..10_000u32 {
            assert_eq!(i.intern(n.to_string().as_bytes()), n);
        }
        for n in 0..10_000u32 {
            assert_eq!(i.lookup(n.to_string().as_bytes()), Some(n));
        }
    }

    proptest! {
        #[test]
        fn matches_naive(strings in proptest::collection::vec(
            proptest::collection::vec(0u8..4, 0..5), 0..200)) {
            let mut fast = Interner::new();
            let mut slow = naive::Interner::default();
            for s in &strings {
                prop_assert_eq!(fast.intern(s), slow.intern(s));
            }
            prop_assert_eq!(fast.len(), slow.strings.len());
            for (id, s) in fast.iter() {
                prop_assert_eq!(s, &slow.strings[id as usize][..]);
                prop_assert_eq!(fast.lookup(s), Some(id));
            }
            prop_assert_eq!(fast.bytes_used(), slow.strings.iter().map(Vec::len).sum::<usize>());
        }
    }
}
