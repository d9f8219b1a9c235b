//! Parquet RLE / bit-packed hybrid decoding: dictionary ids and definition levels.
//!
//! This is the hottest loop of the scan: every dictionary-encoded column page goes through
//! [`decode_hybrid`]. The format (parquet-format `Encodings.md`) is a sequence of runs, each
//! starting with a ULEB128 header. LSB 1: a bit-packed run of `(header >> 1) * 8` values packed
//! LSB-first, `bit_width` bytes per group of 8. LSB 0: an RLE run of `header >> 1` copies of one
//! value stored in `ceil(bit_width / 8)` little-endian bytes.
//!
//! Bit-packed groups are unpacked eight at a time by `unpack8`, monomorphised per bit width so
//! every shift and offset is a constant and there is no bounds check per value. [`naive`] is the
//! bit-by-bit twin that the tests and the fuzz target compare against.
//!
//! # Zero run headers
//!
//! The format requires every run to hold 1 to 2^31 − 1 values, so a header of 0 (an RLE run of
//! no values) or 1 (a bit-packed run of no groups) is never valid. Some writers emit them anyway:
//! fastparquet pads pages with zero bytes after the last run. We do what arrow-rs does, read in
//! `parquet` 60.1.0, `src/encodings/rle.rs`, `RleDecoder::reload` and its callers:
//!
//! - **Header 0 ends the stream.** `reload` answers "no more runs" to an indicator of 0 without
//!   reading a value byte after it (its comment: fastparquet pads the end of pages, which is not
//!   spec-compliant but which the C++ implementation handles), so `get_batch` returns short, and
//!   arrow-rs's column reader turns a short read into an error ("insufficient definition levels
//!   / values read"). Here any value still needed after a zero header is
//!   [`KernelError::RunsEnded`]. At bit width 0 they are zeros instead: this decoder already
//!   accepts a zero-width stream that ends early (where arrow-rs would report the short read),
//!   and reads a zero header the same way. As padding after the last needed value, a zero
//!   header is never read at all.
//! - **Except as the very first header, where it is skipped.** `RleDecoder::set_data` calls
//!   `reload` to load the first run and ignores its "no more runs" answer, so a leading zero
//!   header is stepped over and decoding goes on with the next header (a second zero then
//!   stops it). Every arrow-rs reader calls `set_data` once per page, so this holds whatever
//!   batch sizes it then reads with; we match it.
//! - **Header 1 is an empty run, skipped** anywhere: `reload` sets a bit-packed run of 0 values
//!   and the decoding loop immediately reloads the next header.
//!
//! One arrow-rs behaviour is not reproduced, because it depends on batch sizes rather than on
//! the stream: a zero header stops only the current `get_batch` call and leaves the reader past
//! it. `DictIndexDecoder`, which fills 1024 ids at a time and calls again after a short batch
//! that read something, therefore steps over a mid-stream zero header in dictionary ids unless
//! it falls exactly on a batch boundary. Level decoding does not call again, and neither do we:
//! a zero header before the last needed value is an error.

pub mod naive;

use crate::KernelError;

/// Largest bit width Parquet uses for ids and levels.
pub const MAX_BIT_WIDTH: u8 = 32;

/// Decodes `num_values` values of a hybrid stream, appending them to `out`.
///
/// Returns the bytes consumed. Padding values in a final bit-packed run are skipped; a final
/// bit-packed run that is cut short is accepted as long as every value needed is present.
/// With `bit_width == 0` every value is zero; an empty `data` is then accepted as is, and so is a
/// stream that ends before `num_values` (a writer need not spend bytes on zero-width values).
/// Zero run headers are read as arrow-rs reads them (see [the module docs](self#zero-run-headers)):
/// header 0 ends the stream, except as the first header, which is skipped; header 1 is an empty
/// run.
///
/// # Errors
///
/// [`KernelError::BitWidthTooLarge`] above 32 bits, [`KernelError::UnexpectedEof`] if `data`
/// ends before `num_values` values, [`KernelError::RunsEnded`] if a zero header ends it first,
/// [`KernelError::BadRunHeader`] for an over-long run header.
/// On error `out` may hold part of the values.
pub fn decode_hybrid(
    data: &[u8],
    bit_width: u8,
    num_values: usize,
    out: &mut Vec<u32>,
) -> Result<usize, KernelError> {
    visit_runs(data, bit_width, num_values, |run| match run {
        Run::Repeat { value, count } => out.resize(out.len() + count, value),
        Run::Packed { bytes, count } => {
            let start = out.len();
            out.resize(start + count, 0);
            unpack_run_dispatch(bit_width, bytes, &mut out[start..]);
        }
    })
}

