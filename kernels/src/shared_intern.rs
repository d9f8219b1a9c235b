//! A byte-string interner that many threads read without a lock.
//!
//! Every worker interns each dictionary page it decodes, and once the first row groups are read
//! nearly every value of a page is already in the table. Behind one `Mutex` each page still
//! waited for whichever thread held the table (at L with every kind of file, 39–54 ms of waits a
//! run, most of them for pages that added nothing). Here finding a string takes no lock; only
//! strings not yet in the table go through the writers' mutex ([`SharedInterner::writer`]), once
//! per batch of them.
//!
//! - **Append-only.** A string's bytes, its directory entry and its slot in the hash index are
//!   written once, before its id is published, and never move or change until the interner drops.
//!   A thread holding an id reads its bytes with no lock.
//! - **Publication.** Under the mutex, the writer writes the bytes and the entry, then stores the
//!   new count and the index slot with `Release`; readers load both with `Acquire`. An id found in
//!   the index, or below a count a reader loaded, has all of its writes visible to that reader.
//! - **Growth.** The index is open addressing over `AtomicU64` slots (hash tag, id + 1), never more
//!   than half full. When it fills, the writer builds a table twice the size and publishes it. A
//!   reader may still be probing an old table, so old tables stay until the interner drops (all of
//!   them together are smaller than the current one). A reader probing an old table can miss a
//!   string added since: a miss is only a hint, and the writer looks again under its mutex.
//! - **Storage.** Bytes live in chunks that never reallocate; entries (id → bytes) live in segments
//!   of doubling size that never move.
//!
//! Ids are dense from 0 in the order strings were first added, as with [`crate::intern::Interner`],
//! and never `u32::MAX` (the NULL id callers reserve).

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use hashbrown::DefaultHashBuilder;

use crate::intern::MAX_DISTINCT;
use crate::KernelError;

/// Entries in the first directory segment; segment `k` holds `FIRST_SEGMENT << k`.
const FIRST_SEGMENT: u64 = 64;
/// Enough segments for every id below `u32::MAX`: `64 * (2^27 - 1) > 2^32`.
const SEGMENTS: usize = 27;
/// Slots in the first index table; table `g` has `FIRST_TABLE << g`.
const FIRST_TABLE: usize = 64;
/// Enough tables for `2^32` ids at half load.
const TABLES: usize = 28;
/// Bytes in the first storage chunk; each next chunk doubles, up to [`LAST_CHUNK`].
const FIRST_CHUNK: usize = 64 * 1024;
/// Bytes in every chunk from the seventh on. Measured at L (`--pod-only`, 14k label texts,
/// 3.9 MB): chunks of 64 KiB to 1 MiB each raised peak RSS by 3-4 MB over one growing `Vec`, and
/// 4 MiB chunks did not. Large blocks are mapped apart, so what a chunk has not filled yet costs
/// no resident memory, and the long-lived chunks do not hold pages that transient buffers share.
const LAST_CHUNK: usize = 4 * 1024 * 1024;
/// A string longer than this gets an allocation of its own, so a chunk abandoned because the
/// next string does not fit wastes at most this much.
const LONG: usize = 16 * 1024;

/// Where one string's bytes are.
#[derive(Default)]
struct Entry {
    ptr: AtomicPtr<u8>,
    len: AtomicUsize,
}

/// Byte strings interned to dense `u32` ids, found by any thread without a lock.
///
/// See the [module docs](self) for the layout and why.
pub struct SharedInterner {
    /// Published count: ids below it are readable.
    len: AtomicUsize,
    entries: [OnceLock<Box<[Entry]>>; SEGMENTS],
    tables: [OnceLock<Box<[AtomicU64]>>; TABLES],
    /// Index of the current table in `tables`.
    current: AtomicUsize,
    hasher: DefaultHashBuilder,
    bytes_used: AtomicUsize,
    limit: u32,
    writer: Mutex<Storage>,
}

