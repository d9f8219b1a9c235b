//! Parquet DELTA_BINARY_PACKED decoding of INT64 values, and the two string encodings built on it.
//!
//! The format (parquet-format `Encodings.md`): a header of four ULEB128 numbers, the block size
//! in values (a multiple of 128), the miniblocks per block (the block size over it a multiple of
//! 32), the total value count, and the first value (zigzag). Then blocks, each a zigzag ULEB128
//! minimum delta, one bit-width byte per miniblock, and the miniblocks: every delta minus the
//! minimum, bit-packed LSB-first at that width. Each value is the previous one plus its delta, in
//! wrapping arithmetic (a writer may store `i64::MAX - i64::MIN` as a delta that overflows).
//!
//! What is read the way arrow-rs reads it (`parquet` 60.1.0, `src/encodings/decoding.rs`,
//! `DeltaBitPackDecoder`), so a page its reader accepts is accepted here:
//!
//! - A header holding more values than the page needs is read only as far as needed; one
//!   holding fewer is an error.
//! - The bit widths of miniblocks past the header's last value may hold anything; they are not
//!   looked at. Widths above 64 are an error only in a miniblock that is read.
//! - A block size of 0 is accepted when no value past the first is needed.
//! - The last miniblock is padded to full size by writers; a stream that ends inside the padding
//!   is accepted as long as the bits of every needed value are present.
//!
//! DELTA_LENGTH_BYTE_ARRAY ([`decode_length_byte_array`]) and DELTA_BYTE_ARRAY
//! ([`decode_byte_array`]) strings are built on the same reader.
//!
//! [`naive`] is the bit-by-bit twin the tests and the `delta_binary_packed`,
//! `delta_length_byte_array` and `delta_byte_array` fuzz targets compare against.

pub mod naive;

use crate::KernelError;

const ENCODING: &str = "DELTA_BINARY_PACKED";

/// Decodes the first `num_values` values of a DELTA_BINARY_PACKED stream, appending them to
/// `out`.
///
/// Returns the bytes consumed: up to the end of the last block read, its padding included (as
/// far as `data` goes), or up to the end of the header when no block is read (at most one
/// value). When the header's count equals `num_values` that is the end of the stream, where
/// DELTA_LENGTH_BYTE_ARRAY's bytes begin.
///
/// # Errors
///
/// [`KernelError::UnexpectedEof`] if `data` ends before a needed header, bit-width byte or value;
/// [`KernelError::InvalidStream`] for an over-long ULEB128 number, a block layout the format
/// forbids, a miniblock wider than 64 bits, or a header holding fewer than `num_values` values.
/// On error `out` may hold part of the values.
pub fn decode_i64(
    data: &[u8],
    num_values: usize,
    out: &mut Vec<i64>,
) -> Result<usize, KernelError> {
    decode_inner(data, num_values, false, out)
}

fn decode_inner(
    data: &[u8],
    num_values: usize,
    exact: bool,
    out: &mut Vec<i64>,
) -> Result<usize, KernelError> {
    let mut pos = 0;
    let header = Header::read(data, &mut pos)?;
    if header.total < num_values as u64 || (exact && header.total != num_values as u64) {
        return Err(invalid(
            0,
            format!(
                "the header holds {} values, the page needs {num_values}",
                header.total
            ),
        ));
    }
    if num_values == 0 {
        return Ok(pos);
    }
    // No reservation for `num_values` up front: `out` grows miniblock by miniblock, so a forged
    // count in a short stream fails at its end before allocating for values it does not hold.
    out.push(header.first);
    let mut last = header.first;
    let mut left = num_values - 1;
    // Values the header still promises after the ones decoded (decides the miniblocks in use).
    let mut promised = header.total - 1;
    let mut consumed = pos;
    let vpm = header.values_per_miniblock;
    while left > 0 {
        if vpm == 0 {
            return Err(invalid(
                0,
                "a block size of 0 with more than one value".into(),
            ));
        }
        let block_start = pos;
        let min_delta = zigzag(read_uleb(data, &mut pos)?);
        let widths = take(data, pos, header.miniblocks)?;
        pos += header.miniblocks;
        let widths_at = pos;
        let block_end = block_end(widths, vpm, promised, pos)
            .ok_or_else(|| invalid(block_start, "the block's size overflows".into()))?;
        let mut body = pos;
        for (i, &w) in widths.iter().enumerate() {
            if left == 0 {
                break;
            }
            let width = u32::from(w);
            if width > 64 {
                return Err(invalid(
                    widths_at - header.miniblocks + i,
                    format!("miniblock bit width {w} is larger than 64"),
                ));
            }
            let count = vpm.min(left);
            // Saturating: more than usize::MAX bits is an end of input all the same.
            let needed = count.saturating_mul(width as usize).div_ceil(8);
            take(data, body, needed)?;
            // Everything from the miniblock on: bits past its values are masked off, and the
            // 8-byte loads then run to the last few bytes of the page, not of each miniblock.
            unpack_deltas(&data[body..], width, count, min_delta, &mut last, out);
            body += vpm / 8 * width as usize;
            left -= count;
            promised = promised.saturating_sub(vpm as u64);
        }
        pos = block_end;
        consumed = block_end.min(data.len());
    }
    Ok(consumed)
}