/// One run of a hybrid stream, cut to the values still needed.
enum Run<'a> {
    /// `count` copies of `value`.
    Repeat { value: u32, count: usize },
    /// `count` values bit-packed in `bytes` (at least `ceil(count * bit_width / 8)` of them).
    Packed { bytes: &'a [u8], count: usize },
}

/// Walks the runs of a hybrid stream until `num_values` values are seen, handing each to
/// `on_run`: the one place the format's rules (zero headers, short final runs, zero-width
/// streams) are read, for every decoder that consumes runs. Returns the bytes consumed and the
/// errors of [`decode_hybrid`].
#[inline]
fn visit_runs<'a>(
    data: &'a [u8],
    bit_width: u8,
    num_values: usize,
    mut on_run: impl FnMut(Run<'a>),
) -> Result<usize, KernelError> {
    if bit_width > MAX_BIT_WIDTH {
        return Err(KernelError::BitWidthTooLarge(bit_width));
    }
    let width = usize::from(bit_width);
    let value_bytes = width.div_ceil(8);
    let mut remaining = num_values;
    let mut pos = 0usize;
    while remaining > 0 {
        if pos >= data.len() && width == 0 {
            on_run(Run::Repeat {
                value: 0,
                count: remaining,
            });
            break;
        }
        let header_start = pos;
        let (header, header_len) = read_header(data, pos)?;
        pos += header_len;
        let available = data.len() - pos;
        if header & 1 == 1 {
            let count = (header >> 1) as usize * 8;
            let run_bytes = (header >> 1) as usize * width;
            let take = count.min(remaining);
            let needed = (take * width).div_ceil(8);
            if needed > available {
                return Err(KernelError::UnexpectedEof { needed, available });
            }
            let run = &data[pos..pos + run_bytes.min(available)];
            on_run(Run::Packed {
                bytes: run,
                count: take,
            });
            pos += run.len();
            remaining -= take;
        } else {
            let count = (header >> 1) as usize;
            if count == 0 {
                // Header 0: the end of the runs (see the module docs), skipped only when first.
                if header_start == 0 {
                    continue;
                }
                if width == 0 {
                    on_run(Run::Repeat {
                        value: 0,
                        count: remaining,
                    });
                    break;
                }
                return Err(KernelError::RunsEnded {
                    offset: header_start,
                    missing: remaining,
                });
            }
            if value_bytes > available {
                return Err(KernelError::UnexpectedEof {
                    needed: value_bytes,
                    available,
                });
            }
            let mut le = [0u8; 4];
            le[..value_bytes].copy_from_slice(&data[pos..pos + value_bytes]);
            pos += value_bytes;
            let take = count.min(remaining);
            on_run(Run::Repeat {
                value: u32::from_le_bytes(le),
                count: take,
            });
            remaining -= take;
        }
    }
    Ok(pos)
}

/// Decodes the values section of an `RLE_DICTIONARY` data page: one byte of bit width, then a
/// hybrid stream without a length prefix. Appends `num_values` ids to `out`.
///
/// # Errors
///
/// As [`decode_hybrid`]; an empty `data` is an error unless `num_values == 0`.
pub fn decode_dict_ids(
    data: &[u8],
    num_values: usize,
    out: &mut Vec<u32>,
) -> Result<(), KernelError> {
    match split_bit_width(data, num_values)? {
        Some((bit_width, rest)) => decode_hybrid(rest, bit_width, num_values, out).map(|_| ()),
        None => Ok(()),
    }
}

