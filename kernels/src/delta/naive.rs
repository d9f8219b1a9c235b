//! Bit-by-bit reference decoder for DELTA_BINARY_PACKED, and the two string encodings on it.
//!
//! Written to be obviously correct, not fast: the property tests and the `delta_binary_packed`
//! fuzz target check [`super::decode_i64`] against it, so it is always compiled. It reads the
//! stream one block and one miniblock at a time, each value one bit at a time.

use crate::KernelError;

/// Same contract as [`super::decode_i64`], errors included (variants, not their messages).
///
/// # Errors
///
/// The same cases as [`super::decode_i64`].
pub fn decode_i64(
    data: &[u8],
    num_values: usize,
    out: &mut Vec<i64>,
) -> Result<usize, KernelError> {
    let mut r = Reader { data, pos: 0 };
    let block_size = r.uleb()?;
    let miniblocks = r.uleb()?;
    let total = r.uleb()?;
    let first = zigzag(r.uleb()?);
    if miniblocks == 0
        || block_size % 128 != 0
        || block_size % miniblocks != 0
        || (block_size / miniblocks) % 32 != 0
    {
        return Err(invalid("bad block layout"));
    }
    let vpm = block_size / miniblocks;
    if total < num_values as u64 {
        return Err(invalid("too few values"));
    }
    if num_values == 0 {
        return Ok(r.pos);
    }
    out.push(first);
    let mut last = first;
    let mut decoded: u64 = 1;
    let mut end = r.pos;
    while decoded < num_values as u64 {
        if vpm == 0 {
            return Err(invalid("block size 0"));
        }
        let min_delta = zigzag(r.uleb()?);
        let mut widths = Vec::new();
        for _ in 0..miniblocks {
            widths.push(r.byte()?);
        }
        // Where each miniblock starts: only miniblocks holding some of the header's values
        // take up room.
        let mut starts = Vec::new();
        let mut at = r.pos as u128;
        for (m, &w) in widths.iter().enumerate() {
            starts.push(at);
            if decoded + (m as u64) * vpm < total {
                at += u128::from(vpm) * u128::from(w) / 8;
            }
        }
        if at > usize::MAX as u128 {
            return Err(invalid("block too large"));
        }
        for (m, &w) in widths.iter().enumerate() {
            if decoded >= num_values as u64 {
                break;
            }
            if w > 64 {
                return Err(invalid("bit width above 64"));
            }
            let count = vpm.min(num_values as u64 - decoded);
            for i in 0..count {
                let mut delta: u64 = 0;
                for b in 0..u64::from(w) {
                    let bit = starts[m] * 8 + u128::from(i * u64::from(w) + b);
                    let byte = usize::try_from(bit / 8).map_err(|_| eof())?;
                    let Some(&v) = data.get(byte) else {
                        return Err(eof());
                    };
                    delta |= u64::from((v >> (bit % 8)) & 1) << b;
                }
                last = last.wrapping_add(min_delta).wrapping_add(delta as i64);
                out.push(last);
            }
            decoded += count;
        }
        r.pos = at as usize;
        end = r.pos.min(data.len());
    }
    Ok(end)
}

/// Same contract as [`super::decode_length_byte_array`], with the values collected.
///
/// # Errors
///
/// The same cases as [`super::decode_length_byte_array`].
pub fn decode_length_byte_array(
    data: &[u8],
    num_values: usize,
) -> Result<(Vec<Vec<u8>>, usize), KernelError> {
    let mut lengths = Vec::new();
    let mut pos = decode_i64(data, num_values, &mut lengths)?;
    let mut r = Reader { data, pos: 0 };
    r.uleb()?;
    r.uleb()?;
    if r.uleb()? != num_values as u64 {
        return Err(invalid("header count is not the value count"));
    }
    if lengths.iter().any(|&l| l < 0 || l > i64::from(i32::MAX)) {
        return Err(invalid("length out of range"));
    }
    let mut values = Vec::new();
    for &len in &lengths {
        let end = pos + len as usize;
        if end > data.len() {
            return Err(eof());
        }
        values.push(data[pos..end].to_vec());
        pos = end;
    }
    Ok((values, pos))
}

/// Same contract as [`super::decode_byte_array`], with the values collected: each value built
/// as a new `Vec` from the previous one.
///
/// # Errors
///
/// The same cases as [`super::decode_byte_array`].
pub fn decode_byte_array(
    data: &[u8],
    num_values: usize,
) -> Result<(Vec<Vec<u8>>, usize), KernelError> {
    let mut prefixes = Vec::new();
    let at = decode_i64(data, num_values, &mut prefixes)?;
    let mut r = Reader { data, pos: 0 };
    r.uleb()?;
    r.uleb()?;
    if r.uleb()? != num_values as u64 {
        return Err(invalid("prefix header count is not the value count"));
    }
    let (suffixes, used) = decode_length_byte_array(&data[at..], num_values)?;
    let mut values: Vec<Vec<u8>> = Vec::new();
    let mut previous: Vec<u8> = Vec::new();
    for (&prefix, suffix) in prefixes.iter().zip(&suffixes) {
        if prefix < 0 || prefix as u64 > previous.len() as u64 {
            return Err(invalid("prefix longer than the previous value"));
        }
        let mut value = previous[..prefix as usize].to_vec();
        value.extend_from_slice(suffix);
        values.push(value.clone());
        previous = value;
    }
    Ok((values, at + used))
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, KernelError> {
        let b = *self.data.get(self.pos).ok_or_else(eof)?;
        self.pos += 1;
        Ok(b)
    }

    fn uleb(&mut self) -> Result<u64, KernelError> {
        let mut value: u128 = 0;
        for i in 0..10 {
            let b = self.byte()?;
            value |= u128::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return u64::try_from(value).map_err(|_| invalid("ULEB128 overflows"));
            }
        }
        Err(invalid("ULEB128 too long"))
    }
}

fn zigzag(u: u64) -> i64 {
    let magnitude = (u >> 1) as i64;
    if u & 1 == 0 {
        magnitude
    } else {
        -magnitude - 1
    }
}

fn eof() -> KernelError {
    KernelError::UnexpectedEof {
        needed: 1,
        available: 0,
    }
}

fn invalid(reason: &str) -> KernelError {
    KernelError::InvalidStream {
        encoding: "DELTA_BINARY_PACKED",
        offset: 0,
        reason: reason.into(),
    }
}