/// The chunks the strings' bytes live in, owned by whoever holds the writers' mutex.
#[derive(Default)]
struct Storage {
    /// Each `Vec` keeps length 0: its bytes are written through raw pointers into its capacity,
    /// which never reallocates, and are freed with it.
    chunks: Vec<Vec<u8>>,
    /// Bytes used in the chunk being filled.
    used: usize,
    /// Index in `chunks` of the chunk being filled (the others there are full, or hold one long
    /// string).
    open: Option<usize>,
}

impl Default for SharedInterner {
    fn default() -> Self {
        Self::with_limit(MAX_DISTINCT)
    }
}

impl std::fmt::Debug for SharedInterner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedInterner")
            .field("len", &self.len())
            .field("bytes_used", &self.bytes_used())
            .finish()
    }
}

impl SharedInterner {
    /// An empty interner.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty interner that holds at most `limit` distinct strings (ids `0..limit`); past
    /// that, interning a new string fails. `limit` can only lower [`MAX_DISTINCT`].
    #[must_use]
    pub fn with_limit(limit: u32) -> Self {
        let interner = SharedInterner {
            len: AtomicUsize::new(0),
            entries: std::array::from_fn(|_| OnceLock::new()),
            tables: std::array::from_fn(|_| OnceLock::new()),
            current: AtomicUsize::new(0),
            hasher: DefaultHashBuilder::default(),
            bytes_used: AtomicUsize::new(0),
            limit,
            writer: Mutex::new(Storage::default()),
        };
        // Set before anyone can read it: `table` may assume the current table exists.
        let _ = interner.tables[0].set(empty_table(FIRST_TABLE));
        interner
    }

    /// The id of `s` if it has been interned, without a lock.
    ///
    /// `None` is final only for the writer ([`SharedWriter::try_intern`] looks again): another
    /// thread may be adding `s` at this moment.
    #[inline]
    #[must_use]
    pub fn lookup(&self, s: &[u8]) -> Option<u32> {
        self.find(self.hasher.hash_one(s), s)
    }

    /// [`Self::lookup`], trying id `after + 1` first.
    ///
    /// A dictionary page lists mostly the values of earlier pages in the same order, so the value
    /// after the one with id `after` is usually id `after + 1`; checking that guess skips the
    /// hash and the probe (see [`crate::intern::Interner::try_intern_after`]).
    #[inline]
    #[must_use]
    pub fn lookup_after(&self, s: &[u8], after: Option<u32>) -> Option<u32> {
        if let Some(guess) = after.and_then(|id| id.checked_add(1)) {
            if (guess as usize) < self.len.load(Ordering::Acquire) && self.bytes(guess) == s {
                return Some(guess);
            }
        }
        self.lookup(s)
    }

    /// The id of `s`, adding it if it is new: a lookup, then the writers' mutex if needed.
    ///
    /// # Errors
    ///
    /// [`KernelError::TooManyDistinct`] if `s` is new and the interner holds its limit.
    pub fn try_intern(&self, s: &[u8]) -> Result<u32, KernelError> {
        match self.lookup(s) {
            Some(id) => Ok(id),
            None => self.writer().try_intern(s),
        }
    }

    /// The id of `s`, adding it if it is new.
    ///
    /// # Panics
    ///
    /// Where [`Self::try_intern`] returns an error.
    pub fn intern(&self, s: &[u8]) -> u32 {
        self.try_intern(s)
            .unwrap_or_else(|e| panic!("interning failed: {e}"))
    }

