//! Slice interning: each distinct slice gets a dense `u32` id from 0 and is stored once.
//!
//! Label values, dictionary strings and keys repeat across millions of rows, and so do whole
//! label sets; the pipeline keeps one id per distinct value and compares ids. [`SliceInterner`]
//! is the one design behind both [`Interner`] (byte strings, `T = u8`) and
//! [`crate::labels::LabelSets`] (sorted label arrays, `T = Label`):
//!
//! - **Arena storage.** All slices live back to back in one `Vec<T>` with an offset table, so
//!   there is one allocation per interner rather than one per distinct value, and interning a
//!   new slice is an `extend_from_slice` plus a push.
//! - **Id-only hash table.** The table holds only `u32` ids: probing compares the candidate's
//!   slice in the arena, and a resize rehashes every id from the arena. Resizes are amortised,
//!   and ids keep the table half the size of `(hash, id)` pairs, so more of it stays in cache.
//! - **One hash per call.** [`SliceInterner::try_intern`] hashes the slice once and uses that
//!   hash both to probe and to insert.
//! - **`u32::MAX` is never an id.** Callers use `u32::MAX` as the NULL id (and NULL set id), so
//!   at most [`MAX_DISTINCT`] slices are interned (ids `0..=u32::MAX - 1`). One more distinct
//!   slice is [`KernelError::TooManyDistinct`] from `try_intern`, never a wrapped or aliased id.

use std::hash::{BuildHasher, Hash};

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::KernelError;

/// Most distinct slices one interner holds: ids run `0..=u32::MAX - 1`, so no id equals
/// `u32::MAX`, the value callers reserve for NULL.
pub const MAX_DISTINCT: u32 = u32::MAX;

/// Interned slices of `T`, ids dense from 0 in order of first [`SliceInterner::try_intern`].
///
/// See the [module docs](self) for the layout and why.
#[derive(Clone)]
pub struct SliceInterner<T> {
    /// Every slice, back to back.
    items: Vec<T>,
    /// `ends[id]` is the end of slice `id` in `items`; it starts where `id - 1` ends.
    ends: Vec<usize>,
    /// Ids, hashed by their slice's contents.
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Most distinct slices allowed: [`MAX_DISTINCT`] unless [`SliceInterner::with_limit`]
    /// lowered it (which the tests do, to reach the limit without 4 billion slices).
    limit: u32,
}

/// Byte strings interned to dense `u32` ids: label values, dictionary strings, keys.
pub type Interner = SliceInterner<u8>;

// Written out rather than derived: a derive would require `T: Default`, which the label pairs
// interned by `LabelSets` do not implement.
impl<T> Default for SliceInterner<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            ends: Vec::new(),
            table: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            limit: MAX_DISTINCT,
        }
    }
}

impl<T> std::fmt::Debug for SliceInterner<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SliceInterner")
            .field("len", &self.ends.len())
            .field("items_used", &self.items.len())
            .finish()
    }
}

impl<T: Copy + Hash + Eq> SliceInterner<T> {
    /// An empty interner.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty interner with room for `slices` distinct slices totalling `items` items
    /// (for [`Interner`]: strings and bytes).
    #[must_use]
    pub fn with_capacity(slices: usize, items: usize) -> Self {
        Self {
            items: Vec::with_capacity(items),
            ends: Vec::with_capacity(slices),
            table: HashTable::with_capacity(slices),
            ..Self::default()
        }
    }

    /// An empty interner that holds at most `limit` distinct slices (ids `0..limit`); past that,
    /// [`SliceInterner::try_intern`] fails. `limit` can only lower [`MAX_DISTINCT`], the default.
    #[must_use]
    pub fn with_limit(limit: u32) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    /// The id of `s`, adding it if it is new.
    ///
    /// # Errors
    ///
    /// [`KernelError::TooManyDistinct`] if `s` is new and the interner already holds its limit
    /// of distinct slices ([`MAX_DISTINCT`] by default, so the largest id ever returned is
    /// `u32::MAX - 1`). The interner is then unchanged; slices already interned still resolve.
    #[inline]
    pub fn try_intern(&mut self, s: &[T]) -> Result<u32, KernelError> {
        match self.find_or_insert(s) {
            Some(id) => Ok(id),
            None => Err(too_many(self.limit)),
        }
    }

