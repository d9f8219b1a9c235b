//! Row validity as a bitmap: one bit a row, set where the row has a value.
//!
//! A decoded column keeps its values dense (NULL slots hold a filler) and says which slots are
//! NULL here. A bit a row is an eighth of the memory of a `bool` a row, so a row group's
//! validity stays in L1 while its values stream past. The bitmap also counts its NULLs as it is
//! built, so a consumer can see in one load that a column has none ([`Validity::null_count`])
//! and skip the per-row test; most of Koku's columns are never NULL.
//!
//! Bits are kept least-significant first within each `u64` word, as Arrow lays them out, and
//! the bits past [`Validity::len`] in the last word are always zero: two bitmaps with the same
//! rows compare equal word for word, and a word can be counted without masking.

/// Which rows of a column have a value. See the [module docs](self).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Validity {
    words: Vec<u64>,
    len: usize,
    nulls: usize,
}

impl std::fmt::Debug for Validity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validity")
            .field("len", &self.len)
            .field("nulls", &self.nulls)
            .finish()
    }
}

const BITS: usize = u64::BITS as usize;

impl Validity {
    /// An empty bitmap.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// `rows` rows, all valid (`true`) or all NULL (`false`).
    #[must_use]
    pub fn with_all(rows: usize, valid: bool) -> Self {
        let mut v = Self::new();
        v.extend_constant(rows, valid);
        v
    }

    /// Rows held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no rows are held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// NULL rows held: 0 means every row has a value.
    #[must_use]
    pub fn null_count(&self) -> usize {
        self.nulls
    }

    /// Drops every row, keeping the allocation for the next row group.
    pub fn clear(&mut self) {
        self.words.clear();
        self.len = 0;
        self.nulls = 0;
    }

    /// Whether row `i` has a value.
    ///
    /// # Panics
    ///
    /// If `i >= self.len()`.
    #[inline]
    #[must_use]
    pub fn get(&self, i: usize) -> bool {
        assert!(i < self.len, "row {i} of {}", self.len);
        self.bit(i)
    }

    /// Bit `i`, which must lie in a word held.
    #[inline]
    fn bit(&self, i: usize) -> bool {
        (self.words[i / BITS] >> (i % BITS)) & 1 == 1
    }

    /// Appends one row.
    #[inline]
    pub fn push(&mut self, valid: bool) {
        let bit = self.len % BITS;
        if bit == 0 {
            self.words.push(0);
        }
        if valid {
            *self.words.last_mut().expect("pushed above") |= 1 << bit;
        } else {
            self.nulls += 1;
        }
        self.len += 1;
    }

    /// Appends `n` rows that are all valid or all NULL, a word at a time.
    pub fn extend_constant(&mut self, n: usize, valid: bool) {
        if n == 0 {
            return;
        }
        if !valid {
            // Bits past `len` are zero already: NULL rows only move `len`.
            self.nulls += n;
            self.len += n;
            self.words.resize(self.len.div_ceil(BITS), 0);
            return;
        }
        let mut left = n;
        // Fill the partly used last word first, then whole words, then the tail.
        let used = self.len % BITS;
        if used != 0 {
            let take = left.min(BITS - used);
            *self.words.last_mut().expect("a partly used word") |= ones(take) << used;
            left -= take;
        }
        self.words
            .extend(std::iter::repeat_n(u64::MAX, left / BITS));
        if left % BITS != 0 {
            self.words.push(ones(left % BITS));
        }
        self.len += n;
    }

    /// Appends a row per definition level: valid where the level is `max_level` (the value is
    /// present), NULL where it is lower. Builds each word from 64 levels at once.
    pub fn extend_from_levels(&mut self, levels: &[u32], max_level: u32) {
        let mut rest = levels;
        // Bring `len` to a word boundary row by row, then take whole words.
        while self.len % BITS != 0 {
            let Some((&l, tail)) = rest.split_first() else {
                return;
            };
            self.push(l == max_level);
            rest = tail;
        }
        let mut chunks = rest.chunks_exact(BITS);
        for chunk in &mut chunks {
            let word = pack_word(chunk.try_into().expect("chunks_exact"), max_level);
            self.nulls += BITS - word.count_ones() as usize;
            self.words.push(word);
        }
        self.len += rest.len() - chunks.remainder().len();
        for &l in chunks.remainder() {
            self.push(l == max_level);
        }
    }

    /// Appends every row of `other`.
    pub fn extend_from(&mut self, other: &Validity) {
        if self.len % BITS == 0 {
            self.words.extend_from_slice(&other.words);
            self.len += other.len;
            self.nulls += other.nulls;
            return;
        }
        other.iter().for_each(|b| self.push(b));
    }

    /// Each row's validity, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = bool> + '_ {
        (0..self.len).map(|i| self.bit(i))
    }

    /// The words, least-significant bit first; bits past [`Validity::len`] are zero.
    #[must_use]
    pub fn words(&self) -> &[u64] {
        &self.words
    }
}

/// The word whose bit `b` says whether `levels[b]` is `max_level`.
///
/// The comparisons go to a byte each (which vectorises), and each 8 bytes of 0 or 1 fold into
/// one byte with a multiplication: byte `j`'s bit lands on bit `56 + j` of the product (the
/// shifts `56 - 7i` of the constant's set bits give every (byte, shift) pair its own bit, so
/// no two terms collide or carry into the top byte).
#[inline]
fn pack_word(levels: &[u32; BITS], max_level: u32) -> u64 {
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let mut bytes = [0u8; BITS];
    for (b, &l) in bytes.iter_mut().zip(levels) {
        *b = u8::from(l == max_level);
    }
    let mut word = 0;
    for (k, eight) in bytes.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(eight.try_into().expect("chunks_exact"));
        word |= (x.wrapping_mul(GATHER) >> 56) << (8 * k);
    }
    word
}

/// A word with its `n` low bits set, `n` in `1..=64`.
fn ones(n: usize) -> u64 {
    debug_assert!((1..=BITS).contains(&n));
    u64::MAX >> (BITS - n)
}

impl FromIterator<bool> for Validity {
    fn from_iter<I: IntoIterator<Item = bool>>(iter: I) -> Self {
        let mut v = Validity::new();
        iter.into_iter().for_each(|b| v.push(b));
        v
    }
}

#[cfg(test)]
mod tests;