    /// The writers' mutex, for adding a batch of strings under one acquisition.
    pub fn writer(&self) -> SharedWriter<'_> {
        SharedWriter {
            interner: self,
            storage: self.writer.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// The string with id `id`.
    ///
    /// # Panics
    ///
    /// If `id` is not below [`Self::len`] as this thread sees it.
    #[inline]
    #[must_use]
    pub fn get(&self, id: u32) -> &[u8] {
        let len = self.len.load(Ordering::Acquire);
        assert!(
            (id as usize) < len,
            "string id {id} out of range ({len} strings)"
        );
        self.bytes(id)
    }

    /// Number of distinct strings published so far.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Whether nothing has been interned.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total bytes of the distinct strings.
    #[must_use]
    pub fn bytes_used(&self) -> usize {
        self.bytes_used.load(Ordering::Relaxed)
    }

    /// `(id, string)` for the ids published when called, in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (u32, &[u8])> + '_ {
        (0..self.len()).map(|i| {
            let id = i as u32; // ids below the limit, itself a u32
            (id, self.bytes(id))
        })
    }

    /// The bytes of a published id: the caller has loaded a count above `id` or found `id` in
    /// the index, both with `Acquire`, so the entry and the bytes are visible.
    #[inline]
    fn bytes(&self, id: u32) -> &[u8] {
        let entry = self.entry(id);
        let len = entry.len.load(Ordering::Relaxed);
        if len == 0 {
            return &[];
        }
        let ptr = entry.ptr.load(Ordering::Relaxed);
        // SAFETY: `ptr` and `len` were stored by the writer that added `id`, after it copied the
        // `len` bytes to `ptr` and before its `Release` store that published `id` (the caller's
        // `Acquire` load saw that store or a later one). The bytes lie in a chunk of
        // `self.writer`'s storage, which never reallocates, is never written there again and is
        // freed only when `self` drops, after the returned borrow of `self` ends.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }

    /// The entry of `id`, whose segment exists: it was set before `id` was published.
    #[inline]
    fn entry(&self, id: u32) -> &Entry {
        let (segment, offset) = segment_of(id);
        &self.entries[segment]
            .get()
            .expect("segment written before its ids are published")[offset]
    }

    #[inline]
    fn table(&self) -> &[AtomicU64] {
        let current = self.current.load(Ordering::Acquire);
        self.tables[current]
            .get()
            .expect("table set before it is made current")
    }

    fn find(&self, hash: u64, s: &[u8]) -> Option<u32> {
        let table = self.table();
        let mask = table.len() - 1;
        let tag = tag_of(hash);
        let mut i = hash as usize & mask;
        loop {
            // Never more than half full, so an empty slot ends every probe.
            let slot = table[i].load(Ordering::Acquire);
            if slot == 0 {
                return None;
            }
            if slot >> 32 == tag {
                let id = (slot as u32) - 1;
                if self.bytes(id) == s {
                    return Some(id);
                }
            }
            i = (i + 1) & mask;
        }
    }
}

/// Holds the writers' mutex: strings added through it are published one by one.
pub struct SharedWriter<'a> {
    interner: &'a SharedInterner,
    storage: MutexGuard<'a, Storage>,
}

impl SharedWriter<'_> {
    /// The id of `s`, adding it if it is new.
    ///
    /// # Errors
    ///
    /// [`KernelError::TooManyDistinct`] if `s` is new and the interner holds its limit; the
    /// interner is then unchanged.
    pub fn try_intern(&mut self, s: &[u8]) -> Result<u32, KernelError> {
        let interner = self.interner;
        let hash = interner.hasher.hash_one(s);
        // Under the mutex the current table is the latest and holds every id: this look is final.
        if let Some(id) = interner.find(hash, s) {
            return Ok(id);
        }
        let count = interner.len.load(Ordering::Relaxed);
        if count >= interner.limit as usize {
            return Err(KernelError::TooManyDistinct {
                limit: interner.limit,
            });
        }
        let id = count as u32; // below the limit, itself a u32
                               // Before `id` is published, so the bigger table is built from the ids before it.
        if (count + 1) * 2 > interner.table().len() {
            self.grow();
        }
        let ptr = self.storage.store(s);
        let (segment, offset) = segment_of(id);
        let entry = &interner.entries[segment].get_or_init(|| new_segment(segment))[offset];
        entry.ptr.store(ptr, Ordering::Relaxed);
        entry.len.store(s.len(), Ordering::Relaxed);
        interner.bytes_used.fetch_add(s.len(), Ordering::Relaxed);
        interner.len.store(count + 1, Ordering::Release);
        insert(interner.table(), hash, id);
        Ok(id)
    }

    /// Publishes a table twice the size holding every id published so far.
    #[cold]
    fn grow(&mut self) {
        let interner = self.interner;
        let current = interner.current.load(Ordering::Relaxed);
        let bigger = empty_table(interner.table().len() * 2);
        for (id, s) in interner.iter() {
            insert(&bigger, interner.hasher.hash_one(s), id);
        }
        assert!(
            interner.tables[current + 1].set(bigger).is_ok(),
            "only the writer sets tables"
        );
        interner.current.store(current + 1, Ordering::Release);
    }
}

