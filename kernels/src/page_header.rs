//! Parquet page headers: Thrift compact protocol bytes → [`PageHeader`].
//!
//! The parquet crate parses page headers only inside its own page reader, which decompresses every
//! page into a fresh buffer. Reading the header here lets the decoder keep one decompression buffer
//! per worker (see `engine::decode::pages`). Only the fields the decoder uses are kept; every other
//! field, known or not (statistics, size histograms, future additions), is skipped by its wire type,
//! so headers from newer writers still parse.
//!
//! The input is untrusted: every read is bounds-checked, varints are at most 10 bytes, nesting is
//! limited to [`MAX_DEPTH`], and sizes are checked for sign here and against the chunk by the
//! caller.

use crate::KernelError;

/// Page types (`PageType` in parquet.thrift).
pub const DATA_PAGE: i32 = 0;
pub const INDEX_PAGE: i32 = 1;
pub const DICTIONARY_PAGE: i32 = 2;
pub const DATA_PAGE_V2: i32 = 3;

/// Deepest nesting of structs, lists and maps a header may have. Real headers nest two deep
/// (statistics inside a data page header); the limit keeps forged input from exhausting the stack.
pub const MAX_DEPTH: u32 = 32;

/// What the decoder needs from a page header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageHeader {
    pub page_type: i32,
    pub uncompressed_size: i32,
    pub compressed_size: i32,
    pub crc: Option<i32>,
    pub data: Option<DataPageHeader>,
    pub dictionary: Option<DictionaryPageHeader>,
    pub data_v2: Option<DataPageHeaderV2>,
}

/// `DataPageHeader`: levels and values share the (compressed) body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataPageHeader {
    /// Values including nulls.
    pub num_values: i32,
    /// `Encoding` enum value of the values.
    pub encoding: i32,
}

/// `DictionaryPageHeader`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DictionaryPageHeader {
    pub num_values: i32,
    pub encoding: i32,
}

/// `DataPageHeaderV2`: levels come first, never compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataPageHeaderV2 {
    pub num_values: i32,
    pub num_nulls: i32,
    pub num_rows: i32,
    pub encoding: i32,
    pub def_levels_len: i32,
    pub rep_levels_len: i32,
    /// Whether the values section is compressed; absent means true.
    pub is_compressed: bool,
}

/// Compact protocol wire types.
mod wire {
    pub const TRUE: u8 = 1;
    pub const FALSE: u8 = 2;
    pub const I8: u8 = 3;
    pub const I16: u8 = 4;
    pub const I32: u8 = 5;
    pub const I64: u8 = 6;
    pub const DOUBLE: u8 = 7;
    pub const BINARY: u8 = 8;
    pub const LIST: u8 = 9;
    pub const SET: u8 = 10;
    pub const MAP: u8 = 11;
    pub const STRUCT: u8 = 12;
    pub const UUID: u8 = 13;
}

