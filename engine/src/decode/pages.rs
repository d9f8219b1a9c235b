//! A column chunk's bytes → its pages, decompressed into one buffer the worker keeps.
//!
//! The parquet crate's page reader decompresses every page into a fresh `Vec`; at L that was
//! about 5% of all CPU in zeroing and page faults on memory the allocator had just given back
//! (docs/benchmarks/main-thread.md). [`ChunkPages`] reads the headers with
//! [`ocp_summary_kernels::page_header`] and decompresses SNAPPY pages (pyarrow's default, and
//! Koku's) into a buffer that lives as long as the worker; uncompressed pages are lent straight
//! from the chunk. Chunks in another codec go through the crate's reader, behind the same
//! [`PageSource`] trait ([`CratePages`]), so the page loop in [`super::chunk`] sees one kind of
//! page either way.

use super::DecodeError;
use ocp_summary_kernels::page_header::{
    parse_page_header, PageHeader, DATA_PAGE, DATA_PAGE_V2, DICTIONARY_PAGE, INDEX_PAGE,
};
use parquet::basic::{Compression, Encoding};
use parquet::column::page::Page;

/// One page, its body decompressed (levels and values, as the crate's `Page::buffer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageView<'a> {
    Dictionary {
        buf: &'a [u8],
        num_values: u32,
    },
    /// A V1 data page: levels (length-prefixed) then values.
    DataV1 {
        buf: &'a [u8],
        num_values: u32,
        encoding: Encoding,
    },
    /// A V2 data page: repetition levels, definition levels, then values.
    DataV2 {
        buf: &'a [u8],
        num_values: u32,
        encoding: Encoding,
        def_levels_len: u32,
        rep_levels_len: u32,
    },
}

/// Pages of one column chunk, each lent until the next is asked for.
pub trait PageSource {
    fn next_page(&mut self) -> Result<Option<PageView<'_>>, DecodeError>;
}

/// Pages from the parquet crate's reader: chunks in codecs [`ChunkPages`] leaves to it, and tests.
pub struct CratePages<I> {
    pages: I,
    current: Option<Page>,
}

impl<I> CratePages<I> {
    pub fn new(pages: I) -> Self {
        CratePages {
            pages,
            current: None,
        }
    }
}

impl<I: Iterator<Item = parquet::errors::Result<Page>>> PageSource for CratePages<I> {
    fn next_page(&mut self) -> Result<Option<PageView<'_>>, DecodeError> {
        self.current = self.pages.next().transpose()?;
        Ok(self.current.as_ref().map(|page| match page {
            Page::DictionaryPage {
                buf, num_values, ..
            } => PageView::Dictionary {
                buf,
                num_values: *num_values,
            },
            Page::DataPage {
                buf,
                num_values,
                encoding,
                ..
            } => PageView::DataV1 {
                buf,
                num_values: *num_values,
                encoding: *encoding,
            },
            Page::DataPageV2 {
                buf,
                num_values,
                encoding,
                def_levels_byte_len,
                rep_levels_byte_len,
                ..
            } => PageView::DataV2 {
                buf,
                num_values: *num_values,
                encoding: *encoding,
                def_levels_len: *def_levels_byte_len,
                rep_levels_len: *rep_levels_byte_len,
            },
        }))
    }
}

/// Snappy never expands more than 64 bytes of output per 3-byte copy; a header claiming more than
/// this many output bytes per input byte is forged, and is refused before its buffer is sized.
const MAX_SNAPPY_RATIO: usize = 32;

/// A page's offset in its chunk, its header, and its body as stored.
type RawPage<'a> = (usize, PageHeader, &'a [u8]);

/// Pages read straight from a chunk's bytes, for UNCOMPRESSED and SNAPPY chunks.
pub struct ChunkPages<'a> {
    chunk: &'a [u8],
    pos: usize,
    snappy: bool,
    /// The worker's decompression buffer; only grows, so a warm worker never faults it in again.
    buf: &'a mut Vec<u8>,
}

impl<'a> ChunkPages<'a> {
    /// `None` for a codec this reader leaves to the parquet crate.
    pub fn new(chunk: &'a [u8], codec: Compression, buf: &'a mut Vec<u8>) -> Option<Self> {
        let snappy = match codec {
            Compression::UNCOMPRESSED => false,
            Compression::SNAPPY => true,
            _ => return None,
        };
        Some(ChunkPages {
            chunk,
            pos: 0,
            snappy,
            buf,
        })
    }

