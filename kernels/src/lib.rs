//! Pure kernels for ocp-summary.
//!
//! Every kernel takes slices in and writes into buffers the caller owns. None of them do I/O, spawn
//! threads, log, or allocate per row: the pipeline in the `ocp-summary` crate calls them once per page,
//! per dictionary or per distinct label string. See `README.md` for the contract.
//!
//! | module | job |
//! |---|---|
//! | [`rle`] | Parquet RLE / bit-packed hybrid → dictionary ids and levels |
//! | [`direct_index`] | keys → dense indexes (and a value each), found first through a small id the key carries (its label set) |
//! | [`delta`] | Parquet DELTA_BINARY_PACKED → `i64` values; DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY → byte strings |
//! | [`int96`] | Parquet INT96 timestamps (Julian day, nanoseconds of the day) → epoch milliseconds |
//! | [`intern`] | slice → dense `u32` id, each slice stored once: byte strings ([`intern::Interner`]) and label sets |
//! | [`shared_intern`] | byte string → dense `u32` id like [`intern`], found by any thread without a lock |
//! | [`labels`] | Koku label JSON → sorted `(KeyId, ValueId)` pairs filtered by enabled keys |
//! | [`merge`] | merge sorted pair arrays, the later map wins (node < namespace < pod) |
//! | [`page_header`] | Parquet page headers (Thrift compact protocol) → the fields the decoder uses |
//! | [`split`] | Parquet BYTE_STREAM_SPLIT → fixed-width values (`f64`, `i64`) |
//! | [`validity`] | which rows have a value: a bit a row, with its NULL count |
//! | [`like`] | SQL `LIKE` with `%` and `_`, case-sensitive, no escape |

pub mod delta;
pub mod direct_index;
pub mod error;
pub mod int96;
pub mod intern;
pub mod labels;
pub mod like;
pub mod merge;
pub mod page_header;
pub mod rle;
pub mod shared_intern;
pub mod split;
#[cfg(test)]
mod test_encode;
pub mod validity;

pub use error::KernelError;
