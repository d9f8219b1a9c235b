//! Koku label JSON → sorted `(KeyId, ValueId)` pairs, filtered to the enabled keys.
//!
//! Koku stores pod, namespace and node labels as the text of a JSON object of strings, written by
//! Python's `json.dumps` (`{"app": "web"}`), or `{}` / `null`. Only keys enabled in the cost
//! model matter to the summary, so the parser drops the others before interning anything, and
//! returns the kept pairs sorted by key so sets can be merged ([`crate::merge`]) and interned
//! ([`LabelSets`]) as plain slices. [`write_json`] turns a set back into compact JSON text.
//!
//! Parsing uses simd-json's tape with buffers kept in [`LabelParser`] and reused across calls.
//! Duplicate keys resolve as in Python's `json.loads`: the last occurrence wins.

use simd_json::{Buffers, Node, Tape};

use crate::intern::{Interner, SliceInterner};
use crate::KernelError;

/// An enabled label key; ids are ranks in byte order, so ordering by `KeyId` orders by key.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub u32);

/// A label value, an id in the caller's value [`Interner`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValueId(pub u32);

/// One label: key and value.
pub type Label = (KeyId, ValueId);

/// The label keys the summary keeps, each with its [`KeyId`].
#[derive(Clone, Debug, Default)]
pub struct EnabledKeys {
    /// Keys interned in sorted order, so an interner id is the key's rank.
    keys: Interner,
}

impl EnabledKeys {
    /// Sorts and deduplicates `keys`; `KeyId(n)` is the `n`-th smallest key in byte order.
    pub fn new<I, K>(keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: AsRef<[u8]>,
    {
        let mut sorted: Vec<Vec<u8>> = keys.into_iter().map(|k| k.as_ref().to_vec()).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut interner = Interner::with_capacity(sorted.len(), sorted.iter().map(Vec::len).sum());
        for key in &sorted {
            interner.intern(key);
        }
        Self { keys: interner }
    }

    /// The id of `key` if it is enabled.
    #[inline]
    #[must_use]
    pub fn lookup(&self, key: &[u8]) -> Option<KeyId> {
        if self.keys.is_empty() {
            return None;
        }
        self.keys.lookup(key).map(KeyId)
    }

    /// The key with id `id`.
    ///
    /// # Panics
    ///
    /// If `id` did not come from this set.
    #[inline]
    #[must_use]
    pub fn name(&self, id: KeyId) -> &[u8] {
        self.keys.get(id.0)
    }

    /// Number of enabled keys.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is enabled (every label is then dropped).
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// What [`LabelParser::parse_filtered`] found.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ParsedLabels {
    /// The JSON literal `null`.
    Null,
    /// An object (possibly empty, possibly with no enabled key).
    Map,
}

/// Label JSON parser; keeps simd-json's buffers between calls so parsing allocates nothing
/// once they have grown to the largest document seen.
pub struct LabelParser {
    /// Copy of the input plus simd-json's padding (simd-json unescapes strings in place).
    input: Vec<u8>,
    buffers: Buffers,
    /// Always empty between calls; kept for its allocation.
    tape: Tape<'static>,
}

impl Default for LabelParser {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for LabelParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabelParser").finish_non_exhaustive()
    }
}

fn json_error(offset: usize, reason: impl Into<String>) -> KernelError {
    KernelError::LabelJson {
        offset,
        reason: reason.into(),
    }
}

