//! The page loop shared by every column type.
//!
//! A chunk is an optional dictionary page followed by data pages. For each data page we decode the
//! definition levels (RLE kernel), then the non-null values either as dictionary ids (RLE kernel,
//! bounds-checked once per page), as PLAIN values, or in another encoding the type's decoder
//! knows ([`ValueDecoder::read_encoded`]: DELTA_BINARY_PACKED, BYTE_STREAM_SPLIT,
//! DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY), and scatter them to row slots. Null slots get the
//! type's filler and `valid = false`.

use super::pages::{PageSource, PageView};
use super::{DecodeError, DecodeStats};
use crate::catalog::LabelCache;
use ocp_summary_kernels::validity::Validity;
use ocp_summary_kernels::{delta, int96, rle, split};
use parquet::basic::Encoding;

/// How one physical type turns dictionary and PLAIN bytes into items.
pub trait ValueDecoder {
    type Item: Copy;
    /// Filler for null slots.
    const NULL: Self::Item;
    /// Decodes a PLAIN dictionary page of `n` entries and keeps it.
    fn set_dictionary(&mut self, buf: &[u8], n: usize) -> Result<(), DecodeError>;
    /// The decoded dictionary, indexed by dictionary id.
    fn dictionary(&self) -> Option<&[Self::Item]>;
    /// Appends `n` PLAIN-encoded values from `buf`.
    fn read_plain(
        &mut self,
        buf: &[u8],
        n: usize,
        out: &mut Vec<Self::Item>,
    ) -> Result<(), DecodeError>;
    /// Appends `n` values of a data page in an encoding other than PLAIN and dictionary ids
    /// (DELTA_BINARY_PACKED for INT64, ...). The default refuses, and the chunk then goes
    /// through the parquet crate's reader (see `rowgroup`).
    fn read_encoded(
        &mut self,
        encoding: Encoding,
        buf: &[u8],
        n: usize,
        out: &mut Vec<Self::Item>,
    ) -> Result<(), DecodeError> {
        let _ = (buf, n, out);
        Err(DecodeError::UnsupportedEncoding(encoding))
    }
}

/// Reusable buffers for [`decode_chunk`].
#[derive(Default)]
pub struct Scratch {
    levels: Vec<u32>,
    ids: Vec<u32>,
    /// The worker's label sets by string id, lent to each label column's decoder.
    pub labels: LabelCache,
}

/// Output of one column chunk: one item per row, and validity when the column is nullable.
pub struct ColumnOut<'a, T> {
    pub values: &'a mut Vec<T>,
    pub valid: Option<&'a mut Validity>,
    /// Rows the row group still has: a page claiming more is corrupt, and checking before
    /// decoding keeps a forged count from allocating unbounded memory.
    pub rows_left: usize,
}

impl<T> ColumnOut<'_, T> {
    fn take_rows(&mut self, n: usize) -> Result<(), DecodeError> {
        if n > self.rows_left {
            return Err(DecodeError::Corrupt(format!(
                "a page holds {n} values but only {} rows remain in the row group",
                self.rows_left
            )));
        }
        self.rows_left -= n;
        Ok(())
    }
}

/// Decodes every page of one column chunk into `out`.
pub fn decode_chunk<V: ValueDecoder>(
    pages: &mut (impl PageSource + ?Sized),
    max_def: i16,
    decoder: &mut V,
    mut out: ColumnOut<'_, V::Item>,
    scratch: &mut Scratch,
    stats: &mut DecodeStats,
) -> Result<(), DecodeError> {
    while let Some(page) = pages.next_page()? {
        match page {
            PageView::Dictionary { buf, num_values } => {
                stats.dictionary_pages += 1;
                decoder.set_dictionary(buf, num_values as usize)?;
            }
            PageView::DataV1 {
                buf,
                num_values,
                encoding,
            } => {
                let n = num_values as usize;
                out.take_rows(n)?;
                let consumed = if max_def > 0 {
                    rle::decode_levels_v1(buf, level_width(max_def), n, clear(&mut scratch.levels))?
                } else {
                    0
                };
                let values = &buf[consumed..];
                data_page(
                    decoder, values, encoding, n, max_def, &mut out, scratch, stats,
                )?;
            }
            PageView::DataV2 {
                buf,
                num_values,
                encoding,
                def_levels_len,
                rep_levels_len,
            } => {
                let n = num_values as usize;
                out.take_rows(n)?;
                let rep = rep_levels_len as usize;
                let def_end = rep + def_levels_len as usize;
                if def_end > buf.len() {
                    return Err(DecodeError::Corrupt(format!(
                        "level lengths {def_end} exceed the page size {}",
                        buf.len()
                    )));
                }
                if max_def > 0 {
                    rle::decode_hybrid(
                        &buf[rep..def_end],
                        level_width(max_def),
                        n,
                        clear(&mut scratch.levels),
                    )?;
                }
                let values = &buf[def_end..];
                data_page(
                    decoder, values, encoding, n, max_def, &mut out, scratch, stats,
                )?;
            }
        }
    }
    Ok(())
}