    /// The id of `s`, adding it if it is new.
    ///
    /// # Panics
    ///
    /// Where [`SliceInterner::try_intern`] returns an error: past [`MAX_DISTINCT`] distinct
    /// slices (or the [`SliceInterner::with_limit`] limit). Ids never reach `u32::MAX`.
    #[inline]
    pub fn intern(&mut self, s: &[T]) -> u32 {
        match self.find_or_insert(s) {
            Some(id) => id,
            None => intern_failed(self.limit),
        }
    }

    /// [`SliceInterner::try_intern`], trying id `after + 1` first.
    ///
    /// Dictionary pages of the same table list mostly the same values in the same order from
    /// one file to the next (masu writes each day's rows grouped, hence sorted, by pod), so the
    /// value after one whose id is `after` is usually id `after + 1`. Checking that guess reads
    /// the arena where the last check left off, and skips the hash and the table probe, whose
    /// random loads are most of an interning's cost once the table outgrows the cache. A wrong
    /// guess costs one length comparison, or a comparison of equal-length bytes, before the
    /// ordinary lookup. `after = None` (the first value of a page) is the ordinary lookup.
    ///
    /// The result is always `try_intern(s)`'s: a slice is stored once, so a guessed id whose
    /// slice equals `s` is `s`'s id.
    ///
    /// # Errors
    ///
    /// As [`SliceInterner::try_intern`].
    #[inline]
    pub fn try_intern_after(&mut self, s: &[T], after: Option<u32>) -> Result<u32, KernelError> {
        if let Some(guess) = after.and_then(|id| id.checked_add(1)) {
            if (guess as usize) < self.ends.len() && slice(&self.items, &self.ends, guess) == s {
                return Ok(guess);
            }
        }
        self.try_intern(s)
    }

    /// The id of `s`, adding it if new; `None` if it is new and the limit is reached.
    ///
    /// The shared body of `try_intern` and `intern`. It returns an `Option` rather than a
    /// `Result<_, KernelError>` so the hot path passes a register pair around, not the error
    /// enum; the error is built out of line, only when the limit is hit.
    #[inline]
    fn find_or_insert(&mut self, s: &[T]) -> Option<u32> {
        // Hashed once: the same hash probes and, for a new slice, inserts.
        let hash = self.hasher.hash_one(s);
        let Self {
            items,
            ends,
            table,
            hasher,
            limit,
        } = self;
        if let Some(&id) = table.find(hash, |&id| slice(items, ends, id) == s) {
            return Some(id);
        }
        if ends.len() >= *limit as usize {
            return None;
        }
        // `ends.len() < limit <= u32::MAX`: the id fits in a u32 and is below u32::MAX.
        let id = ends.len() as u32;
        items.extend_from_slice(s);
        ends.push(items.len());
        // A resize rehashes every id from its slice in the arena.
        table.insert_unique(hash, id, |&other| {
            hasher.hash_one(slice(items, ends, other))
        });
        Some(id)
    }

    /// The id of `s` if it has been interned.
    #[inline]
    #[must_use]
    pub fn lookup(&self, s: &[T]) -> Option<u32> {
        let hash = self.hasher.hash_one(s);
        self.table
            .find(hash, |&id| slice(&self.items, &self.ends, id) == s)
            .copied()
    }

    /// The slice with id `id`.
    ///
    /// # Panics
    ///
    /// If `id` was not returned by this interner (`id >= self.len()`).
    #[inline]
    #[must_use]
    pub fn get(&self, id: u32) -> &[T] {
        slice(&self.items, &self.ends, id)
    }