fn is_json_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl LabelParser {
    /// A parser with small initial buffers.
    #[must_use]
    pub fn new() -> Self {
        Self {
            input: Vec::new(),
            buffers: Buffers::new(256),
            tape: Tape(Vec::new()),
        }
    }

    /// Parses label JSON, keeping only keys in `enabled`.
    ///
    /// Clears `out`, then fills it with the enabled `(key, value)` pairs sorted by [`KeyId`],
    /// one per key (the last occurrence wins). Kept values are interned into `values` as
    /// unescaped UTF-8 bytes; dropped ones are not.
    ///
    /// # Errors
    ///
    /// [`KernelError::LabelJson`] if the text is empty, not valid JSON, has trailing bytes, is
    /// neither `null` nor an object, or has a value that is not a string. Every value is
    /// checked, so a non-string value is an error even where a later duplicate key would hide it
    /// from Python's `json.loads` (`json.dumps` never writes duplicate keys).
    pub fn parse_filtered(
        &mut self,
        json: &[u8],
        enabled: &EnabledKeys,
        values: &mut Interner,
        out: &mut Vec<Label>,
    ) -> Result<ParsedLabels, KernelError> {
        out.clear();
        let start = json.iter().position(|&b| !is_json_space(b));
        let end = json
            .iter()
            .rposition(|&b| !is_json_space(b))
            .map_or(0, |e| e + 1);
        let Some(start) = start else {
            return Err(json_error(json.len(), "empty label JSON"));
        };
        // The two shapes most rows have, without touching the parser.
        match &json[start..end] {
            b"null" => return Ok(ParsedLabels::Null),
            b"{}" => return Ok(ParsedLabels::Map),
            _ => {}
        }
        if json[start] != b'{' {
            // simd-json would accept any JSON value; say what is wrong before parsing.
            return Err(self.not_an_object(json, start));
        }
        self.input.clear();
        self.input.extend_from_slice(json);
        let len = self.input.len();
        self.input.resize(len + simd_json::INPUT_PADDING, b' ');

        let Self {
            input,
            buffers,
            tape: slot,
        } = self;
        let mut tape: Tape<'_> = std::mem::replace(slot, Tape(Vec::new())).reset();
        let result = match simd_json::fill_tape_padded(input, len, buffers, &mut tape) {
            Ok(()) => collect(&tape.0, buffers.structural_indexes(), enabled, values, out),
            Err(e) => Err(json_error(
                e.index().min(len),
                format!("not valid JSON: {:?}", e.error()),
            )),
        };
        *slot = tape.reset();
        if result.is_err() {
            out.clear();
        }
        result.map(|()| ParsedLabels::Map)
    }

    /// The error for a document that starts with something other than `{` (or is not `null`).
    fn not_an_object(&mut self, json: &[u8], start: usize) -> KernelError {
        let what = match json[start] {
            b'[' => "an array",
            b'"' => "a string",
            b't' | b'f' => "a boolean",
            b'n' => "`null` followed by other bytes",
            b'-' | b'0'..=b'9' => "a number",
            _ => "not JSON",
        };
        json_error(start, format!("expected an object or null, found {what}"))
    }
}

/// Walks the tape of an object, pushing enabled pairs into `out`, sorted and deduplicated.
fn collect(
    nodes: &[Node<'_>],
    structurals: &[u32],
    enabled: &EnabledKeys,
    values: &mut Interner,
    out: &mut Vec<Label>,
) -> Result<(), KernelError> {
    let Some(&Node::Object { len, .. }) = nodes.first() else {
        return Err(json_error(0, "expected an object or null"));
    };
    // Token positions of a flat object: `{` "k" `:` "v" `,` "k" ... so pair i's value is
    // structural 4i+3. Every pair before the failing one was flat, so the formula holds there.
    let value_offset = |i: usize| structurals.get(4 * i + 3).map_or(0, |&o| o as usize);
    for i in 0..len {
        let (Some(Node::String(key)), Some(value)) = (nodes.get(1 + 2 * i), nodes.get(2 + 2 * i))
        else {
            return Err(json_error(value_offset(i), "malformed object"));
        };
        let Node::String(_) = value else {
            let kind = match value {
                Node::Object { .. } => "an object",
                Node::Array { .. } => "an array",
                Node::Static(simd_json::StaticNode::Null) => "null",
                Node::Static(simd_json::StaticNode::Bool(_)) => "a boolean",
                _ => "a number",
            };
            return Err(json_error(
                value_offset(i),
                format!("value of label {key:?} is {kind}, not a string"),
            ));
        };
        if let Some(k) = enabled.lookup(key.as_bytes()) {
            // Park the tape index of the value; it is interned after deduplication.
            out.push((k, ValueId(2 + 2 * i as u32)));
        }
    }
    // Sorting (key, tape index) puts a key's occurrences together in input order; keep the last.
    out.sort_unstable();
    let mut kept = 0;
    for i in 0..out.len() {
        if i + 1 == out.len() || out[i + 1].0 != out[i].0 {
            out[kept] = out[i];
            kept += 1;
        }
    }
    out.truncate(kept);
    for label in out.iter_mut() {
        let Node::String(value) = nodes[label.1 .0 as usize] else {
            unreachable!("checked to be a string above");
        };
        label.1 = ValueId(values.try_intern(value.as_bytes())?);
    }
    Ok(())
}

/// Distinct sorted label arrays, each stored once; `SetId(0)` is the empty set.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SetId(pub u32);

/// Interns label arrays: many rows share a handful of distinct label sets, and the summary
/// groups by set, so rows carry a `SetId`.
///
/// A [`SliceInterner`] of [`Label`]s, the same arena design as the string [`Interner`] (see
/// [`crate::intern`]), with the empty set interned first so it is always `SetId(0)`. Set ids
/// never reach `u32::MAX`, which callers use as the NULL set id.
#[derive(Clone)]
pub struct LabelSets {
    sets: SliceInterner<Label>,
}

impl Default for LabelSets {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for LabelSets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabelSets")
            .field("len", &self.len())
            .field("pairs", &self.sets.items_used())
            .finish()
    }
}