/// Decodes the first `num_values` values of a DELTA_LENGTH_BYTE_ARRAY stream: their lengths
/// as a DELTA_BINARY_PACKED stream, then their bytes one after the other. Calls `f` on each value
/// in order, once every length is known to be valid; `lengths` is scratch.
///
/// Returns the bytes consumed (the lengths' stream, then the values' bytes).
///
/// The lengths' header must hold exactly `num_values` values. arrow-rs reads every length the
/// header holds before the values' bytes, so it accepts a header holding more; here that would
/// mean decoding lengths no page asked for, so it is an error (writers put exactly one length
/// per value in a page).
///
/// # Errors
///
/// As [`decode_i64`]; [`KernelError::InvalidStream`] for a header count other than
/// `num_values` or a length outside `0..=i32::MAX` (lengths are INT32);
/// [`KernelError::UnexpectedEof`] if the values' bytes are shorter than the lengths add up to.
pub fn decode_length_byte_array<'a>(
    data: &'a [u8],
    num_values: usize,
    lengths: &mut Vec<i64>,
    mut f: impl FnMut(&'a [u8]),
) -> Result<usize, KernelError> {
    let mut pos = checked_lengths(data, num_values, lengths)?;
    for &len in lengths.iter() {
        let end = pos + len as usize;
        f(&data[pos..end]);
        pos = end;
    }
    Ok(pos)
}

/// Reads the lengths of a DELTA_LENGTH_BYTE_ARRAY stream into `lengths` and checks them: each in
/// `0..=i32::MAX`, and all of the values' bytes present. Returns where the values' bytes begin.
fn checked_lengths(
    data: &[u8],
    num_values: usize,
    lengths: &mut Vec<i64>,
) -> Result<usize, KernelError> {
    lengths.clear();
    let pos = decode_inner(data, num_values, true, lengths)?;
    let mut total = 0usize;
    for (i, &len) in lengths.iter().enumerate() {
        if !(0..=i64::from(i32::MAX)).contains(&len) {
            return Err(KernelError::InvalidStream {
                encoding: "DELTA_LENGTH_BYTE_ARRAY",
                offset: 0,
                reason: format!("value {i} has length {len}"),
            });
        }
        // Saturating: a sum past usize::MAX fails the check below all the same.
        total = total.saturating_add(len as usize);
    }
    take(data, pos, total)?;
    Ok(pos)
}

/// Reusable buffers for [`decode_byte_array`].
#[derive(Debug, Default)]
pub struct ByteArrayScratch {
    prefixes: Vec<i64>,
    suffixes: Vec<i64>,
    value: Vec<u8>,
}