    /// Number of distinct slices.
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

    /// Total items of the distinct slices (the arena's length, not its capacity).
    #[inline]
    #[must_use]
    pub fn items_used(&self) -> usize {
        self.items.len()
    }

    /// `(id, slice)` in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (u32, &[T])> + '_ {
        (0..self.ends.len()).map(|i| {
            let id = i as u32; // ids are checked to fit in u32 when created
            (id, self.get(id))
        })
    }
}

impl SliceInterner<u8> {
    /// Total bytes of the distinct strings (the arena's length, not its capacity).
    #[inline]
    #[must_use]
    pub fn bytes_used(&self) -> usize {
        self.items.len()
    }
}

/// Slice `id` of the arena.
#[inline]
fn slice<'a, T>(items: &'a [T], ends: &[usize], id: u32) -> &'a [T] {
    let id = id as usize;
    let start = if id == 0 { 0 } else { ends[id - 1] };
    &items[start..ends[id]]
}

/// Kept out of line so the hit path of `try_intern` stays small.
#[cold]
#[inline(never)]
fn too_many(limit: u32) -> KernelError {
    KernelError::TooManyDistinct { limit }
}

#[cold]
#[inline(never)]
#[track_caller]
fn intern_failed(limit: u32) -> ! {
    panic!("interning failed: {}", too_many(limit))
}

/// Reference interner for the tests: a `HashMap` and a `Vec`, nothing clever.
#[cfg(test)]
pub(crate) mod naive {
    use std::collections::HashMap;
    use std::hash::Hash;

    pub struct SliceInterner<T> {
        pub ids: HashMap<Vec<T>, u32>,
        pub slices: Vec<Vec<T>>,
        pub limit: usize,
    }

    impl<T: Clone + Hash + Eq> SliceInterner<T> {
        pub fn with_limit(limit: usize) -> Self {
            Self {
                ids: HashMap::new(),
                slices: Vec::new(),
                limit,
            }
        }

        /// `None` when `s` is new and the limit is reached.
        pub fn intern(&mut self, s: &[T]) -> Option<u32> {
            if let Some(&id) = self.ids.get(s) {
                return Some(id);
            }
            if self.slices.len() >= self.limit {
                return None;
            }
            let id = self.slices.len() as u32;
            self.ids.insert(s.to_vec(), id);
            self.slices.push(s.to_vec());
            Some(id)
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
        assert_eq!(i.items_used(), i.bytes_used());
        assert_eq!(i.lookup(b"b"), None);
        let all: Vec<_> = i.iter().collect();
        assert_eq!(all[2], (2, &b"ab"[..]));
        assert_eq!(all.len(), 5);
    }