impl LabelSets {
    /// Holds only the empty set, as `SetId(0)`.
    #[must_use]
    pub fn new() -> Self {
        Self::with_sets(SliceInterner::new())
    }

    /// `sets` with the empty set interned first, as `SetId(0)`.
    fn with_sets(mut sets: SliceInterner<Label>) -> Self {
        let empty = sets.intern(&[]);
        debug_assert_eq!(empty, 0);
        Self { sets }
    }

    /// At most `limit` distinct sets, the empty one included (`limit >= 1`); for tests.
    #[cfg(test)]
    pub(crate) fn with_limit(limit: u32) -> Self {
        Self::with_sets(SliceInterner::with_limit(limit))
    }

    /// The id of `labels` (sorted by key, as the parser and merge produce), adding it if new.
    ///
    /// # Errors
    ///
    /// [`KernelError::TooManyDistinct`] if `labels` is new and `u32::MAX` distinct sets are
    /// already interned (so no set gets the id `u32::MAX`). The sets are then unchanged.
    #[inline]
    pub fn try_intern(&mut self, labels: &[Label]) -> Result<SetId, KernelError> {
        self.sets.try_intern(labels).map(SetId)
    }

    /// The id of `labels` (sorted by key, as the parser and merge produce), adding it if new.
    ///
    /// # Panics
    ///
    /// Where [`LabelSets::try_intern`] returns an error: past `u32::MAX` distinct sets, so
    /// that no set gets the id `u32::MAX`.
    #[inline]
    pub fn intern(&mut self, labels: &[Label]) -> SetId {
        SetId(self.sets.intern(labels))
    }

    /// The labels of set `id`.
    ///
    /// # Panics
    ///
    /// If `id` did not come from this interner.
    #[inline]
    #[must_use]
    pub fn get(&self, id: SetId) -> &[Label] {
        self.sets.get(id.0)
    }

    /// Number of distinct sets, the empty one included (so never 0).
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.sets.len()
    }

    /// Always false: the empty set is always present. Here for API symmetry.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }
}

/// Appends `labels` as compact JSON, `{"k":"v",...}` in key order (`{}` when empty).
///
/// Strings are escaped per RFC 8259: `"` and `\`, control characters as `\n \t \r \b \f` or
/// `\u00XX`; everything else, non-ASCII UTF-8 included, is copied as is.
pub fn write_json(labels: &[Label], enabled: &EnabledKeys, values: &Interner, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, &(key, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(enabled.name(key), out);
        out.push(b':');
        write_string(values.get(value.0), out);
    }
    out.push(b'}');
}

fn write_string(s: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let mut run = 0; // start of the bytes not yet copied
    for (i, &b) in s.iter().enumerate() {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\t' => b't',
            b'\r' => b'r',
            0x08 => b'b',
            0x0c => b'f',
            0..0x20 => 0,
            _ => continue,
        };
        out.extend_from_slice(&s[run..i]);
        run = i + 1;
        if short == 0 {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', short]);
        }
    }
    out.extend_from_slice(&s[run..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests;
