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
    /// A run header of 0 ended the hybrid stream before every value was decoded.
    ///
    /// A header of 0 (an RLE run of no values) is what fastparquet pads pages with; it marks
    /// the end of the runs, as in arrow-rs (see [`crate::rle::decode_hybrid`]).
    RunsEnded {
        /// Byte offset of the zero header in the hybrid stream.
        offset: usize,
        /// Values still to decode when it was reached.
        missing: usize,
    },
    /// More distinct values than an interner can give ids to.
    ///
    /// Ids are `u32` and `u32::MAX` is reserved as the NULL id, so an interner holds at most
    /// `u32::MAX` distinct values (ids `0..=u32::MAX - 1`), fewer if built with a lower limit.
    TooManyDistinct {
        /// The most distinct values the interner holds.
        limit: u32,
    },
    /// Label JSON that is not `null` or an object of string values.
    LabelJson {
        /// Byte offset in the input where the problem was found (best effort).
        offset: usize,
        /// What was wrong.
        reason: String,
    },
    /// A Parquet page header (Thrift compact protocol) that does not parse: a wrong wire type, a
    /// missing required field, a negative size, nesting past the limit.
    PageHeader {
        /// Byte offset in the header where the problem was found.
        offset: usize,
        /// What was wrong.
        reason: String,
    },
    /// A value stream (DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
    /// BYTE_STREAM_SPLIT) whose structure the format forbids: a bad header or block layout, a
    /// width too large, counts that disagree, a prefix longer than the previous value.
    InvalidStream {
        /// The Parquet encoding being decoded.
        encoding: &'static str,
        /// Byte offset in the stream where the problem was found (best effort).
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
            Self::RunsEnded { offset, missing } => write!(
                f,
                "RLE/bit-packed stream ends at a zero run header at byte {offset} \
                 with {missing} values still to decode"
            ),
            Self::TooManyDistinct { limit } => write!(
                f,
                "more than {limit} distinct values to intern (ids are 32-bit, with u32::MAX \
                 reserved for NULL)"
            ),
            Self::LabelJson { offset, reason } => {
                write!(f, "invalid label JSON at byte {offset}: {reason}")
            }
            Self::PageHeader { offset, reason } => {
                write!(f, "invalid page header at byte {offset}: {reason}")
            }
            Self::InvalidStream {
                encoding,
                offset,
                reason,
            } => write!(f, "invalid {encoding} stream at byte {offset}: {reason}"),
        }
    }
}

impl std::error::Error for KernelError {}