/// Decodes the `num_values` values of a DELTA_BYTE_ARRAY stream (incremental or front
/// compression): the prefix lengths as a DELTA_BINARY_PACKED stream, then the suffixes as a
/// DELTA_LENGTH_BYTE_ARRAY stream. Value `i` is the first `prefix[i]` bytes of value `i - 1`
/// (the empty string before the first) followed by suffix `i`. Calls `f` on each value in order,
/// once the whole stream is known to be valid (every length, every prefix, every byte), so
/// nothing is handed out from a page that turns out corrupt.
///
/// Returns the bytes consumed (the prefixes' stream, then the suffixes' stream).
///
/// Both headers must hold exactly `num_values` values, as in [`decode_length_byte_array`]
/// (arrow-rs, `DeltaByteArrayDecoder`, reads whatever count the prefixes' header gives). Each
/// value is built by cutting the previous one to its prefix and appending the suffix in one
/// buffer, so the work is linear in the page's bytes whatever the prefixes; a value without a
/// prefix is handed out straight from `data`.
///
/// # Errors
///
/// As [`decode_length_byte_array`] for either stream; [`KernelError::InvalidStream`] for a prefix
/// length that is negative or longer than the previous value.
pub fn decode_byte_array(
    data: &[u8],
    num_values: usize,
    scratch: &mut ByteArrayScratch,
    mut f: impl FnMut(&[u8]),
) -> Result<usize, KernelError> {
    let ByteArrayScratch {
        prefixes,
        suffixes,
        value,
    } = scratch;
    prefixes.clear();
    let at = decode_inner(data, num_values, true, prefixes)?;
    // `at` is at most `data.len()` (`decode_inner` stops its count at the end of `data`).
    let rest = &data[at..];
    let mut pos = checked_lengths(rest, num_values, suffixes)?;
    // Every suffix is present, so every value's length (at most the suffix bytes up to it) fits.
    let mut previous = 0usize;
    for (i, (&prefix, &suffix)) in prefixes.iter().zip(suffixes.iter()).enumerate() {
        if !(0..=previous as i64).contains(&prefix) {
            return Err(KernelError::InvalidStream {
                encoding: "DELTA_BYTE_ARRAY",
                offset: 0,
                reason: format!(
                    "value {i} has prefix length {prefix}, the previous value {previous} bytes"
                ),
            });
        }
        previous = prefix as usize + suffix as usize;
    }
    // The previous value when it lies whole in `data` (it had no prefix); otherwise in `value`.
    let mut in_data: Option<&[u8]> = Some(&[]);
    for (&prefix, &suffix) in prefixes.iter().zip(suffixes.iter()) {
        let end = pos + suffix as usize;
        let bytes = &rest[pos..end];
        pos = end;
        let prefix = prefix as usize;
        if prefix == 0 {
            f(bytes);
            in_data = Some(bytes);
            continue;
        }
        match in_data.take() {
            Some(previous) => {
                value.clear();
                value.extend_from_slice(&previous[..prefix]);
            }
            None => value.truncate(prefix),
        }
        value.extend_from_slice(bytes);
        f(value);
    }
    Ok(at + pos)
}

/// The stream header, checked.
struct Header {
    miniblocks: usize,
    values_per_miniblock: usize,
    total: u64,
    first: i64,
}

impl Header {
    fn read(data: &[u8], pos: &mut usize) -> Result<Header, KernelError> {
        let block_size = read_uleb(data, pos)?;
        let miniblocks_at = *pos;
        let miniblocks = read_uleb(data, pos)?;
        let total = read_uleb(data, pos)?;
        let first = zigzag(read_uleb(data, pos)?);
        if miniblocks == 0 {
            return Err(invalid(miniblocks_at, "zero miniblocks per block".into()));
        }
        if block_size % 128 != 0 || block_size % miniblocks != 0 {
            return Err(invalid(
                0,
                format!(
                    "block size {block_size} is not a multiple of 128 and of the \
                     {miniblocks} miniblocks per block"
                ),
            ));
        }
        let vpm = block_size / miniblocks;
        if vpm % 32 != 0 {
            return Err(invalid(
                0,
                format!("{vpm} values per miniblock is not a multiple of 32"),
            ));
        }
        let too_big = |what: &str| invalid(0, format!("{what} does not fit in memory"));
        Ok(Header {
            miniblocks: usize::try_from(miniblocks).map_err(|_| too_big("miniblock count"))?,
            values_per_miniblock: usize::try_from(vpm).map_err(|_| too_big("miniblock size"))?,
            total,
            first,
        })
    }
}

