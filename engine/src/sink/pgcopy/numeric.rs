//! numeric(33,15) in PostgreSQL's binary `send` form, from an `f64`.
//!
//! Numbers become numeric(33,15) as Trino's DOUBLE→DECIMAL cast does (spec §11): the double's
//! shortest round-trip decimal, rounded half-up to 15 fractional digits. [`scaled`] is that
//! rounding, kept apart from the digit layout of [`write_numeric`] so the fuzz targets can check
//! each on its own.

use super::EncodeError;

pub use crate::value::numeric::SCALE;

/// [`crate::value::numeric::scaled`], failing with the value numeric(33,15) cannot hold.
pub fn scaled(v: f64) -> Result<(bool, u128), EncodeError> {
    crate::value::numeric::scaled(v).ok_or(EncodeError::Numeric(v))
}

/// Appends the numeric(33,15) field (length word included) for `v`.
pub fn write_numeric(v: f64, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let (neg, n) = scaled(v)?;
    // 16 fractional decimal digits = four base-10000 groups; group i has weight i - 4.
    let mut groups = [0u16; 10];
    let mut rest = n * 10;
    let mut len = 0;
    while rest > 0 {
        groups[len] = (rest % 10_000) as u16;
        rest /= 10_000;
        len += 1;
    }
    let low = groups[..len].iter().position(|&g| g != 0).unwrap_or(len);
    let ndigits = len - low;
    let weight = if ndigits == 0 { 0 } else { len as i16 - 5 };
    out.extend_from_slice(&(8 + 2 * ndigits as i32).to_be_bytes());
    out.extend_from_slice(&(ndigits as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&(if neg { 0x4000u16 } else { 0 }).to_be_bytes());
    out.extend_from_slice(&SCALE.to_be_bytes());
    for g in groups[low..len].iter().rev() {
        out.extend_from_slice(&g.to_be_bytes());
    }
    Ok(())
}
