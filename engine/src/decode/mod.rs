//! Column chunks → typed columns, one row group at a time.
//!
//! Pages come from [`pages`]: headers parsed by a kernel and SNAPPY pages decompressed into one
//! buffer per worker (other codecs through the parquet crate's page reader). Everything after that
//! is ours too: definition levels and dictionary ids go through the RLE kernels, dictionaries
//! are decoded once per chunk, strings are interned once per dictionary entry, and label JSON is
//! parsed once per distinct string (see [`strings`]). Every encoding a flat column of the types read here can have is
//! decoded by a kernel ([`chunk::ValueDecoder::read_encoded`]), whichever writer made the file
//! (pandas/pyarrow with any options, Spark, Trino, DuckDB, the parquet crate):
//!
//! | physical type | encodings |
//! |---|---|
//! | INT64 (timestamps in any unit, integers) | PLAIN, dictionary, DELTA_BINARY_PACKED, BYTE_STREAM_SPLIT |
//! | INT96 (timestamps) | PLAIN, dictionary (`kernels::int96`) |
//! | DOUBLE | PLAIN, dictionary, BYTE_STREAM_SPLIT |
//! | BYTE_ARRAY (strings, labels) | PLAIN, dictionary, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY |
//!
//! Timestamps become milliseconds since the epoch, floored (`plan::columns`). [`reference`]
//! decodes the same chunks through the parquet crate's typed readers instead (`--decode
//! reference`): a check on the kernels, and the fallback for a chunk in an encoding outside the
//! table (none a known writer produces), which goes through [`reference`] on its own and is
//! counted in [`DecodeStats::fallback_chunks`].

pub mod chunk;
pub mod column;
pub mod pages;
pub mod probe;
pub mod reference;
pub mod rowgroup;
pub mod strings;

pub use crate::error::{DecodeError, ReadError};

/// Page counts, so the run summary can say how much went through the kernels.
#[derive(Debug, Default, Clone, Copy)]
pub struct DecodeStats {
    pub dictionary_pages: u64,
    pub dict_id_pages: u64,
    pub plain_pages: u64,
    /// Data pages in another encoding the kernels decode: DELTA_BINARY_PACKED (INT64),
    /// BYTE_STREAM_SPLIT (DOUBLE, INT64), DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY (strings).
    pub encoded_pages: u64,
    pub values: u64,
    /// Column chunks with an encoding the kernels lack, decoded by the parquet crate's reader.
    /// Zero for every file pyarrow, Spark, DuckDB or the parquet crate writes (`tests/writers.rs`).
    pub fallback_chunks: u64,
}

impl DecodeStats {
    pub fn add(&mut self, other: &DecodeStats) {
        self.dictionary_pages += other.dictionary_pages;
        self.dict_id_pages += other.dict_id_pages;
        self.plain_pages += other.plain_pages;
        self.encoded_pages += other.encoded_pages;
        self.values += other.values;
        self.fallback_chunks += other.fallback_chunks;
    }
}