/// The bit width byte that opens a dictionary page's values, and the stream after it; `None`
/// when no value is asked for (the page may then be empty).
fn split_bit_width(data: &[u8], num_values: usize) -> Result<Option<(u8, &[u8])>, KernelError> {
    if num_values == 0 {
        return Ok(None);
    }
    match data.split_first() {
        Some((&bit_width, rest)) => Ok(Some((bit_width, rest))),
        None => Err(KernelError::UnexpectedEof {
            needed: 1,
            available: 0,
        }),
    }
}

/// Decodes the values section of an `RLE_DICTIONARY` data page straight into dictionary values:
/// appends `dict[id]` for each of the `num_values` ids, as [`decode_dict_ids`] then
/// [`check_dict_bounds`] then a gather would, without the id vector in between.
///
/// Dictionary columns of Koku's files are mostly long runs (an hour's pods, node by node), so a
/// run is one bounds check and one fill. Bit-packed runs are unpacked into `scratch` (reused
/// between pages), checked and gathered run by run.
///
/// # Errors
///
/// As [`decode_dict_ids`]; then [`KernelError::DictIndexOutOfRange`] for the first id in stream
/// order that is out of range, so the error is the one the three steps give. On error `out` may
/// hold part of the values.
pub fn decode_dict_gather<T: Copy>(
    data: &[u8],
    num_values: usize,
    dict: &[T],
    scratch: &mut Vec<u32>,
    out: &mut Vec<T>,
) -> Result<(), KernelError> {
    let Some((bit_width, rest)) = split_bit_width(data, num_values)? else {
        return Ok(());
    };
    out.reserve(num_values);
    let mut bad: Option<u32> = None;
    visit_runs(rest, bit_width, num_values, |run| match run {
        Run::Repeat { value, count } => match dict.get(value as usize) {
            Some(&v) => out.resize(out.len() + count, v),
            None => {
                bad.get_or_insert(value);
            }
        },
        Run::Packed { bytes, count } => {
            scratch.clear();
            scratch.resize(count, 0);
            unpack_run_dispatch(bit_width, bytes, scratch);
            match check_dict_bounds(scratch, dict.len()) {
                Ok(()) => out.extend(scratch.iter().map(|&id| dict[id as usize])),
                Err(KernelError::DictIndexOutOfRange { index, .. }) => {
                    bad.get_or_insert(index);
                }
                Err(_) => {} // check_dict_bounds reports nothing else
            }
        }
    })?;
    match bad {
        Some(index) => Err(KernelError::DictIndexOutOfRange {
            index,
            len: dict.len(),
        }),
        None => Ok(()),
    }
}

/// Decodes V1 data page levels: a 4-byte little-endian length, then that many bytes of hybrid
/// stream. Appends `num_values` levels to `out` and returns `4 + length`.
///
/// # Errors
///
/// [`KernelError::UnexpectedEof`] if the prefix or the stream it announces is cut short, or
/// any error of [`decode_hybrid`].
pub fn decode_levels_v1(
    data: &[u8],
    bit_width: u8,
    num_values: usize,
    out: &mut Vec<u32>,
) -> Result<usize, KernelError> {
    let Some((prefix, rest)) = data.split_first_chunk::<4>() else {
        return Err(KernelError::UnexpectedEof {
            needed: 4,
            available: data.len(),
        });
    };
    let len = u32::from_le_bytes(*prefix) as usize;
    if len > rest.len() {
        return Err(KernelError::UnexpectedEof {
            needed: len,
            available: rest.len(),
        });
    }
    decode_hybrid(&rest[..len], bit_width, num_values, out)?;
    Ok(4 + len)
}

