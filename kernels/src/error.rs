//! The one error type every kernel returns.
//!
//! Kernels only fail on corrupt or unexpected input (a truncated page, an out-of-range dictionary
//! index, malformed label JSON). The enum is `#[non_exhaustive]` so new kernels can add variants
//! without breaking callers; the `Display` text is meant to be shown to a person as is.

use std::fmt;

/// Why a kernel rejected its input.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum KernelError {
    /// The input ended before the kernel had what it needed.
    UnexpectedEof {
        /// Bytes the kernel needed at the point it stopped.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A bit width above 32 (Parquet ids and levels are at most 32 bits wide).
    BitWidthTooLarge(u8),
    /// A ULEB128 run header longer than 5 bytes or above `u32::MAX`.
    BadRunHeader {
        /// Byte offset of the header in the hybrid stream.
        offset: usize,
    },
    /// A dictionary id at or past the end of the dictionary.
    DictIndexOutOfRange {
        /// The offending id (the first one found).
        index: u32,
        /// The dictionary length.
        len: usize,
    },
    /// Label JSON that is not `null` or an object of string values.
    LabelJson {
        /// Byte offset in the input where the problem was found (best effort).
        offset: usize,
        /// What was wrong.
        reason: String,
    },
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnexpectedEof { needed, available } => write!(
                f,
                "unexpected end of input: needed {needed} more bytes, {available} available"
            ),
            Self::BitWidthTooLarge(w) => write!(f, "bit width {w} is larger than 32"),
            Self::BadRunHeader { offset } => {
                write!(f, "malformed RLE/bit-packed run header at byte {offset}")
            }
            Self::DictIndexOutOfRange { index, len } => write!(
                f,
                "dictionary index {index} out of range for a dictionary of {len} entries"
            ),
            Self::LabelJson { offset, reason } => {
                write!(f, "invalid label JSON at byte {offset}: {reason}")
            }
        }
    }
}

impl std::error::Error for KernelError {}