    /// The next page's offset in the chunk, header and (compressed) body; `None` at the end.
    fn next_raw(&mut self) -> Result<Option<RawPage<'a>>, DecodeError> {
        let at = self.pos;
        let chunk: &'a [u8] = self.chunk;
        if at >= chunk.len() {
            return Ok(None);
        }
        let (header, used) = parse_page_header(&chunk[at..]).map_err(|e| corrupt(at, e))?;
        let start = at + used;
        let body = start
            .checked_add(header.compressed_size as usize)
            .and_then(|end| chunk.get(start..end))
            .ok_or_else(|| {
                corrupt(
                    at,
                    format!(
                        "{} bytes of body claimed, {} left in the chunk",
                        header.compressed_size,
                        chunk.len() - start
                    ),
                )
            })?;
        self.pos = start + body.len();
        if let Some(crc) = header.crc {
            if crc32fast::hash(body) != crc as u32 {
                return Err(corrupt(at, "page CRC checksum mismatch"));
            }
        }
        Ok(Some((at, header, body)))
    }

    /// The page's bytes as the decoder reads them: `levels` leading bytes stored as is (V2
    /// levels), the rest decompressed when `compressed`.
    fn body(
        &mut self,
        at: usize,
        body: &'a [u8],
        levels: usize,
        compressed: bool,
        size: usize,
    ) -> Result<&[u8], DecodeError> {
        if !self.snappy || !compressed {
            return Ok(body);
        }
        if levels > body.len() || levels > size {
            return Err(corrupt(at, "level lengths exceed the page"));
        }
        let (stored, packed) = body.split_at(levels);
        let want = size - levels;
        if want > packed.len().saturating_mul(MAX_SNAPPY_RATIO) + 64 {
            return Err(corrupt(
                at,
                format!("{want} bytes claimed from {} compressed", packed.len()),
            ));
        }
        if self.buf.len() < size {
            self.buf.resize(size, 0);
        }
        let out = &mut self.buf[..size];
        out[..levels].copy_from_slice(stored);
        // A data page of only nulls may have nothing to decompress (parquet-format README).
        if want > 0 {
            let n = snap::raw::decompress_len(packed).map_err(|e| corrupt(at, e))?;
            if n != want {
                return Err(corrupt(
                    at,
                    format!("snappy stream holds {n} bytes, the header says {want}"),
                ));
            }
            snap::raw::Decoder::new()
                .decompress(packed, &mut out[levels..])
                .map_err(|e| corrupt(at, e))?;
        }
        Ok(&self.buf[..size])
    }
}

impl PageSource for ChunkPages<'_> {
    fn next_page(&mut self) -> Result<Option<PageView<'_>>, DecodeError> {
        loop {
            let Some((at, h, body)) = self.next_raw()? else {
                return Ok(None);
            };
            let size = h.uncompressed_size as usize;
            let missing = |what| corrupt(at, format!("{what} header missing"));
            match h.page_type {
                // Index pages carry nothing the decoder reads; the crate's reader skips them too.
                INDEX_PAGE => continue,
                DICTIONARY_PAGE => {
                    let d = h.dictionary.ok_or_else(|| missing("dictionary page"))?;
                    let num_values = count(d.num_values, at)?;
                    let buf = self.body(at, body, 0, true, size)?;
                    return Ok(Some(PageView::Dictionary { buf, num_values }));
                }
                DATA_PAGE => {
                    let d = h.data.ok_or_else(|| missing("data page"))?;
                    let num_values = count(d.num_values, at)?;
                    let encoding = encoding(d.encoding).map_err(|e| corrupt(at, e))?;
                    let buf = self.body(at, body, 0, true, size)?;
                    return Ok(Some(PageView::DataV1 {
                        buf,
                        num_values,
                        encoding,
                    }));
                }
                DATA_PAGE_V2 => {
                    let d = h.data_v2.ok_or_else(|| missing("data page v2"))?;
                    let num_values = count(d.num_values, at)?;
                    let def_levels_len = count(d.def_levels_len, at)?;
                    let rep_levels_len = count(d.rep_levels_len, at)?;
                    let encoding = encoding(d.encoding).map_err(|e| corrupt(at, e))?;
                    let levels = def_levels_len as usize + rep_levels_len as usize;
                    let buf = self.body(at, body, levels, d.is_compressed, size)?;
                    return Ok(Some(PageView::DataV2 {
                        buf,
                        num_values,
                        encoding,
                        def_levels_len,
                        rep_levels_len,
                    }));
                }
                other => return Err(corrupt(at, format!("unknown page type {other}"))),
            }
        }
    }
}

fn corrupt(at: usize, what: impl std::fmt::Display) -> DecodeError {
    DecodeError::Corrupt(format!("page at byte {at} of the column chunk: {what}"))
}

/// A count from a header, which must not be negative.
fn count(v: i32, at: usize) -> Result<u32, DecodeError> {
    u32::try_from(v).map_err(|_| corrupt(at, format!("negative count {v}")))
}

/// The `Encoding` enum of parquet.thrift.
fn encoding(v: i32) -> Result<Encoding, String> {
    Ok(match v {
        0 => Encoding::PLAIN,
        2 => Encoding::PLAIN_DICTIONARY,
        3 => Encoding::RLE,
        #[allow(deprecated)]
        4 => Encoding::BIT_PACKED,
        5 => Encoding::DELTA_BINARY_PACKED,
        6 => Encoding::DELTA_LENGTH_BYTE_ARRAY,
        7 => Encoding::DELTA_BYTE_ARRAY,
        8 => Encoding::RLE_DICTIONARY,
        9 => Encoding::BYTE_STREAM_SPLIT,
        other => return Err(format!("unknown encoding {other}")),
    })
}

#[cfg(test)]
mod tests;