/// Byte offset of the end of a block whose miniblocks start at `body`; miniblocks past the
/// `promised` values count as empty, whatever their width byte says (as arrow-rs does).
fn block_end(widths: &[u8], vpm: usize, mut promised: u64, body: usize) -> Option<usize> {
    let mut end = body;
    for &w in widths {
        if promised == 0 {
            break;
        }
        // `vpm` is a multiple of 32, so `vpm / 8 * w` is the miniblock's exact size.
        end = end.checked_add((vpm / 8).checked_mul(usize::from(w))?)?;
        promised = promised.saturating_sub(vpm as u64);
    }
    Some(end)
}

/// Unpacks `count` deltas of `width` bits from the start of `bytes` (which holds at least their
/// bits, and may go on) and appends the running values.
fn unpack_deltas(
    bytes: &[u8],
    width: u32,
    count: usize,
    min_delta: i64,
    last: &mut i64,
    out: &mut Vec<i64>,
) {
    let start = out.len();
    out.resize(start + count, 0);
    let dst = &mut out[start..];
    let base = *last;
    if width == 0 {
        // Every delta is the minimum: an arithmetic progression (a constant for 0), each value
        // computed on its own so the loop has no carried dependency.
        for (j, d) in dst.iter_mut().enumerate() {
            *d = base.wrapping_add(min_delta.wrapping_mul(j as i64 + 1));
        }
    } else {
        // Pass 1 unpacks each delta on its own; pass 2 is the running sum.
        let w = width as usize;
        let mask = u64::MAX >> (64 - width);
        for (i, d) in dst.iter_mut().enumerate() {
            let bit = i * w;
            let (byte, shift) = (bit / 8, (bit % 8) as u32);
            let raw = match bytes.get(byte..byte + 8) {
                Some(word) => {
                    let mut v = u64::from_le_bytes(word.try_into().expect("8 bytes")) >> shift;
                    if shift + width > 64 {
                        // The value's top bits are in the ninth byte, which holds bits of this
                        // value and so is within `bytes`.
                        v |= u64::from(bytes[byte + 8]) << (64 - shift);
                    }
                    v
                }
                None => {
                    // Fewer than 8 bytes left, which hold the value's bits: its end is within
                    // them.
                    let mut window = [0u8; 8];
                    let tail = &bytes[byte..];
                    window[..tail.len()].copy_from_slice(tail);
                    u64::from_le_bytes(window) >> shift
                }
            };
            *d = min_delta.wrapping_add((raw & mask) as i64);
        }
        let mut acc = base;
        for d in dst.iter_mut() {
            acc = acc.wrapping_add(*d);
            *d = acc;
        }
    }
    *last = dst.last().copied().unwrap_or(base);
}

fn take(data: &[u8], pos: usize, len: usize) -> Result<&[u8], KernelError> {
    let available = data.len().saturating_sub(pos);
    if len > available {
        return Err(KernelError::UnexpectedEof {
            needed: len,
            available,
        });
    }
    Ok(&data[pos..pos + len])
}

/// A ULEB128 number of at most 64 bits (10 bytes).
fn read_uleb(data: &[u8], pos: &mut usize) -> Result<u64, KernelError> {
    let start = *pos;
    let mut value = 0u64;
    for i in 0..10 {
        let Some(&byte) = data.get(start + i) else {
            return Err(KernelError::UnexpectedEof {
                needed: 1,
                available: 0,
            });
        };
        let bits = u64::from(byte & 0x7f);
        if i == 9 && byte > 1 {
            break;
        }
        value |= bits << (7 * i);
        if byte & 0x80 == 0 {
            *pos = start + i + 1;
            return Ok(value);
        }
    }
    Err(invalid(start, "ULEB128 number longer than 64 bits".into()))
}

fn zigzag(u: u64) -> i64 {
    (u >> 1) as i64 ^ -((u & 1) as i64)
}

fn invalid(offset: usize, reason: String) -> KernelError {
    KernelError::InvalidStream {
        encoding: ENCODING,
        offset,
        reason,
    }
}

#[cfg(test)]
mod tests;