/// Bit width of definition levels for a column whose maximum level is `max_def`.
fn level_width(max_def: i16) -> u8 {
    (16 - (max_def as u16).leading_zeros()) as u8
}

fn clear(v: &mut Vec<u32>) -> &mut Vec<u32> {
    v.clear();
    v
}

#[allow(clippy::too_many_arguments)]
fn data_page<V: ValueDecoder>(
    decoder: &mut V,
    buf: &[u8],
    encoding: Encoding,
    n: usize,
    max_def: i16,
    out: &mut ColumnOut<'_, V::Item>,
    scratch: &mut Scratch,
    stats: &mut DecodeStats,
) -> Result<(), DecodeError> {
    let non_null = if max_def > 0 {
        scratch
            .levels
            .iter()
            .filter(|&&l| l == max_def as u32)
            .count()
    } else {
        n
    };
    stats.values += n as u64;
    let start = out.values.len();
    match encoding {
        Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY => {
            stats.dict_id_pages += 1;
            let dict = decoder.dictionary().ok_or(DecodeError::MissingDictionary)?;
            rle::decode_dict_gather(buf, non_null, dict, &mut scratch.ids, out.values)?;
        }
        Encoding::PLAIN => {
            stats.plain_pages += 1;
            decoder.read_plain(buf, non_null, out.values)?;
        }
        other => {
            decoder.read_encoded(other, buf, non_null, out.values)?;
            stats.encoded_pages += 1;
        }
    }
    if out.values.len() - start != non_null {
        return Err(DecodeError::Corrupt(format!(
            "page promised {non_null} values, decoded {}",
            out.values.len() - start
        )));
    }
    scatter_nulls::<V>(out, start, n, max_def, &scratch.levels);
    Ok(())
}

/// Spreads the `non_null` values appended at `start` over `n` row slots using the levels.
fn scatter_nulls<V: ValueDecoder>(
    out: &mut ColumnOut<'_, V::Item>,
    start: usize,
    n: usize,
    max_def: i16,
    levels: &[u32],
) {
    let non_null = out.values.len() - start;
    if max_def == 0 || non_null == n {
        if let Some(valid) = out.valid.as_deref_mut() {
            valid.extend_constant(n, true);
        }
        return;
    }
    // Walk backwards so each value moves at most once and never over an unread one.
    out.values.resize(start + n, V::NULL);
    let mut src = start + non_null;
    for (slot, &level) in levels.iter().enumerate().rev() {
        if level == max_def as u32 {
            src -= 1;
            out.values[start + slot] = out.values[src];
        } else {
            out.values[start + slot] = V::NULL;
        }
    }
    if let Some(valid) = out.valid.as_deref_mut() {
        valid.extend_from_levels(levels, max_def as u32);
    }
}

/// DOUBLE columns.
#[derive(Default)]
pub struct F64Decoder {
    dict: Option<Vec<f64>>,
}

/// INT64 columns (timestamps, scaled to milliseconds by `scale`).
pub struct I64Decoder {
    dict: Option<Vec<i64>>,
    to_millis: fn(i64) -> i64,
}

impl I64Decoder {
    pub fn new(to_millis: fn(i64) -> i64) -> Self {
        I64Decoder {
            dict: None,
            to_millis,
        }
    }
}

fn plain_fixed<const W: usize, T>(
    buf: &[u8],
    n: usize,
    out: &mut Vec<T>,
    f: impl Fn([u8; W]) -> T,
) -> Result<(), DecodeError> {
    let need = n * W;
    if buf.len() < need {
        return Err(DecodeError::Corrupt(format!(
            "PLAIN page holds {} bytes, {n} values need {need}",
            buf.len()
        )));
    }
    out.extend(
        buf[..need]
            .chunks_exact(W)
            .map(|c| f(c.try_into().expect("chunks_exact"))),
    );
    Ok(())
}

impl ValueDecoder for F64Decoder {
    type Item = f64;
    const NULL: f64 = 0.0;