    #[test]
    fn a_right_guess_and_a_wrong_one() {
        let mut i = Interner::new();
        let ids: Vec<u32> = [&b"pod-a"[..], b"pod-b", b"pod-c"]
            .map(|s| i.intern(s))
            .to_vec();
        assert_eq!(i.try_intern_after(b"pod-b", Some(ids[0])), Ok(ids[1]));
        assert_eq!(i.try_intern_after(b"pod-a", Some(ids[1])), Ok(ids[0]));
        assert_eq!(i.try_intern_after(b"pod-c", Some(u32::MAX - 1)), Ok(ids[2]));
        assert_eq!(i.try_intern_after(b"pod-d", Some(ids[2])), Ok(3));
        assert_eq!(i.try_intern_after(b"pod-e", Some(u32::MAX)), Ok(4));
        assert_eq!(i.len(), 5);
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

    /// Clones are independent: interning into one does not show in the other.
    #[test]
    fn clone_is_independent() {
        let mut a = Interner::new();
        a.intern(b"x");
        let mut b = a.clone();
        assert_eq!(b.intern(b"y"), 1);
        assert_eq!(a.lookup(b"y"), None);
        assert_eq!(a.intern(b"z"), 1);
        assert_eq!(b.get(1), b"y");
        assert_eq!(format!("{a:?}"), "SliceInterner { len: 2, items_used: 2 }");
    }

    /// The default limit leaves `u32::MAX` free for NULL.
    #[test]
    fn default_limit_reserves_u32_max() {
        assert_eq!(MAX_DISTINCT, u32::MAX);
        assert_eq!(Interner::new().limit, MAX_DISTINCT);
        assert_eq!(Interner::with_capacity(4, 4).limit, MAX_DISTINCT);
        assert_eq!(Interner::default().limit, MAX_DISTINCT);
        // The largest id handed out is `limit - 1`: shown with a limit small enough to reach.
        let mut i = Interner::with_limit(3);
        let ids: Vec<u32> = [b"a", b"b", b"c"].map(|s| i.intern(s)).to_vec();
        assert_eq!(ids, [0, 1, 2]);
    }

    #[test]
    fn id_limit_is_an_error() {
        let mut i = Interner::with_limit(2);
        assert_eq!(i.try_intern(b"a"), Ok(0));
        assert_eq!(i.try_intern(b"b"), Ok(1));
        let err = i.try_intern(b"c").unwrap_err();
        assert_eq!(err, KernelError::TooManyDistinct { limit: 2 });
        assert!(err.to_string().contains("more than 2 distinct"), "{err}");
        // Nothing was added, and known strings still resolve.
        assert_eq!((i.len(), i.bytes_used()), (2, 2));
        assert_eq!(i.lookup(b"c"), None);
        assert_eq!(i.try_intern(b"a"), Ok(0));
        assert_eq!(i.intern(b"b"), 1);
        assert_eq!(
            i.try_intern(b"c"),
            Err(KernelError::TooManyDistinct { limit: 2 })
        );
    }

    #[test]
    fn zero_limit_rejects_everything() {
        let mut i = SliceInterner::<u32>::with_limit(0);
        assert_eq!(
            i.try_intern(&[]),
            Err(KernelError::TooManyDistinct { limit: 0 })
        );
        assert!(i.is_empty());
    }

    #[test]
    #[should_panic(expected = "more than 1 distinct")]
    fn intern_past_the_limit_panics() {
        let mut i = Interner::with_limit(1);
        i.intern(b"a");
        i.intern(b"b");
    }

    /// Slices of a non-byte type, as `LabelSets` uses, through several table resizes.
    #[test]
    fn generic_items_survive_resizes() {
        let mut i = SliceInterner::<(u32, u32)>::with_capacity(0, 0);
        let set = |n: u32| -> Vec<(u32, u32)> { (0..n % 7).map(|k| (k, n)).collect() };
        for n in 0..5_000u32 {
            let id = i.intern(&set(n));
            assert_eq!(i.get(id), set(n).as_slice());
        }
        // Every n with n % 7 == 0 gives the one empty slice; the others are all distinct.
        assert_eq!(i.len(), (0..5_000).filter(|n| n % 7 != 0).count() + 1);
        for n in 0..5_000u32 {
            let id = i.lookup(&set(n)).expect("interned");
            assert_eq!(i.get(id), set(n).as_slice());
        }
    }

    /// Checks `fast` against the reference after interning `slices` into both.
    fn check_against_naive<T: Copy + Hash + Eq + std::fmt::Debug>(
        fast: &mut SliceInterner<T>,
        limit: u32,
        slices: &[Vec<T>],
    ) -> Result<(), TestCaseError> {
        let mut slow = naive::SliceInterner::with_limit(limit as usize);
        for s in slices {
            let want = slow.intern(s);
            let got = fast.try_intern(s);
            match want {
                Some(id) => prop_assert_eq!(got, Ok(id)),
                None => prop_assert_eq!(got, Err(KernelError::TooManyDistinct { limit })),
            }
            prop_assert_eq!(fast.len(), slow.slices.len());
        }
        for (id, s) in fast.iter() {
            prop_assert_eq!(s, &slow.slices[id as usize][..]);
            prop_assert_eq!(fast.lookup(s), Some(id));
        }
        for s in slices {
            prop_assert_eq!(fast.lookup(s), slow.ids.get(s).copied());
        }
        prop_assert_eq!(
            fast.items_used(),
            slow.slices.iter().map(Vec::len).sum::<usize>()
        );
        Ok(())
    }

    proptest! {
        #[test]
        fn matches_naive(strings in proptest::collection::vec(
            proptest::collection::vec(0u8..4, 0..5), 0..200)) {
            let mut fast = Interner::new();
            check_against_naive(&mut fast, MAX_DISTINCT, &strings)?;
            prop_assert_eq!(fast.bytes_used(), fast.items_used());
        }

        /// Starting from no capacity, every table growth rehashes ids from the arena.
        #[test]
        fn matches_naive_through_resizes(strings in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..12), 0..2_000)) {
            let mut fast = Interner::with_capacity(0, 0);
            check_against_naive(&mut fast, MAX_DISTINCT, &strings)?;
        }