/// Checks every id is below `dict_len`.
///
/// Reduces fixed-size chunks with `max` (which vectorises) and only looks for the culprit once
/// a chunk fails, so the common all-valid case is a straight SIMD pass.
///
/// # Errors
///
/// [`KernelError::DictIndexOutOfRange`] carrying the first id that is out of range.
pub fn check_dict_bounds(ids: &[u32], dict_len: usize) -> Result<(), KernelError> {
    const CHUNK: usize = 256;
    let Ok(limit) = u32::try_from(dict_len) else {
        return Ok(()); // every u32 is a valid index
    };
    for chunk in ids.chunks(CHUNK) {
        let max = chunk.iter().copied().fold(0u32, u32::max);
        if max >= limit {
            let index = chunk.iter().copied().find(|&id| id >= limit).unwrap_or(max);
            return Err(KernelError::DictIndexOutOfRange {
                index,
                len: dict_len,
            });
        }
    }
    Ok(())
}

/// Reads a ULEB128 run header at `pos`: at most 5 bytes, value at most `u32::MAX`.
/// Returns the header and its length in bytes.
#[inline]
fn read_header(data: &[u8], pos: usize) -> Result<(u32, usize), KernelError> {
    let mut value = 0u64;
    for i in 0..5 {
        let Some(&byte) = data.get(pos + i) else {
            return Err(KernelError::UnexpectedEof {
                needed: 1,
                available: 0,
            });
        };
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return u32::try_from(value)
                .map(|v| (v, i + 1))
                .map_err(|_| KernelError::BadRunHeader { offset: pos });
        }
    }
    Err(KernelError::BadRunHeader { offset: pos })
}

/// Picks the monomorphised [`unpack_run`] for `bit_width` (already checked to be `<= 32`).
fn unpack_run_dispatch(bit_width: u8, run: &[u8], dst: &mut [u32]) {
    macro_rules! dispatch {
        ($($w:literal)*) => {
            match bit_width {
                0 => dst.fill(0),
                $($w => unpack_run::<$w>(run, dst),)*
                _ => unreachable!("bit width checked by the caller"),
            }
        };
    }
    dispatch!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32);
}

/// Bytes [`unpack8`] reads: the last value of a 32-bit group starts at byte 28 and is loaded
/// with an 8-byte word.
const WINDOW: usize = 40;

/// Unpacks `dst.len()` values from the bit-packed bytes `run` (`W` bytes per group of 8).
/// `run` must hold at least `ceil(dst.len() * W / 8)` bytes; it may end mid-group.
#[inline]
fn unpack_run<const W: usize>(run: &[u8], dst: &mut [u32]) {
    let mut groups = dst.chunks_exact_mut(8);
    let mut offset = 0;
    for group in &mut groups {
        let group: &mut [u32; 8] = group.try_into().expect("chunks of 8");
        *group = match run.get(offset..offset + WINDOW) {
            // Enough bytes after this group to load words straight from the input.
            Some(window) => unpack8::<W>(window.try_into().expect("window length")),
            None => unpack8::<W>(&padded(run, offset)),
        };
        offset += W;
    }
    let tail = groups.into_remainder();
    if !tail.is_empty() {
        let values = unpack8::<W>(&padded(run, offset));
        tail.copy_from_slice(&values[..tail.len()]);
    }
}

/// Copies the group at `offset` (or what is left of it) into a zeroed window.
#[inline]
fn padded(run: &[u8], offset: usize) -> [u8; WINDOW] {
    let mut window = [0u8; WINDOW];
    let end = (offset + WINDOW).min(run.len());
    if offset < end {
        window[..end - offset].copy_from_slice(&run[offset..end]);
    }
    window
}

/// Unpacks one group of 8 `W`-bit values from the start of `window`.
///
/// `W` is a constant, so after unrolling every byte offset and shift is known at compile time and
/// the slice indexing below needs no runtime check.
#[inline(always)]
fn unpack8<const W: usize>(window: &[u8; WINDOW]) -> [u32; 8] {
    let mask: u64 = (1u64 << W) - 1;
    let mut values = [0u32; 8];
    for (i, value) in values.iter_mut().enumerate() {
        let bit = i * W;
        let byte = bit / 8;
        let word = u64::from_le_bytes(window[byte..byte + 8].try_into().expect("8 bytes"));
        *value = ((word >> (bit % 8)) & mask) as u32;
    }
    values
}

#[cfg(test)]
mod tests;