impl Storage {
    /// Copies `s` where it will stay until the interner drops; returns where.
    fn store(&mut self, s: &[u8]) -> *mut u8 {
        if s.is_empty() {
            return std::ptr::NonNull::dangling().as_ptr();
        }
        let ptr = self.reserve(s.len());
        // SAFETY: `reserve` returned `s.len()` bytes of spare capacity of a chunk that no
        // published id covers, so no reader can be reading them; `s` is the caller's and cannot
        // overlap them.
        unsafe { std::ptr::copy_nonoverlapping(s.as_ptr(), ptr, s.len()) };
        ptr
    }

    /// `n` unused bytes in a chunk that never reallocates.
    fn reserve(&mut self, n: usize) -> *mut u8 {
        if n > LONG {
            self.chunks.push(Vec::with_capacity(n));
            return self.chunks.last_mut().expect("just pushed").as_mut_ptr();
        }
        let open = match self.open {
            Some(i) if self.chunks[i].capacity() - self.used >= n => i,
            _ => {
                let size = self.open.map_or(FIRST_CHUNK, |i| {
                    (self.chunks[i].capacity() * 2).min(LAST_CHUNK)
                });
                self.chunks.push(Vec::with_capacity(size));
                self.used = 0;
                *self.open.insert(self.chunks.len() - 1)
            }
        };
        // `as_mut_ptr` does not create a reference to the chunk's contents, so readers' slices
        // of its earlier bytes stay valid.
        let ptr = self.chunks[open].as_mut_ptr().wrapping_add(self.used);
        self.used += n;
        ptr
    }
}

/// The segment holding `id` and its offset there.
#[inline]
fn segment_of(id: u32) -> (usize, usize) {
    let x = u64::from(id) / FIRST_SEGMENT + 1;
    let segment = 63 - x.leading_zeros() as usize;
    let base = FIRST_SEGMENT * ((1u64 << segment) - 1);
    (segment, (u64::from(id) - base) as usize)
}

fn new_segment(segment: usize) -> Box<[Entry]> {
    let n = (FIRST_SEGMENT as usize) << segment;
    (0..n).map(|_| Entry::default()).collect()
}

fn empty_table(n: usize) -> Box<[AtomicU64]> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

/// The upper half of a hash, kept in a slot beside the id so most mismatches read no bytes.
#[inline]
fn tag_of(hash: u64) -> u64 {
    hash >> 32
}

/// Puts `id` in the first free slot from `hash`; only the writer (or a table not yet published).
fn insert(table: &[AtomicU64], hash: u64, id: u32) {
    let mask = table.len() - 1;
    let mut i = hash as usize & mask;
    while table[i].load(Ordering::Relaxed) != 0 {
        i = (i + 1) & mask;
    }
    // id + 1 keeps a slot non-zero (zero is empty); ids stay below u32::MAX, so it fits.
    table[i].store(tag_of(hash) << 32 | (u64::from(id) + 1), Ordering::Release);
}

#[cfg(test)]
mod tests;
