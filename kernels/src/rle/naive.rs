//! Bit-by-bit reference decoder for the RLE / bit-packed hybrid.
//!
//! Written to be obviously correct, not fast: the property tests and the `rle_hybrid` fuzz
//! target check [`super::decode_hybrid`] against it, so it is always compiled.

use crate::KernelError;

/// Same contract as [`super::decode_hybrid`], one bit at a time, zero run headers included:
/// header 0 ends the stream unless it is the first header, header 1 is an empty bit-packed run.
///
/// # Errors
///
/// The same cases as [`super::decode_hybrid`].
pub fn decode_hybrid(
    data: &[u8],
    bit_width: u8,
    num_values: usize,
    out: &mut Vec<u32>,
) -> Result<usize, KernelError> {
    if bit_width > 32 {
        return Err(KernelError::BitWidthTooLarge(bit_width));
    }
    let width = usize::from(bit_width);
    let mut pos = 0;
    let mut produced = 0;
    while produced < num_values {
        if pos >= data.len() && width == 0 {
            out.push(0);
            produced += 1;
            continue;
        }
        // ULEB128 header, at most 5 bytes and at most u32::MAX.
        let header_start = pos;
        let mut header: u64 = 0;
        let mut shift = 0;
        loop {
            let Some(&byte) = data.get(pos) else {
                return Err(KernelError::UnexpectedEof {
                    needed: 1,
                    available: 0,
                });
            };
            pos += 1;
            header |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
            if shift == 35 {
                return Err(KernelError::BadRunHeader {
                    offset: header_start,
                });
            }
        }
        if header > u64::from(u32::MAX) {
            return Err(KernelError::BadRunHeader {
                offset: header_start,
            });
        }
        let header = header as usize;
        if header & 1 == 1 {
            let groups = header >> 1;
            let run_start = pos;
            let mut i = 0;
            while i < groups * 8 && produced < num_values {
                let mut value = 0u32;
                for b in 0..width {
                    let bit = i * width + b;
                    let Some(&byte) = data.get(run_start + bit / 8) else {
                        return Err(KernelError::UnexpectedEof {
                            needed: (((i + 1) * width).div_ceil(8)).max(1),
                            available: data.len() - run_start,
                        });
                    };
                    value |= u32::from((byte >> (bit % 8)) & 1) << b;
                }
                out.push(value);
                produced += 1;
                i += 1;
            }
            pos = (run_start + groups * width).min(data.len());
        } else {
            let count = header >> 1;
            if count == 0 {
                // Header 0 ends the stream, except as the first header (arrow-rs; see the
                // `rle` module docs). No value byte follows it.
                if header_start == 0 {
                    continue;
                }
                if width == 0 {
                    while produced < num_values {
                        out.push(0);
                        produced += 1;
                    }
                    break;
                }
                return Err(KernelError::RunsEnded {
                    offset: header_start,
                    missing: num_values - produced,
                });
            }
            let mut value = 0u32;
            for b in 0..width.div_ceil(8) {
                let Some(&byte) = data.get(pos) else {
                    return Err(KernelError::UnexpectedEof {
                        needed: width.div_ceil(8),
                        available: 0,
                    });
                };
                value |= u32::from(byte) << (8 * b);
                pos += 1;
            }
            let mut i = 0;
            while i < count && produced < num_values {
                out.push(value);
                produced += 1;
                i += 1;
            }
        }
    }
    Ok(pos)
}