        /// Any guess, right or wrong, in range or not, gives `try_intern`'s id: runs of
        /// repeated sequences make the guess right most of the time, as on real pages.
        #[test]
        fn interning_after_a_guess_matches_plain_interning(
            strings in proptest::collection::vec(proptest::collection::vec(0u8..3, 0..3), 0..60),
            repeats in 1usize..4,
            guesses in proptest::collection::vec(proptest::option::of(0u32..80), 0..200),
        ) {
            let (mut plain, mut hinted) = (Interner::new(), Interner::new());
            let mut prev = None;
            for (n, s) in strings.iter().cycle().take(strings.len() * repeats).enumerate() {
                let want = plain.try_intern(s);
                // Even calls pass the previous id (the caller's use), odd ones an arbitrary one.
                let after = if n % 2 == 0 { prev } else { guesses.get(n).copied().flatten() };
                let got = hinted.try_intern_after(s, after);
                prop_assert_eq!(&got, &want);
                prev = got.ok();
            }
            prop_assert_eq!(hinted.len(), plain.len());
            prop_assert_eq!(hinted.items_used(), plain.items_used());
        }

        /// The guess is checked against the limit like any lookup: at the limit, a known slice
        /// still resolves through a guess and a new one is refused.
        #[test]
        fn interning_after_a_guess_keeps_the_limit(limit in 0u32..6, strings in
            proptest::collection::vec(proptest::collection::vec(0u8..3, 0..2), 0..40)) {
            let (mut plain, mut hinted) = (Interner::with_limit(limit), Interner::with_limit(limit));
            let mut prev = None;
            for s in &strings {
                let got = hinted.try_intern_after(s, prev);
                prop_assert_eq!(&got, &plain.try_intern(s));
                prev = got.ok();
            }
        }

        /// Label-like pairs, the `LabelSets` instantiation.
        #[test]
        fn pairs_match_naive(sets in proptest::collection::vec(
            proptest::collection::vec((0u32..3, 0u32..3), 0..4), 0..300)) {
            let mut fast = SliceInterner::with_capacity(1, 1);
            check_against_naive(&mut fast, MAX_DISTINCT, &sets)?;
        }

        /// A small limit: the first `limit` distinct slices get ids, later new ones are errors
        /// that leave the interner as it was, repeats of known ones still resolve.
        #[test]
        fn limit_matches_naive(limit in 0u32..20, strings in proptest::collection::vec(
            proptest::collection::vec(0u8..4, 0..4), 0..100)) {
            let mut fast = Interner::with_limit(limit);
            check_against_naive(&mut fast, limit, &strings)?;
            prop_assert!(fast.len() <= limit as usize);
        }
    }
}