    fn set_dictionary(&mut self, buf: &[u8], n: usize) -> Result<(), DecodeError> {
        let mut dict = self.dict.take().unwrap_or_default();
        dict.clear();
        plain_fixed::<8, f64>(buf, n, &mut dict, f64::from_le_bytes)?;
        self.dict = Some(dict);
        Ok(())
    }

    fn dictionary(&self) -> Option<&[f64]> {
        self.dict.as_deref()
    }

    fn read_plain(&mut self, buf: &[u8], n: usize, out: &mut Vec<f64>) -> Result<(), DecodeError> {
        plain_fixed::<8, f64>(buf, n, out, f64::from_le_bytes)
    }

    fn read_encoded(
        &mut self,
        encoding: Encoding,
        buf: &[u8],
        n: usize,
        out: &mut Vec<f64>,
    ) -> Result<(), DecodeError> {
        match encoding {
            Encoding::BYTE_STREAM_SPLIT => Ok(split::decode_f64(buf, n, out)?),
            other => Err(DecodeError::UnsupportedEncoding(other)),
        }
    }
}

impl ValueDecoder for I64Decoder {
    type Item = i64;
    const NULL: i64 = 0;

    fn set_dictionary(&mut self, buf: &[u8], n: usize) -> Result<(), DecodeError> {
        let mut dict = self.dict.take().unwrap_or_default();
        dict.clear();
        let f = self.to_millis;
        plain_fixed::<8, i64>(buf, n, &mut dict, |b| f(i64::from_le_bytes(b)))?;
        self.dict = Some(dict);
        Ok(())
    }

    fn dictionary(&self) -> Option<&[i64]> {
        self.dict.as_deref()
    }

    fn read_plain(&mut self, buf: &[u8], n: usize, out: &mut Vec<i64>) -> Result<(), DecodeError> {
        let f = self.to_millis;
        plain_fixed::<8, i64>(buf, n, out, |b| f(i64::from_le_bytes(b)))
    }

    fn read_encoded(
        &mut self,
        encoding: Encoding,
        buf: &[u8],
        n: usize,
        out: &mut Vec<i64>,
    ) -> Result<(), DecodeError> {
        let start = out.len();
        match encoding {
            Encoding::DELTA_BINARY_PACKED => {
                delta::decode_i64(buf, n, out)?;
            }
            Encoding::BYTE_STREAM_SPLIT => {
                split::decode::<8, i64>(buf, n, out, i64::from_le_bytes)?;
            }
            other => return Err(DecodeError::UnsupportedEncoding(other)),
        }
        let f = self.to_millis;
        for v in &mut out[start..] {
            *v = f(*v);
        }
        Ok(())
    }
}

/// INT96 timestamp columns (Spark, Hive, pyarrow's `use_deprecated_int96_timestamps`), as
/// milliseconds since the epoch ([`int96::decode_plain`]). INT96 has PLAIN and dictionary
/// encodings only.
#[derive(Default)]
pub struct Int96Decoder {
    dict: Option<Vec<i64>>,
}

impl ValueDecoder for Int96Decoder {
    type Item = i64;
    const NULL: i64 = 0;

    fn set_dictionary(&mut self, buf: &[u8], n: usize) -> Result<(), DecodeError> {
        let mut dict = self.dict.take().unwrap_or_default();
        dict.clear();
        int96::decode_plain(buf, n, &mut dict)?;
        self.dict = Some(dict);
        Ok(())
    }

    fn dictionary(&self) -> Option<&[i64]> {
        self.dict.as_deref()
    }

    fn read_plain(&mut self, buf: &[u8], n: usize, out: &mut Vec<i64>) -> Result<(), DecodeError> {
        Ok(int96::decode_plain(buf, n, out)?)
    }
}

/// Iterates the `(length, bytes)` entries of a PLAIN BYTE_ARRAY buffer.
pub fn plain_byte_arrays(
    buf: &[u8],
    n: usize,
    mut f: impl FnMut(&[u8]) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let mut pos = 0usize;
    for i in 0..n {
        let len_bytes = buf.get(pos..pos + 4).ok_or_else(|| {
            DecodeError::Corrupt(format!(
                "BYTE_ARRAY value {i} of {n}: length runs past the page"
            ))
        })?;
        let len = u32::from_le_bytes(len_bytes.try_into().expect("4 bytes")) as usize;
        pos += 4;
        let value = buf.get(pos..pos + len).ok_or_else(|| {
            DecodeError::Corrupt(format!(
                "BYTE_ARRAY value {i} of {n}: {len} bytes run past the page"
            ))
        })?;
        pos += len;
        f(value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