/// Parses the header at the start of `buf`; returns it and its length in bytes.
pub fn parse_page_header(buf: &[u8]) -> Result<(PageHeader, usize), KernelError> {
    let mut r = Reader { buf, pos: 0 };
    let mut h = PageHeader::default();
    let mut seen = [false; 3];
    r.read_struct(0, |r, id, ty| {
        match id {
            1..=3 => {
                let v = r.i32(ty, id)?;
                seen[id as usize - 1] = true;
                match id {
                    1 => h.page_type = v,
                    2 => h.uncompressed_size = v,
                    _ => h.compressed_size = v,
                }
            }
            4 => h.crc = Some(r.i32(ty, id)?),
            5 => h.data = Some(r.data_page(ty)?),
            7 => h.dictionary = Some(r.dictionary_page(ty)?),
            8 => h.data_v2 = Some(r.data_page_v2(ty)?),
            _ => r.skip(ty, 1)?,
        }
        Ok(())
    })?;
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(r.error(format!("required field {} is missing", i + 1)));
    }
    if h.uncompressed_size < 0 || h.compressed_size < 0 {
        return Err(r.error(format!(
            "negative page size (uncompressed {}, compressed {})",
            h.uncompressed_size, h.compressed_size
        )));
    }
    Ok((h, r.pos))
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn error(&self, reason: String) -> KernelError {
        KernelError::PageHeader {
            offset: self.pos,
            reason,
        }
    }

    fn byte(&mut self) -> Result<u8, KernelError> {
        let b = *self.buf.get(self.pos).ok_or(KernelError::UnexpectedEof {
            needed: 1,
            available: 0,
        })?;
        self.pos += 1;
        Ok(b)
    }

    fn bytes(&mut self, n: u64) -> Result<(), KernelError> {
        let available = self.buf.len() - self.pos;
        match usize::try_from(n) {
            Ok(n) if n <= available => {
                self.pos += n;
                Ok(())
            }
            _ => Err(KernelError::UnexpectedEof {
                needed: usize::try_from(n).unwrap_or(usize::MAX),
                available,
            }),
        }
    }

    /// ULEB128 of at most 10 bytes (64 bits).
    fn varint(&mut self) -> Result<u64, KernelError> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift.min(63);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.error("varint longer than 10 bytes".into()))
    }

    fn zigzag(&mut self) -> Result<i64, KernelError> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// An `i32` field (enums are `i32` too).
    fn i32(&mut self, ty: u8, id: i16) -> Result<i32, KernelError> {
        if ty != wire::I32 {
            return Err(self.error(format!("field {id} has wire type {ty}, not i32")));
        }
        let v = self.zigzag()?;
        i32::try_from(v).map_err(|_| self.error(format!("field {id} value {v} overflows i32")))
    }

    fn bool(&self, ty: u8, id: i16) -> Result<bool, KernelError> {
        match ty {
            wire::TRUE => Ok(true),
            wire::FALSE => Ok(false),
            _ => Err(self.error(format!("field {id} has wire type {ty}, not bool"))),
        }
    }

    /// Calls `field` with each field's id and wire type until the struct's stop byte. `field`
    /// must consume the value.
    fn read_struct(
        &mut self,
        depth: u32,
        mut field: impl FnMut(&mut Self, i16, u8) -> Result<(), KernelError>,
    ) -> Result<(), KernelError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("nested deeper than {MAX_DEPTH}")));
        }
        let mut last = 0i16;
        loop {
            let b = self.byte()?;
            if b == 0 {
                return Ok(());
            }
            let ty = b & 0x0f;
            let id = match b >> 4 {
                0 => {
                    let v = self.zigzag()?;
                    i16::try_from(v).map_err(|_| self.error(format!("field id {v}")))?
                }
                delta => last.checked_add(i16::from(delta)).ok_or_else(|| {
                    self.error(format!("field id overflows after {last} + {delta}"))
                })?,
            };
            last = id;
            field(self, id, ty)?;
        }
    }

    fn expect_struct(&self, ty: u8, what: &str) -> Result<(), KernelError> {
        match ty {
            wire::STRUCT => Ok(()),
            _ => Err(self.error(format!("{what} has wire type {ty}, not struct"))),
        }
    }

    fn data_page(&mut self, ty: u8) -> Result<DataPageHeader, KernelError> {
        let (num_values, encoding) = self.count_and_encoding(ty, "data_page_header")?;
        Ok(DataPageHeader {
            num_values,
            encoding,
        })
    }

    fn dictionary_page(&mut self, ty: u8) -> Result<DictionaryPageHeader, KernelError> {
        let (num_values, encoding) = self.count_and_encoding(ty, "dictionary_page_header")?;
        Ok(DictionaryPageHeader {
            num_values,
            encoding,
        })
    }

    /// The two required fields `DataPageHeader` and `DictionaryPageHeader` both start with:
    /// `num_values` (1) and `encoding` (2); the rest is skipped.
    fn count_and_encoding(&mut self, ty: u8, what: &str) -> Result<(i32, i32), KernelError> {
        self.expect_struct(ty, what)?;
        let mut v = [0i32; 2];
        let mut seen = [false; 2];
        self.read_struct(1, |r, id, ty| {
            match id {
                1 | 2 => (v[id as usize - 1], seen[id as usize - 1]) = (r.i32(ty, id)?, true),
                _ => r.skip(ty, 2)?,
            }
            Ok(())
        })?;
        self.require(&seen, what)?;
        Ok((v[0], v[1]))
    }

    fn data_page_v2(&mut self, ty: u8) -> Result<DataPageHeaderV2, KernelError> {
        self.expect_struct(ty, "data_page_header_v2")?;
        let mut v = [0i32; 6];
        let mut seen = [false; 6];
        let mut is_compressed = true;
        self.read_struct(1, |r, id, ty| {
            match id {
                1..=6 => {
                    v[id as usize - 1] = r.i32(ty, id)?;
                    seen[id as usize - 1] = true;
                }
                7 => is_compressed = r.bool(ty, id)?,
                _ => r.skip(ty, 2)?,
            }
            Ok(())
        })?;
        self.require(&seen, "data_page_header_v2")?;
        Ok(DataPageHeaderV2 {
            num_values: v[0],
            num_nulls: v[1],
            num_rows: v[2],
            encoding: v[3],
            def_levels_len: v[4],
            rep_levels_len: v[5],
            is_compressed,
        })
    }

    fn require(&self, seen: &[bool], what: &str) -> Result<(), KernelError> {
        match seen.iter().position(|s| !s) {
            Some(i) => Err(self.error(format!("{what}: required field {} is missing", i + 1))),
            None => Ok(()),
        }
    }

    /// Skips one value of wire type `ty` (a field's or a collection element's).
    fn skip(&mut self, ty: u8, depth: u32) -> Result<(), KernelError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("nested deeper than {MAX_DEPTH}")));
        }
        match ty {
            wire::TRUE | wire::FALSE => Ok(()),
            wire::I8 => self.bytes(1),
            wire::I16 | wire::I32 | wire::I64 => self.varint().map(drop),
            wire::DOUBLE => self.bytes(8),
            wire::UUID => self.bytes(16),
            wire::BINARY => {
                let n = self.varint()?;
                self.bytes(n)
            }
            wire::LIST | wire::SET => {
                let b = self.byte()?;
                let n = match u64::from(b >> 4) {
                    15 => self.varint()?,
                    n => n,
                };
                self.skip_elements(n, b & 0x0f, depth)
            }
            wire::MAP => {
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                let kv = self.byte()?;
                for _ in 0..n {
                    self.skip_element(kv >> 4, depth)?;
                    self.skip_element(kv & 0x0f, depth)?;
                }
                Ok(())
            }
            wire::STRUCT => self.read_struct(depth + 1, |r, _, ty| r.skip(ty, depth + 1)),
            _ => Err(self.error(format!("unknown wire type {ty}"))),
        }
    }

    fn skip_elements(&mut self, n: u64, ty: u8, depth: u32) -> Result<(), KernelError> {
        for _ in 0..n {
            self.skip_element(ty, depth)?;
        }
        Ok(())
    }

    /// A collection element: booleans take a byte each there, unlike in a field header.
    fn skip_element(&mut self, ty: u8, depth: u32) -> Result<(), KernelError> {
        match ty {
            wire::TRUE | wire::FALSE => self.bytes(1),
            _ => self.skip(ty, depth + 1),
        }
    }
}

#[cfg(test)]
mod tests;
